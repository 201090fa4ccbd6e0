package conf

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests in this file hold Redoubt's CONFIG GET and CONFIG SET to a real
// redis-server 7.0 started on a loopback port. They are skipped when
// redis-server is not installed or with -short.

// notLikeRedis lists the parameters whose values are not compared: those
// Redoubt sets differently on purpose (see doc.go), those the test server
// was started with, and maxclients, which Redis lowers to fit RLIMIT_NOFILE.
var notLikeRedis = map[string]bool{
	"bind": true, "port": true, "dir": true, "appendonly": true,
	"logfile": true, "pidfile": true, "daemonize": true, "maxclients": true,
	"block-cache-size": true, "memtable-size": true, "bloom-bits-per-key": true, "value-separation-min-size": true, "row-cache-size": true, "disk-reserve": true,
}

func TestLikeRedis(t *testing.T) {
	r := startRedis(t)
	ours := Default()

	compareAll := func(when string) {
		t.Helper()
		for _, n := range allNames {
			if notLikeRedis[n.p.name] {
				continue
			}
			reply := r.do(t, "CONFIG", "GET", n.name)
			got := ours.Get(n.name)
			want, ok := reply.([]any)
			if !ok || len(want) != 2 || len(got) != 1 {
				t.Errorf("%s: CONFIG GET %s: redis %q, redoubt %q", when, n.name, reply, got)
				continue
			}
			if got[0].Key != want[0] || got[0].Value != want[1] {
				t.Errorf("%s: CONFIG GET %s: redis %q %q, redoubt %q %q", when, n.name, want[0], want[1], got[0].Key, got[0].Value)
			}
		}
	}
	compareAll("defaults")

	for _, tc := range setErrorCases {
		if tc.redoubtOnly {
			continue
		}
		reply := r.do(t, append([]string{"CONFIG", "SET"}, flattenKV(tc.pairs)...)...)
		err := ours.Set(tc.pairs)
		if e, ok := reply.(redisError); !ok || err == nil || string(e) != err.Error() {
			t.Errorf("CONFIG SET %q: redis %v, redoubt %v", tc.pairs, reply, err)
		}
	}
	compareAll("after failed sets")

	for _, tc := range setOKCases {
		reply := r.do(t, append([]string{"CONFIG", "SET"}, flattenKV(tc.pairs)...)...)
		if err := ours.Set(tc.pairs); reply != "OK" || err != nil {
			t.Errorf("CONFIG SET %q: redis %v, redoubt %v", tc.pairs, reply, err)
		}
		compareAll("after " + tc.name)
	}

	// Glob patterns find the same names, aliases included.
	for _, pattern := range []string{"*slave*", "*replica*", "repl-*", "*-size", "s?ve", "[a-c]*", "*MAX*"} {
		reply, _ := r.do(t, "CONFIG", "GET", pattern).([]any)
		redisNames := map[string]bool{}
		for i := 0; i+1 < len(reply); i += 2 {
			if name := reply[i].(string); byName[name] != nil {
				redisNames[name] = true // Redoubt knows a subset of Redis's names
			}
		}
		ourNames := map[string]bool{}
		for _, kv := range ours.Get(pattern) {
			if _, redisHasIt := lookupRedisOnly[kv.Key]; !redisHasIt {
				ourNames[kv.Key] = true
			}
		}
		if fmt.Sprint(redisNames) != fmt.Sprint(ourNames) {
			t.Errorf("CONFIG GET %s: redis %v, redoubt %v", pattern, redisNames, ourNames)
		}
	}
}

// lookupRedisOnly lists Redoubt's names that Redis lacks.
var lookupRedisOnly = map[string]struct{}{"block-cache-size": {}, "memtable-size": {}, "bloom-bits-per-key": {}, "value-separation-min-size": {}, "row-cache-size": {}, "disk-reserve": {}}

func flattenKV(pairs []KV) []string {
	var out []string
	for _, kv := range pairs {
		out = append(out, kv.Key, kv.Value)
	}
	return out
}

type redisError string

type redisConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func startRedis(t *testing.T) *redisConn {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting redis-server")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log"), "--daemonize", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var conn net.Conn
	for deadline := time.Now().Add(5 * time.Second); ; {
		if conn, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(func() { conn.Close() })
	rc := &redisConn{conn: conn, r: bufio.NewReader(conn)}
	rc.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if v := rc.do(t, "PING"); v != "PONG" {
		t.Fatalf("PING: %v", v)
	}
	if v, _ := rc.do(t, "INFO", "server").(string); !strings.Contains(v, "redis_version:7.0.") {
		t.Skip("redis-server is not 7.0")
	}
	return rc
}

// do sends a command and reads the reply: string, int64, redisError, nil or
// []any.
func (c *redisConn) do(t *testing.T, args ...string) any {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		t.Fatal(err)
	}
	v, err := c.read()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (c *redisConn) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return redisError(line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}
