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
// "mset", ...) with --csv and reads the figures back.
//
// redis-benchmark 7.0's CSV has rps, avg, min, p50, p95, p99 and max latency; it has no
// p99.9, so Sample.P999Ms stays 0 for this generator.
type RedisBenchmark struct {
	Test string
}

// Tool implements LoadGenerator.
func (RedisBenchmark) Tool() string { return "redis-benchmark" }

// Args returns the redis-benchmark arguments for one run.
func (rb RedisBenchmark) Args(target Target, p Params) []string {
	return append([]string{"-h", target.Host, "-p", strconv.Itoa(target.Port)}, rb.loadArgs(p)...)
}

func (rb RedisBenchmark) loadArgs(p Params) []string {
	n := "N"
	if p.Requests > 0 {
		n = strconv.Itoa(p.Requests)
	}
	return []string{
		"--csv",
		"-t", rb.Test,
		"-c", strconv.Itoa(p.Clients),
		"-P", strconv.Itoa(p.Pipeline),
		"-n", n,
		"-r", strconv.Itoa(p.Keyspace),
		"-d", strconv.Itoa(p.DataSize),
	}
}

// CommandLine implements LoadGenerator.
func (rb RedisBenchmark) CommandLine(p Params) string {
	return "redis-benchmark " + strings.Join(rb.loadArgs(p), " ")
}

// Run implements LoadGenerator.
func (rb RedisBenchmark) Run(ctx context.Context, tools Tools, target Target, p Params) (Sample, error) {
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
		return Sample{}, fmt.Errorf("redis-benchmark -t %s: %w after %s (stderr: %s)", rb.Test, ctx.Err(), elapsed.Round(time.Millisecond), tail(stderr.String(), 300))
	}
	if err != nil {
		return Sample{}, fmt.Errorf("redis-benchmark -t %s: %v (stderr: %s; stdout: %s)", rb.Test, err, tail(stderr.String(), 300), tail(stdout.String(), 300))
	}
	rows, err := ParseCSV(stdout.Bytes())
	if err != nil {
		return Sample{}, fmt.Errorf("redis-benchmark -t %s: %w (stderr: %s)", rb.Test, err, tail(stderr.String(), 300))
	}
	if len(rows) != 1 {
		return Sample{}, fmt.Errorf("redis-benchmark -t %s: want one result row, got %d", rb.Test, len(rows))
	}
	s := rows[0].Sample
	s.Requests = p.Requests
	s.ElapsedSec = elapsed.Seconds()
	if s.RPS <= 0 {
		return Sample{}, fmt.Errorf("redis-benchmark -t %s: reported %v requests per second (stderr: %s)", rb.Test, s.RPS, tail(stderr.String(), 300))
	}
	return s, nil
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
