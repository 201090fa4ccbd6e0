package bench

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// needRedis returns the paths of redis-server and redis-benchmark, or skips the test.
func needRedis(t *testing.T) (server, benchmark string) {
	t.Helper()
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
	opts := Options{
		Redoubt:        System{Name: "redoubt", Label: "Redoubt", Path: server, Style: StyleRedis},
		Redis:          System{Name: "redis", Label: "Redis", Path: server, Style: StyleRedis},
		RedisBenchmark: benchmark,
		Workloads:      tinySpec(),
		Filter:         regexp.MustCompile(`^set-`),
		Repeats:        2,
		Duration:       300 * time.Millisecond,
		ProbeDuration:  100 * time.Millisecond,
		SettleMax:      time.Second,
		Progress:       &progress,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	res, err := Compare(ctx, opts)
	if err != nil {
		t.Fatalf("Compare: %v\nprogress:\n%s", err, progress.String())
	}
	t.Logf("took %s\n%s", time.Since(start), progress.String())

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
