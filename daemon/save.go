package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubtdb/redoubt/storage/atomicfile"
)

// RDB snapshots: SAVE, BGSAVE [SCHEDULE], the `save` schedule and SHUTDOWN
// SAVE all write `dir/dbfilename` from a keyspace snapshot (snapshot.go).
// The keyspace itself is always persisted in the store; the RDB file is an
// export in Redis's format, for backups, tools and moving data to Redis.
//
// Unlike Redis, SAVE does not stop the server: the snapshot is taken at
// once and written by a goroutine while the calling client waits for its
// reply (its later commands wait too), and everyone else goes on. A save
// is written to a temporary file, fsynced and renamed over the target, so
// a failed save never leaves a partial file under the final name. A save
// still running when the server closes is stopped, as Redis kills its
// saving child at shutdown: the last complete file stays (abortSave).

// saveState is the bookkeeping behind INFO persistence. Guarded by mu,
// except keysDone.
type saveState struct {
	running   bool
	scheduled bool // BGSAVE asked for during EXEC: start from cron
	started   time.Time
	// changesAtStart is rdb_changes_since_last_save when the snapshot was
	// taken: a successful save subtracts it, as Redis subtracts
	// dirty_before_bgsave, so writes made during the save still count.
	changesAtStart int64
	lastOK         bool
	lastTry        int64 // unix seconds of the last attempt
	lastSeconds    int64 // duration of the last background save, -1 if none
	saves          int64 // successful saves since startup (rdb_saves)
	keysTotal      int64
	keysDone       atomic.Int64
	// onDone are called, under mu, when the running save ends (SAVE
	// answers its parked client, SHUTDOWN goes on or reports failure).
	onDone []func(err error)
	// abort makes the running save fail at its next write (Close, as
	// Redis kills its saving child at shutdown); writer is the
	// goroutine writing it, which Close waits for.
	abort  atomic.Bool
	writer sync.WaitGroup
}

// saveKeyHook, if set (by tests), runs after each key a save writes.
var saveKeyHook func()

// errSaveAborted is a save stopped by the server's shutdown.
var errSaveAborted = errors.New("save aborted: the server is shutting down")

// abortableWriter fails every write once abort is set.
type abortableWriter struct {
	w     io.Writer
	abort *atomic.Bool
}

func (a abortableWriter) Write(p []byte) (int, error) {
	if a.abort.Load() {
		return 0, errSaveAborted
	}
	return a.w.Write(p)
}

// errSaveInProgress is Redis's reply when a save is already running.
const errSaveInProgress = "ERR Background save already in progress"

func init() { registrations = append(registrations, registerSave) }

func registerSave(t *commandTable) {
	t.register("save", cmdSave)
	t.register("bgsave", cmdBgsave)
}

// cmdSave takes a snapshot and replies once it is on disk.
func cmdSave(c *Client, argv [][]byte) {
	s := c.srv
	if s.save.running {
		c.ReplyError(errSaveInProgress)
		return
	}
	s.startSaveLocked("save")
	c.park()
	s.save.onDone = append(s.save.onDone, func(err error) {
		if err != nil {
			c.resume([]byte("-ERR\r\n")) // Redis's shared.err
		} else {
			c.resume([]byte("+OK\r\n"))
		}
	})
}

// park stops reading c's commands until resume, like a blocked client (its
// next commands wait in its buffer) but outside the blocked-client
// bookkeeping: it cannot be unblocked and does not count as blocked in
// INFO. For commands that finish off the loop (SAVE, SHUTDOWN). Holds mu.
func (c *Client) park() { c.block = &blockState{done: true} }

// resume sends a parked client its reply on its loop and lets it go on.
// Any goroutine.
func (c *Client) resume(reply []byte) {
	if err := c.conn.Execute(func() { c.deliverUnblocked(reply, 0) }); err != nil {
		_ = c.conn.Close()
	}
}

// cmdBgsave implements BGSAVE [SCHEDULE].
func cmdBgsave(c *Client, argv [][]byte) {
	s := c.srv
	if len(argv) > 1 && (len(argv) > 2 || !equalFold(argv[1], "schedule")) {
		c.ReplyError(errSyntax)
		return
	}
	switch {
	case s.save.running:
		c.ReplyError(errSaveInProgress)
	case c.multi.execing:
		// The snapshot must not split the transaction's unit; Redis
		// schedules it too.
		s.save.scheduled = true
		c.ReplySimple("Background saving scheduled")
	default:
		s.startSaveLocked("bgsave")
		c.ReplySimple("Background saving started")
	}
}

// startSaveLocked snapshots the keyspace (see Keyspace.snapshot) and
// writes it out in the background. Holds mu.
func (s *Server) startSaveLocked(kind string) {
	v, path, opts := s.beginSaveLocked()
	st := &s.save
	st.running, st.scheduled = true, false
	if kind == "bgsave" {
		s.log.Info("Background saving started")
	}
	st.writer.Add(1)
	go runInBackground(func() {
		defer st.writer.Done()
		err := writeRDBFileAbortable(v, path, opts, func() {
			st.keysDone.Add(1)
			if saveKeyHook != nil {
				saveKeyHook()
			}
		}, &st.abort)
		v.close()
		s.mu.Lock()
		s.finishSaveLocked(kind, err)
		s.mu.Unlock()
	})
}

// abortSave stops a running save, if any, and waits for its writer to
// end, so that nothing reads the store once Close goes on: Redis kills
// its saving child at shutdown. The save's temporary file goes; the last
// complete file stays. Not under mu.
func (s *Server) abortSave() {
	s.mu.Lock()
	if s.save.running {
		s.log.Warn("There is a child saving an .rdb. Killing it!")
		s.save.abort.Store(true)
	}
	s.mu.Unlock()
	s.save.writer.Wait()
}

// beginSaveLocked snapshots the keyspace and records the start of a save
// of it (its time, the changes it covers, its keys), for
// finishSaveLocked; it returns where and how to write the file. Holds mu.
func (s *Server) beginSaveLocked() (*keyspaceSnapshot, string, rdbOptions) {
	v := s.ks.snapshot()
	st := &s.save
	st.started = time.Now()
	st.lastTry = st.started.Unix()
	st.changesAtStart = s.ks.changes
	st.keysTotal = v.keys()
	st.keysDone.Store(0)
	return v, filepath.Join(s.cfg.Dir, s.cfg.Dbfilename), s.rdbOptionsLocked()
}

// finishSaveLocked records a save's outcome and answers SAVE callers.
// Holds mu.
func (s *Server) finishSaveLocked(kind string, err error) {
	st := &s.save
	st.running = false
	st.lastOK = err == nil
	if kind == "bgsave" {
		st.lastSeconds = int64(time.Since(st.started).Seconds())
	}
	if err != nil {
		s.log.Warn("Error saving DB on disk", "err", err)
		if kind == "bgsave" {
			s.log.Warn("Background saving error")
		}
	} else {
		st.saves++
		s.ks.changes -= st.changesAtStart
		s.lastSave = time.Now().Unix()
		if kind == "bgsave" {
			s.log.Info("Background saving terminated with success")
		} else {
			s.log.Info("DB saved on disk")
		}
	}
	done := st.onDone
	st.onDone = nil
	for _, f := range done {
		f(err)
	}
}

// saveCronLocked starts a background save when a `save` rule or BGSAVE
// SCHEDULE asks for one, as Redis's serverCron does: a failed save is
// retried after 5 seconds, not at once. Holds mu, outside any unit.
func (s *Server) saveCronLocked(now time.Time) {
	st := &s.save
	if st.running {
		return
	}
	retryOK := st.lastOK || now.Unix()-st.lastTry > 5
	if st.scheduled && retryOK {
		s.startSaveLocked("bgsave")
		return
	}
	for _, p := range s.cfg.Save {
		if s.ks.changes >= int64(p.Changes) && now.Unix()-s.lastSave > int64(p.Seconds) && retryOK {
			s.log.Info(fmt.Sprintf("%d changes in %d seconds. Saving...", p.Changes, p.Seconds))
			s.startSaveLocked("bgsave")
			return
		}
	}
}

// saveThenLocked runs a save and calls done with its outcome (under mu).
// If a save is running, a fresh one starts after it, so the file holds
// every write made before the call. Holds mu, outside any unit.
func (s *Server) saveThenLocked(done func(err error)) {
	if !s.save.running {
		s.startSaveLocked("save")
		s.save.onDone = append(s.save.onDone, done)
		return
	}
	s.save.onDone = append(s.save.onDone, func(error) {
		// Another waiter may have started the fresh save already: it
		// began after this call too, so join it.
		if !s.save.running {
			s.startSaveLocked("save")
		}
		s.save.onDone = append(s.save.onDone, done)
	})
}

// writeRDBFile writes the snapshot to path durably; on any failure path
// is left as it was (see atomicfile).
func writeRDBFile(v *keyspaceSnapshot, path string, opts rdbOptions, progress func()) error {
	return writeRDBFileAbortable(v, path, opts, progress, nil)
}

// writeRDBFileAbortable is writeRDBFile that fails, leaving path as it
// was, once abort (if not nil) is set.
func writeRDBFileAbortable(v *keyspaceSnapshot, path string, opts rdbOptions, progress func(), abort *atomic.Bool) error {
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		if abort != nil {
			w = abortableWriter{w, abort}
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := encodeRDB(bw, v, opts, progress); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	return nil
}
