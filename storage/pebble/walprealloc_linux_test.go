package pebble

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWALPreallocation writes 20 MB through the WALs of a store on the real
// file system (Pebble's memtables start small and double, so that is
// several WALs), rotates twice more, and reads what disk each WAL file
// holds: blocks reserved in 8 MB steps ahead of its writes, not Pebble's
// 110% of the 64 MB memtable (70 MB) per file.
func TestWALPreallocation(t *testing.T) {
	opts := DefaultOptions(t.TempDir())
	opts.Logger = slog.New(slog.DiscardHandler)
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	write := func(bytes int) {
		t.Helper()
		val := make([]byte, 1024)
		b := s.NewBatch()
		for i := 0; i*len(val) < bytes; i++ {
			if err := b.Set(fmt.Appendf(nil, "k%08d", i), val); err != nil {
				t.Fatal(err)
			}
			if b.Count() == 1000 {
				if err := s.Commit(b, false); err != nil {
					t.Fatal(err)
				}
				b.Reset()
			}
		}
		if err := s.Commit(b, true); err != nil {
			t.Fatal(err)
		}
		b.Close()
	}
	write(20 << 20)
	for range 2 {
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		write(1 << 20)
	}

	logs, _ := filepath.Glob(filepath.Join(opts.Dir, "*.log"))
	if len(logs) == 0 {
		t.Fatal("no WAL files in the data directory")
	}
	const slack = 1 << 20 // file systems may round an allocation up
	var written int64
	for _, name := range logs {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			t.Skip("no block counts on this file system")
		}
		alloc := st.Blocks * 512
		t.Logf("%s: %d bytes long, %d allocated", filepath.Base(name), fi.Size(), alloc)
		want := (fi.Size() + walPreallocBlock - 1) / walPreallocBlock * walPreallocBlock
		if alloc > want+slack {
			t.Errorf("%s is %d bytes long with %d allocated, want at most %d", name, fi.Size(), alloc, want)
		}
		written += fi.Size()
	}
	if written < 20<<20 {
		t.Errorf("the WALs hold %d bytes, want the 20 MB written: %s", written, strings.Join(logs, " "))
	}
}
