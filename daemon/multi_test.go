package daemon

import (
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// do sends one inline command line on a fake client and returns its reply
// rendered like the scenarios print it.
func multiDo(t *testing.T, fc *fakeClient, args ...string) string {
	t.Helper()
	return fc.reply(t, args...).String()
}

// TestWatchMemberOnlyWrites checks the watch hook on writes that change
// members without rewriting the meta record, and that writes to other
// keys, or no-op writes, leave the watcher clean.
func TestWatchMemberOnlyWrites(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup []string
		noop  []string // must not dirty
		write []string // must dirty
	}{
		{"hset existing field", []string{"HSET", "k", "f", "v"}, []string{"HDEL", "k", "nofield"}, []string{"HSET", "k", "f", "v2"}},
		{"zadd score change", []string{"ZADD", "k", "1", "m"}, []string{"ZADD", "k", "1", "m"}, []string{"ZADD", "k", "2", "m"}},
		{"lset", []string{"RPUSH", "k", "a", "b"}, []string{"LREM", "k", "0", "none"}, []string{"LSET", "k", "1", "c"}},
		{"sadd", []string{"SADD", "k", "a"}, []string{"SADD", "k", "a"}, []string{"SADD", "k", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			defer h.close()
			a, b := h.client(1), h.client(2)
			a.reply(t, tc.setup...)
			if got := multiDo(t, a, "WATCH", "k"); got != "OK" {
				t.Fatal(got)
			}
			b.reply(t, "SET", "other", "1")
			b.reply(t, tc.noop...)
			if a.sess.multi.dirtyCAS {
				t.Fatalf("%v or a write to another key dirtied the watcher", tc.noop)
			}
			b.reply(t, tc.write...)
			if !a.sess.multi.dirtyCAS {
				t.Fatalf("%v did not dirty the watcher", tc.write)
			}
			if n := h.srv.ks.watch.watchedCount(); n != 0 {
				t.Fatalf("a dirty watcher keeps %d keys in the index", n)
			}
			a.reply(t, "MULTI")
			a.reply(t, "GET", "k")
			if v := a.reply(t, "EXEC"); v.Kind != resp.Null && !(v.Kind == resp.Array && v.Elems == nil) {
				t.Fatalf("EXEC = %v, want a null array", v)
			}
		})
	}
}

// TestWatchIndexCleared checks that every way out drops a client's watches
// from the index: EXEC, DISCARD, UNWATCH, RESET and disconnection.
func TestWatchIndexCleared(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a := h.client(1)
	for _, end := range [][]string{{"MULTI", "EXEC"}, {"MULTI", "DISCARD"}, {"UNWATCH"}, {"RESET"}} {
		a.reply(t, "WATCH", "x", "y")
		if n := h.srv.ks.watch.watchedCount(); n != 2 {
			t.Fatalf("watching %d keys, want 2", n)
		}
		for _, c := range end {
			a.reply(t, c)
		}
		if n := h.srv.ks.watch.watchedCount(); n != 0 {
			t.Fatalf("after %v: %d keys still watched", end, n)
		}
	}
	a.reply(t, "WATCH", "x")
	a.sess.Closed(nil)
	delete(h.clients, 1)
	if n := h.srv.ks.watch.watchedCount(); n != 0 {
		t.Fatalf("after disconnect: %d keys still watched", n)
	}
}

// TestExecIsOneUnit checks that an EXEC reaches the write buffer as a
// single unit, including commands that iterate the keyspace (which used to
// commit the pending unit half-way).
func TestExecIsOneUnit(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a := h.client(1)
	units := 0
	next := h.srv.ks.nextSeq
	h.srv.ks.nextSeq = func() uint64 { units++; return next() }
	script := []string{"MULTI", "SET s 1", "HSET h f v", "RPUSH l a b", "KEYS *", "SCAN 0", "RANDOMKEY",
		"ZADD z 1 m", "DEL s", "SADD set m", "INCR n", "EXISTS s h l z set n"}
	for _, line := range script {
		a.reply(t, strings.Fields(line)...)
	}
	if units != 0 {
		t.Fatalf("queueing committed %d units", units)
	}
	v := a.reply(t, "EXEC")
	if units != 1 {
		t.Fatalf("EXEC committed %d units, want 1", units)
	}
	want := `[OK (integer) 1 (integer) 2 ["h" "l" "s"] ["0" ["h" "l" "s"]]`
	if got := v.String(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "(integer) 1 (integer) 1 (integer) 1 (integer) 5]") {
		t.Fatalf("EXEC = %s", got)
	}
}

// TestQueuedArgvIsCopied checks that queued arguments survive the reuse of
// the network buffer they were read from.
func TestQueuedArgvIsCopied(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a := h.client(1)
	buf := encodeCommand([][]byte{[]byte("MULTI")})
	buf = append(buf, encodeCommand([][]byte{[]byte("SET"), []byte("key"), []byte("value")})...)
	a.sess.Data(buf)
	for i := range buf {
		buf[i] = 'X'
	}
	a.sess.Data(encodeCommand([][]byte{[]byte("EXEC")}))
	a.mu.Lock()
	a.buf = nil
	a.mu.Unlock()
	if got := multiDo(t, a, "GET", "key"); got != `"value"` {
		t.Fatalf("GET key = %s", got)
	}
}

// TestClientListMulti checks the 'x' and 'd' flags and the multi= field.
func TestClientListMulti(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a, b := h.client(1), h.client(2)
	field := func(info, name string) string {
		for _, f := range strings.Fields(info) {
			if v, ok := strings.CutPrefix(f, name+"="); ok {
				return v
			}
		}
		t.Fatalf("no %s in %q", name, info)
		return ""
	}
	info := func() string { return string(a.reply(t, "CLIENT", "INFO").Str) }
	if i := info(); field(i, "flags") != "N" || field(i, "multi") != "-1" {
		t.Fatal(i)
	}
	a.reply(t, "WATCH", "k")
	b.reply(t, "SET", "k", "1")
	if i := info(); field(i, "flags") != "d" {
		t.Fatal(i)
	}
	a.reply(t, "MULTI")
	a.reply(t, "SET", "a", "1")
	a.reply(t, "CLIENT", "INFO")
	v := a.reply(t, "EXEC")
	if v.Kind == resp.Array && v.Elems != nil {
		t.Fatalf("EXEC ran although dirty: %v", v)
	}
	a.reply(t, "MULTI")
	a.reply(t, "SET", "a", "1")
	a.reply(t, "CLIENT", "INFO")
	v = a.reply(t, "EXEC")
	if len(v.Elems) != 2 {
		t.Fatalf("EXEC = %v", v)
	}
	i := string(v.Elems[1].Str)
	if field(i, "flags") != "x" || field(i, "multi") != "2" || field(i, "cmd") != "exec" {
		t.Fatalf("CLIENT INFO inside EXEC: %s", i)
	}
	if i := info(); field(i, "flags") != "N" || field(i, "multi") != "-1" {
		t.Fatal(i)
	}
}

// TestExecStats checks that commandstats count EXEC and each queued
// command once, when run, and that SLOWLOG has the queued commands, not
// EXEC, as Redis does.
func TestExecStats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a := h.client(1)
	h.srv.cfg.SlowlogLogSlowerThan = 0
	a.reply(t, "SLOWLOG", "RESET")
	for _, line := range []string{"MULTI", "SET a 1", "GET a", "EXEC", "MULTI", "SET b 1", "DISCARD"} {
		a.reply(t, strings.Fields(line)...)
	}
	stats := string(a.reply(t, "INFO", "commandstats").Str)
	for _, want := range []string{"cmdstat_multi:calls=2,", "cmdstat_exec:calls=1,", "cmdstat_set:calls=1,", "cmdstat_get:calls=1,", "cmdstat_discard:calls=1,"} {
		if !strings.Contains(stats, want) {
			t.Errorf("commandstats lack %q:\n%s", want, stats)
		}
	}
	log := a.reply(t, "SLOWLOG", "GET", "100").String()
	if strings.Contains(strings.ToLower(log), `"exec"`) || !strings.Contains(log, `"GET" "a"`) || !strings.Contains(log, `"SET" "a" "1"`) || strings.Contains(log, `"SET" "b"`) {
		t.Errorf("slowlog: %s", log)
	}
}

// TestExecMonitor checks MONITOR's order: queued commands are fed when
// EXEC runs them, and EXEC after them.
func TestExecMonitor(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	m, a := h.client(2), h.client(1)
	m.reply(t, "MONITOR")
	for _, line := range []string{"MULTI", "SET a 1", "GET a", "EXEC"} {
		a.reply(t, strings.Fields(line)...)
	}
	h.loop.run()
	m.mu.Lock()
	out := string(m.buf)
	m.mu.Unlock()
	var cmds []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\r\n") {
		_, c, _ := strings.Cut(l, "] ")
		cmds = append(cmds, c)
	}
	if got := strings.Join(cmds, " | "); got != `"MULTI" | "SET" "a" "1" | "GET" "a" | "EXEC"` {
		t.Fatalf("monitor saw %s", got)
	}
}

// countingStore counts the batches committed to the store.
type countingStore struct {
	storage.Store
	commits int
}

func (s *countingStore) Commit(b storage.Batch, sync bool) error {
	s.commits++
	return s.Store.Commit(b, sync)
}

// TestExecWithFlushIsOneBatch checks that a transaction running FLUSHDB or
// FLUSHALL reaches the store as one batch, and that the commands after the
// flush see the flushed databases empty although the store still holds
// their records until the batch commits.
func TestExecWithFlushIsOneBatch(t *testing.T) {
	for _, flush := range []string{"FLUSHDB", "FLUSHALL"} {
		t.Run(flush, func(t *testing.T) {
			st := &countingStore{Store: memory.New()}
			h := newHarnessOn(t, st)
			defer h.close()
			a := h.client(1)
			for _, line := range []string{"SET old 1", "RPUSH oldlist x y", "SELECT 1", "SET other 1", "SELECT 0"} {
				a.reply(t, strings.Fields(line)...)
			}
			before := st.commits
			script := []string{"MULTI", "SET early 1", flush, "GET old", "LRANGE oldlist 0 -1", "EXISTS early",
				"RPUSH l a b", "LRANGE l 0 -1", "SET late 2", "KEYS *", "DBSIZE"}
			for _, line := range script {
				a.reply(t, strings.Fields(line)...)
			}
			got := a.reply(t, "EXEC").String()
			want := `[OK OK (nil) [] (integer) 0 (integer) 2 ["a" "b"] OK ["l" "late"] (integer) 2]`
			if got != want {
				t.Fatalf("EXEC = %s, want %s", got, want)
			}
			if n := st.commits - before; n != 1 {
				t.Fatalf("EXEC took %d store batches, want 1", n)
			}
			otherDB := "(integer) 1"
			if flush == "FLUSHALL" {
				otherDB = "(integer) 0"
			}
			for _, check := range []struct{ cmd, want string }{
				{"KEYS *", `["l" "late"]`},
				{"GET old", "(nil)"},
				{"LRANGE l 0 -1", `["a" "b"]`},
				{"SELECT 1", "OK"},
				{"DBSIZE", otherDB},
			} {
				if got := a.reply(t, strings.Fields(check.cmd)...).String(); got != check.want {
					t.Fatalf("after EXEC, %s = %s, want %s", check.cmd, got, check.want)
				}
			}
		})
	}
}
