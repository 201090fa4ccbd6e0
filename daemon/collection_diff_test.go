package daemon

import (
	"bufio"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCollectionsDifferential runs the same random collection commands on
// the memory backend, on Pebble with the write buffer's flusher live, and,
// when a redis-server binary is installed, on a real Redis 7.0, and
// compares every reply. Commands whose element order Redis leaves
// unspecified are compared sorted; random commands are left out (their
// shapes are unit-tested).
func TestCollectionsDifferential(t *testing.T) {
	d := newDiffRun(t, 6000)
	d.mem.srv.cfg.EnableDebugCommand = "yes"
	d.peb.srv.cfg.EnableDebugCommand = "yes"
	for i := 0; i < d.n; i++ {
		cmd, order := collDiffCommand(d.r)
		got := d.both(cmd, order)
		d.compare(cmd, order, got, nil)
		if i%500 == 499 || i == d.n-1 {
			// The data sets, whole: Redis's digest of every key.
			for _, cmd := range [][]string{{"DEBUG", "DIGEST"}, {"DEBUG", "DIGEST-VALUE", "a", "b", "c", "d"}} {
				d.compare(cmd, ordered, d.both(cmd, ordered), nil)
			}
		}
	}
}

// diffRun is one differential run: the same commands on the memory
// backend, on Pebble with the write buffer's flusher live, and on a real
// redis-server when one is installed, with the collection encoding
// thresholds lowered (collDiffConfig) on all three.
type diffRun struct {
	t        *testing.T
	n        int // commands to draw
	seed     int64
	r        *rand.Rand
	mem, peb *harness
	redis    *diffRedis // nil without redis-server
	history  []string
}

// diffCount is how many commands a differential test draws: n, or a
// quarter of it with -short.
func diffCount(n int) int {
	if testing.Short() {
		return n / 4
	}
	return n
}

// diffSeedFromEnv is the seed of a run: REDOUBT_DIFF_SEED replays one.
func diffSeedFromEnv() int64 {
	if s := os.Getenv("REDOUBT_DIFF_SEED"); s != "" {
		seed, _ := strconv.ParseInt(s, 10, 64)
		return seed
	}
	return time.Now().UnixNano()
}

// needDiffRedis is startDiffRedis for tests that only compare with Redis:
// without redis-server they skip.
func needDiffRedis(t *testing.T) *diffRedis {
	t.Helper()
	redis := startDiffRedis(t)
	if redis == nil {
		t.Skip("needs redis-server")
	}
	return redis
}

func newDiffRun(t *testing.T, n int) *diffRun {
	t.Helper()
	d := &diffRun{t: t, n: diffCount(n), mem: newHarness(t), peb: newPebbleHarness(t), redis: startDiffRedis(t)}
	t.Cleanup(d.mem.close)
	t.Cleanup(d.peb.close)
	for _, h := range []*harness{d.mem, d.peb} {
		for _, line := range collDiffConfig {
			h.client(1).do(t, line)
		}
	}
	d.seed = diffSeed(t, d.redis, d.mem, d.peb)
	d.r = rand.New(rand.NewSource(d.seed))
	return d
}

// fail reports a difference with the seed and the commands before it.
func (d *diffRun) fail(format string, args ...any) {
	d.t.Helper()
	d.t.Fatalf("seed %d: "+format+"\nlast commands:\n%s", append(append([]any{d.seed}, args...), lastLines(d.history, 30))...)
}

// both runs cmd on the two backends, fails if they differ, and returns
// the reply.
func (d *diffRun) both(cmd []string, order replyOrder) string {
	d.t.Helper()
	line := quoteLine(cmd)
	d.history = append(d.history, line)
	got := strings.Join(d.mem.client(1).do(d.t, line, order), "\n")
	if p := strings.Join(d.peb.client(1).do(d.t, line, order), "\n"); p != got {
		d.fail("%s\nmemory: %s\npebble: %s", line, got, p)
	}
	return got
}

// compare runs cmd on Redis and fails if its reply differs from got,
// unless same (when not nil) accepts the two.
func (d *diffRun) compare(cmd []string, order replyOrder, got string, same func(want, got string) bool) {
	d.t.Helper()
	if d.redis == nil {
		return
	}
	if want := d.redis.do(d.t, cmd, order); want != got && (same == nil || !same(want, got)) {
		d.fail("%s\nredis:   %s\nredoubt: %s", quoteLine(cmd), want, got)
	}
}

// diffSeed picks the seed of a differential run (REDOUBT_DIFF_SEED
// replays one) and, from it, the protocol: odd seeds switch every
// connection to RESP3 (as go-redis v9 does), so both reply encodings are
// compared over time and a failing seed replays with its own.
func diffSeed(t *testing.T, redis *diffRedis, hs ...*harness) int64 {
	t.Helper()
	seed := diffSeedFromEnv()
	if seed%2 != 0 {
		t.Logf("seed %d: RESP3", seed)
		for _, h := range hs {
			h.client(1).do(t, "HELLO 3")
		}
		if redis != nil {
			redis.do(t, []string{"HELLO", "3"}, ordered)
		}
	}
	return seed
}

func lastLines(h []string, n int) string {
	if len(h) > n {
		h = h[len(h)-n:]
	}
	return strings.Join(h, "\n")
}

// quoteLine renders argv as one inline line the scenario parser reads back.
//
// Every byte outside printable ASCII is written as \xHH: the harness
// splits lines as redis-cli does (sdssplitargs), which knows no \u
// escapes, so strconv.Quote's would reach the server as text.
func quoteLine(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for j := 0; j < len(a); j++ {
			switch c := a[j]; {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20 || c >= 0x7f:
				fmt.Fprintf(&b, "\\x%02x", c)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	}
	return b.String()
}

// diffRedis is a redis-server started for one test.
type diffRedis struct {
	addr string
	conn net.Conn
	rd   *bufio.Reader
}

// another opens a second connection to the same server.
func (d *diffRedis) another(t *testing.T) *diffRedis {
	t.Helper()
	conn, err := net.Dial("tcp", d.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &diffRedis{addr: d.addr, conn: conn, rd: bufio.NewReader(conn)}
}

// send writes a command without reading its reply.
func (d *diffRedis) send(t *testing.T, args ...string) {
	t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	_ = d.conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := d.conn.Write(encodeCommand(argv)); err != nil {
		t.Fatal(err)
	}
}

// read reads one reply (or push).
func (d *diffRedis) read(t *testing.T) string {
	t.Helper()
	_ = d.conn.SetDeadline(time.Now().Add(5 * time.Second))
	return readReply(t, d.rd, ordered)
}

func (d *diffRedis) do(t *testing.T, args []string, order replyOrder) string {
	t.Helper()
	d.send(t, args...)
	return readReply(t, d.rd, order)
}

// startDiffRedis starts redis-server on a free loopback port, or returns
// nil when it is not installed (REDOUBT_SCENARIO_REDIS=addr uses a running
// one instead).
func startDiffRedis(t *testing.T) *diffRedis {
	t.Helper()
	addr := os.Getenv("REDOUBT_SCENARIO_REDIS")
	if addr == "" {
		bin, err := exec.LookPath("redis-server")
		if err != nil {
			t.Log("redis-server not installed: comparing the two backends only")
			return nil
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir(),
			"--enable-debug-command", "local")
		cmd.SysProcAttr = diffRedisAttr()
		// Started from an OS thread that lives until the cleanup:
		// Pdeathsig (diffRedisAttr) fires when the thread that started
		// the child ends, not the process, and Go ends threads (the
		// server's background saves lock one and let it go), which
		// killed the server in the middle of a test.
		started, done := make(chan error), make(chan struct{})
		go func() {
			runtime.LockOSThread()
			started <- cmd.Start()
			<-done
		}()
		if err := <-started; err != nil {
			close(done)
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			close(done)
		})
		addr = "127.0.0.1:" + strconv.Itoa(port)
	}
	var conn net.Conn
	var err error
	for i := 0; i < 100; i++ {
		if conn, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("redis-server at %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	d := &diffRedis{addr: addr, conn: conn, rd: bufio.NewReader(conn)}
	d.do(t, []string{"FLUSHALL"}, ordered)
	// Keys expire only when a command finds them, as in the harnesses,
	// which run no expiry cycle: Redis's own cycle expired keys set with
	// a time in the past between two commands, and its notifications
	// then came with whatever command ran next (a flaky difference).
	d.do(t, []string{"DEBUG", "SET-ACTIVE-EXPIRE", "0"}, ordered)
	for _, line := range collDiffConfig {
		d.do(t, strings.Fields(line), ordered)
	}
	return d
}

// collDiffConfig lowers the encoding thresholds so conversions happen at
// the test's sizes (and OBJECT ENCODING is compared across them).
var collDiffConfig = []string{
	"CONFIG SET hash-max-listpack-entries 8", "CONFIG SET hash-max-listpack-value 6",
	"CONFIG SET set-max-intset-entries 8", "CONFIG SET zset-max-listpack-entries 8",
	"CONFIG SET zset-max-listpack-value 6",
}

func collDiffKey(r *rand.Rand) string { return []string{"a", "b", "c", "d"}[r.Intn(4)] }

func collDiffMember(r *rand.Rand) string {
	switch r.Intn(6) {
	case 0:
		return strconv.Itoa(r.Intn(20) - 5)
	case 1:
		return strings.Repeat("x", r.Intn(9))
	case 2:
		return "m\x00" + strconv.Itoa(r.Intn(5))
	}
	return "m" + strconv.Itoa(r.Intn(12))
}

func collDiffScore(r *rand.Rand) string {
	switch r.Intn(10) {
	case 0:
		return "+inf"
	case 1:
		return "-inf"
	case 2:
		return strconv.FormatFloat(r.Float64()*10-5, 'g', -1, 64)
	case 3:
		return "0"
	}
	return strconv.Itoa(r.Intn(10) - 3)
}

func collDiffIndex(r *rand.Rand) string { return strconv.Itoa(r.Intn(16) - 8) }

func collDiffRangeBound(r *rand.Rand) string {
	switch r.Intn(5) {
	case 0:
		return "-inf"
	case 1:
		return "+inf"
	case 2:
		return "(" + strconv.Itoa(r.Intn(10)-3)
	}
	return strconv.Itoa(r.Intn(10) - 3)
}

func collDiffLexBound(r *rand.Rand) string {
	switch r.Intn(5) {
	case 0:
		return "-"
	case 1:
		return "+"
	case 2:
		return "(" + collDiffMember(r)
	}
	return "[" + collDiffMember(r)
}

// collDiffCommand draws one command and how its reply is compared.
func collDiffCommand(r *rand.Rand) ([]string, replyOrder) {
	k, k2 := collDiffKey(r), collDiffKey(r)
	m := collDiffMember
	switch r.Intn(60) {
	// generic
	case 0:
		return []string{"DEL", k}, ordered
	case 1:
		return []string{"TYPE", k}, ordered
	case 2:
		return []string{"OBJECT", "ENCODING", k}, ordered
	case 3:
		return []string{"RENAME", k, k2}, ordered
	case 4:
		return []string{"COPY", k, k2, "REPLACE"}, ordered
	case 5:
		return []string{"SET", k, m(r)}, ordered
	// hashes
	case 6, 7:
		return []string{"HSET", k, m(r), m(r), m(r), m(r)}, ordered
	case 8:
		return []string{"HDEL", k, m(r), m(r)}, ordered
	case 9:
		return []string{"HGET", k, m(r)}, ordered
	case 10:
		return []string{"HGETALL", k}, unorderedPairs
	case 11:
		return []string{"HINCRBY", k, m(r), strconv.Itoa(r.Intn(10) - 5)}, ordered
	case 12:
		return []string{"HLEN", k}, ordered
	case 13:
		return []string{"HMGET", k, m(r), m(r)}, ordered
	case 14:
		return []string{"HSETNX", k, m(r), m(r)}, ordered
	// lists
	case 15, 16:
		return []string{"LPUSH", k, m(r), m(r)}, ordered
	case 17, 18:
		return []string{"RPUSH", k, m(r)}, ordered
	case 19:
		return []string{"LPOP", k, strconv.Itoa(r.Intn(3) + 1)}, ordered
	case 20:
		return []string{"RPOP", k}, ordered
	case 21:
		return []string{"LRANGE", k, collDiffIndex(r), collDiffIndex(r)}, ordered
	case 22:
		return []string{"LINDEX", k, collDiffIndex(r)}, ordered
	case 23:
		return []string{"LSET", k, collDiffIndex(r), m(r)}, ordered
	case 24:
		return []string{"LINSERT", k, []string{"BEFORE", "AFTER"}[r.Intn(2)], m(r), m(r)}, ordered
	case 25:
		return []string{"LREM", k, strconv.Itoa(r.Intn(5) - 2), m(r)}, ordered
	case 26:
		return []string{"LTRIM", k, collDiffIndex(r), collDiffIndex(r)}, ordered
	case 27:
		return []string{"LMOVE", k, k2, []string{"LEFT", "RIGHT"}[r.Intn(2)], []string{"LEFT", "RIGHT"}[r.Intn(2)]}, ordered
	case 28:
		return []string{"LPOS", k, m(r), "RANK", strconv.Itoa(r.Intn(5) - 2), "COUNT", strconv.Itoa(r.Intn(3))}, ordered
	// sets
	case 29, 30:
		return []string{"SADD", k, m(r), m(r), m(r)}, ordered
	case 31:
		return []string{"SREM", k, m(r), m(r)}, ordered
	case 32:
		return []string{"SMEMBERS", k}, unordered
	case 33:
		return []string{"SISMEMBER", k, m(r)}, ordered
	case 34:
		return []string{"SINTER", k, k2}, unordered
	case 35:
		return []string{"SUNIONSTORE", k, k2, collDiffKey(r)}, ordered
	case 36:
		return []string{"SDIFF", k, k2}, unordered
	case 37:
		return []string{"SMOVE", k, k2, m(r)}, ordered
	case 38:
		return []string{"SINTERCARD", "2", k, k2}, ordered
	// sorted sets
	case 39, 40:
		return []string{"ZADD", k, collDiffScore(r), m(r), collDiffScore(r), m(r)}, ordered
	case 41:
		return []string{"ZINCRBY", k, collDiffScore(r), m(r)}, ordered
	case 42:
		return []string{"ZREM", k, m(r)}, ordered
	case 43:
		return []string{"ZRANGE", k, collDiffIndex(r), collDiffIndex(r), "WITHSCORES"}, ordered
	case 44:
		return []string{"ZRANGE", k, collDiffRangeBound(r), collDiffRangeBound(r), "BYSCORE", "LIMIT", strconv.Itoa(r.Intn(3)), strconv.Itoa(r.Intn(5) - 1)}, ordered
	case 45:
		return []string{"ZREVRANGEBYSCORE", k, collDiffRangeBound(r), collDiffRangeBound(r), "WITHSCORES"}, ordered
	case 46:
		return []string{"ZRANGEBYLEX", "lex", collDiffLexBound(r), collDiffLexBound(r)}, ordered
	case 47:
		return []string{"ZRANK", k, m(r)}, ordered
	case 48:
		return []string{"ZREVRANK", k, m(r)}, ordered
	case 49:
		return []string{"ZSCORE", k, m(r)}, ordered
	case 50:
		return []string{"ZCOUNT", k, collDiffRangeBound(r), collDiffRangeBound(r)}, ordered
	case 51:
		return []string{"ZPOPMIN", k, strconv.Itoa(r.Intn(3))}, ordered
	case 52:
		return []string{"ZPOPMAX", k}, ordered
	case 53:
		return []string{"ZREMRANGEBYSCORE", k, collDiffRangeBound(r), collDiffRangeBound(r)}, ordered
	case 54:
		return []string{"ZREMRANGEBYRANK", k, collDiffIndex(r), collDiffIndex(r)}, ordered
	case 55:
		return []string{"ZUNIONSTORE", k, "2", k2, collDiffKey(r), "WEIGHTS", "2", "1"}, ordered
	case 56:
		return []string{"ZINTER", "2", k, k2, "WITHSCORES"}, ordered
	case 57:
		return []string{"ZRANGESTORE", k2, k, "0", "-1"}, ordered
	case 58:
		// Lex ranges are only defined when every score is equal: they
		// get their own key, where all scores are 0. (SORT is left out:
		// Redis orders ties and sets by its hash order.)
		return []string{"ZADD", "lex", "0", m(r), "0", m(r)}, ordered
	default:
		if r.Intn(2) == 0 {
			return []string{"ZREMRANGEBYLEX", "lex", collDiffLexBound(r), collDiffLexBound(r)}, ordered
		}
		return []string{"ZLEXCOUNT", "lex", collDiffLexBound(r), collDiffLexBound(r)}, ordered
	}
}
