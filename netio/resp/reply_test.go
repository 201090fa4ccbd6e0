package resp

import (
	"math"
	"strings"
	"testing"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"simple", AppendSimple(nil, "OK"), "+OK\r\n"},
		{"simple empty", AppendSimple(nil, ""), "+\r\n"},
		{"simple with newlines", AppendSimple(nil, "a\r\nb"), "+a  b\r\n"},
		{"error", AppendError(nil, "ERR unknown command 'x'"), "-ERR unknown command 'x'\r\n"},
		{"error WRONGTYPE", AppendError(nil, "WRONGTYPE Operation against a key holding the wrong kind of value"),
			"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"error with dash", AppendError(nil, "-NOAUTH Authentication required."), "-NOAUTH Authentication required.\r\n"},
		{"error with newlines", AppendError(nil, "ERR unknown command 'a\r\nb'"), "-ERR unknown command 'a  b'\r\n"},
		{"int", AppendInt(nil, 42), ":42\r\n"},
		{"int zero", AppendInt(nil, 0), ":0\r\n"},
		{"int negative", AppendInt(nil, -7), ":-7\r\n"},
		{"int min", AppendInt(nil, math.MinInt64), ":-9223372036854775808\r\n"},
		{"bulk", AppendBulk(nil, []byte("hello")), "$5\r\nhello\r\n"},
		{"bulk binary", AppendBulk(nil, []byte("a\r\n\x00")), "$4\r\na\r\n\x00\r\n"},
		{"bulk nil is empty", AppendBulk(nil, nil), "$0\r\n\r\n"},
		{"bulk string", AppendBulkString(nil, "hi"), "$2\r\nhi\r\n"},
		{"bulk int", AppendBulkInt(nil, -123), "$4\r\n-123\r\n"},
		{"bulk int max", AppendBulkInt(nil, math.MaxInt64), "$19\r\n9223372036854775807\r\n"},
		{"null resp2", AppendNull(nil, 2), "$-1\r\n"},
		{"null resp3", AppendNull(nil, 3), "_\r\n"},
		{"null array resp2", AppendNullArray(nil, 2), "*-1\r\n"},
		{"null array resp3", AppendNullArray(nil, 3), "_\r\n"},
		{"array", AppendArrayLen(nil, 3), "*3\r\n"},
		{"array empty", AppendArrayLen(nil, 0), "*0\r\n"},
		{"map resp2", AppendMapLen(nil, 2, 2), "*4\r\n"},
		{"map resp3", AppendMapLen(nil, 2, 3), "%2\r\n"},
		{"set resp2", AppendSetLen(nil, 2, 2), "*2\r\n"},
		{"set resp3", AppendSetLen(nil, 2, 3), "~2\r\n"},
		{"push resp2", AppendPushLen(nil, 3, 2), "*3\r\n"},
		{"push resp3", AppendPushLen(nil, 3, 3), ">3\r\n"},
		// Redis 7.0: ZSCORE of 1.1 is "1.1000000000000001" in both protocols.
		{"double resp2", AppendDouble(nil, 1.1, 2), "$18\r\n1.1000000000000001\r\n"},
		{"double resp3", AppendDouble(nil, 1.1, 3), ",1.1000000000000001\r\n"},
		{"double integral", AppendDouble(nil, 3000, 2), "$4\r\n3000\r\n"},
		{"double inf resp2", AppendDouble(nil, math.Inf(1), 2), "$3\r\ninf\r\n"},
		{"double -inf resp2", AppendDouble(nil, math.Inf(-1), 2), "$4\r\n-inf\r\n"},
		{"double inf resp3", AppendDouble(nil, math.Inf(1), 3), ",inf\r\n"},
		{"double -inf resp3", AppendDouble(nil, math.Inf(-1), 3), ",-inf\r\n"},
		{"double exponent resp3", AppendDouble(nil, 5e-324, 3), ",4.9406564584124654e-324\r\n"},
		{"bool true resp3", AppendBool(nil, true, 3), "#t\r\n"},
		{"bool false resp3", AppendBool(nil, false, 3), "#f\r\n"},
		{"bool true resp2", AppendBool(nil, true, 2), ":1\r\n"},
		{"bool false resp2", AppendBool(nil, false, 2), ":0\r\n"},
		{"verbatim resp3", AppendVerbatim(nil, "txt", []byte("id=1\n"), 3), "=9\r\ntxt:id=1\n\r\n"},
		{"verbatim short format", AppendVerbatim(nil, "md", []byte("x"), 3), "=5\r\nmd :x\r\n"},
		{"verbatim long format", AppendVerbatim(nil, "text", []byte("x"), 3), "=5\r\ntex:x\r\n"},
		{"verbatim resp2", AppendVerbatim(nil, "txt", []byte("id=1\n"), 2), "$5\r\nid=1\n\r\n"},
		{"appends to dst", AppendInt([]byte("+OK\r\n"), 1), "+OK\r\n:1\r\n"},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// Expected texts are C's printf("%.17g"), which Redis 7.0 replies with.
func TestFormatDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{-1.5, "-1.5"},
		{0.1, "0.10000000000000001"},
		{1.1, "1.1000000000000001"},
		{3000, "3000"},
		{1e16, "10000000000000000"},
		{1e17, "1e+17"},
		{1e20, "1e+20"},
		{123456789.123, "123456789.123"},
		{1e-7, "9.9999999999999995e-08"},
		{0.0001, "0.0001"},
		{0.00001, "1.0000000000000001e-05"},
		{5e-324, "4.9406564584124654e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		if got := FormatDouble(tt.in); got != tt.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkAppendBulk(b *testing.B) {
	payload := []byte(strings.Repeat("x", 32))
	dst := make([]byte, 0, 64)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendBulk(dst[:0], payload)
	}
}
