package bench

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestDriverCommandLine(t *testing.T) {
	d := Driver{Mix: []Op{
		{Weight: 4, Args: []string{"GET", "key:__rand_int__"}},
		{Weight: 1, Args: []string{"SET", "key:__rand_int__", "__data__"}},
	}}
	p := Params{Clients: 50, Pipeline: 16, Keyspace: 100000, DataSize: 3}
	want := "go-driver -c 50 -P 16 -n N -r 100000 -d 3: 80% GET key:__rand_int__, 20% SET key:__rand_int__ __data__"
	if got := d.CommandLine(p); got != want {
		t.Fatalf("CommandLine = %q\nwant %q", got, want)
	}
	if d.Tool() != DriverTool {
		t.Fatalf("Tool = %q", d.Tool())
	}
}

func TestDriverValidate(t *testing.T) {
	for _, d := range []Driver{{}, {Mix: []Op{{Weight: 0, Args: []string{"GET", "k"}}}}, {Mix: []Op{{Weight: 1}}}} {
		if err := d.Validate(); err == nil {
			t.Errorf("%+v: Validate accepted it", d)
		}
	}
	_, err := Expand([]Spec{{Label: "X", Load: Driver{}, Pipelines: []int{1}, Fsync: []string{"no"}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "go-driver: needs at least one op") {
		t.Errorf("Expand: %v", err)
	}
}

// TestDriverEncoding checks the bytes the driver sends: valid RESP whose bulk lengths
// match the substituted arguments, keys in redis-benchmark's form, ops in proportion.
func TestDriverEncoding(t *testing.T) {
	mix := compileMix([]Op{
		{Weight: 3, Args: []string{"GET", "key:__rand_int__"}},
		{Weight: 1, Args: []string{"SET", "k:__rand_int__:__rand_int__", "__data__"}},
	}, 5)
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	const n = 4000
	for range n {
		buf = mix.appendRequest(buf, rng, 1000)
	}
	r := bufio.NewReader(strings.NewReader(string(buf)))
	counts := map[string]int{}
	for range n {
		args, err := readCommand(r)
		if err != nil {
			t.Fatal(err)
		}
		counts[args[0]]++
		switch args[0] {
		case "GET":
			if len(args) != 2 || len(args[1]) != len("key:")+12 || !strings.HasPrefix(args[1], "key:000000000") {
				t.Fatalf("GET args %q", args)
			}
		case "SET":
			if len(args) != 3 || len(args[1]) != len("k::")+24 || args[2] != "xxxxx" {
				t.Fatalf("SET args %q", args)
			}
		}
	}
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("bytes left after the last command")
	}
	// 3:1 weights: about 3000 GETs; a fair draw is within a few percent.
	if counts["GET"] < 2800 || counts["GET"] > 3200 || counts["GET"]+counts["SET"] != n {
		t.Fatalf("ops drawn %v, want about 3000 GET and 1000 SET", counts)
	}
}

// readCommand parses one RESP array of bulk strings, as a server would.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil || line[0] != '*' {
		return nil, errors.New("not an array: " + line)
	}
	var n int
	for _, c := range strings.TrimSpace(line[1:]) {
		n = n*10 + int(c-'0')
	}
	args := make([]string, n)
	for i := range args {
		line, err := r.ReadString('\n')
		if err != nil || line[0] != '$' {
			return nil, errors.New("not a bulk: " + line)
		}
		var size int
		for _, c := range strings.TrimSpace(line[1:]) {
			size = size*10 + int(c-'0')
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(r, b); err != nil || string(b[size:]) != "\r\n" {
			return nil, errors.New("bulk of the wrong length")
		}
		args[i] = string(b[:size])
	}
	return args, nil
}

func TestSkipReply(t *testing.T) {
	in := "+OK\r\n:12\r\n$-1\r\n$3\r\nabc\r\n*2\r\n$1\r\nx\r\n*1\r\n:1\r\n*-1\r\n-ERR wrong\r\n"
	r := bufio.NewReader(strings.NewReader(in))
	for i := range 6 {
		if err := skipReply(r); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	if err := skipReply(r); !errors.Is(err, errReply) || !strings.Contains(err.Error(), "ERR wrong") {
		t.Fatalf("error reply: %v", err)
	}
	for _, bad := range []string{"?x\r\n", "$x\r\n", "+OK\n", "$5\r\nab"} {
		if err := skipReply(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestDriverAgainstRedis runs the mixed load against a real redis-server: every request
// answered, latencies recorded, the writes visible.
func TestDriverAgainstRedis(t *testing.T) {
	d, rdb, _ := startRedis(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	p := Params{Clients: 8, Pipeline: 16, Requests: 20000, Keyspace: 500, DataSize: 7}
	if err := d.Preload(ctx, p); err != nil {
		t.Fatal(err)
	}
	drv := Driver{Mix: []Op{
		{Weight: 80, Args: []string{"GET", "key:__rand_int__"}},
		{Weight: 20, Args: []string{"SET", "key:__rand_int__", "__data__"}},
		{Weight: 1, Args: []string{"INCR", "counter"}},
	}}
	s, err := drv.Run(ctx, Tools{}, d.Target(), p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != p.Requests || s.RPS <= 0 || s.ElapsedSec <= 0 {
		t.Fatalf("sample %+v", s)
	}
	if !(s.MinMs > 0 && s.MinMs <= s.P50Ms && s.P50Ms <= s.P99Ms && s.P99Ms <= s.P999Ms && s.P999Ms <= s.MaxMs) {
		t.Fatalf("latencies out of order: %+v", s)
	}
	if last := s.Distribution[len(s.Distribution)-1]; last.Percent != 100 || last.Ms != s.MaxMs {
		t.Fatalf("distribution ends at %+v, max %v", last, s.MaxMs)
	}
	// About 1 in 101 requests was an INCR of counter: all of them reached the server.
	n, err := rdb.Get(ctx, "counter").Int()
	if err != nil || n < 100 || n > 320 {
		t.Fatalf("counter = %d, %v; want about %d", n, err, p.Requests/101)
	}
	if v, err := rdb.Get(ctx, "key:000000000042").Result(); err != nil || len(v) != 7 {
		t.Fatalf("key:000000000042 = %q, %v", v, err)
	}
	if info, err := rdb.Info(ctx, "stats").Result(); err != nil || !strings.Contains(info, "keyspace_misses:0\r") {
		t.Fatalf("some GETs missed the preloaded keys: %v\n%s", err, info)
	}

	// An error reply fails the run and names the error.
	bad := Driver{Mix: []Op{{Weight: 1, Args: []string{"NOSUCHCOMMAND"}}}}
	if _, err := bad.Run(ctx, Tools{}, d.Target(), Params{Clients: 2, Pipeline: 1, Requests: 10, Keyspace: 1}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("unknown command: %v", err)
	}
	// A run that cannot finish by its deadline says so.
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	block := Driver{Mix: []Op{{Weight: 1, Args: []string{"BLPOP", "nothing", "0"}}}}
	if _, err := block.Run(short, Tools{}, d.Target(), Params{Clients: 2, Pipeline: 1, Requests: 2, Keyspace: 1}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("blocked run: %v, want the deadline", err)
	}
}
