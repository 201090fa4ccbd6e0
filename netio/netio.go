// Package netio separates the transports Redoubt serves clients over from the
// command core. A backend (netio/gnetio for gnet v2; a Go net backend for TLS
// later) accepts connections and feeds their bytes to a Handler; the Handler
// (the daemon) parses and executes commands and writes replies back through
// Conn. Nothing in the daemon imports a transport.
//
// Threading: each connection belongs to one event-loop goroutine. Session
// methods and the Conn methods marked "loop only" run on that goroutine; the
// others are safe from any goroutine.
package netio

import (
	"context"
	"net"
)

// Conn is one client connection as the command core sees it.
type Conn interface {
	RemoteAddr() net.Addr
	LocalAddr() net.Addr
	// Write queues b for sending. Loop only. The transport copies b.
	Write(b []byte) error
	// Defer asks for f to run on the loop once it has handled the events
	// it is handling now, before it waits for more (at the end of this
	// batch of events or the next), so that the replies of many
	// connections go out together. It reports false when f will not run:
	// the caller writes now. Loop only.
	Defer(f func()) bool
	// OutboundBuffered is the number of bytes queued but not yet sent. Loop only.
	OutboundBuffered() int
	// AsyncWrite queues b from any goroutine. b must not be modified afterwards.
	AsyncWrite(b []byte) error
	// Execute runs f on the connection's loop goroutine, from any goroutine.
	// f may run after the connection closed: it must check.
	Execute(f func()) error
	// Wake makes the loop call Session.Data again with the bytes still
	// buffered, even if none arrived (resuming a paused or blocked client).
	// Any goroutine.
	Wake() error
	// Close closes the connection after queued bytes are flushed. Any goroutine.
	Close() error
}

// Session is the per-connection state a Handler keeps.
type Session interface {
	// Data is called on the loop with every byte received and not yet
	// consumed. It returns how many bytes it consumed, a lower bound on the
	// bytes it needs buffered before another call can make progress (0 when
	// unknown), and whether the connection must be closed once queued
	// replies are flushed.
	Data(buf []byte) (consumed, need int, closeConn bool)
	// Closed is called once, on the loop, when the connection is gone.
	Closed(err error)
}

// Handler accepts connections.
type Handler interface {
	// Open is called on the loop for a new connection. It returns nil to
	// refuse the connection after writing an error to it.
	Open(c Conn) Session
}

// Server is a running transport.
type Server interface {
	// Serve accepts connections until Stop; it returns once listening
	// failed or stopped.
	Serve() error
	// Ready is closed once the listeners accept connections.
	Ready() <-chan struct{}
	// Stop stops accepting, closes connections and waits for the loops.
	Stop(ctx context.Context) error
}
