package daemon

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

// strDo runs one command with binary-safe arguments on client 1 of h and
// returns its reply rendered like the scenario files.
func strDo(t *testing.T, h *harness, args ...string) string {
	t.Helper()
	return h.keysDo(t, args...).String()
}

// strPutType stores an empty collection of type typ under key, so type
// checks can be exercised before collection commands exist.
func strPutType(h *harness, key string, typ storage.Type) {
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	h.srv.ks.Put(0, []byte(key), nil, &storage.Meta{Type: typ, Version: 1, Count: 1})
	h.srv.commitLocked()
}

func strMeta(t *testing.T, h *harness, key string) (storage.Meta, bool) {
	t.Helper()
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	return h.srv.ks.Lookup(0, []byte(key))
}

func TestStringParseOptions(t *testing.T) {
	tests := []struct {
		args   string // after "SET k v" (isSet) or "GETEX k"
		isSet  bool
		flags  int
		expire string
		ok     bool
	}{
		{"", true, 0, "", true},
		{"NX", true, strNX, "", true},
		{"xx GET", true, strXX | strGet, "", true},
		{"NX GET", true, strNX | strGet, "", true},
		{"NX XX", true, 0, "", false},
		{"EX 10", true, strEX, "10", true},
		{"ex 10 EX 20", true, strEX, "20", true},
		{"PX 5 KEEPTTL", true, 0, "", false},
		{"KEEPTTL KEEPTTL", true, strKeepTTL, "", true},
		{"EXAT 1 PXAT 2", true, 0, "", false},
		{"PXAT", true, 0, "", false},
		{"PERSIST", true, 0, "", false},
		{"PERSIST", false, strPersist, "", true},
		{"PERSIST EX 1", false, 0, "", false},
		{"EX 1 PERSIST", false, 0, "", false},
		{"NX", false, 0, "", false},
		{"KEEPTTL", false, 0, "", false},
		{"GET", false, 0, "", false},
		{"pxat 7", false, strPXAT, "7", true},
	}
	for _, tt := range tests {
		argv := [][]byte{[]byte("set"), []byte("k"), []byte("v")}
		if !tt.isSet {
			argv = argv[:2]
		}
		for _, f := range strings.Fields(tt.args) {
			argv = append(argv, []byte(f))
		}
		flags, expire, ok := strParseOptions(argv, tt.isSet)
		if ok != tt.ok || (ok && (flags != tt.flags || string(expire) != tt.expire)) {
			t.Errorf("%q (set=%v): got flags=%b expire=%q ok=%v, want %b %q %v",
				tt.args, tt.isSet, flags, expire, ok, tt.flags, tt.expire, tt.ok)
		}
	}
}

func TestStringRange(t *testing.T) {
	tests := []struct {
		start, end, n int64
		lo, hi        int64
		ok            bool
	}{
		{0, -1, 5, 0, 4, true},
		{0, 100, 5, 0, 4, true},
		{-100, 1, 5, 0, 1, true},
		{3, 1, 5, 0, 0, false},
		{-1, -3, 5, 0, 0, false},
		{-3, -1, 5, 2, 4, true},
		{5, 10, 5, 0, 0, false},
		{0, -1, 0, 0, 0, false},
		{math.MinInt64, math.MaxInt64, 3, 0, 2, true},
		{-10, -8, 5, 0, 0, true},
	}
	for _, tt := range tests {
		lo, hi, ok := strRange(tt.start, tt.end, tt.n)
		if ok != tt.ok || (ok && (lo != tt.lo || hi != tt.hi)) {
			t.Errorf("strRange(%d, %d, %d) = %d, %d, %v; want %d, %d, %v",
				tt.start, tt.end, tt.n, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
}

func TestStringGrowZero(t *testing.T) {
	b := make([]byte, 2, 8)
	b[0], b[1] = 1, 2
	dirty := b[:8]
	dirty[5] = 9 // stale bytes past len must come back as zeros
	g := strGrowZero(b, 6)
	if string(g) != "\x01\x02\x00\x00\x00\x00" {
		t.Fatalf("in place: %q", g)
	}
	g = strGrowZero([]byte{7}, 3)
	if string(g) != "\x07\x00\x00" {
		t.Fatalf("reallocated: %q", g)
	}
	if g := strGrowZero([]byte{1, 2, 3}, 2); len(g) != 3 {
		t.Fatalf("shrunk: %q", g)
	}
}

func TestLCSCompute(t *testing.T) {
	tests := []struct {
		a, b    string
		min     uint64
		common  string
		matches []lcsMatch
	}{
		{"ohmytext", "mynewtext", 0, "mytext", []lcsMatch{{4, 7, 5, 8}, {2, 3, 0, 1}}},
		{"ohmytext", "mynewtext", 4, "mytext", []lcsMatch{{4, 7, 5, 8}}},
		{"", "abc", 0, "", nil},
		{"abc", "xyz", 0, "", nil},
		{"aaaa", "aa", 0, "aa", []lcsMatch{{2, 3, 0, 1}}},
	}
	for _, tt := range tests {
		r := lcsCompute([]byte(tt.a), []byte(tt.b), true, tt.min)
		if string(r.common) != tt.common || int(r.length) != len(tt.common) || fmt.Sprint(r.matches) != fmt.Sprint(tt.matches) {
			t.Errorf("lcs(%q, %q, %d) = %q %d %v; want %q %v", tt.a, tt.b, tt.min, r.common, r.length, r.matches, tt.common, tt.matches)
		}
		if r := lcsCompute([]byte(tt.a), []byte(tt.b), false, 0); r.common != nil || int(r.length) != len(tt.common) {
			t.Errorf("lcs length only (%q, %q) = %+v", tt.a, tt.b, r)
		}
	}
}

// TestStringWrongType checks every string command against a key of
// another type (collections do not exist yet, so the key is planted).
func TestStringWrongType(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	strPutType(h, "l", storage.TypeList)
	const wrong = "(error) " + errWrongType
	for _, cmd := range [][]string{
		{"GET", "l"}, {"GETSET", "l", "v"}, {"GETDEL", "l"}, {"GETEX", "l"}, {"GETEX", "l", "EX", "0"},
		{"SET", "l", "v", "GET"}, {"SET", "l", "v", "NX", "GET"}, {"APPEND", "l", "x"}, {"STRLEN", "l"},
		{"INCR", "l"}, {"DECR", "l"}, {"INCRBY", "l", "1"}, {"DECRBY", "l", "1"}, {"INCRBYFLOAT", "l", "1"},
		{"GETRANGE", "l", "0", "-1"}, {"SETRANGE", "l", "0", "x"}, {"SETRANGE", "l", "0", ""},
		{"SETBIT", "l", "0", "1"}, {"GETBIT", "l", "0"}, {"BITCOUNT", "l"}, {"BITCOUNT", "l", "0"},
		{"BITPOS", "l", "1"}, {"BITPOS", "l", "0", "x"}, {"BITOP", "AND", "d", "a", "l"}, {"BITOP", "NOT", "d", "l"},
		{"BITFIELD", "l", "GET", "u8", "0"}, {"BITFIELD", "l", "SET", "u8", "0", "1"}, {"BITFIELD", "l"},
		{"BITFIELD_RO", "l", "GET", "u8", "0"},
	} {
		if got := strDo(t, h, cmd...); got != wrong {
			t.Errorf("%q: %s", cmd, got)
		}
	}
	// Errors found before the key is looked at win over WRONGTYPE.
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"SET", "l", "v", "EX", "0", "GET"}, "(error) ERR invalid expire time in 'set' command"},
		{[]string{"SET", "l", "v", "FOO"}, "(error) " + errSyntax},
		{[]string{"GETEX", "l", "FOO"}, "(error) " + errSyntax},
		{[]string{"INCRBY", "l", "x"}, "(error) " + errNotInt},
		{[]string{"DECRBY", "l", "-9223372036854775808"}, "(error) ERR decrement would overflow"},
		{[]string{"GETRANGE", "l", "x", "1"}, "(error) " + errNotInt},
		{[]string{"SETRANGE", "l", "-1", "x"}, "(error) ERR offset is out of range"},
		{[]string{"SETBIT", "l", "0", "2"}, "(error) " + errBitValue},
		{[]string{"GETBIT", "l", "x"}, "(error) " + errBitOffset},
		{[]string{"BITPOS", "l", "2"}, "(error) ERR The bit argument must be 1 or 0."},
		{[]string{"BITOP", "NOT", "d", "l", "l"}, "(error) ERR BITOP NOT must be called with a single source key."},
		{[]string{"BITFIELD", "l", "GET", "u64", "0"}, "(error) " + errBitfieldType},
		{[]string{"BITFIELD_RO", "l", "SET", "u8", "0", "1"}, "(error) ERR BITFIELD_RO only supports the GET subcommand"},
		{[]string{"LCS", "l", "nosuch"}, "(error) ERR The specified keys must contain string values"},
		{[]string{"LCS", "nosuch", "l", "LEN"}, "(error) ERR The specified keys must contain string values"},
		{[]string{"MGET", "l", "nosuch"}, "[(nil) (nil)]"},
		{[]string{"MSETNX", "x", "1", "l", "2"}, "(integer) 0"},
		{[]string{"SET", "l", "v", "XX", "NX"}, "(error) " + errSyntax},
		{[]string{"SETNX", "l", "v"}, "(integer) 0"},
	} {
		if got := strDo(t, h, tc.cmd...); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.cmd, got, tc.want)
		}
	}
	if got := strDo(t, h, "GET", "x"); got != "(nil)" {
		t.Errorf("MSETNX set x despite an existing key: %s", got)
	}
	// Writers that replace the value overwrite any type.
	for _, cmd := range [][]string{
		{"SET", "l", "v"}, {"SETEX", "l", "10", "v"}, {"PSETEX", "l", "10000", "v"}, {"MSET", "l", "v"},
		{"SET", "l", "v", "XX"}, {"BITOP", "OR", "l", "src"},
	} {
		strPutType(h, "l", storage.TypeHash)
		strDo(t, h, "SET", "src", "v")
		strDo(t, h, cmd...)
		if got := strDo(t, h, "GET", "l"); got != `"v"` {
			t.Errorf("%q did not overwrite the hash: GET says %s", cmd, got)
		}
	}
	strPutType(h, "l", storage.TypeSet)
	if got := strDo(t, h, "BITOP", "AND", "l", "nosuch"); got != "(integer) 0" {
		t.Errorf("BITOP with an empty result: %s", got)
	}
	if _, ok := strMeta(t, h, "l"); ok {
		t.Errorf("BITOP with an empty result kept the set")
	}
}

// TestStringExpireAt checks the exact expiry each command stores.
func TestStringExpireAt(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	now := h.clock
	for _, tc := range []struct {
		cmds [][]string
		key  string
		want int64
	}{
		{[][]string{{"SET", "a", "v", "EX", "10"}}, "a", now + 10000},
		{[][]string{{"SET", "a", "v", "PX", "10"}}, "a", now + 10},
		{[][]string{{"SET", "a", "v", "EXAT", "4102444800"}}, "a", 4102444800000},
		{[][]string{{"SET", "a", "v", "PXAT", "4102444800123"}}, "a", 4102444800123},
		{[][]string{{"SET", "a", "v", "EX", "10"}, {"SET", "a", "w"}}, "a", 0},
		{[][]string{{"SET", "a", "v", "EX", "10"}, {"SET", "a", "w", "KEEPTTL"}}, "a", now + 10000},
		{[][]string{{"SET", "a", "v", "EX", "10"}, {"SET", "a", "w", "GET", "XX", "KEEPTTL"}}, "a", now + 10000},
		{[][]string{{"SET", "a", "v", "EX", "10"}, {"SET", "a", "w", "PX", "5"}}, "a", now + 5},
		{[][]string{{"SET", "a", "v", "EX", "10"}, {"SET", "a", "w", "NX", "PX", "5"}}, "a", now + 10000},
		{[][]string{{"SETEX", "a", "7", "v"}}, "a", now + 7000},
		{[][]string{{"PSETEX", "a", "7", "v"}}, "a", now + 7},
		{[][]string{{"SET", "a", "1", "EX", "10"}, {"INCR", "a"}, {"INCRBYFLOAT", "a", "0.5"}}, "a", now + 10000},
		{[][]string{{"SET", "a", "1", "EX", "10"}, {"APPEND", "a", "x"}, {"SETRANGE", "a", "5", "y"}}, "a", now + 10000},
		{[][]string{{"SET", "a", "1", "EX", "10"}, {"SETBIT", "a", "100", "1"}, {"BITFIELD", "a", "SET", "u8", "200", "1"}}, "a", now + 10000},
		{[][]string{{"SET", "a", "1", "EX", "10"}, {"GETSET", "a", "2"}}, "a", 0},
		{[][]string{{"SET", "a", "1", "EX", "10"}, {"MSET", "a", "2"}}, "a", 0},
		{[][]string{{"SET", "a", "1", "EX", "10"}, {"BITOP", "NOT", "a", "a"}}, "a", 0},
		{[][]string{{"SET", "a", "1"}, {"GETEX", "a", "EX", "3"}}, "a", now + 3000},
		{[][]string{{"SET", "a", "1"}, {"GETEX", "a", "PXAT", "4102444800000"}}, "a", 4102444800000},
		{[][]string{{"SET", "a", "1", "EX", "10"}, {"GETEX", "a", "PERSIST"}}, "a", 0},
		{[][]string{{"SET", "a", "1", "EX", "10"}, {"GETEX", "a"}}, "a", now + 10000},
	} {
		strDo(t, h, "GETDEL", tc.key)
		for _, cmd := range tc.cmds {
			if got := strDo(t, h, cmd...); strings.HasPrefix(got, "(error)") {
				t.Fatalf("%q: %s", cmd, got)
			}
		}
		m, ok := strMeta(t, h, tc.key)
		if !ok || m.ExpireAt != tc.want {
			t.Errorf("%q: expireAt %d (found %v), want %d", tc.cmds, m.ExpireAt, ok, tc.want)
		}
	}
	// The expiry index and counters follow: DBSIZE-style counts come from
	// the keyspace.
	h.srv.mu.Lock()
	expires := h.srv.ks.Expires(0)
	h.srv.mu.Unlock()
	if expires != 1 {
		t.Errorf("expires count %d, want 1", expires)
	}
}

func TestStringKeyspaceStats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	strDo(t, h, "SET", "a", "1")
	strDo(t, h, "GET", "a")
	strDo(t, h, "GET", "nosuch")
	strDo(t, h, "MGET", "a", "a", "nosuch")
	strDo(t, h, "INCR", "a") // a write lookup: not counted
	st := h.srv.stats
	if st.keyspaceHits != 3 || st.keyspaceMisses != 2 {
		t.Errorf("hits %d misses %d, want 3 and 2", st.keyspaceHits, st.keyspaceMisses)
	}
}

func TestStringMaxLength(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.srv.cfg.ProtoMaxBulkLen = 1 << 20
	const tooLong = "(error) " + errStringTooLong
	strDo(t, h, "SET", "s", strings.Repeat("x", 1<<20-1))
	if got := strDo(t, h, "APPEND", "s", "yy"); got != tooLong {
		t.Errorf("APPEND past the limit: %s", got)
	}
	if got := strDo(t, h, "APPEND", "s", "y"); got != "(integer) 1048576" {
		t.Errorf("APPEND up to the limit: %s", got)
	}
	if got := strDo(t, h, "SETRANGE", "n", "1048576", "x"); got != tooLong {
		t.Errorf("SETRANGE past the limit: %s", got)
	}
	if got := strDo(t, h, "SETBIT", "n", strconv.Itoa(8<<20), "1"); got != "(error) "+errBitOffset {
		t.Errorf("SETBIT past the limit: %s", got)
	}
	if got := strDo(t, h, "LCS", "s", "s"); got != "(error) ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len" {
		t.Errorf("LCS past the limit: %s", got)
	}
}

// strDiff runs the commands gen produces on Redoubt and on a real Redis
// (started by startDiffRedis; skipped without one) and fails on the first
// reply that differs.
func strDiff(t *testing.T, n int, gen func(r *rand.Rand) []string) {
	redis := needDiffRedis(t)
	h := newHarness(t)
	defer h.close()
	seed := diffSeedFromEnv()
	r := rand.New(rand.NewSource(seed))
	var history []string
	for i := 0; i < n; i++ {
		cmd := gen(r)
		history = append(history, fmt.Sprintf("%q", cmd))
		want, got := redis.do(t, cmd, ordered), strDo(t, h, cmd...)
		if want != got {
			if len(history) > 20 {
				history = history[len(history)-20:]
			}
			t.Fatalf("seed %d: %q\nredis:   %s\nredoubt: %s\nlast commands:\n%s", seed, cmd, want, got, strings.Join(history, "\n"))
		}
	}
}

func strDiffKey(r *rand.Rand) string { return "k" + strconv.Itoa(r.Intn(4)) }

// strDiffValue favours bytes that make bit patterns interesting.
func strDiffValue(r *rand.Rand, maxLen int) string {
	b := make([]byte, r.Intn(maxLen+1))
	for i := range b {
		switch r.Intn(4) {
		case 0:
			b[i] = 0
		case 1:
			b[i] = 0xff
		case 2:
			b[i] = "abc"[r.Intn(3)]
		default:
			b[i] = byte(r.Intn(256))
		}
	}
	return string(b)
}

func strDiffInt(r *rand.Rand, span int) string {
	switch r.Intn(12) {
	case 0:
		return strconv.FormatInt(math.MaxInt64-int64(r.Intn(3)), 10)
	case 1:
		return strconv.FormatInt(math.MinInt64+int64(r.Intn(3)), 10)
	}
	return strconv.Itoa(r.Intn(2*span+1) - span)
}

func TestStringDifferential(t *testing.T) {
	strDiff(t, 20000, func(r *rand.Rand) []string {
		k := strDiffKey(r)
		switch r.Intn(14) {
		case 0:
			return []string{"SET", k, strDiffValue(r, 12)}
		case 1:
			return []string{"SET", k, strDiffInt(r, 100)}
		case 2:
			return []string{"GETRANGE", k, strDiffInt(r, 15), strDiffInt(r, 15)}
		case 3:
			return []string{"SETRANGE", k, strconv.Itoa(r.Intn(20)), strDiffValue(r, 4)}
		case 4:
			return []string{"APPEND", k, strDiffValue(r, 4)}
		case 5:
			return []string{"INCRBY", k, strDiffInt(r, 1000)}
		case 6:
			return []string{"DECRBY", k, strDiffInt(r, 1000)}
		case 7:
			return []string{"INCRBYFLOAT", k, strDiffFloat(r)}
		case 8:
			return []string{"SET", k, strDiffFloat(r)}
		case 9:
			cmd := []string{"LCS", k, strDiffKey(r)}
			for _, opt := range []string{"LEN", "IDX", "WITHMATCHLEN"} {
				if r.Intn(3) == 0 {
					cmd = append(cmd, opt)
				}
			}
			if r.Intn(3) == 0 {
				cmd = append(cmd, "MINMATCHLEN", strconv.Itoa(r.Intn(5)-1))
			}
			return cmd
		case 10:
			return []string{"SET", k, strDiffText(r)}
		case 11:
			return []string{"GETDEL", k}
		case 12:
			return []string{"STRLEN", k}
		default:
			return []string{"GET", k}
		}
	})
}

// strDiffText is a short string over a small alphabet (for LCS).
func strDiffText(r *rand.Rand) string {
	b := make([]byte, r.Intn(12))
	for i := range b {
		b[i] = "abcd"[r.Intn(4)]
	}
	return string(b)
}

func strDiffFloat(r *rand.Rand) string {
	switch r.Intn(6) {
	case 0:
		return strconv.FormatFloat(r.NormFloat64()*1e6, 'f', r.Intn(8), 64)
	case 1:
		return strconv.FormatFloat(r.NormFloat64(), 'e', r.Intn(20), 64)
	case 2:
		return strconv.Itoa(r.Intn(2000) - 1000)
	case 3:
		return "0." + strconv.Itoa(r.Intn(1000))
	case 4:
		return strconv.FormatFloat(r.NormFloat64()*1e17, 'f', -1, 64)
	}
	return strconv.FormatFloat(r.Float64()*10, 'g', -1, 64)
}

// strBench runs one pre-encoded command through the whole dispatch path
// (parse, table lookup, handler, batch commit) over the memory store, after
// an optional setup command.
func strBench(b *testing.B, setup []string, args ...string) {
	hashBench(b, func(h *harness) {
		if len(setup) > 0 {
			h.client(1).do(&testing.T{}, quoteLine(setup))
		}
	}, args...)
}

func BenchmarkStringGet(b *testing.B) {
	strBench(b, []string{"SET", "key:000001", "xxx"}, "GET", "key:000001")
}

func BenchmarkStringSet(b *testing.B) {
	strBench(b, nil, "SET", "key:000001", "xxx")
}

func BenchmarkStringSetEX(b *testing.B) {
	strBench(b, nil, "SET", "key:000001", "xxx", "EX", "100")
}

func BenchmarkStringIncr(b *testing.B) {
	strBench(b, nil, "INCR", "counter:000001")
}

func BenchmarkStringMSet(b *testing.B) {
	args := []string{"MSET"}
	for i := 0; i < 10; i++ {
		args = append(args, "key:00000"+strconv.Itoa(i), "xxx")
	}
	strBench(b, nil, args...)
}

// TestStringRESP3Wire checks the bytes where RESP2 and RESP3 differ but the
// scenario rendering does not show it (null bulk vs RESP3 null).
func TestStringRESP3Wire(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	fc := h.client(1)
	raw := func(args ...string) string {
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		fc.sess.Data(encodeCommand(argv))
		out := string(fc.buf)
		fc.buf = fc.buf[:0]
		return out
	}
	raw("SET", "a", "x")
	for _, proto := range []int{2, 3} {
		fc.sess.proto = proto
		null := "$-1\r\n"
		if proto == 3 {
			null = "_\r\n"
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"GET", "nosuch"}, null},
			{[]string{"MGET", "nosuch", "a"}, "*2\r\n" + null + "$1\r\nx\r\n"},
			{[]string{"SET", "a", "y", "NX"}, null},
			{[]string{"SET", "new" + strconv.Itoa(proto), "y", "GET"}, null},
			{[]string{"GETEX", "nosuch"}, null},
			{[]string{"BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"}, "*1\r\n" + null},
		} {
			if got := raw(tc.args...); got != tc.want {
				t.Errorf("RESP%d %q: %q, want %q", proto, tc.args, got, tc.want)
			}
		}
		wantMap := "*4\r\n"
		if proto == 3 {
			wantMap = "%2\r\n"
		}
		if got := raw("LCS", "a", "a", "IDX"); !strings.HasPrefix(got, wantMap+"$7\r\nmatches\r\n") {
			t.Errorf("RESP%d LCS IDX: %q", proto, got)
		}
	}
}

// A big value passes through the keyspace's reused buffers; they must not
// keep its size once the command is done (a 100 MB SET pinned 95 MB).
func TestBigValueReleasesBuffers(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	big := strings.Repeat("x", 1<<20)
	strDo(t, h, "SET", "big", big)
	strDo(t, h, "APPEND", "big", "y")
	if got := strDo(t, h, "STRLEN", "big"); got != "(integer) 1048577" {
		t.Fatalf("STRLEN = %s", got)
	}
	ks := h.srv.ks
	for name, b := range map[string][]byte{"valBuf": ks.valBuf, "keyBuf": ks.keyBuf, "expBuf": ks.expBuf} {
		if cap(b) > keyspaceBufKeep {
			t.Errorf("%s keeps %d bytes after the command", name, cap(b))
		}
	}
}
