package daemon

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage/pebble"
)

// hashDo sends one command (binary-safe arguments) on client 1 and returns
// its parsed reply.
func hashDo(t testing.TB, h *harness, args ...string) resp.Value {
	t.Helper()
	return h.keysDo(t, args...)
}

// hashFill creates key with n fields "f:<i>" = "v:<i>", in batches.
func hashFill(t testing.TB, h *harness, key string, n int) {
	t.Helper()
	for i := 0; i < n; i += 500 {
		args := []string{"HSET", key}
		for j := i; j < n && j < i+500; j++ {
			args = append(args, fmt.Sprintf("f:%06d", j), fmt.Sprintf("v:%06d", j))
		}
		hashDo(t, h, args...)
	}
}

// TestHashRandFieldShapes checks HRANDFIELD's reply shape, sizes,
// uniqueness and field/value pairing, for a listpack-sized hash (read
// whole) and a big one (random descents), in RESP2 and RESP3.
func TestHashRandFieldShapes(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	hashFill(t, h, "small", 10)
	hashFill(t, h, "big", 3000)
	valueOf := func(field string) string { return "v:" + strings.TrimPrefix(field, "f:") }
	tests := []struct {
		key        string
		count      int // 0: no count argument
		withValues bool
		wantLen    int
		unique     bool
	}{
		{"small", 0, false, 1, true},
		{"small", 1, false, 1, true},
		{"small", 5, false, 5, true},
		{"small", 10, true, 10, true},
		{"small", 50, true, 10, true},
		{"small", -5, false, 5, false},
		{"small", -50, true, 50, false},
		{"big", 0, false, 1, true},
		{"big", 1, true, 1, true},
		{"big", 7, false, 7, true},    // few of many: distinct draws
		{"big", 100, true, 100, true}, // few of many: distinct draws
		{"big", 1500, false, 1500, true},
		{"big", 2999, true, 2999, true},
		{"big", 3000, false, 3000, true},
		{"big", 5000, true, 3000, true},
		{"big", -20, true, 20, false},
		{"big", -4000, false, 4000, false},
	}
	for _, proto := range []int{2, 3} {
		h.client(1).sess.proto = proto
		for _, tc := range tests {
			args := []string{"HRANDFIELD", tc.key}
			if tc.count != 0 {
				args = append(args, strconv.Itoa(tc.count))
			}
			if tc.withValues {
				args = append(args, "WITHVALUES")
			}
			name := fmt.Sprintf("RESP%d %v", proto, args)
			v := hashDo(t, h, args...)
			var fields []string
			switch {
			case tc.count == 0:
				if v.Kind != resp.BulkString {
					t.Fatalf("%s: %v, want a bulk string", name, v)
				}
				fields = []string{string(v.Str)}
			case tc.withValues && proto == 3:
				for _, pair := range v.Elems {
					if pair.Kind != resp.Array || len(pair.Elems) != 2 {
						t.Fatalf("%s: element %v, want a [field value] pair", name, pair)
					}
					f := string(pair.Elems[0].Str)
					if got := string(pair.Elems[1].Str); got != valueOf(f) {
						t.Fatalf("%s: field %q came with %q", name, f, got)
					}
					fields = append(fields, f)
				}
			case tc.withValues:
				if len(v.Elems)%2 != 0 {
					t.Fatalf("%s: odd flat reply of %d", name, len(v.Elems))
				}
				for i := 0; i < len(v.Elems); i += 2 {
					f := string(v.Elems[i].Str)
					if got := string(v.Elems[i+1].Str); got != valueOf(f) {
						t.Fatalf("%s: field %q came with %q", name, f, got)
					}
					fields = append(fields, f)
				}
			default:
				for _, e := range v.Elems {
					if e.Kind != resp.BulkString {
						t.Fatalf("%s: element %v, want a bulk string", name, e)
					}
					fields = append(fields, string(e.Str))
				}
			}
			if tc.count != 0 && v.Kind != resp.Array {
				t.Fatalf("%s: %v is not an array", name, v)
			}
			if len(fields) != tc.wantLen {
				t.Fatalf("%s: %d fields, want %d", name, len(fields), tc.wantLen)
			}
			seen := map[string]bool{}
			for _, f := range fields {
				if !strings.HasPrefix(f, "f:") {
					t.Fatalf("%s: unknown field %q", name, f)
				}
				if seen[f] && tc.unique {
					t.Fatalf("%s: field %q twice", name, f)
				}
				seen[f] = true
			}
			if !tc.unique && tc.wantLen >= 50 && len(seen) < 2 {
				t.Fatalf("%s: every draw gave %v", name, fields[0])
			}
		}
	}
}

// TestHashRandFieldSpread checks that random draws on a big hash reach
// (nearly) every field and favour none grossly: field names spread evenly,
// as numbered ids are, make the trie descent uniform.
func TestHashRandFieldSpread(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	const n = 600
	hashFill(t, h, "big", n)
	counts := map[string]int{}
	const draws = 24000
	for i := 0; i < draws; i += 4000 {
		for _, e := range hashDo(t, h, "HRANDFIELD", "big", "-4000").Elems {
			counts[string(e.Str)]++
		}
	}
	if len(counts) < n*95/100 {
		t.Fatalf("%d distinct fields in %d draws over %d", len(counts), draws, n)
	}
	for f, c := range counts {
		if c > 8*draws/n {
			t.Fatalf("field %s drawn %d times in %d (expected about %d)", f, c, draws, draws/n)
		}
	}
}

// TestHashRandFieldSkewed builds a big hash whose names make the trie
// descent heavily skewed (a chain: each level ends one field and continues
// with the rest), so distinct draws cannot find enough fields by drawing:
// the fallback pass must complete the reply, distinct and in bounds.
func TestHashRandFieldSkewed(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	args := []string{"HSET", "chain"}
	for i := 0; i < 900; i++ {
		args = append(args, strings.Repeat("b", i)+"a", strconv.Itoa(i))
	}
	hashDo(t, h, args...)
	v := hashDo(t, h, "HRANDFIELD", "chain", "299")
	seen := map[string]bool{}
	for _, e := range v.Elems {
		if seen[string(e.Str)] {
			t.Fatalf("field %q twice", e.Str)
		}
		seen[string(e.Str)] = true
	}
	if len(seen) != 299 {
		t.Fatalf("%d fields, want 299", len(seen))
	}
}

// TestHashRandFieldOutputLimit: a negative count asks for any number of
// fields; the reply stops, and the client is closed, once it passes the
// hard output limit.
func TestHashRandFieldOutputLimit(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	hashDo(t, h, "HSET", "h", "a", "1")
	hashDo(t, h, "CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
	fc := h.client(1)
	fc.sess.Data(encodeCommand([][]byte{[]byte("HRANDFIELD"), []byte("h"), []byte("-9223372036854775807")}))
	if !fc.sess.closeASAP {
		t.Fatal("client not closed")
	}
	if len(fc.buf) > 2<<20 {
		t.Fatalf("%d bytes sent", len(fc.buf))
	}
}

// TestHashBigScan walks hashtable hashes with HSCAN: every field comes back
// exactly once, COUNT at a time, also while fields are added and removed
// between calls (fields present throughout must all be seen).
func TestHashBigScan(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	hashFill(t, h, "big", 1200)
	if v := hashDo(t, h, "OBJECT", "ENCODING", "big"); string(v.Str) != "hashtable" {
		t.Fatalf("encoding %v", v)
	}
	scan := func(count string, between func(step int)) map[string]int {
		seen := map[string]int{}
		cursor := "0"
		for step := 0; ; step++ {
			v := hashDo(t, h, "HSCAN", "big", cursor, "COUNT", count)
			cursor = string(v.Elems[0].Str)
			items := v.Elems[1].Elems
			if n, _ := strconv.Atoi(count); len(items) > 2*n {
				t.Fatalf("%d items for COUNT %s", len(items)/2, count)
			}
			for i := 0; i < len(items); i += 2 {
				f, val := string(items[i].Str), string(items[i+1].Str)
				if !strings.HasPrefix(val, "v:") && val != "new" {
					t.Fatalf("field %s value %s", f, val)
				}
				seen[f]++
			}
			if cursor == "0" {
				return seen
			}
			if between != nil {
				between(step)
			}
		}
	}
	seen := scan("100", nil)
	if len(seen) != 1200 {
		t.Fatalf("%d fields seen", len(seen))
	}
	for f, n := range seen {
		if n != 1 {
			t.Fatalf("field %s seen %d times", f, n)
		}
	}
	seen = scan("37", func(step int) {
		hashDo(t, h, "HSET", "big", fmt.Sprintf("new:%d", step), "new")
		hashDo(t, h, "HDEL", "big", fmt.Sprintf("f:%06d", 1199-step))
	})
	for i := 0; i < 1200-40; i++ {
		if seen[fmt.Sprintf("f:%06d", i)] == 0 {
			t.Fatalf("f:%06d, present throughout, was not returned", i)
		}
	}
	// MATCH filters what a step returns, not how far it goes.
	v := hashDo(t, h, "HSCAN", "big", "0", "MATCH", "f:00000?", "COUNT", "2000")
	if string(v.Elems[0].Str) != "0" || len(v.Elems[1].Elems) != 20 {
		t.Fatalf("MATCH: %v", v)
	}
}

// TestHashPipeline runs writes and reads of one hash in a single read of
// the connection: later commands see the unit's uncommitted writes, also
// through iterators.
func TestHashPipeline(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	hashFill(t, h, "p", 600) // stored, and big
	var req []byte
	for _, cmd := range [][]string{
		{"HSET", "p", "f:000001", "changed", "zz", "new"},
		{"HDEL", "p", "f:000002", "f:000003"},
		{"HLEN", "p"},
		{"HGET", "p", "f:000001"},
		{"HEXISTS", "p", "f:000002"},
		{"HGETALL", "p"},
		{"HSET", "fresh", "a", "1", "b", "2"},
		{"HDEL", "fresh", "a"},
		{"HKEYS", "fresh"},
	} {
		argv := make([][]byte, len(cmd))
		for i, a := range cmd {
			argv[i] = []byte(a)
		}
		req = append(req, encodeCommand(argv)...)
	}
	fc := h.client(1)
	fc.sess.Data(req)
	var replies []resp.Value
	for buf := fc.buf; len(buf) > 0; {
		v, n, err := resp.ReadReply(buf)
		if err != nil || n == 0 {
			t.Fatal(err)
		}
		replies = append(replies, v)
		buf = buf[n:]
	}
	fc.buf = fc.buf[:0]
	want := []string{"(integer) 1", "(integer) 2", "(integer) 599", `"changed"`, "(integer) 0"}
	for i, w := range want {
		if replies[i].String() != w {
			t.Errorf("reply %d: %s, want %s", i, replies[i], w)
		}
	}
	all := replies[5].Elems
	if len(all) != 2*599 {
		t.Fatalf("HGETALL: %d items", len(all))
	}
	got := map[string]string{}
	for i := 0; i < len(all); i += 2 {
		got[string(all[i].Str)] = string(all[i+1].Str)
	}
	if got["f:000001"] != "changed" || got["zz"] != "new" || len(got) != 599 {
		t.Fatalf("HGETALL: %v", got)
	}
	if _, ok := got["f:000003"]; ok {
		t.Fatal("deleted field returned")
	}
	if s := replies[8].String(); s != `["b"]` {
		t.Fatalf("HKEYS fresh: %s", s)
	}
}

// TestHashDirtyCount: the write counter (rdb_changes_since_last_save) moves
// as Redis's server.dirty does for each command (measured on 7.0.15).
func TestHashDirtyCount(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	steps := []struct {
		args []string
		add  int64
	}{
		{[]string{"HSET", "h", "a", "1", "b", "2"}, 2},
		{[]string{"HSET", "h", "a", "1"}, 1},
		{[]string{"HDEL", "h", "a", "b", "c"}, 2},
		{[]string{"HSETNX", "h", "a", "1"}, 1},
		{[]string{"HSETNX", "h", "a", "1"}, 0},
		{[]string{"HINCRBY", "h", "a", "1"}, 1},
		{[]string{"HINCRBYFLOAT", "h", "a", "1"}, 1},
		{[]string{"HINCRBY", "h", "a", "x"}, 0},
		{[]string{"HDEL", "h", "x"}, 0},
		{[]string{"HMSET", "h", "a", "1", "b", "2", "c", "3"}, 3},
		{[]string{"HGET", "h", "a"}, 0},
	}
	for _, s := range steps {
		before := h.srv.ks.Changes()
		hashDo(t, h, s.args...)
		if got := h.srv.ks.Changes() - before; got != s.add {
			t.Errorf("%q: %d changes, want %d", s.args, got, s.add)
		}
	}
}

// TestHashKeyspaceStats: reads count keyspace hits and misses like
// lookupKeyRead (a key of the wrong type is a hit); writes do not.
func TestHashKeyspaceStats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	hashDo(t, h, "HSET", "h", "a", "1")
	hashDo(t, h, "SET", "s", "v")
	h.srv.stats.keyspaceHits, h.srv.stats.keyspaceMisses = 0, 0
	for _, args := range [][]string{
		{"HGET", "h", "a"}, {"HGET", "h", "nofield"}, {"HGET", "nosuch", "a"},
		{"HLEN", "s"}, {"HGETALL", "nosuch"}, {"HSET", "h", "b", "2"}, {"HDEL", "nosuch", "a"},
	} {
		hashDo(t, h, args...)
	}
	if st := h.srv.stats; st.keyspaceHits != 3 || st.keyspaceMisses != 2 {
		t.Errorf("hits %d misses %d, want 3 and 2", st.keyspaceHits, st.keyspaceMisses)
	}
}

// TestHashRESP3Wire checks the bytes where RESP2 and RESP3 differ but the
// scenario rendering does not show it.
func TestHashRESP3Wire(t *testing.T) {
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
	raw("HSET", "h", "a", "1")
	for _, tc := range []struct {
		args       []string
		resp2, res []string
	}{
		{[]string{"HGET", "h", "x"}, []string{"$-1\r\n"}, []string{"_\r\n"}},
		{[]string{"HMGET", "h", "x"}, []string{"*1\r\n$-1\r\n"}, []string{"*1\r\n_\r\n"}},
		{[]string{"HRANDFIELD", "nosuch"}, []string{"$-1\r\n"}, []string{"_\r\n"}},
		{[]string{"HRANDFIELD", "nosuch", "3"}, []string{"*0\r\n"}, []string{"*0\r\n"}},
		{[]string{"HRANDFIELD", "h", "1", "WITHVALUES"}, []string{"*2\r\n$1\r\na\r\n$1\r\n1\r\n"}, []string{"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"}},
		{[]string{"HGETALL", "h"}, []string{"*2\r\n$1\r\na\r\n$1\r\n1\r\n"}, []string{"%1\r\n$1\r\na\r\n$1\r\n1\r\n"}},
		{[]string{"HGETALL", "nosuch"}, []string{"*0\r\n"}, []string{"%0\r\n"}},
		{[]string{"HKEYS", "h"}, []string{"*1\r\n$1\r\na\r\n"}, []string{"*1\r\n$1\r\na\r\n"}},
		{[]string{"HEXISTS", "h", "a"}, []string{":1\r\n"}, []string{":1\r\n"}},
		{[]string{"HINCRBYFLOAT", "h", "a", "0.5"}, []string{"$3\r\n1.5\r\n"}, []string{"$1\r\n2\r\n"}},
	} {
		for _, proto := range []int{2, 3} {
			fc.sess.proto = proto
			want := tc.resp2
			if proto == 3 {
				want = tc.res
			}
			got := raw(tc.args...)
			ok := false
			for _, w := range want {
				ok = ok || got == w
			}
			if !ok {
				t.Errorf("RESP%d %q: %q, want %q", proto, tc.args, got, want)
			}
		}
	}
}

// TestHashOnPebble plays big-hash operations on the Pebble backend with the
// write buffer flushing, so reads meet members in every layer.
func TestHashOnPebble(t *testing.T) {
	h := newPebbleHarness(t)
	defer h.close()
	hashFill(t, h, "big", 2000)
	if v := hashDo(t, h, "HLEN", "big"); v.Int != 2000 {
		t.Fatalf("HLEN %v", v)
	}
	if v := hashDo(t, h, "HRANDFIELD", "big", "-50", "WITHVALUES"); len(v.Elems) != 100 {
		t.Fatalf("HRANDFIELD: %d items", len(v.Elems))
	}
	if v := hashDo(t, h, "HRANDFIELD", "big", "40"); len(v.Elems) != 40 {
		t.Fatalf("HRANDFIELD: %d items", len(v.Elems))
	}
	for i := 0; i < 2000; i += 2 {
		hashDo(t, h, "HDEL", "big", fmt.Sprintf("f:%06d", i))
	}
	if v := hashDo(t, h, "HGETALL", "big"); len(v.Elems) != 2000 {
		t.Fatalf("HGETALL: %d items", len(v.Elems))
	}
	if v := hashDo(t, h, "HGET", "big", "f:000001"); string(v.Str) != "v:000001" {
		t.Fatalf("HGET %v", v)
	}
}

// hashBench runs one pre-encoded command through the whole dispatch path.
func hashBench(b *testing.B, setup func(h *harness), args ...string) {
	h := newHarness(&testing.T{})
	defer h.close()
	if setup != nil {
		setup(h)
	}
	fc := h.client(1)
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	req := encodeCommand(argv)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fc.sess.Data(req)
		fc.buf = fc.buf[:0]
	}
}

// BenchmarkHashSetUpdate is redis-benchmark's HSET once the field exists.
func BenchmarkHashSetUpdate(b *testing.B) {
	hashBench(b, func(h *harness) { hashFill(b, h, "myhash", 1000) }, "HSET", "myhash", "f:000001", "xxx")
}

// BenchmarkHashSetNew adds a new field each time.
func BenchmarkHashSetNew(b *testing.B) {
	h := newHarness(&testing.T{})
	defer h.close()
	fc := h.client(1)
	reqs := make([][]byte, 4096)
	for i := range reqs {
		reqs[i] = encodeCommand([][]byte{[]byte("HSET"), []byte("myhash"), []byte("element:" + strconv.Itoa(i)), []byte("xxx")})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(reqs) == 0 {
			hashDo(b, h, "DEL", "myhash")
		}
		fc.sess.Data(reqs[i%len(reqs)])
		fc.buf = fc.buf[:0]
	}
}

func BenchmarkHashGet(b *testing.B) {
	hashBench(b, func(h *harness) { hashFill(b, h, "myhash", 1000) }, "HGET", "myhash", "f:000001")
}

// BenchmarkHashSetPebble is redis-benchmark's HSET myhash element:__rand_int__
// on the server's own Pebble settings: a big hash whose fields mostly
// exist, so each HSET reads one member and writes it back.
func BenchmarkHashSetPebble(b *testing.B) {
	cfg := conf.Default()
	st, err := pebble.Open(pebble.Options{Dir: b.TempDir(), CacheSize: int64(cfg.BlockCacheSize), MemTableSize: int64(cfg.MemtableSize), BloomBitsPerKey: 10})
	if err != nil {
		b.Fatal(err)
	}
	h := newHarnessOn(&testing.T{}, st)
	h.srv.ks.wb.start()
	defer func() {
		h.close()
		h.srv.ks.wb.stop()
		st.Close()
	}()
	fc := h.client(1)
	reqs := make([][]byte, 100000)
	for i := range reqs {
		reqs[i] = encodeCommand([][]byte{[]byte("HSET"), []byte("myhash"), []byte(fmt.Sprintf("element:%012d", i)), []byte("xxx")})
	}
	for i := range reqs {
		fc.sess.Data(reqs[i])
	}
	fc.buf = fc.buf[:0]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fc.sess.Data(reqs[(i*7919)%len(reqs)])
		fc.buf = fc.buf[:0]
	}
}

// TestHashCorruptCount: a meta record whose count disagrees with the
// members found fails the command cleanly (no malformed reply).
func TestHashCorruptCount(t *testing.T) {
	for _, delta := range []int64{-1, 2} {
		h := newHarness(t)
		hashDo(t, h, "HSET", "h", "a", "1", "b", "2", "c", "3")
		h.srv.mu.Lock()
		m, _ := h.srv.ks.Lookup(0, []byte("h"))
		bad := m
		bad.Count = uint64(int64(m.Count) + delta)
		h.srv.ks.Put(0, []byte("h"), &m, &bad)
		h.srv.commitLocked()
		h.srv.mu.Unlock()
		for _, cmd := range [][]string{{"HGETALL", "h"}, {"HRANDFIELD", "h", "10"}, {"HRANDFIELD", "h", "-3"}} {
			fc := h.client(1)
			fc.sess.closeASAP = false
			v := hashDo(t, h, cmd...)
			if v.Kind != resp.Error || !strings.Contains(string(v.Str), "internal error") {
				t.Errorf("count %+d, %q: %v", delta, cmd, v)
			}
		}
		h.close()
	}
}

// TestHashRandFieldReplyOff: with replies off, a huge negative count has
// nothing to build and returns at once.
func TestHashRandFieldReplyOff(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	hashDo(t, h, "HSET", "h", "a", "1")
	fc := h.client(1)
	var req []byte
	for _, cmd := range [][]string{{"CLIENT", "REPLY", "OFF"}, {"HRANDFIELD", "h", "-9223372036854775807"}, {"CLIENT", "REPLY", "ON"}} {
		argv := make([][]byte, len(cmd))
		for i, a := range cmd {
			argv[i] = []byte(a)
		}
		req = append(req, encodeCommand(argv)...)
	}
	fc.sess.Data(req)
	if got := string(fc.buf); got != "+OK\r\n" {
		t.Fatalf("replies %q", got)
	}
}
