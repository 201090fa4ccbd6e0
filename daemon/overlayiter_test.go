package daemon

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/redoubtdb/redoubt/storage/memory"
)

// TestOverlayIterModel walks random overlays over random stores with
// random moves and checks each position against the merged model.
func TestOverlayIterModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 300; round++ {
		st := memory.New()
		model := map[string]string{}
		b := st.NewBatch()
		for i := rng.Intn(30); i > 0; i-- {
			k := fmt.Sprintf("k%02d", rng.Intn(40))
			_ = b.Set([]byte(k), []byte("base"+k))
			model[k] = "base" + k
		}
		if err := st.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		var over []overlayEntry
		seen := map[string]bool{}
		for i := rng.Intn(15); i > 0; i-- {
			k := fmt.Sprintf("k%02d", rng.Intn(40))
			if seen[k] {
				continue
			}
			seen[k] = true
			if rng.Intn(3) == 0 {
				over = append(over, overlayEntry{key: []byte(k), del: true})
				delete(model, k)
			} else {
				over = append(over, overlayEntry{key: []byte(k), val: []byte("over" + k)})
				model[k] = "over" + k
			}
		}
		keys := make([]string, 0, len(model))
		for k := range model {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		base, err := st.NewIter(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		it := newOverlayIter(base, over)
		pos := -2 // index into keys; -1 before the start, len(keys) past the end
		check := func(op string, ok bool) {
			t.Helper()
			want := pos >= 0 && pos < len(keys)
			if ok != want || it.Valid() != want {
				t.Fatalf("round %d %s: valid %v, want %v (pos %d of %v)", round, op, ok, want, pos, keys)
			}
			if want && (string(it.Key()) != keys[pos] || string(it.Value()) != model[keys[pos]]) {
				t.Fatalf("round %d %s: at %s=%s, want %s=%s", round, op, it.Key(), it.Value(), keys[pos], model[keys[pos]])
			}
		}
		for step := 0; step < 40; step++ {
			switch r := rng.Intn(6); {
			case r == 0:
				pos = 0
				if len(keys) == 0 {
					pos = 0
				}
				check("First", it.First())
			case r == 1:
				pos = len(keys) - 1
				check("Last", it.Last())
			case r == 2:
				k := fmt.Sprintf("k%02d", rng.Intn(42))
				pos, _ = slices.BinarySearch(keys, k)
				check("SeekGE "+k, it.SeekGE([]byte(k)))
			case r == 3:
				k := fmt.Sprintf("k%02d", rng.Intn(42))
				i, _ := slices.BinarySearch(keys, k)
				pos = i - 1
				check("SeekLT "+k, it.SeekLT([]byte(k)))
			case r == 4 && pos != -2:
				switch {
				case pos >= len(keys):
				case pos < 0:
					pos = 0
				default:
					pos++
				}
				check("Next", it.Next())
			case r == 5 && pos != -2:
				switch {
				case pos < 0:
				case pos >= len(keys):
					pos = len(keys) - 1
				default:
					pos--
				}
				check("Prev", it.Prev())
			}
			if pos >= len(keys) {
				pos = len(keys)
			}
			if pos < -1 && pos != -2 {
				pos = -1
			}
		}
		it.Close()
	}
}
