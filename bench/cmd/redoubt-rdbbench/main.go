// Command redoubt-rdbbench compares RDB snapshots of Redoubt and Redis side
// by side on one data set (1M keys of mixed types by default): BGSAVE time
// and file size, the latency of writes while BGSAVE runs, and the time to
// load the file (Redis at startup; Redoubt with `redoubt rdb import`).
// Systems alternate round by round. `make bench-rdb` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	redoubtBin = flag.String("redoubt", "bin/redoubt", "redoubt binary")
	redisBin   = flag.String("redis", "redis-server", "redis-server binary")
	keys       = flag.Int("keys", 1_000_000, "keys to load (60% strings, 10% each of hashes, lists, sets, sorted sets of 10 members)")
	rounds     = flag.Int("rounds", 3, "BGSAVE rounds per system")
	load       = flag.Bool("load", true, "also time loading the file")
)

type proc struct {
	name string
	cmd  *exec.Cmd
	port int
	dir  string
	c    *redis.Client
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func start(name, bin string, args []string, port int, dir string) *proc {
	cmd := exec.Command(bin, args...)
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	must(err)
	cmd.Stdout, cmd.Stderr = logf, logf
	must(cmd.Start())
	p := &proc{name: name, cmd: cmd, port: port, dir: dir}
	running[p] = true
	p.c = redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), DisableIdentity: true, ReadTimeout: time.Minute})
	deadline := time.Now().Add(5 * time.Minute)
	for {
		info, err := p.c.Info(context.Background(), "persistence").Result()
		if err == nil && strings.Contains(info, "loading:0") {
			return p
		}
		if time.Now().After(deadline) {
			fail("%s did not start: %v", name, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *proc) stop() {
	delete(running, p)
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.c.Close()
}

func fill(c *redis.Client, n int) {
	ctx := context.Background()
	val := strings.Repeat("v", 100)
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		k := "key:" + strconv.Itoa(i)
		switch i % 10 {
		case 0:
			pipe.HSet(ctx, k, "f0", val, "f1", 1, "f2", 2, "f3", 3, "f4", 4, "f5", 5, "f6", 6, "f7", 7, "f8", 8, "f9", val)
		case 1:
			pipe.RPush(ctx, k, "a", "b", "c", "d", "e", "f", "g", "h", "i", val)
		case 2:
			pipe.SAdd(ctx, k, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
		case 3:
			zs := make([]redis.Z, 10)
			for j := range zs {
				zs[j] = redis.Z{Score: float64(j) * 1.5, Member: "m" + strconv.Itoa(j)}
			}
			pipe.ZAdd(ctx, k, zs...)
		default:
			pipe.Set(ctx, k, val, 0)
		}
		if pipe.Len() >= 1000 {
			_, err := pipe.Exec(ctx)
			must(err)
		}
	}
	_, err := pipe.Exec(ctx)
	must(err)
}

// measureWrites runs fn while a writer measures SET latencies at about
// 2,000 a second, and returns fn's duration and the latencies.
func measureWrites(p *proc, fn func()) (time.Duration, []time.Duration) {
	ctx := context.Background()
	w := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(p.port), DisableIdentity: true})
	defer w.Close()
	stop := make(chan struct{})
	lat := make(chan []time.Duration)
	go func() {
		var ls []time.Duration
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				lat <- ls
				return
			case <-tick.C:
			}
			t0 := time.Now()
			must(w.Set(ctx, "during:"+strconv.Itoa(i), "x", 0).Err())
			ls = append(ls, time.Since(t0))
		}
	}()
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	fn()
	d := time.Since(t0)
	close(stop)
	return d, <-lat
}

// bgsave runs BGSAVE and waits for it, polling INFO.
func bgsave(p *proc) {
	ctx := context.Background()
	must(p.c.BgSave(ctx).Err())
	for !strings.Contains(p.c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:0") {
		time.Sleep(5 * time.Millisecond)
	}
}

func pct(ls []time.Duration, q float64) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	s := slices.Clone(ls)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

func main() {
	flag.Parse()
	root, err := os.MkdirTemp("", "rdbbench-")
	must(err)
	tmpRoot = root
	defer os.RemoveAll(root)
	rdDir, rsDir := filepath.Join(root, "redoubt"), filepath.Join(root, "redis")
	must(os.MkdirAll(rdDir, 0o755))
	must(os.MkdirAll(rsDir, 0o755))
	pd, ps := freePort(), freePort()
	rd := start("redoubt", *redoubtBin, []string{"server", "--port", strconv.Itoa(pd), "--dir", rdDir, "--save", "", "--appendfsync", "everysec"}, pd, rdDir)
	rs := start("redis", *redisBin, []string{"--port", strconv.Itoa(ps), "--bind", "127.0.0.1", "--dir", rsDir, "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no"}, ps, rsDir)
	fmt.Printf("loading %d keys into both...\n", *keys)
	fill(rd.c, *keys)
	fill(rs.c, *keys)
	fmt.Printf("%-8s %5s %10s %12s %10s %10s %10s\n", "system", "round", "bgsave", "file bytes", "set p50", "set p99", "set max")
	for _, p := range []*proc{rd, rs} {
		_, ls := measureWrites(p, func() { time.Sleep(2 * time.Second) })
		fmt.Printf("%-8s %5s %10s %12s %10s %10s %10s\n", p.name, "idle", "-", "-",
			pct(ls, 0.5).Round(time.Microsecond), pct(ls, 0.99).Round(time.Microsecond), pct(ls, 1).Round(time.Microsecond))
	}
	times := map[string][]time.Duration{}
	for r := 0; r < *rounds; r++ {
		for _, p := range []*proc{rd, rs} {
			syscall.Sync() // the last save's pages are not this one's to write back
			d, ls := measureWrites(p, func() { bgsave(p) })
			times[p.name] = append(times[p.name], d)
			fi, err := os.Stat(filepath.Join(p.dir, "dump.rdb"))
			must(err)
			fmt.Printf("%-8s %5d %10s %12d %10s %10s %10s\n", p.name, r+1, d.Round(time.Millisecond), fi.Size(),
				pct(ls, 0.5).Round(time.Microsecond), pct(ls, 0.99).Round(time.Microsecond), pct(ls, 1).Round(time.Microsecond))
		}
	}
	med := func(ds []time.Duration) time.Duration { s := slices.Clone(ds); slices.Sort(s); return s[len(s)/2] }
	fmt.Printf("BGSAVE median: redoubt %s, redis %s, ratio (redis time / redoubt time) %.2f\n",
		med(times["redoubt"]).Round(time.Millisecond), med(times["redis"]).Round(time.Millisecond),
		float64(med(times["redis"]))/float64(med(times["redoubt"])))
	rd.stop()
	rs.stop()
	if !*load {
		return
	}

	// Load the same file (Redis's) both ways.
	file := filepath.Join(rsDir, "dump.rdb")
	fi, err := os.Stat(file)
	must(err)
	var loadRedis, loadRedoubt []time.Duration
	for r := 0; r < *rounds; r++ {
		// Each load starts with nothing of the servers' or the last
		// load's left to write back: an import syncs its tables, and
		// on ext4 a sync can wait for other files' dirty pages too,
		// while Redis's load writes nothing.
		syscall.Sync()
		t0 := time.Now()
		pl := freePort()
		p := start("redis-load", *redisBin, []string{"--port", strconv.Itoa(pl), "--bind", "127.0.0.1", "--dir", rsDir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--daemonize", "no"}, pl, rsDir)
		// Redis answers INFO while it loads: wait for the keys.
		for deadline := time.Now().Add(5 * time.Minute); p.c.DBSize(context.Background()).Val() < int64(*keys); {
			if time.Now().After(deadline) {
				fail("redis did not load the file")
			}
			time.Sleep(2 * time.Millisecond)
		}
		loadRedis = append(loadRedis, time.Since(t0))
		p.stop()
		dst := filepath.Join(root, "import"+strconv.Itoa(r))
		syscall.Sync()
		t0 = time.Now()
		out, err := exec.Command(*redoubtBin, "rdb", "import", "--dir", dst, file).CombinedOutput()
		if err != nil {
			fail("import: %v\n%s", err, out)
		}
		loadRedoubt = append(loadRedoubt, time.Since(t0))
		must(os.RemoveAll(dst))
	}
	fmt.Printf("load of Redis's %d-byte file, median of %d: redis startup %s, redoubt rdb import %s, ratio (redis / redoubt) %.2f\n",
		fi.Size(), *rounds, med(loadRedis).Round(time.Millisecond), med(loadRedoubt).Round(time.Millisecond),
		float64(med(loadRedis))/float64(med(loadRedoubt)))
}

func must(err error) {
	if err != nil {
		fail("%v", err)
	}
}

// tmpRoot is removed, and the servers in running stopped, on failure too
// (os.Exit skips deferred calls).
var (
	tmpRoot string
	running = map[*proc]bool{}
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "redoubt-rdbbench: "+format+"\n", args...)
	for p := range running {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(1)
}
