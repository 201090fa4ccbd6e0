package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// mountTmpfs mounts a tmpfs of size MB under a temp dir, or skips the test
// where it cannot (not root, no CAP_SYS_ADMIN in a container).
func mountTmpfs(t *testing.T, sizeMB int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system needs root")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", sizeMB), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	// Registered before the server's cleanup, so it runs after it.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

func resizeTmpfs(t *testing.T, dir string, sizeMB int) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", fmt.Sprintf("remount,size=%dm", sizeMB), dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s: %v %s", dir, err, out)
	}
}

// TestDiskFull fills a real (tmpfs) disk under the server with
// appendfsync always: the server must not die (Pebble panics when its log
// cannot be written), must refuse writes with MISCONF while serving reads,
// must keep every write it acknowledged, through kill -9 too, and must
// take writes again on its own once space is freed.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, 96)
	// A disk of 96 MB holds four memtables of 8 MB, not of 64 (the
	// default), which a restart on the full disk may have to flush.
	srv := startServer(t, dir, "--appendfsync", "always", "--save", "", "--disk-reserve", "8mb", "--memtable-size", "8mb")
	c := srv.client()
	ctx := context.Background()

	// Incompressible values, each made again from its key for checking.
	value := func(key string) string {
		var seed [32]byte
		copy(seed[:], key)
		b := make([]byte, 4096)
		_, _ = rand.NewChaCha8(seed).Read(b)
		return string(b)
	}
	var acked []string
	// fill writes until the server refuses, and returns the refusal.
	fill := func(round int) string {
		t.Helper()
		for i := 0; i < 200; i++ {
			pipe := c.Pipeline()
			cmds := make([]*redis.StatusCmd, 200)
			for j := range cmds {
				k := fmt.Sprintf("k:%d:%d:%d", round, i, j)
				cmds[j] = pipe.Set(ctx, k, value(k), 0)
			}
			_, _ = pipe.Exec(ctx)
			refusal := ""
			for _, cmd := range cmds {
				switch err := cmd.Err(); {
				case err == nil:
					acked = append(acked, cmd.Args()[1].(string))
				case strings.HasPrefix(err.Error(), "MISCONF"):
					refusal = err.Error()
				default:
					t.Fatalf("SET %s: %v", cmd.Args()[1], err)
				}
			}
			if refusal != "" {
				return refusal
			}
		}
		t.Fatalf("%d writes of 4 KB into a 96 MB disk and none refused", len(acked))
		return ""
	}
	refusal := fill(0)
	t.Logf("%d writes acknowledged, then: %s", len(acked), refusal)

	// Alive, reads served, writes and PING refused.
	if err := c.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
		t.Errorf("PING on a full disk: %v, want MISCONF", err)
	}
	if info := c.Info(ctx, "persistence").Val(); !strings.Contains(info, "disk_writes_refused:1") {
		t.Errorf("INFO persistence does not say writes are refused:\n%s", info)
	}
	checkAcked := func(what string) {
		t.Helper()
		for start := 0; start < len(acked); start += 500 {
			keys := acked[start:min(start+500, len(acked))]
			vals, err := c.MGet(ctx, keys...).Result()
			if err != nil {
				t.Fatalf("%s: MGET: %v", what, err)
			}
			for i, v := range vals {
				if v != value(keys[i]) {
					t.Fatalf("%s: acknowledged %s lost or changed", what, keys[i])
				}
			}
		}
	}
	checkAcked("full disk")

	// kill -9 and a restart on the full disk: everything acknowledged is
	// there, and the guard refuses again once the disk is full again (the
	// restart itself may free room: Pebble deletes the logs of what it
	// flushed while replaying them).
	srv.kill()
	srv.start()
	c = srv.client()
	checkAcked("restart on the full disk")
	refusal = fill(1)
	t.Logf("%d writes acknowledged in all, then: %s", len(acked), refusal)

	// Space is freed: writes resume without an operator's command.
	resizeTmpfs(t, dir, 256)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Set(ctx, "after", "x", 0).Err()
		if err == nil {
			break
		}
		if !strings.HasPrefix(err.Error(), "MISCONF") || time.Now().After(deadline) {
			t.Fatalf("SET after space was freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkAcked("after space was freed")
	srv.stop()
}
