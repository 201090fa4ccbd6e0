package daemon

import (
	"bytes"
	"os"
	"strconv"
)

// availableMemory is what the process may still allocate before the
// kernel's OOM killer steps in: /proc/meminfo's MemAvailable, or less when
// a cgroup (v2) limit leaves less.
func availableMemory() (uint64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	avail, ok := uint64(0), false
	for line := range bytes.Lines(b) {
		if rest, found := bytes.CutPrefix(line, []byte("MemAvailable:")); found {
			f := bytes.Fields(rest)
			if len(f) >= 1 {
				if kb, err := strconv.ParseUint(string(f[0]), 10, 64); err == nil {
					avail, ok = kb<<10, true
				}
			}
			break
		}
	}
	if !ok {
		return 0, false
	}
	max, err1 := os.ReadFile("/sys/fs/cgroup/memory.max")
	cur, err2 := os.ReadFile("/sys/fs/cgroup/memory.current")
	if err1 == nil && err2 == nil {
		m, errm := strconv.ParseUint(string(bytes.TrimSpace(max)), 10, 64) // "max": no limit
		c, errc := strconv.ParseUint(string(bytes.TrimSpace(cur)), 10, 64)
		if errm == nil && errc == nil {
			left := uint64(0)
			if m > c {
				left = m - c
			}
			avail = min(avail, left)
		}
	}
	return avail, true
}
