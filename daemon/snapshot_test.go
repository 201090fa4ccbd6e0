package daemon

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// TestSeekReaderMatchesFreshIterators: a walk's views over the shared
// iterator (increasing, some empty, some gapped, some abandoned half-way,
// the last ones past the end) see exactly what a fresh bounded iterator
// sees, whether First seeks or finds the iterator already in place.
func TestSeekReaderMatchesFreshIterators(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed))
		st := memory.New()
		b := st.NewBatch()
		var keys []string
		for i := 0; i < 200; i++ {
			k := fmt.Sprintf("k%04d", rng.IntN(1000))
			keys = append(keys, k)
			if err := b.Set([]byte(k), []byte("v"+k)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		it, err := st.NewIter(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := &seekReader{it: it}
		pos := 0
		for pos < 1100 {
			// Bounds either land on stored keys (so the iterator often
			// stands exactly on the next lower bound) or between them.
			lo := pos + rng.IntN(3)*rng.IntN(20)
			hi := lo + rng.IntN(30)
			bound := func(n int) []byte {
				if rng.IntN(2) == 0 && len(keys) > 0 {
					i, _ := slices.BinarySearch(keys, fmt.Sprintf("k%04d", n))
					if i < len(keys) {
						return []byte(keys[i])
					}
				}
				return []byte(fmt.Sprintf("k%04d", n))
			}
			lower, upper := bound(lo), bound(hi)
			if bytes.Compare(upper, lower) < 0 {
				upper = lower
			}
			pos = hi
			var want []string
			for _, k := range keys {
				if k >= string(lower) && k < string(upper) {
					want = append(want, k)
				}
			}
			take := len(want)
			if rng.IntN(4) == 0 && take > 0 {
				take = rng.IntN(take) // abandoned half-way
			}
			v, _ := r.NewIter(lower, upper)
			var got []string
			for ok := v.First(); ok && len(got) < take; ok = v.Next() {
				got = append(got, string(v.Key()))
				if string(v.Value()) != "v"+string(v.Key()) {
					t.Fatalf("seed %d: value %q under %q", seed, v.Value(), v.Key())
				}
			}
			if !slices.Equal(got, want[:take]) {
				t.Fatalf("seed %d: view [%s, %s) gave %q, want %q", seed, lower, upper, got, want[:take])
			}
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		var _ storage.Reader = r
	}
}
