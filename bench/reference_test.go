package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCompareWith(t *testing.T) {
	// The first three cases: set-p16-everysec 0.95 [0.90-1.00], mixed 0.86 [0.84-0.87],
	// set-p1-always none.
	full, quick := fixtureResults(), fixtureResults()
	full.Cases, quick.Cases = full.Cases[:3], quick.Cases[:3]
	quick.Settings.Quick = true
	quick.Settings.Repeats = 2
	for i := range quick.Cases {
		for j := range quick.Cases[i].Systems {
			s := &quick.Cases[i].Systems[j]
			if len(s.Runs) > 0 {
				s.Runs = s.Runs[:2]
			}
		}
	}
	// set-p16-everysec: 450/440 = 1.023 and 460/460 = 1.0, so [1.00-1.02], whose median
	// lies above the reference's [0.90-1.00] but whose range touches it: they agree.
	quick.Cases[0].Systems[0].Runs[0] = Run{Round: 1, Sample: sample(450000, 1.1, 2)}
	quick.Cases[0].Systems[1].Runs[0] = Run{Round: 1, Sample: sample(440000, 1.3, 2)}
	quick.Cases[0].Systems[0].Runs[1] = Run{Round: 2, Sample: sample(460000, 1.1, 2)}
	quick.Cases[0].Systems[1].Runs[1] = Run{Round: 2, Sample: sample(460000, 1.3, 2)}
	// mixed-p1-everysec: 77/70 = 1.10 and 80/70 = 1.14 against [0.84-0.87]: apart.
	quick.Cases[1].Systems[0].Runs[0] = Run{Round: 1, Sample: sample(77000, 0.8, 2)}
	quick.Cases[1].Systems[1].Runs[0] = Run{Round: 1, Sample: sample(70000, 0.8, 2)}
	quick.Cases[1].Systems[0].Runs[1] = Run{Round: 2, Sample: sample(80000, 0.8, 2)}
	quick.Cases[1].Systems[1].Runs[1] = Run{Round: 2, Sample: sample(70000, 0.8, 2)}
	quick.summarize()
	quick.CompareWith(full, "bench/results/20260102-030405/results.json")

	ref := quick.Reference
	if ref == nil || ref.Compared != 2 || ref.Agree != 1 || ref.Near != 0 || len(ref.Cases) != 2 {
		t.Fatalf("reference %+v, want 2 compared, 1 agreeing (set-p1-always has no ratio)", ref)
	}
	if a := ref.Cases[0]; a.Name != "set-p16-everysec" || !a.Agrees || a.Outside != 0 || a.Ratio.Min != 1 {
		t.Errorf("first case %+v", a)
	}
	// [1.10-1.14] against [0.84-0.87]: its min 26% above the reference's max.
	if a := ref.Cases[1]; a.Name != "mixed-p1-everysec" || a.Agrees || abs(a.Outside-(77.0/70/(62.0/71)-1)) > 1e-9 || a.Change < 0.2 {
		t.Errorf("second case %+v", a)
	}
	var md, txt bytes.Buffer
	if err := quick.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## Against the full run of 2026-01-02T03:04:05Z",
		"1 of 2 Redoubt/Redis ratios agree with the reference run of 2026-01-02T03:04:05Z (their [min-max] ranges overlap), 0 more within 10%",
		"| set-p16-everysec | 1.01 [1.00-1.02] | 0.95 [0.90-1.00] | +6% | yes |",
		"| mixed-p1-everysec | 1.12 [1.10-1.14] | 0.86 [0.84-0.87] | +31% | **no** (26% apart) |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	if err := quick.WriteText(&txt); err != nil || !strings.Contains(txt.String(), "1 of 2 Redoubt/Redis ratios") {
		t.Errorf("terminal table lacks the comparison: %v\n%s", err, txt.String())
	}
}

// TestAgreement: ranges that overlap or touch agree, whichever way; apart, Outside is
// the gap relative to the nearer end.
func TestAgreement(t *testing.T) {
	st := func(min, med, max float64) Stat { return Stat{Min: min, Median: med, Max: max, N: 3} }
	for _, tc := range []struct {
		name       string
		ratio, ref Stat
		agrees     bool
		outside    float64
	}{
		{"inside", st(0.9, 0.95, 1.0), st(0.8, 0.95, 1.1), true, 0},
		{"overlapping above", st(1.0, 1.1, 1.2), st(0.8, 0.9, 1.05), true, 0},
		{"overlapping below", st(0.7, 0.75, 0.85), st(0.8, 0.9, 1.0), true, 0},
		{"touching", st(1.0, 1.0, 1.0), st(0.9, 0.95, 1.0), true, 0},
		{"one round inside", st(0.95, 0.95, 0.95), st(0.9, 0.95, 1.0), true, 0},
		{"above", st(1.1, 1.15, 1.2), st(0.9, 0.95, 1.0), false, 0.1},
		{"below", st(0.5, 0.55, 0.6), st(0.66, 0.7, 0.8), false, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := agreement("x", tc.ratio, tc.ref)
			if a.Agrees != tc.agrees || abs(a.Outside-tc.outside) > 1e-9 {
				t.Errorf("agreement(%+v, %+v) = agrees %v, outside %v; want %v, %v", tc.ratio, tc.ref, a.Agrees, a.Outside, tc.agrees, tc.outside)
			}
		})
	}
}

func TestFindReference(t *testing.T) {
	out := t.TempDir()
	if _, err := FindReference(out); err == nil {
		t.Fatal("found a reference in an empty directory")
	}
	write := func(dir, date string, quick bool, filter string) string {
		r := fixtureResults()
		r.Environment.Date = date
		r.Settings.Quick = quick
		r.Settings.Filter = filter
		if _, err := r.WriteDir(filepath.Join(out, dir), time.Now()); err != nil {
			t.Fatal(err)
		}
		// WriteDir made dir/<stamp>/ and dir/latest/: keep the dated one, as a run's
		// directory under out.
		matches, _ := filepath.Glob(filepath.Join(out, dir, "2*"))
		if err := os.Rename(matches[0], filepath.Join(out, dir+"-run")); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(out, dir+"-run", "results.json")
	}
	write("a", "2026-01-01T00:00:00Z", false, "")
	newest := write("b", "2026-01-03T00:00:00Z", false, "")
	write("c", "2026-01-04T00:00:00Z", true, "")     // newer, but quick
	write("d", "2026-01-05T00:00:00Z", false, "set") // newer, but of some workloads only
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(out, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "broken", "results.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := FindReference(out)
	if err != nil || got != newest {
		t.Fatalf("FindReference = %q, %v; want %q", got, err, newest)
	}
}

// TestSizeFromReference: a case the reference has runs its N scaled to this run's
// length, without probes; a case it lacks is probed.
func TestSizeFromReference(t *testing.T) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1)")
	}
	var log []string
	ref := &Results{
		Settings: Settings{RunSeconds: 2.5},
		Systems:  []System{{Name: "redoubt"}, {Name: "redis"}},
		Cases: []CaseResult{{
			Name:   "known-p16-everysec",
			Params: Params{Clients: 10, Pipeline: 16, Keyspace: 1000, DataSize: 3},
			Systems: []SystemResult{
				{System: "redoubt", Requests: 1_000_000, Summary: Summary{RPS: Stat{Median: 400000, N: 3}}},
				{System: "redis", Requests: 1_000_000, Summary: Summary{RPS: Stat{Median: 500000, N: 3}}},
			},
		}},
	}
	opts := Options{
		Redoubt:        System{Name: "redoubt", Label: "Redoubt", Path: truePath},
		Redis:          System{Name: "redis", Label: "Redis", Path: truePath},
		RedisBenchmark: truePath,
		Workloads: []Spec{
			{Label: "KNOWN", Load: fakeLoad{log: &log}, Topology: fakeTopology{}, Pipelines: []int{16}, Fsync: []string{"everysec"}, Clients: 10, Keyspace: 1000},
			{Label: "NEW", Load: fakeLoad{log: &log}, Topology: fakeTopology{}, Pipelines: []int{16}, Fsync: []string{"everysec"}, Clients: 10, Keyspace: 1000},
		},
		Repeats:       1,
		Duration:      500 * time.Millisecond,
		ProbeDuration: 50 * time.Millisecond,
		SizeFrom:      ref,
		SizeFromPath:  "ref/results.json",
	}
	res, err := Compare(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	known, fresh := res.Cases[0], res.Cases[1]
	// 1,000,000 requests in 2.5 s runs: 200,000 in 0.5 s runs.
	if !known.Sized || known.Systems[0].Requests != 200000 || known.Systems[1].Requests != 200000 || known.Systems[1].ProbeRPS != 500000 {
		t.Errorf("known case %+v", known)
	}
	if fresh.Sized || fresh.Systems[0].Requests == 200000 {
		t.Errorf("new case %+v, want probed", fresh)
	}
	// Runs of 200,000 are the measured ones only: no probe of the known case.
	probesOfKnown := 0
	for i, l := range log {
		if l == "run 200000" && i < len(log)-4 {
			probesOfKnown++
		}
	}
	if probesOfKnown != 0 || res.Settings.SizedFrom != "ref/results.json" {
		t.Errorf("calls %q, sized from %q", log, res.Settings.SizedFrom)
	}
	var md bytes.Buffer
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| known-p16-everysec | fake | `fake load` | 200000 (scaled) |") {
		t.Errorf("report does not say the N was scaled:\n%s", md.String())
	}
}
