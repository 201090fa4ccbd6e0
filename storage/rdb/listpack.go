package rdb

import (
	"encoding/binary"
	"fmt"
	"math"
)

// blobError is a structural problem found inside a listpack, ziplist,
// intset or zipmap; off is relative to the start of the blob.
type blobError struct {
	off int
	msg string
}

func (e *blobError) Error() string { return fmt.Sprintf("%s (at byte %d of the blob)", e.msg, e.off) }

func blobErrf(off int, format string, args ...any) error {
	return &blobError{off: off, msg: fmt.Sprintf(format, args...)}
}

const (
	lpHeaderSize     = 6
	lpNumeleUnknown  = math.MaxUint16
	lpEnd            = 0xFF
	lpMaxTotalLength = math.MaxUint32
)

// listpackBuilder assembles a listpack the way Redis's lpAppend does, so the
// blob is byte-identical to the one redis-server would hold for the same
// elements.
type listpackBuilder struct {
	b []byte
	n int
}

func (lp *listpackBuilder) reset() {
	lp.b = append(lp.b[:0], 0, 0, 0, 0, 0, 0)
	lp.n = 0
}

// appendString adds s, as an integer entry when it is the canonical form of
// an int64 (lpEncodeGetType).
func (lp *listpackBuilder) appendString(s []byte) {
	if v, ok := parseInt(s); ok {
		lp.appendInt(v)
		return
	}
	start := len(lp.b)
	switch l := len(s); {
	case l < 64:
		lp.b = append(lp.b, 0x80|byte(l))
	case l < 4096:
		lp.b = append(lp.b, 0xE0|byte(l>>8), byte(l))
	default:
		lp.b = append(lp.b, 0xF0)
		lp.b = binary.LittleEndian.AppendUint32(lp.b, uint32(l))
	}
	lp.b = append(lp.b, s...)
	lp.b = appendBacklen(lp.b, uint64(len(lp.b)-start))
	lp.n++
}

func (lp *listpackBuilder) appendInt(v int64) {
	start := len(lp.b)
	switch {
	case v >= 0 && v <= 127:
		lp.b = append(lp.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		lp.b = append(lp.b, 0xC0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		lp.b = append(lp.b, 0xF1)
		lp.b = binary.LittleEndian.AppendUint16(lp.b, uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		lp.b = append(lp.b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		lp.b = append(lp.b, 0xF3)
		lp.b = binary.LittleEndian.AppendUint32(lp.b, uint32(v))
	default:
		lp.b = append(lp.b, 0xF4)
		lp.b = binary.LittleEndian.AppendUint64(lp.b, uint64(v))
	}
	lp.b = appendBacklen(lp.b, uint64(len(lp.b)-start))
	lp.n++
}

// finish terminates the listpack, fills in its header and returns it.
func (lp *listpackBuilder) finish() ([]byte, error) {
	lp.b = append(lp.b, lpEnd)
	if len(lp.b) > lpMaxTotalLength {
		return nil, fmt.Errorf("rdb: listpack of %d bytes exceeds the 4 GiB limit", len(lp.b))
	}
	binary.LittleEndian.PutUint32(lp.b, uint32(len(lp.b)))
	binary.LittleEndian.PutUint16(lp.b[4:], uint16(min(lp.n, lpNumeleUnknown)))
	return lp.b, nil
}

// lpBacklenSize is the size of the back-length that follows an entry whose
// encoding and data take l bytes.
func lpBacklenSize(l uint64) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func appendBacklen(dst []byte, l uint64) []byte {
	switch lpBacklenSize(l) {
	case 1:
		return append(dst, byte(l))
	case 2:
		return append(dst, byte(l>>7), byte(l&127)|128)
	case 3:
		return append(dst, byte(l>>14), byte(l>>7&127)|128, byte(l&127)|128)
	case 4:
		return append(dst, byte(l>>21), byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
	}
	return append(dst, byte(l>>28), byte(l>>21&127)|128, byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
}

// lpEntryHeader returns, for the entry at b[p], the size of its encoding
// header and of its data, or ok=false for an invalid encoding byte. It
// reads only b[p:p+5] and only as far as the encoding needs; callers check
// those bytes exist (need).
func lpEntryHeader(b []byte, p int) (hdr int, data uint64, need int, ok bool) {
	c := b[p]
	switch {
	case c&0x80 == 0:
		return 1, 0, 1, true
	case c&0xC0 == 0x80:
		return 1, uint64(c & 0x3F), 1, true
	case c&0xE0 == 0xC0:
		return 2, 0, 1, true
	case c&0xF0 == 0xE0:
		if p+1 >= len(b) {
			return 0, 0, 2, true
		}
		return 2, uint64(c&0x0F)<<8 | uint64(b[p+1]), 2, true
	}
	switch c {
	case 0xF1:
		return 3, 0, 1, true
	case 0xF2:
		return 4, 0, 1, true
	case 0xF3:
		return 5, 0, 1, true
	case 0xF4:
		return 9, 0, 1, true
	case 0xF0:
		if p+4 >= len(b) {
			return 0, 0, 5, true
		}
		return 5, uint64(binary.LittleEndian.Uint32(b[p+1:])), 5, true
	}
	return 0, 0, 1, false
}

// lpValidate is Redis's lpValidateIntegrity with deep checking: header size
// equal to the blob size, terminator, every entry inside the blob with a
// matching back-length, and the entry count. It returns the entry count.
func lpValidate(b []byte) (int, error) {
	if len(b) < lpHeaderSize+1 {
		return 0, blobErrf(0, "invalid listpack: %d bytes is shorter than the header", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return 0, blobErrf(0, "invalid listpack: header says %d bytes but the blob has %d", total, len(b))
	}
	last := len(b) - 1
	if b[last] != lpEnd {
		return 0, blobErrf(last, "invalid listpack: last byte is 0x%02x, not the 0xff terminator", b[last])
	}
	numele := int(binary.LittleEndian.Uint16(b[4:]))
	count := 0
	p := lpHeaderSize
	for b[p] != lpEnd {
		hdr, data, need, ok := lpEntryHeader(b, p)
		if !ok {
			return 0, blobErrf(p, "invalid listpack: bad entry encoding byte 0x%02x", b[p])
		}
		if p+need > last {
			return 0, blobErrf(p, "invalid listpack: entry header runs past the end")
		}
		l := uint64(hdr) + data
		bl := lpBacklenSize(l)
		if uint64(p)+l+uint64(bl) > uint64(last) {
			return 0, blobErrf(p, "invalid listpack: entry of %d bytes runs past the end", l+uint64(bl))
		}
		p += int(l) + bl
		// Decode the back-length backwards, as lpPrev would.
		var back uint64
		q, shift := p-1, 0
		for {
			back |= uint64(b[q]&127) << shift
			if b[q]&128 == 0 {
				break
			}
			shift += 7
			q--
			if shift > 28 {
				return 0, blobErrf(p-bl, "invalid listpack: back-length longer than 5 bytes")
			}
		}
		if back != l {
			return 0, blobErrf(p-bl, "invalid listpack: back-length %d does not match entry length %d", back, l)
		}
		count++
	}
	if p != last {
		return 0, blobErrf(p, "invalid listpack: terminator before the end of the blob")
	}
	if numele != lpNumeleUnknown && numele != count {
		return 0, blobErrf(4, "invalid listpack: header says %d entries but it holds %d", numele, count)
	}
	return count, nil
}

// lpEntry decodes the entry at b[p] of a validated listpack: either a string
// (s) or an integer (v, isInt). next is the offset of the following entry.
func lpEntry(b []byte, p int) (s []byte, v int64, isInt bool, next int) {
	hdr, data, _, _ := lpEntryHeader(b, p)
	l := hdr + int(data)
	next = p + l + lpBacklenSize(uint64(l))
	c := b[p]
	switch {
	case c&0x80 == 0:
		return nil, int64(c), true, next
	case c&0xC0 == 0x80, c&0xF0 == 0xE0, c == 0xF0:
		return b[p+hdr : p+l], 0, false, next
	case c&0xE0 == 0xC0:
		u := int64(c&0x1F)<<8 | int64(b[p+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return nil, u, true, next
	case c == 0xF1:
		return nil, int64(int16(binary.LittleEndian.Uint16(b[p+1:]))), true, next
	case c == 0xF2:
		u := int64(b[p+1]) | int64(b[p+2])<<8 | int64(b[p+3])<<16
		if u >= 1<<23 {
			u -= 1 << 24
		}
		return nil, u, true, next
	case c == 0xF3:
		return nil, int64(int32(binary.LittleEndian.Uint32(b[p+1:]))), true, next
	default: // 0xF4
		return nil, int64(binary.LittleEndian.Uint64(b[p+1:])), true, next
	}
}
