package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestFDBudget(t *testing.T) {
	for _, tc := range []struct {
		limit           uint64
		loops           int
		pebble, clients int
	}{
		{1 << 20, 1, 4096, 1<<20 - 66 - 4096}, // systemd's default hard limit
		{1 << 62, 1, 4096, 1<<30 - 66 - 4096}, // unlimited
		{65536, 4, 4096, 65536 - 72 - 4096},
		{1024, 1, 239, 719},
		{1024, 128, 176, 528},
		{256, 1, 64, 126},
		{131, 1, 64, 1},
		{130, 1, 64, 0}, // too few to run
		{10, 1, 64, -120},
	} {
		p, c := fdBudget(tc.limit, tc.loops)
		if p != tc.pebble || c != tc.clients {
			t.Errorf("fdBudget(%d) = %d, %d; want %d, %d", tc.limit, p, c, tc.pebble, tc.clients)
		}
	}
}

// TestClientFloodPastOpenFileLimit: under `ulimit -n 256` maxclients is cut
// to what the limit allows (as Redis cuts it, with its log lines), and 300
// connections get the connections past it refused with Redis's error while
// the server goes on. Before, accept hit EMFILE, which shuts gnet's engine
// down: every connection and the listener were gone.
func TestClientFloodPastOpenFileLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server (not in -short)")
	}
	dir := t.TempDir()
	port := freePort(t)
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("sh", "-c", `ulimit -n 256 || exit 77; exec "$0" "$@"`, binPath, "server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "")
	done := spawn(t, cmd, logf)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			conns = append(conns, c)
			break
		}
		select {
		case <-done:
			if cmd.ProcessState.ExitCode() == 77 {
				t.Skip("cannot set ulimit -n 256 here")
			}
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("server exited at start:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("server did not start: %v\n%s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 299 {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("connect %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	_, clients := fdBudget(256, 1)
	served, refused := 0, 0
	for i, c := range conns {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			refused++ // closed after the refusal
			continue
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		switch {
		case line == "+PONG\r\n":
			served++
		case line == "-ERR max number of clients reached\r\n", err != nil:
			refused++
		default:
			t.Fatalf("connection %d: %q %v", i, line, err)
		}
	}
	if served != clients || refused != len(conns)-clients {
		t.Errorf("%d served and %d refused, want %d and %d", served, refused, clients, len(conns)-clients)
	}
	// Still serving, with maxclients cut to the limit.
	for _, c := range conns[clients:] {
		c.Close()
	}
	conns = conns[:clients]
	rc := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
	defer rc.Close()
	ctx := context.Background()
	var got map[string]string
	for deadline := time.Now().Add(5 * time.Second); ; {
		// The refused connections are closed; a pooled one may not be free yet.
		got, err = rc.ConfigGet(ctx, "maxclients").Result()
		if err == nil || time.Now().After(deadline) {
			break
		}
		conns[len(conns)-1].Close()
		conns = conns[:len(conns)-1]
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after the flood: %v", err)
	}
	if want := strconv.Itoa(clients); got["maxclients"] != want {
		t.Errorf("CONFIG GET maxclients = %v, want %s", got, want)
	}
	if err := rc.ConfigSet(ctx, "maxclients", "10000").Err(); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("The operating system is not able to handle the specified number of clients, try with %d", clients)) {
		t.Errorf("CONFIG SET maxclients 10000 under ulimit 256: %v", err)
	}
	out, _ := os.ReadFile(logf.Name())
	if !strings.Contains(string(out), fmt.Sprintf("maxclients has been reduced to %d", clients)) {
		t.Errorf("the log does not say maxclients was reduced:\n%s", out)
	}
}
