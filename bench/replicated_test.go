package bench

import (
	"bufio"
	"bytes"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// replicaInfo is INFO replication of a redis-server 7.0.15 replica, as it answers.
const replicaInfo = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:17403\r\nmaster_link_status:up\r\n" +
	"master_last_io_seconds_ago:2\r\nmaster_sync_in_progress:0\r\nslave_read_repl_offset:9000023\r\nslave_repl_offset:9000023\r\n" +
	"slave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n" +
	"master_replid:a81ff0a25a57576c6d9214447996ee329815a406\r\nmaster_replid2:0000000000000000000000000000000000000000\r\n" +
	"master_repl_offset:9000023\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:1\r\nrepl_backlog_size:1048576\r\n" +
	"repl_backlog_first_byte_offset:1\r\nrepl_backlog_histlen:9000023\r\n"

// primaryInfo is the same of its primary.
const primaryInfo = "# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=17404,state=online,offset=14,lag=0\r\n" +
	"master_failover_state:no-failover\r\nmaster_replid:130b81786ecd1b71710e30ece8a8f610b03aa447\r\n" +
	"master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:14\r\nsecond_repl_offset:-1\r\n"

func TestParseInfo(t *testing.T) {
	fields := parseInfo(primaryInfo + "\r\n# Stats\r\nsync_full:3\r\n")
	for key, want := range map[string]string{
		"role":               "master",
		"slave0":             "ip=127.0.0.1,port=17404,state=online,offset=14,lag=0",
		"master_repl_offset": "14",
		"sync_full":          "3",
	} {
		if got, ok := fields[key]; !ok || got != want {
			t.Errorf("%s = %q (%v), want %q", key, got, ok, want)
		}
	}
	if _, ok := fields["# Replication"]; ok || len(fields) != 9 {
		t.Errorf("fields %q: want the 9 key:value lines only", fields)
	}
	for _, tc := range []struct {
		key, want string
	}{
		{"master_repl_offset", ""},
		{"second_repl_offset", ""},
		{"master_replid", "INFO master_replid:130b81786ecd1b71710e30ece8a8f610b03aa447 is not an integer"},
		{"sync_full", "INFO has no sync_full"},
	} {
		_, err := infoInt(parseInfo(primaryInfo), tc.key)
		if got := errString(err); got != tc.want {
			t.Errorf("infoInt(%s): %q, want %q", tc.key, got, tc.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseReplicaStatus(t *testing.T) {
	edit := func(old, new string) string { return strings.Replace(replicaInfo, old, new, 1) }
	for _, tc := range []struct {
		name, info string
		want       replicaStatus
		err        string
	}{
		{"caught up", replicaInfo, replicaStatus{linkUp: true, offset: 9000023}, ""},
		{"syncing", strings.Replace(edit("master_link_status:up", "master_link_status:down"), "master_sync_in_progress:0", "master_sync_in_progress:1", 1),
			replicaStatus{syncing: true, offset: 9000023}, ""},
		{"link down", edit("master_link_status:up", "master_link_status:down"), replicaStatus{offset: 9000023}, ""},
		{"a primary", primaryInfo, replicaStatus{}, "INFO replication says role:master, not a replica's role:slave"},
		{"no link status", edit("master_link_status:up\r\n", ""), replicaStatus{}, "INFO replication has no master_link_status"},
		{"no offset", edit("slave_repl_offset:9000023\r\n", ""), replicaStatus{}, "INFO has no slave_repl_offset"},
		{"bad sync flag", edit("master_sync_in_progress:0", "master_sync_in_progress:no"), replicaStatus{}, "INFO master_sync_in_progress:no is not an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseReplicaStatus(parseInfo(tc.info))
			if got != tc.want || errString(err) != tc.err {
				t.Errorf("got %+v, %q; want %+v, %q", got, errString(err), tc.want, tc.err)
			}
		})
	}
}

func TestReplicaStatusCaughtUp(t *testing.T) {
	for _, tc := range []struct {
		st      replicaStatus
		primary int64
		want    bool
	}{
		{replicaStatus{linkUp: true, offset: 100}, 100, true},
		// Past the offset read before it: the primary's later PING, already applied.
		{replicaStatus{linkUp: true, offset: 114}, 100, true},
		{replicaStatus{linkUp: true, offset: 99}, 100, false},
		{replicaStatus{offset: 100}, 100, false},
		{replicaStatus{linkUp: true, syncing: true, offset: 100}, 100, false},
	} {
		if got := tc.st.caughtUp(tc.primary); got != tc.want {
			t.Errorf("%s caughtUp(%d) = %v, want %v", tc.st, tc.primary, got, tc.want)
		}
	}
}

func TestReplicatedArgs(t *testing.T) {
	top := Replicated{Replicas: 2}
	if top.Name() != "replicas2" {
		t.Errorf("Name() = %q", top.Name())
	}
	if err := (Replicated{}).Validate(); err == nil {
		t.Error("Replicated without replicas passed Validate")
	}
	for _, tc := range []struct {
		sys     System
		primary string
	}{
		{
			System{Name: "redoubt", Path: "/bin/redoubt", Style: StyleRedoubt},
			"/bin/redoubt server --port PORT --dir DIR --appendfsync everysec --save ''",
		},
		{
			System{Name: "redis", Path: "/usr/bin/redis-server", Style: StyleRedis},
			"/usr/bin/redis-server --port PORT --bind 127.0.0.1 --dir DIR --save '' --appendonly yes --appendfsync everysec --daemonize no --logfile ''",
		},
	} {
		got := top.CommandLines(tc.sys, "everysec")
		want := []string{
			tc.primary + " --repl-diskless-sync-delay 0",
			tc.primary + " --replicaof '127.0.0.1 PRIMARY_PORT'",
			tc.primary + " --replicaof '127.0.0.1 PRIMARY_PORT'",
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q\nwant %q", tc.sys.Name, got, want)
		}
	}
}

// TestReplicatedDeployment starts a redis-server with two replicas through the topology:
// Start returns with both linked, Preload returns only once both hold every key, Check
// notices a replica that left, and Stop stops all three processes.
func TestReplicatedDeployment(t *testing.T) {
	server, _ := needRedis(t)
	t.Parallel()
	ctx := t.Context()
	d, err := Replicated{Replicas: 2}.Start(ctx, System{Name: "redis", Path: server, Style: StyleRedis}, "everysec")
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			d.Stop()
		}
	}()
	target := d.Target()
	if len(target.Replicas) != 2 || target.Replicas[0].Port == target.Port || target.Replicas[0].Port == target.Replicas[1].Port {
		t.Fatalf("target %+v: want a primary and two replicas on ports of their own", target)
	}
	pids := d.Pids()
	if len(pids) != 3 {
		t.Fatalf("pids %v, want 3", pids)
	}
	if err := d.Preload(ctx, Params{Keyspace: 5000, DataSize: 3}); err != nil {
		t.Fatal(err)
	}
	for i, rt := range target.Replicas {
		rdb := redis.NewClient(&redis.Options{Addr: rt.String()})
		n, err := rdb.DBSize(ctx).Result()
		if err == nil && i == 1 {
			// Replica 2 leaves: Check must notice.
			err = rdb.Do(ctx, "REPLICAOF", "NO", "ONE").Err()
		}
		rdb.Close()
		if err != nil || n != 5000 {
			t.Fatalf("replica %d: DBSIZE %d, %v right after Preload; want 5000", i+1, n, err)
		}
	}
	err = d.Check(ctx)
	if want := "replica 2: INFO replication says role:master"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check with a replica gone = %v, want %q", err, want)
	}
	stopped = true
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d still runs after Stop", pid)
		}
	}
}

// TestCompareReplication runs the replication rows through the harness with redis-server
// standing in for both systems: SET with two replicas and ReplicationLag, and FULLSYNC
// with one replica, on small data sets, so it takes a few seconds. Every run must pass its
// own checks (every probe delivered in order, a real full sync with every key) and report
// its figures, and the report must show them.
func TestCompareReplication(t *testing.T) {
	server, benchmark := needRedis(t)
	var specs []Spec
	for _, s := range DefaultWorkloads() {
		if _, ok := s.Topology.(Replicated); ok {
			s.Clients = 10
			s.Keyspace = orDefault(s.Keyspace, DefaultKeyspace) / 50 // 2000, and 10000 for FULLSYNC
			specs = append(specs, s)
		}
	}
	var progress bytes.Buffer
	opts := selfCompared(server, benchmark, Options{
		Workloads:     specs,
		Filter:        regexp.MustCompile(`-p16-|^fullsync-`),
		Repeats:       2,
		Duration:      200 * time.Millisecond,
		ProbeDuration: 50 * time.Millisecond,
		Progress:      &progress,
	})
	res := compareOrFail(t, opts, &progress, 60*time.Second)
	if got := resultNames(res.Cases); !slices.Equal(got, []string{"set-replicas2-p16-everysec", "fullsync-replicas1-p1-everysec"}) || res.Failed() != 0 {
		t.Fatalf("cases %v, %d failed: %+v\nprogress:\n%s", got, res.Failed(), res.Cases, progress.String())
	}

	set, full := &res.Cases[0], &res.Cases[1]
	for _, s := range set.Systems {
		for _, run := range s.Runs {
			f := run.Sample.Figures
			// A run of about 200 ms at a probe every 10 ms.
			if !(0 < f[FigureLagP50] && f[FigureLagP50] <= f[FigureLagP99] && f[FigureLagP99] <= f[FigureLagMax] && f[FigureLagMax] < 1000) ||
				f[FigureLagProbes] < 2 || len(f) != 4 {
				t.Errorf("%s round %d: lag figures %v", s.System, run.Round, f)
			}
		}
		if st := s.Summary.Figures[FigureLagP99]; st.N != 2 || s.Summary.P99Ms.N != 2 {
			t.Errorf("%s: summary %+v, want lag and latencies of both rounds", s.System, s.Summary)
		}
	}

	if !full.FixedWork || full.Sized || full.Tool != FullSyncTool {
		t.Errorf("fullsync: fixed work %v, sized %v, tool %q", full.FixedWork, full.Sized, full.Tool)
	}
	for _, s := range full.Systems {
		if s.Requests != 10000 || len(s.Runs) != 2 {
			t.Fatalf("%s: %d requests, %d runs; want the 10000 keys, 2 runs", s.System, s.Requests, len(s.Runs))
		}
		for _, run := range s.Runs {
			if smp := run.Sample; smp.Requests != 10000 || smp.ElapsedSec <= 0 || smp.Figures[FigureFullSyncSec] != smp.ElapsedSec ||
				abs(smp.RPS*smp.ElapsedSec-10000) > 1e-6 || smp.P50Ms != 0 || len(smp.Distribution) != 0 {
				t.Errorf("%s round %d: %+v", s.System, run.Round, smp)
			}
		}
		if s.Summary.P50Ms.N != 0 || s.Summary.RPS.N != 2 || s.Summary.Figures[FigureFullSyncSec].N != 2 {
			t.Errorf("%s: summary %+v, want throughput and sync time, no latencies", s.System, s.Summary)
		}
	}
	// One probe per system, then the two rounds: no growing of a fixed-work probe.
	if n := strings.Count(progress.String(), "probed fullsync-replicas1-p1-everysec on "); n != 2 {
		t.Errorf("%d probes of fullsync, want one per system\nprogress:\n%s", n, progress.String())
	}

	var md bytes.Buffer
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## Replication",
		"| Workload | -P | Redoubt lag p50 | Redis lag p50 | Redoubt lag p99 | Redis lag p99 | Redoubt lag max | Redis lag max |\n|---|---|---|---|---|---|---|---|\n| SET [replicas2] | 16 | ",
		"| Workload | Keys | Redoubt s | Redis s |\n|---|---|---|---|\n| FULLSYNC [replicas1] | 10000 | ",
		"| fullsync-replicas1-p1-everysec | harness (REPLICAOF) | `on the replica, untimed: REPLICAOF NO ONE, FLUSHALL; then timed: REPLICAOF 127.0.0.1 PRIMARY_PORT",
		"--replicaof '127.0.0.1 PRIMARY_PORT'",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
}

// resultNames is names (workload_test.go) for results.
func resultNames(cases []CaseResult) []string {
	var ns []string
	for _, c := range cases {
		ns = append(ns, c.Name)
	}
	return ns
}

// TestStopResendsSIGTERM: a process that shrugs off its first SIGTERM, as a Redis replica
// writing its first AOF after a full sync does, stops at the next one, not at SIGKILL
// after stopTimeout.
func TestStopResendsSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a second SIGTERM (not in -short)")
	}
	t.Parallel()
	// The first TERM only removes the trap; the shell says so once the trap is set.
	cmd := exec.Command("sh", "-c", `trap 'trap - TERM' TERM; echo ready; while :; do sleep 0.05; done`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("no sh: %v", err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		cmd.Process.Kill()
		t.Fatalf("shell said %q, %v", line, err)
	}
	s := &server{sys: System{Name: "stubborn"}, dir: t.TempDir(), cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < stopResend || took > stopResend+2*time.Second {
		t.Errorf("Stop took %s, want about %s: the second SIGTERM", took, stopResend)
	}
}
