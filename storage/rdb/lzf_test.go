package rdb

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestLZFRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var c lzfCompressor
	inputs := [][]byte{
		[]byte("a"), []byte("ab"), []byte("abc"),
		bytes.Repeat([]byte("a"), 52),
		bytes.Repeat([]byte("abcdefgh"), 1000),
		bytes.Repeat([]byte{0}, 100000),
	}
	for range 200 {
		inputs = append(inputs, randomBytes(rng, 1+rng.IntN(3000), 1+rng.IntN(255)))
	}
	for i, in := range inputs {
		out := make([]byte, len(in)+len(in)/16+64) // room for incompressible data
		n := c.compress(in, out)
		if n == 0 {
			t.Fatalf("input %d (%d bytes): did not fit", i, len(in))
		}
		got := make([]byte, len(in))
		m, err := lzfDecompress(out[:n], got)
		if err != nil || m != len(in) || !bytes.Equal(got, in) {
			t.Fatalf("input %d (%d bytes): round trip failed: n=%d err=%v", i, len(in), m, err)
		}
		// The Redis rule: compress only into len-4 bytes.
		if len(in) > 4 {
			small := make([]byte, len(in)-4)
			if k := c.compress(in, small); k > len(small) {
				t.Fatalf("input %d: wrote %d bytes into %d", i, k, len(small))
			}
		}
	}
}

// The compressed form of 52 'a's as redis-server 7.0.15 DUMPs it.
func TestLZFMatchesRedis(t *testing.T) {
	var c lzfCompressor
	in := bytes.Repeat([]byte("a"), 52)
	out := make([]byte, len(in)-4)
	n := c.compress(in, out)
	want := []byte("\x01aa\xe0'\x00\x01aa")
	if !bytes.Equal(out[:n], want) {
		t.Fatalf("compressed to % x, want % x", out[:n], want)
	}
}

// TestLZFMatchEnd: the word-at-a-time scan stops where liblzf's byte loop
// does, for matches of every length up to the longest, ending on each byte
// of a word and at maxlen.
func TestLZFMatchEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	byteLoop := func(in []byte, ref, ip, l, maxlen int) int {
		for l < maxlen && in[ref+l] == in[ip+l] {
			l++
		}
		return l
	}
	for range 20000 {
		n := 3 + rng.IntN(400)
		in := randomBytes(rng, n, 1+rng.IntN(3))
		ip := 1 + rng.IntN(n-2)
		ref := rng.IntN(ip)
		maxlen := min(n-ip-2, lzfMaxRef)
		if maxlen < 0 {
			continue
		}
		from := rng.IntN(maxlen + 1)
		if got, want := lzfMatchEnd(in, ref, ip, from, maxlen), byteLoop(in, ref, ip, from, maxlen); got != want {
			t.Fatalf("in %v, ref %d, ip %d, from %d, maxlen %d: %d, want %d", in, ref, ip, from, maxlen, got, want)
		}
	}
}

func TestLZFDecompressErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		out  int
		want error
	}{
		{"literal past output", []byte{3, 'a', 'b', 'c', 'd'}, 3, errLZFOverflow},
		{"literal past input", []byte{3, 'a', 'b'}, 10, errLZFTruncated},
		{"backref before start", []byte{0, 'a', 0x20, 5}, 10, errLZFBackref},
		{"backref cut", []byte{0, 'a', 0x20}, 10, errLZFTruncated},
		{"long backref cut", []byte{0, 'a', 0xE0, 1}, 10, errLZFTruncated},
		{"backref past output", []byte{0, 'a', 0x20, 0}, 2, errLZFOverflow},
	} {
		_, err := lzfDecompress(tc.in, make([]byte, tc.out))
		if err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// lzfDecompressBytewise is liblzf's lzf_decompress as written: the
// reference for lzfDecompress's chunked copies of overlapping references.
func lzfDecompressBytewise(in, out []byte) (int, error) {
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
		for range l + 2 {
			out[op] = out[ref]
			op++
			ref++
		}
	}
	return op, nil
}

// FuzzLZFDecompress checks lzfDecompress against the byte-by-byte
// reference on any input: same output, same count, same error.
func FuzzLZFDecompress(f *testing.F) {
	var c lzfCompressor
	for _, s := range []string{"a", "abcabcabcabc", string(bytes.Repeat([]byte("v"), 100)), "\x01aa\xe0'\x00\x01aa", "\x00a\xe0\xff\x00"} {
		out := make([]byte, len(s)+64)
		f.Add(out[:c.compress([]byte(s), out)], uint16(len(s)))
		f.Add([]byte(s), uint16(len(s)))
	}
	f.Fuzz(func(t *testing.T, in []byte, size uint16) {
		got, want := make([]byte, size), make([]byte, size)
		n, err := lzfDecompress(in, got)
		wn, werr := lzfDecompressBytewise(in, want)
		if n != wn || err != werr || !bytes.Equal(got, want) {
			t.Fatalf("decompress %x into %d: got %d %v %x, want %d %v %x", in, size, n, err, got, wn, werr, want)
		}
	})
}

// randomBytes returns n bytes drawn from the first alphabet byte values.
func randomBytes(rng *rand.Rand, n, alphabet int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(alphabet))
	}
	return b
}

// FuzzLZF compresses into every room Redis may give (len-4, as the RDB
// writer does) and others: no panic, and what fits decompresses back. Its
// corpus keeps the input that found a literal run filling out just before
// a match: stopping the next run wrote one past out's end (a panic in
// BGSAVE and full syncs, first seen in Redis's replication suite).
func FuzzLZF(f *testing.F) {
	f.Add([]byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`aABCD"), 33)
	f.Add(bytes.Repeat([]byte("ab"), 40), 10)
	f.Fuzz(func(t *testing.T, in []byte, size int) {
		if size < 0 || size > 1<<16 || len(in) > 1<<16 {
			return
		}
		var c lzfCompressor
		for _, n := range []int{size, len(in) - 4, len(in)} {
			if n <= 0 {
				continue
			}
			out := make([]byte, n)
			k := c.compress(in, out)
			if k == 0 {
				continue
			}
			if k > n {
				t.Fatalf("wrote %d bytes into %d", k, n)
			}
			got := make([]byte, len(in))
			if m, err := lzfDecompress(out[:k], got); err != nil || m != len(in) || !bytes.Equal(got, in) {
				t.Fatalf("round trip into %d bytes failed: n=%d err=%v", n, m, err)
			}
		}
	})
}
