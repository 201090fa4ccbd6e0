package resp

import (
	"math"
	"strconv"
	"strings"
)

// The encoders append one reply (or an aggregate's header) to dst and return
// the extended slice, strconv style. proto is the connection's protocol
// version, 2 or 3 (HELLO); anything other than 3 encodes RESP2.

// AppendSimple appends a status reply, +s\r\n. '\r' and '\n' in s become
// spaces so a status can never break the framing; Redis's own statuses
// never contain them.
func AppendSimple(dst []byte, s string) []byte {
	dst = append(dst, '+')
	dst = appendLine(dst, s)
	return append(dst, '\r', '\n')
}

// AppendError appends an error reply, -msg\r\n. msg carries its own code
// ("ERR ...", "WRONGTYPE ..."); a leading '-' is not doubled, as in
// addReplyErrorLength. '\r' and '\n' become spaces, as addReplyErrorFormat
// does, because messages quote user input (unknown command names, keys).
func AppendError(dst []byte, msg string) []byte {
	msg = strings.TrimPrefix(msg, "-")
	dst = append(dst, '-')
	dst = appendLine(dst, msg)
	return append(dst, '\r', '\n')
}

func appendLine(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, "\r\n") {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// AppendInt appends an integer reply, :n\r\n.
func AppendInt(dst []byte, n int64) []byte {
	return appendPrefixed(dst, ':', n)
}

func appendPrefixed(dst []byte, prefix byte, n int64) []byte {
	dst = append(dst, prefix)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// AppendBulk appends a bulk string reply, $len\r\nb\r\n. A nil b is an
// empty string, not a null: use AppendNull for that.
func AppendBulk(dst []byte, b []byte) []byte {
	dst = appendPrefixed(dst, '$', int64(len(b)))
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString is AppendBulk for a string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = appendPrefixed(dst, '$', int64(len(s)))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBulkInt appends n in decimal as a bulk string (addReplyBulkLongLong).
func AppendBulkInt(dst []byte, n int64) []byte {
	var num [20]byte
	return AppendBulk(dst, strconv.AppendInt(num[:0], n, 10))
}

// AppendNull appends a null: $-1 in RESP2, _ in RESP3.
func AppendNull(dst []byte, proto int) []byte {
	if proto == 3 {
		return append(dst, "_\r\n"...)
	}
	return append(dst, "$-1\r\n"...)
}

// AppendNullArray appends a null array: *-1 in RESP2, _ in RESP3.
func AppendNullArray(dst []byte, proto int) []byte {
	if proto == 3 {
		return append(dst, "_\r\n"...)
	}
	return append(dst, "*-1\r\n"...)
}

// AppendArrayLen appends an array header, *n\r\n; n elements must follow.
func AppendArrayLen(dst []byte, n int) []byte {
	return appendPrefixed(dst, '*', int64(n))
}

// AppendMapLen appends a map header for n key/value pairs: %n in RESP3, an
// array of 2n elements in RESP2. The 2n elements (key, value, ...) follow.
func AppendMapLen(dst []byte, n int, proto int) []byte {
	if proto == 3 {
		return appendPrefixed(dst, '%', int64(n))
	}
	return appendPrefixed(dst, '*', 2*int64(n))
}

// AppendSetLen appends a set header: ~n in RESP3, *n in RESP2.
func AppendSetLen(dst []byte, n int, proto int) []byte {
	if proto == 3 {
		return appendPrefixed(dst, '~', int64(n))
	}
	return appendPrefixed(dst, '*', int64(n))
}

// AppendPushLen appends a push header (pub/sub messages, invalidations):
// >n in RESP3, *n in RESP2.
func AppendPushLen(dst []byte, n int, proto int) []byte {
	if proto == 3 {
		return appendPrefixed(dst, '>', int64(n))
	}
	return appendPrefixed(dst, '*', int64(n))
}

// AppendDouble appends a double as addReplyDouble does in Redis 7.0: a
// bulk string in RESP2, ,<repr>\r\n in RESP3, with the text of FormatDouble
// ("inf", "-inf", "%.17g" otherwise).
func AppendDouble(dst []byte, f float64, proto int) []byte {
	var num [32]byte
	text := appendDouble(num[:0], f)
	if proto == 3 {
		dst = append(dst, ',')
		dst = append(dst, text...)
		return append(dst, '\r', '\n')
	}
	return AppendBulk(dst, text)
}

// AppendBool appends a boolean: #t/#f in RESP3, :1/:0 in RESP2.
func AppendBool(dst []byte, b bool, proto int) []byte {
	switch {
	case proto == 3 && b:
		return append(dst, "#t\r\n"...)
	case proto == 3:
		return append(dst, "#f\r\n"...)
	case b:
		return append(dst, ":1\r\n"...)
	}
	return append(dst, ":0\r\n"...)
}

// AppendVerbatim appends a verbatim string as addReplyVerbatim does: in
// RESP3 =len\r\nfmt:s\r\n, where format is cut or space-padded to three
// bytes ("txt", "mkd"); in RESP2 a plain bulk string of s.
func AppendVerbatim(dst []byte, format string, s []byte, proto int) []byte {
	if proto != 3 {
		return AppendBulk(dst, s)
	}
	dst = appendPrefixed(dst, '=', int64(len(s))+4)
	for i := 0; i < 3; i++ {
		if i < len(format) {
			dst = append(dst, format[i])
		} else {
			dst = append(dst, ' ')
		}
	}
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// FormatDouble returns f as Redis 7.0's addReplyDouble prints it, the text
// of ZSCORE, ZINCRBY and every other double reply: "inf" and "-inf" for the
// infinities, otherwise C's "%.17g" (so 1.1 prints as 1.1000000000000001,
// which is what Redis 7.0 sends; 7.2 switched to the shortest form).
func FormatDouble(f float64) string {
	var num [32]byte
	return string(appendDouble(num[:0], f))
}

func appendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		// glibc's printf spelling; Redis never stores a NaN score.
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	}
	// Go's 'g' with an explicit precision matches C's %g: the same
	// exponent threshold, trailing zeros dropped, a two-digit exponent.
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
