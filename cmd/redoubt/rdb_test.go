package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RDB interop: what Redoubt saves loads into a real redis-server with the
// same data, and (rdb import) what Redis saves loads into Redoubt.

// redisServer is a real redis-server started for one test.
type redisServer struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startRedis starts redis-server on a free loopback port with dir as its
// working directory (loading dir/dbfilename if present), or skips the test
// when Redis is not installed.
func startRedis(t *testing.T, dir, dbfilename string) *redisServer {
	t.Helper()
	return startRedisArgs(t, dir, "--dbfilename", dbfilename)
}

// startRedisArgs is startRedis with other redis-server arguments.
func startRedisArgs(t *testing.T, dir string, args ...string) *redisServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts redis-server (not in -short)")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	r := &redisServer{port: freePort(t), done: make(chan struct{})}
	r.cmd = exec.Command(bin, append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no"}, args...)...)
	logf, err := os.Create(filepath.Join(t.TempDir(), "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
		logf.Close()
	})
	c := redis.NewClient(&redis.Options{Addr: r.addr(), DisableIdentity: true})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil || strings.HasPrefix(err.Error(), "NOAUTH") || strings.HasPrefix(err.Error(), "MASTERDOWN") {
			return r // up (NOAUTH: it wants a password; MASTERDOWN: a replica serving no stale data)
		}
		select {
		case <-r.done:
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("redis-server exited at start:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// client is a go-redis client of r, closed when the test ends.
func (r *redisServer) client(t *testing.T) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.addr(), DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// fillEveryType writes keys of every type in small and big encodings,
// binary and integer-like values, special scores and expiries, into
// databases 0, 3 and 15.
func fillEveryType(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	for _, db := range []int{0, 3, 15} {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, DisableIdentity: true})
		p := c.Pipeline()
		pre := fmt.Sprintf("db%d:", db)
		p.Set(ctx, pre+"str", "hello", 0)
		p.Set(ctx, pre+"int", "12345", 0)
		p.Set(ctx, pre+"negint", "-2147483648", 0)
		p.Set(ctx, pre+"notint", "007", 0)
		p.Set(ctx, pre+"bigint", "9223372036854775807", 0)
		p.Set(ctx, pre+"empty", "", 0)
		p.Set(ctx, pre+"binary", "a\x00b\r\n\xff", 0)
		p.Set(ctx, pre+"long", strings.Repeat("compressible ", 200), 0)
		p.Set(ctx, pre+"expiring", "x", time.Hour)
		p.RPush(ctx, pre+"list", "a", "1", "", "-5", "b")
		p.HSet(ctx, pre+"hash", "f", "v", "n", "42", "", "empty field")
		p.HSet(ctx, pre+"hash-longval", "f", strings.Repeat("v", 100))
		p.SAdd(ctx, pre+"intset", 3, 1, -2, 70000, 5000000000)
		p.SAdd(ctx, pre+"set", "a", "b", "1")
		p.ZAdd(ctx, pre+"zset", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"},
			redis.Z{Score: math.Inf(1), Member: "top"}, redis.Z{Score: math.Inf(-1), Member: "bottom"},
			redis.Z{Score: -0.1, Member: "c"}, redis.Z{Score: 1e300, Member: "huge"})
		p.Expire(ctx, pre+"zset", 2*time.Hour)
		for i := 0; i < 1000; i++ {
			p.RPush(ctx, pre+"biglist", fmt.Sprintf("element-%d", i))
			p.HSet(ctx, pre+"bighash", fmt.Sprintf("field-%d", i), i)
			p.SAdd(ctx, pre+"bigintset", i*7)
			p.SAdd(ctx, pre+"bigset", fmt.Sprintf("m%d", i))
			p.ZAdd(ctx, pre+"bigzset", redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("z%d", i)})
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}

// dumpKeyspace reads every key of databases 0..15 with its type, value
// (sets sorted) and whether it has a TTL, for comparing two servers.
func dumpKeyspace(t *testing.T, addr string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for db := 0; db < 16; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, DisableIdentity: true})
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			typ := c.Type(ctx, k).Val()
			var val any
			switch typ {
			case "string":
				val = c.Get(ctx, k).Val()
			case "list":
				val = c.LRange(ctx, k, 0, -1).Val()
			case "hash":
				val = c.HGetAll(ctx, k).Val()
			case "set":
				m := c.SMembers(ctx, k).Val()
				slices.Sort(m)
				val = m
			case "zset":
				val = c.ZRangeWithScores(ctx, k, 0, -1).Val()
			default:
				t.Fatalf("db %d key %q: type %q", db, k, typ)
			}
			ttl := c.PTTL(ctx, k).Val()
			out[fmt.Sprintf("%d/%s", db, k)] = fmt.Sprintf("%s %v ttl=%v", typ, val, ttl > 0)
		}
		c.Close()
	}
	return out
}

func diffKeyspaces(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return
	}
	n := 0
	for k, v := range want {
		if got[k] != v && n < 5 {
			t.Errorf("%s: key %s: %.200s, want %.200s", what, k, got[k], v)
			n++
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && n < 10 {
			t.Errorf("%s: unexpected key %s", what, k)
			n++
		}
	}
	t.Fatalf("%s: %d keys, want %d", what, len(got), len(want))
}

// TestSaveLoadsIntoRedis saves every type with SAVE and BGSAVE and loads the
// file into a real redis-server; redis-check-rdb must accept it too.
func TestSaveLoadsIntoRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	s := startServer(t, "")
	fillEveryType(t, s.addr())
	want := dumpKeyspace(t, s.addr())
	ctx := context.Background()
	c := s.client()
	for _, save := range []string{"SAVE", "BGSAVE"} {
		before := c.LastSave(ctx).Val()
		if err := c.Do(ctx, strings.ToLower(save)).Err(); err != nil {
			t.Fatalf("%s: %v", save, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:0") {
			if time.Now().After(deadline) {
				t.Fatal("BGSAVE did not finish")
			}
			time.Sleep(10 * time.Millisecond)
		}
		info := c.Info(ctx, "persistence").Val()
		for _, field := range []string{"rdb_last_bgsave_status:ok", "rdb_changes_since_last_save:0"} {
			if !strings.Contains(info, field) {
				t.Fatalf("after %s, INFO persistence lacks %s:\n%s", save, field, info)
			}
		}
		if after := c.LastSave(ctx).Val(); after < before {
			t.Fatalf("LASTSAVE went from %d to %d", before, after)
		}
		if check, err := exec.LookPath("redis-check-rdb"); err == nil {
			out, err := exec.Command(check, filepath.Join(s.dir, "dump.rdb")).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "RDB looks OK") {
				t.Fatalf("redis-check-rdb: %v\n%s", err, out)
			}
		}
		r := startRedis(t, s.dir, "dump.rdb")
		diffKeyspaces(t, save+" loaded into redis-server", want, dumpKeyspace(t, r.addr()))
		if save == "BGSAVE" {
			// And back: Redis saves what it loaded (over the same file,
			// it runs in Redoubt's directory), Redoubt imports it.
			rc := redis.NewClient(&redis.Options{Addr: r.addr(), DisableIdentity: true})
			if err := rc.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			rc.Close()
			back := t.TempDir()
			if out, err := runRedoubt(t, "rdb", "import", "--dir", back, filepath.Join(s.dir, "dump.rdb")); err != nil {
				t.Fatalf("rdb import: %v\n%s", err, out)
			}
			s2 := startServer(t, back)
			diffKeyspaces(t, "Redoubt -> Redis -> Redoubt", want, dumpKeyspace(t, s2.addr()))
		}
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// runRedoubt runs the binary to completion and returns its output.
func runRedoubt(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binPath, args...).CombinedOutput()
	return string(out), err
}

// TestRDBImportExport goes Redis -> file -> rdb import -> Redoubt ->
// rdb export -> file -> Redis, comparing every key at each step, and checks
// that a bad file or a non-empty directory leaves the data as it was.
func TestRDBImportExport(t *testing.T) {
	redisDir := t.TempDir()
	r := startRedis(t, redisDir, "dump.rdb")
	fillEveryType(t, r.addr())
	want := dumpKeyspace(t, r.addr())
	rc := redis.NewClient(&redis.Options{Addr: r.addr(), DisableIdentity: true})
	defer rc.Close()
	if err := rc.Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(redisDir, "dump.rdb")

	out, err := runRedoubt(t, "rdb", "check", src)
	if err != nil || !strings.Contains(out, "RDB looks OK") || !strings.Contains(out, "keys:      60 (6 with an expiry") {
		t.Fatalf("rdb check: %v\n%s", err, out)
	}

	dir := t.TempDir()
	if out, err := runRedoubt(t, "rdb", "import", "--dir", dir, src); err != nil || !strings.Contains(out, "imported 60 keys") {
		t.Fatalf("rdb import: %v\n%s", err, out)
	}
	s := startServer(t, dir)
	diffKeyspaces(t, "Redis file imported into Redoubt", want, dumpKeyspace(t, s.addr()))
	s.stop()

	// A second import into the now non-empty directory is refused.
	if out, err := runRedoubt(t, "rdb", "import", "--dir", dir, src); err == nil || !strings.Contains(out, "already holds 60 keys") {
		t.Fatalf("import into a full directory: %v\n%s", err, out)
	}

	exported := filepath.Join(t.TempDir(), "export.rdb")
	if out, err := runRedoubt(t, "rdb", "export", "--dir", dir, exported); err != nil || !strings.Contains(out, "exported 60 keys") {
		t.Fatalf("rdb export: %v\n%s", err, out)
	}
	r2 := startRedis(t, filepath.Dir(exported), "export.rdb")
	diffKeyspaces(t, "Redoubt export loaded into Redis", want, dumpKeyspace(t, r2.addr()))

	// A truncated file is refused with its offset, and nothing is kept.
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "truncated.rdb")
	if err := os.WriteFile(bad, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	out, err = runRedoubt(t, "rdb", "import", "--dir", empty, bad)
	if err == nil || !strings.Contains(out, "offset") || !strings.Contains(out, "nothing was imported") {
		t.Fatalf("import of a truncated file: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("a failed import left %v behind", entries)
	}
	if out, err := runRedoubt(t, "rdb", "check", bad); err == nil {
		t.Fatalf("rdb check accepted a truncated file:\n%s", out)
	}
}

// moveByDump copies every key of databases 0..15 from one server to the
// other with DUMP and RESTORE (keeping TTLs).
func moveByDump(t *testing.T, from, to string) {
	t.Helper()
	ctx := context.Background()
	for db := 0; db < 16; db++ {
		src := redis.NewClient(&redis.Options{Addr: from, DB: db, DisableIdentity: true})
		dst := redis.NewClient(&redis.Options{Addr: to, DB: db, DisableIdentity: true})
		for _, k := range src.Keys(ctx, "*").Val() {
			payload, err := src.Dump(ctx, k).Result()
			if err != nil {
				t.Fatalf("DUMP %s: %v", k, err)
			}
			ttl := src.PTTL(ctx, k).Val()
			if ttl < 0 {
				ttl = 0
			}
			if err := dst.Restore(ctx, k, ttl, payload).Err(); err != nil {
				t.Fatalf("RESTORE %s (db %d): %v", k, db, err)
			}
		}
		src.Close()
		dst.Close()
	}
}

// TestDumpRestoreInterop moves every type, small and big, from Redis to
// Redoubt and back with DUMP/RESTORE, comparing all keys each way.
func TestDumpRestoreInterop(t *testing.T) {
	r := startRedis(t, t.TempDir(), "dump.rdb")
	fillEveryType(t, r.addr())
	want := dumpKeyspace(t, r.addr())
	s := startServer(t, "")
	moveByDump(t, r.addr(), s.addr())
	diffKeyspaces(t, "Redis DUMP restored into Redoubt", want, dumpKeyspace(t, s.addr()))
	r2 := startRedis(t, t.TempDir(), "dump.rdb")
	moveByDump(t, s.addr(), r2.addr())
	diffKeyspaces(t, "Redoubt DUMP restored into Redis", want, dumpKeyspace(t, r2.addr()))
}

// TestFlushAllSavesWithSavePoints: as in Redis, FLUSHALL with save points
// set saves the emptied dataset before it replies, so the RDB file no
// longer holds the flushed keys; without save points it saves nothing.
func TestFlushAllSavesWithSavePoints(t *testing.T) {
	rdbKeys := func(t *testing.T, path string) string {
		t.Helper()
		out, err := exec.Command(binPath, "rdb", "check", path).CombinedOutput()
		if err != nil {
			t.Fatalf("rdb check: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`(?m)^keys:\s+(\d+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("rdb check:\n%s", out)
		}
		return string(m[1])
	}
	changes := func(t *testing.T, c *redis.Client) string {
		t.Helper()
		info := c.Info(context.Background(), "persistence").Val()
		m := regexp.MustCompile(`rdb_changes_since_last_save:(\d+)`).FindStringSubmatch(info)
		if m == nil {
			t.Fatalf("INFO persistence:\n%s", info)
		}
		return m[1]
	}
	ctx := context.Background()
	for _, tc := range []struct {
		save     string
		saved    bool // rdb_changes_since_last_save is 0 after FLUSHALL
		wantKeys string
	}{
		{"3600 1", true, "0"},
		{"", false, "2"},
	} {
		s := startServer(t, "", "--save", tc.save)
		c := s.client()
		for _, k := range []string{"a", "b"} {
			if err := c.Set(ctx, k, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Save(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, "c", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.FlushAll(ctx).Err(); err != nil {
			t.Fatalf("save %q: FLUSHALL: %v", tc.save, err)
		}
		if got := changes(t, c); (got == "0") != tc.saved {
			t.Errorf("save %q: rdb_changes_since_last_save after FLUSHALL = %s", tc.save, got)
		}
		if got := rdbKeys(t, filepath.Join(s.dir, "dump.rdb")); got != tc.wantKeys {
			t.Errorf("save %q: dump.rdb holds %s keys after FLUSHALL, want %s", tc.save, got, tc.wantKeys)
		}
	}
}

// TestHelp: every way of asking for help prints the usage and exits 0,
// and none is taken for a file name (rdb export would have written one
// named --help).
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "redoubt server"},
		{[]string{"-h"}, "redoubt server"},
		{[]string{"help"}, "redoubt server"},
		{[]string{"server", "--help"}, "redoubt server"},
		{[]string{"rdb", "--help"}, "redoubt rdb import"},
		{[]string{"rdb", "check", "--help"}, "redoubt rdb import"},
		{[]string{"rdb", "import", "--dir", t.TempDir(), "--help"}, "redoubt rdb import"},
		{[]string{"rdb", "export", "--dir", t.TempDir(), "-h"}, "redoubt rdb import"},
	} {
		var stdout, stderr strings.Builder
		if rc := run(tc.args, &stdout, &stderr); rc != 0 || !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, rc, stdout.String(), stderr.String())
		}
	}
	for _, name := range []string{"--help", "-h"} {
		if _, err := os.Stat(name); err == nil {
			os.Remove(name)
			t.Errorf("a file named %s was written", name)
		}
	}
}
