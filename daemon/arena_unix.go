//go:build unix

package daemon

import "golang.org/x/sys/unix"

// mapArena returns n bytes of anonymous memory outside the Go heap, and
// a function that unmaps it. Nothing in it may point into the Go heap.
// The collector neither scans it nor counts it toward its heap goal, so
// a bulk load's arena does not double the heap the runtime lets grow.
func mapArena(n int) ([]byte, func()) {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return make([]byte, n), func() {}
	}
	return b, func() { _ = unix.Munmap(b) }
}
