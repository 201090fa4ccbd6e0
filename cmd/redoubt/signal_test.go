package main

import (
	"context"
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
