package daemon

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/netio"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// Version is the Redis version Redoubt reports (redis_version, HELLO): the
// one whose behaviour it implements. Clients feature-gate on it.
const Version = "7.0.15"

// RedoubtVersion is Redoubt's own version, set by the linker.
var RedoubtVersion = "0.1.0-dev"

// Server executes commands against the keyspace. It implements
// netio.Handler.
//
// Concurrency: one big lock, mu, serialises command execution, as Redis's
// single thread does: a command (and a pipeline read in one go) runs alone
// against the keyspace, so read-modify-write commands need no further
// locking. Event loops take mu for the commands of one read; background
// goroutines (the syncer, the expiry cycle, cron) take it for short steps.
// Waiting for fsync never happens under mu or on a loop.
type Server struct {
	cfg *conf.Config
	// unixsocket is cfg.Unixsocket, which cannot change: what Unix
	// socket clients show as their address, read on the loops.
	unixsocket string
	// supervised and notify are Options.Supervised and Options.Notify.
	supervised string
	notify     func(msg string)
	log        *slog.Logger
	logLevel   *slog.LevelVar // nil when the owner did not share it
	store      storage.Store
	cmds       *commandTable
	ks         *Keyspace
	dur        *durability
	disk       diskGuard
	// maxClientsFD: the most clients the open-file limit allows; 0: no
	// limit known.
	maxClientsFD int
	// maxReply: the largest reply built for one client read, from the
	// memory available (updateReplyCap); replyCapAt: when it was last
	// read (cron only).
	maxReply   atomic.Int64
	replyCapAt time.Time
	replCronAt time.Time // last replCronLocked (cron only)

	startTime time.Time
	// clockBase is a reading of the clock with its monotonic part,
	// renewed by the cron (so a step of the wall clock reaches commands
	// within a tick). A command reads the time as time.Since(clockBase),
	// one read of the monotonic clock where time.Now takes two (the wall
	// clock too): three reads a command were 3.5% of INCR -P 16's CPU.
	// Holds mu.
	clockBase time.Time
	runID     string
	hz        atomic.Int64
	// activeExpireOff: DEBUG SET-ACTIVE-EXPIRE 0 stopped the active expiry
	// cycle (lazy expiry goes on).
	activeExpireOff atomic.Bool
	// cronPaused: DEBUG PAUSE-CRON 1 stopped the cron's periodic work.
	cronPaused atomic.Bool
	// staleDenied mirrors replica-serve-stale-data no, for the lock-free
	// answers of a loading replica (replyLoading).
	staleDenied atomic.Bool

	mu         sync.Mutex
	clients    map[int64]*Client    // guarded by mu
	stats      serverStats          // guarded by mu
	slowlog    slowlog              // guarded by mu
	monitors   map[*Client]struct{} // guarded by mu
	pause      pauseState           // guarded by mu
	shutdown   shutdownState        // guarded by mu
	latmon     latencyMonitor       // its own lock
	lastSave   int64                // unix seconds, guarded by mu
	save       saveState            // RDB saves (save.go), guarded by mu
	scans      scanCursors          // SCAN cursor positions, guarded by mu
	pubsub     pubsubState          // subscriptions (pubsub.go), guarded by mu
	tracking   trackingState        // client-side caching (tracking.go), guarded by mu
	oom        oomState             // oom-score-adj (oom.go), guarded by mu
	repl       replState            // the replication stream and replicas (repl.go), guarded by mu
	idleMem    idleMemory           // releases memory when idle (idle.go), guarded by mu
	quietFlush quietFlush           // flushes the store when writes stop (idle.go), guarded by mu
	// loadColl's buffers for the members it holds back, guarded by mu.
	loadHeld    []heldElem
	loadHeldBuf []byte
	acl         aclState // users, ACL LOG, permission check (acl_server.go)
	// storeReplacing silences the 'new' notification while a STORE command
	// recreates the destination it deleted (notify.go), guarded by mu.
	storeReplacing bool

	// Blocked clients (see blocking.go), guarded by mu.
	waiters    map[waitKey][]*Client // per key, in arrival order
	blocked    map[*Client]struct{}
	blockedBy  [storage.TypeStream + 1]int // blocked clients per type they wait for
	ready      []waitKey
	readySet   map[waitKey]struct{}
	deliveries []delivery
	unblocked  []unblockedStat // served by the running command (blocking.go)

	nextClientID  atomic.Int64
	netIn, netOut atomic.Int64
	// loading: a replica is replacing its keyspace with its primary's
	// snapshot; commands Redis refuses while loading get -LOADING, the
	// others run between the load's steps (repl_replica.go). loadStart and
	// loadTotal (under mu) and loadRead are its progress, for INFO.
	loading     atomic.Bool
	loadRejects loadRejects
	loadStart   time.Time
	loadTotal   int64
	loadRead    atomic.Int64
	// lastLoadKeys and lastLoadExpired are the last successful load's
	// counts (INFO rdb_last_load_keys_*), guarded by mu.
	lastLoadKeys, lastLoadExpired int64

	shutdownReq chan ShutdownRequest // SHUTDOWN asks the owner (cmd/redoubt) to stop
	stopCron    chan struct{}
	cronDone    sync.WaitGroup
}

// serverStats feeds INFO stats, errorstats and clients. Guarded by mu.
type serverStats struct {
	commands         int64
	connections      int64
	rejectedConns    int64
	expiredKeys      int64
	expiredStaleSamp int64
	keyspaceHits     int64
	keyspaceMisses   int64
	errorReplies     int64
	errors           map[string]int64 // errorstats: prefix -> count
	unexpectedErrors int64
	// aclDenied counts refusals by reason: failed AUTH attempts and
	// NOPERM replies (INFO acl_access_denied_*).
	aclDenied    struct{ auth, cmd, key, channel int64 }
	opsSamples   [16]int64
	opsSampleIdx int
	// peakIn and peakOut are the biggest client input and output
	// buffers of each of the last seconds (clientsCronLocked).
	peakIn, peakOut [clientPeakSlots]int64
	lastOpsCount    int64
	lastSampleTime  time.Time
}

// Options carry what New needs besides the config.
type Options struct {
	Logger *slog.Logger
	// LogLevel, when set, is the level Logger's handler reads; CONFIG SET
	// loglevel changes it.
	LogLevel *slog.LevelVar
	Store    storage.Store
	// MaxClientsLimit is the most clients the open-file limit allows
	// (0: no limit); CONFIG SET maxclients above it fails, as in Redis.
	MaxClientsLimit int
	// Supervised is the service manager's supervision in force (INFO's
	// process_supervised: upstart, systemd or no; "" is no), and Notify,
	// under systemd, sends it a status line (sd_notify: "STOPPING=1\n").
	// Notify must not block.
	Supervised string
	Notify     func(msg string)
}

// LogLevel maps Redis's loglevel names to slog levels.
func LogLevel(name string) slog.Level {
	switch name {
	case "debug", "verbose":
		return slog.LevelDebug
	case "warning":
		return slog.LevelWarn
	case "nothing":
		return slog.LevelError + 100
	}
	return slog.LevelInfo
}

// New builds a server over an open store. Call Start to begin background
// work and Close to stop it.
func New(cfg *conf.Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		cfg:          cfg,
		unixsocket:   cfg.Unixsocket,
		supervised:   cmp.Or(opts.Supervised, "no"),
		notify:       opts.Notify,
		maxClientsFD: opts.MaxClientsLimit,
		log:          opts.Logger,
		logLevel:     opts.LogLevel,
		store:        opts.Store,
		cmds:         newCommandTable(),
		startTime:    time.Now(),
		clockBase:    time.Now(),
		runID:        newRunID(),
		clients:      map[int64]*Client{},
		monitors:     map[*Client]struct{}{},
		waiters:      map[waitKey][]*Client{},
		blocked:      map[*Client]struct{}{},
		readySet:     map[waitKey]struct{}{},
		shutdownReq:  make(chan ShutdownRequest, 1),
		stopCron:     make(chan struct{}),
	}
	s.stats.errors = map[string]int64{}
	s.repl.init()
	s.slowlog.init()
	s.hz.Store(int64(cfg.Hz))
	s.staleDenied.Store(!cfg.ReplicaServeStaleData)
	s.lastSave = time.Now().Unix()
	s.save.lastOK, s.save.lastSeconds = true, -1
	ks, err := openKeyspace(opts.Store, cfg.Databases, int64(cfg.RowCacheSize))
	if err != nil {
		return nil, err
	}
	s.ks = ks
	ks.onExpired = func(db int, key []byte) {
		s.stats.expiredKeys++
		s.notifyLocked(notifyExpired, "expired", db, key)
		// Replicas never expire keys themselves: they wait for this.
		s.propagateLocked(db, propDel, key)
	}
	ks.onNew = func(db int, key []byte) {
		if !s.storeReplacing {
			s.notifyLocked(notifyNew, "new", db, key)
		}
	}
	ks.onCreate = s.keyCreated
	ks.onFlushed = s.trackingFlushedLocked
	s.dur = newDurability(s, cfg.Appendfsync)
	ks.nextSeq = s.dur.nextSeq
	ks.onSettle = s.commitLocked
	ks.wb.syncFlush = s.dur.always
	ks.wb.onSync = func(d time.Duration) { s.latmon.addIfNeeded("aof-fsync-always", d) }
	s.latmon.threshold.Store(int64(cfg.LatencyMonitorThreshold))
	ks.wb.markDurable = s.dur.markDurable
	ks.wb.onErr = func(err error) { s.fatal("can't write to the store, exiting", err) }
	registerCommands(s.cmds)
	// rename-command, before the users' rules name commands, as Redis
	// applies it while reading its config.
	for i, r := range cfg.RenameCommand {
		if err := s.cmds.rename(r.Old, r.New); err != nil {
			return nil, cfg.RenameError(i, err)
		}
	}
	if err := s.initACL(cfg); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.initDiskGuardLocked()
	err = s.loadReplPosLocked()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s.updateReplyCap()
	return s, nil
}

// Start launches the background goroutines: the syncer (durability) and
// cron (active expiry, idle clients, stats). Close stops them.
func (s *Server) Start() {
	s.ks.wb.start()
	// Built in the background: a start does not wait for a scan.
	s.ks.wb.buildFilter(storeFilterMinKeys)
	s.dur.start()
	s.cronDone.Add(1)
	go s.cron()
	s.mu.Lock()
	s.resumeHistoryLocked()
	if r := s.cfg.Replicaof; r.IsSet() {
		s.followLocked(r.Host, r.Port)
	}
	s.roleOOMScoreLocked()
	s.mu.Unlock()
}

// Drain makes every committed write durable and has the loops send the
// replies that waited for it, so a shutdown acknowledges what it can.
func (s *Server) Drain() {
	s.mu.Lock()
	s.commitLocked()
	s.ks.wb.drain()
	s.mu.Unlock()
	if err := s.store.Sync(); err != nil {
		s.log.Error("final sync", "err", err)
	} else {
		s.dur.markDurable(s.dur.committed.Load())
	}
	s.mu.Lock()
	clients := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		// Loops run Execute callbacks in order: once this one ran, the
		// release queued by markDurable has run too.
		if err := c.conn.Execute(wg.Done); err != nil {
			wg.Done()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// Close stops background work and makes every committed write durable.
// The store is the caller's to close afterwards.
func (s *Server) Close() error {
	s.mu.Lock()
	s.dropLinkLocked(false)
	s.mu.Unlock()
	// A replica's load sees its link stopped at its next step (or after
	// writing its runs, which use the store): let it end before the store
	// is closed under it.
	for deadline := time.Now().Add(closeLoadWait); s.loading.Load() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	close(s.stopCron)
	s.cronDone.Wait()
	// A background save would read the store after it closes.
	s.abortSave()
	s.dur.stop()
	s.mu.Lock()
	s.commitLocked()
	s.ks.wb.drain()
	s.mu.Unlock()
	s.ks.wb.stop()
	return s.store.Sync()
}

// closeLoadWait bounds how long Close waits for a replica's load to stop.
const closeLoadWait = 30 * time.Second

func newRunID() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// ---- netio.Handler -----------------------------------------------------------

// Open registers a new connection. On the loop.
func (s *Server) Open(conn netio.Conn) netio.Session {
	c := &Client{
		srv:     s,
		conn:    conn,
		id:      s.nextClientID.Add(1),
		proto:   2,
		created: time.Now(),
		addr:    addrString(conn.RemoteAddr()),
		ladr:    addrString(conn.LocalAddr()),
	}
	if _, ok := conn.RemoteAddr().(*net.UnixAddr); ok {
		// As Redis: both ends are the socket's path, with port 0 (the
		// peer of a Unix socket has no name).
		c.unix = true
		c.addr = s.unixsocket + ":0"
		c.ladr = c.addr
	}
	c.sendFn = c.sendDeferred
	c.lastInteraction.Store(time.Now().UnixNano())
	if s.loading.Load() {
		// A replica's load holds the lock between its steps: the
		// client is admitted when its first command that needs the
		// lock takes it (admitLocked); until then what it sends gets
		// -LOADING.
		c.unadmitted = true
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admitLocked(c) {
		return nil
	}
	return c
}

// admitLocked applies the checks a new connection passes (maxclients,
// protected mode), writing the refusal, and registers c. Holds mu.
func (s *Server) admitLocked(c *Client) bool {
	s.stats.connections++
	if len(s.clients) >= s.cfg.Maxclients {
		s.stats.rejectedConns++
		_ = c.conn.Write(resp.AppendError(nil, "ERR max number of clients reached"))
		return false
	}
	if s.cfg.ProtectedMode && s.defaultUserNopass() && !isLocalAddr(c.conn.RemoteAddr()) {
		s.stats.rejectedConns++
		_ = c.conn.Write(resp.AppendError(nil, errProtectedMode))
		return false
	}
	s.defaultAuthLocked(c)
	s.clients[c.id] = c
	return true
}

// errProtectedMode is Redis 7.0.15's refusal, word for word.
const errProtectedMode = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

// isLocalAddr is Redis's connIsLocal: a Unix socket, or a peer at exactly
// 127.0.0.1 or ::1 (other 127/8 addresses are not local to Redis).
func isLocalAddr(a net.Addr) bool {
	switch a := a.(type) {
	case *net.UnixAddr:
		return true
	case *net.TCPAddr:
		return a.IP.Equal(net.IPv4(127, 0, 0, 1)) || a.IP.Equal(net.IPv6loopback)
	}
	return false
}

// defaultUserNopass reports whether the default user needs no password,
// which is when protected mode applies.
func (s *Server) defaultUserNopass() bool { return s.acl.users.Default().NoPass() }

// Closed forgets a connection. On the loop.
func (c *Client) Closed(error) {
	c.closed.Store(true)
	s := c.srv
	if c.unadmitted {
		return // never registered (accepted while loading)
	}
	if !s.mu.TryLock() {
		if s.loading.Load() {
			// A replica's load holds the lock between its steps, which
			// one big key can make long: the loop must not wait for
			// it, the bookkeeping can.
			c.held = nil
			go func() {
				s.mu.Lock()
				s.forgetClientLocked(c)
				s.mu.Unlock()
			}()
			return
		}
		s.mu.Lock()
	}
	s.forgetClientLocked(c)
	s.mu.Unlock()
	c.held = nil
}

// forgetClientLocked removes a closed connection from every structure that
// knows it. Holds mu.
func (s *Server) forgetClientLocked(c *Client) {
	delete(s.clients, c.id)
	delete(s.monitors, c)
	s.unblockOnCloseLocked(c)
	s.pause.forget(c)
	delete(s.repl.psyncWaiters, c)
	s.pubsubClosedLocked(c) // pub/sub hook: leave every subscription
	s.replicaClosedLocked(c)
	s.discardLocked(c) // MULTI hook: drop the queue and the watches
	s.disableTrackingLocked(c)
}

// Data parses and executes every complete command in buf. On the loop.
func (c *Client) Data(buf []byte) (consumed, need int, closeConn bool) {
	s := c.srv
	c.lastInteraction.Store(time.Now().UnixNano())
	s.netIn.Add(int64(len(buf)))
	if s.loading.Load() && len(c.held) == 0 {
		if s.mu.TryLock() {
			// Between the load's steps: the ordinary way, which makes
			// every check in Redis's order.
			s.mu.Unlock()
		} else {
			// A step holds the lock (for up to loadStepEvery, longer
			// for one big key): what the load does not allow is
			// answered without it; from the first command it allows
			// on, or anything replyLoading cannot judge alone, the
			// ordinary way.
			n, need, closeConn := c.replyLoading(buf)
			if closeConn || need > 0 || n == len(buf) {
				return n, need, closeConn
			}
			consumed, need, closeConn = c.data(buf[n:])
			return n + consumed, need, closeConn
		}
	}
	return c.data(buf)
}

// data is Data once the commands refused while loading are answered. On
// the loop.
func (c *Client) data(buf []byte) (consumed, need int, closeConn bool) {
	s := c.srv
	s.mu.Lock()
	c.readStart = len(c.out)
	if c.unadmitted {
		c.unadmitted = false
		if !s.admitLocked(c) {
			s.mu.Unlock()
			return len(buf), 0, true
		}
	}
	if c.killed {
		s.mu.Unlock()
		return len(buf), 0, true
	}
	if c.block != nil {
		// Blocked: what arrives waits in the connection's buffer until
		// the reply that ends the wait is delivered (which wakes us), as
		// long as it stays within the query buffer limit.
		over := int64(len(buf)) > int64(s.cfg.ClientQueryBufferLimit)
		s.mu.Unlock()
		if over {
			s.log.Warn("closing blocked client that reached max query buffer length", "client", c.addr, "bytes", len(buf))
		}
		return 0, 0, over
	}
	// CLIENT LIST's qbuf: while its commands run, the whole read (Redis
	// trims its query buffer after the batch); afterwards what waits in
	// the connection's buffer for the rest of a command.
	c.qbuf = len(buf)
	// Pub/sub hook: messages published before this read go out ahead of
	// its replies (pubsub.go).
	c.takeMessagesLocked()
	lim := resp.Limits{
		MaxBulkLen:      int64(s.cfg.ProtoMaxBulkLen),
		MaxMultibulkLen: 1024 * 1024 * 1024,
		MaxInlineLen:    64 * 1024,
		Unauthenticated: s.authRequired(c),
	}
	c.resetAhead()
	for consumed < len(buf) && !c.closeASAP {
		argv, n, nd, err := c.nextCommand(buf, consumed, &lim)
		if err != nil {
			c.replyMode = replyOn
			c.ReplyError("ERR " + err.Error())
			s.log.Debug("protocol error", "client", c.addr, "err", err)
			c.closeASAP = true
			consumed = len(buf)
			break
		}
		if n == 0 {
			need = nd
			if int64(len(buf)-consumed) > int64(s.cfg.ClientQueryBufferLimit) {
				s.log.Warn("closing client that reached max query buffer length", "client", c.addr, "bytes", len(buf)-consumed)
				c.closeASAP = true
				consumed = len(buf)
			}
			break
		}
		c.argv = argv
		consumed += n
		if len(argv) == 0 && c.repl != nil {
			// A replica's keepalive while it loads our snapshot (an
			// empty line): it is alive, and gets no reply.
			c.repl.ackTime = time.Now()
		}
		if len(argv) > 0 {
			s.call(c, argv)
			if c.postponed {
				// A pause holds it back (postponeLocked): it stays in
				// the buffer and runs when the pause ends.
				c.postponed = false
				consumed -= n
				break
			}
			if c.block != nil {
				// CLIENT LIST's argv-mem of a blocked client: the
				// arguments it waits with (Redis frees them otherwise).
				n := 0
				for _, a := range argv {
					n += len(a)
				}
				c.argvBytes = n
				break
			}
			if c.overOutputLimitLocked() {
				// Like Redis's check as replies are added: a pipeline
				// of big replies must not build an unbounded buffer
				// before the flush would notice.
				c.out = c.out[:0]
				c.closeASAP = true
				consumed = len(buf)
				break
			}
		}
	}
	s.commitLocked()
	seq := s.dur.requiredSeq()
	closeConn = c.closeASAP
	c.qbuf = len(buf) - consumed
	s.mu.Unlock()
	// argv aliases the transport's read buffer, valid only during this
	// call: drop the references so a big request is not kept alive.
	c.dropArgs()
	if c.flush(seq) && closeConn {
		// Replies wait for fsync: close once they are written.
		c.closeAfterFlush = true
		closeConn = false
	}
	if closeConn && c.deferred {
		// The transport closes once what it was given is sent.
		c.sendDeferred()
	}
	return consumed, need, closeConn
}

// flush sends the replies of this read, or holds them until the store's
// durable sequence reaches seq. It reports whether replies are held. On
// the loop.
func (c *Client) flush(seq uint64) (held bool) {
	if len(c.out) > 0 {
		if seq > c.srv.dur.durable.Load() || len(c.held) > 0 {
			c.held = append(c.held, heldOut{seq: seq, buf: c.out})
			c.heldBytes += int64(len(c.out))
			c.out = nil
			c.srv.dur.wait(c, seq)
		} else {
			c.send()
		}
	}
	return len(c.held) > 0
}

// deferMax is the most reply bytes send leaves for the end of the batch.
// A larger write is worth its wake-up of the client on its own, and waiting
// for the end of the next batch of events leaves that client idle: with
// everything deferred, ZRANGE of 100 members at -P 16 (27 KB a pipeline)
// ran at 66-67k req/s, with every reply written at once 70-73k, and with
// this limit 70-74k; LRANGE of 100 (14 KB) 328k deferred, 336-340k here.
const deferMax = 4 << 10

// send writes out, or, while the loop has other connections' events to
// handle, leaves it to be written with their replies at the end of the
// batch (netio.Conn.Defer): replies written together wake a client process
// once rather than once per connection. On the loop.
func (c *Client) send() {
	if c.deferred {
		return // queued already: out goes with the earlier replies
	}
	if len(c.out) >= deferMax {
		c.writeOut()
		return
	}
	if c.conn.Defer(c.sendFn) {
		c.deferred = true
		return
	}
	c.writeOut()
}

// sendDeferred writes the replies left for the end of the batch. On the loop.
func (c *Client) sendDeferred() {
	if !c.deferred {
		return
	}
	c.deferred = false
	if c.closed.Load() || len(c.out) == 0 {
		return
	}
	c.writeOut()
}

func (c *Client) writeOut() {
	c.transmit(c.out)
	c.out = c.out[:0]
}

// releaseHeld writes held replies that are now durable. On the loop.
func (c *Client) releaseHeld() {
	if c.closed.Load() {
		return
	}
	durable := c.srv.dur.durable.Load()
	i := 0
	for ; i < len(c.held) && c.held[i].seq <= durable; i++ {
		c.heldBytes -= int64(len(c.held[i].buf))
		c.write(c.held[i].buf)
	}
	c.held = c.held[i:]
	if len(c.held) > 0 {
		c.srv.dur.wait(c, c.held[0].seq)
		return
	}
	c.held = nil
	if c.closeAfterFlush {
		_ = c.conn.Close()
	}
}

// write hands bytes to the transport after the replies left for the end of
// the batch, and enforces the output buffer limit. On the loop.
func (c *Client) write(b []byte) {
	c.sendDeferred()
	c.transmit(b)
}

// transmit hands bytes to the transport and enforces the output buffer
// limit. On the loop.
func (c *Client) transmit(b []byte) {
	if c.cutOff {
		// Closing for its output limit: writes queued before the close
		// lands must not pile more onto the dead connection.
		return
	}
	c.srv.netOut.Add(int64(len(b)))
	if err := c.conn.Write(b); err != nil {
		return
	}
	c.checkOutputLimit()
}

// outputClass is the client-output-buffer-limit class of c: "replica" for
// a replica's connection, "pubsub" while it has subscriptions (pubsub.go).
func (c *Client) outputClass() string {
	switch clientType(c) {
	case clientTypePubsub:
		return "pubsub"
	case clientTypeReplica:
		return "replica"
	}
	return "normal"
}

// pendingOutput is every reply byte not yet sent: queued in the transport,
// held for durability, and built by the current read. On the loop.
func (c *Client) pendingOutput() int64 {
	return int64(c.conn.OutboundBuffered()) + c.heldBytes + int64(len(c.out))
}

// overOutputLimitLocked reports whether c passed its hard output limit
// while executing commands, logging it. On the loop, holds mu.
func (c *Client) overOutputLimitLocked() bool {
	lim := c.srv.cfg.OutputLimit(c.outputClass())
	if lim.Hard <= 0 {
		return false
	}
	pending := c.pendingOutput()
	if pending < int64(lim.Hard) {
		return false
	}
	c.srv.log.Warn("client closed for overcoming of output buffer limits",
		"client", c.addr, "id", c.id, "class", c.outputClass(), "pending", pending)
	return true
}

// checkOutputLimit closes a client whose pending output passed the hard
// limit of its class, or stayed above the soft limit too long, like Redis's
// checkClientOutputBufferLimits. On the loop.
func (c *Client) checkOutputLimit() {
	if !c.srv.mu.TryLock() {
		if c.srv.loading.Load() {
			return // checked at the next write after the load
		}
		c.srv.mu.Lock()
	}
	class := c.outputClass() // pub/sub hook: the class follows subscriptions, read under mu
	lim := c.srv.cfg.OutputLimit(class)
	c.srv.mu.Unlock()
	// What was written has left c.out (which holds it until after the
	// write, or the next read's replies): the transport's queue and the
	// replies held for durability are what waits.
	pending := int64(c.conn.OutboundBuffered()) + c.heldBytes
	c.obuf.pending.Store(pending)
	over := false
	if lim.Hard > 0 && pending >= int64(lim.Hard) {
		over = true
	}
	if lim.Soft > 0 && pending >= int64(lim.Soft) {
		if c.obuf.softSince.IsZero() {
			c.obuf.softSince = time.Now()
		} else if time.Since(c.obuf.softSince) >= time.Duration(lim.SoftSeconds)*time.Second {
			over = true
		}
	} else {
		c.obuf.softSince = time.Time{}
	}
	if over {
		c.cutOff = true
		c.srv.log.Warn("client scheduled to be closed ASAP for overcoming of output buffer limits",
			"client", c.addr, "id", c.id, "class", class, "pending", pending)
		_ = c.conn.Close()
	}
}

// queueOutputChecks has the loop of every client with reply bytes waiting
// re-measure them (CLIENT LIST's omem) and apply the output limits: the
// transport drains its queue without telling, and a soft limit must close
// a client that stays over it with no traffic, as Redis's clientsCron
// does. Called by the cron, without mu.
func (s *Server) queueOutputChecks(clients []*Client) {
	for _, c := range clients {
		if !c.obuf.checkQueued.CompareAndSwap(false, true) {
			continue
		}
		if err := c.conn.Execute(c.recheckOutput); err != nil {
			c.obuf.checkQueued.Store(false)
		}
	}
}

// recheckOutput is queueOutputChecks's task. On the loop.
func (c *Client) recheckOutput() {
	c.obuf.checkQueued.Store(false)
	if c.closed.Load() || c.cutOff {
		return
	}
	c.checkOutputLimit()
}

// postponeLocked parks c while a pause holds its command back (every
// command under CLIENT PAUSE ALL; under WRITE, writes and an EXEC of
// queued writes), as Redis's processCommand does once every check that
// may refuse the command has passed: an unknown command, a wrong arity or
// a NOAUTH is answered at once. It marks c postponed, and the caller
// leaves the command unread, to run when the pause ends. Holds mu.
func (s *Server) postponeLocked(c *Client, argv [][]byte) bool {
	if !s.pausedLocked(c, argv) {
		return false
	}
	s.pause.park(c)
	c.postponed = true
	return true
}

// pausedLocked reports whether a pause holds c's argv back. Holds mu.
func (s *Server) pausedLocked(c *Client, argv [][]byte) bool {
	// MULTI hook: an EXEC of queued writes waits like a write.
	return s.pause.blocks(c) || s.pause.blocksWrite(c, s.cmds, argv) || s.execBlockedByPause(c, argv)
}

// ---- dispatch ----------------------------------------------------------------

// call looks argv up and runs it with Redis's pre-checks, in
// processCommand's order: existence, arity, authentication, no-multi,
// ACL, then the Pub/Sub context. Holds mu.
func (s *Server) call(c *Client, argv [][]byte) {
	if c.tracking.caching {
		// CLIENT CACHING applies to the next command, or transaction.
		defer s.cachingSpentLocked(c)
	}
	cmd, ok := s.cmds.lookup(argv)
	if !ok {
		c.lastCmd = ""
		var args strings.Builder
		for i := 1; i < len(argv) && args.Len() < 128; i++ {
			a := argv[i]
			if room := 128 - args.Len(); len(a) > room {
				a = a[:room]
			}
			fmt.Fprintf(&args, "'%s' ", a)
		}
		// MULTI hook: rejectLocked flags an open transaction (multi.go).
		s.rejectLocked(c, nil, fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", truncateArg(argv[0]), sanitize(args.String())))
		return
	}
	if len(cmd.subs) > 0 && len(argv) >= 2 {
		// A container named with a subcommand it does not have: Redis's
		// lookup fails, so it is an unknown command, refused before any
		// other check, counted in errorstats but not in commandstats,
		// and it aborts a transaction.
		c.lastCmd = ""
		s.rejectLocked(c, nil, fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", truncateArg(argv[1]), strings.ToUpper(cmd.name)))
		return
	}
	// Like Redis's c->lastcmd, CLIENT LIST's cmd= names what was looked
	// up, even when a check refuses it.
	c.lastCmd = cmd.name
	if !cmd.arityOK(len(argv)) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.fullName()))
		return
	}
	// Redis's protected commands (not flagged in COMMAND INFO): DEBUG.
	if cmd.name == "debug" && !s.protectedAllowed(c) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, errDebugNotAllowed)
		return
	}
	if !cmd.has(flagNoAuth) && s.authRequired(c) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, "NOAUTH Authentication required.")
		return
	}
	if c.multi.active && cmd.has(flagNoMulti) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, "ERR Command not allowed inside a transaction")
		return
	}
	// The primary's stream is applied without the checks that protect a
	// server from its clients (ACL, disk guard, read-only replica...).
	if c.isMaster {
		if c.multi.active && !passesMulti(cmd) {
			s.queueLocked(c, cmd, argv)
		} else {
			s.invoke(c, cmd, argv)
		}
		return
	}
	// ACL hook: checked before queueing too, as Redis does (acl_server.go).
	if d := s.aclCheck(c.user, cmd, argv); !d.Allowed() {
		s.aclDenyLocked(c, cmd, argv, d)
		return
	}
	// Disk guard: writes wait for free space (diskguard.go).
	if s.diskRefuses(c, cmd) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, s.diskRefusal())
		return
	}
	if s.readOnlyRefuses(c, cmd) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, "READONLY You can't write against a read only replica.")
		return
	}
	if s.minReplicasRefuse(c, cmd) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, errNoReplicas)
		return
	}
	// MULTI hook: a refused EXEC ends the transaction with EXECABORT; the
	// message is pub/sub's (rejectInSubscriberContext).
	if cmd.name == "exec" && c.proto == 2 && c.pubsub.subscribed() {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, "ERR Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return
	}
	// Pub/sub hook: a RESP2 subscriber may run only a few commands.
	if s.rejectInSubscriberContext(c, cmd, argv) {
		return
	}
	// A replica without its primary (link down or syncing) answers from
	// stale data only if replica-serve-stale-data allows.
	if s.staleRefuses(c, cmd) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, errMasterDown)
		return
	}
	// A replica replacing its keyspace runs, between the steps of the
	// load, only what Redis allows while loading (INFO, ROLE, CONFIG,
	// PUBLISH, SUBSCRIBE...): nothing that reads or writes keys. An EXEC
	// would run what it queued before the load began.
	if s.loading.Load() && (!cmd.has(flagLoading) || cmd.name == "exec" && c.multi.queuesWithout(flagLoading)) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, errLoading)
		return
	}
	if s.postponeLocked(c, argv) {
		return
	}
	if s.repl.master != nil && s.psyncCatchUpLocked(c, argv) {
		// Replication hook: waits in the buffer like a paused command.
		c.postponed = true
		return
	}
	if s.trackingOverLimitLocked() {
		// Client-side caching: back under tracking-table-max-keys before
		// the command, as Redis's processCommand (queued ones too).
		s.trackingLimitLocked(c)
	}
	if c.multi.active && !passesMulti(cmd) {
		// MULTI hook: queue instead of running (multi.go).
		s.queueLocked(c, cmd, argv)
	} else {
		s.invoke(c, cmd, argv)
	}
	if c.closeAfterCommand {
		// ACL hook: the command removed the client's own user.
		c.closeAfterCommand = false
		c.closeASAP = true
	}
	switch c.replyMode {
	case replySkipThis:
		c.replyMode = replyOn
	case replySkipNext:
		c.replyMode = replySkipThis
	}
}

// invoke runs a checked command with its bookkeeping: MONITOR, stats,
// slowlog, and serving blocked clients its writes made ready. EXEC invokes
// its queued commands through here too (c.multi.execing): they share
// EXEC's time snapshot, and blocked clients are served once, after EXEC,
// as in Redis. Holds mu.
func (s *Server) invoke(c *Client, cmd *command, argv [][]byte) {
	nested := c.multi.execing
	if nested && !c.isMaster && s.aclExecDenied(c, cmd, argv) {
		// ACL hook: the rules changed since the command was queued.
		return
	}
	// Secrets (passwords, ACL rules) never reach MONITOR or the slow log.
	shown := redactArgs(cmd, argv)
	// Redis feeds MONITOR after a command runs; EXEC is fed after the
	// commands it ran, so it is fed last here.
	feed := len(s.monitors) > 0 && !cmd.has(flagAdmin) && !cmd.has(flagSkipMonitor)
	isExec := cmd.name == "exec"
	if feed && !isExec {
		s.feedMonitors(c, shown)
	}
	if !nested {
		c.lastCmd = cmd.name
	}
	c.failed = false
	base := s.clockBase // the cron may renew it while a command waits
	start := time.Since(base)
	if !nested {
		s.ks.beginCommand(base.Add(start))
	}
	caller := s.pubsub.caller
	s.pubsub.caller = c // pub/sub hook: publishLocked puts c's own copies in its replies
	// Replication hook: a write that changed something goes to the
	// stream as it is, unless it propagated a form of its own (repl.go).
	s.repl.depth++
	c.propDone = false
	changes := s.ks.changes
	if s.repl.master != nil {
		// A replica never expires keys itself: its primary's DELs do.
		switch {
		case c.isMaster:
			s.ks.expiry = expiryKeep
		case cmd.has(flagWrite):
			s.ks.expiry = expiryDelete // a writable replica's own writes
			s.ks.trackOwn = true       // and their keys' expiries
		default:
			s.ks.expiry = expiryHide
		}
		defer func() { s.ks.expiry, s.ks.trackOwn = expiryDelete, false }()
	} else if s.pause.active() && !isExec && !cmd.has(flagWrite) {
		// While clients are paused Redis 7.0 keeps the dataset as it is
		// (expireIfNeeded): a read finds an expired key gone but leaves
		// it, so a replica catching up before a failover sees no DEL.
		s.ks.expiry = expiryHide
		defer func() { s.ks.expiry = expiryDelete }()
	}
	s.run(c, cmd, argv)
	if c.tracking.on && !c.tracking.bcast && cmd.has(flagReadonly) {
		// Client-side caching hook: remember what it read (tracking.go).
		s.trackingRememberLocked(c, cmd, argv)
	}
	if s.repl.active() && !c.propDone && !isExec && cmd.has(flagWrite) && s.ks.changes != changes {
		s.propagateLocked(c.db, argv...)
	}
	s.repl.depth--
	if !nested && len(s.repl.unitOps) > 0 {
		s.flushUnitLocked(!cmd.has(flagTouchesArbitraryKeys))
		c.woff = s.repl.offset
	}
	if len(s.ready) > 0 && !nested {
		// The pops served to blocked clients follow the command in the
		// stream, each on its own, as Redis propagates them. Redis
		// serves them after call() returns, with the clock read anew: a
		// key the command left to expire meanwhile (MULTI, RPUSH,
		// PEXPIRE, DEBUG SLEEP, EXEC) is found expired, not served.
		s.ks.beginCommand(base.Add(time.Since(base)))
		s.serveReadyLocked()
	}
	if !nested && len(s.tracking.pending) > 0 {
		// After the replies (EXEC's, for its commands), as Redis does.
		s.trackingSendPendingLocked()
	}
	s.pubsub.caller = caller
	if !nested {
		s.ks.endCommand()
	}
	elapsed := time.Since(base) - start
	s.stats.commands++
	cmd.stats.calls++
	cmd.stats.usec += elapsed.Microseconds()
	if cmd.has(flagFast) {
		s.latmon.addIfNeeded("fast-command", elapsed)
	} else {
		s.latmon.addIfNeeded("command", elapsed)
	}
	if c.failed {
		cmd.stats.failed++
	}
	if st := c.block; st != nil && !st.done && st.cmd == nil {
		// The command blocked: as Redis does, its latency histogram
		// and slow log entry wait for the serve (recordUnblockedLocked),
		// and a wait that times out records neither.
		st.cmd, st.duration = cmd, elapsed
		for _, a := range shown {
			st.shown = append(st.shown, append([]byte(nil), a...))
		}
	} else {
		s.recordCallLocked(c, cmd, shown, elapsed)
	}
	if !nested {
		// What this command served comes after it, as in Redis, where
		// the blocked clients are served after call() logged the command.
		for _, u := range s.unblocked {
			s.recordUnblockedLocked(u.c, u.st, u.reply, u.failed)
		}
		clear(s.unblocked)
		s.unblocked = s.unblocked[:0]
	}
	if feed && isExec && len(s.monitors) > 0 {
		s.feedMonitors(c, shown)
	}
}

// storageError is what keyspace code panics with when the store fails; run
// turns it into an error reply.
type storageError struct{ err error }

// run executes the handler, turning a panic into an error reply: nothing a
// client sends may crash the server. The read's uncommitted writes are
// dropped and the connection closed, so the client never sees a success
// reply for a write that was thrown away.
func (s *Server) run(c *Client, cmd *command, argv [][]byte) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if se, ok := r.(storageError); ok {
			s.log.Error("storage failure", "command", cmd.name, "err", se.err)
		} else {
			s.log.Error("command panicked", "command", cmd.name, "panic", r, "stack", string(debug.Stack()))
		}
		s.stats.unexpectedErrors++
		s.ks.abort()
		// Earlier reads' replies, deferred to the end of the batch, are
		// for writes that stand: only this read's go.
		c.out = c.out[:min(c.readStart, len(c.out))]
		c.replyMode = replyOn
		c.ReplyError("ERR internal error while executing '" + cmd.name + "'; the connection is closed and writes of this request were not applied")
		c.closeASAP = true
	}()
	cmd.fn(c, argv)
}

// commitLocked commits the pending batch and numbers it for durability.
// Holds mu.
func (s *Server) commitLocked() {
	if s.ks.sink == nil {
		// During a replica's load, which lets clients in between its
		// steps, records go to the load (Keyspace.sink), which commits
		// once at its end: a commit of a client's read (the key counts)
		// or of the replication position must not land among them.
		s.saveReplPosLocked()
		s.ks.commit()
	}
	if s.tracking.clients > 0 && len(s.tracking.prefixes) > 0 {
		// Client-side caching: BCAST invalidations of what the unit
		// wrote (Redis sends them before its event loop sleeps).
		s.trackingBroadcastLocked()
	}
	// Pub/sub hook: messages first, so a blocked client served in this
	// unit gets the ones published before its reply ahead of it.
	if len(s.pubsub.dirty) > 0 {
		s.dispatchMessagesLocked()
	}
	if len(s.deliveries) > 0 {
		s.dispatchDeliveriesLocked()
	}
	if len(s.repl.dirty) > 0 || s.repl.getack {
		s.dispatchReplicasLocked()
	}
}

// countError records an error reply for INFO errorstats. Holds mu.
func (s *Server) countError(msg string) {
	s.stats.errorReplies++
	prefix, _, _ := strings.Cut(msg, " ")
	if len(s.stats.errors) >= 128 && s.stats.errors[prefix] == 0 {
		// Like Redis, stop tracking new error kinds past 128.
		return
	}
	s.stats.errors[prefix]++
}

// feedMonitors sends a command to every MONITOR client, in Redis's format:
// +1339518083.107412 [0 127.0.0.1:60866] "keys" "*". Holds mu.
func (s *Server) feedMonitors(c *Client, argv [][]byte) {
	now := time.Now()
	var b strings.Builder
	addr := c.addr
	if c.unix {
		addr = "unix:" + s.unixsocket
	}
	fmt.Fprintf(&b, "+%d.%06d [%d %s]", now.Unix(), now.Nanosecond()/1000, c.db, addr)
	for _, a := range argv {
		b.WriteByte(' ')
		b.WriteString(quoteArg(a))
	}
	b.WriteString("\r\n")
	line := []byte(b.String())
	for m := range s.monitors {
		if m == c {
			continue
		}
		// Written on the monitor's own loop through write, which enforces
		// its output buffer limit: a monitor that stops reading is cut off
		// instead of growing without bound.
		m := m
		if err := m.conn.Execute(func() {
			if !m.closed.Load() {
				m.write(line)
			}
		}); err != nil {
			_ = m.conn.Close()
		}
	}
}

// quoteArg quotes like Redis's sdscatrepr.
func quoteArg(a []byte) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, ch := range a {
		switch ch {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if ch < 32 || ch > 126 {
				fmt.Fprintf(&b, `\x%02x`, ch)
			} else {
				b.WriteByte(ch)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ---- background -------------------------------------------------------------

// cron runs hz times a second: active expiry, idle-client timeout, ops/sec
// sampling, pause expiry. Owned by Start/Close.
func (s *Server) cron() {
	defer s.cronDone.Done()
	for {
		hz := s.hz.Load()
		if hz < 1 {
			hz = 10
		}
		select {
		case <-s.stopCron:
			return
		case <-time.After(time.Second / time.Duration(hz)):
		}
		if s.cronPaused.Load() {
			continue
		}
		s.cronTick()
	}
}

// cronTick is one run of the cron's work. The cron's goroutine (or a
// test) only.
func (s *Server) cronTick() {
	if !s.activeExpireOff.Load() {
		s.activeExpireCycle()
	}
	if now := time.Now(); now.Sub(s.replyCapAt) >= time.Second {
		// File reads (/proc, cgroup): outside the lock.
		s.updateReplyCap()
		s.replyCapAt = now
	}
	s.mu.Lock()
	s.clockBase = time.Now()
	s.sampleOps()
	s.closeIdleClientsLocked()
	s.pause.expire()
	now := time.Now()
	s.updateFailoverLocked(now)
	s.wakePsyncWaitersLocked()
	s.shutdownCronLocked(now)
	if !s.loading.Load() {
		// Not a snapshot of half a keyspace (a replica's load lets
		// the cron in between its steps).
		s.saveCronLocked(now)
	}
	waiting := s.clientsCronLocked()
	s.idleMemoryCronLocked(now)
	s.quietFlushCronLocked(now)
	s.diskCronLocked()
	if s.trackingOverLimitLocked() {
		s.trackingLimitLocked(nil)
		s.commitLocked() // hands the invalidations to their loops
	}
	if now.Sub(s.replCronAt) >= time.Second {
		s.replCronAt = now
		s.replCronLocked(now)
	}
	s.mu.Unlock()
	s.queueOutputChecks(waiting)
}

// clientsCronLocked is the cron's one walk over the clients: it lists
// those whose loops last found reply bytes waiting, and keeps the recent
// peaks of the clients' buffers (INFO's client_recent_max_*). Holds mu.
func (s *Server) clientsCronLocked() []*Client {
	var out []*Client
	// The buffer peaks: Redis's clientsCronTrackExpansiveClients. The
	// slot of the current second keeps the biggest input (a command's
	// part waiting, a blocked client's arguments) and output (replies
	// waiting on the loop) seen in it; the next slot is cleared for the
	// coming second.
	cur := int(time.Now().Unix() % clientPeakSlots)
	next := (cur + 1) % clientPeakSlots
	s.stats.peakIn[next], s.stats.peakOut[next] = 0, 0
	peakIn, peakOut := s.stats.peakIn[cur], s.stats.peakOut[cur]
	for _, c := range s.clients {
		pending := c.obuf.pending.Load()
		if pending > 0 {
			out = append(out, c)
		}
		peakIn = max(peakIn, int64(c.qbuf+c.argvBytes))
		peakOut = max(peakOut, pending)
	}
	s.stats.peakIn[cur], s.stats.peakOut[cur] = peakIn, peakOut
	return out
}

// sampleOps keeps instantaneous_ops_per_sec like Redis (a moving average of
// 16 samples). Holds mu.
func (s *Server) sampleOps() {
	now := time.Now()
	if s.stats.lastSampleTime.IsZero() {
		s.stats.lastSampleTime, s.stats.lastOpsCount = now, s.stats.commands
		return
	}
	dt := now.Sub(s.stats.lastSampleTime)
	if dt < 100*time.Millisecond {
		return
	}
	ops := s.stats.commands - s.stats.lastOpsCount
	s.stats.opsSamples[s.stats.opsSampleIdx%len(s.stats.opsSamples)] = int64(float64(ops) / dt.Seconds())
	s.stats.opsSampleIdx++
	s.stats.lastSampleTime, s.stats.lastOpsCount = now, s.stats.commands
}

func (s *Server) instantaneousOps() int64 {
	var sum int64
	for _, v := range s.stats.opsSamples {
		sum += v
	}
	return sum / int64(len(s.stats.opsSamples))
}

// closeIdleClientsLocked applies the `timeout` config. Holds mu.
func (s *Server) closeIdleClientsLocked() {
	timeout := time.Duration(s.cfg.Timeout) * time.Second
	if timeout <= 0 {
		return
	}
	now := time.Now().UnixNano()
	for _, c := range s.clients {
		if _, mon := s.monitors[c]; mon || c.isReplica() {
			continue
		}
		if now-c.lastInteraction.Load() > int64(timeout) {
			s.log.Debug("closing idle client", "client", c.addr)
			_ = c.conn.Close()
		}
	}
}

// clientPeakSlots is Redis's CLIENTS_PEAK_MEM_USAGE_SLOTS: INFO's
// client_recent_max_input_buffer and _output_buffer are the biggest
// buffers seen in the last this many seconds.
const clientPeakSlots = 8

// fatal logs and exits: used when durability can no longer be guaranteed,
// as Redis exits when it cannot write its AOF under appendfsync always.
func (s *Server) fatal(msg string, err error) {
	s.log.Error(msg, "err", err)
	os.Exit(1)
}
