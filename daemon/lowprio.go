package daemon

import (
	"runtime"
	"sync"
)

// runInBackground runs a long CPU-bound job (an RDB save) so that the
// event loops keep their latency: on a thread of its own at the lowest CPU
// priority (where the OS allows it), and with one more P for the Go
// scheduler while it runs. Without the extra P the job holds one of the
// Ps the event loops run on, and a loop that wakes up waits for Go's 10 ms
// preemption; with it, the OS arbitrates the cores, and it favours the
// loops' threads over the niced one. The thread ends with the job (it is
// never unlocked), so its priority never leaks to other goroutines.
//
// Jobs may overlap (a BGSAVE and full syncs): each adds one P to the current
// setting and takes one back, so it returns to where it was once all end.
func runInBackground(job func()) {
	runtime.LockOSThread()
	lowerThreadPriority()
	background.Lock()
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	background.Unlock()
	defer func() {
		background.Lock()
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) - 1)
		background.Unlock()
	}()
	job()
}

// background serialises the jobs' changes to GOMAXPROCS.
var background sync.Mutex
