package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOOMScoreAdjFile: the score is read once, when the server takes
// control, and written for the role; "no" writes the original back; a
// score that cannot be set fails CONFIG SET as a whole, as in Redis.
func TestOOMScoreAdjFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "oom_score_adj")
	if err := os.WriteFile(file, []byte("-50\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(old string) { oomScoreFile = old }(oomScoreFile)
	oomScoreFile = file
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	read := func() string {
		b, err := os.ReadFile(oomScoreFile)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	for _, step := range []struct{ cmd, reply, score string }{
		{"CONFIG SET oom-score-adj yes", "OK", "-50"},
		{"CONFIG SET oom-score-adj-values \"1100 300 800\"", "OK", "1000"},
		{"CONFIG SET oom-score-adj absolute oom-score-adj-values \"-1200 0 0\"", "OK", "-1000"},
		{"CONFIG SET oom-score-adj no", "OK", "-50"},
	} {
		if got := strings.Join(c.do(t, step.cmd), " "); got != step.reply {
			t.Fatalf("%s: %q", step.cmd, got)
		}
		if got := read(); got != step.score {
			t.Errorf("after %s: oom_score_adj %s, want %s", step.cmd, got, step.score)
		}
	}
	oomScoreFile = filepath.Join(t.TempDir(), "missing", "oom_score_adj")
	want := "(error) ERR CONFIG SET failed (possibly related to argument 'oom-score-adj') - Failed to set current oom_score_adj. Check server logs."
	if got := strings.Join(c.do(t, "CONFIG SET oom-score-adj yes hz 20"), " "); got != want {
		t.Errorf("CONFIG SET that cannot set the score: %q, want %q", got, want)
	}
	if got := strings.Join(c.do(t, "CONFIG GET oom-score-adj"), " "); got != `["oom-score-adj" "no"]` {
		t.Errorf("after the failed CONFIG SET: %q", got)
	}
	if got := strings.Join(c.do(t, "CONFIG GET hz"), " "); got != `["hz" "10"]` {
		t.Errorf("after the failed CONFIG SET: %q", got)
	}
}
