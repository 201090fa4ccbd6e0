package daemon

import (
	"math/rand"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKeysDifferential is TestCollectionsDifferential for strings, bit
// operations, expiry and the generic key commands: random commands, many of
// them with malformed, out-of-range or conflicting arguments (where error
// texts diverge most easily), run on both backends and on a real Redis 7.0
// when one is installed, every reply compared.
//
// Times are absolute and far from now (EXPIREAT, EXAT, EXPIRETIME), or in
// the past, so that replies do not depend on when a command ran.
func TestKeysDifferential(t *testing.T) {
	d := newDiffRun(t, 6000)
	for i := 0; i < d.n; i++ {
		cmd := kdiffCommand(d.r)
		// Both harnesses follow the real clock, as Redis does.
		d.mem.clock = time.Now().UnixMilli()
		d.peb.clock = d.mem.clock
		if cmd[0] == "SCAN" && cmd[1] == "*" {
			// A whole iteration: the keys seen, as a set, must agree
			// (the pages are each server's own).
			args := cmd[2:]
			d.history = append(d.history, quoteLine(cmd))
			on := func(h *harness) func([]string) string {
				return func(c []string) string { return strings.Join(h.client(1).do(t, quoteLine(c)), "\n") }
			}
			got := kdiffScanAll(t, on(d.mem), args)
			if p := kdiffScanAll(t, on(d.peb), args); p != got {
				d.fail("%q\nmemory: %s\npebble: %s", cmd, got, p)
			}
			if d.redis != nil {
				if want := kdiffScanAll(t, func(c []string) string { return d.redis.do(t, c, ordered) }, args); want != got {
					d.fail("%q\nredis:   %s\nredoubt: %s", cmd, want, got)
				}
			}
			continue
		}
		d.compare(cmd, ordered, d.both(cmd, ordered), func(want, got string) bool { return kdiffSameTime(cmd[0], want, got) })
	}
}

var kdiffQuoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// kdiffScanAll runs SCAN from cursor 0 until it returns 0 and answers the
// keys seen, sorted and deduplicated, or the first error.
func kdiffScanAll(t *testing.T, do func([]string) string, args []string) string {
	t.Helper()
	cursor := "0"
	seen := map[string]bool{}
	for i := 0; ; i++ {
		if i == 10000 {
			t.Fatalf("SCAN %q never returned to cursor 0", args)
		}
		reply := do(append([]string{"SCAN", cursor}, args...))
		if strings.HasPrefix(reply, "(error)") {
			return reply
		}
		toks := kdiffQuoted.FindAllString(reply, -1)
		if len(toks) == 0 {
			t.Fatalf("SCAN reply %s", reply)
		}
		for j, tok := range toks {
			u, err := strconv.Unquote(tok)
			if err != nil {
				t.Fatalf("SCAN reply %s: %v", reply, err)
			}
			if j == 0 {
				cursor = u
			} else {
				seen[u] = true
			}
		}
		if cursor == "0" {
			break
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

// kdiffSameTime accepts expiry times that differ by the clock's drift
// between the two servers: a relative expiry set a moment apart.
func kdiffSameTime(cmd, a, b string) bool {
	var slack int64
	switch strings.ToUpper(cmd) {
	case "EXPIRETIME", "TTL":
		slack = 1
	case "PEXPIRETIME", "PTTL":
		slack = 50
	default:
		return false
	}
	x, err1 := strconv.ParseInt(strings.TrimPrefix(a, "(integer) "), 10, 64)
	y, err2 := strconv.ParseInt(strings.TrimPrefix(b, "(integer) "), 10, 64)
	if err1 != nil || err2 != nil || x < 0 || y < 0 {
		return false
	}
	return x-y <= slack && y-x <= slack
}

func kdiffKey(r *rand.Rand) string { return []string{"s", "t", "u", "h"}[r.Intn(4)] }

// kdiffValue draws a value: integers (some at the edges of int64),
// floats, bit patterns and plain text.
func kdiffValue(r *rand.Rand) string {
	switch r.Intn(10) {
	case 0:
		return strconv.Itoa(r.Intn(40) - 20)
	case 1:
		return []string{"9223372036854775807", "-9223372036854775808", "9223372036854775806", "18446744073709551615", "0x10", " 1", "1 ", "01", "-0", "+1", ""}[r.Intn(11)]
	case 2:
		return []string{"1.5", "-0.25", "1e3", "inf", "-inf", "nan", "3.0", "1.7976931348623157e308", "5e-324", ".5", "1e"}[r.Intn(11)]
	case 3:
		return strings.Repeat("\xff", r.Intn(4))
	case 4:
		return "\x00\x01\x80" + strconv.Itoa(r.Intn(3))
	case 5:
		return strings.Repeat("ab", r.Intn(30))
	}
	return "v" + strconv.Itoa(r.Intn(8))
}

// kdiffInt draws an integer argument, sometimes malformed or extreme.
func kdiffInt(r *rand.Rand) string {
	switch r.Intn(12) {
	case 0:
		return []string{"9223372036854775807", "-9223372036854775808", "9223372036854775808", "x", "1.5", "", "-1", "4294967296", "536870912"}[r.Intn(9)]
	}
	return strconv.Itoa(r.Intn(24) - 6)
}

// kdiffTime draws an absolute unix time in seconds: far future, past, or
// malformed.
func kdiffTime(r *rand.Rand) string {
	switch r.Intn(8) {
	case 0:
		return "1"
	case 1:
		return []string{"-5", "x", "9223372036854775807", "0"}[r.Intn(4)]
	}
	return strconv.Itoa(4000000000 + r.Intn(1000))
}

// kdiffTTL draws a relative expiry: long enough that no key expires
// during the test, or invalid, or overflowing.
func kdiffTTL(r *rand.Rand) string {
	return []string{"100000", "200000", "0", "-1", "x", "1.5", "9223372036854775807", "9223372036854775", "9223372036854776"}[r.Intn(9)]
}

func kdiffBitType(r *rand.Rand) string {
	return []string{"u8", "i8", "u1", "i64", "u63", "u64", "i0", "x8", "i16", "u5"}[r.Intn(10)]
}

func kdiffBitOffset(r *rand.Rand) string {
	switch r.Intn(6) {
	case 0:
		return "#" + strconv.Itoa(r.Intn(5))
	case 1:
		return []string{"-1", "x", "4294967296", "#-1"}[r.Intn(4)]
	}
	return strconv.Itoa(r.Intn(70))
}

// kdiffCommand draws one command.
func kdiffCommand(r *rand.Rand) []string {
	k, k2 := kdiffKey(r), kdiffKey(r)
	v := kdiffValue
	i := kdiffInt
	switch r.Intn(76) {
	case 0, 1:
		return []string{"SET", k, v(r)}
	case 2:
		opts := []string{"NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT"}
		cmd := []string{"SET", k, v(r)}
		for j := r.Intn(3); j > 0; j-- {
			o := opts[r.Intn(len(opts))]
			cmd = append(cmd, o)
			switch o {
			case "EX", "PX":
				cmd = append(cmd, kdiffTTL(r))
			case "EXAT":
				cmd = append(cmd, kdiffTime(r))
			case "PXAT":
				cmd = append(cmd, kdiffTime(r)+"000")
			}
		}
		return cmd
	case 3:
		return []string{"GET", k}
	case 4:
		return []string{"GETSET", k, v(r)}
	case 5:
		return []string{"GETDEL", k}
	case 6:
		cmd := []string{"GETEX", k}
		switch r.Intn(6) {
		case 0:
			cmd = append(cmd, "PERSIST")
		case 1:
			cmd = append(cmd, "EXAT", kdiffTime(r))
		case 2:
			cmd = append(cmd, []string{"EX", "PX"}[r.Intn(2)], kdiffTTL(r))
		case 3:
			cmd = append(cmd, "PERSIST", "EX", "10")
		case 4:
			cmd = append(cmd, "BOGUS")
		}
		return cmd
	case 7:
		return []string{"SETNX", k, v(r)}
	case 8:
		return []string{"SETEX", k, kdiffTTL(r), v(r)}
	case 9:
		return []string{"PSETEX", k, kdiffTTL(r), v(r)}
	case 10:
		return []string{"MGET", k, k2, "nokey"}
	case 11:
		if r.Intn(4) == 0 {
			return []string{"MSET", k, v(r), k2}
		}
		return []string{"MSET", k, v(r), k2, v(r)}
	case 12:
		return []string{"MSETNX", k, v(r), k2, v(r)}
	case 13:
		return []string{"APPEND", k, v(r)}
	case 14:
		return []string{"STRLEN", k}
	case 15:
		return []string{"INCR", k}
	case 16:
		return []string{"DECR", k}
	case 17:
		return []string{"INCRBY", k, i(r)}
	case 18:
		return []string{"DECRBY", k, i(r)}
	case 19:
		return []string{"INCRBYFLOAT", k, v(r)}
	case 20:
		return []string{"GETRANGE", k, i(r), i(r)}
	case 21:
		off := strconv.Itoa(r.Intn(20))
		if r.Intn(6) == 0 {
			off = i(r)
		}
		return []string{"SETRANGE", k, off, v(r)}
	case 22:
		cmd := []string{"LCS", k, k2}
		switch r.Intn(5) {
		case 0:
			cmd = append(cmd, "LEN")
		case 1:
			cmd = append(cmd, "IDX")
		case 2:
			cmd = append(cmd, "IDX", "MINMATCHLEN", i(r), "WITHMATCHLEN")
		case 3:
			cmd = append(cmd, "LEN", "IDX")
		}
		return cmd
	case 23, 24:
		bit := []string{"0", "1", "2", "x"}[r.Intn(4)]
		if r.Intn(3) > 0 {
			bit = strconv.Itoa(r.Intn(2))
		}
		return []string{"SETBIT", k, kdiffBitOffset(r), bit}
	case 25:
		return []string{"GETBIT", k, kdiffBitOffset(r)}
	case 26:
		cmd := []string{"BITCOUNT", k}
		switch r.Intn(4) {
		case 0:
			cmd = append(cmd, i(r), i(r))
		case 1:
			cmd = append(cmd, i(r), i(r), []string{"BYTE", "BIT", "bit", "WORD"}[r.Intn(4)])
		case 2:
			cmd = append(cmd, i(r))
		}
		return cmd
	case 27:
		cmd := []string{"BITPOS", k, []string{"0", "1", "2"}[r.Intn(3)]}
		switch r.Intn(4) {
		case 0:
			cmd = append(cmd, i(r))
		case 1:
			cmd = append(cmd, i(r), i(r))
		case 2:
			cmd = append(cmd, i(r), i(r), []string{"BYTE", "BIT"}[r.Intn(2)])
		}
		return cmd
	case 28:
		op := []string{"AND", "OR", "XOR", "NOT", "and", "NAND"}[r.Intn(6)]
		cmd := []string{"BITOP", op, k, k2}
		if r.Intn(2) == 0 {
			cmd = append(cmd, kdiffKey(r))
		}
		return cmd
	case 29, 30:
		cmd := []string{"BITFIELD", k}
		for j := r.Intn(3) + 1; j > 0; j-- {
			switch r.Intn(5) {
			case 0:
				cmd = append(cmd, "GET", kdiffBitType(r), kdiffBitOffset(r))
			case 1:
				cmd = append(cmd, "SET", kdiffBitType(r), kdiffBitOffset(r), i(r))
			case 2:
				cmd = append(cmd, "INCRBY", kdiffBitType(r), kdiffBitOffset(r), i(r))
			case 3:
				cmd = append(cmd, "OVERFLOW", []string{"WRAP", "SAT", "FAIL", "wrap", "NONE"}[r.Intn(5)])
			default:
				cmd = append(cmd, []string{"GET", "BOGUS", "SET"}[r.Intn(3)])
			}
		}
		return cmd
	case 31:
		return []string{"BITFIELD_RO", k, "GET", kdiffBitType(r), kdiffBitOffset(r)}
	case 32:
		return []string{"DEL", k, k2}
	case 33:
		return []string{"EXISTS", k, k, k2}
	case 34:
		return []string{"TYPE", k}
	case 35:
		return []string{"RENAME", k, k2}
	case 36:
		return []string{"RENAMENX", k, k2}
	case 37:
		cmd := []string{"COPY", k, k2}
		if r.Intn(2) == 0 {
			cmd = append(cmd, "REPLACE")
		}
		if r.Intn(4) == 0 {
			cmd = append(cmd, "DB", []string{"0", "16", "x", "-1"}[r.Intn(4)])
		}
		return cmd
	case 38:
		return []string{"OBJECT", "ENCODING", k}
	case 39, 40:
		cmd := []string{"EXPIREAT", k, kdiffTime(r)}
		if r.Intn(2) == 0 {
			cmd = append(cmd, []string{"NX", "XX", "GT", "LT", "NX XX", "GT LT", "BAD"}[r.Intn(7)])
			cmd = append(cmd[:3], strings.Fields(cmd[3])...)
		}
		return cmd
	case 41:
		return []string{"PEXPIREAT", k, kdiffTime(r) + "000", []string{"NX", "XX", "GT", "LT"}[r.Intn(4)]}
	case 42:
		return []string{[]string{"EXPIRE", "PEXPIRE"}[r.Intn(2)], k, kdiffTTL(r)}
	case 43:
		return []string{"EXPIRETIME", k}
	case 44:
		return []string{"PEXPIRETIME", k}
	case 45:
		return []string{"PERSIST", k}
	case 46:
		return []string{"TTL", "nokey"}
	case 47:
		return []string{"TOUCH", k, k2}
	case 48:
		return []string{"UNLINK", k}
	case 49:
		return []string{"HSET", "h", v(r), v(r)}
	case 50:
		return []string{"DBSIZE"}
	case 51:
		return []string{"SETRANGE", k, strconv.Itoa(r.Intn(12)), ""}
	case 52:
		return []string{"GETRANGE", k, "0", "-1"}
	case 53:
		return []string{"OBJECT", []string{"REFCOUNT", "FREQ", "BOGUS", "ENCODING"}[r.Intn(4)], k}
	case 54:
		return []string{"SET", k, v(r), []string{"EX", "PX", "EXAT"}[r.Intn(3)]}
	case 55:
		return []string{"INCRBYFLOAT", k, []string{"1e308", "-1e308", "0.1", "abc", "1e400"}[r.Intn(5)]}
	case 56:
		return []string{"SETBIT", k, strconv.Itoa(r.Intn(100)), "1"}
	case 57:
		return []string{"BITCOUNT", k, "0", "-1", "BIT"}
	case 58:
		return []string{"MOVE", k, []string{"1", "0", "16", "x"}[r.Intn(4)]}
	case 59:
		return []string{"SELECT", "1"}
	case 60:
		return []string{"SELECT", "0"}
	case 61:
		return []string{"DUMP", "nokey"}
	case 62:
		return []string{"STRLEN", k, k2}
	case 63:
		return []string{[]string{"TTL", "PTTL"}[r.Intn(2)], k}
	case 64:
		cmd := []string{[]string{"EXPIRE", "PEXPIRE"}[r.Intn(2)], k, kdiffTTL(r)}
		for j := r.Intn(3); j > 0; j-- {
			cmd = append(cmd, []string{"NX", "XX", "GT", "LT", "nx", "BAD"}[r.Intn(6)])
		}
		return cmd
	case 65:
		return []string{"SUBSTR", k, i(r), i(r)}
	case 66:
		return []string{"SET", k, v(r), "EX", "100", []string{"KEEPTTL", "PX", "NX", "XX", "GET"}[r.Intn(5)]}
	case 67:
		return []string{"SET", k, v(r), []string{"NX", "XX"}[r.Intn(2)], []string{"NX", "XX", "GET"}[r.Intn(3)]}
	case 68:
		return []string{"MSETNX", k, v(r), k, v(r)}
	case 69:
		return []string{"RENAME", k, k}
	case 70:
		return []string{"GETEX", k, "PX", kdiffTTL(r), "EXAT", kdiffTime(r)}
	case 71:
		return []string{"INCRBY", k, []string{" 1", "1 ", "+1", "01", "0x1", "1e2", "-0"}[r.Intn(7)]}
	case 72:
		return []string{"SETBIT", k, strconv.Itoa(r.Intn(100)), "1", "extra"}
	case 73:
		// "*" stands for a whole iteration (see the test).
		cmd := []string{"SCAN", "*"}
		if r.Intn(2) == 0 {
			cmd = append(cmd, "MATCH", []string{"*", "[st]", "?", "h*", "x", "\\s"}[r.Intn(6)])
		}
		if r.Intn(2) == 0 {
			cmd = append(cmd, "COUNT", []string{"1", "2", "10", "0", "x"}[r.Intn(5)])
		}
		if r.Intn(2) == 0 {
			// Not "none": Redis lists under it the keys that expired
			// and are not yet reclaimed, which depends on its timing.
			cmd = append(cmd, "TYPE", []string{"string", "hash", "list", "bogus", "STRING"}[r.Intn(5)])
		}
		return cmd
	case 74:
		return []string{"BITOP", "NOT", k, k2, kdiffKey(r)}
	default:
		return []string{"GET"}
	}
}
