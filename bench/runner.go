package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Options configure Compare.
type Options struct {
	// Redoubt is the candidate, Redis the baseline; ratios are Redoubt/Redis.
	Redoubt, Redis System
	// RedisBenchmark is the path of redis-benchmark.
	RedisBenchmark string
	// Workloads is the table to run (nil: DefaultWorkloads()).
	Workloads []Spec
	// Filter keeps the cases whose name matches (nil: all).
	Filter *regexp.Regexp
	// Repeats is the number of rounds; every round measures each case once per system.
	Repeats int
	// Duration is how long one measured run should last; calibration picks the request
	// count that gives it on each system.
	Duration time.Duration
	// ProbeDuration is how long a calibration run must last for its rate to be trusted.
	ProbeDuration time.Duration
	// SettleMax bounds the wait, before every run, for the servers to go idle
	// (0: no wait, no sync).
	SettleMax time.Duration
	// SettleWindow is how long the servers must stay idle (0: DefaultSettleWindow).
	// Every measured run waits at least that long first.
	SettleWindow time.Duration
	// Quick is recorded in the results so a quick run is never mistaken for a full one.
	Quick bool
	// SizeFrom, when set, gives the request counts instead of probing: a case that
	// SizeFrom measured with the same parameters runs its N scaled to Duration, which
	// spares a quick run most of its time. Cases it lacks are probed as usual.
	SizeFrom *Results
	// SizeFromPath names SizeFrom in the results.
	SizeFromPath string
	// WarmUp runs every case that SizeFrom sized once, unrecorded, on each system right
	// before its measured runs: the stand-in for the probes that a full run's cases get
	// first and for the first part of a full run's longer runs, both of which warm the
	// servers up. Without it a quick run measured fresh servers, and Redoubt's write rows
	// came out 15-50% faster than in the full run it was read against. Warming up every
	// case of a group first and measuring them after was no better: by its turn each
	// case's keys had gone cold again (Redoubt's row cache had filled with the later
	// cases' keys), and its 0.3 s run measured mostly their way back in, where a full
	// run's 2.5 s measure mostly what follows; -P 16 write rows came out at half their
	// full-run ratios (HSET 0.29 against 0.55, MIXED 0.28 against 0.58).
	// The warm-up is also the probe: the measured runs are sized again from its rates,
	// so they last Duration on the machine as it is now, not as it was in SizeFrom's run
	// (in a slow hour, runs sized from the reference took up to twice as long, and a
	// quick run nearly 2 minutes). With more than one round, all rounds of a case follow
	// its warm-up (see runOrder).
	WarmUp bool
	// Progress receives one line per step (nil: discarded).
	Progress io.Writer
	// Now stamps the results (nil: time.Now).
	Now func() time.Time
}

// Results is everything one invocation measured; results.json is its JSON form.
type Results struct {
	Settings    Settings    `json:"settings"`
	Environment Environment `json:"environment"`
	// Systems are the candidate and the baseline, in the order of every CaseResult.Systems.
	Systems []System `json:"systems"`
	// Groups are the server pairs the run started, in the order it ran them.
	Groups []GroupInfo  `json:"groups"`
	Cases  []CaseResult `json:"cases"`
	// Reference compares the ratios with another run's, when one was given (CompareWith).
	Reference *Reference `json:"reference,omitempty"`
	// Charts are the PNG files WriteDir drew next to results.json.
	Charts []string `json:"charts,omitempty"`
}

// GroupInfo is one pair of deployments: the cases it served, how each system was
// started, and the data preloaded into both before any case ran.
type GroupInfo struct {
	Topology string `json:"topology,omitempty"`
	Group    string `json:"group,omitempty"` // Spec.Group
	Fsync    string `json:"appendfsync"`
	Data     string `json:"data"`
	// Servers maps a system's name to the command lines that started it, with PORT and
	// DIR for what changes from run to run.
	Servers map[string][]string `json:"servers"`
	Cases   []string            `json:"cases"`
}

// Settings are the options a reader needs to judge the figures.
type Settings struct {
	Quick         bool    `json:"quick"`
	WarmUp        bool    `json:"warm_up,omitempty"`
	Repeats       int     `json:"repeats"`
	RunSeconds    float64 `json:"run_seconds"`
	ProbeSeconds  float64 `json:"probe_seconds"`
	SettleSeconds float64 `json:"settle_max_seconds"`
	// SettleWindowSeconds is Options.SettleWindow.
	SettleWindowSeconds float64 `json:"settle_window_seconds,omitempty"`
	Filter              string  `json:"filter,omitempty"`
	// SizedFrom is the results.json whose request counts, scaled to RunSeconds, replaced
	// probing (Options.SizeFrom), if any.
	SizedFrom string `json:"sized_from,omitempty"`
}

// CaseResult is one row of the report.
type CaseResult struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Tool     string `json:"tool"`
	Fsync    string `json:"appendfsync"`
	Topology string `json:"topology,omitempty"`
	Group    string `json:"group,omitempty"`
	// Params has Requests 0: the count is calibrated per system (SystemResult.Requests).
	Params      Params `json:"params"`
	CommandLine string `json:"command_line"`
	// Setup says what is done to the data before every run (Setup.Describe), if anything.
	Setup string `json:"setup,omitempty"`
	// Background says what is attached to the server during every run
	// (Background.Describe), if anything.
	Background string         `json:"background,omitempty"`
	Systems    []SystemResult `json:"systems"`
	// Sized: the request count came from Settings.SizedFrom, not from probes.
	Sized bool `json:"sized,omitempty"`
	// FixedWork: the load does the same work in every run (FullSync transfers the
	// preloaded keys), so it was probed once rather than sized, its N is what that probe
	// did, and it measures no request latencies (see fixedWorker).
	FixedWork bool `json:"fixed_work,omitempty"`
	// Ratio is the candidate's throughput over the baseline's, paired round by round; nil
	// when no round has both.
	Ratio *Stat `json:"ratio_rps"`
}

// SystemResult is one system's side of a CaseResult.
type SystemResult struct {
	System string `json:"system"`
	// Requests is the count per measured run, the same on both systems; for a FixedWork
	// case, what this system's probe did (the keys a full sync transferred).
	Requests int     `json:"requests"`
	ProbeRPS float64 `json:"probe_rps"` // throughput of the last calibration probe
	Runs     []Run   `json:"runs"`
	Summary  Summary `json:"summary"`
	// Error is why the case could not run at all (server start, preload, calibration).
	Error string `json:"error,omitempty"`
}

// Run is one measured run.
type Run struct {
	Round  int    `json:"round"` // from 1
	Sample Sample `json:"sample"`
	Error  string `json:"error,omitempty"`
}

// Candidate and Baseline return the two sides of a case.
func (c *CaseResult) Candidate() *SystemResult { return &c.Systems[0] }
func (c *CaseResult) Baseline() *SystemResult  { return &c.Systems[1] }

// Failed counts the runs and cases that produced an error.
func (r *Results) Failed() int {
	n := 0
	for _, c := range r.Cases {
		for _, s := range c.Systems {
			if s.Error != "" {
				n++
			}
			for _, run := range s.Runs {
				if run.Error != "" {
					n++
				}
			}
		}
	}
	return n
}

// Compare measures every case on both systems and returns the results. Failures of single
// runs are recorded in the results, not returned: a benchmark that lost one run still has
// something to say. The error is for what makes the whole invocation meaningless (bad
// options, missing binaries, no case selected) or for ctx ending; with the latter the
// results so far come back too.
func Compare(ctx context.Context, opts Options) (*Results, error) {
	if opts.Repeats < 1 {
		return nil, fmt.Errorf("bench: repeats %d < 1", opts.Repeats)
	}
	if opts.Duration <= 0 || opts.ProbeDuration <= 0 {
		return nil, errors.New("bench: run and probe durations must be positive")
	}
	for _, path := range []string{opts.Redoubt.Path, opts.Redis.Path, opts.RedisBenchmark} {
		if _, err := exec.LookPath(path); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	specs := opts.Workloads
	if specs == nil {
		specs = DefaultWorkloads()
	}
	cases, err := Expand(specs, opts.Filter)
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("bench: no workload matches %v", opts.Filter)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}

	env := CollectEnvironment(ctx, now(), opts.Redoubt, opts.Redis, opts.RedisBenchmark)
	if env.busyBefore() {
		fmt.Fprintf(progress, "bench: load average %s before the start: other work is running, figures will be noisy\n", env.LoadAvgStart)
	}
	systems := []System{opts.Redoubt, opts.Redis}
	systems[0].Version = env.Redoubt
	systems[1].Version = env.RedisServer
	res := &Results{
		Settings: Settings{
			Quick:         opts.Quick,
			WarmUp:        opts.WarmUp,
			Repeats:       opts.Repeats,
			RunSeconds:    opts.Duration.Seconds(),
			ProbeSeconds:  opts.ProbeDuration.Seconds(),
			SettleSeconds: opts.SettleMax.Seconds(),
		},
		Environment: env,
		Systems:     systems,
	}
	if opts.Filter != nil {
		res.Settings.Filter = opts.Filter.String()
	}
	if opts.SettleWindow > 0 {
		res.Settings.SettleWindowSeconds = opts.SettleWindow.Seconds()
	}
	if opts.SizeFrom != nil {
		res.Settings.SizedFrom = opts.SizeFromPath
	}
	byName := make(map[string]*CaseResult, len(cases))
	res.Cases = make([]CaseResult, 0, len(cases))
	for _, g := range groupCases(cases) {
		info := GroupInfo{
			Topology: g.topology.Name(),
			Group:    g.name,
			Fsync:    g.fsync,
			Data:     describePreload(g.data),
			Servers:  make(map[string][]string),
		}
		for _, s := range systems {
			info.Servers[s.Name] = g.topology.CommandLines(s, g.fsync)
		}
		for _, c := range g.cases {
			info.Cases = append(info.Cases, c.Name)
		}
		res.Groups = append(res.Groups, info)
		for _, c := range g.cases {
			cr := CaseResult{
				Name:        c.Name,
				Label:       c.Label,
				Tool:        c.Load.Tool(),
				Fsync:       c.Fsync,
				Topology:    c.Topology.Name(),
				Group:       c.Group,
				Params:      c.Params,
				CommandLine: c.Load.CommandLine(c.Params),
				FixedWork:   fixedWork(c.Load),
			}
			if c.Setup != nil {
				cr.Setup = c.Setup.Describe(c.Params)
			}
			if c.Background != nil {
				cr.Background = c.Background.Describe(c.Params)
			}
			for _, s := range systems {
				cr.Systems = append(cr.Systems, SystemResult{System: s.Name})
			}
			res.Cases = append(res.Cases, cr)
		}
	}
	for i := range res.Cases {
		byName[res.Cases[i].Name] = &res.Cases[i]
	}

	r := &runner{
		opts:     opts,
		systems:  systems,
		tools:    Tools{RedisBenchmark: opts.RedisBenchmark},
		results:  byName,
		progress: progress,
		total:    len(cases) * len(systems) * opts.Repeats,
		start:    time.Now(),
	}
	for _, c := range cases {
		w := float64(opts.Repeats) * r.runWeight()
		if _, ok := r.sized(c); !ok {
			w += r.calibrationWeight()
		} else if opts.WarmUp {
			w += r.runWeight()
		}
		r.work.total += float64(len(systems)) * w
	}
	for _, g := range groupCases(cases) {
		r.runGroup(ctx, g)
		if ctx.Err() != nil {
			break
		}
	}
	res.Environment.LoadAvgEnd = loadAvg()
	res.summarize()
	return res, ctx.Err()
}

// summarize fills in every Summary and Ratio from the runs.
func (r *Results) summarize() {
	for i := range r.Cases {
		c := &r.Cases[i]
		for j := range c.Systems {
			c.Systems[j].Summary = summarizeRuns(c.Systems[j].Runs, !c.FixedWork)
		}
		c.Ratio = Ratio(c.Candidate().Runs, c.Baseline().Runs)
	}
}

// runner holds the state of one Compare call; it is used by one goroutine.
type runner struct {
	opts     Options
	systems  []System
	tools    Tools
	results  map[string]*CaseResult
	progress io.Writer
	total    int // measured runs planned
	done     int // measured runs finished or skipped
	start    time.Time
	// work estimates, in seconds, what the whole invocation and its finished part take,
	// for the time left in the progress lines: calibrations and measured runs, weighted
	// by their expected length.
	work struct{ total, done float64 }
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.progress, "bench: "+format+"\n", args...)
}

// calibrationWeight and runWeight are the expected seconds of one system's calibration
// of a case (about three probes, the last one ProbeDuration long) and of one measured run
// (Duration, plus settling and start-up).
func (r *runner) calibrationWeight() float64 { return 2*r.opts.ProbeDuration.Seconds() + 0.3 }
func (r *runner) runWeight() float64         { return r.opts.Duration.Seconds() + 0.4 }

// status is the head of a progress line: measured runs done and planned, time spent, and
// an estimate of the time left, scaled from how long the finished work took.
func (r *runner) status() string {
	elapsed := time.Since(r.start)
	left := "?"
	if r.work.done > 0 {
		rest := time.Duration(float64(elapsed) * (r.work.total - r.work.done) / r.work.done)
		left = "~" + shortDuration(max(rest, 0))
	}
	return fmt.Sprintf("[%d/%d runs, %s elapsed, %s left]", r.done, r.total, shortDuration(elapsed), left)
}

// shortDuration prints d to the second, as 1m05s or 42s.
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// runGroup starts one deployment per system, preloads and calibrates, measures the
// group's cases round by round, and stops what it started.
func (r *runner) runGroup(ctx context.Context, g group) {
	deps := make([]Deployment, len(r.systems))
	defer func() {
		for i, d := range deps {
			if d == nil {
				continue
			}
			if err := d.Stop(); err != nil {
				r.logf("stopping %s: %v", r.systems[i].Name, err)
			}
		}
	}()
	failed := make([]map[string]bool, len(r.systems)) // system -> case name -> cannot run
	for i, sys := range r.systems {
		failed[i] = make(map[string]bool)
		fail := func(err error) {
			r.logf("%s (appendfsync %s): %v", sys.Name, g.fsync, err)
			for _, c := range g.cases {
				r.results[c.Name].Systems[i].Error = err.Error()
				failed[i][c.Name] = true
			}
		}
		where := "appendfsync " + g.fsync
		for _, t := range []string{g.name, g.topology.Name()} {
			if t != "" {
				where = t + ", " + where
			}
		}
		r.logf("%s starting %s %s (%s) and preloading %s", r.status(), sys.Name, sys.Path, where, describePreload(g.data))
		d, err := g.topology.Start(ctx, sys, g.fsync)
		if err != nil {
			fail(err)
			continue
		}
		deps[i] = d
		if err := d.Preload(ctx, g.data); err != nil {
			fail(fmt.Errorf("preload: %w", err))
		}
	}

	for _, c := range g.cases {
		if ref, ok := r.sized(c); ok {
			n := wholePipelines(max(int(roundTo(float64(ref.Candidate().Requests)*r.opts.Duration.Seconds()/r.opts.SizeFrom.Settings.RunSeconds, 2)), minRequests(c.Params)), c.Params.Pipeline)
			r.results[c.Name].Sized = true
			for i := range r.systems {
				if !failed[i][c.Name] {
					// The reference's rate stands in for a probe's: it bounds the run.
					r.results[c.Name].Systems[i].Requests = n
					r.results[c.Name].Systems[i].ProbeRPS = ref.Systems[i].Summary.RPS.Median
				}
			}
			r.logf("%s: %d requests per run on each system, scaled from the reference", c.Name, n)
			continue
		}
		rates := make([]float64, len(r.systems))
		for i, sys := range r.systems {
			r.work.done += r.calibrationWeight()
			if failed[i][c.Name] {
				continue
			}
			probe, err := r.calibrate(ctx, deps, i, c)
			if ctx.Err() != nil {
				return // interrupted: not a finding about the system
			}
			if err != nil {
				r.logf("calibrating %s on %s: %v", c.Name, sys.Name, err)
				r.results[c.Name].Systems[i].Error = "calibration: " + err.Error()
				failed[i][c.Name] = true
				continue
			}
			rates[i] = probe.RPS
			sr := &r.results[c.Name].Systems[i]
			sr.ProbeRPS = probe.RPS
			if fixedWork(c.Load) {
				// Its work is what it is: N records it, and bounds the run's deadline
				// with the rate.
				sr.Requests = probe.Requests
				r.logf("%s probed %s on %s once (fixed work): %d requests at %.0f/s", r.status(), c.Name, sys.Name, probe.Requests, probe.RPS)
				continue
			}
			r.logf("%s probed %s on %s: %.0f req/s", r.status(), c.Name, sys.Name, probe.RPS)
		}
		if fixedWork(c.Load) {
			continue
		}
		n := commonRequests(rates, c.Params, r.opts.Duration)
		for i := range r.systems {
			if !failed[i][c.Name] {
				r.results[c.Name].Systems[i].Requests = n
			}
		}
		r.logf("%s: %d requests per run on each system", c.Name, n)
	}

	warmed := 0
	for _, st := range runOrder(g.cases, r.opts.Repeats, r.opts.WarmUp) {
		c, round := st.c, st.round
		if round == 1 && r.opts.WarmUp && r.results[c.Name].Sized {
			if !r.warmUp(ctx, deps, c, failed) {
				return
			}
			warmed++
		}
		for i, sys := range r.systems {
			if ctx.Err() != nil {
				return
			}
			if failed[i][c.Name] {
				r.done++
				r.work.done += r.runWeight()
				continue
			}
			sr := &r.results[c.Name].Systems[i]
			p := c.Params
			p.Requests = sr.Requests
			err := r.prepare(ctx, deps, i, c, p)
			fmt.Fprintf(r.progress, "bench: %s round %d/%d %s on %s, %d requests ... ",
				r.status(), round, r.opts.Repeats, c.Name, sys.Name, sr.Requests)
			var s Sample
			if err == nil {
				expected := time.Duration(float64(p.Requests) / sr.ProbeRPS * float64(time.Second))
				s, err = r.measure(ctx, deps[i], c, p, expected)
			}
			if ctx.Err() != nil {
				fmt.Fprintln(r.progress, "interrupted")
				return
			}
			r.done++
			r.work.done += r.runWeight()
			run := Run{Round: round, Sample: s}
			if err != nil {
				run.Error = err.Error()
				fmt.Fprintf(r.progress, "error: %v\n", err)
			} else {
				fmt.Fprintln(r.progress, progressSample(s, fixedWork(c.Load)))
			}
			sr.Runs = append(sr.Runs, run)
		}
	}
	if warmed > 0 {
		r.logf("%s warmed up the %d sized cases of this group, each right before its rounds", r.status(), warmed)
	}
}

// step is one measured round of a case: a run on each system in turn.
type step struct {
	round int
	c     Case
}

// runOrder is the order of a group's measured rounds. Without warm-ups, round by round
// over every case of the group, so that each case's rounds are spread over the group's
// time and the machine's drift over it falls on every case's spread. With warm-ups
// (Options.WarmUp), case by case: all rounds of a case follow its warm-up, as its keys
// are warm then and go cold again while other cases run.
func runOrder(cases []Case, repeats int, warmUp bool) []step {
	var steps []step
	if warmUp {
		for _, c := range cases {
			for round := 1; round <= repeats; round++ {
				steps = append(steps, step{round, c})
			}
		}
		return steps
	}
	for round := 1; round <= repeats; round++ {
		for _, c := range cases {
			steps = append(steps, step{round, c})
		}
	}
	return steps
}

// progressSample is the end of a progress line: what a measured run measured. A fixed
// work load has no latencies to show.
func progressSample(s Sample, fixed bool) string {
	var b strings.Builder
	if fixed {
		fmt.Fprintf(&b, "%d requests at %.0f/s in %.2f s", s.Requests, s.RPS, s.ElapsedSec)
	} else {
		fmt.Fprintf(&b, "%.0f req/s, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms in %.1f s",
			s.RPS, s.P50Ms, s.P99Ms, s.P999Ms, s.ElapsedSec)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Figures)) {
		fmt.Fprintf(&b, ", %s %.3g", name, s.Figures[name])
	}
	return b.String()
}

// warmUp runs the sized case c once on every system that can run it, as the measured
// runs will (with its setup), and keeps nothing but failures in the log: see
// Options.WarmUp. Like probes, warm-up runs follow each other without settling. It
// reports false when ctx is done.
func (r *runner) warmUp(ctx context.Context, deps []Deployment, c Case, failed []map[string]bool) bool {
	cr := r.results[c.Name]
	rates := make([]float64, len(r.systems))
	for i, sys := range r.systems {
		if ctx.Err() != nil {
			return false
		}
		r.work.done += r.runWeight()
		if failed[i][c.Name] {
			continue
		}
		p := c.Params
		p.Requests = cr.Systems[i].Requests
		var err error
		if c.Setup != nil {
			err = c.Setup.Prepare(ctx, deps[i].Target(), p)
		}
		if err == nil {
			expected := time.Duration(float64(p.Requests) / cr.Systems[i].ProbeRPS * float64(time.Second))
			var s Sample
			s, err = r.measure(ctx, deps[i], c, p, expected)
			rates[i] = s.RPS
		}
		if err != nil && ctx.Err() == nil {
			r.logf("%s warm-up of %s on %s: %v", r.status(), c.Name, sys.Name, err)
		}
	}
	r.resizeFromWarmUp(c, rates, failed)
	return true
}

// resizeFromWarmUp sizes c's measured runs from the rates its warm-up runs had (see
// Options.WarmUp), as a full run sizes them from its probes; with a system whose warm-up
// failed, the reference's count stands.
func (r *runner) resizeFromWarmUp(c Case, rates []float64, failed []map[string]bool) {
	cr := r.results[c.Name]
	for i := range r.systems {
		if !failed[i][c.Name] && rates[i] <= 0 {
			return
		}
	}
	n := commonRequests(rates, c.Params, r.opts.Duration)
	for i := range r.systems {
		if !failed[i][c.Name] {
			cr.Systems[i].Requests = n
			cr.Systems[i].ProbeRPS = rates[i]
		}
	}
}

// sized returns the case of Options.SizeFrom that gives c its request count: the same
// name and parameters, measured on both systems with a request count. A fixed-work case
// has none to take: it is probed, once.
func (r *runner) sized(c Case) (*CaseResult, bool) {
	ref := r.opts.SizeFrom
	if ref == nil || fixedWork(c.Load) || ref.Settings.RunSeconds <= 0 || len(ref.Systems) != len(r.systems) {
		return nil, false
	}
	for i := range ref.Cases {
		rc := &ref.Cases[i]
		if rc.Name != c.Name || rc.Params != c.Params {
			continue
		}
		for i, s := range rc.Systems {
			if s.System != r.systems[i].Name || s.Requests <= 0 || s.Summary.RPS.N == 0 {
				return nil, false
			}
		}
		return rc, true
	}
	return nil, false
}

// describePreload says what Deployment.Preload writes for data, for the report.
func describePreload(data Params) string {
	values := fmt.Sprintf("%d bytes of 'x'", data.DataSize)
	if data.RandomValues {
		values = fmt.Sprintf("%d random letters and digits (incompressible)", data.DataSize)
	}
	return fmt.Sprintf("%d keys (key:%012d ... key:%012d), values of %s: about %s",
		data.Keyspace, 0, max(data.Keyspace-1, 0), values, formatBytes(int64(data.Keyspace)*int64(data.DataSize+16)))
}

// formatBytes prints n in B, KB, MB or GB (powers of 1024).
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// measure runs the load once, after checking the server still answers: redis-benchmark
// against a dead server spins until killed. The deadline is generous because a slow
// system is a finding, not a failure, but it bounds a hang. The case's Background, if any,
// is started just before the load and stopped as soon as it returns; a run whose
// Background saw something wrong is a failed run, and the figures it measured join the
// run's Sample.
func (r *runner) measure(ctx context.Context, d Deployment, c Case, p Params, expected time.Duration) (Sample, error) {
	if err := d.Check(ctx); err != nil {
		return Sample{}, fmt.Errorf("server not answering before the run: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*expected+30*time.Second)
	defer cancel()
	if c.Background == nil {
		return c.Load.Run(ctx, r.tools, d.Target(), p)
	}
	stop, err := c.Background.Start(ctx, d.Target(), p)
	if err != nil {
		return Sample{}, fmt.Errorf("starting the background: %w", err)
	}
	s, err := c.Load.Run(ctx, r.tools, d.Target(), p)
	// A failed load explains whatever the background missed: its report would only
	// repeat the failure.
	figures, stopErr := stop()
	if err != nil {
		return s, err
	}
	if stopErr != nil {
		return Sample{}, fmt.Errorf("background: %w", stopErr)
	}
	s.Figures = s.Figures.merge(figures)
	return s, nil
}

// prepare readies system i for a run of c with parameters p: it runs c's Setup, if any,
// then waits for the servers to settle, so that neither the setup's writes nor the
// previous run's background work fall in the run.
func (r *runner) prepare(ctx context.Context, deps []Deployment, i int, c Case, p Params) error {
	if c.Setup != nil {
		if err := c.Setup.Prepare(ctx, deps[i].Target(), p); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	r.settle(ctx, deps)
	return nil
}

// settle waits, before a run, until the servers of the group are idle and their writes
// are on disk, so that the previous run's background work is not charged to this one.
func (r *runner) settle(ctx context.Context, deps []Deployment) {
	if r.opts.SettleMax <= 0 {
		return
	}
	window := r.opts.SettleWindow
	if window <= 0 {
		window = DefaultSettleWindow
	}
	if waited, idle := settle(ctx, deps, r.opts.SettleMax, window); !idle && ctx.Err() == nil {
		r.logf("servers still busy after %s; running anyway", waited.Round(time.Millisecond))
	}
}

// calibrate returns the last probe of system i on case c, whose RPS is the throughput.
// Runs shorter than ProbeDuration mostly measure connection set-up, so it grows the
// request count until a run lasts that long. The probes double as warm-up, so they follow
// each other without settling, unless c has a Setup: then every probe gets its data as a
// measured run does. A fixed-work load gets one probe: more would repeat the same work.
func (r *runner) calibrate(ctx context.Context, deps []Deployment, i int, c Case) (Sample, error) {
	maxProbes := 6
	if fixedWork(c.Load) {
		maxProbes = 1
	}
	p := c.Params
	p.Requests = minRequests(p)
	probe := r.opts.ProbeDuration.Seconds()
	for n := 0; ; n++ {
		if n == 0 || c.Setup != nil {
			if err := r.prepare(ctx, deps, i, c, p); err != nil {
				return Sample{}, err
			}
		}
		s, err := r.measure(ctx, deps[i], c, p, r.opts.ProbeDuration)
		if err != nil {
			return Sample{}, err
		}
		timed := timedSeconds(s)
		if timed >= probe || n == maxProbes-1 {
			return s, nil
		}
		grow := min(max(probe/max(timed, 0.001)*1.2, 2), 20)
		p.Requests = wholePipelines(int(float64(p.Requests)*grow), p.Pipeline)
	}
}

// timedSeconds is how long the measured requests of s took: the generator's wall time, or
// less when it also ran untimed work, such as the LPUSHes redis-benchmark runs before
// LRANGE, which would otherwise make a probe look long enough when its timed part is not.
func timedSeconds(s Sample) float64 {
	if s.RPS > 0 && s.Requests > 0 {
		return min(s.ElapsedSec, float64(s.Requests)/s.RPS)
	}
	return s.ElapsedSec
}

// minRequests keeps every connection busy for a few pipelines even in the shortest run.
func minRequests(p Params) int { return p.Clients * p.Pipeline * 20 }

// wholePipelines rounds n up to a multiple of the pipeline depth. redis-benchmark sends
// whole pipelines, so with any other -n it sends up to depth-1 requests more than it
// reports; with a multiple, N is exactly what the server executes, which lets
// a row check exactly what the run caused (Subscribers counts every message).
func wholePipelines(n, pipeline int) int {
	if pipeline <= 1 {
		return n
	}
	return (n + pipeline - 1) / pipeline * pipeline
}

// commonRequests picks the one request count both systems run for a case: the same work on
// both, so both write the same bytes and their logs grow alike. It is sized on the
// geometric mean of the probed rates, so that if one system is k times faster its runs
// last sqrt(k) times shorter than duration and the other's sqrt(k) times longer, rather
// than one of them running k times too short or too long. Rates of 0 (a failed probe) are
// left out.
func commonRequests(rates []float64, p Params, duration time.Duration) int {
	logSum, n := 0.0, 0
	for _, r := range rates {
		if r > 0 {
			logSum += math.Log(r)
			n++
		}
	}
	if n == 0 {
		return minRequests(p)
	}
	rate := math.Exp(logSum / float64(n))
	return wholePipelines(max(int(roundTo(rate*duration.Seconds(), 2)), minRequests(p)), p.Pipeline)
}
