package daemon

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// oom-score-adj, as Redis's setOOMScoreAdj: with it on, the process's
// Linux OOM-killer score (/proc/self/oom_score_adj) follows the role, from
// oom-score-adj-values (a primary's, a replica's), added to the score it
// had when this took control ("relative", "yes") or as it is ("absolute"),
// clamped to -1000..1000. Turned off, the score it started with comes
// back. Applied at start, on CONFIG SET, and when the role changes.

// oomScoreFile is where the score lives (a variable for tests).
var oomScoreFile = "/proc/self/oom_score_adj"

// oomState remembers the score from before the server took control.
type oomState struct {
	adjusted bool
	base     int
}

// applyOOMScoreLocked sets the score for the current role. Holds mu.
func (s *Server) applyOOMScoreLocked() error {
	st := &s.oom
	var val int
	switch {
	case s.cfg.OOMScoreAdj != "no":
		if !st.adjusted {
			b, err := os.ReadFile(oomScoreFile)
			if err != nil {
				return fmt.Errorf("unable to read oom_score_adj: %w", err)
			}
			base, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				return fmt.Errorf("unable to read oom_score_adj: %q", b)
			}
			st.adjusted, st.base = true, base
		}
		val = s.cfg.OOMScoreAdjValues[0]
		if s.repl.master != nil {
			val = s.cfg.OOMScoreAdjValues[1]
		}
		if s.cfg.OOMScoreAdj != "absolute" {
			val += st.base
		}
		val = min(max(val, -1000), 1000)
	case st.adjusted:
		st.adjusted = false
		val = st.base
	default:
		return nil
	}
	if err := os.WriteFile(oomScoreFile, []byte(strconv.Itoa(val)+"\n"), 0); err != nil {
		return fmt.Errorf("unable to write oom_score_adj: %w", err)
	}
	return nil
}

// errOOMScore is CONFIG SET's error when the score cannot be set.
const errOOMScore = "Failed to set current oom_score_adj. Check server logs."

// roleOOMScoreLocked follows a change of role; a failure is only logged,
// as Redis does. Holds mu.
func (s *Server) roleOOMScoreLocked() {
	if err := s.applyOOMScoreLocked(); err != nil {
		s.log.Warn(err.Error())
	}
}
