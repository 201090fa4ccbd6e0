package daemon

import (
	"math"
	"strconv"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET
// MSETNX APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SETRANGE
// LCS, with Redis 7.0's t_string.c semantics: the order of checks (options,
// then expire, then type) decides which error a client sees, so it follows
// Redis's exactly.
//
// A string lives in its meta record (Meta.Value), or in chunks once an
// in-place change leaves it long (see strchunk.go): read values through
// Keyspace.strValue/strRead, never Meta.Value directly. Commands that modify a value in place in Redis
// (APPEND, SETRANGE, INCR...) keep the key's TTL; commands that set a new
// value (SET without KEEPTTL, GETSET, MSET, BITOP) clear it.

func init() { registrations = append(registrations, registerStringCommands) }

func registerStringCommands(t *commandTable) {
	t.register("get", cmdGet)
	t.register("set", cmdSet)
	t.register("setnx", cmdSetNX)
	t.register("setex", cmdSetEX)
	t.register("psetex", cmdPSetEX)
	t.register("getset", cmdGetSet)
	t.register("getdel", cmdGetDel)
	t.register("getex", cmdGetEX)
	t.register("mget", cmdMGet)
	t.register("mset", cmdMSet)
	t.register("msetnx", cmdMSetNX)
	t.register("append", cmdAppend)
	t.register("strlen", cmdStrlen)
	t.register("incr", func(c *Client, argv [][]byte) { strIncrBy(c, argv[1], 1) })
	t.register("decr", func(c *Client, argv [][]byte) { strIncrBy(c, argv[1], -1) })
	t.register("incrby", cmdIncrBy)
	t.register("decrby", cmdDecrBy)
	t.register("incrbyfloat", cmdIncrByFloat)
	t.register("getrange", cmdGetRange)
	t.register("substr", cmdGetRange) // the old name, still in Redis 7.0
	t.register("setrange", cmdSetRange)
	t.register("lcs", cmdLCS)
}

const (
	errStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errNaNOrInf      = "ERR increment would produce NaN or Infinity"
)

// strLookupRead is a lookup for reading (Redis's lookupKeyRead): it counts
// keyspace hits and misses for INFO, which write lookups do not.
func strLookupRead(c *Client, key []byte) (storage.Meta, bool) {
	m, ok := c.srv.ks.Lookup(c.db, key)
	countLookup(c, key, ok)
	return m, ok
}

// strPut writes a string value for key, replacing old (nil when the key
// did not exist), left by the command as enc.
func strPut(c *Client, key []byte, old *storage.Meta, val []byte, expireAt int64, enc storage.StrEnc) {
	c.srv.ks.putString(c.db, key, old, val, expireAt, enc)
}

// strCheckLength is Redis's checkStringLength: a string may not grow past
// proto-max-bulk-len, and size+add must not overflow.
func strCheckLength(c *Client, size, add int64) bool {
	total := int64(uint64(size) + uint64(add))
	if total > int64(c.srv.cfg.ProtoMaxBulkLen) || total < size || total < add {
		c.ReplyError(errStringTooLong)
		return false
	}
	return true
}

// ---- GET / SET family ---------------------------------------------------------

// SET and GETEX options, as parseExtendedStringArgumentsOrReply names them.
const (
	strNX = 1 << iota
	strXX
	strGet
	strKeepTTL
	strPersist
	strEX
	strPX
	strEXAT
	strPXAT
)

// strParseOptions parses SET's options (isSet, from argv[3]) or GETEX's
// (from argv[2]) with Redis's exclusion rules: NX/XX, and at most one of
// KEEPTTL, PERSIST and the expiry family, except that EX, PX, EXAT and PXAT
// may each repeat (the last one wins). A bad or clashing option is a syntax
// error. expire is the argument of the expiry option, nil when none.
func strParseOptions(argv [][]byte, isSet bool) (flags int, expire []byte, ok bool) {
	j := 2
	if isSet {
		j = 3
	}
	for ; j < len(argv); j++ {
		opt := argv[j]
		hasNext := j < len(argv)-1
		switch {
		case isSet && equalFold(opt, "nx") && flags&strXX == 0:
			flags |= strNX
		case isSet && equalFold(opt, "xx") && flags&strNX == 0:
			flags |= strXX
		case isSet && equalFold(opt, "get"):
			flags |= strGet
		case isSet && equalFold(opt, "keepttl") && flags&(strPersist|strEX|strEXAT|strPX|strPXAT) == 0:
			flags |= strKeepTTL
		case !isSet && equalFold(opt, "persist") && flags&(strEX|strEXAT|strPX|strPXAT|strKeepTTL) == 0:
			flags |= strPersist
		case equalFold(opt, "ex") && hasNext && flags&(strKeepTTL|strPersist|strEXAT|strPX|strPXAT) == 0:
			flags |= strEX
			expire = argv[j+1]
			j++
		case equalFold(opt, "px") && hasNext && flags&(strKeepTTL|strPersist|strEX|strEXAT|strPXAT) == 0:
			flags |= strPX
			expire = argv[j+1]
			j++
		case equalFold(opt, "exat") && hasNext && flags&(strKeepTTL|strPersist|strEX|strPX|strPXAT) == 0:
			flags |= strEXAT
			expire = argv[j+1]
			j++
		case equalFold(opt, "pxat") && hasNext && flags&(strKeepTTL|strPersist|strEX|strEXAT|strPX) == 0:
			flags |= strPXAT
			expire = argv[j+1]
			j++
		default:
			return 0, nil, false
		}
	}
	return flags, expire, true
}

// strExpireAt turns an expiry argument into an absolute unix-ms time, as
// getExpireMillisecondsOrReply does: EX/EXAT are seconds, EX/PX relative
// to now. Zero, negative and overflowing times are refused with the
// command's name in the message.
func strExpireAt(c *Client, arg []byte, flags int, cmd string) (int64, bool) {
	v, ok := parseInt(arg)
	if !ok {
		c.ReplyError(errNotInt)
		return 0, false
	}
	seconds := flags&(strEX|strEXAT) != 0
	if v <= 0 || (seconds && v > math.MaxInt64/1000) {
		c.ReplyError("ERR invalid expire time in '" + cmd + "' command")
		return 0, false
	}
	if seconds {
		v *= 1000
	}
	if flags&(strEX|strPX) != 0 {
		v += c.srv.ks.Now() // may wrap: caught just below, as in Redis
	}
	if v <= 0 {
		c.ReplyError("ERR invalid expire time in '" + cmd + "' command")
		return 0, false
	}
	return v, true
}

// What setGeneric replies when it sets (ok) or skips (abort) the key.
const (
	strReplyOK = iota
	strReplyNull
	strReplyOne
	strReplyZero
)

func strReply(c *Client, kind int) {
	switch kind {
	case strReplyOK:
		c.ReplyOK()
	case strReplyNull:
		c.ReplyNull()
	case strReplyOne:
		c.ReplyInt(1)
	case strReplyZero:
		c.ReplyInt(0)
	}
}

// strSetGeneric is Redis's setGenericCommand for SET, SETNX, SETEX and
// PSETEX: validate the expiry, reply the old value first when GET is given
// (a wrong type aborts), then apply NX/XX.
func strSetGeneric(c *Client, flags int, key, val, expire []byte, cmd string, okReply, abortReply int) {
	var when int64
	if expire != nil {
		var ok bool
		if when, ok = strExpireAt(c, expire, flags, cmd); !ok {
			return
		}
	}
	var old storage.Meta
	var found bool
	if flags&strGet != 0 {
		old, found = strLookupRead(c, key)
		switch {
		case !found:
			c.ReplyNull()
		case old.Type != storage.TypeString:
			c.ReplyError(errWrongType)
			return
		default:
			c.ReplyBulk(c.srv.ks.strValue(c.db, key, &old))
		}
	} else {
		old, found = c.srv.ks.LookupMeta(c.db, key)
	}
	if (flags&strNX != 0 && found) || (flags&strXX != 0 && !found) {
		if flags&strGet == 0 {
			strReply(c, abortReply)
		}
		return
	}
	if flags&strKeepTTL != 0 && found {
		when = old.ExpireAt
	}
	if found {
		strPut(c, key, &old, val, when, storage.StrEncAuto)
	} else {
		strPut(c, key, nil, val, when, storage.StrEncAuto)
	}
	c.srv.notifyLocked(notifyString, "set", c.db, key)
	if expire != nil {
		c.srv.notifyLocked(notifyGeneric, "expire", c.db, key)
		if c.replicating() {
			// Replicas get the absolute time, and only that: Redis 7.0
			// propagates SET key value PXAT ms, NX, XX and GET dropped.
			c.propagate(propSet, key, val, propPXAT, itob(when))
		}
	}
	if flags&strGet == 0 {
		strReply(c, okReply)
	}
}

// strGetGeneric replies a key's string value (or null) and reports false
// after a WRONGTYPE error.
func strGetGeneric(c *Client, key []byte) (storage.Meta, bool, bool) {
	return strGetReply(c, key, c.srv.ks.Lookup)
}

// strGetReply is strGetGeneric with the lookup to use: GET and MGET use
// LookupRead, whose Meta they drop once the reply has the value.
func strGetReply(c *Client, key []byte, lookup func(int, []byte) (storage.Meta, bool)) (storage.Meta, bool, bool) {
	m, found := lookup(c.db, key)
	countLookup(c, key, found)
	if !found {
		c.ReplyNull()
		return m, false, true
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return m, true, false
	}
	c.ReplyBulk(c.srv.ks.strValue(c.db, key, &m))
	return m, true, true
}

func cmdGet(c *Client, argv [][]byte) {
	strGetReply(c, argv[1], c.srv.ks.LookupRead)
}

// cmdSet implements SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL].
func cmdSet(c *Client, argv [][]byte) {
	flags, expire := 0, []byte(nil)
	if len(argv) > 3 {
		var ok bool
		if flags, expire, ok = strParseOptions(argv, true); !ok {
			c.ReplyError(errSyntax)
			return
		}
	}
	strSetGeneric(c, flags, argv[1], argv[2], expire, "set", strReplyOK, strReplyNull)
}

func cmdSetNX(c *Client, argv [][]byte) {
	strSetGeneric(c, strNX, argv[1], argv[2], nil, "setnx", strReplyOne, strReplyZero)
}

func cmdSetEX(c *Client, argv [][]byte) {
	strSetGeneric(c, strEX, argv[1], argv[3], argv[2], "setex", strReplyOK, strReplyNull)
}

func cmdPSetEX(c *Client, argv [][]byte) {
	strSetGeneric(c, strPX, argv[1], argv[3], argv[2], "psetex", strReplyOK, strReplyNull)
}

// cmdGetSet replies the old value and sets the new one, dropping any TTL.
func cmdGetSet(c *Client, argv [][]byte) {
	old, found, ok := strGetGeneric(c, argv[1])
	if !ok {
		return
	}
	if found {
		strPut(c, argv[1], &old, argv[2], 0, storage.StrEncAuto)
	} else {
		strPut(c, argv[1], nil, argv[2], 0, storage.StrEncAuto)
	}
	c.srv.notifyLocked(notifyString, "set", c.db, argv[1])
}

func cmdGetDel(c *Client, argv [][]byte) {
	if _, found, ok := strGetGeneric(c, argv[1]); ok && found {
		c.srv.ks.Delete(c.db, argv[1])
		c.srv.notifyLocked(notifyGeneric, "del", c.db, argv[1])
		c.propagate(propDel, argv[1])
	}
}

// cmdGetEX implements GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST].
// An absolute time already in the past deletes the key after replying its
// value, as Redis does.
func cmdGetEX(c *Client, argv [][]byte) {
	flags, expire, ok := strParseOptions(argv, false)
	if !ok {
		c.ReplyError(errSyntax)
		return
	}
	m, found := strLookupRead(c, argv[1])
	if !found {
		c.ReplyNull()
		return
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return
	}
	var when int64
	if expire != nil {
		if when, ok = strExpireAt(c, expire, flags, "getex"); !ok {
			return
		}
	}
	ks := c.srv.ks
	c.ReplyBulk(ks.strValue(c.db, argv[1], &m))
	switch {
	case flags&(strEXAT|strPXAT) != 0 && when <= ks.Now():
		ks.Delete(c.db, argv[1])
		c.srv.notifyLocked(notifyGeneric, "del", c.db, argv[1])
		c.propagate(propDel, argv[1])
	case expire != nil:
		ks.SetExpire(c.db, argv[1], m, when)
		c.srv.notifyLocked(notifyGeneric, "expire", c.db, argv[1])
		if c.replicating() {
			c.propagate(propPexpireat, argv[1], itob(when))
		}
	case flags&strPersist != 0 && m.ExpireAt != 0:
		ks.SetExpire(c.db, argv[1], m, 0)
		c.srv.notifyLocked(notifyGeneric, "persist", c.db, argv[1])
		c.propagate(propPersist, argv[1])
	}
}

// cmdMGet replies null for missing keys and for keys of other types.
func cmdMGet(c *Client, argv [][]byte) {
	c.ReplyArrayLen(len(argv) - 1)
	for _, key := range argv[1:] {
		m, found := c.srv.ks.LookupRead(c.db, key)
		countLookup(c, key, found)
		if !found || m.Type != storage.TypeString {
			c.ReplyNull()
			continue
		}
		c.ReplyBulk(c.srv.ks.strValue(c.db, key, &m))
	}
}

func cmdMSet(c *Client, argv [][]byte) {
	if len(argv)%2 == 0 {
		c.ReplyError("ERR wrong number of arguments for 'mset' command")
		return
	}
	strMSet(c, argv)
	c.ReplyOK()
}

// cmdMSetNX sets nothing when any key exists, whatever its type.
func cmdMSetNX(c *Client, argv [][]byte) {
	if len(argv)%2 == 0 {
		c.ReplyError("ERR wrong number of arguments for 'msetnx' command")
		return
	}
	for j := 1; j < len(argv); j += 2 {
		if c.srv.ks.Exists(c.db, argv[j]) {
			c.ReplyInt(0)
			return
		}
	}
	strMSet(c, argv)
	c.ReplyInt(1)
}

func strMSet(c *Client, argv [][]byte) {
	ks := c.srv.ks
	for j := 1; j < len(argv); j += 2 {
		old, found := ks.LookupMeta(c.db, argv[j])
		if found {
			strPut(c, argv[j], &old, argv[j+1], 0, storage.StrEncAuto)
		} else {
			strPut(c, argv[j], nil, argv[j+1], 0, storage.StrEncAuto)
		}
		c.srv.notifyLocked(notifyString, "set", c.db, argv[j])
	}
}

func cmdAppend(c *Client, argv [][]byte) {
	key, add := argv[1], argv[2]
	m, found := c.srv.ks.Lookup(c.db, key)
	if !found {
		strPut(c, key, nil, add, 0, storage.StrEncAuto)
		c.srv.notifyLocked(notifyString, "append", c.db, key)
		c.ReplyInt(int64(len(add)))
		return
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return
	}
	n := m.StrLen()
	if !strCheckLength(c, n, int64(len(add))) {
		return
	}
	e := c.srv.ks.openStrEdit(c.db, key, m, true, n, n+int64(len(add)))
	copy(e.win, add)
	e.store(true)
	c.srv.notifyLocked(notifyString, "append", c.db, key)
	c.ReplyInt(e.newLen)
}

func cmdStrlen(c *Client, argv [][]byte) {
	m, found := strLookupRead(c, argv[1])
	if !found {
		c.ReplyInt(0)
		return
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return
	}
	c.ReplyInt(m.StrLen())
}

// ---- counters -------------------------------------------------------------------

func cmdIncrBy(c *Client, argv [][]byte) {
	incr, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	strIncrBy(c, argv[1], incr)
}

func cmdDecrBy(c *Client, argv [][]byte) {
	incr, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if incr == math.MinInt64 {
		c.ReplyError("ERR decrement would overflow")
		return
	}
	strIncrBy(c, argv[1], -incr)
}

// strIncrBy is incrDecrCommand: a missing key counts as 0 and the TTL
// stays.
func strIncrBy(c *Client, key []byte, incr int64) {
	m, found := c.srv.ks.Lookup(c.db, key)
	var v int64
	if found {
		if m.Type != storage.TypeString {
			c.ReplyError(errWrongType)
			return
		}
		var ok bool
		if v, ok = parseInt(c.srv.ks.strValue(c.db, key, &m)); !ok {
			c.ReplyError(errNotInt)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		c.ReplyError(errOverflow)
		return
	}
	v += incr
	var num [20]byte
	val := strconv.AppendInt(num[:0], v, 10)
	if found {
		strPut(c, key, &m, val, m.ExpireAt, storage.StrEncAuto)
	} else {
		strPut(c, key, nil, val, 0, storage.StrEncAuto)
	}
	c.srv.notifyLocked(notifyString, "incrby", c.db, key)
	c.ReplyInt(v)
}

// cmdIncrByFloat adds in x87 long double arithmetic and stores the result
// as Redis prints it ("%.17Lf" trimmed), so values and replies match Redis
// digit for digit. The stored value is parsed before the increment, so a
// non-numeric value wins over a bad increment in the error reply.
func cmdIncrByFloat(c *Client, argv [][]byte) {
	key := argv[1]
	m, found := c.srv.ks.Lookup(c.db, key)
	var cur resp.LongDouble
	if found {
		if m.Type != storage.TypeString {
			c.ReplyError(errWrongType)
			return
		}
		var ok bool
		if cur, ok = resp.ParseLongDouble(c.srv.ks.strValue(c.db, key, &m)); !ok {
			c.ReplyError(errNotFloat)
			return
		}
	}
	incr, ok := resp.ParseLongDouble(argv[2])
	if !ok {
		c.ReplyError(errNotFloat)
		return
	}
	sum := cur.Add(incr)
	if sum.IsNaN() || sum.IsInf() {
		c.ReplyError(errNaNOrInf)
		return
	}
	val := []byte(sum.String())
	if found {
		strPut(c, key, &m, val, m.ExpireAt, storage.StrEncNoInt)
	} else {
		strPut(c, key, nil, val, 0, storage.StrEncNoInt)
	}
	c.srv.notifyLocked(notifyString, "incrbyfloat", c.db, key)
	// The sum as text, so replicas need not redo the float arithmetic.
	c.propagate(propSet, key, val, propKeepTTL)
	c.ReplyBulk(val)
}

// ---- ranges ---------------------------------------------------------------------

// cmdGetRange implements GETRANGE key start end (inclusive, negative from
// the end, clamped). Two negative indexes in the wrong order give "".
func cmdGetRange(c *Client, argv [][]byte) {
	start, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	end, ok := parseInt(argv[3])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	m, found := strLookupRead(c, argv[1])
	if !found {
		c.ReplyBulk(nil)
		return
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return
	}
	lo, hi, ok := strRange(start, end, m.StrLen())
	if !ok {
		c.ReplyBulk(nil)
		return
	}
	c.ReplyBulk(c.srv.ks.strRead(c.db, argv[1], &m, lo, hi+1))
}

// strRange resolves GETRANGE's inclusive [start, end] against a string of
// n bytes; ok is false when the range is empty.
func strRange(start, end, n int64) (lo, hi int64, ok bool) {
	if start < 0 && end < 0 && start > end {
		return 0, 0, false
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return 0, 0, false
	}
	return start, end, true
}

// cmdSetRange implements SETRANGE key offset value: zero-padding as
// needed, keeping the TTL. An empty value changes nothing (and creates no
// key).
func cmdSetRange(c *Client, argv [][]byte) {
	key, val := argv[1], argv[3]
	offset, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if offset < 0 {
		c.ReplyError("ERR offset is out of range")
		return
	}
	m, found := c.srv.ks.Lookup(c.db, key)
	if found && m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return
	}
	if len(val) == 0 {
		c.ReplyInt(m.StrLen()) // 0 when not found
		return
	}
	if !strCheckLength(c, offset, int64(len(val))) {
		return
	}
	e := c.srv.ks.openStrEdit(c.db, key, m, found, offset, offset+int64(len(val)))
	copy(e.win, val)
	e.store(true)
	c.srv.notifyLocked(notifyString, "setrange", c.db, key)
	c.ReplyInt(e.newLen)
}

// strGrowZero returns b extended with zero bytes to at least n bytes
// (sdsgrowzero). It may reuse b's memory.
func strGrowZero(b []byte, n int) []byte {
	if n <= len(b) {
		return b
	}
	if n <= cap(b) {
		old := len(b)
		b = b[:n]
		clear(b[old:])
		return b
	}
	nb := make([]byte, n)
	copy(nb, b)
	return nb
}

// ---- LCS ------------------------------------------------------------------------

// cmdLCS implements LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]
// with Redis's dynamic programming table and its backwards walk, so IDX
// reports the same ranges in the same order. The keys are looked up (and
// type-checked) before the options are parsed.
func cmdLCS(c *Client, argv [][]byte) {
	ma, foundA := strLookupRead(c, argv[1])
	mb, foundB := strLookupRead(c, argv[2])
	if (foundA && ma.Type != storage.TypeString) || (foundB && mb.Type != storage.TypeString) {
		c.ReplyError("ERR The specified keys must contain string values")
		return
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(argv); j++ {
		opt := argv[j]
		more := len(argv) - 1 - j
		switch {
		case equalFold(opt, "idx"):
			getIdx = true
		case equalFold(opt, "len"):
			getLen = true
		case equalFold(opt, "withmatchlen"):
			withMatchLen = true
		case equalFold(opt, "minmatchlen") && more > 0:
			v, ok := parseInt(argv[j+1])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			minMatchLen = max(v, 0)
			j++
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	if getLen && getIdx {
		c.ReplyError("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	la, lb := uint64(ma.StrLen()), uint64(mb.StrLen())
	if la >= math.MaxUint32-1 || lb >= math.MaxUint32-1 {
		c.ReplyError("ERR String too long for LCS")
		return
	}
	if (la+1)*(lb+1)*4 > uint64(c.srv.cfg.ProtoMaxBulkLen) {
		c.ReplyError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	a, b := c.srv.ks.strValue(c.db, argv[1], &ma), c.srv.ks.strValue(c.db, argv[2], &mb)
	res := lcsCompute(a, b, getIdx || !getLen, uint64(minMatchLen))
	switch {
	case getIdx:
		c.ReplyMapLen(2)
		c.ReplyBulkString("matches")
		c.ReplyArrayLen(len(res.matches))
		for _, r := range res.matches {
			if withMatchLen {
				c.ReplyArrayLen(3)
			} else {
				c.ReplyArrayLen(2)
			}
			c.ReplyArrayLen(2)
			c.ReplyInt(int64(r.aStart))
			c.ReplyInt(int64(r.aEnd))
			c.ReplyArrayLen(2)
			c.ReplyInt(int64(r.bStart))
			c.ReplyInt(int64(r.bEnd))
			if withMatchLen {
				c.ReplyInt(int64(r.aEnd - r.aStart + 1))
			}
		}
		c.ReplyBulkString("len")
		c.ReplyInt(int64(res.length))
	case getLen:
		c.ReplyInt(int64(res.length))
	default:
		c.ReplyBulk(res.common)
	}
}

// lcsMatch is one matching range, inclusive on both strings.
type lcsMatch struct {
	aStart, aEnd, bStart, bEnd int
}

type lcsResult struct {
	length  uint32
	common  []byte     // the subsequence itself (when walked)
	matches []lcsMatch // ranges of at least minMatchLen, last first
}

// lcsCompute fills the LCS length table and, when walk is set, walks it
// back from the end as Redis's lcsCommand does, collecting the common
// subsequence and its contiguous ranges.
func lcsCompute(a, b []byte, walk bool, minMatchLen uint64) lcsResult {
	alen, blen := len(a), len(b)
	stride := blen + 1
	table := make([]uint32, (alen+1)*stride)
	for i := 1; i <= alen; i++ {
		row, prev := table[i*stride:(i+1)*stride], table[(i-1)*stride:i*stride]
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				row[j] = prev[j-1] + 1
			} else {
				row[j] = max(row[j-1], prev[j])
			}
		}
	}
	at := func(i, j int) uint32 { return table[j+i*stride] }
	res := lcsResult{length: at(alen, blen)}
	if !walk {
		return res
	}
	idx := res.length
	res.common = make([]byte, idx)
	// aStart == alen means no range is open.
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			res.common[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd = i-1, i-1
				bStart, bEnd = j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			if n := uint64(aEnd - aStart + 1); minMatchLen == 0 || n >= minMatchLen {
				res.matches = append(res.matches, lcsMatch{aStart, aEnd, bStart, bEnd})
			}
			aStart = alen
		}
	}
	return res
}
