package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sample(rps, p50, p99 float64) Sample {
	return Sample{
		Requests: 1000, ElapsedSec: 2.5, RPS: rps, AvgMs: p50, MinMs: 0.1, P50Ms: p50, P95Ms: p99 / 2, P99Ms: p99, P999Ms: 1.5 * p99, MaxMs: 2 * p99,
		Distribution: []Point{{0.1, 0.1}, {50, p50}, {75, p99 / 3}, {95, p99 / 2}, {99, p99}, {99.9, 1.5 * p99}, {100, 2 * p99}},
	}
}

// lagSample is a run of a replicated row: a sample with ReplicationLag's figures.
func lagSample(rps, p50, p99, lag50, lag99, lagMax float64) Sample {
	s := sample(rps, p50, p99)
	s.Figures = Figures{FigureLagP50: lag50, FigureLagP99: lag99, FigureLagMax: lagMax, FigureLagProbes: 250}
	return s
}

// syncSample is a run of FullSync: keys transferred in sec seconds, and no latencies.
func syncSample(keys int, sec float64) Sample {
	return Sample{Requests: keys, ElapsedSec: sec, RPS: float64(keys) / sec, Figures: Figures{FigureFullSyncSec: sec}}
}

// fixtureResults is a finished run of five cases over three rounds: one with a failed
// round on Redis, one where Redoubt could not start, one with two replicas whose lag was
// measured (a round of it failed on Redis), and a full sync.
func fixtureResults() *Results {
	r := &Results{
		Settings: Settings{Repeats: 3, RunSeconds: 2.5, ProbeSeconds: 0.5, SettleSeconds: 3},
		Environment: Environment{
			Date: "2026-01-02T03:04:05Z", RedisServer: "Redis server v=7.0.15", RedisBenchmark: "redis-benchmark 7.0.15",
			Redoubt: "redoubt 0.1.0", Go: "go1.26.8", Kernel: "6.1.0", OS: "Debian GNU/Linux 12 (bookworm)",
			CPUModel: "AMD EPYC", CPUs: 2, MemTotal: "24684092 kB", GitCommit: "0123456789ab",
			LoadAvgStart: "0.12 0.30 0.25", LoadAvgEnd: "1.90 1.20 0.60",
		},
		Systems: []System{
			{Name: "redoubt", Label: "Redoubt", Path: "/repo/bin/redoubt", Style: StyleRedoubt, Version: "redoubt 0.1.0"},
			{Name: "redis", Label: "Redis", Path: "/usr/bin/redis-server", Style: StyleRedis, Version: "Redis server v=7.0.15"},
		},
		Groups: []GroupInfo{
			{
				Fsync: "everysec", Data: "100000 keys (key:000000000000 ... key:000000099999), values of 3 bytes of 'x': about 2 MB",
				Servers: map[string][]string{
					"redoubt": {"/repo/bin/redoubt server --port PORT --dir DIR --appendfsync everysec --save ''"},
					"redis":   {"/usr/bin/redis-server --port PORT --appendfsync everysec"},
				},
				Cases: []string{"set-p16-everysec", "mixed-p1-everysec"},
			},
			{
				Fsync: "always", Data: "100000 keys (key:000000000000 ... key:000000099999), values of 3 bytes of 'x': about 2 MB",
				Servers: map[string][]string{
					"redoubt": {"/repo/bin/redoubt server --port PORT --dir DIR --appendfsync always --save ''"},
					"redis":   {"/usr/bin/redis-server --port PORT --appendfsync always"},
				},
				Cases: []string{"set-p1-always"},
			},
			{
				Topology: "replicas2", Fsync: "everysec", Data: "100000 keys (key:000000000000 ... key:000000099999), values of 3 bytes of 'x': about 2 MB",
				Servers: map[string][]string{
					"redoubt": {
						"/repo/bin/redoubt server --port PORT --dir DIR --appendfsync everysec --save '' --repl-diskless-sync-delay 0",
						"/repo/bin/redoubt server --port PORT --dir DIR --appendfsync everysec --save '' --replicaof '127.0.0.1 PRIMARY_PORT'",
						"/repo/bin/redoubt server --port PORT --dir DIR --appendfsync everysec --save '' --replicaof '127.0.0.1 PRIMARY_PORT'",
					},
					"redis": {
						"/usr/bin/redis-server --port PORT --appendfsync everysec --repl-diskless-sync-delay 0",
						"/usr/bin/redis-server --port PORT --appendfsync everysec --replicaof '127.0.0.1 PRIMARY_PORT'",
						"/usr/bin/redis-server --port PORT --appendfsync everysec --replicaof '127.0.0.1 PRIMARY_PORT'",
					},
				},
				Cases: []string{"set-replicas2-p16-everysec"},
			},
			{
				Topology: "replicas1", Fsync: "everysec", Data: "1000000 keys (key:000000000000 ... key:000000999999), values of 3 bytes of 'x': about 18 MB",
				Servers: map[string][]string{
					"redoubt": {
						"/repo/bin/redoubt server --port PORT --dir DIR --appendfsync everysec --save '' --repl-diskless-sync-delay 0",
						"/repo/bin/redoubt server --port PORT --dir DIR --appendfsync everysec --save '' --replicaof '127.0.0.1 PRIMARY_PORT'",
					},
					"redis": {
						"/usr/bin/redis-server --port PORT --appendfsync everysec --repl-diskless-sync-delay 0",
						"/usr/bin/redis-server --port PORT --appendfsync everysec --replicaof '127.0.0.1 PRIMARY_PORT'",
					},
				},
				Cases: []string{"fullsync-replicas1-p1-everysec"},
			},
		},
		Cases: []CaseResult{
			{
				Name: "set-p16-everysec", Label: "SET", Tool: "redis-benchmark", Fsync: "everysec",
				Params:      Params{Clients: 50, Pipeline: 16, Keyspace: 100000, DataSize: 3},
				CommandLine: "redis-benchmark -t set -c 50 -P 16 -n N -r 100000 -d 3",
				Systems: []SystemResult{
					{System: "redoubt", Requests: 1200000, Runs: []Run{
						{Round: 1, Sample: sample(450000, 1.5, 2.5)},
						{Round: 2, Sample: sample(480000, 1.4, 2.4)},
						{Round: 3, Sample: sample(470000, 1.6, 2.9)},
					}},
					{System: "redis", Requests: 1200000, Runs: []Run{
						{Round: 1, Sample: sample(500000, 1.3, 2.0)},
						{Round: 2, Error: "redis-benchmark -t set: context deadline exceeded after 55s (stderr: (empty))"},
						{Round: 3, Sample: sample(470000, 1.4, 2.2)},
					}},
				},
			},
			{
				Name: "mixed-p1-everysec", Label: "MIXED", Tool: DriverTool, Fsync: "everysec", Topology: "smallcache", Group: "durability",
				Params:      Params{Clients: 50, Pipeline: 1, Keyspace: 100000, DataSize: 3},
				CommandLine: "go-driver -c 50 -P 1 -n N -r 100000 -d 3: 80% GET key:__rand_int__, 20% SET key:__rand_int__ __data__",
				Systems: []SystemResult{
					{System: "redoubt", Requests: 150000, Runs: []Run{
						{Round: 1, Sample: sample(60000, 0.8, 2)},
						{Round: 2, Sample: sample(62000, 0.7, 2.2)},
						{Round: 3, Sample: sample(58000, 0.8, 2.4)},
					}},
					{System: "redis", Requests: 150000, Runs: []Run{
						{Round: 1, Sample: sample(70000, 0.6, 1.5)},
						{Round: 2, Sample: sample(71000, 0.6, 1.6)},
						{Round: 3, Sample: sample(69000, 0.6, 1.4)},
					}},
				},
			},
			{
				Name: "set-p1-always", Label: "SET", Tool: "redis-benchmark", Fsync: "always",
				Params:      Params{Clients: 50, Pipeline: 1, Keyspace: 100000, DataSize: 3},
				CommandLine: "redis-benchmark -t set -c 50 -P 1 -n N -r 100000 -d 3",
				Systems: []SystemResult{
					{System: "redoubt", Error: "redoubt did not answer PING on 127.0.0.1:40000: exited: exit status 1; log: bad flag"},
					{System: "redis", Requests: 130000, Runs: []Run{
						{Round: 1, Sample: sample(52000, 0.7, 4)},
						{Round: 2, Sample: sample(51000, 0.7, 4.1)},
						{Round: 3, Sample: sample(53000, 0.8, 3.9)},
					}},
				},
			},
			{
				Name: "set-replicas2-p16-everysec", Label: "SET", Tool: "redis-benchmark", Fsync: "everysec", Topology: "replicas2",
				Params:      Params{Clients: 50, Pipeline: 16, Keyspace: 100000, DataSize: 3},
				CommandLine: "redis-benchmark -t set -c 50 -P 16 -n N -r 100000 -d 3",
				Background:  "lag probes on bench:lag:1, bench:lag:2",
				Systems: []SystemResult{
					{System: "redoubt", Requests: 600000, Runs: []Run{
						{Round: 1, Sample: lagSample(100000, 5.5, 40, 24, 120, 140)},
						{Round: 2, Sample: lagSample(110000, 5.4, 38, 20, 110, 150)},
						{Round: 3, Sample: lagSample(90000, 5.9, 41, 26, 130, 135)},
					}},
					{System: "redis", Requests: 600000, Runs: []Run{
						{Round: 1, Sample: lagSample(200000, 3, 14, 11, 90, 100)},
						{Round: 2, Error: "background: replica 2: received 249 of the 250 probes published"},
						{Round: 3, Sample: lagSample(210000, 2.9, 15, 12, 80, 95)},
					}},
				},
			},
			{
				Name: "fullsync-replicas1-p1-everysec", Label: "FULLSYNC", Tool: FullSyncTool, Fsync: "everysec", Topology: "replicas1", FixedWork: true,
				Params:      Params{Clients: 50, Pipeline: 1, Keyspace: 1000000, DataSize: 3},
				CommandLine: "on the replica, untimed: REPLICAOF NO ONE, FLUSHALL; then timed: REPLICAOF 127.0.0.1 PRIMARY_PORT",
				Systems: []SystemResult{
					{System: "redoubt", Requests: 1000000, Runs: []Run{
						{Round: 1, Sample: syncSample(1000000, 3.2)},
						{Round: 2, Sample: syncSample(1000000, 3.5)},
						{Round: 3, Sample: syncSample(1000000, 3.4)},
					}},
					{System: "redis", Requests: 1000000, Runs: []Run{
						{Round: 1, Sample: syncSample(1000000, 2.5)},
						{Round: 2, Sample: syncSample(1000000, 2.0)},
						{Round: 3, Sample: syncSample(1000000, 2.6)},
					}},
				},
			},
		},
	}
	r.summarize()
	return r
}

func TestResultsRatio(t *testing.T) {
	r := fixtureResults()
	// Rounds 1 and 3 pair up: 450/500 and 470/470.
	want := Stat{Median: 0.95, Min: 0.9, Max: 1, N: 2}
	got := r.Cases[0].Ratio
	if got == nil || got.N != want.N || got.Min != want.Min || got.Max != want.Max || abs(got.Median-want.Median) > 1e-12 {
		t.Fatalf("ratio = %+v, want %+v", got, want)
	}
	if r.Cases[2].Ratio != nil {
		t.Fatalf("ratio with a failed side = %+v, want nil", r.Cases[2].Ratio)
	}
	if n := r.Failed(); n != 3 {
		t.Fatalf("Failed() = %d, want 3", n)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := fixtureResults().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.txt", b.Bytes())
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := fixtureResults().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", b.Bytes())
}

func TestWriteMarkdownStandIn(t *testing.T) {
	r := fixtureResults()
	r.Systems[0].Style = StyleRedis
	r.Settings.Quick = true
	r.Environment.LoadAvgStart = "7.25 7.85 5.25"
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"redis-server standing in for Redoubt", "This is a quick run", "busy before this run (load average 7.25 7.85 5.25)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file (go test ./bench -run %s -update to rewrite)\ngot:\n%s", path, t.Name(), got)
	}
}

func TestWriteDir(t *testing.T) {
	out := t.TempDir()
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	r := fixtureResults()
	if err := os.MkdirAll(filepath.Join(out, "latest"), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "latest", "stale.png")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	dir, err := r.WriteDir(out, stamp)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(out, "20260102-030405"); dir != want {
		t.Fatalf("dir = %s, want %s", dir, want)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("latest/ kept a file of an older run: %v", err)
	}
	for _, d := range []string{dir, filepath.Join(out, "latest")} {
		fi, err := os.Lstat(d)
		if err != nil || !fi.IsDir() {
			t.Fatalf("%s: want a real directory (not a symlink), got %v, %v", d, fi, err)
		}
		js, err := os.ReadFile(filepath.Join(d, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		// Distributions stay on one line each, as [percent, ms] pairs.
		if want := `"distribution": [[0.1,0.1],[50,1.5],[75,0.8333333333333334],`; !bytes.Contains(js, []byte(want)) {
			t.Fatalf("%s/results.json lacks %s", d, want)
		}
		var back Results
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&back, r) {
			t.Fatalf("%s/results.json does not round-trip:\n%s", d, js)
		}
		md, err := os.ReadFile(filepath.Join(d, "report.md"))
		if err != nil || !bytes.HasPrefix(md, []byte("# Redoubt vs Redis")) {
			t.Fatalf("%s/report.md: %v, %.40q", d, err, md)
		}
	}

	// A second run within the same second gets its own directory.
	dir2, err := r.WriteDir(out, stamp)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(out, "20260102-030405-2"); dir2 != want {
		t.Fatalf("second dir = %s, want %s", dir2, want)
	}
}
