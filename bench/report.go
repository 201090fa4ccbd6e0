package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// tableHeader returns the column names shared by the terminal table and report.md.
func (r *Results) tableHeader() []string {
	cand, base := r.Systems[0].Label, r.Systems[1].Label
	return []string{
		"Workload", "fsync", "Pipeline",
		cand + " req/s", base + " req/s", cand + "/" + base,
		cand + " p50 ms", base + " p50 ms",
		cand + " p99 ms", base + " p99 ms",
	}
}

func (r *Results) tableRow(c *CaseResult) []string {
	cand, base := c.Candidate(), c.Baseline()
	ratio := "-"
	if c.Ratio != nil {
		ratio = formatStat(*c.Ratio, formatRatio)
	}
	return []string{
		c.Label, c.Fsync, fmt.Sprint(c.Params.Pipeline),
		cell(cand, cand.Summary.RPS, formatRPS), cell(base, base.Summary.RPS, formatRPS), ratio,
		cell(cand, cand.Summary.P50Ms, formatMs), cell(base, base.Summary.P50Ms, formatMs),
		cell(cand, cand.Summary.P99Ms, formatMs), cell(base, base.Summary.P99Ms, formatMs),
	}
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

// WriteText prints the results table for a terminal.
func (r *Results) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(r.tableHeader(), "\t"))
	for i := range r.Cases {
		fmt.Fprintln(tw, strings.Join(r.tableRow(&r.Cases[i]), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "(%s; %s/%s is the paired throughput ratio, above 1: %s is faster)\n",
		r.spreadNote(), r.Systems[0].Label, r.Systems[1].Label, r.Systems[0].Label)
	return err
}

func (r *Results) spreadNote() string {
	if r.Settings.Repeats == 1 {
		return "one round, so no spread"
	}
	return fmt.Sprintf("median [min-max] over %d rounds", r.Settings.Repeats)
}

// WriteMarkdown renders report.md.
func (r *Results) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	cand, base := r.Systems[0], r.Systems[1]
	mode := "full"
	if r.Environment.busyBefore() {
		fmt.Fprintf(&b, "- Other work kept the machine busy before this run (load average %s): its figures are noisier than usual.\n", r.Environment.LoadAvgStart)
	}
	if cand.Style == StyleRedis {
		fmt.Fprintf(&b, "- The %s column is a redis-server standing in for %s (`-redoubt-style redis`): this run tests the harness, not %s.\n", cand.Label, cand.Label, cand.Label)
	}
	if r.Settings.Quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "# %s vs %s: benchmark report\n\n", cand.Label, base.Label)
	fmt.Fprintf(&b, "A %s run on %s: %d round(s), about %.1f s per measured run", mode, r.Environment.Date, r.Settings.Repeats, r.Settings.RunSeconds)
	if r.Settings.Filter != "" {
		fmt.Fprintf(&b, ", workloads matching `%s`", r.Settings.Filter)
	}
	b.WriteString(".\n\n")

	b.WriteString("## Results\n\n")
	fmt.Fprintf(&b, "Throughput in requests per second, latency in milliseconds; %s. "+
		"%s/%s is %s's throughput divided by %s's in the same round: above 1, %s is faster.\n\n",
		r.spreadNote(), cand.Label, base.Label, cand.Label, base.Label, cand.Label)
	writeMarkdownTable(&b, r.tableHeader(), r.rows())

	b.WriteString("\n## Commands\n\n")
	fmt.Fprintf(&b, "Every run: `-h 127.0.0.1 -p <port>` plus the arguments below, with the same N on both systems, "+
		"sized from probe runs so that runs last about %.1f s (the geometric mean of the two systems' run times).\n\n", r.Settings.RunSeconds)
	var cmds [][]string
	for _, c := range r.Cases {
		cmd := "`" + c.CommandLine + "`"
		if c.Setup != "" {
			cmd = c.Setup + "; then " + cmd
		}
		if c.Background != "" {
			cmd += "; " + c.Background
		}
		cmds = append(cmds, []string{c.Name, cmd, requestsCell(c)})
	}
	writeMarkdownTable(&b, []string{"Case", "Command", "N"}, cmds)

	if errs := r.errorLines(); len(errs) > 0 {
		b.WriteString("\n## Errors\n\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}

	b.WriteString("\n## Environment\n\n")
	env := r.Environment
	writeMarkdownTable(&b, []string{"What", "Version"}, [][]string{
		{cand.Label + " (" + cand.Path + ")", env.Redoubt},
		{base.Label + " (" + base.Path + ")", env.RedisServer},
		{"redis-benchmark", env.RedisBenchmark},
		{"Go (harness)", env.Go},
		{"Kernel", env.Kernel},
		{"OS", env.OS},
		{"CPU", fmt.Sprintf("%s, %d logical CPUs", env.CPUModel, env.CPUs)},
		{"Memory", env.MemTotal},
		{"Commit", orUnknown(env.GitCommit)},
		{"Load average before / after", env.LoadAvgStart + " / " + orUnknown(env.LoadAvgEnd)},
		{"Date", env.Date},
	})

	b.WriteString("\n## Fairness rules\n\n")
	fmt.Fprintf(&b, `- Same machine, same run: both servers run here, one at a time under load, and the rounds alternate between them (%[1]s, %[2]s, %[1]s, %[2]s, ...) so that drift of the machine falls on both.
- Same durability: both log every write and use the same appendfsync mode (the fsync column). Redis runs with `+"`--appendonly yes --save \"\"`"+` (AOF on, RDB snapshots off), %[1]s with `+"`--appendfsync`"+` set alike.
- Same data: fresh empty data directories, then the same %[3]d keys preloaded on both before measuring.
- Same client: the same redis-benchmark binary with the same arguments against both, on 127.0.0.1.
- No giant pipelines in headline numbers: pipeline depth 1 and 16 only.
- Repeats with spread shown: %[4]s; the ratio is paired round by round.
- Same work: both systems run the same number of requests per run, sized so that runs last about %.1[5]f s.
- No spill-over: before every run the harness waits (up to %.0[6]f s) until both servers and their child processes are idle, then calls sync(2), so background work left by one system's run (AOF fsync and rewrite, compaction, dirty pages) is not charged to the other's.
- Versions of everything are listed above; compare reports only when they match.
`, cand.Label, base.Label, r.maxKeyspace(), r.spreadNote(), r.Settings.RunSeconds, r.Settings.SettleSeconds)

	b.WriteString("\n## Caveats\n\n")
	fmt.Fprintf(&b, "- The machine has %d logical CPUs, shared by the server and the load generator: absolute numbers say little, the ratios are the result.\n", env.CPUs)
	b.WriteString("- Latency includes the client's own queueing at 50 connections; with a pipeline it is the time of the whole batch.\n")
	b.WriteString("- p99.9 is not reported: redis-benchmark 7.0's CSV output stops at p99.\n")
	if r.Environment.busyBefore() {
		fmt.Fprintf(&b, "- Other work kept the machine busy before this run (load average %s): its figures are noisier than usual.\n", r.Environment.LoadAvgStart)
	}
	if cand.Style == StyleRedis {
		fmt.Fprintf(&b, "- The %s column is a redis-server standing in for %s (`-redoubt-style redis`): this run tests the harness, not %s.\n", cand.Label, cand.Label, cand.Label)
	}
	if r.Settings.Quick {
		b.WriteString("- This is a quick run (short runs, few rounds): use it to spot regressions, not to publish.\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (r *Results) rows() [][]string {
	rows := make([][]string, 0, len(r.Cases))
	for i := range r.Cases {
		rows = append(rows, r.tableRow(&r.Cases[i]))
	}
	return rows
}

func (r *Results) maxKeyspace() int {
	n := 0
	for _, c := range r.Cases {
		n = max(n, c.Params.Keyspace)
	}
	return n
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

// WriteDir writes results.json and report.md into out/<YYYYmmdd-HHMMSS>/ and replaces
// out/latest/ with a copy (a copy, not a symlink, so latest/ can be committed). It returns
// the timestamped directory.
func (r *Results) WriteDir(out string, stamp time.Time) (string, error) {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	js = append(js, '\n')
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
	for _, d := range []string{dir, latest} {
		if err := os.WriteFile(filepath.Join(d, "results.json"), js, 0o644); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(d, "report.md"), md.Bytes(), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}
