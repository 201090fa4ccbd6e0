package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Environment records what the figures were measured on, so two reports can be compared
// only when they should be.
type Environment struct {
	Date           string `json:"date"` // RFC 3339, UTC
	RedisServer    string `json:"redis_server"`
	RedisBenchmark string `json:"redis_benchmark"`
	Redoubt        string `json:"redoubt"`
	Go             string `json:"go"` // the toolchain that built the harness
	Kernel         string `json:"kernel"`
	OS             string `json:"os"`
	CPUModel       string `json:"cpu_model"`
	CPUs           int    `json:"cpus"`
	MemTotal       string `json:"mem_total"`
	// DataDisk is the file system under the servers' data directories (os.TempDir): the
	// fsync rows depend on it.
	DataDisk  string `json:"data_disk,omitempty"`
	GitCommit string `json:"git_commit,omitempty"`
	// LoadAvgStart and LoadAvgEnd are /proc/loadavg's 1, 5 and 15 minute figures before and
	// after the run. A machine busy before the run starts makes every figure noisier; the
	// end figures include the benchmark's own load.
	LoadAvgStart string `json:"loadavg_start"`
	LoadAvgEnd   string `json:"loadavg_end,omitempty"`
}

// CollectEnvironment asks each tool for its version and reads the rest from /proc. A
// question that fails leaves "unknown": a missing figure must not stop a benchmark.
func CollectEnvironment(ctx context.Context, now time.Time, redoubt, redis System, redisBenchmark string) Environment {
	return Environment{
		Date:           now.UTC().Format(time.RFC3339),
		RedisServer:    commandOutput(ctx, redis.Path, redis.versionArgs()...),
		RedisBenchmark: commandOutput(ctx, redisBenchmark, "--version"),
		Redoubt:        commandOutput(ctx, redoubt.Path, redoubt.versionArgs()...),
		Go:             runtime.Version(),
		Kernel:         firstLine(readFile("/proc/sys/kernel/osrelease")),
		OS:             osRelease(),
		CPUModel:       procField("/proc/cpuinfo", "model name"),
		CPUs:           runtime.NumCPU(),
		MemTotal:       procField("/proc/meminfo", "MemTotal"),
		DataDisk:       mountOf(os.TempDir()),
		GitCommit:      gitCommit(ctx),
		LoadAvgStart:   loadAvg(),
	}
}

func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// busyBefore reports whether other work kept at least one CPU busy, on average over the
// last minute, before the run started.
func (e Environment) busyBefore() bool {
	f := strings.Fields(e.LoadAvgStart)
	if len(f) == 0 {
		return false
	}
	one, err := strconv.ParseFloat(f[0], 64)
	return err == nil && one >= 1
}

func commandOutput(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return firstLine(string(out))
}

func gitCommit(ctx context.Context) string {
	commit := commandOutput(ctx, "git", "rev-parse", "--short=12", "HEAD")
	if commit == "unknown" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
		commit += "-dirty"
	}
	return commit
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if s = strings.TrimSpace(s); s == "" {
		return "unknown"
	}
	return s
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(path, key string) string {
	sc := bufio.NewScanner(strings.NewReader(readFile(path)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func osRelease() string {
	for _, line := range strings.Split(readFile("/etc/os-release"), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "unknown"
}

// mountOf describes the file system that holds path, from /proc/mounts: the mount whose
// mount point is the longest prefix of path.
func mountOf(path string) string {
	path, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	best, bestLen := "", -1
	for _, line := range strings.Split(readFile("/proc/mounts"), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		dev, point, fstype := f[0], f[1], f[2]
		inside := point == "/" || path == point || strings.HasPrefix(path, point+"/")
		if inside && len(point) > bestLen {
			best, bestLen = fmt.Sprintf("%s: %s on %s", path, fstype, dev), len(point)
		}
	}
	return best
}
