package conf

import (
	"math"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// The two integer parsers Redis 7.0 uses for config values. They differ, and
// clients see the difference: "+5" is a valid `save` point but not a valid
// `timeout`.

// string2ll is Redis's strict parser (numeric configs): no sign but '-', no
// spaces, no leading zeros, no "-0", no overflow.
func string2ll(s string) (int64, bool) { return resp.ParseInt([]byte(s)) }

// strtoll mimics C's strtoll(s, &end, 10) followed by Redis's `*end == '\0'`
// check, as the `save` and client-output-buffer-limit parsers do: leading
// white space and a sign are allowed, overflow saturates, and no digits at
// all parses as 0 with end at the start (so "" is 0 and " " is an error).
func strtoll(s string) (v int64, ok bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	saturated := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := uint64(s[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			saturated = true
		} else {
			u = u*10 + d
		}
		i++
	}
	if i == start {
		// No digits: end points at the start of the input.
		return 0, s == ""
	}
	if i != len(s) {
		return 0, false
	}
	switch {
	case neg && (saturated || u > 1<<63):
		return math.MinInt64, true
	case neg:
		return -int64(u), true
	case saturated || u > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(u), true
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
