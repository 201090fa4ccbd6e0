package daemon

import "syscall"

// diffRedisAttr makes a redis-server started by a test die with the test
// process: a run killed by -test.timeout runs no cleanup, and would leave
// its server behind.
func diffRedisAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
