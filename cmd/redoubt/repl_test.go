package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Replication interop (PROTOCOL.md A.15): a real redis-server 7.0 replicates
// from Redoubt, by full sync (diskless and through a file) and then the
// stream, resumes with a partial sync after its link breaks, and ends up
// with the same keyspace, expiry times included, after every kind of write
// whose stream form differs from the command.

// infoField reads one field of an INFO section.
func infoField(t *testing.T, c *redis.Client, section, field string) string {
	t.Helper()
	info, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// waitInSync waits until the replica's link is up and it has applied the
// primary's whole stream.
func waitInSync(t *testing.T, primary, replica *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		off := infoField(t, primary, "replication", "master_repl_offset")
		if infoField(t, replica, "replication", "master_link_status") == "up" &&
			infoField(t, replica, "replication", "slave_repl_offset") == off {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica not in sync: primary offset %s, replica link %q offset %q", off,
				infoField(t, replica, "replication", "master_link_status"),
				infoField(t, replica, "replication", "slave_repl_offset"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameKeyspace compares the two servers' keyspaces, with every key's
// absolute expiry time to the millisecond.
func sameKeyspace(t *testing.T, what, primary, replica string) {
	t.Helper()
	want, got := dumpKeyspace(t, primary), dumpKeyspace(t, replica)
	expiries := func(addr string, keys map[string]string) {
		for k := range keys {
			db, key, _ := strings.Cut(k, "/")
			n, _ := strconv.Atoi(db)
			c := redis.NewClient(&redis.Options{Addr: addr, DB: n, DisableIdentity: true})
			keys[k] += " at=" + strconv.FormatInt(c.PExpireTime(context.Background(), key).Val().Milliseconds(), 10)
			c.Close()
		}
	}
	expiries(primary, want)
	expiries(replica, got)
	diffKeyspaces(t, what, want, got)
}

func TestReplicationToRedis(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, "", "--repl-diskless-sync-delay", "0")
	mc := m.client()
	fillEveryType(t, m.addr())
	if err := mc.Set(ctx, "exact", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	mc.PExpireAt(ctx, "exact", time.UnixMilli(4102444800123))

	r := startRedisArgs(t, t.TempDir(), "--replicaof", "127.0.0.1", strconv.Itoa(m.port))
	rc := r.client(t)
	waitInSync(t, mc, rc)
	sameKeyspace(t, "after the full sync", m.addr(), r.addr())
	if got := infoField(t, mc, "replication", "slave0"); !strings.Contains(got, "state=online") || !strings.Contains(got, "ip=127.0.0.1") {
		t.Errorf("INFO slave0 = %q", got)
	}

	// Writes whose stream form differs from the command, in several
	// databases, a transaction, lazily expired keys and blocked clients.
	blocked := m.client()
	popped := make(chan []string, 1)
	go func() { popped <- blocked.BLPop(ctx, 10*time.Second, "queue").Val() }()
	for deadline := time.Now().Add(5 * time.Second); infoField(t, mc, "clients", "blocked_clients") != "1"; {
		if time.Now().After(deadline) {
			t.Fatal("BLPOP did not block")
		}
		time.Sleep(5 * time.Millisecond)
	}
	script := [][]any{
		{"SET", "ex", "v", "EX", "1000"},
		{"SET", "px", "v", "PX", "500000", "GET"},
		{"SETEX", "setex", "100", "v"},
		{"PSETEX", "psetex", "100000", "v"},
		{"SET", "short", "v", "PX", "1"},
		{"EXPIRE", "db0:str", "300"},
		{"PEXPIRE", "db0:int", "300000", "NX"},
		{"EXPIREAT", "db0:list", "4102444800"},
		{"EXPIRE", "db0:notint", "-1"},
		{"GETEX", "db0:str", "EX", "77"},
		{"GETEX", "db0:expiring", "PERSIST"},
		{"GETEX", "db0:empty", "PXAT", "1"},
		{"GETDEL", "db0:binary"},
		{"INCRBYFLOAT", "float", "0.1"},
		{"INCRBYFLOAT", "float", "0.2"},
		{"HINCRBYFLOAT", "db0:hash", "float", "1.1"},
		{"SPOP", "db0:bigset"},
		{"SPOP", "db0:bigset", "7"},
		{"SPOP", "db0:set", "10"},
		{"LMPOP", "1", "db0:biglist", "LEFT", "COUNT", "3"},
		{"BRPOP", "db0:biglist", "1"},
		{"BLMOVE", "db0:biglist", "moved", "LEFT", "RIGHT", "1"},
		{"ZMPOP", "1", "db0:bigzset", "MAX", "COUNT", "4"},
		{"BZPOPMIN", "db0:bigzset", "1"},
		{"MULTI"}, {"SET", "tx1", "1"}, {"INCR", "tx2"}, {"EXEC"},
		{"SELECT", "3"}, {"SET", "db3:new", "x", "EXAT", "4102444800"}, {"FLUSHDB"}, {"SET", "db3:after", "1"},
		{"SWAPDB", "3", "4"}, {"SELECT", "0"},
		{"MOVE", "db0:long", "5"},
		{"COPY", "db0:bighash", "copied", "DB", "6"},
		{"RPUSH", "queue", "a", "b"},
		{"PUBLISH", "news", "hi"},
	}
	conn := mc.Conn()
	defer conn.Close()
	for _, cmd := range script {
		if err := conn.Do(ctx, cmd...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	if got := <-popped; fmt.Sprint(got) != "[queue a]" {
		t.Fatalf("BLPOP got %v", got)
	}
	time.Sleep(5 * time.Millisecond)
	// A lazily expired key: the primary's DEL reaches the replica.
	if err := mc.Get(ctx, "short").Err(); err != redis.Nil {
		t.Fatalf("GET short: %v", err)
	}
	waitInSync(t, mc, rc)
	sameKeyspace(t, "after the stream", m.addr(), r.addr())
	if n := rc.Exists(ctx, "short").Val(); n != 0 {
		t.Error("the expired key is still on the replica")
	}

	// WAIT counts the replica once it acknowledged this client's write.
	if err := mc.Set(ctx, "waited", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := mc.Do(ctx, "WAIT", "1", "5000").Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 5000 = %d, %v", n, err)
	}
	role, err := mc.Do(ctx, "ROLE").Slice()
	if err != nil || len(role) != 3 || role[0] != "master" {
		t.Fatalf("ROLE = %v, %v", role, err)
	}
	// [ip, port, acknowledged offset]; a GETACK may still be in flight.
	if reps, _ := role[2].([]any); len(reps) != 1 || !strings.HasPrefix(fmt.Sprint(reps[0]), fmt.Sprintf("[127.0.0.1 %d ", r.port)) {
		t.Errorf("ROLE replicas = %v", role[2])
	}

	// PUBLISH reaches the replica's subscribers.
	sub := rc.Subscribe(ctx, "news")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	mc.Publish(ctx, "news", "through the stream")
	select {
	case msg := <-sub.Channel():
		if msg.Payload != "through the stream" {
			t.Fatalf("replica subscriber got %q", msg.Payload)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("PUBLISH did not reach the replica's subscriber")
	}

	// A broken link resumes with a partial sync from the backlog.
	if err := mc.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		t.Fatal(err)
	}
	mc.Set(ctx, "while-away", "1", 0)
	waitInSync(t, mc, rc)
	sameKeyspace(t, "after the partial sync", m.addr(), r.addr())
	if full, partial := infoField(t, mc, "stats", "sync_full"), infoField(t, mc, "stats", "sync_partial_ok"); full != "1" || partial != "1" {
		t.Errorf("sync_full %s sync_partial_ok %s, want 1 and 1", full, partial)
	}
	if a, b := infoField(t, mc, "replication", "master_replid"), infoField(t, rc, "replication", "master_replid"); a != b || len(a) != 40 {
		t.Errorf("replication ids %q and %q", a, b)
	}
}

// TestReplicationDiskFraming: with repl-diskless-sync no the RDB goes
// through a file and is sent with its length first.
func TestReplicationDiskFraming(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, "", "--repl-diskless-sync", "no")
	mc := m.client()
	fillEveryType(t, m.addr())
	r := startRedisArgs(t, t.TempDir(), "--replicaof", "127.0.0.1", strconv.Itoa(m.port))
	rc := r.client(t)
	waitInSync(t, mc, rc)
	for i := 0; i < 1000; i++ {
		mc.Set(ctx, "k"+strconv.Itoa(i), i, time.Hour)
	}
	waitInSync(t, mc, rc)
	sameKeyspace(t, "disk framing", m.addr(), r.addr())
}

// TestMinReplicasToWrite: writes are refused without enough replicas.
func TestMinReplicasToWrite(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, "", "--repl-diskless-sync-delay", "0", "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
	mc := m.client()
	if err := mc.Set(ctx, "k", "v", 0).Err(); err == nil || err.Error() != "NOREPLICAS Not enough good replicas to write." {
		t.Fatalf("SET without replicas: %v", err)
	}
	if err := mc.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("GET without replicas: %v", err)
	}
	r := startRedisArgs(t, t.TempDir(), "--replicaof", "127.0.0.1", strconv.Itoa(m.port))
	rc := r.client(t)
	waitInSync(t, mc, rc)
	if err := mc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with a replica: %v", err)
	}
	if got := infoField(t, mc, "replication", "min_slaves_good_slaves"); got != "1" {
		t.Errorf("min_slaves_good_slaves = %q", got)
	}
}

// TestReplicaOfRedis: Redoubt follows a real redis-server 7.0, by full sync
// (diskless, then through a file after switching primaries) and the
// stream, acknowledges it, resumes with a partial sync, and after REPLICAOF
// NO ONE lets a replica that followed it continue with +CONTINUE.
func TestReplicaOfRedis(t *testing.T) {
	ctx := context.Background()
	p := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0")
	pc := p.client(t)
	fillEveryType(t, p.addr())
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(p.port), "--repl-diskless-sync-delay", "0")
	rc := r.client()
	waitInSync(t, pc, rc)
	sameKeyspace(t, "after the full sync", p.addr(), r.addr())

	sub := rc.Subscribe(ctx, "news")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	conn := pc.Conn()
	defer conn.Close()
	for _, cmd := range [][]any{
		{"SET", "ex", "v", "EX", "1000"},
		{"SET", "short", "v", "PX", "1"},
		{"EXPIRE", "db0:str", "300"},
		{"INCRBYFLOAT", "float", "0.1"},
		{"SPOP", "db0:bigset", "5"},
		{"MULTI"}, {"SET", "tx1", "1"}, {"INCR", "tx2"}, {"EXEC"},
		{"SELECT", "3"}, {"SET", "db3:new", "x"}, {"SELECT", "0"},
		// Commands longer than the replica's apply step (16 KB), one
		// inside a transaction.
		{"SET", "big", strings.Repeat("b", 100<<10)},
		{"MULTI"}, {"SET", "tx-big", strings.Repeat("c", 40<<10)}, {"INCR", "tx2"}, {"EXEC"},
		{"PUBLISH", "news", "via the primary"},
	} {
		if err := conn.Do(ctx, cmd...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	// Many commands in one read of the stream, applied in several steps.
	if _, err := pc.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i := range 5000 {
			pipe.Set(ctx, fmt.Sprintf("many:%d", i%10), i, 0)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-sub.Channel():
		if msg.Payload != "via the primary" {
			t.Fatalf("got %q", msg.Payload)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("PUBLISH on the primary did not reach the replica's subscriber")
	}
	time.Sleep(5 * time.Millisecond)
	pc.Get(ctx, "short") // the primary expires it and sends DEL
	waitInSync(t, pc, rc)
	sameKeyspace(t, "after the stream", p.addr(), r.addr())
	if err := rc.Set(ctx, "w", "1", 0).Err(); err == nil || err.Error() != "READONLY You can't write against a read only replica." {
		t.Fatalf("write on the replica: %v", err)
	}
	// The primary sees our acknowledged offset (sent every second).
	deadline := time.Now().Add(5 * time.Second)
	for {
		off := infoField(t, pc, "replication", "master_repl_offset")
		if strings.Contains(infoField(t, pc, "replication", "slave0"), ",offset="+off+",") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("primary at %s sees replica %s", off, infoField(t, pc, "replication", "slave0"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	role, err := rc.Do(ctx, "ROLE").Slice()
	if err != nil || fmt.Sprint(role[:4]) != fmt.Sprintf("[slave 127.0.0.1 %d connected]", p.port) {
		t.Fatalf("ROLE = %v, %v", role, err)
	}
	if hello, err := rc.Do(ctx, "HELLO", "2").Slice(); err != nil || fmt.Sprint(hello[10:12]) != "[role replica]" {
		t.Fatalf("HELLO = %v, %v", hello, err)
	}

	// A broken link: PSYNC continues.
	pc.Do(ctx, "CLIENT", "KILL", "TYPE", "replica")
	pc.Set(ctx, "while-away", "1", 0)
	waitInSync(t, pc, rc)
	if got := infoField(t, pc, "stats", "sync_partial_ok"); got != "1" {
		t.Errorf("primary's sync_partial_ok = %s", got)
	}
	sameKeyspace(t, "after the partial sync", p.addr(), r.addr())

	// A replica of ours, then a promotion: it continues with the new id.
	sub2 := startRedisArgs(t, t.TempDir(), "--replicaof", "127.0.0.1", strconv.Itoa(r.port))
	s2 := sub2.client(t)
	waitInSync(t, rc, s2)
	if err := rc.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.Set(ctx, "promoted", "1", 0).Err(); err != nil {
		t.Fatalf("write after promotion: %v", err)
	}
	waitInSync(t, rc, s2)
	if got := infoField(t, rc, "stats", "sync_partial_ok"); got != "1" {
		t.Errorf("after the promotion our sync_partial_ok = %s, want 1", got)
	}
	sameKeyspace(t, "our replica after the promotion", r.addr(), sub2.addr())

	// Through a file: a primary with repl-diskless-sync no.
	p2 := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync", "no")
	p2c := p2.client(t)
	for i := 0; i < 500; i++ {
		p2c.Set(ctx, "p2:"+strconv.Itoa(i), i, time.Hour)
	}
	if err := rc.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(p2.port)).Err(); err != nil {
		t.Fatal(err)
	}
	waitInSync(t, p2c, rc)
	sameKeyspace(t, "from a disk-framed sync", p2.addr(), r.addr())
}

// TestReplicaOfRedoubt: Redoubt follows Redoubt, and comes back with a
// partial sync after a restart of the link.
func TestReplicaOfRedoubt(t *testing.T) {
	ctx := context.Background()
	p := startServer(t, "", "--repl-diskless-sync-delay", "0")
	pc := p.client()
	fillEveryType(t, p.addr())
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(p.port))
	rc := r.client()
	waitInSync(t, pc, rc)
	for i := 0; i < 200; i++ {
		pc.Set(ctx, "k"+strconv.Itoa(i), i, time.Duration(i+1)*time.Minute)
		pc.SPop(ctx, "db0:bigset")
	}
	waitInSync(t, pc, rc)
	sameKeyspace(t, "Redoubt to Redoubt", p.addr(), r.addr())
	pc.Do(ctx, "CLIENT", "KILL", "TYPE", "replica")
	pc.Set(ctx, "after", "1", 0)
	waitInSync(t, pc, rc)
	if got := infoField(t, pc, "stats", "sync_partial_ok"); got != "1" {
		t.Errorf("sync_partial_ok = %s", got)
	}
	sameKeyspace(t, "after the partial sync", p.addr(), r.addr())
}

// TestReplicationAcrossRestarts: the replication position is stored with
// the data, so a replica killed with SIGKILL and a primary stopped and
// started again both continue with a partial sync.
func TestReplicationAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	p := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0")
	pc := p.client(t)
	fillEveryType(t, p.addr())
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(p.port), "--appendfsync", "always")
	rc := r.client()
	waitInSync(t, pc, rc)
	for i := 0; i < 100; i++ {
		pc.Incr(ctx, "counter")
	}
	waitInSync(t, pc, rc)
	r.kill()
	for i := 0; i < 100; i++ {
		pc.Incr(ctx, "counter")
	}
	r.start()
	waitInSync(t, pc, rc)
	if full, partial := infoField(t, pc, "stats", "sync_full"), infoField(t, pc, "stats", "sync_partial_ok"); full != "1" || partial != "1" {
		t.Errorf("after the replica's restart: sync_full %s, sync_partial_ok %s; want 1 and 1", full, partial)
	}
	sameKeyspace(t, "replica after SIGKILL", p.addr(), r.addr())
	if n := rc.Get(ctx, "counter").Val(); n != "200" {
		t.Errorf("counter = %s on the replica", n)
	}

	// A Redoubt primary restarted: its replica had everything and continues.
	m := startServer(t, "", "--repl-diskless-sync-delay", "0")
	mc := m.client()
	fillEveryType(t, m.addr())
	rr := startRedisArgs(t, t.TempDir(), "--replicaof", "127.0.0.1", strconv.Itoa(m.port))
	rrc := rr.client(t)
	waitInSync(t, mc, rrc)
	mc.Set(ctx, "before", "1", 0)
	waitInSync(t, mc, rrc)
	m.stop()
	m.start()
	mc.Set(ctx, "after", "1", 0)
	waitInSync(t, mc, rrc)
	if full, partial := infoField(t, mc, "stats", "sync_full"), infoField(t, mc, "stats", "sync_partial_ok"); full != "0" || partial != "1" {
		t.Errorf("after the primary's restart: sync_full %s, sync_partial_ok %s; want 0 and 1", full, partial)
	}
	sameKeyspace(t, "replica after the primary's restart", m.addr(), rr.addr())
}

// TestSentinelFailoverSequence sends what a sentinel sends in a failover
// (PROTOCOL.md D.7), inside MULTI: the chosen replica is promoted, the old
// primary is pointed at it, both rewrite their config files, and the old
// primary continues the shared history with a partial sync.
func TestSentinelFailoverSequence(t *testing.T) {
	ctx := context.Background()
	mdir, rdir := t.TempDir(), t.TempDir()
	mconf := writeFile(t, mdir, "redoubt.toml", "repl-diskless-sync-delay = 0\n")
	rconf := writeFile(t, rdir, "redoubt.toml", "repl-diskless-sync-delay = 0\n")
	m := startServer(t, mdir, "--config", mconf)
	mc := m.client()
	fillEveryType(t, m.addr())
	r := startServer(t, rdir, "--config", rconf, "--replicaof", "127.0.0.1 "+strconv.Itoa(m.port))
	rc := r.client()
	waitInSync(t, mc, rc)

	// Clients the promotion disconnects.
	sub := rc.Subscribe(ctx, "ch")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	failover := func(addr string, cmds ...string) []string {
		c := dialRaw(t, addr)
		fmt.Fprintf(c, "MULTI\r\n")
		for _, cmd := range cmds {
			fmt.Fprintf(c, "%s\r\n", cmd)
		}
		fmt.Fprintf(c, "EXEC\r\n")
		var got []string
		for i := 0; i < len(cmds)+2+len(cmds); i++ {
			got = append(got, c.line(t))
			if i == len(cmds)+1 && !strings.HasPrefix(got[i], "*") {
				break
			}
		}
		return got
	}
	got := failover(r.addr(), "SLAVEOF NO ONE", "CONFIG REWRITE", "CLIENT KILL TYPE normal", "CLIENT KILL TYPE pubsub")
	if want := "+OK +QUEUED +QUEUED +QUEUED +QUEUED *4 +OK +OK"; !strings.HasPrefix(strings.Join(got, " "), want) || got[9] != ":1" {
		t.Fatalf("promotion block replied %q", got)
	}
	if role := infoField(t, r.client(), "replication", "role"); role != "master" {
		t.Fatalf("promoted replica's role %q", role)
	}
	if b, _ := os.ReadFile(rconf); strings.Contains(string(b), "127.0.0.1") {
		t.Errorf("the promoted replica's rewritten config still follows a primary:\n%s", b)
	}

	got = failover(m.addr(), "SLAVEOF 127.0.0.1 "+strconv.Itoa(r.port), "CONFIG REWRITE", "CLIENT KILL TYPE normal")
	if want := "+OK +QUEUED +QUEUED +QUEUED *3 +OK +OK"; !strings.HasPrefix(strings.Join(got, " "), want) {
		t.Fatalf("demotion block replied %q", got)
	}
	if b, _ := os.ReadFile(mconf); !strings.Contains(string(b), `replicaof = "127.0.0.1 `+strconv.Itoa(r.port)+`"`) {
		t.Errorf("the old primary's rewritten config does not follow the new one:\n%s", b)
	}
	nc := r.client()
	if err := nc.Set(ctx, "after-failover", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	oc := m.client()
	waitInSync(t, nc, oc)
	sameKeyspace(t, "old primary after the failover", r.addr(), m.addr())
	if full, partial := infoField(t, nc, "stats", "sync_full"), infoField(t, nc, "stats", "sync_partial_ok"); full != "0" || partial != "1" {
		t.Errorf("new primary: sync_full %s, sync_partial_ok %s; want 0 and 1 (PSYNC2 across the failover)", full, partial)
	}
}

// TestWatchSeesReplicatedWrites: a write arriving from the primary
// invalidates a WATCH on the replica.
func TestWatchSeesReplicatedWrites(t *testing.T) {
	ctx := context.Background()
	p := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0")
	pc := p.client(t)
	pc.Set(ctx, "k", "1", 0)
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(p.port))
	rc := r.client()
	waitInSync(t, pc, rc)
	err := rc.Watch(ctx, func(tx *redis.Tx) error {
		pc.Set(ctx, "k", "2", 0)
		waitInSync(t, pc, rc)
		_, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Get(ctx, "k")
			return nil
		})
		return err
	}, "k")
	if err != redis.TxFailedErr {
		t.Fatalf("EXEC after a replicated write to the watched key: %v, want %v", err, redis.TxFailedErr)
	}
}

// TestWaitAfterServedPop: a client whose BLPOP another client's push
// served waits, in WAIT, for the replicas to have that pop, as for a write
// of its own. The replica is stopped (SIGSTOP) so it cannot acknowledge
// the pop: WAIT must time out with 0, not count it for its older offset.
func TestWaitAfterServedPop(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, "", "--repl-diskless-sync-delay", "0")
	mc := m.client()
	r := startRedisArgs(t, t.TempDir(), "--replicaof", "127.0.0.1", strconv.Itoa(m.port))
	waitInSync(t, mc, r.client(t))

	conn := m.client().Conn()
	defer conn.Close()
	popped := make(chan error, 1)
	go func() { popped <- conn.BLPop(ctx, 10*time.Second, "queue").Err() }()
	for deadline := time.Now().Add(5 * time.Second); infoField(t, mc, "clients", "blocked_clients") != "1"; {
		if time.Now().After(deadline) {
			t.Fatal("BLPOP did not block")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer r.cmd.Process.Signal(syscall.SIGCONT)
	if err := mc.RPush(ctx, "queue", "a").Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-popped; err != nil {
		t.Fatalf("BLPOP: %v", err)
	}
	if n, err := conn.Do(ctx, "WAIT", "1", "300").Int(); err != nil || n != 0 {
		t.Fatalf("WAIT 1 300 with the replica stopped = %d, %v; want 0", n, err)
	}
	if err := r.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if n, err := conn.Do(ctx, "WAIT", "1", "5000").Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 5000 with the replica running = %d, %v; want 1", n, err)
	}
}

// TestReplicaServesWhileLoading: while a replica loads a big snapshot
// from a real Redis primary, what Redis allows while loading works (INFO
// with loading:1 and its progress, ROLE, PUBLISH) and what it does not gets
// -LOADING; then the keyspace is the primary's.
func TestReplicaServesWhileLoading(t *testing.T) {
	ctx := context.Background()
	p := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes")
	pc := p.client(t)
	const keys = 2000000
	if err := pc.Do(ctx, "DEBUG", "POPULATE", keys).Err(); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(p.port))
	rc := r.client()
	var info string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never saw the replica loading; last INFO persistence:\n%s", info)
		}
		var err error
		if info, err = rc.Info(ctx, "persistence").Result(); err == nil && strings.Contains(info, "loading:1\r\n") {
			break
		}
	}
	for _, f := range []string{"loading_start_time:", "loading_total_bytes:", "loading_loaded_bytes:", "loading_loaded_perc:", "loading_eta_seconds:"} {
		if !strings.Contains(info, f) {
			t.Errorf("INFO persistence while loading lacks %s:\n%s", f, info)
		}
	}
	if err := rc.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
		t.Errorf("PING while loading: %v, want -LOADING", err)
	}
	if err := rc.Get(ctx, "key:1").Err(); err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
		t.Errorf("GET while loading: %v, want -LOADING", err)
	}
	if role, err := rc.Do(ctx, "ROLE").Slice(); err != nil || len(role) != 5 || role[0] != "slave" {
		t.Errorf("ROLE while loading: %v, %v", role, err)
	}
	if err := rc.Publish(ctx, "news", "x").Err(); err != nil {
		t.Errorf("PUBLISH while loading: %v", err)
	}
	// Redis refuses REPLICAOF while it loads, too.
	if err := rc.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
		t.Errorf("REPLICAOF NO ONE while loading: %v, want -LOADING", err)
	}
	if info := infoField(t, rc, "persistence", "loading"); info != "1" {
		t.Fatalf("the load ended before the checks (loading:%s): make it bigger", info)
	}
	waitInSync(t, pc, rc)
	if n, err := rc.DBSize(ctx).Result(); err != nil || n != keys {
		t.Fatalf("DBSIZE after the load: %d, %v; want %d", n, err, keys)
	}
	if n := infoField(t, rc, "persistence", "rdb_last_load_keys_loaded"); n != strconv.Itoa(keys) {
		t.Errorf("rdb_last_load_keys_loaded:%s, want %d", n, keys)
	}

	// SHUTDOWN in the middle of a load ends it and the process cleanly;
	// started again, the replica syncs in full over what it had loaded.
	for _, cmd := range [][]any{{"REPLICAOF", "NO", "ONE"}, {"REPLICAOF", "127.0.0.1", strconv.Itoa(p.port)}} {
		if err := rc.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); infoField(t, rc, "persistence", "loading") != "1"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never saw the second load")
		}
	}
	_ = rc.Do(ctx, "SHUTDOWN", "NOSAVE").Err() // the connection closes
	select {
	case <-r.done:
	case <-time.After(40 * time.Second):
		t.Fatal("SHUTDOWN while loading: the process did not exit")
	}
	logText, _ := os.ReadFile(filepath.Join(r.dir, "server.log"))
	if code := r.cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(string(logText), "panic") {
		t.Fatalf("SHUTDOWN while loading: exit code %d; log:\n%s", code, logText)
	}
	r.start()
	rc = r.client()
	waitInSync(t, pc, rc)
	if n, err := rc.DBSize(ctx).Result(); err != nil || n != keys {
		t.Fatalf("DBSIZE after a restart that interrupted a load: %d, %v; want %d", n, err, keys)
	}
	if v := rc.Get(ctx, "key:123456").Val(); v != "value:123456" {
		t.Fatalf("key:123456 = %q", v)
	}
}

// TestReplicaAuth: the replica authenticates to its primary with
// masterauth (and masteruser, an ACL user); a wrong password keeps the
// link down.
func TestReplicaAuth(t *testing.T) {
	ctx := context.Background()
	p := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0", "--requirepass", "s3cret",
		"--user", "repl", "on", ">replpw", "+psync", "+replconf", "+ping")
	pc := redis.NewClient(&redis.Options{Addr: p.addr(), Password: "s3cret", DisableIdentity: true})
	defer pc.Close()
	pc.Set(ctx, "k", "v", 0)
	port := strconv.Itoa(p.port)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"masterauth", []string{"--masterauth", "s3cret"}},
		{"masteruser", []string{"--masteruser", "repl", "--masterauth", "replpw"}},
	} {
		r := startServer(t, "", append([]string{"--replicaof", "127.0.0.1 " + port}, tc.args...)...)
		rc := r.client()
		waitInSync(t, pc, rc)
		if v := rc.Get(ctx, "k").Val(); v != "v" {
			t.Errorf("%s: GET k = %q on the replica", tc.name, v)
		}
		r.kill()
	}
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+port, "--masterauth", "bad-pw-x9")
	time.Sleep(1500 * time.Millisecond)
	if st := infoField(t, r.client(), "replication", "master_link_status"); st != "down" {
		t.Errorf("with a wrong masterauth the link is %q", st)
	}
	if b, _ := os.ReadFile(r.dir + "/server.log"); !strings.Contains(string(b), "unable to AUTH to MASTER") || strings.Contains(string(b), "bad-pw-x9") {
		t.Errorf("the log should name the AUTH failure without the password:\n%s", b)
	}
}

// TestReplicaCutTransaction: a scripted primary breaks the link in the
// middle of a MULTI block. The replica must not apply or count the cut
// transaction, and asks for it again from its MULTI.
func TestReplicaCutTransaction(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const id = "0123456789abcdef0123456789abcdef01234567"
	// An empty RDB with no checksum.
	rdbFile := append([]byte("REDIS0010"), 0xFF, 0, 0, 0, 0, 0, 0, 0, 0)
	cmd := func(args ...string) string {
		s := fmt.Sprintf("*%d\r\n", len(args))
		for _, a := range args {
			s += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
		}
		return s
	}
	setA := cmd("SELECT", "0") + cmd("SET", "a", "1")
	tx := cmd("MULTI") + cmd("INCR", "n") + cmd("INCR", "n") + cmd("EXEC")
	psyncs := make(chan string, 2)
	go func() {
		for round := 0; round < 2; round++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(c)
			// PING, REPLCONF x2, PSYNC: answer each, record the PSYNC.
			for i := 0; i < 4; i++ {
				n := 0
				line, _ := r.ReadString('\n')
				fmt.Sscanf(line, "*%d", &n)
				var args []string
				for j := 0; j < n; j++ {
					r.ReadString('\n')
					a, _ := r.ReadString('\n')
					args = append(args, strings.TrimSpace(a))
				}
				if len(args) > 0 && args[0] == "PSYNC" {
					psyncs <- strings.Join(args, " ")
				} else {
					fmt.Fprintf(c, "+OK\r\n")
				}
			}
			if round == 0 {
				fmt.Fprintf(c, "+FULLRESYNC %s 0\r\n$%d\r\n%s", id, len(rdbFile), rdbFile)
				// A whole command, then half a transaction, then the break.
				fmt.Fprint(c, setA+tx[:len(tx)-len(cmd("EXEC"))])
				time.Sleep(300 * time.Millisecond)
				c.Close()
				continue
			}
			fmt.Fprintf(c, "+CONTINUE %s\r\n%s", id, tx)
			time.Sleep(2 * time.Second)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(port))
	rc := r.client()
	if got := <-psyncs; got != "PSYNC ? -1" {
		t.Fatalf("first PSYNC %q", got)
	}
	select {
	case got := <-psyncs:
		if want := fmt.Sprintf("PSYNC %s %d", id, len(setA)+1); got != want {
			t.Fatalf("after the break: %q, want %q (the cut transaction not counted)", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the replica did not reconnect")
	}
	deadline := time.Now().Add(5 * time.Second)
	for rc.Get(ctx, "n").Val() != "2" {
		if time.Now().After(deadline) {
			t.Fatalf("n = %q after the resent transaction, want 2", rc.Get(ctx, "n").Val())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if off := infoField(t, rc, "replication", "slave_repl_offset"); off != strconv.Itoa(len(setA)+len(tx)) {
		t.Errorf("offset %s, want %d", off, len(setA)+len(tx))
	}
}

// TestReplicaServeStaleData: a replica whose primary is unreachable, with
// replica-serve-stale-data no, answers as a real redis-server replica in
// the same state does: -MASTERDOWN for commands without Redis's stale flag
// (PING among them, inside MULTI too), the others as usual; with yes again,
// it serves its data.
func TestReplicaServeStaleData(t *testing.T) {
	dead := strconv.Itoa(freePort(t)) // nothing listens there
	args := []string{"--replicaof", "127.0.0.1 " + dead, "--replica-serve-stale-data", "no"}
	rs := startRedisArgs(t, t.TempDir(), args...)
	ours := startServer(t, "", args...)
	script := [][]string{
		{"GET", "k"},
		{"SET", "k", "v"},
		{"PING"},
		{"ECHO", "hi"},
		{"DBSIZE"},
		{"CONFIG", "GET", "replica-serve-stale-data"},
		{"ROLE"},
		{"CLIENT", "SETNAME", "stale"},
		{"PUBLISH", "ch", "m"},
		{"MULTI"}, {"ECHO", "queued"}, {"EXEC"},
		{"MULTI"}, {"GET", "k"}, {"EXEC"},
		{"NOSUCH"},
		{"GET"},
		{"CONFIG", "SET", "replica-serve-stale-data", "yes"},
		{"GET", "k"},
		{"PING"},
	}
	// A raw connection: go-redis gives up on a connection after a
	// READONLY reply.
	run := func(addr string) []string {
		c := dialRaw(t, addr)
		var out []string
		for _, cmd := range script {
			v := c.do(t, cmd...)
			if cmd[0] == "ROLE" {
				// Both are replicas of the dead port; the state
				// (connect, connecting) depends on timing.
				v.Elems = v.Elems[:3]
			}
			out = append(out, v.String())
		}
		return out
	}
	want, got := run(rs.addr()), run(ours.addr())
	for i := range script {
		if got[i] != want[i] {
			t.Errorf("%v: redoubt %q, redis %q", script[i], got[i], want[i])
		}
	}
	if !strings.Contains(want[0], "MASTERDOWN") {
		t.Fatalf("redis-server did not refuse GET: %q", want[0])
	}
}

// TestReplicaAnnounce: replica-announce-ip and replica-announce-port reach
// the primary's INFO and ROLE both ways: a Redoubt replica of a real
// redis-server, and a real redis-server replica of Redoubt. The announced
// address is only reported, never connected to.
func TestReplicaAnnounce(t *testing.T) {
	ctx := context.Background()
	waitSlave := func(what string, primary *redis.Client, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := infoField(t, primary, "replication", "slave0")
			if strings.HasPrefix(got, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: slave0:%s, want it to start with %s", what, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		role, err := primary.Do(ctx, "ROLE").Slice()
		if err != nil {
			t.Fatal(err)
		}
		if rep := fmt.Sprint(role[2]); !strings.HasPrefix(rep, "[[announced.invalid 7777 ") {
			t.Fatalf("%s: ROLE lists replicas %s", what, rep)
		}
	}
	announce := []string{"--replica-announce-ip", "announced.invalid", "--replica-announce-port", "7777"}

	rp := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0")
	startServer(t, "", append([]string{"--replicaof", "127.0.0.1 " + strconv.Itoa(rp.port)}, announce...)...)
	waitSlave("redoubt replica of redis", rp.client(t), "ip=announced.invalid,port=7777,state=online")

	op := startServer(t, "", "--repl-diskless-sync-delay", "0")
	startRedisArgs(t, t.TempDir(), append([]string{"--replicaof", "127.0.0.1 " + strconv.Itoa(op.port)}, announce...)...)
	waitSlave("redis replica of redoubt", op.client(), "ip=announced.invalid,port=7777,state=online")
}

// TestDisklessSyncMaxReplicas: with a long repl-diskless-sync-delay, one
// replica waits; once repl-diskless-sync-max-replicas of them wait, they
// all sync at once.
func TestDisklessSyncMaxReplicas(t *testing.T) {
	p := startServer(t, "", "--repl-diskless-sync-delay", "60", "--repl-diskless-sync-max-replicas", "2")
	pc := p.client()
	if err := pc.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	primary := []string{"--replicaof", "127.0.0.1 " + strconv.Itoa(p.port)}
	r1 := startServer(t, "", primary...)
	time.Sleep(1500 * time.Millisecond)
	if st := infoField(t, pc, "replication", "slave0"); !strings.Contains(st, "state=wait_bgsave") {
		t.Fatalf("one replica: slave0:%s, want it waiting", st)
	}
	start := time.Now()
	r2 := startServer(t, "", primary...)
	waitInSync(t, pc, r1.client())
	waitInSync(t, pc, r2.client())
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("two replicas synced after %v: the delay was not cut short", d)
	}
}

// TestReplicaLoadsBigKeyInSteps: a full sync whose snapshot is one set of
// 3M members, with INFO sent all along the replica's load: the load, which
// now lets clients in between the members of a key (not only between
// keys), succeeds at its first attempt, and INFO keeps answering. (The
// steps' spacing is TestImportStepsWithinAKey's; here the INFO latency is
// only logged, as on a shared machine it mostly measures the machine.)
func TestReplicaLoadsBigKeyInSteps(t *testing.T) {
	ctx := context.Background()
	p := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0")
	pc := p.client(t)
	const members = 3000000
	if _, err := pc.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		batch := make([]any, 0, 1000)
		for i := range members {
			batch = append(batch, "member:"+strconv.Itoa(i))
			if len(batch) == cap(batch) {
				pipe.SAdd(ctx, "big", batch...)
				batch = make([]any, 0, 1000)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(p.port))
	rc := r.client()
	var slowest time.Duration
	loads := 0
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replica did not finish loading")
		}
		start := time.Now()
		loading := infoField(t, rc, "persistence", "loading")
		if loading == "1" {
			loads++
			slowest = max(slowest, time.Since(start))
		} else if loads > 0 {
			break
		}
	}
	waitInSync(t, pc, rc)
	if n, err := rc.SCard(ctx, "big").Result(); err != nil || n != members {
		t.Fatalf("SCARD big = %d, %v; want %d", n, err, members)
	}
	// The load that the INFOs ran in succeeded: no second sync.
	if n := infoField(t, pc, "stats", "sync_full"); n != "1" {
		logText, _ := os.ReadFile(filepath.Join(r.dir, "server.log"))
		t.Fatalf("the primary served %s full syncs, want 1; replica log:\n%s", n, logText)
	}
	t.Logf("%d INFOs answered while loading, the slowest in %v", loads, slowest)
}

// TestWritableReplicaExpiresOwnKeys: a writable replica expires the keys
// its own clients gave an expiry, as Redis's expireSlaveKeys does, while a
// key of its primary's that expired stays until the primary's DEL (here
// never: the primary's active expiry is off).
func TestWritableReplicaExpiresOwnKeys(t *testing.T) {
	ctx := context.Background()
	p := startRedisArgs(t, t.TempDir(), "--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes")
	pc := p.client(t)
	if err := pc.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
		t.Fatal(err)
	}
	r := startServer(t, "", "--replicaof", "127.0.0.1 "+strconv.Itoa(p.port), "--replica-read-only", "no")
	rc := r.client()
	waitInSync(t, pc, rc)
	pc.Set(ctx, "primary", "v", 100*time.Millisecond)
	waitInSync(t, pc, rc)
	for _, k := range []string{"own", "own2"} {
		if err := rc.Set(ctx, k, "v", 100*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rc.Do(ctx, "SET", "own", "v", "PX", "100").Err(); err != nil { // a second expiry, one key
		t.Fatal(err)
	}
	rc.Set(ctx, "kept", "v", time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for infoField(t, rc, "stats", "expired_keys") != "2" {
		if time.Now().After(deadline) {
			t.Fatalf("expired_keys = %s after 5 s, want 2 (own and own2)", infoField(t, rc, "stats", "expired_keys"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // more cron ticks: the primary's key must stay
	keys, err := rc.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	if got, want := strings.Join(keys, " "), "kept"; got != want {
		t.Errorf("KEYS * on the replica: %q, want %q (the expired primary key hidden)", got, want)
	}
	if n := rc.DBSize(ctx).Val(); n != 2 {
		t.Errorf("DBSIZE on the replica = %d, want 2: kept, and the primary's expired key until its DEL", n)
	}
	if got := infoField(t, rc, "stats", "expired_keys"); got != "2" {
		t.Errorf("expired_keys = %s, want 2", got)
	}
	if got := infoField(t, rc, "stats", "slave_expires_tracked_keys"); got != "1" {
		t.Errorf("slave_expires_tracked_keys = %s, want 1 (kept)", got)
	}
}
