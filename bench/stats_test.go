package bench

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want Stat
	}{
		{"empty", nil, Stat{}},
		{"one", []float64{7}, Stat{Median: 7, Min: 7, Max: 7, N: 1}},
		{"odd", []float64{3, 1, 2}, Stat{Median: 2, Min: 1, Max: 3, N: 3}},
		{"even takes the mean of the middle two", []float64{10, 1, 4, 2}, Stat{Median: 3, Min: 1, Max: 10, N: 4}},
		{"outlier does not move the median", []float64{100, 101, 99, 5000, 1}, Stat{Median: 100, Min: 1, Max: 5000, N: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.xs...)
			if got := Summarize(in); got != tc.want {
				t.Fatalf("Summarize(%v) = %+v, want %+v", tc.xs, got, tc.want)
			}
			if !reflect.DeepEqual(in, tc.xs) {
				t.Fatalf("Summarize reordered its input: %v", in)
			}
		})
	}
}

func runs(rps ...float64) []Run {
	var rs []Run
	for i, x := range rps {
		r := Run{Round: i + 1, Sample: Sample{RPS: x}}
		if x < 0 {
			r = Run{Round: i + 1, Error: "failed"}
		}
		rs = append(rs, r)
	}
	return rs
}

func TestPairedRatios(t *testing.T) {
	// Round 2 failed on the candidate and round 3 on the baseline: only rounds 1 and 4
	// have a pair. Pairing by round, not by position, keeps round 4 matched to round 4.
	got := PairedRatios(runs(100, -1, 300, 90), runs(200, 100, -1, 100))
	want := []float64{0.5, 0.9}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PairedRatios = %v, want %v", got, want)
	}
}

func TestRatio(t *testing.T) {
	if got := Ratio(runs(-1, 100), runs(100, -1)); got != nil {
		t.Fatalf("Ratio without a pair = %+v, want nil", got)
	}
	got := Ratio(runs(90, 120, 100), runs(100, 100, 100))
	want := Stat{Median: 1, Min: 0.9, Max: 1.2, N: 3}
	if got == nil || *got != want {
		t.Fatalf("Ratio = %+v, want %+v", got, want)
	}
}

func TestSummarizeRunsSkipsErrors(t *testing.T) {
	rs := []Run{
		{Round: 1, Sample: Sample{RPS: 10, P50Ms: 1, P99Ms: 3}},
		{Round: 2, Error: "timeout"},
		{Round: 3, Sample: Sample{RPS: 30, P50Ms: 2, P99Ms: 5}},
	}
	s := summarizeRuns(rs, true)
	if s.RPS != (Stat{Median: 20, Min: 10, Max: 30, N: 2}) {
		t.Fatalf("RPS = %+v", s.RPS)
	}
	if s.P99Ms != (Stat{Median: 4, Min: 3, Max: 5, N: 2}) {
		t.Fatalf("P99Ms = %+v", s.P99Ms)
	}
	if s.P999Ms != nil {
		t.Fatalf("P999Ms = %+v, want nil when no run measured it", s.P999Ms)
	}
	rs[0].Sample.P999Ms = 7
	rs[2].Sample.P999Ms = 9
	if s := summarizeRuns(rs, true); s.P999Ms == nil || s.P999Ms.Median != 8 {
		t.Fatalf("P999Ms = %+v, want median 8", s.P999Ms)
	}
}

// TestSummarizeRunsFigures: each figure is summarized over the successful runs that
// measured it, and without latency (a fixed-work load) only the throughput and figures
// are, so that no 0 reads as a latency.
func TestSummarizeRunsFigures(t *testing.T) {
	rs := []Run{
		{Round: 1, Sample: Sample{RPS: 10, P50Ms: 1, Figures: Figures{FigureLagP50: 2, FigureLagMax: 9}}},
		{Round: 2, Sample: Sample{RPS: 99, Figures: Figures{FigureLagP50: 100}}, Error: "replica 1: received 3 of the 4 probes published"},
		{Round: 3, Sample: Sample{RPS: 30, P50Ms: 3, Figures: Figures{FigureLagP50: 4}}},
		{Round: 4, Sample: Sample{RPS: 20, P50Ms: 2}},
	}
	for _, tc := range []struct {
		name    string
		latency bool
		p50     Stat
	}{
		{"with latency", true, Stat{Median: 2, Min: 1, Max: 3, N: 3}},
		{"fixed work", false, Stat{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := summarizeRuns(rs, tc.latency)
			want := map[string]Stat{
				FigureLagP50: {Median: 3, Min: 2, Max: 4, N: 2},
				FigureLagMax: {Median: 9, Min: 9, Max: 9, N: 1},
			}
			if !reflect.DeepEqual(s.Figures, want) {
				t.Errorf("Figures = %+v, want %+v", s.Figures, want)
			}
			if s.RPS != (Stat{Median: 20, Min: 10, Max: 30, N: 3}) || s.P50Ms != tc.p50 {
				t.Errorf("RPS %+v, P50Ms %+v; want 20 [10-30] and %+v", s.RPS, s.P50Ms, tc.p50)
			}
			if !tc.latency && (s.P99Ms.N != 0 || s.MaxMs.N != 0 || s.P999Ms != nil) {
				t.Errorf("latencies summarized without latency: %+v", s)
			}
		})
	}
	if s := summarizeRuns(rs[3:], true); s.Figures != nil {
		t.Errorf("Figures = %+v, want none when no run measured any", s.Figures)
	}
}

func TestFiguresMerge(t *testing.T) {
	var none Figures
	if got := none.merge(nil); got != nil {
		t.Errorf("nil.merge(nil) = %v, want nil", got)
	}
	got := none.merge(Figures{FigureLagP50: 1})
	got = got.merge(Figures{FigureLagP99: 2, FigureLagP50: 3})
	if want := (Figures{FigureLagP50: 3, FigureLagP99: 2}); !reflect.DeepEqual(got, want) {
		t.Errorf("merged %v, want %v", got, want)
	}
}

func TestRoundTo(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want float64
	}{
		{0, 0}, {123456, 120000}, {987, 990}, {1000, 1000}, {1049, 1000}, {15.5, 16},
	} {
		if got := roundTo(tc.x, 2); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("roundTo(%v, 2) = %v, want %v", tc.x, got, tc.want)
		}
	}
}

func ms(xs ...float64) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = time.Duration(x * float64(time.Millisecond))
	}
	return out
}

func TestPercentileSorted(t *testing.T) {
	// 1..1000 ms: the p-th percentile of n values is the ceil(p/100*n)-th.
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		xs   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 0, 7 * time.Millisecond},
		{ms(7), 99.9, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond}, // nearest rank, not interpolated
		{ms(1, 2, 3, 4), 50.1, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{ms(1, 2, 3, 4), 0, time.Millisecond},
		{thousand, 50, 500 * time.Millisecond},
		{thousand, 99, 990 * time.Millisecond},
		{thousand, 99.9, 999 * time.Millisecond}, // not 1000: 99.9/100*1000 is a hair above 999 in floating point
		{thousand, 99.95, 1000 * time.Millisecond},
		{thousand, 120, 1000 * time.Millisecond},
		{thousand, -5, time.Millisecond},
	} {
		if got := PercentileSorted(tc.xs, tc.p); got != tc.want {
			t.Errorf("PercentileSorted(%d values, %v) = %v, want %v", len(tc.xs), tc.p, got, tc.want)
		}
	}
}

func TestDistributionSorted(t *testing.T) {
	if got := DistributionSorted(nil); got != nil {
		t.Fatalf("empty: %+v", got)
	}
	// Ten values 1..10 ms: 0% is the fastest, which 10% of requests are at or below; the
	// ticks 50, 75, 87.5 and 93.75% are the 5th, 8th, 9th and 10th values; the last point
	// is 100% at the slowest.
	got := DistributionSorted(ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
	want := []Point{{10, 1}, {50, 5}, {80, 8}, {90, 9}, {100, 10}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("distribution %+v\nwant %+v", got, want)
	}
	// Equal values share one point, which counts all of them.
	got = DistributionSorted(ms(1, 1, 1, 1, 1, 1, 2, 2))
	want = []Point{{75, 1}, {100, 2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("distribution %+v\nwant %+v", got, want)
	}
	// A million values: one point per tick down to the last request, then 100%.
	million := make([]time.Duration, 1_000_000)
	for i := range million {
		million[i] = time.Duration(i)
	}
	got = DistributionSorted(million)
	if n := len(got); n < 20 || got[n-1].Percent != 100 || got[n-1].Ms != durationMs(999_999) {
		t.Fatalf("distribution of a million: %d points, ending %+v", n, got[n-1])
	}
	for i := 1; i < len(got); i++ {
		if got[i].Percent <= got[i-1].Percent || got[i].Ms <= got[i-1].Ms {
			t.Fatalf("points %d and %d go backwards: %+v, %+v", i-1, i, got[i-1], got[i])
		}
	}
}

func TestSampleOfLatencies(t *testing.T) {
	// 1000 latencies of 1 ms and one of 100 ms, in no order, over half a second.
	lat := ms(100)
	for range 999 {
		lat = append(lat, time.Millisecond)
	}
	s := SampleOfLatencies(lat, 500*time.Millisecond)
	if s.Requests != 1000 || s.RPS != 2000 || s.MinMs != 1 || s.MaxMs != 100 || s.P50Ms != 1 || s.P99Ms != 1 || s.P999Ms != 1 {
		t.Errorf("sample %+v", s)
	}
	if math.Abs(s.AvgMs-1.099) > 1e-9 {
		t.Errorf("avg = %v, want 1.099", s.AvgMs)
	}
	lat = append(lat, ms(100)...) // 2 of 1001 above 1 ms: p99.9 is the 1000th value, 100 ms
	if s := SampleOfLatencies(lat, time.Second); s.P999Ms != 100 || s.P99Ms != 1 {
		t.Errorf("p99 %v, p99.9 %v; want 1 and 100", s.P99Ms, s.P999Ms)
	}
}
