package daemon

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// Pops outside a list's windows fill one from the pending unit, the write
// buffer's layers and the store (listFill); values the write buffer or
// the pending unit hold a newer version of must win, with the flusher
// writing layers concurrently.
func TestListPopReadAhead(t *testing.T) {
	h := newPebbleHarness(t)
	defer h.close()
	c := h.client(1)
	// A small budget evicts windows, so fills meet keys whose newest
	// value only the write buffer has.
	h.srv.mu.Lock()
	h.srv.ks.lists.budget = 16 << 10
	h.srv.mu.Unlock()
	rng := rand.New(rand.NewSource(1))
	var model []string
	for round := 0; round < 5; round++ {
		var args []string
		for i := 0; i < 600; i++ {
			v := fmt.Sprintf("r%d-%d", round, i)
			args = append(args, v)
			model = append(model, v)
		}
		c.do(t, "RPUSH l "+strings.Join(args, " "))
		h.srv.mu.Lock()
		h.srv.ks.wb.drain() // the elements now live in the store
		h.srv.mu.Unlock()
		// Overwrite some elements: the newer values sit in the buffer.
		for i := 0; i < 20; i++ {
			idx := rng.Intn(len(model))
			v := fmt.Sprintf("set%d-%d", round, i)
			c.do(t, fmt.Sprintf("LSET l %d %s", idx, v))
			model[idx] = v
		}
		// Pop most of it from both ends, in pipelines.
		for len(model) > 100 {
			left := rng.Intn(2) == 0
			cmd, want := "RPOP l", model[len(model)-1]
			if left {
				cmd, want = "LPOP l", model[0]
				model = model[1:]
			} else {
				model = model[:len(model)-1]
			}
			if got := c.do(t, cmd); len(got) != 1 || got[0] != `"`+want+`"` {
				t.Fatalf("round %d: %s = %q, want %q", round, cmd, got, want)
			}
		}
	}
}
