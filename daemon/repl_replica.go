package daemon

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// The replica side of replication (PROTOCOL.md A.2, A.4-A.7, A.9, A.13):
// REPLICAOF, the link to the primary, full and partial syncs, applying the
// stream, acknowledgements, promotion.
//
// The link runs on a goroutine of its own with a plain blocking socket: it
// never touches an event loop. It connects, does the handshake, receives a
// full sync's RDB into a file and loads it (holding Server.mu, as Redis
// blocks while it loads), then reads the stream and applies each command
// under Server.mu through a client of its own (the master client), whose
// replies are dropped. A replica's stream offset is the primary's: the
// bytes it applied, which it also appends to its own backlog verbatim, so
// its replicas (and, after a promotion, everyone who followed the old
// primary) can continue from it.

// masterLink is a replica's link to its primary. Guarded by Server.mu
// unless noted.
type masterLink struct {
	host string
	port int
	// state is ROLE's: connect, connecting, handshake, sync, connected.
	state     string
	client    *Client // applies the stream; nil until a sync completes
	lastIO    time.Time
	downSince time.Time // when a connected link went down; zero: never up
	syncing   bool      // receiving an RDB
	syncTotal int64     // its size, -1 for an EOF-framed one
	syncRead  int64
	stop      chan struct{} // closed when the server stops following it
	stopped   bool
	// The link goroutine's connection, for closing it from outside.
	conn net.Conn
	// wmu serialises writes to conn (ACKs from the ticker and the reader).
	wmu sync.Mutex
	// pending is the stream of a transaction being applied: it counts,
	// and goes to our replicas, once its EXEC ran.
	pending []byte
	// held: a pause holds the stream's next command back; unapplied is
	// how many bytes were read and not applied (slave_read_repl_offset).
	held      bool
	unapplied int64
}

// cachedMaster is where a replica's history stands when its link is down:
// the next PSYNC asks to continue from it.
type cachedMaster struct {
	id  string
	off int64
	db  int
}

// isReplicaLocked reports whether this server follows a primary. Holds mu.
func (s *Server) isReplicaLocked() bool { return s.repl.master != nil }

// readOnlyRefuses reports whether replica-read-only refuses c's command
// (an EXEC counts as the writes it queued). Holds mu.
func (s *Server) readOnlyRefuses(c *Client, cmd *command) bool {
	if s.repl.master == nil || !s.cfg.ReplicaReadOnly {
		return false
	}
	return writesData(c, cmd)
}

// errMasterDown is Redis's reply on a replica without its primary that
// serves no stale data.
const errMasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."

// staleRefuses reports whether cmd must get -MASTERDOWN: this server
// replicates, its link to the primary is not up (connecting, syncing or
// broken), replica-serve-stale-data is no, and the command lacks Redis's
// stale flag (an EXEC: if it queued such a command). Holds mu.
func (s *Server) staleRefuses(c *Client, cmd *command) bool {
	m := s.repl.master
	if m == nil || m.client != nil || s.cfg.ReplicaServeStaleData {
		return false
	}
	return !cmd.has(flagStale) || cmd.name == "exec" && c.multi.queuesWithout(flagStale)
}

// REPLICAOF host port | NO ONE (and SLAVEOF).
func cmdReplicaof(c *Client, argv [][]byte) {
	s := c.srv
	if s.repl.failover.phase != noFailover {
		c.ReplyError("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if c.isReplica() {
		c.ReplyError("ERR Command is not valid when client is a replica.")
		return
	}
	if equalFold(argv[1], "no") && equalFold(argv[2], "one") {
		if s.repl.master != nil {
			s.promoteLocked()
			s.log.Info(fmt.Sprintf("MASTER MODE enabled (user request from 'id=%d addr=%s')", c.id, c.addr))
		}
		c.ReplyOK()
		return
	}
	port, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if port < 0 || port > 65535 {
		c.ReplyError("ERR Invalid master port")
		return
	}
	host := string(argv[1])
	if m := s.repl.master; m != nil && strings.EqualFold(m.host, host) && m.port == int(port) {
		s.log.Info("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		c.ReplySimple("OK Already connected to specified master")
		return
	}
	s.followLocked(host, int(port))
	s.log.Info(fmt.Sprintf("REPLICAOF %s:%d enabled (user request from 'id=%d addr=%s')", host, port, c.id, c.addr))
	c.ReplyOK()
}

// followLocked makes this server a replica of host:port, dropping any link
// it had. Holds mu.
func (s *Server) followLocked(host string, port int) {
	r := &s.repl
	if r.master == nil {
		// A primary turning replica: its own history, if it has one, is
		// where it asks to continue from (A.9), and its blocked clients
		// are told.
		if r.backlog != nil {
			r.cached = &cachedMaster{id: r.id, off: r.offset, db: 0}
		}
		s.unblockAllLocked("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
	} else {
		s.dropLinkLocked(true)
	}
	s.cfg.Replicaof = conf.ReplicaOf{Host: host, Port: port}
	m := &masterLink{host: host, port: port, state: "connect", stop: make(chan struct{})}
	r.master = m
	s.roleOOMScoreLocked()
	go s.runLink(m)
}

// resumeHistoryLocked takes up the replication history stored with the
// data at start. A replica (replicaof set) asks its primary to continue
// it. A primary keeps it as its previous history, with a backlog that
// starts where it ended, so replicas that had all of it continue with
// +CONTINUE (Redis does this with the repl-id and repl-offset of the RDB
// file it loads). Holds mu.
func (s *Server) resumeHistoryLocked() {
	r := &s.repl
	pos := r.loaded
	r.loaded = nil
	if pos == nil {
		return
	}
	if s.cfg.Replicaof.IsSet() {
		r.id, r.offset = pos.id, pos.off
		r.backlog = newBacklog(int64(s.cfg.ReplBacklogSize), pos.off)
		return
	}
	r.id2, r.secondOffset, r.offset = pos.id, pos.off+1, pos.off
	r.backlog = newBacklog(int64(s.cfg.ReplBacklogSize), pos.off)
	r.seldb = -1
	r.noReplicasSince = time.Now()
	s.log.Info(fmt.Sprintf("continuing replication history %s from offset %d (master_replid2)", pos.id, pos.off))
}

// dropLinkLocked stops the current link; with cache, the history it had
// reached is kept for a PSYNC. Holds mu.
func (s *Server) dropLinkLocked(cache bool) {
	m := s.repl.master
	if m == nil || m.stopped {
		return
	}
	m.stopped = true
	close(m.stop)
	if m.conn != nil {
		_ = m.conn.Close()
	}
	if cache && m.client != nil {
		s.repl.cached = &cachedMaster{id: s.repl.id, off: s.repl.offset, db: m.client.db}
	}
	if m.client != nil {
		s.discardLocked(m.client)
		m.client = nil
	}
	s.wakePsyncWaitersLocked()
}

// promoteLocked is REPLICAOF NO ONE on a replica (A.9). Holds mu.
func (s *Server) promoteLocked() {
	r := &s.repl
	s.dropLinkLocked(false)
	r.master = nil
	r.cached = nil
	s.cfg.Replicaof = conf.ReplicaOf{}
	// A new history, which continues the old one: replicas that followed
	// it resume with +CONTINUE <new id>.
	r.id2 = r.id
	r.secondOffset = r.offset + 1
	r.id = newRunID()
	r.seldb = -1
	if r.backlog == nil {
		r.backlog = newBacklog(int64(s.cfg.ReplBacklogSize), r.offset)
	}
	s.dropAllReplicasLocked()
	r.noReplicasSince = time.Now()
	s.roleOOMScoreLocked()
	s.log.Info("Setting secondary replication ID to " + r.id2 + ", valid up to offset: " + strconv.FormatInt(r.secondOffset, 10) + ". New replication ID is " + r.id)
}

// dropAllReplicasLocked disconnects every replica (their history changed
// under them: they reconnect and PSYNC). Holds mu.
func (s *Server) dropAllReplicasLocked() {
	for _, c := range append([]*Client(nil), s.repl.replicas...) {
		s.dropReplicaLocked(c)
	}
}

// unblockAllLocked ends every blocking wait with an error. Holds mu.
func (s *Server) unblockAllLocked(msg string) {
	for c := range s.blocked {
		if c.block != nil && !c.block.done {
			s.finishBlockLocked(c, func(c *Client) { c.ReplyError(msg) })
		}
	}
}

// runLink keeps the link to m up until it is stopped. On its own goroutine.
func (s *Server) runLink(m *masterLink) {
	for {
		err := s.linkOnce(m)
		s.mu.Lock()
		stopped := m.stopped
		// Redis's replication cron runs every 100 ms during a FAILOVER.
		retry := time.Second
		if s.repl.failover.phase == failoverInProgress {
			retry = 100 * time.Millisecond
		}
		if !stopped {
			if m.client != nil {
				s.repl.cached = &cachedMaster{id: s.repl.id, off: s.repl.offset, db: m.client.db}
				s.discardLocked(m.client)
				m.client = nil
				m.downSince = time.Now()
			}
			// A transaction cut off by the break is not applied: the
			// PSYNC asks for it again from its MULTI.
			m.pending = m.pending[:0]
			m.state, m.syncing, m.conn = "connect", false, nil
			s.wakePsyncWaitersLocked()
		}
		s.mu.Unlock()
		if stopped {
			return
		}
		if err != nil {
			s.log.Warn("replication link to "+net.JoinHostPort(m.host, strconv.Itoa(m.port))+" failed, retrying in "+retry.String(), "err", err)
		}
		select {
		case <-m.stop:
			return
		case <-time.After(retry):
		}
	}
}

// linkReader reads the primary's replies and stream with repl-timeout.
type linkReader struct {
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration
}

func (l *linkReader) line() (string, error) {
	_ = l.conn.SetReadDeadline(time.Now().Add(l.timeout))
	s, err := l.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// linkOnce connects to the primary, syncs and applies its stream until the
// link breaks. On the link goroutine.
func (s *Server) linkOnce(m *masterLink) error {
	s.mu.Lock()
	if m.stopped {
		s.mu.Unlock()
		return nil
	}
	m.state = "connecting"
	timeout := time.Duration(s.cfg.ReplTimeout) * time.Second
	auth, user := s.cfg.Masterauth, s.cfg.Masteruser
	port := s.cfg.Port
	if s.cfg.ReplicaAnnouncePort != 0 {
		port = s.cfg.ReplicaAnnouncePort
	}
	announceIP := s.cfg.ReplicaAnnounceIP
	s.mu.Unlock()

	addr := net.JoinHostPort(m.host, strconv.Itoa(m.port))
	s.log.Info("Connecting to MASTER " + addr)
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	s.mu.Lock()
	if m.stopped {
		s.mu.Unlock()
		return nil
	}
	m.conn, m.state, m.lastIO = conn, "handshake", time.Now()
	s.mu.Unlock()
	lr := &linkReader{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), timeout: 5 * time.Second}
	send := func(cmds ...[]string) error {
		var b []byte
		for _, c := range cmds {
			b = resp.AppendArrayLen(b, len(c))
			for _, a := range c {
				b = resp.AppendBulkString(b, a)
			}
		}
		m.wmu.Lock()
		defer m.wmu.Unlock()
		_ = conn.SetWriteDeadline(time.Now().Add(timeout))
		_, err := conn.Write(b)
		return err
	}

	// A.2: PING, then AUTH and REPLCONF in one write.
	if err := send([]string{"PING"}); err != nil {
		return err
	}
	reply, err := lr.line()
	if err != nil {
		return err
	}
	if strings.HasPrefix(reply, "-") && !strings.HasPrefix(reply, "-NOAUTH") && !strings.HasPrefix(reply, "-NOPERM") &&
		!strings.HasPrefix(reply, "-ERR operation not permitted") {
		return errors.New("error reply to PING from master: " + reply)
	}
	var cmds [][]string
	if auth != "" {
		if user != "" {
			cmds = append(cmds, []string{"AUTH", user, auth})
		} else {
			cmds = append(cmds, []string{"AUTH", auth})
		}
	}
	cmds = append(cmds, []string{"REPLCONF", "listening-port", strconv.Itoa(port)})
	if announceIP != "" {
		cmds = append(cmds, []string{"REPLCONF", "ip-address", announceIP})
	}
	cmds = append(cmds, []string{"REPLCONF", "capa", "eof", "capa", "psync2"})
	if err := send(cmds...); err != nil {
		return err
	}
	for i, c := range cmds {
		reply, err := lr.line()
		if err != nil {
			return err
		}
		if strings.HasPrefix(reply, "-") {
			if auth != "" && i == 0 {
				// Redis's line: what operators and tools look for.
				s.log.Warn("Unable to AUTH to MASTER: " + reply)
				return errors.New("unable to AUTH to MASTER: " + reply)
			}
			s.log.Info("master replied to REPLCONF with an error (ignored)", "option", c[1], "reply", reply)
		}
	}

	// PSYNC from the cached history, or a full sync.
	// A primary handing over in a FAILOVER asks its target to take over.
	s.mu.Lock()
	psyncID, psyncOff := "?", int64(-1)
	if cm := s.repl.cached; cm != nil {
		psyncID, psyncOff = cm.id, cm.off+1
	}
	failover := s.repl.failover.phase == failoverInProgress
	s.mu.Unlock()
	if psyncID != "?" {
		s.log.Info(fmt.Sprintf("Trying a partial resynchronization (request %s:%d).", psyncID, psyncOff))
	} else {
		s.log.Info("Partial resynchronization not possible (no cached master)")
	}
	psync := []string{"PSYNC", psyncID, strconv.FormatInt(psyncOff, 10)}
	if failover {
		psync = append(psync, "FAILOVER")
	}
	if err := send(psync); err != nil {
		if failover {
			s.mu.Lock()
			if !m.stopped {
				s.abortFailoverLocked("Write error to failover target")
			}
			s.mu.Unlock()
		}
		return err
	}
	lr.timeout = timeout
	for {
		if reply, err = lr.line(); err != nil {
			return err
		}
		if reply != "" {
			break // empty lines are the primary's keepalives
		}
	}
	if failover {
		s.mu.Lock()
		stopped := m.stopped || !s.failoverAnsweredLocked(reply)
		s.mu.Unlock()
		if stopped {
			return nil // aborted: a primary again, the link stopped
		}
	}
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		f := strings.Fields(reply)
		if len(f) != 3 || len(f[1]) != 40 {
			return errors.New("bad +FULLRESYNC reply: " + reply)
		}
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return errors.New("bad +FULLRESYNC offset: " + reply)
		}
		s.log.Info("Full resync from master: " + f[1] + ":" + f[2])
		if err := s.receiveFullSync(m, lr, f[1], off); err != nil {
			return err
		}
	case strings.HasPrefix(reply, "+CONTINUE"):
		s.mu.Lock()
		newID := strings.TrimSpace(strings.TrimPrefix(reply, "+CONTINUE"))
		s.resumeLocked(m, newID)
		s.mu.Unlock()
		s.log.Info("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
	case strings.HasPrefix(reply, "-NOMASTERLINK"), strings.HasPrefix(reply, "-LOADING"):
		return errors.New("master is busy: " + reply)
	default:
		return errors.New("unexpected reply to PSYNC from master: " + reply)
	}
	return s.streamFromMaster(m, lr)
}

// receiveFullSync reads the RDB of a full sync into a file, then replaces
// the keyspace with it. On the link goroutine.
func (s *Server) receiveFullSync(m *masterLink, lr *linkReader, id string, off int64) error {
	var head string
	for {
		l, err := lr.line()
		if err != nil {
			return err
		}
		if l == "" {
			continue // keepalive while the primary prepares the snapshot
		}
		head = l
		break
	}
	if strings.HasPrefix(head, "-") {
		return errors.New("master aborted replication with an error: " + head)
	}
	if !strings.HasPrefix(head, "$") {
		return errors.New("bad protocol from MASTER, the first byte is not '$': " + head)
	}
	var mark []byte
	size := int64(-1)
	if rest, ok := strings.CutPrefix(head, "$EOF:"); ok {
		if len(rest) < 40 {
			return errors.New("bad EOF mark from MASTER: " + head)
		}
		mark = []byte(rest[:40])
	} else {
		n, err := strconv.ParseInt(head[1:], 10, 64)
		if err != nil || n < 0 {
			return errors.New("bad RDB length from MASTER: " + head)
		}
		size = n
	}
	s.mu.Lock()
	m.state, m.syncing, m.syncTotal, m.syncRead = "sync", true, size, 0
	dir := s.cfg.Dir
	s.mu.Unlock()
	s.log.Info(fmt.Sprintf("MASTER <-> REPLICA sync: receiving %s from master to disk", syncSize(size)))

	f, err := os.CreateTemp(dir, "temp-replica-*.rdb")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := s.copyRDB(m, lr, f, size, mark); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.log.Info("MASTER <-> REPLICA sync: Flushing old data")
	// While the keyspace is replaced, commands not allowed while loading
	// get -LOADING (call), and the others (INFO, ROLE, PUBLISH...) run in
	// the load's steps. REPLICAOF is one of the former, as in Redis: no
	// other link starts a load meanwhile.
	s.loading.Store(true)
	defer s.loading.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.stopped {
		return errors.New("replication stopped during the sync")
	}
	if err := s.forgetReplPosLocked(); err != nil {
		return err
	}
	start := time.Now()
	s.log.Info("MASTER <-> REPLICA sync: Loading DB in memory")
	s.loadStart, s.loadTotal = start, 0
	if fi, err := f.Stat(); err == nil {
		s.loadTotal = fi.Size()
	}
	s.loadRead.Store(0)
	db, err := s.replaceKeyspaceLocked(bufio.NewReaderSize(f, 1<<20), s.loadStep(m))
	if err != nil {
		// Not part of the primary's data: like Redis after a failed
		// load, the replica is left empty, not serving half a dataset
		// until the next attempt. Unless the server is closing (the
		// only thing that stops a link while it loads): then what was
		// loaded stays, without a replication position, and the next
		// start's full sync replaces it.
		if !m.stopped {
			s.ks.FlushAll()
			s.commitLocked()
		}
		return fmt.Errorf("loading the RDB from MASTER: %w", err)
	}
	r := &s.repl
	r.id, r.id2, r.secondOffset, r.offset = id, nullReplID, -1, off
	r.backlog = newBacklog(int64(s.cfg.ReplBacklogSize), off)
	r.cached = nil
	r.savedID = ""
	s.commitLocked() // the new position, right behind the data
	// Our replicas followed the old data: they must sync again.
	s.dropAllReplicasLocked()
	m.syncing = false
	mc := s.newMasterClientLocked(m)
	mc.db = db
	s.log.Info(fmt.Sprintf("MASTER <-> REPLICA sync: Finished with success (%s)", time.Since(start).Round(time.Millisecond)))
	// The primary streams after an EOF-framed RDB only once it heard from
	// us (A.4); an ACK right away costs nothing with the other framing.
	go func() { _ = s.sendAck(m) }()
	return nil
}

func syncSize(n int64) string {
	if n < 0 {
		return "the RDB (EOF-framed, diskless)"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// copyRDB copies the RDB payload from the link to w: size bytes, or up to
// the 40-byte EOF mark (size < 0). The primary sends nothing after the
// mark until it hears from us, so the mark ends a read; the last 40 bytes
// are held back until the next read shows whether they were it. On the
// link goroutine.
func (s *Server) copyRDB(m *masterLink, lr *linkReader, w io.Writer, size int64, mark []byte) error {
	buf := make([]byte, 256<<10)
	var held []byte // the last bytes read, not yet written (EOF framing)
	var done int64
	for size < 0 || done < size {
		_ = lr.conn.SetReadDeadline(time.Now().Add(lr.timeout))
		want := len(buf)
		if size >= 0 {
			want = int(min(int64(want), size-done))
		}
		n, err := lr.r.Read(buf[:want])
		if n > 0 {
			done += int64(n)
			if mark == nil {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return werr
				}
			} else {
				held = append(held, buf[:n]...)
				if len(held) >= len(mark) && bytes.Equal(held[len(held)-len(mark):], mark) {
					_, werr := w.Write(held[:len(held)-len(mark)])
					return werr
				}
				cut := max(0, len(held)-len(mark))
				if _, werr := w.Write(held[:cut]); werr != nil {
					return werr
				}
				held = append(held[:0], held[cut:]...)
			}
			s.mu.Lock()
			m.syncRead, m.lastIO = done, time.Now()
			s.mu.Unlock()
		}
		if err != nil {
			return fmt.Errorf("receiving the RDB from MASTER: %w", err)
		}
	}
	return nil
}

// replaceKeyspaceLocked empties every database and loads an RDB stream
// into them, keeping keys whose expiry passed (the primary deletes them
// through the stream). It returns the database the stream starts in
// (repl-stream-db). Holds mu.
func (s *Server) replaceKeyspaceLocked(r io.Reader, step func(func() error) error) (int, error) {
	s.ks.FlushAll()
	s.commitLocked()
	s.ks.wb.drain()
	db := 0
	// Progress for INFO: the reader reports the bytes it has parsed (on
	// the prefetching goroutine).
	o := ImportOptions{ReaderOptions: rdb.ReaderOptions{OnProgress: func(p rdb.Progress) { s.loadRead.Store(p.Bytes) }}}
	st, err := s.importLocked(r, o, loadHooks{
		keepExpired: true,
		onAux: func(a rdb.Aux) {
			if a.Key == "repl-stream-db" {
				if n, err := strconv.Atoi(a.Val); err == nil && n >= 0 && n < s.ks.Databases() {
					db = n
				}
			}
		},
		step: step,
	})
	if err == nil {
		s.lastLoadKeys, s.lastLoadExpired = st.Keys, st.Expired
	}
	return db, err
}

// loadStep is the step of a replica's load from m (loadHooks.step): it
// releases mu for clients, runs heavy work meanwhile, and writes the
// primary a newline once a second, as a loading Redis replica does, so a
// long load does not look like a dead replica. It ends the load once the
// link is stopped (SHUTDOWN). Called under mu.
func (s *Server) loadStep(m *masterLink) func(func() error) error {
	var lastKeepalive time.Time
	return func(heavy func() error) error {
		conn := m.conn
		s.mu.Unlock()
		var err error
		if heavy != nil {
			err = heavy()
		}
		if time.Since(lastKeepalive) >= time.Second {
			lastKeepalive = time.Now()
			_ = m.write(conn, []byte("\n"))
		}
		s.mu.Lock()
		if err == nil && m.stopped {
			err = errors.New("replication stopped during the load")
		}
		return err
	}
}

// newMasterClientLocked makes the client that applies m's stream. Holds mu.
func (s *Server) newMasterClientLocked(m *masterLink) *Client {
	c := &Client{
		srv:      s,
		conn:     discardConn{},
		id:       s.nextClientID.Add(1),
		proto:    2,
		created:  time.Now(),
		addr:     net.JoinHostPort(m.host, strconv.Itoa(m.port)),
		isMaster: true,
	}
	c.authed.Store(true)
	m.client = c
	m.state = "connected"
	m.downSince = time.Time{}
	m.lastIO = time.Now()
	return c
}

// resumeLocked continues the cached history after +CONTINUE [id] (A.5).
// Holds mu.
func (s *Server) resumeLocked(m *masterLink, newID string) {
	r := &s.repl
	cm := r.cached
	r.cached = nil
	if cm == nil {
		cm = &cachedMaster{id: r.id, off: r.offset}
	}
	if len(newID) == 40 && newID != cm.id {
		r.id2 = cm.id
		r.secondOffset = cm.off + 1
		r.id = newID
		s.log.Info("Master replication ID changed to " + newID)
		s.dropAllReplicasLocked()
	} else {
		r.id = cm.id
	}
	r.offset = cm.off
	if r.backlog == nil {
		r.backlog = newBacklog(int64(s.cfg.ReplBacklogSize), r.offset)
	}
	mc := s.newMasterClientLocked(m)
	mc.db = cm.db
}

// sendAck writes REPLCONF ACK <offset> to the primary.
func (s *Server) sendAck(m *masterLink) error {
	s.mu.Lock()
	conn, off := m.conn, s.repl.offset
	s.mu.Unlock()
	return m.write(conn, appendCommand(nil, []byte("REPLCONF"), []byte("ACK"), itob(off)))
}

// write sends b to the primary on conn, m.conn read under mu (nil: no
// link). Not under mu: the write may wait for the socket.
func (m *masterLink) write(conn net.Conn, b []byte) error {
	if conn == nil {
		return nil
	}
	m.wmu.Lock()
	defer m.wmu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := conn.Write(b)
	return err
}

// streamApplyStep is how much of the stream a replica applies under the
// lock at a time: Redis's replicas read 16 KB per event.
const streamApplyStep = 16 << 10

// streamFromMaster applies the primary's stream until the link breaks. On
// the link goroutine.
func (s *Server) streamFromMaster(m *masterLink, lr *linkReader) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if s.sendAck(m) != nil {
					return
				}
			}
		}
	}()
	lim := resp.Limits{MaxBulkLen: 1 << 40, MaxMultibulkLen: 1 << 30, MaxInlineLen: 64 << 10}
	var buf []byte
	read := make([]byte, 256<<10)
	lastData := time.Now()
	s.mu.Lock()
	m.held, m.unapplied = false, 0
	s.mu.Unlock()
	for {
		s.mu.Lock()
		held := m.held
		s.mu.Unlock()
		wait := lr.timeout
		if held {
			// A pause holds the stream back (see applyStreamLocked):
			// read on, and look again soon, since its end says nothing
			// to this goroutine.
			wait = min(wait, streamPausePoll)
		}
		_ = lr.conn.SetReadDeadline(time.Now().Add(wait))
		n, err := lr.r.Read(read)
		if n > 0 {
			lastData = time.Now()
		}
		if err != nil && held && n == 0 && time.Since(lastData) < lr.timeout {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = nil
			}
		}
		if n > 0 || held {
			buf = append(buf, read[:n]...)
			// Applied in steps, each committed (which delivers what it
			// published) with the lock released in between: a replica
			// behind by a full read applied it in one go, 15 ms of
			// SETs under the lock, and its subscribers saw a PUBLISH
			// only once the whole read was applied.
			done := 0
			for done < len(buf) {
				s.mu.Lock()
				if m.stopped {
					s.mu.Unlock()
					return nil
				}
				m.lastIO = time.Now()
				end := min(len(buf), done+streamApplyStep)
				used, acks, aerr := s.applyStreamLocked(m, buf[done:end], &lim)
				if used == 0 && aerr == nil && end < len(buf) {
					// A command longer than a step: the rest at once.
					used, acks, aerr = s.applyStreamLocked(m, buf[done:], &lim)
				}
				s.commitLocked()
				s.wakePsyncWaitersLocked()
				s.mu.Unlock()
				done += used
				if acks > 0 {
					// GETACK: answered with everything applied so far.
					if err := s.sendAck(m); err != nil {
						return err
					}
				}
				if aerr != nil {
					return aerr
				}
				if used == 0 || m.held {
					break // the rest is the start of a command, or held
				}
			}
			buf = append(buf[:0], buf[done:]...)
			s.mu.Lock()
			m.unapplied = int64(len(buf))
			s.mu.Unlock()
		}
		if err != nil {
			return err
		}
	}
}

// streamPausePoll is how often a stream held back by a pause looks whether
// the pause ended.
const streamPausePoll = 20 * time.Millisecond

// applyStreamLocked runs every complete command at the start of buf as the
// master client and reports how many bytes it used and how many GETACKs it
// met. Holds mu.
func (s *Server) applyStreamLocked(m *masterLink, buf []byte, lim *resp.Limits) (used int, acks int, err error) {
	mc := m.client
	// The stream is read ahead as a client's pipeline is (prefetch.go).
	mc.resetAhead()
	defer mc.dropArgs()
	for used < len(buf) {
		if buf[used] != '*' && buf[used] != '\n' && buf[used] != '\r' {
			return used, acks, errors.New("inline command in the replication stream")
		}
		args, n, _, perr := mc.nextCommand(buf, used, lim)
		if perr != nil {
			return used, acks, fmt.Errorf("bad replication stream: %w", perr)
		}
		if n == 0 {
			break
		}
		raw := buf[used : used+n]
		used += n
		// Every byte counts toward the offset, a stray newline too; a
		// transaction's only once its EXEC ran.
		m.pending = append(m.pending, raw...)
		switch {
		case len(args) == 0:
		case len(args) >= 2 && equalFold(args[0], "replconf") && equalFold(args[1], "getack"):
			acks++
		default:
			// As Redis 7.0, whose pause holds back the primary's client
			// like any other: the stream is read, not applied, until
			// the pause ends (slave_read_repl_offset moves on,
			// slave_repl_offset does not).
			if m.held = s.pausedLocked(mc, args); m.held {
				m.pending = m.pending[:len(m.pending)-len(raw)]
				return used - n, acks, nil
			}
			s.call(mc, args)
			mc.out = mc.out[:0]
			mc.replyMode = replyOn
		}
		if !mc.multi.active {
			// Applied: the bytes join our own stream, for our replicas.
			s.appendStreamLocked(m.pending)
			m.pending = m.pending[:0]
		}
	}
	return used, acks, nil
}

// errLoading is Redis's reply to a command not allowed while it loads a
// dataset.
const errLoading = "LOADING Redis is loading the dataset in memory"

// replyLoading answers complete commands in buf with -LOADING (QUIT with
// +OK, closing), as Redis answers while it loads a snapshot, without
// waiting for the load to let clients in. It answers only what the
// ordinary path would answer the same way: it stops at the first command
// allowed while loading, unknown, or of the wrong arity (refused before
// the loading check, as in Redis), which the caller runs the ordinary way,
// as it does everything from a client in a transaction (whose refusals
// must abort it), not yet authenticated (NOAUTH comes first), or that
// turned its replies off, or when the server serves no stale data (then
// -MASTERDOWN comes before -LOADING). The refusals are counted in the statistics
// later (loadRejects). It does not check ACLs: a user denied a command
// may get -LOADING for it, where Redis answers -NOPERM. On the loop.
func (c *Client) replyLoading(buf []byte) (consumed, need int, closeConn bool) {
	if c.multi.active || c.block != nil || !c.authed.Load() || c.replyMode != replyOn || c.srv.staleDenied.Load() {
		// In a transaction, or blocked (what it sends waits): only this
		// client's own commands and deliveries, on this loop, change
		// either. A client accepted during the load is not admitted
		// (nor authenticated) until it gets the lock.
		return 0, 0, false
	}
	var refused []*command
	lim := resp.Limits{MaxBulkLen: 512 << 20, MaxMultibulkLen: 1 << 20, MaxInlineLen: 64 << 10}
	var out []byte
	for consumed < len(buf) {
		argv, n, nd, err := resp.ReadCommand(buf[consumed:], c.argv[:0], &lim)
		if err != nil {
			break // the ordinary path reports it
		}
		if n == 0 {
			need = nd
			break
		}
		c.argv = argv
		if len(argv) > 0 {
			if equalFold(argv[0], "quit") {
				out = append(out, "+OK\r\n"...)
				closeConn = true
				consumed = len(buf)
				break
			}
			cmd, ok := c.srv.cmds.lookup(argv)
			if !ok || cmd.has(flagLoading) || len(cmd.subs) > 0 || !cmd.arityOK(len(argv)) {
				break
			}
			out = append(out, "-"+errLoading+"\r\n"...)
			refused = append(refused, cmd)
		}
		consumed += n
	}
	clear(c.argv)
	c.srv.loadRejects.add(refused)
	if len(out) > 0 {
		c.srv.netOut.Add(int64(len(out)))
		_ = c.conn.Write(out)
	}
	return consumed, need, closeConn
}

// loadRejects counts the commands replyLoading refused without the
// server lock, until INFO or CONFIG RESETSTAT folds them into the command
// and error statistics, under it.
type loadRejects struct {
	mu sync.Mutex
	n  map[*command]int64
}

func (r *loadRejects) add(cmds []*command) {
	if len(cmds) == 0 {
		return
	}
	r.mu.Lock()
	if r.n == nil {
		r.n = map[*command]int64{}
	}
	for _, cmd := range cmds {
		r.n[cmd]++
	}
	r.mu.Unlock()
}

// foldLoadRejectsLocked adds the refusals replyLoading counted to the
// statistics, as rejectLocked would have. Holds mu.
func (s *Server) foldLoadRejectsLocked() {
	r := &s.loadRejects
	r.mu.Lock()
	defer r.mu.Unlock()
	for cmd, n := range r.n {
		cmd.stats.rejected += n
		for range n {
			s.countError(errLoading)
		}
	}
	clear(r.n)
}

// discardConn is the master client's connection: replies go nowhere.
type discardConn struct{}

func (discardConn) RemoteAddr() net.Addr    { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (discardConn) LocalAddr() net.Addr     { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (discardConn) Write([]byte) error      { return nil }
func (discardConn) OutboundBuffered() int   { return 0 }
func (discardConn) AsyncWrite([]byte) error { return nil }
func (discardConn) Execute(f func()) error  { f(); return nil }
func (discardConn) Wake() error             { return nil }
func (discardConn) Defer(func()) bool       { return false }
func (discardConn) Close() error            { return nil }

// replicaInfoLocked is INFO replication's replica part (before
// connected_slaves). Holds mu.
func (s *Server) replicaInfoLocked(now time.Time) []infoField {
	m := s.repl.master
	status := "down"
	if m.client != nil {
		status = "up"
	}
	lastIO := int64(-1)
	if !m.lastIO.IsZero() {
		lastIO = int64(now.Sub(m.lastIO).Seconds())
	}
	syncing := "0"
	if m.syncing {
		syncing = "1"
	}
	off := s.repl.offset
	f := []infoField{
		{"role", "slave"},
		{"master_host", m.host},
		{"master_port", strconv.Itoa(m.port)},
		{"master_link_status", status},
		{"master_last_io_seconds_ago", infoInt(lastIO)},
		{"master_sync_in_progress", syncing},
		{"slave_read_repl_offset", infoInt(off + m.unapplied)},
		{"slave_repl_offset", infoInt(off)},
	}
	if m.syncing {
		left := int64(0)
		perc := "0.00"
		if m.syncTotal > 0 {
			left = m.syncTotal - m.syncRead
			perc = strconv.FormatFloat(float64(m.syncRead)*100/float64(m.syncTotal), 'f', 2, 64)
		}
		f = append(f,
			infoField{"master_sync_total_bytes", infoInt(m.syncTotal)},
			infoField{"master_sync_read_bytes", infoInt(m.syncRead)},
			infoField{"master_sync_left_bytes", infoInt(left)},
			infoField{"master_sync_perc", perc},
			infoField{"master_sync_last_io_seconds_ago", infoInt(lastIO)},
		)
	}
	if m.client == nil {
		down := int64(-1)
		if !m.downSince.IsZero() {
			down = int64(now.Sub(m.downSince).Seconds())
		}
		f = append(f, infoField{"master_link_down_since_seconds", infoInt(down)})
	}
	ro := "0"
	if s.cfg.ReplicaReadOnly {
		ro = "1"
	}
	announced := "0"
	if s.cfg.ReplicaAnnounced {
		announced = "1"
	}
	return append(f,
		infoField{"slave_priority", strconv.Itoa(s.cfg.ReplicaPriority)},
		infoField{"slave_read_only", ro},
		infoField{"replica_announced", announced},
	)
}

// roleReplica is ROLE's reply on a replica. Holds mu.
func (s *Server) roleReplica(c *Client) {
	m := s.repl.master
	c.ReplyArrayLen(5)
	c.ReplyBulkString("slave")
	c.ReplyBulkString(m.host)
	c.ReplyInt(int64(m.port))
	c.ReplyBulkString(m.state)
	off := int64(-1)
	if m.client != nil {
		off = s.repl.offset
	}
	c.ReplyInt(off)
}
