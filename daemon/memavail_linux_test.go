package daemon

import (
	"strings"
	"testing"
)

func TestCgroupLimitFiles(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0::/user.slice/x.scope\n", "/sys/fs/cgroup/user.slice/x.scope/memory.max /sys/fs/cgroup/memory.max"},
		{"0::/\n", "/sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.max"},
		{"9:name=systemd:/\n4:memory:/process_api/c0\n1:cpu:/\n0::/\n",
			"/sys/fs/cgroup/memory/process_api/c0/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.max"},
		{"garbage\n", ""},
	} {
		var got []string
		for _, f := range cgroupLimitFiles([]byte(tc.in)) {
			got = append(got, f.limit)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	if n, ok := meminfoAvailable([]byte("MemTotal: 100 kB\nMemAvailable:    2048 kB\n")); !ok || n != 2<<20 {
		t.Errorf("meminfoAvailable = %d %v", n, ok)
	}
}

func TestInactiveFile(t *testing.T) {
	v1 := "cache 100\ninactive_file 10\nactive_file 90\ntotal_inactive_file 30\n"
	v2 := "anon 5\nfile 100\nactive_file 60\ninactive_file 40\n"
	if got := inactiveFile([]byte(v1)); got != 30 {
		t.Errorf("v1: %d, want 30", got)
	}
	if got := inactiveFile([]byte(v2)); got != 40 {
		t.Errorf("v2: %d, want 40", got)
	}
	if got := inactiveFile([]byte("garbage\n")); got != 0 {
		t.Errorf("garbage: %d", got)
	}
}
