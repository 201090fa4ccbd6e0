//go:build !linux

package daemon

import "syscall"

// diffRedisAttr: see the Linux version; elsewhere a killed run may leave
// its redis-server behind.
func diffRedisAttr() *syscall.SysProcAttr { return nil }
