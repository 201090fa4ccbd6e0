package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Settling before every run keeps one system's after-effects off the other's figures: Redis
// fsyncs its AOF in a background thread and forks for AOF rewrites, Pebble flushes and
// compacts in the background, and the kernel writes dirty pages back late. Measured
// runs alternate between systems, so without this the first system's leftover work would
// be charged to the second.
const (
	// DefaultSettleWindow is the window settle watches a server's CPU time over.
	DefaultSettleWindow = 200 * time.Millisecond
	// settleIdleShare is the share of a core a process may use and still count as idle
	// over a window: a tenth, above a server's timers (20 ms in 200 ms).
	settleIdleShare = 0.1
	syncTimeout     = 10 * time.Second
)

// settle waits until every process of deps (and their children, such as Redis's rewrite
// fork) is idle for one window, or until maxWait, then flushes dirty pages with sync(2).
// It returns how long it waited and whether the processes went idle.
func settle(ctx context.Context, deps []Deployment, maxWait, window time.Duration) (time.Duration, bool) {
	start := time.Now()
	var pids []int
	for _, d := range deps {
		if d != nil {
			pids = append(pids, d.Pids()...)
		}
	}
	// CPU time is counted in clock ticks of 10 ms (USER_HZ is 100 on Linux).
	idleTicks := int64(max(1, settleIdleShare*window.Seconds()*100))
	idle := false
	prev := cpuTicks(pids)
	for time.Since(start) < maxWait {
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-time.After(window):
		}
		cur := cpuTicks(pids)
		if cur-prev <= idleTicks {
			idle = true
			break
		}
		prev = cur
	}
	syncWithTimeout(syncTimeout)
	return time.Since(start), idle
}

// syncWithTimeout calls sync(2) but does not wait past timeout: other work on the machine
// may have gigabytes to write back, and a benchmark must not hang on that.
func syncWithTimeout(timeout time.Duration) {
	done := make(chan struct{})
	go func() {
		syscall.Sync()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}

// cpuTicks sums user and system CPU time of pids and all their descendants. A process
// that vanished counts 0: its time is no longer anyone's load.
func cpuTicks(pids []int) int64 {
	var total int64
	seen := make(map[int]bool)
	var visit func(pid int)
	visit = func(pid int) {
		if seen[pid] {
			return
		}
		seen[pid] = true
		if t, err := procCPUTicks(pid); err == nil {
			total += t
		}
		for _, child := range procChildren(pid) {
			visit(child)
		}
	}
	for _, pid := range pids {
		visit(pid)
	}
	return total
}

// procCPUTicks reads utime+stime (fields 14 and 15) of /proc/<pid>/stat, which cover all
// threads of the process. The command name in field 2 may hold spaces and parentheses,
// so fields are counted after its closing parenthesis.
func procCPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatTicks(string(b))
}

func parseStatTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat %q", stat)
	}
	fields := strings.Fields(stat[i+1:])
	// fields[0] is field 3 (state), so field n is fields[n-3].
	if len(fields) < 13 {
		return 0, fmt.Errorf("malformed stat %q", stat)
	}
	utime, err := strconv.ParseInt(fields[14-3], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(fields[15-3], 10, 64)
	if err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// procChildren lists the children of every thread of pid; empty where the kernel lacks
// /proc/<pid>/task/<tid>/children.
func procChildren(pid int) []int {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil
	}
	var children []int
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				children = append(children, c)
			}
		}
	}
	return children
}
