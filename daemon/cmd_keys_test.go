package daemon

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// keysDo runs one command on client 1 and returns the parsed reply.
func (h *harness) keysDo(t testing.TB, args ...string) resp.Value {
	t.Helper()
	fc := h.client(1)
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	fc.sess.Data(encodeCommand(argv))
	fc.mu.Lock()
	defer fc.mu.Unlock()
	v, n, err := resp.ReadReply(fc.buf)
	if err != nil || n == 0 || n != len(fc.buf) {
		t.Fatalf("%v: bad reply %q: %v", args, fc.buf, err)
	}
	fc.buf = fc.buf[:0]
	return v
}

// keysScan runs one SCAN call and returns the next cursor and the keys.
func (h *harness) keysScan(t *testing.T, cursor string, opts ...string) (string, []string) {
	t.Helper()
	v := h.keysDo(t, append([]string{"SCAN", cursor}, opts...)...)
	if len(v.Elems) != 2 {
		t.Fatalf("SCAN reply %v", v)
	}
	var keys []string
	for _, e := range v.Elems[1].Elems {
		keys = append(keys, string(e.Str))
	}
	return string(v.Elems[0].Str), keys
}

// keysScanAll iterates to the end and returns how often each key came back.
// between runs after every call (to change the keyspace or the cursor
// table).
func (h *harness) keysScanAll(t *testing.T, maxCalls int, between func(), opts ...string) (map[string]int, int) {
	t.Helper()
	seen := map[string]int{}
	cursor, calls := "0", 0
	for {
		next, keys := h.keysScan(t, cursor, opts...)
		calls++
		for _, k := range keys {
			seen[k]++
		}
		if next == "0" {
			return seen, calls
		}
		if calls > maxCalls {
			t.Fatalf("SCAN %v did not end after %d calls", opts, calls)
		}
		cursor = next
		if between != nil {
			between()
		}
	}
}

func TestScanIteratesEveryKeyOnce(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	const n = 1000
	for i := 0; i < n; i++ {
		h.keysDo(t, "SET", fmt.Sprintf("key:%04d", i), "v")
	}
	for _, count := range []string{"1", "7", "100", "5000"} {
		seen, calls := h.keysScanAll(t, 2*n, nil, "COUNT", count)
		if len(seen) != n {
			t.Fatalf("COUNT %s: %d distinct keys, want %d", count, len(seen), n)
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("COUNT %s: %s returned %d times", count, k, c)
			}
		}
		c, _ := strconv.Atoi(count)
		if want := (n + c - 1) / c; calls != want && calls != want+1 {
			t.Fatalf("COUNT %s: %d calls, want about %d", count, calls, want)
		}
	}
}

// Keys present for the whole iteration come back at least once, whatever
// happens to other keys meanwhile.
func TestScanGuaranteeUnderWrites(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	rng := rand.New(rand.NewPCG(5, 6))
	stable := map[string]bool{}
	for i := 0; i < 500; i++ {
		k := fmt.Sprintf("s%03d", i)
		stable[k] = true
		h.keysDo(t, "SET", k, "v")
		h.keysDo(t, "SET", fmt.Sprintf("s%03d-churn", i), "v")
	}
	churn := func() {
		for j := 0; j < 5; j++ {
			k := fmt.Sprintf("s%03d-churn", rng.IntN(500))
			if rng.IntN(2) == 0 {
				h.keysDo(t, "DEL", k)
			} else {
				h.keysDo(t, "SET", k, "v")
			}
			h.keysDo(t, "SET", fmt.Sprintf("new%d", rng.IntN(1e6)), "v")
		}
	}
	seen, _ := h.keysScanAll(t, 10000, churn, "COUNT", "5")
	for k := range stable {
		if seen[k] == 0 {
			t.Fatalf("stable key %s never returned", k)
		}
	}
}

// With every cursor evicted before its next use, the fallback still covers
// every key and still ends, even when all keys share their first four bytes
// and COUNT is 1.
func TestScanEvictedCursors(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	const n = 3000
	for i := 0; i < n; i++ {
		h.keysDo(t, "SET", fmt.Sprintf("sameprefix:%05d", i), "v")
	}
	forget := func() { h.srv.scans.reset() }
	seen, calls := h.keysScanAll(t, 200, forget, "COUNT", "1")
	if len(seen) != n {
		t.Fatalf("%d distinct keys, want %d", len(seen), n)
	}
	// Work doubles per fallback: a dozen calls cover 3000 keys.
	if calls > 20 {
		t.Fatalf("%d calls", calls)
	}
	// Occasional evictions cost a little repetition and no keys.
	i := 0
	sometimes := func() {
		if i++; i%3 == 0 {
			h.srv.scans.reset()
		}
	}
	seen, _ = h.keysScanAll(t, 5*n, sometimes, "COUNT", "10")
	if len(seen) != n {
		t.Fatalf("%d distinct keys, want %d", len(seen), n)
	}
}

func TestScanMatchAndType(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	for i := 0; i < 300; i++ {
		h.keysDo(t, "SET", fmt.Sprintf("a:%03d", i), "v")
		h.keysDo(t, "SET", fmt.Sprintf("b:%03d", i), "v")
		h.keysDo(t, "SET", fmt.Sprintf("c:%03d", i), "v")
	}
	keysPutList(t, h, 0, "b:list", 3)
	seen, calls := h.keysScanAll(t, 1000, nil, "MATCH", "b:*", "COUNT", "10")
	if len(seen) != 301 || seen["b:list"] != 1 || seen["a:000"] != 0 {
		t.Fatalf("MATCH b:*: %d keys", len(seen))
	}
	// Only the b: range is walked.
	if calls > 32 {
		t.Fatalf("MATCH b:* took %d calls", calls)
	}
	seen, _ = h.keysScanAll(t, 1000, nil, "MATCH", "*:1?0", "COUNT", "50")
	if len(seen) != 30 {
		t.Fatalf("MATCH *:1?0: %d keys, want 30", len(seen))
	}
	seen, _ = h.keysScanAll(t, 1000, nil, "TYPE", "list", "COUNT", "50")
	if len(seen) != 1 || seen["b:list"] != 1 {
		t.Fatalf("TYPE list: %v", seen)
	}
	seen, _ = h.keysScanAll(t, 1000, nil, "TYPE", "STRING", "COUNT", "50")
	if len(seen) != 900 {
		t.Fatalf("TYPE STRING: %d keys", len(seen))
	}
	// A cursor past the literal prefix ends the iteration.
	next, _ := h.keysScan(t, "0", "COUNT", "1")
	if next == "0" {
		t.Fatal("iteration ended after one key")
	}
	if next, keys := h.keysScan(t, next, "MATCH", "0*"); next != "0" || len(keys) != 0 {
		t.Fatalf("MATCH 0* from a:... cursor: %s %v", next, keys)
	}
}

func TestRandomKeyReachesEveryKey(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	keys := []string{"", "a", "b", "user:1", "user:2", "user:10", "\xff", "\x00x"}
	for i := 0; i < 20; i++ {
		keys = append(keys, fmt.Sprintf("k%02d", i))
	}
	for _, k := range keys {
		h.keysDo(t, "SET", k, "v")
	}
	seen := map[string]int{}
	for i := 0; i < 5000; i++ {
		seen[string(h.keysDo(t, "RANDOMKEY").Str)]++
	}
	for _, k := range keys {
		if seen[k] == 0 {
			t.Errorf("RANDOMKEY never returned %q in 5000 draws", k)
		}
	}
	if len(seen) != len(keys) {
		t.Errorf("RANDOMKEY returned %d distinct keys, want %d", len(seen), len(keys))
	}
}

// Numbered ids, the common case, are drawn uniformly.
func TestRandomKeyUniformOverIDs(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	for i := 0; i < 100; i++ {
		h.keysDo(t, "SET", fmt.Sprintf("id:%02d", i), "v")
	}
	seen := map[string]int{}
	for i := 0; i < 20000; i++ {
		seen[string(h.keysDo(t, "RANDOMKEY").Str)]++
	}
	// Each key expects 200 draws (standard deviation 14).
	for k, n := range seen {
		if n < 120 || n > 280 {
			t.Errorf("%s drawn %d times of 20000, expected about 200", k, n)
		}
	}
	if len(seen) != 100 {
		t.Errorf("%d distinct keys drawn", len(seen))
	}
}

// keysPutList writes a list key the way the list commands do: a meta record
// and count element records under its data prefix, from the first head
// on.
func keysPutList(t *testing.T, h *harness, db int, key string, count int) {
	t.Helper()
	s := h.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.ks.newVersionOf(storage.TypeList)
	m := storage.Meta{Type: storage.TypeList, Version: v, Count: uint64(count)}
	s.ks.Put(db, []byte(key), nil, &m)
	p := s.ks.physDB(db)
	for i := 0; i < count; i++ {
		s.ks.set(listSub(storage.DataPrefix(nil, p, []byte(key), v), listStartHead+uint64(i)), []byte(fmt.Sprintf("m%d", i)))
	}
	s.commitLocked()
}

// keysMembers lists the member records of every version of key.
func keysMembers(t *testing.T, h *harness, db int, key string) []string {
	t.Helper()
	s := h.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := storage.DataKeyPrefix(nil, s.ks.physDB(db), []byte(key))
	it := s.ks.iter(prefix, storage.PrefixEnd(prefix))
	defer it.Close()
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, string(it.Value()))
	}
	return out
}

// COPY and MOVE carry a collection's members along; RENAME leaves them
// where they are, under the name the meta record keeps (DataKey).
func TestKeyCommandsCopyMembers(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	keysPutList(t, h, 0, "L", 1500) // more than one copy chunk
	want := len(keysMembers(t, h, 0, "L"))
	if want != 1500 {
		t.Fatalf("%d members written", want)
	}
	expect := func(db int, key string, n int) {
		t.Helper()
		if got := len(keysMembers(t, h, db, key)); got != n {
			t.Fatalf("db %d key %q: %d member records, want %d", db, key, got, n)
		}
	}
	if got := h.keysDo(t, "TYPE", "L").String(); got != "list" {
		t.Fatalf("TYPE L = %s", got)
	}
	if got := h.keysDo(t, "OBJECT", "ENCODING", "L").String(); got != `"quicklist"` {
		t.Fatalf("OBJECT ENCODING L = %s", got)
	}
	h.keysDo(t, "EXPIRE", "L", "1000")
	if got := h.keysDo(t, "COPY", "L", "L2").Int; got != 1 {
		t.Fatalf("COPY = %d", got)
	}
	expect(0, "L", want)
	expect(0, "L2", want)
	if got := h.keysDo(t, "TTL", "L2").Int; got != 1000 {
		t.Fatalf("TTL L2 = %d", got)
	}
	h.keysDo(t, "RENAME", "L2", "L3")
	expect(0, "L2", want)
	expect(0, "L3", 0)
	llen := func(key string, n int64) {
		t.Helper()
		if got := h.keysDo(t, "LLEN", key).Int; got != n {
			t.Fatalf("LLEN %s = %d, want %d", key, got, n)
		}
	}
	llen("L3", 1500)
	// A new L2 takes a new version: neither sees the other's members, and
	// deleting it leaves L3's.
	h.keysDo(t, "RPUSH", "L2", "x")
	llen("L2", 1)
	h.keysDo(t, "RENAME", "L3", "L6") // the record still points at L2's name
	llen("L6", 1500)
	h.keysDo(t, "DEL", "L2")
	llen("L6", 1500)
	expect(0, "L2", want)
	h.keysDo(t, "RENAME", "L6", "L3")
	if got := h.keysDo(t, "MOVE", "L3", "1").Int; got != 1 {
		t.Fatalf("MOVE = %d", got)
	}
	expect(0, "L2", 0)
	expect(0, "L3", 0)
	expect(1, "L3", want)
	// REPLACE over an existing collection leaves no member of the old one.
	keysPutList(t, h, 1, "L4", 10)
	h.keysDo(t, "COPY", "L", "L4", "DB", "1", "REPLACE")
	expect(1, "L4", want)
	// Renaming back and forth within one unit leaves the members where
	// they were, and the record pointing nowhere else.
	h.srv.mu.Lock()
	c := &Client{srv: h.srv, proto: 2}
	cmdRename := h.srv.cmds.byName["rename"].fn
	cmdRename(c, [][]byte{[]byte("RENAME"), []byte("L"), []byte("L5")})
	cmdRename(c, [][]byte{[]byte("RENAME"), []byte("L5"), []byte("L")})
	h.srv.commitLocked()
	h.srv.mu.Unlock()
	expect(0, "L5", 0)
	expect(0, "L", want)
	if m, _ := strMeta(t, h, "L"); m.DataKey != nil {
		t.Fatalf("L renamed back still points at %q", m.DataKey)
	}
	// A string renamed over a collection drops its members.
	h.keysDo(t, "SET", "s", "v")
	h.keysDo(t, "RENAME", "s", "L")
	expect(0, "L", 0)
	if got := h.keysDo(t, "TYPE", "L").String(); got != "string" {
		t.Fatalf("TYPE L = %s", got)
	}
	h.keysDo(t, "SELECT", "1")
	h.keysDo(t, "DEL", "L3", "L4")
	expect(1, "L3", 0)
	expect(1, "L4", 0)
	if got := h.keysDo(t, "DBSIZE").Int; got != 0 {
		t.Fatalf("DBSIZE db 1 = %d", got)
	}
	h.keysDo(t, "SELECT", "0")
	if got := h.keysDo(t, "DBSIZE").Int; got != 1 {
		t.Fatalf("DBSIZE db 0 = %d", got)
	}
}

func TestObjectEncodingCollections(t *testing.T) {
	for _, tc := range []struct {
		typ   storage.Type
		count uint64
		want  string
	}{
		{storage.TypeList, 1, "quicklist"},
		{storage.TypeHash, 128, "listpack"},
		{storage.TypeHash, 129, "hashtable"},
		{storage.TypeZSet, 128, "listpack"},
		{storage.TypeZSet, 129, "skiplist"},
		{storage.TypeSet, 3, "intset"},
		{storage.TypeSet, 513, "hashtable"},
		{storage.TypeStream, 3, "stream"},
	} {
		m := storage.Meta{Type: tc.typ, Count: tc.count}
		if tc.count > 128 && tc.typ != storage.TypeSet || tc.count > 512 {
			m.Tail = []byte{1} // converted, as the commands record it
		}
		if got := objectEncoding(&m); got != tc.want {
			t.Errorf("%s with %d members: %s, want %s", tc.typ, tc.count, got, tc.want)
		}
	}
}

func TestKeysLiteralPrefixBoundary(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	for _, k := range []string{"ab", "ab\xff", "ab\xff\xff", "ac", "a", "b"} {
		h.keysDo(t, "SET", k, "v")
	}
	v := h.keysDo(t, "KEYS", "ab*")
	var got []string
	for _, e := range v.Elems {
		got = append(got, string(e.Str))
	}
	if strings.Join(got, ",") != "ab,ab\xff,ab\xff\xff" {
		t.Fatalf("KEYS ab* = %q", got)
	}
}
