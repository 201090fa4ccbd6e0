package pebble

import (
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// fullFS is an in-memory file system whose free space the test sets and
// which refuses writes (ENOSPC) while full is set, until the ballast is
// removed: a disk filled by someone else, with the ballast the only space
// left to free.
type fullFS struct {
	vfs.FS
	avail   atomic.Uint64
	full    atomic.Bool
	ballast string
	refused atomic.Int64
}

func (fs *fullFS) GetDiskUsage(string) (vfs.DiskUsage, error) {
	return vfs.DiskUsage{AvailBytes: fs.avail.Load(), TotalBytes: 1 << 40}, nil
}

func (fs *fullFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &fullFile{File: f, fs: fs}, nil
}

func (fs *fullFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return fs.wrap(fs.FS.Create(name, c))
}

func (fs *fullFS) ReuseForWrite(old, name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return fs.wrap(fs.FS.ReuseForWrite(old, name, c))
}

func (fs *fullFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	return fs.wrap(fs.FS.OpenReadWrite(name, c, opts...))
}

func (fs *fullFS) Remove(name string) error {
	if name == fs.ballast {
		fs.full.Store(false)
	}
	return fs.FS.Remove(name)
}

type fullFile struct {
	vfs.File
	fs *fullFS
}

func (f *fullFile) Write(p []byte) (int, error) {
	if f.fs.full.Load() {
		f.fs.refused.Add(1)
		return 0, syscall.ENOSPC
	}
	return f.File.Write(p)
}

func (f *fullFile) WriteAt(p []byte, off int64) (int, error) {
	if f.fs.full.Load() {
		f.fs.refused.Add(1)
		return 0, syscall.ENOSPC
	}
	return f.File.WriteAt(p, off)
}

func TestBallast(t *testing.T) {
	const size = 1 << 20
	fs := &fullFS{FS: vfs.NewMem(), ballast: "db/" + BallastName}
	fs.avail.Store(1 << 30)
	s, err := Open(Options{Dir: "db", FS: fs, Ballast: size})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if sz, present := s.Ballast(); sz != size || !present {
		t.Fatalf("after open: ballast %d present %v, want %d true", sz, present, size)
	}
	if fi, err := fs.Stat(fs.ballast); err != nil || fi.Size() != size {
		t.Fatalf("ballast file: %v, %v", fi, err)
	}
	var told atomic.Int64
	s.OnDiskFull(func() { told.Add(1) })

	// The disk fills: the next log write fails, the store drops the
	// ballast, the write is retried and the commit succeeds.
	fs.full.Store(true)
	b := s.NewWriteBatch(0)
	if err := b.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b, true); err != nil {
		t.Fatalf("commit on a full disk with a ballast: %v", err)
	}
	b.Close()
	if fs.refused.Load() == 0 {
		t.Fatal("the file system never refused a write: the test tested nothing")
	}
	if v, ok, err := s.Get(nil, []byte("k")); err != nil || !ok || string(v) != "v" {
		t.Fatalf("get after the retried commit: %q %v %v", v, ok, err)
	}
	if n := s.DiskFullEvents(); n != 1 {
		t.Errorf("DiskFullEvents %d, want 1", n)
	}
	if told.Load() != 1 {
		t.Errorf("OnDiskFull callback ran %d times, want 1", told.Load())
	}
	if _, present := s.Ballast(); present {
		t.Error("ballast still present after the disk filled")
	}
	if _, err := fs.Stat(fs.ballast); err == nil {
		t.Error("ballast file still there after the disk filled")
	}

	// Not made again without room for twice its size.
	fs.avail.Store(2*size - 1)
	if ok, err := s.RestoreBallast(); ok || err != nil {
		t.Fatalf("restore with too little room: %v %v", ok, err)
	}
	fs.avail.Store(2 * size)
	if ok, err := s.RestoreBallast(); !ok || err != nil {
		t.Fatalf("restore with room: %v %v", ok, err)
	}

	// Resized: the old one goes at once, the new one on restore.
	if err := s.SetBallast(2 * size); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fs.ballast); err == nil {
		t.Error("old ballast kept after a resize")
	}
	fs.avail.Store(1 << 30)
	if ok, err := s.RestoreBallast(); !ok || err != nil {
		t.Fatalf("restore after resize: %v %v", ok, err)
	}
	if fi, err := fs.Stat(fs.ballast); err != nil || fi.Size() != 2*size {
		t.Fatalf("resized ballast file: %v, %v", fi, err)
	}
	if err := s.SetBallast(0); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.RestoreBallast(); ok {
		t.Error("a ballast of size 0 reported in place")
	}
	if _, err := fs.Stat(fs.ballast); err == nil {
		t.Error("ballast kept with size 0")
	}
}

// TestBallastKeptAcrossOpens: a ballast left by an earlier run is reused,
// not rewritten, and Pebble ignores the file.
func TestBallastKeptAcrossOpens(t *testing.T) {
	fs := &fullFS{FS: vfs.NewMem(), ballast: "db/" + BallastName}
	fs.avail.Store(1 << 30)
	for i := range 2 {
		s, err := Open(Options{Dir: "db", FS: fs, Ballast: 1 << 20})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if _, present := s.Ballast(); !present {
			t.Errorf("open %d: no ballast", i)
		}
		// On the second open there is no room for a new one: only the
		// old file can be in place.
		fs.avail.Store(1 << 10)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBallastResizedAcrossOpens: a ballast of an older size is replaced,
// its space counted as free; and a full disk deletes even a ballast of the
// wrong size.
func TestBallastResizedAcrossOpens(t *testing.T) {
	fs := &fullFS{FS: vfs.NewMem(), ballast: "db/" + BallastName}
	fs.avail.Store(1 << 30)
	s, err := Open(Options{Dir: "db", FS: fs, Ballast: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(Options{Dir: "db", FS: fs, Ballast: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := fs.Stat(fs.ballast); err != nil || fi.Size() != 2<<20 {
		t.Fatalf("ballast after reopening with 2 MB: %v, %v", fi, err)
	}

	// An old-size file that could not be replaced still goes on ENOSPC.
	if err := s.SetBallast(4 << 20); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Create(fs.ballast, vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fs.full.Store(true)
	b := s.NewWriteBatch(0)
	defer b.Close()
	if err := b.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b, true); err != nil {
		t.Fatalf("commit on a full disk with an old-size ballast: %v", err)
	}
	if _, err := fs.Stat(fs.ballast); err == nil {
		t.Error("old-size ballast kept on a full disk")
	}
}
