package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRelativePathsAreInDir: like Redis, the server works in its data
// directory, so relative aclfile, logfile and pidfile name files there,
// and CONFIG GET dir shows the directory as an absolute path.
func TestRelativePathsAreInDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "users.acl", "user alice on >alicepw ~* +@all\nuser default on nopass ~* +@all\n")
	s := startServer(t, dir, "--aclfile", "users.acl", "--logfile", "own.log", "--pidfile", "redoubt.pid")
	ctx := context.Background()
	alice := s.client(func(o *redis.Options) { o.Username, o.Password = "alice", "alicepw" })
	if err := alice.Ping(ctx).Err(); err != nil {
		t.Fatalf("alice from the relative aclfile: %v", err)
	}
	got, err := s.client().ConfigGet(ctx, "dir").Result()
	if err != nil {
		t.Fatal(err)
	}
	if got["dir"] != dir {
		t.Errorf("CONFIG GET dir = %q, want %q", got["dir"], dir)
	}
	pid, err := os.ReadFile(filepath.Join(dir, "redoubt.pid"))
	if err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(s.cmd.Process.Pid) {
		t.Errorf("pidfile in dir: %q, %v; server pid %d", pid, err, s.cmd.Process.Pid)
	}
	s.stop()
	log, err := os.ReadFile(filepath.Join(dir, "own.log"))
	if err != nil || !strings.Contains(string(log), "Ready to accept connections") {
		t.Errorf("logfile in dir: %v\n%s", err, log)
	}
}

// TestLogsToStdout: with logfile "" (the default) the log goes to standard
// output, as Redis's does; standard error stays for errors before the log
// exists.
func TestLogsToStdout(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server (not in -short)")
	}
	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(binPath, "server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr // read only after Wait
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), DisableIdentity: true})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if !strings.Contains(stdout.String(), "Ready to accept connections") {
		t.Errorf("standard output has no log:\n%s", stdout.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("standard error:\n%s", stderr.String())
	}
}
