package resp

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The expectations below were checked against redis-server 7.0.15 where the
// comment says "Redis:"; the others follow from the same code paths.
func TestReadCommand(t *testing.T) {
	type want struct {
		argv []string // nil: no arguments
		n    int      // bytes consumed; 0 with err == "" means incomplete
		need int
		err  string
	}
	big := strings.Repeat("a", DefaultMaxInlineLen+1)
	tests := []struct {
		name string
		in   string
		lim  *Limits
		want want
	}{
		{"empty buffer", "", nil, want{}},
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", nil, want{argv: []string{"GET", "k"}, n: 20}},
		{"binary payload", "*1\r\n$5\r\na\x00\r\nb\r\n", nil, want{argv: []string{"a\x00\r\nb"}, n: 15}},
		{"empty bulk", "*2\r\n$0\r\n\r\n$0\r\n\r\n", nil, want{argv: []string{"", ""}, n: 16}},
		{"only the first of two", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", nil, want{argv: []string{"PING"}, n: 14}},
		// Redis: the two bytes after a payload are skipped unread.
		{"payload not followed by CRLF", "*1\r\n$4\r\nPINGXY*1\r\n", nil, want{argv: []string{"PING"}, n: 14}},
		// Redis: a count line needs some byte after '\r', not '\n'.
		{"count line ends in CR and anything", "*1\rX$4\rXPING\r\n", nil, want{argv: []string{"PING"}, n: 14}},
		{"count zero", "*0\r\nPING\r\n", nil, want{n: 4}},
		{"count minus one", "*-1\r\n", nil, want{n: 5}},
		{"count minus five", "*-5\r\n", nil, want{n: 5}},
		{"count MinInt64", "*-9223372036854775808\r\n", nil, want{n: 23}},
		{"count below MinInt64", "*-9223372036854775809\r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count minus zero", "*-0\r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count leading zero", "*01\r\n$4\r\nPING\r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count plus sign", "*+1\r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count empty", "*\r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count space", "*1 \r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count INT_MAX", "*2147483647\r\n", nil, want{}},
		{"count above INT_MAX", "*2147483648\r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count MaxInt64", "*9223372036854775807\r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count overflows", "*99999999999999999999\r\n", nil, want{err: "Protocol error: invalid multibulk length"}},
		{"count above custom cap", "*4\r\n", &Limits{MaxMultibulkLen: 3}, want{err: "Protocol error: invalid multibulk length"}},
		{"count at custom cap", "*3\r\n", &Limits{MaxMultibulkLen: 3}, want{}},
		{"count line without CR", "*1", nil, want{}},
		{"count line ends in CR", "*1\r", nil, want{}},
		// Redis: strchr stops at the NUL, so the request never completes.
		{"NUL in count line", "*1\x00\r\n$4\r\nPING\r\n", nil, want{}},
		{"count line too big", "*" + big, nil, want{err: "Protocol error: too big mbulk count string"}},
		{"count line at the limit", "*" + big[2:], nil, want{}},
		{"count line too big behind NUL", "*1\x00\r\n" + big, nil, want{err: "Protocol error: too big mbulk count string"}},
		{"custom inline limit", "*12345", &Limits{MaxInlineLen: 5}, want{err: "Protocol error: too big mbulk count string"}},
		{"expected dollar", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", nil, want{err: "Protocol error: expected '$', got 'f'"}},
		// Redis: addReplyErrorFormat turns CR and LF into spaces.
		{"expected dollar got CR", "*1\r\n\r\n", nil, want{err: "Protocol error: expected '$', got ' '"}},
		{"expected dollar got LF", "*1\r\n\n\r\n", nil, want{err: "Protocol error: expected '$', got ' '"}},
		{"expected dollar got high byte", "*1\r\n\xff\r\n", nil, want{err: "Protocol error: expected '$', got '\xff'"}},
		{"bulk negative", "*1\r\n$-1\r\n", nil, want{err: "Protocol error: invalid bulk length"}},
		{"bulk empty", "*1\r\n$\r\n", nil, want{err: "Protocol error: invalid bulk length"}},
		{"bulk leading zero", "*1\r\n$04\r\nPING\r\n", nil, want{err: "Protocol error: invalid bulk length"}},
		{"bulk at proto-max-bulk-len", "*1\r\n$536870912\r\n", nil, want{need: 18 + 536870912}},
		{"bulk above proto-max-bulk-len", "*1\r\n$536870913\r\n", nil, want{err: "Protocol error: invalid bulk length"}},
		{"bulk above custom limit", "*1\r\n$11\r\n", &Limits{MaxBulkLen: 10}, want{err: "Protocol error: invalid bulk length"}},
		{"bulk unlimited", "*1\r\n$9223372036854775807\r\n", &Limits{MaxBulkLen: -1}, want{need: int(^uint(0) >> 1)}},
		{"bulk MaxInt64", "*1\r\n$9223372036854775807\r\n", nil, want{err: "Protocol error: invalid bulk length"}},
		{"bulk line without CR", "*1\r\n$4", nil, want{}},
		{"bulk line too big", "*1\r\n" + big, nil, want{err: "Protocol error: too big bulk count string"}},
		{"second bulk line too big", "*2\r\n$1\r\na\r\n" + big, nil, want{err: "Protocol error: too big bulk count string"}},
		{"bulk line at the limit", "*1\r\n" + big[1:], nil, want{}},
		{"payload incomplete", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123", nil, want{need: 37}},
		{"payload without CRLF", "*1\r\n$4\r\nPING", nil, want{need: 14}},
		{"payload without LF", "*1\r\n$4\r\nPING\r", nil, want{need: 14}},
		{"next header missing", "*2\r\n$4\r\nPING\r\n", nil, want{}},
		// Redis: an unauthenticated client may send 10 arguments of 16 KiB.
		{"unauth count 10", "*10\r\n", &Limits{Unauthenticated: true}, want{}},
		{"unauth count 11", "*11\r\n", &Limits{Unauthenticated: true}, want{err: "Protocol error: unauthenticated multibulk length"}},
		{"unauth count above INT_MAX", "*2147483648\r\n", &Limits{Unauthenticated: true}, want{err: "Protocol error: invalid multibulk length"}},
		{"unauth bulk 16384", "*1\r\n$16384\r\n", &Limits{Unauthenticated: true}, want{need: 16398}},
		{"unauth bulk 16385", "*1\r\n$16385\r\n", &Limits{Unauthenticated: true}, want{err: "Protocol error: unauthenticated bulk length"}},
		{"unauth bulk above max", "*1\r\n$536870913\r\n", &Limits{Unauthenticated: true}, want{err: "Protocol error: invalid bulk length"}},
		{"unauth count -1", "*-1\r\n", &Limits{Unauthenticated: true}, want{n: 5}},

		{"inline", "GET k\r\n", nil, want{argv: []string{"GET", "k"}, n: 7}},
		{"inline LF only", "PING\n", nil, want{argv: []string{"PING"}, n: 5}},
		{"inline two CRs", "PING\r\r\n", nil, want{argv: []string{"PING"}, n: 7}},
		{"inline empty CRLF", "\r\n*1\r\n", nil, want{n: 2}},
		{"inline empty LF", "\n\nPING\n", nil, want{n: 1}},
		{"inline blanks only", " \t\v\f \r\n", nil, want{n: 7}},
		{"inline lone CR", "\r\r\n", nil, want{n: 3}},
		{"inline incomplete", "PING", nil, want{}},
		{"inline incomplete CR", "PING\r", nil, want{}},
		{"inline many blanks", "  SET \t a   b  \r\n", nil, want{argv: []string{"SET", "a", "b"}, n: 17}},
		// Redis: \v and \f separate arguments only at their start.
		{"inline vertical tab inside", "ECHO a\vb\r\n", nil, want{argv: []string{"ECHO", "a\vb"}, n: 10}},
		{"inline leading vt ff", "ECHO \v\ffoo\r\n", nil, want{argv: []string{"ECHO", "foo"}, n: 12}},
		{"inline double quotes", `ECHO "a b" c` + "\r\n", nil, want{argv: []string{"ECHO", "a b", "c"}, n: 14}},
		// Redis: ECHO "a\x41\x4g\n" -> "aAx4g\n".
		{"inline escapes", `ECHO "a\x41\x4g\n" ` + "\r\n", nil, want{argv: []string{"ECHO", "aAx4g\n"}, n: 21}},
		{"inline all escapes", `X "\n\r\t\b\a\\\"\q\x00\xFf"` + "\n", nil, want{argv: []string{"X", "\n\r\t\b\a\\\"q\x00\xff"}, n: 29}},
		{"inline hex at end", `X "\x4"` + "\n", nil, want{argv: []string{"X", "x4"}, n: 8}},
		{"inline single quotes", `ECHO 'a\'b\n'` + "\r\n", nil, want{argv: []string{"ECHO", `a'b\n`}, n: 15}},
		{"inline single in double", `X "it's"` + "\n", nil, want{argv: []string{"X", "it's"}, n: 9}},
		{"inline double in single", `X 'say "hi"'` + "\n", nil, want{argv: []string{"X", `say "hi"`}, n: 13}},
		{"inline empty quotes", `ECHO "" ''` + "\r\n", nil, want{argv: []string{"ECHO", "", ""}, n: 12}},
		{"inline quote mid argument", `ECHO ab'c'` + "\r\n", nil, want{argv: []string{"ECHO", "abc"}, n: 12}},
		{"inline quote after text", `ECHO a"b c"` + "\r\n", nil, want{argv: []string{"ECHO", "ab c"}, n: 13}},
		{"inline raw CR in quotes", "ECHO \"a\rb\"\r\n", nil, want{argv: []string{"ECHO", "a\rb"}, n: 12}},
		{"inline quote then vt", "ECHO \"a\"\v\r\n", nil, want{argv: []string{"ECHO", "a"}, n: 11}},
		{"inline quote then tab", "ECHO \"a\"\tb\r\n", nil, want{argv: []string{"ECHO", "a", "b"}, n: 12}},
		{"inline backslash outside quotes", `SET a\n b` + "\n", nil, want{argv: []string{"SET", `a\n`, "b"}, n: 10}},
		{"inline quote closed then text", `ECHO "a"b` + "\r\n", nil, want{err: "Protocol error: unbalanced quotes in request"}},
		{"inline single closed then text", `ECHO 'a'b` + "\r\n", nil, want{err: "Protocol error: unbalanced quotes in request"}},
		{"inline unterminated double", `ECHO "ab` + "\r\n", nil, want{err: "Protocol error: unbalanced quotes in request"}},
		{"inline unterminated single", `ECHO 'ab` + "\r\n", nil, want{err: "Protocol error: unbalanced quotes in request"}},
		{"inline trailing backslash in quotes", `ECHO "ab\` + "\r\n", nil, want{err: "Protocol error: unbalanced quotes in request"}},
		{"inline quoted text then another", `ECHO a"b c"d` + "\r\n", nil, want{err: "Protocol error: unbalanced quotes in request"}},
		// Redis: strchr stops at the NUL; the line only completes as an error.
		{"inline NUL", "ECHO a\x00b\r\n", nil, want{}},
		{"inline NUL too big", "ECHO \x00" + big, nil, want{err: "Protocol error: too big inline request"}},
		{"inline too big", big, nil, want{err: "Protocol error: too big inline request"}},
		{"inline at the limit", big[1:], nil, want{}},
		// Like Redis, the size is checked only while no '\n' is buffered.
		{"inline long line complete", big + "\n", nil, want{argv: []string{big}, n: len(big) + 1}},
		{"inline not affected by unauth", "ECHO x\n", &Limits{Unauthenticated: true, MaxBulkLen: 1}, want{argv: []string{"ECHO", "x"}, n: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv, n, need, err := ReadCommand([]byte(tt.in), nil, tt.lim)
			gotErr := ""
			if err != nil {
				if _, ok := err.(*ProtocolError); !ok {
					t.Fatalf("error %T, want *ProtocolError", err)
				}
				gotErr = err.Error()
			}
			if gotErr != tt.want.err || n != tt.want.n || need != tt.want.need {
				t.Fatalf("ReadCommand(%q) = n %d, need %d, err %q; want n %d, need %d, err %q",
					trunc(tt.in), n, need, gotErr, tt.want.n, tt.want.need, tt.want.err)
			}
			if got := strs(argv); !equalStrs(got, tt.want.argv) {
				t.Fatalf("ReadCommand(%q) argv = %q, want %q", trunc(tt.in), got, tt.want.argv)
			}
		})
	}
}

// readRecordings returns the tab-separated fields of a testdata file,
// skipping comments.
func readRecordings(t *testing.T, name string, fields int) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && line[0] != '#' {
			rec := strings.Split(line, "\t")
			if len(rec) != fields {
				t.Fatalf("%s: bad line %q", name, line)
			}
			out = append(out, rec)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testdata/inline_redis.txt: random inline lines and how redis-server
// 7.0.15 split them.
func TestReadCommandInlineMatchesRedis(t *testing.T) {
	recs := readRecordings(t, "testdata/inline_redis.txt", 2)
	for _, rec := range recs {
		line := unhex(t, rec[0])
		argv, n, _, err := ReadCommand(append(line, '\r', '\n'), nil, nil)
		if rec[1] == "ERR" {
			if err == nil || err.Error() != "Protocol error: unbalanced quotes in request" {
				t.Errorf("%q: got %q, %v; Redis refused it", line, strs(argv), err)
			}
			continue
		}
		var want []string
		if rec[1] != "" {
			for _, h := range strings.Split(rec[1], ",") {
				want = append(want, string(unhex(t, h)))
			}
		}
		if err != nil || n != len(line)+2 || len(argv) < 2 || !equalStrs(strs(argv[2:]), want) {
			t.Errorf("%q: got %q, n %d, %v; Redis split it into %q", line, strs(argv), n, err, want)
		}
	}
	if len(recs) < 200 {
		t.Fatalf("only %d recordings", len(recs))
	}
}

// testdata/multibulk_redis.txt: mutated pipelines, how many commands
// redis-server 7.0.15 ran from each and which protocol error ended it.
func TestReadCommandPipelinesMatchRedis(t *testing.T) {
	recs := readRecordings(t, "testdata/multibulk_redis.txt", 3)
	for _, rec := range recs {
		buf := unhex(t, rec[0])
		wantCmds, _ := strconv.Atoi(rec[1])
		wantErr := string(unhex(t, rec[2]))
		cmds, gotErr := 0, ""
		for rest := buf; ; {
			argv, n, _, err := ReadCommand(rest, nil, nil)
			if err != nil {
				gotErr = err.Error()
				break
			}
			if n == 0 {
				break
			}
			if len(argv) > 0 { // Redis runs, and answers, non-empty commands only
				cmds++
			}
			rest = rest[n:]
		}
		if cmds != wantCmds || gotErr != wantErr {
			t.Errorf("%q: %d commands, error %q; Redis ran %d, error %q", buf, cmds, gotErr, wantCmds, wantErr)
		}
	}
	if len(recs) < 200 {
		t.Fatalf("only %d recordings", len(recs))
	}
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

func strs(argv [][]byte) []string {
	if len(argv) == 0 {
		return nil
	}
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = string(a)
	}
	return out
}

func equalStrs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A pipelined buffer is consumed command by command, and every prefix of
// it parses as the commands it completes followed by an incomplete one.
func TestReadCommandPipelineAndSplits(t *testing.T) {
	stream := "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n" +
		"PING\r\n" +
		"\r\n" +
		"*0\r\n" +
		`SET "a b" 'c\'d' "\x41"` + "\n" +
		"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n" +
		"*-1\r\n" +
		"*1\r\n$4\r\nPINGXY"
	want := [][]string{
		{"SET", "key", "va\r\nl"},
		{"PING"},
		nil,
		nil,
		{"SET", "a b", "c'd", "A"},
		{"ECHO", ""},
		nil,
		{"PING"},
	}
	parseAll := func(buf []byte) (cmds [][]string, rest []byte) {
		var args [][]byte
		for {
			argv, n, _, err := ReadCommand(buf, args, nil)
			if err != nil {
				t.Fatalf("ReadCommand(%q): %v", buf, err)
			}
			if n == 0 {
				return cmds, buf
			}
			cmds = append(cmds, strs(argv))
			buf = buf[n:]
			args = argv
		}
	}
	cmds, rest := parseAll([]byte(stream))
	if len(rest) != 0 || len(cmds) != len(want) {
		t.Fatalf("parsed %q leaving %q, want %q", cmds, rest, want)
	}
	for i := range want {
		if !equalStrs(cmds[i], want[i]) {
			t.Fatalf("command %d = %q, want %q", i, cmds[i], want[i])
		}
	}
	// Feed the stream in two reads split at every offset: the first read
	// yields whole commands only, and the rest completes the stream.
	for k := 0; k <= len(stream); k++ {
		first, rest := parseAll([]byte(stream[:k]))
		second, left := parseAll(append(rest, stream[k:]...))
		all := append(first, second...)
		if len(left) != 0 || len(all) != len(want) {
			t.Fatalf("split at %d: parsed %q leaving %q", k, all, left)
		}
		for i := range want {
			if !equalStrs(all[i], want[i]) {
				t.Fatalf("split at %d: command %d = %q, want %q", k, i, all[i], want[i])
			}
		}
	}
}

// need is a lower bound: below it the parse cannot progress, at it the
// payload has arrived.
func TestReadCommandNeed(t *testing.T) {
	full := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\n" + strings.Repeat("v", 100) + "\r\n")
	_, _, need, err := ReadCommand(full[:40], nil, nil)
	if err != nil || need != len(full) {
		t.Fatalf("need = %d, %v; want %d", need, err, len(full))
	}
	for k := 40; k < need; k++ {
		if _, n, nd, err := ReadCommand(full[:k], nil, nil); n != 0 || nd != need || err != nil {
			t.Fatalf("prefix %d: n %d need %d err %v", k, n, nd, err)
		}
	}
	if argv, n, _, err := ReadCommand(full[:need], nil, nil); n != len(full) || err != nil || string(argv[2]) != strings.Repeat("v", 100) {
		t.Fatalf("at need: n %d err %v", n, err)
	}
}

// Arguments alias the input without copying, cannot be appended into it,
// and the args slice is reused.
func TestReadCommandAliasing(t *testing.T) {
	buf := []byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nGET j\r\n")
	args := make([][]byte, 0, 8)
	argv, n, _, _ := ReadCommand(buf, args, nil)
	if &argv[0] != &args[:1][0] {
		t.Fatal("argv does not reuse args")
	}
	if &argv[0][0] != &buf[8] || cap(argv[0]) != 3 {
		t.Fatalf("argv[0] does not alias buf with capped capacity (cap %d)", cap(argv[0]))
	}
	_ = append(argv[0], 'X')
	if buf[11] != '\r' {
		t.Fatal("append to an argument overwrote the buffer")
	}
	argv, _, _, _ = ReadCommand(buf[n:], argv, nil)
	if &argv[1][0] != &buf[n+4] || cap(argv[1]) != 1 {
		t.Fatal("inline argument does not alias buf")
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"10", 10, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"18446744073709551615", 0, false}, {"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false}, {"-99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"00", 0, false},
		{"01", 0, false}, {"+1", 0, false}, {" 1", 0, false}, {"1 ", 0, false},
		{"1a", 0, false}, {"a", 0, false}, {"000000000000000000001", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// appendCommand encodes argv as a multibulk request.
func appendCommand(dst []byte, argv [][]byte) []byte {
	dst = AppendArrayLen(dst, len(argv))
	for _, a := range argv {
		dst = AppendBulk(dst, a)
	}
	return dst
}

func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"*1\r\n$4\r\nPINGXY",
		"*0\r\n", "*-1\r\n", "\r\n", "PING\n",
		`SET "a\x41 b" 'c\'d'` + "\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123",
		"*1\r\nx\r\n", `ECHO "a"b` + "\r\n",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, buf []byte, unauth bool) {
		lim := &Limits{Unauthenticated: unauth}
		argv, n, need, err := ReadCommand(buf, nil, lim)
		if n < 0 || n > len(buf) {
			t.Fatalf("n = %d outside [0, %d]", n, len(buf))
		}
		if err != nil {
			if _, ok := err.(*ProtocolError); !ok || n != 0 || len(argv) != 0 {
				t.Fatalf("error %v (%T) with n %d, %d args", err, err, n, len(argv))
			}
			return
		}
		if n == 0 {
			if len(argv) != 0 || (need != 0 && need <= len(buf)) {
				t.Fatalf("incomplete with %d args, need %d of len %d", len(argv), need, len(buf))
			}
			return
		}
		// The consumed bytes alone hold the same command.
		again, n2, _, err := ReadCommand(buf[:n], nil, lim)
		if err != nil || n2 != n || !equalStrs(strs(again), strs(argv)) {
			t.Fatalf("reparse of the consumed %q: %q, n %d, %v", buf[:n], again, n2, err)
		}
		// Every shorter prefix is incomplete (inputs here stay far below
		// the 64 KiB at which a prefix could fail instead).
		if len(buf) <= 1024 {
			for k := 0; k < n; k++ {
				if _, nk, _, err := ReadCommand(buf[:k], nil, lim); nk != 0 || err != nil {
					t.Fatalf("prefix %d of %q: n %d, %v", k, buf[:n], nk, err)
				}
			}
		}
		// Re-encoded as multibulk it parses to the same arguments.
		enc := appendCommand(nil, argv)
		again, n2, _, err = ReadCommand(enc, nil, nil)
		if err != nil || n2 != len(enc) || !equalStrs(strs(again), strs(argv)) {
			t.Fatalf("re-encoded %q: %q, n %d, %v", enc, again, n2, err)
		}
	})
}

func BenchmarkReadCommand(b *testing.B) {
	buf := []byte("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$32\r\n" + strings.Repeat("x", 32) + "\r\n")
	args := make([][]byte, 0, 8)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		argv, n, _, err := ReadCommand(buf, args, nil)
		if err != nil || n != len(buf) || len(argv) != 3 {
			b.Fatal(n, err)
		}
		args = argv
	}
}

func BenchmarkReadCommandInline(b *testing.B) {
	buf := []byte("SET key:000000000001 " + strings.Repeat("x", 32) + "\r\n")
	args := make([][]byte, 0, 8)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		argv, n, _, err := ReadCommand(buf, args, nil)
		if err != nil || n != len(buf) || !bytes.Equal(argv[0], []byte("SET")) {
			b.Fatal(n, err)
		}
		args = argv
	}
}
