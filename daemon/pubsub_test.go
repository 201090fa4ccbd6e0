package daemon

import (
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/netio/resp"
)

func TestSubSetKeepsInsertionOrder(t *testing.T) {
	var s subSet
	for _, n := range []string{"c", "a", "b", "a"} {
		s.add(n)
	}
	if s.add("c") || !s.add("d") {
		t.Fatal("add reported a duplicate wrongly")
	}
	if !s.remove("a") || s.remove("a") || s.remove("zz") {
		t.Fatal("remove reported wrongly")
	}
	s.add("a")
	if got := strings.Join(s.ordered(), ","); got != "c,b,d,a" {
		t.Fatalf("ordered = %s, want c,b,d,a", got)
	}
	if s.len() != 4 || !s.has("d") || s.has("zz") {
		t.Fatalf("len %d", s.len())
	}
}

func TestPubsubEncoding(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{string(appendSubscription(nil, 2, "subscribe", []byte("ch"), 3)), "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:3\r\n"},
		{string(appendSubscription(nil, 3, "subscribe", []byte(""), 0)), ">3\r\n$9\r\nsubscribe\r\n$0\r\n\r\n:0\r\n"},
		{string(appendNoSubscription(nil, 2, "unsubscribe", 1)), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n"},
		{string(appendNoSubscription(nil, 3, "punsubscribe", 0)), ">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n"},
		{string(appendPubsubPush(nil, 2, "message", []byte("ch"), []byte("hi"))), "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"},
		{string(appendPubsubPush(nil, 3, "pmessage", []byte("c*"), []byte("ch"), nil)), ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n"},
		{string(appendPubsubPush(nil, 3, "smessage", []byte("s"), []byte("\x00"))), ">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\n\x00\r\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// countingConn counts the loop callbacks and transport writes a client
// costs.
type countingConn struct {
	*fakeClient
	executes, writes int
}

func (c *countingConn) Execute(fn func()) error { c.executes++; return c.fakeClient.Execute(fn) }
func (c *countingConn) Write(b []byte) error    { c.writes++; return c.fakeClient.Write(b) }

// pipeline encodes commands given as inline lines into one request.
func pipeline(lines ...string) []byte {
	var b []byte
	for _, l := range lines {
		argv, _, _, err := resp.ReadCommand([]byte(l+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 30, MaxMultibulkLen: 1 << 20, MaxInlineLen: 1 << 20})
		if err != nil {
			panic(err)
		}
		b = append(b, encodeCommand(argv)...)
	}
	return b
}

// replies decodes and consumes what a fake client received.
func replies(t *testing.T, f *fakeClient) []string {
	t.Helper()
	return f.pending(t, ordered)
}

// A PUBLISH pipeline to 1,000 subscribers costs each of them one loop
// callback and one write, whatever the number of messages, and the
// publisher's own loop no write for them.
func TestPublishFanOutBatchesPerSubscriber(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	const n = 1000
	subs := make([]*countingConn, n)
	for i := range subs {
		cc := &countingConn{fakeClient: &fakeClient{loop: h.loop}}
		cc.sess = h.srv.Open(cc).(*Client)
		cc.sess.Data(pipeline("SUBSCRIBE fan"))
		if i%2 == 1 {
			cc.sess.proto = 3
		}
		subs[i] = cc
	}
	h.loop.run()
	for _, cc := range subs {
		cc.fakeClient.buf = nil
		cc.executes, cc.writes = 0, 0
	}
	pub := &countingConn{fakeClient: &fakeClient{loop: h.loop}}
	pub.sess = h.srv.Open(pub).(*Client)
	pub.sess.Data(pipeline("PUBLISH fan m1", "PUBLISH fan m2", "PUBLISH fan m3"))
	if got := replies(t, pub.fakeClient); strings.Join(got, ",") != "(integer) 1000,(integer) 1000,(integer) 1000" {
		t.Fatalf("PUBLISH replies %v", got)
	}
	if pub.writes != 1 || pub.executes != 0 {
		t.Fatalf("publisher: %d writes, %d callbacks; want 1 and 0", pub.writes, pub.executes)
	}
	for i, cc := range subs {
		if cc.executes != 1 || cc.writes != 0 {
			t.Fatalf("subscriber %d before its loop ran: %d callbacks, %d writes", i, cc.executes, cc.writes)
		}
	}
	h.loop.run()
	for i, cc := range subs {
		if cc.writes != 1 {
			t.Fatalf("subscriber %d: %d writes, want 1", i, cc.writes)
		}
		got := replies(t, cc.fakeClient)
		prefix := ""
		if i%2 == 1 {
			prefix = "(push) "
		}
		want := []string{prefix + `["message" "fan" "m1"]`, prefix + `["message" "fan" "m2"]`, prefix + `["message" "fan" "m3"]`}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("subscriber %d got %q", i, got)
		}
	}
}

// withheldDurability runs h under appendfsync always with units never
// becoming durable on their own: the test releases them with markDurable.
func withheldDurability(h *harness) {
	h.srv.dur.setMode("always")
	h.srv.ks.wb.markDurable = func(uint64) {}
}

// Under appendfsync always a message waits behind the subscriber's held
// replies: it never overtakes a reply its client is still owed.
func TestMessageWaitsBehindHeldReplies(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	withheldDurability(h)
	sub, pub := h.client(1), h.client(2)
	sub.sess.proto = 3
	sub.sess.Data(pipeline("SUBSCRIBE ch"))
	h.loop.run()
	if got := replies(t, sub); len(got) != 1 {
		t.Fatalf("SUBSCRIBE: %v", got)
	}
	sub.sess.Data(pipeline("SET k v"))
	pub.sess.Data(pipeline("PUBLISH ch after-set"))
	h.loop.run()
	if got := replies(t, sub); len(got) != 0 {
		t.Fatalf("subscriber got %v before its SET was durable", got)
	}
	h.srv.dur.markDurable(h.srv.dur.committed.Load())
	h.loop.run()
	got := replies(t, sub)
	want := []string{"OK", `(push) ["message" "ch" "after-set"]`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("subscriber got %q, want %q", got, want)
	}
	if got := replies(t, pub); strings.Join(got, ",") != "(integer) 1" {
		t.Fatalf("publisher got %q", got)
	}
}

// A message published after a write in the same unit is not sent before
// that write is durable, as Redis sends nothing before its fsync.
func TestMessageWaitsForPublishersWrite(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	withheldDurability(h)
	sub, pub := h.client(1), h.client(2)
	sub.sess.Data(pipeline("SUBSCRIBE ch"))
	h.loop.run()
	replies(t, sub)
	pub.sess.Data(pipeline("SET x 1", "PUBLISH ch x-is-set"))
	h.loop.run()
	if got := replies(t, sub); len(got) != 0 {
		t.Fatalf("subscriber got %v before the write was durable", got)
	}
	h.srv.dur.markDurable(h.srv.dur.committed.Load())
	h.loop.run()
	if got := replies(t, sub); strings.Join(got, ",") != `["message" "ch" "x-is-set"]` {
		t.Fatalf("subscriber got %q", got)
	}
}

// Messages published before a subscriber's command ran go out before its
// reply, even when its loop had not run their callback yet.
func TestPendingMessagesPrecedeNextReply(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	sub, pub := h.client(1), h.client(2)
	sub.sess.proto = 3
	sub.sess.Data(pipeline("SUBSCRIBE ch"))
	pub.sess.Data(pipeline("PUBLISH ch first"))
	sub.sess.Data(pipeline("PING"))
	h.loop.run()
	got := replies(t, sub)
	want := []string{`(push) ["subscribe" "ch" (integer) 1]`, `(push) ["message" "ch" "first"]`, "PONG"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A blocked RESP3 subscriber served in the middle of a pipeline gets the
// messages published before the push ahead of its reply and the others
// after it, as Redis orders them.
func TestBlockedSubscriberOrder(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	sub, pub := h.client(1), h.client(2)
	sub.sess.proto = 3
	sub.sess.Data(pipeline("SUBSCRIBE ch", "BLPOP q 0"))
	h.loop.run()
	replies(t, sub)
	pub.sess.Data(pipeline("PUBLISH ch before", "RPUSH q x", "PUBLISH ch after"))
	h.loop.run()
	got := replies(t, sub)
	want := []string{`(push) ["message" "ch" "before"]`, `["q" "x"]`, `(push) ["message" "ch" "after"]`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A subscriber whose undelivered messages alone pass the pubsub hard limit
// is closed at publish time; other subscribers are not touched.
func TestSlowSubscriberCutAtPublish(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.srv.cfg.ClientOutputBufferLimit.Pubsub = conf.OutputLimit{Hard: 10_000}
	slow, fine, pub := h.client(1), h.client(2), h.client(3)
	slow.sess.Data(pipeline("SUBSCRIBE big"))
	fine.sess.Data(pipeline("SUBSCRIBE small"))
	h.loop.run()
	replies(t, slow)
	replies(t, fine)
	big := strings.Repeat("x", 1000)
	var cmds []string
	for i := 0; i < 20; i++ {
		cmds = append(cmds, "PUBLISH big "+big)
	}
	cmds = append(cmds, "PUBLISH small hi")
	pub.sess.Data(pipeline(cmds...))
	h.loop.run()
	if !slow.closed {
		t.Fatal("slow subscriber not closed")
	}
	if got := replies(t, slow); len(got) != 0 {
		t.Fatalf("slow subscriber still got %d messages", len(got))
	}
	if fine.closed {
		t.Fatal("the other subscriber was closed")
	}
	if got := replies(t, fine); strings.Join(got, ",") != `["message" "small" "hi"]` {
		t.Fatalf("other subscriber got %q", got)
	}
}

func TestPublishLockedFromServer(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	sub := h.client(1)
	sub.sess.Data(pipeline("PSUBSCRIBE __keyspace@0__:*"))
	h.loop.run()
	replies(t, sub)
	s := h.srv
	s.mu.Lock()
	n := s.publishLocked([]byte("__keyspace@0__:k"), []byte("set"))
	s.commitLocked()
	s.mu.Unlock()
	h.loop.run()
	if n != 1 {
		t.Fatalf("publishLocked = %d", n)
	}
	if got := replies(t, sub); strings.Join(got, ",") != `["pmessage" "__keyspace@0__:*" "__keyspace@0__:k" "set"]` {
		t.Fatalf("got %q", got)
	}
}

// Inside a command, publishLocked puts the running client's own copy in
// its replies, in order (keyspace notifications of its own command).
func TestPublishLockedToRunningClient(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	s := h.srv
	probe := false
	s.cmds.byName["echo"].fn = func(c *Client, argv [][]byte) {
		probe = s.publishLocked([]byte("ch"), argv[1]) == 1
		c.ReplyBulk(argv[1])
	}
	c := h.client(1)
	c.sess.proto = 3
	c.sess.Data(pipeline("SUBSCRIBE ch", "ECHO hi"))
	got := replies(t, c)
	want := []string{`(push) ["subscribe" "ch" (integer) 1]`, `(push) ["message" "ch" "hi"]`, `"hi"`}
	if !probe || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q (counted %v), want %q", got, probe, want)
	}
}

// CLIENT LIST, INFO, the client type and output class follow the
// subscriptions, and a closed connection leaves them all.
func TestPubsubIntrospection(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	sub, other := h.client(1), h.client(2)
	sub.sess.Data(pipeline("SUBSCRIBE a b", "PSUBSCRIBE p*", "SSUBSCRIBE s"))
	replies(t, sub)
	if cl := sub.sess.outputClass(); cl != "pubsub" {
		t.Errorf("output class %q, want pubsub", cl)
	}
	lines := parseClientLines(t, string(other.reply(t, "CLIENT", "LIST").Str))
	for _, kv := range [][2]string{{"flags", "P"}, {"sub", "2"}, {"psub", "1"}, {"ssub", "1"}} {
		if got := lines[0][kv[0]]; got != kv[1] {
			t.Errorf("CLIENT LIST %s=%s, want %s", kv[0], got, kv[1])
		}
	}
	if got := lines[1]["flags"]; got != "N" {
		t.Errorf("non-subscriber flags=%s", got)
	}
	if n := len(parseClientLines(t, string(other.reply(t, "CLIENT", "LIST", "TYPE", "pubsub").Str))); n != 1 {
		t.Errorf("CLIENT LIST TYPE pubsub lists %d", n)
	}
	info := string(other.reply(t, "INFO", "stats").Str)
	for _, want := range []string{"pubsub_channels:2\r\n", "pubsub_patterns:1\r\n", "pubsubshard_channels:1\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO stats lacks %q", want)
		}
	}

	sub.sess.Closed(nil)
	info = string(other.reply(t, "INFO", "stats").Str)
	for _, want := range []string{"pubsub_channels:0\r\n", "pubsub_patterns:0\r\n", "pubsubshard_channels:0\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("after close, INFO stats lacks %q", want)
		}
	}
	if v := other.reply(t, "PUBLISH", "a", "x"); v.Int != 0 {
		t.Errorf("PUBLISH after the subscriber closed reached %d", v.Int)
	}
	delete(h.clients, 1)

	// Unsubscribing from everything makes a client normal again.
	c := h.client(3)
	c.sess.Data(pipeline("SSUBSCRIBE s", "SUNSUBSCRIBE"))
	if cl := c.sess.outputClass(); cl != "normal" || clientType(c.sess) != clientTypeNormal {
		t.Errorf("after SUNSUBSCRIBE: class %q", cl)
	}
}

// The subscriber context is checked on the protocol at dispatch time, and
// rejections count as rejected calls.
func TestSubscriberContextStats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	c.sess.Data(pipeline("SUBSCRIBE a", "GET x", "GET x", "CLIENT LIST"))
	got := replies(t, c)
	if len(got) != 4 || !strings.HasPrefix(got[3], "(error) ERR Can't execute 'client|list'") {
		t.Fatalf("got %q", got)
	}
	if st := h.srv.cmds.byName["get"].stats; st.rejected != 2 || st.calls != 0 {
		t.Errorf("get stats %+v, want 2 rejected, 0 calls", st)
	}
	if st := h.srv.cmds.byName["client"].subs["list"].stats; st.rejected != 1 {
		t.Errorf("client|list stats %+v", st)
	}
}

// A message published while a blocked subscriber's reply is being built
// (a notification from the command serving it) follows that reply.
func TestMessageFollowsReplyBeingBuilt(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	sub := h.client(1)
	sub.sess.proto = 3
	sub.sess.Data(pipeline("SUBSCRIBE ch"))
	replies(t, sub)
	s := h.srv
	s.mu.Lock()
	var buf []byte
	sub.sess.redirect = &buf
	sub.sess.ReplyBulkString("served")
	s.publishLocked([]byte("ch"), []byte("event"))
	sub.sess.redirect = nil
	s.commitLocked()
	s.mu.Unlock()
	h.loop.run()
	if got := replies(t, sub); len(got) != 0 {
		t.Fatalf("message sent apart from the reply: %q", got)
	}
	if want := "$6\r\nserved\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nevent\r\n"; string(buf) != want {
		t.Fatalf("delivery buffer %q, want %q", buf, want)
	}
}
