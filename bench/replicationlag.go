package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ReplicationLag is the Background of a replicated row: it measures how long a write to
// the primary takes to show on the replicas while the load runs. During every run one
// connection per replica SUBSCRIBEs, on that replica, to a channel of its own (Channel
// followed by ":" and the replica's number), and one more connection to the primary
// PUBLISHes a probe on each of those channels every lagInterval: a sequence number and the
// time it was sent. A PUBLISH travels in the replication stream, behind every write sent
// before it, and the replica delivers it to its subscribers once it has applied them, so
// the time from its sending to its delivery is the lag of the replica, including the time
// the PUBLISH waited on the loaded primary, as a write does.
//
// stop reports p50, p99 and the maximum of the lag over every replica and probe of the run
// (FigureLagP50, FigureLagP99, FigureLagMax, in ms), and the probes each replica received
// (FigureLagProbes); a replica that missed a probe or received them out of order fails the
// run. Probes are sent for the whole run, from Start until stop is called, which at
// lagInterval gives a 2.5 s run about 250 of them per replica: its p99 is about its third
// slowest.
//
// The probes are a few small writes among the load's thousands a second, on a connection
// of their own; their PUBLISHes reach no subscriber of the primary, so they cost the
// primary a command and a little of the stream, and each replica a delivery.
type ReplicationLag struct {
	// Channel starts the probe channels' names: replica i (from 1) is probed on Channel:i.
	Channel string
}

// lagInterval is the time between probes: fine enough to sample a run of a fraction of a
// second, far below the load's rate.
const lagInterval = 10 * time.Millisecond

const (
	// lagStall is how long stop waits with no replica receiving a probe before it
	// decides the missing ones are not coming. A replica that fell behind under the load
	// may deliver the last probes seconds after the load ended; while it does, stop
	// waits.
	lagStall = 5 * time.Second
	// lagIOTimeout bounds one PUBLISH round trip of the prober.
	lagIOTimeout = 10 * time.Second
)

// Validate implements the check Expand makes on a row.
func (l ReplicationLag) Validate() error {
	if l.Channel == "" {
		return errors.New("ReplicationLag needs a channel")
	}
	return nil
}

// Describe implements Background.
func (l ReplicationLag) Describe(Params) string {
	// Channels spelled out rather than as a pattern such as <i>, which Markdown would
	// take for HTML.
	return fmt.Sprintf("during every run, probes included, one connection per replica SUBSCRIBEs on that replica to a channel of its own (%s, %s, ...), "+
		"and one more connection to the primary PUBLISHes to each of them every %d ms a probe with a sequence number and its send time; "+
		"lag = delivery on the replica - send time, over every replica and probe (p50, p99, max); "+
		"a replica that misses a probe or gets one out of order fails the run", l.channel(0), l.channel(1), lagInterval.Milliseconds())
}

// channel is the probe channel of replica i, from 0.
func (l ReplicationLag) channel(i int) string { return l.Channel + ":" + strconv.Itoa(i+1) }

// Start implements Background.
func (l ReplicationLag) Start(ctx context.Context, target Target, _ Params) (func() (Figures, error), error) {
	if len(target.Replicas) == 0 {
		return nil, errors.New("ReplicationLag needs replicas: a row with a Replicated topology")
	}
	prober := &lagProber{start: time.Now(), done: make(chan struct{})}
	for i, rt := range target.Replicas {
		conn, err := Subscribers{Channel: l.channel(i)}.subscribe(ctx, rt)
		if err != nil {
			prober.closeReaders()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		rd := &lagReader{conn: conn, channel: l.channel(i)}
		prober.readers = append(prober.readers, rd)
		prober.wg.Add(1)
		go func() {
			defer prober.wg.Done()
			rd.read(prober.start)
		}()
	}
	conn, err := dial(ctx, Target{Host: target.Host, Port: target.Port})
	if err != nil {
		prober.closeReaders()
		return nil, fmt.Errorf("primary: %w", err)
	}
	prober.conn = conn
	prober.publishing = make(chan struct{})
	go func() {
		defer close(prober.publishing)
		prober.publish(l)
	}()
	return prober.stop, nil
}

// lagProber is the probes of one run: a publishing goroutine on the primary and one
// reading goroutine per replica. stop ends them all before it returns.
type lagProber struct {
	start      time.Time // probes carry their send time as nanoseconds since start
	conn       net.Conn  // to the primary
	done       chan struct{}
	publishing chan struct{} // closed when publish returned
	sent       atomic.Int64  // probes published to every channel
	pubErr     error         // publish's, valid once publishing is closed
	readers    []*lagReader
	wg         sync.WaitGroup // the readers
}

// publish sends a probe to every replica's channel at once, then every lagInterval, until
// done is closed; the first goes out before done is looked at, so every run has one.
// Ticks missed while the primary was slow to answer are dropped, not caught up.
func (pr *lagProber) publish(l ReplicationLag) {
	ticker := time.NewTicker(lagInterval)
	defer ticker.Stop()
	r := bufio.NewReader(pr.conn)
	var buf []byte
	for seq := int64(1); ; seq++ {
		buf = buf[:0]
		msg := strconv.FormatInt(seq, 10) + " " + strconv.FormatInt(int64(time.Since(pr.start)), 10)
		for i := range pr.readers {
			buf = appendCommand(buf, "PUBLISH", l.channel(i), msg)
		}
		pr.conn.SetDeadline(time.Now().Add(lagIOTimeout))
		if _, err := pr.conn.Write(buf); err != nil {
			pr.pubErr = fmt.Errorf("PUBLISH probe %d: %w", seq, err)
			return
		}
		for range pr.readers {
			line, err := r.ReadString('\n')
			if err == nil && !strings.HasPrefix(line, ":") {
				err = fmt.Errorf("answered %q, want an integer", strings.TrimSpace(line))
			}
			if err != nil {
				pr.pubErr = fmt.Errorf("PUBLISH probe %d: %w", seq, err)
				return
			}
		}
		pr.sent.Store(seq)
		select {
		case <-pr.done:
			return
		case <-ticker.C:
		}
	}
}

// stop ends the probing, waits until every replica has received every probe or nothing
// more arrives for lagStall, closes the connections, and reports.
func (pr *lagProber) stop() (Figures, error) {
	close(pr.done)
	<-pr.publishing
	pr.conn.Close()
	sent := pr.sent.Load()
	pr.waitForProbes(sent)
	pr.closeReaders()
	return pr.report(sent)
}

// waitForProbes returns once every reader has sent probes, or failed, or none received
// anything for lagStall.
func (pr *lagProber) waitForProbes(sent int64) {
	counts := func() []int64 {
		c := make([]int64, len(pr.readers))
		for i, rd := range pr.readers {
			c[i] = rd.received.Load()
		}
		return c
	}
	last, lastChange := counts(), time.Now()
	for {
		done := true
		for i, rd := range pr.readers {
			done = done && (last[i] >= sent || rd.failed.Load())
		}
		if done || time.Since(lastChange) >= lagStall {
			return
		}
		time.Sleep(deliveryPoll)
		if c := counts(); !slices.Equal(c, last) {
			last, lastChange = c, time.Now()
		}
	}
}

// closeReaders closes the subscribed connections and waits for their readers.
func (pr *lagProber) closeReaders() {
	for _, rd := range pr.readers {
		rd.conn.Close()
	}
	pr.wg.Wait()
}

// report runs after closeReaders: the figures over every lag received, and an error for
// a failed prober or reader, or a replica that did not receive all sent probes.
func (pr *lagProber) report(sent int64) (Figures, error) {
	var errs []error
	if pr.pubErr != nil {
		errs = append(errs, fmt.Errorf("primary: %w", pr.pubErr))
	}
	var lags []time.Duration
	for i, rd := range pr.readers {
		switch {
		case rd.err != nil:
			errs = append(errs, fmt.Errorf("replica %d: %w", i+1, rd.err))
		case int64(len(rd.lags)) != sent:
			errs = append(errs, fmt.Errorf("replica %d: received %d of the %d probes published", i+1, len(rd.lags), sent))
		}
		lags = append(lags, rd.lags...)
	}
	return lagFigures(lags, sent), errors.Join(errs...)
}

// lagFigures summarizes the lags of every replica's probes; probes is how many were
// sent to each. No lags give no figures.
func lagFigures(lags []time.Duration, probes int64) Figures {
	if len(lags) == 0 {
		return nil
	}
	slices.Sort(lags)
	return Figures{
		FigureLagP50:    durationMs(PercentileSorted(lags, 50)),
		FigureLagP99:    durationMs(PercentileSorted(lags, 99)),
		FigureLagMax:    durationMs(lags[len(lags)-1]),
		FigureLagProbes: float64(probes),
	}
}

// lagReader is one replica's subscribed connection and what its goroutine received.
type lagReader struct {
	conn     net.Conn
	channel  string
	received atomic.Int64 // probes received in order so far
	failed   atomic.Bool  // err is set
	// Written by the reading goroutine only, read after it has exited.
	lags []time.Duration
	err  error
}

// read receives probes until the connection fails or is closed, timing each as soon as
// it is parsed: its lag is the time since start at that moment minus the time it carries.
// A probe must be the one after the last: anything else (a probe missed, repeated or out
// of order, another channel, a reply that is not a message) fails the reader, which then
// keeps draining so as not to hold the replica up.
func (rd *lagReader) read(start time.Time) {
	r := bufio.NewReader(rd.conn)
	for {
		channel, payload, err := readMessage(r)
		now := time.Since(start)
		if err != nil {
			if rd.err == nil && !errors.Is(err, net.ErrClosed) {
				if errors.Is(err, io.EOF) {
					err = errors.New("the replica closed the connection")
				}
				rd.err = fmt.Errorf("after %d probes: %w", len(rd.lags), err)
				rd.failed.Store(true)
			}
			return
		}
		if rd.err != nil {
			continue
		}
		seq, sent, err := parseProbe(payload)
		want := int64(len(rd.lags)) + 1
		switch {
		case channel != rd.channel:
			err = fmt.Errorf("a message on %q, want only %q", channel, rd.channel)
		case err == nil && seq != want:
			err = fmt.Errorf("probe %d where probe %d was due (missed or out of order)", seq, want)
		}
		if err != nil {
			rd.err = fmt.Errorf("after %d probes: %w", len(rd.lags), err)
			rd.failed.Store(true)
			continue
		}
		rd.lags = append(rd.lags, now-sent)
		rd.received.Store(want)
	}
}

// parseProbe reads a probe's payload: "<seq> <nanoseconds since the prober's start>".
func parseProbe(payload string) (seq int64, sent time.Duration, err error) {
	a, b, ok := strings.Cut(payload, " ")
	if ok {
		seq, err = strconv.ParseInt(a, 10, 64)
		if err == nil {
			var ns int64
			ns, err = strconv.ParseInt(b, 10, 64)
			sent = time.Duration(ns)
		}
	}
	if !ok || err != nil || seq < 1 {
		return 0, 0, fmt.Errorf("probe %q is not <seq> <nanoseconds>", payload)
	}
	return seq, sent, nil
}

// readMessage reads one pub/sub message, the RESP2 array ["message", channel, payload],
// and returns its channel and payload.
func readMessage(r *bufio.Reader) (channel, payload string, err error) {
	line, err := readLine(r)
	if err != nil {
		return "", "", err
	}
	if line != "*3" {
		return "", "", fmt.Errorf("received %q where a message was due", line)
	}
	var parts [3]string
	for i := range parts {
		if parts[i], err = readBulk(r); err != nil {
			return "", "", err
		}
	}
	if parts[0] != "message" {
		return "", "", fmt.Errorf("received a %q push where a message was due", parts[0])
	}
	return parts[1], parts[2], nil
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("line %q does not end in CRLF", line)
	}
	return line[:len(line)-2], nil
}

func readBulk(r *bufio.Reader) (string, error) {
	line, err := readLine(r)
	if err != nil {
		return "", err
	}
	n, ok := bulkLen(line)
	if !ok {
		return "", fmt.Errorf("received %q where a bulk string was due", line)
	}
	b, err := readBulkBody(r, n)
	if err != nil {
		return "", err
	}
	if string(b[n:]) != "\r\n" {
		return "", fmt.Errorf("bulk string %q does not end in CRLF", b)
	}
	return string(b[:n]), nil
}
