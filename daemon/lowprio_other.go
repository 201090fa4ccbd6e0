//go:build !linux

package daemon

// lowerThreadPriority is a no-op where a thread's priority cannot be set
// on its own.
func lowerThreadPriority() {}
