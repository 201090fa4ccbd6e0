// Package gnetio is the gnet v2 transport: event loops read client bytes and
// hand them to a netio.Handler's sessions; replies go out through the
// connection's outbound buffer, written once per read or, while the loop is
// busy, together at the end of its batch of events (batch.go).
package gnetio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"

	"github.com/redoubtdb/redoubt/netio"
)

// Options configure the gnet transport.
type Options struct {
	Addrs        []string // "tcp://127.0.0.1:6379"
	Loops        int      // number of event loops (io-threads); at least 1
	TCPKeepAlive time.Duration
	// Backlog is accepted for tcp-backlog but gnet always listens with the
	// kernel's maximum (somaxconn), which is at least Redis's default.
	Backlog int
	Logger  *slog.Logger
}

// Server runs gnet engines, one per address, all sharing one Handler.
type Server struct {
	opts    Options
	handler netio.Handler
	ready   chan struct{}

	mu struct {
		sync.Mutex
		engines []gnet.Engine
		booted  int
		stopped bool
	}
}

// New returns a transport for h.
func New(h netio.Handler, opts Options) *Server {
	if opts.Loops < 1 {
		opts.Loops = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Server{opts: opts, handler: h, ready: make(chan struct{})}
}

// Ready is closed once every address is listening.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Serve runs until Stop or a listening error. It blocks.
func (s *Server) Serve() error {
	if len(s.opts.Addrs) == 0 {
		return errors.New("gnetio: no listen address")
	}
	errc := make(chan error, len(s.opts.Addrs))
	for _, addr := range s.opts.Addrs {
		go func(addr string) {
			h := &events{srv: s}
			err := gnet.Run(h, addr,
				gnet.WithMulticore(s.opts.Loops > 1),
				gnet.WithNumEventLoop(s.opts.Loops),
				gnet.WithTCPKeepAlive(s.opts.TCPKeepAlive),
				gnet.WithTCPNoDelay(gnet.TCPNoDelay),
				// With SO_REUSEPORT each event loop accepts on its own
				// listener and opens the connection before the next accept;
				// without it a separate acceptor takes the whole backlog
				// first, so a burst of connections past maxclients held one
				// descriptor each until their loop refused them, and an
				// EMFILE there is fatal to gnet: it shuts the engine down,
				// every client and the listener (TestClientFloodPastOpenFileLimit
				// lost the listener at the 247th of 300 connections under
				// ulimit -n 256). Sharing the port needs SO_REUSEPORT and the
				// same user on the other side; checkListen (cmd/redoubt) binds
				// without it first, so a second server cannot start on it.
				gnet.WithReusePort(true),
				// As Redis does: a restart must be able to bind while
				// the previous process's connections sit in TIME_WAIT.
				gnet.WithReuseAddr(true),
				gnet.WithLogger(gnetLogger{s.opts.Logger}),
				gnet.WithLogLevel(logging.WarnLevel),
			)
			if err != nil {
				err = fmt.Errorf("listen %s: %w", addr, err)
			}
			errc <- err
		}(addr)
	}
	var first error
	for range s.opts.Addrs {
		if err := <-errc; err != nil && first == nil {
			first = err
			// One address failed: take the others down too.
			go s.Stop(context.Background()) //nolint:errcheck
		}
	}
	return first
}

// Stop stops every engine; connections are closed after their queued
// replies are flushed. The engines stop together: gnet checks whether an
// engine is done every 500 ms, so stopping a TCP and a Unix socket engine
// one after the other took a second (measured: 1.0 s from SIGTERM to exit
// with a Unix socket, 0.5 s without).
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.mu.stopped = true
	engines := append([]gnet.Engine(nil), s.mu.engines...)
	s.mu.Unlock()
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.Stop(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) booted(e gnet.Engine) gnet.Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.stopped {
		return gnet.Shutdown
	}
	s.mu.engines = append(s.mu.engines, e)
	s.mu.booted++
	if s.mu.booted == len(s.opts.Addrs) {
		close(s.ready)
	}
	return gnet.None
}

// events adapts gnet callbacks to the netio.Handler.
type events struct {
	gnet.BuiltinEventEngine
	srv     *Server
	batches batches
}

// connState is kept in the gnet connection's context.
type connState struct {
	sess  netio.Session
	need  int    // bytes needed before the session can make progress
	batch *batch // the loop's replies waiting for the end of its batch
}

func (e *events) OnBoot(eng gnet.Engine) gnet.Action { return e.srv.booted(eng) }

func (e *events) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	sess := e.srv.handler.Open(conn{c})
	if sess == nil {
		return nil, gnet.Close
	}
	c.SetContext(&connState{sess: sess, batch: e.batches.of(c.EventLoop())})
	return nil, gnet.None
}

func (e *events) OnClose(c gnet.Conn, err error) gnet.Action {
	if st, ok := c.Context().(*connState); ok && st != nil {
		st.sess.Closed(err)
		c.SetContext(nil)
	}
	return gnet.None
}

func (e *events) OnTraffic(c gnet.Conn) gnet.Action {
	st, ok := c.Context().(*connState)
	if !ok || st == nil {
		return gnet.Close
	}
	return traffic(c, st)
}

func traffic(c gnet.Conn, st *connState) gnet.Action {
	// A bulk arriving in many reads would otherwise be re-peeked (and
	// copied) on every read: wait until enough is buffered.
	if st.need > 0 && c.InboundBuffered() < st.need {
		return gnet.None
	}
	buf, _ := c.Peek(-1)
	if len(buf) == 0 {
		return gnet.None
	}
	consumed, need, closeConn := st.sess.Data(buf)
	if consumed > 0 {
		_, _ = c.Discard(consumed)
	}
	st.need = need
	if closeConn {
		return gnet.Close
	}
	return gnet.None
}

// conn adapts gnet.Conn to netio.Conn.
type conn struct{ c gnet.Conn }

func (c conn) RemoteAddr() net.Addr      { return c.c.RemoteAddr() }
func (c conn) LocalAddr() net.Addr       { return c.c.LocalAddr() }
func (c conn) OutboundBuffered() int     { return c.c.OutboundBuffered() }
func (c conn) AsyncWrite(b []byte) error { return c.c.AsyncWrite(b, nil) }
func (c conn) Close() error              { return c.c.Close() }

// Wake re-runs the session on whatever is buffered, on the loop.
func (c conn) Wake() error {
	return c.Execute(func() {
		if st, ok := c.c.Context().(*connState); ok && st != nil {
			st.need = 0
			if traffic(c.c, st) == gnet.Close {
				_ = c.c.Close()
			}
		}
	})
}

func (c conn) Defer(f func()) bool {
	st, ok := c.c.Context().(*connState)
	if !ok || st == nil {
		return false
	}
	return st.batch.deferCall(f)
}

func (c conn) Write(b []byte) error {
	_, err := c.c.Write(b)
	return err
}

func (c conn) Execute(f func()) error {
	return c.c.EventLoop().Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		f()
		return nil
	}))
}

// gnetLogger routes gnet's logs to slog.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug(fmt.Sprintf(f, a...), "component", "gnet") }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug(fmt.Sprintf(f, a...), "component", "gnet") }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn(fmt.Sprintf(f, a...), "component", "gnet") }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error(fmt.Sprintf(f, a...), "component", "gnet") }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error(fmt.Sprintf(f, a...), "component", "gnet") }
