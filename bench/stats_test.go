package bench

import (
	"math"
	"reflect"
	"testing"
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
	s := summarizeRuns(rs)
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
	if s := summarizeRuns(rs); s.P999Ms == nil || s.P999Ms.Median != 8 {
		t.Fatalf("P999Ms = %+v, want median 8", s.P999Ms)
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
