package daemon

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
	"github.com/redoubtdb/redoubt/storage/pebble"
)

// Command scenarios live in testdata/<family>/*.txt and read like redis-cli
// sessions:
//
//	exec
//	SET a 1
//	GET a
//	----
//	OK
//	"1"
//
// Directives:
//
//	exec [client=N] [proto=3]   run each input line (inline syntax, quotes
//	                            allowed) on client N (default 1); print
//	                            one reply per line in resp.Value's form.
//	advance <duration>          move the fake clock forward (expiry tests).
//	sleep <duration>            wait in real time (blocking-command timeouts).
//	replies [client=N]          print replies that reached client N since
//	                            its last exec (a blocked client's).
//	stream                      print the replication stream written since
//	                            the last stream, one command a line (the
//	                            first attaches a replica, which starts it).
//
// exec takes "block" for lines that block: against Redis their replies
// are not awaited (read them with replies); and "drain" for lines that get
// any number of replies (SUBSCRIBE a b, a PUBLISH delivered to its own
// client): against Redis every reply that arrives until the connection is
// quiet is read.
//
// exec takes "unordered" for commands whose element order Redis leaves
// unspecified (HGETALL, SMEMBERS...): every array, set and map in the
// replies is sorted before printing; "unordered=pairs" sorts flat arrays
// as key/value pairs (HGETALL in RESP2).
//
// Run with REDOUBT_SCENARIO_REDIS=127.0.0.1:PORT to play every file without
// `advance` against a real redis-server instead and check the expectations
// are Redis's own (the server is flushed before each file).
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if filepath.Ext(path) != ".txt" {
			return
		}
		if addr := os.Getenv("REDOUBT_SCENARIO_REDIS"); addr != "" {
			runAgainstRedis(t, path, addr)
			return
		}
		h := newHarness(t)
		defer h.close()
		datadriven.RunTest(t, path, h.run)
	})
}

// TestScenariosOnPebble plays every scenario again the way the server
// runs: on the Pebble backend, with the write buffer's flusher running, so
// reads go through layers being written to the store concurrently.
func TestScenariosOnPebble(t *testing.T) {
	if os.Getenv("REDOUBT_SCENARIO_REDIS") != "" {
		t.Skip("checked against Redis by TestScenarios")
	}
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if filepath.Ext(path) != ".txt" {
			return
		}
		h := newPebbleHarness(t)
		defer h.close()
		datadriven.RunTest(t, path, h.run)
	})
}

// newPebbleHarness runs the server the way the real one runs: on Pebble,
// with the write buffer's flusher live, and values from 1 KB up kept in
// blob files once flushed (4 KB by default). The test's cleanup stops both.
func newPebbleHarness(t *testing.T) *harness {
	t.Helper()
	return newPebbleHarnessConf(t, conf.Default())
}

// newPebbleHarnessConf is newPebbleHarness with a configuration of the
// test's (see newHarnessConf).
func newPebbleHarnessConf(t *testing.T, cfg *conf.Config) *harness {
	t.Helper()
	st, err := pebble.Open(pebble.Options{Dir: t.TempDir(), CacheSize: 8 << 20, MemTableSize: 4 << 20, BloomBitsPerKey: 10,
		ValueSeparationMinSize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessConf(t, st, cfg)
	h.srv.ks.wb.start()
	t.Cleanup(func() {
		h.srv.ks.wb.stop()
		st.Close()
	})
	return h
}

// harness drives a Server over the memory store with fake connections.
type harness struct {
	t       *testing.T
	srv     *Server
	clients map[int]*fakeClient
	loop    *fakeLoop
	clock   int64 // unix ms
	// streamed is the replication offset the stream directive printed up to.
	streamed int64
}

// onBothStores runs test twice, as subtests: on the memory store, and on
// Pebble with the write buffer's flusher running.
func onBothStores(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, name := range []string{"memory", "pebble"} {
		t.Run(name, func(t *testing.T) {
			var h *harness
			if name == "pebble" {
				h = newPebbleHarness(t)
			} else {
				h = newHarness(t)
			}
			defer h.close()
			test(t, h)
		})
	}
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, memory.New())
}

func newHarnessOn(t *testing.T, st storage.Store) *harness {
	t.Helper()
	return newHarnessConf(t, st, conf.Default())
}

// newHarnessConf is newHarnessOn with a configuration of the test's (its
// appendfsync is set to no; its save points are cleared, since with them
// FLUSHALL waits for a save, and tests of saving set them; saves go to a
// temporary directory unless the test names one).
func newHarnessConf(t *testing.T, st storage.Store, cfg *conf.Config) *harness {
	t.Helper()
	cfg.Appendfsync = "no"
	cfg.Save = conf.SavePoints{}
	if cfg.Dir == conf.Default().Dir {
		cfg.Dir = t.TempDir()
	}
	srv, err := New(cfg, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, clients: map[int]*fakeClient{}, loop: &fakeLoop{}, clock: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()}
	srv.ks.clock = func() int64 { return h.clock }
	return h
}

func (h *harness) close() {
	for _, fc := range h.clients {
		fc.sess.Closed(nil)
	}
}

func (h *harness) client(n int) *fakeClient {
	if fc := h.clients[n]; fc != nil {
		return fc
	}
	fc := &fakeClient{loop: h.loop}
	fc.sess = h.srv.Open(fc).(*Client)
	h.clients[n] = fc
	return fc
}

func (h *harness) run(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "exec":
		n := 1
		if d.HasArg("client") {
			d.ScanArgs(t, "client", &n)
		}
		fc := h.client(n)
		if d.HasArg("proto") {
			var p int
			d.ScanArgs(t, "proto", &p)
			fc.sess.proto = p
		}
		order := orderOf(d)
		var out strings.Builder
		for _, line := range strings.Split(d.Input, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			for _, r := range fc.do(t, line, order) {
				out.WriteString(r)
				out.WriteByte('\n')
			}
		}
		return out.String()
	case "advance":
		dur, err := time.ParseDuration(d.CmdArgs[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		h.clock += dur.Milliseconds()
		return ""
	case "sleep":
		dur, err := time.ParseDuration(d.CmdArgs[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(dur)
		h.loop.run()
		return ""
	case "expire-cycle":
		// One run of the active expiry cycle, as cron makes it, once
		// the write buffer has reached the store, where the cycle looks.
		h.srv.mu.Lock()
		h.srv.ks.wb.drain()
		h.srv.mu.Unlock()
		h.srv.activeExpireCycle()
		h.loop.run()
		return ""
	case "stream":
		return h.stream(t)
	case "replies":
		n := 1
		if d.HasArg("client") {
			d.ScanArgs(t, "client", &n)
		}
		h.loop.run()
		var out strings.Builder
		for _, r := range h.client(n).pending(t, orderOf(d)) {
			out.WriteString(r)
			out.WriteByte('\n')
		}
		return out.String()
	}
	t.Fatalf("unknown directive %q", d.Cmd)
	return ""
}

// fakeClient is a netio.Conn that records what the server writes. All
// fake clients share one fake event loop: Execute queues its callback, and
// the queue runs after each request, with no lock held, as gnet runs
// Execute callbacks between events (never inline).
type fakeClient struct {
	mu     sync.Mutex
	sess   *Client
	buf    []byte
	closed bool
	loop   *fakeLoop
	remote net.Addr // the peer; 127.0.0.1 when nil
	// rerun makes Wake hand the session what it left unread again, as
	// gnet's loop does (feed): a command postponed by CLIENT PAUSE or
	// queued behind a blocked one runs once it is woken. The fuzzer's
	// clients only; scenarios send through do, which reads nothing back.
	rerun bool
	in    []byte // sent and not yet consumed by the session (feed)
}

type fakeLoop struct {
	mu    sync.Mutex
	queue []func()
	// As gnetio's batch, while batching (the scenarios' requests, which
	// run the loop after each): the first deferred send arms a task and
	// is written at once; later ones wait for the task. Loop only.
	batching bool
	armed    bool
	deferred []func()
}

func (l *fakeLoop) deferCall(f func()) bool {
	if !l.batching {
		return false
	}
	if l.armed {
		l.deferred = append(l.deferred, f)
		return true
	}
	l.armed = true
	l.mu.Lock()
	l.queue = append(l.queue, l.runDeferred)
	l.mu.Unlock()
	return false
}

func (l *fakeLoop) runDeferred() {
	for i := 0; i < len(l.deferred); i++ {
		l.deferred[i]()
	}
	l.deferred = l.deferred[:0]
	l.armed = false
}

func (l *fakeLoop) run() {
	for {
		l.mu.Lock()
		q := l.queue
		l.queue = nil
		l.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, f := range q {
			f()
		}
	}
}

func (f *fakeClient) RemoteAddr() net.Addr {
	if f.remote != nil {
		return f.remote
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (f *fakeClient) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6379}
}
func (f *fakeClient) Write(b []byte) error {
	f.mu.Lock()
	f.buf = append(f.buf, b...)
	f.mu.Unlock()
	return nil
}
func (f *fakeClient) OutboundBuffered() int     { return 0 }
func (f *fakeClient) AsyncWrite(b []byte) error { return f.Write(b) }
func (f *fakeClient) Execute(fn func()) error {
	if f.loop == nil {
		fn()
		return nil
	}
	f.loop.mu.Lock()
	f.loop.queue = append(f.loop.queue, fn)
	f.loop.mu.Unlock()
	return nil
}
func (f *fakeClient) Wake() error {
	if f.rerun && f.loop != nil {
		f.loop.mu.Lock()
		f.loop.queue = append(f.loop.queue, func() { f.feed(nil) })
		f.loop.mu.Unlock()
	}
	return nil
}

// feed adds b to what the client sent and hands the session everything
// it has not consumed yet, as gnet's loop does on new bytes or a Wake; a
// session that asks for the connection to be closed gets it closed.
func (f *fakeClient) feed(b []byte) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.in = append(f.in, b...)
	in := f.in
	f.mu.Unlock()
	if len(in) == 0 {
		return
	}
	consumed, _, closeConn := f.sess.Data(in)
	f.mu.Lock()
	f.in = f.in[consumed:]
	f.mu.Unlock()
	if closeConn {
		_ = f.Close()
	}
}
func (f *fakeClient) Defer(fn func()) bool {
	if f.loop == nil {
		return false
	}
	return f.loop.deferCall(fn)
}
func (f *fakeClient) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

// replyOrder says how exec prints replies (see TestScenarios).
type replyOrder int

const (
	ordered replyOrder = iota
	unordered
	unorderedPairs
)

func orderOf(d *datadriven.TestData) replyOrder {
	for _, a := range d.CmdArgs {
		if a.Key == "unordered" {
			if len(a.Vals) > 0 && a.Vals[0] == "pairs" {
				return unorderedPairs
			}
			return unordered
		}
	}
	return ordered
}

// render prints v, sorting its aggregates as order asks.
func render(v resp.Value, order replyOrder) string {
	if order == ordered {
		return v.String()
	}
	return orderCanonical(v, order).String()
}

func orderCanonical(v resp.Value, order replyOrder) resp.Value {
	switch v.Kind {
	case resp.Array, resp.Set, resp.Map:
	default:
		return v
	}
	elems := make([]resp.Value, len(v.Elems))
	for i, e := range v.Elems {
		elems[i] = orderCanonical(e, order)
	}
	step := 1
	if v.Kind == resp.Map || (order == unorderedPairs && v.Kind == resp.Array && len(elems)%2 == 0 && !hasAggregate(elems)) {
		step = 2
	}
	groups := make([][]resp.Value, 0, len(elems)/step)
	for i := 0; i+step <= len(elems); i += step {
		groups = append(groups, elems[i:i+step])
	}
	sort.SliceStable(groups, func(i, j int) bool {
		return groupText(groups[i]) < groupText(groups[j])
	})
	out := v
	out.Elems = out.Elems[:0:0]
	for _, g := range groups {
		out.Elems = append(out.Elems, g...)
	}
	return out
}

func hasAggregate(vs []resp.Value) bool {
	for _, e := range vs {
		switch e.Kind {
		case resp.Array, resp.Set, resp.Map:
			return true
		}
	}
	return false
}

func groupText(g []resp.Value) string {
	var b strings.Builder
	for _, e := range g {
		b.WriteString(e.String())
		b.WriteByte(0)
	}
	return b.String()
}

// do sends one inline command line and returns its replies rendered.
// savingParked reports whether f's client is parked (Client.park) while a
// save runs.
func (f *fakeClient) savingParked() bool {
	f.sess.srv.mu.Lock()
	defer f.sess.srv.mu.Unlock()
	return f.sess.block != nil && f.sess.block.done && f.sess.srv.save.running
}

func (f *fakeClient) do(t *testing.T, line string, order ...replyOrder) []string {
	ord := ordered
	if len(order) > 0 {
		ord = order[0]
	}
	t.Helper()
	argv, n, _, err := resp.ReadCommand([]byte(line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 30, MaxMultibulkLen: 1 << 20, MaxInlineLen: 1 << 20})
	if err != nil || n == 0 {
		t.Fatalf("bad scenario line %q: %v", line, err)
	}
	req := encodeCommand(argv)
	if f.loop != nil {
		f.loop.batching = true
		defer func() { f.loop.batching = false }()
	}
	_, _, closeConn := f.sess.Data(req)
	if f.loop != nil {
		f.loop.run()
		// A command waiting for a save (SAVE, FLUSHALL with save
		// points) parks its client until the reply is sent on its loop.
		for deadline := time.Now().Add(10 * time.Second); f.savingParked(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%q: its client still waits for a save", line)
			}
			f.loop.run()
		}
		// The save's end queued the reply (under the lock the check
		// took).
		f.loop.run()
	}
	out := f.pending(t, ord)
	if f.closed || closeConn {
		out = append(out, "(connection closed)")
		f.closed = false
	}
	return out
}

// pending renders and consumes every reply the client has received.
func (f *fakeClient) pending(t *testing.T, ord replyOrder) []string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for len(f.buf) > 0 {
		v, m, err := resp.ReadReply(f.buf)
		if err != nil || m == 0 {
			t.Fatalf("unparsable reply %q: %v", f.buf, err)
		}
		out = append(out, render(v, ord))
		f.buf = f.buf[m:]
	}
	return out
}

func encodeCommand(argv [][]byte) []byte {
	b := resp.AppendArrayLen(nil, len(argv))
	for _, a := range argv {
		b = resp.AppendBulk(b, a)
	}
	return b
}

// runAgainstRedis plays a scenario file against a real server.
func runAgainstRedis(t *testing.T, path, addr string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "\nadvance ") || strings.HasPrefix(string(data), "advance ") {
		t.Skip("uses the fake clock")
	}
	if strings.Contains(string(data), "\nstream\n") || strings.HasPrefix(string(data), "stream\n") {
		t.Skip("reads the replication stream of the fake clock")
	}
	conns := map[int]net.Conn{}
	readers := map[int]*bufio.Reader{}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	get := func(n int) (net.Conn, *bufio.Reader) {
		if c := conns[n]; c != nil {
			return c, readers[n]
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns[n], readers[n] = c, bufio.NewReader(c)
		return c, readers[n]
	}
	c0, r0 := get(0)
	fmt.Fprintf(c0, "FLUSHALL\r\n")
	_, _ = r0.ReadString('\n')
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "sleep":
			dur, err := time.ParseDuration(d.CmdArgs[0].Key)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(dur)
			return ""
		case "replies":
			n := 1
			if d.HasArg("client") {
				d.ScanArgs(t, "client", &n)
			}
			c, r := get(n)
			var out strings.Builder
			readQuiet(t, c, r, orderOf(d), &out)
			return out.String()
		case "exec":
		default:
			return d.Expected
		}
		n := 1
		if d.HasArg("client") {
			d.ScanArgs(t, "client", &n)
		}
		c, r := get(n)
		if d.HasArg("proto") {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			c.Write(encodeCommand([][]byte{[]byte("HELLO"), []byte("3")}))
			readReply(t, r)
		}
		order := orderOf(d)
		var out strings.Builder
		for _, line := range strings.Split(d.Input, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			argv, _, _, err := resp.ReadCommand([]byte(line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 30, MaxMultibulkLen: 1 << 20, MaxInlineLen: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(2 * time.Second))
			c.Write(encodeCommand(argv))
			if d.HasArg("block") {
				continue
			}
			if d.HasArg("drain") {
				readQuiet(t, c, r, order, &out)
				continue
			}
			out.WriteString(readReply(t, r, order))
			out.WriteByte('\n')
		}
		return out.String()
	})
}

// readQuiet reads and renders every reply that arrives on c until it has
// been quiet for a while (or closes).
func readQuiet(t *testing.T, c net.Conn, r *bufio.Reader, order replyOrder, out *strings.Builder) {
	for {
		if r.Buffered() == 0 {
			c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
			if _, err := r.Peek(1); err != nil {
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
					out.WriteString("(connection closed)\n")
				}
				return
			}
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		out.WriteString(readReply(t, r, order))
		out.WriteByte('\n')
	}
}

// readReply reads one complete reply from r and renders it.
func readReply(t *testing.T, r *bufio.Reader, order ...replyOrder) string {
	ord := ordered
	if len(order) > 0 {
		ord = order[0]
	}
	var buf []byte
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			if len(buf) > 0 {
				t.Fatalf("reading reply: %v", err)
			}
			return "(connection closed)"
		}
		buf = append(buf, line...)
		if v, n, err := resp.ReadReply(buf); err == nil && n > 0 {
			return render(v, ord)
		} else if err != nil {
			t.Fatalf("bad reply %q: %v", buf, err)
		}
	}
}

// stream prints the replication stream since the last call, attaching a
// replica (client 1000) on the first. Commands are printed space-separated,
// arguments with spaces or quotes quoted.
func (h *harness) stream(t *testing.T) string {
	h.loop.run()
	s := h.srv
	if !s.repl.active() {
		fc := h.client(1000)
		s.mu.Lock()
		s.attachReplicaLocked(fc.sess).state = replicaOnline
		h.streamed = s.repl.offset
		s.mu.Unlock()
		return ""
	}
	s.mu.Lock()
	b := s.repl.backlog.read(nil, h.streamed+1)
	h.streamed = s.repl.offset
	s.mu.Unlock()
	var out strings.Builder
	for len(b) > 0 {
		argv, n, _, err := resp.ReadCommand(b, nil, &resp.Limits{MaxBulkLen: 1 << 30, MaxMultibulkLen: 1 << 20, MaxInlineLen: 1 << 16})
		if err != nil || n == 0 || b[0] != '*' {
			t.Fatalf("bad stream at %q: %v", b, err)
		}
		b = b[n:]
		for i, a := range argv {
			if i > 0 {
				out.WriteByte(' ')
			}
			if len(a) > 0 && !strings.ContainsAny(string(a), " \"\\\r\n\t") {
				out.Write(a)
			} else {
				out.WriteString(quoteLine([]string{string(a)}))
			}
		}
		out.WriteByte('\n')
	}
	return out.String()
}
