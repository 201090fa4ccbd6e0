package pebble

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

const benchKeys = 100_000

func benchKey(dst []byte, i int) []byte { return fmt.Appendf(dst[:0], "key:%08d", i) }

// openBench opens a store on the real disk with the server's options.
func openBench(b *testing.B) *Store {
	b.Helper()
	opts := DefaultOptions(filepath.Join(b.TempDir(), "db"))
	opts.Logger = slog.New(slog.DiscardHandler)
	s, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// fill writes benchKeys keys with 100-byte values and flushes them to
// sstables, so Gets go through the block cache and bloom filters.
func fill(b *testing.B, s *Store) {
	b.Helper()
	batch := s.NewBatch()
	defer batch.Close()
	val := bytes.Repeat([]byte{'v'}, 100)
	var k []byte
	for i := range benchKeys {
		k = benchKey(k, i)
		batch.Set(k, val)
		if batch.Count() == 1000 {
			if err := s.Commit(batch, false); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := s.Commit(batch, false); err != nil {
		b.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGet(b *testing.B) {
	s := openBench(b)
	fill(b, s)
	rng := rand.New(rand.NewPCG(1, 2))
	var k, v []byte
	b.ResetTimer()
	for b.Loop() {
		k = benchKey(k, rng.IntN(benchKeys))
		var found bool
		var err error
		v, found, err = s.Get(v[:0], k)
		if err != nil || !found {
			b.Fatalf("Get(%s) = %v, %v", k, found, err)
		}
	}
}

func BenchmarkGetMissing(b *testing.B) {
	s := openBench(b)
	fill(b, s)
	rng := rand.New(rand.NewPCG(1, 2))
	var k, v []byte
	b.ResetTimer()
	for b.Loop() {
		k = benchKey(k, benchKeys+rng.IntN(benchKeys))
		if _, found, _ := s.Get(v[:0], k); found {
			b.Fatal("found a missing key")
		}
	}
}

// BenchmarkBatchSetCommitNoSync is one pipelined burst of 16 SETs: one batch,
// reused, committed without sync. Reported per batch.
func BenchmarkBatchSetCommitNoSync(b *testing.B) {
	s := openBench(b)
	batch := s.NewBatch()
	defer batch.Close()
	val := bytes.Repeat([]byte{'v'}, 100)
	var k []byte
	i := 0
	for b.Loop() {
		for range 16 {
			k = benchKey(k, i%1_000_000)
			i++
			if err := batch.Set(k, val); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Commit(batch, false); err != nil {
			b.Fatal(err)
		}
		batch.Reset()
	}
}

// BenchmarkBatchReuse compares Reset of a committed indexed batch with
// closing it and taking a new one from Pebble's pool.
func BenchmarkBatchReuse(b *testing.B) {
	val := bytes.Repeat([]byte{'v'}, 100)
	write := func(b *testing.B, s *Store, batch storage.Batch, i int) {
		if err := batch.Set(benchKey(nil, i%100_000), val); err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(batch, false); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("reset", func(b *testing.B) {
		s := openBench(b)
		batch := s.NewBatch()
		defer batch.Close()
		i := 0
		for b.Loop() {
			write(b, s, batch, i)
			batch.Reset()
			i++
		}
	})
	b.Run("new", func(b *testing.B) {
		s := openBench(b)
		i := 0
		for b.Loop() {
			batch := s.NewBatch()
			write(b, s, batch, i)
			batch.Close()
			i++
		}
	})
}

// BenchmarkSync is the cost of making one NoSync commit durable with Sync:
// the per-second work of appendfsync everysec, or one group commit.
func BenchmarkSync(b *testing.B) {
	s := openBench(b)
	batch := s.NewBatch()
	defer batch.Close()
	val := bytes.Repeat([]byte{'v'}, 100)
	i := 0
	for b.Loop() {
		batch.Set(benchKey(nil, i), val)
		if err := s.Commit(batch, false); err != nil {
			b.Fatal(err)
		}
		batch.Reset()
		if err := s.Sync(); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCommitSync is one commit with sync=true, for comparison with
// BenchmarkSync.
func BenchmarkCommitSync(b *testing.B) {
	s := openBench(b)
	batch := s.NewBatch()
	defer batch.Close()
	val := bytes.Repeat([]byte{'v'}, 100)
	i := 0
	for b.Loop() {
		batch.Set(benchKey(nil, i), val)
		if err := s.Commit(batch, true); err != nil {
			b.Fatal(err)
		}
		batch.Reset()
		i++
	}
}

func BenchmarkIterScan100(b *testing.B) {
	s := openBench(b)
	fill(b, s)
	rng := rand.New(rand.NewPCG(1, 2))
	var k []byte
	b.ResetTimer()
	for b.Loop() {
		k = benchKey(k, rng.IntN(benchKeys-100))
		it, err := s.NewIter(k, nil)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for ok := it.First(); ok && n < 100; ok = it.Next() {
			n++
		}
		it.Close()
	}
}
