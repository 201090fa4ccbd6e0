package daemon

import (
	"strings"
	"testing"
	"time"
)

// TestIdleMemoryRelease drives the cron's decision with a fake clock: a
// release needs ten seconds without commands and thirty since the last
// one, and a busy server never releases.
func TestIdleMemoryRelease(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	s := h.srv
	released := make(chan struct{}, 10)
	s.idleMem.releaseFunc = func() { released <- struct{}{} }
	t0 := time.Unix(1_000_000, 0)
	steps := []struct {
		at       time.Duration
		commands int64 // added before the cron runs
		release  bool
	}{
		{0, 0, false},
		{5 * time.Second, 0, false},
		{10100 * time.Millisecond, 0, true}, // idle for ten seconds
		{30 * time.Second, 0, false},        // released 19.9 s ago
		{31 * time.Second, 3, false},        // traffic
		{35 * time.Second, 0, false},
		{41200 * time.Millisecond, 0, true}, // idle again, 31.1 s since the last
		{41300 * time.Millisecond, 0, false},
	}
	// A busy server: commands every tick for a minute.
	for i := 1; i <= 600; i++ {
		steps = append(steps, struct {
			at       time.Duration
			commands int64
			release  bool
		}{42*time.Second + time.Duration(i)*100*time.Millisecond, 1, false})
	}
	for i, st := range steps {
		now := t0.Add(st.at)
		s.mu.Lock()
		s.stats.commands += st.commands
		s.idleMemoryCronLocked(now)
		decided := s.idleMem.released.Equal(now)
		s.mu.Unlock()
		if decided != st.release {
			t.Fatalf("step %d (%v): release %v, want %v", i, st.at, decided, st.release)
		}
		if decided {
			select {
			case <-released:
			case <-time.After(5 * time.Second):
				t.Fatalf("step %d (%v): the release did not run", i, st.at)
			}
			// The next release waits for this one to be over.
			waitUnderMu(s, func() bool { return !s.idleMem.releasing })
		}
	}
}

// TestQuietFlush drives the store flush with a fake clock: once per quiet
// period, two seconds after the last write, never while writes go on, and
// reads do not count as writes.
func TestQuietFlush(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	s, c := h.srv, h.client(1)
	flushed := make(chan struct{}, 10)
	s.quietFlush.flush = func() error { flushed <- struct{}{}; return nil }
	t0 := time.Unix(1_000_000, 0)
	type step struct {
		at    time.Duration
		cmd   string // run before the cron
		flush bool
	}
	steps := []step{
		{0, "SET k v", false},
		{1 * time.Second, "", false},
		{1900 * time.Millisecond, "GET k", false},
		{2100 * time.Millisecond, "", true}, // two seconds without a write
		{3 * time.Second, "", false},        // once per quiet period
		{4 * time.Second, "SET k w", false},
		{5 * time.Second, "GET k", false},
		{6100 * time.Millisecond, "", true},
	}
	for i := 0; i < 100; i++ { // writes every 100 ms for 10 s
		steps = append(steps, step{7*time.Second + time.Duration(i)*100*time.Millisecond, "INCR n", false})
	}
	for i, st := range steps {
		if st.cmd != "" {
			c.reply(t, strings.Fields(st.cmd)...)
		}
		s.mu.Lock()
		s.quietFlushCronLocked(t0.Add(st.at))
		// The flush goroutine needs mu to finish: seen here, it started
		// in this call.
		decided := s.quietFlush.flushing
		s.mu.Unlock()
		if decided != st.flush {
			t.Fatalf("step %d (%v): flush %v, want %v", i, st.at, decided, st.flush)
		}
		if decided {
			select {
			case <-flushed:
			case <-time.After(5 * time.Second):
				t.Fatalf("step %d (%v): the flush did not run", i, st.at)
			}
			waitUnderMu(s, func() bool { return !s.quietFlush.flushing })
		}
		select {
		case <-flushed:
			t.Fatalf("step %d (%v): flushed", i, st.at)
		default:
		}
	}
}

// waitUnderMu spins until cond, read under the server's mutex, holds: the
// end of a background task started by the cron.
func waitUnderMu(s *Server, cond func() bool) {
	for {
		s.mu.Lock()
		done := cond()
		s.mu.Unlock()
		if done {
			return
		}
	}
}
