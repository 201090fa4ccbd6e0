package main

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignals: SIGHUP is ignored, as Redis ignores it (it used to kill the
// server outright); SIGTERM shuts it down cleanly (server.stop checks the
// exit code).
func TestSignals(t *testing.T) {
	srv := startServer(t, "", "--save", "")
	c := srv.client()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case <-srv.done:
		t.Fatal("the server exited on SIGHUP")
	default:
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET after SIGHUP: %q %v", v, err)
	}
	srv.stop()
}

// TestStartupConflicts: a second server on a data directory in use, or on
// a port in use, exits at once with a message that says so.
func TestStartupConflicts(t *testing.T) {
	srv := startServer(t, "", "--save", "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"same dir", []string{"--port", strconv.Itoa(freePort(t)), "--dir", srv.dir}, "is in use by another process"},
		{"same port", []string{"--port", strconv.Itoa(srv.port), "--dir", t.TempDir()}, "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"server", "--bind", "127.0.0.1", "--save", ""}, tc.args...)
			out, err := exec.CommandContext(ctx, binPath, args...).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), tc.want) {
				t.Errorf("second server: %v, output:\n%s\nwant exit 1 and %q", err, out, tc.want)
			}
		})
	}
	if err := srv.client().Ping(context.Background()).Err(); err != nil {
		t.Errorf("the first server after the conflicts: %v", err)
	}
}
