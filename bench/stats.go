package bench

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
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
	// Distribution is the latency distribution, from the fastest request to the slowest,
	// at the percentiles redis-benchmark prints (50, 75, 87.5, ... halving the distance to
	// 100 each time), for the CDF charts. Empty when the generator gives none.
	Distribution []Point `json:"distribution,omitempty"`
	// Figures are what the run measured besides requests and their latencies, by name
	// (the Figure* constants): a replica's lag, a full sync's time. Reported by the load
	// itself or by the case's Background; absent when neither measures anything else.
	Figures Figures `json:"figures,omitempty"`
}

// Figures are named measurements of one run that are not requests per second or
// request latencies. The name carries the unit ("lag_p99_ms"), as the Sample's own
// fields do.
type Figures map[string]float64

// Names of the figures the harness measures.
const (
	// FigureLagP50, FigureLagP99 and FigureLagMax are ReplicationLag's: percentiles of
	// the time from a PUBLISH sent to the primary to its delivery on a replica, over every
	// replica and probe of the run, in milliseconds.
	FigureLagP50 = "lag_p50_ms"
	FigureLagP99 = "lag_p99_ms"
	FigureLagMax = "lag_max_ms"
	// FigureLagProbes is how many probes each replica received in the run: the p99 of
	// 30 probes is their second slowest, worth knowing when reading it.
	FigureLagProbes = "lag_probes"
	// FigureFullSyncSec is FullSync's: seconds from REPLICAOF to a replica caught up.
	FigureFullSyncSec = "full_sync_sec"
)

// merge adds the figures of more to f, a new map when f has none, and returns it.
func (f Figures) merge(more Figures) Figures {
	if len(more) == 0 {
		return f
	}
	if f == nil {
		f = make(Figures, len(more))
	}
	maps.Copy(f, more)
	return f
}

// Point is one step of a latency distribution: Percent of the requests were answered
// within Ms milliseconds. In JSON it is the pair [Percent, Ms]: a run has a score of
// them, and results.json has hundreds of runs.
type Point struct {
	Percent float64
	Ms      float64
}

// MarshalJSON implements json.Marshaler.
func (p Point) MarshalJSON() ([]byte, error) {
	b := append([]byte{'['}, strconv.FormatFloat(p.Percent, 'g', -1, 64)...)
	b = append(b, ',')
	b = append(b, strconv.FormatFloat(p.Ms, 'g', -1, 64)...)
	return append(b, ']'), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Point) UnmarshalJSON(b []byte) error {
	var pair []float64
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("latency point %s: want [percent, ms]", b)
	}
	p.Percent, p.Ms = pair[0], pair[1]
	return nil
}

// PercentileSorted returns the nearest-rank p-th percentile of sorted, which is in
// ascending order: the least value such that at least p percent of the values are at or
// below it. p <= 0 gives the least value, p >= 100 the greatest; an empty slice gives 0.
// This is what HdrHistogram and redis-benchmark report, up to their bucket rounding.
func PercentileSorted(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	return sorted[rankIndex(n, p)]
}

// rankIndex is the index, in a sorted slice of n values, of the nearest-rank p-th
// percentile: the ceil(p/100*n)-th value, counted from 1.
func rankIndex(n int, p float64) int {
	// The tiny slack keeps 99.9% of 1000 at rank 999 where floating point makes
	// 99.9/100*1000 a hair above 999.
	rank := int(math.Ceil(p/100*float64(n) - 1e-9))
	return min(max(rank, 1), n) - 1
}

// distributionTicks are the percentiles of a Distribution below 100: 0, then the
// distance to 100 halved each step (50, 75, 87.5, ...), as redis-benchmark's
// hdr_iter_percentile with one tick per half distance prints them, down to 1/2^20 of the
// requests, which no run here exceeds a million times over.
var distributionTicks = func() []float64 {
	ticks := []float64{0}
	for gap := 50.0; gap > 100.0/(1<<20); gap /= 2 {
		ticks = append(ticks, 100-gap)
	}
	return ticks
}()

// DistributionSorted returns the latency distribution of sorted, which is in ascending
// order, as a Distribution: at each tick, the share of requests at or below the tick's
// value, and that value, once per value, ending at 100% with the slowest request.
func DistributionSorted(sorted []time.Duration) []Point {
	n := len(sorted)
	if n == 0 {
		return nil
	}
	var points []Point
	last := -1
	for _, tick := range distributionTicks {
		i := rankIndex(n, tick)
		// Requests of the same latency share a point: skip to the last of them, so the
		// percent says how many were at or below it.
		for i+1 < n && sorted[i+1] == sorted[i] {
			i++
		}
		if i == last {
			continue
		}
		last = i
		points = append(points, Point{Percent: roundPercent(100 * float64(i+1) / float64(n)), Ms: durationMs(sorted[i])})
		if i == n-1 {
			return points
		}
	}
	return append(points, Point{Percent: 100, Ms: durationMs(sorted[n-1])})
}

// SampleOfLatencies summarizes every request latency of one run that took elapsed: the
// throughput, and the latency figures redis-benchmark reports plus p99.9 and the
// distribution. latencies is sorted in place.
func SampleOfLatencies(latencies []time.Duration, elapsed time.Duration) Sample {
	slices.Sort(latencies)
	n := len(latencies)
	s := Sample{Requests: n, ElapsedSec: elapsed.Seconds()}
	if n == 0 {
		return s
	}
	var sum time.Duration
	for _, l := range latencies {
		sum += l
	}
	if elapsed > 0 {
		s.RPS = float64(n) / elapsed.Seconds()
	}
	s.AvgMs = durationMs(sum) / float64(n)
	s.MinMs = durationMs(latencies[0])
	s.P50Ms = durationMs(PercentileSorted(latencies, 50))
	s.P95Ms = durationMs(PercentileSorted(latencies, 95))
	s.P99Ms = durationMs(PercentileSorted(latencies, 99))
	s.P999Ms = durationMs(PercentileSorted(latencies, 99.9))
	s.MaxMs = durationMs(latencies[n-1])
	s.Distribution = DistributionSorted(latencies)
	return s
}

func durationMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// roundPercent keeps four decimals of a share in percent: a millionth of the requests,
// finer than any run here resolves, in a few digits of JSON rather than seventeen.
func roundPercent(x float64) float64 { return math.Round(x*1e4) / 1e4 }

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
	// Figures has the Stat of each of the samples' Figures, over the successful runs
	// that measured it.
	Figures map[string]Stat `json:"figures,omitempty"`
}

// summarizeRuns returns the Summary of the runs that succeeded. Without latency (a
// load that measures no request latencies, such as FullSync) the latency figures stay
// empty, N == 0, which reports show as missing rather than as 0.
func summarizeRuns(runs []Run, latency bool) Summary {
	pick := func(f func(Sample) (float64, bool)) Stat {
		var xs []float64
		for _, r := range runs {
			if x, ok := f(r.Sample); ok && r.Error == "" {
				xs = append(xs, x)
			}
		}
		return Summarize(xs)
	}
	field := func(f func(Sample) float64) Stat {
		return pick(func(s Sample) (float64, bool) { return f(s), true })
	}
	s := Summary{RPS: field(func(s Sample) float64 { return s.RPS })}
	for _, r := range runs {
		for name := range r.Sample.Figures {
			if _, done := s.Figures[name]; done || r.Error != "" {
				continue
			}
			if s.Figures == nil {
				s.Figures = make(map[string]Stat)
			}
			s.Figures[name] = pick(func(s Sample) (float64, bool) {
				x, ok := s.Figures[name]
				return x, ok
			})
		}
	}
	if !latency {
		return s
	}
	s.AvgMs = field(func(s Sample) float64 { return s.AvgMs })
	s.MinMs = field(func(s Sample) float64 { return s.MinMs })
	s.P50Ms = field(func(s Sample) float64 { return s.P50Ms })
	s.P95Ms = field(func(s Sample) float64 { return s.P95Ms })
	s.P99Ms = field(func(s Sample) float64 { return s.P99Ms })
	s.MaxMs = field(func(s Sample) float64 { return s.MaxMs })
	if p999 := field(func(s Sample) float64 { return s.P999Ms }); p999.N > 0 && p999.Max > 0 {
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
