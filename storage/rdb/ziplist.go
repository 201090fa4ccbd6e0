package rdb

import "encoding/binary"

// Ziplists (RDB types 10, 12, 13 and the nodes of 14) come from RDB files
// written before Redis 7.0; they are only read.

const zlHeaderSize = 10

type zlEntryInfo struct {
	prevlen  int
	header   int // prevlen field + encoding header
	dataLen  int
	encoding byte
}

// zlEntryAt decodes the header of the entry at b[p], where last is the offset
// of the terminator, like Redis's zipEntrySafe.
func zlEntryAt(b []byte, p, last int) (zlEntryInfo, error) {
	var e zlEntryInfo
	prevSize := 1
	if b[p] >= 0xFE {
		prevSize = 5
	}
	if p+prevSize > last {
		return e, blobErrf(p, "invalid ziplist: prevlen field runs past the end")
	}
	if prevSize == 1 {
		e.prevlen = int(b[p])
	} else {
		e.prevlen = int(binary.LittleEndian.Uint32(b[p+1:]))
	}
	q := p + prevSize
	enc := b[q]
	lenSize := 1
	switch {
	case enc < 0xC0:
		e.encoding = enc & 0xC0
		switch e.encoding {
		case 0x00:
			e.dataLen = int(enc & 0x3F)
		case 0x40:
			lenSize = 2
			if q+1 > last {
				return e, blobErrf(p, "invalid ziplist: entry header runs past the end")
			}
			e.dataLen = int(enc&0x3F)<<8 | int(b[q+1])
		default:
			lenSize = 5
			if q+4 > last {
				return e, blobErrf(p, "invalid ziplist: entry header runs past the end")
			}
			e.dataLen = int(binary.BigEndian.Uint32(b[q+1:]))
		}
	case enc == 0xC0:
		e.encoding, e.dataLen = enc, 2
	case enc == 0xD0:
		e.encoding, e.dataLen = enc, 4
	case enc == 0xE0:
		e.encoding, e.dataLen = enc, 8
	case enc == 0xF0:
		e.encoding, e.dataLen = enc, 3
	case enc == 0xFE:
		e.encoding, e.dataLen = enc, 1
	case enc >= 0xF1 && enc <= 0xFD:
		e.encoding, e.dataLen = enc, 0
	default:
		return e, blobErrf(q, "invalid ziplist: bad entry encoding byte 0x%02x", enc)
	}
	e.header = prevSize + lenSize
	if uint64(p)+uint64(e.header)+uint64(e.dataLen) > uint64(last) {
		return e, blobErrf(p, "invalid ziplist: entry of %d bytes runs past the end", e.header+e.dataLen)
	}
	if e.prevlen > p-zlHeaderSize {
		return e, blobErrf(p, "invalid ziplist: prevlen %d points before the first entry", e.prevlen)
	}
	return e, nil
}

// zlValidate is ziplistValidateIntegrity with deep checking; it returns the
// number of entries.
func zlValidate(b []byte) (int, error) {
	if len(b) < zlHeaderSize+1 {
		return 0, blobErrf(0, "invalid ziplist: %d bytes is shorter than the header", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return 0, blobErrf(0, "invalid ziplist: header says %d bytes but the blob has %d", total, len(b))
	}
	last := len(b) - 1
	if b[last] != 0xFF {
		return 0, blobErrf(last, "invalid ziplist: last byte is 0x%02x, not the 0xff terminator", b[last])
	}
	tail := int(binary.LittleEndian.Uint32(b[4:]))
	if tail > last {
		return 0, blobErrf(4, "invalid ziplist: tail offset %d is outside the blob", tail)
	}
	header := int(binary.LittleEndian.Uint16(b[8:]))
	count, prevRaw, prev := 0, 0, -1
	p := zlHeaderSize
	for b[p] != 0xFF {
		e, err := zlEntryAt(b, p, last)
		if err != nil {
			return 0, err
		}
		if e.prevlen != prevRaw {
			return 0, blobErrf(p, "invalid ziplist: prevlen %d does not match the previous entry's %d bytes", e.prevlen, prevRaw)
		}
		prevRaw = e.header + e.dataLen
		prev = p
		p += prevRaw
		count++
	}
	if p != last {
		return 0, blobErrf(p, "invalid ziplist: terminator before the end of the blob")
	}
	if prev >= 0 && prev != tail {
		return 0, blobErrf(4, "invalid ziplist: tail offset %d is not the last entry (%d)", tail, prev)
	}
	if header != 0xFFFF && header != count {
		return 0, blobErrf(8, "invalid ziplist: header says %d entries but it holds %d", header, count)
	}
	return count, nil
}

// zlEntry decodes the entry at b[p] of a validated ziplist.
func zlEntry(b []byte, p int) (s []byte, v int64, isInt bool, next int) {
	e, _ := zlEntryAt(b, p, len(b)-1)
	d := p + e.header
	next = d + e.dataLen
	switch e.encoding {
	case 0x00, 0x40, 0x80:
		return b[d:next], 0, false, next
	case 0xC0:
		return nil, int64(int16(binary.LittleEndian.Uint16(b[d:]))), true, next
	case 0xD0:
		return nil, int64(int32(binary.LittleEndian.Uint32(b[d:]))), true, next
	case 0xE0:
		return nil, int64(binary.LittleEndian.Uint64(b[d:])), true, next
	case 0xF0:
		u := int64(b[d]) | int64(b[d+1])<<8 | int64(b[d+2])<<16
		if u >= 1<<23 {
			u -= 1 << 24
		}
		return nil, u, true, next
	case 0xFE:
		return nil, int64(int8(b[d])), true, next
	default: // immediate 0xF1..0xFD
		return nil, int64(e.encoding&0x0F) - 1, true, next
	}
}
