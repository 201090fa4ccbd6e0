package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// workloadCell names a case's workload in tables: its label, and its topology and group
// when it does not run on the common standalone servers.
func workloadCell(c *CaseResult) string {
	var tags []string
	for _, t := range []string{c.Topology, c.Group} {
		if t != "" {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return c.Label
	}
	return c.Label + " [" + strings.Join(tags, ", ") + "]"
}

// throughputHeader and throughputRow are the report's main table.
func (r *Results) throughputHeader() []string {
	cand, base := r.Systems[0].Label, r.Systems[1].Label
	return []string{"Workload", "fsync", "-P", "Load", cand + " req/s", base + " req/s", cand + "/" + base}
}

func (r *Results) throughputRow(c *CaseResult) []string {
	cand, base := c.Candidate(), c.Baseline()
	return []string{
		workloadCell(c), c.Fsync, fmt.Sprint(c.Params.Pipeline), c.Tool,
		cell(cand, cand.Summary.RPS, formatRPS), cell(base, base.Summary.RPS, formatRPS), ratioCell(c),
	}
}

// latencyHeader and latencyRow are the report's latency table.
func (r *Results) latencyHeader() []string {
	cand, base := r.Systems[0].Label, r.Systems[1].Label
	return []string{
		"Workload", "fsync", "-P",
		cand + " p50", base + " p50", cand + " p99", base + " p99", cand + " p99.9", base + " p99.9",
	}
}

func (r *Results) latencyRow(c *CaseResult) []string {
	cand, base := c.Candidate(), c.Baseline()
	return []string{
		workloadCell(c), c.Fsync, fmt.Sprint(c.Params.Pipeline),
		cell(cand, cand.Summary.P50Ms, formatMs), cell(base, base.Summary.P50Ms, formatMs),
		cell(cand, cand.Summary.P99Ms, formatMs), cell(base, base.Summary.P99Ms, formatMs),
		p999Cell(cand), p999Cell(base),
	}
}

func ratioCell(c *CaseResult) string {
	if c.Ratio == nil {
		return "-"
	}
	return formatStat(*c.Ratio, formatRatio)
}

func p999Cell(s *SystemResult) string {
	if s.Summary.P999Ms == nil {
		return cell(s, Stat{}, formatMs)
	}
	return cell(s, *s.Summary.P999Ms, formatMs)
}

// cell shows a figure as "median [min-max]". Without a successful run it shows "error" or,
// when nothing was tried (an interrupted run), "-": a gap is never read as a zero.
func cell(s *SystemResult, st Stat, format func(float64) string) string {
	if st.N > 0 {
		return formatStat(st, format)
	}
	if s.Error != "" || len(s.Runs) > 0 {
		return "error"
	}
	return "-"
}

// median shows only the median of a figure, for the terminal's narrower table.
func median(s *SystemResult, st *Stat, format func(float64) string) string {
	if st == nil {
		return cell(s, Stat{}, format)
	}
	return cell(s, Stat{Median: st.Median, Min: st.Median, Max: st.Median, N: st.N}, format)
}

func formatStat(st Stat, format func(float64) string) string {
	if st.N <= 1 || st.Min == st.Max {
		return format(st.Median)
	}
	return fmt.Sprintf("%s [%s-%s]", format(st.Median), format(st.Min), format(st.Max))
}

// formatRPS keeps four significant digits: run-to-run noise on a shared 2-core machine is
// far larger than the fifth.
func formatRPS(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.3gM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.4gk", x/1e3)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}

func formatMs(x float64) string    { return fmt.Sprintf("%.3f", x) }
func formatRatio(x float64) string { return fmt.Sprintf("%.2f", x) }

// WriteText prints the results table for a terminal: throughput with its spread, the
// medians of p50, p99 and p99.9.
func (r *Results) WriteText(w io.Writer) error {
	cand, base := r.Systems[0].Label, r.Systems[1].Label
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := append(r.throughputHeader(), cand+" p99 ms", base+" p99 ms", cand+" p99.9 ms", base+" p99.9 ms")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range r.Cases {
		c := &r.Cases[i]
		cs, bs := c.Candidate(), c.Baseline()
		row := append(r.throughputRow(c),
			median(cs, &cs.Summary.P99Ms, formatMs), median(bs, &bs.Summary.P99Ms, formatMs),
			median(cs, cs.Summary.P999Ms, formatMs), median(bs, bs.Summary.P999Ms, formatMs))
		if c.FixedWork {
			for j := len(row) - 4; j < len(row); j++ {
				row[j] = "-" // no request latencies to show
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "(%s; %s/%s is the paired throughput ratio, above 1: %s is faster; latencies are medians)\n",
		r.spreadNote(), cand, base, cand)
	if err == nil && r.hasFigures() {
		err = r.writeReplicationText(w)
	}
	if err == nil && r.Reference != nil {
		_, err = fmt.Fprintf(w, "%s\n", r.Reference.summary(r.Systems))
	}
	return err
}

// writeReplicationText is the terminal's table of the replication figures: per row that
// has any, the medians of each system's lag p50/p99/max and full sync time.
func (r *Results) writeReplicationText(w io.Writer) error {
	cand, base := r.Systems[0].Label, r.Systems[1].Label
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{
		"Replication", "-P", cand + " lag ms p50/p99/max", base + " lag ms p50/p99/max", cand + " full sync s", base + " full sync s",
	}, "\t"))
	for i := range r.Cases {
		c := &r.Cases[i]
		if !c.hasFigures() {
			continue
		}
		row := []string{workloadCell(c), fmt.Sprint(c.Params.Pipeline)}
		for i := range c.Systems {
			row = append(row, lagCell(c, &c.Systems[i]))
		}
		for i := range c.Systems {
			row = append(row, "-")
			if c.measured(FigureFullSyncSec) {
				row[len(row)-1] = figureMedian(&c.Systems[i], FigureFullSyncSec, formatSeconds)
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// lagCell shows a system's median lag p50/p99/max in one cell, or "-" for a row that
// does not measure lag.
func lagCell(c *CaseResult, s *SystemResult) string {
	if !c.measured(FigureLagP50) {
		return "-"
	}
	parts := make([]string, 0, 3)
	for _, name := range []string{FigureLagP50, FigureLagP99, FigureLagMax} {
		parts = append(parts, figureMedian(s, name, formatMs))
	}
	return strings.Join(parts, "/")
}

func (r *Results) spreadNote() string {
	if r.Settings.Repeats == 1 {
		return "one round, so no spread"
	}
	return fmt.Sprintf("median [min-max] over %d rounds", r.Settings.Repeats)
}

// Chart files WriteDir draws, in the order report.md shows them.
const (
	ChartThroughput = "throughput.png"
	ChartRatio      = "ratio.png"
	ChartLatency    = "latency.png"
	ChartCDF        = "latency-cdf.png"
)

// chartCaptions are the report's words for each chart.
var chartCaptions = map[string]string{
	ChartThroughput: "Throughput per workload: median, whiskers from min to max",
	ChartRatio:      "Redoubt/Redis throughput ratio per workload, paired round by round: median, whiskers from min to max",
	ChartLatency:    "Latency per workload: p50, p99 and p99.9 (medians over the rounds), log scale",
	ChartCDF:        "Latency distribution per workload, every round: the share of requests answered within a latency",
}

// WriteMarkdown renders report.md.
func (r *Results) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	cand, base := r.Systems[0], r.Systems[1]
	env := r.Environment
	mode := "full"
	if r.Settings.Quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "# %s vs %s: benchmark report\n\n", cand.Label, base.Label)
	fmt.Fprintf(&b, "A %s run on %s: %d round(s), about %.1f s per measured run", mode, env.Date, r.Settings.Repeats, r.Settings.RunSeconds)
	if r.Settings.Filter != "" {
		fmt.Fprintf(&b, ", workloads matching `%s`", r.Settings.Filter)
	}
	fmt.Fprintf(&b, "; load average %s before, %s after.\n\n", env.LoadAvgStart, orUnknown(env.LoadAvgEnd))
	for _, note := range r.warnings() {
		fmt.Fprintf(&b, "> %s\n\n", note)
	}

	b.WriteString("## Throughput\n\n")
	fmt.Fprintf(&b, "Requests per second; %s. %s/%s is %s's throughput divided by %s's in the same round: above 1, %s is faster. "+
		"Load is the load generator, the same for both systems in a row: `redis-benchmark`, or `%s`, the harness's own Go driver, "+
		"for loads redis-benchmark cannot send.\n\n",
		r.spreadNote(), cand.Label, base.Label, cand.Label, base.Label, cand.Label, DriverTool)
	if r.hasFixedWork() {
		fmt.Fprintf(&b, "`%s` rows time a full sync instead: their figure is the keys it transferred per second (the sync's time is under Replication).\n\n", FullSyncTool)
	}
	writeMarkdownTable(&b, r.throughputHeader(), r.rows(r.throughputRow))
	r.writeCharts(&b, ChartThroughput, ChartRatio)

	b.WriteString("\n## Latency\n\n")
	fmt.Fprintf(&b, "Milliseconds per request, from the write of its pipeline to its reply, queueing at 50 connections included; %s. "+
		"`redis-benchmark` rows read p99.9 from its percentile distribution (HdrHistogram buckets, 3 significant digits; "+
		"the line at 99.902%% when the 99.805%% line falls short of 99.9%%), `%s` rows from every request's latency.\n\n", r.spreadNote(), DriverTool)
	var latencyRows [][]string
	for i := range r.Cases {
		if !r.Cases[i].FixedWork {
			latencyRows = append(latencyRows, r.latencyRow(&r.Cases[i]))
		}
	}
	if r.hasFixedWork() {
		b.WriteString("Rows that time one operation rather than requests (a full sync) have no request latencies and are not listed.\n\n")
	}
	writeMarkdownTable(&b, r.latencyHeader(), latencyRows)
	r.writeCharts(&b, ChartLatency, ChartCDF)

	if r.hasFigures() {
		r.writeReplication(&b)
	}

	if r.Reference != nil {
		r.writeReference(&b)
	}

	b.WriteString("\n## Servers and data\n\n")
	b.WriteString("Each group of rows gets a pair of fresh servers with empty data directories (in the order below, one group at a time), " +
		"and the same data preloaded into both before any of its rows runs. PORT is a free port on 127.0.0.1, DIR a new temporary directory.")
	if r.hasReplicas() {
		b.WriteString(" A replicated group starts a primary (the first line) and its replicas, each with a PORT and DIR of its own; PRIMARY_PORT is the primary's PORT. " +
			"The load goes to the primary; the data is preloaded into it, and the rows start once every replica has applied it.")
	}
	b.WriteString("\n\n")
	var groups [][]string
	for _, g := range r.Groups {
		name := "appendfsync " + g.Fsync
		for _, t := range []string{g.Group, g.Topology} {
			if t != "" {
				name = t + ", " + name
			}
		}
		groups = append(groups, []string{
			name,
			codeLines(g.Servers[cand.Name]),
			codeLines(g.Servers[base.Name]),
			g.Data,
			fmt.Sprint(len(g.Cases)),
		})
	}
	writeMarkdownTable(&b, []string{"Group", cand.Label, base.Label, "Preloaded", "Rows"}, groups)

	b.WriteString("\n## Commands\n\n")
	fmt.Fprintf(&b, "Every run: the arguments below with the same N on both systems, sized from probe runs so that runs last about %.1f s "+
		"(the geometric mean of the two systems' run times); redis-benchmark also gets `-h 127.0.0.1 -p PORT`.", r.Settings.RunSeconds)
	if r.Settings.SizedFrom != "" {
		fmt.Fprintf(&b, " Instead of probing, the cases marked (scaled) took the N of the same case in `%s`, scaled to this run's length.", r.Settings.SizedFrom)
	}
	if r.hasFixedWork() {
		b.WriteString(" The cases marked (fixed work) do the same work in every run whatever N says (a full sync transfers the preloaded keys): " +
			"they are probed once, and N is what that probe did, the keys transferred.")
	}
	b.WriteString("\n\n")
	var cmds [][]string
	for _, c := range r.Cases {
		cmd := "`" + c.CommandLine + "`"
		if c.Setup != "" {
			cmd = c.Setup + "; then " + cmd
		}
		if c.Background != "" {
			cmd += "; " + c.Background
		}
		cmds = append(cmds, []string{c.Name, c.Tool, cmd, requestsCell(c)})
	}
	writeMarkdownTable(&b, []string{"Case", "Load", "Command", "N"}, cmds)

	if errs := r.errorLines(); len(errs) > 0 {
		b.WriteString("\n## Errors\n\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}

	b.WriteString("\n## Environment\n\n")
	writeMarkdownTable(&b, []string{"What", "Version"}, [][]string{
		{cand.Label + " (" + cand.Path + ")", env.Redoubt},
		{base.Label + " (" + base.Path + ")", env.RedisServer},
		{"redis-benchmark", env.RedisBenchmark},
		{"Go (harness and " + DriverTool + ")", env.Go},
		{"Kernel", env.Kernel},
		{"OS", env.OS},
		{"CPU", fmt.Sprintf("%s, %d logical CPUs", env.CPUModel, env.CPUs)},
		{"Memory", env.MemTotal},
		{"Data directories", orUnknown(env.DataDisk)},
		{"Commit", orUnknown(env.GitCommit)},
		{"Load average before / after", env.LoadAvgStart + " / " + orUnknown(env.LoadAvgEnd)},
		{"Date", env.Date},
	})

	b.WriteString("\n## Fairness rules\n\n")
	fmt.Fprintf(&b, `- Same machine, same run: both servers run here, one at a time under load, and the rounds alternate between them (%[1]s, %[2]s, %[1]s, %[2]s, ...) so that drift of the machine falls on both.
- Same durability: both log every write with the same appendfsync mode (the fsync column). Redis runs with `+"`--appendonly yes --save \"\"`"+` (AOF on, RDB snapshots off), %[1]s with `+"`--appendfsync`"+` set alike and `+"`--save \"\"`"+`; the exact command lines are under Servers and data.
- Same data: fresh empty data directories for every group of rows, then the same keys preloaded into both.
- Same client: in every row the same load generator, with the same arguments, against both, on 127.0.0.1 (the Load column says which).
- No giant pipelines in headline numbers: pipeline depth 1 and 16 only.
- Repeats with spread shown: %[3]s; the ratio is paired round by round.
- Same work: both systems run the same number of requests per run, sized so that runs last about %.1[4]f s.
- No spill-over: before every run the harness waits (up to %.1[5]f s) until both servers and their child processes are idle, then calls sync(2), so background work left by one system's run (AOF fsync and rewrite, compaction, dirty pages) is not charged to the other's.
- Versions of everything are listed above; compare reports only when they match.
`, cand.Label, base.Label, r.spreadNote(), r.Settings.RunSeconds, r.Settings.SettleSeconds)

	b.WriteString("\n## Caveats\n\n")
	fmt.Fprintf(&b, "- The machine has %d logical CPUs, shared by the server, the load generator and whatever else runs: absolute numbers say little, the ratios are the result.\n", env.CPUs)
	b.WriteString("- Latency includes the client's own queueing at 50 connections; with a pipeline it is the time of the whole batch.\n")
	fmt.Fprintf(&b, "- `%s` is a Go program and spends more CPU per request than redis-benchmark, on the same cores as the server: its absolute rates are lower, so compare its rows with each other and by their ratio, not with redis-benchmark's rows.\n", DriverTool)
	if r.hasTopology((SmallCache{}).Name()) {
		b.WriteString("- `[smallcache]` rows start Redoubt with caches far smaller than the data set; Redis holds all of it in memory, as it always does. The operating system's page cache still holds Redoubt's files, so these rows measure Redoubt without its own caches, not the disk.\n")
	}
	if groups := r.groupNames(); len(groups) > 0 {
		fmt.Fprintf(&b, "- Rows tagged %s run on servers of their own, one pair per fsync mode with the same history, so they compare across modes. The other rows share a pair of servers per fsync mode and data set (see Servers and data) and run in table order, each after the writes of the rows above it.\n", strings.Join(groups, ", "))
	}
	if r.hasFsync("always") {
		b.WriteString("- appendfsync always depends on the disk's fsync latency, which varies most between machines and over time.\n")
	}
	if r.hasReplicas() {
		b.WriteString("- Replicated rows run the primary and its replicas on the same cores as the load generator: a replica's work (applying the stream, loading a full sync) " +
			"takes CPU the primary could use, which a deployment with a machine per server would not see, the same way on both systems. " +
			"The lag probes are the harness's own connections on those cores too.\n")
	}
	for _, note := range r.warnings() {
		fmt.Fprintf(&b, "- %s\n", note)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// warnings are the notes a reader must see before the figures: a busy machine, a
// stand-in candidate, a quick run.
func (r *Results) warnings() []string {
	cand := r.Systems[0]
	var notes []string
	if r.Environment.busyBefore() {
		notes = append(notes, fmt.Sprintf("Other work kept the machine busy before this run (load average %s): its figures are noisier than usual.", r.Environment.LoadAvgStart))
	}
	if cand.Style == StyleRedis {
		notes = append(notes, fmt.Sprintf("The %s column is a redis-server standing in for %s (`-redoubt-style redis`): this run tests the harness, not %s.", cand.Label, cand.Label, cand.Label))
	}
	if r.Settings.Quick {
		how := fmt.Sprintf("runs of %.1f s, %d round(s)", r.Settings.RunSeconds, r.Settings.Repeats)
		if r.Settings.WarmUp {
			how += " of each case right after an unrecorded run of it"
		}
		notes = append(notes, "This is a quick run ("+how+"): use it to spot regressions, not to publish.")
	}
	return notes
}

func (r *Results) writeCharts(b *bytes.Buffer, names ...string) {
	for _, name := range names {
		if slices.Contains(r.Charts, name) {
			fmt.Fprintf(b, "\n![%s](%s)\n", chartCaptions[name], name)
		}
	}
}

// writeReference is the section that reads this run's ratios against another run's.
func (r *Results) writeReference(b *bytes.Buffer) {
	ref := r.Reference
	kind := "full"
	if ref.Quick {
		kind = "quick"
	}
	fmt.Fprintf(b, "\n## Against the %s run of %s\n\n", kind, ref.Date)
	fmt.Fprintf(b, "%s The reference is `%s` (%d round(s), commit %s; this run: commit %s). "+
		"A ratio agrees with the reference's when their [min-max] ranges overlap; when they lie apart, the difference is noise larger than either run saw, or a real change: "+
		"\"near\" is within %.0f%%, about the noise of one short run here, and **no** is further apart, worth measuring again with more rounds.\n\n",
		ref.summary(r.Systems), ref.Path, ref.Repeats, orUnknown(ref.Commit), orUnknown(r.Environment.GitCommit), 100*NearMargin)
	rows := make([][]string, 0, len(ref.Cases))
	for _, a := range ref.Cases {
		agree := "yes"
		switch {
		case a.Agrees:
		case a.Outside <= NearMargin:
			agree = fmt.Sprintf("near (%.0f%% apart)", 100*a.Outside)
		default:
			agree = fmt.Sprintf("**no** (%.0f%% apart)", 100*a.Outside)
		}
		rows = append(rows, []string{a.Name, formatStat(a.Ratio, formatRatio), formatStat(a.Reference, formatRatio), formatChange(a.Change), agree})
	}
	writeMarkdownTable(b, []string{"Case", "This run", "Reference", "Change", "Agrees"}, rows)
}

// formatChange shows a relative change in whole percent, with its sign unless it
// rounds to zero.
func formatChange(x float64) string {
	if math.Round(100*x) == 0 {
		return "0%"
	}
	return fmt.Sprintf("%+.0f%%", 100*x)
}

// summary is one sentence on how the ratios agree.
func (ref *Reference) summary(systems []System) string {
	if ref.Compared == 0 {
		return fmt.Sprintf("No case in common with the reference run of %s.", ref.Date)
	}
	changes := make([]float64, 0, len(ref.Cases))
	for _, a := range ref.Cases {
		changes = append(changes, math.Abs(a.Change))
	}
	return fmt.Sprintf("%d of %d %s/%s ratios agree with the reference run of %s (their [min-max] ranges overlap), %d more within %.0f%%; the median distance from its median ratio is %.0f%%.",
		ref.Agree, ref.Compared, systems[0].Label, systems[1].Label, ref.Date, ref.Near, 100*NearMargin, 100*Summarize(changes).Median)
}

// codeLines shows command lines in a table cell, one code span each.
func codeLines(lines []string) string {
	if len(lines) == 0 {
		return "-"
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "`" + l + "`"
	}
	return strings.Join(out, "<br>")
}

// writeReplication is the section of the replication figures: the lag of the rows with
// ReplicationLag and the time of the FullSync rows.
func (r *Results) writeReplication(b *bytes.Buffer) {
	cand, base := r.Systems[0].Label, r.Systems[1].Label
	b.WriteString("\n## Replication\n\n")
	var lagRows, syncRows [][]string
	for i := range r.Cases {
		c := &r.Cases[i]
		cs, bs := c.Candidate(), c.Baseline()
		if c.measured(FigureLagP50) {
			row := []string{workloadCell(c), fmt.Sprint(c.Params.Pipeline)}
			for _, name := range []string{FigureLagP50, FigureLagP99, FigureLagMax} {
				row = append(row, figureMedian(cs, name, formatMs), figureMedian(bs, name, formatMs))
			}
			lagRows = append(lagRows, row)
		}
		if c.measured(FigureFullSyncSec) {
			keys := "-"
			if n := max(cs.Requests, bs.Requests); n > 0 {
				keys = fmt.Sprint(n)
			}
			syncRows = append(syncRows, []string{
				workloadCell(c), keys,
				figureCell(cs, FigureFullSyncSec, formatSeconds), figureCell(bs, FigureFullSyncSec, formatSeconds),
			})
		}
	}
	if len(lagRows) > 0 {
		fmt.Fprintf(b, "Replication lag while the row's load runs on the primary: every %d ms a PUBLISH with its send time goes to the primary, "+
			"and a subscriber on each replica takes the time it arrives; milliseconds from sending to delivery, over every replica and probe of a run, "+
			"medians over the rounds (results.json has min and max, and the probes per replica and run). "+
			"The lag includes the time the PUBLISH waits on the loaded primary, as any write does.\n\n", lagInterval.Milliseconds())
		writeMarkdownTable(b, []string{
			"Workload", "-P",
			cand + " lag p50", base + " lag p50", cand + " lag p99", base + " lag p99", cand + " lag max", base + " lag max",
		}, lagRows)
	}
	if len(syncRows) > 0 {
		if len(lagRows) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "Full sync: seconds from REPLICAOF sent to an emptied replica until its link is up, its sync done and its offset at the primary's; %s. "+
			"Keys is how many the sync transferred; the throughput table has them per second, and the ratio.\n\n", r.spreadNote())
		writeMarkdownTable(b, []string{"Workload", "Keys", cand + " s", base + " s"}, syncRows)
	}
}

// measured reports whether a successful run of either system of c has the figure name:
// whether the row measures it. A system without it then failed.
func (c *CaseResult) measured(name string) bool {
	for _, s := range c.Systems {
		if _, ok := s.Summary.Figures[name]; ok {
			return true
		}
	}
	return false
}

// figureCell shows a figure's median [min-max] over the rounds, as cell does.
func figureCell(s *SystemResult, name string, format func(float64) string) string {
	return cell(s, s.Summary.Figures[name], format)
}

// figureMedian shows a figure's median only, as median does.
func figureMedian(s *SystemResult, name string, format func(float64) string) string {
	st, ok := s.Summary.Figures[name]
	if !ok {
		return cell(s, Stat{}, format)
	}
	return median(s, &st, format)
}

func formatSeconds(x float64) string { return fmt.Sprintf("%.2f", x) }

// hasFigures reports whether a system measured figures in some successful run of c.
func (c *CaseResult) hasFigures() bool {
	return len(c.Candidate().Summary.Figures) > 0 || len(c.Baseline().Summary.Figures) > 0
}

func (r *Results) hasFigures() bool {
	return slices.ContainsFunc(r.Cases, func(c CaseResult) bool { return c.hasFigures() })
}

func (r *Results) hasFixedWork() bool {
	return slices.ContainsFunc(r.Cases, func(c CaseResult) bool { return c.FixedWork })
}

// hasReplicas reports whether a group of r runs a Replicated topology.
func (r *Results) hasReplicas() bool {
	return slices.ContainsFunc(r.Groups, func(g GroupInfo) bool { return strings.HasPrefix(g.Topology, replicatedPrefix) })
}

func (r *Results) hasTopology(name string) bool {
	return slices.ContainsFunc(r.Cases, func(c CaseResult) bool { return c.Topology == name })
}

// groupNames lists the Spec.Group tags of r's cases, as `[name]`, in order of appearance.
func (r *Results) groupNames() []string {
	var names []string
	for _, c := range r.Cases {
		if tag := "`[" + c.Group + "]`"; c.Group != "" && !slices.Contains(names, tag) {
			names = append(names, tag)
		}
	}
	return names
}

func (r *Results) hasFsync(mode string) bool {
	return slices.ContainsFunc(r.Cases, func(c CaseResult) bool { return c.Fsync == mode })
}

func (r *Results) rows(row func(*CaseResult) []string) [][]string {
	rows := make([][]string, 0, len(r.Cases))
	for i := range r.Cases {
		rows = append(rows, row(&r.Cases[i]))
	}
	return rows
}

func (r *Results) errorLines() []string {
	var lines []string
	for _, c := range r.Cases {
		for _, s := range c.Systems {
			if s.Error != "" {
				lines = append(lines, fmt.Sprintf("%s on %s: %s", c.Name, s.System, oneLine(s.Error)))
			}
			for _, run := range s.Runs {
				if run.Error != "" {
					lines = append(lines, fmt.Sprintf("%s on %s, round %d: %s", c.Name, s.System, run.Round, oneLine(run.Error)))
				}
			}
		}
	}
	return lines
}

// requestsCell shows the request count of a case; both systems ran the same one, but a
// system that failed before calibration has none.
func requestsCell(c CaseResult) string {
	for _, s := range c.Systems {
		if s.Requests > 0 {
			switch {
			case c.Sized:
				return fmt.Sprintf("%d (scaled)", s.Requests)
			case c.FixedWork:
				return fmt.Sprintf("%d (fixed work)", s.Requests)
			}
			return fmt.Sprint(s.Requests)
		}
	}
	return "-"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func writeMarkdownTable(b *bytes.Buffer, header []string, rows [][]string) {
	escape := func(cells []string) string {
		out := make([]string, len(cells))
		for i, c := range cells {
			out[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		return "| " + strings.Join(out, " | ") + " |\n"
	}
	b.WriteString(escape(header))
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	b.WriteString("|" + strings.Join(sep, "|") + "|\n")
	for _, row := range rows {
		b.WriteString(escape(row))
	}
}

// MarshalJSONFile returns results.json: indented JSON, except that each latency
// distribution stays on one line ([[percent, ms], ...]), which keeps the file a fraction
// of the size and still readable.
func (r *Results) MarshalJSONFile() ([]byte, error) {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	js = numberPairs.ReplaceAllFunc(js, func(m []byte) []byte {
		return bytes.Join(bytes.Fields(m), nil)
	})
	return append(js, '\n'), nil
}

// numberPairs matches an indented array of [number, number] arrays: a Distribution.
var numberPairs = regexp.MustCompile(`\[(?:\s*\[\s*[-+0-9.eE]+,\s*[-+0-9.eE]+\s*\],?)+\s*\]`)

// WriteDir draws the charts, then writes results.json, report.md and the charts into
// out/<YYYYmmdd-HHMMSS>/ and replaces out/latest/ with a copy (a copy, not a symlink, so
// latest/ can be committed). It records the charts' names in r.Charts and returns the
// timestamped directory.
func (r *Results) WriteDir(out string, stamp time.Time) (string, error) {
	charts, err := r.DrawCharts()
	if err != nil {
		return "", fmt.Errorf("drawing charts: %w", err)
	}
	r.Charts = nil
	for _, c := range charts {
		r.Charts = append(r.Charts, c.Name)
	}
	js, err := r.MarshalJSONFile()
	if err != nil {
		return "", err
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	base := stamp.Format("20060102-150405")
	dir := filepath.Join(out, base)
	// Two runs within one second would overwrite each other.
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			break
		}
		if !os.IsExist(err) {
			return "", err
		}
		dir = filepath.Join(out, fmt.Sprintf("%s-%d", base, i))
	}
	latest := filepath.Join(out, "latest")
	if err := os.RemoveAll(latest); err != nil {
		return "", err
	}
	if err := os.Mkdir(latest, 0o755); err != nil {
		return "", err
	}
	files := map[string][]byte{"results.json": js, "report.md": md.Bytes()}
	for _, c := range charts {
		files[c.Name] = c.PNG
	}
	for _, d := range []string{dir, latest} {
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(d, name), data, 0o644); err != nil {
				return "", err
			}
		}
	}
	return dir, nil
}
