package daemon

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestParseScanCursor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"", 0, true},
		{"00", 0, true},
		{"+0", 0, true},
		{"-0", 0, true},
		{"42", 42, true},
		{"+42", 42, true},
		{"-1", 1<<64 - 1, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"-18446744073709551616", 0, false},
		{"+", 0, false},
		{"-", 0, false},
		{"+-1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"0x1", 0, false},
		{"1.0", 0, false},
		{"abc", 0, false},
	} {
		got, ok := parseScanCursor([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseScanCursor(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestScanCursorsRoundTrip(t *testing.T) {
	var sc scanCursors
	seen := map[uint64]bool{}
	for _, pos := range []string{"", "a", "user:1", "\x00", "\xff\xff\xff\xff\xff", "abcd\x00"} {
		c := sc.save([]byte(pos), 0)
		if c == 0 || c >= 1<<63 {
			t.Fatalf("cursor %d for %q: must be in [1, 2^63)", c, pos)
		}
		if seen[c] {
			t.Fatalf("cursor %d handed out twice", c)
		}
		seen[c] = true
		got, budget, gen, exact := sc.load(c, 10)
		if !exact || string(got) != pos || budget != 10 || gen != 0 {
			t.Fatalf("load(save(%q)) = %q, %d, %d, %v", pos, got, budget, gen, exact)
		}
	}
}

// The fallback position must sort at or before the saved position: that is
// what makes an evicted cursor safe (nothing skipped).
func TestScanCursorsFallbackNeverSkips(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var sc scanCursors
	for i := 0; i < 20000; i++ {
		pos := make([]byte, rng.IntN(7))
		for j := range pos {
			switch rng.IntN(4) {
			case 0:
				pos[j] = 0
			case 1:
				pos[j] = 0xff
			default:
				pos[j] = byte(rng.IntN(256))
			}
		}
		c := sc.save(pos, 0)
		fb := scanPrefixPosition(c)
		if bytes.Compare(fb, pos) > 0 {
			t.Fatalf("fallback %q sorts after saved position %q", fb, pos)
		}
		if len(pos) >= 3 && len(fb) >= 3 && !bytes.Equal(fb[:3], pos[:3]) {
			t.Fatalf("fallback %q does not keep the first bytes of %q", fb, pos)
		}
	}
}

func TestScanCursorsEviction(t *testing.T) {
	var sc scanCursors
	first := sc.save([]byte("first"), 0)
	for i := 0; i < scanCursorsMax; i++ {
		sc.save([]byte("x"), 0)
	}
	if len(sc.entries) > scanCursorsMax {
		t.Fatalf("%d entries kept, limit %d", len(sc.entries), scanCursorsMax)
	}
	pos, budget, gen, exact := sc.load(first, 10)
	if exact {
		t.Fatal("oldest cursor still in the table")
	}
	if string(pos) != "firr" || gen != 1 || budget != 20 {
		t.Fatalf("fallback = %q, budget %d, gen %d; want \"firr\" (31 bits of \"firs\"), 20, 1", pos, budget, gen)
	}
	// A cursor made after a fallback carries its generation, through
	// exact hits too: the next fallback doubles the budget again.
	c := sc.save([]byte("first"), gen)
	if _, budget, g, exact := sc.load(c, 10); !exact || g != 1 || budget != 10 {
		t.Fatalf("exact hit after a fallback: budget %d gen %d; want 10, 1", budget, g)
	}
	sc.reset()
	if _, budget, gen, _ := sc.load(c, 10); gen != 2 || budget != 40 {
		t.Fatalf("second fallback: budget %d gen %d; want 40, 2", budget, gen)
	}
	// Big positions are bounded by bytes too.
	big := make([]byte, 1<<20)
	for i := 0; i < 40; i++ {
		sc.save(big, 0)
	}
	if sc.bytes > scanCursorsMaxBytes {
		t.Fatalf("%d bytes kept, limit %d", sc.bytes, scanCursorsMaxBytes)
	}
}
