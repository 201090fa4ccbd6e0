package resp

import (
	"bytes"
	"math"
)

// Redis's request limits (server.h and config.c of Redis 7.0).
const (
	// DefaultMaxBulkLen is proto-max-bulk-len's default, 512 MiB.
	DefaultMaxBulkLen = 512 << 20
	// DefaultMaxMultibulkLen is the multibulk count Redis 7.0 accepts:
	// processMultibulkBuffer rejects only `ll > INT_MAX`. (Older versions
	// capped it at 1024*1024; 7.0 does not.)
	DefaultMaxMultibulkLen = math.MaxInt32
	// DefaultMaxInlineLen is PROTO_INLINE_MAX_SIZE.
	DefaultMaxInlineLen = 64 << 10

	// Redis 7.0.15 limits what a client that still owes AUTH may send: at
	// most 10 arguments of at most 16 KiB each (measured against
	// redis-server 7.0.15).
	unauthMaxMultibulkLen = 10
	unauthMaxBulkLen      = 16384
)

// Limits mirror Redis's request limits. The zero value, like a nil *Limits,
// means Redis's defaults for an authenticated client.
type Limits struct {
	// MaxBulkLen is proto-max-bulk-len: a larger `$len` fails with
	// "Protocol error: invalid bulk length". 0 means DefaultMaxBulkLen.
	// Negative means no limit: Redis applies none to its own primary's
	// link (CLIENT_MASTER), and a replica must not either.
	MaxBulkLen int64
	// MaxMultibulkLen caps `*N`: a larger N fails with "Protocol error:
	// invalid multibulk length". 0 means DefaultMaxMultibulkLen (INT_MAX,
	// as in Redis 7.0). A server should not lower it below what clients
	// legitimately send (MSET of many keys); memory is bounded by the
	// query buffer limit, not by this count.
	MaxMultibulkLen int64
	// MaxInlineLen is how many bytes may be buffered without finding the
	// end of an inline request line or of a `*`/`$` count line before the
	// request is refused ("too big inline request", "too big mbulk count
	// string", "too big bulk count string"). 0 means DefaultMaxInlineLen.
	MaxInlineLen int
	// Unauthenticated applies Redis's limits for a client that must still
	// AUTH (authRequired in networking.c): `*N` with N > 10 fails with
	// "Protocol error: unauthenticated multibulk length" and `$len` with
	// len > 16384 with "Protocol error: unauthenticated bulk length". The
	// invalid-length checks above come first, as in Redis.
	Unauthenticated bool
}

// ProtocolError is a request Redis would refuse with an error reply and
// then close the connection. Error returns Redis's text without the "ERR "
// prefix, e.g. "Protocol error: invalid bulk length"; a server replies
// "-ERR " + Error() and closes after the reply is written.
type ProtocolError struct {
	msg string
}

func (e *ProtocolError) Error() string { return e.msg }

var (
	errTooBigInline     = &ProtocolError{"Protocol error: too big inline request"}
	errUnbalancedQuotes = &ProtocolError{"Protocol error: unbalanced quotes in request"}
	errTooBigMbulkCount = &ProtocolError{"Protocol error: too big mbulk count string"}
	errInvalidMbulkLen  = &ProtocolError{"Protocol error: invalid multibulk length"}
	errUnauthMbulkLen   = &ProtocolError{"Protocol error: unauthenticated multibulk length"}
	errTooBigBulkCount  = &ProtocolError{"Protocol error: too big bulk count string"}
	errInvalidBulkLen   = &ProtocolError{"Protocol error: invalid bulk length"}
	errUnauthBulkLen    = &ProtocolError{"Protocol error: unauthenticated bulk length"}
)

// expectedDollar is processMultibulkBuffer's "expected '$', got '%c'".
// addReplyErrorFormat turns '\r' and '\n' into spaces; a NUL cannot show up
// here because the line search stops at NUL (see findCR).
func expectedDollar(c byte) *ProtocolError {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return &ProtocolError{"Protocol error: expected '$', got '" + string([]byte{c}) + "'"}
}

// ReadCommand parses one request from the start of buf, the way Redis 7.0's
// processInputBuffer does: a buffer starting with '*' is a multibulk
// request (`*N\r\n$len\r\n...`), anything else an inline command line.
//
// The arguments are appended to args[:0] and returned. They alias buf
// (capacity-limited so appending to one cannot clobber buf), except inline
// arguments written with quotes, which are decoded into fresh slices.
// n is the number of bytes consumed.
//
// When buf holds no complete request, ReadCommand returns n == 0 and
// err == nil, and need is a lower bound on the len(buf) at which parsing
// again can make progress: while a bulk payload of known length is
// arriving it is the offset just past that payload's CRLF, so a caller can
// wait for a large argument without re-parsing it on every read;
// otherwise it is 0 (unknown).
//
// An empty or all-blank inline line ("\r\n", "\n", "  \r\n") and a
// multibulk count <= 0 ("*0\r\n", "*-1\r\n") consume their bytes and return
// no arguments; Redis then runs nothing and replies nothing.
//
// Errors are always *ProtocolError. Behaviours copied from Redis on purpose:
//   - Lines are found like C's strchr: a NUL byte before the '\r' (multibulk)
//     or '\n' (inline) hides the line end, so such a request never completes
//     and fails with a "too big ... " error once more than MaxInlineLen
//     bytes are buffered.
//   - The "too big" errors fire only while the end of the line has not been
//     found in buf. Redis reads 16 KiB at a time, so it accepts a line whose
//     end arrives within the read that crosses 64 KiB; the same holds here
//     for the caller's reads.
//   - A multibulk count line needs only some byte after its '\r' (Redis does
//     not check it is '\n'), and the two bytes after a bulk payload are
//     skipped unchecked: "$4\r\nPINGXY" is a valid "PING".
//   - Integers follow string2ll: no '+', no leading zeros, no "-0".
//   - An inline line ends at '\n'; one '\r' before it is dropped; the rest is
//     split by sdssplitargs (see splitArgs).
//
// A replica reading its primary's stream should pass a negative MaxBulkLen
// and treat a non-empty inline command as stream corruption: Redis drops
// the primary's link in that case (processInlineBuffer), while bare
// newlines are the primary's keepalives.
func ReadCommand(buf []byte, args [][]byte, lim *Limits) (argv [][]byte, n int, need int, err error) {
	argv = args[:0]
	if len(buf) == 0 {
		return argv, 0, 0, nil
	}
	var l Limits
	if lim != nil {
		l = *lim
	}
	if l.MaxBulkLen == 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	if l.MaxMultibulkLen <= 0 {
		l.MaxMultibulkLen = DefaultMaxMultibulkLen
	}
	if l.MaxInlineLen <= 0 {
		l.MaxInlineLen = DefaultMaxInlineLen
	}
	if buf[0] == '*' {
		return readMultibulk(buf, argv, &l)
	}
	return readInline(buf, argv, &l)
}

// findCR returns the index of the first '\r' in b, or -1 when there is none
// or a NUL comes first: Redis searches with strchr on a NUL-terminated sds.
func findCR(b []byte) int {
	i := bytes.IndexByte(b, '\r')
	if i < 0 || bytes.IndexByte(b[:i], 0) >= 0 {
		return -1
	}
	return i
}

func readMultibulk(buf []byte, argv [][]byte, l *Limits) ([][]byte, int, int, error) {
	cr := findCR(buf)
	if cr < 0 {
		if len(buf) > l.MaxInlineLen {
			return argv, 0, 0, errTooBigMbulkCount
		}
		return argv, 0, 0, nil
	}
	if cr+1 >= len(buf) { // the byte after '\r' has not arrived
		return argv, 0, 0, nil
	}
	count, ok := ParseInt(buf[1:cr])
	if !ok || count > l.MaxMultibulkLen {
		return argv, 0, 0, errInvalidMbulkLen
	}
	if l.Unauthenticated && count > unauthMaxMultibulkLen {
		return argv, 0, 0, errUnauthMbulkLen
	}
	pos := cr + 2
	for i := int64(0); i < count; i++ {
		cr = findCR(buf[pos:])
		if cr < 0 {
			if len(buf)-pos > l.MaxInlineLen {
				return argv[:0], 0, 0, errTooBigBulkCount
			}
			return argv[:0], 0, 0, nil
		}
		if pos+cr+1 >= len(buf) {
			return argv[:0], 0, 0, nil
		}
		if buf[pos] != '$' {
			return argv[:0], 0, 0, expectedDollar(buf[pos])
		}
		size, ok := ParseInt(buf[pos+1 : pos+cr])
		if !ok || size < 0 || (l.MaxBulkLen >= 0 && size > l.MaxBulkLen) {
			return argv[:0], 0, 0, errInvalidBulkLen
		}
		if l.Unauthenticated && size > unauthMaxBulkLen {
			return argv[:0], 0, 0, errUnauthBulkLen
		}
		pos += cr + 2
		if size > int64(len(buf)-pos-2) {
			need := math.MaxInt
			if size <= int64(math.MaxInt-pos-2) {
				need = pos + int(size) + 2
			}
			return argv[:0], 0, need, nil
		}
		end := pos + int(size)
		argv = append(argv, buf[pos:end:end])
		pos = end + 2 // Redis skips the CRLF without looking at it
	}
	return argv, pos, 0, nil
}

func readInline(buf []byte, argv [][]byte, l *Limits) ([][]byte, int, int, error) {
	nl := bytes.IndexByte(buf, '\n')
	if nl >= 0 && bytes.IndexByte(buf[:nl], 0) >= 0 {
		nl = -1 // strchr stops at the NUL
	}
	if nl < 0 {
		if len(buf) > l.MaxInlineLen {
			return argv, 0, 0, errTooBigInline
		}
		return argv, 0, 0, nil
	}
	end := nl
	if end > 0 && buf[end-1] == '\r' {
		end--
	}
	argv, ok := SplitArgs(buf[:end], argv)
	if !ok {
		return argv[:0], 0, 0, errUnbalancedQuotes
	}
	return argv, nl + 1, 0, nil
}

// parseInt is Redis's string2ll: an optional '-', then "0" alone or a digit
// 1-9 followed by digits, at most 20 characters, within int64.
// ParseInt parses a signed 64-bit integer exactly as Redis's string2ll:
// no spaces, no '+', no leading zeros, no "-0", no overflow. Redis uses it
// for lengths in the protocol, for numeric arguments and for numeric
// configs, so the server and the config package use it too.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) >= 21 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		if v > math.MaxUint64-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true // -(1<<63) wraps to MinInt64, as wanted
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// SplitArgs is sds.c's sdssplitargs, which splits inline commands and
// redis.conf lines (ACL "user" rules too), over a line that holds no NUL
// byte (the caller cuts it there), so the end of line plays the C
// terminator. It appends to argv and reports false on unbalanced quotes.
// Its quirks, kept on purpose:
//   - blanks between arguments are any isspace byte (including \v and \f),
//     but an unquoted argument ends only at ' ', '\t', '\r' or '\n';
//   - a quote may open in the middle of an argument (a"b c" is `ab c`), but a
//     closing quote must be followed by isspace or the end of line;
//   - "double quotes" decode \n \r \t \b \a, \xHH (two hex digits) and
//     otherwise \c as c; 'single quotes' decode only \';
//   - a missing closing quote is an error.
//
// Unquoted arguments alias line; quoted ones are decoded into new slices.
func SplitArgs(line []byte, argv [][]byte) ([][]byte, bool) {
	n := len(line)
	at := func(i int) byte {
		if i < n {
			return line[i]
		}
		return 0
	}
	i := 0
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i == n {
			return argv, true
		}
		start := i
		// Fast path over the plain bytes of the argument; the state
		// machine below takes over at its end or at a quote.
		for i < n {
			if c := line[i]; c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' {
				break
			}
			i++
		}
		var cur []byte // the decoded argument once a quote was seen
		quoted, inq, insq, done := false, false, false, false
		var arg []byte
		for !done {
			c := at(i)
			switch {
			case inq:
				switch {
				case c == '\\' && at(i+1) == 'x' && isHex(at(i+2)) && isHex(at(i+3)):
					cur = append(cur, hexVal(at(i+2))<<4|hexVal(at(i+3)))
					i += 3
				case c == '\\' && at(i+1) != 0:
					i++
					e := line[i]
					switch e {
					case 'n':
						e = '\n'
					case 'r':
						e = '\r'
					case 't':
						e = '\t'
					case 'b':
						e = '\b'
					case 'a':
						e = '\a'
					}
					cur = append(cur, e)
				case c == '"':
					if next := at(i + 1); next != 0 && !isSpace(next) {
						return argv, false
					}
					done = true
					arg = cur
				case c == 0:
					return argv, false
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && at(i+1) == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if next := at(i + 1); next != 0 && !isSpace(next) {
						return argv, false
					}
					done = true
					arg = cur
				case c == 0:
					return argv, false
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
					if quoted {
						arg = cur
					} else {
						arg = line[start:i:i]
					}
				case '"', '\'':
					if !quoted {
						quoted = true
						cur = append(make([]byte, 0, n-start), line[start:i]...)
					}
					if c == '"' {
						inq = true
					} else {
						insq = true
					}
				default:
					if quoted {
						cur = append(cur, c)
					}
				}
			}
			if at(i) != 0 {
				i++
			}
		}
		argv = append(argv, arg)
	}
}
