//go:build !linux

package daemon

// availableMemory is unknown off Linux: replies are not capped by it.
func availableMemory() (uint64, bool) { return 0, false }
