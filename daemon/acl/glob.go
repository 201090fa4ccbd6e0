package acl

import "github.com/redoubtdb/redoubt/daemon/glob"

// matchGlob reports whether s matches a key or channel pattern the way
// Redis 7.0.15 checks ACL patterns: stringmatchlen (util.c) with nocase=0,
// the same matcher KEYS and SCAN use, corners included (see package glob).
func matchGlob(pattern, s []byte) bool { return glob.Match(pattern, s, false) }
