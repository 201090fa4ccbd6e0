package daemon

import (
	"math"
	"time"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...) park their client until
// one of its keys can serve it, like Redis's blocked.c:
//
//   - A blocked client's later commands stay unread in its connection
//     buffer; its event loop goes on serving other connections.
//   - When a list or sorted set key is created (the only way a key someone
//     waits on can become servable: clients only wait on missing keys), the
//     key is marked ready. After the command that created it, still under
//     the lock and in the same unit, the server offers the key to its
//     waiters in arrival order; each waiter's serve function pops for it (a
//     waiter for another type declines and keeps waiting).
//   - The reply is built under the lock into a buffer of its own (the
//     client's loop may be flushing its previous replies at that moment),
//     then handed to the client's loop with the unit's durability sequence,
//     so under appendfsync always it is held until the pop is durable, like
//     any other reply. Only then does the client read its next command.
//   - Timeouts are timers, exact to the millisecond; CLIENT UNBLOCK ends a
//     wait early.

// blockState is the wait of one blocked client. Guarded by Server.mu.
type blockState struct {
	db        int
	typ       storage.Type // what the client pops: list or sorted set
	keys      []string
	serve     func(c *Client, key []byte) bool
	onTimeout func(c *Client)
	timer     *time.Timer
	// done: served, timed out or unblocked; the reply is on its way to
	// the client's loop, which clears Client.block when it arrives.
	done bool
	// The blocking call, for the statistics Redis records only when a
	// wait ends in a serve or a CLIENT UNBLOCK (updateStatsOnUnblock):
	// the command, its arguments as the slow log shows them (a copy),
	// and how long the call that blocked took. Set by invoke.
	cmd      *command
	shown    [][]byte
	duration time.Duration
}

// unblockedStat is a served wait whose statistics are recorded after the
// command that served it, as Redis logs a pop it serves after the push.
type unblockedStat struct {
	c      *Client
	st     *blockState
	reply  time.Duration // how long serving took
	failed bool          // the serve replied with an error
}

type waitKey struct {
	db  int
	key string
}

// delivery is a reply for a client that was blocked, waiting for the unit
// that produced it to be committed.
type delivery struct {
	c   *Client
	buf []byte
}

// blockClient parks c, which is running a blocking command, until one of
// keys (in c's database) is ready and serve returns true for it, or timeout
// (0: never) passes and onTimeout replies. serve runs under Server.mu from
// whichever connection made the key ready; it must either reply to c and
// return true (a served pop, or an error such as a wrong destination type)
// or return false without replying to keep waiting. Holds mu.
func (s *Server) blockClient(c *Client, keys [][]byte, t storage.Type, timeout time.Duration, serve func(c *Client, key []byte) bool, onTimeout func(c *Client)) {
	st := &blockState{db: c.db, typ: t, serve: serve, onTimeout: onTimeout}
	s.blockedBy[t]++
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[string(k)] {
			continue
		}
		seen[string(k)] = true
		st.keys = append(st.keys, string(k))
		wk := waitKey{c.db, string(k)}
		s.waiters[wk] = append(s.waiters[wk], c)
	}
	c.block = st
	s.blocked[c] = struct{}{}
	if timeout > 0 {
		st.timer = time.AfterFunc(timeout, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if c.block != st || st.done {
				return
			}
			s.finishBlockLocked(c, st.onTimeout)
			s.commitLocked()
		})
	}
}

// finishBlockLocked ends c's wait with the reply reply writes, queued for
// delivery. Holds mu.
func (s *Server) finishBlockLocked(c *Client, reply func(c *Client)) {
	st := c.block
	st.done = true
	if st.timer != nil {
		st.timer.Stop()
	}
	s.forgetWaiterLocked(c, st)
	var buf []byte
	c.redirect = &buf
	reply(c)
	c.redirect = nil
	s.deliveries = append(s.deliveries, delivery{c, buf})
}

// forgetWaiterLocked removes c from the queues of its keys.
func (s *Server) forgetWaiterLocked(c *Client, st *blockState) {
	for _, k := range st.keys {
		wk := waitKey{st.db, k}
		q := s.waiters[wk]
		for i, w := range q {
			if w == c {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(s.waiters, wk)
		} else {
			s.waiters[wk] = q
		}
	}
	if _, ok := s.blocked[c]; ok {
		s.blockedBy[st.typ]--
	}
	delete(s.blocked, c)
}

// signalKeyLocked marks key ready if somebody waits on it (keyspace hook:
// a list or sorted set was created). Holds mu.
func (s *Server) signalKeyLocked(db int, key []byte) {
	if len(s.waiters) == 0 {
		return
	}
	wk := waitKey{db, string(key)}
	if _, ok := s.waiters[wk]; !ok {
		return
	}
	if _, ok := s.readySet[wk]; ok {
		return
	}
	s.readySet[wk] = struct{}{}
	s.ready = append(s.ready, wk)
}

// signalDBLocked marks every waited-on key of db ready (SWAPDB brought
// other data in).
func (s *Server) signalDBLocked(db int) {
	for wk := range s.waiters {
		if wk.db == db {
			s.signalKeyLocked(wk.db, []byte(wk.key))
		}
	}
}

// serveReadyLocked offers every ready key to its waiters, oldest first,
// until no ready key is left (serving may create keys others wait on:
// BLMOVE). Holds mu, after a command.
func (s *Server) serveReadyLocked() {
	for len(s.ready) > 0 {
		ready := s.ready
		s.ready = nil
		clear(s.readySet)
		for _, wk := range ready {
			queue := append([]*Client(nil), s.waiters[wk]...)
			for _, w := range queue {
				st := w.block
				if st == nil || st.done {
					continue
				}
				var buf []byte
				w.redirect = &buf
				w.failed = false
				t0 := time.Now()
				served := st.serve(w, []byte(wk.key))
				w.redirect = nil
				if !served {
					continue
				}
				s.unblocked = append(s.unblocked, unblockedStat{w, st, time.Since(t0), w.failed})
				st.done = true
				if st.timer != nil {
					st.timer.Stop()
				}
				// The pop went to the stream at once (no unit is open
				// here): a WAIT of w's waits for it, as for w's own writes.
				w.woff = s.repl.offset
				s.forgetWaiterLocked(w, st)
				s.deliveries = append(s.deliveries, delivery{w, buf})
			}
		}
	}
}

// recordUnblockedLocked records what Redis records when a wait ends in a
// serve or a CLIENT UNBLOCK (updateStatsOnUnblock): the blocking call's
// time plus the serve's in the command's statistics, its latency
// histogram and the slow log, and the serve's time as the latency
// monitor's "command-unblocking" event. A wait that times out, or a WAIT
// that its replicas end, records nothing more, as in Redis. Holds mu.
func (s *Server) recordUnblockedLocked(c *Client, st *blockState, reply time.Duration, failed bool) {
	cmd := st.cmd
	if cmd == nil {
		return
	}
	total := st.duration + reply
	cmd.stats.usec += total.Microseconds()
	if failed {
		cmd.stats.failed++
	}
	s.recordCallLocked(c, cmd, st.shown, total)
	s.latmon.addIfNeeded("command-unblocking", reply)
}

// recordCallLocked records a call of cmd (argv as the slow log shows it)
// that took d in cmd's latency histogram and, unless cmd is kept out of
// it, the slow log: at the end of a call, or for a blocking call when its
// wait is served. Holds mu.
func (s *Server) recordCallLocked(c *Client, cmd *command, argv [][]byte, d time.Duration) {
	s.recordLatencyLocked(cmd, d.Nanoseconds())
	if !cmd.has(flagSkipSlowlog) {
		s.slowlog.add(c, argv, d, int64(s.cfg.SlowlogLogSlowerThan), int64(s.cfg.SlowlogMaxLen))
	}
}

// dispatchDeliveriesLocked hands replies of served waiters to their loops,
// to be sent once the unit just committed is durable. Holds mu.
func (s *Server) dispatchDeliveriesLocked() {
	seq := s.dur.requiredSeq()
	for _, d := range s.deliveries {
		c, buf := d.c, d.buf
		if err := c.conn.Execute(func() { c.deliverUnblocked(buf, seq) }); err != nil {
			_ = c.conn.Close()
		}
	}
	s.deliveries = s.deliveries[:0]
}

// deliverUnblocked sends the reply that ended c's wait and resumes reading
// its commands. On c's loop.
func (c *Client) deliverUnblocked(buf []byte, seq uint64) {
	if c.closed.Load() {
		return
	}
	c.out = append(c.out, buf...)
	c.flush(seq)
	c.srv.mu.Lock()
	c.block = nil
	c.argvBytes = 0
	c.srv.mu.Unlock()
	_ = c.conn.Wake()
}

// unblockOnCloseLocked forgets a blocked client whose connection closed.
func (s *Server) unblockOnCloseLocked(c *Client) {
	st := c.block
	if st == nil {
		return
	}
	if st.timer != nil {
		st.timer.Stop()
	}
	if !st.done {
		s.forgetWaiterLocked(c, st)
	}
	st.done = true
}

// blockedCounts is INFO's blocked_clients and clients_in_timeout_table.
func (s *Server) blockedCounts() (blocked, withTimeout int) {
	// As in Redis 7.0, a client held by CLIENT PAUSE is blocked
	// (BLOCKED_POSTPONE), with no timeout.
	blocked = len(s.pause.waiting)
	for c := range s.blocked {
		blocked++
		if c.block != nil && c.block.timer != nil {
			withTimeout++
		}
	}
	return blocked, withTimeout
}

// parseBlockTimeout parses a blocking command's timeout in seconds like
// Redis 7.0's getTimeoutFromObjectOrReply: a float, rounded up to the
// millisecond; 0 waits forever.
func parseBlockTimeout(c *Client, arg []byte) (time.Duration, bool) {
	ld, ok := resp.ParseLongDouble(arg)
	if !ok {
		c.ReplyError("ERR timeout is not a float or out of range")
		return 0, false
	}
	// Out of range becomes LLONG_MIN, as Redis's C cast makes it:
	// "negative".
	tval := ld.CeilMulInt64(1000)
	if tval < 0 {
		c.ReplyError("ERR timeout is negative")
		return 0, false
	}
	// Redis 7.0 adds the clock without an overflow check; such a wait
	// never ends in practice, and neither does this one.
	return time.Duration(min(tval, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond, true
}

// parseMillisTimeout parses a timeout in milliseconds like Redis 7.0's
// getTimeoutFromObjectOrReply with UNIT_MILLISECONDS (CLIENT PAUSE,
// WAIT): an integer, not negative.
func parseMillisTimeout(c *Client, arg []byte) (int64, bool) {
	ms, ok := parseInt(arg)
	if !ok {
		c.ReplyError("ERR timeout is not an integer or out of range")
		return 0, false
	}
	if ms < 0 {
		c.ReplyError("ERR timeout is negative")
		return 0, false
	}
	return ms, true
}

// keyCreated is the keyspace hook behind signalKeyLocked. Like Redis's
// signalKeyAsReady, a key of a type no client waits for is not marked
// ready at all: this decides which of a client's keys serves it when one
// unit (EXEC) creates several, since ready keys are offered in the order
// they were marked.
func (s *Server) keyCreated(db int, key []byte, t storage.Type) {
	if (t == storage.TypeList || t == storage.TypeZSet) && s.blockedBy[t] > 0 {
		s.signalKeyLocked(db, key)
	}
}
