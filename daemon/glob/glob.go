// Package glob is Redis 7.0's glob matcher (util.c stringmatchlen), used by
// KEYS, SCAN MATCH, CONFIG GET, COMMAND LIST FILTERBY PATTERN and, later,
// PSUBSCRIBE. One implementation, so they all agree with Redis and with
// each other.
package glob

// Match reports whether s matches the glob-style pattern, exactly as
// Redis 7.0's stringmatchlen (util.c) decides it for KEYS, SCAN MATCH,
// PSUBSCRIBE and CONFIG GET (nocase): '*' any run of bytes, '?' one byte,
// '[abc]', '[^abc]', '[a-z]' (ends may be given in either order) one byte of
// a set, and '\' quoting the next byte.
//
// Redis's odd corners are kept on purpose, because clients see them: a
// pattern is read as a C string, so looking past its end yields a NUL byte;
// an unclosed '[' ends the set at the end of the pattern; '-' right before
// a ']' makes ']' the end of a range ("[a-]" is the range ']'..'a' and does
// not close the set); range ends are compared as signed chars, so bytes >=
// 0x80 sort below ASCII in a range; a lone trailing '\' matches a
// backslash; case folding is ASCII only. Nesting of '*' deeper than 1000
// never matches, and once the rest of a pattern after a '*' has failed to
// match at every later position, earlier stars give up too: that keeps
// matching polynomial against patterns like "*a*a*a*a*b".
func Match(pattern, s []byte, nocase bool) bool {
	skipLonger := false
	return globMatch(pattern, 0, s, 0, nocase, &skipLonger, 0)
}

// globMatch matches pattern[p:] against s[si:]. It follows the C code line
// by line; patternLen there is len(pattern)-p here.
func globMatch(pattern []byte, p int, s []byte, si int, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	// at reads pattern[i], or the C string's NUL terminator past its end.
	at := func(i int) byte {
		if i < len(pattern) {
			return pattern[i]
		}
		return 0
	}
	for p < len(pattern) && si < len(s) {
		switch pattern[p] {
		case '*':
			for p < len(pattern) && at(p+1) == '*' {
				p++
			}
			if len(pattern)-p == 1 {
				return true
			}
			for si < len(s) {
				if globMatch(pattern, p+1, s, si, nocase, skipLonger, nesting+1) {
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
			for {
				rest := len(pattern) - p
				if at(p) == '\\' && rest >= 2 {
					p++
					if pattern[p] == s[si] {
						match = true
					}
				} else if at(p) == ']' {
					break
				} else if rest == 0 {
					p--
					break
				} else if rest >= 3 && pattern[p+1] == '-' {
					start, end, c := int(int8(pattern[p])), int(int8(pattern[p+2])), int(int8(s[si]))
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lowerASCII(start), lowerASCII(end), lowerASCII(c)
					}
					p += 2
					if c >= start && c <= end {
						match = true
					}
				} else if sameByte(pattern[p], s[si], nocase) {
					match = true
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
			if len(pattern)-p >= 2 {
				p++
			}
			if !sameByte(pattern[p], s[si], nocase) {
				return false
			}
			si++
		default:
			if !sameByte(pattern[p], s[si], nocase) {
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
	return p == len(pattern) && si == len(s)
}

func sameByte(a, b byte, nocase bool) bool {
	if nocase {
		return lowerASCII(int(int8(a))) == lowerASCII(int(int8(b)))
	}
	return a == b
}

// lowerASCII is C's tolower in the "C" locale, on a (possibly negative)
// char value.
func lowerASCII(c int) int {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// LiteralPrefix returns the bytes every key matching pattern must start
// with (case-sensitive matching): the pattern up to its first special byte.
// KEYS and SCAN seek straight to it in the ordered keyspace instead of
// walking every key.
func LiteralPrefix(pattern []byte) []byte {
	for i, ch := range pattern {
		switch ch {
		case '*', '?', '[', '\\':
			return pattern[:i]
		}
	}
	// No special byte: the pattern matches only itself, so the whole of it
	// is a prefix.
	return pattern
}
