package acl

import "strings"

// Redis parses most ACL rules with C string functions (strcasecmp, strrchr,
// sdsnew, "%s"): for those, a rule ends at its first NUL byte. Rules that
// carry binary data (">password", key and channel patterns, selector
// parentheses) use the full length. These helpers give the C view.

// cstr returns s up to its first NUL byte.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// equalFoldASCII is strcasecmp(a, b) == 0 in the C locale, for strings
// without NUL bytes.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if toLower(a[i]) != toLower(b[i]) {
			return false
		}
	}
	return true
}

// keyword reports whether a rule is the given keyword the way
// strcasecmp(op, kw) sees it: "ON\x00junk" is "on".
func keyword(op, kw string) bool { return equalFoldASCII(cstr(op), kw) }

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func toUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = toLower(b[j])
			}
			return string(b)
		}
	}
	return s
}

// hasSpaces is ACLStringHasSpaces: C isspace (space, \t, \n, \v, \f, \r) or
// a NUL byte. Usernames and key and channel patterns may not contain them,
// so that ACL LIST and ACL files stay parseable.
func hasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) || s[i] == 0 {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// truncate is printf's "%.Ns".
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// at reads s[i], or the C string's NUL terminator past its end.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}
