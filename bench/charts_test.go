package bench

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// decodePNG decodes a chart and checks it is an image of a sensible size with both
// systems' colours on it.
func decodePNG(t *testing.T, name string, b []byte, wantColors bool) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	size := img.Bounds().Size()
	if size.X < 300 || size.Y < 150 || size.X > 5000 || size.Y > 8000 {
		t.Fatalf("%s: %v pixels", name, size)
	}
	if wantColors {
		for i, c := range systemColors {
			if !hasColor(img, c) {
				t.Errorf("%s: no pixel of system %d's colour %v", name, i, c)
			}
		}
	}
	return img
}

func hasColor(img image.Image, c color.Color) bool {
	r0, g0, b0, _ := c.RGBA()
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r == r0 && g == g0 && b == b0 {
				return true
			}
		}
	}
	return false
}

func TestDrawCharts(t *testing.T) {
	r := fixtureResults()
	charts, err := r.DrawCharts()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range charts {
		names = append(names, c.Name)
		// The ratio chart has one colour only, the candidate's.
		img := decodePNG(t, c.Name, c.PNG, c.Name != ChartRatio)
		if c.Name == ChartRatio && !hasColor(img, systemColors[0]) {
			t.Errorf("%s: no dots", c.Name)
		}
		if len(c.PNG) > 1<<20 {
			t.Errorf("%s: %d bytes, too large to commit run after run", c.Name, len(c.PNG))
		}
	}
	if want := []string{ChartThroughput, ChartRatio, ChartLatency, ChartCDF}; !slices.Equal(names, want) {
		t.Fatalf("charts %v, want %v", names, want)
	}
}

// TestDrawChartsWithoutData: nothing measured draws nothing, and a chart never panics
// on degenerate figures (one value, equal min and max, a missing p99.9).
func TestDrawChartsWithoutData(t *testing.T) {
	r := fixtureResults()
	for i := range r.Cases {
		for j := range r.Cases[i].Systems {
			r.Cases[i].Systems[j].Runs = nil
		}
	}
	r.summarize()
	charts, err := r.DrawCharts()
	if err != nil || len(charts) != 0 {
		t.Fatalf("charts of nothing: %d, %v", len(charts), err)
	}

	r = fixtureResults()
	r.Cases = r.Cases[:1]
	for j := range r.Cases[0].Systems {
		s := &r.Cases[0].Systems[j]
		s.Runs = s.Runs[:1]
		s.Runs[0].Error = ""
		s.Runs[0].Sample = Sample{Requests: 10, RPS: 1000, P50Ms: 0.5, P99Ms: 0.5, Distribution: []Point{{100, 0}}}
	}
	r.summarize()
	charts, err = r.DrawCharts()
	if err != nil || len(charts) != 4 {
		t.Fatalf("charts of one round: %d, %v", len(charts), err)
	}
}

// TestWriteDirCharts: the charts land next to report.md, in both directories, and the
// report shows them.
func TestWriteDirCharts(t *testing.T) {
	out := t.TempDir()
	r := fixtureResults()
	dir, err := r.WriteDir(out, time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(out, "latest")} {
		md, err := os.ReadFile(filepath.Join(d, "report.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{ChartThroughput, ChartRatio, ChartLatency, ChartCDF} {
			b, err := os.ReadFile(filepath.Join(d, name))
			if err != nil {
				t.Fatal(err)
			}
			decodePNG(t, name, b, false)
			if !strings.Contains(string(md), "]("+name+")") {
				t.Errorf("%s/report.md does not show %s", d, name)
			}
		}
	}
	back, err := LoadResults(filepath.Join(dir, "results.json"))
	if err != nil || len(back.Charts) != 4 {
		t.Fatalf("results.json charts: %v, %v", back, err)
	}
}

func TestCDFPoints(t *testing.T) {
	pts := cdfPoints(Sample{Requests: 1000, Distribution: []Point{{0.1, 0.2}, {50, 1}, {99, 3}, {99.9, 4}, {100, 9}}})
	want := []float64{-math.Log10(0.999), math.Log10(2), 2, 3, math.Log10(2000)}
	for i, p := range pts {
		if math.Abs(p.X-want[i]) > 1e-9 {
			t.Errorf("point %d: x = %v, want %v", i, p.X, want[i])
		}
	}
	if pts[4].Y != 9 {
		t.Errorf("last point %+v", pts[4])
	}
	if got := cdfPoints(Sample{Distribution: []Point{{100, 0}}}); got[0].Y != minChartMs {
		t.Errorf("a latency of 0 is %v on the log axis, want %v", got[0].Y, minChartMs)
	}
}

func TestChartTicks(t *testing.T) {
	var labels []string
	for _, tk := range (ninesTicks{}).Ticks(0, 4.2) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if want := []string{"0%", "90%", "99%", "99.9%", "99.99%"}; !slices.Equal(labels, want) {
		t.Errorf("nines ticks %q, want %q", labels, want)
	}
	labels = nil
	for _, tk := range (ratioTicks{}).Ticks(0.3, 2.2) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if want := []string{"0.5", "1", "2"}; !slices.Equal(labels, want) {
		t.Errorf("ratio ticks %q, want %q", labels, want)
	}
}

// TestDrawChartsFixedWork: a full sync has a throughput and a ratio, which the charts show,
// but no request latencies, so alone it gets the first two charts only.
func TestDrawChartsFixedWork(t *testing.T) {
	r := fixtureResults()
	r.Cases = r.Cases[len(r.Cases)-1:]
	if c := r.Cases[0]; !c.FixedWork || c.Ratio == nil {
		t.Fatalf("fixture's last case %s: fixed work %v, ratio %v; want the full sync", c.Name, c.FixedWork, c.Ratio)
	}
	charts, err := r.DrawCharts()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range charts {
		names = append(names, c.Name)
	}
	if want := []string{ChartThroughput, ChartRatio}; !slices.Equal(names, want) {
		t.Fatalf("charts %v, want %v", names, want)
	}
}
