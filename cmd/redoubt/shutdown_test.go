package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis 7.0's shutdown waits for lagging replicas (shutdown-timeout) with
// writes paused, for SHUTDOWN and for SIGTERM/SIGINT alike, so a planned
// restart of a primary loses nothing its replicas could still get. These
// tests run the same scenarios against a redis-server pair and a Redoubt
// pair and compare what clients and the processes did.

// shutdownPair is a primary and its replica, of either system, with a
// client of the primary.
type shutdownPair struct {
	primary, replica string
	primaryCmd       *exec.Cmd
	primaryDone      chan struct{}
	replicaPID       int
	mc               *redis.Client
}

// lag stops the replica (until the test ends, unless continued sooner)
// and writes k on the primary, which the replica then lacks.
func (p shutdownPair) lag(t *testing.T) string {
	t.Helper()
	sendSignal(t, p.replicaPID, syscall.SIGSTOP)
	t.Cleanup(func() { _ = syscall.Kill(p.replicaPID, syscall.SIGCONT) })
	// kill returns before the process stops: a replica still running
	// (on a busy machine) could take the write and acknowledge it, and
	// the primary would then shut down at once.
	waitStopped(t, p.replicaPID)
	return "SET " + p.mc.Set(context.Background(), "k", "v", 0).Val()
}

// waitStopped waits until the process is in the stopped state
// (/proc/PID/stat's state T).
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		// pid (comm) state ...: comm may hold spaces, so look after
		// its closing parenthesis.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'T' {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not stop: %s", pid, stat)
		}
	}
}

// replicaHas reads k on the replica.
func (p shutdownPair) replicaHas(t *testing.T) string {
	rc := redis.NewClient(&redis.Options{Addr: p.replica, DisableIdentity: true})
	defer rc.Close()
	return "replica has k=" + rc.Get(context.Background(), "k").Val()
}

func startShutdownPair(t *testing.T, system string) shutdownPair {
	t.Helper()
	ctx := context.Background()
	var p shutdownPair
	var port int
	if system == "redis" {
		m := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0")
		r := startRedisArgs(t, t.TempDir())
		p = shutdownPair{primary: m.addr(), replica: r.addr(), primaryCmd: m.cmd, primaryDone: m.done, replicaPID: r.cmd.Process.Pid}
		port = m.port
	} else {
		m := startServer(t, "", "--repl-diskless-sync-delay", "0", "--save", "")
		r := startServer(t, "", "--save", "")
		p = shutdownPair{primary: m.addr(), replica: r.addr(), primaryCmd: m.cmd, primaryDone: m.done, replicaPID: r.cmd.Process.Pid}
		port = m.port
	}
	rc := redis.NewClient(&redis.Options{Addr: p.replica, DisableIdentity: true})
	defer rc.Close()
	p.mc = redis.NewClient(&redis.Options{Addr: p.primary, DisableIdentity: true})
	t.Cleanup(func() { p.mc.Close() })
	if err := rc.SlaveOf(ctx, "127.0.0.1", strconv.Itoa(port)).Err(); err != nil {
		t.Fatal(err)
	}
	waitInSync(t, p.mc, rc)
	return p
}

// noReplyYet reports "waiting" when c has no reply within 300 ms, else
// the reply.
func noReplyYet(t *testing.T, c *rawConn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	l, err := c.r.ReadString('\n')
	if err != nil {
		return "waiting"
	}
	return "replied " + strings.TrimSpace(l)
}

// nextReply is c's next reply line, or "closed" when the server closed
// the connection first.
func nextReply(t *testing.T, c *rawConn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	l, err := c.r.ReadString('\n')
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return "closed"
	}
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return strings.TrimSpace(l)
}

// exited says how the primary ended within limit.
func (p shutdownPair) exited(limit time.Duration) string {
	select {
	case <-p.primaryDone:
		return "exited " + strconv.Itoa(p.primaryCmd.ProcessState.ExitCode())
	case <-time.After(limit):
		return "still running"
	}
}

func TestShutdownWaitsForReplicasLikeRedis(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name string
		run  func(t *testing.T, p shutdownPair) []string
	}{
		{"SHUTDOWN waits for a lagging replica", func(t *testing.T, p shutdownPair) []string {
			mc := p.mc
			out := []string{p.lag(t)}
			sd := dialRaw(t, p.primary)
			fmt.Fprintf(sd, "SHUTDOWN\r\n")
			out = append(out, "SHUTDOWN "+noReplyYet(t, sd))
			ms, _ := strconv.Atoi(infoField(t, mc, "server", "shutdown_in_milliseconds"))
			out = append(out, fmt.Sprintf("counting down from 10s: %v", ms > 9000 && ms <= 10000))
			out = append(out, "GET "+mc.Get(ctx, "k").Val())
			w := dialRaw(t, p.primary)
			fmt.Fprintf(w, "SET k2 v2\r\n")
			out = append(out, "write "+noReplyYet(t, w))
			sendSignal(t, p.replicaPID, syscall.SIGCONT)
			out = append(out, p.exited(5*time.Second), "SHUTDOWN "+nextReply(t, sd), "write "+nextReply(t, w))
			return append(out, p.replicaHas(t))
		}},
		{"SHUTDOWN ABORT", func(t *testing.T, p shutdownPair) []string {
			mc := p.mc
			out := []string{p.lag(t)}
			sd := dialRaw(t, p.primary)
			fmt.Fprintf(sd, "SHUTDOWN NOSAVE\r\n")
			out = append(out, "SHUTDOWN "+noReplyYet(t, sd))
			w := dialRaw(t, p.primary)
			fmt.Fprintf(w, "SET k2 v2\r\n")
			out = append(out, "write "+noReplyYet(t, w))
			out = append(out, "SHUTDOWN SAVE ABORT: "+fmt.Sprint(mc.Do(ctx, "SHUTDOWN", "SAVE", "ABORT").Err()))
			out = append(out, "SHUTDOWN ABORT: "+fmt.Sprint(mc.Do(ctx, "SHUTDOWN", "ABORT").Val()))
			out = append(out, "SHUTDOWN "+nextReply(t, sd), "write "+nextReply(t, w))
			out = append(out, "SHUTDOWN ABORT again: "+fmt.Sprint(mc.Do(ctx, "SHUTDOWN", "ABORT").Err()))
			return append(out, p.exited(100*time.Millisecond))
		}},
		{"shutdown-timeout", func(t *testing.T, p shutdownPair) []string {
			out := []string{"CONFIG SET " + p.mc.ConfigSet(ctx, "shutdown-timeout", "1").Val(), p.lag(t)}
			sd := dialRaw(t, p.primary)
			fmt.Fprintf(sd, "SHUTDOWN\r\n")
			out = append(out, "SHUTDOWN "+noReplyYet(t, sd))
			return append(out, p.exited(3*time.Second), "SHUTDOWN "+nextReply(t, sd))
		}},
		{"SIGTERM waits for a lagging replica", func(t *testing.T, p shutdownPair) []string {
			out := []string{p.lag(t)}
			sendSignal(t, p.primaryCmd.Process.Pid, syscall.SIGTERM)
			out = append(out, "after SIGTERM: "+p.exited(300*time.Millisecond))
			sendSignal(t, p.replicaPID, syscall.SIGCONT)
			out = append(out, "replica caught up: "+p.exited(5*time.Second))
			return append(out, p.replicaHas(t))
		}},
		{"shutdown-on-sigterm now", func(t *testing.T, p shutdownPair) []string {
			out := []string{"CONFIG SET " + p.mc.ConfigSet(ctx, "shutdown-on-sigterm", "nosave now").Val(), p.lag(t)}
			sendSignal(t, p.primaryCmd.Process.Pid, syscall.SIGTERM)
			return append(out, "after SIGTERM: "+p.exited(2*time.Second))
		}},
		{"a second SIGINT", func(t *testing.T, p shutdownPair) []string {
			out := []string{p.lag(t)}
			sendSignal(t, p.primaryCmd.Process.Pid, syscall.SIGINT)
			out = append(out, "after SIGINT: "+p.exited(300*time.Millisecond))
			sendSignal(t, p.primaryCmd.Process.Pid, syscall.SIGINT)
			return append(out, "after another: "+p.exited(2*time.Second))
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			want := sc.run(t, startShutdownPair(t, "redis"))
			got := sc.run(t, startShutdownPair(t, "redoubt"))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("redis-server:\n  %s\nredoubt:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
			}
		})
	}
}
