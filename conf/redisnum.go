package conf

import "math"

// The two integer parsers Redis 7.0 uses for config values. They differ, and
// clients see the difference: "+5" is a valid `save` point but not a valid
// `timeout`.

// string2ll is Redis's strict parser (numeric configs): no sign but '-', no
// spaces, no leading zeros, no "-0", no overflow.
func string2ll(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	neg := false
	i := 0
	if s[0] == '-' {
		neg = true
		i++
		if i == len(s) {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

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
