package daemon

import (
	"bytes"
	"os"
	"path"
	"strconv"
)

// availableMemory is what the process may still allocate before the OOM
// killer steps in: /proc/meminfo's MemAvailable, or less when its memory
// cgroup (v2 memory.max, or v1 memory.limit_in_bytes) leaves less.
func availableMemory() (uint64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	avail, ok := meminfoAvailable(b)
	if !ok {
		return 0, false
	}
	if cg, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, f := range cgroupLimitFiles(cg) {
			limit, err1 := readUint(f.limit)
			usage, err2 := readUint(f.usage)
			if err1 != nil || err2 != nil {
				continue
			}
			// Like the kubelet's working set: inactive file pages are page
			// cache the kernel reclaims before it kills anything, and a
			// store that reads its files fills the cgroup with them.
			if stat, err := os.ReadFile(path.Join(path.Dir(f.limit), "memory.stat")); err == nil {
				usage -= min(usage, inactiveFile(stat))
			}
			left := uint64(0)
			if limit > usage {
				left = limit - usage
			}
			avail = min(avail, left)
			break
		}
	}
	return avail, true
}

// meminfoAvailable parses MemAvailable (kB) out of /proc/meminfo.
func meminfoAvailable(b []byte) (uint64, bool) {
	for line := range bytes.Lines(b) {
		if rest, found := bytes.CutPrefix(line, []byte("MemAvailable:")); found {
			f := bytes.Fields(rest)
			if len(f) >= 1 {
				if kb, err := strconv.ParseUint(string(f[0]), 10, 64); err == nil {
					return kb << 10, true
				}
			}
		}
	}
	return 0, false
}

type cgroupFiles struct{ limit, usage string }

// cgroupLimitFiles lists where the limit and usage of the process's memory
// cgroup may be read, from /proc/self/cgroup: the cgroup's own files, then
// the mount's root (inside a container the path may not exist there). v1
// comes first: a hybrid system lists an empty v2 line too.
func cgroupLimitFiles(procCgroup []byte) []cgroupFiles {
	var v1, v2 []cgroupFiles
	for line := range bytes.Lines(procCgroup) {
		parts := bytes.SplitN(bytes.TrimSpace(line), []byte(":"), 3)
		if len(parts) != 3 {
			continue
		}
		p := string(parts[2])
		switch {
		case string(parts[0]) == "0" && len(parts[1]) == 0:
			for _, dir := range []string{path.Join("/sys/fs/cgroup", p), "/sys/fs/cgroup"} {
				v2 = append(v2, cgroupFiles{dir + "/memory.max", dir + "/memory.current"})
			}
		case bytes.Contains(parts[1], []byte("memory")):
			for _, dir := range []string{path.Join("/sys/fs/cgroup/memory", p), "/sys/fs/cgroup/memory"} {
				v1 = append(v1, cgroupFiles{dir + "/memory.limit_in_bytes", dir + "/memory.usage_in_bytes"})
			}
		}
	}
	return append(v1, v2...)
}

// readUint reads a number from a cgroup file; "max" (no limit) is an error.
func readUint(name string) (uint64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
}

// inactiveFile reads the inactive page cache out of a cgroup's memory.stat:
// total_inactive_file (v1, with descendants), else inactive_file.
func inactiveFile(stat []byte) uint64 {
	var own, total uint64
	for line := range bytes.Lines(stat) {
		f := bytes.Fields(line)
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseUint(string(f[1]), 10, 64)
		if err != nil {
			continue
		}
		switch string(f[0]) {
		case "total_inactive_file":
			total = n
		case "inactive_file":
			own = n
		}
	}
	if total > 0 {
		return total
	}
	return own
}
