package main

import (
	"bufio"
	"context"
	"fmt"
	"github.com/redoubtdb/redoubt/netio/resp"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// These tests start the real binary and talk to it over TCP with go-redis,
// raw sockets and redis-cli.

var binPath string

func TestMain(m *testing.M) {
	if os.Getenv(suiteShimEnv) != "" {
		// Started by Redis's test suite as its redis-server.
		os.Exit(suiteShim(os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "redoubt-bin")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "redoubt")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building redoubt: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// server is one running bin/redoubt.
type server struct {
	t    testing.TB
	cmd  *exec.Cmd
	port int
	dir  string
	args []string
	log  *os.File
	done chan struct{}
}

// startServer runs `redoubt server` on a free port in dir (a new temp dir
// when empty) with extra flags, and waits until it answers PING.
func startServer(t testing.TB, dir string, args ...string) *server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the server (not in -short)")
	}
	if dir == "" {
		dir = t.TempDir()
	}
	s := &server{t: t, port: freePort(t), dir: dir, args: args}
	s.start()
	t.Cleanup(func() { s.kill() })
	return s
}

func (s *server) start() {
	s.t.Helper()
	argv := append([]string{"server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir}, s.args...)
	s.cmd = exec.Command(binPath, argv...)
	logf, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	s.log = logf
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.addr(), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-s.done:
			out, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
			s.t.Fatalf("server exited at start:\n%s", out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.t.Fatal("server did not start listening")
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// spawn starts cmd, its output going to out, and kills it when the test
// ends; done is closed once it has exited. For servers a test starts its
// own way (an environment, a shell's ulimit, no TCP port).
func spawn(t testing.TB, cmd *exec.Cmd, out io.Writer) (done <-chan struct{}) {
	t.Helper()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{})
	go func() { _ = cmd.Wait(); close(ch) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-ch
	})
	return ch
}

// kill sends SIGKILL (crash) and waits.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
	}
	s.log.Close()
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	s.t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Fatal("server did not exit on SIGTERM")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		s.t.Fatalf("exit code %d after SIGTERM", code)
	}
	s.log.Close()
}

func (s *server) client(opts ...func(*redis.Options)) *redis.Client {
	o := &redis.Options{Addr: s.addr(), DisableIdentity: true}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	s.t.Cleanup(func() { c.Close() })
	return c
}

// rawConn is a plain TCP connection for protocol-level tests.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

func (c *rawConn) line(t testing.TB) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return strings.TrimRight(l, "\r\n")
}

// do sends one command and returns its reply, whatever it is (errors
// included).
func (c *rawConn) do(t testing.TB, args ...string) resp.Value {
	t.Helper()
	b := resp.AppendArrayLen(nil, len(args))
	for _, a := range args {
		b = resp.AppendBulkString(b, a)
	}
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if len(buf) > 0 {
			v, n, err := resp.ReadReply(buf)
			if err != nil {
				t.Fatalf("%q: unparsable reply %q: %v", args, buf, err)
			}
			if n > 0 {
				return v
			}
		}
		chunk := make([]byte, 4096)
		n, err := c.r.Read(chunk)
		if err != nil {
			t.Fatalf("%q: read: %v", args, err)
		}
		buf = append(buf, chunk[:n]...)
	}
}

func TestGoRedisBasics(t *testing.T) {
	s := startServer(t, "")
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := s.client(func(o *redis.Options) { o.Protocol = proto })
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("proto %d: SET: %v", proto, err)
		}
		if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
			t.Fatalf("proto %d: GET = %q, %v", proto, v, err)
		}
		if _, err := c.Get(ctx, "missing").Result(); err != redis.Nil {
			t.Fatalf("proto %d: GET missing: %v", proto, err)
		}
		n, err := c.Incr(ctx, fmt.Sprintf("ctr%d", proto)).Result()
		if err != nil || n != 1 {
			t.Fatalf("proto %d: INCR = %d, %v", proto, n, err)
		}
		if err := c.Expire(ctx, "k", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if ttl, err := c.TTL(ctx, "k").Result(); err != nil || ttl <= 0 || ttl > time.Minute {
			t.Fatalf("proto %d: TTL = %v, %v", proto, ttl, err)
		}
	}
	// A pipeline of many commands comes back complete and in order.
	c := s.client()
	pipe := c.Pipeline()
	for i := 0; i < 1000; i++ {
		pipe.Set(ctx, fmt.Sprintf("p%d", i), i, 0)
		pipe.Get(ctx, fmt.Sprintf("p%d", i))
	}
	cmds, err := pipe.Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		if got := cmds[2*i+1].(*redis.StringCmd).Val(); got != strconv.Itoa(i) {
			t.Fatalf("pipeline GET p%d = %q", i, got)
		}
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 1003 {
		t.Fatalf("DBSIZE = %d, %v", n, err)
	}
}

func TestRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	s := startServer(t, "")
	cli := func(args ...string) string {
		out, err := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(s.port)}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := cli("SET", "greeting", "hello"); got != "OK" {
		t.Fatalf("SET: %q", got)
	}
	if got := cli("GET", "greeting"); got != "hello" {
		t.Fatalf("GET: %q", got)
	}
	if got := cli("PING"); got != "PONG" {
		t.Fatalf("PING: %q", got)
	}
	// redis-cli's pipe mode speaks raw RESP and checks every reply.
	var in strings.Builder
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&in, "SET pipe:%d %d\r\n", i, i)
	}
	cmd := exec.Command("redis-cli", "-p", strconv.Itoa(s.port), "--pipe")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "errors: 0, replies: 500") {
		t.Fatalf("redis-cli --pipe: %v\n%s", err, out)
	}
}

func TestProtocolErrorClosesOnlyThatConnection(t *testing.T) {
	s := startServer(t, "")
	good := dialRaw(t, s.addr())
	bad := dialRaw(t, s.addr())
	fmt.Fprintf(good, "PING\r\n")
	if l := good.line(t); l != "+PONG" {
		t.Fatalf("good PING: %q", l)
	}
	fmt.Fprintf(bad, "*1\r\n$x\r\n")
	if l := bad.line(t); l != "-ERR Protocol error: invalid bulk length" {
		t.Fatalf("bad conn got %q", l)
	}
	_ = bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bad.r.ReadByte(); err == nil {
		t.Fatal("bad connection still open after protocol error")
	}
	fmt.Fprintf(good, "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n")
	if l := good.line(t); l != "$2" {
		t.Fatalf("good conn after other's protocol error: %q", l)
	}
}

func TestGarbageNeverCrashes(t *testing.T) {
	s := startServer(t, "")
	inputs := []string{
		"*-5\r\n", "*99999999999999999999\r\n", "$5\r\nhello\r\n", "*1\r\n$-1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$999999999999\r\n", "\x00\x01\x02\xff\r\n",
		"\"unbalanced\r\n", strings.Repeat("a", 70*1024) + "\r\n", "*2\r\n$3\r\nGET\r\n:1\r\n",
		"SET a\r\n", "HELLO 4\r\n", "SELECT 99999999999999999999999\r\n",
	}
	for _, in := range inputs {
		c := dialRaw(t, s.addr())
		_, _ = c.Write([]byte(in))
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, _ = c.r.ReadString('\n')
		c.Close()
	}
	ping := dialRaw(t, s.addr())
	fmt.Fprintf(ping, "PING\r\n")
	if l := ping.line(t); l != "+PONG" {
		t.Fatalf("server unhealthy after garbage: %q", l)
	}
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	ctx := context.Background()
	c := s.client()
	for i := 0; i < 100; i++ {
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Expire(ctx, "k0", time.Hour)
	c.Close()
	s.stop()
	s2 := startServer(t, dir)
	c2 := s2.client()
	if n, err := c2.DBSize(ctx).Result(); err != nil || n != 100 {
		t.Fatalf("DBSIZE after restart = %d, %v", n, err)
	}
	if v, _ := c2.Get(ctx, "k42").Result(); v != "42" {
		t.Fatalf("k42 = %q", v)
	}
	if ttl, _ := c2.TTL(ctx, "k0").Result(); ttl <= 0 {
		t.Fatalf("TTL lost across restart: %v", ttl)
	}
}

// TestCrashAlways: under appendfsync always every acknowledged write
// survives kill -9, repeatedly, with concurrent writers.
func TestCrashAlways(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	dir := t.TempDir()
	ctx := context.Background()
	acked := map[string]string{}
	var mu sync.Mutex
	for round := 0; round < 4; round++ {
		s := startServer(t, dir, "--appendfsync", "always")
		// Everything acknowledged in earlier rounds is still there.
		check := s.client()
		mu.Lock()
		for k, v := range acked {
			got, err := check.Get(ctx, k).Result()
			if err != nil || got != v {
				mu.Unlock()
				t.Fatalf("round %d: acknowledged %s=%s lost (got %q, %v)", round, k, v, got, err)
			}
		}
		mu.Unlock()
		var wg sync.WaitGroup
		var stop atomic.Bool
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, DisableIdentity: true})
				defer c.Close()
				for i := 0; !stop.Load(); i++ {
					k, v := fmt.Sprintf("r%d:w%d:%d", round, w, i), strconv.Itoa(i)
					if err := c.Set(ctx, k, v, 0).Err(); err != nil {
						return
					}
					mu.Lock()
					acked[k] = v
					mu.Unlock()
				}
			}(w)
		}
		time.Sleep(time.Duration(200+round*150) * time.Millisecond)
		s.kill() // kill -9 while writes are in flight
		stop.Store(true)
		wg.Wait()
	}
	s := startServer(t, dir)
	c := s.client()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 100 {
		t.Fatalf("only %d writes acknowledged: the test did not exercise much", len(acked))
	}
	for k, v := range acked {
		if got, err := c.Get(ctx, k).Result(); err != nil || got != v {
			t.Fatalf("acknowledged %s=%s lost after kill -9 (got %q, %v)", k, v, got, err)
		}
	}
	t.Logf("%d acknowledged writes all survived 4 kill -9s", len(acked))
}

// TestCrashAlwaysQueues: lists used as queues under appendfsync always
// keep every acknowledged push and pop across kill -9. Popped elements are
// deleted by range per layer of writes (daemon/listtrim.go), so after each
// restart every list must still be one run of consecutive values, starting
// at the first value not acknowledged as popped (or the one after, if the
// pop in flight was applied), and SAVE, which fails on any record a list's
// count does not cover, must succeed.
func TestCrashAlwaysQueues(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	const lists = 4
	dir := t.TempDir()
	ctx := context.Background()
	// Per list: values 0..next-1 pushed, 0..head-1 popped, as the last
	// check found them (acknowledged or applied).
	var next, head [lists]int
	pops := 0
	check := func(s *server, when string) {
		t.Helper()
		c := s.client()
		for l := range lists {
			vals, err := c.LRange(ctx, fmt.Sprintf("q%d", l), 0, -1).Result()
			if err != nil {
				t.Fatalf("%s: LRANGE q%d: %v", when, l, err)
			}
			first := head[l]
			if len(vals) > 0 {
				first, _ = strconv.Atoi(vals[0])
			}
			if first != head[l] && first != head[l]+1 {
				t.Fatalf("%s: q%d starts at %d, want %d (or %d)", when, l, first, head[l], head[l]+1)
			}
			for i, v := range vals {
				if v != strconv.Itoa(first+i) {
					t.Fatalf("%s: q%d[%d] = %s, want %d", when, l, i, v, first+i)
				}
			}
			end := first + len(vals)
			if end != next[l] && end != next[l]+1 {
				t.Fatalf("%s: q%d ends before %d, want %d (or %d)", when, l, end, next[l], next[l]+1)
			}
			head[l], next[l] = first, end
		}
		if err := c.Save(ctx).Err(); err != nil {
			t.Fatalf("%s: SAVE: %v", when, err)
		}
	}
	for round := range 3 {
		s := startServer(t, dir, "--appendfsync", "always")
		check(s, fmt.Sprintf("round %d", round))
		var wg sync.WaitGroup
		var stop atomic.Bool
		var mu sync.Mutex
		for l := range lists {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, DisableIdentity: true})
				defer c.Close()
				key := fmt.Sprintf("q%d", l)
				for i := 0; !stop.Load(); i++ {
					if err := c.RPush(ctx, key, next[l]).Err(); err != nil {
						return
					}
					next[l]++
					if i%3 == 2 {
						continue // the queues grow
					}
					v, err := c.LPop(ctx, key).Result()
					if err != nil {
						return
					}
					if v != strconv.Itoa(head[l]) {
						t.Errorf("LPOP %s = %s, want %d", key, v, head[l])
						return
					}
					head[l]++
					mu.Lock()
					pops++
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(300+round*200) * time.Millisecond)
		s.kill() // kill -9 while pushes and pops are in flight
		stop.Store(true)
		wg.Wait()
		if t.Failed() {
			return
		}
	}
	s := startServer(t, dir)
	check(s, "at the end")
	if pops < 100 {
		t.Fatalf("only %d pops acknowledged: the test did not exercise much", pops)
	}
	t.Logf("%d acknowledged pops and their pushes survived 3 kill -9s", pops)
}

func TestBadConfigExits1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(path, []byte("port = 6379\n\nprot = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"server", "--config", path}, "bad.toml:3"},
		{[]string{"server", "--port", "99999"}, "--port"},
		{[]string{"server", "--no-such-key", "1"}, "no-such-key"},
	}
	for _, tc := range cases {
		out, err := exec.Command(binPath, tc.args...).CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 {
			t.Fatalf("%v: want exit 1, got %v\n%s", tc.args, err, out)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Fatalf("%v: message %q does not name %q", tc.args, out, tc.want)
		}
	}
}

func TestSlowReaderIsCutOff(t *testing.T) {
	s := startServer(t, "", "--client-output-buffer-limit", "normal 1mb 0 0")
	ctx := context.Background()
	c := s.client()
	if err := c.Set(ctx, "big", strings.Repeat("x", 64*1024), 0).Err(); err != nil {
		t.Fatal(err)
	}
	// A client that sends many GETs and never reads: its replies pile up
	// past the 1 MB hard limit and the server closes it.
	raw := dialRaw(t, s.addr())
	if tc, ok := raw.Conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	req := []byte("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
	// 20000 replies of 64 KB would be 1.3 GB.
	for i := 0; i < 20000; i++ {
		_ = raw.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := raw.Write(req); err != nil {
			break // already cut off
		}
	}
	// Read what the server sent before cutting the client off: the
	// connection must end, having delivered about the limit (plus socket
	// buffers), not everything asked for.
	var got int64
	buf := make([]byte, 64*1024)
	for {
		_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := raw.Read(buf)
		got += int64(n)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("slow reader was never disconnected (%d bytes received)", got)
			}
			break
		}
	}
	if got > 32<<20 {
		t.Fatalf("slow reader received %d bytes before the cut; the limit is 1 MB", got)
	}
	// The server is fine and others are served.
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("server unhealthy: %v", err)
	}
}

func TestMaxclients(t *testing.T) {
	s := startServer(t, "", "--maxclients", "2")
	// The readiness probe's connection may not be reaped yet: retry until
	// two clients of ours are in.
	var held []*rawConn
	for deadline := time.Now().Add(5 * time.Second); len(held) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("could not get two clients in")
		}
		c := dialRaw(t, s.addr())
		fmt.Fprintf(c, "PING\r\n")
		if l := c.line(t); l == "+PONG" {
			held = append(held, c)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	third := dialRaw(t, s.addr())
	if l := third.line(t); l != "-ERR max number of clients reached" {
		t.Fatalf("third client got %q", l)
	}
}

func TestIdleTimeout(t *testing.T) {
	s := startServer(t, "", "--timeout", "1")
	c := dialRaw(t, s.addr())
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := c.r.ReadByte(); err == nil {
		t.Fatal("idle client got data instead of being closed")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("idle client closed after %v", d)
	}
}

func TestRequirepass(t *testing.T) {
	s := startServer(t, "", "--requirepass", "s3cret")
	c := dialRaw(t, s.addr())
	fmt.Fprintf(c, "GET a\r\n")
	if l := c.line(t); l != "-NOAUTH Authentication required." {
		t.Fatalf("got %q", l)
	}
	fmt.Fprintf(c, "AUTH wrong\r\n")
	if l := c.line(t); l != "-WRONGPASS invalid username-password pair or user is disabled." {
		t.Fatalf("got %q", l)
	}
	fmt.Fprintf(c, "AUTH s3cret\r\nPING\r\n")
	if l := c.line(t); l != "+OK" {
		t.Fatalf("got %q", l)
	}
	if l := c.line(t); l != "+PONG" {
		t.Fatalf("got %q", l)
	}
	// go-redis authenticates with HELLO 3 AUTH.
	gc := s.client(func(o *redis.Options) { o.Password = "s3cret" })
	if err := gc.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestSigtermShutsDownCleanly(t *testing.T) {
	s := startServer(t, "", "--pidfile", "")
	c := s.client()
	if err := c.Set(context.Background(), "a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.stop()
	log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if !strings.Contains(string(log), "ready to exit") {
		t.Fatalf("no clean-exit line in log:\n%s", log)
	}
}

func TestSlowMonitorIsCutOff(t *testing.T) {
	s := startServer(t, "", "--client-output-buffer-limit", "normal 1mb 0 0")
	mon := dialRaw(t, s.addr())
	fmt.Fprintf(mon, "MONITOR\r\n")
	if l := mon.line(t); l != "+OK" {
		t.Fatalf("MONITOR: %q", l)
	}
	// The monitor never reads while 2000 SETs of 64 KB (128 MB of feed)
	// go by: it must be cut off near the 1 MB limit.
	ctx := context.Background()
	c := s.client()
	big := strings.Repeat("x", 64*1024)
	pipe := c.Pipeline()
	for i := 0; i < 2000; i++ {
		pipe.Set(ctx, fmt.Sprintf("k%d", i%10), big, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var got int64
	buf := make([]byte, 64*1024)
	for {
		_ = mon.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := mon.r.Read(buf)
		got += int64(n)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("slow monitor was never disconnected (%d bytes received)", got)
			}
			break
		}
	}
	if got > 32<<20 {
		t.Fatalf("slow monitor received %d bytes; the limit is 1 MB", got)
	}
}

// A blocked client's pipelined commands wait behind the blocking one and
// run, in order, once a push from another connection serves it; under
// appendfsync always the served pop is acknowledged only once durable and
// survives kill -9.
func TestBlockingPopOverTCP(t *testing.T) {
	s := startServer(t, "", "--appendfsync", "always")
	waiter := dialRaw(t, s.addr())
	if _, err := waiter.Write([]byte("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := s.client()
	// Wait until the server reports the client blocked.
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := c.Info(ctx, "clients").Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(info, "blocked_clients:1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("client never blocked:\n%s", info)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.RPush(ctx, "q", "a", "b").Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"*2", "$1", "q", "$1", "a", "+PONG"} {
		if got := waiter.line(t); got != want {
			t.Fatalf("waiter read %q, want %q", got, want)
		}
	}
	// go-redis's BLPOP with a timeout, served by a later push.
	res := make(chan []string, 1)
	go func() {
		v, _ := s.client().BRPop(ctx, 5*time.Second, "q2").Result()
		res <- v
	}()
	time.Sleep(100 * time.Millisecond)
	if err := c.LPush(ctx, "q2", "x").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-res:
		if strings.Join(v, ",") != "q2,x" {
			t.Fatalf("BRPOP = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("BRPOP not served")
	}
	s.kill()
	s.start()
	c2 := s.client()
	if got, err := c2.LRange(ctx, "q", 0, -1).Result(); err != nil || strings.Join(got, ",") != "b" {
		t.Fatalf("after kill -9: q = %q, %v", got, err)
	}
	if n, err := c2.Exists(ctx, "q2").Result(); err != nil || n != 0 {
		t.Fatalf("after kill -9: q2 exists = %d, %v", n, err)
	}
}

// TestMemoryCommand: MEMORY's replies have Redis's shapes and errors (held
// to a real redis-server), and MEMORY USAGE grows with what a key holds.
func TestMemoryCommand(t *testing.T) {
	rs := startRedisArgs(t, t.TempDir())
	ours := startServer(t, "")
	setup := [][]string{
		{"SET", "s", "v"},
		{"SET", "big", strings.Repeat("x", 10000)},
		{"HELLO", "3"},
	}
	for i := range 200 {
		setup = append(setup, []string{"HSET", "h", "f" + strconv.Itoa(i), "value" + strconv.Itoa(i)})
	}
	script := [][]string{
		{"MEMORY", "USAGE", "nosuch"},
		{"MEMORY", "USAGE", "h", "SAMPLES", "-1"},
		{"MEMORY", "USAGE", "h", "SAMPLES", "x"},
		{"MEMORY", "USAGE", "h", "FOO"},
		{"MEMORY", "USAGE", "h", "SAMPLES"},
		{"MEMORY", "USAGE"},
		{"MEMORY", "NOSUCH"},
		{"MEMORY", "PURGE"},
	}
	conns := map[string]*rawConn{}
	for _, addr := range []string{rs.addr(), ours.addr()} {
		c := dialRaw(t, addr)
		for _, cmd := range setup {
			c.do(t, cmd...)
		}
		conns[addr] = c
	}
	for _, cmd := range script {
		want, got := conns[rs.addr()].do(t, cmd...).String(), conns[ours.addr()].do(t, cmd...).String()
		if got != want {
			t.Errorf("%q: redoubt %s, redis %s", cmd, got, want)
		}
	}
	// MEMORY STATS: Redis's fields, in its order (values differ).
	fields := func(addr string) []string {
		v := conns[addr].do(t, "MEMORY", "STATS")
		var names []string
		for i := 0; i+1 < len(v.Elems); i += 2 {
			names = append(names, v.Elems[i].String())
		}
		return names
	}
	if want, got := fields(rs.addr()), fields(ours.addr()); !slices.Equal(got, want) {
		t.Errorf("MEMORY STATS fields:\n redoubt %q\n   redis %q", got, want)
	}
	usage := func(args ...string) int64 {
		v := conns[ours.addr()].do(t, append([]string{"MEMORY", "USAGE"}, args...)...)
		return v.Int
	}
	if s, big := usage("s"), usage("big"); s <= 0 || big-s < 10000 || big-s > 10100 {
		t.Errorf("MEMORY USAGE: s %d, big %d: want big about 10000 more", s, big)
	}
	// A hash of 200 like fields: the default 5 samples estimate the whole
	// within 5%.
	if est, all := usage("h"), usage("h", "SAMPLES", "0"); all < 200*20 || est < all*95/100 || est > all*105/100 {
		t.Errorf("MEMORY USAGE h: %d sampled, %d counted", est, all)
	}
}

// TestLatencyCommand: LATENCY HISTOGRAM and INFO latencystats have Redis's
// shapes (the figures are timings, so only their form is compared with a
// real redis-server), and LATEST, HISTORY and RESET answer as Redis's with
// its latency monitor off.
func TestLatencyCommand(t *testing.T) {
	rs := startRedisArgs(t, t.TempDir(), "--enable-debug-command", "yes")
	ours := startServer(t, "", "--enable-debug-command", "local")
	// shape replaces every integer by "n", keeping keys and nesting.
	var shape func(v resp.Value) string
	shape = func(v resp.Value) string {
		switch v.Kind {
		case resp.Integer:
			return "n"
		case resp.Array, resp.Map, resp.Set:
			var parts []string
			for _, e := range v.Elems {
				parts = append(parts, shape(e))
			}
			return "[" + strings.Join(parts, " ") + "]"
		}
		return v.String()
	}
	line := regexp.MustCompile(`^latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
	for _, addr := range []string{rs.addr(), ours.addr()} {
		c := dialRaw(t, addr)
		c.do(t, "HELLO", "3")
		c.do(t, "SET", "a", "b")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"LATENCY", "HISTOGRAM", "set"}, `["set" ["calls" n "histogram_usec" [n n]]]`},
			{[]string{"LATENCY", "HISTOGRAM", "nosuch"}, `[]`},
			{[]string{"LATENCY", "LATEST"}, `[]`},
			{[]string{"LATENCY", "HISTORY", "command"}, `[]`},
			{[]string{"LATENCY", "RESET"}, `n`},
		} {
			if got := shape(c.do(t, tc.args...)); got != tc.want {
				t.Errorf("%s: %q: %s, want %s", addr, tc.args, got, tc.want)
			}
		}
		info := c.do(t, "INFO", "latencystats").Str
		found := false
		for _, l := range strings.Split(string(info), "\r\n") {
			found = found || line.MatchString(l)
		}
		if !found {
			t.Errorf("%s: INFO latencystats has no SET line:\n%s", addr, info)
		}

		// The latency monitor, once on, records a slow command.
		c.do(t, "CONFIG", "SET", "latency-monitor-threshold", "10")
		c.do(t, "DEBUG", "SLEEP", "0.05")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"LATENCY", "LATEST"}, `[["command" n n n]]`},
			{[]string{"LATENCY", "HISTORY", "command"}, `[[n n]]`},
			{[]string{"LATENCY", "HISTORY", "nosuch"}, `[]`},
			{[]string{"LATENCY", "GRAPH", "nosuch"}, `(error) ERR No samples available for event 'nosuch'`},
			{[]string{"LATENCY", "GRAPH"}, `(error) ERR wrong number of arguments for 'latency|graph' command`},
			{[]string{"LATENCY", "RESET", "nosuch", "COMMAND"}, `n`},
			{[]string{"LATENCY", "LATEST"}, `[]`},
		} {
			if tc.args[1] == "RESET" {
				if got := c.do(t, tc.args...); got.Int != 1 {
					t.Errorf("%s: %q: %v, want 1", addr, tc.args, got)
				}
				continue
			}
			if got := shape(c.do(t, tc.args...)); got != tc.want {
				t.Errorf("%s: %q: %s, want %s", addr, tc.args, got, tc.want)
			}
			if tc.args[1] == "HISTORY" && tc.args[2] == "command" {
				graph := string(c.do(t, "LATENCY", "GRAPH", "command").Str)
				if !strings.Contains(graph, "command - high ") || !strings.Contains(graph, strings.Repeat("-", 80)+"\n") || !strings.Contains(graph, "\n_\n \n0\ns\n") {
					t.Errorf("%s: LATENCY GRAPH command:\n%s", addr, graph)
				}
				if doctor := string(c.do(t, "LATENCY", "DOCTOR").Str); !strings.Contains(doctor, "1. command: 1 latency spikes") {
					t.Errorf("%s: LATENCY DOCTOR:\n%s", addr, doctor)
				}
			}
		}
	}
}

// TestDebugCommand: DEBUG's subcommands answer as a real redis-server's,
// and enable-debug-command refuses DEBUG unless it allows it.
func TestDebugCommand(t *testing.T) {
	script := [][]string{
		{"DEBUG"},
		{"DEBUG", "NOSUCH"},
		{"DEBUG", "POPULATE", "-1"},
		{"DEBUG", "POPULATE", "x"},
		{"DEBUG", "POPULATE", "10"},
		{"DBSIZE"},
		{"GET", "key:3"},
		{"DEBUG", "POPULATE", "5", "p", "3"},
		{"GET", "p:2"},
		{"DEBUG", "POPULATE", "2", "q", "10"},
		{"GET", "q:1"},
		{"SET", "key:4", "mine"},
		{"DEBUG", "POPULATE", "12"},
		{"DBSIZE"},
		{"GET", "key:4"},
		{"DEBUG", "SET-ACTIVE-EXPIRE", "0"},
		{"DEBUG", "SET-ACTIVE-EXPIRE", "1"},
		{"DEBUG", "SLEEP", "0"},
		{"DEBUG", "SLEEP", "0.01"},
	}
	for _, mode := range []string{"local", "no"} {
		rs := startRedisArgs(t, t.TempDir(), "--enable-debug-command", mode)
		ours := startServer(t, "", "--enable-debug-command", mode)
		a, b := dialRaw(t, rs.addr()), dialRaw(t, ours.addr())
		for _, cmd := range script {
			if mode == "no" && cmd[0] != "DEBUG" {
				continue
			}
			want, got := a.do(t, cmd...).String(), b.do(t, cmd...).String()
			if got != want {
				t.Errorf("enable-debug-command %s: %q: redoubt %s, redis %s", mode, cmd, got, want)
			}
		}
		// Ours alone: the store's metrics, a table of Pebble's levels.
		m := b.do(t, "DEBUG", "STORE-METRICS").String()
		if ok := strings.Contains(m, "level |") && strings.Contains(m, "Isolated ranges:"); ok != (mode == "local") {
			t.Errorf("enable-debug-command %s: DEBUG STORE-METRICS replied %.200q", mode, m)
		}
	}
}
