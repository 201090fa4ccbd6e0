package daemon

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/pebble"
)

func TestListRange(t *testing.T) {
	for _, tc := range []struct {
		start, end, n int64
		s, e          int64
		ok            bool
	}{
		{0, -1, 10, 0, 9, true},
		{0, 0, 10, 0, 0, true},
		{-3, -1, 10, 7, 9, true},
		{-100, 1, 10, 0, 1, true},
		{8, 100, 10, 8, 9, true},
		{5, 4, 10, 0, 0, false},
		{10, 20, 10, 0, 0, false},
		{-1, -2, 10, 0, 0, false},
		{0, -11, 10, 0, 0, false},
		{0, -10, 10, 0, 0, true},
		{math.MinInt64, math.MaxInt64, 10, 0, 9, true},
		{math.MaxInt64, math.MinInt64, 10, 0, 0, false},
		{0, -1, 0, 0, 0, false},
	} {
		s, e, ok := indexRange(tc.start, tc.end, tc.n)
		if ok != tc.ok || (ok && (s != tc.s || e != tc.e)) {
			t.Errorf("indexRange(%d, %d, %d) = %d, %d, %v; want %d, %d, %v", tc.start, tc.end, tc.n, s, e, ok, tc.s, tc.e, tc.ok)
		}
	}
}

// rawDo sends one command and returns the raw RESP reply, for the null
// shapes the rendered form does not tell apart ($-1, *-1, _).
func rawDo(t *testing.T, fc *fakeClient, line string) string {
	t.Helper()
	argv, _, _, err := resp.ReadCommand([]byte(line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 30, MaxMultibulkLen: 1 << 20, MaxInlineLen: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	fc.sess.Data(encodeCommand(argv))
	fc.loop.run()
	fc.mu.Lock()
	defer fc.mu.Unlock()
	out := string(fc.buf)
	fc.buf = nil
	return out
}

func TestListNullShapes(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	r2, r3 := h.client(1), h.client(2)
	r3.sess.proto = 3
	rawDo(t, r2, "RPUSH l a b c")
	for _, tc := range []struct {
		cmd        string
		resp2, rs3 string
	}{
		{"LPOP nokey", "$-1\r\n", "_\r\n"},
		{"RPOP nokey", "$-1\r\n", "_\r\n"},
		{"LPOP nokey 1", "*-1\r\n", "_\r\n"},
		{"RPOP nokey 0", "*-1\r\n", "_\r\n"},
		{"LPOP l 0", "*0\r\n", "*0\r\n"},
		{"LINDEX nokey 0", "$-1\r\n", "_\r\n"},
		{"LINDEX l 5", "$-1\r\n", "_\r\n"},
		{"LPOS l z", "$-1\r\n", "_\r\n"},
		{"LPOS nokey z", "$-1\r\n", "_\r\n"},
		{"LPOS nokey z COUNT 0", "*0\r\n", "*0\r\n"},
		{"LMOVE nokey x LEFT LEFT", "$-1\r\n", "_\r\n"},
		{"RPOPLPUSH nokey x", "$-1\r\n", "_\r\n"},
		{"LMPOP 2 nokey other LEFT", "*-1\r\n", "_\r\n"},
		{"LRANGE nokey 0 -1", "*0\r\n", "*0\r\n"},
		{"LMPOP 1 l RIGHT COUNT 2", "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n", ""},
	} {
		if got := rawDo(t, r2, tc.cmd); got != tc.resp2 {
			t.Errorf("RESP2 %s = %q, want %q", tc.cmd, got, tc.resp2)
		}
		if tc.rs3 == "" {
			continue
		}
		if got := rawDo(t, r3, tc.cmd); got != tc.rs3 {
			t.Errorf("RESP3 %s = %q, want %q", tc.cmd, got, tc.rs3)
		}
	}
}

// listLayout returns a list's head, count and the absolute indexes of its
// element records.
func listLayout(t *testing.T, h *harness, key string) (head, count uint64, idx []uint64) {
	t.Helper()
	s := h.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	co, wrong := s.ks.lookupColl(0, []byte(key), storage.TypeList, false)
	if wrong {
		t.Fatalf("%s is not a list", key)
	}
	if !co.exists {
		return 0, 0, nil
	}
	it := co.iter(nil, nil)
	for ok := it.First(); ok; ok = it.Next() {
		idx = append(idx, listAbs(co, it.Key()))
	}
	closeIter(it)
	return co.listHead(), co.m.Count, idx
}

// checkLayout verifies the records are exactly [head, head+count).
func checkLayout(t *testing.T, h *harness, key string) {
	t.Helper()
	head, count, idx := listLayout(t, h, key)
	if uint64(len(idx)) != count {
		t.Fatalf("%s: %d records, count %d", key, len(idx), count)
	}
	for i, x := range idx {
		if x != head+uint64(i) {
			t.Fatalf("%s: record %d at index %d, want %d (head %d)", key, i, x, head+uint64(i), head)
		}
	}
}

// unitWrites runs one command as its own unit and returns its reply, how
// many member records (puts and deletions) it wrote, and how many popped
// elements it deletes by range (listtrim.go).
func unitWrites(t *testing.T, h *harness, line string) (reply string, writes, trimmed int) {
	t.Helper()
	argv, _, _, err := resp.ReadCommand([]byte(line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 30, MaxMultibulkLen: 1 << 20, MaxInlineLen: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	c := h.client(1).sess
	s := h.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	c.out = c.out[:0]
	s.call(c, argv)
	n := 0
	for k := range s.ks.pending {
		if k[0] == storage.FamilyData {
			n++
		}
	}
	for _, spans := range s.ks.pendingTrims {
		for _, sp := range spans {
			trimmed += int(sp.hi - sp.lo)
		}
	}
	s.commitLocked()
	v, _, err := resp.ReadReply(c.out)
	if err != nil {
		t.Fatal(err)
	}
	c.out = c.out[:0]
	return v.String(), n, trimmed
}

// TestListCosts checks the work each command does on a 100-element list:
// the ends only for pushes and pops, the shorter side for LINSERT and
// LREM; elements that pops and LTRIM take off the ends go by range when
// they sit in the store alone, not by a deletion each.
func TestListCosts(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	var b strings.Builder
	b.WriteString("RPUSH l")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, " e%d", i)
	}
	h.client(1).do(t, b.String())
	head0, _, _ := listLayout(t, h, "l")
	for _, tc := range []struct {
		cmd    string
		reply  string
		writes int
		head   int64 // change of head
		trims  int
	}{
		{"LPUSH l a b", "(integer) 102", 2, -2, 0},
		{"RPUSH l z", "(integer) 103", 1, 0, 0},
		{"LPOP l", `"b"`, 0, 1, 1},
		{"RPOP l 2", `["z" "e99"]`, 0, 0, 2},
		{"LSET l 50 x", "OK", 1, 0, 0},
		{"LINDEX l 50", `"x"`, 0, 0, 0},
		// e2 is element 3: 3 elements shift left, plus the new one.
		{"LINSERT l BEFORE e2 new", "(integer) 101", 4, -1, 0},
		// e97 is element 99 of 0..100: inserting after it moves e98 up.
		{"LINSERT l AFTER e97 new2", "(integer) 102", 2, 0, 0},
		// Removing element 0 moves nothing: one deletion, head + 1.
		{"LREM l 1 a", "(integer) 1", 1, 1, 0},
		// e95 is element 96 of 0..100: 4 elements move down, the last
		// index is deleted.
		{"LREM l -1 e95", "(integer) 1", 5, 0, 0},
		{"LTRIM l 2 -3", "OK", 0, 2, 4},
		{"LRANGE l 0 1", `["new" "e2"]`, 0, 0, 0},
	} {
		before, _, _ := listLayout(t, h, "l")
		reply, writes, trims := unitWrites(t, h, tc.cmd)
		if reply != tc.reply {
			t.Errorf("%s: reply %s, want %s", tc.cmd, reply, tc.reply)
		}
		if writes != tc.writes || trims != tc.trims {
			t.Errorf("%s: %d member writes and %d trimmed, want %d and %d", tc.cmd, writes, trims, tc.writes, tc.trims)
		}
		after, _, _ := listLayout(t, h, "l")
		if int64(after-before) != tc.head {
			t.Errorf("%s: head moved by %d, want %d", tc.cmd, int64(after-before), tc.head)
		}
		checkLayout(t, h, "l")
	}
	if head, _, _ := listLayout(t, h, "l"); head == head0 {
		t.Errorf("head never moved")
	}
	// Emptying a list drops its version instead of deleting each record.
	if reply, writes, _ := unitWrites(t, h, "LTRIM l 1 0"); reply != "OK" || writes != 0 {
		t.Errorf("LTRIM to empty: %s with %d member writes", reply, writes)
	}
}

func TestListReadStats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	fc := h.client(1)
	fc.do(t, "RPUSH l a")
	fc.do(t, "SET s v")
	st := &h.srv.stats
	hits, misses := st.keyspaceHits, st.keyspaceMisses
	for _, cmd := range []string{"LLEN l", "LINDEX l 0", "LRANGE l 0 -1", "LPOS l a", "LLEN s"} {
		fc.do(t, cmd)
	}
	for _, cmd := range []string{"LLEN x", "LINDEX x 0", "LRANGE x 0 -1", "LPOS x a"} {
		fc.do(t, cmd)
	}
	// Writes do not count.
	fc.do(t, "LPUSH x a")
	fc.do(t, "LPOP l")
	if st.keyspaceHits-hits != 5 || st.keyspaceMisses-misses != 4 {
		t.Errorf("hits +%d misses +%d, want +5 and +4", st.keyspaceHits-hits, st.keyspaceMisses-misses)
	}
}

// listModel is the reference a random command sequence is checked against.
type listModel []string

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, " ") + "]"
}

func intReply(n int) string { return "(integer) " + strconv.Itoa(n) }

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// apply runs a command (on key "l") on the model and returns the reply
// Redis gives.
func (m *listModel) apply(argv []string) string {
	l := *m
	defer func() { *m = l }()
	norm := func(i int) int {
		if i < 0 {
			i += len(l)
		}
		return i
	}
	switch argv[0] {
	case "LPUSH":
		for _, v := range argv[2:] {
			l = append([]string{v}, l...)
		}
		return intReply(len(l))
	case "RPUSH":
		l = append(l, argv[2:]...)
		return intReply(len(l))
	case "LPOP", "RPOP":
		left := argv[0] == "LPOP"
		if len(l) == 0 {
			return "(nil)"
		}
		k := 1
		if len(argv) == 3 {
			k = atoi(argv[2])
			if k == 0 {
				return "[]"
			}
		}
		k = min(k, len(l))
		var out []string
		if left {
			out = slices.Clone(l[:k])
			l = l[k:]
		} else {
			out = slices.Clone(l[len(l)-k:])
			slices.Reverse(out)
			l = l[:len(l)-k]
		}
		if len(argv) == 3 {
			return quoteAll(out)
		}
		return strconv.Quote(out[0])
	case "LLEN":
		return intReply(len(l))
	case "LINDEX":
		i := norm(atoi(argv[2]))
		if i < 0 || i >= len(l) {
			return "(nil)"
		}
		return strconv.Quote(l[i])
	case "LSET":
		if len(l) == 0 {
			return "(error) " + errNoSuchKey
		}
		i := norm(atoi(argv[2]))
		if i < 0 || i >= len(l) {
			return "(error) " + errListIndexRange
		}
		l[i] = argv[3]
		return "OK"
	case "LINSERT":
		if len(l) == 0 {
			return intReply(0)
		}
		p := slices.Index(l, argv[3])
		if p < 0 {
			return intReply(-1)
		}
		if argv[2] == "AFTER" {
			p++
		}
		l = slices.Insert(l, p, argv[4])
		return intReply(len(l))
	case "LREM":
		n := atoi(argv[2])
		removed := 0
		if n >= 0 {
			var out []string
			for _, v := range l {
				if v == argv[3] && (n == 0 || removed < n) {
					removed++
					continue
				}
				out = append(out, v)
			}
			l = out
		} else {
			var out []string
			for i := len(l) - 1; i >= 0; i-- {
				if l[i] == argv[3] && removed < -n {
					removed++
					continue
				}
				out = append(out, l[i])
			}
			slices.Reverse(out)
			l = out
		}
		return intReply(removed)
	case "LTRIM", "LRANGE":
		s, e, ok := indexRange(int64(atoi(argv[2])), int64(atoi(argv[3])), int64(len(l)))
		if argv[0] == "LRANGE" {
			if !ok {
				return "[]"
			}
			return quoteAll(l[s : e+1])
		}
		if !ok {
			l = nil
		} else {
			l = slices.Clone(l[s : e+1])
		}
		return "OK"
	case "LMOVE":
		if len(l) == 0 {
			return "(nil)"
		}
		var v string
		if argv[3] == "LEFT" {
			v, l = l[0], l[1:]
		} else {
			v, l = l[len(l)-1], l[:len(l)-1]
		}
		if argv[4] == "LEFT" {
			l = append([]string{v}, l...)
		} else {
			l = append(l, v)
		}
		return strconv.Quote(v)
	case "LPOS":
		rank, count, maxlen := 1, -1, 0
		for j := 3; j < len(argv); j += 2 {
			switch argv[j] {
			case "RANK":
				rank = atoi(argv[j+1])
			case "COUNT":
				count = atoi(argv[j+1])
			case "MAXLEN":
				maxlen = atoi(argv[j+1])
			}
		}
		var order []int
		for i := range l {
			order = append(order, i)
		}
		if rank < 0 {
			slices.Reverse(order)
			rank = -rank
		}
		if maxlen > 0 && maxlen < len(order) {
			order = order[:maxlen]
		}
		var found []string
		seen := 0
		for _, i := range order {
			if l[i] != argv[2] {
				continue
			}
			seen++
			if seen < rank {
				continue
			}
			found = append(found, intReply(i))
			if count != 0 && len(found) == max(count, 1) {
				break
			}
		}
		if count == -1 {
			if len(found) == 0 {
				return "(nil)"
			}
			return found[0]
		}
		return "[" + strings.Join(found, " ") + "]"
	}
	panic("model: " + argv[0])
}

// randomListCommand picks a command on key "l" over a small alphabet, so
// pivots and LREM/LPOS matches are common.
func randomListCommand(rng *rand.Rand, n int) []string {
	elem := func() string { return string(rune('a' + rng.Intn(4))) }
	idx := func() string { return strconv.Itoa(rng.Intn(2*n+5) - n - 2) }
	switch rng.Intn(15) {
	case 0, 1:
		argv := []string{"LPUSH", "l"}
		for k := rng.Intn(3) + 1; k > 0; k-- {
			argv = append(argv, elem())
		}
		return argv
	case 2, 3:
		argv := []string{"RPUSH", "l"}
		for k := rng.Intn(4) + 1; k > 0; k-- {
			argv = append(argv, elem())
		}
		return argv
	case 4:
		if rng.Intn(2) == 0 {
			return []string{"LPOP", "l"}
		}
		return []string{"LPOP", "l", strconv.Itoa(rng.Intn(4))}
	case 5:
		if rng.Intn(2) == 0 {
			return []string{"RPOP", "l"}
		}
		return []string{"RPOP", "l", strconv.Itoa(rng.Intn(4))}
	case 6:
		return []string{"LINDEX", "l", idx()}
	case 7:
		return []string{"LSET", "l", idx(), elem()}
	case 8, 9:
		return []string{"LINSERT", "l", []string{"BEFORE", "AFTER"}[rng.Intn(2)], elem(), elem()}
	case 10:
		return []string{"LREM", "l", strconv.Itoa(rng.Intn(7) - 3), elem()}
	case 11:
		if rng.Intn(4) == 0 {
			return []string{"LTRIM", "l", idx(), idx()}
		}
		return []string{"LTRIM", "l", strconv.Itoa(rng.Intn(2)), strconv.Itoa(-1 - rng.Intn(2))}
	case 12:
		return []string{"LRANGE", "l", idx(), idx()}
	case 13:
		dirs := []string{"LEFT", "RIGHT"}
		return []string{"LMOVE", "l", "l", dirs[rng.Intn(2)], dirs[rng.Intn(2)]}
	default:
		argv := []string{"LPOS", "l", elem()}
		if rng.Intn(2) == 0 {
			r := rng.Intn(3) + 1
			if rng.Intn(2) == 0 {
				r = -r
			}
			argv = append(argv, "RANK", strconv.Itoa(r))
		}
		if rng.Intn(2) == 0 {
			argv = append(argv, "COUNT", strconv.Itoa(rng.Intn(3)))
		}
		if rng.Intn(2) == 0 {
			argv = append(argv, "MAXLEN", strconv.Itoa(rng.Intn(n+2)))
		}
		return argv
	}
}

// TestListAgainstModel plays random commands, several per unit (so
// iterators see writes of their own unit), on the memory store and on
// Pebble with the flusher running, and checks every reply, the whole
// list, and that the records are exactly [head, head+count).
func TestListAgainstModel(t *testing.T) {
	onBothStores(t, func(t *testing.T, h *harness) {
		fc := h.client(1)
		rng := rand.New(rand.NewSource(1))
		var model listModel
		for round := 0; round < 1000; round++ {
			var req []byte
			var want, cmds []string
			for k := rng.Intn(4) + 1; k > 0; k-- {
				argv := randomListCommand(rng, len(model))
				want = append(want, model.apply(argv))
				cmds = append(cmds, strings.Join(argv, " "))
				bs := make([][]byte, len(argv))
				for i, a := range argv {
					bs[i] = []byte(a)
				}
				req = append(req, encodeCommand(bs)...)
			}
			want = append(want, model.apply([]string{"LRANGE", "l", "0", "-1"}))
			cmds = append(cmds, "LRANGE l 0 -1")
			req = append(req, encodeCommand([][]byte{[]byte("LRANGE"), []byte("l"), []byte("0"), []byte("-1")})...)
			fc.sess.Data(req)
			fc.loop.run()
			fc.mu.Lock()
			buf := fc.buf
			fc.buf = nil
			fc.mu.Unlock()
			for i := range want {
				v, n, err := resp.ReadReply(buf)
				if err != nil || n == 0 {
					t.Fatalf("round %d: reply to %s unreadable", round, cmds[i])
				}
				buf = buf[n:]
				if got := v.String(); got != want[i] {
					t.Fatalf("round %d: %s = %s, want %s (model now %q)", round, cmds[i], got, want[i], model)
				}
			}
			checkLayout(t, h, "l")
			if exists := fc.do(t, "EXISTS l")[0]; exists != intReply(min(len(model), 1)) {
				t.Fatalf("round %d: EXISTS l = %s with %d elements", round, exists, len(model))
			}
		}
	})
}

// BenchmarkListCommands measures the benchmark-target paths (LPUSH, LPOP,
// LRANGE of 100 elements) through the whole command path on Pebble with
// the flusher running, next to SET and GET for scale.
func BenchmarkListCommands(b *testing.B) {
	t := &testing.T{}
	for _, cmd := range []string{"SET k xxx", "GET k", "LPUSH mylist xxx", "LPOP mylist", "LRANGE mylist 0 99"} {
		b.Run(strings.Fields(cmd)[0], func(b *testing.B) {
			st, err := pebble.Open(pebble.Options{Dir: b.TempDir(), CacheSize: 64 << 20, MemTableSize: 64 << 20, BloomBitsPerKey: 10})
			if err != nil {
				b.Fatal(err)
			}
			h := newHarnessOn(t, st)
			h.srv.ks.wb.start()
			defer func() {
				h.close()
				h.srv.ks.wb.stop()
				st.Close()
			}()
			fc := h.client(1)
			fc.loop = nil
			for _, setup := range []string{"SET k xxx", "RPUSH mylist xxx"} {
				req := encodeCommand(bytesFields(setup))
				for i := 0; i < 1000+b.N; i++ {
					fc.sess.Data(req)
				}
			}
			h.srv.ks.wb.drain()
			req := encodeCommand(bytesFields(cmd))
			fc.buf = fc.buf[:0]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fc.sess.Data(req)
				fc.buf = fc.buf[:0]
			}
		})
	}
}

func bytesFields(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}
