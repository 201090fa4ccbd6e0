package daemon

import (
	"sort"

	"github.com/redoubtdb/redoubt/daemon/glob"
	"github.com/redoubtdb/redoubt/netio/resp"
)

// Pub/sub, as Redis 7.0's pubsub.c does it:
//
//   - Three kinds of subscription: channels (SUBSCRIBE), patterns
//     (PSUBSCRIBE, matched with glob, Redis's stringmatchlen) and shard
//     channels (SSUBSCRIBE). The server indexes each kind from name to
//     subscribers; each client keeps its own sets, for UNSUBSCRIBE without
//     arguments, CLIENT LIST and cleanup when it goes away.
//   - A client with any subscription is a pub/sub client: CLIENT LIST shows
//     'P', its output class is "pubsub", and while it speaks RESP2 only
//     (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET are allowed
//     (dispatch asks rejectInSubscriberContext). RESP3 clients may run
//     anything: their messages are push replies.
//   - Confirmations and messages ignore CLIENT REPLY OFF/SKIP, as Redis
//     7.0.15 sends them regardless.
//
// Delivery never writes to another connection from the publisher's loop.
// A message for another client is appended, under Server.mu, to that
// client's pending buffer (clientPubsub.out): one small append per
// receiver. When the unit commits (commitLocked), each receiver that got
// something is handed to its own loop with one Execute, which moves the
// whole buffer into the connection at once, so a PUBLISH to 1,000
// subscribers costs its loop 1,000 appends and at most 1,000 queued
// callbacks, and each subscriber one write however many messages reached it
// meanwhile. Ordering, per receiving client, is Redis's:
//
//   - Messages carry the unit's durability sequence and go through flush:
//     under appendfsync always they wait behind the receiver's held
//     replies, and until the unit that published them (which may have
//     written what they announce) is durable, as Redis sends nothing before
//     its fsync.
//   - A read's commands start by taking the client's pending messages into
//     their own output (takeMessagesLocked), so a message published before
//     a command ran arrives before its reply.
//   - The publisher's own copy goes straight into its reply buffer, before
//     the PUBLISH reply.
//   - A blocked client served in the same unit gets later messages after
//     the reply that unblocks it.
//
// A receiver whose pending buffer alone passes the pubsub hard output
// limit is closed at once, without waiting for its loop; the exact check
// (transport buffer, held replies, soft limit) runs on its loop as the
// messages are written.

// pubsubKind describes one kind of subscription, like Redis's pubsubtype.
type pubsubKind struct {
	subscribeMsg, unsubscribeMsg string
	set                          func(c *Client) *subSet
	index                        func(s *Server) map[string]map[*Client]struct{}
	// count is what confirmations report: channels and patterns together
	// for those two kinds, shard channels alone for the shard kind.
	count func(c *Client) int
}

var (
	kindChannel = &pubsubKind{
		subscribeMsg: "subscribe", unsubscribeMsg: "unsubscribe",
		set:   func(c *Client) *subSet { return &c.pubsub.channels },
		index: func(s *Server) map[string]map[*Client]struct{} { return s.pubsub.channels },
		count: func(c *Client) int { return c.pubsub.channels.len() + c.pubsub.patterns.len() },
	}
	kindPattern = &pubsubKind{
		subscribeMsg: "psubscribe", unsubscribeMsg: "punsubscribe",
		set:   func(c *Client) *subSet { return &c.pubsub.patterns },
		index: func(s *Server) map[string]map[*Client]struct{} { return s.pubsub.patterns },
		count: func(c *Client) int { return c.pubsub.channels.len() + c.pubsub.patterns.len() },
	}
	kindShard = &pubsubKind{
		subscribeMsg: "ssubscribe", unsubscribeMsg: "sunsubscribe",
		set:   func(c *Client) *subSet { return &c.pubsub.shard },
		index: func(s *Server) map[string]map[*Client]struct{} { return s.pubsub.shard },
		count: func(c *Client) int { return c.pubsub.shard.len() },
	}
)

// pubsubState is the server's subscription index. Guarded by Server.mu.
type pubsubState struct {
	channels map[string]map[*Client]struct{}
	patterns map[string]map[*Client]struct{}
	shard    map[string]map[*Client]struct{}
	// patternOrder lists patterns by creation, so a publish matches them
	// in a stable order.
	patternOrder [][]byte
	// caller is the client whose command is running (set by call), whose
	// own messages go straight into its replies; nil outside commands.
	caller *Client
	// dirty lists clients whose pending buffer grew in the current unit.
	dirty []*Client
	// enc is scratch for encoding one message per protocol (receivers
	// copy it).
	enc [4][]byte
	// spareBytes is the capacity of every subscriber's spare buffer, held
	// within pubsubSpareBudget.
	spareBytes int64
}

func (p *pubsubState) init() {
	if p.channels == nil {
		p.channels = map[string]map[*Client]struct{}{}
		p.patterns = map[string]map[*Client]struct{}{}
		p.shard = map[string]map[*Client]struct{}{}
	}
}

// clientPubsub is one client's subscriptions and the messages waiting for
// its loop. Guarded by Server.mu, even on the client's own loop: CLIENT
// KILL from another connection ends its subscriptions at once, as Redis's
// freeClient does.
type clientPubsub struct {
	channels, patterns, shard subSet

	out       []byte // messages from other connections, not yet on the loop
	spare     []byte // out's previous buffer, handed back by the loop for reuse
	seq       uint64 // durability unit out waits for
	dirty     bool   // listed in pubsubState.dirty
	scheduled bool   // a deliverMessages is queued on the client's loop
	gone      bool   // closed (or closing for its output limit): drop messages
}

// subscribed is Redis's CLIENT_PUBSUB flag: any subscription of any kind.
func (p *clientPubsub) subscribed() bool {
	return p.channels.len()+p.patterns.len()+p.shard.len() > 0
}

// subSet is a set of names that remembers the order they were added in, so
// UNSUBSCRIBE without arguments leaves them in a stable order.
type subSet struct {
	m    map[string]uint64
	next uint64
}

func (s *subSet) len() int { return len(s.m) }

func (s *subSet) has(name string) bool { _, ok := s.m[name]; return ok }

// add reports whether name was new.
func (s *subSet) add(name string) bool {
	if _, ok := s.m[name]; ok {
		return false
	}
	if s.m == nil {
		s.m = map[string]uint64{}
	}
	s.next++
	s.m[name] = s.next
	return true
}

// remove reports whether name was there.
func (s *subSet) remove(name string) bool {
	if _, ok := s.m[name]; !ok {
		return false
	}
	delete(s.m, name)
	return true
}

// ordered lists the names in the order they were added.
func (s *subSet) ordered() []string {
	out := make([]string, 0, len(s.m))
	for n := range s.m {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return s.m[out[i]] < s.m[out[j]] })
	return out
}

// ---- encoding ----------------------------------------------------------------

// appendPubsubPush encodes a message: an array in RESP2, a push in RESP3,
// of the kind name ("message", "pmessage", "smessage") and the elements.
func appendPubsubPush(dst []byte, proto int, kind string, elems ...[]byte) []byte {
	dst = resp.AppendPushLen(dst, 1+len(elems), proto)
	dst = resp.AppendBulkString(dst, kind)
	for _, e := range elems {
		dst = resp.AppendBulk(dst, e)
	}
	return dst
}

// appendSubscription encodes a confirmation, [kind, name, count].
func appendSubscription(dst []byte, proto int, kind string, name []byte, count int) []byte {
	dst = resp.AppendPushLen(dst, 3, proto)
	dst = resp.AppendBulkString(dst, kind)
	dst = resp.AppendBulk(dst, name)
	return resp.AppendInt(dst, int64(count))
}

// appendNoSubscription encodes the confirmation of an unsubscribe with
// nothing to leave: [kind, null, count].
func appendNoSubscription(dst []byte, proto int, kind string, count int) []byte {
	dst = resp.AppendPushLen(dst, 3, proto)
	dst = resp.AppendBulkString(dst, kind)
	dst = resp.AppendNull(dst, proto)
	return resp.AppendInt(dst, int64(count))
}

// pushLocked appends a pub/sub confirmation or the client's own message to
// its replies: CLIENT REPLY OFF and SKIP do not silence them. Holds mu.
func (c *Client) pushLocked(b []byte) {
	out := c.replyBuf()
	*out = append(*out, b...)
}

// ---- subscriptions -------------------------------------------------------------

// subscribeLocked adds name to c's subscriptions of kind and confirms it.
// Holds mu.
func (s *Server) subscribeLocked(c *Client, k *pubsubKind, name []byte) {
	if k.set(c).add(string(name)) {
		s.pubsub.init()
		idx := k.index(s)
		subs := idx[string(name)]
		if subs == nil {
			subs = map[*Client]struct{}{}
			idx[string(name)] = subs
			if k == kindPattern {
				s.pubsub.patternOrder = append(s.pubsub.patternOrder, append([]byte(nil), name...))
			}
		}
		subs[c] = struct{}{}
	}
	out := c.replyBuf()
	*out = appendSubscription(*out, c.proto, k.subscribeMsg, name, k.count(c))
}

// unsubscribeLocked removes name from c's subscriptions of kind and, when
// notify is set, confirms it (even if c was not subscribed, as Redis
// does). Holds mu.
func (s *Server) unsubscribeLocked(c *Client, k *pubsubKind, name []byte, notify bool) {
	if k.set(c).remove(string(name)) {
		idx := k.index(s)
		subs := idx[string(name)]
		delete(subs, c)
		if len(subs) == 0 {
			delete(idx, string(name))
			if k == kindPattern {
				s.forgetPatternLocked(name)
			}
		}
	}
	if notify {
		out := c.replyBuf()
		*out = appendSubscription(*out, c.proto, k.unsubscribeMsg, name, k.count(c))
	}
}

func (s *Server) forgetPatternLocked(pattern []byte) {
	order := s.pubsub.patternOrder
	for i, p := range order {
		if string(p) == string(pattern) {
			copy(order[i:], order[i+1:])
			order[len(order)-1] = nil
			s.pubsub.patternOrder = order[:len(order)-1]
			return
		}
	}
}

// unsubscribeAllLocked leaves every subscription of kind, confirming each
// when notify is set, or confirming that there was none. Holds mu.
func (s *Server) unsubscribeAllLocked(c *Client, k *pubsubKind, notify bool) {
	names := k.set(c).ordered()
	for _, n := range names {
		s.unsubscribeLocked(c, k, []byte(n), notify)
	}
	if notify && len(names) == 0 {
		out := c.replyBuf()
		*out = appendNoSubscription(*out, c.proto, k.unsubscribeMsg, k.count(c))
	}
}

// resetPubsubLocked leaves every subscription silently (RESET). Holds mu.
func (s *Server) resetPubsubLocked(c *Client) {
	s.unsubscribeAllLocked(c, kindChannel, false)
	s.unsubscribeAllLocked(c, kindShard, false)
	s.unsubscribeAllLocked(c, kindPattern, false)
}

// pubsubClosedLocked forgets a connection that went away: its
// subscriptions and the messages still waiting for it. Holds mu.
func (s *Server) pubsubClosedLocked(c *Client) {
	s.resetPubsubLocked(c)
	c.pubsub.out = nil
	c.pubsub.gone = true
	s.pubsub.spareBytes -= int64(cap(c.pubsub.spare))
	c.pubsub.spare = nil
}

// subscriberContextAllowed lists what a RESP2 client with subscriptions
// may run.
var subscriberContextAllowed = map[string]bool{
	"ping": true, "subscribe": true, "ssubscribe": true, "unsubscribe": true, "sunsubscribe": true,
	"psubscribe": true, "punsubscribe": true, "quit": true, "reset": true,
}

// rejectInSubscriberContext refuses, with Redis's error, a command that a
// RESP2 client with subscriptions may not run, and reports whether it did.
// Called by dispatch after the arity and auth checks. Holds mu.
func (s *Server) rejectInSubscriberContext(c *Client, cmd *command, argv [][]byte) bool {
	if c.proto != 2 || !c.pubsub.subscribed() || subscriberContextAllowed[cmd.name] {
		return false
	}
	cmd.stats.rejected++
	c.ReplyErrorf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.fullName())
	return true
}

// ---- publishing ----------------------------------------------------------------

// publishLocked publishes message on channel from the server itself
// (keyspace notifications, sentinel hello messages) and returns the number
// of receivers. If a command is running, its client's own copy joins its
// replies in order; other receivers get theirs when the current unit
// commits, so a caller outside a command must call commitLocked
// afterwards. Holds mu.
func (s *Server) publishLocked(channel, message []byte) int {
	return s.publishFromLocked(s.pubsub.caller, false, channel, message)
}

// publishFromLocked delivers message to channel's subscribers (shard
// channels' for SPUBLISH) and, for a plain channel, to the subscribers of
// every matching pattern, once per pattern. from is the client running
// the command, if any. It returns the number of receivers. Holds mu.
func (s *Server) publishFromLocked(from *Client, shard bool, channel, message []byte) int {
	if s.pubsub.channels == nil {
		return 0
	}
	kind, idx := "message", s.pubsub.channels
	if shard {
		kind, idx = "smessage", s.pubsub.shard
	}
	limit := int64(s.cfg.ClientOutputBufferLimit.Pubsub.Hard)
	n := 0
	enc := &s.pubsub.enc // by protocol version; receivers copy
	if subs := idx[string(channel)]; len(subs) > 0 {
		for i := range enc {
			enc[i] = enc[i][:0]
		}
		for sub := range subs {
			if len(enc[sub.proto]) == 0 {
				enc[sub.proto] = appendPubsubPush(enc[sub.proto], sub.proto, kind, channel, message)
			}
			s.deliverLocked(from, sub, enc[sub.proto], limit)
			n++
		}
	}
	if shard {
		return n
	}
	for _, pat := range s.pubsub.patternOrder {
		if !glob.Match(pat, channel, false) {
			continue
		}
		for i := range enc {
			enc[i] = enc[i][:0]
		}
		for sub := range s.pubsub.patterns[string(pat)] {
			if len(enc[sub.proto]) == 0 {
				enc[sub.proto] = appendPubsubPush(enc[sub.proto], sub.proto, "pmessage", pat, channel, message)
			}
			s.deliverLocked(from, sub, enc[sub.proto], limit)
			n++
		}
	}
	return n
}

// deliverLocked queues msg for sub. limit is the pubsub class's hard
// output limit (0: none). Holds mu.
func (s *Server) deliverLocked(from, sub *Client, msg []byte, limit int64) {
	p := &sub.pubsub
	if p.gone {
		return
	}
	if sub == from {
		// The publisher runs on its own loop: its copy joins its replies,
		// after whatever was still waiting for it.
		sub.takeMessagesLocked()
		sub.pushLocked(msg)
		return
	}
	if sub.redirect != nil {
		// A blocked client being served by this command: its reply is
		// being built in its delivery buffer, and the message follows it.
		*sub.redirect = append(*sub.redirect, msg...)
		return
	}
	if sub.block != nil && sub.block.done {
		// Served in this unit: the reply that unblocks it is waiting in
		// s.deliveries, and a message published after it must follow it.
		for i := range s.deliveries {
			if s.deliveries[i].c == sub {
				s.deliveries[i].buf = append(s.deliveries[i].buf, msg...)
				return
			}
		}
	}
	if p.out == nil && p.spare != nil {
		s.pubsub.spareBytes -= int64(cap(p.spare))
		p.out, p.spare = p.spare, nil
	}
	p.out = append(p.out, msg...)
	if !p.dirty {
		p.dirty = true
		s.pubsub.dirty = append(s.pubsub.dirty, sub)
	}
	if limit > 0 && int64(len(p.out)) >= limit {
		// Its loop has not even taken these yet: it cannot be keeping up.
		p.gone = true
		s.log.Warn("client scheduled to be closed ASAP for overcoming of output buffer limits",
			"client", sub.addr, "id", sub.id, "class", "pubsub", "pending", len(p.out))
		p.out = nil
		_ = sub.conn.Close()
	}
}

// dispatchMessagesLocked hands the messages of the unit just committed to
// their receivers' loops. Called by commitLocked, before blocked clients'
// replies are dispatched. Holds mu.
func (s *Server) dispatchMessagesLocked() {
	seq := s.dur.requiredSeq()
	for i, c := range s.pubsub.dirty {
		s.pubsub.dirty[i] = nil
		p := &c.pubsub
		p.dirty = false
		if len(p.out) == 0 || p.gone {
			continue
		}
		p.seq = seq
		if p.scheduled {
			continue
		}
		p.scheduled = true
		if err := c.conn.Execute(c.deliverMessages); err != nil {
			_ = c.conn.Close()
		}
	}
	s.pubsub.dirty = s.pubsub.dirty[:0]
}

// deliverMessages writes the messages waiting for c, behind its held
// replies. On c's loop.
func (c *Client) deliverMessages() {
	s := c.srv
	s.mu.Lock()
	buf, seq := c.pubsub.out, c.pubsub.seq
	c.pubsub.out, c.pubsub.scheduled = nil, false
	s.mu.Unlock()
	if len(buf) == 0 || c.closed.Load() {
		return
	}
	c.out = append(c.out, buf...)
	c.flush(seq)
	if cap(buf) <= pubsubSpareMax {
		s.mu.Lock()
		p := &c.pubsub
		if p.spare == nil && !p.gone && s.pubsub.spareBytes+int64(cap(buf)) <= pubsubSpareBudget {
			p.spare = buf[:0]
			s.pubsub.spareBytes += int64(cap(buf))
		}
		s.mu.Unlock()
	}
}

// A subscriber keeps its delivered buffer for the next messages, so that
// a steady flow allocates nothing: up to pubsubSpareMax each, so a burst
// does not pin its peak size, and pubsubSpareBudget for all of them, so
// thousands of subscribers do not either. Between two deliveries, on one
// event loop that also runs the publishers, a subscriber of 50 clients
// publishing in pipelines of 16 gathered more than 64 KB: with a 64 KB
// limit every delivery grew a new buffer from nothing, 3.6 GB of
// allocation in 4 s, and PUBLISH -P 16 to 10 subscribers ran at 450-530k
// req/s; with 1 MB, at 800k.
const (
	pubsubSpareMax    = 1 << 20
	pubsubSpareBudget = 64 << 20
)

// takeMessagesLocked moves the messages waiting for c into its replies;
// on c's loop (at the start of a read, or when c publishes to itself), so
// they go out before the replies that follow. Holds mu.
func (c *Client) takeMessagesLocked() {
	if len(c.pubsub.out) > 0 {
		c.pushLocked(c.pubsub.out)
		c.pubsub.out = nil
	}
}
