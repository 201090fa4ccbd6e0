package daemon

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// The primary side of replication (PROTOCOL.md A.3-A.12): REPLCONF, PSYNC
// and SYNC from replicas, full syncs from a snapshot, the stream to online
// replicas, their acknowledgements, WAIT, ROLE and min-replicas-to-write.
//
// A replica is a client connection like any other, on its event loop. Its
// stream bytes are queued under Server.mu as units are appended (like a
// subscriber's messages) and written by its loop, behind the replies the
// unit's durability holds back, so under appendfsync always a replica never
// gets a write before it is on this server's disk. A full sync runs on a
// goroutine of its own: it snapshots the keyspace (no fork: a store
// snapshot, see snapshot.go), encodes it as RDB into the replica's
// connection a chunk at a time, never more than a few MB ahead of what the
// socket took, while the stream written after the snapshot waits in the
// replica's pending output.

// replicaState is where a replica's sync stands (INFO's state=).
type replicaState uint8

const (
	replicaWaitBgsave replicaState = iota // waiting for its snapshot
	replicaSendBulk                       // receiving the RDB
	replicaOnline                         // receiving the stream
)

func (st replicaState) String() string {
	switch st {
	case replicaWaitBgsave:
		return "wait_bgsave"
	case replicaSendBulk:
		return "send_bulk"
	}
	return "online"
}

// replicaLink is what a primary keeps for one replica connection. Guarded
// by Server.mu.
type replicaLink struct {
	state   replicaState
	port    int    // REPLCONF listening-port
	ip      string // REPLCONF ip-address
	capaEOF bool   // can take an EOF-framed (diskless) RDB
	psync2  bool   // understands +CONTINUE <replid>
	legacy  bool   // attached with SYNC: sends no ACKs
	rdbOnly bool   // REPLCONF rdb-only 1: an RDB and nothing else
	ackOff  int64
	ackTime time.Time
	// waitAck: an EOF-framed RDB was sent; the stream starts on the first
	// ACK, so that the replica can find the end mark (A.4).
	waitAck bool
	// pending is stream bytes not yet handed to the replica's loop.
	pending   []byte
	seq       uint64 // durability sequence pending's last bytes need
	scheduled bool   // a write of pending is queued on the loop
	dirty     bool   // in replState.dirty
	gone      bool   // dropped: queue nothing more
	attached  bool   // PSYNC or SYNC made the connection a replica
	// delayed: a diskless full sync waits out repl-diskless-sync-delay;
	// start: enough replicas waited (repl-diskless-sync-max-replicas) for
	// it to start at once.
	delayed, start bool
}

// replicaQueueLocked adds stream bytes to c's pending output. Holds mu.
func (s *Server) replicaQueueLocked(c *Client, b []byte) {
	l := c.repl
	if l.gone || l.rdbOnly {
		return
	}
	l.pending = append(l.pending, b...)
	if lim := s.cfg.OutputLimit("replica").Hard; lim > 0 && int64(len(l.pending)) >= int64(lim) {
		s.log.Warn("client scheduled to be closed ASAP for overcoming of output buffer limits",
			"client", c.addr, "id", c.id, "class", "replica", "pending", len(l.pending))
		s.dropReplicaLocked(c)
		return
	}
	if l.state == replicaOnline && !l.waitAck && !l.dirty {
		l.dirty = true
		s.repl.dirty = append(s.repl.dirty, c)
	}
}

// dispatchReplicasLocked hands the stream of the units just committed to
// the replicas' loops. Called by commitLocked. Holds mu.
func (s *Server) dispatchReplicasLocked() {
	r := &s.repl
	if r.getack {
		r.getack = false
		s.feedLocked(-1, propGetack)
	}
	seq := s.dur.requiredSeq()
	for i, c := range r.dirty {
		r.dirty[i] = nil
		l := c.repl
		l.dirty = false
		if l.gone || len(l.pending) == 0 {
			continue
		}
		l.seq = seq
		if l.scheduled {
			continue
		}
		l.scheduled = true
		if err := c.conn.Execute(c.writeStream); err != nil {
			_ = c.conn.Close()
		}
	}
	r.dirty = r.dirty[:0]
}

// writeStream writes the stream bytes waiting for replica c. On c's loop.
func (c *Client) writeStream() {
	s := c.srv
	s.mu.Lock()
	l := c.repl
	buf, seq := l.pending, l.seq
	l.pending, l.scheduled = nil, false
	s.repl.netOut += int64(len(buf))
	s.mu.Unlock()
	if len(buf) == 0 || c.closed.Load() {
		return
	}
	c.out = append(c.out, buf...)
	c.flush(seq)
}

// attachReplicaLocked makes c a replica. Holds mu.
func (s *Server) attachReplicaLocked(c *Client) *replicaLink {
	r := &s.repl
	l := c.repl
	if l == nil {
		l = &replicaLink{}
		c.repl = l
	}
	l.ackTime = time.Now()
	l.attached = true
	r.replicas = append(r.replicas, c)
	if r.backlog == nil {
		// The first replica: a new history starts (A.3 step 5).
		r.id = newRunID()
		r.id2 = nullReplID
		r.secondOffset = -1
		r.backlog = newBacklog(int64(s.cfg.ReplBacklogSize), r.offset)
		r.seldb = -1
		s.log.Info("Replication backlog created, my new replication IDs are '" + r.id + "' and '" + r.id2 + "'")
	}
	return l
}

// dropReplicaLocked disconnects replica c. Holds mu.
func (s *Server) dropReplicaLocked(c *Client) {
	if c.repl == nil || c.repl.gone {
		return
	}
	c.repl.gone = true
	c.repl.pending = nil
	_ = c.conn.Close()
}

// replicaClosedLocked forgets replica c (its connection closed). Holds mu.
func (s *Server) replicaClosedLocked(c *Client) {
	if !c.isReplica() {
		return
	}
	r := &s.repl
	c.repl.gone = true
	c.repl.pending = nil
	for i, o := range r.replicas {
		if o == c {
			r.replicas = append(r.replicas[:i:i], r.replicas[i+1:]...)
			break
		}
	}
	if len(r.replicas) == 0 {
		r.noReplicasSince = time.Now()
	}
	s.log.Info("Connection with replica " + s.replicaName(c) + " lost.")
}

// replicaName is how logs name a replica: ip:port.
func (s *Server) replicaName(c *Client) string {
	return net.JoinHostPort(s.replicaIP(c), strconv.Itoa(c.repl.port))
}

// replicaIP is the replica's announced address, or its peer address.
func (s *Server) replicaIP(c *Client) string {
	if c.repl.ip != "" {
		return c.repl.ip
	}
	if a, ok := c.conn.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return c.addr
	}
	return host
}

func init() { registrations = append(registrations, registerReplCommands) }

func registerReplCommands(t *commandTable) {
	t.register("replconf", cmdReplconf)
	t.register("psync", cmdSync)
	t.register("sync", cmdSync)
	t.register("wait", cmdWait)
	t.register("role", cmdRole)
	t.register("replicaof", cmdReplicaof)
	t.register("slaveof", cmdReplicaof)
}

// REPLCONF <option> <value> [<option> <value> ...]
func cmdReplconf(c *Client, argv [][]byte) {
	s := c.srv
	if len(argv)%2 == 0 {
		c.ReplyError(errSyntax)
		return
	}
	l := c.repl
	if l == nil {
		l = &replicaLink{}
	}
	for j := 1; j < len(argv); j += 2 {
		opt, val := strings.ToLower(string(argv[j])), argv[j+1]
		switch opt {
		case "listening-port":
			port, ok := parseInt(val)
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			l.port = int(port)
		case "ip-address":
			if len(val) >= 256 {
				c.ReplyErrorf("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes", len(val))
				return
			}
			l.ip = string(val)
		case "capa":
			switch strings.ToLower(string(val)) {
			case "eof":
				l.capaEOF = true
			case "psync2":
				l.psync2 = true
			}
		case "ack":
			// Only from a replica, and never answered; what follows it
			// (7.2's FACK) is not parsed.
			c.skipReply()
			off, ok := parseInt(val)
			if !c.isReplica() || !ok {
				return
			}
			s.replicaAckLocked(c, off)
			return
		case "getack":
			// Only a replica answers GETACK; a primary ignores it.
			c.skipReply()
			return
		case "rdb-only":
			v, ok := parseInt(val)
			if !ok || (v != 0 && v != 1) {
				c.ReplyError(errNotInt)
				return
			}
			l.rdbOnly = v == 1
		case "rdb-filter-only":
			// Only "functions" exists; with no functions it changes nothing.
		default:
			c.ReplyErrorf("ERR Unrecognized REPLCONF option: %s", argv[j])
			return
		}
	}
	c.repl = l
	c.ReplyOK()
}

// skipReply makes the running command send no reply (REPLCONF ACK).
func (c *Client) skipReply() {
	if c.replyMode == replyOn {
		c.replyMode = replySkipThis
	}
}

// replicaAckLocked records REPLCONF ACK from replica c. Holds mu.
func (s *Server) replicaAckLocked(c *Client, off int64) {
	l := c.repl
	if off > l.ackOff {
		l.ackOff = off
	}
	l.ackTime = time.Now()
	if l.waitAck {
		l.waitAck = false
		s.log.Info("Streaming the replication stream to replica " + s.replicaName(c) + " after its first ACK")
		if len(l.pending) > 0 && !l.dirty {
			l.dirty = true
			s.repl.dirty = append(s.repl.dirty, c)
		}
	}
	s.checkWaitersLocked()
	s.updateFailoverLocked(l.ackTime)
	s.shutdownCronLocked(l.ackTime)
}

// PSYNC replid offset, and SYNC.
func cmdSync(c *Client, argv [][]byte) {
	s := c.srv
	if c.isReplica() {
		return // already a replica: ignored, as in Redis
	}
	psync := equalFold(argv[0], "psync")
	// PSYNC replid offset FAILOVER: our primary hands over to us.
	if psync && len(argv) > 3 && equalFold(argv[3], "failover") && !s.failoverPsyncLocked(c, string(argv[1])) {
		return
	}
	if s.repl.failover.phase != noFailover {
		c.ReplyError("NOMASTERLINK Can't SYNC while failing over")
		return
	}
	if m := s.repl.master; m != nil && m.client == nil {
		c.ReplyError("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	if len(c.out) > 0 || len(c.held) > 0 {
		c.ReplyError("ERR SYNC and PSYNC are invalid with pending output")
		return
	}
	if psync {
		// Arguments past the offset are ignored, as Redis ignores them.
		off, ok := parseInt(argv[2])
		if !ok {
			c.ReplyError(errNotInt)
			return
		}
		if s.tryPartialSyncLocked(c, string(argv[1]), off) {
			s.repl.syncPartialOK++
			return
		}
		if string(argv[1]) != "?" {
			s.repl.syncPartialErr++
		}
	}
	s.repl.syncFull++
	l := s.attachReplicaLocked(c)
	l.state = replicaWaitBgsave
	l.legacy = !psync
	eof := psync && l.capaEOF && s.cfg.ReplDisklessSync
	delay := time.Duration(0)
	if eof {
		delay = time.Duration(s.cfg.ReplDisklessSyncDelay) * time.Second
		l.delayed = delay > 0
	}
	s.log.Info("Replica " + s.replicaName(c) + " asks for synchronization")
	timeout := time.Duration(s.cfg.ReplTimeout) * time.Second
	go runInBackground(func() { s.fullSync(c, l, eof, !psync, delay, timeout) })
}

// isReplica reports whether c attached as a replica (PSYNC or SYNC ran).
// Holds mu.
func (c *Client) isReplica() bool { return c.repl != nil && c.repl.attached }

// tryPartialSyncLocked serves PSYNC replid offset from the backlog when it
// can (A.3 step 3). Holds mu.
func (s *Server) tryPartialSyncLocked(c *Client, replid string, off int64) bool {
	r := &s.repl
	if replid != r.id && (replid != r.id2 || off > r.secondOffset) {
		if replid != "?" {
			if replid != r.id && replid != r.id2 {
				s.log.Info("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '" + replid + "', my replication IDs are '" + r.id + "' and '" + r.id2 + "')")
			} else {
				s.log.Info(fmt.Sprintf("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d", off, r.secondOffset))
			}
		} else {
			s.log.Info("Full resync requested by replica " + s.replicaName(c))
		}
		return false
	}
	b := r.backlog
	if b == nil || off < b.first || off > b.first+b.hist {
		s.log.Info(fmt.Sprintf("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).", s.replicaName(c), off))
		return false
	}
	l := s.attachReplicaLocked(c)
	l.state = replicaOnline
	if l.psync2 {
		c.ReplyRaw([]byte("+CONTINUE " + r.id + "\r\n"))
	} else {
		c.ReplyRaw([]byte("+CONTINUE\r\n"))
	}
	sent := len(c.out)
	c.out = b.read(c.out, off)
	s.repl.netOut += int64(len(c.out) - sent)
	s.log.Info(fmt.Sprintf("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", s.replicaName(c), len(c.out)-sent, off))
	return true
}

// syncWaitOverLocked reports whether l's diskless sync may start before
// its delay is over: repl-diskless-sync-max-replicas replicas wait for one.
// Those replicas all start, as Redis starts one sync for all of them (here
// each still gets a snapshot of its own). Holds mu.
func (s *Server) syncWaitOverLocked(l *replicaLink) bool {
	if l.start {
		return true
	}
	n := s.cfg.ReplDisklessSyncMaxReplicas
	if n <= 0 {
		return false
	}
	var waiting []*replicaLink
	for _, c := range s.repl.replicas {
		if o := c.repl; o != nil && o.delayed && o.state == replicaWaitBgsave && !o.gone {
			waiting = append(waiting, o)
		}
	}
	if len(waiting) < n {
		return false
	}
	for _, o := range waiting {
		o.start = true
	}
	return true
}

// errReplicaGone ends a full sync whose replica disconnected.
var errReplicaGone = errors.New("replica connection closed")

// fullSync sends replica c a snapshot of the keyspace, then lets its stream
// flow. On a goroutine of its own (see runInBackground).
func (s *Server) fullSync(c *Client, l *replicaLink, eof, legacy bool, delay, timeout time.Duration) {
	// The diskless delay, with a newline a second to keep the replica's
	// handshake alive (it skips empty lines before +FULLRESYNC), cut short
	// once enough replicas wait.
	keepalive := time.Now()
	for deadline := time.Now().Add(delay); time.Now().Before(deadline); {
		s.mu.Lock()
		over := s.syncWaitOverLocked(l)
		s.mu.Unlock()
		if over {
			break
		}
		time.Sleep(min(100*time.Millisecond, time.Until(deadline)))
		if time.Since(keepalive) >= time.Second {
			keepalive = time.Now()
			if err := s.replicaSend(c, []byte("\n"), timeout); err != nil {
				return
			}
		}
	}
	s.mu.Lock()
	if l.gone {
		s.mu.Unlock()
		return
	}
	v := s.ks.snapshot()
	r := &s.repl
	off, id := r.offset, r.id
	// The stream so far is in the snapshot; the replica gets what follows,
	// starting with a SELECT.
	l.pending = l.pending[:0]
	l.state = replicaSendBulk
	r.seldb = -1
	opts := s.rdbOptionsLocked()
	opts.aux = []rdb.Aux{
		rdb.AuxInt("repl-stream-db", 0),
		{Key: "repl-id", Val: id},
		rdb.AuxInt("repl-offset", off),
	}
	target := "disk"
	if eof {
		target = "socket"
	}
	s.log.Info(fmt.Sprintf("Starting BGSAVE for SYNC with target: %s (replica %s, offset %d)", target, s.replicaName(c), off))
	s.mu.Unlock()

	err := s.sendSnapshot(c, v, opts, eof, legacy, id, off, timeout)
	v.close()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !l.gone {
			s.log.Warn("full sync with replica "+s.replicaName(c)+" failed", "err", err)
		}
		s.dropReplicaLocked(c)
		return
	}
	if l.gone {
		return
	}
	if l.rdbOnly {
		// redis-cli --rdb: the file is all it wanted.
		s.dropReplicaLocked(c)
		return
	}
	l.state = replicaOnline
	l.ackTime = time.Now()
	l.waitAck = eof
	s.log.Info("Synchronization with replica " + s.replicaName(c) + " succeeded")
	if !eof && len(l.pending) > 0 && !l.dirty {
		l.dirty = true
		r.dirty = append(r.dirty, c)
	}
	s.dispatchReplicasLocked()
}

// sendSnapshot writes the full sync's preamble and RDB to c: EOF-framed
// straight from the encoder, or through a temporary file whose length
// goes first (disk framing). Not under mu.
func (s *Server) sendSnapshot(c *Client, v *keyspaceSnapshot, opts rdbOptions, eof, legacy bool, id string, off int64, timeout time.Duration) error {
	var pre []byte
	if !legacy {
		pre = fmt.Appendf(nil, "+FULLRESYNC %s %d\r\n", id, off)
	}
	if eof {
		var m [20]byte
		if _, err := rand.Read(m[:]); err != nil {
			return err
		}
		mark := []byte(hex.EncodeToString(m[:]))
		pre = append(append(append(pre, "$EOF:"...), mark...), "\r\n"...)
		w := &replicaWriter{s: s, c: c, buf: pre, timeout: timeout}
		if err := encodeRDB(w, v, opts, nil); err != nil {
			return err
		}
		w.buf = append(w.buf, mark...)
		return w.flush()
	}
	f, err := os.CreateTemp(s.cfg.Dir, "temp-sync-*.rdb")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := encodeRDB(bw, v, opts, nil); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w := &replicaWriter{s: s, c: c, buf: fmt.Appendf(pre, "$%d\r\n", size), timeout: timeout}
	if _, err := io.Copy(w, f); err != nil {
		return err
	}
	return w.flush()
}

// replicaWriter writes to a replica's connection in chunks, from a
// goroutine other than its loop.
type replicaWriter struct {
	s       *Server
	c       *Client
	buf     []byte
	timeout time.Duration // repl-timeout: how long the socket may not move
}

const replicaChunk = 256 << 10

func (w *replicaWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), replicaChunk-len(w.buf))
		if k <= 0 {
			if err := w.flush(); err != nil {
				return 0, err
			}
			continue
		}
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

func (w *replicaWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.s.replicaSend(w.c, w.buf, w.timeout)
	w.buf = w.buf[:0]
	return err
}

// replicaSendAhead is how many bytes a full sync lets wait in a replica's
// socket buffer before it waits for the socket to take them.
const replicaSendAhead = 4 << 20

// replicaSend writes b to c on c's loop, past the stream and the replies,
// then waits until the connection has fewer than replicaSendAhead bytes
// queued, failing after timeout without progress. b may be reused once it
// returns. Not on c's loop.
func (s *Server) replicaSend(c *Client, b []byte, timeout time.Duration) error {
	queued := make(chan int, 1)
	ask := func(write []byte) error {
		err := c.conn.Execute(func() {
			if c.closed.Load() {
				queued <- -1
				return
			}
			// Past the replies still waiting for the end of the batch
			// (+FULLRESYNC among them).
			c.sendDeferred()
			if len(write) > 0 {
				if err := c.conn.Write(write); err != nil {
					queued <- -1
					return
				}
			}
			queued <- c.conn.OutboundBuffered()
		})
		if err != nil {
			return errReplicaGone
		}
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		select {
		case n := <-queued:
			if n < 0 {
				return errReplicaGone
			}
			if n <= replicaSendAhead {
				return nil
			}
		case <-timer.C:
			return errors.New("timeout writing to the replica")
		}
		return errFull
	}
	err := ask(b)
	for deadline := time.Now().Add(timeout); err == errFull; {
		if time.Now().After(deadline) {
			return errors.New("timeout writing to the replica")
		}
		time.Sleep(2 * time.Millisecond)
		err = ask(nil)
	}
	s.mu.Lock()
	s.repl.netOut += int64(len(b))
	s.mu.Unlock()
	return err
}

var errFull = errors.New("replica output full")

// replCronLocked runs once a second: the stream's PING, timeouts of
// replicas that stopped acknowledging, the backlog's time to live. Holds
// mu, outside any unit.
func (s *Server) replCronLocked(now time.Time) {
	r := &s.repl
	if r.backlog == nil {
		return
	}
	// A replica's replicas get its primary's PINGs; its backlog is kept.
	replica := r.master != nil
	// Nor while a FAILOVER with a timeout holds writes, as in Redis: the
	// PING would move the offset the replicas must reach.
	failoverPaused := !r.failover.end.IsZero() && s.pause.active()
	if !replica && !failoverPaused && len(r.replicas) > 0 && now.Sub(r.lastPing) >= time.Duration(s.cfg.ReplPingReplicaPeriod)*time.Second {
		r.lastPing = now
		s.feedLocked(-1, propPing)
	}
	timeout := time.Duration(s.cfg.ReplTimeout) * time.Second
	for _, c := range append([]*Client(nil), r.replicas...) {
		l := c.repl
		if l.state == replicaOnline && !l.legacy && now.Sub(l.ackTime) > timeout {
			s.log.Warn("Disconnecting timedout replica (streaming sync): " + s.replicaName(c))
			s.dropReplicaLocked(c)
		}
	}
	if ttl := s.cfg.ReplBacklogTTL; !replica && ttl > 0 && len(r.replicas) == 0 && now.Sub(r.noReplicasSince) > time.Duration(ttl)*time.Second {
		// A later PSYNC for this history must not succeed against a
		// backlog that stopped recording (A.8).
		r.id = newRunID()
		r.id2 = nullReplID
		r.secondOffset = -1
		r.backlog = nil
		// Nor after a restart.
		s.ks.del(storage.ServerKey(nil, recordRepl))
		r.savedID, r.savedOff = "", 0
		s.log.Info(fmt.Sprintf("Replication backlog freed after %d seconds without connected replicas.", ttl))
	}
	if b := r.backlog; b != nil && int64(len(b.buf)) != int64(s.cfg.ReplBacklogSize) {
		r.backlog = b.resized(int64(s.cfg.ReplBacklogSize))
	}
	s.checkWaitersLocked()
	s.commitLocked()
}

// goodReplicas counts online replicas that acknowledged within
// min-replicas-max-lag seconds. Holds mu.
func (s *Server) goodReplicas(now time.Time) int {
	n := 0
	lag := time.Duration(s.cfg.MinReplicasMaxLag) * time.Second
	for _, c := range s.repl.replicas {
		if l := c.repl; l.state == replicaOnline && now.Sub(l.ackTime) <= lag {
			n++
		}
	}
	return n
}

// minReplicasRefuse reports whether min-replicas-to-write refuses a write
// now. Holds mu.
func (s *Server) minReplicasRefuse(c *Client, cmd *command) bool {
	if s.cfg.MinReplicasToWrite <= 0 || s.cfg.MinReplicasMaxLag <= 0 || s.repl.master != nil {
		return false
	}
	return writesData(c, cmd) && s.goodReplicas(time.Now()) < s.cfg.MinReplicasToWrite
}

const errNoReplicas = "NOREPLICAS Not enough good replicas to write."

// ackedReplicas counts online replicas that acknowledged offset off.
func (s *Server) ackedReplicas(off int64) int64 {
	var n int64
	for _, c := range s.repl.replicas {
		if l := c.repl; l.state == replicaOnline && l.ackOff >= off {
			n++
		}
	}
	return n
}

// WAIT numreplicas timeout
func cmdWait(c *Client, argv [][]byte) {
	s := c.srv
	if s.isReplicaLocked() {
		c.ReplyError("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	want, ok := parseInt(argv[1])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	ms, ok := parseMillisTimeout(c, argv[2])
	if !ok {
		return
	}
	target := c.woff
	acked := s.ackedReplicas(target)
	if acked >= want || c.denyBlocking() {
		c.ReplyInt(acked)
		return
	}
	c.wait = waitReq{target: target, want: want}
	s.blockClient(c, nil, storage.TypeString, time.Duration(ms)*time.Millisecond, nil, func(c *Client) {
		c.ReplyInt(c.srv.ackedReplicas(c.wait.target))
	})
	s.repl.waiters = append(s.repl.waiters, c)
	s.repl.getack = true
}

// waitReq is what a client blocked in WAIT waits for.
type waitReq struct {
	target int64 // replication offset to be acknowledged
	want   int64 // replicas
}

// checkWaitersLocked answers WAITs whose replicas have acknowledged
// enough, and forgets the ones that ended otherwise. Holds mu.
func (s *Server) checkWaitersLocked() {
	r := &s.repl
	keep := r.waiters[:0]
	for _, c := range r.waiters {
		if c.block == nil || c.block.done || c.closed.Load() {
			continue
		}
		if n := s.ackedReplicas(c.wait.target); n >= c.wait.want {
			s.finishBlockLocked(c, func(c *Client) { c.ReplyInt(n) })
			continue
		}
		keep = append(keep, c)
	}
	clear(r.waiters[len(keep):])
	r.waiters = keep
}

// ROLE
func cmdRole(c *Client, argv [][]byte) {
	s := c.srv
	if s.isReplicaLocked() {
		s.roleReplica(c)
		return
	}
	c.ReplyArrayLen(3)
	c.ReplyBulkString("master")
	c.ReplyInt(s.repl.offset)
	d := beginDeferredArray(c)
	n := 0
	for _, o := range s.repl.replicas {
		l := o.repl
		if l.state != replicaOnline {
			continue
		}
		c.ReplyArrayLen(3)
		c.ReplyBulkString(s.replicaIP(o))
		c.ReplyBulkString(strconv.Itoa(l.port))
		c.ReplyBulkString(strconv.FormatInt(l.ackOff, 10))
		n++
	}
	d.end(n)
}

// infoReplication is INFO's replication section of a primary.
func (s *Server) infoReplication() []infoField {
	r := &s.repl
	now := time.Now()
	f := []infoField{{"role", "master"}}
	if r.master != nil {
		f = s.replicaInfoLocked(now)
	}
	f = append(f, infoField{"connected_slaves", strconv.Itoa(len(r.replicas))})
	if r.master == nil && s.cfg.MinReplicasToWrite > 0 && s.cfg.MinReplicasMaxLag > 0 {
		f = append(f, infoField{"min_slaves_good_slaves", strconv.Itoa(s.goodReplicas(now))})
	}
	for i, c := range r.replicas {
		l := c.repl
		f = append(f, infoField{"slave" + strconv.Itoa(i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d",
			s.replicaIP(c), l.port, l.state, l.ackOff, int64(now.Sub(l.ackTime).Seconds()))})
	}
	var first, hist int64
	active := "0"
	if b := r.backlog; b != nil {
		first, hist, active = b.first, b.hist, "1"
	}
	return append(f,
		infoField{"master_failover_state", r.failover.phase.String()},
		infoField{"master_replid", r.id},
		infoField{"master_replid2", r.id2},
		infoField{"master_repl_offset", infoInt(r.offset)},
		infoField{"second_repl_offset", infoInt(r.secondOffset)},
		infoField{"repl_backlog_active", active},
		infoField{"repl_backlog_size", infoInt(int64(s.cfg.ReplBacklogSize))},
		infoField{"repl_backlog_first_byte_offset", infoInt(first)},
		infoField{"repl_backlog_histlen", infoInt(hist)},
	)
}
