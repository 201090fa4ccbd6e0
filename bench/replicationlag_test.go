package bench

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLagFigures(t *testing.T) {
	ms := func(xs ...float64) []time.Duration {
		ds := make([]time.Duration, len(xs))
		for i, x := range xs {
			ds[i] = time.Duration(x * float64(time.Millisecond))
		}
		return ds
	}
	hundred := make([]float64, 100) // 1..100 ms, shuffled by a stride
	for i := range hundred {
		hundred[i] = float64(i*37%100 + 1)
	}
	for _, tc := range []struct {
		name   string
		lags   []time.Duration
		probes int64
		want   Figures
	}{
		{"none", nil, 0, nil},
		{"one", ms(2.5), 1, Figures{FigureLagP50: 2.5, FigureLagP99: 2.5, FigureLagMax: 2.5, FigureLagProbes: 1}},
		// Two replicas of three probes: percentiles over all six lags.
		{"two replicas", ms(1, 3, 2, 10, 1.5, 4), 3, Figures{FigureLagP50: 2, FigureLagP99: 10, FigureLagMax: 10, FigureLagProbes: 3}},
		{"a hundred", ms(hundred...), 100, Figures{FigureLagP50: 50, FigureLagP99: 99, FigureLagMax: 100, FigureLagProbes: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lagFigures(tc.lags, tc.probes); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lagFigures = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseProbe(t *testing.T) {
	for _, tc := range []struct {
		payload string
		seq     int64
		sent    time.Duration
		err     bool
	}{
		{"1 0", 1, 0, false},
		{"42 1500000", 42, 1500 * time.Microsecond, false},
		{"42", 0, 0, true},
		{"0 5", 0, 0, true},
		{"x 5", 0, 0, true},
		{"7 5ms", 0, 0, true},
		{"xxx", 0, 0, true},
	} {
		seq, sent, err := parseProbe(tc.payload)
		if seq != tc.seq || sent != tc.sent || (err != nil) != tc.err {
			t.Errorf("parseProbe(%q) = %d, %v, %v; want %d, %v, error %v", tc.payload, seq, sent, err, tc.seq, tc.sent, tc.err)
		}
	}
}

// tcpPair returns both ends of a loopback TCP connection: a lagReader must see
// net.ErrClosed when its own end is closed, which net.Pipe does not give.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestLagReader feeds a reader what a replica could send: probes in order are timed,
// anything else fails the reader, which keeps draining, with what it saw.
func TestLagReader(t *testing.T) {
	msg := func(channel, payload string) string { return string(appendReply(nil, "message", channel, payload)) }
	for _, tc := range []struct {
		name   string
		stream string
		lags   int
		err    string
	}{
		{"in order", msg("bench:lag:1", "1 0") + msg("bench:lag:1", "2 0") + msg("bench:lag:1", "3 0"), 3, ""},
		{"one missed", msg("bench:lag:1", "1 0") + msg("bench:lag:1", "3 0") + msg("bench:lag:1", "4 0"), 1,
			"after 1 probes: probe 3 where probe 2 was due (missed or out of order)"},
		{"repeated", msg("bench:lag:1", "1 0") + msg("bench:lag:1", "1 0"), 1, "after 1 probes: probe 1 where probe 2 was due"},
		{"other channel", msg("bench:lag:2", "1 0"), 0, `after 0 probes: a message on "bench:lag:2", want only "bench:lag:1"`},
		{"not a probe", msg("bench:lag:1", "hello"), 0, `after 0 probes: probe "hello" is not <seq> <nanoseconds>`},
		{"not a message", msg("bench:lag:1", "1 0") + "+PONG\r\n", 1, `after 1 probes: received "+PONG" where a message was due`},
		{"a subscribe reply", "*3\r\n$9\r\nsubscribe\r\n$11\r\nbench:lag:1\r\n:1\r\n", 0, `after 0 probes: received ":1" where a bulk string was due`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := tcpPair(t)
			rd := &lagReader{conn: client, channel: "bench:lag:1"}
			start := time.Now()
			done := make(chan struct{})
			go func() {
				defer close(done)
				rd.read(start)
			}()
			if _, err := server.Write([]byte(tc.stream)); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Second)
			for rd.received.Load() < int64(tc.lags) || tc.err != "" && !rd.failed.Load() {
				if time.Now().After(deadline) {
					t.Fatalf("reader received %d, failed %v; want %d, %q", rd.received.Load(), rd.failed.Load(), tc.lags, tc.err)
				}
				time.Sleep(time.Millisecond)
			}
			client.Close()
			<-done
			if len(rd.lags) != tc.lags || !strings.Contains(errString(rd.err), tc.err) || (rd.err == nil) != (tc.err == "") {
				t.Fatalf("lags %v, err %v; want %d lags, error %q", rd.lags, rd.err, tc.lags, tc.err)
			}
			for _, l := range rd.lags {
				// Sent at start, received since: between 0 and the test's time.
				if l < 0 || l > time.Since(start) {
					t.Errorf("lag %v outside [0, %v]", l, time.Since(start))
				}
			}
		})
	}
}

// TestLagReaderEOF: a replica that closes the connection fails the reader.
func TestLagReaderEOF(t *testing.T) {
	client, server := tcpPair(t)
	rd := &lagReader{conn: client, channel: "c"}
	server.Write(appendReply(nil, "message", "c", "1 0"))
	server.Close()
	rd.read(time.Now())
	if want := "after 1 probes: the replica closed the connection"; errString(rd.err) != want || len(rd.lags) != 1 {
		t.Fatalf("err %v, %d lags; want %q after 1", rd.err, len(rd.lags), want)
	}
}

// TestLagProberReport: a replica with fewer probes than were sent, or whose reader
// failed, fails the run; the figures cover every probe received.
func TestLagProberReport(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		readers []*lagReader
		pubErr  error
		err     string
	}{
		{"all", []*lagReader{{lags: []time.Duration{ms, 2 * ms, 3 * ms}}, {lags: []time.Duration{4 * ms, 5 * ms, 6 * ms}}}, nil, ""},
		{"one short", []*lagReader{{lags: []time.Duration{ms, 2 * ms, 3 * ms}}, {lags: []time.Duration{4 * ms, 5 * ms}}}, nil,
			"replica 2: received 2 of the 3 probes published"},
		{"reader failed", []*lagReader{{lags: []time.Duration{ms, 2 * ms, 3 * ms}, err: errFake("probe 5 where probe 4 was due")}}, nil,
			"replica 1: probe 5 where probe 4 was due"},
		{"prober failed", []*lagReader{{lags: []time.Duration{ms, 2 * ms, 3 * ms}}}, errFake("PUBLISH probe 4: EOF"), "primary: PUBLISH probe 4: EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := &lagProber{readers: tc.readers, pubErr: tc.pubErr}
			figures, err := pr.report(3)
			if errString(err) != tc.err {
				t.Errorf("err %v, want %q", err, tc.err)
			}
			var all []time.Duration
			for _, rd := range tc.readers {
				all = append(all, rd.lags...)
			}
			if want := lagFigures(all, 3); !reflect.DeepEqual(figures, want) {
				t.Errorf("figures %v, want %v", figures, want)
			}
		})
	}
}

type errFake string

func (e errFake) Error() string { return string(e) }

func TestReplicationLagRefusesStandalone(t *testing.T) {
	_, err := ReplicationLag{Channel: "c"}.Start(t.Context(), Target{Host: "127.0.0.1", Port: 1}, Params{})
	if err == nil || !strings.Contains(err.Error(), "needs replicas") {
		t.Fatalf("Start without replicas = %v", err)
	}
	if got, want := (ReplicationLag{Channel: "bench:lag"}).Describe(Params{}), "SUBSCRIBEs on that replica to a channel of its own (bench:lag:1, bench:lag:2, ...)"; !strings.Contains(got, want) {
		t.Errorf("Describe = %q, want it to contain %q", got, want)
	}
}

// TestReplicationLagOnRedis probes a redis-server with one replica, with no load: every
// probe arrives, in order, within a fraction of a second; a probe the prober did not send
// (another PUBLISH on the channel) fails the run.
func TestReplicationLagOnRedis(t *testing.T) {
	server, _ := needRedis(t)
	t.Parallel()
	d, err := Replicated{Replicas: 1}.Start(t.Context(), System{Name: "redis", Path: server, Style: StyleRedis}, "no")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	// As the runner does: the preload returns once the replica applied it, so the stream
	// flows. Right after its first sync, a busy Redis primary can hold the stream for a
	// second (until a replica's ACK that it takes), which probes sent then would measure.
	if err := d.Preload(t.Context(), Params{Keyspace: 100, DataSize: 3}); err != nil {
		t.Fatal(err)
	}
	lag := ReplicationLag{Channel: "bench:lag"}
	stop, err := lag.Start(t.Context(), d.Target(), Params{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	figures, err := stop()
	if err != nil {
		t.Fatal(err)
	}
	if n := figures[FigureLagProbes]; n < 3 || n > 15 || figures[FigureLagMax] <= 0 || figures[FigureLagMax] > 500 {
		t.Errorf("figures %v: want about 10 probes of well under 500 ms", figures)
	}

	stop, err = lag.Start(t.Context(), d.Target(), Params{})
	if err != nil {
		t.Fatal(err)
	}
	err = withConn(t.Context(), d.Target(), func(c *respConn) error {
		_, err := c.integer("PUBLISH", "bench:lag:1", "1000 0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := stop(); err == nil || !strings.Contains(err.Error(), "replica 1: after ") || !strings.Contains(err.Error(), "probe 1000 where probe") {
		t.Fatalf("stop after a stray probe = %v", err)
	}
}
