package main

import (
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"
)

// Supervision by a service manager, as Redis's supervised setting:
//
//   - systemd: sd_notify datagrams to $NOTIFY_SOCKET: STATUS= lines while
//     loading and once ready, READY=1 when connections are accepted,
//     STOPPING=1 when a shutdown begins (the daemon sends those it owns
//     through Options.Notify). Redoubt speaks the protocol itself; it needs
//     no libsystemd.
//   - upstart: the process stops itself with SIGSTOP at start-up (the job's
//     "expect stop"), and forgets UPSTART_JOB.
//   - auto: upstart if UPSTART_JOB is set, else systemd if NOTIFY_SOCKET is.

// supervisor is the supervision in force: mode is what INFO shows as
// process_supervised ("no" when none), notify sends a systemd message
// (nil without systemd).
type supervisor struct {
	mode   string
	notify func(msg string)
	stop   func() // sends what is queued and ends the sender
}

// supervise starts the supervision cfg asks for. A mode that cannot work
// (systemd without NOTIFY_SOCKET) is logged and left off, as Redis does.
func supervise(mode string, log *slog.Logger) *supervisor {
	if mode == "auto" {
		switch {
		case os.Getenv("UPSTART_JOB") != "":
			log.Debug("Upstart supervision detected.")
			mode = "upstart"
		case os.Getenv("NOTIFY_SOCKET") != "":
			log.Debug("Systemd supervision detected.")
			mode = "systemd"
		}
	}
	switch mode {
	case "upstart":
		if os.Getenv("UPSTART_JOB") == "" {
			log.Warn("upstart supervision requested, but UPSTART_JOB not found!")
			break
		}
		log.Info("supervised by upstart, will stop to signal readiness.")
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		os.Unsetenv("UPSTART_JOB")
		return &supervisor{mode: "upstart", stop: func() {}}
	case "systemd":
		s, err := newSDNotifier(os.Getenv("NOTIFY_SOCKET"), log)
		if err != nil {
			log.Warn("systemd supervision error", "err", err.Error())
			break
		}
		s.notify("STATUS=Redoubt is loading...\n")
		log.Info("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.")
		return &supervisor{mode: "systemd", notify: s.notify, stop: s.close}
	}
	return &supervisor{mode: "no", stop: func() {}}
}

// ready tells systemd the server accepts connections.
func (s *supervisor) ready(replica bool) {
	if s.notify == nil {
		return
	}
	if replica {
		s.notify("STATUS=Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync\n")
	} else {
		s.notify("STATUS=Ready to accept connections\n")
	}
	s.notify("READY=1\n")
}

// sdNotifier sends sd_notify messages from a goroutine of its own, in
// order: callers (the daemon, under its lock) never wait on the socket.
type sdNotifier struct {
	conn *net.UnixConn
	msgs chan string
	done chan struct{}
	log  *slog.Logger
}

func newSDNotifier(path string, log *slog.Logger) (*sdNotifier, error) {
	if path == "" {
		return nil, errNoNotifySocket
	}
	if path[0] == '@' {
		path = "\x00" + path[1:] // an abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	s := &sdNotifier{conn: conn, msgs: make(chan string, 64), done: make(chan struct{}), log: log}
	go s.run()
	return s, nil
}

var errNoNotifySocket = notifyError("NOTIFY_SOCKET not found!")

type notifyError string

func (e notifyError) Error() string { return string(e) }

func (s *sdNotifier) notify(msg string) {
	select {
	case s.msgs <- msg:
	default:
		s.log.Warn("systemd supervision error: notifications are not being read", "dropped", msg)
	}
}

func (s *sdNotifier) run() {
	defer close(s.done)
	for msg := range s.msgs {
		_ = s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := s.conn.Write([]byte(msg)); err != nil {
			s.log.Warn("systemd supervision error: sd_notify", "err", err.Error())
		}
	}
}

// close sends what is queued, then closes the socket.
func (s *sdNotifier) close() {
	close(s.msgs)
	<-s.done
	_ = s.conn.Close()
}
