package bench

import (
	"math"
	"sort"
)

// Sample is what one run of a load generator measured. Latencies are in milliseconds; a
// figure the generator does not report is 0.
type Sample struct {
	Requests   int     `json:"requests"`
	ElapsedSec float64 `json:"elapsed_sec"` // wall time of the generator process
	RPS        float64 `json:"rps"`
	AvgMs      float64 `json:"avg_ms"`
	MinMs      float64 `json:"min_ms"`
	P50Ms      float64 `json:"p50_ms"`
	P95Ms      float64 `json:"p95_ms"`
	P99Ms      float64 `json:"p99_ms"`
	P999Ms     float64 `json:"p999_ms,omitempty"`
	MaxMs      float64 `json:"max_ms"`
}

// Stat is the spread of one figure over the repeats: median, min and max of N values.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// Summarize returns the median, min and max of xs; the median of an even count is the mean
// of the two middle values. An empty xs gives the zero Stat (N == 0), which reports show
// as missing rather than as 0. xs is not modified.
func Summarize(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	sorted := append([]float64(nil), xs...)
	sort.Float64s(sorted)
	n := len(sorted)
	median := sorted[n/2]
	if n%2 == 0 {
		median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return Stat{Median: median, Min: sorted[0], Max: sorted[n-1], N: n}
}

// Summary is the Stat of every figure of a Sample over the successful runs.
type Summary struct {
	RPS   Stat `json:"rps"`
	AvgMs Stat `json:"avg_ms"`
	MinMs Stat `json:"min_ms"`
	P50Ms Stat `json:"p50_ms"`
	P95Ms Stat `json:"p95_ms"`
	P99Ms Stat `json:"p99_ms"`
	// P999Ms is absent when the generator does not measure it (redis-benchmark's CSV).
	P999Ms *Stat `json:"p999_ms,omitempty"`
	MaxMs  Stat  `json:"max_ms"`
}

// summarizeRuns returns the Summary of the runs that succeeded.
func summarizeRuns(runs []Run) Summary {
	pick := func(f func(Sample) float64) Stat {
		var xs []float64
		for _, r := range runs {
			if r.Error == "" {
				xs = append(xs, f(r.Sample))
			}
		}
		return Summarize(xs)
	}
	s := Summary{
		RPS:   pick(func(s Sample) float64 { return s.RPS }),
		AvgMs: pick(func(s Sample) float64 { return s.AvgMs }),
		MinMs: pick(func(s Sample) float64 { return s.MinMs }),
		P50Ms: pick(func(s Sample) float64 { return s.P50Ms }),
		P95Ms: pick(func(s Sample) float64 { return s.P95Ms }),
		P99Ms: pick(func(s Sample) float64 { return s.P99Ms }),
		MaxMs: pick(func(s Sample) float64 { return s.MaxMs }),
	}
	if p999 := pick(func(s Sample) float64 { return s.P999Ms }); p999.N > 0 && p999.Max > 0 {
		s.P999Ms = &p999
	}
	return s
}

// PairedRatios divides the candidate's throughput by the baseline's round by round, over
// the rounds in which both succeeded. The two runs of a round ran back to back, so their
// ratio cancels drift of the machine that a ratio of overall medians would not.
func PairedRatios(candidate, baseline []Run) []float64 {
	base := make(map[int]float64, len(baseline))
	for _, r := range baseline {
		if r.Error == "" && r.Sample.RPS > 0 {
			base[r.Round] = r.Sample.RPS
		}
	}
	var ratios []float64
	for _, r := range candidate {
		b, ok := base[r.Round]
		if r.Error != "" || !ok {
			continue
		}
		ratios = append(ratios, r.Sample.RPS/b)
	}
	return ratios
}

// Ratio is the Stat of PairedRatios, or nil when no round has both figures.
func Ratio(candidate, baseline []Run) *Stat {
	rs := PairedRatios(candidate, baseline)
	if len(rs) == 0 {
		return nil
	}
	s := Summarize(rs)
	return &s
}

// roundTo keeps digits significant digits of x; request counts read better that way.
func roundTo(x float64, digits int) float64 {
	if x == 0 {
		return 0
	}
	scale := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(x))))
	return math.Round(x*scale) / scale
}
