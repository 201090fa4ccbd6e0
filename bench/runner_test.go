package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// needRedis returns the paths of redis-server and redis-benchmark, or skips the test.
func needRedis(t *testing.T) (server, benchmark string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts servers (not in -short)")
	}
	server, err1 := exec.LookPath("redis-server")
	benchmark, err2 := exec.LookPath("redis-benchmark")
	if err1 != nil || err2 != nil {
		t.Skip("redis-server and redis-benchmark are not both installed")
	}
	return server, benchmark
}

func tinySpec() []Spec {
	return []Spec{{
		Label: "SET", Load: RedisBenchmark{Test: "set"}, Pipelines: []int{1}, Fsync: []string{"everysec"},
		Clients: 10, Keyspace: 1000,
	}, {
		Label: "GET", Load: RedisBenchmark{Test: "get"}, Pipelines: []int{1}, Fsync: []string{"everysec"},
		Clients: 10, Keyspace: 1000,
	}}
}

// TestCompareRedisAgainstItself runs one tiny workload with redis-server standing in for
// both systems: the whole path from start to report, in a few seconds.
func TestCompareRedisAgainstItself(t *testing.T) {
	server, benchmark := needRedis(t)
	var progress bytes.Buffer
	opts := selfCompared(server, benchmark, Options{
		Workloads:     tinySpec(),
		Filter:        regexp.MustCompile(`^set-`),
		Repeats:       2,
		Duration:      300 * time.Millisecond,
		ProbeDuration: 100 * time.Millisecond,
		SettleMax:     time.Second,
		Progress:      &progress,
	})
	res := compareOrFail(t, opts, &progress, 30*time.Second)

	if len(res.Cases) != 1 || res.Cases[0].Name != "set-p1-everysec" {
		t.Fatalf("cases = %+v, want only set-p1-everysec", res.Cases)
	}
	c := res.Cases[0]
	for _, s := range c.Systems {
		if s.Error != "" || len(s.Runs) != 2 {
			t.Fatalf("%s: error %q, %d runs; want 2 runs", s.System, s.Error, len(s.Runs))
		}
		if s.Requests < 10*1*20 {
			t.Errorf("%s: calibrated %d requests, below the floor", s.System, s.Requests)
		}
		for _, run := range s.Runs {
			if run.Error != "" || run.Sample.RPS <= 0 || run.Sample.P99Ms < run.Sample.P50Ms || run.Sample.Requests != s.Requests {
				t.Errorf("%s round %d: %+v", s.System, run.Round, run)
			}
		}
		if s.Summary.RPS.N != 2 || s.Summary.RPS.Min > s.Summary.RPS.Median || s.Summary.RPS.Median > s.Summary.RPS.Max {
			t.Errorf("%s: summary %+v", s.System, s.Summary.RPS)
		}
	}
	// The same server on both sides. Other work on a shared 2-core machine moves tiny runs
	// by a factor of several, so only a gross bias (or a broken ratio) fails here.
	if c.Ratio == nil || c.Ratio.N != 2 || c.Ratio.Median < 0.05 || c.Ratio.Median > 20 {
		t.Errorf("ratio = %+v, want two pairs of the same order", c.Ratio)
	}
	// Rounds alternate systems: the progress shows redoubt, redis, redoubt, redis.
	var order []string
	for _, line := range strings.Split(progress.String(), "\n") {
		if i := strings.Index(line, " on "); i >= 0 && strings.Contains(line, "] round ") {
			order = append(order, strings.Fields(line[i+4:])[0])
		}
	}
	if got := strings.Join(order, " "); got != "redoubt, redis, redoubt, redis," {
		t.Errorf("run order = %q", got)
	}
	if !strings.HasPrefix(res.Environment.RedisBenchmark, "redis-benchmark ") || !strings.Contains(res.Systems[1].Version, "v=") {
		t.Errorf("versions not recorded: %+v", res.Environment)
	}

	out := t.TempDir()
	if _, err := res.WriteDir(out, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := filepath.Glob(filepath.Join(out, "latest", "report.md")); err != nil {
		t.Fatal(err)
	}
}

// TestCompareServerThatDoesNotStart records the failure and still measures the other side.
func TestCompareServerThatDoesNotStart(t *testing.T) {
	server, benchmark := needRedis(t)
	falsePath, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1)")
	}
	opts := Options{
		Redoubt:        System{Name: "redoubt", Label: "Redoubt", Path: falsePath, Style: StyleRedoubt},
		Redis:          System{Name: "redis", Label: "Redis", Path: server, Style: StyleRedis},
		RedisBenchmark: benchmark,
		Workloads:      tinySpec(),
		Filter:         regexp.MustCompile(`^get-`),
		Repeats:        1,
		Duration:       200 * time.Millisecond,
		ProbeDuration:  100 * time.Millisecond,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Compare(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Cases[0]
	if e := c.Candidate().Error; !strings.Contains(e, "did not answer PING") || !strings.Contains(e, "exited") {
		t.Errorf("candidate error = %q", e)
	}
	if len(c.Baseline().Runs) != 1 || c.Baseline().Runs[0].Error != "" {
		t.Errorf("baseline runs = %+v", c.Baseline().Runs)
	}
	if c.Ratio != nil || res.Failed() != 1 {
		t.Errorf("ratio %+v, failed %d; want nil and 1", c.Ratio, res.Failed())
	}
	var b bytes.Buffer
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "error") {
		t.Errorf("table hides the failure:\n%s", b.String())
	}
}

// TestMeasureDeadServer: redis-benchmark spins forever against a closed port, so a run
// must not start when the server is gone.
func TestMeasureDeadServer(t *testing.T) {
	server, benchmark := needRedis(t)
	ctx := context.Background()
	sys := System{Name: "redis", Label: "Redis", Path: server, Style: StyleRedis}
	d, err := Single{}.Start(ctx, sys, "everysec")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	r := &runner{tools: Tools{RedisBenchmark: benchmark}}
	c := Case{Name: "set-p1-everysec", Load: RedisBenchmark{Test: "set"}, Params: Params{Clients: 1, Pipeline: 1, Requests: 10, Keyspace: 10, DataSize: 3}}
	start := time.Now()
	_, err = r.measure(ctx, d, c, c.Params, time.Second)
	if err == nil || !strings.Contains(err.Error(), "not answering") {
		t.Fatalf("measure on a stopped server: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("measure took %s to notice", time.Since(start))
	}
}

// recordingSetup and recordingLoad log their calls, with the run's request count.
type recordingSetup struct {
	FillList
	log *[]string
}

func (s recordingSetup) Prepare(ctx context.Context, target Target, p Params) error {
	*s.log = append(*s.log, fmt.Sprintf("prepare %d", p.Requests))
	return s.FillList.Prepare(ctx, target, p)
}

type recordingLoad struct {
	RedisBenchmark
	log *[]string
}

func (l recordingLoad) Run(ctx context.Context, tools Tools, target Target, p Params) (Sample, error) {
	*l.log = append(*l.log, fmt.Sprintf("run %d", p.Requests))
	return l.RedisBenchmark.Run(ctx, tools, target, p)
}

// selfCompared sets o's two systems to redis-server, both started the
// Redis way, and its load generator: the harness compared with itself.
func selfCompared(server, benchmark string, o Options) Options {
	o.Redoubt = System{Name: "redoubt", Label: "Redoubt", Path: server, Style: StyleRedis}
	o.Redis = System{Name: "redis", Label: "Redis", Path: server, Style: StyleRedis}
	o.RedisBenchmark = benchmark
	return o
}

// compareOrFail runs Compare within timeout and fails the test, with the
// progress log, if it returns an error; it logs how long it took.
func compareOrFail(t *testing.T, opts Options, progress *bytes.Buffer, timeout time.Duration) *Results {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	start := time.Now()
	res, err := Compare(ctx, opts)
	if err != nil {
		t.Fatalf("Compare: %v\nprogress:\n%s", err, progress.String())
	}
	t.Logf("took %s\n%s", time.Since(start), progress.String())
	return res
}

// lpopOptions compares redis-server with itself on LPOP -P 16 with its list refilled
// before every run, recording each Prepare and Run in log; no SettleMax: settling is
// tested above, and slow.
func lpopOptions(t *testing.T, repeats int, log *[]string, progress *bytes.Buffer) Options {
	server, benchmark := needRedis(t)
	return selfCompared(server, benchmark, Options{
		Workloads: []Spec{{
			Label:     "LPOP",
			Load:      recordingLoad{RedisBenchmark{Test: "lpop"}, log},
			Setup:     recordingSetup{FillList{Key: "mylist"}, log},
			Pipelines: []int{16}, Fsync: []string{"everysec"}, Clients: 10, Keyspace: 1000,
		}},
		Repeats:       repeats,
		Duration:      200 * time.Millisecond,
		ProbeDuration: 50 * time.Millisecond,
		Progress:      progress,
	})
}

// TestCompareRunsSetup measures LPOP with its list refilled: the Setup runs before every
// probe and every measured run, with that run's request count, and is in the report.
func TestCompareRunsSetup(t *testing.T) {
	var log []string
	var progress bytes.Buffer
	opts := lpopOptions(t, 2, &log, &progress)
	res := compareOrFail(t, opts, &progress, 30*time.Second)
	c := res.Cases[0]
	if res.Failed() != 0 {
		t.Fatalf("failures: %+v\nprogress:\n%s", c.Systems, progress.String())
	}
	if want := "before every run, RPUSH 3-byte elements to mylist until LLEN mylist >= N+16"; c.Setup != want {
		t.Errorf("Setup = %q, want %q", c.Setup, want)
	}
	// Every run, probe or measured, follows a Prepare for its own request count. The
	// first probe is at the floor of 10 clients * 16 * 20 requests; the last four runs are
	// the two rounds on two systems.
	n := c.Systems[0].Requests
	ok := len(log) >= 2*(2+4) && log[0] == "prepare 3200"
	for i := 0; ok && i+1 < len(log); i += 2 {
		ok = strings.HasPrefix(log[i], "prepare ") && log[i+1] == "run "+strings.TrimPrefix(log[i], "prepare ")
	}
	for i := len(log) - 8; ok && i < len(log); i++ {
		ok = strings.HasSuffix(log[i], fmt.Sprintf(" %d", n))
	}
	if !ok {
		t.Errorf("calls %q\nwant pairs of prepare N, run N, from 3200, ending with 4 runs of %d", log, n)
	}
	var md bytes.Buffer
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if want := "| lpop-p16-everysec | redis-benchmark | before every run, RPUSH 3-byte elements to mylist until LLEN mylist >= N+16; then `redis-benchmark -t lpop -c 10 -P 16 -n N -r 1000 -d 3` |"; !strings.Contains(md.String(), want) {
		t.Errorf("report lacks the setup:\n%s", md.String())
	}
}

func TestTimedSeconds(t *testing.T) {
	// lrange_100: 10000 LRANGEs at 20000/s took 0.5 s of a 1.1 s run spent mostly on LPUSHes.
	if got := timedSeconds(Sample{Requests: 10000, RPS: 20000, ElapsedSec: 1.1}); got != 0.5 {
		t.Errorf("timed = %v, want 0.5", got)
	}
	// One test: the wall time also counts start-up, so it is a little longer...
	if got := timedSeconds(Sample{Requests: 10000, RPS: 20000, ElapsedSec: 0.52}); got != 0.5 {
		t.Errorf("timed = %v, want 0.5", got)
	}
	// ...unless the rounding of the reported rate makes it look shorter.
	if got := timedSeconds(Sample{Requests: 10000, RPS: 20000, ElapsedSec: 0.499}); got != 0.499 {
		t.Errorf("timed = %v, want the wall time 0.499", got)
	}
	if got := timedSeconds(Sample{ElapsedSec: 0.3}); got != 0.3 {
		t.Errorf("timed without a rate = %v, want 0.3", got)
	}
}

func TestProgressStatus(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0s",
		42*time.Second + 400*time.Millisecond: "42s",
		65 * time.Second:                      "1m05s",
		20*time.Minute + 59*time.Second + 600*time.Millisecond: "21m00s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
	r := &runner{total: 80, done: 20, start: time.Now().Add(-30 * time.Second)}
	r.work.total, r.work.done = 100, 25
	// A quarter of the work took 30 s: three quarters are left, about 90 s.
	if got := r.status(); got != "[20/80 runs, 30s elapsed, ~1m30s left]" {
		t.Errorf("status = %q", got)
	}
	r.work.done = 0
	if got := r.status(); !strings.HasSuffix(got, "? left]") {
		t.Errorf("status before any work = %q", got)
	}
}

// TestCompareWarmsUpSizedCases: a run sized from a reference skips the probes, and with
// WarmUp runs each case once, unrecorded and with its setup, on each system before the
// measured round, so it measures servers that have worked as a full run's have.
func TestCompareWarmsUpSizedCases(t *testing.T) {
	var log []string
	var progress bytes.Buffer
	opts := lpopOptions(t, 1, &log, &progress)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ref, err := Compare(ctx, opts)
	if err != nil || ref.Failed() != 0 {
		t.Fatalf("reference: %v\nprogress:\n%s", err, progress.String())
	}
	log = nil
	opts.SizeFrom, opts.WarmUp = ref, true
	res, err := Compare(ctx, opts)
	if err != nil || res.Failed() != 0 {
		t.Fatalf("Compare: %v\nprogress:\n%s", err, progress.String())
	}
	c := res.Cases[0]
	// The warm-ups run the reference's count (same run length); the measured runs are
	// sized again from the warm-ups' rates, as probes would size them.
	w, n := ref.Cases[0].Systems[0].Requests, c.Systems[0].Requests
	want := strings.Repeat(fmt.Sprintf("prepare %d,run %d,", w, w), 2) + strings.Repeat(fmt.Sprintf("prepare %d,run %d,", n, n), 2)
	if got := strings.Join(log, ",") + ","; !c.Sized || got != want {
		t.Errorf("sized %v, calls %q; want sized, two warm-ups and two measured runs: %q", c.Sized, got, want)
	}
	rates := []float64{c.Systems[0].ProbeRPS, c.Systems[1].ProbeRPS}
	if got := commonRequests(rates, c.Params, opts.Duration); rates[0] <= 0 || rates[1] <= 0 || got != n {
		t.Errorf("measured runs of %d requests, want %d from the warm-up rates %v", n, got, rates)
	}
	for _, s := range c.Systems {
		if len(s.Runs) != 1 {
			t.Errorf("%s: %d runs recorded, want only the measured one", s.System, len(s.Runs))
		}
	}
	if !res.Settings.WarmUp {
		t.Error("settings do not record the warm-up")
	}
}

// fixedLoad "transfers" keys keys in every run, whatever it is asked to do, at 500,000 a
// second, and logs the request count it was given: a fixed-work load without a server.
type fixedLoad struct {
	keys int
	log  *[]string
}

func (fixedLoad) Tool() string              { return "fixed" }
func (fixedLoad) CommandLine(Params) string { return "fixed load" }
func (fixedLoad) FixedWork() bool           { return true }
func (l fixedLoad) Run(_ context.Context, _ Tools, _ Target, p Params) (Sample, error) {
	*l.log = append(*l.log, fmt.Sprintf("run %d", p.Requests))
	sec := float64(l.keys) / 5e5
	return Sample{Requests: l.keys, ElapsedSec: sec, RPS: 5e5, Figures: Figures{FigureFullSyncSec: sec}}, nil
}

// TestCompareFixedWork: a fixed-work case is probed once per system although its probe is
// far shorter than ProbeDuration, its N is what the probe did, a reference does not size
// it (while it does size the request-count case next to it), and the reports show no
// latencies for it.
func TestCompareFixedWork(t *testing.T) {
	var fixedLog, otherLog []string
	var progress bytes.Buffer
	opts := serverlessOptions(t, &progress,
		Spec{Label: "FIXED", Load: fixedLoad{keys: 1000, log: &fixedLog}, Topology: fakeTopology{}, Pipelines: []int{1}, Fsync: []string{"everysec"}, Clients: 10},
		Spec{Label: "SET", Load: fakeLoad{log: &otherLog}, Topology: fakeTopology{}, Pipelines: []int{1}, Fsync: []string{"everysec"}, Clients: 10},
	)
	// The probe gets the floor of 10 clients * 20 requests, then every run the 1000 the
	// probe did: one probe per system, two rounds of two systems, nothing else.
	want := []string{"run 200", "run 200", "run 1000", "run 1000", "run 1000", "run 1000"}
	ref, err := Compare(t.Context(), opts)
	if err != nil || ref.Failed() != 0 || !slices.Equal(fixedLog, want) {
		t.Fatalf("err %v, %d failed, calls %q; want %q\nprogress:\n%s", err, ref.Failed(), fixedLog, want, progress.String())
	}
	fixedLog, otherLog = nil, nil
	opts.SizeFrom, opts.WarmUp = ref, true
	res, err := Compare(t.Context(), opts)
	if err != nil || res.Failed() != 0 || !slices.Equal(fixedLog, want) {
		t.Fatalf("sized from a reference: err %v, %d failed, calls %q; want %q\nprogress:\n%s", err, res.Failed(), fixedLog, want, progress.String())
	}
	c, other := res.Cases[0], res.Cases[1]
	if !other.Sized || !c.FixedWork || c.Sized || other.FixedWork {
		t.Fatalf("fixed: sized %v, fixed work %v; other: sized %v, fixed work %v", c.Sized, c.FixedWork, other.Sized, other.FixedWork)
	}
	for _, s := range c.Systems {
		if s.Requests != 1000 || s.ProbeRPS != 5e5 || s.Summary.RPS.N != 2 || s.Summary.P50Ms.N != 0 || s.Summary.Figures[FigureFullSyncSec].N != 2 {
			t.Errorf("%s: %d requests, probe %v/s, summary %+v", s.System, s.Requests, s.ProbeRPS, s.Summary)
		}
	}

	var txt, md bytes.Buffer
	if err := res.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if want := regexp.MustCompile(`(?m)^FIXED\s+everysec\s+1\s+fixed\s+500k\s+500k\s+1\.00\s+-\s+-\s+-\s+-$`); !want.MatchString(txt.String()) {
		t.Errorf("terminal table: want the FIXED row with - for its latencies:\n%s", txt.String())
	}
	latency, _, _ := strings.Cut(md.String()[strings.Index(md.String(), "## Latency"):], "## Replication")
	for _, want := range []string{"| FIXED | 1000 | 0.00 | 0.00 |", "| fixed-p1-everysec | fixed | `fixed load` | 1000 (fixed work) |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(latency, "FIXED") || !strings.Contains(latency, "| SET | everysec | 1 |") {
		t.Errorf("latency section lists the fixed-work row, or not the other:\n%s", latency)
	}
}

// namedLoad logs its name at every run: which case ran when.
type namedLoad struct {
	name string
	log  *[]string
}

func (namedLoad) Tool() string              { return "named" }
func (namedLoad) CommandLine(Params) string { return "named load" }
func (l namedLoad) Run(_ context.Context, _ Tools, _ Target, p Params) (Sample, error) {
	*l.log = append(*l.log, l.name)
	return Sample{Requests: p.Requests, RPS: 1e5, ElapsedSec: float64(p.Requests) / 1e5}, nil
}

// TestCompareWarmsUpEachCaseBeforeItsRuns: with WarmUp, each case is warmed up on both
// systems right before its own measured runs, all its rounds, not every case of the group
// first nor rounds of other cases in between: the warm-up is there to leave the servers as
// the case's own work leaves them.
func TestCompareWarmsUpEachCaseBeforeItsRuns(t *testing.T) {
	var log []string
	var progress bytes.Buffer
	opts := serverlessOptions(t, &progress,
		Spec{Label: "A", Load: namedLoad{"A", &log}, Topology: fakeTopology{}, Pipelines: []int{1}, Fsync: []string{"everysec"}, Clients: 10},
		Spec{Label: "B", Load: namedLoad{"B", &log}, Topology: fakeTopology{}, Pipelines: []int{1}, Fsync: []string{"everysec"}, Clients: 10},
	)
	opts.Repeats = 1
	ref, err := Compare(t.Context(), opts)
	if err != nil || ref.Failed() != 0 {
		t.Fatalf("reference: %v\nprogress:\n%s", err, progress.String())
	}
	log = nil
	opts.SizeFrom, opts.WarmUp, opts.Repeats = ref, true, 2
	res, err := Compare(t.Context(), opts)
	if err != nil || res.Failed() != 0 {
		t.Fatalf("Compare: %v\nprogress:\n%s", err, progress.String())
	}
	// A warmed up and measured twice on both systems, then B.
	want := "AAAAAABBBBBB"
	if got := strings.Join(log, ""); got != want {
		t.Errorf("runs in the order %s, want %s", got, want)
	}

	// Without warm-ups, round by round.
	log = nil
	opts.WarmUp = false
	if res, err := Compare(t.Context(), opts); err != nil || res.Failed() != 0 {
		t.Fatalf("Compare: %v\nprogress:\n%s", err, progress.String())
	}
	if got, want := strings.Join(log, ""), "AABBAABB"; got != want {
		t.Errorf("without warm-ups, runs in the order %s, want %s", got, want)
	}
}

// serverlessOptions compares two "systems" that are true(1) on workloads whose loads and
// topologies need no server (fakeLoad, fakeTopology): the harness's own logic alone.
// Two rounds of 0.2 s runs, 0.1 s probes.
func serverlessOptions(t *testing.T, progress *bytes.Buffer, workloads ...Spec) Options {
	t.Helper()
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1)")
	}
	return Options{
		Redoubt:        System{Name: "redoubt", Label: "Redoubt", Path: truePath, Style: StyleRedis},
		Redis:          System{Name: "redis", Label: "Redis", Path: truePath, Style: StyleRedis},
		RedisBenchmark: truePath,
		Workloads:      workloads,
		Repeats:        2,
		Duration:       200 * time.Millisecond,
		ProbeDuration:  100 * time.Millisecond,
		Progress:       progress,
	}
}
