package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Subscribers is the Background of a PUBLISH row: during every run it keeps Clients
// connections SUBSCRIBEd to Channel and reads everything the server sends them, so that
// the server really delivers every PUBLISH to Clients sockets; after the run every one of
// them must have received every message, each exactly Message.
//
// The readers share the machine's cores with the server and the load generator, so they
// do as little as possible: large reads and no parsing. Every message the server sends
// for a PUBLISH of Message on Channel is the same frame (RESP2 *3 $7 message $n Channel $m
// Message), so a reader compares each read, in one call, with the stretch of those frames
// repeated that it should be, which checks every byte, and counts frames by length.
//
// How many messages a run publishes follows from how redis-benchmark counts: it sends
// whole pipelines and stops once -n replies have come back, so a run of N requests at
// pipeline depth P publishes at least N messages and at most N rounded up to a multiple of
// P. The runner makes N a multiple of P, so that is exactly N; in any case every
// subscriber must have received the same count, within that range.
type Subscribers struct {
	Channel string
	// Message is what the load publishes, byte for byte.
	Message string
	Clients int
}

// Validate implements the check Expand makes on a row.
func (s Subscribers) Validate() error {
	if s.Channel == "" || s.Clients < 1 {
		return fmt.Errorf("Subscribers needs a channel and at least one client, got %+v", s)
	}
	return nil
}

// Describe implements Background.
func (s Subscribers) Describe(p Params) string {
	n := "N"
	if p.Requests > 0 {
		n = strconv.Itoa(p.Requests)
	}
	return fmt.Sprintf("during every run, probes included, %d more connections SUBSCRIBE %s and read every message "+
		"(the harness's own readers); after the run each must have received all %s messages, each exactly %q",
		s.Clients, s.Channel, n, s.Message)
}

// Start implements Background. Its stop measures nothing beyond its check: no figures.
func (s Subscribers) Start(ctx context.Context, target Target, p Params) (func() (Figures, error), error) {
	set, err := s.start(ctx, target, p)
	if err != nil {
		return nil, err
	}
	return func() (Figures, error) { return nil, set.stop() }, nil
}

const (
	// subscriberReadSize is one read: large, so that a fast stream of small messages costs
	// few system calls.
	subscriberReadSize = 256 << 10
	// subscribeTimeout bounds connecting and reading the SUBSCRIBE confirmation.
	subscribeTimeout = 5 * time.Second
	// deliveryStall is how long stop waits with no subscriber receiving anything before it
	// decides the missing messages are not coming.
	deliveryStall = 2 * time.Second
	// deliveryQuiet is how long stop waits for more once every subscriber has the least a
	// run can publish: messages past it are a finding too (a message delivered twice).
	deliveryQuiet = 100 * time.Millisecond
	deliveryPoll  = 5 * time.Millisecond
)

// frame is the bytes the server sends a subscriber for one message.
func (s Subscribers) frame() []byte {
	return appendReply(nil, "message", s.Channel, s.Message)
}

// confirmation is the server's reply to SUBSCRIBE Channel on a fresh connection.
func (s Subscribers) confirmation() []byte {
	b := appendReply(nil, "subscribe", s.Channel)
	return append(b, ":1\r\n"...)
}

// appendReply appends the start of a three-element RESP2 array: the header and bulks, to
// which the confirmation adds its third element, an integer.
func appendReply(dst []byte, bulks ...string) []byte {
	dst = append(dst, "*3\r\n"...)
	for _, b := range bulks {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(b)), 10)
		dst = append(dst, "\r\n"...)
		dst = append(dst, b...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// subscriberSet is the subscribers of one run. start launches one reading goroutine per
// connection; stop closes the connections and waits for those goroutines, so nothing
// outlives the run.
type subscriberSet struct {
	lo, hi  int64 // the least and the most messages the run can publish
	readers []*subscriber
	wg      sync.WaitGroup
}

// subscriber is one subscribed connection and what its reading goroutine saw.
type subscriber struct {
	conn   net.Conn
	frames atomic.Int64 // whole messages received so far
	failed atomic.Bool  // err is set: waiting for more is pointless
	// Written by the reading goroutine only, read after it has exited.
	err     error
	partial int // bytes of an unfinished message at the end
}

func (s Subscribers) start(ctx context.Context, target Target, p Params) (*subscriberSet, error) {
	frame := s.frame()
	// Long enough to compare any read, starting at any offset within a frame, in one call.
	pattern := bytes.Repeat(frame, subscriberReadSize/len(frame)+2)
	set := &subscriberSet{lo: int64(p.Requests), hi: int64(wholePipelines(p.Requests, p.Pipeline))}
	for i := range s.Clients {
		conn, err := s.subscribe(ctx, target)
		if err != nil {
			set.close()
			return nil, fmt.Errorf("subscriber %d of %d: %w", i+1, s.Clients, err)
		}
		sub := &subscriber{conn: conn}
		set.readers = append(set.readers, sub)
		set.wg.Add(1)
		go func() {
			defer set.wg.Done()
			sub.read(pattern, len(frame))
		}()
	}
	return set, nil
}

// subscribe connects, subscribes and reads the confirmation, exactly its bytes, so that
// the reader that takes over starts at the first message.
func (s Subscribers) subscribe(ctx context.Context, target Target) (net.Conn, error) {
	conn, err := dial(ctx, target)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(subscribeTimeout))
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	fail := func(err error) (net.Conn, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if _, err := conn.Write(appendCommand(nil, "SUBSCRIBE", s.Channel)); err != nil {
		return fail(err)
	}
	want := s.confirmation()
	got := make([]byte, len(want))
	for n := 0; n < len(want); {
		k, err := conn.Read(got[n:])
		n += k
		if !bytes.HasPrefix(want, got[:n]) {
			// Most likely an error reply, longer than want: show all of what came.
			rest := make([]byte, 512)
			conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			k, _ := conn.Read(rest)
			reply := append(got[:n], rest[:k]...)
			return fail(fmt.Errorf("SUBSCRIBE %s answered %q, want %q", s.Channel, reply, want))
		}
		if err != nil {
			return fail(fmt.Errorf("SUBSCRIBE %s: %w after %q", s.Channel, err, got[:n]))
		}
	}
	if !stop() {
		return fail(ctx.Err())
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// read counts the messages on sub's connection until it fails or is closed. pattern is
// the message frame, frameLen bytes, repeated.
func (sub *subscriber) read(pattern []byte, frameLen int) {
	buf := make([]byte, subscriberReadSize)
	pos := 0 // offset of the next byte within its frame
	for {
		n, err := sub.conn.Read(buf)
		if n > 0 && sub.err == nil {
			if got := buf[:n]; !bytes.Equal(got, pattern[pos:pos+n]) {
				sub.err = unexpectedBytes(got, pattern[pos:pos+n], pos, frameLen, sub.frames.Load())
				sub.failed.Store(true)
			} else {
				pos += n
				sub.frames.Add(int64(pos / frameLen))
				pos %= frameLen
			}
			// After an error the reader keeps draining, so that the server is not held up
			// by a full socket for the rest of the run.
		}
		if err != nil {
			sub.partial = pos
			if sub.err == nil && !errors.Is(err, net.ErrClosed) {
				if errors.Is(err, io.EOF) {
					err = errors.New("the server closed the connection")
				}
				sub.err = fmt.Errorf("after %d messages: %w", sub.frames.Load(), err)
				sub.failed.Store(true)
			}
			return
		}
	}
}

// unexpectedBytes describes where got, read at offset pos of a frame, leaves the stream of
// frames it should be: it shows the received bytes from the start of the frame that
// differs.
func unexpectedBytes(got, want []byte, pos, frameLen int, frames int64) error {
	i := 0
	for got[i] == want[i] {
		i++
	}
	start := max(0, i-(pos+i)%frameLen)
	frames += int64((pos + start) / frameLen)
	return fmt.Errorf("after %d messages, received %q where another message was due", frames, got[start:min(len(got), start+2*frameLen)])
}

// stop waits until every subscriber has received what the run published, or nothing
// more arrives, then closes the connections and reports what was received.
func (set *subscriberSet) stop() error {
	set.waitForDelivery()
	set.close()
	return set.check()
}

func (set *subscriberSet) counts() []int64 {
	counts := make([]int64, len(set.readers))
	for i, sub := range set.readers {
		counts[i] = sub.frames.Load()
	}
	return counts
}

// waitForDelivery returns once every subscriber has at least what the run published and
// nothing more arrives for deliveryQuiet, or nothing arrives for deliveryStall, or a
// reader failed. The load has returned by now, but the server may still be writing
// messages out of its buffers.
func (set *subscriberSet) waitForDelivery() {
	last := set.counts()
	lastChange := time.Now()
	for {
		for _, sub := range set.readers {
			if sub.failed.Load() {
				return
			}
		}
		counts := set.counts()
		if !slices.Equal(counts, last) {
			last, lastChange = counts, time.Now()
		}
		least := slices.Min(counts)
		idle := time.Since(lastChange)
		if least >= set.lo && idle >= deliveryQuiet || idle >= deliveryStall {
			return
		}
		time.Sleep(deliveryPoll)
	}
}

// close closes every connection and waits for the reading goroutines to return.
func (set *subscriberSet) close() {
	for _, sub := range set.readers {
		sub.conn.Close()
	}
	set.wg.Wait()
}

// check runs after close: every subscriber must have read the same whole number of
// messages, within what the run can have published, and nothing else.
func (set *subscriberSet) check() error {
	counts := set.counts()
	var errs []error
	for i, sub := range set.readers {
		if sub.err != nil {
			errs = append(errs, fmt.Errorf("subscriber %d: %w", i+1, sub.err))
		} else if sub.partial != 0 {
			errs = append(errs, fmt.Errorf("subscriber %d: the stream ended %d bytes into a message", i+1, sub.partial))
		}
	}
	want := strconv.FormatInt(set.lo, 10)
	if set.hi != set.lo {
		want = fmt.Sprintf("between %d and %d, the same", set.lo, set.hi)
	}
	if least, most := slices.Min(counts), slices.Max(counts); least != most || least < set.lo || most > set.hi {
		errs = append(errs, fmt.Errorf("the %d subscribers received %v messages, want %s for each", len(counts), counts, want))
	}
	return errors.Join(errs...)
}
