package rdb

import "encoding/binary"

// Zipmaps (RDB type 9) hold small hashes in files written by Redis 2.4 and
// older: a count byte, then <len>field<len><free>value<free bytes> entries,
// then 0xff. A <len> is one byte below 254, or 254 and a 4-byte
// little-endian length.

const zipmapBigLen = 254

// zipmapLen decodes the length at b[p]; size is 0 if it does not fit before
// the terminator at last.
func zipmapLen(b []byte, p, last int) (l uint64, size int) {
	if b[p] < zipmapBigLen {
		return uint64(b[p]), 1
	}
	if p+5 > last {
		return 0, 0
	}
	return uint64(binary.LittleEndian.Uint32(b[p+1:])), 5
}

// zipmapValidate is zipmapValidateIntegrity with deep checking; it returns
// the number of field-value pairs.
func zipmapValidate(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, blobErrf(0, "invalid zipmap: %d bytes is too short", len(b))
	}
	last := len(b) - 1
	if b[last] != 0xFF {
		return 0, blobErrf(last, "invalid zipmap: last byte is 0x%02x, not the 0xff terminator", b[last])
	}
	count := 0
	p := 1
	for b[p] != 0xFF {
		start := p
		l, s := zipmapLen(b, p, last)
		if s == 0 {
			return 0, blobErrf(start, "invalid zipmap: field length runs past the end")
		}
		if uint64(p)+uint64(s)+l >= uint64(last) {
			return 0, blobErrf(start, "invalid zipmap: field runs past the end")
		}
		p += s + int(l)
		l, s = zipmapLen(b, p, last)
		if s == 0 || p+s >= last {
			return 0, blobErrf(start, "invalid zipmap: value length runs past the end")
		}
		p += s
		free := uint64(b[p])
		p++
		if uint64(p)+l+free > uint64(last) {
			return 0, blobErrf(start, "invalid zipmap: value runs past the end")
		}
		p += int(l + free)
		count++
	}
	if p != last {
		return 0, blobErrf(p, "invalid zipmap: terminator before the end of the blob")
	}
	if count == 0 {
		return 0, blobErrf(0, "invalid zipmap: no entries")
	}
	if b[0] < zipmapBigLen && int(b[0]) != count {
		return 0, blobErrf(0, "invalid zipmap: header says %d entries but it holds %d", b[0], count)
	}
	return count, nil
}

// zipmapEntry decodes the pair at b[p] of a validated zipmap.
func zipmapEntry(b []byte, p int) (field, value []byte, next int) {
	last := len(b) - 1
	l, s := zipmapLen(b, p, last)
	field = b[p+s : p+s+int(l)]
	p += s + int(l)
	l, s = zipmapLen(b, p, last)
	p += s
	free := int(b[p])
	p++
	value = b[p : p+int(l)]
	return field, value, p + int(l) + free
}
