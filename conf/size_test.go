package conf

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Size
		wantErr string
	}{
		{"0", 0, ""},
		{"1024", 1024, ""},
		{"1b", 1, ""},
		{"1k", 1000, ""},
		{"64k", 64000, ""},
		{"1kb", 1024, ""},
		{"1KB", 1024, ""},
		{"1m", 1000000, ""},
		{"512mb", 512 * MB, ""},
		{"512Mb", 512 * MB, ""},
		{"1g", 1000000000, ""},
		{"1gb", GB, ""},
		{"1gB", GB, ""},
		{"8589934591gb", 8589934591 * GB, ""},
		{"9223372036854775807", 9223372036854775807, ""},
		{"", 0, "is not a size"},
		{"mb", 0, "is not a size"},
		{"-1", 0, "is not a size"},
		{"+1", 0, "is not a size"},
		{" 1", 0, "is not a size"},
		{"1 ", 0, "is not a size"},
		{"1.5mb", 0, "is not a size"},
		{"1tb", 0, "is not a size"},
		{"1kib", 0, "is not a size"},
		{"9223372036854775808", 0, "is too large"},
		{"8589934592gb", 0, "is too large"},
		{"99999999999999999999999", 0, "is too large"},
		{strings.Repeat("1", 200), 0, "is not a size"},
	} {
		got, err := ParseSize(tc.in)
		switch {
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("ParseSize(%q) = %d, %v; want error %q", tc.in, got, err, tc.wantErr)
		}
	}
}

// memtoull keeps Redis's quirks that CONFIG SET exposes.
func TestMemtoull(t *testing.T) {
	for _, tc := range []struct {
		in           string
		want         uint64
		ok, overflow bool
	}{
		{"", 0, true, false},
		{"mb", 0, true, false},
		{"00012", 12, true, false},
		{"-0", 0, false, false},
		{"9223372036854775808", 0, true, true},
	} {
		v, ok, overflow := memtoull(tc.in)
		if v != tc.want || ok != tc.ok || overflow != tc.overflow {
			t.Errorf("memtoull(%q) = %d %v %v, want %d %v %v", tc.in, v, ok, overflow, tc.want, tc.ok, tc.overflow)
		}
	}
}

func TestSizeString(t *testing.T) {
	for _, tc := range []struct {
		in   Size
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1000, "1000"},
		{KB, "1kb"},
		{1536, "1536"},
		{3 * KB, "3kb"},
		{512 * MB, "512mb"},
		{GB, "1gb"},
		{1536 * MB, "1536mb"},
		{-KB, "-1kb"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
		}
		if tc.in >= 0 {
			var back Size
			if err := back.UnmarshalText([]byte(tc.in.String())); err != nil || back != tc.in {
				t.Errorf("round trip of %d: %d, %v", int64(tc.in), back, err)
			}
		}
	}
}

func TestRedisIntegers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"-1", -1, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"+1", 0, false},
		{"01", 0, false},
		{"-0", 0, false},
		{"-", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
	} {
		if got, ok := string2ll(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("string2ll(%q) = %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true},
		{"5", 5, true},
		{"+5", 5, true},
		{"-0", 0, true},
		{" \t7", 7, true},
		{"007", 7, true},
		{"99999999999999999999", 9223372036854775807, true},
		{"-99999999999999999999", -9223372036854775808, true},
		{" ", 0, false},
		{"+", 0, false},
		{"5 ", 0, false},
		{"5x", 0, false},
		{"0x5", 0, false},
	} {
		if got, ok := strtoll(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("strtoll(%q) = %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Size works as a field of any TOML-decoded struct, as integer or string.
func TestSizeInTOML(t *testing.T) {
	var v struct {
		A, B, C Size
	}
	if _, err := toml.Decode("A = 1024\nB = \"1024\"\nC = \"64MB\"\n", &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 1024 || v.B != 1024 || v.C != 64*MB {
		t.Errorf("decoded %+v", v)
	}
	if _, err := toml.Decode("A = \"12q\"\n", &v); err == nil || !strings.Contains(err.Error(), "is not a size") {
		t.Errorf("bad size: %v", err)
	}
}
