package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// RedisBenchmark runs one test of redis-benchmark (its -t name: "set", "get", "incr",
// "mset", ...), or one command line of its own, and reads the figures back from its report.
//
// The report, not --csv: redis-benchmark 7.0's CSV stops at p99, while the report's
// percentile distribution gives p99.9 and the shape of the distribution (ParseReport).
type RedisBenchmark struct {
	// Test is the -t test to run. Exactly one of Test and Command is set.
	Test string
	// Command is a command line for redis-benchmark to send instead of a -t test, such as
	// ZRANGE key 0 99 WITHSCORES, which no test covers. redis-benchmark takes it after its
	// options and replaces __rand_int__ in it with a random number below -r.
	Command []string
	// Row names the section of the report to use. Some tests print more than one
	// (lrange_100 first times the LPUSHes that fill its list); the others are ignored. A
	// section matches when its name is Row or starts with Row followed by " (", as in
	// "MSET (10 keys)". Empty: the upper-case Test, or Command joined by spaces, which is
	// how redis-benchmark names a custom command's section.
	Row string
}

// Tool implements LoadGenerator.
func (RedisBenchmark) Tool() string { return "redis-benchmark" }

// Validate reports a row that cannot work, so that Expand rejects it before anything runs.
func (rb RedisBenchmark) Validate() error {
	switch {
	case rb.Test == "" && len(rb.Command) == 0:
		return errors.New("redis-benchmark: needs a Test or a Command")
	case rb.Test != "" && len(rb.Command) > 0:
		// redis-benchmark ignores -t when a command is given: one of them would be a lie.
		return fmt.Errorf("redis-benchmark: Test %q and Command %q are exclusive", rb.Test, rb.Command)
	case len(rb.Command) > 0 && strings.HasPrefix(rb.Command[0], "-"):
		// redis-benchmark reads arguments as options until the first one without a dash,
		// and accepts no "--" to end them.
		return fmt.Errorf("redis-benchmark: command %q would be read as an option", rb.Command[0])
	}
	return nil
}

// name is how error messages and the report refer to the load.
func (rb RedisBenchmark) name() string {
	if rb.Test != "" {
		return "redis-benchmark -t " + rb.Test
	}
	return "redis-benchmark " + strings.Join(rb.Command, " ")
}

// row is the name of the section to report; see the Row field.
func (rb RedisBenchmark) row() string {
	switch {
	case rb.Row != "":
		return rb.Row
	case rb.Test != "":
		return strings.ToUpper(rb.Test)
	default:
		return strings.Join(rb.Command, " ")
	}
}

// Args returns the redis-benchmark arguments for one run.
func (rb RedisBenchmark) Args(target Target, p Params) []string {
	return append([]string{"-h", target.Host, "-p", strconv.Itoa(target.Port)}, rb.loadArgs(p)...)
}

func (rb RedisBenchmark) loadArgs(p Params) []string {
	n := "N"
	if p.Requests > 0 {
		n = strconv.Itoa(p.Requests)
	}
	var args []string
	if rb.Test != "" {
		args = append(args, "-t", rb.Test)
	}
	args = append(args,
		"-c", strconv.Itoa(p.Clients),
		"-P", strconv.Itoa(p.Pipeline),
		"-n", n,
		"-r", strconv.Itoa(p.Keyspace),
		"-d", strconv.Itoa(p.DataSize),
	)
	// The command goes last: redis-benchmark takes everything from its first argument
	// that is not an option as the command.
	return append(args, rb.Command...)
}

// CommandLine implements LoadGenerator. Arguments a shell would split or expand are
// quoted, so the line can be pasted; when Row was chosen, a shell comment names the
// section the figures come from.
func (rb RedisBenchmark) CommandLine(p Params) string {
	args := rb.loadArgs(p)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	line := "redis-benchmark " + strings.Join(args, " ")
	if rb.Row != "" {
		line += fmt.Sprintf("  # reports the %s section", rb.Row)
	}
	return line
}

// shellQuote single-quotes s unless it is made only of characters no shell treats
// specially.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Run implements LoadGenerator.
func (rb RedisBenchmark) Run(ctx context.Context, tools Tools, target Target, p Params) (Sample, error) {
	if err := rb.Validate(); err != nil {
		return Sample{}, err
	}
	path := tools.RedisBenchmark
	if path == "" {
		path = "redis-benchmark"
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, rb.Args(target, p)...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// redis-benchmark holds no files worth flushing; without this a killed run would
	// leave Wait blocked on its pipes until the grace period ends.
	cmd.WaitDelay = time.Second
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return Sample{}, fmt.Errorf("%s: %w after %s (stderr: %s)", rb.name(), ctx.Err(), elapsed.Round(time.Millisecond), tail(stderr.String(), 300))
	}
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %v (stderr: %s; stdout: %s)", rb.name(), err, tail(stderr.String(), 300), tail(stdout.String(), 300))
	}
	sections, err := ParseReport(stdout.Bytes())
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %w (stderr: %s; stdout: %s)", rb.name(), err, tail(stderr.String(), 300), tail(stdout.String(), 300))
	}
	row, err := PickRow(sections, rb.row())
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %w", rb.name(), err)
	}
	s := row.Sample
	s.Requests = p.Requests
	s.ElapsedSec = elapsed.Seconds()
	if s.RPS <= 0 {
		return Sample{}, fmt.Errorf("%s: reported %v requests per second (stderr: %s)", rb.name(), s.RPS, tail(stderr.String(), 300))
	}
	return s, nil
}

// PickRow returns the one section of sections that name designates: the section called
// name, or one whose name starts with name and " (" (redis-benchmark's "MSET (10 keys)",
// "LRANGE_100 (first 100 elements)"). None or several is an error that lists the sections,
// since reporting the wrong one would put another command's figures under this label.
func PickRow(sections []Section, name string) (Section, error) {
	var found []Section
	var names []string
	for _, r := range sections {
		names = append(names, strconv.Quote(r.Test))
		if r.Test == name || strings.HasPrefix(r.Test, name+" (") {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return Section{}, fmt.Errorf("want one section named %q, found %d among %s", name, len(found), strings.Join(names, ", "))
	}
	return found[0], nil
}

// Section is one test's part of redis-benchmark's report.
type Section struct {
	Test   string // as redis-benchmark prints it, e.g. "MSET (10 keys)"
	Sample Sample
}

// summaryColumns maps the columns of redis-benchmark 7.0's "latency summary (msec)" to
// Sample fields. Every column is required: a summary that lacks one means a different
// redis-benchmark whose figures this harness would misread.
var summaryColumns = []struct {
	name string
	dst  func(*Sample) *float64
}{
	{"avg", func(s *Sample) *float64 { return &s.AvgMs }},
	{"min", func(s *Sample) *float64 { return &s.MinMs }},
	{"p50", func(s *Sample) *float64 { return &s.P50Ms }},
	{"p95", func(s *Sample) *float64 { return &s.P95Ms }},
	{"p99", func(s *Sample) *float64 { return &s.P99Ms }},
	{"max", func(s *Sample) *float64 { return &s.MaxMs }},
}

// ParseReport reads the report redis-benchmark 7.0 prints without --csv or -q: for every
// test, a "====== NAME ======" header, a "Latency by percentile distribution" (lines
// "P% <= MS milliseconds (cumulative count C)"), a "throughput summary" and a "latency
// summary (msec)" whose columns are found by name. The progress lines that redis-benchmark
// rewrites with carriage returns are skipped.
//
// The CSV output has no p99.9, and the percentile distribution gives it: P999Ms is the
// latency of the first distribution line whose cumulative count reaches 99.9% of the
// requests. The lines stop at 99.805% and 99.902% (the distance to 100 halved each step),
// so that is HdrHistogram's p99.9 when the 99.805% line already reaches 99.9%, and
// otherwise the 99.902% line: it can err upward, by at most the latencies of the 0.002%
// of requests in between. Distribution holds every line, with the percent taken from
// the cumulative count.
func ParseReport(out []byte) ([]Section, error) {
	var sections []Section
	var cur *Section
	var counts []int64       // cumulative counts of cur's distribution lines
	var have map[string]bool // what cur has found
	finish := func() error {
		if cur == nil {
			return nil
		}
		for _, part := range []string{"distribution", "throughput", "latency summary"} {
			if !have[part] {
				return fmt.Errorf("section %q has no %s", cur.Test, part)
			}
		}
		total := counts[len(counts)-1]
		if total <= 0 {
			return fmt.Errorf("section %q: distribution counts no request", cur.Test)
		}
		for i, c := range counts {
			cur.Sample.Distribution[i].Percent = roundPercent(100 * float64(c) / float64(total))
			// c/total >= 99.9%, in integers.
			if cur.Sample.P999Ms == 0 && c*1000 >= total*999 {
				cur.Sample.P999Ms = cur.Sample.Distribution[i].Ms
			}
		}
		sections = append(sections, *cur)
		return nil
	}
	lines := strings.Split(string(out), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		// Progress lines end with \r and the next output follows on the same line.
		if j := strings.LastIndexByte(line, '\r'); j >= 0 {
			line = line[j+1:]
		}
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "====== ") && strings.HasSuffix(line, " ======") && len(line) > 14:
			if err := finish(); err != nil {
				return nil, err
			}
			cur = &Section{Test: strings.TrimSpace(line[7 : len(line)-7])}
			counts = nil
			have = make(map[string]bool)
		case cur == nil:
			// Before the first section: nothing of ours.
		case line == "Latency by percentile distribution:":
			for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
				i++
				ms, count, err := parsePercentileLine(strings.TrimSpace(lines[i]))
				if err != nil {
					return nil, fmt.Errorf("section %q: %w", cur.Test, err)
				}
				if len(counts) > 0 && (count < counts[len(counts)-1] || ms < cur.Sample.Distribution[len(counts)-1].Ms) {
					return nil, fmt.Errorf("section %q: distribution line %q goes backwards", cur.Test, strings.TrimSpace(lines[i]))
				}
				counts = append(counts, count)
				cur.Sample.Distribution = append(cur.Sample.Distribution, Point{Ms: ms})
			}
			have["distribution"] = len(counts) > 0
		case strings.HasPrefix(line, "throughput summary:"):
			f := strings.Fields(strings.TrimPrefix(line, "throughput summary:"))
			if len(f) == 0 {
				return nil, fmt.Errorf("section %q: throughput summary %q has no figure", cur.Test, line)
			}
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return nil, fmt.Errorf("section %q: throughput summary: %w", cur.Test, err)
			}
			cur.Sample.RPS = v
			have["throughput"] = true
		case line == "latency summary (msec):":
			if i+2 >= len(lines) {
				return nil, fmt.Errorf("section %q: latency summary cut short", cur.Test)
			}
			header, values := strings.Fields(lines[i+1]), strings.Fields(lines[i+2])
			i += 2
			if len(header) != len(values) {
				return nil, fmt.Errorf("section %q: latency summary has %d columns and %d figures", cur.Test, len(header), len(values))
			}
			col := make(map[string]int, len(header))
			for j, name := range header {
				col[name] = j
			}
			for _, c := range summaryColumns {
				j, ok := col[c.name]
				if !ok {
					return nil, fmt.Errorf("section %q: latency summary %q has no %s column", cur.Test, strings.Join(header, " "), c.name)
				}
				v, err := strconv.ParseFloat(values[j], 64)
				if err != nil {
					return nil, fmt.Errorf("section %q: latency summary, column %s: %w", cur.Test, c.name, err)
				}
				*c.dst(&cur.Sample) = v
			}
			have["latency summary"] = true
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if len(sections) == 0 {
		return nil, errors.New("no test section (\"====== NAME ======\") in the output")
	}
	return sections, nil
}

// parsePercentileLine reads "99.902% <= 5.015 milliseconds (cumulative count 19981)".
func parsePercentileLine(line string) (ms float64, count int64, err error) {
	f := strings.Fields(line)
	if len(f) != 7 || f[1] != "<=" || f[3] != "milliseconds" || f[4] != "(cumulative" || f[5] != "count" || !strings.HasSuffix(f[6], ")") {
		return 0, 0, fmt.Errorf("distribution line %q is not \"P%% <= MS milliseconds (cumulative count C)\"", line)
	}
	if ms, err = strconv.ParseFloat(f[2], 64); err != nil {
		return 0, 0, fmt.Errorf("distribution line %q: %w", line, err)
	}
	if count, err = strconv.ParseInt(strings.TrimSuffix(f[6], ")"), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("distribution line %q: %w", line, err)
	}
	return ms, count, nil
}

// tail keeps the end of a tool's output for an error message, where the reason usually is.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
