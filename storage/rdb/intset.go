package rdb

import (
	"encoding/binary"
	"math"
	"slices"
)

// appendIntset appends the intset blob of the sorted, distinct values vs,
// using the narrowest width that holds them all, as Redis does.
func appendIntset(dst []byte, vs []int64) []byte {
	width := 2
	for _, v := range vs {
		if v < math.MinInt32 || v > math.MaxInt32 {
			width = 8
			break
		}
		if v < math.MinInt16 || v > math.MaxInt16 {
			width = 4
		}
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(width))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(vs)))
	for _, v := range vs {
		switch width {
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	return dst
}

// intsetValidate is intsetValidateIntegrity with deep checking: a known
// width, a size matching the count, at least one element, strictly
// increasing values. It returns the element count.
func intsetValidate(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, blobErrf(0, "invalid intset: %d bytes is shorter than the header", len(b))
	}
	width := binary.LittleEndian.Uint32(b)
	if width != 2 && width != 4 && width != 8 {
		return 0, blobErrf(0, "invalid intset: element width %d is not 2, 4 or 8", width)
	}
	count := uint64(binary.LittleEndian.Uint32(b[4:]))
	if 8+count*uint64(width) != uint64(len(b)) {
		return 0, blobErrf(4, "invalid intset: %d elements of %d bytes do not fill the %d-byte blob", count, width, len(b))
	}
	if count == 0 {
		return 0, blobErrf(4, "invalid intset: no elements")
	}
	prev := intsetGet(b, 0)
	for i := 1; i < int(count); i++ {
		cur := intsetGet(b, i)
		if cur <= prev {
			if cur == prev {
				return 0, blobErrf(8+i*int(width), "invalid intset: duplicate element %d", cur)
			}
			return 0, blobErrf(8+i*int(width), "invalid intset: element %d is not above the previous %d", cur, prev)
		}
		prev = cur
	}
	return int(count), nil
}

func intsetGet(b []byte, i int) int64 {
	switch binary.LittleEndian.Uint32(b) {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b[8+2*i:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b[8+4*i:])))
	}
	return int64(binary.LittleEndian.Uint64(b[8+8*i:]))
}

// sortedDistinct sorts vs in place and reports whether it has no duplicates.
func sortedDistinct(vs []int64) bool {
	slices.Sort(vs)
	for i := 1; i < len(vs); i++ {
		if vs[i] == vs[i-1] {
			return false
		}
	}
	return true
}
