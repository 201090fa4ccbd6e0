package daemon

import (
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/redoubtdb/redoubt/storage"
)

// diskGuard keeps a full disk from stopping the server. Pebble cannot go on
// after a failed write to its log (it panics), so the guard refuses write
// commands, with Redis's MISCONF error, before the disk runs out:
//
//   - refusing starts when the store's file system has less than
//     disk-reserve available (checked every cron tick), or at once when the
//     store reports that a write failed for lack of space (the store then
//     deleted its ballast, disk-reserve bytes, so the writes already
//     accepted still reach its log);
//   - refusing ends when twice disk-reserve is available and the ballast is
//     back in place (the guard re-creates it once there is room for it);
//   - reads go on throughout. PING is refused too, as Redis refuses it on a
//     persistence error, so that health checks and sentinels notice.
//
// Redis refuses writes the same way when it cannot write its AOF, but only
// after a write failed; Redoubt stops before, and resumes on its own, as
// Redis does, once space is freed. etcd's NOSPACE alarm and CockroachDB's
// emergency ballast are the same two ideas.
type diskGuard struct {
	store storage.DiskGuarded // nil: the store has no disk (memory backend)
	// refusing is set by the cron, and by the store's disk-full callback
	// from whichever goroutine wrote (which may hold Server.mu, so the
	// callback only stores this); read by call under mu.
	refusing atomic.Bool

	// Under Server.mu:
	restoring bool   // a cron task is re-creating the ballast
	events    uint64 // the store's DiskFullEvents when last checked
	full      bool   // refusing because a write failed, not for low space
	avail     uint64 // bytes available at the last check
	lastErr   string // the last error logged, so each is logged once
	starting  bool   // the first check, at start: no "recovered" line
}

// initDiskGuardLocked hooks the guard to the store and checks the disk once,
// so that a server started on a full disk refuses writes from its first
// command. It starts out refusing, so a restart keeps the hysteresis: writes
// are accepted only where a running server would resume them. Holds mu.
func (s *Server) initDiskGuardLocked() {
	g, ok := s.store.(storage.DiskGuarded)
	if !ok {
		return
	}
	s.disk.store = g
	if r, m := s.cfg.DiskReserve, s.cfg.MemtableSize; r > 0 && r < 4*m {
		// What is still in memtables when writes stop must fit.
		s.log.Warn("disk-reserve is below four memtables: a full disk may stop the server",
			"disk-reserve", bytesToHuman(uint64(r)), "memtable-size", bytesToHuman(uint64(m)))
	}
	g.OnDiskFull(func() { s.disk.refusing.Store(true) })
	s.disk.refusing.Store(true)
	s.disk.starting = true
	s.diskCronLocked()
	s.disk.starting = false
	if s.disk.refusing.Load() {
		s.log.Warn("the disk is nearly full: refusing writes until twice disk-reserve is available",
			"dir", s.cfg.Dir, "available", bytesToHuman(s.disk.avail), "disk-reserve", bytesToHuman(uint64(s.cfg.DiskReserve)))
	}
}

// diskCronLocked is the guard's cron step. Holds mu.
func (s *Server) diskCronLocked() {
	d := &s.disk
	if d.store == nil {
		return
	}
	reserve := uint64(s.cfg.DiskReserve)
	events := d.store.DiskFullEvents()
	failed := events != d.events
	d.events = events
	if failed {
		if !d.full {
			// Once per episode: compactions retried on a full disk fail
			// again and again.
			s.log.Error("the disk is full: a write failed for lack of space; released the emergency ballast and refusing writes",
				"dir", s.cfg.Dir, "disk-reserve", bytesToHuman(reserve))
		}
		d.full = true
		d.refusing.Store(true)
	}
	if reserve == 0 {
		if d.refusing.Load() && !failed {
			s.resumeWritesLocked("disk-reserve is 0")
		}
		return
	}
	avail, _, err := d.store.DiskSpace()
	if err != nil {
		// Unknown: keep the state (at start: accept writes, as without a
		// guard), and say so once.
		s.diskErrorLocked("can't read the disk's free space", err)
		if d.starting && !failed {
			s.resumeWritesLocked("")
		}
		return
	}
	d.avail = avail
	size, present := d.store.Ballast()
	// A store opened without a ballast (tests, tools) is guarded by the
	// threshold alone.
	ballastOK := present || size == 0
	if !ballastOK && avail >= 2*uint64(size) && !d.restoring {
		d.restoring = true
		s.goCronTask(func() error {
			_, err := d.store.RestoreBallast()
			return err
		}, func(err error) {
			d.restoring = false
			if err != nil {
				s.diskErrorLocked("can't create the emergency ballast", err)
			}
		})
	}
	switch {
	case !d.refusing.Load() && avail < reserve:
		d.full = false
		d.refusing.Store(true)
		s.log.Warn("the disk is nearly full: refusing writes until twice disk-reserve is available",
			"dir", s.cfg.Dir, "available", bytesToHuman(avail), "disk-reserve", bytesToHuman(reserve))
	case d.refusing.Load() && !failed && ballastOK && avail >= 2*reserve:
		s.resumeWritesLocked(bytesToHuman(avail) + " available")
	}
}

func (s *Server) resumeWritesLocked(why string) {
	if s.disk.store.DiskFullEvents() != s.disk.events {
		return // a write failed since the check: the next one sees it
	}
	s.disk.refusing.Store(false)
	s.disk.full = false
	s.disk.lastErr = ""
	if s.disk.starting {
		return
	}
	s.log.Info("disk space recovered: writes are accepted again", "dir", s.cfg.Dir, "why", why)
}

func (s *Server) diskErrorLocked(msg string, err error) {
	if e := msg + ": " + err.Error(); e != s.disk.lastErr {
		s.disk.lastErr = e
		s.log.Error(msg, "dir", s.cfg.Dir, "err", err)
	}
}

// setDiskReserveLocked carries CONFIG SET disk-reserve to the ballast (the
// cron makes the new one). Holds mu.
func (s *Server) setDiskReserveLocked() {
	if s.disk.store == nil {
		return
	}
	if err := s.disk.store.SetBallast(int64(s.cfg.DiskReserve)); err != nil {
		s.diskErrorLocked("can't resize the emergency ballast", err)
	}
}

// diskRefuses reports whether cmd is refused for c now, for want of disk
// space or after a failed background save (stop-writes-on-bgsave-error):
// a write command, an EXEC whose queue holds one, or PING, as Redis's
// writeCommandsDeniedByDiskError. Holds mu.
func (s *Server) diskRefuses(c *Client, cmd *command) bool {
	if !s.disk.refusing.Load() && !s.bgsaveErrorRefuses() {
		return false
	}
	return writesData(c, cmd) || cmd.name == "ping"
}

// writesData reports whether cmd writes the keyspace, an EXEC counting as
// the writes it queued: what Redis's is_write_command covers for the
// refusals (disk errors, read-only replicas, min-replicas-to-write). Holds
// mu.
func writesData(c *Client, cmd *command) bool {
	return cmd.has(flagWrite) || (cmd.name == "exec" && c.multi.active && c.multi.queued(flagWrite))
}

// bgsaveErrorRefuses: the last background save failed and Redis's
// stop-writes-on-bgsave-error applies. Holds mu.
func (s *Server) bgsaveErrorRefuses() bool {
	return s.cfg.StopWritesOnBgsaveError && len(s.cfg.Save) > 0 && !s.save.lastOK
}

// errBgsaveMisconf is Redis 7.0's reply word for word.
const errBgsaveMisconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."

// diskRefusal is the MISCONF reply while writes are refused; a failed
// snapshot comes first, as in Redis. Holds mu.
func (s *Server) diskRefusal() string {
	if s.bgsaveErrorRefuses() {
		return errBgsaveMisconf
	}
	d := &s.disk
	reserve := uint64(s.cfg.DiskReserve)
	if reserve == 0 {
		return "MISCONF Errors writing to disk: No space left on device"
	}
	// The store's callback may have raised refusing before the cron saw the
	// event that set full.
	if d.full || (d.store != nil && d.store.DiskFullEvents() != d.events) {
		return fmt.Sprintf("MISCONF Errors writing to disk: No space left on device. Redoubt refuses writes until %s are available on the disk of its data directory", bytesToHuman(2*reserve))
	}
	return fmt.Sprintf("MISCONF Redoubt refuses writes while the disk of its data directory is nearly full: %s available; writes stop below disk-reserve (%s) and resume once %s are available",
		bytesToHuman(d.avail), bytesToHuman(reserve), bytesToHuman(2*reserve))
}

// infoDisk is the guard's part of INFO persistence (Redoubt's own fields).
// Holds mu.
func (s *Server) infoDisk() []infoField {
	d := &s.disk
	if d.store == nil {
		return nil
	}
	_, present := d.store.Ballast()
	return []infoField{
		{"disk_available", strconv.FormatUint(d.avail, 10)},
		{"disk_reserve", strconv.FormatUint(uint64(s.cfg.DiskReserve), 10)},
		{"disk_ballast_present", boolInfo(present)},
		{"disk_writes_refused", boolInfo(d.refusing.Load())},
		{"disk_full_events", strconv.FormatUint(d.events, 10)},
	}
}
