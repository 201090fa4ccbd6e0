package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/netio/gnetio"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// startNetServer runs a Server over the memory store behind the gnet
// transport on a free loopback port and returns it with its address.
// setup, if not nil, runs before the transport starts.
func startNetServer(t *testing.T, setup func(*Server)) (*Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := conf.Default()
	cfg.Appendfsync = "no"
	cfg.Port = port
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(cfg, Options{Store: memory.New(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(srv)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	tr := gnetio.New(srv, gnetio.Options{Addrs: []string{"tcp://" + addr}, Logger: log})
	srv.Start()
	served := make(chan error, 1)
	go func() { served <- tr.Serve() }()
	select {
	case <-tr.Ready():
	case err := <-served:
		t.Fatalf("serve: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("transport did not start")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tr.Stop(ctx)
		<-served
		_ = srv.Close()
	})
	return srv, addr
}

// reply sends one command on a fake client and returns its decoded reply.
func (f *fakeClient) reply(t *testing.T, args ...string) resp.Value {
	t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	f.sess.Data(encodeCommand(argv))
	f.mu.Lock()
	defer f.mu.Unlock()
	v, n, err := resp.ReadReply(f.buf)
	if err != nil || n == 0 {
		t.Fatalf("%v: no complete reply in %q (%v)", args, f.buf, err)
	}
	f.buf = f.buf[n:]
	return v
}

func TestTimeAndLastsave(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	v := c.reply(t, "TIME")
	if v.Kind != resp.Array || len(v.Elems) != 2 || v.Elems[0].Kind != resp.BulkString || v.Elems[1].Kind != resp.BulkString {
		t.Fatalf("TIME = %v, want two bulk strings", v)
	}
	sec, err1 := strconv.ParseInt(string(v.Elems[0].Str), 10, 64)
	usec, err2 := strconv.ParseInt(string(v.Elems[1].Str), 10, 64)
	if err1 != nil || err2 != nil || usec < 0 || usec >= 1e6 {
		t.Fatalf("TIME = %v", v)
	}
	if d := time.Since(time.Unix(sec, usec*1000)); d < 0 || d > 5*time.Second {
		t.Errorf("TIME is %v away from now", d)
	}
	if v := c.reply(t, "LASTSAVE"); v.Kind != resp.Integer || v.Int != h.srv.lastSave || v.Int == 0 {
		t.Errorf("LASTSAVE = %v, want %d", v, h.srv.lastSave)
	}
}

func TestShutdown(t *testing.T) {
	for _, tc := range []struct {
		line      string
		savePoint bool
		want      ShutdownRequest
	}{
		{"SHUTDOWN", true, ShutdownRequest{Save: true}},
		{"SHUTDOWN", false, ShutdownRequest{}},
		{"SHUTDOWN SAVE", false, ShutdownRequest{Save: true}},
		{"SHUTDOWN NOSAVE", true, ShutdownRequest{}},
		{"shutdown nosave now force", true, ShutdownRequest{Force: true}},
		{"SHUTDOWN SAVE FORCE NOW", false, ShutdownRequest{Save: true, Force: true}},
	} {
		h := newHarness(t)
		h.srv.cfg.Dir = t.TempDir()
		if tc.savePoint {
			h.srv.cfg.Save = conf.Default().Save
		}
		fc := h.client(1)
		argv, _, _, _ := resp.ReadCommand([]byte(tc.line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 20, MaxMultibulkLen: 100, MaxInlineLen: 1 << 10})
		_, _, closeConn := fc.sess.Data(encodeCommand(argv))
		if !tc.want.Save && !closeConn {
			t.Errorf("%s: connection left open", tc.line)
		}
		// With a save, the request follows the save's completion.
		select {
		case got := <-h.srv.ShutdownRequests():
			if got != tc.want {
				t.Errorf("%s: request %+v, want %+v", tc.line, got, tc.want)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: no shutdown request", tc.line)
		}
		h.loop.run()
		if len(fc.buf) != 0 {
			t.Errorf("%s: replied %q; want no reply", tc.line, fc.buf)
		}
		if tc.want.Save {
			if _, err := os.Stat(filepath.Join(h.srv.cfg.Dir, "dump.rdb")); err != nil {
				t.Errorf("%s: no RDB file: %v", tc.line, err)
			}
		}
		h.close()
	}

	// A second SHUTDOWN while the first is pending does not block.
	h := newHarness(t)
	defer h.close()
	h.srv.cfg.Save = nil
	h.client(1).do(t, "SHUTDOWN")
	h.client(2).do(t, "SHUTDOWN FORCE")
	if got := <-h.srv.ShutdownRequests(); got.Force {
		t.Errorf("first request %+v lost", got)
	}
}

func TestConfigSetRuntimeEffects(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	c.do(t, "CONFIG SET appendfsync always")
	if m := h.srv.dur.mode.Load().(string); m != "always" {
		t.Errorf("durability mode = %s after CONFIG SET appendfsync always", m)
	}
	c.do(t, "CONFIG SET appendfsync no")
	if m := h.srv.dur.mode.Load().(string); m != "no" {
		t.Errorf("durability mode = %s after CONFIG SET appendfsync no", m)
	}
	c.do(t, "CONFIG SET hz 50")
	if hz := h.srv.hz.Load(); hz != 50 {
		t.Errorf("hz = %d after CONFIG SET hz 50", hz)
	}
	c.do(t, "CONFIG SET hz 1000")
	if hz := h.srv.hz.Load(); hz != 500 {
		t.Errorf("hz = %d after CONFIG SET hz 1000, want the clamped 500", hz)
	}
	// A refused CONFIG SET changes nothing.
	c.do(t, "CONFIG SET hz 20 maxclients x")
	if hz := h.srv.hz.Load(); hz != 500 || h.srv.cfg.Hz != 500 {
		t.Errorf("hz = %d/%d after a refused CONFIG SET", hz, h.srv.cfg.Hz)
	}

	c.do(t, "CONFIG SET slowlog-log-slower-than 0")
	for i := 0; i < 5; i++ {
		c.do(t, "PING")
	}
	if n := len(h.srv.slowlog.entries); n != 6 {
		t.Fatalf("slowlog has %d entries, want 6", n)
	}
	c.do(t, "CONFIG SET slowlog-max-len 2")
	if n := len(h.srv.slowlog.entries); n != 2 {
		t.Errorf("slowlog has %d entries after CONFIG SET slowlog-max-len 2", n)
	}

	// maxclients is read when a client connects.
	c.do(t, "CONFIG SET maxclients 2")
	h.client(2)
	fc := &fakeClient{}
	if sess := h.srv.Open(fc); sess != nil {
		t.Error("a third client was accepted with maxclients 2")
	}
	if got := string(fc.buf); got != "-ERR max number of clients reached\r\n" {
		t.Errorf("refused client got %q", got)
	}
}

func TestConfigSetRequirepass(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	admin := h.client(1)
	admin.do(t, "CONFIG SET requirepass secret")
	// The connection that set the password stays authenticated; a new one
	// must authenticate.
	stranger := h.client(2)
	got := append(admin.do(t, "PING"), stranger.do(t, "PING")...)
	admin.do(t, `CONFIG SET requirepass ""`)
	// Without a password nobody needs to authenticate any more.
	got = append(got, stranger.do(t, "PING")...)
	if want := "PONG|(error) NOAUTH Authentication required.|PONG"; strings.Join(got, "|") != want {
		t.Errorf("replies %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestConfigRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redoubt.toml")
	src := "# my settings\nhz = 10\n\n# keep me\ntimeout = 0\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	defer h.close()
	*h.srv.cfg = *cfg
	c := h.client(1)
	out := c.do(t, "CONFIG SET hz 33 slowlog-max-len 7")
	out = append(out, c.do(t, "CONFIG REWRITE")...)
	if strings.Join(out, " ") != "OK OK" {
		t.Fatalf("replies %v", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# my settings", "hz = 33", "# keep me", "timeout = 0", "slowlog-max-len = 7"} {
		if !strings.Contains(text, want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	if cfg2, err := conf.Load(path); err != nil || cfg2.Hz != 33 || cfg2.SlowlogMaxLen != 7 {
		t.Errorf("rewritten file loads as hz=%v slowlog-max-len=%v (%v)", cfg2.Hz, cfg2.SlowlogMaxLen, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten file mode: %v %v", fi.Mode(), err)
	}
}

func TestConfigResetstat(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	c.do(t, "CONFIG SET slowlog-log-slower-than 0")
	c.do(t, "PING")
	c.do(t, "CONFIG GET")
	c.do(t, "CONFIG SET nosuch 1")
	h.srv.mu.Lock()
	h.srv.stats.keyspaceHits, h.srv.stats.expiredKeys = 5, 6
	h.srv.mu.Unlock()
	slowBefore := len(h.srv.slowlog.entries)
	if out := c.do(t, "CONFIG RESETSTAT"); strings.Join(out, "") != "OK" {
		t.Fatalf("CONFIG RESETSTAT = %v", out)
	}
	s := h.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	// Only the RESETSTAT itself was counted since.
	if s.stats.commands != 1 || s.stats.errorReplies != 0 || len(s.stats.errors) != 0 ||
		s.stats.keyspaceHits != 0 || s.stats.expiredKeys != 0 || s.stats.connections != 0 {
		t.Errorf("stats after RESETSTAT: %+v", s.stats)
	}
	if s.netIn.Load() != 0 {
		t.Errorf("total_net_input_bytes = %d after RESETSTAT", s.netIn.Load())
	}
	var lines []string
	for _, f := range s.infoCommandstats() {
		lines = append(lines, f.key)
	}
	if strings.Join(lines, " ") != "cmdstat_config|resetstat" {
		t.Errorf("commandstats after RESETSTAT: %v", lines)
	}
	// The slow log is not statistics: it stays (plus the RESETSTAT).
	if n := len(s.slowlog.entries); n != slowBefore+1 {
		t.Errorf("slowlog has %d entries after RESETSTAT, had %d", n, slowBefore)
	}
}

func TestSlowlogEntries(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	c.do(t, "CLIENT SETNAME worker")
	c.do(t, "CONFIG SET slowlog-log-slower-than 0")
	c.do(t, "ECHO "+strings.Repeat("x", 200))
	many := "PING"
	for i := 0; i < 40; i++ {
		many += " a" + strconv.Itoa(i)
	}
	c.do(t, many)
	v := c.reply(t, "SLOWLOG", "GET", "2")
	if len(v.Elems) != 2 {
		t.Fatalf("SLOWLOG GET 2 = %v", v)
	}
	for i, e := range v.Elems {
		if len(e.Elems) != 6 || e.Elems[0].Kind != resp.Integer || e.Elems[1].Kind != resp.Integer ||
			e.Elems[2].Kind != resp.Integer || e.Elems[3].Kind != resp.Array ||
			string(e.Elems[4].Str) != "127.0.0.1:40000" || string(e.Elems[5].Str) != "worker" {
			t.Fatalf("entry %d = %v", i, e)
		}
		if d := time.Now().Unix() - e.Elems[1].Int; d < 0 || d > 5 {
			t.Errorf("entry %d timestamp %d", i, e.Elems[1].Int)
		}
	}
	newest, older := v.Elems[0], v.Elems[1]
	if newest.Elems[0].Int != older.Elems[0].Int+1 {
		t.Errorf("ids %d, %d: want newest first", newest.Elems[0].Int, older.Elems[0].Int)
	}
	args := newest.Elems[3].Elems
	if len(args) != 32 || string(args[0].Str) != "PING" || string(args[31].Str) != "... (10 more arguments)" {
		t.Errorf("long command logged as %v", newest.Elems[3])
	}
	echo := older.Elems[3].Elems
	if len(echo) != 2 || string(echo[1].Str) != strings.Repeat("x", 128)+"... (72 more bytes)" {
		t.Errorf("long argument logged as %v", older.Elems[3])
	}
	n := c.reply(t, "SLOWLOG", "LEN").Int
	if all := c.reply(t, "SLOWLOG", "GET", "-1"); int64(len(all.Elems)) != n+1 {
		// LEN itself was logged before GET -1 ran.
		t.Errorf("SLOWLOG GET -1 has %d entries, LEN said %d", len(all.Elems), n)
	}
	if def := c.reply(t, "SLOWLOG", "GET"); len(def.Elems) != 6 {
		t.Errorf("SLOWLOG GET has %d entries, want all 6", len(def.Elems))
	}
	c.do(t, "SLOWLOG RESET")
	if n := c.reply(t, "SLOWLOG", "LEN").Int; n != 1 {
		t.Errorf("SLOWLOG LEN after RESET = %d, want 1 (the RESET)", n)
	}
}

func TestMonitor(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	mon, other := h.client(1), h.client(2)
	if out := mon.do(t, "MONITOR"); strings.Join(out, "") != "OK" {
		t.Fatalf("MONITOR = %v", out)
	}
	if !mon.sess.monitor || len(h.srv.monitors) != 1 {
		t.Fatal("client not registered as a monitor")
	}
	// Monitoring again is silent.
	if out := mon.do(t, "MONITOR"); len(out) != 0 {
		t.Errorf("second MONITOR replied %v", out)
	}
	other.do(t, "SELECT 2")
	other.do(t, `ECHO "a b\n"`)
	other.do(t, "CONFIG GET hz") // admin commands are not shown
	mon.mu.Lock()
	feed := string(mon.buf)
	mon.buf = nil
	mon.mu.Unlock()
	re := regexp.MustCompile(`^\+\d+\.\d{6} \[0 127\.0\.0\.1:40000\] "SELECT" "2"\r\n\+\d+\.\d{6} \[2 127\.0\.0\.1:40000\] "ECHO" "a b\\n"\r\n$`)
	if !re.MatchString(feed) {
		t.Errorf("monitor feed = %q", feed)
	}
	if line := clientInfoLine(mon.sess, nil, nil); !strings.Contains(line, " flags=O ") {
		t.Errorf("monitor's CLIENT LIST line: %s", line)
	}
	// RESET leaves monitor mode.
	mon.do(t, "RESET")
	if len(h.srv.monitors) != 0 {
		t.Error("RESET left the client monitoring")
	}
}

func TestFunctionFlushCountsAsChange(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	before := h.srv.ks.Changes()
	c.do(t, "FUNCTION FLUSH")
	c.do(t, "FUNCTION FLUSH x")
	if d := h.srv.ks.Changes() - before; d != 1 {
		t.Errorf("rdb_changes_since_last_save grew by %d, want 1", d)
	}
}

func TestConfigSetLoglevelChangesLogger(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	lv := new(slog.LevelVar)
	h.srv.logLevel = lv
	fc := h.client(1)
	for _, tc := range []struct {
		name string
		want slog.Level
	}{{"warning", slog.LevelWarn}, {"debug", slog.LevelDebug}, {"notice", slog.LevelInfo}} {
		if got := fc.do(t, "CONFIG SET loglevel "+tc.name); len(got) != 1 || got[0] != "OK" {
			t.Fatalf("CONFIG SET loglevel %s: %v", tc.name, got)
		}
		if lv.Level() != tc.want {
			t.Fatalf("after loglevel %s the logger level is %v", tc.name, lv.Level())
		}
	}
}
