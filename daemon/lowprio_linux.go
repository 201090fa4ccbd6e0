package daemon

import "syscall"

// lowerThreadPriority sets the calling thread's nice value to 19. Linux
// applies PRIO_PROCESS with a thread id to that thread alone. Failure
// (a sandbox refusing it) only costs the latency benefit.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
