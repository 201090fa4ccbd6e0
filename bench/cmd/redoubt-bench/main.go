// Command redoubt-bench runs Redoubt and Redis 7.0 side by side under the same load and
// durability and reports the two: a table on stdout, progress on stderr, and
// results.json, report.md and PNG charts under -out. See docs/benchmarks.md.
//
//	go run ./bench/cmd/redoubt-bench [-quick] [-filter REGEXP] [-repeats N] [-out DIR] [-reference FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/redoubtdb/redoubt/bench"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		quick          = flag.Bool("quick", false, "two rounds of short runs: the whole suite in under 2 minutes")
		filter         = flag.String("filter", "", "run only the workloads whose name matches this regexp (see -list)")
		repeats        = flag.Int("repeats", 0, "rounds per workload (default 3, or 2 with -quick)")
		duration       = flag.Duration("duration", 0, "target length of one measured run (default 2.5s, or 0.2s with -quick)")
		reference      = flag.String("reference", "", `results.json of a run to read the ratios against; default with -quick: the newest full run under -out; "none": no comparison`)
		noWarmUp       = flag.Bool("no-warm-up", false, "with -quick, measure without first running each workload once unrecorded")
		probe          = flag.Bool("probe", false, "with -quick, probe every case even when the reference gives its request count")
		redoubtPath    = flag.String("redoubt", "./bin/redoubt", "path of the redoubt binary")
		redoubtStyle   = flag.String("redoubt-style", "redoubt", `argument style of the -redoubt binary: "redoubt", or "redis" to let a redis-server stand in while testing the harness`)
		redisPath      = flag.String("redis-server", "redis-server", "path of redis-server 7.0")
		benchmarkPath  = flag.String("redis-benchmark", "redis-benchmark", "path of redis-benchmark")
		out            = flag.String("out", "bench/results", "directory for <timestamp>/ and latest/ results")
		list           = flag.Bool("list", false, "list the workload names and exit")
		noWriteResults = flag.Bool("no-write", false, "print the table only, write no results directory")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: redoubt-bench [flags]\n\nCompares Redoubt with Redis 7.0 on this machine; see docs/benchmarks.md.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		return 2
	}

	var re *regexp.Regexp
	if *filter != "" {
		var err error
		if re, err = regexp.Compile(*filter); err != nil {
			fmt.Fprintf(os.Stderr, "redoubt-bench: -filter: %v\n", err)
			return 2
		}
	}
	if *list {
		cases, err := bench.Expand(bench.DefaultWorkloads(), re)
		if err != nil {
			fmt.Fprintln(os.Stderr, "redoubt-bench:", err)
			return 1
		}
		for _, c := range cases {
			fmt.Println(c.Name)
		}
		return 0
	}

	opts := bench.Options{
		Redoubt: bench.System{Name: "redoubt", Label: "Redoubt", Path: *redoubtPath, Style: bench.ArgStyle(*redoubtStyle)},
		Redis:   bench.System{Name: "redis", Label: "Redis", Path: *redisPath, Style: bench.StyleRedis},

		RedisBenchmark: *benchmarkPath,
		Filter:         re,
		Repeats:        3,
		Duration:       2500 * time.Millisecond,
		ProbeDuration:  500 * time.Millisecond,
		SettleMax:      3 * time.Second,
		Quick:          *quick,
		Progress:       os.Stderr,
	}
	if *quick {
		// Two rounds, so that every ratio has a spread to read against the full run's:
		// short runs and short settling windows pay for the second.
		opts.Repeats = 2
		opts.Duration = 200 * time.Millisecond
		opts.ProbeDuration = 200 * time.Millisecond
		opts.SettleMax = 500 * time.Millisecond
		opts.SettleWindow = 100 * time.Millisecond
	}
	if *repeats != 0 {
		opts.Repeats = *repeats
	}
	if *duration != 0 {
		opts.Duration = *duration
		opts.ProbeDuration = min(opts.ProbeDuration, *duration/2)
	}
	switch opts.Redoubt.Style {
	case bench.StyleRedoubt, bench.StyleRedis:
	default:
		fmt.Fprintf(os.Stderr, "redoubt-bench: -redoubt-style %q is not redoubt or redis\n", *redoubtStyle)
		return 2
	}
	if _, err := exec.LookPath(opts.Redoubt.Path); err != nil {
		fmt.Fprintf(os.Stderr, "redoubt-bench: no Redoubt binary at %s: build it with `make build`, or pass -redoubt PATH\n", opts.Redoubt.Path)
		return 1
	}
	// Absolute paths, so the report says which binary ran and a relative path names the
	// same file whatever directory a process runs in.
	for _, p := range []*string{&opts.Redoubt.Path, &opts.Redis.Path, &opts.RedisBenchmark} {
		found, err := exec.LookPath(*p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "redoubt-bench:", err)
			return 1
		}
		if abs, err := filepath.Abs(found); err == nil {
			*p = abs
		}
	}

	// The reference is found before the run, so that this run's own results, written to
	// -out at the end, are never their own reference.
	refPath := *reference
	switch {
	case refPath == "none":
		refPath = ""
	case refPath == "" && *quick:
		found, err := bench.FindReference(*out)
		if err != nil {
			fmt.Fprintf(os.Stderr, "redoubt-bench: no reference for this quick run (%v): the report will not compare it with a full run\n", err)
		}
		refPath = found
	}
	var ref *bench.Results
	if refPath != "" {
		var err error
		if ref, err = bench.LoadResults(refPath); err != nil {
			fmt.Fprintln(os.Stderr, "redoubt-bench: -reference:", err)
			return 1
		}
	}

	if ref != nil && *quick && !*probe {
		// A quick run's probes would take as long as its measured runs; the reference's
		// counts, scaled, give runs of about the same length.
		opts.SizeFrom, opts.SizeFromPath = ref, refPath
		opts.WarmUp = !*noWarmUp
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	res, err := bench.Compare(ctx, opts)
	if res == nil {
		fmt.Fprintln(os.Stderr, "redoubt-bench:", err)
		return 1
	}
	if ref != nil {
		res.CompareWith(ref, refPath)
	}
	if werr := res.WriteText(os.Stdout); werr != nil {
		fmt.Fprintln(os.Stderr, "redoubt-bench:", werr)
		return 1
	}
	if err != nil {
		// Interrupted: the partial table is shown, but latest/ keeps the last complete run.
		fmt.Fprintln(os.Stderr, "redoubt-bench:", err)
		return 1
	}
	if !*noWriteResults {
		dir, err := res.WriteDir(*out, start)
		if err != nil {
			fmt.Fprintln(os.Stderr, "redoubt-bench: writing results:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "bench: wrote %s and %s in %s\n", dir, filepath.Join(*out, "latest"), time.Since(start).Round(time.Second))
	}
	if n := res.Failed(); n > 0 {
		fmt.Fprintf(os.Stderr, "redoubt-bench: %d run(s) failed; see the Errors section of report.md\n", n)
		return 1
	}
	return 0
}
