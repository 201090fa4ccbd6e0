package daemon

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// TestLatencyHistBuckets: every duration from 1 ns to past the last
// octave lands in a bucket whose upper bound is at or above it and within
// 1/32 of it (one step of its octave).
func TestLatencyHistBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		ns := int64(1) + rng.Int64N(int64(1)<<33)
		if rng.IntN(2) == 0 {
			ns = 1 + rng.Int64N(1<<20) // many short ones too
		}
		up := latencyUpper(latencyIndex(ns))
		if ns >= int64(1)<<latencyOctaves {
			continue // counted in the last bucket, whatever it was
		}
		if up < float64(ns) || up > float64(ns)*(1+1.0/latencySteps)+1 {
			t.Fatalf("%d ns: bucket %d holds up to %v", ns, latencyIndex(ns), up)
		}
	}
}

// TestLatencyHistPercentiles: percentiles of known samples come out
// within a step (about 3%) above the exact ones.
func TestLatencyHistPercentiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples func(i int) int64
	}{
		{"uniform 1-1000 us", func(i int) int64 { return int64(1+i%1000) * 1000 }},
		{"fast with a slow tail", func(i int) int64 {
			if i%100 == 0 {
				return 5_000_000
			}
			return 800
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h latencyHist
			var all []int64
			for i := range 10000 {
				ns := tc.samples(i)
				h.record(ns)
				all = append(all, ns)
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			for _, p := range []float64{0, 50, 90, 99, 99.9, 100} {
				idx := int(p/100*float64(len(all))+0.999999) - 1
				exact := float64(all[max(idx, 0)])
				got := h.percentile(p)
				if got < exact || got > exact*(1+1.0/latencySteps)+1 {
					t.Errorf("p%v = %v ns, exact %v", p, got, exact)
				}
			}
		})
	}
}
