package resp

import (
	"bufio"
	"math"
	"os"
	"strings"
	"testing"
)

// testdata/incrbyfloat.txt holds INCRBYFLOAT results recorded from
// redis-server 7.0.15; LongDouble must reproduce every one exactly.
func TestLongDoubleMatchesRedis(t *testing.T) {
	f, err := os.Open("testdata/incrbyfloat.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 {
			t.Fatalf("bad line %q", line)
		}
		cur, ok1 := ParseLongDouble([]byte(fields[0]))
		incr, ok2 := ParseLongDouble([]byte(fields[1]))
		if !ok1 || !ok2 {
			t.Errorf("%s + %s: operand refused", fields[0], fields[1])
			continue
		}
		if got := cur.Add(incr).String(); got != fields[2] {
			t.Errorf("%s + %s = %s, Redis says %s", fields[0], fields[1], trunc(got), trunc(fields[2]))
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d vectors", n)
	}
}

// Which texts string2ld accepts, recorded from redis-server 7.0.15 (SET k
// <text>; INCRBYFLOAT k 0 says "value is not a valid float" or not).
func TestParseLongDouble(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want string // String() of the parsed value when ok
	}{
		{"\x00", false, ""},
		{"1.5\x00abc", false, ""},
		{"0x1p3", true, "8"},
		{"0x1.8p1", true, "3"},
		{"0X10", true, "16"},
		{"0x", false, ""},
		{"0xp3", false, ""},
		{"0x1p", false, ""},
		{" 1", false, ""},
		{"1 ", false, ""},
		{"\t1", false, ""},
		{"inf", true, "inf"},
		{"-Infinity", true, "-inf"},
		{"+INF", true, "inf"},
		{"infin", false, ""},
		{"1e", false, ""},
		{"1e+", false, ""},
		{".5", true, "0.5"},
		{"5.", true, "5"},
		{".", false, ""},
		{"-", false, ""},
		{"+1", true, "1"},
		{"nan", false, ""},
		{"-NaN", false, ""},
		{"nan(123)", false, ""},
		{"1e5000", false, ""},
		{"1e-5000", false, ""},
		{"1e-4940", true, "0"},
		{"1e99999999999999999999", false, ""},
		{"0e99999999999999999999", true, "0"},
		{"1e-99999999999999999999", false, ""},
		{"", false, ""},
		{"0e999999999", true, "0"},
		{"-0", true, "0"},
		{"1_0", false, ""},
		{"1,5", false, ""},
		{"00012.50", true, "12.5"},
		{"1." + strings.Repeat("0", 5117), true, "1"}, // 5119 bytes: the longest accepted
		{"1." + strings.Repeat("0", 5118), false, ""},
	}
	for _, tt := range tests {
		got, ok := ParseLongDouble([]byte(tt.in))
		if ok != tt.ok {
			t.Errorf("ParseLongDouble(%q) ok = %v, want %v", trunc(tt.in), ok, tt.ok)
			continue
		}
		if ok && tt.want != "" && !strings.HasPrefix(got.String(), tt.want[:min(len(tt.want), 40)]) {
			t.Errorf("ParseLongDouble(%q) = %s, want %s", trunc(tt.in), trunc(got.String()), trunc(tt.want))
		}
	}
	// 0x1.fffffffffffffffep16383 is LDBL_MAX; one more unit overflows.
	if _, ok := ParseLongDouble([]byte("0x1.fffffffffffffffep16383")); !ok {
		t.Error("LDBL_MAX refused")
	}
	if _, ok := ParseLongDouble([]byte("0x1p16384")); ok {
		t.Error("2^16384 accepted")
	}
	if _, ok := ParseLongDouble([]byte("1.2e4932")); ok {
		t.Error("1.2e4932 accepted")
	}
}

func TestLongDoubleAdd(t *testing.T) {
	parse := func(s string) LongDouble {
		v, ok := ParseLongDouble([]byte(s))
		if !ok {
			t.Fatalf("parse %q", s)
		}
		return v
	}
	if s := parse("inf").Add(parse("-inf")); !s.IsNaN() || s.String() != "nan" {
		t.Errorf("inf + -inf = %s, want nan", s)
	}
	if s := parse("inf").Add(parse("1")); !s.IsInf() || s.String() != "inf" {
		t.Errorf("inf + 1 = %s", s)
	}
	max := parse("0x1.fffffffffffffffep16383")
	if s := max.Add(max); !s.IsInf() {
		t.Errorf("LDBL_MAX * 2 = %s, want inf", trunc(s.String()))
	}
	if s := max.Add(max).Add(LongDouble{}); !s.IsInf() {
		t.Error("inf + 0 is finite")
	}
	if s := (LongDouble{}).Add(LongDouble{}); s.String() != "0" || s.Float64() != 0 {
		t.Errorf("0 + 0 = %s", s)
	}
	if f := parse("0.1").Float64(); f != 0.1 {
		t.Errorf("Float64(0.1) = %v", f)
	}
	if s := parse("-1").Add(parse("1e-30")); s.String() != "-1" {
		t.Errorf("-1 + 1e-30 = %s", s)
	}
	if s := parse("-1e-30").Add(LongDouble{}); s.String() != "0" {
		t.Errorf("-1e-30 prints %s, want 0 (no -0)", s)
	}
}

func TestFormatIncrFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{10.5 + 0.1, "10.6"},
		{0.1 + 0.2, "0.3"},
		{3.0e3 + 200, "3200"},
		{5.0e3, "5000"},
		{5.0e3 + 2.0e2, "5200"},
		{1000 + 0.1, "1000.09999999999999998"}, // as Redis 7.0 prints it
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{-1 + 1e-20, "-1"},
		{0.1 - 0.3, "-0.2"},
		{1e20, "100000000000000000000"},
		{2.5e-5 + 1e-5, "0.000035"},
		{1e-20, "0"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		if got := FormatIncrFloat(tt.in); got != tt.want {
			t.Errorf("FormatIncrFloat(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCeilMulInt64(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"1", 1000}, {"0.0001", 1}, {"-0.0001", 0}, {"1.5", 1500}, {"-1.5", -1500},
		{"9223372036854775", 9223372036854775000}, // exact in long double, not in float64
		{"9223372036854776", math.MinInt64},
		{"inf", math.MinInt64}, {"-inf", math.MinInt64}, {"1e300", math.MinInt64},
	} {
		x, ok := ParseLongDouble([]byte(tc.in))
		if !ok {
			t.Fatalf("%q does not parse", tc.in)
		}
		if got := x.CeilMulInt64(1000); got != tc.want {
			t.Errorf("ceil(%s*1000) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
