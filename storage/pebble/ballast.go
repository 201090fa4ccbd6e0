package pebble

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// BallastName is the file, in the store's directory, that holds space in
// reserve for when the disk fills up (Pebble ignores files it did not name).
const BallastName = "EMERGENCY_BALLAST"

// ballast is a file of reserved space that the store deletes the moment the
// file system refuses a write for lack of space.
//
// Why: Pebble cannot survive a failed write to its log (it panics: a commit
// whose log record may be torn cannot be acknowledged or taken back), nor
// one of its MANIFEST. The server refuses writes well before the disk is
// full (daemon's disk guard), but another process may fill the disk between
// two of its checks, and compactions need room of their own. Deleting the
// ballast then frees its size at once, Pebble retries the failed write once
// (vfs.OnDiskFull), and the writes already accepted still reach the log
// while the server refuses new ones. CockroachDB keeps an emergency ballast
// for the same reason.
//
// The ballast is written on the file system under Pebble's wrappers, so its
// own writes are never retried through the callback.
type ballast struct {
	fs   vfs.FS // the unwrapped file system
	path string

	mu   sync.Mutex
	size int64 // wanted size; 0: keep none
	// present: the file exists at its size. Read without mu by Ballast.
	present atomic.Bool
	// fullEvents counts ENOSPC errors seen by the callback.
	fullEvents atomic.Uint64
	// notify, if set, is told about each ENOSPC (after the ballast is gone).
	notify atomic.Pointer[func()]
}

// onDiskFull is vfs.OnDiskFull's callback: every write to the file system
// waits while it runs, so it only deletes the file.
func (b *ballast) onDiskFull() {
	b.fullEvents.Add(1)
	b.mu.Lock()
	// Whatever is there, even a ballast of an older size.
	_ = b.fs.Remove(b.path)
	b.present.Store(false)
	b.mu.Unlock()
	if fn := b.notify.Load(); fn != nil {
		(*fn)()
	}
}

// restore creates the ballast at its size if it is missing and the file
// system has at least twice that much available, so that creating it never
// takes the last free bytes. It reports whether the ballast is in place.
func (b *ballast) restore() (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.size == 0 {
		return false, nil
	}
	if b.present.Load() {
		return true, nil
	}
	if fi, err := b.fs.Stat(b.path); err == nil {
		if fi.Size() == b.size {
			// Left by an earlier run.
			b.present.Store(true)
			return true, nil
		}
		// Of another size (disk-reserve changed between runs): its space
		// counts as free for the new one.
		if err := b.fs.Remove(b.path); err != nil {
			return false, fmt.Errorf("storage: remove %s: %w", b.path, err)
		}
	}
	du, err := b.fs.GetDiskUsage(b.fs.PathDir(b.path))
	if err != nil {
		return false, fmt.Errorf("storage: disk usage of %s: %w", b.fs.PathDir(b.path), err)
	}
	if du.AvailBytes < 2*uint64(b.size) {
		return false, nil
	}
	if err := writeBallast(b.fs, b.path, b.size); err != nil {
		_ = b.fs.Remove(b.path)
		return false, err
	}
	b.present.Store(true)
	return true, nil
}

// resize sets the wanted size, deleting a ballast of another size (restore
// makes the new one).
func (b *ballast) resize(size int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if size == b.size {
		return nil
	}
	b.size = size
	b.present.Store(false)
	if _, err := b.fs.Stat(b.path); err != nil {
		return nil // none to delete
	}
	if err := b.fs.Remove(b.path); err != nil {
		return fmt.Errorf("storage: remove %s: %w", b.path, err)
	}
	return nil
}

// writeBallast creates path with size bytes of allocated space: fallocate
// where the file system has it, zeros otherwise, then syncs it so the space
// is really taken.
func writeBallast(fs vfs.FS, path string, size int64) error {
	tmp := path + ".tmp"
	f, err := fs.Create(tmp, vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("storage: create %s: %w", tmp, err)
	}
	err = allocate(f, size)
	if errors.Is(err, errors.ErrUnsupported) {
		err = writeZeros(f, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fs.Rename(tmp, path)
	}
	if err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("storage: write ballast %s: %w", path, err)
	}
	return nil
}

func writeZeros(f vfs.File, size int64) error {
	zeros := make([]byte, 1<<20)
	for size > 0 {
		n := min(size, int64(len(zeros)))
		if _, err := f.Write(zeros[:n]); err != nil {
			return err
		}
		size -= n
	}
	return nil
}

// DiskSpace implements storage.DiskGuarded.
func (s *Store) DiskSpace() (avail, total uint64, err error) {
	du, err := s.ballast.fs.GetDiskUsage(s.dir)
	if err != nil {
		return 0, 0, fmt.Errorf("storage: disk usage of %s: %w", s.dir, err)
	}
	return du.AvailBytes, du.TotalBytes, nil
}

// DiskFullEvents implements storage.DiskGuarded.
func (s *Store) DiskFullEvents() uint64 { return s.ballast.fullEvents.Load() }

// Ballast implements storage.DiskGuarded.
func (s *Store) Ballast() (size int64, present bool) {
	s.ballast.mu.Lock()
	size = s.ballast.size
	s.ballast.mu.Unlock()
	return size, s.ballast.present.Load()
}

// RestoreBallast implements storage.DiskGuarded.
func (s *Store) RestoreBallast() (bool, error) { return s.ballast.restore() }

// SetBallast implements storage.DiskGuarded.
func (s *Store) SetBallast(size int64) error {
	if size < 0 {
		return fmt.Errorf("storage: negative ballast size %d", size)
	}
	return s.ballast.resize(size)
}

// OnDiskFull implements storage.DiskGuarded.
func (s *Store) OnDiskFull(fn func()) { s.ballast.notify.Store(&fn) }
