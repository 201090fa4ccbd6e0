package acl

import (
	"context"
	"math/rand"
	"strings"
	"testing"
)

var globCases = []struct {
	pattern, s string
	want       bool
}{
	{"*", "", false}, // stringmatchlen never enters its loop for an empty string
	{"**", "", false},
	{"a*", "a", true},
	{"*", "anything", true},
	{"", "", true},
	{"", "a", false},
	{"a", "", false},
	{"a*", "a", true},
	{"a*", "abc", true},
	{"a*", "ba", false},
	{"*a", "ba", true},
	{"a**b", "axxb", true},
	{"a*b*c", "abxbc", true},
	{"a*b*c", "acb", false},
	{"?", "a", true},
	{"?", "", false},
	{"??", "a", false},
	{"h?llo", "hello", true},
	{"h?llo", "hllo", false},
	{"[abc]", "b", true},
	{"[abc]", "d", false},
	{"[^abc]", "d", true},
	{"[^abc]", "a", false},
	{"[a-c]x", "bx", true},
	{"[c-a]x", "bx", true},
	{"[a-c]x", "dx", false},
	{"[a\\]]", "]", true},
	{"[a\\]]", "a", true},
	{"[]", "]", false},
	{"[", "a", false},
	{"[ab", "a", true},
	{"[ab", "b", true},
	{"[ab", "c", false},
	{"[a-]", "]", true},
	{"[a-]", "b", false},
	{"x[a-", "xa", true},
	{"x[a-", "x-", true},
	{"x[a-", "xb", false},
	{"\\*", "*", true},
	{"\\*", "a", false},
	{"a\\", "a\\", true},
	{"\\", "\\", true},
	{"a\\b", "ab", true},
	{"[\x80-a]", "b", false},
	{"[\x80-a]", "\x90", true},
	{"*a*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false},
	{"user:*:name", "user:1:name", true},
	{"user:*:name", "user:1:names", false},
	{"*x", "x", true},
	{"a*", "a\x00b", true},
	{"a?b", "a\x00b", true},
}

func TestMatchGlob(t *testing.T) {
	for _, c := range globCases {
		if got := matchGlob([]byte(c.pattern), []byte(c.s)); got != c.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestMatchGlobDeepNesting(t *testing.T) {
	// Each '*' that is not the last pattern byte recurses once per
	// position; more than 1000 levels never match.
	pat := strings.Repeat("*a", 1100) + "b"
	if matchGlob([]byte(pat), []byte(strings.Repeat("a", 1200)+"b")) {
		t.Error("nesting beyond 1000 matched")
	}
	pat = strings.Repeat("*a", 10) + "b"
	if !matchGlob([]byte(pat), []byte(strings.Repeat("a", 20)+"b")) {
		t.Error("shallow nesting did not match")
	}
}

// TestMatchGlobAgainstRedis checks the table and random patterns with
// ACL DRYRUN on a real Redis, where the key pattern is the glob.
func TestMatchGlobAgainstRedis(t *testing.T) {
	addr := redisAddr(t)
	c := redisClient(t, addr, "", "")
	ctx := context.Background()
	check := func(pattern, s string, want bool) {
		t.Helper()
		if err := c.Do(ctx, "acl", "setuser", "globtest", "reset", "+get", "~"+pattern).Err(); err != nil {
			t.Fatalf("SETUSER ~%q: %v", pattern, err)
		}
		got := redisDo(c, "acl", "dryrun", "globtest", "get", s) == "OK"
		if got != want {
			t.Errorf("pattern %q key %q: Redis says %v, we say %v", pattern, s, got, want)
		}
	}
	for _, gc := range globCases {
		if hasSpaces(gc.pattern) || gc.pattern == "*" { // ~* is allkeys
			continue
		}
		check(gc.pattern, gc.s, gc.want)
	}
	rng := rand.New(rand.NewSource(7))
	const alpha = "ab*?[]^-\\"
	gen := func(n int, from string) string {
		b := make([]byte, rng.Intn(n+1))
		for i := range b {
			b[i] = from[rng.Intn(len(from))]
		}
		return string(b)
	}
	for i := 0; i < 3000; i++ {
		p, s := gen(7, alpha), gen(6, "ab]-\\^*")
		if p == "*" {
			continue
		}
		check(p, s, matchGlob([]byte(p), []byte(s)))
	}
	c.Do(ctx, "acl", "deluser", "globtest")
}
