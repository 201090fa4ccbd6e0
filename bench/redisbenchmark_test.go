package bench

import (
	"cmp"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// readCapture returns a report redis-benchmark 7.0.15 printed, progress lines (with
// their carriage returns) included, captured in testdata.
func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReport(t *testing.T) {
	// redis-benchmark -t mset -n 2000 -c 10 -r 1000
	sections, err := ParseReport(readCapture(t, "redis-benchmark-mset.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sections) != 1 || sections[0].Test != "MSET (10 keys)" {
		t.Fatalf("sections = %+v, want one, MSET (10 keys)", sections)
	}
	s := sections[0].Sample
	want := Sample{RPS: 39215.69, AvgMs: 0.180, MinMs: 0.048, P50Ms: 0.143, P95Ms: 0.255, P99Ms: 1.471, MaxMs: 4.351,
		// 99.805% of 2000 is 1996.1; its line counts 1998, exactly 99.9%, so it is p99.9.
		P999Ms: 4.087}
	got := s
	got.Distribution = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sample = %+v\nwant %+v", got, want)
	}
	if len(s.Distribution) != 13 {
		t.Fatalf("distribution has %d points, want the 13 lines: %+v", len(s.Distribution), s.Distribution)
	}
	first, last := s.Distribution[0], s.Distribution[len(s.Distribution)-1]
	// "0.000% <= 0.055 milliseconds (cumulative count 22)": the percent is the count's.
	if first != (Point{Percent: 1.1, Ms: 0.055}) || last != (Point{Percent: 100, Ms: 4.351}) {
		t.Errorf("distribution from %+v to %+v", first, last)
	}
}

// TestParseReportP999BetweenLines: the 99.805% line falls short of 99.9%, so p99.9 is the
// 99.902% line.
func TestParseReportP999BetweenLines(t *testing.T) {
	// redis-benchmark -t set,lrange_100 -n 20000 -r 1000 -c 50: three sections.
	sections, err := ParseReport(readCapture(t, "redis-benchmark-lrange.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sections {
		names = append(names, s.Test)
	}
	if want := []string{"SET", "LPUSH (needed to benchmark LRANGE)", "LRANGE_100 (first 100 elements)"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("sections %q, want %q", names, want)
	}
	set := sections[0].Sample
	// 99.805% <= 4.799 (cumulative count 19961): short of 19980.
	// 99.902% <= 5.015 (cumulative count 19981).
	if set.P999Ms != 5.015 || set.RPS != 48309.18 || set.P99Ms != 1.151 || set.MaxMs != 5.215 {
		t.Errorf("SET sample %+v", set)
	}
	for _, s := range sections {
		d := s.Sample.Distribution
		if !slices.IsSortedFunc(d, func(a, b Point) int { return cmp.Compare(a.Ms, b.Ms) }) || d[len(d)-1].Percent != 100 {
			t.Errorf("%s: distribution %+v", s.Test, d)
		}
	}
}

func TestParseReportCommandLine(t *testing.T) {
	// redis-benchmark ... ZRANGE z 0 99 WITHSCORES: the section is named after the command.
	sections, err := ParseReport(readCapture(t, "redis-benchmark-zrange.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rb := RedisBenchmark{Command: []string{"ZRANGE", "z", "0", "99", "WITHSCORES"}}
	if s, err := PickRow(sections, rb.row()); err != nil || s.Sample.RPS <= 0 || s.Sample.P999Ms <= 0 {
		t.Fatalf("PickRow(%q) = %+v, %v", rb.row(), s, err)
	}
}

func TestParseReportErrors(t *testing.T) {
	good := string(readCapture(t, "redis-benchmark-mset.txt"))
	for _, tc := range []struct{ name, out, want string }{
		{"empty", "", "no test section"},
		// What redis-benchmark prints when it cannot reach the server.
		{"no server", "Could not connect to Redis at 127.0.0.1:1: Connection refused\n", "no test section"},
		{"no throughput", strings.Replace(good, "throughput summary", "throughput", 1), "has no throughput"},
		{"no distribution", strings.Replace(good, "Latency by percentile distribution:", "Latency:", 1), "has no distribution"},
		{"missing column", strings.Replace(good, "p99 ", "p98 ", 1), "no p99 column"},
		{"bad figure", strings.Replace(good, "39215.69", "fast", 1), "throughput summary"},
		{"bad line", strings.Replace(good, "(cumulative count 1062)", "(cumulative 1062)", 1), "is not"},
		{"backwards", strings.Replace(good, "(cumulative count 1062)", "(cumulative count 2)", 1), "goes backwards"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReport([]byte(tc.out))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRedisBenchmarkArgs(t *testing.T) {
	rb := RedisBenchmark{Test: "incr"}
	p := Params{Clients: 50, Pipeline: 16, Requests: 120000, Keyspace: 100000, DataSize: 3}
	got := strings.Join(rb.Args(Target{Host: "127.0.0.1", Port: 6400}, p), " ")
	want := "-h 127.0.0.1 -p 6400 -t incr -c 50 -P 16 -n 120000 -r 100000 -d 3"
	if got != want {
		t.Fatalf("Args = %q\nwant %q", got, want)
	}
	p.Requests = 0
	if got, want := rb.CommandLine(p), "redis-benchmark -t incr -c 50 -P 16 -n N -r 100000 -d 3"; got != want {
		t.Fatalf("CommandLine = %q\nwant %q", got, want)
	}
}

func TestPickRow(t *testing.T) {
	sections := []Section{
		{Test: "LPUSH", Sample: Sample{RPS: 16949.15}},
		{Test: "LPUSH (needed to benchmark LRANGE)", Sample: Sample{RPS: 10416.67}},
		{Test: "LRANGE_100 (first 100 elements)", Sample: Sample{RPS: 10101.01}},
	}
	for _, tc := range []struct {
		name string
		rps  float64
	}{
		{"LRANGE_100", 10101.01},
		{"LRANGE_100 (first 100 elements)", 10101.01},
		{"LPUSH (needed to benchmark LRANGE)", 10416.67},
	} {
		row, err := PickRow(sections, tc.name)
		if err != nil || row.Sample.RPS != tc.rps {
			t.Errorf("PickRow(%q) = %+v, %v; want the section with %v req/s", tc.name, row, err, tc.rps)
		}
	}
	for _, tc := range []struct{ name, want string }{
		{"LPUSH", `found 2 among "LPUSH", "LPUSH (needed to benchmark LRANGE)", "LRANGE_100 (first 100 elements)"`},
		{"LRANGE", "found 0"}, // a prefix of a name is not the name
		{"LRANGE_100 (first", "found 0"},
	} {
		if _, err := PickRow(sections, tc.name); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("PickRow(%q): error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	mset := []Section{{Test: "MSET (10 keys)"}}
	if row, err := PickRow(mset, RedisBenchmark{Test: "mset"}.row()); err != nil || row.Test != "MSET (10 keys)" {
		t.Errorf("default row of -t mset: %+v, %v", row, err)
	}
}

func TestRedisBenchmarkRowDefaults(t *testing.T) {
	for _, tc := range []struct {
		rb   RedisBenchmark
		want string
	}{
		{RedisBenchmark{Test: "lpop"}, "LPOP"},
		{RedisBenchmark{Test: "lrange_100", Row: "LRANGE_100"}, "LRANGE_100"},
		// redis-benchmark names a command line's section after its arguments.
		{RedisBenchmark{Command: []string{"ZRANGE", "z", "0", "99", "WITHSCORES"}}, "ZRANGE z 0 99 WITHSCORES"},
	} {
		if got := tc.rb.row(); got != tc.want {
			t.Errorf("%+v: row %q, want %q", tc.rb, got, tc.want)
		}
	}
}

func TestRedisBenchmarkCommandArgs(t *testing.T) {
	rb := RedisBenchmark{Command: []string{"ZRANGE", "zrange:1000", "0", "99", "WITHSCORES"}}
	p := Params{Clients: 50, Pipeline: 16, Requests: 5000, Keyspace: 100000, DataSize: 3}
	// The command comes after every option: redis-benchmark reads options up to the first
	// argument without a dash and takes the rest as the command.
	got := strings.Join(rb.Args(Target{Host: "127.0.0.1", Port: 6400}, p), " ")
	want := "-h 127.0.0.1 -p 6400 -c 50 -P 16 -n 5000 -r 100000 -d 3 ZRANGE zrange:1000 0 99 WITHSCORES"
	if got != want {
		t.Fatalf("Args = %q\nwant %q", got, want)
	}
	p.Requests = 0
	if got, want := rb.CommandLine(p), "redis-benchmark -c 50 -P 16 -n N -r 100000 -d 3 ZRANGE zrange:1000 0 99 WITHSCORES"; got != want {
		t.Errorf("CommandLine = %q\nwant %q", got, want)
	}
	quoted := RedisBenchmark{Command: []string{"EVAL", "return redis.call('ping')", "0"}}
	if got, want := quoted.CommandLine(p), `redis-benchmark -c 50 -P 16 -n N -r 100000 -d 3 EVAL 'return redis.call('\''ping'\'')' 0`; got != want {
		t.Errorf("CommandLine = %q\nwant %q", got, want)
	}
	row := RedisBenchmark{Test: "lrange_100", Row: "LRANGE_100"}
	if got, want := row.CommandLine(p), "redis-benchmark -t lrange_100 -c 50 -P 16 -n N -r 100000 -d 3  # reports the LRANGE_100 section"; got != want {
		t.Errorf("CommandLine = %q\nwant %q", got, want)
	}
}

func TestRedisBenchmarkValidate(t *testing.T) {
	for _, tc := range []struct {
		rb   RedisBenchmark
		want string
	}{
		{RedisBenchmark{}, "needs a Test or a Command"},
		{RedisBenchmark{Test: "get", Command: []string{"GET", "k"}}, "exclusive"},
		{RedisBenchmark{Command: []string{"-n", "GET"}}, "read as an option"},
	} {
		err := tc.rb.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Validate = %v, want an error containing %q", tc.rb, err, tc.want)
		}
		if _, err := tc.rb.Run(t.Context(), Tools{RedisBenchmark: "/nonexistent"}, Target{}, Params{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Run = %v, want the Validate error", tc.rb, err)
		}
	}
	if err := (RedisBenchmark{Test: "set"}).Validate(); err != nil {
		t.Errorf("-t set: %v", err)
	}
}
