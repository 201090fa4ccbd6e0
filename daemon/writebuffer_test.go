package daemon

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// TestWriteBufferModel applies random units to a write buffer whose flusher
// runs concurrently, checking every read (layers, then store) against a
// model map, and the store alone after a drain. Keys live in groups, like
// collection versions: a unit may drop a whole group with a range deletion,
// and a dropped group is never written again.
func TestWriteBufferModel(t *testing.T) {
	for _, syncFlush := range []bool{false, true} {
		t.Run(fmt.Sprintf("sync=%v", syncFlush), func(t *testing.T) {
			st := memory.New()
			wb := newWriteBuffer(st)
			wb.syncFlush = func() bool { return syncFlush }
			var durable uint64
			wb.markDurable = func(seq uint64) {
				if seq < durable {
					t.Errorf("durable went back from %d to %d", durable, seq)
				}
				durable = seq
			}
			wb.start()
			defer wb.stop()
			rng := rand.New(rand.NewSource(1))
			model := map[string]string{}
			groups := []int{0, 1, 2, 3, 4, 5, 6, 7}
			nextGroup := len(groups)
			key := func() string {
				return fmt.Sprintf("g%04d/k%03d", groups[rng.Intn(len(groups))], rng.Intn(40))
			}
			read := func(k string) (string, bool) {
				if v, ok := wb.lookup([]byte(k)); ok {
					if v == nil {
						return "", false
					}
					return string(v), true
				}
				v, ok, err := st.Get(nil, []byte(k))
				if err != nil {
					t.Fatal(err)
				}
				return string(v), ok
			}
			for seq := uint64(1); seq <= 3000; seq++ {
				unit := map[string][]byte{}
				var drops []keyRange
				for i := rng.Intn(20); i >= 0; i-- {
					if rng.Intn(50) == 0 {
						gi := rng.Intn(len(groups))
						p := fmt.Sprintf("g%04d/", groups[gi])
						drops = append(drops, keyRange{[]byte(p), storage.PrefixEnd([]byte(p))})
						for k := range model {
							if k[:len(p)] == p {
								delete(model, k)
							}
						}
						groups[gi] = nextGroup
						nextGroup++
						continue
					}
					k := key()
					if rng.Intn(4) == 0 {
						unit[k] = nil
						delete(model, k)
					} else {
						v := fmt.Sprintf("v%d", rng.Int())
						unit[k] = []byte(v)
						model[k] = v
					}
				}
				wb.apply(unit, nil, nil, drops, seq)
				for i := 0; i < 5; i++ {
					k := key()
					got, ok := read(k)
					want, wok := model[k]
					if ok != wok || got != want {
						t.Fatalf("unit %d: %s = %q,%v; model %q,%v", seq, k, got, ok, want, wok)
					}
				}
				if seq%500 == 0 {
					wb.drain()
					if n := wb.buffered(); n != 0 {
						t.Fatalf("drain left %d keys buffered", n)
					}
				}
			}
			wb.drain()
			it, err := st.NewIter(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			seen := 0
			for ok := it.First(); ok; ok = it.Next() {
				seen++
				if want := model[string(it.Key())]; want != string(it.Value()) {
					t.Fatalf("store has %s=%q, model %q", it.Key(), it.Value(), want)
				}
			}
			if seen != len(model) {
				t.Fatalf("store has %d keys, model %d", seen, len(model))
			}
			if nextGroup < 30 {
				t.Fatalf("only %d groups dropped", nextGroup-8)
			}
			if wb.flushes.Load() < 2 {
				t.Fatalf("only %d flushes: the flusher was not exercised", wb.flushes.Load())
			}
			// drain writes without fsync; the flusher syncs right after.
			wb.stop()
			if durable != 3000 {
				t.Fatalf("durable = %d after the final flush, want 3000", durable)
			}
		})
	}
}

// TestWriteBufferHidesStoreValues: a deletion still in a
// layer hides the key's older value in the store.
func TestWriteBufferHidesStoreValues(t *testing.T) {
	st := memory.New()
	b := st.NewBatch()
	_ = b.Set([]byte("k"), []byte("old"))
	if err := st.Commit(b, false); err != nil {
		t.Fatal(err)
	}
	wb := newWriteBuffer(st)
	wb.mu.active.m["k"] = nil // as apply would, without a flusher running
	if v, ok := wb.lookup([]byte("k")); !ok || v != nil {
		t.Fatalf("lookup = %q, %v; want a buffered deletion", v, ok)
	}
	wb.drain()
	if _, ok, _ := st.Get(nil, []byte("k")); ok {
		t.Fatal("deletion did not reach the store")
	}
	var _ storage.Store = st
}

// TestWriteBufferDirty: a layer remembers which collections it holds
// members of until it reaches the store.
func TestWriteBufferDirty(t *testing.T) {
	wb := newWriteBuffer(memory.New())
	wb.running = true // keep the write in the layer: no write-through
	wb.apply(map[string][]byte{"p1x": []byte("v")}, map[string]struct{}{"p1": {}}, nil, nil, 1)
	if !wb.dirty([]byte("p1")) || wb.dirty([]byte("p2")) {
		t.Fatal("dirty does not match the layer's collections")
	}
	wb.drain()
	if wb.dirty([]byte("p1")) {
		t.Fatal("still dirty after a drain")
	}
	wb.running = false
}

// TestWriteBufferBoundsBytes: a layer is frozen as soon as its values
// pass writeBufferLayerBytes, and once writeBufferMaxFrozen layers wait
// for the flusher, the next unit waits too, however large the values:
// memory stays bounded when the store falls behind.
func TestWriteBufferBoundsBytes(t *testing.T) {
	wb := newWriteBuffer(memory.New())
	wb.running = true // no flusher: layers stay until drained
	big := make([]byte, writeBufferLayerBytes/2+1)
	seq := uint64(0)
	unit := func() map[string][]byte {
		seq++
		return map[string][]byte{fmt.Sprintf("k%d", seq): big}
	}
	for range 2 * writeBufferMaxFrozen {
		wb.apply(unit(), nil, nil, nil, seq)
	}
	wb.mu.Lock()
	frozen, active := len(wb.mu.frozen), len(wb.mu.active.m)
	wb.mu.Unlock()
	if frozen != writeBufferMaxFrozen || active != 0 {
		t.Fatalf("%d frozen layers and %d keys in the active one; want %d and 0", frozen, active, writeBufferMaxFrozen)
	}
	done := make(chan struct{})
	go func() {
		wb.apply(unit(), nil, nil, nil, seq+1)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("a unit went in past the frozen-layer limit")
	case <-time.After(50 * time.Millisecond):
	}
	wb.drain()
	<-done
	if n := wb.buffered(); n != 1 {
		t.Fatalf("%d keys buffered after the drain; want the last unit's 1", n)
	}
	wb.running = false
}

// TestSortPairs: the word-wise radix sort puts a layer's keys in byte
// order, whatever their shared prefixes, lengths (a key ending inside a
// word, a key that is a prefix of another) and bytes (0x00 and 0xff).
func TestSortPairs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, tc := range []struct {
		name string
		key  func(i int) string
	}{
		{"meta keys", func(int) string {
			return string(storage.MetaKey(nil, 0, fmt.Appendf(nil, "key:%012d", rng.Intn(100000))))
		}},
		{"short and prefixes", func(int) string { return strings.Repeat("a", rng.Intn(20)) + strings.Repeat("b", rng.Intn(3)) }},
		{"binary", func(int) string {
			b := make([]byte, rng.Intn(24))
			for i := range b {
				b[i] = []byte{0, 1, 0x7f, 0x80, 0xff}[rng.Intn(5)]
			}
			return string(b)
		}},
		// Long keys that differ only far past sortWordsMaxDepth, and
		// a short one that keeps the common prefix short.
		{"long tails", func(i int) string {
			if i == 0 {
				return "b"
			}
			return "a" + strings.Repeat("x", 3000) + fmt.Sprint(rng.Intn(500))
		}},
		{"databases", func(int) string {
			return string(storage.MetaKey(nil, uint16(rng.Intn(3)*255), fmt.Appendf(nil, "user:%d", rng.Intn(1000))))
		}},
	} {
		seen := map[string]bool{}
		var pairs []bufKV
		for i := 0; i < 3000; i++ {
			k := tc.key(i)
			if !seen[k] {
				seen[k] = true
				pairs = append(pairs, bufKV{k: k, v: []byte(k)})
			}
		}
		words := sortPairs(pairs, nil)
		if len(words) != len(pairs) {
			t.Fatalf("%s: %d words for %d pairs", tc.name, len(words), len(pairs))
		}
		var got []string
		for _, w := range words {
			got = append(got, pairs[w.i].k)
		}
		want := slices.Sorted(maps.Keys(seen))
		if !slices.Equal(got, want) {
			t.Errorf("%s: not in byte order", tc.name)
		}
	}
}

// BenchmarkSortPairs: one layer of a SET -P 16 run (8192 meta keys drawn
// from 100,000) and one of a ZADD -P 16 run (member records and score
// index entries of one sorted set, whose members share 17 bytes past the
// set's prefix), the radix sort against a string sort.
func BenchmarkSortPairs(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	layer := func(key func() []byte) []bufKV {
		seen := map[string]bool{}
		var pairs []bufKV
		for len(pairs) < writeBufferLayerKeys {
			if k := string(key()); !seen[k] {
				seen[k] = true
				pairs = append(pairs, bufKV{k: k})
			}
		}
		return pairs
	}
	set := layer(func() []byte { return storage.MetaKey(nil, 0, fmt.Appendf(nil, "key:%012d", rng.Intn(100000))) })
	prefix := storage.DataPrefix(nil, 0, []byte("myzset"), 1)
	zadd := layer(func() []byte {
		member := fmt.Appendf(nil, "element:%012d", rng.Intn(100000))
		if rng.Intn(2) == 0 {
			return zsetMemberSub(bytes.Clone(prefix), member)
		}
		return zsetScoreSub(bytes.Clone(prefix), float64(rng.Intn(100000)), member)
	})
	for _, tc := range []struct {
		name  string
		pairs []bufKV
	}{{"set", set}, {"zadd", zadd}} {
		work := make([]bufKV, len(tc.pairs))
		b.Run(tc.name+"/words", func(b *testing.B) {
			var words []keyWord
			for b.Loop() {
				words = sortPairs(tc.pairs, words[:0])
			}
		})
		b.Run(tc.name+"/strings", func(b *testing.B) {
			for b.Loop() {
				copy(work, tc.pairs)
				slices.SortFunc(work, func(a, b bufKV) int { return strings.Compare(a.k, b.k) })
			}
		})
	}
}
