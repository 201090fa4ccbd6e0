package daemon

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand"
	"strings"
	"time"
)

// HyperLogLog, ported from Redis 7.0's hyperloglog.c so values are
// byte-for-byte what Redis makes: a HLL is a string starting with a
// 16-byte header ("HYLL", the encoding, three unused bytes, the cached
// cardinality little endian with bit 63 meaning "invalid") followed by
// either the dense registers (16384 6-bit registers, 12288 bytes) or the
// sparse opcodes (ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx).
//
// Everything here is a pure function of byte slices; the commands are in
// cmd_hll.go. Reading past a sparse value's end yields 0, as C does
// reading the sds terminator.

const (
	hllP             = 14
	hllQ             = 64 - hllP
	hllRegisters     = 1 << hllP
	hllPMask         = hllRegisters - 1
	hllBits          = 6
	hllRegisterMax   = 1<<hllBits - 1
	hllHdrSize       = 16
	hllDenseSize     = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense         = 0
	hllSparse        = 1
	hllMaxEncoding   = 1
	hllAlphaInf      = 0.721347520444481703680 // 0.5/ln(2)
	hllSeed          = 0xadc83b19
	hllSparseValMax  = 32
	hllSparseValLen  = 4
	hllSparseZeroLen = 64
	hllSparseXZeroMx = 16384

	hllCardOffset = 8 // the cached cardinality's offset in the header
)

const (
	errHLLWrongType = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errHLLInvalid   = "INVALIDOBJ Corrupted HLL object detected"
)

// hllMurmur64A is MurmurHash64A as Redis has it (little-endian words).
func hllMurmur64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	n := len(key)
	h := seed ^ (uint64(n) * m)
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * uint(i))
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element goes to and the length of
// its "000..1" pattern (hllPatLen).
func hllPatLen(ele []byte) (int, uint8) {
	hash := hllMurmur64A(ele, hllSeed)
	index := int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ
	return index, uint8(bits.TrailingZeros64(hash) + 1)
}

// hllNew returns an empty HLL, sparse (createHLLObject).
func hllNew() []byte {
	h := make([]byte, hllHdrSize+2, 64)
	copy(h, "HYLL")
	h[4] = hllSparse
	hllXZeroSet(h[hllHdrSize:], hllRegisters)
	return h
}

// hllIsValid is isHLLObjectOrReply's check of a string value.
func hllIsValid(v []byte) bool {
	if len(v) < hllHdrSize || string(v[:4]) != "HYLL" || v[4] > hllMaxEncoding {
		return false
	}
	return v[4] != hllDense || len(v) == hllDenseSize
}

func hllEncoding(h []byte) byte { return h[4] }

func hllValidCache(h []byte) bool { return h[hllCardOffset+7]&0x80 == 0 }

func hllInvalidateCache(h []byte) { h[hllCardOffset+7] |= 0x80 }

func hllCachedCard(h []byte) uint64 { return binary.LittleEndian.Uint64(h[hllCardOffset:]) }

func hllSetCachedCard(h []byte, card uint64) {
	binary.LittleEndian.PutUint64(h[hllCardOffset:], card)
}

// ---- dense registers --------------------------------------------------------

func hllDenseGet(regs []byte, i int) uint8 {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[b])
	var b1 uint
	if b+1 < len(regs) {
		b1 = uint(regs[b+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegisterMax)
}

func hllDenseSetReg(regs []byte, i int, val uint8) {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(val)
	regs[b] &^= byte(hllRegisterMax << fb)
	regs[b] |= byte(v << fb)
	if b+1 < len(regs) {
		regs[b+1] &^= byte(hllRegisterMax >> (8 - fb))
		regs[b+1] |= byte(v >> (8 - fb))
	}
}

// hllDenseSet raises register i to count, reporting whether it changed.
func hllDenseSet(regs []byte, i int, count uint8) int {
	if count > hllDenseGet(regs, i) {
		hllDenseSetReg(regs, i, count)
		return 1
	}
	return 0
}

func hllDenseAdd(regs, ele []byte) int {
	i, count := hllPatLen(ele)
	return hllDenseSet(regs, i, count)
}

func hllDenseRegHisto(regs []byte, histo *[64]int) {
	for i := 0; i < hllRegisters; i++ {
		histo[hllDenseGet(regs, i)]++
	}
}

// ---- sparse opcodes -----------------------------------------------------------

func hllAt(s []byte, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func hllIsZero(b byte) bool  { return b&0xc0 == 0 }
func hllIsXZero(b byte) bool { return b&0xc0 == 0x40 }
func hllIsVal(b byte) bool   { return b&0x80 != 0 }
func hllZeroLen(b byte) int  { return int(b&0x3f) + 1 }
func hllXZeroLen(s []byte, p int) int {
	return (int(s[p]&0x3f)<<8 | int(hllAt(s, p+1))) + 1
}
func hllValValue(b byte) int { return int(b>>2&0x1f) + 1 }
func hllValLen(b byte) int   { return int(b&0x3) + 1 }

func hllValSet(val, n int) byte { return byte((val-1)<<2|(n-1)) | 0x80 }

func hllXZeroSet(p []byte, n int) {
	l := n - 1
	p[0] = byte(l>>8) | 0x40
	p[1] = byte(l)
}

// hllSparseToDense converts a sparse HLL to dense, keeping the rest of
// the header; a dense one is returned as it is. ok is false when the
// sparse opcodes do not cover exactly all registers.
func hllSparseToDense(h []byte) ([]byte, bool) {
	if h[4] == hllDense {
		return h, true
	}
	dense := make([]byte, hllDenseSize)
	copy(dense, h[:hllHdrSize])
	dense[4] = hllDense
	regs := dense[hllHdrSize:]
	idx := 0
	for p := hllHdrSize; p < len(h); {
		switch b := h[p]; {
		case hllIsZero(b):
			idx += hllZeroLen(b)
			p++
		case hllIsXZero(b):
			idx += hllXZeroLen(h, p)
			p += 2
		default:
			runlen, val := hllValLen(b), hllValValue(b)
			if runlen+idx > hllRegisters {
				return h, false
			}
			for ; runlen > 0; runlen-- {
				hllDenseSetReg(regs, idx, uint8(val))
				idx++
			}
			p++
		}
	}
	if idx != hllRegisters {
		return h, false
	}
	return dense, true
}

// hllSparseSet is hllSparseSet: it raises register index of the sparse
// HLL h to count, promoting h to dense when count does not fit the sparse
// encoding or h would grow past maxBytes. It returns the (possibly new)
// value and 1 when it changed, 0 when not, -1 when h is corrupt.
func hllSparseSet(h []byte, index int, count uint8, maxBytes int64) ([]byte, int) {
	if count > hllSparseValMax {
		return hllPromote(h, index, count)
	}
	end := len(h)
	p := hllHdrSize
	first, span, prev := 0, 0, -1
	for p < end {
		oplen := 1
		b := h[p]
		switch {
		case hllIsZero(b):
			span = hllZeroLen(b)
		case hllIsVal(b):
			span = hllValLen(b)
		default:
			span = hllXZeroLen(h, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return h, -1
	}
	next := p + 1
	if hllIsXZero(h[p]) {
		next = p + 2
	}
	if next >= end {
		next = -1
	}
	var isZero, isXZero, isVal bool
	var runlen int
	switch b := h[p]; {
	case hllIsZero(b):
		isZero, runlen = true, hllZeroLen(b)
	case hllIsXZero(b):
		isXZero, runlen = true, hllXZeroLen(h, p)
	default:
		isVal, runlen = true, hllValLen(b)
	}
	updated := false
	if isVal {
		if old := hllValValue(h[p]); old >= int(count) {
			return h, 0
		}
		if runlen == 1 {
			h[p] = hllValSet(int(count), 1)
			updated = true
		}
	}
	if !updated && isZero && runlen == 1 {
		h[p] = hllValSet(int(count), 1)
		updated = true
	}
	if !updated {
		var seq [5]byte
		n := 0
		last := first + span - 1
		zero := func(l int) {
			if l > hllSparseZeroLen {
				hllXZeroSet(seq[n:], l)
				n += 2
			} else {
				seq[n] = byte(l - 1)
				n++
			}
		}
		if isZero || isXZero {
			if index != first {
				zero(index - first)
			}
			seq[n] = hllValSet(int(count), 1)
			n++
			if index != last {
				zero(last - index)
			}
		} else {
			cur := hllValValue(h[p])
			if index != first {
				seq[n] = hllValSet(cur, index-first)
				n++
			}
			seq[n] = hllValSet(int(count), 1)
			n++
			if index != last {
				seq[n] = hllValSet(cur, last-index)
				n++
			}
		}
		oldlen := 1
		if isXZero {
			oldlen = 2
		}
		delta := n - oldlen
		if delta > 0 && int64(len(h)+delta) > maxBytes {
			return hllPromote(h, index, count)
		}
		newLen := len(h) + delta
		if delta > 0 {
			h = append(h, make([]byte, delta)...)
		}
		if delta != 0 && next >= 0 {
			copy(h[next+delta:], h[next:end])
		}
		// C writes the sequence after setting the new length; anything
		// past it is dropped.
		for i := 0; i < n && p+i < newLen; i++ {
			h[p+i] = seq[i]
		}
		h = h[:newLen]
		end = newLen
	}
	// Merge adjacent VAL opcodes of the same value where possible.
	p = prev
	if p < 0 {
		p = hllHdrSize
	}
	for scan := 5; p < end && scan > 0; {
		scan--
		b := h[p]
		if hllIsXZero(b) {
			p += 2
			continue
		} else if hllIsZero(b) {
			p++
			continue
		}
		if p+1 < end && hllIsVal(h[p+1]) {
			v1, v2 := hllValValue(b), hllValValue(h[p+1])
			if v1 == v2 {
				if l := hllValLen(b) + hllValLen(h[p+1]); l <= hllSparseValLen {
					h[p+1] = hllValSet(v1, l)
					copy(h[p:], h[p+1:end])
					end--
					h = h[:end]
					continue
				}
			}
		}
		p++
	}
	hllInvalidateCache(h)
	return h, 1
}

func hllPromote(h []byte, index int, count uint8) ([]byte, int) {
	d, ok := hllSparseToDense(h)
	if !ok {
		return h, -1
	}
	return d, hllDenseSet(d[hllHdrSize:], index, count)
}

func hllSparseRegHisto(sparse []byte, histo *[64]int) (invalid bool) {
	idx := 0
	for p := 0; p < len(sparse); {
		switch b := sparse[p]; {
		case hllIsZero(b):
			n := hllZeroLen(b)
			idx += n
			histo[0] += n
			p++
		case hllIsXZero(b):
			n := hllXZeroLen(sparse, p)
			idx += n
			histo[0] += n
			p += 2
		default:
			n := hllValLen(b)
			idx += n
			histo[hllValValue(b)] += n
			p++
		}
	}
	return idx != hllRegisters
}

// ---- cardinality ----------------------------------------------------------------

// The explicit float64 conversions keep the compiler from fusing
// multiplications and additions, which would change the last bits.

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x = float64(x * x)
		zPrime := z
		z += float64(x * y)
		y += y
		if zPrime == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		t := 1 - x
		z -= float64(float64(t*t) * y)
		if zPrime == z {
			return z / 3
		}
	}
}

// hllHistoCount estimates the cardinality from the register histogram
// with Ertl's improved estimator, as Redis 7.0 does.
func hllHistoCount(histo *[64]int) uint64 {
	m := float64(hllRegisters)
	z := float64(m * hllTau((m-float64(histo[hllQ+1]))/m))
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(histo[0])/m))
	e := math.Round(float64(hllAlphaInf*m*m) / z)
	return uint64(e)
}

// hllCount is hllCount for a dense or sparse HLL; invalid reports sparse
// opcodes that do not cover exactly all registers.
func hllCount(h []byte) (card uint64, invalid bool) {
	var histo [64]int
	if h[4] == hllDense {
		hllDenseRegHisto(h[hllHdrSize:], &histo)
	} else {
		invalid = hllSparseRegHisto(h[hllHdrSize:], &histo)
	}
	return hllHistoCount(&histo), invalid
}

// hllRawCount counts registers held one per byte (HLL_RAW).
func hllRawCount(max []uint8) uint64 {
	var histo [64]int
	for _, v := range max {
		histo[v&63]++
	}
	return hllHistoCount(&histo)
}

// hllAdd adds ele to h, returning the (possibly new) value and 1 when a
// register changed, 0 when none did, -1 when h is corrupt.
func hllAdd(h, ele []byte, maxBytes int64) ([]byte, int) {
	switch h[4] {
	case hllDense:
		return h, hllDenseAdd(h[hllHdrSize:], ele)
	case hllSparse:
		i, count := hllPatLen(ele)
		return hllSparseSet(h, i, count, maxBytes)
	}
	return h, -1
}

// hllMerge raises max[i] to h's register i for every register; false
// when h is a corrupt sparse HLL.
func hllMerge(max []uint8, h []byte) bool {
	if h[4] == hllDense {
		regs := h[hllHdrSize:]
		for i := 0; i < hllRegisters; i++ {
			if v := hllDenseGet(regs, i); v > max[i] {
				max[i] = v
			}
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(h); {
		switch b := h[p]; {
		case hllIsZero(b):
			i += hllZeroLen(b)
			p++
		case hllIsXZero(b):
			i += hllXZeroLen(h, p)
			p += 2
		default:
			runlen, val := hllValLen(b), uint8(hllValValue(b))
			if runlen+i > hllRegisters {
				return false
			}
			for ; runlen > 0; runlen-- {
				if val > max[i] {
					max[i] = val
				}
				i++
			}
			p++
		}
	}
	return i == hllRegisters
}

// hllDecode is PFDEBUG DECODE's listing of a sparse HLL's opcodes.
func hllDecode(h []byte) string {
	var b strings.Builder
	for p := hllHdrSize; p < len(h); {
		switch op := h[p]; {
		case hllIsZero(op):
			fmt.Fprintf(&b, "z:%d ", hllZeroLen(op))
			p++
		case hllIsXZero(op):
			fmt.Fprintf(&b, "Z:%d ", hllXZeroLen(h, p))
			p += 2
		default:
			fmt.Fprintf(&b, "v:%d,%d ", hllValValue(op), hllValLen(op))
			p++
		}
	}
	return strings.Trim(b.String(), " ")
}

// hllSelfTest is PFSELFTEST: register access on random values, then the
// estimator's error at every power of ten up to 10 million elements, with
// a dense and a sparse HLL fed the same elements. It returns "" or the
// error to reply. rnd nil draws a fresh seed.
func hllSelfTest(maxBytes int64, rnd *rand.Rand) string {
	if rnd == nil {
		rnd = rand.New(rand.NewSource(time.Now().UnixNano()))
	}
	dense := make([]byte, hllDenseSize)
	copy(dense, "HYLL")
	regs := dense[hllHdrSize:]
	var bytecounters [hllRegisters]uint8
	for j := 0; j < 1000; j++ {
		for i := range bytecounters {
			r := uint8(rnd.Uint32() & hllRegisterMax)
			bytecounters[i] = r
			hllDenseSetReg(regs, i, r)
		}
		for i, want := range bytecounters {
			if v := hllDenseGet(regs, i); v != want {
				return fmt.Sprintf("TESTFAILED Register %d should be %d but is %d", i, want, v)
			}
		}
	}
	clear(regs)
	sparse := hllNew()
	relerr := 1.04 / math.Sqrt(hllRegisters)
	checkpoint := int64(1)
	seed := rnd.Uint64()
	var ele [8]byte
	for j := int64(1); j <= 10000000; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^seed)
		hllDenseAdd(regs, ele[:])
		sparse, _ = hllAdd(sparse, ele[:], maxBytes)
		if j != checkpoint {
			continue
		}
		if j < maxBytes/2 && hllEncoding(sparse) != hllSparse {
			return "TESTFAILED sparse encoding not used"
		}
		card, _ := hllCount(dense)
		if sc, _ := hllCount(sparse); sc != card {
			return "TESTFAILED dense/sparse disagree"
		}
		abserr := checkpoint - int64(card)
		maxerr := uint64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > int64(maxerr) {
			return fmt.Sprintf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return ""
}
