package daemon

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FAILOVER: a coordinated hand-over from this primary to one of its
// replicas, as Redis 6.2+ does it (replication.c, failoverCommand). The
// primary pauses writes, waits until a replica has acknowledged its whole
// stream, turns itself into a replica of that one and sends it
// PSYNC <id> <offset> FAILOVER, which makes the target promote itself and
// continue the old primary's history. Writes held by the pause then meet a
// replica and are refused: none is acknowledged and lost.

// failoverPhase is INFO's master_failover_state.
type failoverPhase int

const (
	noFailover         failoverPhase = iota
	failoverWaitSync                 // writes paused, waiting for a replica to catch up
	failoverInProgress               // following the target, asking it to take over
)

func (p failoverPhase) String() string {
	switch p {
	case failoverWaitSync:
		return "waiting-for-sync"
	case failoverInProgress:
		return "failover-in-progress"
	}
	return "no-failover"
}

// failoverState is a FAILOVER under way. Guarded by Server.mu.
type failoverState struct {
	phase failoverPhase
	// The target, empty until one is chosen when none was named.
	host string
	port int
	// end is when waiting for the target stops, zero for never; force
	// fails over to it then even if it has not caught up.
	end   time.Time
	force bool
}

func init() {
	registrations = append(registrations, func(t *commandTable) { t.register("failover", cmdFailover) })
}

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]
func cmdFailover(c *Client, argv [][]byte) {
	s := c.srv
	f := &s.repl.failover
	if len(argv) == 2 && equalFold(argv[1], "abort") {
		if f.phase == noFailover {
			c.ReplyError("ERR No failover in progress.")
			return
		}
		s.abortFailoverLocked("Failover manually aborted")
		c.ReplyOK()
		return
	}
	var (
		timeout int64
		force   bool
		host    string
		hostSet bool
		port    int64
	)
	for j := 1; j < len(argv); j++ {
		switch {
		case equalFold(argv[j], "timeout") && j+1 < len(argv) && timeout == 0:
			n, ok := parseInt(argv[j+1])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			if n <= 0 {
				c.ReplyError("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = n
			j++
		case equalFold(argv[j], "to") && j+2 < len(argv) && !hostSet:
			n, ok := parseInt(argv[j+2])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			host, hostSet, port = string(argv[j+1]), true, n
			j += 2
		case equalFold(argv[j], "force") && !force:
			force = true
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	switch {
	case f.phase != noFailover:
		c.ReplyError("ERR FAILOVER already in progress.")
		return
	case s.repl.master != nil:
		c.ReplyError("ERR FAILOVER is not valid when server is a replica.")
		return
	case len(s.repl.replicas) == 0:
		c.ReplyError("ERR FAILOVER requires connected replicas.")
		return
	case force && (timeout == 0 || !hostSet):
		c.ReplyError("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if hostSet {
		r := s.findReplicaLocked(host, port)
		if r == nil {
			c.ReplyError("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if r.repl.state != replicaOnline {
			c.ReplyError("ERR FAILOVER target replica is not online.")
			return
		}
		s.log.Info(fmt.Sprintf("FAILOVER requested to %s:%d.", host, port))
	} else {
		s.log.Info("FAILOVER requested to any replica.")
	}
	*f = failoverState{phase: failoverWaitSync, host: host, port: int(port), force: force}
	if timeout > 0 {
		f.end = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	s.pause.start(pauseForFailover, pauseForever, false)
	c.ReplyOK()
}

// findReplicaLocked is the replica that announced host (or connects from
// it) and listens on port, or nil. Holds mu.
func (s *Server) findReplicaLocked(host string, port int64) *Client {
	for _, c := range s.repl.replicas {
		if int64(c.repl.port) == port && strings.EqualFold(s.replicaIP(c), host) {
			return c
		}
	}
	return nil
}

// target names the failover's target for logs.
func (f *failoverState) target() string {
	if f.host == "" {
		return "any replica"
	}
	return f.host + ":" + strconv.Itoa(f.port)
}

// updateFailoverLocked moves a waiting failover on: to its target once
// that has acknowledged the whole stream (or to the first replica that
// has, when none was named), or, at the timeout, to the target anyway
// (FORCE) or back to normal. Called by cron and on every ACK. Holds mu.
func (s *Server) updateFailoverLocked(now time.Time) {
	f := &s.repl.failover
	if f.phase != failoverWaitSync {
		return
	}
	if !f.end.IsZero() && !now.Before(f.end) {
		if f.force {
			s.log.Info(fmt.Sprintf("FAILOVER to %s time out exceeded, failing over.", f.target()))
			s.startFailoverLocked()
			return
		}
		s.abortFailoverLocked("Replica never caught up before timeout")
		return
	}
	var target *Client
	if f.host != "" {
		target = s.findReplicaLocked(f.host, int64(f.port))
	} else {
		for _, c := range s.repl.replicas {
			if c.repl.ackOff == s.repl.offset {
				target = c
				f.host, f.port = s.replicaIP(c), c.repl.port
				break
			}
		}
	}
	if target != nil && target.repl.ackOff == s.repl.offset {
		s.log.Info(fmt.Sprintf("Failover target %s:%d is synced, failing over.", f.host, f.port))
		s.startFailoverLocked()
	}
}

// startFailoverLocked turns this primary into a replica of the target,
// whose link asks it to take over (linkOnce). Writes stay paused until it
// answers. Holds mu.
func (s *Server) startFailoverLocked() {
	f := &s.repl.failover
	f.phase = failoverInProgress
	s.followLocked(f.host, f.port)
}

// failoverAnsweredLocked ends a failover in progress when the target
// answered its PSYNC FAILOVER: accepted (+CONTINUE or +FULLRESYNC), this
// server stays its replica; refused, it is a primary again. Reports
// whether the link may go on. Holds mu.
func (s *Server) failoverAnsweredLocked(reply string) bool {
	if s.repl.failover.phase != failoverInProgress {
		return true
	}
	if strings.HasPrefix(reply, "+CONTINUE") || strings.HasPrefix(reply, "+FULLRESYNC") {
		s.clearFailoverLocked()
		return true
	}
	s.abortFailoverLocked("Failover target rejected psync request")
	return false
}

// abortFailoverLocked gives up a failover: a primary that had already
// turned replica becomes a primary again (with a new replication id, as
// REPLICAOF NO ONE gives it), and writes resume. Holds mu.
func (s *Server) abortFailoverLocked(why string) {
	f := &s.repl.failover
	if f.phase == noFailover {
		return
	}
	s.log.Info(fmt.Sprintf("FAILOVER to %s aborted: %s", f.target(), why))
	if f.phase == failoverInProgress && s.repl.master != nil {
		s.promoteLocked()
	}
	s.clearFailoverLocked()
}

// clearFailoverLocked ends the failover and its pause of writes. Holds mu.
func (s *Server) clearFailoverLocked() {
	s.repl.failover = failoverState{}
	s.pause.end(pauseForFailover)
}

// failoverPsyncLocked serves PSYNC <replid> <offset> FAILOVER on a replica:
// its primary hands over, and this replica becomes a primary that
// continues the same history, so the PSYNC that follows succeeds. Reports
// whether the PSYNC goes on. Holds mu.
func (s *Server) failoverPsyncLocked(c *Client, replid string) bool {
	s.log.Warn("Failover request received for replid " + replid + ".")
	if s.repl.master == nil {
		c.ReplyError("ERR PSYNC FAILOVER can't be sent to a master.")
		return false
	}
	if !strings.EqualFold(replid, s.repl.id) {
		c.ReplyError("ERR PSYNC FAILOVER replid must match my replid.")
		return false
	}
	s.promoteLocked()
	s.log.Info(fmt.Sprintf("MASTER MODE enabled (failover request from 'id=%d addr=%s')", c.id, c.addr))
	return true
}

// failoverCatchUp is how long a PSYNC FAILOVER waits for this replica to
// apply the stream its primary sent before asking (psyncCatchUpLocked).
const failoverCatchUp = time.Second

// psyncCatchUpLocked holds a PSYNC <replid> <offset> FAILOVER back while
// this replica's link is up and has not yet applied the stream up to the
// offset the primary asks to continue from. Redis reads the link and the
// new connection on its one thread, in the order their bytes came, so the
// writes its primary made before handing over are applied before it takes
// over; here the link has its own goroutine, which may not have run yet
// when the loop reads the PSYNC. Taking over first would drop those writes
// (acknowledged to their clients) and make the old primary's PSYNC a full
// sync of this replica's shorter history. It waits up to failoverCatchUp,
// then goes on as Redis would; the link's progress, its end and the cron
// wake it (wakePsyncWaitersLocked). Reports whether c must wait. Holds mu.
func (s *Server) psyncCatchUpLocked(c *Client, argv [][]byte) bool {
	if len(argv) < 4 || !equalFold(argv[0], "psync") || !equalFold(argv[3], "failover") {
		return false
	}
	m := s.repl.master
	off, ok := parseInt(argv[2])
	if m == nil || m.client == nil || !ok || off <= s.repl.offset+1 || !strings.EqualFold(string(argv[1]), s.repl.id) {
		c.psyncWait = time.Time{}
		return false
	}
	now := time.Now()
	switch {
	case c.psyncWait.IsZero():
		c.psyncWait = now.Add(failoverCatchUp)
		s.log.Info(fmt.Sprintf("Failover request for offset %d: waiting for the stream from my master, applied up to %d.", off-1, s.repl.offset))
	case !now.Before(c.psyncWait):
		c.psyncWait = time.Time{}
		s.log.Warn(fmt.Sprintf("Failover request for offset %d: the stream from my master stopped at %d.", off-1, s.repl.offset))
		return false
	}
	if s.repl.psyncWaiters == nil {
		s.repl.psyncWaiters = map[*Client]struct{}{}
	}
	s.repl.psyncWaiters[c] = struct{}{}
	return true
}

// wakePsyncWaitersLocked has the PSYNC FAILOVERs waiting for the stream
// try again: it moved on, the link ended, or time passed. Holds mu.
func (s *Server) wakePsyncWaitersLocked() {
	for c := range s.repl.psyncWaiters {
		_ = c.conn.Wake()
	}
	clear(s.repl.psyncWaiters)
}
