package rdb

import "io"

// input is the reader's buffer over the source. It tracks the stream offset
// of every byte and folds consumed bytes into the CRC lazily, just before
// they leave the buffer, so the checksum costs one pass over the data.
type input struct {
	src    io.Reader
	buf    []byte
	r, w   int
	base   int64 // stream offset of buf[0]
	err    error // sticky error from src
	doSum  bool
	sum    uint64 // CRC of the stream up to buf[sumPos]
	sumPos int
	static bool // buf is the whole input (a payload); never refill or move it
}

const inputSize = 64 << 10

func (in *input) offset() int64 { return in.base + int64(in.r) }

// end is the stream offset just past the last byte received.
func (in *input) end() int64 { return in.base + int64(in.w) }

func (in *input) sumTo(p int) {
	if in.doSum && p > in.sumPos {
		in.sum = Checksum(in.sum, in.buf[in.sumPos:p])
	}
	in.sumPos = p
}

// fill makes at least n (<= len(buf)) bytes available at buf[r:], or returns
// the source's error (io.EOF when it ended first).
func (in *input) fill(n int) error {
	if in.w-in.r >= n {
		return nil
	}
	if in.static {
		return io.EOF
	}
	if len(in.buf)-in.r < n {
		in.sumTo(in.r)
		copy(in.buf, in.buf[in.r:in.w])
		in.w -= in.r
		in.base += int64(in.r)
		in.r, in.sumPos = 0, 0
	}
	for empty := 0; in.w-in.r < n; {
		if in.err != nil {
			return in.err
		}
		m, err := in.src.Read(in.buf[in.w:])
		if m < 0 || m > len(in.buf)-in.w {
			m, err = 0, io.ErrShortBuffer
		}
		in.w += m
		switch {
		case err != nil:
			in.err = err
		case m == 0:
			if empty++; empty >= 100 {
				in.err = io.ErrNoProgress
			}
		}
	}
	return nil
}
