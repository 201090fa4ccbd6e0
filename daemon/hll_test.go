package daemon

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// hllFill adds n distinct elements (prefix+i) to a new HLL.
func hllFill(t *testing.T, prefix string, n int, maxBytes int64) []byte {
	t.Helper()
	h := hllNew()
	for i := 0; i < n; i++ {
		var r int
		if h, r = hllAdd(h, []byte(prefix+strconv.Itoa(i)), maxBytes); r < 0 {
			t.Fatalf("hllAdd %d: corrupt", i)
		}
	}
	return h
}

func TestHLLNew(t *testing.T) {
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff")
	if h := hllNew(); !bytes.Equal(h, want) {
		t.Fatalf("hllNew = %q, want %q", h, want)
	}
	if got := hllDecode(hllNew()); got != "Z:16384" {
		t.Fatalf("decode = %q", got)
	}
}

// TestHLLRedisBytes pins a value made by Redis 7.0.15: PFADD k a b c foo
// "" then PFCOUNT k.
func TestHLLRedisBytes(t *testing.T) {
	h := hllNew()
	for _, e := range []string{"a", "b", "c", "foo", ""} {
		h, _ = hllAdd(h, []byte(e), 3000)
	}
	if got, want := hllDecode(h), "Z:5938 v:2,1 Z:1409 v:5,1 Z:1087 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"; got != want {
		t.Fatalf("decode %q, want %q", got, want)
	}
	card, _ := hllCount(h)
	hllSetCachedCard(h, card)
	want := "HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00W1\x84E\x80\x90D>\x80P\xb1\x84K\xfb\x80BZ"
	if string(h) != want {
		t.Fatalf("value %q, want %q", h, want)
	}
}

func TestHLLCardinality(t *testing.T) {
	relerr := 1.04 / math.Sqrt(hllRegisters)
	for _, tc := range []struct {
		n        int
		maxBytes int64
		enc      byte
	}{
		{0, 3000, hllSparse},
		{1, 3000, hllSparse},
		{10, 3000, hllSparse},
		{1000, 3000, hllSparse},
		{1000, 300, hllDense},
		{5000, 3000, hllDense},
		{100000, 3000, hllDense},
	} {
		h := hllFill(t, "ele:", tc.n, tc.maxBytes)
		if hllEncoding(h) != tc.enc {
			t.Errorf("n=%d max=%d: encoding %d, want %d", tc.n, tc.maxBytes, hllEncoding(h), tc.enc)
		}
		if hllValidCache(h) && tc.n > 0 {
			t.Errorf("n=%d: cache still valid", tc.n)
		}
		card, invalid := hllCount(h)
		if invalid {
			t.Fatalf("n=%d: invalid", tc.n)
		}
		maxErr := math.Ceil(relerr * 6 * float64(tc.n))
		if tc.n <= 10 {
			maxErr = 1
		}
		if math.Abs(float64(card)-float64(tc.n)) > maxErr {
			t.Errorf("n=%d: estimate %d, off by more than %v", tc.n, card, maxErr)
		}
		// The same registers dense give the same estimate.
		d, ok := hllSparseToDense(h)
		if !ok {
			t.Fatalf("n=%d: todense failed", tc.n)
		}
		if dc, _ := hllCount(d); dc != card {
			t.Errorf("n=%d: dense %d, sparse %d", tc.n, dc, card)
		}
	}
}

func TestHLLSparseToDense(t *testing.T) {
	h := hllFill(t, "p", 200, 3000)
	if hllEncoding(h) != hllSparse || len(h) >= 3000 {
		t.Fatalf("200 elements: encoding %d len %d", hllEncoding(h), len(h))
	}
	var before [hllRegisters]uint8
	if !hllMerge(before[:], h) {
		t.Fatal("merge failed")
	}
	d, ok := hllSparseToDense(h)
	if !ok || len(d) != hllDenseSize || hllEncoding(d) != hllDense || !bytes.Equal(d[:4], h[:4]) || !bytes.Equal(d[5:16], h[5:16]) {
		t.Fatalf("todense: ok %v len %d header %q", ok, len(d), d[:16])
	}
	for i, want := range before {
		if got := hllDenseGet(d[hllHdrSize:], i); got != want {
			t.Fatalf("register %d: %d, want %d", i, got, want)
		}
	}
	// Growing past the limit promotes, and the added register is set.
	for i := 0; ; i++ {
		var r int
		h, r = hllAdd(h, []byte("q"+strconv.Itoa(i)), 500)
		if r < 0 {
			t.Fatal("corrupt")
		}
		if hllEncoding(h) == hllDense {
			break
		}
		if len(h) > 500 {
			t.Fatalf("sparse grew to %d bytes", len(h))
		}
	}
	// A count over 32 cannot be sparse.
	s, r := hllSparseSet(hllNew(), 7, 33, 3000)
	if r != 1 || hllEncoding(s) != hllDense || hllDenseGet(s[hllHdrSize:], 7) != 33 {
		t.Fatalf("count 33: r=%d encoding %d", r, hllEncoding(s))
	}
}

func TestHLLSparseSetOpcodes(t *testing.T) {
	for _, tc := range []struct {
		sets []struct{ i, c int }
		want string
	}{
		{nil, "Z:16384"},
		{[]struct{ i, c int }{{0, 3}}, "v:3,1 Z:16383"},
		{[]struct{ i, c int }{{16383, 1}}, "Z:16383 v:1,1"},
		{[]struct{ i, c int }{{10, 2}}, "z:10 v:2,1 Z:16373"},
		{[]struct{ i, c int }{{100, 2}, {101, 2}, {102, 2}}, "Z:100 v:2,3 Z:16281"},
		{[]struct{ i, c int }{{100, 2}, {101, 2}, {101, 1}}, "Z:100 v:2,2 Z:16282"},
		{[]struct{ i, c int }{{5, 1}, {6, 1}, {7, 1}, {8, 1}, {9, 1}}, "z:5 v:1,4 v:1,1 Z:16374"},
	} {
		h := hllNew()
		for _, s := range tc.sets {
			h, _ = hllSparseSet(h, s.i, uint8(s.c), 3000)
		}
		if got := hllDecode(h); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.sets, got, tc.want)
		}
	}
}

func TestHLLMerge(t *testing.T) {
	a := hllFill(t, "a", 3000, 3000) // dense
	b := hllFill(t, "b", 300, 3000)  // sparse
	u := hllFill(t, "a", 3000, 1<<20)
	for i := 0; i < 300; i++ {
		u, _ = hllAdd(u, []byte("b"+strconv.Itoa(i)), 1<<20)
	}
	var max [hllRegisters]uint8
	if !hllMerge(max[:], a) || !hllMerge(max[:], b) {
		t.Fatal("merge failed")
	}
	want, _ := hllCount(u)
	if got := hllRawCount(max[:]); got != want {
		t.Fatalf("union estimate %d, want %d", got, want)
	}
	// A sparse HLL not covering all registers does not merge.
	bad := append(hllNew(), 0x00)
	if hllMerge(max[:], bad) {
		t.Fatal("corrupt HLL merged")
	}
	if _, invalid := hllCount(bad); !invalid {
		t.Fatal("corrupt HLL counted")
	}
}

func TestHLLIsValid(t *testing.T) {
	dense, _ := hllSparseToDense(hllNew())
	for _, tc := range []struct {
		v  []byte
		ok bool
	}{
		{hllNew(), true},
		{dense, true},
		{dense[:len(dense)-1], false},
		{[]byte("HYLL"), false},
		{[]byte("HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), false},
		{[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), true},
		{[]byte("HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), false},
	} {
		if got := hllIsValid(tc.v); got != tc.ok {
			t.Errorf("hllIsValid(%q) = %v", tc.v, got)
		}
	}
}

func TestHLLSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("10 million elements")
	}
	if msg := hllSelfTest(3000, rand.New(rand.NewSource(1))); msg != "" {
		t.Fatal(msg)
	}
}

// TestHLLCommands checks what the differential test cannot: GETREG's
// long reply, WATCH, and what goes to the replication stream.
func TestHLLCommands(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	do := func(args ...string) string { t.Helper(); return c.reply(t, args...).String() }
	h.stream(t) // attach a replica

	do("PFADD", "hll", "a", "b", "c")
	v := c.reply(t, "PFDEBUG", "GETREG", "hll")
	if v.Kind != resp.Array || len(v.Elems) != hllRegisters {
		t.Fatalf("GETREG: %v", v.Kind)
	}
	nonzero := 0
	for _, e := range v.Elems {
		if e.Int != 0 {
			nonzero++
		}
	}
	if nonzero != 3 {
		t.Fatalf("GETREG: %d registers set, want 3", nonzero)
	}
	if got := c.reply(t, "PFDEBUG", "ENCODING", "hll"); string(got.Str) != "dense" {
		t.Fatalf("after GETREG: %s", got.String())
	}
	// PFCOUNT writes the cache back and propagates itself; a cached
	// count is just read.
	do("PFCOUNT", "hll")
	do("PFCOUNT", "hll")
	do("PFADD", "hll", "a")
	do("PFMERGE", "dst", "hll")
	do("PFADD", "sp", "x")
	do("PFDEBUG", "TODENSE", "sp")
	do("PFDEBUG", "TODENSE", "sp")
	want := "select 0\npfadd hll a b c\npfdebug GETREG hll\npfcount hll\npfmerge dst hll\npfadd sp x\npfdebug TODENSE sp\n"
	got := strings.ToLower(h.stream(t))
	if got != strings.ToLower(want) {
		t.Fatalf("stream:\n%s\nwant:\n%s", got, want)
	}

	// The cache: bit 63 set by PFADD, cleared with the count by PFCOUNT.
	raw := c.reply(t, "GET", "dst").Str
	if raw[15]&0x80 == 0 {
		t.Fatalf("PFMERGE left the cache valid: %q", raw[:16])
	}
	n := int(c.reply(t, "PFCOUNT", "dst").Int)
	raw = c.reply(t, "GET", "dst").Str
	if raw[15]&0x80 != 0 || binary.LittleEndian.Uint64(raw[8:16]) != uint64(n) || n != 3 {
		t.Fatalf("PFCOUNT = %d, cache %q", n, raw[:16])
	}

	// PFCOUNT's cache update dirties a WATCH, a cached read does not.
	w := h.client(2)
	wdo := func(args ...string) string { t.Helper(); return w.reply(t, args...).String() }
	do("PFADD", "k", "1")
	wdo("WATCH", "k")
	do("PFCOUNT", "k")
	wdo("MULTI")
	wdo("PING")
	if v := w.reply(t, "EXEC"); v.Kind == resp.Array {
		t.Fatalf("EXEC after a PFCOUNT that updated the cache ran")
	}
	wdo("WATCH", "k")
	do("PFCOUNT", "k")
	wdo("MULTI")
	wdo("PING")
	if v := w.reply(t, "EXEC"); v.Kind != resp.Array {
		t.Fatalf("EXEC after a cached PFCOUNT: %s", v.String())
	}

	// The TTL stays.
	do("EXPIRE", "k", "1000")
	do("PFADD", "k", "2", "3")
	do("PFMERGE", "k", "hll")
	if got := c.reply(t, "TTL", "k").Int; got != 1000 {
		t.Fatalf("TTL after PFADD/PFMERGE: %d", got)
	}
	if got := c.reply(t, "PFSELFTEST"); string(got.Str) != "OK" {
		t.Fatalf("PFSELFTEST: %s", got.String())
	}
}
