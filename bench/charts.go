package bench

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	imagedraw "image/draw"
	"image/png"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart is one PNG image drawn from a run's results.
type Chart struct {
	Name string // file name, one of the Chart* constants
	PNG  []byte
}

// chartDPI keeps the images small enough to commit: the layout is in inches, so a lower
// resolution shrinks the file, not the text relative to the chart.
const chartDPI = 80

// systemColors are the candidate's and the baseline's, in every chart.
var systemColors = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
}

// DrawCharts draws the charts of r, in the order report.md shows them: throughput per
// workload (one panel per pipeline depth), the paired ratio, the latency percentiles,
// and the latency distributions. A chart with nothing to show (every run failed) is left
// out. The charts are pure functions of r: no file is touched.
func (r *Results) DrawCharts() ([]Chart, error) {
	var charts []Chart
	for _, c := range []struct {
		name string
		draw func() ([]byte, error)
	}{
		{ChartThroughput, r.drawThroughput},
		{ChartRatio, r.drawRatio},
		{ChartLatency, r.drawLatency},
		{ChartCDF, r.drawCDF},
	} {
		b, err := c.draw()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		if b != nil {
			charts = append(charts, Chart{Name: c.name, PNG: b})
		}
	}
	return charts, nil
}

// chartLabel names a case on a chart's axis; withPipeline adds its depth for charts that
// do not split by it.
func chartLabel(c *CaseResult, withPipeline bool) string {
	label := workloadCell(c) + " " + c.Fsync
	if withPipeline {
		label += " -P " + strconv.Itoa(c.Params.Pipeline)
	}
	return label
}

// pipelines lists the pipeline depths of r's cases, in ascending order.
func (r *Results) pipelines() []int {
	var ps []int
	for _, c := range r.Cases {
		if !slices.Contains(ps, c.Params.Pipeline) {
			ps = append(ps, c.Params.Pipeline)
		}
	}
	slices.Sort(ps)
	return ps
}

// newChartPlot is a plot with the fonts sized for these charts.
func newChartPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.TextStyle.Font.Size = vg.Points(9)
	p.Y.Label.TextStyle.Font.Size = vg.Points(9)
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.Top = true
	return p
}

// rowHeight is the height a chart gives each case.
const rowHeight = 0.24 * vg.Inch

// chartHeight is the height of a chart of rows rows: the rows, the title and the axis,
// and never so flat that it looks like a strip.
func chartHeight(rows float64) vg.Length {
	return max(vg.Length(rows)*rowHeight+1.2*vg.Inch, 2.5*vg.Inch)
}

// legendRows is the room, in rows, that a legend of entries needs above the first row,
// so that it covers no bar.
func legendRows(entries int) float64 {
	return float64(entries) * 0.6
}

// drawThroughput draws one panel per pipeline depth, side by side: a bar per system per
// case at the median throughput, with a whisker from min to max.
func (r *Results) drawThroughput() ([]byte, error) {
	depths := r.pipelines()
	var panels []*plot.Plot
	rows := 0
	for _, depth := range depths {
		var labels []string
		stats := make([][]Stat, len(r.Systems))
		for i := range r.Cases {
			c := &r.Cases[i]
			if c.Params.Pipeline != depth {
				continue
			}
			labels = append(labels, chartLabel(c, false))
			for s := range r.Systems {
				stats[s] = append(stats[s], c.Systems[s].Summary.RPS)
			}
		}
		if !anyStat(stats) {
			continue
		}
		p := newChartPlot(fmt.Sprintf("Throughput, -P %d", depth))
		p.X.Label.Text = "requests per second (median, min-max)"
		p.X.Tick.Marker = rpsTicks{}
		p.X.Min = 0
		p.Add(plotter.NewGrid())
		for s, sys := range r.Systems {
			// Systems stack from the top of each row down, in the order of the legend.
			bars := hbars{stats: reversed(stats[s]), offset: 0.2 - 0.4*float64(s), width: 0.38, color: systemColors[s%len(systemColors)]}
			p.Add(bars)
			p.Legend.Add(sys.Label, bars)
		}
		p.NominalY(reversed(labels)...)
		p.X.Max *= 1.05
		p.Y.Max += legendRows(len(r.Systems))
		panels = append(panels, p)
		rows = max(rows, len(labels))
	}
	if len(panels) == 0 {
		return nil, nil
	}
	return renderPNG(vg.Length(len(panels))*5.5*vg.Inch, chartHeight(float64(rows)+legendRows(len(r.Systems))), func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Inch / 4, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 4}
		canvases := plot.Align([][]*plot.Plot{panels}, tiles, dc)
		for i, p := range panels {
			p.Draw(canvases[0][i])
		}
	})
}

// drawRatio draws the paired ratio of every case as a dot with a whisker, on a log scale
// so that 0.5 and 2 are as far from 1, with a line at 1.
func (r *Results) drawRatio() ([]byte, error) {
	var labels []string
	var stats []Stat
	for i := range r.Cases {
		c := &r.Cases[i]
		labels = append(labels, chartLabel(c, true))
		if c.Ratio != nil {
			stats = append(stats, *c.Ratio)
		} else {
			stats = append(stats, Stat{})
		}
	}
	if !anyStat([][]Stat{stats}) {
		return nil, nil
	}
	cand, base := r.Systems[0].Label, r.Systems[1].Label
	p := newChartPlot(fmt.Sprintf("%s/%s throughput ratio, paired by round (above 1: %s faster)", cand, base, cand))
	p.X.Label.Text = "ratio (median, min-max), log scale"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = ratioTicks{}
	dots := hdots{stats: reversed(stats), color: systemColors[0]}
	p.Add(plotter.NewGrid(), vline{x: 1}, dots)
	p.NominalY(reversed(labels)...)
	// Room on both sides of the extremes, and 1 always in view.
	p.X.Min = math.Min(p.X.Min, 1) / 1.15
	p.X.Max = math.Max(p.X.Max, 1) * 1.15
	return renderPNG(7*vg.Inch, chartHeight(float64(len(labels))), func(dc draw.Canvas) {
		p.Draw(dc)
	})
}

// drawLatency draws, per case and system, the medians of p50, p99 and p99.9 joined by a
// line, on a log scale. Fixed-work cases, which measure no request latencies, are left
// out.
func (r *Results) drawLatency() ([]byte, error) {
	var labels []string
	marks := make([][][]float64, len(r.Systems))
	for i := range r.Cases {
		c := &r.Cases[i]
		if c.FixedWork {
			continue // no request latencies
		}
		labels = append(labels, chartLabel(c, true))
		for s := range r.Systems {
			sum := c.Systems[s].Summary
			var row []float64
			if sum.P50Ms.N > 0 {
				row = []float64{sum.P50Ms.Median, sum.P99Ms.Median, 0}
				if sum.P999Ms != nil {
					row[2] = sum.P999Ms.Median
				}
			}
			marks[s] = append(marks[s], row)
		}
	}
	found := false
	for _, m := range marks {
		for _, row := range m {
			found = found || len(row) > 0
		}
	}
	if !found {
		return nil, nil
	}
	p := newChartPlot("Latency: p50, p99, p99.9")
	p.X.Label.Text = "milliseconds (median over the rounds), log scale"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	for s, sys := range r.Systems {
		pm := percentileMarks{rows: reversedRows(marks[s]), offset: 0.18 - 0.36*float64(s), color: systemColors[s%len(systemColors)]}
		p.Add(pm)
		p.Legend.Add(sys.Label, pm)
	}
	for k, name := range percentileNames {
		p.Legend.Add(name, glyphThumb{percentileGlyph(k, color.Black)})
	}
	p.NominalY(reversed(labels)...)
	p.X.Min /= 1.3
	p.X.Max *= 1.3
	entries := len(r.Systems) + len(percentileNames)
	p.Y.Max += legendRows(entries)
	return renderPNG(7*vg.Inch, chartHeight(float64(len(labels))+legendRows(entries)), func(dc draw.Canvas) {
		p.Draw(dc)
	})
}

// cdfColumns is the number of panels per row of the distribution chart.
const cdfColumns = 4

// drawCDF draws a panel per case: every round's latency distribution on each system,
// latency against the share of requests answered within it, with the share on a scale
// that gives each further nine (90%, 99%, 99.9%, ...) the same room.
func (r *Results) drawCDF() ([]byte, error) {
	var panels []*plot.Plot
	for i := range r.Cases {
		c := &r.Cases[i]
		p := newChartPlot(chartLabel(c, true))
		p.Title.TextStyle.Font.Size = vg.Points(9)
		p.X.Tick.Label.Font.Size = vg.Points(7)
		p.Y.Tick.Label.Font.Size = vg.Points(7)
		p.Y.Label.Text = "ms"
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Tick.Marker = ninesTicks{}
		p.Add(plotter.NewGrid())
		lines := 0
		for s, sys := range r.Systems {
			inLegend := false
			for _, run := range c.Systems[s].Runs {
				if run.Error != "" || len(run.Sample.Distribution) == 0 {
					continue
				}
				l, err := plotter.NewLine(cdfPoints(run.Sample))
				if err != nil {
					return nil, err
				}
				l.Color = systemColors[s%len(systemColors)]
				l.Width = vg.Points(1)
				p.Add(l)
				if !inLegend {
					p.Legend.Add(sys.Label, l)
					inLegend = true
				}
				lines++
			}
		}
		if lines == 0 {
			continue
		}
		if len(panels) > 0 {
			p.Legend = plot.NewLegend() // the first panel's legend serves all
		}
		p.Legend.TextStyle.Font.Size = vg.Points(7)
		p.Legend.Top, p.Legend.Left = true, true
		p.X.Min = 0
		// Some room above and below, which also keeps a log axis over one value valid.
		p.Y.Min /= 1.25
		p.Y.Max *= 1.25
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return nil, nil
	}
	rows := (len(panels) + cdfColumns - 1) / cdfColumns
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cdfColumns)
		for j := range cdfColumns {
			if k := i*cdfColumns + j; k < len(panels) {
				grid[i][j] = panels[k]
			}
		}
	}
	return renderPNG(cdfColumns*3.2*vg.Inch, vg.Length(rows)*2.3*vg.Inch, func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: rows, Cols: cdfColumns, PadX: vg.Inch / 8, PadY: vg.Inch / 8, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
		canvases := plot.Align(grid, tiles, dc)
		for i, row := range grid {
			for j, p := range row {
				if p != nil {
					p.Draw(canvases[i][j])
				}
			}
		}
	})
}

// cdfPoints maps a distribution onto the chart: x is the number of nines of the share
// (-log10 of the share not yet answered), y the latency. The last point, 100%, has no
// finite x: it goes half a request beyond the last share the run could resolve.
func cdfPoints(s Sample) plotter.XYs {
	n := float64(max(s.Requests, 1))
	pts := make(plotter.XYs, 0, len(s.Distribution))
	for _, d := range s.Distribution {
		rest := math.Max(1-d.Percent/100, 1/(2*n))
		pts = append(pts, plotter.XY{X: -math.Log10(rest), Y: math.Max(d.Ms, minChartMs)})
	}
	return pts
}

// minChartMs keeps a latency that rounds to 0 on a log axis.
const minChartMs = 0.001

// renderPNG draws onto a w by h canvas and encodes it. gonum/plot panics on some
// degenerate inputs (a log axis over an empty range); that is an error here, not a crash
// that would lose the benchmark's results.
func renderPNG(w, h vg.Length, drawOn func(draw.Canvas)) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("drawing: %v", p)
		}
	}()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(chartDPI))
	drawOn(draw.New(img))
	// A palette of the few colours the charts use, with their anti-aliasing blends,
	// makes the files several times smaller than RGBA ones, for the same picture.
	rgba := img.Image()
	paletted := image.NewPaletted(rgba.Bounds(), chartPalette)
	imagedraw.Draw(paletted, rgba.Bounds(), rgba, rgba.Bounds().Min, imagedraw.Src)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, paletted); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// chartPalette holds every colour drawn (the systems' colours, black, white, the grey of
// the grid and reference line) and 16 steps from each towards white, for the
// anti-aliased edges.
var chartPalette = func() color.Palette {
	var p color.Palette
	bases := append([]color.Color{color.Black}, systemColors...)
	for _, base := range bases {
		r, g, b, _ := base.RGBA()
		for step := range 16 {
			mix := func(c uint32) uint8 { return uint8((int(c>>8)*(15-step) + 255*step) / 15) }
			p = append(p, color.RGBA{R: mix(r), G: mix(g), B: mix(b), A: 0xff})
		}
	}
	return p
}()

func anyStat(stats [][]Stat) bool {
	for _, ss := range stats {
		for _, st := range ss {
			if st.N > 0 {
				return true
			}
		}
	}
	return false
}

// reversed returns a reversed copy: charts list cases from the top, and row 0 is at the
// bottom of an axis.
func reversed[T any](xs []T) []T {
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}

func reversedRows(rows [][]float64) [][]float64 { return reversed(rows) }

// hbars draws a horizontal bar per row i, centred at i+offset, from 0 to the median, with
// a whisker from min to max. A Stat with N == 0 draws nothing.
type hbars struct {
	stats         []Stat
	offset, width float64
	color         color.Color
}

var whiskerStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}

// Plot implements plot.Plotter.
func (b hbars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, st := range b.stats {
		if st.N == 0 {
			continue
		}
		y := float64(i) + b.offset
		lo, hi := trY(y-b.width/2), trY(y+b.width/2)
		x0, x1 := trX(0), trX(st.Median)
		c.FillPolygon(b.color, c.ClipPolygonXY([]vg.Point{{X: x0, Y: lo}, {X: x1, Y: lo}, {X: x1, Y: hi}, {X: x0, Y: hi}}))
		if st.Max > st.Min {
			drawWhisker(&c, trX(st.Min), trX(st.Max), trY(y), (hi-lo)/3)
		}
	}
}

// DataRange implements plot.DataRanger.
func (b hbars) DataRange() (xmin, xmax, ymin, ymax float64) {
	for _, st := range b.stats {
		if st.N > 0 {
			xmax = math.Max(xmax, st.Max)
		}
	}
	return 0, xmax, -0.5, float64(len(b.stats)) - 0.5
}

// Thumbnail implements plot.Thumbnailer.
func (b hbars) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(b.color, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

// drawWhisker draws a horizontal line from x0 to x1 at y, with end caps of half-height h.
func drawWhisker(c *draw.Canvas, x0, x1, y, h vg.Length) {
	c.StrokeLines(whiskerStyle, c.ClipLinesXY([]vg.Point{{X: x0, Y: y}, {X: x1, Y: y}})...)
	for _, x := range []vg.Length{x0, x1} {
		c.StrokeLines(whiskerStyle, c.ClipLinesXY([]vg.Point{{X: x, Y: y - h}, {X: x, Y: y + h}})...)
	}
}

// hdots draws a dot per row at the median, with a whisker from min to max.
type hdots struct {
	stats []Stat
	color color.Color
}

// Plot implements plot.Plotter.
func (d hdots) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	glyph := draw.GlyphStyle{Color: d.color, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
	for i, st := range d.stats {
		if st.N == 0 {
			continue
		}
		y := trY(float64(i))
		if st.Max > st.Min {
			drawWhisker(&c, trX(st.Min), trX(st.Max), y, vg.Points(3))
		}
		c.DrawGlyph(glyph, vg.Point{X: trX(st.Median), Y: y})
	}
}

// DataRange implements plot.DataRanger.
func (d hdots) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for _, st := range d.stats {
		if st.N > 0 {
			xmin, xmax = math.Min(xmin, st.Min), math.Max(xmax, st.Max)
		}
	}
	return xmin, xmax, -0.5, float64(len(d.stats)) - 0.5
}

// vline is a vertical line across the plot at x.
type vline struct{ x float64 }

// Plot implements plot.Plotter.
func (v vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	style := draw.LineStyle{Color: color.Gray{Y: 0x60}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	c.StrokeLine2(style, x, c.Min.Y, x, c.Max.Y)
}

// percentileNames are the marks of percentileMarks, in the order of its rows' figures.
var percentileNames = []string{"p50", "p99", "p99.9"}

func percentileGlyph(k int, col color.Color) draw.GlyphStyle {
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.BoxGlyph{}}
	return draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: shapes[k]}
}

// percentileMarks draws, per row i at i+offset, a line from the least to the greatest of
// the row's figures (p50, p99, p99.9; 0 means not measured) with a mark on each.
type percentileMarks struct {
	rows   [][]float64
	offset float64
	color  color.Color
}

// Plot implements plot.Plotter.
func (m percentileMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	line := draw.LineStyle{Color: m.color, Width: vg.Points(1)}
	for i, row := range m.rows {
		y := trY(float64(i) + m.offset)
		var xs []vg.Length
		for _, v := range row {
			if v > 0 {
				xs = append(xs, trX(v))
			}
		}
		if len(xs) == 0 {
			continue
		}
		c.StrokeLines(line, c.ClipLinesXY([]vg.Point{{X: slices.Min(xs), Y: y}, {X: slices.Max(xs), Y: y}})...)
		for k, v := range row {
			if v > 0 {
				c.DrawGlyph(percentileGlyph(k, m.color), vg.Point{X: trX(v), Y: y})
			}
		}
	}
}

// DataRange implements plot.DataRanger.
func (m percentileMarks) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for _, row := range m.rows {
		for _, v := range row {
			if v > 0 {
				xmin, xmax = math.Min(xmin, v), math.Max(xmax, v)
			}
		}
	}
	return xmin, xmax, -0.5, float64(len(m.rows)) - 0.5
}

// Thumbnail implements plot.Thumbnailer.
func (m percentileMarks) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle{Color: m.color, Width: vg.Points(2)}, c.Min.X, y, c.Max.X, y)
}

// glyphThumb is a legend entry showing one glyph.
type glyphThumb struct{ style draw.GlyphStyle }

// Thumbnail implements plot.Thumbnailer.
func (g glyphThumb) Thumbnail(c *draw.Canvas) { c.DrawGlyph(g.style, c.Center()) }

// rpsTicks labels a throughput axis as the tables do (120k, 1.5M).
type rpsTicks struct{}

// Ticks implements plot.Ticker.
func (rpsTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = formatRPS(ticks[i].Value)
		}
	}
	return ticks
}

// ratioTicks labels a log-scale ratio axis at the powers of two.
type ratioTicks struct{}

// Ticks implements plot.Ticker.
func (ratioTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log2(min)); e <= math.Ceil(math.Log2(max)); e++ {
		v := math.Exp2(e)
		if v >= min && v <= max {
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
		}
		// Unlabelled ticks at 1.25, 1.5 and 1.75 times the power of two.
		for _, f := range []float64{1.25, 1.5, 1.75} {
			if m := v * f; m >= min && m <= max {
				ticks = append(ticks, plot.Tick{Value: m})
			}
		}
	}
	return ticks
}

// ninesTicks labels the nines axis of the distribution chart: 0%, 90%, 99%, 99.9% ...
type ninesTicks struct{}

// Ticks implements plot.Ticker.
func (ninesTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for x := math.Ceil(lo); x <= hi; x++ {
		label := "0%"
		if x > 0 {
			label = strconv.FormatFloat(100*(1-math.Pow(10, -x)), 'f', max(int(x)-2, 0), 64) + "%"
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: label})
	}
	if x := math.Log10(2); x >= lo && x <= hi {
		ticks = append(ticks, plot.Tick{Value: x, Label: ""}) // 50%
	}
	return ticks
}
