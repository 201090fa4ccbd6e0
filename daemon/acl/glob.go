package acl

// matchGlob reports whether s matches the glob-style pattern the way Redis
// 7.0.15's stringmatchlen (util.c) does with nocase=0, which is how it
// checks ACL key and channel patterns: '*' any run of bytes, '?' one byte,
// '[...]' a set ('^' negates, 'a-z' ranges with ends in either order), '\'
// quotes the next byte.
//
// The C code's corners are kept, because they decide who may touch which
// key: the pattern is read as a C string, so looking past its end yields
// NUL; an unclosed '[' ends at the end of the pattern; '-' right before the
// closing ']' makes that ']' a range end; range ends compare as signed
// chars; a trailing '\' matches itself; nesting of '*' deeper than 1000
// never matches; and once the rest of a pattern after a '*' failed at every
// later position, earlier stars give up too (the 7.0.9 fix that keeps
// "*a*a*a*b" polynomial).
func matchGlob(pattern, s []byte) bool {
	skipLonger := false
	return globFrom(pattern, 0, s, 0, &skipLonger, 0)
}

// globFrom matches pat[p:] against s[si:], following the C code step by
// step; patternLen there is len(pat)-p here.
func globFrom(pat []byte, p int, s []byte, si int, skipLonger *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	at := func(i int) byte {
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	for p < len(pat) && si < len(s) {
		switch pat[p] {
		case '*':
			for p < len(pat) && at(p+1) == '*' {
				p++
			}
			if len(pat)-p == 1 {
				return true
			}
			for si < len(s) {
				if globFrom(pat, p+1, s, si, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				si++
			}
			*skipLonger = true
			return false
		case '?':
			si++
		case '[':
			p++
			not := at(p) == '^'
			if not {
				p++
			}
			match := false
		set:
			for {
				rest := len(pat) - p
				switch {
				case at(p) == '\\' && rest >= 2:
					p++
					if pat[p] == s[si] {
						match = true
					}
				case at(p) == ']':
					break set
				case rest == 0:
					// Unclosed set: step back so the p++ below lands on
					// the end of the pattern.
					p--
					break set
				case rest >= 3 && pat[p+1] == '-':
					lo, hi, c := int8(pat[p]), int8(pat[p+2]), int8(s[si])
					if lo > hi {
						lo, hi = hi, lo
					}
					p += 2
					if c >= lo && c <= hi {
						match = true
					}
				default:
					if pat[p] == s[si] {
						match = true
					}
				}
				p++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			si++
		case '\\':
			if len(pat)-p >= 2 {
				p++
			}
			if pat[p] != s[si] {
				return false
			}
			si++
		default:
			if pat[p] != s[si] {
				return false
			}
			si++
		}
		p++
		if si == len(s) {
			for at(p) == '*' {
				p++
			}
			break
		}
	}
	return p == len(pat) && si == len(s)
}
