package bench

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestSetupDescribe(t *testing.T) {
	p := Params{Clients: 50, Pipeline: 16, Keyspace: 100000, DataSize: 3}
	if got, want := (FillList{Key: "mylist"}).Describe(p), "before every run, RPUSH 3-byte elements to mylist until LLEN mylist >= N+16"; got != want {
		t.Errorf("FillList: %q\nwant %q", got, want)
	}
	p.Requests = 5000
	if got, want := (FillList{Key: "mylist"}).Describe(p), "before every run, RPUSH 3-byte elements to mylist until LLEN mylist >= 5000+16"; got != want {
		t.Errorf("FillList: %q\nwant %q", got, want)
	}
	if got, want := (FillSortedSet{Key: "z", Members: 1000}).Describe(p), "once, ZADD z 0 element:000000000000 ... 999 element:000000000999 (1000 members, score i for element i)"; got != want {
		t.Errorf("FillSortedSet: %q\nwant %q", got, want)
	}
}

// startRedis starts a redis-server as the harness does (fresh directory, free port, AOF
// everysec) and a go-redis client on it, both stopped at the end of the test, which it
// marks parallel.
func startRedis(t *testing.T) (Deployment, *redis.Client, string) {
	t.Helper()
	t.Parallel() // each test has its own server; none of them measures anything
	server, benchmark := needRedis(t)
	d, err := Single{}.Start(t.Context(), System{Name: "redis", Path: server, Style: StyleRedis}, "everysec")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	rdb := redis.NewClient(&redis.Options{Addr: d.Target().String()})
	t.Cleanup(func() { rdb.Close() })
	return d, rdb, benchmark
}

func runLoad(t *testing.T, d Deployment, benchmark string, rb RedisBenchmark, p Params) Sample {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s, err := rb.Run(ctx, Tools{RedisBenchmark: benchmark}, d.Target(), p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFillListFeedsLPOP: after FillList, every LPOP of a run pops an element, whatever the
// pipeline depth, and the list is topped up again before the next run.
func TestFillListFeedsLPOP(t *testing.T) {
	d, rdb, benchmark := startRedis(t)
	ctx := t.Context()
	fill := FillList{Key: "mylist"}
	llen := func() int64 {
		t.Helper()
		n, err := rdb.LLen(ctx, "mylist").Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, pipeline := range []int{1, 16} {
		p := Params{Clients: 10, Pipeline: pipeline, Requests: 2500, Keyspace: 1000, DataSize: 3}
		for range 2 { // the second Prepare finds the list long enough and adds nothing
			if err := fill.Prepare(ctx, d.Target(), p); err != nil {
				t.Fatal(err)
			}
			if got, want := llen(), int64(2500+pipeline); got != want {
				t.Fatalf("-P %d: LLEN after Prepare = %d, want %d", pipeline, got, want)
			}
		}
		if v, err := rdb.LIndex(ctx, "mylist", -1).Result(); err != nil || v != "xxx" {
			t.Fatalf("last element %q, %v; want a 3-byte element", v, err)
		}
		runLoad(t, d, benchmark, RedisBenchmark{Test: "lpop"}, p)
		// redis-benchmark sends whole pipelines, so it may pop up to pipeline-1 more than
		// -n; something must be left for every pop to have found an element.
		if n := llen(); n < 1 || n > int64(pipeline) {
			t.Fatalf("-P %d: LLEN after 2500 LPOPs = %d, want 1..%d", pipeline, n, pipeline)
		}
	}
	// A bigger run tops the list up by what is missing only.
	p := Params{Clients: 10, Pipeline: 1, Requests: 30000, DataSize: 3}
	if err := fill.Prepare(ctx, d.Target(), p); err != nil {
		t.Fatal(err)
	}
	if got := llen(); got != 30001 {
		t.Fatalf("LLEN = %d, want 30001", got)
	}

	if err := rdb.Set(ctx, "str", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	err := FillList{Key: "str"}.Prepare(ctx, d.Target(), p)
	if err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("FillList on a string: %v, want the WRONGTYPE reply", err)
	}
}

// TestFillSortedSetFeedsZRANGE prepares the sorted set once and measures ZRANGE on it with
// a command line of redis-benchmark's own.
func TestFillSortedSetFeedsZRANGE(t *testing.T) {
	d, rdb, benchmark := startRedis(t)
	ctx := t.Context()
	fill := FillSortedSet{Key: "zrange:1000", Members: 1000}
	for range 2 {
		if err := fill.Prepare(ctx, d.Target(), Params{}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := rdb.ZCard(ctx, "zrange:1000").Result(); err != nil || n != 1000 {
		t.Fatalf("ZCARD = %d, %v; want 1000", n, err)
	}
	got, err := rdb.ZRangeWithScores(ctx, "zrange:1000", 998, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := []redis.Z{{Score: 998, Member: "element:000000000998"}, {Score: 999, Member: "element:000000000999"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("last members %v, want %v", got, want)
	}

	rb := RedisBenchmark{Command: []string{"ZRANGE", "zrange:1000", "0", "99", "WITHSCORES"}}
	s := runLoad(t, d, benchmark, rb, Params{Clients: 10, Pipeline: 16, Requests: 2000, Keyspace: 1000, DataSize: 3})
	if s.RPS <= 0 || s.Requests != 2000 {
		t.Fatalf("sample %+v", s)
	}

	if err := rdb.ZAdd(ctx, "zrange:1000", redis.Z{Score: -1, Member: "intruder"}).Err(); err != nil {
		t.Fatal(err)
	}
	err = fill.Prepare(ctx, d.Target(), Params{})
	if err == nil || !strings.Contains(err.Error(), "has 1001 members, want 1000") {
		t.Fatalf("Prepare on a changed set: %v", err)
	}
}

// TestRedisBenchmarkReportsLrangeRow runs lrange_100, which prints two sections: the run
// succeeds with Row picking one of them (TestPickRow checks which), and a Row that names
// neither fails with both listed.
func TestRedisBenchmarkReportsLrangeRow(t *testing.T) {
	d, rdb, benchmark := startRedis(t)
	p := Params{Clients: 10, Pipeline: 1, Requests: 3000, Keyspace: 1000, DataSize: 3}
	s := runLoad(t, d, benchmark, RedisBenchmark{Test: "lrange_100", Row: "LRANGE_100"}, p)
	if s.RPS <= 0 {
		t.Fatalf("sample %+v", s)
	}
	if n, err := rdb.LLen(t.Context(), "mylist").Result(); err != nil || n != 3000 {
		t.Fatalf("LLEN = %d, %v; want the 3000 elements redis-benchmark pushed first", n, err)
	}
	_, err := RedisBenchmark{Test: "lrange_100", Row: "LRANGE"}.Run(t.Context(), Tools{RedisBenchmark: benchmark}, d.Target(), p)
	if err == nil || !strings.Contains(err.Error(), `want one section named "LRANGE", found 0 among "LPUSH (needed to benchmark LRANGE)", "LRANGE_100 (first 100 elements)"`) {
		t.Fatalf("unknown row: %v", err)
	}
}
