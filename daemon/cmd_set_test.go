package daemon

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// setDo runs one command on client n and returns the parsed reply.
func (h *harness) setDo(t *testing.T, n int, args ...string) resp.Value {
	t.Helper()
	fc := h.client(n)
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	fc.sess.Data(encodeCommand(argv))
	h.loop.run()
	fc.mu.Lock()
	defer fc.mu.Unlock()
	v, m, err := resp.ReadReply(fc.buf)
	if err != nil || m == 0 || m != len(fc.buf) {
		t.Fatalf("%v: bad reply %q: %v", args, fc.buf, err)
	}
	fc.buf = fc.buf[:0]
	if v.Kind == resp.Error {
		t.Fatalf("%v: %s", args, v.Str)
	}
	return v
}

// setFill adds members in chunks (one SADD per chunk keeps lines short).
func (h *harness) setFill(t *testing.T, key string, members []string) {
	t.Helper()
	for i := 0; i < len(members); i += 500 {
		args := append([]string{"SADD", key}, members[i:min(i+500, len(members))]...)
		h.setDo(t, 1, args...)
	}
}

func setStrings(t *testing.T, v resp.Value) []string {
	t.Helper()
	if v.Kind != resp.Array && v.Kind != resp.Set {
		t.Fatalf("not an aggregate: %v", v)
	}
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		if e.Kind != resp.BulkString {
			t.Fatalf("element %v is not a bulk string", e)
		}
		out[i] = string(e.Str)
	}
	return out
}

func setNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func TestIntsetMember(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"0", true},
		{"1", true},
		{"-1", true},
		{"9223372036854775807", true},
		{"-9223372036854775808", true},
		{"9223372036854775808", false},
		{"-9223372036854775809", false},
		{"-0", false},
		{"01", false},
		{"+1", false},
		{" 1", false},
		{"1 ", false},
		{"1.0", false},
		{"", false},
		{"-", false},
		{"1e3", false},
		{"0x10", false},
	} {
		if got := intsetMember([]byte(tc.in)); got != tc.want {
			t.Errorf("intsetMember(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestSetRandomCommands checks SPOP and SRANDMEMBER on a small set (read
// whole) and a big one (drawn by seeks): counts, distinctness, membership,
// and what is left behind.
func TestSetRandomCommands(t *testing.T) {
	for _, size := range []int{5, 100, 1000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			h := newHarness(t)
			defer h.close()
			members := setNames("m:", size)
			h.setFill(t, "s", members)
			all := map[string]bool{}
			for _, m := range members {
				all[m] = true
			}
			for _, tc := range []struct {
				count    int
				want     int
				distinct bool
			}{
				{1, 1, true},
				{3, 3, true},
				{size / 3, size / 3, true},
				{size - 1, size - 1, true},
				{size, size, true},
				{size + 10, size, true},
				{-1, 1, false},
				{-7, 7, false},
				{-size * 2, size * 2, false},
			} {
				if tc.want == 0 {
					continue
				}
				v := h.setDo(t, 1, "SRANDMEMBER", "s", strconv.Itoa(tc.count))
				got := setStrings(t, v)
				if len(got) != tc.want {
					t.Fatalf("SRANDMEMBER %d: %d members", tc.count, len(got))
				}
				seen := map[string]bool{}
				for _, m := range got {
					if !all[m] {
						t.Fatalf("SRANDMEMBER %d: %q is not a member", tc.count, m)
					}
					if tc.distinct && seen[m] {
						t.Fatalf("SRANDMEMBER %d: %q twice", tc.count, m)
					}
					seen[m] = true
				}
			}
			one := h.setDo(t, 1, "SRANDMEMBER", "s")
			if !all[string(one.Str)] {
				t.Fatalf("SRANDMEMBER: %q", one.Str)
			}

			// SPOP: pop everything in pieces; each member exactly once.
			popped := map[string]bool{}
			left := size
			for _, n := range []int{1, 2, size / 10, size / 2} {
				if n == 0 || n > left {
					continue
				}
				v := h.setDo(t, 3, "SPOP", "s", strconv.Itoa(n))
				if v.Kind != resp.Array {
					t.Fatalf("SPOP count reply %v", v.Kind)
				}
				for _, m := range setStrings(t, v) {
					if !all[m] || popped[m] {
						t.Fatalf("SPOP %d: %q unexpected", n, m)
					}
					popped[m] = true
				}
				left -= n
				if got := h.setDo(t, 1, "SCARD", "s").Int; got != int64(left) {
					t.Fatalf("SCARD after SPOP %d: %d, want %d", n, got, left)
				}
			}
			if left > 0 {
				m := string(h.setDo(t, 1, "SPOP", "s").Str)
				if !all[m] || popped[m] {
					t.Fatalf("SPOP: %q unexpected", m)
				}
				popped[m] = true
				left--
			}
			h.client(2).sess.proto = 3
			rest := h.setDo(t, 2, "SPOP", "s", strconv.Itoa(size))
			if rest.Kind != resp.Set || len(rest.Elems) != left {
				t.Fatalf("final SPOP: %v with %d, want a set of %d", rest.Kind, len(rest.Elems), left)
			}
			for _, m := range setStrings(t, rest) {
				if popped[m] {
					t.Fatalf("%q popped twice", m)
				}
				popped[m] = true
			}
			if len(popped) != size {
				t.Fatalf("popped %d of %d", len(popped), size)
			}
			if h.setDo(t, 1, "EXISTS", "s").Int != 0 {
				t.Fatal("empty set still exists")
			}
		})
	}
}

// TestSetPopRebuildEncoding: SPOP leaving at most a fifth of the count
// makes Redis rebuild the set, with the encoding its remaining members
// call for (checked against Redis 7.0.15).
func TestSetPopRebuildEncoding(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	enc := func(k string) string { return string(h.setDo(t, 1, "OBJECT", "ENCODING", k).Str) }
	h.setFill(t, "h", setNames("", 600))
	h.setDo(t, 1, "SPOP", "h", "10")
	if e := enc("h"); e != "hashtable" {
		t.Fatalf("after SPOP 10 of 600: %s", e)
	}
	h.setDo(t, 1, "EXPIRE", "h", "100")
	h.setDo(t, 1, "SPOP", "h", "540")
	if e, n := enc("h"), h.setDo(t, 1, "SCARD", "h").Int; e != "intset" || n != 50 {
		t.Fatalf("after SPOP 540 of 590: %s, %d members", e, n)
	}
	if ttl := h.setDo(t, 1, "TTL", "h").Int; ttl != 100 {
		t.Fatalf("the rebuilt set lost its TTL: %d", ttl)
	}

	for _, tc := range []struct {
		pop  string
		want string
	}{
		{"9", "intset"},    // 1 left: 1*5 <= 9, rebuilt
		{"8", "hashtable"}, // 2 left: 2*5 > 8, popped in place
	} {
		h.setDo(t, 1, "DEL", "b")
		h.setDo(t, 1, "SADD", "b", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "x")
		h.setDo(t, 1, "SREM", "b", "x")
		h.setDo(t, 1, "SPOP", "b", tc.pop)
		if e := enc("b"); e != tc.want {
			t.Errorf("SPOP %s of 10: %s, want %s", tc.pop, e, tc.want)
		}
	}

	// Strings left over keep the hashtable.
	h.setFill(t, "w", setNames("w", 100))
	h.setDo(t, 1, "SPOP", "w", "99")
	if e := enc("w"); e != "hashtable" {
		t.Fatalf("strings: %s", e)
	}
	// A rebuilt remainder beyond set-max-intset-entries stays a hashtable.
	h.setDo(t, 1, "CONFIG", "SET", "set-max-intset-entries", "4")
	h.setFill(t, "c", setNames("", 60))
	h.setDo(t, 1, "SPOP", "c", "50")
	if e := enc("c"); e != "hashtable" {
		t.Fatalf("10 left over a limit of 4: %s", e)
	}
}

// TestSetPickerReachesEveryMember draws from a big set whose members share
// prefixes and include prefixes of each other, and expects every member to
// come up.
func TestSetPickerReachesEveryMember(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	// "k1" (one of the names) is a prefix of "k10".."k199" and of "k1\x00".
	members := append(setNames("k", 300), "", "k", "k1\x00", "k299z", "\xff", "\xff\xff", "z")
	h.setFill(t, "s", members)
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	co, wrong := h.srv.ks.lookupColl(0, []byte("s"), storage.TypeSet, false)
	if wrong || co.Len() != int64(len(members)) {
		t.Fatalf("lookup: wrong %v, len %d", wrong, co.Len())
	}
	p := newSetPicker(co)
	defer p.close()
	// The rarest members are "k299" and "k299z": 1/4 * 1/11 * 1/10 * 1/11
	// * 1/2 = 1/9680 a draw (see setPicker). 60000 draws missed one of
	// them in about 1 run in 150; 200000 draw each about 21 times, and
	// miss one with a probability near 1e-9.
	seen := map[string]int{}
	for range 200000 {
		m := p.pick()
		if m == nil {
			t.Fatal("pick returned nothing")
		}
		seen[string(m)]++
	}
	for _, m := range members {
		if seen[m] == 0 {
			t.Errorf("%q never drawn", m)
		}
	}
	if len(seen) != len(members) {
		t.Errorf("drew %d distinct members, the set has %d", len(seen), len(members))
	}
}

// TestSetPipelineSeesOwnWrites runs writes and reads of one set in a single
// read (one unit, not yet committed): iterators and random draws must see
// the unit's own additions and removals.
func TestSetPipelineSeesOwnWrites(t *testing.T) {
	for _, pebbleStore := range []bool{false, true} {
		var h *harness
		if pebbleStore {
			h = newPebbleHarness(t)
		} else {
			h = newHarness(t)
		}
		fc := h.client(1)
		h.setFill(t, "s", setNames("old", 200))
		var req []byte
		add := func(args ...string) {
			argv := make([][]byte, len(args))
			for i, a := range args {
				argv[i] = []byte(a)
			}
			req = append(req, encodeCommand(argv)...)
		}
		add(append([]string{"SREM", "s"}, setNames("old", 200)[:150]...)...)
		add(append([]string{"SADD", "s"}, setNames("new", 200)...)...)
		add("SRANDMEMBER", "s", "-50") // drawn by setPicker over the unit's writes
		add("SPOP", "s", "20")
		add("SMEMBERS", "s")
		add("SINTERSTORE", "d", "s", "s")
		add("SCARD", "d")
		fc.sess.Data(req)
		fc.mu.Lock()
		var replies []resp.Value
		for buf := fc.buf; len(buf) > 0; {
			v, n, err := resp.ReadReply(buf)
			if err != nil || n == 0 {
				t.Fatalf("bad reply %q: %v", buf, err)
			}
			replies = append(replies, v)
			buf = buf[n:]
		}
		fc.buf = fc.buf[:0]
		fc.mu.Unlock()
		if len(replies) != 7 {
			t.Fatalf("%d replies", len(replies))
		}
		live := map[string]bool{}
		for _, m := range append(setNames("old", 200)[150:], setNames("new", 200)...) {
			live[m] = true
		}
		for _, m := range setStrings(t, replies[2]) {
			if !live[m] {
				t.Fatalf("SRANDMEMBER drew %q", m)
			}
		}
		for _, m := range setStrings(t, replies[3]) {
			if !live[m] {
				t.Fatalf("SPOP popped %q", m)
			}
			delete(live, m)
		}
		members := setStrings(t, replies[4])
		if len(members) != 230 || len(live) != 230 {
			t.Fatalf("SMEMBERS: %d members, want 230 (%d live)", len(members), len(live))
		}
		for _, m := range members {
			if !live[m] {
				t.Fatalf("SMEMBERS has %q", m)
			}
		}
		if replies[5].Int != 230 || replies[6].Int != 230 {
			t.Fatalf("SINTERSTORE %v, SCARD %v", replies[5], replies[6])
		}
		h.close()
	}
}

// stepCountingStore counts iterator positioning calls, to check that set
// commands read only what they need.
type stepCountingStore struct {
	storage.Store
	steps *int
}

func (s stepCountingStore) NewIter(lower, upper []byte) (storage.Iterator, error) {
	it, err := s.Store.NewIter(lower, upper)
	if err != nil {
		return nil, err
	}
	return &stepCountingIter{Iterator: it, steps: s.steps}, nil
}

type stepCountingIter struct {
	storage.Iterator
	steps *int
}

func (it *stepCountingIter) First() bool          { *it.steps++; return it.Iterator.First() }
func (it *stepCountingIter) Next() bool           { *it.steps++; return it.Iterator.Next() }
func (it *stepCountingIter) SeekGE(k []byte) bool { *it.steps++; return it.Iterator.SeekGE(k) }

func TestSetInterReadsOnlyTheSmallestSet(t *testing.T) {
	steps := 0
	h := newHarnessOn(t, stepCountingStore{Store: memory.New(), steps: &steps})
	defer h.close()
	h.setFill(t, "big", setNames("m", 5000))
	h.setFill(t, "big2", setNames("m", 4000))
	h.setDo(t, 1, "SADD", "small", "m1", "m2", "m7", "nope")
	h.setDo(t, 1, "PING") // commit the unit

	for _, tc := range []struct {
		args     []string
		want     string
		maxSteps int
	}{
		{[]string{"SINTER", "big", "small", "big2"}, "[m1 m2 m7]", 10},
		{[]string{"SINTERCARD", "3", "big", "big2", "small"}, "3", 10},
		{[]string{"SINTERCARD", "2", "big2", "big", "LIMIT", "5"}, "5", 10},
		{[]string{"SDIFF", "small", "big"}, "[nope]", 10},
		{[]string{"SISMEMBER", "big", "m4999"}, "1", 0},
		{[]string{"SMISMEMBER", "big", "m1", "x"}, "[1 0]", 0},
	} {
		steps = 0
		v := h.setDo(t, 1, tc.args...)
		var got string
		if v.Kind == resp.Integer {
			got = strconv.FormatInt(v.Int, 10)
		} else if len(v.Elems) > 0 && v.Elems[0].Kind == resp.Integer {
			var ints []int64
			for _, e := range v.Elems {
				ints = append(ints, e.Int)
			}
			got = fmt.Sprint(ints)
		} else {
			s := setStrings(t, v)
			slices.Sort(s)
			got = fmt.Sprint(s)
		}
		if got != tc.want {
			t.Errorf("%v = %s, want %s", tc.args, got, tc.want)
		}
		if steps > tc.maxSteps {
			t.Errorf("%v took %d iterator steps, want at most %d", tc.args, steps, tc.maxSteps)
		}
	}
}

// TestSetScanBigSet pages through a hashtable set COUNT at a time and gets
// every member exactly once.
func TestSetScanBigSet(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	members := setNames("e", 1200)
	h.setFill(t, "s", members)
	seen := map[string]int{}
	cursor, calls := "0", 0
	for {
		v := h.setDo(t, 1, "SSCAN", "s", cursor, "COUNT", "100")
		calls++
		for _, m := range setStrings(t, v.Elems[1]) {
			seen[m]++
		}
		cursor = string(v.Elems[0].Str)
		if cursor == "0" {
			break
		}
		if calls > 100 {
			t.Fatal("SSCAN does not end")
		}
	}
	if calls < 10 {
		t.Errorf("a hashtable set came back in %d calls", calls)
	}
	for _, m := range members {
		if seen[m] != 1 {
			t.Fatalf("%q seen %d times", m, seen[m])
		}
	}
}

// TestSetStoreOverBigDestination replaces a big set by a STORE result: none
// of the old members may survive.
func TestSetStoreOverBigDestination(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.setFill(t, "d", setNames("old", 2000))
	h.setDo(t, 1, "SADD", "a", "x", "y")
	if n := h.setDo(t, 1, "SUNIONSTORE", "d", "a").Int; n != 2 {
		t.Fatalf("SUNIONSTORE: %d", n)
	}
	got := setStrings(t, h.setDo(t, 1, "SMEMBERS", "d"))
	slices.Sort(got)
	if fmt.Sprint(got) != "[x y]" {
		t.Fatalf("SMEMBERS after STORE: %v", got)
	}
	if h.setDo(t, 1, "SISMEMBER", "d", "old7").Int != 0 {
		t.Fatal("old member visible")
	}
}

// TestSetRandMemberHugeCountStopsAtOutputLimit: like Redis, a huge
// negative count stops once the reply passes the client's hard output
// limit, and the client is disconnected, instead of exhausting memory.
func TestSetRandMemberHugeCountStopsAtOutputLimit(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.setDo(t, 1, "SADD", "s", "a")
	h.setFill(t, "big", setNames("m", 1000))
	h.setDo(t, 1, "CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
	for _, key := range []string{"s", "big"} {
		fc := h.client(2)
		_, _, closeConn := fc.sess.Data(encodeCommand([][]byte{[]byte("SRANDMEMBER"), []byte(key), []byte("-9223372036854775807")}))
		if !closeConn {
			t.Fatalf("%s: connection kept open", key)
		}
		fc.mu.Lock()
		n := len(fc.buf)
		fc.buf = nil
		fc.mu.Unlock()
		if n > 4<<20 {
			t.Fatalf("%s: %d bytes written", key, n)
		}
		fc.sess.Closed(nil)
		delete(h.clients, 2)
	}
}

// TestSetKeyspaceStats: read commands count keyspace hits and misses as
// Redis 7.0.15's lookupKeyRead does (figures taken from a real server,
// one command at a time after CONFIG RESETSTAT).
func TestSetKeyspaceStats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.setDo(t, 1, "SADD", "a", "1", "2")
	h.setDo(t, 1, "SET", "str", "x")
	stat := func(name string) int64 {
		info := string(h.setDo(t, 1, "INFO", "stats").Str)
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, name+":"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		t.Fatalf("no %s in INFO", name)
		return 0
	}
	for _, tc := range []struct {
		cmd          string
		hits, misses int64
	}{
		{"SISMEMBER a 1", 1, 0},
		{"SISMEMBER nokey 1", 0, 1},
		{"SMISMEMBER a 1", 1, 0},
		{"SCARD str", 1, 0},
		{"SMEMBERS a", 1, 0},
		{"SRANDMEMBER a", 1, 0},
		{"SRANDMEMBER nokey 2", 0, 1},
		{"SINTER a nokey str", 2, 1},
		{"SUNIONSTORE d a nokey", 1, 1},
		{"SDIFF nokey a", 1, 1},
		{"SINTERCARD 2 a a", 2, 0},
		{"SSCAN a 0", 1, 0},
		{"SSCAN nokey 0", 0, 1},
		{"SSCAN a x", 0, 0},
		{"SADD a 3", 0, 0},
		{"SREM a 3", 0, 0},
		{"SMOVE a b 1", 0, 0},
		{"SPOP nokey", 0, 0},
		{"SPOP a 1", 1, 0},
		{"SRANDMEMBER a -1", 0, 1},
	} {
		h.setDo(t, 1, "CONFIG", "RESETSTAT")
		fc := h.client(1)
		fc.do(t, tc.cmd)
		if hits, misses := stat("keyspace_hits"), stat("keyspace_misses"); hits != tc.hits || misses != tc.misses {
			t.Errorf("%s: %d hits, %d misses; want %d, %d", tc.cmd, hits, misses, tc.hits, tc.misses)
		}
	}
}

// BenchmarkSAdd is redis-benchmark's SADD (one set, random members) through
// the whole dispatch path over the memory store.
func BenchmarkSAdd(b *testing.B) {
	h := newHarness(&testing.T{})
	defer h.close()
	fc := h.client(1)
	reqs := make([][]byte, 1000)
	for i := range reqs {
		reqs[i] = encodeCommand([][]byte{[]byte("SADD"), []byte("myset"), []byte("element:" + strconv.Itoa(i*7919%100000))})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fc.sess.Data(reqs[i%len(reqs)])
		fc.buf = fc.buf[:0]
	}
}
