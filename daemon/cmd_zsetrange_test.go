package daemon

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

func TestCStrtod(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		in       string
		f        float64
		n        int
		rangeErr bool
	}{
		{"", 0, 0, false},
		{"   ", 0, 0, false},
		{"x", 0, 0, false},
		{"1", 1, 1, false},
		{" \t\n1.5x", 1.5, 6, false},
		{"-2e3", -2000, 4, false},
		{"1e", 1, 1, false},
		{"1e+", 1, 1, false},
		{"1E-2", 0.01, 4, false},
		{".5", 0.5, 2, false},
		{"5.", 5, 2, false},
		{".", 0, 0, false},
		{"+.e1", 0, 0, false},
		{"0x10", 16, 4, false},
		{"0X1p3", 8, 5, false},
		{"0x1.8p1", 3, 7, false},
		{"-0x.8", -0.5, 5, false},
		{"0x", 0, 1, false},
		{"0xg", 0, 1, false},
		{"0x1p", 1, 3, false},
		{"inf", inf, 3, false},
		{"-Infinity", -inf, 9, false},
		{"infinit", inf, 3, false},
		{"+INFx", inf, 4, false},
		{"1e400", inf, 5, true},
		{"-1e400", -inf, 6, true},
		{"1e-400", 0, 6, true},
		{"0e-400", 0, 6, false},
		{"0x1p-2000", 0, 9, true},
		{"4.9e-324", 5e-324, 8, false},
		{"1_0", 1, 1, false},
		{"1\x002", 1, 1, false},
		{"007", 7, 3, false},
	}
	for _, tt := range tests {
		f, n, re := cStrtod([]byte(tt.in))
		if f != tt.f || n != tt.n || re != tt.rangeErr {
			t.Errorf("cStrtod(%q) = %v, %d, %v; want %v, %d, %v", tt.in, f, n, re, tt.f, tt.n, tt.rangeErr)
		}
	}
	for _, in := range []string{"nan", "-NaN", "nan(123)", "nan(x"} {
		f, n, _ := cStrtod([]byte(in))
		want := len(in)
		if in == "nan(x" {
			want = 3
		}
		if !math.IsNaN(f) || n != want {
			t.Errorf("cStrtod(%q) = %v, %d; want NaN, %d", in, f, n, want)
		}
	}
	if f, _, _ := cStrtod([]byte("-0")); f != 0 || !math.Signbit(f) {
		t.Errorf("cStrtod(-0) = %v, want -0", f)
	}
}

func TestParseScore(t *testing.T) {
	tests := []struct {
		in string
		f  float64
		ok bool
	}{
		{"1", 1, true},
		{"-15", -15, true},
		{"+7", 7, true},
		{"9007199254740993", 9007199254740992, true},
		{"12345678901234567890", 12345678901234567890, true},
		{"1.5", 1.5, true},
		{"inf", math.Inf(1), true},
		{"-inf", math.Inf(-1), true},
		{"0x10", 16, true},
		{"4.9e-324", 5e-324, true},
		{"", 0, false},
		{"-", 0, false},
		{"+", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1x", 0, false},
		{"nan", 0, false},
		{"1e400", 0, false},
		{"1e-400", 0, false},
		{"1_0", 0, false},
		{"1\x00", 0, false},
	}
	for _, tt := range tests {
		f, ok := parseScore([]byte(tt.in))
		if ok != tt.ok || (ok && f != tt.f) {
			t.Errorf("parseScore(%q) = %v, %v; want %v, %v", tt.in, f, ok, tt.f, tt.ok)
		}
	}
	if f, ok := parseScore([]byte("-0")); !ok || f != 0 || !math.Signbit(f) {
		t.Errorf("parseScore(-0) = %v, %v, want -0", f, ok)
	}
}

func TestParseZScoreRange(t *testing.T) {
	tests := []struct {
		min, max string
		want     zScoreRange
		ok       bool
	}{
		{"1", "2", zScoreRange{min: 1, max: 2}, true},
		{"(1", "(2.5", zScoreRange{min: 1, max: 2.5, minex: true, maxex: true}, true},
		{"-inf", "+inf", zScoreRange{min: math.Inf(-1), max: math.Inf(1)}, true},
		{"", "(", zScoreRange{maxex: true}, true},
		{" 1", "1e400", zScoreRange{min: 1, max: math.Inf(1)}, true},
		{"1\x00x", "2", zScoreRange{min: 1, max: 2}, true},
		{"\x00", "2", zScoreRange{max: 2}, true},
		{"1 ", "2", zScoreRange{}, false},
		{" ", "2", zScoreRange{}, false},
		{"1", "nan", zScoreRange{}, false},
		{"((1", "2", zScoreRange{}, false},
		{"[1", "2", zScoreRange{}, false},
	}
	for _, tt := range tests {
		got, ok := parseZScoreRange([]byte(tt.min), []byte(tt.max))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseZScoreRange(%q, %q) = %+v, %v; want %+v, %v", tt.min, tt.max, got, ok, tt.want, tt.ok)
		}
	}
}

func TestZLexRange(t *testing.T) {
	tests := []struct {
		min, max string
		ok       bool
		empty    bool
	}{
		{"-", "+", true, false},
		{"[a", "[a", true, false},
		{"(a", "[a", true, true},
		{"[a", "(a", true, true},
		{"[b", "[a", true, true},
		{"-", "-", true, true},
		{"+", "+", true, true},
		{"+", "-", true, true},
		{"[a", "-", true, true},
		{"+", "[a", true, true},
		{"-", "[", true, false},
		{"(", "+", true, false},
		{"+\x00z", "-", true, true},
		{"", "+", false, false},
		{"a", "+", false, false},
		{"-", "+a", false, false},
		{"--", "+", false, false},
	}
	for _, tt := range tests {
		r, ok := parseZLexRange([]byte(tt.min), []byte(tt.max))
		if ok != tt.ok || (ok && r.empty() != tt.empty) {
			t.Errorf("parseZLexRange(%q, %q): ok %v empty %v; want %v %v", tt.min, tt.max, ok, r.empty(), tt.ok, tt.empty)
		}
	}
	r, _ := parseZLexRange([]byte("(b"), []byte("[d"))
	for v, want := range map[string][2]bool{"a": {false, true}, "b": {false, true}, "c": {true, true}, "d": {true, true}, "e": {true, false}} {
		if r.gteMin([]byte(v)) != want[0] || r.lteMax([]byte(v)) != want[1] {
			t.Errorf("(b [d on %q: gteMin %v lteMax %v", v, r.gteMin([]byte(v)), r.lteMax([]byte(v)))
		}
	}
}

func TestZsetRankRange(t *testing.T) {
	tests := []struct {
		n, start, end int64
		rev           bool
		lo, hi        int64
		ok            bool
	}{
		{5, 0, -1, false, 0, 4, true},
		{5, 0, -1, true, 0, 4, true},
		{5, 1, 2, true, 2, 3, true},
		{5, -2, 100, false, 3, 4, true},
		{5, -100, 0, true, 4, 4, true},
		{5, 3, 2, false, 0, 0, false},
		{5, 5, 9, false, 0, 0, false},
		{5, -1, -6, false, 0, 0, false},
		{5, math.MinInt64, math.MaxInt64, false, 0, 4, true},
		{0, 0, -1, false, 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := zsetRankRange(tt.n, tt.start, tt.end, tt.rev)
		if ok != tt.ok || (ok && (lo != tt.lo || hi != tt.hi)) {
			t.Errorf("zsetRankRange(%d, %d, %d, %v) = %d, %d, %v", tt.n, tt.start, tt.end, tt.rev, lo, hi, ok)
		}
	}
}

// ---- model test ----------------------------------------------------------------------

// zmodel is a sorted set as a sorted slice: the reference the range
// commands are checked against, following Redis's algorithms (the
// listpack ones for lex ranges).
type zmodel []zmodelEntry

type zmodelEntry struct {
	member string
	score  float64
}

func (m zmodel) sorted() zmodel {
	s := append(zmodel(nil), m...)
	sort.Slice(s, func(i, j int) bool {
		if s[i].score != s[j].score {
			return s[i].score < s[j].score
		}
		return s[i].member < s[j].member
	})
	return s
}

func (m zmodel) find(member string) int {
	for i, e := range m {
		if e.member == member {
			return i
		}
	}
	return -1
}

func zmodelReverse(s zmodel) zmodel {
	r := make(zmodel, len(s))
	for i, e := range s {
		r[len(s)-1-i] = e
	}
	return r
}

// window applies LIMIT offset count to the members following start in
// order, keeping those in.
func zmodelWindow(order zmodel, start int, offset, limit int64, in func(zmodelEntry) bool) zmodel {
	var out zmodel
	if start < 0 || offset < 0 {
		return nil
	}
	i := start + int(offset)
	for ; i < len(order) && limit != 0; i, limit = i+1, limit-1 {
		if !in(order[i]) {
			break
		}
		out = append(out, order[i])
	}
	return out
}

func (m zmodel) byScore(r zScoreRange, offset, limit int64, rev bool) zmodel {
	order := m.sorted()
	if rev {
		order = zmodelReverse(order)
	}
	if r.empty() {
		return nil
	}
	start := -1
	for i, e := range order {
		if (!rev && r.gteMin(e.score)) || (rev && r.lteMax(e.score)) {
			start = i
			break
		}
	}
	return zmodelWindow(order, start, offset, limit, func(e zmodelEntry) bool {
		return r.gteMin(e.score) && r.lteMax(e.score)
	})
}

func (m zmodel) byLex(r zLexRange, offset, limit int64, rev bool) zmodel {
	order := m.sorted()
	if r.empty() || len(order) == 0 || !r.gteMin([]byte(order[len(order)-1].member)) || !r.lteMax([]byte(order[0].member)) {
		return nil
	}
	if rev {
		order = zmodelReverse(order)
	}
	start := -1
	for i, e := range order {
		if (!rev && r.gteMin([]byte(e.member))) || (rev && r.lteMax([]byte(e.member))) {
			if (!rev && r.lteMax([]byte(e.member))) || (rev && r.gteMin([]byte(e.member))) {
				start = i
			}
			break
		}
	}
	return zmodelWindow(order, start, offset, limit, func(e zmodelEntry) bool {
		if rev {
			return r.gteMin([]byte(e.member))
		}
		return r.lteMax([]byte(e.member))
	})
}

// zdo runs one command on client 1 and returns the reply.
func zdo(t *testing.T, h *harness, args ...string) resp.Value {
	t.Helper()
	return h.keysDo(t, args...)
}

func zmodelText(s zmodel, withScores bool) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%q", e.member)
		if withScores {
			fmt.Fprintf(&b, " %q", resp.FormatDouble(e.score))
		}
	}
	b.WriteByte(']')
	return b.String()
}

// TestZsetModel plays random writes and range reads against a model, on
// zsets big enough for rank ranges to start from either end, over both
// stores; and again with rank fences (zsetfence.go) of a few entries, so
// that they split and empty all the time, checked after every command.
func TestZsetModel(t *testing.T) {
	for _, tc := range []struct{ pebble, fences bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		pebble := tc.pebble
		t.Run(fmt.Sprintf("pebble=%v/fences=%v", pebble, tc.fences), func(t *testing.T) {
			if tc.fences {
				defer func(min, size int64) { zsetFenceMin, zsetFenceSize = min, size }(zsetFenceMin, zsetFenceSize)
				zsetFenceMin, zsetFenceSize = 8, 3
			}
			var h *harness
			if pebble {
				h = newPebbleHarness(t)
			} else {
				h = newHarness(t)
			}
			defer h.close()
			rng := rand.New(rand.NewPCG(1, uint64(len(t.Name()))))
			for round := 0; round < 3; round++ {
				zsetModelRound(t, h, rng, round == 2)
			}
		})
	}
}

func zsetModelRound(t *testing.T, h *harness, rng *rand.Rand, sameScore bool) {
	zdo(t, h, "DEL", "k")
	var m zmodel
	member := func() string { return fmt.Sprintf("m%d", rng.IntN(400)) }
	score := func() float64 {
		if sameScore {
			return 0
		}
		return float64(rng.IntN(60)-30) / 2
	}
	for i := 0; i < 300; i++ {
		mb, sc := member(), score()
		zdo(t, h, "ZADD", "k", strconv.FormatFloat(sc, 'g', -1, 64), mb)
		if j := m.find(mb); j >= 0 {
			m[j].score = sc
		} else {
			m = append(m, zmodelEntry{mb, sc})
		}
	}
	bound := func() (string, float64, bool) {
		sc := score() + float64(rng.IntN(3)-1)/4
		switch rng.IntN(8) {
		case 0:
			return "-inf", math.Inf(-1), false
		case 1:
			return "+inf", math.Inf(1), false
		case 2, 3:
			return "(" + strconv.FormatFloat(sc, 'g', -1, 64), sc, true
		}
		return strconv.FormatFloat(sc, 'g', -1, 64), sc, false
	}
	lexBound := func() string {
		switch rng.IntN(8) {
		case 0:
			return "-"
		case 1:
			return "+"
		case 2, 3:
			return "(" + member()
		}
		return "[" + member()
	}
	check := func(want string, args ...string) {
		t.Helper()
		if got := zdo(t, h, args...).String(); got != want {
			t.Fatalf("%v:\n got %s\nwant %s", args, got, want)
		}
	}
	for q := 0; q < 400; q++ {
		zsetCheckFences(t, h, "k")
		s := m.sorted()
		n := int64(len(s))
		switch q % 8 {
		case 0: // ZRANGE / ZREVRANGE by rank
			start, end := rng.Int64N(2*n+2)-n-1, rng.Int64N(2*n+2)-n-1
			rev := rng.IntN(2) == 0
			var want zmodel
			if lo, hi, ok := zsetRankRange(n, start, end, rev); ok {
				want = s[lo : hi+1]
				if rev {
					want = zmodelReverse(want)
				}
			}
			args := []string{"ZRANGE", "k", strconv.FormatInt(start, 10), strconv.FormatInt(end, 10), "WITHSCORES"}
			if rev {
				args = append(args, "REV")
			}
			check(zmodelText(want, true), args...)
		case 1: // BYSCORE with LIMIT
			a, amin, aex := bound()
			b, bmax, bex := bound()
			rev := rng.IntN(2) == 0
			offset, limit := rng.Int64N(5)-1, rng.Int64N(40)-1
			r := zScoreRange{min: amin, max: bmax, minex: aex, maxex: bex}
			args := []string{"ZRANGE", "k", a, b, "BYSCORE", "LIMIT", strconv.FormatInt(offset, 10), strconv.FormatInt(limit, 10)}
			if rev {
				args = []string{"ZRANGE", "k", b, a, "BYSCORE", "REV", "LIMIT", strconv.FormatInt(offset, 10), strconv.FormatInt(limit, 10)}
			}
			check(zmodelText(m.byScore(r, offset, limit, rev), false), args...)
		case 2: // ZCOUNT
			a, amin, aex := bound()
			b, bmax, bex := bound()
			r := zScoreRange{min: amin, max: bmax, minex: aex, maxex: bex}
			check(fmt.Sprintf("(integer) %d", len(m.byScore(r, 0, -1, false))), "ZCOUNT", "k", a, b)
		case 3: // BYLEX, ZLEXCOUNT
			a, b := lexBound(), lexBound()
			r, _ := parseZLexRange([]byte(a), []byte(b))
			rev := rng.IntN(2) == 0
			offset, limit := rng.Int64N(5)-1, rng.Int64N(40)-1
			args := []string{"ZRANGE", "k", a, b, "BYLEX", "LIMIT", strconv.FormatInt(offset, 10), strconv.FormatInt(limit, 10)}
			if rev {
				args = []string{"ZRANGE", "k", b, a, "BYLEX", "REV", "LIMIT", strconv.FormatInt(offset, 10), strconv.FormatInt(limit, 10)}
			}
			check(zmodelText(m.byLex(r, offset, limit, rev), false), args...)
			check(fmt.Sprintf("(integer) %d", len(m.byLex(r, 0, -1, false))), "ZLEXCOUNT", "k", a, b)
		case 4: // ZRANK, ZREVRANK, ZSCORE
			mb := member()
			rank := -1
			for i, e := range s {
				if e.member == mb {
					rank = i
				}
			}
			if rank < 0 {
				check("(nil)", "ZRANK", "k", mb)
				check("(nil)", "ZREVRANK", "k", mb)
				check("(nil)", "ZSCORE", "k", mb)
			} else {
				check(fmt.Sprintf("(integer) %d", rank), "ZRANK", "k", mb)
				check(fmt.Sprintf("(integer) %d", int(n)-1-rank), "ZREVRANK", "k", mb)
				check(fmt.Sprintf("%q", resp.FormatDouble(s[rank].score)), "ZSCORE", "k", mb)
			}
		case 5: // writes: ZADD / ZINCRBY / ZREM
			mb := member()
			switch rng.IntN(3) {
			case 0:
				sc := score()
				zdo(t, h, "ZADD", "k", strconv.FormatFloat(sc, 'g', -1, 64), mb)
				if j := m.find(mb); j >= 0 {
					m[j].score = sc
				} else {
					m = append(m, zmodelEntry{mb, sc})
				}
			case 1:
				inc := float64(rng.IntN(5)) - 2
				if sameScore {
					inc = 0
				}
				zdo(t, h, "ZINCRBY", "k", strconv.FormatFloat(inc, 'g', -1, 64), mb)
				if j := m.find(mb); j >= 0 {
					m[j].score += inc
				} else {
					m = append(m, zmodelEntry{mb, inc})
				}
			case 2:
				zdo(t, h, "ZREM", "k", mb)
				if j := m.find(mb); j >= 0 {
					m = append(m[:j], m[j+1:]...)
				}
			}
		case 6: // the ZREMRANGEBY* family, now and then
			if rng.IntN(6) != 0 {
				continue
			}
			var gone zmodel
			switch rng.IntN(3) {
			case 0:
				start := rng.Int64N(n + 1)
				end := start + rng.Int64N(4)
				if lo, hi, ok := zsetRankRange(n, start, end, false); ok {
					gone = s[lo : hi+1]
				}
				check(fmt.Sprintf("(integer) %d", len(gone)), "ZREMRANGEBYRANK", "k", strconv.FormatInt(start, 10), strconv.FormatInt(end, 10))
			case 1:
				sc := score()
				r := zScoreRange{min: sc, max: sc + 0.5}
				gone = m.byScore(r, 0, -1, false)
				check(fmt.Sprintf("(integer) %d", len(gone)), "ZREMRANGEBYSCORE", "k", strconv.FormatFloat(sc, 'g', -1, 64), strconv.FormatFloat(sc+0.5, 'g', -1, 64))
			case 2:
				a := "[" + member()
				b := a + "5"
				r, _ := parseZLexRange([]byte(a), []byte(b))
				gone = m.byLex(r, 0, -1, false)
				check(fmt.Sprintf("(integer) %d", len(gone)), "ZREMRANGEBYLEX", "k", a, b)
			}
			for _, g := range gone {
				j := m.find(g.member)
				m = append(m[:j], m[j+1:]...)
			}
		case 7: // ZCARD and a pop now and then
			check(fmt.Sprintf("(integer) %d", n), "ZCARD", "k")
			if rng.IntN(4) == 0 && n > 0 {
				check(fmt.Sprintf("[%q %q]", s[0].member, resp.FormatDouble(s[0].score)), "ZPOPMIN", "k")
				m = append(m[:m.find(s[0].member)], m[m.find(s[0].member)+1:]...)
			}
		}
	}
	if got, want := zdo(t, h, "ZRANGE", "k", "0", "-1", "WITHSCORES").String(), zmodelText(m.sorted(), true); got != want {
		t.Fatalf("final contents:\n got %s\nwant %s", got, want)
	}
}

// zsetCheckFences checks the rank fences of key, if it has any, against
// its index entries: read again from the store, equal to the cached ones,
// each counting the entries from its start to the next one's, in all the
// set's count.
func zsetCheckFences(t *testing.T, h *harness, key string) {
	t.Helper()
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	co, _ := h.srv.ks.lookupColl(0, []byte(key), storage.TypeZSet, false)
	if co == nil || !co.exists || !co.fenced() {
		return
	}
	cached := co.fences()
	delete(h.srv.ks.zfences, string(co.prefix))
	fs := co.fences()
	if len(fs.f) != len(cached.f) {
		t.Fatalf("%d fences stored, %d cached", len(fs.f), len(cached.f))
	}
	var total int64
	for i, f := range fs.f {
		if !bytes.Equal(f.start, cached.f[i].start) || f.count != cached.f[i].count {
			t.Fatalf("fence %d stored as %q %d, cached as %q %d", i, f.start, f.count, cached.f[i].start, cached.f[i].count)
		}
		var upper []byte
		if i+1 < len(fs.f) {
			upper = fs.f[i+1].start
			if bytes.Compare(f.start, upper) >= 0 {
				t.Fatalf("fence %d starts at %q, not below the next's %q", i, f.start, upper)
			}
		}
		var n int64
		it := co.iter(f.start, upper)
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		closeIter(it)
		if n != f.count || (i > 0 && n == 0) || n > 2*zsetFenceSize {
			t.Fatalf("fence %d (%q) counts %d, holds %d entries", i, f.start, f.count, n)
		}
		total += n
	}
	if total != co.Len() {
		t.Fatalf("fences count %d entries, the set %d", total, co.Len())
	}
}

// TestZrangeDeferredSuppressed checks a reply of unknown length written
// while CLIENT REPLY silences the client leaves no bytes behind.
func TestZrangeDeferredSuppressed(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	zdo(t, h, "ZADD", "k", "1", "a", "2", "b")
	fc := h.client(1)
	fc.sess.Data(encodeCommand([][]byte{[]byte("CLIENT"), []byte("REPLY"), []byte("SKIP")}))
	fc.sess.Data(encodeCommand([][]byte{[]byte("ZRANGEBYSCORE"), []byte("k"), []byte("-inf"), []byte("+inf")}))
	fc.mu.Lock()
	if len(fc.buf) != 0 {
		t.Errorf("suppressed reply wrote %q", fc.buf)
	}
	fc.mu.Unlock()
	if got := zdo(t, h, "ZRANGEBYSCORE", "k", "(1", "+inf", "WITHSCORES").String(); got != `["b" "2"]` {
		t.Errorf("after SKIP: %s", got)
	}
	var big []string
	for i := 0; i < 300; i++ {
		big = append(big, strconv.Itoa(i), fmt.Sprintf("m%03d", i))
	}
	zdo(t, h, append([]string{"ZADD", "big"}, big...)...)
	v := zdo(t, h, "ZRANGE", "big", "0", "+inf", "BYSCORE", "LIMIT", "250", "-1")
	if len(v.Elems) != 50 || !bytes.Equal(v.Elems[0].Str, []byte("m250")) {
		t.Errorf("deferred reply of 50: %d elements, first %q", len(v.Elems), v.Elems[0].Str)
	}
}

// TestZsetFencesBuiltByAnUpdate grows a set past zsetFenceMin without
// fences (as one loaded from an RDB file is), then changes one score: the
// fences built then, and the meta record's mark of them, are kept, though
// a score change writes no meta record of its own.
func TestZsetFencesBuiltByAnUpdate(t *testing.T) {
	defer func(min, size int64) { zsetFenceMin, zsetFenceSize = min, size }(zsetFenceMin, zsetFenceSize)
	zsetFenceMin, zsetFenceSize = 1<<40, 3
	h := newPebbleHarness(t)
	defer h.close()
	for i := 0; i < 50; i++ {
		zdo(t, h, "ZADD", "k", strconv.Itoa(i), fmt.Sprintf("m%02d", i))
	}
	zsetFenceMin = 8
	zdo(t, h, "ZADD", "k", "100", "m07")
	zdo(t, h, "ZADD", "k", "3.5", "m40")
	h.srv.mu.Lock()
	h.srv.ks.zfences = nil
	co, _ := h.srv.ks.lookupColl(0, []byte("k"), storage.TypeZSet, false)
	fenced := co.fenced()
	h.srv.mu.Unlock()
	if !fenced {
		t.Fatal("the set's meta record does not say it has fences")
	}
	zsetCheckFences(t, h, "k")
	for _, c := range []struct{ member, rank string }{{"m07", "49"}, {"m08", "8"}, {"m40", "4"}, {"m03", "3"}, {"m49", "48"}} {
		if got := zdo(t, h, "ZRANK", "k", c.member).String(); got != "(integer) "+c.rank {
			t.Errorf("ZRANK k %s = %s, want %s", c.member, got, c.rank)
		}
	}
}

// TestZsetFencesGoWithTheSet: a fenced set emptied member by member
// leaves no record behind, its fences included.
func TestZsetFencesGoWithTheSet(t *testing.T) {
	defer func(min, size int64) { zsetFenceMin, zsetFenceSize = min, size }(zsetFenceMin, zsetFenceSize)
	zsetFenceMin, zsetFenceSize = 8, 3
	for _, pebble := range []bool{false, true} {
		h := newHarness(t)
		if pebble {
			h = newPebbleHarness(t)
		}
		for i := 0; i < 30; i++ {
			zdo(t, h, "ZADD", "k", strconv.Itoa(i), fmt.Sprintf("m%02d", i))
		}
		zsetCheckFences(t, h, "k")
		for i := 0; i < 30; i += 2 {
			zdo(t, h, "ZREM", "k", fmt.Sprintf("m%02d", i), fmt.Sprintf("m%02d", i+1))
		}
		if got := zdo(t, h, "EXISTS", "k").String(); got != "(integer) 0" {
			t.Fatalf("EXISTS k = %s after removing every member", got)
		}
		if recs := keysMembers(t, h, 0, "k"); len(recs) != 0 {
			t.Fatalf("pebble=%v: %d records left under k's data prefix", pebble, len(recs))
		}
		h.close()
	}
}

// stepCounter counts the steps taken by an iterator.
type stepCounter struct {
	storage.Iterator
	steps int
}

func (s *stepCounter) Next() bool { s.steps++; return s.Iterator.Next() }
func (s *stepCounter) Prev() bool { s.steps++; return s.Iterator.Prev() }

// TestZsetFencedSeekSteps: a rank is found by a walk inside its fence from
// the nearer end, so the top of a fenced set (ZREVRANGE 0 9) is a few
// steps from the end of the last fence, not a walk through all of it.
func TestZsetFencedSeekSteps(t *testing.T) {
	defer func(min, size int64) { zsetFenceMin, zsetFenceSize = min, size }(zsetFenceMin, zsetFenceSize)
	zsetFenceMin, zsetFenceSize = 8, 40
	h := newPebbleHarness(t)
	defer h.close()
	const n = 500
	for i := 0; i < n; i++ {
		zdo(t, h, "ZADD", "k", strconv.Itoa(i), fmt.Sprintf("m%03d", i))
	}
	zsetCheckFences(t, h, "k")
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	co, _ := h.srv.ks.lookupColl(0, []byte("k"), storage.TypeZSet, false)
	if !co.fenced() {
		t.Fatal("no fences")
	}
	fs := co.fences()
	var start int64 // rank of the first entry of fence i
	for i, f := range fs.f {
		for r := start; r < start+f.count; r++ {
			it := &stepCounter{Iterator: zsetIndexIter(co)}
			if !zsetFencedSeek(co, it, r) {
				t.Fatalf("rank %d: not found", r)
			}
			if got, want := string(zsetEntryMember(co, it)), fmt.Sprintf("m%03d", r); got != want {
				t.Fatalf("rank %d: at %s, want %s", r, got, want)
			}
			if limit := int(f.count / 2); it.steps > limit {
				t.Fatalf("rank %d (fence %d of %d entries): %d steps, more than %d", r, i, f.count, it.steps, limit)
			}
			closeIter(it)
		}
		start += f.count
	}
	if start != n {
		t.Fatalf("fences count %d entries, want %d", start, n)
	}
}
