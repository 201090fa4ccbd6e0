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
