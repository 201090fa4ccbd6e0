package daemon

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/pebble"
)

func TestZsetListpackInt(t *testing.T) {
	tests := []struct {
		in   float64
		want int64
		ok   bool
	}{
		{0, 0, true},
		{math.Copysign(0, -1), 0, true},
		{-3, -3, true},
		{1e17, 100000000000000000, true},
		{4611686018427387904, 4611686018427387904, true},
		{-4611686018427387904, -4611686018427387904, true},
		{9223372036854775807, 0, false},
		{1.5, 0, false},
		{math.Inf(1), 0, false},
	}
	for _, tt := range tests {
		got, ok := zsetListpackInt(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("zsetListpackInt(%v) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		in      float64
		compact bool
		want    string
	}{
		{1e17, true, "100000000000000000"},
		{1e17, false, "1e+17"},
		{0.1, true, "0.10000000000000001"},
		{math.Inf(-1), true, "-inf"},
		{math.Copysign(0, -1), false, "-0"},
	} {
		if got := string(zsetScanScore(nil, tt.in, tt.compact)); got != tt.want {
			t.Errorf("zsetScanScore(%v, %v) = %q, want %q", tt.in, tt.compact, got, tt.want)
		}
	}
}

// zsetFill creates key with n members named name(i), scored i.
func zsetFill(t *testing.T, h *harness, key string, n int, name func(int) string) {
	t.Helper()
	args := []string{"ZADD", key}
	for i := 0; i < n; i++ {
		args = append(args, strconv.Itoa(i), name(i))
		if len(args) > 1000 || i == n-1 {
			h.keysDo(t, args...)
			args = []string{"ZADD", key}
		}
	}
}

// zrandCheck runs ZRANDMEMBER and checks the reply's shape: its length,
// members that exist with their right scores (score == index in names),
// and distinct members when unique.
func zrandCheck(t *testing.T, h *harness, proto int, key string, count int64, withScores bool, names map[string]int, wantLen int, unique bool) []string {
	t.Helper()
	h.client(1).sess.proto = proto
	defer func() { h.client(1).sess.proto = 2 }()
	args := []string{"ZRANDMEMBER", key, strconv.FormatInt(count, 10)}
	if withScores {
		args = append(args, "WITHSCORES")
	}
	v := h.keysDo(t, args...)
	if v.Kind != resp.Array {
		t.Fatalf("%v: %v", args, v)
	}
	var members []string
	switch {
	case !withScores:
		for _, e := range v.Elems {
			members = append(members, string(e.Str))
		}
	case proto == 2:
		if len(v.Elems)%2 != 0 {
			t.Fatalf("%v: odd flat reply of %d", args, len(v.Elems))
		}
		for i := 0; i < len(v.Elems); i += 2 {
			m := string(v.Elems[i].Str)
			members = append(members, m)
			if want := strconv.Itoa(names[m]); string(v.Elems[i+1].Str) != want {
				t.Fatalf("%v: %s scored %q, want %s", args, m, v.Elems[i+1].Str, want)
			}
		}
	default:
		for _, p := range v.Elems {
			if p.Kind != resp.Array || len(p.Elems) != 2 || p.Elems[1].Kind != resp.Double {
				t.Fatalf("%v: RESP3 element %v is not a [member, double] pair", args, p)
			}
			m := string(p.Elems[0].Str)
			members = append(members, m)
			if p.Elems[1].Float != float64(names[m]) {
				t.Fatalf("%v: %s scored %v", args, m, p.Elems[1].Float)
			}
		}
	}
	if len(members) != wantLen {
		t.Fatalf("%v: %d members, want %d", args, len(members), wantLen)
	}
	seen := map[string]bool{}
	for _, m := range members {
		if _, ok := names[m]; !ok {
			t.Fatalf("%v: %q is not a member", args, m)
		}
		if unique && seen[m] {
			t.Fatalf("%v: %q twice", args, m)
		}
		seen[m] = true
	}
	return members
}

func TestZrandmember(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	cases := []struct {
		name string
		size int
		// member names: padded, unpadded (uneven trie), and one lone
		// member beside a crowded branch (draws skew heavily).
		member func(int) string
	}{
		{"small", 10, func(i int) string { return fmt.Sprintf("m%d", i) }},
		{"big-padded", 1500, func(i int) string { return fmt.Sprintf("m%04d", i) }},
		{"big-uneven", 1500, func(i int) string { return fmt.Sprintf("m%d", i) }},
		{"big-skewed", 1500, func(i int) string {
			if i < 10 {
				return strconv.Itoa(i)
			}
			return fmt.Sprintf("x%d", i)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := "z-" + tc.name
			zsetFill(t, h, key, tc.size, tc.member)
			names := map[string]int{}
			for i := 0; i < tc.size; i++ {
				names[tc.member(i)] = i
			}
			n := tc.size
			// Single draws cover the zset.
			seen := map[string]bool{}
			draws := 50 * n
			if n > 100 {
				draws = 2 * n
			}
			for i := 0; i < draws; i++ {
				v := h.keysDo(t, "ZRANDMEMBER", key)
				if _, ok := names[string(v.Str)]; !ok {
					t.Fatalf("ZRANDMEMBER: %v", v)
				}
				seen[string(v.Str)] = true
			}
			t.Logf("%d draws saw %d of %d", draws, len(seen), n)
			minSeen := n / 4
			if tc.name == "big-skewed" {
				// Trie descent: the ten one-byte members and the 'x'
				// branch are 11 equally likely ways at the top, so only
				// about 1/11 of the draws (some 270) reach the 1490 x
				// members.
				minSeen = 150
			}
			if len(seen) < minSeen || (n <= 100 && len(seen) != n) {
				t.Errorf("%d single draws saw %d of %d members", draws, len(seen), n)
			}
			for _, proto := range []int{2, 3} {
				for _, ws := range []bool{false, true} {
					zrandCheck(t, h, proto, key, 1, ws, names, 1, true)
					zrandCheck(t, h, proto, key, int64(n/10+1), ws, names, n/10+1, true)
					zrandCheck(t, h, proto, key, int64(n/2), ws, names, n/2, true)
					zrandCheck(t, h, proto, key, int64(n-1), ws, names, n-1, true)
					all := zrandCheck(t, h, proto, key, int64(n+5), ws, names, n, true)
					for i, m := range all {
						// The whole zset comes back from the top score down.
						if names[m] != n-1-i {
							t.Fatalf("count >= size: element %d is %s", i, m)
						}
					}
					zrandCheck(t, h, proto, key, -3, ws, names, 3, false)
					zrandCheck(t, h, proto, key, int64(-2*n), ws, names, 2*n, false)
				}
			}
		})
	}
}

// TestZsetPopHelpers checks the pop and reply helpers the blocking
// commands build on.
func TestZsetPopHelpers(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.keysDo(t, "ZADD", "k", "1", "a", "2", "b", "3", "c", "-0.5", "d")
	c := h.client(1).sess
	s := h.srv
	pop := func(min bool, count int64, reply func(members [][]byte, scores []float64)) string {
		s.mu.Lock()
		co, wrong := s.ks.lookupColl(c.db, []byte("k"), storage.TypeZSet, true)
		if wrong || !co.exists {
			t.Fatalf("lookup: wrong %v exists %v", wrong, co.exists)
		}
		members, scores := zsetPop(co, min, count)
		c.out = c.out[:0]
		reply(members, scores)
		v, _, err := resp.ReadReply(c.out)
		c.out = c.out[:0]
		s.commitLocked()
		s.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		return v.String()
	}
	for _, tt := range []struct {
		min   bool
		count int64
		proto int
		reply func(c *Client) func([][]byte, []float64)
		want  string
	}{
		{true, 1, 2, func(c *Client) func([][]byte, []float64) {
			return func(m [][]byte, s []float64) { replyZPop(c, nil, m, s, false) }
		}, `["d" "-0.5"]`},
		{false, 1, 3, func(c *Client) func([][]byte, []float64) {
			return func(m [][]byte, s []float64) { replyZPop(c, []byte("k"), m, s, false) }
		}, `["k" "c" (double) 3]`},
		{true, 5, 3, func(c *Client) func([][]byte, []float64) {
			return func(m [][]byte, s []float64) { replyZMPop(c, []byte("k"), m, s) }
		}, `["k" [["a" (double) 1] ["b" (double) 2]]]`},
	} {
		c.proto = tt.proto
		if got := pop(tt.min, tt.count, tt.reply(c)); got != tt.want {
			t.Errorf("pop(min %v, %d): %s, want %s", tt.min, tt.count, got, tt.want)
		}
	}
	c.proto = 2
	if v := h.keysDo(t, "EXISTS", "k"); v.Int != 0 {
		t.Errorf("emptied zset still exists")
	}
	h.keysDo(t, "ZADD", "k", "1", "a", "2", "b")
	c.proto = 3
	if got := pop(true, 1, func(m [][]byte, s []float64) { replyZPop(c, nil, m, s, true) }); got != `[["a" (double) 1]]` {
		t.Errorf("nested: %s", got)
	}
	c.proto = 2
	if v := h.keysDo(t, "ZRANGE", "k", "0", "-1", "WITHSCORES"); v.String() != `["b" "2"]` {
		t.Errorf("left: %v", v)
	}
}

// BenchmarkZset measures the paths the targets cover, in process
// over Pebble: ZADD of random members into a growing zset, and ZRANGE 0 99
// of a 200-member one.
func BenchmarkZset(b *testing.B) {
	t := &testing.T{} // the harness only calls Fatal, which setup never reaches
	st, err := pebble.Open(pebble.Options{Dir: b.TempDir(), CacheSize: 64 << 20, MemTableSize: 64 << 20, BloomBitsPerKey: 10})
	if err != nil {
		b.Fatal(err)
	}
	h := newHarnessOn(t, st)
	h.srv.ks.wb.start()
	b.Cleanup(func() {
		h.srv.ks.wb.stop()
		st.Close()
	})
	fc := h.client(1)
	run := func(b *testing.B, cmd func(i int) []byte) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			fc.sess.Data(cmd(i))
			fc.mu.Lock()
			fc.buf = fc.buf[:0]
			fc.mu.Unlock()
		}
	}
	b.Run("zadd", func(b *testing.B) {
		var cmds [][]byte
		for i := 0; i < 4096; i++ {
			cmds = append(cmds, encodeCommand([][]byte{[]byte("ZADD"), []byte("bz"),
				[]byte(strconv.Itoa(i * 7919 % 100000)), []byte(fmt.Sprintf("element:%06d", i*104729%100000))}))
		}
		run(b, func(i int) []byte { return cmds[i%len(cmds)] })
	})
	args := []string{"ZADD", "rz"}
	for i := 0; i < 200; i++ {
		args = append(args, strconv.Itoa(i*7%1000), fmt.Sprintf("element:%06d", i))
	}
	h.keysDo(t, args...)
	for _, ws := range []bool{false, true} {
		argv := [][]byte{[]byte("ZRANGE"), []byte("rz"), []byte("0"), []byte("99")}
		name := "zrange100"
		if ws {
			argv = append(argv, []byte("WITHSCORES"))
			name += "-withscores"
		}
		cmd := encodeCommand(argv)
		b.Run(name, func(b *testing.B) { run(b, func(int) []byte { return cmd }) })
	}
}

// TestZsetKeyspaceStats checks which commands count INFO keyspace hits and
// misses: reads do (Redis's lookupKeyRead), writes and argument errors do
// not. The expectation was taken from redis-server 7.0.15.
func TestZsetKeyspaceStats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	for _, cmd := range []string{
		"ZADD z 1 a", "ZSCORE z a", "ZSCORE no a", "ZRANGE z 0 -1", "ZRANGESTORE d no 0 -1",
		"ZSCAN z 0", "ZSCAN z x", "ZADD z 2 b", "ZPOPMIN z", "SET s v", "ZCARD s",
		"ZRANDMEMBER no", "ZMSCORE no a", "ZRANGE z x y", "ZCOUNT no 0 1", "ZRANK z a",
	} {
		h.keysDo(t, strings.Fields(cmd)...)
	}
	if st := h.srv.stats; st.keyspaceHits != 5 || st.keyspaceMisses != 5 {
		t.Errorf("hits %d misses %d, want 5 and 5", st.keyspaceHits, st.keyspaceMisses)
	}
}

// A draw of many distinct members from a skewed big zset: the trie draws
// cannot find them all, and the rest is taken in order from a random place
// (wrapping past the last member).
func TestZrandmemberDistinctFallback(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.keysDo(t, "CONFIG", "SET", "zset-max-listpack-entries", "16")
	zsetFill(t, h, "skew", 1500, func(i int) string {
		if i < 10 {
			return strconv.Itoa(i)
		}
		return fmt.Sprintf("x%d", i)
	})
	for round := 0; round < 20; round++ {
		v := h.keysDo(t, "ZRANDMEMBER", "skew", "490")
		if len(v.Elems) != 490 {
			t.Fatalf("ZRANDMEMBER skew 490 returned %d members", len(v.Elems))
		}
		seen := map[string]bool{}
		for _, e := range v.Elems {
			if seen[string(e.Str)] {
				t.Fatalf("member %q returned twice", e.Str)
			}
			seen[string(e.Str)] = true
		}
	}
}
