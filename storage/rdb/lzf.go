package rdb

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// The compressor is a port of liblzf 3.6's lzf_compress as Redis builds it
// (HLOG 16, VERY_FAST, not ULTRA_FAST), so that for the same input it makes
// the same bytes as redis-server in nearly every case. Redis leaves the hash
// table uninitialised, so stale slots can occasionally give it a different
// (equally valid) match; this port starts every call from an empty table.
const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = 1<<8 + 1<<3
)

// lzfCompressor keeps its hash table between calls; a slot is valid only if
// it carries the current generation, which spares clearing 512 KB per call.
type lzfCompressor struct {
	htab []uint64
	gen  uint64
}

func lzfIdx(h uint32) uint32 {
	return ((h >> (3*8 - lzfHLog)) - h*5) & (lzfHSize - 1)
}

// compress writes the LZF form of in to out and returns its length, or 0 when
// it does not fit in len(out) bytes (which is how Redis asks for a saving of
// at least len(in)-len(out) bytes).
func (c *lzfCompressor) compress(in, out []byte) int {
	inLen, outLen := len(in), len(out)
	if inLen == 0 || outLen == 0 {
		return 0
	}
	if c.htab == nil {
		c.htab = make([]uint64, lzfHSize)
	}
	c.gen++
	if c.gen == 1<<32 {
		clear(c.htab)
		c.gen = 1
	}
	gen := c.gen << 32
	set := func(h uint32, pos int) { c.htab[lzfIdx(h)] = gen | uint64(pos) }

	ip, op, lit := 0, 1, 0
	var hval uint32
	if inLen >= 2 {
		hval = uint32(in[0])<<8 | uint32(in[1])
	}
	for ip < inLen-2 {
		hval = hval<<8 | uint32(in[ip+2])
		slot := lzfIdx(hval)
		e := c.htab[slot]
		c.htab[slot] = gen | uint64(ip)
		ref := -1
		if e&^(1<<32-1) == gen {
			ref = int(e & (1<<32 - 1))
		}
		off := ip - ref - 1
		if ref > 0 && ref < ip && off < lzfMaxOff && ip+4 < inLen &&
			in[ref] == in[ip] && in[ref+1] == in[ip+1] && in[ref+2] == in[ip+2] {
			l := 2
			maxlen := inLen - ip - l
			if maxlen > lzfMaxRef {
				maxlen = lzfMaxRef
			}
			// liblzf checks the room before it writes: a literal run that
			// just filled up left op one past out's end (a run opened, no
			// byte in it), and stopping that run would write there.
			start := op
			if lit == 0 {
				start-- // undo run if length is zero
			}
			if start+3+1 >= outLen {
				return 0
			}
			out[op-lit-1] = byte(lit - 1) // stop run
			op = start
			// liblzf unrolls the first 16 steps without the maxlen check;
			// keep that, as it decides the match length near the end.
			scan := true
			if maxlen > 16 {
				for range 16 {
					l++
					if in[ref+l] != in[ip+l] {
						scan = false
						break
					}
				}
			}
			if scan {
				l = lzfMatchEnd(in, ref, ip, l+1, maxlen)
			}
			l -= 2 // l is now #octets - 1
			ip++
			if l < 7 {
				out[op] = byte(off>>8 + l<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(l - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // start run
			ip += l + 1
			if ip >= inLen-2 {
				break
			}
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			set(hval, ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			set(hval, ip)
			ip++
		} else {
			var ok bool
			if op, lit, ok = lzfLiteral(out, in[ip], op, lit); !ok {
				return 0
			}
			ip++
		}
	}
	if op+3 > outLen {
		return 0
	}
	for ; ip < inLen; ip++ {
		var ok bool
		if op, lit, ok = lzfLiteral(out, in[ip], op, lit); !ok {
			return 0
		}
	}
	if op > outLen {
		return 0
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return op
}

// lzfLiteral adds b to the literal run being written at op (lit bytes
// long so far), closing the run and opening the next when it is full, as
// liblzf does both in its main loop and for the last bytes. ok is false
// when out has no room.
func lzfLiteral(out []byte, b byte, op, lit int) (int, int, bool) {
	if op >= len(out) {
		return op, lit, false
	}
	lit++
	out[op] = b
	op++
	if lit == lzfMaxLit {
		out[op-lit-1] = byte(lit - 1)
		lit = 0
		op++
	}
	return op, lit, true
}

var (
	errLZFOverflow  = errors.New("output longer than the declared length")
	errLZFTruncated = errors.New("compressed data ends inside an item")
	errLZFBackref   = errors.New("back-reference before the start of the output")
)

// lzfDecompress expands in into out and returns the number of bytes made,
// checking every bound (liblzf built with CHECK_INPUT).
func lzfDecompress(in, out []byte) (int, error) {
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 {
			ctrl++
			if op+ctrl > len(out) {
				return op, errLZFOverflow
			}
			if ip+ctrl > len(in) {
				return op, errLZFTruncated
			}
			copy(out[op:], in[ip:ip+ctrl])
			ip += ctrl
			op += ctrl
			continue
		}
		l := ctrl >> 5
		ref := op - (ctrl&0x1f)<<8 - 1
		if ip >= len(in) {
			return op, errLZFTruncated
		}
		if l == 7 {
			l += int(in[ip])
			ip++
			if ip >= len(in) {
				return op, errLZFTruncated
			}
		}
		ref -= int(in[ip])
		ip++
		if op+l+2 > len(out) {
			return op, errLZFOverflow
		}
		if ref < 0 {
			return op, errLZFBackref
		}
		// A reference may overlap what it writes (a run: distance 1
		// repeats one byte). Copying what is already written, doubling
		// each time, gives the byte-by-byte result: the distance from
		// ref stays a multiple of the period.
		for n := l + 2; n > 0; {
			k := min(op-ref, n)
			copy(out[op:op+k], out[ref:ref+k])
			op += k
			n -= k
		}
	}
	return op, nil
}

// lzfMatchEnd returns the first l >= from with l >= maxlen or in[ref+l] !=
// in[ip+l]: where liblzf's byte-by-byte scan of a match stops. It compares
// eight bytes at a time while eight remain before maxlen; a save of short
// repetitive strings spent a tenth of its time in the byte loop. ip+maxlen
// must not pass len(in), and ref < ip.
func lzfMatchEnd(in []byte, ref, ip, from, maxlen int) int {
	l := from
	for l+8 <= maxlen {
		if x := binary.LittleEndian.Uint64(in[ref+l:]) ^ binary.LittleEndian.Uint64(in[ip+l:]); x != 0 {
			return l + bits.TrailingZeros64(x)>>3
		}
		l += 8
	}
	for l < maxlen && in[ref+l] == in[ip+l] {
		l++
	}
	return l
}
