package conf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is an amount of memory in bytes. In the config file, on the command
// line and in CONFIG SET it accepts a plain byte count or a number with one of
// Redis's units, case-insensitive: k=1000, kb=1024, m=1000000, mb=1048576,
// g=1000000000, gb=1073741824 (and b=1). CONFIG GET prints the plain byte
// count, as Redis does.
type Size int64

// Binary multiples, for defaults and tests.
const (
	KB Size = 1024
	MB      = 1024 * KB
	GB      = 1024 * MB
)

// ParseSize parses "1024", "512mb", "64k"... Unlike Redis's memtoull it
// refuses a unit without digits ("mb") and values beyond math.MaxInt64.
func ParseSize(s string) (Size, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with k, kb, m, mb, g or gb)", s)
	}
	v, ok, overflow := memtoull(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with k, kb, m, mb, g or gb)", s)
	}
	if overflow {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(v), nil
}

// String prints the size the way Redis's CONFIG REWRITE does: the largest
// binary unit that divides it exactly, else plain bytes ("512mb", "1000").
func (s Size) String() string {
	switch {
	case s != 0 && s%GB == 0:
		return strconv.FormatInt(int64(s/GB), 10) + "gb"
	case s != 0 && s%MB == 0:
		return strconv.FormatInt(int64(s/MB), 10) + "mb"
	case s != 0 && s%KB == 0:
		return strconv.FormatInt(int64(s/KB), 10) + "kb"
	}
	return strconv.FormatInt(int64(s), 10)
}

// MarshalText prints the compact form of String.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts what ParseSize accepts.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// memtoull follows Redis 7.0's memtoull: digits then an optional unit. Like
// Redis it takes "" and a bare unit ("mb") as zero, which CONFIG SET then
// reports as out of range or accepts where zero is allowed. ok is false for
// anything else Redis rejects; overflow reports a value beyond MaxInt64, which
// Redis turns into a range error through its signed cast.
func memtoull(s string) (v uint64, ok, overflow bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false, false
	}
	if i >= 128 { // Redis copies the digits into a 128-byte buffer.
		return 0, false, false
	}
	for _, d := range s[:i] {
		n := uint64(d - '0')
		if v > (math.MaxUint64-n)/10 {
			return 0, true, true
		}
		v = v*10 + n
	}
	if v != 0 && mul > math.MaxInt64/v {
		return 0, true, true
	}
	v *= mul
	return v, true, v > math.MaxInt64
}
