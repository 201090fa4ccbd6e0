package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// RedisBenchmark runs one test of redis-benchmark (its -t name: "set", "get", "incr",
// "mset", ...), or one command line of its own, with --csv and reads the figures back.
//
// redis-benchmark 7.0's CSV has rps, avg, min, p50, p95, p99 and max latency; it has no
// p99.9, so Sample.P999Ms stays 0 for this generator.
type RedisBenchmark struct {
	// Test is the -t test to run. Exactly one of Test and Command is set.
	Test string
	// Command is a command line for redis-benchmark to send instead of a -t test, such as
	// ZRANGE key 0 99 WITHSCORES, which no test covers. redis-benchmark takes it after its
	// options and replaces __rand_int__ in it with a random number below -r.
	Command []string
	// Row names the CSV line to report. Some tests print more than one (lrange_100 first
	// times the LPUSHes that fill its list); the other lines are ignored. A line matches
	// when its name is Row or starts with Row followed by " (", as in "MSET (10 keys)".
	// Empty: the upper-case Test, or Command joined by spaces, which is how redis-benchmark
	// names a custom command's line.
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

// row is the CSV line name to report; see the Row field.
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
	args := []string{"--csv"}
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
// quoted, so the line can be pasted; when Row was chosen, a shell comment names the CSV
// line the figures come from.
func (rb RedisBenchmark) CommandLine(p Params) string {
	args := rb.loadArgs(p)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	line := "redis-benchmark " + strings.Join(args, " ")
	if rb.Row != "" {
		line += fmt.Sprintf("  # reports the %s line", rb.Row)
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
	rows, err := ParseCSV(stdout.Bytes())
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %w (stderr: %s)", rb.name(), err, tail(stderr.String(), 300))
	}
	row, err := PickRow(rows, rb.row())
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

// PickRow returns the one line of rows that name designates: the line called name, or
// one whose name starts with name and " (" (redis-benchmark's "MSET (10 keys)",
// "LRANGE_100 (first 100 elements)"). None or several is an error that lists the lines,
// since reporting the wrong line would put another command's figures under this label.
func PickRow(rows []CSVRow, name string) (CSVRow, error) {
	var found []CSVRow
	var names []string
	for _, r := range rows {
		names = append(names, strconv.Quote(r.Test))
		if r.Test == name || strings.HasPrefix(r.Test, name+" (") {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return CSVRow{}, fmt.Errorf("want one CSV line named %q, found %d among %s", name, len(found), strings.Join(names, ", "))
	}
	return found[0], nil
}

// CSVRow is one line of redis-benchmark --csv output.
type CSVRow struct {
	Test   string // as redis-benchmark prints it, e.g. "MSET (10 keys)"
	Sample Sample
}

// csvColumns maps redis-benchmark 7.0's CSV header names to Sample fields. Every column is
// required: a header that lacks one means a different redis-benchmark whose figures this
// harness would misread.
var csvColumns = []struct {
	name string
	dst  func(*Sample) *float64
}{
	{"rps", func(s *Sample) *float64 { return &s.RPS }},
	{"avg_latency_ms", func(s *Sample) *float64 { return &s.AvgMs }},
	{"min_latency_ms", func(s *Sample) *float64 { return &s.MinMs }},
	{"p50_latency_ms", func(s *Sample) *float64 { return &s.P50Ms }},
	{"p95_latency_ms", func(s *Sample) *float64 { return &s.P95Ms }},
	{"p99_latency_ms", func(s *Sample) *float64 { return &s.P99Ms }},
	{"max_latency_ms", func(s *Sample) *float64 { return &s.MaxMs }},
}

// ParseCSV reads the output of `redis-benchmark --csv`: a header line naming the columns,
// then one line per test. Columns are found by name, so their order may change; unknown
// extra columns are ignored.
func ParseCSV(out []byte) ([]CSVRow, error) {
	r := csv.NewReader(bytes.NewReader(out))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parsing CSV: %w", err)
	}
	if len(records) == 0 {
		return nil, errors.New("parsing CSV: no output")
	}
	header := records[0]
	col := make(map[string]int, len(header))
	for i, name := range header {
		col[strings.TrimSpace(name)] = i
	}
	testCol, ok := col["test"]
	if !ok {
		return nil, fmt.Errorf("parsing CSV: header %q has no test column", strings.Join(header, ","))
	}
	for _, c := range csvColumns {
		if _, ok := col[c.name]; !ok {
			return nil, fmt.Errorf("parsing CSV: header %q has no %s column", strings.Join(header, ","), c.name)
		}
	}
	if len(records) == 1 {
		return nil, errors.New("parsing CSV: header but no result line")
	}
	rows := make([]CSVRow, 0, len(records)-1)
	for line, rec := range records[1:] {
		if len(rec) != len(header) {
			return nil, fmt.Errorf("parsing CSV line %d: %d fields, header has %d", line+2, len(rec), len(header))
		}
		row := CSVRow{Test: rec[testCol]}
		for _, c := range csvColumns {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[col[c.name]]), 64)
			if err != nil {
				return nil, fmt.Errorf("parsing CSV line %d, column %s: %w", line+2, c.name, err)
			}
			*c.dst(&row.Sample) = v
		}
		rows = append(rows, row)
	}
	return rows, nil
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
