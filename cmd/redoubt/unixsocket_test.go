package main

import (
	"bytes"
	"context"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// unixClient is a go-redis client of the server's Unix socket.
func unixClient(t *testing.T, sock string) *redis.Client {
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: sock, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestUnixSocket: with unixsocket set the server listens on the socket as
// well as on TCP, with the mode unixsocketperm asks; its clients show as
// Redis shows them (addr and laddr the path with port 0, flag U, MONITOR's
// "unix:" prefix) and count as local; and a socket file a killed server
// left behind is replaced at the next start.
func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "redoubt.sock")
	s := startServer(t, dir, "--unixsocket", sock, "--unixsocketperm", "750",
		"--enable-debug-command", "local", "--appendfsync", "always")
	// As Redis, the mode is set right after the socket listens (and TCP
	// may have been ready before).
	for deadline := time.Now().Add(5 * time.Second); ; {
		fi, err := os.Lstat(sock)
		if err == nil && fi.Mode().Type() == fs.ModeSocket && fi.Mode().Perm() == 0o750 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("socket %v %v, want a socket with mode 0750", fi, err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	ctx := context.Background()
	mon := dialRaw(t, s.addr())
	if got := mon.do(t, "MONITOR").String(); got != "OK" {
		t.Fatalf("MONITOR: %s", got)
	}
	c := unixClient(t, sock)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	l := mon.line(t)
	for !strings.Contains(l, `"set"`) { // go-redis's HELLO comes first
		l = mon.line(t)
	}
	if !strings.Contains(l, "[0 unix:"+sock+`] "set" "k" "v"`) {
		t.Errorf("MONITOR line %q", l)
	}
	info, err := c.ClientInfo(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if info.Addr != sock+":0" || info.LAddr != sock+":0" || info.Flags&redis.ClientUnixSocket == 0 {
		t.Errorf("CLIENT INFO addr %q laddr %q flags %v, want the socket's path with port 0 and flag U", info.Addr, info.LAddr, info.Flags)
	}
	// enable-debug-command local: a Unix socket client is local.
	if err := c.Do(ctx, "DEBUG", "SLEEP", "0").Err(); err != nil {
		t.Errorf("DEBUG over the Unix socket: %v", err)
	}
	if v, err := c.ConfigGet(ctx, "unixsocket*").Result(); err != nil || v["unixsocket"] != sock || v["unixsocketperm"] != "750" {
		t.Errorf("CONFIG GET unixsocket*: %v %v", v, err)
	}
	out, err := exec.Command("redis-cli", "-s", sock, "GET", "k").CombinedOutput()
	if err != nil || string(bytes.TrimSpace(out)) != "v" {
		t.Errorf("redis-cli -s: %q %v", out, err)
	}

	// kill -9 leaves the socket file; the next start replaces it.
	s.kill()
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("the killed server's socket: %v", err)
	}
	s.start()
	if v, err := unixClient(t, sock).Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET over the socket after a restart: %q %v", v, err)
	}
	// A clean exit removes it.
	s.stop()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket after SIGTERM: %v", err)
	}
}

// With port 0 the Unix socket is the only way in.
func TestUnixSocketOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server (not in -short)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "r.sock")
	cmd := exec.Command(binPath, "server", "--port", "0", "--dir", dir, "--unixsocket", sock)
	var log bytes.Buffer
	spawn(t, cmd, &log)
	ctx := context.Background()
	c := unixClient(t, sock)
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("no PING over the socket; log:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v, err := c.ConfigGet(ctx, "port").Result(); err != nil || v["port"] != "0" {
		t.Errorf("CONFIG GET port: %v %v", v, err)
	}
}

// What is at the path decides whether the server may take it: a stale
// socket yes; a file, a directory or a live server's socket no, with an
// error naming the path, and nothing of it removed.
func TestUnixSocketPathRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server (not in -short)")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(dir, "live.sock")
	l, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct{ path, want string }{
		{file, "the path exists and is not a socket"},
		{sub, "the path exists and is not a socket"},
		{live, "a server is listening on it"},
		{"/" + strings.Repeat("x", 120), "the path is 121 bytes, the limit is 107"},
	} {
		out, err := exec.Command(binPath, "server", "--port", "0", "--dir", t.TempDir(), "--unixsocket", tc.path).CombinedOutput()
		if err == nil {
			t.Errorf("%s: the server started", tc.path)
			continue
		}
		if !strings.Contains(string(out), "could not create server Unix socket "+tc.path+": "+tc.want) {
			t.Errorf("%s: output %q lacks %q", tc.path, out, tc.want)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Errorf("the file at the path: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(sub, "inner")); err != nil {
		t.Errorf("the directory at the path: %v", err)
	}
	out, err := exec.Command(binPath, "server", "--port", "0", "--dir", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "configured to not listen anywhere") {
		t.Errorf("port 0 without a socket: %v %q", err, out)
	}
}

// TestSIGTERMAtStart: a SIGTERM that comes as soon as the server answers
// on TCP, while its other listeners may still be starting, shuts it down
// cleanly (exit 0), as one that comes later does.
func TestSIGTERMAtStart(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, "--unixsocket", filepath.Join(dir, "redoubt.sock"), "--unixsocketperm", "700")
	s.stop()
	for range 10 {
		s.start()
		s.stop()
	}
}
