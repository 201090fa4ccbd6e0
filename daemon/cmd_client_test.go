package daemon

import (
	"bufio"
	"context"
	"io"
	"math"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// redisClientListFields is the field order of a Redis 7.0.15 CLIENT LIST
// line.
var redisClientListFields = strings.Fields(`id addr laddr fd name age idle flags db sub psub ssub multi
	qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp`)

// parseClientLines splits CLIENT LIST text into lines of ordered key=value
// fields, checking that every line ends in "\n" and has Redis's fields.
func parseClientLines(t *testing.T, txt string) []map[string]string {
	t.Helper()
	if txt == "" {
		return nil
	}
	if !strings.HasSuffix(txt, "\n") || strings.Contains(txt, "\r") {
		t.Fatalf("CLIENT LIST text %q: want lines ending in \\n", txt)
	}
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSuffix(txt, "\n"), "\n") {
		m := map[string]string{}
		var keys []string
		for _, kv := range strings.Split(line, " ") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("bad field %q in %q", kv, line)
			}
			keys = append(keys, k)
			m[k] = v
		}
		if strings.Join(keys, " ") != strings.Join(redisClientListFields, " ") {
			t.Fatalf("fields %v, want %v", keys, redisClientListFields)
		}
		out = append(out, m)
	}
	return out
}

func TestClientListLines(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	me, other := h.client(1), h.client(2)
	other.do(t, "CLIENT SETNAME bob")
	other.do(t, "SELECT 3")
	other.do(t, "HELLO 3")
	other.do(t, "CLIENT NO-EVICT on")
	v := me.reply(t, "CLIENT", "LIST")
	if v.Kind != resp.BulkString {
		t.Fatalf("CLIENT LIST reply kind %v", v.Kind)
	}
	lines := parseClientLines(t, string(v.Str))
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST has %d lines", len(lines))
	}
	mine, theirs := lines[0], lines[1]
	for _, tc := range []struct {
		line      map[string]string
		key, want string
	}{
		{mine, "id", "1"},
		{mine, "addr", "127.0.0.1:40000"},
		{mine, "laddr", "127.0.0.1:6379"},
		{mine, "fd", "-1"},
		{mine, "name", ""},
		{mine, "age", "0"},
		{mine, "idle", "0"},
		{mine, "flags", "N"},
		{mine, "db", "0"},
		{mine, "multi", "-1"},
		// "client" + "list", as Redis counts it.
		{mine, "argv-mem", "10"},
		// The read holding the command: *2 $6 CLIENT $4 LIST, 26
		// bytes, as Redis 7.0's test suite expects of CLIENT LIST.
		{mine, "qbuf", "26"},
		{mine, "events", "r"},
		{mine, "cmd", "client|list"},
		{mine, "user", "default"},
		{mine, "redir", "-1"},
		{mine, "resp", "2"},
		{theirs, "id", "2"},
		{theirs, "name", "bob"},
		{theirs, "db", "3"},
		{theirs, "flags", "e"},
		{theirs, "argv-mem", "0"},
		{theirs, "qbuf", "0"},
		{theirs, "cmd", "client|no-evict"},
		{theirs, "resp", "3"},
	} {
		if got := tc.line[tc.key]; got != tc.want {
			t.Errorf("client %s: %s=%q, want %q", tc.line["id"], tc.key, got, tc.want)
		}
	}

	// A client that has not run a command yet shows cmd=NULL.
	h.client(3)
	lines = parseClientLines(t, string(me.reply(t, "CLIENT", "LIST", "ID", "3", "1", "3", "99").Str))
	var ids []string
	for _, l := range lines {
		ids = append(ids, l["id"])
	}
	if strings.Join(ids, ",") != "3,1,3" {
		t.Errorf("CLIENT LIST ID 3 1 3 99 lists %v", ids)
	}
	if lines[0]["cmd"] != "NULL" {
		t.Errorf("new client cmd=%s, want NULL", lines[0]["cmd"])
	}
	if n := len(parseClientLines(t, string(me.reply(t, "CLIENT", "LIST", "TYPE", "NORMAL").Str))); n != 3 {
		t.Errorf("CLIENT LIST TYPE normal lists %d clients, want 3", n)
	}

	info := me.reply(t, "CLIENT", "INFO")
	lines = parseClientLines(t, string(info.Str))
	if len(lines) != 1 || lines[0]["id"] != "1" || lines[0]["cmd"] != "client|info" {
		t.Errorf("CLIENT INFO = %q", info.Str)
	}

	// RESP3 gets verbatim text.
	me.sess.proto = 3
	if v := me.reply(t, "CLIENT", "INFO"); v.Kind != resp.Verbatim || string(v.Format) != "txt" {
		t.Errorf("CLIENT INFO in RESP3 = %v", v)
	}
}

func TestClientID(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a, b := h.client(1), h.client(2)
	ia, ib := a.reply(t, "CLIENT", "ID"), b.reply(t, "CLIENT", "ID")
	if ia.Int != a.sess.id || ib.Int != b.sess.id || ia.Int == ib.Int {
		t.Errorf("CLIENT ID = %v and %v", ia, ib)
	}
}

func TestClientKill(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	me, victim := h.client(1), h.client(2)
	if v := me.reply(t, "CLIENT", "KILL", "ID", "2"); v.Int != 1 {
		t.Fatalf("CLIENT KILL ID 2 = %v", v)
	}
	if !victim.closed || h.srv.clients[2] != nil {
		t.Error("killed client still connected or listed")
	}
	// The killed client's loop drops whatever it sends next.
	if _, _, closeConn := victim.sess.Data(encodeCommand([][]byte{[]byte("PING")})); !closeConn || len(victim.buf) != 0 {
		t.Errorf("killed client was served: %q", victim.buf)
	}
	victim.sess.Closed(nil)
	if n := len(parseClientLines(t, string(me.reply(t, "CLIENT", "LIST").Str))); n != 1 {
		t.Errorf("CLIENT LIST shows %d clients after the kill", n)
	}

	// Filters combine; SKIPME (default yes) spares the caller even when it
	// matches. The fake clients all share one address.
	h.client(3)
	h.client(4).do(t, "MONITOR")
	if v := me.reply(t, "CLIENT", "KILL", "ADDR", "127.0.0.1:40000", "LADDR", "127.0.0.1:6379", "USER", "default", "TYPE", "normal"); v.Int != 2 {
		t.Errorf("CLIENT KILL by address killed %v, want 2", v)
	}
	if len(h.srv.clients) != 1 || len(h.srv.monitors) != 0 {
		t.Errorf("%d clients and %d monitors left", len(h.srv.clients), len(h.srv.monitors))
	}

	// SKIPME no kills the caller too: it gets the reply, then the
	// connection closes.
	h.client(5)
	v, closeConn := dataClose(t, me, "CLIENT", "KILL", "USER", "default", "SKIPME", "no")
	if v.Int != 2 || !closeConn {
		t.Errorf("CLIENT KILL SKIPME no = %v, close %v", v, closeConn)
	}
}

func TestClientKillOldFormKillsSelf(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	me := h.client(1)
	v, closeConn := dataClose(t, me, "CLIENT", "KILL", "127.0.0.1:40000")
	if v.Kind != resp.SimpleString || string(v.Str) != "OK" || !closeConn {
		t.Errorf("CLIENT KILL <own addr> = %v, close %v", v, closeConn)
	}
}

// dataClose sends one command and returns its reply and whether the
// server asked to close the connection afterwards.
func dataClose(t *testing.T, f *fakeClient, args ...string) (resp.Value, bool) {
	t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	_, _, closeConn := f.sess.Data(encodeCommand(argv))
	v, n, err := resp.ReadReply(f.buf)
	if err != nil || n == 0 {
		t.Fatalf("%v: no reply in %q", args, f.buf)
	}
	f.buf = f.buf[n:]
	return v, closeConn
}

func TestClientReply(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	var got []string
	for _, line := range []string{
		"CLIENT REPLY OFF", "PING", "ECHO a", "NOSUCH", "CLIENT REPLY ON", "PING",
		"CLIENT REPLY SKIP", "ECHO skipped", "ECHO b",
		"CLIENT REPLY SKIP", "CLIENT REPLY SKIP", "ECHO skipped", "ECHO c",
		"CLIENT REPLY OFF", "CLIENT REPLY SKIP", "ECHO off", "CLIENT REPLY ON",
	} {
		got = append(got, c.do(t, line)...)
	}
	want := []string{"OK", "PONG", `"b"`, `"c"`, "OK"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("replies %v, want %v", got, want)
	}
}

func TestClientPause(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	me, other := h.client(1), h.client(2)
	me.do(t, "CLIENT PAUSE 100000 WRITE")
	p := &h.srv.pause
	if !p.active() || p.pausesAll() {
		t.Fatalf("after PAUSE WRITE: active %v all %v", p.active(), p.pausesAll())
	}
	if d := time.Until(p.events[pauseByClient].until); d < 90*time.Second || d > 101*time.Second {
		t.Errorf("pause deadline %v away, want about 100s", d)
	}
	// Reads, and CLIENT UNPAUSE, go on during a WRITE pause.
	if out := other.do(t, "PING"); strings.Join(out, "") != "PONG" {
		t.Errorf("PING during a WRITE pause: %v", out)
	}
	// What a check refuses is answered at once, as Redis checks a
	// command before it postpones it: a wrong arity, an unknown command.
	if out := other.do(t, "SET k"); strings.Join(out, "") != "(error) ERR wrong number of arguments for 'set' command" {
		t.Errorf("SET of the wrong arity during a WRITE pause: %v", out)
	}
	if out := other.do(t, "NOSUCHCMD"); len(out) != 1 || !strings.HasPrefix(out[0], "(error) ERR unknown command 'NOSUCHCMD'") {
		t.Errorf("an unknown command during a WRITE pause: %v", out)
	}
	// A write waits, and counts in INFO's blocked_clients as Redis 7.0
	// counts it (BLOCKED_POSTPONE), until its client goes away.
	third := h.client(3)
	if out := third.do(t, "SET k v"); len(out) != 0 {
		t.Errorf("SET during a WRITE pause replied %v", out)
	}
	blocked := func() string {
		info := strings.Join(other.do(t, "INFO clients"), "\n")
		return regexp.MustCompile(`blocked_clients:\d+`).FindString(info)
	}
	if got := blocked(); got != "blocked_clients:1" {
		t.Errorf("during a WRITE pause with a write waiting: %s", got)
	}
	third.sess.Closed(nil)
	delete(h.clients, 3)
	if got := blocked(); got != "blocked_clients:0" {
		t.Errorf("after the waiting client closed: %s", got)
	}
	if out := me.do(t, "CLIENT UNPAUSE"); strings.Join(out, "") != "OK" || p.active() {
		t.Fatalf("CLIENT UNPAUSE = %v, still paused: %v", out, p.active())
	}

	// A shorter ALL pause over a WRITE pause keeps the later deadline and
	// takes the stricter mode.
	me.do(t, "CLIENT PAUSE 100000 WRITE")
	until := p.events[pauseByClient].until
	me.do(t, "CLIENT PAUSE 10 ALL")
	if e := p.events[pauseByClient]; !e.all || !e.until.Equal(until) {
		t.Errorf("after PAUSE 10 ALL: all %v until %v (was %v)", e.all, e.until, until)
	}
	// Everyone waits during an ALL pause, the pausing client included,
	// for a command that passes its checks.
	if out := other.do(t, "GET"); strings.Join(out, "") != "(error) ERR wrong number of arguments for 'get' command" {
		t.Errorf("GET of the wrong arity during an ALL pause: %v", out)
	}
	if out := other.do(t, "PING"); len(out) != 0 {
		t.Errorf("PING during an ALL pause replied %v", out)
	}
	if _, waiting := p.waiting[other.sess]; !waiting {
		t.Error("paused client not waiting")
	}
	h.srv.mu.Lock()
	p.end(pauseByClient)
	h.srv.mu.Unlock()
}

func TestPauseDeadline(t *testing.T) {
	const now = 1_700_000_000_000
	for _, tc := range []struct {
		ms   int64
		want int64
	}{
		{0, 0},
		{1, now + 1},
		{100000, now + 100000},
		{math.MaxInt64 - now, math.MaxInt64},
		// Past the int64 range the sum wraps, as in Redis.
		{math.MaxInt64, math.MinInt64 + now - 1},
	} {
		if got := pauseDeadline(now, tc.ms).UnixMilli(); got != tc.want {
			t.Errorf("pauseDeadline(%d) = %d, want %d", tc.ms, got, tc.want)
		}
	}
}

// TestClientGoRedis checks that go-redis parses CLIENT LIST and CLIENT
// INFO over a real connection, and that CLIENT KILL closes sockets.
func TestClientGoRedis(t *testing.T) {
	_, addr := startNetServer(t, nil)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1, DisableIdentity: true})
	defer rdb.Close()
	if err := rdb.Do(ctx, "CLIENT", "SETNAME", "gr").Err(); err != nil {
		t.Fatal(err)
	}
	info, err := rdb.ClientInfo(ctx).Result()
	if err != nil {
		t.Fatalf("ClientInfo: %v", err)
	}
	if info.Name != "gr" || info.User != "default" || info.LastCmd != "client|info" || info.Addr == "" || info.LAddr != addr {
		t.Errorf("ClientInfo = %+v", info)
	}
	list, err := rdb.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	lines := parseClientLines(t, list)
	if len(lines) != 1 || lines[0]["name"] != "gr" {
		t.Errorf("ClientList = %q", list)
	}

	victim, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	victim.SetDeadline(time.Now().Add(5 * time.Second))
	victim.Write([]byte("CLIENT ID\r\n"))
	r := bufio.NewReader(victim)
	line, err := r.ReadString('\n')
	if err != nil || line[0] != ':' {
		t.Fatalf("CLIENT ID: %q %v", line, err)
	}
	id := strings.TrimSpace(line[1:])
	if n, err := rdb.ClientKillByFilter(ctx, "ID", id).Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID: %d, %v", n, err)
	}
	if rest, err := r.ReadString('\n'); err != io.EOF {
		t.Errorf("killed connection: read %q, %v; want EOF", rest, err)
	}
}

// TestIntrospectionUnderLoad runs CLIENT LIST, INFO and CLIENT KILL while
// other connections are busy (run it with -race).
func TestIntrospectionUnderLoad(t *testing.T) {
	_, addr := startNetServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan struct{})
	var workers []chan struct{}
	for i := 0; i < 4; i++ {
		w := make(chan struct{})
		workers = append(workers, w)
		go func() {
			defer close(w)
			rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 2, DisableIdentity: true})
			defer rdb.Close()
			for {
				select {
				case <-done:
					return
				default:
				}
				rdb.Ping(ctx)
				rdb.Echo(ctx, strings.Repeat("x", 1000))
			}
		}()
	}
	admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1, DisableIdentity: true})
	defer admin.Close()
	for i := 0; i < 50; i++ {
		list, err := admin.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		parseClientLines(t, list)
		if err := admin.Info(ctx, "everything").Err(); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", "normal").Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	for _, w := range workers {
		<-w
	}
}

// TestProtectedMode checks who protected mode turns away: peers other than
// exactly 127.0.0.1 and ::1, and only while it is on and the default user
// has no password. No connection is made; the peer address is simulated.
func TestProtectedMode(t *testing.T) {
	for _, tc := range []struct {
		name, requirepass string
		protected         bool
		peer              net.Addr
		refused           bool
	}{
		{"remote peer", "", true, &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 5000}, true},
		{"other loopback address", "", true, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 5000}, true},
		{"ipv4 loopback", "", true, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, false},
		{"ipv6 loopback", "", true, &net.TCPAddr{IP: net.IPv6loopback, Port: 5000}, false},
		{"unix socket", "", true, &net.UnixAddr{Name: "/tmp/x.sock", Net: "unix"}, false},
		{"password set", "secret", true, &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 5000}, false},
		{"protected mode off", "", false, &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 5000}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			defer h.close()
			h.srv.cfg.Requirepass = tc.requirepass
			h.srv.cfg.ProtectedMode = tc.protected
			h.srv.applyACLConfigLocked()
			fc := &fakeClient{loop: h.loop, remote: tc.peer}
			sess := h.srv.Open(fc)
			if refused := sess == nil; refused != tc.refused {
				t.Fatalf("refused = %v, want %v (reply %q)", refused, tc.refused, fc.buf)
			}
			if tc.refused {
				if !strings.HasPrefix(string(fc.buf), "-DENIED Redis is running in protected mode") || !strings.HasSuffix(string(fc.buf), "from the outside.\r\n") {
					t.Fatalf("reply %q", fc.buf)
				}
				if got := h.srv.stats.rejectedConns; got != 1 {
					t.Fatalf("rejected_connections = %d", got)
				}
				return
			}
			sess.(*Client).Closed(nil)
		})
	}
}

// TestPauseHoldsRenamedExec: under CLIENT PAUSE WRITE an EXEC of queued
// writes waits, found by the command and not by its name, so a renamed
// EXEC waits too.
func TestPauseHoldsRenamedExec(t *testing.T) {
	cfg := conf.Default()
	cfg.RenameCommand = []conf.CommandRename{{Old: "exec", New: "commit"}}
	h := newHarnessConf(t, memory.New(), cfg)
	defer h.close()
	me, other := h.client(1), h.client(2)
	other.do(t, "MULTI")
	other.do(t, "SET k v")
	me.do(t, "CLIENT PAUSE 100000 WRITE")
	// Sent as gnet delivers it: left unread while it waits, and handed
	// to the session again when UNPAUSE wakes the connection.
	other.rerun = true
	other.feed(encodeCommand([][]byte{[]byte("COMMIT")}))
	h.loop.run()
	if out := other.pending(t, ordered); len(out) != 0 {
		t.Errorf("a renamed EXEC of a write during a WRITE pause replied %v", out)
	}
	me.do(t, "CLIENT UNPAUSE")
	if out := other.pending(t, ordered); strings.Join(out, " ") != "[OK]" {
		t.Errorf("the renamed EXEC after the pause: %q", out)
	}
}
