package daemon

import (
	"runtime/debug"
	"time"

	"github.com/redoubtdb/redoubt/storage"
)

// Memory an idle server does not use goes back to the operating system.
// The Go runtime keeps freed heap pages for the next collection cycle and
// glibc keeps what Pebble's C memory frees in its arenas; neither gives
// much back by itself once traffic stops. After 3M random SETs and 2M GETs
// over 1M keys, RSS was 144 MB (Redis: 114 MB); released, 94-96 MB. Under
// load nothing is released: a busy server would only fault the pages in
// again.

const (
	// idleBeforeRelease is how long no command must have run.
	idleBeforeRelease = time.Second
	// releaseEvery spaces releases while the server stays idle (background
	// flushes and compactions may free more after the first).
	releaseEvery = 10 * time.Second
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
	go func() {
		release()
		s.mu.Lock()
		m.releasing = false
		s.mu.Unlock()
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
