package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Setup prepares the data a workload reads or consumes, on each system, outside the timed
// run: the runner calls Prepare before every calibration probe and every measured run,
// then waits for the servers to settle, so neither the setup's time nor its background
// work (AOF fsync, flushes) lands in the figures. Prepare gets the run's parameters,
// Requests included, so a workload that consumes data can put back what the next run
// takes. It should write nothing when the data is already in place.
type Setup interface {
	// Describe tells a reader what Prepare does, enough to redo it by hand; a Requests of
	// 0 shows as N, as in LoadGenerator.CommandLine.
	Describe(p Params) string
	Prepare(ctx context.Context, target Target, p Params) error
}

// setupTimeout bounds one Prepare: filling a list for a few million pops takes seconds.
const setupTimeout = 2 * time.Minute

// fillBatch is how many elements go into one RPUSH or ZADD, and fillWindow how many such
// commands go out before their replies are read: few round trips, bounded buffers.
const (
	fillBatch  = 1000
	fillWindow = 16
)

// FillList keeps the list at Key long enough for a run that pops from it, such as
// redis-benchmark -t lpop (LPOP mylist): before every run it appends elements of DataSize
// bytes with RPUSH until the list holds the run's requests plus one pipeline. The extra
// pipeline is there because redis-benchmark sends whole pipelines and so up to
// Pipeline-1 requests past -n; with it, every LPOP of the run pops a real element
// instead of timing a nil reply.
type FillList struct {
	Key string
}

// Validate implements the check Expand makes on a row.
func (f FillList) Validate() error {
	if f.Key == "" {
		return errors.New("FillList needs a key")
	}
	return nil
}

// length is the list length a run with parameters p needs.
func (f FillList) length(p Params) int { return p.Requests + p.Pipeline }

// Describe implements Setup.
func (f FillList) Describe(p Params) string {
	n := "N"
	if p.Requests > 0 {
		n = strconv.Itoa(p.Requests)
	}
	return fmt.Sprintf("before every run, RPUSH %d-byte elements to %s until LLEN %s >= %s+%d", p.DataSize, f.Key, f.Key, n, p.Pipeline)
}

// Prepare implements Setup.
func (f FillList) Prepare(ctx context.Context, target Target, p Params) error {
	return withConn(ctx, target, func(c *respConn) error {
		n, err := c.integer("LLEN", f.Key)
		if err != nil {
			return err
		}
		missing := f.length(p) - int(n)
		if missing <= 0 {
			return nil
		}
		value := strings.Repeat("x", p.DataSize)
		var cmds [][]string
		for missing > 0 {
			k := min(missing, fillBatch)
			cmd := make([]string, 0, 2+k)
			cmd = append(cmd, "RPUSH", f.Key)
			for range k {
				cmd = append(cmd, value)
			}
			cmds = append(cmds, cmd)
			missing -= k
		}
		return c.pipeline(cmds)
	})
}

// FillSortedSet creates the sorted set at Key with Members members,
// element:000000000000 ... with scores 0, 1, ... (the member names redis-benchmark's
// ZADD test uses), for a workload that reads it. Reads leave it as it is, so Prepare
// writes only the first time; a set of another size means something else writes to Key,
// which is an error rather than a silent change of what is measured.
type FillSortedSet struct {
	Key     string
	Members int
}

// Validate implements the check Expand makes on a row.
func (f FillSortedSet) Validate() error {
	if f.Key == "" || f.Members < 1 {
		return fmt.Errorf("FillSortedSet needs a key and at least one member, got %+v", f)
	}
	return nil
}

// Describe implements Setup.
func (f FillSortedSet) Describe(Params) string {
	last := f.Members - 1
	// Spelled out rather than as a pattern such as <i>, which Markdown would take for HTML.
	if last == 0 {
		return fmt.Sprintf("once, ZADD %s 0 element:%012d", f.Key, 0)
	}
	return fmt.Sprintf("once, ZADD %s 0 element:%012d ... %d element:%012d (%d members, score i for element i)", f.Key, 0, last, last, f.Members)
}

// Prepare implements Setup.
func (f FillSortedSet) Prepare(ctx context.Context, target Target, _ Params) error {
	return withConn(ctx, target, func(c *respConn) error {
		n, err := c.integer("ZCARD", f.Key)
		if err != nil {
			return err
		}
		switch {
		case int(n) == f.Members:
			return nil
		case n != 0:
			return fmt.Errorf("sorted set %s has %d members, want %d: another workload writes to it", f.Key, n, f.Members)
		}
		var cmds [][]string
		for first := 0; first < f.Members; first += fillBatch {
			last := min(first+fillBatch, f.Members)
			cmd := []string{"ZADD", f.Key}
			for i := first; i < last; i++ {
				cmd = append(cmd, strconv.Itoa(i), fmt.Sprintf("element:%012d", i))
			}
			cmds = append(cmds, cmd)
		}
		return c.pipeline(cmds)
	})
}

// respConn is a connection for the harness's own commands: setups, and the replication
// topology's and loads' INFO, REPLICAOF and FLUSHALL, whose replies are integers, status
// lines or bulk strings.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
	buf  []byte
	stop func() bool // ends the watch on the context
}

// withConn dials target, runs fn, and closes the connection; ctx ending or setupTimeout
// passing makes any pending read or write fail.
func withConn(ctx context.Context, target Target, fn func(*respConn) error) error {
	c, err := openConn(ctx, target, setupTimeout)
	if err != nil {
		return err
	}
	defer c.close()
	return fn(c)
}

// openConn dials target for commands that must all be done within timeout, or before
// ctx ends: either makes any pending read or write fail. The caller closes it.
func openConn(ctx context.Context, target Target, timeout time.Duration) (*respConn, error) {
	conn, err := dial(ctx, target)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	return &respConn{conn: conn, r: bufio.NewReader(conn), stop: stop}, nil
}

func (c *respConn) close() {
	c.stop()
	c.conn.Close()
}

// integer sends one command and returns its integer reply.
func (c *respConn) integer(args ...string) (int64, error) {
	c.buf = appendCommand(c.buf[:0], args...)
	if _, err := c.conn.Write(c.buf); err != nil {
		return 0, err
	}
	return c.readInteger(args[0])
}

// pipeline sends cmds fillWindow at a time and wants an integer reply to each.
func (c *respConn) pipeline(cmds [][]string) error {
	for first := 0; first < len(cmds); first += fillWindow {
		window := cmds[first:min(first+fillWindow, len(cmds))]
		c.buf = c.buf[:0]
		for _, cmd := range window {
			c.buf = appendCommand(c.buf, cmd...)
		}
		if _, err := c.conn.Write(c.buf); err != nil {
			return err
		}
		for _, cmd := range window {
			if _, err := c.readInteger(cmd[0]); err != nil {
				return err
			}
		}
	}
	return nil
}

// ok sends one command and wants +OK, or another status line starting with OK (Redis
// answers some REPLICAOFs "+OK Already connected to specified master").
func (c *respConn) ok(args ...string) error {
	line, err := c.send(args)
	if err != nil {
		return err
	}
	if line != "+OK" && !strings.HasPrefix(line, "+OK ") {
		return fmt.Errorf("%s answered %q, want OK", strings.Join(args, " "), line)
	}
	return nil
}

// bulk sends one command and returns its bulk string reply.
func (c *respConn) bulk(args ...string) (string, error) {
	line, err := c.send(args)
	if err != nil {
		return "", err
	}
	n, ok := bulkLen(line)
	if !ok {
		return "", fmt.Errorf("%s answered %q, want a bulk string", strings.Join(args, " "), line)
	}
	b, err := readBulkBody(c.r, n)
	if err != nil {
		return "", fmt.Errorf("%s: %w", args[0], err)
	}
	return string(b[:n]), nil
}

// bulkLen parses a bulk string's header line ("$5", without its CRLF).
func bulkLen(line string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(line, "$"))
	return n, strings.HasPrefix(line, "$") && err == nil && n >= 0
}

// readBulkBody reads the n bytes of a bulk string and its CRLF (b[n:]).
func readBulkBody(r *bufio.Reader, n int) ([]byte, error) {
	b := make([]byte, n+2)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// send writes one command and reads the first line of its reply, without its CRLF. An
// error reply is a replyError.
func (c *respConn) send(args []string) (string, error) {
	c.buf = appendCommand(c.buf[:0], args...)
	if _, err := c.conn.Write(c.buf); err != nil {
		return "", err
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("%s: %w", args[0], err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	if strings.HasPrefix(line, "-") {
		return "", replyError{cmd: strings.Join(args, " "), msg: line[1:]}
	}
	return line, nil
}

// replyError is a server's error reply to a command.
type replyError struct{ cmd, msg string }

func (e replyError) Error() string { return fmt.Sprintf("%s answered -%s", e.cmd, e.msg) }

// isLoading reports whether err is the -LOADING a server answers while it loads a data
// set, as a replica does during a full sync: a state to wait out, not a failure.
func isLoading(err error) bool {
	var re replyError
	return errors.As(err, &re) && strings.HasPrefix(re.msg, "LOADING")
}

func (c *respConn) readInteger(cmd string) (int64, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("%s: %w", cmd, err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	if !strings.HasPrefix(line, ":") {
		return 0, fmt.Errorf("%s answered %q, want an integer", cmd, line)
	}
	n, err := strconv.ParseInt(line[1:], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s answered %q: %w", cmd, line, err)
	}
	return n, nil
}
