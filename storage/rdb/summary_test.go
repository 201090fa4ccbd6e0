package rdb

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
)

func TestSummarize(t *testing.T) {
	ks := allTypesDataset()
	file := writeKeys(t, ks, WriterOptions{Compress: true, Checksum: true}, Aux{"redis-ver", "7.0.15"})
	s, err := Summarize(bytes.NewReader(file), ReaderOptions{})
	must(t, err)
	types := map[Type]int64{}
	var elems, expires int64
	perDB := map[int]int64{}
	for _, k := range ks {
		types[k.typ]++
		elems += int64(k.count())
		perDB[k.db]++
		if k.h.ExpireMs != 0 {
			expires++
		}
	}
	if s.Version != 10 || s.Size != int64(len(file)) || s.Keys != int64(len(ks)) || s.Elements != elems ||
		s.Expires != expires || s.Checksum != ChecksumVerified || len(s.Aux) != 1 || s.EmptyKeys != 0 {
		t.Errorf("summary %+v", s)
	}
	for typ, n := range types {
		if s.Types[typ] != n {
			t.Errorf("%s: %d keys, want %d", typ, s.Types[typ], n)
		}
	}
	if len(s.DBs) != len(perDB) {
		t.Fatalf("dbs %+v", s.DBs)
	}
	for i, d := range s.DBs {
		if d.Keys != perDB[d.DB] || (i > 0 && s.DBs[i-1].DB >= d.DB) || d.ResizeKeys != uint64(d.Keys) {
			t.Errorf("db %+v, want %d keys", d, perDB[d.DB])
		}
	}

	// A truncated file: the error, and the counts up to it.
	s, err = Summarize(bytes.NewReader(file[:len(file)/2]), ReaderOptions{})
	if err == nil || s.Keys == 0 || s.Keys >= int64(len(ks)) {
		t.Errorf("truncated: %v, %d keys", err, s.Keys)
	}
	// Empty collections are counted apart (only old files have them).
	empty := rawRDB(10, []byte{opSelectDB, 0, byte(EncSet)}, rawString(bs("e")), []byte{0})
	s, err = Summarize(bytes.NewReader(empty), ReaderOptions{})
	must(t, err)
	if s.Keys != 0 || s.EmptyKeys != 1 {
		t.Errorf("empty set: %+v", s)
	}
}

func TestProgress(t *testing.T) {
	file := writeKeys(t, allTypesDataset(), WriterOptions{})
	var calls []Progress
	r := NewReader(bytes.NewReader(file), ReaderOptions{ProgressInterval: 1000, OnProgress: func(p Progress) { calls = append(calls, p) }})
	var polled atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // Progress may be polled from another goroutine.
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				polled.Store(r.Progress().Bytes)
			}
		}
	}()
	res, err := readKeysFrom(r)
	close(stop)
	wg.Wait()
	must(t, err)
	if len(calls) < 5 {
		t.Fatalf("%d progress calls", len(calls))
	}
	last := calls[len(calls)-1]
	if last.Bytes != int64(len(file)) || last.Keys != int64(len(res)) {
		t.Errorf("last progress %+v, file %d bytes, %d keys", last, len(file), len(res))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Bytes < calls[i-1].Bytes+1000 && i != len(calls)-1 {
			t.Errorf("calls %d and %d are %d bytes apart", i-1, i, calls[i].Bytes-calls[i-1].Bytes)
		}
	}
}

func readKeysFrom(r *Reader) ([]Record, error) {
	var keys []Record
	for {
		rec, err := r.Next()
		if err != nil {
			if rec.Kind == 0 && err.Error() == "EOF" {
				return keys, nil
			}
			return keys, err
		}
		if rec.Kind == KindKey {
			keys = append(keys, rec)
		}
	}
}

// Buffered returns what follows the RDB, as in a replication stream with
// disk framing.
func TestBufferedAfterEOF(t *testing.T) {
	file := writeKeys(t, allTypesDataset()[:3], WriterOptions{Checksum: true})
	r := NewReader(bytes.NewReader(append(clone(file), "*1\r\n$4\r\nPING\r\n"...)), ReaderOptions{VerifyChecksum: true})
	_, err := readKeysFrom(r)
	must(t, err)
	if got := string(r.Buffered()); got != "*1\r\n$4\r\nPING\r\n" {
		t.Errorf("Buffered %q", got)
	}
	if r.Offset() != int64(len(file)) {
		t.Errorf("Offset %d, file %d", r.Offset(), len(file))
	}
}
