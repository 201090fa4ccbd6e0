package resp

import (
	"bytes"
	"math"
	"strconv"
)

// Kind is the type of a reply. Its value is the RESP type byte, so a Kind
// prints as the byte a reply starts with.
type Kind byte

// The kinds ReadReply produces. RESP2's null bulk string ($-1) and null
// array (*-1) both read as Null, like RESP3's _; a RESP3 blob error (!)
// reads as Error.
const (
	SimpleString Kind = '+'
	Error        Kind = '-'
	Integer      Kind = ':'
	BulkString   Kind = '$'
	Array        Kind = '*'
	Null         Kind = '_'
	Map          Kind = '%'
	Set          Kind = '~'
	Push         Kind = '>'
	Double       Kind = ','
	Bool         Kind = '#'
	Verbatim     Kind = '='
	BigNumber    Kind = '('
	Attribute    Kind = '|'
)

func (k Kind) String() string {
	switch k {
	case SimpleString:
		return "simple string"
	case Error:
		return "error"
	case Integer:
		return "integer"
	case BulkString:
		return "bulk string"
	case Array:
		return "array"
	case Null:
		return "null"
	case Map:
		return "map"
	case Set:
		return "set"
	case Push:
		return "push"
	case Double:
		return "double"
	case Bool:
		return "bool"
	case Verbatim:
		return "verbatim"
	case BigNumber:
		return "big number"
	case Attribute:
		return "attribute"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one parsed reply. Which fields are set depends on Kind:
//   - SimpleString, Error, BulkString: Str.
//   - Verbatim: Str is the text after "fmt:", Format the three-byte format.
//   - Integer: Int.
//   - Double: Float, and Str the text as sent ("1.1000000000000001", "inf").
//   - BigNumber: Str, the digits as sent.
//   - Bool: Bool.
//   - Array, Set, Push: Elems.
//   - Map, Attribute: Elems flattened as key, value, key, value...
//   - Null: nothing.
//
// Byte slices alias the buffer given to ReadReply.
type Value struct {
	Kind   Kind
	Str    []byte
	Format []byte
	Int    int64
	Float  float64
	Bool   bool
	Elems  []Value
}

// maxReplyDepth bounds aggregate nesting so hostile input cannot exhaust
// the stack; Redis's deepest replies (COMMAND DOCS, XINFO STREAM FULL)
// nest well under ten.
const maxReplyDepth = 128

var (
	errReplyLine     = &ProtocolError{"Protocol error: reply line does not end in CRLF"}
	errReplyBulkLen  = &ProtocolError{"Protocol error: invalid bulk length in reply"}
	errReplyBulkEnd  = &ProtocolError{"Protocol error: bulk string in reply does not end in CRLF"}
	errReplyAggLen   = &ProtocolError{"Protocol error: invalid aggregate length in reply"}
	errReplyInt      = &ProtocolError{"Protocol error: invalid integer in reply"}
	errReplyDouble   = &ProtocolError{"Protocol error: invalid double in reply"}
	errReplyBool     = &ProtocolError{"Protocol error: invalid boolean in reply"}
	errReplyNull     = &ProtocolError{"Protocol error: invalid null in reply"}
	errReplyBigNum   = &ProtocolError{"Protocol error: invalid big number in reply"}
	errReplyVerbatim = &ProtocolError{"Protocol error: invalid verbatim string in reply"}
	errReplyDepth    = &ProtocolError{"Protocol error: reply nested too deeply"}
)

// ReadReply parses one RESP2 or RESP3 reply from the start of buf. n is the
// number of bytes consumed; n == 0 with a nil error means buf does not hold
// a complete reply yet. Errors are *ProtocolError.
//
// Unlike ReadCommand it is strict, since its input comes from a server:
// every line must end in CRLF, including the one after a bulk payload.
// An attribute (|) is returned as a Value of its own; the reply it
// annotates is the next one in the stream. Streamed RESP3 aggregates
// ("*?") are not supported. A primary's RDB payload ("$len" with no
// trailing CRLF, or "$EOF:") is not a reply and must be read separately.
func ReadReply(buf []byte) (v Value, n int, err error) {
	v, n, err = readValue(buf, 0, 0)
	if err != nil || n < 0 {
		return Value{}, 0, err
	}
	return v, n, nil
}

// readLine returns the line starting at pos (without its CRLF) and the
// position after it, or next == -1 when the line is incomplete.
func readLine(buf []byte, pos int) (line []byte, next int, err error) {
	i := bytes.IndexByte(buf[pos:], '\n')
	if i < 0 {
		return nil, -1, nil
	}
	end := pos + i
	if end == pos || buf[end-1] != '\r' {
		return nil, 0, errReplyLine
	}
	return buf[pos : end-1], end + 1, nil
}

// readValue parses the reply at pos and returns it with the position after
// it, or next == -1 when incomplete.
func readValue(buf []byte, pos, depth int) (v Value, next int, err error) {
	if pos >= len(buf) {
		return Value{}, -1, nil
	}
	if depth > maxReplyDepth {
		return Value{}, 0, errReplyDepth
	}
	typ := buf[pos]
	line, next, err := readLine(buf, pos+1)
	if err != nil || next < 0 {
		return Value{}, next, err
	}
	switch typ {
	case '+':
		return Value{Kind: SimpleString, Str: line}, next, nil
	case '-':
		return Value{Kind: Error, Str: line}, next, nil
	case ':':
		n, ok := ParseInt(line)
		if !ok {
			return Value{}, 0, errReplyInt
		}
		return Value{Kind: Integer, Int: n}, next, nil
	case '_':
		if len(line) != 0 {
			return Value{}, 0, errReplyNull
		}
		return Value{Kind: Null}, next, nil
	case ',':
		f, ok := parseReplyDouble(line)
		if !ok {
			return Value{}, 0, errReplyDouble
		}
		return Value{Kind: Double, Str: line, Float: f}, next, nil
	case '#':
		if len(line) != 1 || (line[0] != 't' && line[0] != 'f') {
			return Value{}, 0, errReplyBool
		}
		return Value{Kind: Bool, Bool: line[0] == 't'}, next, nil
	case '(':
		if !isBigNumber(line) {
			return Value{}, 0, errReplyBigNum
		}
		return Value{Kind: BigNumber, Str: line}, next, nil
	case '$', '!', '=':
		size, ok := ParseInt(line)
		if !ok || size < -1 || (size == -1 && typ != '$') {
			return Value{}, 0, errReplyBulkLen
		}
		if size == -1 {
			return Value{Kind: Null}, next, nil
		}
		if size > int64(len(buf)-next-2) {
			return Value{}, -1, nil
		}
		end := next + int(size)
		if buf[end] != '\r' || buf[end+1] != '\n' {
			return Value{}, 0, errReplyBulkEnd
		}
		payload := buf[next:end:end]
		switch typ {
		case '!':
			return Value{Kind: Error, Str: payload}, end + 2, nil
		case '=':
			if len(payload) < 4 || payload[3] != ':' {
				return Value{}, 0, errReplyVerbatim
			}
			return Value{Kind: Verbatim, Format: payload[:3:3], Str: payload[4:]}, end + 2, nil
		}
		return Value{Kind: BulkString, Str: payload}, end + 2, nil
	case '*', '~', '>', '%', '|':
		count, ok := ParseInt(line)
		if !ok || count < -1 || (count == -1 && typ != '*') {
			return Value{}, 0, errReplyAggLen
		}
		if count == -1 {
			return Value{Kind: Null}, next, nil
		}
		if typ == '%' || typ == '|' {
			if count > 1<<61 {
				return Value{}, 0, errReplyAggLen
			}
			count *= 2
		}
		// Every element takes at least 3 bytes ("+\r\n"), so a count the
		// buffer cannot hold is incomplete. The first allocation is capped
		// too: nested counts must not reserve memory for elements that
		// have not been seen.
		if count > int64(len(buf)-next)/3 {
			return Value{}, -1, nil
		}
		elems := make([]Value, 0, min(int(count), 256))
		for i := int64(0); i < count; i++ {
			var e Value
			e, next, err = readValue(buf, next, depth+1)
			if err != nil || next < 0 {
				return Value{}, next, err
			}
			elems = append(elems, e)
		}
		return Value{Kind: Kind(typ), Elems: elems}, next, nil
	}
	return Value{}, 0, &ProtocolError{"Protocol error, got " + strconv.Quote(string([]byte{typ})) + " as reply type byte"}
}

func parseReplyDouble(b []byte) (float64, bool) {
	switch string(b) {
	case "inf", "+inf":
		return math.Inf(1), true
	case "-inf":
		return math.Inf(-1), true
	case "nan", "-nan":
		return math.NaN(), true
	}
	if len(b) == 0 {
		return 0, false
	}
	// Refuse what strconv accepts but RESP does not: "Inf", "0x1p3", "1_0".
	for _, c := range b {
		if !(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

func isBigNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// String renders v on one line, deterministically, for test expectations.
// The format follows redis-cli's:
//
//	SimpleString  OK                   (unquoted)
//	Error         (error) ERR x
//	Integer       (integer) 1
//	BulkString    "a\r\n\x00"          (quoted as redis-cli/sdscatrepr does)
//	Null          (nil)
//	Double        (double) 1.5         (the text as sent)
//	Bool          (true) / (false)
//	BigNumber     (big number) 123
//	Verbatim      (verbatim txt) "text"
//	Array         ["a" (integer) 1]    ([] when empty)
//	Set           (set) ["a" "b"]
//	Push          (push) ["message" "ch" "hi"]
//	Map           {"k": "v", "k2": (integer) 2}
//	Attribute     (attribute) {"k": "v"}
func (v Value) String() string {
	return string(v.appendText(nil))
}

func (v Value) appendText(dst []byte) []byte {
	switch v.Kind {
	case SimpleString:
		return append(dst, v.Str...)
	case Error:
		return append(append(dst, "(error) "...), v.Str...)
	case Integer:
		return strconv.AppendInt(append(dst, "(integer) "...), v.Int, 10)
	case BulkString:
		return appendRepr(dst, v.Str)
	case Null:
		return append(dst, "(nil)"...)
	case Double:
		return append(append(dst, "(double) "...), v.Str...)
	case Bool:
		if v.Bool {
			return append(dst, "(true)"...)
		}
		return append(dst, "(false)"...)
	case BigNumber:
		return append(append(dst, "(big number) "...), v.Str...)
	case Verbatim:
		dst = append(append(dst, "(verbatim "...), v.Format...)
		return appendRepr(append(dst, ") "...), v.Str)
	case Array:
		return appendList(dst, v.Elems)
	case Set:
		return appendList(append(dst, "(set) "...), v.Elems)
	case Push:
		return appendList(append(dst, "(push) "...), v.Elems)
	case Map:
		return appendMap(dst, v.Elems)
	case Attribute:
		return appendMap(append(dst, "(attribute) "...), v.Elems)
	}
	return append(dst, "(invalid)"...)
}

func appendList(dst []byte, elems []Value) []byte {
	dst = append(dst, '[')
	for i, e := range elems {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = e.appendText(dst)
	}
	return append(dst, ']')
}

func appendMap(dst []byte, elems []Value) []byte {
	dst = append(dst, '{')
	for i, e := range elems {
		switch {
		case i == 0:
		case i%2 == 1:
			dst = append(dst, ": "...)
		default:
			dst = append(dst, ", "...)
		}
		dst = e.appendText(dst)
	}
	return append(dst, '}')
}

// appendRepr quotes b as redis-cli does (sds.c sdscatrepr).
func appendRepr(dst []byte, b []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range b {
		switch c {
		case '\\', '"':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\a':
			dst = append(dst, '\\', 'a')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				dst = append(dst, c)
			} else {
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
			}
		}
	}
	return append(dst, '"')
}
