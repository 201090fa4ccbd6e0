package daemon

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Per-command latency tracking (latency-tracking): INFO latencystats and
// LATENCY HISTOGRAM. Redis keeps an HdrHistogram per command; this is a
// log-linear histogram of the same kind.

// latencyHist counts a command's durations in nanoseconds by octave (2^k
// to 2^(k+1) ns, up to 2^32 ns, about 4.3 s, where longer ones count too)
// and latencySteps equal steps within each: a duration is known to about
// 3%, as Redis's two significant digits know it to 1%.
type latencyHist struct {
	counts [latencyOctaves * latencySteps]uint64
	total  uint64
}

const (
	latencyOctaves = 32
	latencySteps   = 32
)

func (h *latencyHist) record(ns int64) {
	h.counts[latencyIndex(ns)]++
	h.total++
}

func latencyIndex(ns int64) int {
	if ns < 1 {
		ns = 1
	}
	k := bits.Len64(uint64(ns)) - 1
	if k >= latencyOctaves {
		return latencyOctaves*latencySteps - 1
	}
	// The step: the bits after the leading one, scaled to 0..31.
	frac := float64(uint64(ns)-uint64(1)<<k) / float64(uint64(1)<<k)
	return k*latencySteps + int(frac*latencySteps)
}

// latencyUpper is the highest duration bucket i holds, in nanoseconds.
func latencyUpper(i int) float64 {
	k, step := i/latencySteps, i%latencySteps
	return math.Ldexp(1+float64(step+1)/latencySteps, k)
}

// percentile is the duration in nanoseconds under which p percent of the
// calls took (the highest of its bucket, as HdrHistogram answers).
func (h *latencyHist) percentile(p float64) float64 {
	target := uint64(math.Ceil(p / 100 * float64(h.total)))
	target = max(target, 1)
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= target {
			return latencyUpper(i)
		}
	}
	return latencyUpper(len(h.counts) - 1)
}

// recordLatencyLocked adds one call of cmd that took ns. Holds mu.
func (s *Server) recordLatencyLocked(cmd *command, ns int64) {
	if !s.cfg.LatencyTracking {
		return
	}
	if cmd.lat == nil {
		cmd.lat = &latencyHist{}
	}
	cmd.lat.record(ns)
}

// infoLatencystats is INFO latencystats: each tracked command's
// latency-tracking-info-percentiles, in microseconds.
func (s *Server) infoLatencystats() []infoField {
	if !s.cfg.LatencyTracking {
		return nil
	}
	var out []infoField
	s.cmds.walk(func(c *command) {
		if h := c.lat; h != nil && h.total > 0 {
			var b strings.Builder
			for i, p := range s.cfg.LatencyTrackingInfoPercentiles {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString("p" + strconv.FormatFloat(p, 'f', -1, 64) + "=")
				b.WriteString(strconv.FormatFloat(h.percentile(p)/1000, 'f', 3, 64))
			}
			out = append(out, infoField{"latency_percentiles_usec_" + c.name, b.String()})
		}
	})
	return out
}

func init() { registrations = append(registrations, registerLatencyCommands) }

// LATENCY HISTOGRAM and HELP; the latency monitor's subcommands are in
// latencymon.go.
func registerLatencyCommands(t *commandTable) {
	t.registerContainer("latency")
	t.register("latency|histogram", cmdLatencyHistogram)
	t.register("latency|help", func(c *Client, argv [][]byte) { replyHelpLines(c, argv, latencyHelp) })
	registerLatencyMonitorCommands(t)
}

var latencyHelp = []string{
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
}

// cmdLatencyHistogram is LATENCY HISTOGRAM [command ...]: for each command
// (every tracked one when none is named; a container's subcommands), its
// calls and the cumulative counts at powers of two microseconds, as
// Redis's fillCommandCDF gives them.
func cmdLatencyHistogram(c *Client, argv [][]byte) {
	var cmds []*command
	tracked := func(cmd *command) {
		if cmd.lat != nil && cmd.lat.total > 0 {
			cmds = append(cmds, cmd)
		}
	}
	if len(argv) == 2 {
		c.srv.cmds.walk(tracked)
	} else {
		for _, name := range argv[2:] {
			if cmd := c.srv.cmds.lookupByFullName(string(name)); cmd != nil {
				cmd.walk(tracked)
			}
		}
	}
	c.ReplyMapLen(len(cmds))
	for _, cmd := range cmds {
		h := cmd.lat
		c.ReplyBulkString(cmd.name)
		c.ReplyMapLen(2)
		c.ReplyBulkString("calls")
		c.ReplyInt(int64(h.total))
		c.ReplyBulkString("histogram_usec")
		// Steps at 1024 * 2^j ns, each counting the calls up to it:
		// those of the octaves below it.
		type point struct{ usec, n int64 }
		var points []point
		var cum uint64
		for j := 0; 10+j <= latencyOctaves && cum < h.total; j++ {
			prev := cum
			lo, hi := 0, (10+j)*latencySteps
			if j > 0 {
				lo = (9 + j) * latencySteps
			}
			for _, n := range h.counts[lo:min(hi, len(h.counts))] {
				cum += n
			}
			if cum > prev {
				points = append(points, point{int64(1024) << j / 1000, int64(cum)})
			}
		}
		c.ReplyMapLen(len(points))
		for _, p := range points {
			c.ReplyInt(p.usec)
			c.ReplyInt(p.n)
		}
	}
}
