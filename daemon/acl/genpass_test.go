package acl

import (
	"encoding/hex"
	"testing"
)

func TestGenPass(t *testing.T) {
	for bits, chars := range map[int64]int{1: 1, 4: 1, 5: 2, 8: 2, 255: 64, 256: 64, 4096: 1024} {
		p, err := GenPass(bits)
		if err != nil || len(p) != chars {
			t.Errorf("GenPass(%d) = %q, %v; want %d hex digits", bits, p, err, chars)
		}
		if _, err := hex.DecodeString(p + p); err != nil {
			t.Errorf("GenPass(%d) = %q is not hex", bits, p)
		}
	}
	a, _ := GenPass(256)
	b, _ := GenPass(256)
	if a == b {
		t.Error("two passwords are equal")
	}
	for _, bits := range []int64{0, -1, 4097} {
		if _, err := GenPass(bits); err == nil || err.Error() != TextGenpassRange {
			t.Errorf("GenPass(%d) error = %v", bits, err)
		}
	}
}
