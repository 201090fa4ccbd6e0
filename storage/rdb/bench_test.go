package rdb

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

const benchKeys = 1_000_000

// benchFile writes 1M small string keys ("key:N" -> "value-N"), the shape
// of a typical cache dataset.
func benchFile(tb testing.TB, w io.Writer) *Writer {
	wr := NewWriter(w, WriterOptions{Compress: true, Checksum: true})
	must(tb, wr.Header(Aux{"redis-ver", "7.0.15"}))
	must(tb, wr.SelectDB(0, benchKeys, 0))
	key := make([]byte, 0, 32)
	val := make([]byte, 0, 32)
	for i := range benchKeys {
		key = strconv.AppendInt(append(key[:0], "key:"...), int64(i), 10)
		val = strconv.AppendInt(append(val[:0], "value-"...), int64(i), 10)
		if err := wr.String(KeyHeader{Key: key}, val); err != nil {
			tb.Fatal(err)
		}
	}
	must(tb, wr.Finish())
	return wr
}

func BenchmarkWrite(b *testing.B) {
	var size int64
	for b.Loop() {
		size = benchFile(b, io.Discard).Written()
	}
	b.SetBytes(size)
	b.ReportMetric(float64(benchKeys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	benchFile(b, &buf)
	file := buf.Bytes()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(file), ReaderOptions{VerifyChecksum: true})
		keys := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if rec.Kind == KindKey {
				keys++
			}
		}
		if keys != benchKeys {
			b.Fatalf("read %d keys", keys)
		}
	}
	b.ReportMetric(float64(benchKeys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}
