package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DriverTool is the Tool name of Driver in reports and results.json.
const DriverTool = "go-driver"

// Driver is the harness's own load generator, for loads redis-benchmark cannot express,
// such as a mix of commands in one run. It works as redis-benchmark does, so that its rows
// read like the others: Clients connections, each sending a pipeline of Pipeline commands,
// reading the replies, and sending the next, until Requests commands have been sent; a
// request's latency runs from the write of its pipeline to the arrival of its reply. Each
// command is drawn at random, by weight, from Mix. Unlike redis-benchmark it keeps every
// latency, so its percentiles (p99.9 included) are exact, not bucketed.
//
// An error reply, or a reply that is not RESP, fails the run: a load that is refused
// measures nothing.
type Driver struct {
	Mix []Op
}

// Op is one command of a Driver's mix.
type Op struct {
	// Weight is the op's share of the requests, relative to the other ops' weights.
	Weight int
	// Args is the command. In any argument, __rand_int__ becomes a random 12-digit number
	// below the keyspace (redis-benchmark's placeholder, so key:__rand_int__ names the
	// preloaded keys) and __data__ becomes DataSize bytes of 'x' (redis-benchmark's value).
	Args []string
}

const (
	randPlaceholder = "__rand_int__"
	dataPlaceholder = "__data__"
	randDigits      = 12
)

// Tool implements LoadGenerator.
func (Driver) Tool() string { return DriverTool }

// Validate implements the check Expand makes on a row.
func (d Driver) Validate() error {
	if len(d.Mix) == 0 {
		return errors.New("go-driver: needs at least one op")
	}
	for _, op := range d.Mix {
		if op.Weight < 1 || len(op.Args) == 0 {
			return fmt.Errorf("go-driver: op %q needs a weight of at least 1 and a command", op.Args)
		}
	}
	return nil
}

// CommandLine implements LoadGenerator: the driver's options in redis-benchmark's terms,
// then the mix with each op's share.
func (d Driver) CommandLine(p Params) string {
	n := "N"
	if p.Requests > 0 {
		n = strconv.Itoa(p.Requests)
	}
	total := 0
	for _, op := range d.Mix {
		total += op.Weight
	}
	ops := make([]string, len(d.Mix))
	for i, op := range d.Mix {
		args := make([]string, len(op.Args))
		for j, a := range op.Args {
			args[j] = shellQuote(a)
		}
		ops[i] = fmt.Sprintf("%s%% %s", strconv.FormatFloat(100*float64(op.Weight)/float64(total), 'g', 4, 64), strings.Join(args, " "))
	}
	return fmt.Sprintf("%s -c %d -P %d -n %s -r %d -d %d: %s", DriverTool, p.Clients, p.Pipeline, n, p.Keyspace, p.DataSize, strings.Join(ops, ", "))
}

// Run implements LoadGenerator.
func (d Driver) Run(ctx context.Context, _ Tools, target Target, p Params) (Sample, error) {
	if err := d.Validate(); err != nil {
		return Sample{}, err
	}
	if p.Clients < 1 || p.Pipeline < 1 || p.Requests < 1 || p.Keyspace < 1 {
		return Sample{}, fmt.Errorf("go-driver: needs clients, pipeline, requests and keyspace of at least 1, got %+v", p)
	}
	mix := compileMix(d.Mix, p.DataSize)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	conns := make([]net.Conn, 0, p.Clients)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range p.Clients {
		c, err := dial(ctx, target)
		if err != nil {
			return Sample{}, fmt.Errorf("go-driver: connecting: %w", err)
		}
		conns = append(conns, c)
	}
	// Ending ctx (the run's deadline, or another connection's failure) unblocks every
	// read and write at once.
	stop := context.AfterFunc(ctx, func() {
		for _, c := range conns {
			c.SetDeadline(time.Now())
		}
	})
	defer stop()

	var (
		issued   atomic.Int64 // requests claimed by the connections so far
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error // written once under errOnce, read after wg.Wait
		perConn  = make([][]time.Duration, len(conns))
	)
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &driverConn{
				conn:      c,
				r:         bufio.NewReaderSize(c, 64<<10),
				rng:       rand.New(rand.NewPCG(uint64(i)+1, uint64(start.UnixNano()))),
				mix:       mix,
				keyspace:  p.Keyspace,
				latencies: make([]time.Duration, 0, p.Requests/len(conns)+p.Pipeline),
			}
			for {
				claimed := issued.Add(int64(p.Pipeline)) - int64(p.Pipeline)
				k := min(int64(p.Pipeline), int64(p.Requests)-claimed)
				if k <= 0 {
					break
				}
				if err := w.roundTrip(int(k)); err != nil {
					// The first failure is the finding; the others are its echo (the
					// deadlines it set on every connection).
					errOnce.Do(func() { firstErr = err })
					cancel()
					break
				}
			}
			perConn[i] = w.latencies
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := parent.Err(); err != nil {
		return Sample{}, fmt.Errorf("go-driver: %w after %s", err, elapsed.Round(time.Millisecond))
	}
	if firstErr != nil {
		return Sample{}, fmt.Errorf("go-driver: %w", firstErr)
	}
	all := make([]time.Duration, 0, p.Requests)
	for _, l := range perConn {
		all = append(all, l...)
	}
	if len(all) != p.Requests {
		return Sample{}, fmt.Errorf("go-driver: %d replies for %d requests", len(all), p.Requests)
	}
	s := SampleOfLatencies(all, elapsed)
	s.Requests = p.Requests
	return s, nil
}

// errReply marks a run that failed because the server answered with an error.
var errReply = errors.New("error reply")

// compiledOp is an Op ready to be written: the RESP encoding of its command cut at the
// places where each request puts its random number.
type compiledOp struct {
	// parts alternate literal bytes and random-number slots: the command is
	// parts[0] + digits + parts[1] + digits + ... + parts[len-1].
	parts [][]byte
}

// compiledMix draws ops by weight.
type compiledMix struct {
	ops        []compiledOp
	cumulative []int // cumulative[i] is the sum of the weights of ops[0..i]
}

// compileMix encodes every op once. A placeholder never changes an argument's length
// (__rand_int__ always becomes 12 digits), so every bulk header is known in advance.
func compileMix(mix []Op, dataSize int) compiledMix {
	data := strings.Repeat("x", dataSize)
	var m compiledMix
	total := 0
	for _, op := range mix {
		var parts [][]byte
		cur := []byte("*" + strconv.Itoa(len(op.Args)) + "\r\n")
		for _, a := range op.Args {
			a = strings.ReplaceAll(a, dataPlaceholder, data)
			pieces := strings.Split(a, randPlaceholder)
			size := len(a) + (len(pieces)-1)*(randDigits-len(randPlaceholder))
			cur = append(cur, '$')
			cur = strconv.AppendInt(cur, int64(size), 10)
			cur = append(cur, "\r\n"...)
			for j, piece := range pieces {
				cur = append(cur, piece...)
				if j < len(pieces)-1 {
					parts = append(parts, cur)
					cur = nil
				}
			}
			cur = append(cur, "\r\n"...)
		}
		parts = append(parts, cur)
		total += op.Weight
		m.ops = append(m.ops, compiledOp{parts: parts})
		m.cumulative = append(m.cumulative, total)
	}
	return m
}

// appendRequest appends one command drawn from m, with fresh random numbers.
func (m compiledMix) appendRequest(dst []byte, rng *rand.Rand, keyspace int) []byte {
	pick := rng.IntN(m.cumulative[len(m.cumulative)-1])
	i := 0
	for m.cumulative[i] <= pick {
		i++
	}
	parts := m.ops[i].parts
	for j, part := range parts {
		dst = append(dst, part...)
		if j < len(parts)-1 {
			dst = appendRandInt(dst, rng.IntN(keyspace))
		}
	}
	return dst
}

// appendRandInt appends n as redis-benchmark's __rand_int__ does: 12 digits, zero-padded.
func appendRandInt(dst []byte, n int) []byte {
	var digits [randDigits]byte
	for i := randDigits - 1; i >= 0; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, digits[:]...)
}

// driverConn is one connection of a Driver run, used by one goroutine.
type driverConn struct {
	conn      net.Conn
	r         *bufio.Reader
	rng       *rand.Rand
	mix       compiledMix
	keyspace  int
	buf       []byte
	latencies []time.Duration
}

// roundTrip sends k requests in one write and reads their k replies, recording each
// reply's latency from the write.
func (w *driverConn) roundTrip(k int) error {
	w.buf = w.buf[:0]
	for range k {
		w.buf = w.mix.appendRequest(w.buf, w.rng, w.keyspace)
	}
	start := time.Now()
	if _, err := w.conn.Write(w.buf); err != nil {
		return err
	}
	for range k {
		if err := skipReply(w.r); err != nil {
			return err
		}
		w.latencies = append(w.latencies, time.Since(start))
	}
	return nil
}

// skipReply reads one RESP2 reply and discards it; an error reply is returned as an
// error wrapping errReply.
func skipReply(r *bufio.Reader) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return fmt.Errorf("malformed reply %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':':
		return nil
	case '-':
		return fmt.Errorf("%w: %s", errReply, body)
	case '$':
		n, err := strconv.Atoi(string(body))
		if err != nil || n < -1 {
			return fmt.Errorf("malformed bulk length %q", line)
		}
		if n == -1 {
			return nil
		}
		if _, err := r.Discard(n + 2); err != nil {
			return err
		}
		return nil
	case '*':
		n, err := strconv.Atoi(string(body))
		if err != nil || n < -1 {
			return fmt.Errorf("malformed array length %q", line)
		}
		for range n {
			if err := skipReply(r); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("malformed reply %q", line)
	}
}
