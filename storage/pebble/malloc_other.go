//go:build !(cgo && linux)

package pebble

// ReleaseMemory implements storage.MemoryReleaser. Without cgo, Pebble's
// block cache and memtables live in the Go heap, which the caller
// releases.
func (s *Store) ReleaseMemory() {}
