package daemon

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/redoubtdb/redoubt/conf"
)

// Shutting down as Redis 7.0 does (server.c, prepareForShutdown and
// finishShutdown), for SHUTDOWN and for SIGTERM/SIGINT alike: a primary
// with replicas that lag pauses writes and waits up to shutdown-timeout
// seconds for them to acknowledge its whole stream, so that a planned
// restart loses nothing they could have had; then it saves an RDB snapshot
// if asked to (or if save points are configured) and hands the exit to the
// process owner. SHUTDOWN ABORT, or a failed save without FORCE, cancels
// it and the server goes on.

// shutdownState is a shutdown under way. Guarded by Server.mu.
type shutdownState struct {
	// deadline is when waiting for lagging replicas ends; zero when not
	// waiting.
	deadline time.Time
	// finishing: saving before the exit.
	finishing bool
	flags     conf.ShutdownFlags
	// signalled: a signal asked for it (a second SIGINT exits at once).
	signalled bool
	// waiting are the SHUTDOWN callers, parked until it ends.
	waiting []*Client
	// gen counts cancelled shutdowns: a save that ends after one was
	// cancelled must not exit.
	gen int
}

func (st *shutdownState) initiated() bool { return !st.deadline.IsZero() || st.finishing }

// ShutdownRequest is a shutdown handed to the process owner.
type ShutdownRequest struct {
	Save  bool // an RDB snapshot was written for it
	Force bool
}

// ShutdownRequests delivers the shutdowns the server decided on (SHUTDOWN,
// or a signal passed to SignalShutdown): the owner then drains and exits.
func (s *Server) ShutdownRequests() <-chan ShutdownRequest { return s.shutdownReq }

// cmdShutdown implements SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Like
// Redis, the caller gets no reply when the server exits, only the closed
// connection; it gets an error if the shutdown is cancelled.
func cmdShutdown(c *Client, argv [][]byte) {
	var flags conf.ShutdownFlags
	abort := false
	for _, a := range argv[1:] {
		switch {
		case equalFold(a, "nosave"):
			flags.NoSave = true
		case equalFold(a, "save"):
			flags.Save = true
		case equalFold(a, "now"):
			flags.Now = true
		case equalFold(a, "force"):
			flags.Force = true
		case equalFold(a, "abort"):
			abort = true
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	if (abort && flags != conf.ShutdownFlags{}) || (flags.NoSave && flags.Save) {
		c.ReplyError(errSyntax)
		return
	}
	s := c.srv
	if abort {
		if !s.abortShutdownLocked() {
			c.ReplyError("ERR No shutdown in progress.")
			return
		}
		c.ReplyOK()
		return
	}
	c.park()
	s.shutdown.waiting = append(s.shutdown.waiting, c)
	if s.shutdown.initiated() {
		return // it waits for the one under way
	}
	s.prepareShutdownLocked(flags)
}

// SignalShutdown starts the shutdown a SIGTERM or SIGINT asks for, with the
// flags shutdown-on-sigterm or shutdown-on-sigint give; the owner then
// waits on ShutdownRequests. It reports true for a second SIGINT before
// the first one's shutdown ended: Redis then exits at once, with status 1.
func (s *Server) SignalShutdown(sig os.Signal) (exitNow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.shutdown
	if st.signalled && sig == syscall.SIGINT {
		s.log.Warn("You insist... exiting now.")
		return true
	}
	switch {
	case s.loading.Load():
		s.log.Warn("Received shutdown signal during loading, scheduling shutdown.")
	case sig == syscall.SIGINT:
		s.log.Warn("Received SIGINT scheduling shutdown...")
	default:
		s.log.Warn("Received SIGTERM scheduling shutdown...")
	}
	st.signalled = true
	if st.initiated() {
		return false
	}
	flags := s.cfg.ShutdownOnSigterm
	if sig == syscall.SIGINT {
		flags = s.cfg.ShutdownOnSigint
	}
	s.prepareShutdownLocked(flags)
	// Outside any command: send what it queued (the replicas' GETACK).
	s.commitLocked()
	return false
}

// prepareShutdownLocked starts a shutdown: it waits for lagging replicas
// unless NOW, shutdown-timeout 0 or none lags, else finishes at once.
// Holds mu.
func (s *Server) prepareShutdownLocked(flags conf.ShutdownFlags) {
	st := &s.shutdown
	if s.loading.Load() {
		// Never save a keyspace a replica is still loading.
		flags.Save, flags.NoSave = false, true
	}
	st.flags = flags
	s.log.Warn("User requested shutdown...")
	s.sdNotify("STOPPING=1\n")
	if !flags.Now && s.cfg.ShutdownTimeout != 0 && !s.replicasCaughtUpLocked() {
		st.deadline = time.Now().Add(time.Duration(s.cfg.ShutdownTimeout) * time.Second)
		if !s.pause.active() {
			s.repl.getack = true // ask for their offsets now, not in a second
		}
		s.pause.start(pauseForShutdown, pauseForever, false)
		s.log.Info("Waiting for replicas before shutting down.")
		return
	}
	s.finishShutdownLocked()
}

// replicasCaughtUpLocked reports whether every replica acknowledged the
// whole stream (true without replicas). Holds mu.
func (s *Server) replicasCaughtUpLocked() bool {
	for _, c := range s.repl.replicas {
		if c.repl.ackOff != s.repl.offset {
			return false
		}
	}
	return true
}

// shutdownCronLocked finishes a shutdown waiting for replicas once they
// caught up or its time is up. Called by cron and on every ACK. Holds mu.
func (s *Server) shutdownCronLocked(now time.Time) {
	st := &s.shutdown
	if !st.deadline.IsZero() && (!now.Before(st.deadline) || s.replicasCaughtUpLocked()) {
		s.finishShutdownLocked()
	}
}

// finishShutdownLocked logs the replicas left behind, saves if it must, and
// hands the exit to the owner; a failed save without FORCE cancels the
// shutdown. Holds mu.
func (s *Server) finishShutdownLocked() {
	st := &s.shutdown
	st.deadline = time.Time{}
	st.finishing = true
	now := time.Now()
	lagging := 0
	for _, c := range s.repl.replicas {
		l := c.repl
		if l.ackOff == s.repl.offset {
			continue
		}
		lagging++
		lag := int64(0)
		if l.state == replicaOnline {
			lag = int64(now.Sub(l.ackTime).Seconds())
		}
		s.log.Warn(fmt.Sprintf("Lagging replica %s reported offset %d behind master, lag=%d, state=%s.",
			s.replicaName(c), s.repl.offset-l.ackOff, lag, l.state))
	}
	if n := len(s.repl.replicas); n > 0 {
		s.log.Info(fmt.Sprintf("%d of %d replicas are in sync when shutting down.", n-lagging, n))
	}
	flags := st.flags
	if flags.NoSave || (!flags.Save && len(s.cfg.Save) == 0) {
		s.exitLocked(ShutdownRequest{Force: flags.Force})
		return
	}
	s.log.Info("Saving the final RDB snapshot before exiting.")
	s.sdNotify("STATUS=Saving the final RDB snapshot\n")
	gen := st.gen
	s.saveThenLocked(func(err error) {
		if st.gen != gen {
			return // cancelled meanwhile
		}
		if err != nil {
			if !flags.Force {
				s.log.Warn("Error trying to save the DB, can't exit.")
				s.sdNotify("STATUS=Error trying to save the DB, can't exit.\n")
				s.log.Warn("Errors trying to shut down the server. Check the logs for more information.")
				s.cancelShutdownLocked()
				return
			}
			s.log.Warn("Error trying to save the DB. Exit anyway.")
		}
		s.exitLocked(ShutdownRequest{Save: err == nil, Force: flags.Force})
	})
}

// exitLocked hands the shutdown to the owner and lets the SHUTDOWN callers'
// connections close. Holds mu.
func (s *Server) exitLocked(req ShutdownRequest) {
	select {
	case s.shutdownReq <- req:
	default:
		// A shutdown was already requested; the owner is on it.
	}
	for _, c := range s.shutdown.waiting {
		c.closeASAP = true
	}
	s.shutdown.waiting = nil
}

// cancelShutdownLocked ends a shutdown without exiting: its callers get
// Redis's error and writes resume. Holds mu.
func (s *Server) cancelShutdownLocked() {
	st := &s.shutdown
	for _, c := range st.waiting {
		c.resume([]byte("-ERR Errors trying to SHUTDOWN. Check logs.\r\n"))
	}
	*st = shutdownState{gen: st.gen + 1}
	s.pause.end(pauseForShutdown)
}

// abortShutdownLocked is SHUTDOWN ABORT: it reports false when no shutdown
// was under way. Holds mu.
func (s *Server) abortShutdownLocked() bool {
	if !s.shutdown.initiated() {
		return false
	}
	s.cancelShutdownLocked()
	s.log.Info("Shutdown manually aborted.")
	return true
}

// sdNotify sends systemd a status line when it supervises the server.
func (s *Server) sdNotify(msg string) {
	if s.notify != nil {
		s.notify(msg)
	}
}
