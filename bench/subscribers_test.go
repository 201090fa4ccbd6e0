package bench

import (
	"bufio"
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestSubscribersFrames(t *testing.T) {
	s := Subscribers{Channel: "bench:pubsub", Message: "xxx", Clients: 10}
	if got, want := string(s.frame()), "*3\r\n$7\r\nmessage\r\n$12\r\nbench:pubsub\r\n$3\r\nxxx\r\n"; got != want {
		t.Errorf("frame %q, want %q", got, want)
	}
	if got, want := string(s.confirmation()), "*3\r\n$9\r\nsubscribe\r\n$12\r\nbench:pubsub\r\n:1\r\n"; got != want {
		t.Errorf("confirmation %q, want %q", got, want)
	}
	if got, want := s.Describe(Params{Requests: 4000}), `during every run, probes included, 10 more connections SUBSCRIBE bench:pubsub and read every message (the harness's own readers); after the run each must have received all 4000 messages, each exactly "xxx"`; got != want {
		t.Errorf("Describe: %q\nwant %q", got, want)
	}
	if err := (Subscribers{Channel: "c"}).Validate(); err == nil {
		t.Error("Validate accepted no clients")
	}
}

func numsub(t *testing.T, rdb *redis.Client, channel string) int64 {
	t.Helper()
	m, err := rdb.PubSubNumSub(t.Context(), channel).Result()
	if err != nil {
		t.Fatal(err)
	}
	return m[channel]
}

// waitNumsub polls, since the server notices closed connections on its own time.
func waitNumsub(t *testing.T, rdb *redis.Client, channel string, want int64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := numsub(t, rdb, channel)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PUBSUB NUMSUB %s = %d, want %d", channel, n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSubscribersReceiveEveryPublish attaches 10 subscribers to a redis-server, runs
// redis-benchmark's PUBLISH through them, and checks that each got every message and that
// all are gone afterwards; then that the check fails on a message too many or a wrong one.
func TestSubscribersReceiveEveryPublish(t *testing.T) {
	d, rdb, benchmark := startRedis(t)
	ctx := t.Context()
	s := Subscribers{Channel: "bench:pubsub", Message: "xxx", Clients: 10}
	rb := RedisBenchmark{Command: []string{"PUBLISH", s.Channel, s.Message}}
	for _, tc := range []struct {
		pipeline, requests int
		lo, hi             int64
	}{
		{1, 3000, 3000, 3000},
		{16, 3200, 3200, 3200},
		// Not a multiple of the pipeline: redis-benchmark may send up to 15 more.
		{16, 3001, 3001, 3008},
	} {
		p := Params{Clients: 50, Pipeline: tc.pipeline, Requests: tc.requests, Keyspace: 1000, DataSize: 3}
		set, err := s.start(ctx, d.Target(), p)
		if err != nil {
			t.Fatal(err)
		}
		if n := numsub(t, rdb, s.Channel); n != 10 {
			t.Fatalf("PUBSUB NUMSUB after Start = %d, want 10", n)
		}
		runLoad(t, d, benchmark, rb, p)
		if err := set.stop(); err != nil {
			t.Fatalf("-P %d -n %d: %v", tc.pipeline, tc.requests, err)
		}
		counts := set.counts()
		if len(counts) != 10 || slices.Min(counts) != slices.Max(counts) || counts[0] < tc.lo || counts[0] > tc.hi {
			t.Fatalf("-P %d -n %d: counts %v, want 10 equal counts in [%d, %d]", tc.pipeline, tc.requests, counts, tc.lo, tc.hi)
		}
		waitNumsub(t, rdb, s.Channel, 0)
	}

	p := Params{Clients: 10, Pipeline: 1, Requests: 2000, Keyspace: 1000, DataSize: 3}
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"one message too many", "xxx", "the 10 subscribers received [2001 2001 2001 2001 2001 2001 2001 2001 2001 2001] messages, want 2000 for each"},
		// Whichever subscriber reads it first fails the set: stop returns
		// then, before the others may have read theirs.
		{"another message", "yyyy", `: after 2000 messages, received "*3\r\n$7\r\nmessage\r\n$12\r\nbench:pubsub\r\n$4\r\nyyyy\r\n" where another message was due`},
	} {
		set, err := s.start(ctx, d.Target(), p)
		if err != nil {
			t.Fatal(err)
		}
		runLoad(t, d, benchmark, rb, p)
		if err := rdb.Publish(ctx, s.Channel, tc.extra).Err(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = set.stop()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: stop = %v\nwant an error containing %q", tc.name, err, tc.want)
		}
		if time.Since(start) > time.Second {
			t.Errorf("%s: stop took %s to see it", tc.name, time.Since(start))
		}
		waitNumsub(t, rdb, s.Channel, 0)
	}
}

// TestSubscribersRefused: a server that does not take SUBSCRIBE fails Start with its
// reply, and the connections opened so far are closed.
func TestSubscribersRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed := make(chan int, 10)
	go func() {
		for i := 0; ; i++ {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for range 5 { // *2 $9 SUBSCRIBE $1 c
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
				}
				if i == 0 {
					conn.Write(s1Confirmation)
				} else {
					conn.Write([]byte("-ERR unknown command 'SUBSCRIBE', with args beginning with: 'c' \r\n"))
				}
				r.ReadByte() // until the client closes
				closed <- i
			}()
		}
	}()
	addr := l.Addr().(*net.TCPAddr)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err = Subscribers{Channel: "c", Message: "x", Clients: 3}.Start(ctx, Target{Host: "127.0.0.1", Port: addr.Port}, Params{Requests: 10, Pipeline: 1})
	if err == nil || !strings.Contains(err.Error(), `subscriber 2 of 3: SUBSCRIBE c answered "-ERR unknown command 'SUBSCRIBE', with`) {
		t.Fatalf("Start = %v, want the second subscriber's refusal", err)
	}
	for range 2 {
		select {
		case <-closed:
		case <-ctx.Done():
			t.Fatal("Start left a connection open")
		}
	}
}

var s1Confirmation = []byte("*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n")
