package daemon

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// TestWriteBufferModel applies random units to a write buffer whose flusher
// runs concurrently, checking every read (layers, then store) against a
// model map, and the store alone after a drain.
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
				for i := rng.Intn(20); i >= 0; i-- {
					k := fmt.Sprintf("k%03d", rng.Intn(300))
					if rng.Intn(4) == 0 {
						unit[k] = nil
						delete(model, k)
					} else {
						v := fmt.Sprintf("v%d", rng.Int())
						unit[k] = []byte(v)
						model[k] = v
					}
				}
				wb.apply(unit, seq)
				for i := 0; i < 5; i++ {
					k := fmt.Sprintf("k%03d", rng.Intn(300))
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
