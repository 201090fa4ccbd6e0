package daemon

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The fixtures (zopTestSetup) and the runner (runZopTestCases, which
// checks against a real server with REDOUBT_SCENARIO_REDIS) are in
// cmd_zsetops_test.go.

func TestSort(t *testing.T) {
	weights := []string{"RPUSH l 3 1 2 10", "MSET w_1 30 w_2 20 w_3 10", "HSET h_1 f b", "HSET h_2 f a"}
	runZopTestCases(t, []zopTestCase{{
		name:  "list",
		setup: weights,
		script: []string{
			"SORT l", `["1" "2" "3" "10"]`,
			"SORT l DESC", `["10" "3" "2" "1"]`,
			"SORT l ALPHA", `["1" "10" "2" "3"]`,
			"SORT l ALPHA DESC", `["3" "2" "10" "1"]`,
			"SORT l DESC ASC", `["1" "2" "3" "10"]`,
			"SORT l LIMIT 1 2", `["2" "3"]`,
			"SORT l LIMIT 1 -1", `["2" "3" "10"]`,
			"SORT l LIMIT -5 2", `["1" "2"]`,
			"SORT l LIMIT 3 100", `["10"]`,
			"SORT l LIMIT 4 1", `[]`,
			"SORT l LIMIT 0 0", `[]`,
			"SORT l LIMIT 9223372036854775807 9223372036854775807", `[]`,
			"SORT l LIMIT 2 1 LIMIT 0 1", `["1"]`,
			"SORT l BY nosort", `["3" "1" "2" "10"]`,
			"SORT l BY nosort DESC", `["10" "2" "1" "3"]`,
			"SORT l BY nosort LIMIT 1 2", `["1" "2"]`,
			"SORT l BY nosort DESC LIMIT 1 2", `["2" "1"]`,
			"SORT l BY nosort LIMIT 3 5 DESC", `["3"]`,
			"SORT l BY nosort LIMIT 4 5", `[]`,
			"SORT_RO l DESC LIMIT 0 1", `["10"]`,
			"SORT nosuch", `[]`,
			"SORT nosuch BY nosort LIMIT 0 1", `[]`,
		},
	}, {
		name:  "by and get",
		setup: weights,
		script: []string{
			"SORT l BY w_*", `["10" "3" "2" "1"]`,
			"SORT l BY w_* DESC", `["1" "2" "3" "10"]`,
			"SORT l BY w_* GET # GET w_*", `["10" (nil) "3" "10" "2" "20" "1" "30"]`,
			"SORT l BY w_* LIMIT 1 2 GET w_*", `["10" "20"]`,
			"SORT l BY h_*->f ALPHA GET h_*->f GET #", `[(nil) "3" (nil) "10" "a" "2" "b" "1"]`,
			"SORT l BY h_*->f ALPHA DESC", `["1" "2" "3" "10"]`,
			"SORT l BY h_*->f", "(error) " + errSortScores,
			"SORT l BY w_*->f", `["1" "10" "2" "3"]`,
			"SORT l GET h_*->f", `["b" "a" (nil) (nil)]`,
			"SORT l GET h_*", `[(nil) (nil) (nil) (nil)]`,
			"SORT l GET w_*->f", `[(nil) (nil) (nil) (nil)]`,
			"SORT l GET h_*->", `[(nil) (nil) (nil) (nil)]`,
			"SORT l GET nostar", `[(nil) (nil) (nil) (nil)]`,
			"SORT l GET #x", `[(nil) (nil) (nil) (nil)]`,
			"SORT l BY nosort GET # GET w_*", `["3" "10" "1" "30" "2" "20" "10" (nil)]`,
			"SORT l BY nosort BY w_*", `["3" "1" "2" "10"]`,
			"SORT l BY w_* BY nosort", `["3" "1" "2" "10"]`,
		},
	}, {
		name:  "store",
		setup: append([]string{"SET d old", "EXPIRE d 100"}, weights...),
		script: []string{
			"SORT l STORE d", "(integer) 4",
			"TYPE d", "list",
			"TTL d", "(integer) -1",
			"OBJECT ENCODING d", `"quicklist"`,
			"SORT d BY nosort", `["1" "2" "3" "10"]`,
			"SORT l BY w_* GET # GET w_* STORE d", "(integer) 8",
			"SORT d BY nosort", `["10" "" "3" "10" "2" "20" "1" "30"]`,
			"SORT l LIMIT 0 0 STORE d", "(integer) 0",
			"EXISTS d", "(integer) 0",
			"SORT nosuch STORE d", "(integer) 0",
			"SORT l DESC STORE l", "(integer) 4",
			"SORT l BY nosort", `["10" "3" "2" "1"]`,
			"SORT_RO l STORE d", "(error) ERR syntax error",
			"SORT l STORE", "(error) ERR syntax error",
		},
	}, {
		name:  "sets",
		setup: []string{"SADD s c a b", "SADD one x", "SADD n 5 3 9 1"},
		script: []string{
			"SORT s ALPHA", `["a" "b" "c"]`,
			"SORT n", `["1" "3" "5" "9"]`,
			"SORT s", "(error) " + errSortScores,
			"SORT one BY nosort", `["x"]`,
			// Stored without sorting, a set would depend on its
			// iteration order: Redis sorts it ALPHA.
			"SORT s BY nosort STORE d", "(integer) 3",
			"SORT d BY nosort", `["a" "b" "c"]`,
			"SORT s BY nosort DESC STORE d", "(integer) 3",
			"SORT d BY nosort", `["c" "b" "a"]`,
			"SORT n BY nosort LIMIT 1 2 STORE d", "(integer) 2",
			"SORT d BY nosort", `["3" "5"]`,
		},
	}, {
		name:  "sorted sets",
		setup: []string{"ZADD z 1 c 2 b 3 a", "ZADD zn 3 10 2 9 1 8"},
		script: []string{
			"OBJECT ENCODING z", `"listpack"`,
			"SORT z BY nosort", `["c" "b" "a"]`,
			"OBJECT ENCODING z", `"skiplist"`,
			"SORT z BY nosort DESC", `["a" "b" "c"]`,
			"SORT z BY nosort LIMIT 1 1", `["b"]`,
			"SORT z BY nosort DESC LIMIT 1 5", `["b" "c"]`,
			"SORT z BY nosort LIMIT -5 2", `["c" "b"]`,
			"SORT z BY nosort LIMIT 5 1", `[]`,
			"SORT z ALPHA", `["a" "b" "c"]`,
			"SORT z ALPHA DESC LIMIT 0 2", `["c" "b"]`,
			"SORT zn", `["8" "9" "10"]`,
			"SORT zn BY nosort", `["8" "9" "10"]`,
			"SORT_RO zn BY nosort DESC GET #", `["10" "9" "8"]`,
			"SORT z", "(error) " + errSortScores,
		},
	}, {
		name: "scores",
		setup: []string{
			"RPUSH l a b c d", "MSET s_a 1 s_b 1.0 s_c 01 s_d 0x1",
			"RPUSH sp x y z", `MSET v_x " 5" v_y "" v_z -inf`,
			"RPUSH bad x", `SET u_x "5 "`, "RPUSH big x", "SET b_x 1e400", "RPUSH nan x", "SET n_x nan",
			"RPUSH tiny x", "SET t_x 1e-310", "RPUSH hex x", "SET h_x 0x1p-1074",
		},
		script: []string{
			// Equal scores fall back to the elements' bytes.
			"SORT l BY s_* GET s_*", `["1" "1.0" "01" "0x1"]`,
			"SORT l BY s_* DESC", `["d" "c" "b" "a"]`,
			"SORT sp BY v_* GET v_*", `["-inf" "" " 5"]`,
			"SORT bad BY u_*", "(error) " + errSortScores,
			"SORT nan BY n_*", "(error) " + errSortScores,
			"SORT hex BY h_*", `["x"]`,
			"SORT bad BY u_* STORE d", "(error) " + errSortScores,
			"SORT bad BY nosort", `["x"]`,
			"SORT bad BY u_* ALPHA", `["x"]`,
			// Last: Redis does not clear errno before strtod, so after
			// an ERANGE its next SORT on the connection's thread can
			// fail spuriously; Redoubt has no such state.
			"SORT big BY b_*", "(error) " + errSortScores,
			"SORT tiny BY t_*", "(error) " + errSortScores,
		},
	}, {
		name:  "errors",
		setup: []string{"SET str v", "HSET h f v", "RPUSH l 1"},
		script: []string{
			"SORT str", "(error) " + errWrongType,
			"SORT h", "(error) " + errWrongType,
			"SORT_RO str", "(error) " + errWrongType,
			"SORT str foo", "(error) ERR syntax error",
			"SORT l LIMIT 1", "(error) ERR syntax error",
			"SORT l LIMIT a 1", "(error) ERR value is not an integer or out of range",
			"SORT l LIMIT 1 b", "(error) ERR value is not an integer or out of range",
			"SORT l BY", "(error) ERR syntax error",
			"SORT l GET", "(error) ERR syntax error",
			"SORT l STORE", "(error) ERR syntax error",
			"SORT_RO l STORE x", "(error) ERR syntax error",
		},
	}, {
		name:  "resp3",
		proto: 3,
		setup: []string{"RPUSH l 2 1", "SET w_1 x"},
		script: []string{
			"SORT l GET # GET w_*", `["1" "x" "2" (nil)]`,
			"SORT l STORE d", "(integer) 2",
		},
	}})
}

// TestSortStoreLarge stores a long sorted list and reads it back in
// ranges, from both ends.
func TestSortStoreLarge(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	var b strings.Builder
	b.WriteString("RPUSH l")
	for i := 999; i >= 0; i-- {
		b.WriteString(" " + itoa(int64(i)))
	}
	zopTestSetup(t, h, b.String())
	fc := h.client(1)
	for _, tc := range [][2]string{
		{"SORT l STORE d", "(integer) 1000"},
		{"SORT d BY nosort LIMIT 500 3", `["500" "501" "502"]`},
		{"SORT d BY nosort DESC LIMIT 10 2", `["989" "988"]`},
		{"SORT l LIMIT 998 5 DESC", `["1" "0"]`},
	} {
		if got := fc.do(t, tc[0]); len(got) != 1 || got[0] != tc[1] {
			t.Fatalf("%s: got %v want %s", tc[0], got, tc[1])
		}
	}
}

func TestSortLimits(t *testing.T) {
	for _, tc := range []struct {
		offset, count, n int64
		start, end       int64
	}{
		{0, -1, 5, 0, 4},
		{1, 2, 5, 1, 2},
		{-3, 2, 5, 0, 1},
		{3, 100, 5, 3, 4},
		{5, 1, 5, 4, 3},
		{0, 0, 5, 0, -1},
		{0, -5, 5, 0, 4},
		{0, -1, 0, -1, -2},
		{math.MaxInt64, math.MaxInt64, 5, 4, 3},
		{math.MinInt64, math.MaxInt64, 5, 0, 4},
	} {
		s, e := sortLimits(tc.offset, tc.count, tc.n)
		if s != tc.start || e != tc.end {
			t.Errorf("sortLimits(%d, %d, %d) = %d, %d; want %d, %d", tc.offset, tc.count, tc.n, s, e, tc.start, tc.end)
		}
	}
}

func TestSortParseScore(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5", 5, true},
		{"-2.5", -2.5, true},
		{" \t5", 5, true},
		{"5 ", 0, false},
		{"", 0, true},
		{"   ", 0, false},
		{"5\x00junk", 5, true},
		{"\x00", 0, true},
		{"0x10", 16, true},
		{"0X1P3", 8, true},
		{"-0x1.8p1", -3, true},
		{"0x", 0, false},
		{"0x1p-1074", 4.9406564584124654e-324, true},
		{"0x1p-1080", 0, false},
		{"0x1p99999", 0, false},
		{"inf", inf, true},
		{"-Infinity", math.Inf(-1), true},
		{"+INF", inf, true},
		{"infinit", 0, false},
		{"nan", 0, false},
		{"-nan", 0, false},
		{"1e308", 1e308, true},
		{"1e309", 0, false},
		{"1e-400", 0, false},
		{"1e-310", 0, false},
		{"0e-500", 0, true},
		{"2.2250738585072014e-308", 2.2250738585072014e-308, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"1_0", 0, false},
		{"abc", 0, false},
		{"1e", 0, false},
	} {
		got, ok := sortParseScore([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("sortParseScore(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSortPatternKey(t *testing.T) {
	for _, tc := range []struct {
		pattern, subst string
		key, field     string
		ok             bool
	}{
		{"w_*", "1", "w_1", "", true},
		{"*", "x", "x", "", true},
		{"a*b*c", "X", "aXb*c", "", true},
		{"h_*->f", "1", "h_1", "f", true},
		{"h_*->f->g", "1", "h_1", "f->g", true},
		{"h_*->", "1", "h_1->", "", true},
		{"h->x_*", "1", "h->x_1", "", true},
		{"nostar", "1", "", "", false},
		{"a\x00*", "1", "", "", false},
		{"a*\x00->f", "1", "a1\x00->f", "", true},
		{"a*->f\x00g", "1", "a1", "f\x00g", true},
	} {
		key, field, ok := sortPatternKey(nil, []byte(tc.pattern), []byte(tc.subst))
		if ok != tc.ok || (ok && (string(key) != tc.key || string(field) != tc.field)) {
			t.Errorf("sortPatternKey(%q, %q) = %q, %q, %v; want %q, %q, %v",
				tc.pattern, tc.subst, key, field, ok, tc.key, tc.field, tc.ok)
		}
	}
}

func TestSortComparator(t *testing.T) {
	e := func(obj string, score float64, by string, hasBy bool) sortElem {
		return sortElem{obj: []byte(obj), score: score, by: []byte(by), hasBy: hasBy}
	}
	for _, tc := range []struct {
		name                          string
		alpha, byPattern, store, desc bool
		a, b                          sortElem
		want                          int
	}{
		{"numeric", false, false, false, false, e("b", 1, "", false), e("a", 2, "", false), -1},
		{"numeric tie", false, false, false, false, e("b", 1, "", false), e("a", 1, "", false), 1},
		{"numeric desc", false, false, false, true, e("b", 1, "", false), e("a", 2, "", false), 1},
		{"alpha", true, false, false, false, e("a", 0, "", false), e("b", 0, "", false), -1},
		{"alpha stops at NUL", true, false, false, false, e("a\x00x", 0, "", false), e("a\x00y", 0, "", false), 0},
		{"alpha store is binary", true, false, true, false, e("a\x00x", 0, "", false), e("a\x00y", 0, "", false), -1},
		{"by missing first", true, true, false, false, e("a", 0, "", false), e("b", 0, "z", true), -1},
		{"by both missing", true, true, false, false, e("a", 0, "", false), e("b", 0, "", false), 0},
		{"by value", true, true, false, false, e("a", 0, "z", true), e("b", 0, "y", true), 1},
		{"by empty value", true, true, false, false, e("a", 0, "", true), e("b", 0, "", false), 1},
	} {
		cmp := sortComparator(tc.alpha, tc.byPattern, tc.store, tc.desc)
		if got := cmp(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: got %d want %d", tc.name, got, tc.want)
		}
	}
}

// TestSortPartial checks the partial sort puts in [lo, hi] elements that
// a full sort puts there (equal ones may come in another order; the
// scenarios in testdata/sort/partial.txt check that order against Redis).
func TestSortPartial(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cmp := sortComparator(true, true, false, false)
	for iter := 0; iter < 500; iter++ {
		n := 1 + rng.IntN(120)
		v := make([]sortElem, n)
		for i := range v {
			v[i] = sortElem{obj: []byte(itoa(int64(i))), by: []byte{byte('a' + rng.IntN(4))}, hasBy: rng.IntN(8) != 0}
		}
		full := slices.Clone(v)
		slices.SortStableFunc(full, cmp)
		lo := rng.IntN(n)
		hi := lo + rng.IntN(n-lo)
		part := slices.Clone(v)
		sortPartial(part, cmp, lo, hi)
		for i := lo; i <= hi; i++ {
			if cmp(part[i], full[i]) != 0 {
				t.Fatalf("n=%d [%d, %d]: position %d holds %q, want %q", n, lo, hi, i, part[i].by, full[i].by)
			}
		}
		var seen []string
		for _, e := range part {
			seen = append(seen, string(e.obj))
		}
		slices.Sort(seen)
		if len(slices.Compact(seen)) != n {
			t.Fatalf("partial sort lost or duplicated elements")
		}
	}
}
