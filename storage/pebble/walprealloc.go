package pebble

import (
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walPreallocBlock is how much disk a WAL file is given ahead of its
// writes, in steps of this size.
//
// Why: Pebble preallocates each WAL file in blocks of 110% of the memtable
// size, and keeps up to MemTableStopWritesThreshold+1 spent WAL files for
// reuse, each with its blocks. With 64 MB memtables switched at 100,000
// records, a WAL of small records holds about 6 MB, yet took 70 MB of disk:
// after 1.5M ZADDs (4 MB of tables) the data directory used 683 MB, 426 MB
// of it six WAL files (and 256 MB the ballast). Preallocating still pays:
// an fdatasync that must also record newly allocated blocks commits the
// file system's journal. So blocks are still reserved ahead of the writes,
// only in steps of 8 MB, which holds a WAL of small records whole; a WAL of
// big values (a full 64 MB memtable) grows by the same steps.
const walPreallocBlock = 8 << 20

// walPreallocFS gives the WAL files it creates or reuses walPreallocBlock
// preallocation in place of Pebble's.
type walPreallocFS struct {
	vfs.FS
}

func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }

func (fs walPreallocFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	if err != nil || !isWAL(name) {
		return f, err
	}
	return &walFile{File: f}, nil
}

func (fs walPreallocFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	if err != nil || !isWAL(newname) {
		return f, err
	}
	return &walFile{File: f}, nil
}

// walFile preallocates ahead of its sequential writes, as Pebble's
// syncingFile does, in walPreallocBlock steps; Pebble's own requests are
// dropped. Used by one writer at a time, as Pebble's WAL writer is.
type walFile struct {
	vfs.File
	off   int64 // bytes written
	alloc int64 // bytes preallocated from the start
}

func (f *walFile) Preallocate(offset, length int64) error { return nil }

func (f *walFile) Write(p []byte) (int, error) {
	if end := f.off + int64(len(p)); end > f.alloc {
		n := (end - f.alloc + walPreallocBlock - 1) / walPreallocBlock * walPreallocBlock
		// As Pebble's syncingFile: a failed preallocation only loses its
		// benefit; the write reports the full disk if there is one.
		_ = f.File.Preallocate(f.alloc, n)
		f.alloc += n
	}
	n, err := f.File.Write(p)
	f.off += int64(n)
	return n, err
}
