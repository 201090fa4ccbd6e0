package daemon

import (
	"errors"
	"runtime/debug"
	"time"

	"github.com/redoubtdb/redoubt/storage"
)

// Maintenance for a server that has gone quiet.
//
// Memory an idle server does not use goes back to the operating system.
// The Go runtime keeps freed heap pages for the next collection cycle and
// glibc keeps what Pebble's C memory frees in its arenas; neither gives
// much back by itself once traffic stops. After 3M random SETs and 2M GETs
// over 1M keys, RSS was 144 MB (Redis: 114 MB); released, 95-97 MB. Under
// load nothing is released: a busy server would only fault the pages in
// again.

const (
	// idleBeforeRelease is how long no command must have run: long enough
	// that a pause in traffic (a benchmark's turn on another server, a
	// batch job between steps) does not pay for a collection and for
	// faulting the pages in again.
	idleBeforeRelease = 10 * time.Second
	// releaseEvery spaces releases while the server stays idle (background
	// flushes and compactions may free more after the first).
	releaseEvery = 30 * time.Second
)

// idleMemory is the cron's state for releasing memory. Guarded by mu.
type idleMemory struct {
	commands    int64     // stats.commands at the last look
	active      time.Time // when commands last changed
	released    time.Time // last release
	releasing   bool      // a release is running
	releaseFunc func()    // nil: releaseMemory (tests count calls)
}

// idleMemoryCronLocked starts a release when the server has run no command
// for idleBeforeRelease and has not released for releaseEvery. Holds mu.
func (s *Server) idleMemoryCronLocked(now time.Time) {
	m := &s.idleMem
	if s.stats.commands != m.commands || m.active.IsZero() {
		m.commands, m.active = s.stats.commands, now
		return
	}
	if m.releasing || now.Sub(m.active) < idleBeforeRelease || now.Sub(m.released) < releaseEvery {
		return
	}
	m.releasing, m.released = true, now
	release := m.releaseFunc
	if release == nil {
		release = s.releaseMemory
	}
	s.goCronTask(func() error { release(); return nil }, func(error) { m.releasing = false })
}

// goCronTask runs task off the event loops and the cron, then finish with
// its error under mu. Close waits for both (cronDone), so the store
// outlives the task. Holds mu.
func (s *Server) goCronTask(task func() error, finish func(error)) {
	s.cronDone.Add(1)
	go func() {
		defer s.cronDone.Done()
		err := task()
		s.mu.Lock()
		defer s.mu.Unlock()
		finish(err)
	}()
}

// releaseMemory returns unused memory: a garbage collection that hands
// free heap pages back, then the store's own (C allocator) release. It
// runs off every event loop: the collection takes tens of milliseconds.
func (s *Server) releaseMemory() {
	debug.FreeOSMemory()
	if r, ok := s.store.(storage.MemoryReleaser); ok {
		r.ReleaseMemory()
	}
}

// A store that has taken no write for quietBeforeFlush writes out its
// in-memory write buffer (Pebble's memtable): every read searches it
// first, and a memtable's skiplist is the costliest part of a point read.
// Random GETs over 1M keys at -P 16 ran at 230k req/s with the memtable
// flushed against 170k with 8 MB of it left over from the writes.
const quietBeforeFlush = 2 * time.Second

// quietFlush is the cron's state for flushing the store. Guarded by mu.
type quietFlush struct {
	units    uint64    // Keyspace.units at the last look
	changed  time.Time // when units last changed
	flushed  bool      // flushed since the last write
	flushing bool
	flush    func() error // nil: the store's Flush (tests count calls)
}

// quietFlushCronLocked flushes the store once the writes have stopped for
// quietBeforeFlush. Holds mu.
func (s *Server) quietFlushCronLocked(now time.Time) {
	q := &s.quietFlush
	if s.ks.units != q.units || q.changed.IsZero() {
		q.units, q.changed, q.flushed = s.ks.units, now, false
		return
	}
	if q.flushed || q.flushing || now.Sub(q.changed) < quietBeforeFlush {
		return
	}
	flush := q.flush
	if flush == nil {
		f, ok := s.store.(storage.Flusher)
		if !ok {
			q.flushed = true
			return
		}
		flush = f.Flush
	}
	q.flushing = true
	s.goCronTask(flush, func(err error) {
		// Once per quiet period, whatever the outcome.
		q.flushing, q.flushed = false, true
		if err != nil && !errors.Is(err, storage.ErrClosed) {
			s.log.Warn("flushing the store after writes stopped", "err", err)
		}
	})
}
