package bench

import (
	"reflect"
	"strings"
	"testing"
)

// Captured from redis-benchmark 7.0.15 --csv.
const csv70 = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"MSET (10 keys)","52910.05","0.835","0.168","0.759","1.359","2.471","10.087"
`

func TestParseCSV(t *testing.T) {
	rows, err := ParseCSV([]byte(csv70))
	if err != nil {
		t.Fatal(err)
	}
	want := []CSVRow{{Test: "MSET (10 keys)", Sample: Sample{
		RPS: 52910.05, AvgMs: 0.835, MinMs: 0.168, P50Ms: 0.759, P95Ms: 1.359, P99Ms: 2.471, MaxMs: 10.087,
	}}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("got %+v\nwant %+v", rows, want)
	}
}

func TestParseCSVColumnsByName(t *testing.T) {
	// Columns in another order, an extra one, and two tests: read by header name.
	out := `"rps","test","p99_latency_ms","extra","p50_latency_ms","avg_latency_ms","min_latency_ms","p95_latency_ms","max_latency_ms"
"1000.5","SET","9","x","5","4","1","8","10"
"2000","GET","0.9","y","0.5","0.4","0.1","0.8","1.0"
`
	rows, err := ParseCSV([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	want := Sample{RPS: 1000.5, AvgMs: 4, MinMs: 1, P50Ms: 5, P95Ms: 8, P99Ms: 9, MaxMs: 10}
	if rows[0].Test != "SET" || rows[0].Sample != want {
		t.Fatalf("row 0: got %+v, want SET %+v", rows[0], want)
	}
	if rows[1].Test != "GET" || rows[1].Sample.RPS != 2000 || rows[1].Sample.P99Ms != 0.9 {
		t.Fatalf("row 1: got %+v", rows[1])
	}
}

func TestParseCSVErrors(t *testing.T) {
	header := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n"
	for _, tc := range []struct{ name, out, want string }{
		{"empty", "", "no output"},
		{"header only", header, "no result line"},
		{"missing column", `"test","rps","avg_latency_ms"` + "\n" + `"SET","1","2"` + "\n", "no min_latency_ms column"},
		{"no test column", `"rps"` + "\n" + `"1"` + "\n", "no test column"},
		{"bad number", header + `"SET","fast","1","1","1","1","1","1"` + "\n", "column rps"},
		{"short line", header + `"SET","1","1"` + "\n", "3 fields, header has 8"},
		// What redis-benchmark prints instead of CSV when it cannot reach the server.
		{"not csv", "Could not connect to Redis at 127.0.0.1:1: Connection refused\n", "no test column"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCSV([]byte(tc.out))
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
	want := "-h 127.0.0.1 -p 6400 --csv -t incr -c 50 -P 16 -n 120000 -r 100000 -d 3"
	if got != want {
		t.Fatalf("Args = %q\nwant %q", got, want)
	}
	p.Requests = 0
	if got, want := rb.CommandLine(p), "redis-benchmark --csv -t incr -c 50 -P 16 -n N -r 100000 -d 3"; got != want {
		t.Fatalf("CommandLine = %q\nwant %q", got, want)
	}
}

// Captured from redis-benchmark 7.0.15 --csv -t lpush,lrange_100: lrange_100 times the
// LPUSHes that fill its list first, so "LPUSH" matches two lines.
const csvLrange = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"LPUSH","16949.15","0.413","0.048","0.151","2.639","4.607","6.527"
"LPUSH (needed to benchmark LRANGE)","10416.67","0.632","0.032","0.159","2.375","4.127","42.015"
"LRANGE_100 (first 100 elements)","10101.01","0.769","0.064","0.207","3.503","6.575","23.663"
`

func TestPickRow(t *testing.T) {
	rows, err := ParseCSV([]byte(csvLrange))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rps  float64
	}{
		{"LRANGE_100", 10101.01},
		{"LRANGE_100 (first 100 elements)", 10101.01},
		{"LPUSH (needed to benchmark LRANGE)", 10416.67},
	} {
		row, err := PickRow(rows, tc.name)
		if err != nil || row.Sample.RPS != tc.rps {
			t.Errorf("PickRow(%q) = %+v, %v; want the line with %v req/s", tc.name, row, err, tc.rps)
		}
	}
	for _, tc := range []struct{ name, want string }{
		{"LPUSH", `found 2 among "LPUSH", "LPUSH (needed to benchmark LRANGE)", "LRANGE_100 (first 100 elements)"`},
		{"LRANGE", "found 0"}, // a prefix of a name is not the name
		{"LRANGE_100 (first", "found 0"},
	} {
		if _, err := PickRow(rows, tc.name); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("PickRow(%q): error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	mset, err := ParseCSV([]byte(csv70))
	if err != nil {
		t.Fatal(err)
	}
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
		// redis-benchmark names a command line's CSV line after its arguments.
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
	want := "-h 127.0.0.1 -p 6400 --csv -c 50 -P 16 -n 5000 -r 100000 -d 3 ZRANGE zrange:1000 0 99 WITHSCORES"
	if got != want {
		t.Fatalf("Args = %q\nwant %q", got, want)
	}
	p.Requests = 0
	if got, want := rb.CommandLine(p), "redis-benchmark --csv -c 50 -P 16 -n N -r 100000 -d 3 ZRANGE zrange:1000 0 99 WITHSCORES"; got != want {
		t.Errorf("CommandLine = %q\nwant %q", got, want)
	}
	quoted := RedisBenchmark{Command: []string{"EVAL", "return redis.call('ping')", "0"}}
	if got, want := quoted.CommandLine(p), `redis-benchmark --csv -c 50 -P 16 -n N -r 100000 -d 3 EVAL 'return redis.call('\''ping'\'')' 0`; got != want {
		t.Errorf("CommandLine = %q\nwant %q", got, want)
	}
	row := RedisBenchmark{Test: "lrange_100", Row: "LRANGE_100"}
	if got, want := row.CommandLine(p), "redis-benchmark --csv -t lrange_100 -c 50 -P 16 -n N -r 100000 -d 3  # reports the LRANGE_100 line"; got != want {
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
