package daemon

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestRowTableModel runs random sets, deletes and lookups against a Go map
// as the model, over few enough keys that probe chains collide, wrap
// around the table's end and are shifted back on deletion; after every
// step each key the model has must be found (and no other), and the
// count and iteration must agree.
func TestRowTableModel(t *testing.T) {
	for _, keys := range []int{10, 700, 3000} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			r := rand.New(rand.NewSource(int64(keys)))
			tb := newRowTable()
			model := map[string]*rowRec{}
			for step := 0; step < 20000; step++ {
				k := fmt.Sprintf("k%d", r.Intn(keys))
				switch r.Intn(3) {
				case 0, 1:
					rec := newRowRec(k, []byte{byte(step)}, 1, int64(step))
					tb.set(rec)
					model[k] = rec
				case 2:
					got, ok := tb.del(k)
					want, wok := model[k]
					if ok != wok || got != want {
						t.Fatalf("step %d: del %s = %p %v, want %p %v", step, k, got, ok, want, wok)
					}
					delete(model, k)
				}
				if tb.len() != len(model) {
					t.Fatalf("step %d: len %d, want %d", step, tb.len(), len(model))
				}
				if step%97 == 0 || keys == 10 {
					for i := 0; i < keys; i++ {
						k := fmt.Sprintf("k%d", i)
						got, ok := tb.get(k)
						if want, wok := model[k]; ok != wok || got != want {
							t.Fatalf("step %d: get %s = %p %v, want %p %v", step, k, got, ok, want, wok)
						}
					}
					n := 0
					for rec := range tb.all() {
						if model[rec.key()] != rec {
							t.Fatalf("step %d: iteration yields %s, not the model's", step, rec.key())
						}
						n++
					}
					if n != len(model) {
						t.Fatalf("step %d: iteration yields %d, want %d", step, n, len(model))
					}
				}
			}
			for k := range model {
				if _, ok := tb.getBytes([]byte(k)); !ok {
					t.Fatalf("%s lost", k)
				}
				if rec := tb.victim(); model[rec.key()] != rec {
					t.Fatalf("victim is %s, not the model's", rec.key())
				}
			}
			tb.clear()
			if _, ok := tb.get("k1"); ok || tb.len() != 0 || tb.victim() != nil {
				t.Fatal("clear left records")
			}
		})
	}
}
