package resp

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		in   string
		want string // Value.String(); "" when incomplete
		n    int
		err  string
	}{
		{"+OK\r\n", "OK", 5, ""},
		{"+\r\n", "", 3, ""},
		{"-ERR unknown command\r\n", "(error) ERR unknown command", 22, ""},
		{":0\r\n", "(integer) 0", 4, ""},
		{":-9223372036854775808\r\n", "(integer) -9223372036854775808", 23, ""},
		{"$5\r\nhello\r\n", `"hello"`, 11, ""},
		{"$0\r\n\r\n", `""`, 6, ""},
		{"$4\r\na\r\n\x00\r\n", `"a\r\n\x00"`, 10, ""},
		{"$-1\r\n", "(nil)", 5, ""},
		{"*-1\r\n", "(nil)", 5, ""},
		{"_\r\n", "(nil)", 3, ""},
		{"*0\r\n", "[]", 4, ""},
		{"*2\r\n$1\r\na\r\n:1\r\n", `["a" (integer) 1]`, 15, ""},
		{"*2\r\n*1\r\n+x\r\n*0\r\n", `[[x] []]`, 16, ""},
		{"%2\r\n$1\r\nk\r\n$1\r\nv\r\n+k2\r\n:2\r\n", `{"k": "v", k2: (integer) 2}`, 27, ""},
		{"%0\r\n", "{}", 4, ""},
		{"~2\r\n$1\r\na\r\n$1\r\nb\r\n", `(set) ["a" "b"]`, 18, ""},
		{">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", `(push) ["message" "ch" "hi"]`, 33, ""},
		{"|1\r\n+ttl\r\n:3\r\n", `(attribute) {ttl: (integer) 3}`, 14, ""},
		{",1.1000000000000001\r\n", "(double) 1.1000000000000001", 21, ""},
		{",inf\r\n", "(double) inf", 6, ""},
		{",-inf\r\n", "(double) -inf", 7, ""},
		{",nan\r\n", "(double) nan", 6, ""},
		{",1e+20\r\n", "(double) 1e+20", 8, ""},
		{"#t\r\n", "(true)", 4, ""},
		{"#f\r\n", "(false)", 4, ""},
		{"(3492890328409238509324850943850943825024385\r\n", "(big number) 3492890328409238509324850943850943825024385", 46, ""},
		{"=9\r\ntxt:id=1\n\r\n", `(verbatim txt) "id=1\n"`, 15, ""},
		{"!21\r\nSYNTAX invalid syntax\r\n", "(error) SYNTAX invalid syntax", 28, ""},
		{"+OK\r\n+second\r\n", "OK", 5, ""},
		{"$3\r\na\"\\\r\n", `"a\"\\"`, 9, ""},
		{"$1\r\n\x7f\r\n", `"\x7f"`, 7, ""},

		{"", "", 0, ""},
		{"+OK", "", 0, ""},
		{"+OK\r", "", 0, ""},
		{"$5\r\nhel", "", 0, ""},
		{"$5\r\nhello\r", "", 0, ""},
		{"*2\r\n:1\r\n", "", 0, ""},
		{"*1000000000\r\n:1\r\n", "", 0, ""},
		{"%2\r\n+a\r\n+b\r\n+c\r\n", "", 0, ""},

		{"+OK\n", "", 0, "Protocol error: reply line does not end in CRLF"},
		{"+\n", "", 0, "Protocol error: reply line does not end in CRLF"},
		{"\n\r\n", "", 0, `Protocol error, got "\n" as reply type byte`},
		{":abc\r\n", "", 0, "Protocol error: invalid integer in reply"},
		{":\r\n", "", 0, "Protocol error: invalid integer in reply"},
		{"$-2\r\n", "", 0, "Protocol error: invalid bulk length in reply"},
		{"$x\r\n", "", 0, "Protocol error: invalid bulk length in reply"},
		{"$?\r\n", "", 0, "Protocol error: invalid bulk length in reply"},
		{"!-1\r\n", "", 0, "Protocol error: invalid bulk length in reply"},
		{"$3\r\nabcXY", "", 0, "Protocol error: bulk string in reply does not end in CRLF"},
		{"*-2\r\n", "", 0, "Protocol error: invalid aggregate length in reply"},
		{"%-1\r\n", "", 0, "Protocol error: invalid aggregate length in reply"},
		{"*?\r\n", "", 0, "Protocol error: invalid aggregate length in reply"},
		{"%4611686018427387905\r\n", "", 0, "Protocol error: invalid aggregate length in reply"},
		{"_x\r\n", "", 0, "Protocol error: invalid null in reply"},
		{",\r\n", "", 0, "Protocol error: invalid double in reply"},
		{",Inf\r\n", "", 0, "Protocol error: invalid double in reply"},
		{",0x1p3\r\n", "", 0, "Protocol error: invalid double in reply"},
		{",1e999\r\n", "", 0, "Protocol error: invalid double in reply"},
		{"#x\r\n", "", 0, "Protocol error: invalid boolean in reply"},
		{"(12a\r\n", "", 0, "Protocol error: invalid big number in reply"},
		{"=3\r\ntxt\r\n", "", 0, "Protocol error: invalid verbatim string in reply"},
		{"=4\r\ntxt-\r\n", "", 0, "Protocol error: invalid verbatim string in reply"},
		{"x\r\n", "", 0, `Protocol error, got "x" as reply type byte`},
		{"*1\r\n*1\r\nx\r\n", "", 0, `Protocol error, got "x" as reply type byte`},
		{strings.Repeat("*1\r\n", maxReplyDepth+2) + ":1\r\n", "", 0, "Protocol error: reply nested too deeply"},
	}
	for _, tt := range tests {
		v, n, err := ReadReply([]byte(tt.in))
		gotErr := ""
		if err != nil {
			if _, ok := err.(*ProtocolError); !ok {
				t.Errorf("ReadReply(%q): error %T", tt.in, err)
			}
			gotErr = err.Error()
		}
		if gotErr != tt.err || n != tt.n {
			t.Errorf("ReadReply(%q) = n %d, err %q; want n %d, err %q", trunc(tt.in), n, gotErr, tt.n, tt.err)
			continue
		}
		if n > 0 && v.String() != tt.want {
			t.Errorf("ReadReply(%q) = %s, want %s", tt.in, v, tt.want)
		}
	}
}

func TestReadReplyFields(t *testing.T) {
	v, _, _ := ReadReply([]byte(",1.5\r\n"))
	if v.Kind != Double || v.Float != 1.5 || string(v.Str) != "1.5" {
		t.Errorf("double: %+v", v)
	}
	v, _, _ = ReadReply([]byte(",-inf\r\n"))
	if !math.IsInf(v.Float, -1) {
		t.Errorf("-inf: %+v", v)
	}
	v, _, _ = ReadReply([]byte("=9\r\nmkd:# hi\n\r\n"))
	if v.Kind != Verbatim || string(v.Format) != "mkd" || string(v.Str) != "# hi\n" {
		t.Errorf("verbatim: %+v", v)
	}
	v, _, _ = ReadReply([]byte("%1\r\n+k\r\n:7\r\n"))
	if v.Kind != Map || len(v.Elems) != 2 || v.Elems[1].Int != 7 {
		t.Errorf("map: %+v", v)
	}
	buf := []byte("$3\r\nabc\r\n")
	v, _, _ = ReadReply(buf)
	if &v.Str[0] != &buf[4] || cap(v.Str) != 3 {
		t.Error("bulk payload does not alias the buffer with capped capacity")
	}
	if Kind('?').String() != "kind(63)" || Map.String() != "map" {
		t.Error("Kind.String")
	}
}

// Every encoder's output reads back as the value it encodes, and every
// proper prefix of it is incomplete.
func TestReadReplyRoundTrip(t *testing.T) {
	tests := []struct {
		enc  []byte
		want string
	}{
		{AppendSimple(nil, "OK"), "OK"},
		{AppendError(nil, "ERR bad\nthing"), "(error) ERR bad thing"},
		{AppendInt(nil, -42), "(integer) -42"},
		{AppendBulk(nil, []byte("a\x00b")), `"a\x00b"`},
		{AppendBulkString(nil, ""), `""`},
		{AppendBulkInt(nil, 99), `"99"`},
		{AppendNull(nil, 2), "(nil)"},
		{AppendNull(nil, 3), "(nil)"},
		{AppendNullArray(nil, 2), "(nil)"},
		{AppendNullArray(nil, 3), "(nil)"},
		{AppendBulk(AppendArrayLen(nil, 1), []byte("x")), `["x"]`},
		{AppendInt(AppendBulkString(AppendMapLen(nil, 1, 3), "k"), 1), `{"k": (integer) 1}`},
		{AppendInt(AppendBulkString(AppendMapLen(nil, 1, 2), "k"), 1), `["k" (integer) 1]`},
		{AppendBulkString(AppendSetLen(nil, 1, 3), "m"), `(set) ["m"]`},
		{AppendBulkString(AppendSetLen(nil, 1, 2), "m"), `["m"]`},
		{AppendBulkString(AppendPushLen(nil, 1, 3), "p"), `(push) ["p"]`},
		{AppendBulkString(AppendPushLen(nil, 1, 2), "p"), `["p"]`},
		{AppendDouble(nil, 2.5, 3), "(double) 2.5"},
		{AppendDouble(nil, math.Inf(-1), 3), "(double) -inf"},
		{AppendDouble(nil, 0.1, 2), `"0.10000000000000001"`},
		{AppendBool(nil, true, 3), "(true)"},
		{AppendBool(nil, false, 2), "(integer) 0"},
		{AppendVerbatim(nil, "txt", []byte("a\nb"), 3), `(verbatim txt) "a\nb"`},
		{AppendVerbatim(nil, "txt", []byte("a\nb"), 2), `"a\nb"`},
	}
	for _, tt := range tests {
		v, n, err := ReadReply(tt.enc)
		if err != nil || n != len(tt.enc) || v.String() != tt.want {
			t.Errorf("ReadReply(%q) = %s, n %d, %v; want %s", tt.enc, v, n, err, tt.want)
		}
		for k := 0; k < len(tt.enc); k++ {
			if _, n, err := ReadReply(tt.enc[:k]); n != 0 || err != nil {
				t.Errorf("prefix %q: n %d, %v", tt.enc[:k], n, err)
			}
		}
	}
}

// appendValue re-encodes a parsed reply byte-exactly enough to parse back
// to the same Value.
func appendValue(dst []byte, v Value) []byte {
	line := func(prefix byte, b []byte) []byte {
		dst = append(dst, prefix)
		dst = append(dst, b...)
		return append(dst, '\r', '\n')
	}
	blob := func(prefix byte, b []byte) []byte {
		dst = line(prefix, strconv.AppendInt(nil, int64(len(b)), 10))
		dst = append(dst, b...)
		return append(dst, '\r', '\n')
	}
	switch v.Kind {
	case SimpleString:
		return line('+', v.Str)
	case Error:
		return blob('!', v.Str)
	case Integer:
		return AppendInt(dst, v.Int)
	case BulkString:
		return blob('$', v.Str)
	case Verbatim:
		return blob('=', append(append(append([]byte(nil), v.Format...), ':'), v.Str...))
	case Null:
		return line('_', nil)
	case Double:
		return line(',', v.Str)
	case BigNumber:
		return line('(', v.Str)
	case Bool:
		return AppendBool(dst, v.Bool, 3)
	}
	count := len(v.Elems)
	if v.Kind == Map || v.Kind == Attribute {
		count /= 2
	}
	dst = line(byte(v.Kind), strconv.AppendInt(nil, int64(count), 10))
	for _, e := range v.Elems {
		dst = appendValue(dst, e)
	}
	return dst
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n+k\r\n,1.5\r\n", "~1\r\n#t\r\n",
		">2\r\n+a\r\n_\r\n", "|1\r\n+a\r\n(123\r\n", "=5\r\ntxt:x\r\n", "!3\r\nERR\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, buf []byte) {
		v, n, err := ReadReply(buf)
		if n < 0 || n > len(buf) {
			t.Fatalf("n = %d outside [0, %d]", n, len(buf))
		}
		if err != nil {
			if _, ok := err.(*ProtocolError); !ok || n != 0 {
				t.Fatalf("error %v (%T) with n %d", err, err, n)
			}
			return
		}
		if n == 0 {
			return
		}
		text := v.String()
		enc := appendValue(nil, v)
		again, n2, err := ReadReply(enc)
		if err != nil || n2 != len(enc) || again.String() != text {
			t.Fatalf("%q parsed as %s, re-encoded %q parsed as %s (n %d, %v)", buf[:n], text, enc, again, n2, err)
		}
	})
}
