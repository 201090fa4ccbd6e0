package daemon

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The latency monitor, as Redis's latency.c keeps it: with
// latency-monitor-threshold set, every event that took at least that many
// milliseconds is recorded by name, one sample a second (the worst) in a
// history of 160, for LATENCY LATEST, HISTORY, RESET, DOCTOR and GRAPH.
// Redoubt records "command" and "fast-command" (a command's run, by its
// fast flag), "expire-cycle" (the longest step of an active expiry cycle
// holding the server lock: Redoubt's cycle lets clients in between steps)
// and "aof-fsync-always" (a group commit's sync under appendfsync always).

const latencyHistoryLen = 160

type latencySample struct {
	time    int64 // Unix seconds; 0: unused slot
	latency int64 // milliseconds
}

type latencySeries struct {
	samples [latencyHistoryLen]latencySample
	idx     int
	max     int64
}

// latencyMonitor has a lock of its own: the group commit records its syncs
// outside Server.mu.
type latencyMonitor struct {
	threshold atomic.Int64 // milliseconds, 0: off
	mu        sync.Mutex
	events    map[string]*latencySeries
	order     []string // events in the order first seen
}

// addIfNeeded records event when it took at least the threshold.
func (m *latencyMonitor) addIfNeeded(event string, d time.Duration) {
	t := m.threshold.Load()
	ms := d.Milliseconds()
	if t == 0 || ms < t {
		return
	}
	m.add(event, ms, time.Now().Unix())
}

func (m *latencyMonitor) add(event string, ms, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[event]
	if ts == nil {
		if m.events == nil {
			m.events = map[string]*latencySeries{}
		}
		ts = &latencySeries{}
		m.events[event] = ts
		m.order = append(m.order, event)
	}
	ts.max = max(ts.max, ms)
	// Samples of the same second merge into the worst of them.
	prev := &ts.samples[(ts.idx+latencyHistoryLen-1)%latencyHistoryLen]
	if prev.time == now {
		prev.latency = max(prev.latency, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{now, ms}
	ts.idx = (ts.idx + 1) % latencyHistoryLen
}

// history is event's samples, oldest first.
func (ts *latencySeries) history() []latencySample {
	var out []latencySample
	for j := range latencyHistoryLen {
		if s := ts.samples[(ts.idx+j)%latencyHistoryLen]; s.time != 0 {
			out = append(out, s)
		}
	}
	return out
}

// reset drops event's history (every event's for ""), case-insensitively
// as Redis matches it, and reports how many it dropped.
func (m *latencyMonitor) reset(event string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	kept := m.order[:0]
	for _, e := range m.order {
		if event == "" || strings.EqualFold(e, event) {
			delete(m.events, e)
			n++
			continue
		}
		kept = append(kept, e)
	}
	m.order = kept
	return n
}

func registerLatencyMonitorCommands(t *commandTable) {
	t.register("latency|latest", cmdLatencyLatest)
	t.register("latency|history", cmdLatencyHistory)
	t.register("latency|reset", cmdLatencyReset)
	t.register("latency|doctor", cmdLatencyDoctor)
	t.register("latency|graph", cmdLatencyGraph)
}

// LATENCY LATEST: per event, its name, the time and latency of its last
// sample, and its all-time maximum.
func cmdLatencyLatest(c *Client, argv [][]byte) {
	m := &c.srv.latmon
	m.mu.Lock()
	defer m.mu.Unlock()
	c.ReplyArrayLen(len(m.order))
	for _, e := range m.order {
		ts := m.events[e]
		last := ts.samples[(ts.idx+latencyHistoryLen-1)%latencyHistoryLen]
		c.ReplyArrayLen(4)
		c.ReplyBulkString(e)
		c.ReplyInt(last.time)
		c.ReplyInt(last.latency)
		c.ReplyInt(ts.max)
	}
}

// LATENCY HISTORY event: its samples, oldest first, as [time, latency].
func cmdLatencyHistory(c *Client, argv [][]byte) {
	m := &c.srv.latmon
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[string(argv[2])]
	if ts == nil {
		c.ReplyArrayLen(0)
		return
	}
	h := ts.history()
	c.ReplyArrayLen(len(h))
	for _, s := range h {
		c.ReplyArrayLen(2)
		c.ReplyInt(s.time)
		c.ReplyInt(s.latency)
	}
}

// LATENCY RESET [event ...]: the number of events dropped.
func cmdLatencyReset(c *Client, argv [][]byte) {
	m := &c.srv.latmon
	if len(argv) == 2 {
		c.ReplyInt(int64(m.reset("")))
		return
	}
	n := 0
	for _, e := range argv[2:] {
		n += m.reset(string(e))
	}
	c.ReplyInt(int64(n))
}

// LATENCY GRAPH event: Redis's ASCII sparkline of its history.
func cmdLatencyGraph(c *Client, argv [][]byte) {
	m := &c.srv.latmon
	m.mu.Lock()
	ts := m.events[string(argv[2])]
	var graph string
	if ts != nil {
		graph = latencyGraph(string(argv[2]), ts, time.Now().Unix())
	}
	m.mu.Unlock()
	if ts == nil {
		c.ReplyErrorf("ERR No samples available for event '%s'", argv[2])
		return
	}
	c.ReplyVerbatim(graph)
}

// latencyStats summarises an event's history as Redis's
// analyzeLatencyForEvent does.
type latencyStats struct {
	allTimeHigh, avg, min, max, mad int64
	samples                         int
	period                          int64 // seconds since the oldest sample
}

func analyzeLatency(ts *latencySeries, now int64) latencyStats {
	ls := latencyStats{allTimeHigh: ts.max}
	h := ts.history()
	if len(h) == 0 {
		return ls
	}
	var sum int64
	oldest := h[0].time
	ls.min, ls.max = h[0].latency, h[0].latency
	for _, s := range h {
		sum += s.latency
		ls.min = min(ls.min, s.latency)
		ls.max = max(ls.max, s.latency)
		oldest = min(oldest, s.time)
	}
	ls.samples = len(h)
	ls.avg = sum / int64(len(h))
	ls.period = max(now-oldest, 1)
	var dev int64
	for _, s := range h {
		d := ls.avg - s.latency
		if d < 0 {
			d = -d
		}
		dev += d
	}
	ls.mad = dev / int64(len(h))
	return ls
}

// LATENCY DOCTOR: Redis's human-readable report on the recorded events,
// with its advice where it applies to Redoubt.
func cmdLatencyDoctor(c *Client, argv [][]byte) {
	s := c.srv
	m := &s.latmon
	m.mu.Lock()
	report := latencyReport(m, time.Now().Unix(), int64(s.cfg.SlowlogLogSlowerThan), s.cfg.Appendfsync)
	m.mu.Unlock()
	c.ReplyVerbatim(report)
}

// latencyReport is LATENCY DOCTOR's text. Holds m.mu.
func latencyReport(m *latencyMonitor, now, slowlogSlowerThan int64, appendfsync string) string {
	threshold := m.threshold.Load()
	if len(m.order) == 0 && threshold == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	var b strings.Builder
	var slowlogEnable, slowlogTune, slowlogInspect, largeObjects, scheduler, hz, relaxFsync bool
	advices := 0
	for i, e := range m.order {
		ts := m.events[e]
		if i == 0 {
			b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		}
		ls := analyzeLatency(ts, now)
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.",
			i+1, e, ls.samples, ls.avg, ls.mad, float64(ls.period)/float64(ls.samples), ts.max)
		switch e {
		case "command":
			if slowlogSlowerThan < 0 {
				slowlogEnable = true
				advices++
			} else if slowlogSlowerThan/1000 > threshold {
				slowlogTune = true
				advices++
			}
			slowlogInspect, largeObjects = true, true
			advices += 2
		case "fast-command":
			scheduler = true
			advices++
		case "aof-fsync-always":
			relaxFsync = true
			advices++
		case "expire-cycle":
			hz, largeObjects = true, true
			advices += 2
		}
		b.WriteByte('\n')
	}
	switch {
	case len(m.order) == 0 && advices == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
	case advices == 0:
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n")
	default:
		b.WriteString("\nI have a few advices for you:\n\n")
		if slowlogEnable {
			fmt.Fprintf(&b, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold*1000)
		}
		if slowlogTune {
			fmt.Fprintf(&b, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n", threshold*1000)
		}
		if slowlogInspect {
			b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
		}
		if scheduler {
			b.WriteString("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
				"  1) Lower the system load.\n" +
				"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
				"  3) Check if you have a \"noisy neighbour\" problem.\n" +
				"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n")
		}
		if relaxFsync && appendfsync == "always" {
			b.WriteString("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'everysec'.\n")
		}
		if hz {
			b.WriteString("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n")
		}
		if largeObjects {
			b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
		}
	}
	return b.String()
}

// latencyGraph is Redis's latencyCommandGenSparkeline: a header, a rule,
// and the history drawn 4 rows high with each sample labelled by how long
// ago it was.
func latencyGraph(event string, ts *latencySeries, now int64) string {
	h := ts.history()
	var seq sparkline
	var lo, hi int64
	for i, s := range h {
		if i == 0 {
			lo, hi = s.latency, s.latency
		}
		lo, hi = min(lo, s.latency), max(hi, s.latency)
		elapsed := now - s.time
		var label string
		switch {
		case elapsed < 60:
			label = fmt.Sprintf("%ds", elapsed)
		case elapsed < 3600:
			label = fmt.Sprintf("%dm", elapsed/60)
		case elapsed < 3600*24:
			label = fmt.Sprintf("%dh", elapsed/3600)
		default:
			label = fmt.Sprintf("%dd", elapsed/(3600*24))
		}
		seq.add(float64(s.latency), label)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, ts.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	seq.render(&b, 80, 4)
	return b.String()
}

// sparkline is Redis's sparkline.c, filled mode: samples drawn with
// "_o#" over several rows, "|" below the top, labels written downwards.
type sparkline struct {
	values   []float64
	labels   []string
	min, max float64
	labelled int
}

func (s *sparkline) add(v float64, label string) {
	if len(s.values) == 0 {
		s.min, s.max = v, v
	} else if v < s.min {
		s.min = v
	} else if v > s.max {
		s.max = v
	}
	s.values = append(s.values, v)
	s.labels = append(s.labels, label)
	if label != "" {
		s.labelled++
	}
}

func (s *sparkline) render(b *strings.Builder, columns, rows int) {
	for j := 0; j < len(s.values); j += columns {
		if j != 0 {
			b.WriteByte('\n')
		}
		s.renderRange(b, rows, j, min(columns, len(s.values)-j))
	}
}

func (s *sparkline) renderRange(b *strings.Builder, rows, offset, n int) {
	const charset = "_o#"
	const labelMarginTop = 1
	relmax := s.max - s.min
	if relmax == 0 {
		relmax = 1
	}
	steps := len(charset) * rows
	chars := make([]byte, n)
	for row := 0; ; row++ {
		more := false
		for j := range chars {
			chars[j] = ' '
		}
		for j := 0; j < n; j++ {
			// As C computes it: (int)(relval*steps) / relmax, truncated.
			step := int(float64(int((s.values[j+offset]-s.min)*float64(steps))) / relmax)
			step = max(0, min(step, steps-1))
			if row < rows {
				more = true
				idx := step - (rows-row-1)*len(charset)
				if idx >= 0 && idx < len(charset) {
					chars[j] = charset[idx]
				} else if idx >= len(charset) {
					chars[j] = '|'
				}
				continue
			}
			if s.labelled > 0 && row-rows < labelMarginTop {
				more = true
				break
			}
			if l := s.labels[j+offset]; l != "" {
				if at := row - rows - labelMarginTop; len(l) > at {
					more = true
					chars[j] = l[at]
				}
			}
		}
		if !more {
			return
		}
		b.Write(chars)
		b.WriteByte('\n')
	}
}
