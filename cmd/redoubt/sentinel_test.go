package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Real redis-sentinel 7.0 processes watching Redoubt servers: they find
// the replicas and each other, agree the primary is down when it is
// killed, promote a replica, point the other one at it, turn the old
// primary into a replica when it comes back, never promote a replica
// with priority 0, carry out SENTINEL FAILOVER, and a Sentinel-aware
// client (go-redis's failover client) follows the primary throughout.

// sentinelProc is one redis-sentinel.
type sentinelProc struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

func (s *sentinelProc) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// sentinelDownAfterMs is the sentinels' down-after-milliseconds. With
// 1000, under the whole of make test on two cores, one sentinel once went
// a second without reading the new primary's PING replies, took it for
// down and failed over again, to the old primary, which had just
// restarted; the test then waited for that one to follow the first new
// primary. Three seconds keeps such a stall from passing for a failure.
const sentinelDownAfterMs = 3000

func startSentinel(t *testing.T, primaryPort int) *sentinelProc {
	t.Helper()
	if testing.Short() {
		t.Skip("starts redis-sentinel (not in -short)")
	}
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Skip("redis-sentinel not installed")
	}
	dir := t.TempDir()
	s := &sentinelProc{port: freePort(t), done: make(chan struct{})}
	conf := writeFile(t, dir, "sentinel.conf", fmt.Sprintf(`port %d
bind 127.0.0.1
daemonize no
dir %s
logfile %s
sentinel monitor mymaster 127.0.0.1 %d 2
sentinel down-after-milliseconds mymaster %d
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
`, s.port, dir, filepath.Join(dir, "sentinel.log"), primaryPort, sentinelDownAfterMs))
	s.cmd = exec.Command(bin, conf)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "sentinel.log"))
			t.Logf("sentinel %d's log:\n%s", s.port, log)
		}
	})
	return s
}

// sentinelMaster is a field of SENTINEL MASTER mymaster.
func sentinelMaster(t *testing.T, c *redis.SentinelClient, field string) string {
	t.Helper()
	m, err := c.Master(context.Background(), "mymaster").Result()
	if err != nil {
		return ""
	}
	return m[field]
}

func TestRealSentinelFailsOverRedoubt(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, "", "--repl-diskless-sync-delay", "0")
	follow := []string{"--replicaof", "127.0.0.1 " + strconv.Itoa(m.port), "--repl-diskless-sync-delay", "0"}
	r1 := startServer(t, "", follow...)
	// Priority 0: never to be promoted (INFO's slave_priority).
	r2 := startServer(t, "", append(follow, "--replica-priority", "0")...)
	mc := m.client()
	waitInSync(t, mc, r1.client())
	waitInSync(t, mc, r2.client())

	var sentinels []*redis.SentinelClient
	var addrs []string
	for range 3 {
		s := startSentinel(t, m.port)
		addrs = append(addrs, s.addr())
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.addr(), DisableIdentity: true})
		t.Cleanup(func() { sc.Close() })
		sentinels = append(sentinels, sc)
	}
	// Discovery: every sentinel finds both replicas (from INFO) and the
	// other two sentinels (from the hello channel on the servers).
	waitUntil(t, "the sentinels discovered the replicas and each other", func() bool {
		for _, sc := range sentinels {
			if sentinelMaster(t, sc, "num-slaves") != "2" || sentinelMaster(t, sc, "num-other-sentinels") != "2" {
				return false
			}
		}
		return true
	})

	client := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: addrs, DisableIdentity: true})
	defer client.Close()
	for i := range 100 {
		if err := client.Set(ctx, "before:"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	waitInSync(t, mc, r1.client())
	waitInSync(t, mc, r2.client())

	// The primary dies; the sentinels agree, elect a leader and promote
	// one of the replicas.
	m.kill()
	killed := time.Now()
	var promoted, other *server
	waitUntil(t, "the sentinels promoted a replica", func() bool {
		a, err := sentinels[0].GetMasterAddrByName(ctx, "mymaster").Result()
		if err != nil || len(a) != 2 || a[1] == strconv.Itoa(m.port) {
			return false
		}
		for _, r := range []*server{r1, r2} {
			if a[1] == strconv.Itoa(r.port) {
				promoted = r
			} else {
				other = r
			}
		}
		return promoted != nil && sentinelMaster(t, sentinels[0], "flags") == "master"
	})
	t.Logf("%v from killing the primary to the sentinels naming %s (down-after-milliseconds %d)", time.Since(killed).Round(10*time.Millisecond), promoted.addr(), sentinelDownAfterMs)
	if promoted != r1 {
		t.Fatalf("the sentinels promoted %s, the replica with priority 0", promoted.addr())
	}
	pc, oc := promoted.client(), other.client()
	if got := role(t, pc); got != "master" {
		t.Fatalf("promoted replica's role: %s", got)
	}
	waitUntil(t, "the other replica follows the new primary", func() bool {
		return infoField(t, oc, "replication", "master_port") == strconv.Itoa(promoted.port) &&
			infoField(t, oc, "replication", "master_link_status") == "up"
	})

	// The Sentinel-aware client writes to the new primary.
	for i := range 100 {
		var err error
		for range 50 {
			if err = client.Set(ctx, "after:"+strconv.Itoa(i), i, 0).Err(); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("write through sentinel after the failover: %v", err)
		}
	}
	if n, err := pc.DBSize(ctx).Result(); err != nil || n != 200 {
		t.Fatalf("new primary has %d keys (%v), want 200", n, err)
	}

	// The old primary comes back and is made a replica of the new one.
	m.start()
	waitUntil(t, "the old primary follows the new one", func() bool {
		return role(t, m.client()) == "slave" &&
			infoField(t, m.client(), "replication", "master_port") == strconv.Itoa(promoted.port) &&
			infoField(t, m.client(), "replication", "master_link_status") == "up"
	})
	waitInSync(t, pc, m.client())
	waitInSync(t, pc, oc)
	sameKeyspace(t, "old primary after the sentinel failover", promoted.addr(), m.addr())
	sameKeyspace(t, "other replica after the sentinel failover", promoted.addr(), other.addr())
	if got := strings.Join([]string{sentinelMaster(t, sentinels[1], "ip"), sentinelMaster(t, sentinels[1], "port")}, ":"); got != promoted.addr() {
		t.Errorf("another sentinel names %s as the primary, want %s", got, promoted.addr())
	}

	// SENTINEL FAILOVER, the operator's planned switch-over: the old
	// primary, now a replica with the default priority, is the only
	// candidate, and gets the role back. Every sentinel must have seen it
	// as a replica first: one that still remembers it reporting the master
	// role since its restart takes the promotion for that and turns it
	// back into a replica (+convert-to-slave) before the new configuration
	// reaches it, and Sentinel then needs more than 20 s to notice a
	// primary that reports itself a replica (seen once in make test).
	waitUntil(t, "every sentinel sees the old primary as a healthy replica", func() bool {
		for _, sc := range sentinels {
			replicas, err := sc.Replicas(ctx, "mymaster").Result()
			if err != nil {
				return false
			}
			healthy := false
			for _, r := range replicas {
				if r["port"] == strconv.Itoa(m.port) {
					healthy = r["flags"] == "slave" && r["role-reported"] == "slave" && r["master-link-status"] == "ok"
				}
			}
			if !healthy {
				return false
			}
		}
		return true
	})
	if err := sentinels[0].Failover(ctx, "mymaster").Err(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "SENTINEL FAILOVER promoted the old primary", func() bool {
		a, err := sentinels[0].GetMasterAddrByName(ctx, "mymaster").Result()
		return err == nil && len(a) == 2 && a[1] == strconv.Itoa(m.port) && role(t, m.client()) == "master"
	})
	if err := client.Set(ctx, "planned", "1", 0).Err(); err != nil {
		t.Fatalf("write through sentinel after SENTINEL FAILOVER: %v", err)
	}
	waitUntil(t, "both replicas follow the primary again", func() bool {
		for _, r := range []*redis.Client{pc, oc} {
			if infoField(t, r, "replication", "master_port") != strconv.Itoa(m.port) || infoField(t, r, "replication", "master_link_status") != "up" {
				return false
			}
		}
		return true
	})
	waitInSync(t, m.client(), pc)
	waitInSync(t, m.client(), oc)
	sameKeyspace(t, "after SENTINEL FAILOVER", m.addr(), promoted.addr())
}
