package daemon

import (
	"math"
	"math/bits"

	"github.com/redoubtdb/redoubt/storage"
)

// Bit commands over strings: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
// BITFIELD_RO, with Redis 7.0's bitops.c semantics. Bit 0 is the most
// significant bit of the first byte; reads past the end see zeros, writes
// past the end zero-pad the string. Writes keep the key's TTL, except
// BITOP, which sets its destination anew.

func init() { registrations = append(registrations, registerBitCommands) }

func registerBitCommands(t *commandTable) {
	t.register("setbit", cmdSetBit)
	t.register("getbit", cmdGetBit)
	t.register("bitcount", cmdBitCount)
	t.register("bitpos", cmdBitPos)
	t.register("bitop", cmdBitOp)
	t.register("bitfield", func(c *Client, argv [][]byte) { bitField(c, argv, false) })
	t.register("bitfield_ro", func(c *Client, argv [][]byte) { bitField(c, argv, true) })
}

const (
	errBitOffset    = "ERR bit offset is not an integer or out of range"
	errBitValue     = "ERR bit is not an integer or out of range"
	errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)

// bitOffset parses a bit offset as getBitOffsetFromArgument does. With
// hash, "#n" means n*width (BITFIELD). Offsets must address a byte below
// proto-max-bulk-len.
func bitOffset(c *Client, arg []byte, hash bool, width int) (uint64, bool) {
	useHash := hash && width > 0 && len(arg) > 0 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	v, ok := parseInt(arg)
	if ok && useHash {
		v *= int64(width) // may wrap negative: refused below, as in Redis
	}
	if !ok || v < 0 || v>>3 >= int64(c.srv.cfg.ProtoMaxBulkLen) {
		c.ReplyError(errBitOffset)
		return 0, false
	}
	return uint64(v), true
}

// bitLookupWrite is lookupStringForBitCommand: it opens bytes [lo, hi) of
// key's value for a bit command, which grows the string to at least hi
// bytes; the window also covers bytes up to readHi that the value holds.
// ok is false after a WRONGTYPE reply. The caller stores the edit when it
// changed or grew the value, else calls bitUnshare.
func bitLookupWrite(c *Client, key []byte, lo, hi, readHi int64) (e *strEdit, ok bool) {
	m, found := c.srv.ks.Lookup(c.db, key)
	if found && m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return nil, false
	}
	return c.srv.ks.openStrEdit(c.db, key, m, found, lo, max(hi, min(readHi, m.StrLen()))), true
}

// bitUnshare is what Redis's lookupStringForBitCommand leaves behind when
// a bit command changes nothing: the value made "raw" (dbUnshareStringValue),
// created or grown if it had to be, without counting as a change.
func bitUnshare(e *strEdit) {
	if e.grown() || e.m.Enc != storage.StrEncRaw {
		e.store(false)
	}
}

// ---- SETBIT / GETBIT --------------------------------------------------------------

func cmdSetBit(c *Client, argv [][]byte) {
	off, ok := bitOffset(c, argv[2], false, 0)
	if !ok {
		return
	}
	on, ok := parseInt(argv[3])
	if !ok || on&^1 != 0 {
		c.ReplyError(errBitValue)
		return
	}
	byteIdx, mask := int64(off>>3), byte(1)<<(7-off&7)
	e, ok := bitLookupWrite(c, argv[1], byteIdx, byteIdx+1, 0)
	if !ok {
		return
	}
	old := e.win[0]&mask != 0
	if e.grown() || old != (on == 1) {
		if on == 1 {
			e.win[0] |= mask
		} else {
			e.win[0] &^= mask
		}
		e.store(true)
		c.srv.notifyLocked(notifyString, "setbit", c.db, argv[1])
	} else {
		bitUnshare(e)
	}
	if old {
		c.ReplyInt(1)
	} else {
		c.ReplyInt(0)
	}
}

func cmdGetBit(c *Client, argv [][]byte) {
	off, ok := bitOffset(c, argv[2], false, 0)
	if !ok {
		return
	}
	m, found := strLookupRead(c, argv[1])
	if !found {
		c.ReplyInt(0)
		return
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return
	}
	if byteIdx := int64(off >> 3); byteIdx < m.StrLen() && c.srv.ks.strRead(c.db, argv[1], &m, byteIdx, byteIdx+1)[0]&(1<<(7-off&7)) != 0 {
		c.ReplyInt(1)
		return
	}
	c.ReplyInt(0)
}

// ---- BITCOUNT / BITPOS ------------------------------------------------------------

// bitUnit parses the optional BYTE|BIT argument; ok is false on anything
// else.
func bitUnit(arg []byte) (isBit, ok bool) {
	switch {
	case equalFold(arg, "bit"):
		return true, true
	case equalFold(arg, "byte"):
		return false, true
	}
	return false, false
}

// bitRangeMasks converts a resolved bit range [start, end] into bytes and
// the masks of the bits outside the range in the first and last byte.
func bitRangeMasks(start, end int64) (bStart, bEnd int64, firstNeg, lastNeg byte) {
	firstNeg = byte(^((1 << (8 - int(start&7))) - 1))
	lastNeg = byte((1 << (7 - int(end&7))) - 1)
	return start >> 3, end >> 3, firstNeg, lastNeg
}

// cmdBitCount implements BITCOUNT key [start end [BYTE|BIT]]. As in Redis
// 7.0, the key is looked up first: a missing key answers 0 whatever the
// other arguments are.
func cmdBitCount(c *Client, argv [][]byte) {
	m, found := strLookupRead(c, argv[1])
	if !found {
		c.ReplyInt(0)
		return
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return
	}
	strlen := m.StrLen()
	var start, end int64
	var firstNeg, lastNeg byte
	switch len(argv) {
	case 4, 5:
		var ok bool
		if start, ok = parseInt(argv[2]); !ok {
			c.ReplyError(errNotInt)
			return
		}
		if end, ok = parseInt(argv[3]); !ok {
			c.ReplyError(errNotInt)
			return
		}
		// Redis 7.0 answers an empty range of negative indexes before
		// it reads the unit: BITCOUNT k -1 -4 WORD is 0.
		if start < 0 && end < 0 && start > end {
			c.ReplyInt(0)
			return
		}
		isBit := false
		if len(argv) == 5 {
			if isBit, ok = bitUnit(argv[4]); !ok {
				c.ReplyError(errSyntax)
				return
			}
		}
		start, end, firstNeg, lastNeg = bitByteRange(start, end, strlen, isBit)
	case 2:
		start, end = 0, strlen-1
	default:
		c.ReplyError(errSyntax)
		return
	}
	if start > end {
		c.ReplyInt(0)
		return
	}
	ks := c.srv.ks
	var n int64
	if m.Chunked {
		ks.strVisit(c.db, argv[1], &m, start, end+1, func(_ int64, p []byte) { n += popcount(p) })
	} else {
		n = popcount(m.Value[start : end+1])
	}
	if firstNeg != 0 {
		n -= int64(bits.OnesCount8(ks.strRead(c.db, argv[1], &m, start, start+1)[0] & firstNeg))
	}
	if lastNeg != 0 {
		n -= int64(bits.OnesCount8(ks.strRead(c.db, argv[1], &m, end, end+1)[0] & lastNeg))
	}
	c.ReplyInt(n)
}

// bitByteRange resolves a BITCOUNT/BITPOS range given in bytes, or in bits
// when isBit, over a string of strlen bytes: the byte bounds to scan (end
// below start when empty) and masks of the bits outside the range in the
// first and last byte.
func bitByteRange(start, end, strlen int64, isBit bool) (int64, int64, byte, byte) {
	total := strlen
	if isBit {
		total <<= 3
	}
	start, end = bitClampRange(start, end, total)
	if isBit && start <= end {
		return bitRangeMasks(start, end)
	}
	return start, end, 0, 0
}

// bitClampRange resolves negative indexes against total and clamps the
// range to [0, total-1] (end may end up below start: an empty range).
func bitClampRange(start, end, total int64) (int64, int64) {
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= total {
		end = total - 1
	}
	return start, end
}

func popcount(p []byte) int64 {
	var n int
	for len(p) >= 8 {
		n += bits.OnesCount64(uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56)
		p = p[8:]
	}
	for _, b := range p {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// bitPos is redisBitpos: the position of the first bit equal to bit in p.
// Looking for 0 in all-ones data answers len(p)*8, as if the string went
// on with zeros; looking for 1 in all-zero data answers -1.
func bitPos(p []byte, bit int64) int64 {
	skip := byte(0)
	if bit == 0 {
		skip = 0xff
	}
	for i, b := range p {
		if b == skip {
			continue
		}
		if bit == 1 {
			return int64(i)*8 + int64(bits.LeadingZeros8(b))
		}
		return int64(i)*8 + int64(bits.LeadingZeros8(^b))
	}
	if bit == 1 {
		return -1
	}
	return int64(len(p)) * 8
}

// cmdBitPos implements BITPOS key bit [start [end [BYTE|BIT]]] as Redis
// 7.0 does: the bit is validated first, then a missing key answers at
// once (-1 for 1, 0 for 0), then the range is parsed.
func cmdBitPos(c *Client, argv [][]byte) {
	bit, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		c.ReplyError("ERR The bit argument must be 1 or 0.")
		return
	}
	m, found := strLookupRead(c, argv[1])
	if !found {
		if bit == 1 {
			c.ReplyInt(-1)
		} else {
			c.ReplyInt(0)
		}
		return
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return
	}
	strlen := m.StrLen()
	var start, end int64
	var firstNeg, lastNeg byte
	endGiven := false
	switch len(argv) {
	case 4, 5, 6:
		if start, ok = parseInt(argv[3]); !ok {
			c.ReplyError(errNotInt)
			return
		}
		isBit := false
		if len(argv) == 6 {
			if isBit, ok = bitUnit(argv[5]); !ok {
				c.ReplyError(errSyntax)
				return
			}
		}
		if len(argv) >= 5 {
			if end, ok = parseInt(argv[4]); !ok {
				c.ReplyError(errNotInt)
				return
			}
			endGiven = true
		} else if isBit {
			end = strlen<<3 + 7
		} else {
			end = strlen - 1
		}
		start, end, firstNeg, lastNeg = bitByteRange(start, end, strlen, isBit)
	case 3:
		start, end = 0, strlen-1
	default:
		c.ReplyError(errSyntax)
		return
	}
	if start > end {
		c.ReplyInt(-1)
		return
	}
	// Only the bytes of the range are read: positions are relative to it.
	w := c.srv.ks.strRead(c.db, argv[1], &m, start, end+1)
	pos := bitPosRange(w, bit, 0, end-start, firstNeg, lastNeg, endGiven)
	if pos != -1 {
		pos += start << 3
	}
	c.ReplyInt(pos)
}

// bitPosRange searches bytes [start, end] of p, ignoring the bits the masks
// mark in the first and last byte, the way bitposCommand does; with an
// explicit end, running off the range while looking for 0 answers -1
// rather than the position just past it.
func bitPosRange(p []byte, bit, start, end int64, firstNeg, lastNeg byte, endGiven bool) int64 {
	bytes := end - start + 1
	var pos int64
	masked := func(b, neg byte) byte {
		if bit == 1 {
			return b &^ neg
		}
		return b | neg
	}
	done := false
	if firstNeg != 0 {
		tmp := masked(p[start], firstNeg)
		if lastNeg != 0 && bytes == 1 {
			tmp = masked(tmp, lastNeg)
		}
		pos = bitPos([]byte{tmp}, bit)
		if bytes == 1 || (pos != -1 && pos != 8) {
			done = true
		} else {
			start++
			bytes--
		}
	}
	if !done {
		cur := bytes
		if lastNeg != 0 {
			cur--
		}
		if cur > 0 {
			pos = bitPos(p[start:start+cur], bit)
			if bytes == cur || (pos != -1 && pos != cur<<3) {
				done = true
			} else {
				start += cur
				bytes -= cur
			}
		}
	}
	if !done {
		pos = bitPos([]byte{masked(p[end], lastNeg)}, bit)
	}
	if endGiven && bit == 0 && pos == bytes<<3 {
		return -1
	}
	if pos != -1 {
		pos += start << 3
	}
	return pos
}

// ---- BITOP ------------------------------------------------------------------------

// cmdBitOp implements BITOP AND|OR|XOR|NOT destkey key [key ...]. Missing
// keys are empty strings, shorter strings are zero-padded; an all-empty
// result deletes destkey. The destination is overwritten whatever its type
// and loses its TTL.
func cmdBitOp(c *Client, argv [][]byte) {
	const (
		opAnd = iota
		opOr
		opXor
		opNot
	)
	var op int
	switch {
	case equalFold(argv[1], "and"):
		op = opAnd
	case equalFold(argv[1], "or"):
		op = opOr
	case equalFold(argv[1], "xor"):
		op = opXor
	case equalFold(argv[1], "not"):
		op = opNot
	default:
		c.ReplyError(errSyntax)
		return
	}
	if op == opNot && len(argv) != 4 {
		c.ReplyError("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([][]byte, len(argv)-3)
	maxLen := 0
	for j, key := range argv[3:] {
		m, found := strLookupRead(c, key)
		if !found {
			continue
		}
		if m.Type != storage.TypeString {
			c.ReplyError(errWrongType)
			return
		}
		srcs[j] = c.srv.ks.strValue(c.db, key, &m)
		maxLen = max(maxLen, len(srcs[j]))
	}
	dest := argv[2]
	if maxLen == 0 {
		if c.srv.ks.Delete(c.db, dest) {
			c.srv.notifyLocked(notifyGeneric, "del", c.db, dest)
		}
		c.ReplyInt(0)
		return
	}
	res := make([]byte, maxLen)
	copy(res, srcs[0])
	switch op {
	case opNot:
		for i := range res {
			res[i] = ^res[i]
		}
	case opAnd:
		for _, s := range srcs[1:] {
			n := len(s)
			for i := 0; i < n; i++ {
				res[i] &= s[i]
			}
			clear(res[n:])
		}
	case opOr:
		for _, s := range srcs[1:] {
			for i, b := range s {
				res[i] |= b
			}
		}
	case opXor:
		for _, s := range srcs[1:] {
			for i, b := range s {
				res[i] ^= b
			}
		}
	}
	old, found := c.srv.ks.Lookup(c.db, dest)
	if found {
		strPut(c, dest, &old, res, 0, storage.StrEncRaw)
	} else {
		strPut(c, dest, nil, res, 0, storage.StrEncRaw)
	}
	c.srv.notifyLocked(notifyString, "set", c.db, dest)
	c.ReplyInt(int64(maxLen))
}

// ---- BITFIELD ---------------------------------------------------------------------

// Overflow behaviours of BITFIELD SET and INCRBY.
const (
	bfWrap = iota
	bfSat
	bfFail
)

// bitfieldOp is one GET, SET or INCRBY of a BITFIELD command.
type bitfieldOp struct {
	offset   uint64
	value    int64 // SET's value or INCRBY's increment
	op       byte  // 'g', 's' or 'i'
	overflow int
	width    uint
	signed   bool
}

// bitfieldType parses "i1".."i64" and "u1".."u63" (u64 cannot be replied
// as a RESP integer).
func bitfieldType(arg []byte) (signed bool, width uint, ok bool) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, false
	}
	signed = arg[0] == 'i'
	n, ok := parseInt(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, uint(n), true
}

// bitField implements BITFIELD and BITFIELD_RO. Every subcommand is parsed
// before anything runs; a command with a write creates the key (or pads
// it) even when every write then fails its OVERFLOW FAIL check, as Redis
// does.
func bitField(c *Client, argv [][]byte, readOnly bool) {
	var ops []bitfieldOp
	overflow := bfWrap
	writes := false
	var highestBit uint64
	for j := 2; j < len(argv); j++ {
		rem := len(argv) - j - 1
		var op byte
		switch sub := argv[j]; {
		case equalFold(sub, "get") && rem >= 2:
			op = 'g'
		case equalFold(sub, "set") && rem >= 3:
			op = 's'
		case equalFold(sub, "incrby") && rem >= 3:
			op = 'i'
		case equalFold(sub, "overflow") && rem >= 1:
			j++
			switch kind := argv[j]; {
			case equalFold(kind, "wrap"):
				overflow = bfWrap
			case equalFold(kind, "sat"):
				overflow = bfSat
			case equalFold(kind, "fail"):
				overflow = bfFail
			default:
				c.ReplyError("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.ReplyError(errSyntax)
			return
		}
		signed, width, ok := bitfieldType(argv[j+1])
		if !ok {
			c.ReplyError(errBitfieldType)
			return
		}
		off, ok := bitOffset(c, argv[j+2], true, int(width))
		if !ok {
			return
		}
		var v int64
		if op != 'g' {
			writes = true
			highestBit = max(highestBit, off+uint64(width)-1)
			if v, ok = parseInt(argv[j+3]); !ok {
				c.ReplyError(errNotInt)
				return
			}
			j++
		}
		ops = append(ops, bitfieldOp{offset: off, value: v, op: op, overflow: overflow, width: width, signed: signed})
		j += 2
	}

	// The ops see the bytes [lo, hi) they touch (all of them, when the
	// value is inline), at offsets relative to lo.
	lo, readHi := int64(0), int64(0)
	for i, op := range ops {
		if b := int64(op.offset >> 3); i == 0 || b < lo {
			lo = b
		}
		readHi = max(readHi, int64((op.offset+uint64(op.width)-1)>>3)+1)
	}
	var e *strEdit
	var grown bool
	var val []byte
	if !writes {
		m, found := strLookupRead(c, argv[1])
		if found && m.Type != storage.TypeString {
			c.ReplyError(errWrongType)
			return
		}
		if n := m.StrLen(); lo < n {
			val = c.srv.ks.strRead(c.db, argv[1], &m, lo, min(readHi, n))
		}
	} else {
		if readOnly {
			c.ReplyError("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		var ok bool
		if e, ok = bitLookupWrite(c, argv[1], lo, int64(highestBit>>3)+1, readHi); !ok {
			return
		}
		val, grown = e.win, e.grown()
	}
	for i := range ops {
		ops[i].offset -= uint64(lo) << 3
	}

	changed := false
	c.ReplyArrayLen(len(ops))
	for i := range ops {
		op := &ops[i]
		if op.op == 'g' {
			if op.signed {
				c.ReplyInt(getSignedBitfield(val, op.offset, op.width))
			} else {
				c.ReplyInt(int64(getUnsignedBitfield(val, op.offset, op.width)))
			}
			continue
		}
		var retval int64
		var oldBits, newBits uint64
		var over bool
		if op.signed {
			oldv := getSignedBitfield(val, op.offset, op.width)
			newv := op.value
			if op.op == 'i' {
				wrapped, o := checkSignedBitfieldOverflow(oldv, op.value, op.width, op.overflow)
				newv, over = oldv+op.value, o != 0
				if over {
					newv = wrapped
				}
				retval = newv
			} else {
				wrapped, o := checkSignedBitfieldOverflow(newv, 0, op.width, op.overflow)
				if over = o != 0; over {
					newv = wrapped
				}
				retval = oldv
			}
			oldBits, newBits = uint64(oldv), uint64(newv)
		} else {
			oldv := getUnsignedBitfield(val, op.offset, op.width)
			newv := uint64(op.value)
			if op.op == 'i' {
				wrapped, o := checkUnsignedBitfieldOverflow(oldv, op.value, op.width, op.overflow)
				newv, over = oldv+uint64(op.value), o != 0
				if over {
					newv = wrapped
				}
				retval = int64(newv)
			} else {
				wrapped, o := checkUnsignedBitfieldOverflow(newv, 0, op.width, op.overflow)
				if over = o != 0; over {
					newv = wrapped
				}
				retval = int64(oldv)
			}
			oldBits, newBits = oldv, newv
		}
		if over && op.overflow == bfFail {
			c.ReplyNull()
			continue
		}
		c.ReplyInt(retval)
		setUnsignedBitfield(val, op.offset, op.width, newBits)
		// As in Redis 7.0, an op counts as a change when it wrote a
		// new value or the string had to grow for it; one that failed
		// on overflow does not, even if the string grew.
		if grown || oldBits != newBits {
			changed = true
		}
	}
	if changed {
		e.store(true)
		c.srv.notifyLocked(notifyString, "setbit", c.db, argv[1])
	} else if writes {
		bitUnshare(e)
	}
}

// getUnsignedBitfield reads width bits at offset; bits past the end of p
// read as zero.
func getUnsignedBitfield(p []byte, offset uint64, width uint) uint64 {
	var v uint64
	for j := uint(0); j < width; j++ {
		byteIdx := offset >> 3
		var b uint64
		if byteIdx < uint64(len(p)) {
			b = uint64(p[byteIdx]>>(7-offset&7)) & 1
		}
		v = v<<1 | b
		offset++
	}
	return v
}

// getSignedBitfield reads a two's complement integer of width bits.
func getSignedBitfield(p []byte, offset uint64, width uint) int64 {
	v := int64(getUnsignedBitfield(p, offset, width))
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= -1 << width
	}
	return v
}

// setUnsignedBitfield writes the low width bits of v at offset; p must be
// long enough.
func setUnsignedBitfield(p []byte, offset uint64, width uint, v uint64) {
	for j := uint(0); j < width; j++ {
		bit := byte(v>>(width-1-j)) & 1
		byteIdx, shift := offset>>3, 7-offset&7
		p[byteIdx] = p[byteIdx]&^(1<<shift) | bit<<shift
		offset++
	}
}

// checkUnsignedBitfieldOverflow reports whether value+incr leaves the
// range of a width-bit unsigned integer (1 above, -1 below) and, when it
// does, the value to store instead under the WRAP or SAT behaviour.
func checkUnsignedBitfieldOverflow(value uint64, incr int64, width uint, overflow int) (limit uint64, dir int) {
	maxv := uint64(1)<<width - 1
	if width == 64 {
		maxv = math.MaxUint64
	}
	maxIncr := int64(maxv - value)
	minIncr := -int64(value)
	switch {
	case value > maxv || (incr > 0 && incr > maxIncr):
		dir = 1
		if overflow == bfSat {
			return maxv, dir
		}
	case incr < 0 && incr < minIncr:
		dir = -1
		if overflow == bfSat {
			return 0, dir
		}
	default:
		return 0, 0
	}
	if overflow == bfWrap {
		return (value + uint64(incr)) &^ (math.MaxUint64 << width), dir
	}
	return 0, dir
}

// checkSignedBitfieldOverflow is checkUnsignedBitfieldOverflow for
// two's complement integers of width bits.
func checkSignedBitfieldOverflow(value, incr int64, width uint, overflow int) (limit int64, dir int) {
	maxv := int64(1)<<(width-1) - 1
	if width == 64 {
		maxv = math.MaxInt64
	}
	minv := -maxv - 1
	// maxIncr and minIncr may wrap; they are only used once value is known
	// to be in range, where they do not.
	maxIncr := int64(uint64(maxv) - uint64(value))
	minIncr := minv - value
	switch {
	case value > maxv || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		dir = 1
		if overflow == bfSat {
			return maxv, dir
		}
	case value < minv || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		dir = -1
		if overflow == bfSat {
			return minv, dir
		}
	default:
		return 0, 0
	}
	if overflow == bfWrap {
		r := uint64(value) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << width
			if r&(1<<(width-1)) != 0 {
				r |= mask
			} else {
				r &^= mask
			}
		}
		return int64(r), dir
	}
	return 0, dir
}
