package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSparklineLikeRedis holds the LATENCY GRAPH renderer to Redis's
// sparkline.c: the wants are what sparklineRender(seq, 80, 4,
// SPARKLINE_FILL) printed for the same samples, compiled from Redis
// 7.0.15's source.
func TestSparklineLikeRedis(t *testing.T) {
	hundred := func() ([]float64, []string) {
		var v []float64
		var l []string
		for i := range 100 {
			v = append(v, float64(i*i%37))
			l = append(l, fmt.Sprint(i%10))
		}
		return v, l
	}
	hv, hl := hundred()
	for _, tc := range []struct {
		values []float64
		labels []string
		want   string
	}{
		{[]float64{250, 350, 450}, []string{"2s", "1s", "0s"}, "  #\n _|\n ||\n_||\n   \n210\nsss\n"},
		{[]float64{5, 5, 5}, []string{"10s", "", "0s"}, "   \n   \n   \n___\n   \n1 0\n0 s\ns  \n"},
		{[]float64{1, 100, 2, 99, 3, 98, 50}, []string{"59s", "1m", "2m", "1h", "3h", "1d", "120d"},
			" # # # \n | | | \n | | |#\n_|_|_||\n       \n5121311\n9mmhhd2\ns     0\n      d\n"},
		{[]float64{20}, []string{"0s"}, " \n \n \n_\n \n0\ns\n"},
		{hv, hl, "      # _   #   #o__o#   #   _ #           # _   #   #o__o#   #   _ #           \n" +
			"     #| | # |o  ||||||  o| # | |#         #| | # |o  ||||||  o| # | |#         #\n" +
			"   _#||o| |_||_ |||||| _||_| |o||#_     _#||o| |_||_ |||||| _||_| |o||#_     _#|\n" +
			"__o||||||#|||||o||||||o|||||#||||||o___o||||||#|||||o||||||o|||||#||||||o___o|||\n" +
			"                                                                                \n" +
			"01234567890123456789012345678901234567890123456789012345678901234567890123456789\n" +
			"\n# _   #   #o__o#   #\n| | # |o  ||||||  o|\n|o| |_||_ |||||| _||\n|||#|||||o||||||o|||\n                    \n01234567890123456789\n"},
	} {
		var s sparkline
		for i, v := range tc.values {
			s.add(v, tc.labels[i])
		}
		var b strings.Builder
		s.render(&b, 80, 4)
		if b.String() != tc.want {
			t.Errorf("%v:\ngot\n%s\nwant\n%s", tc.values, b.String(), tc.want)
		}
	}
}

// TestLatencyMonitor: the threshold filters, a second's samples merge into
// the worst, the history keeps the newest 160, RESET matches names
// case-insensitively, and DOCTOR and GRAPH summarise what was kept.
func TestLatencyMonitor(t *testing.T) {
	var m latencyMonitor
	m.addIfNeeded("command", time.Second) // off: nothing recorded
	if len(m.order) != 0 {
		t.Fatal("recorded with the monitor off")
	}
	m.threshold.Store(100)
	m.addIfNeeded("command", 99*time.Millisecond)
	if len(m.order) != 0 {
		t.Fatal("recorded an event under the threshold")
	}
	m.add("command", 150, 1000)
	m.add("command", 300, 1000) // same second: the worst stays
	m.add("command", 120, 1000)
	m.add("command", 200, 1001)
	h := m.events["command"].history()
	if got := fmt.Sprint(h); got != "[{1000 300} {1001 200}]" {
		t.Errorf("history %s", got)
	}
	ls := analyzeLatency(m.events["command"], 1010)
	if ls.samples != 2 || ls.avg != 250 || ls.mad != 50 || ls.min != 200 || ls.max != 300 || ls.period != 10 {
		t.Errorf("stats %+v", ls)
	}
	for i := range 170 {
		m.add("expire-cycle", int64(100+i), int64(2000+i))
	}
	h = m.events["expire-cycle"].history()
	if len(h) != latencyHistoryLen || h[0].time != 2010 || h[len(h)-1].time != 2169 || m.events["expire-cycle"].max != 269 {
		t.Errorf("after 170 samples: %d kept, from %d to %d, max %d", len(h), h[0].time, h[len(h)-1].time, m.events["expire-cycle"].max)
	}

	report := latencyReport(&m, 2170, 10000, "everysec")
	for _, want := range []string{
		"1. command: 2 latency spikes (average 250ms, mean deviation 50ms, period 585.00 sec). Worst all time event 300ms.",
		"2. expire-cycle: 160 latency spikes",
		"- Check your Slow Log",
		"CONFIG SET hz 100",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("DOCTOR lacks %q:\n%s", want, report)
		}
	}
	graph := latencyGraph("command", m.events["command"], 1001)
	if !strings.HasPrefix(graph, "command - high 300 ms, low 200 ms (all time high 300 ms)\n"+strings.Repeat("-", 80)+"\n") {
		t.Errorf("GRAPH:\n%s", graph)
	}

	if n := m.reset("COMMAND"); n != 1 || m.events["command"] != nil || len(m.order) != 1 {
		t.Errorf("RESET COMMAND dropped %d, left %v", n, m.order)
	}
	if n := m.reset(""); n != 1 || len(m.order) != 0 {
		t.Errorf("RESET dropped %d, left %v", n, m.order)
	}
	if report := latencyReport(&m, 0, 10000, "everysec"); !strings.HasPrefix(report, "Dave, no latency spike") {
		t.Errorf("DOCTOR with nothing recorded:\n%s", report)
	}
	m.threshold.Store(0)
	if report := latencyReport(&m, 0, 10000, "everysec"); !strings.HasPrefix(report, "I'm sorry, Dave") {
		t.Errorf("DOCTOR with the monitor off:\n%s", report)
	}
}
