package rdb

import (
	"bytes"
	"encoding/hex"
	"hash/crc64"
	"math/rand/v2"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	must(t, err)
	return b
}

func TestChecksumCheckValue(t *testing.T) {
	if got := Checksum(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
}

// The two files of PROTOCOL.md B.1, which our Writer must produce exactly.
func TestChecksumVectors(t *testing.T) {
	empty := unhex(t, "52 45 44 49 53 30 30 31 30 ff a9 fd 37 fe 89 a7 7e eb")
	oneKey := unhex(t, "524544495330303130 fe00 fb0100 00 016b 0176 ff bfc684baad6ca103")
	for name, want := range map[string][]byte{"empty": empty, "k=v": oneKey} {
		var buf bytes.Buffer
		w := NewWriter(&buf, WriterOptions{Checksum: true, Compress: true})
		must(t, w.Header())
		if name == "k=v" {
			must(t, w.SelectDB(0, 1, 0))
			must(t, w.String(KeyHeader{Key: []byte("k")}, []byte("v")))
		}
		must(t, w.Finish())
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: wrote % x\nwant        % x", name, buf.Bytes(), want)
		}
		res, err := readKeys(want, ReaderOptions{VerifyChecksum: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.checksum != ChecksumVerified {
			t.Errorf("%s: checksum %v", name, res.checksum)
		}
	}
}

// Checksum must agree with a plain bit-by-bit CRC over any split of the data.
func TestChecksumMatchesReference(t *testing.T) {
	tab := crc64.MakeTable(crcPoly)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 2047, 2048, 5000} {
		want := ^crc64.Update(^uint64(0), tab, data[:n])
		if got := Checksum(0, data[:n]); got != want {
			t.Errorf("n=%d: %#x, want %#x", n, got, want)
		}
		split := n / 3
		if got := Checksum(Checksum(0, data[:split]), data[split:n]); got != want {
			t.Errorf("n=%d split: %#x, want %#x", n, got, want)
		}
	}
}
