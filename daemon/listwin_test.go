package daemon

import (
	"hash/maphash"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

// A pop outside every window reads one ahead while the windows have room;
// past half their budget, only a list missed twice in a row does, and a
// list missed between two misses of another takes the doorkeeper's slot
// only if they share it.
func TestListWindowsReadAhead(t *testing.T) {
	if lw := newListWindows(0); lw.readAhead([]byte("a")) {
		t.Fatal("read ahead with no budget")
	}
	lw := newListWindows(10000)
	for range 3 {
		if !lw.readAhead([]byte("a")) {
			t.Fatal("no read ahead with the windows empty")
		}
	}
	// Two windows of 3,960 bytes: one may hold at most half the budget.
	lw.install([]byte("big1"), 0, slices.Repeat([][]byte{make([]byte, 100)}, 30))
	lw.install([]byte("big2"), 0, slices.Repeat([][]byte{make([]byte, 100)}, 30))
	if lw.bytes < lw.budget/2 {
		t.Fatalf("windows hold %d bytes of %d", lw.bytes, lw.budget)
	}
	slot := func(p string) uint64 {
		return (maphash.Bytes(lw.seed, []byte(p)) | 1) % listWinDoorSlots
	}
	other := "b"
	for i := 0; slot(other) == slot("a"); i++ {
		other = "b" + strconv.Itoa(i)
	}
	for i, step := range []struct {
		list string
		want bool
	}{
		{"a", false}, {"a", true}, // missed twice in a row
		{"a", false}, {other, false}, {"a", true}, // another list's miss in its own slot
		{other, true},
	} {
		if got := lw.readAhead([]byte(step.list)); got != step.want {
			t.Fatalf("step %d (%s): read ahead %v, want %v", i, step.list, got, step.want)
		}
	}
}

// The windows of one list mirror random writes exactly: after every
// write, each index a window covers holds the model's value, and the
// budget's account matches what the windows hold.
func TestListWindowsMirror(t *testing.T) {
	for _, budget := range []int64{1 << 20, 3000} {
		t.Run(strconv.FormatInt(budget, 10), func(t *testing.T) {
			rng := rand.New(rand.NewSource(budget))
			lw := newListWindows(budget)
			prefix := []byte("p")
			model := map[uint64]string{} // abs -> value; [lo, hi) is the list
			lo, hi := uint64(1000), uint64(1000)
			val := func() []byte {
				if rng.Intn(40) == 0 {
					return []byte(strings.Repeat("x", rowCacheMaxValue+1))
				}
				return []byte(strconv.Itoa(rng.Intn(1000)))
			}
			for step := range 20000 {
				var what string
				switch op := rng.Intn(10); {
				case op < 3: // push at either end
					v := val()
					if rng.Intn(2) == 0 {
						lo--
						model[lo] = string(v)
						lw.put(prefix, lo, v)
					} else {
						model[hi] = string(v)
						lw.put(prefix, hi, v)
						hi++
					}
					what = "push"
				case op < 5 && hi > lo: // pop at either end
					if rng.Intn(2) == 0 {
						delete(model, lo)
						lw.del(prefix, lo)
						lo++
					} else {
						hi--
						delete(model, hi)
						lw.del(prefix, hi)
					}
					what = "pop"
				case op < 6 && hi > lo: // overwrite
					abs := lo + uint64(rng.Intn(int(hi-lo)))
					v := val()
					model[abs] = string(v)
					lw.put(prefix, abs, v)
					what = "set"
				case op < 7 && hi-lo > 2: // delete inside, then shift the tail down (LREM)
					abs := lo + 1 + uint64(rng.Intn(int(hi-lo-2)))
					lw.del(prefix, abs)
					for a := abs; a+1 < hi; a++ {
						model[a] = model[a+1]
						lw.put(prefix, a, []byte(model[a]))
					}
					hi--
					delete(model, hi)
					lw.del(prefix, hi)
					what = "remove"
				case hi > lo: // a read installs a window at a random run
					a := lo + uint64(rng.Intn(int(hi-lo)))
					b := min(hi, a+uint64(rng.Intn(200)))
					var vals [][]byte
					for x := a; x < b; x++ {
						vals = append(vals, []byte(model[x]))
					}
					lw.install(prefix, a, vals)
					what = "install"
				}
				var sum int64
				for _, w := range lw.m[string(prefix)] {
					sum += w.bytes
					if w.n == 0 || w.n > listWinElems || w.lo < lo || w.hi() > hi {
						t.Fatalf("step %d (%s): window [%d, %d) of %d elements in the list [%d, %d)", step, what, w.lo, w.hi(), w.n, lo, hi)
					}
					var b int64
					for abs := w.lo; abs < w.hi(); abs++ {
						if got := string(w.at(abs)); got != model[abs] {
							t.Fatalf("step %d (%s): index %d holds %.20q, want %.20q", step, what, abs, got, model[abs])
						}
						b += elemCost(w.at(abs))
					}
					if b != w.bytes {
						t.Fatalf("step %d (%s): window counts %d bytes, holds %d", step, what, w.bytes, b)
					}
				}
				if sum != lw.bytes || lw.bytes > lw.budget || len(lw.m[string(prefix)]) > 2 {
					t.Fatalf("step %d (%s): %d windows of %d bytes, account %d, budget %d", step, what, len(lw.m[string(prefix)]), sum, lw.bytes, lw.budget)
				}
			}
		})
	}
}

// Random pipelines of list commands on three lists of a live Pebble
// server give Redis's replies while windows come and go: pushes of many
// elements and pops at both ends, reads anchored at either end and
// elsewhere, overwrites, removals and inserts in the middle, trims,
// rotations, copies and deletions, with empty elements and ones too big
// for a window, some pipelines in MULTI (one unit: a copy then sees the
// unit's own pops, see materializeTrims), and a window budget both ample
// and small enough that windows are evicted all the time. Every so often,
// and at the end, each list's records in the store are exactly its live
// indexes (popped ones are deleted by range, listtrim.go); at the end
// each list, read from the store with no window left, is the model's.
func TestListWindowsCommands(t *testing.T) {
	for _, budget := range []int64{2 << 20, 4 << 10} {
		t.Run(strconv.FormatInt(budget, 10), func(t *testing.T) {
			h := newPebbleHarness(t)
			defer h.close()
			h.srv.mu.Lock()
			h.srv.ks.lists.budget = budget
			h.srv.mu.Unlock()
			fc := h.client(1)
			rng := rand.New(rand.NewSource(budget))
			models := map[string]*listModel{"a": {}, "b": {}, "c": {}}
			keys := []string{"a", "b", "c"}
			val := func() string {
				switch rng.Intn(30) {
				case 0:
					return ""
				case 1:
					return strings.Repeat("v", rowCacheMaxValue+rng.Intn(2))
				}
				return "v" + strconv.Itoa(rng.Intn(30))
			}
			idx := func() string { return strconv.Itoa(rng.Intn(300) - 150) }
			for step := range 2500 {
				var req []byte
				var cmds [][]string
				var want []string
				for range 1 + rng.Intn(6) {
					k := keys[rng.Intn(len(keys))]
					var cmd []string
					switch op := rng.Intn(20); {
					case op < 4, op < 7:
						cmd = []string{"LPUSH", k}
						if op >= 4 {
							cmd[0] = "RPUSH"
						}
						for range 1 + rng.Intn(40) {
							cmd = append(cmd, val())
						}
					case op < 9:
						cmd = []string{"LPOP", k}
					case op < 11:
						cmd = []string{"RPOP", k}
					case op < 12:
						cmd = []string{[]string{"LPOP", "RPOP"}[rng.Intn(2)], k, strconv.Itoa(rng.Intn(5))}
					case op < 14:
						cmd = []string{"LRANGE", k, "0", strconv.Itoa(rng.Intn(120))}
					case op < 15:
						cmd = []string{"LRANGE", k, strconv.Itoa(-1 - rng.Intn(120)), "-1"}
					case op < 16:
						cmd = []string{"LRANGE", k, idx(), idx()}
					case op < 17:
						cmd = []string{"LINDEX", k, idx()}
					case op < 18:
						cmd = []string{"LSET", k, idx(), val()}
					default:
						switch rng.Intn(6) {
						case 0:
							cmd = []string{"LREM", k, strconv.Itoa(rng.Intn(5) - 2), val()}
						case 1:
							cmd = []string{"LINSERT", k, []string{"BEFORE", "AFTER"}[rng.Intn(2)], val(), val()}
						case 2:
							cmd = []string{"LTRIM", k, strconv.Itoa(rng.Intn(5)), strconv.Itoa(-1 - rng.Intn(5))}
						case 3:
							cmd = []string{"LMOVE", k, k, []string{"LEFT", "RIGHT"}[rng.Intn(2)], []string{"LEFT", "RIGHT"}[rng.Intn(2)]}
						case 4:
							cmd = []string{"COPY", k, keys[rng.Intn(len(keys))], "REPLACE"}
						default:
							cmd = []string{"DEL", k}
						}
					}
					switch {
					case cmd[0] == "DEL":
						want = append(want, intReply(min(len(*models[k]), 1)))
						*models[k] = nil
					case cmd[0] == "COPY" && cmd[1] == cmd[2]:
						want = append(want, "(error) ERR source and destination objects are the same")
					case cmd[0] == "COPY":
						want = append(want, intReply(min(len(*models[k]), 1)))
						if len(*models[k]) > 0 {
							*models[cmd[2]] = slices.Clone(*models[k])
						}
					default:
						want = append(want, models[k].apply(cmd))
					}
					cmds = append(cmds, cmd)
					req = append(req, encodeCommand(bytesOf(cmd))...)
				}
				if rng.Intn(4) == 0 {
					req = append(append(encodeCommand(bytesOf([]string{"MULTI"})), req...), encodeCommand(bytesOf([]string{"EXEC"}))...)
					queued := []string{"OK"}
					for range want {
						queued = append(queued, "QUEUED")
					}
					want = append(queued, "["+strings.Join(want, " ")+"]")
					cmds = append(append([][]string{{"MULTI"}}, cmds...), []string{"EXEC"})
				}
				got := sendPipeline(t, fc, req)
				if len(got) != len(want) {
					t.Fatalf("step %d: %d replies to %d commands", step, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("step %d: %.200q\n got %.300s\nwant %.300s", step, cmds[i], got[i], want[i])
					}
				}
				if step%100 == 99 {
					for _, k := range keys {
						checkLayout(t, h, k)
					}
				}
			}
			for _, k := range keys {
				checkLayout(t, h, k)
			}
			h.srv.mu.Lock()
			h.srv.ks.lists.clear()
			h.srv.mu.Unlock()
			for _, k := range keys {
				want := models[k].apply([]string{"LRANGE", k, "0", "-1"})
				if got := fc.do(t, "LRANGE "+k+" 0 -1"); got[0] != want {
					t.Fatalf("list %s at the end:\n got %.300s\nwant %.300s", k, got[0], want)
				}
			}
		})
	}
}

func bytesOf(argv []string) [][]byte {
	bs := make([][]byte, len(argv))
	for i, a := range argv {
		bs[i] = []byte(a)
	}
	return bs
}

// sendPipeline sends req in one read and returns the replies rendered.
func sendPipeline(t *testing.T, fc *fakeClient, req []byte) []string {
	t.Helper()
	if n, _, closeConn := fc.sess.Data(req); n != len(req) || closeConn {
		t.Fatalf("pipeline: consumed %d of %d bytes, close %v", n, len(req), closeConn)
	}
	fc.loop.run()
	return fc.pending(t, ordered)
}

// A unit that fails half-way drops its writes; the windows, which
// mirrored them, must not keep them.
func TestListWindowsAbort(t *testing.T) {
	h := newPebbleHarness(t)
	defer h.close()
	fc := h.client(1)
	fc.do(t, "RPUSH l a b c")
	fc.do(t, "LRANGE l 0 -1")
	ks := h.srv.ks
	h.srv.mu.Lock()
	co, _ := ks.lookupColl(0, []byte("l"), storage.TypeList, false)
	if ks.lists.find(co.prefix, co.listHead(), co.listHead()+3) == nil {
		h.srv.mu.Unlock()
		t.Fatal("LRANGE 0 -1 of a short list left no window")
	}
	var b [8]byte
	co.put(listIdx(&b, co.listHead()+1), []byte("dropped")) // LSET l 1 dropped
	listPush(co, true, [][]byte{[]byte("dropped")})
	ks.abort()
	ks.endCommand()
	h.srv.mu.Unlock()
	for _, tc := range []struct{ cmd, want string }{
		{"LRANGE l 0 -1", `["a" "b" "c"]`}, {"LINDEX l 1", `"b"`}, {"LINDEX l 0", `"a"`}, {"RPOP l", `"c"`},
	} {
		if got := fc.do(t, tc.cmd); got[0] != tc.want {
			t.Fatalf("%s after the abort: %s, want %s", tc.cmd, got[0], tc.want)
		}
	}
}

// Pops of elements that sit in the store alone are deleted by range when
// their unit's layer is written (listtrim.go). Until then, within the
// same transaction, whatever reads the whole list must not see the
// popped records: COPY copies the unit's view record by record, DUMP
// serializes it. Each case starts from a list written and drained to the
// store, runs one transaction, and checks the replies, the copies, and
// that every list's records are exactly its live indexes.
func TestListPopsInOneUnit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		multi []string // after MULTI, before EXEC
		exec  string
		lists map[string]string // LRANGE 0 -1 of each afterwards
	}{
		{"pops then copy", []string{"LPOP l", "RPOP l", "COPY l c"},
			`["a" "e" (integer) 1]`, map[string]string{"l": `["b" "c" "d"]`, "c": `["b" "c" "d"]`}},
		{"pop, push at the same index, copy", []string{"LPOP l", "LPUSH l x", "COPY l c"},
			`["a" (integer) 5 (integer) 1]`, map[string]string{"l": `["x" "b" "c" "d" "e"]`, "c": `["x" "b" "c" "d" "e"]`}},
		{"count pops then copy", []string{"LPOP l 2", "RPOP l 2", "COPY l c"},
			`[["a" "b"] ["e" "d"] (integer) 1]`, map[string]string{"l": `["c"]`, "c": `["c"]`}},
		{"push, pop it, pop a stored one", []string{"RPUSH l z", "RPOP l", "RPOP l", "COPY l c"},
			`[(integer) 6 "z" "e" (integer) 1]`, map[string]string{"l": `["a" "b" "c" "d"]`, "c": `["a" "b" "c" "d"]`}},
		{"rotation", []string{"LMOVE l l LEFT RIGHT", "LMOVE l l LEFT RIGHT", "COPY l c"},
			`["a" "b" (integer) 1]`, map[string]string{"l": `["c" "d" "e" "a" "b"]`, "c": `["c" "d" "e" "a" "b"]`}},
		{"pops then iterate and pop more", []string{"LPOP l", "COPY l c", "LPOP l", "COPY l d"},
			`["a" (integer) 1 "b" (integer) 1]`, map[string]string{"l": `["c" "d" "e"]`, "c": `["b" "c" "d" "e"]`, "d": `["c" "d" "e"]`}},
		{"pop all", []string{"LPOP l 5", "COPY l c"},
			`[["a" "b" "c" "d" "e"] (integer) 0]`, map[string]string{"l": `[]`, "c": `[]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, fc := storedList(t)
			defer h.close()
			fc.do(t, "MULTI")
			for _, c := range tc.multi {
				if got := fc.do(t, c); got[0] != "QUEUED" {
					t.Fatalf("%s: %s", c, got[0])
				}
			}
			if got := fc.do(t, "EXEC"); got[0] != tc.exec {
				t.Fatalf("EXEC: %s, want %s", got[0], tc.exec)
			}
			for k, want := range tc.lists {
				if got := fc.do(t, "LRANGE "+k+" 0 -1"); got[0] != want {
					t.Errorf("LRANGE %s: %s, want %s", k, got[0], want)
				}
				checkLayout(t, h, k)
			}
		})
	}
}

// storedList is a Pebble harness with l = [a b c d e] written to the store
// (not in the write buffer), and a client.
func storedList(t *testing.T) (*harness, *fakeClient) {
	h := newPebbleHarness(t)
	fc := h.client(1)
	fc.do(t, "RPUSH l a b c d e")
	h.srv.mu.Lock()
	h.srv.ks.wb.drain()
	h.srv.mu.Unlock()
	return h, fc
}

// A DUMP in the transaction that popped serializes the list as the unit
// left it, and the payload restores to it.
func TestListDumpAfterPopsInOneUnit(t *testing.T) {
	h, fc := storedList(t)
	defer h.close()
	fc.do(t, "MULTI")
	fc.do(t, "LPOP l")
	fc.do(t, "RPOP l")
	fc.do(t, "DUMP l")
	exec := fc.reply(t, "EXEC")
	if len(exec.Elems) != 3 || exec.Elems[0].String() != `"a"` || exec.Elems[1].String() != `"e"` {
		t.Fatalf("EXEC: %s", exec)
	}
	if got := fc.reply(t, "RESTORE", "r", "0", string(exec.Elems[2].Str)).String(); got != "OK" {
		t.Fatalf("RESTORE of the payload: %s", got)
	}
	if got := fc.do(t, "LRANGE r 0 -1"); got[0] != `["b" "c" "d"]` {
		t.Fatalf("restored %s", got[0])
	}
}

// LTRIM takes runs off a list's ends by range too. Its elements may sit in
// the store, in buffered layers and in the trimming unit at once, and a
// long run (past listWinElems) finds the buffered and unit ones another
// way than a short one does: each case starts from 3000 elements in the
// store, keeps what follows in the write buffer (no flusher runs) or in
// one transaction, and checks the list and its records.
func TestListTrimRuns(t *testing.T) {
	elems := func(p string, n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(" " + p + strconv.Itoa(i))
		}
		return b.String()
	}
	want := func(p string, from, to int) string {
		var vs []string
		for i := from; i < to; i++ {
			vs = append(vs, p+strconv.Itoa(i))
		}
		return quoteAll(vs)
	}
	for _, tc := range []struct {
		name string
		cmds []string
		want string
	}{
		{"long, buffered", []string{"LPUSH l" + elems("p", 1500), "LTRIM l 2000 -1"}, want("e", 500, 3000)},
		{"long, in the unit", []string{"MULTI", "LPUSH l" + elems("p", 1500), "LTRIM l 2000 -1", "EXEC"}, want("e", 500, 3000)},
		{"long, both ends, buffered and in the unit", []string{"LPUSH l" + elems("p", 1500), "MULTI", "RPUSH l" + elems("q", 1500), "LTRIM l 2000 -2001", "EXEC"}, want("e", 500, 2500)},
		{"short, buffered", []string{"LPUSH l" + elems("p", 10), "LTRIM l 20 -1"}, want("e", 10, 3000)},
		{"short, in the unit", []string{"MULTI", "RPUSH l" + elems("q", 10), "LTRIM l 0 -21", "EXEC"}, want("e", 0, 2990)},
		{"store only", []string{"LTRIM l 1500 -1001"}, want("e", 1500, 2000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			defer h.close()
			fc := h.client(1)
			fc.do(t, "RPUSH l"+elems("e", 3000))
			// From here layers stay in the buffer until something drains it.
			h.srv.mu.Lock()
			h.srv.ks.wb.running = true
			h.srv.mu.Unlock()
			for _, c := range tc.cmds {
				fc.do(t, c)
			}
			if got := fc.do(t, "LRANGE l 0 -1"); got[0] != tc.want {
				t.Errorf("LRANGE: %.300s\nwant %.300s", got[0], tc.want)
			}
			checkLayout(t, h, "l")
			h.srv.mu.Lock()
			h.srv.ks.wb.running = false
			h.srv.ks.wb.flushAll()
			h.srv.mu.Unlock()
		})
	}
}
