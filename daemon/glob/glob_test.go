package glob

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// The cases without nocase were checked against redis-server 7.0.15 with
// KEYS (TestStringMatchAgainstRedis does it again when a server is given).
var stringMatchCases = []struct {
	pattern, s string
	nocase     bool
	want       bool
}{
	{"", "", false, true},
	{"", "a", false, false},
	{"*", "", false, false}, // the loop never runs for an empty string; KEYS special-cases "*"
	{"**", "", false, false},
	{"*", "abc", false, true},
	{"a*", "a", false, true},
	{"a**", "a", false, true},
	{"a*b", "ab", false, true},
	{"a*b", "axxb", false, true},
	{"a*b", "axxbc", false, false},
	{"*b", "aab", false, true},
	{"a?c", "abc", false, true},
	{"a?c", "ac", false, false},
	{"???", "ab", false, false},
	{"h[ae]llo", "hello", false, true},
	{"h[ae]llo", "hillo", false, false},
	{"h[^e]llo", "hallo", false, true},
	{"h[^e]llo", "hello", false, false},
	{"h[a-b]llo", "hbllo", false, true},
	{"h[b-a]llo", "hbllo", false, true}, // reversed ranges are swapped
	{"h[a-b]llo", "hcllo", false, false},
	{"[a-]", "]", false, true},    // "[a-]" is the range ']'..'a' and the set never closes
	{"[a-]", "^", false, true},    // '^' (0x5e) lies in ']'..'a'
	{"[a-]x", "^", false, true},   // ...so "x]" after it is still inside the set
	{"[a-]x", "^x", false, false}, // and nothing is left to match the 'x'
	{"[]", "]", false, false},
	{"[]]", "]", false, false},
	{"[]a]", "a", false, false},
	{"[", "[", false, false},
	{"[a", "a", false, true}, // an unclosed set ends with the pattern
	{"[a", "b", false, false},
	{"[^", "x", false, true},
	{"[^a", "a", false, false},
	{"[\\]]", "]", false, true},
	{"[\\-]", "-", false, true},
	{"[a\\-z]", "b", false, false},
	{"[\\", "\\", false, true}, // a lone backslash in a set is itself
	{"\\*", "*", false, true},
	{"\\*", "a", false, false},
	{"\\?", "?", false, true},
	{"a\\", "a\\", false, true}, // a trailing backslash matches a backslash
	{"\\", "\\", false, true},
	{"\\\\", "\\", false, true},
	{"[\x80-\xff]", "\x90", false, true}, // signed chars: 0xff is -1, 0x80 is -128: range -128..-1 holds 0x90
	{"[a-\xff]", "b", false, false},      // 'a'..0xff swaps to -1..'a': 'b' is out
	{"[a-\xff]", "\x00", false, true},
	{"[a-\xff]", "\xff", false, true},
	{"[a-\xff]", "\x80", false, false},
	{"*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false, false},
	{"a*a*b", "aaaaab", false, true},
	{"x\x00y", "x\x00y", false, true},
	{"*\x00", "ab\x00", false, true},
	{strings.Repeat("*a", 1000), strings.Repeat("a", 1000), false, true},
	{strings.Repeat("*a", 1001), strings.Repeat("a", 1001), false, false}, // nesting limit
	{"HeLLo", "hello", true, true},
	{"h[A-Z]llo", "hello", true, true},
	{"h[^E]llo", "hello", true, false},
	{"\\H", "h", true, true},
	{"[\\E]", "e", false, false},
	{"[\\E]", "e", true, false}, // an escaped set member ignores nocase, as in Redis
}

func TestMatch(t *testing.T) {
	for _, tc := range stringMatchCases {
		if got := Match([]byte(tc.pattern), []byte(tc.s), tc.nocase); got != tc.want {
			t.Errorf("Match(%q, %q, nocase=%v) = %v, want %v", tc.pattern, tc.s, tc.nocase, got, tc.want)
		}
		if strings.Count(tc.pattern, "*") > 6 {
			continue // the reference is exponential in stars
		}
		if ref := refStringMatch([]byte(tc.pattern), []byte(tc.s), tc.nocase); ref != tc.want {
			t.Errorf("reference(%q, %q, nocase=%v) = %v, want %v", tc.pattern, tc.s, tc.nocase, ref, tc.want)
		}
	}
}

func TestLiteralPrefix(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{"", ""}, {"*", ""}, {"user:*", "user:"}, {"a?b", "a"}, {"ab[c]", "ab"},
		{"a\\*", "a"}, {"plain", "plain"},
	} {
		if got := string(LiteralPrefix([]byte(tc.pattern))); got != tc.want {
			t.Errorf("LiteralPrefix(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

// refStringMatch is stringmatchlen as it was before Redis added the
// skipLongerMatches shortcut (exponential, but the same answers), written
// over a NUL-terminated copy of the pattern with C's pointer/length pairs:
// the fuzz test holds stringMatch to it.
func refStringMatch(pattern, s []byte, nocase bool) bool {
	pb := append(append([]byte(nil), pattern...), 0)
	return refMatch(pb, 0, len(pattern), s, 0, len(s), nocase, 0)
}

func refMatch(pb []byte, p, plen int, s []byte, si, slen int, nocase bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	lower := func(c int) int {
		if c >= 'A' && c <= 'Z' {
			return c + 32
		}
		return c
	}
	eq := func(a, b byte) bool {
		if nocase {
			return lower(int(int8(a))) == lower(int(int8(b)))
		}
		return a == b
	}
	for plen > 0 && slen > 0 {
		switch pb[p] {
		case '*':
			for plen > 0 && pb[p+1] == '*' {
				p, plen = p+1, plen-1
			}
			if plen == 1 {
				return true
			}
			for slen > 0 {
				if refMatch(pb, p+1, plen-1, s, si, slen, nocase, nesting+1) {
					return true
				}
				si, slen = si+1, slen-1
			}
			return false
		case '?':
			si, slen = si+1, slen-1
		case '[':
			p, plen = p+1, plen-1
			not := pb[p] == '^'
			if not {
				p, plen = p+1, plen-1
			}
			match := false
			for {
				if pb[p] == '\\' && plen >= 2 {
					p, plen = p+1, plen-1
					if pb[p] == s[si] {
						match = true
					}
				} else if pb[p] == ']' {
					break
				} else if plen == 0 {
					p, plen = p-1, plen+1
					break
				} else if plen >= 3 && pb[p+1] == '-' {
					lo, hi, c := int(int8(pb[p])), int(int8(pb[p+2])), int(int8(s[si]))
					if lo > hi {
						lo, hi = hi, lo
					}
					if nocase {
						lo, hi, c = lower(lo), lower(hi), lower(c)
					}
					p, plen = p+2, plen-2
					if c >= lo && c <= hi {
						match = true
					}
				} else if eq(pb[p], s[si]) {
					match = true
				}
				p, plen = p+1, plen-1
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			si, slen = si+1, slen-1
		case '\\':
			if plen >= 2 {
				p, plen = p+1, plen-1
			}
			fallthrough
		default:
			if !eq(pb[p], s[si]) {
				return false
			}
			si, slen = si+1, slen-1
		}
		p, plen = p+1, plen-1
		if slen == 0 {
			for pb[p] == '*' {
				p, plen = p+1, plen-1
			}
			break
		}
	}
	return plen == 0 && slen == 0
}

func FuzzMatch(f *testing.F) {
	for _, tc := range stringMatchCases {
		if len(tc.pattern) < 64 {
			f.Add([]byte(tc.pattern), []byte(tc.s), tc.nocase)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, s []byte, nocase bool) {
		// The reference is exponential in the number of stars.
		if len(pattern) > 64 || len(s) > 64 || bytes.Count(pattern, []byte("*")) > 6 {
			return
		}
		got := Match(pattern, s, nocase)
		if want := refStringMatch(pattern, s, nocase); got != want {
			t.Fatalf("Match(%q, %q, nocase=%v) = %v, reference says %v", pattern, s, nocase, got, want)
		}
		// Quoting every byte makes any string a pattern for itself alone.
		var quoted []byte
		for _, ch := range s {
			quoted = append(quoted, '\\', ch)
		}
		if !Match(quoted, s, false) && len(s) > 0 {
			t.Fatalf("quoted %q does not match itself", s)
		}
		if got && !nocase && !bytes.HasPrefix(s, LiteralPrefix(pattern)) {
			t.Fatalf("%q matches %q but lacks the literal prefix %q", pattern, s, LiteralPrefix(pattern))
		}
	})
}

// TestStringMatchAgainstRedis compares stringMatch with KEYS on a real
// redis-server for random patterns over an alphabet full of special bytes.
// It runs only with REDOUBT_SCENARIO_REDIS=host:port (it flushes that
// server).
func TestMatchAgainstRedis(t *testing.T) {
	addr := os.Getenv("REDOUBT_SCENARIO_REDIS")
	if addr == "" {
		t.Skip("set REDOUBT_SCENARIO_REDIS to compare with a real redis-server")
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	do := func(args ...[]byte) resp.Value {
		t.Helper()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(encodeCommand(args)); err != nil {
			t.Fatal(err)
		}
		var buf []byte
		for {
			chunk := make([]byte, 4096)
			n, err := r.Read(chunk)
			if err != nil {
				t.Fatal(err)
			}
			buf = append(buf, chunk[:n]...)
			if v, m, err := resp.ReadReply(buf); err == nil && m > 0 {
				return v
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	do([]byte("FLUSHALL"))
	for _, tc := range stringMatchCases {
		if tc.nocase || tc.pattern == "*" {
			continue
		}
		do([]byte("SET"), []byte(tc.s), []byte("1"))
		v := do([]byte("KEYS"), []byte(tc.pattern))
		if got := len(v.Elems) == 1; got != tc.want {
			t.Errorf("table case %q %q: redis says %v", tc.pattern, tc.s, got)
		}
		do([]byte("DEL"), []byte(tc.s))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab*?[]^-\\\x00\x80\xff"
	gen := func(n int) []byte {
		b := make([]byte, rng.IntN(n+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return b
	}
	do([]byte("FLUSHALL"))
	keys := map[string]bool{}
	for len(keys) < 300 {
		k := gen(6)
		if len(k) > 0 {
			keys[string(k)] = true
		}
	}
	for k := range keys {
		do([]byte("SET"), []byte(k), []byte("1"))
	}
	checked := 0
	for i := 0; i < 3000; i++ {
		pattern := gen(7)
		if len(pattern) == 1 && pattern[0] == '*' {
			continue
		}
		v := do([]byte("KEYS"), pattern)
		got := map[string]bool{}
		for _, e := range v.Elems {
			got[string(e.Str)] = true
		}
		for k := range keys {
			checked++
			if mine := Match(pattern, []byte(k), false); mine != got[k] {
				t.Errorf("pattern %q key %q: redis %v, stringMatch %v", pattern, k, got[k], mine)
			}
		}
	}
	do([]byte("FLUSHALL"))
	t.Logf("%d pattern/key pairs agree with redis", checked)
}

func encodeCommand(argv [][]byte) []byte {
	b := resp.AppendArrayLen(nil, len(argv))
	for _, a := range argv {
		b = resp.AppendBulk(b, a)
	}
	return b
}
