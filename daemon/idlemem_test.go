package daemon

import (
	"testing"
	"time"
)

// TestIdleMemoryRelease drives the cron's decision with a fake clock: a
// release needs a second without commands and ten seconds since the last
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
		{500 * time.Millisecond, 0, false},
		{1100 * time.Millisecond, 0, true}, // idle for a second
		{5 * time.Second, 0, false},        // released 3.9 s ago
		{6 * time.Second, 3, false},        // traffic
		{6500 * time.Millisecond, 0, false},
		{11200 * time.Millisecond, 0, true}, // idle again, 10.1 s since the last
		{11300 * time.Millisecond, 0, false},
	}
	// A busy server: commands every tick for a minute.
	for i := 1; i <= 600; i++ {
		steps = append(steps, struct {
			at       time.Duration
			commands int64
			release  bool
		}{12*time.Second + time.Duration(i)*100*time.Millisecond, 1, false})
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
			for done := false; !done; {
				s.mu.Lock()
				done = !s.idleMem.releasing
				s.mu.Unlock()
			}
		}
	}
}
