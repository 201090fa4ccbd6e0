package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeTopology deploys nothing: the plumbing tests need no server.
type fakeTopology struct{}

func (fakeTopology) Name() string { return "" }
func (fakeTopology) Start(context.Context, System, string) (Deployment, error) {
	return fakeDeployment{}, nil
}
func (fakeTopology) CommandLines(System, string) []string { return []string{"nothing"} }

type fakeDeployment struct{}

func (fakeDeployment) Target() Target                        { return Target{Host: "127.0.0.1", Port: 1} }
func (fakeDeployment) Check(context.Context) error           { return nil }
func (fakeDeployment) Preload(context.Context, Params) error { return nil }
func (fakeDeployment) Pids() []int                           { return nil }
func (fakeDeployment) Stop() error                           { return nil }

// fakeLoad "runs" at 100,000 requests per second without sending anything, and reports
// figures, if it has any.
type fakeLoad struct {
	log     *[]string
	err     error
	figures Figures
}

func (fakeLoad) Tool() string                { return "fake" }
func (fakeLoad) CommandLine(p Params) string { return "fake load" }
func (l fakeLoad) Run(_ context.Context, _ Tools, _ Target, p Params) (Sample, error) {
	*l.log = append(*l.log, fmt.Sprintf("run %d", p.Requests))
	if l.err != nil {
		return Sample{}, l.err
	}
	return Sample{Requests: p.Requests, RPS: 1e5, ElapsedSec: float64(p.Requests) / 1e5, Figures: maps.Clone(l.figures)}, nil
}

// fakeBackground logs its starts and stops with the run's request count; its stop
// reports figures, if it has any.
type fakeBackground struct {
	log               *[]string
	startErr, stopErr error
	figures           Figures
}

func (fakeBackground) Describe(Params) string { return "fake subscribers attached" }
func (b fakeBackground) Start(_ context.Context, _ Target, p Params) (func() (Figures, error), error) {
	*b.log = append(*b.log, fmt.Sprintf("start %d", p.Requests))
	if b.startErr != nil {
		return nil, b.startErr
	}
	return func() (Figures, error) {
		*b.log = append(*b.log, fmt.Sprintf("stop %d", p.Requests))
		return b.figures, b.stopErr
	}, nil
}

// TestCompareRunsBackground: the Background starts before every calibration probe and
// every measured run, with that run's request count, and stops right after it.
func TestCompareRunsBackground(t *testing.T) {
	var log []string
	var progress bytes.Buffer
	opts := serverlessOptions(t, &progress, Spec{
		Label: "PUBLISH", Load: fakeLoad{log: &log}, Background: fakeBackground{log: &log},
		Topology: fakeTopology{}, Pipelines: []int{16}, Fsync: []string{"everysec"}, Clients: 10,
	})
	res, err := Compare(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Cases[0]
	if res.Failed() != 0 {
		t.Fatalf("failures: %+v\nprogress:\n%s", c.Systems, progress.String())
	}
	if c.Background != "fake subscribers attached" {
		t.Errorf("Background = %q", c.Background)
	}
	// The first probe is at the floor of 10 clients * 16 * 20; at 100,000 req/s it lasts
	// 32 ms, so calibration grows it, on each system. Then two rounds on two systems.
	n := c.Systems[0].Requests
	if n%16 != 0 || n != c.Systems[1].Requests {
		t.Fatalf("requests %d and %d, want the same multiple of the pipeline", n, c.Systems[1].Requests)
	}
	ok := len(log) >= 3*(2*2+4) && log[0] == "start 3200"
	for i := 0; ok && i+2 < len(log); i += 3 {
		count := strings.TrimPrefix(log[i], "start ")
		ok = strings.HasPrefix(log[i], "start ") && log[i+1] == "run "+count && log[i+2] == "stop "+count
	}
	ok = ok && len(log)%3 == 0
	for i := len(log) - 12; ok && i < len(log); i++ {
		ok = strings.HasSuffix(log[i], fmt.Sprintf(" %d", n))
	}
	if !ok {
		t.Errorf("calls %q\nwant triples start N, run N, stop N, from 3200, ending with 4 runs of %d", log, n)
	}
	var md bytes.Buffer
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if want := "| publish-p16-everysec | fake | `fake load`; fake subscribers attached |"; !strings.Contains(md.String(), want) {
		t.Errorf("report lacks the background:\n%s", md.String())
	}
}

// TestMeasureBackgroundFailures: a background that cannot start fails the run without
// running the load; one that saw something wrong fails a run that otherwise succeeded;
// and it is stopped after a failed load too. The figures of a clean stop join the run's
// sample, besides the load's own.
func TestMeasureBackgroundFailures(t *testing.T) {
	r := &runner{}
	p := Params{Clients: 1, Pipeline: 1, Requests: 100}
	boom, lost, broken := errors.New("boom"), errors.New("lost a message"), errors.New("load broke")
	lag := Figures{FigureLagP50: 1.5, FigureLagMax: 7}
	for _, tc := range []struct {
		name        string
		load        fakeLoad
		bg          fakeBackground
		wantErr     error
		wantLog     []string
		wantFigures Figures
	}{
		{"clean", fakeLoad{}, fakeBackground{}, nil, []string{"start 100", "run 100", "stop 100"}, nil},
		{"figures", fakeLoad{}, fakeBackground{figures: lag}, nil, []string{"start 100", "run 100", "stop 100"}, lag},
		{
			"figures of both", fakeLoad{figures: Figures{FigureFullSyncSec: 2}}, fakeBackground{figures: lag}, nil, []string{"start 100", "run 100", "stop 100"},
			Figures{FigureLagP50: 1.5, FigureLagMax: 7, FigureFullSyncSec: 2},
		},
		{"start fails", fakeLoad{}, fakeBackground{startErr: boom}, boom, []string{"start 100"}, nil},
		{"stop reports", fakeLoad{}, fakeBackground{stopErr: lost, figures: lag}, lost, []string{"start 100", "run 100", "stop 100"}, nil},
		{"load fails", fakeLoad{err: broken}, fakeBackground{stopErr: lost}, broken, []string{"start 100", "run 100", "stop 100"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			tc.load.log, tc.bg.log = &log, &log
			c := Case{Name: "x", Load: tc.load, Background: tc.bg, Params: p}
			s, err := r.measure(t.Context(), fakeDeployment{}, c, p, time.Second)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && (s.Requests != 100 || !reflect.DeepEqual(s.Figures, tc.wantFigures)) {
				t.Errorf("sample %+v, want 100 requests and figures %v", s, tc.wantFigures)
			}
			if !slices.Equal(log, tc.wantLog) {
				t.Errorf("calls %q, want %q", log, tc.wantLog)
			}
		})
	}
}

// countingSubscribers are Subscribers that record what every subscriber received.
type countingSubscribers struct {
	Subscribers
	runs *[]string
}

func (s countingSubscribers) Start(ctx context.Context, target Target, p Params) (func() (Figures, error), error) {
	set, err := s.start(ctx, target, p)
	if err != nil {
		return nil, err
	}
	return func() (Figures, error) {
		err := set.stop()
		*s.runs = append(*s.runs, fmt.Sprintf("%d: %v", p.Requests, set.counts()))
		return nil, err
	}, nil
}

// TestComparePublishWithSubscribers runs the PUBLISH row through the harness with
// redis-server standing in for both systems: every probe and run of both has 10
// subscribers that each receive every message, and they are gone afterwards.
func TestComparePublishWithSubscribers(t *testing.T) {
	server, benchmark := needRedis(t)
	var spec Spec
	for _, s := range DefaultWorkloads() {
		if s.Label == "PUBLISH_10SUBS" {
			spec = s
		}
	}
	subs, ok := spec.Background.(Subscribers)
	if !ok {
		t.Fatalf("PUBLISH_10SUBS row: background %#v", spec.Background)
	}
	var runs []string
	spec.Background = countingSubscribers{subs, &runs}
	spec.Clients, spec.Keyspace = 10, 1000
	var progress bytes.Buffer
	opts := selfCompared(server, benchmark, Options{
		Workloads:     []Spec{spec},
		Filter:        regexp.MustCompile(`-p16-`),
		Repeats:       2,
		Duration:      200 * time.Millisecond,
		ProbeDuration: 50 * time.Millisecond,
		Progress:      &progress,
	})
	res := compareOrFail(t, opts, &progress, 30*time.Second)
	c := res.Cases[0]
	if c.Name != "publish_10subs-p16-everysec" || res.Failed() != 0 {
		t.Fatalf("%s: %+v\nprogress:\n%s", c.Name, c.Systems, progress.String())
	}
	// Every probe and run: 10 subscribers, each with exactly the run's N messages.
	if len(runs) < 2+4 {
		t.Fatalf("runs %q, want at least a probe per system and 4 measured runs", runs)
	}
	for _, run := range runs {
		n, _, _ := strings.Cut(run, ": ")
		if want := fmt.Sprintf("%s: %v", n, slices.Repeat([]string{n}, 10)); run != want {
			t.Errorf("subscribers received %s, want %s", run, want)
		}
	}
	if n := fmt.Sprint(c.Systems[0].Requests); !strings.HasPrefix(runs[len(runs)-1], n+": ") {
		t.Errorf("last run %q, want N = %s", runs[len(runs)-1], n)
	}
	var md bytes.Buffer
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	want := "`redis-benchmark -c 10 -P 16 -n N -r 1000 -d 3 PUBLISH bench:pubsub xxx`; during every run, probes included, 10 more connections SUBSCRIBE bench:pubsub"
	if !strings.Contains(md.String(), want) {
		t.Errorf("report lacks the subscribers:\n%s", md.String())
	}
}
