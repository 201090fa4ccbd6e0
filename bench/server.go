package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ArgStyle is how a server binary takes its port, data directory and fsync mode.
type ArgStyle string

const (
	// StyleRedoubt: `redoubt server --port P --dir D --appendfsync M`.
	StyleRedoubt ArgStyle = "redoubt"
	// StyleRedis: `redis-server --port P --dir D --appendfsync M` plus the settings that
	// make Redis as durable as Redoubt: AOF on, RDB snapshots off. Also lets a second
	// redis-server stand in for Redoubt while testing the harness.
	StyleRedis ArgStyle = "redis"
)

// System is one side of the comparison.
type System struct {
	Name  string   `json:"name"`  // "redoubt" or "redis": keys in results.json
	Label string   `json:"label"` // column heading
	Path  string   `json:"path"`
	Style ArgStyle `json:"style"`
	// Version is what the binary said about itself, filled in by Compare.
	Version string `json:"version"`
}

// Args returns the command line that starts the system as a standalone server, without
// the topology's own arguments.
func (s System) Args(port int, dir, fsync string) []string {
	return s.args(strconv.Itoa(port), dir, fsync)
}

func (s System) args(port, dir, fsync string) []string {
	switch s.Style {
	case StyleRedis:
		return []string{
			"--port", port,
			"--bind", "127.0.0.1",
			"--dir", dir,
			"--save", "",
			"--appendonly", "yes",
			"--appendfsync", fsync,
			"--daemonize", "no",
			"--logfile", "",
		}
	default:
		// No RDB snapshots on either side (Redis gets --save "" above).
		return []string{"server", "--port", port, "--dir", dir, "--appendfsync", fsync, "--save", ""}
	}
}

func (s System) versionArgs() []string {
	if s.Style == StyleRedis {
		return []string{"--version"}
	}
	return []string{"version"}
}

// Topology starts what one system needs to serve a group of cases and tells where the load
// goes. Single, SmallCache and Replicated exist; failover rows would add their own.
type Topology interface {
	// Name is part of case names ("" for Single) and of the group key.
	Name() string
	// Start launches fresh servers with empty data directories. The Deployment it returns
	// is ready for load; on error nothing it started is left running.
	Start(ctx context.Context, sys System, fsync string) (Deployment, error)
	// CommandLines shows, for the report, how Start starts sys: one line per process, with
	// <port> and <dir> for what changes from run to run.
	CommandLines(sys System, fsync string) []string
}

// Deployment is the running servers of one system.
type Deployment interface {
	// Target is where load generators connect: the server, or a replicated deployment's
	// primary with its replicas in Target.Replicas.
	Target() Target
	// Check reports whether the deployment still serves; it is called before every run
	// because redis-benchmark spins without end against a port nobody listens on.
	Check(ctx context.Context) error
	// Preload writes p.Keyspace keys named as redis-benchmark names them, so that GET
	// hits, with values of p.DataSize bytes (see PreloadValue).
	Preload(ctx context.Context, p Params) error
	// Pids lists the processes the deployment started, so the runner can wait until they
	// are idle before the next run.
	Pids() []int
	// Stop stops every process the deployment started and removes its data.
	Stop() error
}

// Single is one standalone server per system.
type Single struct{}

// Name implements Topology.
func (Single) Name() string { return "" }

// Start implements Topology.
func (Single) Start(ctx context.Context, sys System, fsync string) (Deployment, error) {
	return startServer(ctx, sys, fsync, nil)
}

// CommandLines implements Topology.
func (Single) CommandLines(sys System, fsync string) []string {
	return []string{serverCommandLine(sys, fsync, nil)}
}

// serverCommandLine is how startServer starts sys with extra arguments, for the report.
func serverCommandLine(sys System, fsync string, extra []string) string {
	args := append(sys.args("PORT", "DIR", fsync), extra...)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return shellQuote(sys.Path) + " " + strings.Join(args, " ")
}

// server is one server process that this harness started; it owns its data directory.
type server struct {
	sys    System
	port   int
	dir    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait returned
	err    error         // cmd.Wait's result, valid once exited is closed
}

const (
	startTimeout = 20 * time.Second
	stopTimeout  = 10 * time.Second
	stopResend   = time.Second
)

// startServer starts sys on a free port. Finding a free port and binding it are two steps,
// so another process may take the port in between: then it tries again with another.
// extra is appended to sys.Args.
func startServer(ctx context.Context, sys System, fsync string, extra []string) (*server, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var s *server
		s, err = startServerOnce(ctx, sys, fsync, extra)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, err
}

var errPortTaken = errors.New("port already in use")

func startServerOnce(ctx context.Context, sys System, fsync string, extra []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "redoubt-bench-"+sys.Name+"-")
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{sys: sys, port: port, dir: dir, exited: make(chan struct{})}
	s.cmd = exec.Command(sys.Path, append(sys.Args(port, data, fsync), extra...)...)
	s.cmd.Stdout = logf
	s.cmd.Stderr = logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", sys.Name, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		log := s.logTail()
		s.Stop()
		if strings.Contains(log, "in use") {
			return nil, fmt.Errorf("%s on port %d: %w", sys.Name, port, errPortTaken)
		}
		return nil, fmt.Errorf("%s did not answer PING on 127.0.0.1:%d: %w; log: %s", sys.Name, port, err, log)
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *server) Target() Target { return Target{Host: "127.0.0.1", Port: s.port} }

func (s *server) Pids() []int { return []int{s.cmd.Process.Pid} }

func (s *server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := s.Check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("exited: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PONG within %s: %w", startTimeout, err)
		}
	}
}

// Check sends PING and wants +PONG; a server still loading answers -LOADING, an error too.
func (s *server) Check(ctx context.Context) error {
	select {
	case <-s.exited:
		return fmt.Errorf("%s exited: %v; log: %s", s.sys.Name, s.err, s.logTail())
	default:
	}
	conn, err := dial(ctx, s.Target())
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(conn, "*1\r\n$4\r\nPING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

func dial(ctx context.Context, t Target) (net.Conn, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	return d.DialContext(ctx, "tcp", t.String())
}

// preloadBatch is how many SETs go out before their replies are read: enough to keep the
// server busy, few enough that neither side's buffers grow large.
const preloadBatch = 1000

// Preload sets key:000000000000 .. key:<keyspace-1>, the names redis-benchmark's -r gives
// __rand_int__, each to PreloadValue.
func (s *server) Preload(ctx context.Context, p Params) error {
	conn, err := dial(ctx, s.Target())
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(preloadTimeout))
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	r := bufio.NewReader(conn)
	var buf, value []byte
	// About a megabyte per batch at most: large values go out fewer at a time.
	batch := max(1, min(preloadBatch, (1<<20)/max(p.DataSize, 1)))
	for first := 0; first < p.Keyspace; first += batch {
		last := min(first+batch, p.Keyspace)
		buf = buf[:0]
		for i := first; i < last; i++ {
			value = PreloadValue(value[:0], p, i)
			buf = appendCommand(buf, "SET", fmt.Sprintf("key:%012d", i), string(value))
		}
		if _, err := conn.Write(buf); err != nil {
			return err
		}
		for i := first; i < last; i++ {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if line != "+OK\r\n" {
				return fmt.Errorf("SET key:%012d answered %q", i, strings.TrimSpace(line))
			}
		}
	}
	return nil
}

// preloadTimeout bounds a whole preload: a million keys take seconds.
const preloadTimeout = 5 * time.Minute

// randomAlphabet has 64 symbols, so a random value carries 6 bits a byte and none of the
// repeats that Snappy (Pebble's block compression) or an LZ compressor could use.
const randomAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// PreloadValue appends the value Preload gives key i: p.DataSize bytes of 'x', as
// redis-benchmark writes, or with p.RandomValues, random letters and digits drawn from a
// generator seeded with i, the same on both systems, which no compressor shrinks, so
// that a data set meant to be larger than a cache is as large on disk as it is in memory.
func PreloadValue(dst []byte, p Params, i int) []byte {
	if !p.RandomValues {
		for range p.DataSize {
			dst = append(dst, 'x')
		}
		return dst
	}
	rng := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	var bits uint64
	for j := range p.DataSize {
		if j%10 == 0 {
			bits = rng.Uint64()
		}
		dst = append(dst, randomAlphabet[bits&63])
		bits >>= 6
	}
	return dst
}

func appendCommand(dst []byte, args ...string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, "\r\n"...)
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, "\r\n"...)
		dst = append(dst, a...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// Stop sends SIGTERM to the server's own pid, then SIGKILL if it has not exited after
// stopTimeout, and removes its data directory. Redis fsyncs its AOF on SIGTERM; Pebble
// closes its WAL: give them time to do it rather than kill at once.
//
// SIGTERM is sent again every stopResend meanwhile: a Redis replica that is writing its
// first AOF after a full sync refuses to exit ("Writing initial AOF, can't exit") and
// forgets the signal, and the FULLSYNC row ends with one doing just that. A second SIGTERM
// is harmless to a server already shutting down, Redis or Redoubt.
func (s *server) Stop() error {
	var err error
	select {
	case <-s.exited:
	default:
		s.cmd.Process.Signal(syscall.SIGTERM)
		resend := time.NewTicker(stopResend)
		defer resend.Stop()
		deadline := time.After(stopTimeout)
	wait:
		for {
			select {
			case <-s.exited:
				break wait
			case <-resend.C:
				s.cmd.Process.Signal(syscall.SIGTERM)
			case <-deadline:
				s.cmd.Process.Kill()
				<-s.exited
				err = fmt.Errorf("%s ignored SIGTERM for %s and was killed", s.sys.Name, stopTimeout)
				break wait
			}
		}
	}
	if rmErr := os.RemoveAll(s.dir); err == nil {
		err = rmErr
	}
	return err
}

func (s *server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return "(no log)"
	}
	return tail(string(b), 500)
}
