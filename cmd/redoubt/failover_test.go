package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// FAILOVER (Redis 6.2+'s coordinated failover): the primary pauses writes,
// waits for a replica to have its whole stream, turns replica of it and
// asks it, with PSYNC ... FAILOVER, to take over. These tests follow Redis's
// own tests/integration/failover.tcl, with Redoubt and redis-server on
// either side.

// failoverState is INFO's master_failover_state.
func failoverState(t *testing.T, c *redis.Client) string {
	t.Helper()
	return infoField(t, c, "replication", "master_failover_state")
}

// waitUntil polls cond for up to 15 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFailoverDone waits until c's failover ended.
func waitFailoverDone(t *testing.T, c *redis.Client) {
	t.Helper()
	waitUntil(t, "the failover ended", func() bool { return failoverState(t, c) == "no-failover" })
}

// waitOnline waits until every replica the primary lists is online: a
// replica may report its link up a moment before its primary has marked
// it online (FAILOVER TO wants it online).
func waitOnline(t *testing.T, primary *redis.Client, replicas int) {
	t.Helper()
	waitUntil(t, "the replicas are online", func() bool {
		for i := range replicas {
			if !strings.Contains(infoField(t, primary, "replication", fmt.Sprintf("slave%d", i)), "state=online") {
				return false
			}
		}
		return true
	})
}

// syncsServed checks how many full and partial syncs c served as primary.
func syncsServed(t *testing.T, what string, c *redis.Client, full, partial string) {
	t.Helper()
	if f, p := infoField(t, c, "stats", "sync_full"), infoField(t, c, "stats", "sync_partial_ok"); f != full || p != partial {
		t.Errorf("%s: sync_full %s, sync_partial_ok %s; want %s and %s", what, f, p, full, partial)
	}
}

// role is ROLE's first element.
func role(t *testing.T, c *redis.Client) string {
	t.Helper()
	v, err := c.Do(context.Background(), "ROLE").Slice()
	if err != nil {
		t.Fatal(err)
	}
	return v[0].(string)
}

// sendSignal stops or continues a process this test started.
func sendSignal(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
}

// writeLoad sets w:<n> on whatever addr() names, a write a millisecond
// (few enough keys for sameKeyspace to compare quickly), until stopped, and
// remembers which writes were acknowledged.
type writeLoad struct {
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	acked []string
	errs  int
}

func startWriteLoad(addr func() string) *writeLoad {
	w := &writeLoad{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		ctx := context.Background()
		var c *redis.Client
		defer func() { c.Close() }()
		for n := 0; ; n++ {
			select {
			case <-w.stop:
				return
			default:
			}
			if a := addr(); c == nil || c.Options().Addr != a {
				if c != nil {
					c.Close()
				}
				c = redis.NewClient(&redis.Options{Addr: a, DisableIdentity: true, MaxRetries: -1})
			}
			key := "w:" + strconv.Itoa(n)
			err := c.Set(ctx, key, n, 0).Err()
			time.Sleep(time.Millisecond)
			w.mu.Lock()
			if err == nil {
				w.acked = append(w.acked, key)
			} else {
				w.errs++
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// end stops the load and checks that every acknowledged write is on the
// server at addr.
func (w *writeLoad) end(t *testing.T, addr string) {
	t.Helper()
	close(w.stop)
	<-w.done
	c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true})
	defer c.Close()
	missing := 0
	for _, k := range w.acked {
		if n, err := c.Exists(context.Background(), k).Result(); err != nil || n != 1 {
			missing++
		}
	}
	if missing > 0 || len(w.acked) == 0 {
		t.Errorf("%d of %d acknowledged writes missing on the new primary (%d refused)", missing, len(w.acked), w.errs)
	}
}

// logCount counts the lines of a server's log that contain text.
func logCount(t *testing.T, path, text string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), text)
}

// TestFailoverRepliesLikeRedis sends the same FAILOVER commands, good and
// bad, to a redis-server primary and replica and to a Redoubt pair, and
// compares every reply.
func TestFailoverRepliesLikeRedis(t *testing.T) {
	type pair struct {
		name              string
		primary, replica  string
		rport, replicaPID int
		attach            func()
	}
	var pairs []pair
	{
		p := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0")
		r := startRedisArgs(t, t.TempDir())
		pairs = append(pairs, pair{"redis", p.addr(), r.addr(), r.port, r.cmd.Process.Pid, func() {
			if err := r.client(t).SlaveOf(context.Background(), "127.0.0.1", strconv.Itoa(p.port)).Err(); err != nil {
				t.Fatal(err)
			}
		}})
	}
	{
		p := startServer(t, "", "--repl-diskless-sync-delay", "0")
		r := startServer(t, "")
		pairs = append(pairs, pair{"redoubt", p.addr(), r.addr(), r.port, r.cmd.Process.Pid, func() {
			if err := r.client().SlaveOf(context.Background(), "127.0.0.1", strconv.Itoa(p.port)).Err(); err != nil {
				t.Fatal(err)
			}
		}})
	}
	// Each step: on the primary (p) or the replica (r), the command with
	// {port} for the replica's port; "attach", "stop" and "cont" act on the
	// replica; "state" reads the primary's master_failover_state.
	steps := []string{
		"p FAILOVER",
		"p FAILOVER TO 127.0.0.1 {port}",
		"p FAILOVER ABORT",
		"attach",
		"p FAILOVER TO invalidhost {port}",
		"p FAILOVER TO 127.0.0.1 invalidport",
		"p FAILOVER TO 127.0.0.1 1",
		"p FAILOVER FORCE TIMEOUT 100",
		"p FAILOVER TO 127.0.0.1 {port} FORCE",
		"p FAILOVER TIMEOUT 0",
		"p FAILOVER TIMEOUT -5",
		"p FAILOVER TIMEOUT abc",
		"p FAILOVER TIMEOUT",
		"p FAILOVER BOGUS",
		"p FAILOVER TIMEOUT 10 TIMEOUT 20",
		"p FAILOVER FORCE FORCE",
		"p FAILOVER ABORT TIMEOUT 5",
		"p FAILOVER TO 127.0.0.1 {port} TO 127.0.0.1 {port}",
		"p PSYNC ? -1 FAILOVER",
		"r FAILOVER",
		"r PSYNC 0123456789012345678901234567890123456789 1 FAILOVER",
		"r ROLE-NAME",
		// A failover that waits for a replica that does not answer.
		"stop",
		"p SET k v",
		"p FAILOVER TO 127.0.0.1 {port} TIMEOUT 60000",
		"state",
		"p FAILOVER",
		"p FAILOVER TO 127.0.0.1 {port}",
		"p REPLICAOF NO ONE",
		"p REPLICAOF 127.0.0.1 1",
		"p CLIENT UNPAUSE",
		"p GET k",
		"state",
		"p FAILOVER ABORT",
		"state",
		"p FAILOVER ABORT",
		"cont",
		"p SET k v2",
	}
	results := make([][]string, len(pairs))
	for i, pr := range pairs {
		pc := dialRaw(t, pr.primary)
		rc := dialRaw(t, pr.replica)
		info := redis.NewClient(&redis.Options{Addr: pr.primary, DisableIdentity: true})
		defer info.Close()
		for _, step := range steps {
			var got string
			switch step {
			case "attach":
				pr.attach()
				waitUntil(t, pr.name+" replica online", func() bool {
					return strings.Contains(infoField(t, info, "replication", "slave0"), "state=online")
				})
				got = "attached"
			case "stop":
				sendSignal(t, pr.replicaPID, syscall.SIGSTOP)
				got = "stopped"
			case "cont":
				sendSignal(t, pr.replicaPID, syscall.SIGCONT)
				got = "continued"
			case "state":
				got = failoverState(t, info)
			case "r ROLE-NAME":
				got = rc.do(t, "ROLE").Elems[0].String()
			default:
				who, cmd, _ := strings.Cut(strings.ReplaceAll(step, "{port}", strconv.Itoa(pr.rport)), " ")
				c := pc
				if who == "r" {
					c = rc
				}
				got = fmt.Sprint(c.do(t, strings.Fields(cmd)...))
			}
			results[i] = append(results[i], step+" -> "+got)
		}
	}
	for i := range steps {
		if results[0][i] != results[1][i] {
			t.Errorf("redis:   %s\nredoubt: %s", results[0][i], results[1][i])
		}
	}
	if t.Failed() {
		t.Logf("redoubt's replies:\n%s", strings.Join(results[1], "\n"))
	}
}

// TestFailoverBetweenRedoubts hands the primary role from m to r1 while a
// client writes, then from r1 to whichever replica catches up first, and
// checks that no acknowledged write is lost and every resync is partial.
func TestFailoverBetweenRedoubts(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, "", "--repl-diskless-sync-delay", "0")
	mc := m.client()
	fillEveryType(t, m.addr())
	follow := []string{"--replicaof", "127.0.0.1 " + strconv.Itoa(m.port), "--repl-diskless-sync-delay", "0"}
	r1 := startServer(t, "", follow...)
	r2 := startServer(t, "", follow...)
	r1c, r2c := r1.client(), r2.client()
	waitInSync(t, mc, r1c)
	waitInSync(t, mc, r2c)
	waitOnline(t, mc, 2)

	var mu sync.Mutex
	primary := m.addr()
	load := startWriteLoad(func() string { mu.Lock(); defer mu.Unlock(); return primary })
	time.Sleep(200 * time.Millisecond)
	if err := mc.Do(ctx, "FAILOVER", "TO", "127.0.0.1", r1.port).Err(); err != nil {
		t.Fatal(err)
	}
	waitFailoverDone(t, mc)
	mu.Lock()
	primary = r1.addr()
	mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	load.end(t, r1.addr())
	if got := role(t, r1c); got != "master" {
		t.Fatalf("target's role after FAILOVER: %s", got)
	}
	if got := role(t, mc); got != "slave" {
		t.Fatalf("old primary's role after FAILOVER: %s", got)
	}
	// The other replica still follows the old primary, which now follows
	// the new one; pointed at the new one, it continues too.
	if err := r2c.SlaveOf(ctx, "127.0.0.1", strconv.Itoa(r1.port)).Err(); err != nil {
		t.Fatal(err)
	}
	waitInSync(t, r1c, mc)
	waitInSync(t, r1c, r2c)
	syncsServed(t, "new primary", r1c, "0", "2")
	sameKeyspace(t, "old primary after FAILOVER", r1.addr(), m.addr())
	sameKeyspace(t, "other replica after FAILOVER", r1.addr(), r2.addr())

	// FAILOVER to any replica: with m stopped, r2 is the one that catches up.
	sendSignal(t, m.cmd.Process.Pid, syscall.SIGSTOP)
	if err := r1c.Set(ctx, "case", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r1c.Do(ctx, "FAILOVER").Err(); err != nil {
		t.Fatal(err)
	}
	waitFailoverDone(t, r1c)
	sendSignal(t, m.cmd.Process.Pid, syscall.SIGCONT)
	if got := role(t, r2c); got != "master" {
		t.Fatalf("FAILOVER to any replica: r2's role %s", got)
	}
	if err := mc.SlaveOf(ctx, "127.0.0.1", strconv.Itoa(r2.port)).Err(); err != nil {
		t.Fatal(err)
	}
	waitInSync(t, r2c, r1c)
	waitInSync(t, r2c, mc)
	syncsServed(t, "r2 as primary", r2c, "0", "2")
	sameKeyspace(t, "second FAILOVER", r2.addr(), m.addr())
	sameKeyspace(t, "second FAILOVER", r2.addr(), r1.addr())
}

// TestFailoverWithRedis hands the primary role from Redoubt to a
// redis-server replica and back: each side sends and honours
// PSYNC ... FAILOVER, and each resync is partial.
func TestFailoverWithRedis(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, "", "--repl-diskless-sync-delay", "0")
	mc := m.client()
	fillEveryType(t, m.addr())
	x := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0")
	xc := x.client(t)
	if err := xc.SlaveOf(ctx, "127.0.0.1", strconv.Itoa(m.port)).Err(); err != nil {
		t.Fatal(err)
	}
	waitInSync(t, mc, xc)

	load := startWriteLoad(m.addr)
	time.Sleep(200 * time.Millisecond)
	if err := mc.Do(ctx, "FAILOVER").Err(); err != nil {
		t.Fatal(err)
	}
	waitFailoverDone(t, mc)
	load.end(t, x.addr())
	if got := role(t, xc); got != "master" {
		t.Fatalf("redis-server's role after Redoubt's FAILOVER: %s", got)
	}
	waitInSync(t, xc, mc)
	syncsServed(t, "redis-server as primary", xc, "0", "1")
	sameKeyspace(t, "Redoubt after handing over to redis-server", x.addr(), m.addr())

	// And back: redis-server's FAILOVER promotes Redoubt, which had served
	// redis-server's first (full) sync.
	load = startWriteLoad(x.addr)
	time.Sleep(200 * time.Millisecond)
	if err := xc.Do(ctx, "FAILOVER", "TO", "127.0.0.1", m.port).Err(); err != nil {
		t.Fatal(err)
	}
	waitFailoverDone(t, xc)
	load.end(t, m.addr())
	if got := role(t, mc); got != "master" {
		t.Fatalf("Redoubt's role after redis-server's FAILOVER: %s", got)
	}
	waitInSync(t, mc, xc)
	syncsServed(t, "Redoubt as primary again (its full sync: redis-server's first)", mc, "1", "1")
	if n := logCount(t, filepath.Join(m.dir, "server.log"), "MASTER MODE enabled (failover request from"); n != 1 {
		t.Errorf("Redoubt logged %d promotions by failover request, want 1", n)
	}
	sameKeyspace(t, "redis-server after handing back", m.addr(), x.addr())
}

// TestFailoverTimeoutAbortForce covers the ways a failover ends other than
// success: its timeout, FAILOVER ABORT (writes held meanwhile then go
// through), FORCE past the timeout, and a target refusing the PSYNC.
func TestFailoverTimeoutAbortForce(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, "", "--repl-diskless-sync-delay", "0")
	mc := m.client()
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(m.port), "--repl-diskless-sync-delay", "0")
	rc := r.client()
	waitInSync(t, mc, rc)
	waitOnline(t, mc, 1)
	mlog := filepath.Join(m.dir, "server.log")
	rpid := r.cmd.Process.Pid
	target := []any{"FAILOVER", "TO", "127.0.0.1", r.port}

	t.Run("timeout", func(t *testing.T) {
		sendSignal(t, rpid, syscall.SIGSTOP)
		if err := mc.Set(ctx, "case", "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := mc.Do(ctx, append(target, "TIMEOUT", 300)...).Err(); err != nil {
			t.Fatal(err)
		}
		waitFailoverDone(t, mc)
		sendSignal(t, rpid, syscall.SIGCONT)
		if got := role(t, mc); got != "master" {
			t.Fatalf("role after a timed-out failover: %s", got)
		}
		if err := mc.Set(ctx, "case", "2", 0).Err(); err != nil {
			t.Fatalf("write after a timed-out failover: %v", err)
		}
		if n := logCount(t, mlog, "Replica never caught up before timeout"); n != 1 {
			t.Errorf("%d timeout messages in the log, want 1", n)
		}
		waitInSync(t, mc, rc)
		waitOnline(t, mc, 1)
	})

	t.Run("abort", func(t *testing.T) {
		sendSignal(t, rpid, syscall.SIGSTOP)
		if err := mc.Set(ctx, "case", "3", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := mc.Do(ctx, append(target, "TIMEOUT", 60000)...).Err(); err != nil {
			t.Fatal(err)
		}
		if got := failoverState(t, mc); got != "waiting-for-sync" {
			t.Fatalf("state %q", got)
		}
		// Reads go on; a write waits for the failover.
		if got := mc.Get(ctx, "case").Val(); got != "3" {
			t.Fatalf("GET during the failover: %q", got)
		}
		w := dialRaw(t, m.addr())
		fmt.Fprintf(w, "SET case 4\r\n")
		_ = w.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if l, err := w.r.ReadString('\n'); err == nil {
			t.Fatalf("a write was served during the failover: %q", l)
		}
		if err := mc.Do(ctx, "FAILOVER", "ABORT").Err(); err != nil {
			t.Fatal(err)
		}
		if l := w.line(t); l != "+OK" {
			t.Fatalf("held write after FAILOVER ABORT: %q", l)
		}
		sendSignal(t, rpid, syscall.SIGCONT)
		if got := role(t, mc); got != "master" {
			t.Fatalf("role after FAILOVER ABORT: %s", got)
		}
		waitInSync(t, mc, rc)
		waitOnline(t, mc, 1)
	})

	t.Run("target refuses", func(t *testing.T) {
		if err := rc.Do(ctx, "ACL", "SETUSER", "default", "-psync").Err(); err != nil {
			t.Fatal(err)
		}
		w := dialRaw(t, m.addr())
		sendSignal(t, rpid, syscall.SIGSTOP)
		if err := mc.Do(ctx, target...).Err(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "SET case 5\r\n")
		sendSignal(t, rpid, syscall.SIGCONT)
		waitFailoverDone(t, mc)
		if l := w.line(t); l != "+OK" {
			t.Fatalf("held write after the target refused: %q", l)
		}
		if got := role(t, mc); got != "master" {
			t.Fatalf("role after the target refused: %s", got)
		}
		if n := logCount(t, mlog, "Failover target rejected psync request"); n != 1 {
			t.Errorf("%d rejection messages in the log, want 1", n)
		}
		if err := rc.Do(ctx, "ACL", "SETUSER", "default", "+psync").Err(); err != nil {
			t.Fatal(err)
		}
		waitInSync(t, mc, rc)
		waitOnline(t, mc, 1)
		if got := rc.Get(ctx, "case").Val(); got != "5" {
			t.Fatalf("replica has case=%q after the refused failover", got)
		}
	})

	t.Run("force", func(t *testing.T) {
		sendSignal(t, rpid, syscall.SIGSTOP)
		if err := mc.Set(ctx, "case", "6", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := mc.Do(ctx, append(target, "TIMEOUT", 100, "FORCE")...).Err(); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the forced failover started", func() bool { return failoverState(t, mc) == "failover-in-progress" })
		if got := role(t, mc); got != "slave" {
			t.Fatalf("role during a forced failover: %s", got)
		}
		sendSignal(t, rpid, syscall.SIGCONT)
		waitFailoverDone(t, mc)
		if got := role(t, rc); got != "master" {
			t.Fatalf("target's role after a forced failover: %s", got)
		}
		waitInSync(t, rc, mc)
		if n := logCount(t, mlog, "time out exceeded, failing over."); n != 1 {
			t.Errorf("%d forced-failover messages in the log, want 1", n)
		}
		// The write the stopped target had not read is not lost: it
		// applies its stream before it takes over.
		if got := rc.Get(ctx, "case").Val(); got != "6" {
			t.Errorf("new primary has case=%q after a forced failover, want 6", got)
		}
		syncsServed(t, "new primary after a forced failover", rc, "0", "1")
		sameKeyspace(t, "after a forced failover", r.addr(), m.addr())
	})

	t.Run("force, target's stream held", func(t *testing.T) {
		// Now m is the replica and r the primary. A pause holds m's
		// stream back: m has read r's write but not applied it when
		// r's PSYNC FAILOVER comes, so m waits for the pause's end
		// (up to a second) to take over with the whole history. The
		// PSYNC comes 100 ms (the failover's timeout) or more into the
		// pause, so the wait is under 0.8 s; a PSYNC later than the
		// pause's end would find nothing to wait for.
		full, partial := infoField(t, mc, "stats", "sync_full"), infoField(t, mc, "stats", "sync_partial_ok")
		if err := mc.Do(ctx, "CLIENT", "PAUSE", 900, "WRITE").Err(); err != nil {
			t.Fatal(err)
		}
		if err := rc.Set(ctx, "case", "7", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rc.Do(ctx, "FAILOVER", "TO", "127.0.0.1", m.port, "TIMEOUT", 100, "FORCE").Err(); err != nil {
			t.Fatal(err)
		}
		waitFailoverDone(t, rc)
		if got := role(t, mc); got != "master" {
			t.Fatalf("target's role after a forced failover: %s", got)
		}
		waitInSync(t, mc, rc)
		if got := mc.Get(ctx, "case").Val(); got != "7" {
			t.Errorf("new primary has case=%q, want 7", got)
		}
		p, _ := strconv.Atoi(partial)
		syncsServed(t, "new primary after its held stream", mc, full, strconv.Itoa(p+1))
		if n := logCount(t, mlog, "Failover request for offset"); n != 1 {
			t.Errorf("%d messages of a PSYNC FAILOVER waiting for the stream, want 1", n)
		}
		sameKeyspace(t, "after a forced failover to a held replica", m.addr(), r.addr())
	})
}
