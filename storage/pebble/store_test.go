package pebble

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/storagetest"
)

// testOptions are small so that tests open fast and flush often.
func testOptions(fs vfs.FS) Options {
	return Options{
		Dir:             "db",
		CacheSize:       8 << 20,
		MemTableSize:    1 << 20,
		BloomBitsPerKey: DefaultBloomBitsPerKey,
		FS:              fs,
		Logger:          slog.New(slog.DiscardHandler),
	}
}

func openMem(t testing.TB) *Store {
	t.Helper()
	s, err := Open(testOptions(vfs.NewMem()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return openMem(t) })
}

func TestConformanceNoBlockCache(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		opts := testOptions(vfs.NewMem())
		opts.NoBlockCache = true
		s, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenOptions(t *testing.T) {
	for _, bad := range []Options{
		{},
		{Dir: "db", CacheSize: -1},
		{Dir: "db", MemTableSize: -1},
		{Dir: "db", BloomBitsPerKey: -1},
	} {
		bad.FS = vfs.NewMem()
		if s, err := Open(bad); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded", bad)
		}
	}
	po, err := pebbleOptions(Options{Dir: "db"})
	if err != nil {
		t.Fatal(err)
	}
	if po.CacheSize != DefaultCacheSize+memTableCharge*DefaultMemTableSize || po.MemTableSize != DefaultMemTableSize {
		t.Errorf("zero sizes: cache %d memtable %d; want the defaults", po.CacheSize, po.MemTableSize)
	}
	if po.Levels[0].FilterPolicy != nil {
		t.Error("BloomBitsPerKey 0 must disable the filters")
	}
	po, _ = pebbleOptions(DefaultOptions("db"))
	for i, l := range po.Levels {
		if l.FilterPolicy == nil {
			t.Errorf("DefaultOptions: level %d has no bloom filter", i)
		}
	}
	if lo, hi := po.CompactionConcurrencyRange(); lo != 1 || hi < 2 {
		t.Errorf("compaction concurrency [%d, %d]", lo, hi)
	}
}

// TestReopen writes through the real file system, closes, reopens and reads.
func TestReopen(t *testing.T) {
	opts := testOptions(nil)
	opts.Dir = filepath.Join(t.TempDir(), "db")
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch()
	for i := range 1000 {
		b.Set(fmt.Appendf(nil, "k%04d", i), bytes.Repeat([]byte{'v'}, 100))
	}
	b.DeleteRange([]byte("k0100"), []byte("k0200"))
	if err := s.Commit(b, true); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if s.DiskUsage() == 0 {
		t.Error("DiskUsage = 0 after a flush")
	}
	if m := s.Metrics(); !strings.Contains(m, "WAL") {
		t.Errorf("Metrics does not look like Pebble's table:\n%s", m)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.DiskUsage() != 0 || s.Metrics() != "" {
		t.Error("DiskUsage/Metrics after Close must not reach Pebble")
	}
	if err := s.Flush(); err != storage.ErrClosed {
		t.Errorf("Flush after Close = %v", err)
	}
	s, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := countAll(s); n != 900 {
		t.Fatalf("reopened store holds %d keys; want 900", n)
	}
}

func TestCheckpoint(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(nil)
	opts.Dir = filepath.Join(dir, "db")
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := s.NewBatch()
	defer b.Close()
	b.Set([]byte("flushed"), []byte("1"))
	s.Commit(b, false)
	s.Flush()
	b.Reset()
	// Only in the memtable and an unsynced WAL: the checkpoint must still hold it.
	b.Set([]byte("unsynced"), []byte("2"))
	s.Commit(b, false)
	ck := filepath.Join(dir, "ck")
	if err := s.Checkpoint(ck); err != nil {
		t.Fatal(err)
	}
	if err := s.Checkpoint(ck); err == nil {
		t.Error("Checkpoint into an existing directory succeeded")
	}
	b.Reset()
	b.Set([]byte("later"), []byte("3"))
	s.Commit(b, false)

	opts.Dir = ck
	c, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for k, want := range map[string]bool{"flushed": true, "unsynced": true, "later": false} {
		if _, found, _ := c.Get(nil, []byte(k)); found != want {
			t.Errorf("checkpoint Get(%s) found=%v; want %v", k, found, want)
		}
	}
}

// TestBatchResetLarge reuses a batch after committing one bigger than half a
// memtable, which Pebble queues as a flushable batch and detaches from the
// batch's buffer.
func TestBatchResetLarge(t *testing.T) {
	s := openMem(t)
	defer s.Close()
	b := s.NewBatch()
	defer b.Close()
	val := bytes.Repeat([]byte{'x'}, 1024)
	for round := range 3 {
		for i := range 1000 { // ~1 MB, above the 512 KB large-batch threshold
			if err := b.Set(fmt.Appendf(nil, "r%d/%04d", round, i), val); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		b.Reset()
		if err := b.Set([]byte("small"), fmt.Appendf(nil, "%d", round)); err != nil {
			t.Fatal(err)
		}
		if v, found, _ := b.Get(nil, []byte("small")); !found || string(v) != fmt.Sprint(round) {
			t.Fatalf("round %d: reused batch Get = %q, %v", round, v, found)
		}
		if _, found, _ := b.Get(nil, fmt.Appendf(nil, "r%d/0999", round)); !found {
			t.Fatalf("round %d: committed large batch not visible", round)
		}
		if err := s.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		b.Reset()
	}
	it, _ := s.NewIter(nil, nil)
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	it.Close()
	if n != 3001 {
		t.Fatalf("%d keys; want 3001", n)
	}
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	l := logger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Infof("flushed %d tables", 3)
	l.Errorf("oops %s", "disk")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Fatalf returned")
			}
		}()
		l.Fatalf("corrupt %s", "sstable")
	}()
	out := buf.String()
	for _, want := range []string{"level=DEBUG msg=\"flushed 3 tables\"", "level=ERROR msg=\"oops disk\"", "corrupt sstable"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestBulkLoad checks that a store written without a WAL keeps everything
// once closed: Close flushes the memtables (and compacts) before closing.
func TestBulkLoad(t *testing.T) {
	opts := testOptions(nil)
	opts.Dir = filepath.Join(t.TempDir(), "db")
	opts.BulkLoad = true
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		b := s.NewBatch()
		for i := range 500 {
			b.Set(fmt.Appendf(nil, "k%04d", round*500+i), bytes.Repeat([]byte{'v'}, 100))
		}
		if err := s.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		b.Close()
		if round == 0 {
			if err := s.Sync(); err != nil {
				t.Fatalf("Sync of a bulk store: %v", err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	opts.BulkLoad = false
	s, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := countAll(s); n != 1000 {
		t.Fatalf("reopened store holds %d keys; want 1000", n)
	}
}

// countAll counts the keys in s.
func countAll(s *Store) int {
	it, _ := s.NewIter(nil, nil)
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

// TestValueSeparation: values from ValueSeparationMinSize up land in blob
// files when flushed, smaller ones do not make any; both read back, after
// overwrites, compactions and a reopen.
func TestValueSeparation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		min   int
		blobs bool
	}{
		{"off", 0, false},
		{"4kb", 4 << 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(nil)
			opts.Dir = filepath.Join(t.TempDir(), "db")
			opts.ValueSeparationMinSize = tc.min
			s, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]byte{}
			write := func(round int) {
				b := s.NewBatch()
				defer b.Close()
				for i := range 300 {
					k := fmt.Sprintf("k%03d", i)
					v := bytes.Repeat([]byte{byte('a' + round)}, 100)
					if i%3 == 0 {
						v = bytes.Repeat([]byte{byte('A' + round)}, 16<<10)
					}
					want[k] = v
					if err := b.Set([]byte(k), v); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Commit(b, false); err != nil {
					t.Fatal(err)
				}
				if err := s.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			check := func(when string) {
				t.Helper()
				for k, v := range want {
					got, ok, err := s.Get(nil, []byte(k))
					if err != nil || !ok || !bytes.Equal(got, v) {
						t.Fatalf("%s: Get(%s) = %d bytes, %v, %v; want %d bytes", when, k, len(got), ok, err, len(v))
					}
				}
			}
			for round := range 3 {
				write(round)
			}
			check("after overwrites")
			if err := s.db.Compact(context.Background(), []byte("k"), []byte("l"), true); err != nil {
				t.Fatal(err)
			}
			check("after a compaction")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			blobs, _ := filepath.Glob(filepath.Join(opts.Dir, "*.blob"))
			if (len(blobs) > 0) != tc.blobs {
				t.Errorf("%d blob files, want some: %v", len(blobs), tc.blobs)
			}
			if s, err = Open(opts); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			check("after a reopen")
		})
	}
}

// TestMemTableRecords checks that a memtable is switched (and flushed)
// once it holds MemTableRecords records, long before it is full, and not
// before.
func TestMemTableRecords(t *testing.T) {
	opts := testOptions(vfs.NewMem())
	opts.MemTableSize = 64 << 20
	opts.MemTableRecords = 1000
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(from, n int) {
		t.Helper()
		b := s.NewBatch()
		defer b.Close()
		for i := from; i < from+n; i++ {
			if err := b.Set(fmt.Appendf(nil, "k%06d", i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		s.switches.Wait()
	}
	write(0, 999)
	if got := s.switched.Load(); got != 0 {
		t.Fatalf("999 records: %d switches, want none", got)
	}
	write(999, 1)
	if got := s.switched.Load(); got != 1 {
		t.Fatalf("1000 records: %d switches, want 1", got)
	}
	for i := range 5 {
		write(10000+i*500, 500) // 2500 more: at 1000 and at 2000
	}
	if got := s.switched.Load(); got != 3 {
		t.Fatalf("3500 records: %d switches, want 3", got)
	}
	// Pebble flushes what was switched out, in the background.
	for deadline := time.Now().Add(10 * time.Second); s.db.Metrics().Flush.Count == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no memtable was flushed")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestMemTableRangeDeletions checks that a range deletion counts as
// rangeDelRecords records toward MemTableRecords, so that a memtable holds
// a bounded number of them: one batch of a range deletion and a point
// write at a time, as a layer of popped list elements writes.
func TestMemTableRangeDeletions(t *testing.T) {
	opts := testOptions(vfs.NewMem())
	opts.MemTableSize = 64 << 20
	opts.MemTableRecords = 20 * rangeDelRecords
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	commits := 0
	for s.switched.Load() == 0 {
		if commits++; commits > 30 {
			t.Fatalf("%d batches of a range deletion and a point write: no switch", commits-1)
		}
		b := s.NewBatch()
		if err := b.DeleteRange(fmt.Appendf(nil, "l%06d", commits), fmt.Appendf(nil, "l%06d", commits+1)); err != nil {
			t.Fatal(err)
		}
		if err := b.Set([]byte("meta"), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		b.Close()
		s.switches.Wait()
	}
	// Each batch counts rangeDelRecords+1: the 20th passes the limit.
	if commits != 20 {
		t.Fatalf("switched after %d batches, want 20", commits)
	}
}

// TestBlockCache reads a store twice and counts the block cache's hits and
// misses on the second pass: 2 MB of blocks must all be found in a 4 MB
// cache, although Pebble charges its memtables (grown to MemTableSize by the
// writes) to the same cache; and none with NoBlockCache.
func TestBlockCache(t *testing.T) {
	for _, tc := range []struct {
		name    string
		noCache bool
	}{{"4MB", false}, {"none", true}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(vfs.NewMem())
			opts.CacheSize = 4 << 20
			opts.MemTableSize = 4 << 20
			opts.NoBlockCache = tc.noCache
			hits, misses := secondPass(t, opts)
			if tc.noCache && hits > 0 || !tc.noCache && misses > 0 {
				t.Errorf("second pass over 2 MB of blocks: %d hits, %d misses", hits, misses)
			}
		})
	}
}

// secondPass writes 2,000 incompressible 1 KB values eight times over
// (16 MB of writes grow the memtables to their full size: Pebble starts them
// at 256 KB and doubles), compacts them into 2 MB of blocks, reads every key
// twice and returns the block cache's hits and misses of the second read.
func secondPass(t *testing.T, opts Options) (hits, misses int64) {
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const keys = 2000
	rng := rand.New(rand.NewPCG(1, 2))
	val := make([]byte, 1024)
	for range 8 {
		b := s.NewBatch()
		for i := range keys {
			for j := range val {
				val[j] = byte(rng.Uint32())
			}
			if err := b.Set(fmt.Appendf(nil, "k%06d", i), val); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		b.Close()
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Compact(context.Background(), []byte("k"), []byte("l"), true); err != nil {
		t.Fatal(err)
	}
	pass := func() (hits, misses int64) {
		t.Helper()
		before := s.db.Metrics().BlockCache
		for i := range keys {
			if _, ok, err := s.Get(nil, fmt.Appendf(nil, "k%06d", i)); err != nil || !ok {
				t.Fatalf("k%06d: found %v, %v", i, ok, err)
			}
		}
		after := s.db.Metrics().BlockCache
		return after.Hits - before.Hits, after.Misses - before.Misses
	}
	pass()
	return pass()
}
