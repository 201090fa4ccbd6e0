package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSupervisedSystemd: under systemd (here "auto", which finds
// NOTIFY_SOCKET) the server reports loading, then READY=1 once it accepts
// connections, INFO says so, and a shutdown sends STOPPING=1 and the
// final save's status, in that order, as redis-server does.
func TestSupervisedSystemd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server (not in -short)")
	}
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "notify")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	port := freePort(t)
	cmd := exec.Command(binPath, "server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--supervised", "auto", "--save", "3600 1")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sockPath)
	var out bytes.Buffer
	done := spawn(t, cmd, &out)
	next := func() string {
		t.Helper()
		buf := make([]byte, 4096)
		_ = sock.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := sock.Read(buf)
		if err != nil {
			t.Fatalf("no notification (%v); server output:\n%s", err, out.String())
		}
		return string(buf[:n])
	}
	for _, want := range []string{"STATUS=Redoubt is loading...\n", "STATUS=Ready to accept connections\n", "READY=1\n"} {
		if got := next(); got != want {
			t.Fatalf("notification %q, want %q", got, want)
		}
	}
	// READY=1 comes once clients can connect.
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), DisableIdentity: true})
	defer c.Close()
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil || !strings.Contains(info, "process_supervised:systemd\r\n") {
		t.Errorf("INFO server: %v, process_supervised not systemd:\n%s", err, info)
	}
	if err := c.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STOPPING=1\n", "STATUS=Saving the final RDB snapshot\n"} {
		if got := next(); got != want {
			t.Fatalf("notification %q, want %q", got, want)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

// Without NOTIFY_SOCKET, "systemd" is logged and left off, as in Redis.
func TestSupervisedSystemdWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "") // the server inherits the test's environment
	s := startServer(t, "", "--supervised", "systemd")
	info, err := s.client().Info(context.Background(), "server").Result()
	if err != nil || !strings.Contains(info, "process_supervised:no\r\n") {
		t.Errorf("INFO server: %v\n%s", err, info)
	}
}
