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
