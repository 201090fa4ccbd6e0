package daemon

import "github.com/redoubtdb/redoubt/netio/resp"

// Error texts shared by many commands, exactly as Redis 7.0 sends them.
const (
	errSyntax    = "ERR syntax error"
	errNotInt    = "ERR value is not an integer or out of range"
	errNotFloat  = "ERR value is not a valid float"
	errWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errOverflow  = "ERR increment or decrement would overflow"
	errNoSuchKey = "ERR no such key"
	errDBIndex   = "ERR DB index is out of range"
)

// parseInt parses an integer argument as Redis's string2ll does.
func parseInt(b []byte) (int64, bool) { return resp.ParseInt(b) }

// parseFloat parses a double the way Redis's getDoubleFromObject does:
// strtod over the whole argument (hex and "infinity" included), no leading
// space, and NaN, overflow and underflow to zero rejected. See parseScore.
func parseFloat(b []byte) (float64, bool) { return parseScore(b) }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// equalFold reports whether b equals the lower-case ASCII word s,
// ignoring case (option names like EX, NX, WITHSCORES).
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// indexRange converts Redis range indexes (LRANGE, LTRIM, ZRANGE by rank) (negative ones count from the
// end) for a list of n elements into the inclusive range [start, end];
// ok is false when the range is empty. Same arithmetic as Redis's
// addListRangeReply, ltrimCommand and zrangeGenericCommand.
func indexRange(start, end, n int64) (int64, int64, bool) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= n {
		return 0, 0, false
	}
	if end >= n {
		end = n - 1
	}
	return start, end, true
}
