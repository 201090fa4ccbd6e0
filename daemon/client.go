package daemon

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redoubtdb/redoubt/daemon/acl"
	"github.com/redoubtdb/redoubt/netio"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// Client is one connection's state. It implements netio.Session.
//
// Ownership: a Client belongs to its connection's event loop. Fields are read
// and written on that loop while it holds Server.mu (command execution) or on
// the loop alone (output flushing); fields other goroutines read (CLIENT
// LIST, idle timeout) are atomics or guarded by Server.mu.
type Client struct {
	srv  *Server
	conn netio.Conn
	id   int64

	// Guarded by Server.mu.
	name  string
	db    int
	proto int // 2 or 3
	// authed is Redis's c->authenticated (see Server.authRequired).
	// Written under mu; atomic because a loading replica's lock-free
	// answers read it (replyLoading).
	authed atomic.Bool
	user   *acl.User
	// closeAfterCommand closes the connection once the running command
	// (EXEC with its queue) has replied: its own user was removed.
	closeAfterCommand bool
	replyMode         replyMode
	closeASAP         bool // close once pending replies are flushed
	killed            bool // CLIENT KILL: close without further replies
	monitor           bool
	noEvict           bool
	created           time.Time
	lastCmd           string
	argvBytes         int  // the arguments a blocked client waits with (CLIENT LIST's argv-mem)
	qbuf              int  // CLIENT LIST's qbuf (see Client.data)
	failed            bool // the current command replied with an error
	closeAfterFlush   bool // close once held replies are written (loop only)
	addr, ladr        string
	unix              bool // connected through the Unix socket (CLIENT LIST's flag U)

	lastInteraction atomic.Int64 // unix nanoseconds of the last read; idle timeout
	closed          atomic.Bool

	// out holds the replies not yet written: the current read's, after
	// those of earlier reads that wait for the end of the loop's batch of
	// events (deferred; see Client.send).
	out       []byte
	readStart int         // where the current read's replies start in out (loop only)
	deferred  bool        // a send of out is queued for the end of the batch (loop only)
	sendFn    func()      // sendDeferred, made once
	redirect  *[]byte     // replies go here instead of out (mu; see replyBuf)
	block     *blockState // the blocking command c waits in (mu)
	argv      [][]byte    // the running command's arguments (Client.data)
	parseArgs [][]byte    // the parser's argv, reused
	// A read's commands parsed ahead (prefetch.go); loop only.
	ahead       []aheadCmd
	aheadArgs   [][]byte
	aheadHashes []uint64
	aheadPrefix []byte
	aheadNext   int         // the next of ahead to run
	aheadAt     int         // where it starts in the read
	aheadMore   bool        // read more ahead once ahead runs out
	held        []heldOut   // replies waiting for durability (loop only)
	heldBytes   int64       // total size of held (loop only)
	cutOff      bool        // closing for its output buffer limit (loop only)
	postponed   bool        // a pause held the command back (postponeLocked; mu)
	obuf        outbufLimit // soft output-limit tracking (loop only)

	// replyDropped: the replies of a read passed maxReply; the client is
	// closing and replies go to scratch (see dropReply). Guarded by
	// Server.mu.
	replyDropped bool
	scratch      []byte

	// Pub/sub hook: subscriptions and undelivered messages (pubsub.go).
	// Guarded by Server.mu.
	pubsub clientPubsub
	// tracking is its CLIENT TRACKING state (tracking.go), guarded by
	// Server.mu.
	tracking clientTracking

	// MULTI hook: the transaction and watched keys (multi.go). Guarded by
	// Server.mu.
	multi multiState

	// Replication hook (repl.go, repl_master.go), guarded by Server.mu:
	// the replica link of a replica connection; whether the running
	// command propagated its own form; the stream offset after this
	// client's last write (WAIT's target) and what a WAIT waits for.
	repl     *replicaLink
	isMaster bool // applies the stream of this server's primary
	// unadmitted: accepted while a replica was loading, not yet checked
	// and registered (Server.Open, admitLocked).
	unadmitted bool
	propDone   bool
	woff       int64
	wait       waitReq
	psyncWait  time.Time // a PSYNC FAILOVER waits for the stream until then (mu)
}

type replyMode uint8

const (
	replyOn replyMode = iota
	replyOff
	replySkipNext
	replySkipThis
)

// heldOut is a batch of replies that may be sent once the store's durable
// sequence reaches seq (appendfsync always).
type heldOut struct {
	seq uint64
	buf []byte
}

// outbufLimit tracks when a client first exceeded its soft output limit.
type outbufLimit struct {
	softSince time.Time
	// pending is the reply bytes the client's loop last found waiting
	// (queued in the transport and held for durability): CLIENT LIST's
	// omem, read from any loop. The loop refreshes it at every write,
	// and the cron has it refreshed while it is not 0, since the
	// transport drains its queue without telling.
	pending atomic.Int64
	// checkQueued: a refresh from the cron is queued on the loop.
	checkQueued atomic.Bool
}

// ---- replies ---------------------------------------------------------------

// replyBuf is where replies go: the connection's output of this read, or,
// while the server serves a blocked client from another connection's
// command, a buffer handed to the blocked client's loop afterwards (see
// blocking.go). Guarded by Server.mu.
func (c *Client) replyBuf() *[]byte {
	if c.redirect != nil {
		return c.redirect
	}
	if c.replyDropped || int64(len(c.out)) > c.srv.maxReply.Load() {
		return c.dropReply()
	}
	return &c.out
}

// replyCapFloor: replies up to this size are never refused for memory.
// A variable for tests.
var replyCapFloor int64 = 64 << 20

// updateReplyCap sets maxReply, the largest reply the server builds
// for one client read: an eighth of the memory available, less what the
// store's caches may still take, and at least replyCapFloor; unbounded
// where the memory available is unknown. An eighth, because a reply costs
// about three times its size in the heap while it grows (append leaves the
// old arrays as garbage, and the collector lets the heap reach twice what
// is live), and the transport may copy what the socket does not take: at
// a quarter, a 1 GB cgroup still killed the server.
//
// Why: Redoubt's data may be larger than RAM, and a reply is built whole
// before it is sent, so KEYS * or HGETALL on a big enough key would grow
// the process until the kernel's OOM killer ended it, for every client.
// Redis builds such replies too, but its data set is in RAM already.
func (s *Server) updateReplyCap() {
	avail, ok := availableMemory()
	if !ok {
		s.maxReply.Store(math.MaxInt64)
		return
	}
	if g, ok := s.store.(storage.MemoryGrower); ok {
		// In a 1 GB cgroup the block cache filled by 200 MB while HGETALL
		// read a 3M-field hash.
		avail -= min(avail, g.MemoryHeadroom())
	}
	s.maxReply.Store(max(int64(avail/8), replyCapFloor))
}

// dropReply gives up a reply that grew past maxReply: the client is
// closed, as for an output limit, nothing of the reply is sent, and the
// rest of the command's replies go to a scratch buffer, reused, so memory
// stays bounded while the command runs to its end. Holds mu.
func (c *Client) dropReply() *[]byte {
	if !c.replyDropped {
		c.replyDropped = true
		c.closeASAP = true
		c.srv.log.Warn("client closed: its reply passed an eighth of the memory available",
			"client", c.addr, "id", c.id, "reply_bytes", len(c.out), "cap_bytes", c.srv.maxReply.Load())
		c.out = nil
	}
	c.scratch = c.scratch[:0]
	return &c.scratch
}

// repeatedReplyTooBig stops a command that draws with repetition
// (HRANDFIELD, SRANDMEMBER and ZRANDMEMBER with a negative count, which may
// ask for any number of elements) once the memory cap dropped its reply
// (dropReply: the reply goes to a scratch buffer from then on, so its
// length says nothing), its reply passed the client's hard output limit
// (Redis checks CLIENT_CLOSE_ASAP there), or maxRepeatedReply
// bytes when the class has no limit, as normal clients have by default:
// the reply is built under the server lock, and Redis 7.0 itself runs out
// of memory on SRANDMEMBER key -9223372036854775807 (so did Redoubt's
// SRANDMEMBER and ZRANDMEMBER, which had no cap; at 1 GiB, HRANDFIELD's old
// cap, the growing buffer's copies and the garbage collector's headroom
// took 4.3 GB of RSS). The reply is dropped and the client closed, as for
// an output limit. Callers check every 1024 elements.
func repeatedReplyTooBig(c *Client) bool {
	switch {
	case c.replyDropped: // the memory cap came first (dropReply logged it)
	case c.overOutputLimitLocked(): // logs it
	case len(*c.replyBuf()) >= maxRepeatedReply:
		c.srv.log.Warn("client closed: a reply of repeated random elements passed its size cap",
			"client", c.addr, "id", c.id, "cap_bytes", maxRepeatedReply)
	default:
		return false
	}
	*c.replyBuf() = (*c.replyBuf())[:0]
	c.closeASAP = true
	return true
}

// maxRepeatedReply is a variable for tests.
var maxRepeatedReply = 256 << 20

// suppressed reports whether CLIENT REPLY OFF/SKIP silences this reply.
func (c *Client) suppressed() bool { return c.replyMode == replyOff || c.replyMode == replySkipThis }

// ReplyOK replies +OK.
func (c *Client) ReplyOK() { c.ReplySimple("OK") }

// ReplySimple replies with a simple string.
func (c *Client) ReplySimple(s string) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendSimple(*c.replyBuf(), s)
	}
}

// ReplyError replies with an error; msg carries its prefix ("ERR ...",
// "WRONGTYPE ..."). Errors are counted for INFO errorstats.
func (c *Client) ReplyError(msg string) {
	c.srv.countError(msg)
	c.failed = true
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendError(*c.replyBuf(), msg)
	}
}

// ReplyErrorf formats an error reply.
func (c *Client) ReplyErrorf(format string, args ...any) { c.ReplyError(fmt.Sprintf(format, args...)) }

// ReplyInt replies with an integer.
func (c *Client) ReplyInt(n int64) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendInt(*c.replyBuf(), n)
	}
}

// ReplyBulk replies with a bulk string.
func (c *Client) ReplyBulk(b []byte) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendBulk(*c.replyBuf(), b)
	}
}

// ReplyBulkString replies with a bulk string.
func (c *Client) ReplyBulkString(s string) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendBulkString(*c.replyBuf(), s)
	}
}

// ReplyBulkInt replies with an integer formatted as a bulk string.
func (c *Client) ReplyBulkInt(n int64) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendBulkString(*c.replyBuf(), strconv.FormatInt(n, 10))
	}
}

// ReplyNull replies with the null bulk string ($-1, or _ in RESP3).
func (c *Client) ReplyNull() {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendNull(*c.replyBuf(), c.proto)
	}
}

// ReplyNullArray replies with the null array (*-1, or _ in RESP3).
func (c *Client) ReplyNullArray() {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendNullArray(*c.replyBuf(), c.proto)
	}
}

// ReplyArrayLen starts an array of n elements.
func (c *Client) ReplyArrayLen(n int) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendArrayLen(*c.replyBuf(), n)
	}
}

// ReplyMapLen starts a map of n pairs (a flat array of 2n in RESP2).
func (c *Client) ReplyMapLen(n int) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendMapLen(*c.replyBuf(), n, c.proto)
	}
}

// ReplySetLen starts a set of n elements (an array in RESP2).
func (c *Client) ReplySetLen(n int) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendSetLen(*c.replyBuf(), n, c.proto)
	}
}

// ReplyDouble replies with a double (a bulk string in RESP2).
func (c *Client) ReplyDouble(f float64) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendDouble(*c.replyBuf(), f, c.proto)
	}
}

// ReplyBool replies with a boolean (an integer 1/0 in RESP2).
func (c *Client) ReplyBool(b bool) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendBool(*c.replyBuf(), b, c.proto)
	}
}

// ReplyVerbatim replies with verbatim text (a bulk string in RESP2).
func (c *Client) ReplyVerbatim(s string) {
	if !c.suppressed() {
		*c.replyBuf() = resp.AppendVerbatim(*c.replyBuf(), "txt", []byte(s), c.proto)
	}
}

// ReplyRaw appends pre-encoded RESP.
func (c *Client) ReplyRaw(b []byte) {
	if !c.suppressed() {
		*c.replyBuf() = append(*c.replyBuf(), b...)
	}
}

// ReplyBulks replies with an array of bulk strings.
func (c *Client) ReplyBulks(items [][]byte) {
	c.ReplyArrayLen(len(items))
	for _, it := range items {
		c.ReplyBulk(it)
	}
}

// ReplyStrings replies with an array of bulk strings.
func (c *Client) ReplyStrings(items []string) {
	c.ReplyArrayLen(len(items))
	for _, it := range items {
		c.ReplyBulkString(it)
	}
}

// deferredArray is an array reply whose length is known only once its
// elements are written (Redis's addReplyDeferredLen): the elements go
// straight into the output, and end slides them up to fit the header.
type deferredArray struct {
	c     *Client
	start int
	on    bool
}

func beginDeferredArray(c *Client) deferredArray {
	return deferredArray{c: c, start: len(*c.replyBuf()), on: !c.suppressed()}
}

func (d deferredArray) end(n int) {
	if !d.on {
		return
	}
	var hdr [24]byte
	h := resp.AppendArrayLen(hdr[:0], n)
	out := d.c.replyBuf()
	body := len(*out) - d.start
	*out = append(*out, h...)
	copy((*out)[d.start+len(h):], (*out)[d.start:d.start+body])
	copy((*out)[d.start:], h)
}

// ---- identity ---------------------------------------------------------------

// ID is the client's CLIENT ID.
func (c *Client) ID() int64 { return c.id }

// DB is the logical database the client has selected.
func (c *Client) DB() int { return c.db }

// Proto is the RESP version the client speaks (2 or 3).
func (c *Client) Proto() int { return c.proto }

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
