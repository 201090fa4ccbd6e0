package main

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/pebble"
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

// TestNewerStoreFormatRefused: a data directory stamped by a newer build
// (a store format this one does not know) is refused at start with a
// message that says so, and left as it was; with the format it knows, the
// same directory starts and serves its data.
func TestNewerStoreFormatRefused(t *testing.T) {
	srv := startServer(t, "", "--save", "")
	ctx := context.Background()
	if err := srv.client().Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.stop()

	key := storage.ServerKey(nil, "format")
	setFormat := func(v []byte) (old []byte) {
		t.Helper()
		st, err := pebble.Open(pebble.Options{Dir: filepath.Join(srv.dir, "keyspace")})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		old, ok, err := st.Get(nil, key)
		if err != nil || !ok {
			t.Fatalf("format record: %q, found %v, %v", old, ok, err)
		}
		b := st.NewBatch()
		defer b.Close()
		if err := b.Set(key, v); err != nil {
			t.Fatal(err)
		}
		if err := st.Commit(b, true); err != nil {
			t.Fatal(err)
		}
		return old
	}
	known := setFormat([]byte{0, 0, 0, 99})

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, binPath, "server", "--bind", "127.0.0.1", "--port", strconv.Itoa(freePort(t)),
		"--dir", srv.dir, "--save", "").CombinedOutput()
	var ee *exec.ExitError
	if want := "written by a newer Redoubt (store format 99"; !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), want) {
		t.Fatalf("start on a newer store: %v, output:\n%s\nwant exit 1 and %q", err, out, want)
	}

	if old := setFormat(known); string(old) != "\x00\x00\x00\x63" {
		t.Fatalf("the refused start changed the format record to %q", old)
	}
	srv.start()
	if v, err := srv.client().Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("GET k after the refusal: %q, %v", v, err)
	}
}
