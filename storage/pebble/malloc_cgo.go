//go:build cgo && linux

package pebble

/*
#include <malloc.h>
*/
import "C"

// ReleaseMemory implements storage.MemoryReleaser. With cgo, Pebble keeps
// its block cache and memtables in C memory, and glibc keeps what they
// free in its arenas: after a write-heavy run it held about 25 MB of free
// pages (RSS 144 MB against 117 MB once trimmed, 1M small keys).
// malloc_trim returns them.
func (s *Store) ReleaseMemory() {
	C.malloc_trim(0)
}
