package gnetio

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/netio"
)

// echoHandler answers each line with itself, sending its replies as the
// daemon does: at once, or deferred to the end of the loop's batch.
type echoHandler struct {
	deferred atomic.Int64 // sends left for the end of a batch
}

type echoSession struct {
	h       *echoHandler
	conn    netio.Conn
	out     []byte
	waiting bool
	sendFn  func()
}

func (h *echoHandler) Open(c netio.Conn) netio.Session {
	s := &echoSession{h: h, conn: c}
	s.sendFn = s.sendDeferred
	return s
}

func (s *echoSession) Data(buf []byte) (consumed, need int, closeConn bool) {
	for {
		i := 0
		for i < len(buf[consumed:]) && buf[consumed+i] != '\n' {
			i++
		}
		if consumed+i >= len(buf) {
			break
		}
		s.out = append(s.out, buf[consumed:consumed+i+1]...)
		consumed += i + 1
	}
	if len(s.out) > 0 && !s.waiting {
		if s.conn.Defer(s.sendFn) {
			s.waiting = true
			s.h.deferred.Add(1)
		} else {
			_ = s.conn.Write(s.out)
			s.out = s.out[:0]
		}
	}
	return consumed, 0, false
}

func (s *echoSession) sendDeferred() {
	s.waiting = false
	_ = s.conn.Write(s.out)
	s.out = s.out[:0]
}

func (s *echoSession) Closed(error) {}

// TestBatchedRepliesArrive: replies left for the end of a batch are all
// sent, in order, with no further traffic to wake the loop, and some are
// in fact deferred when many connections are busy at once.
func TestBatchedRepliesArrive(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h := &echoHandler{}
	srv := New(h, Options{Addrs: []string{"tcp://" + addr}})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case <-srv.Ready():
	case err := <-errc:
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	}()

	const conns, rounds, pipeline = 50, 100, 16
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer nc.Close()
			r := bufio.NewReader(nc)
			var req []byte
			for round := 0; round < rounds; round++ {
				req = req[:0]
				for i := 0; i < pipeline; i++ {
					req = strconv.AppendInt(req, int64(round*pipeline+i), 10)
					req = append(req, '\n')
				}
				if _, err := nc.Write(req); err != nil {
					errs <- err
					return
				}
				_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				for i := 0; i < pipeline; i++ {
					line, err := r.ReadString('\n')
					if err != nil {
						errs <- fmt.Errorf("conn %d round %d reply %d: %w", c, round, i, err)
						return
					}
					if want := strconv.Itoa(round*pipeline+i) + "\n"; line != want {
						errs <- fmt.Errorf("conn %d: reply %q, want %q", c, line, want)
						return
					}
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if h.deferred.Load() == 0 {
		t.Errorf("no reply was deferred over %d connections of %d rounds", conns, rounds)
	}
	t.Logf("%d sends deferred of %d", h.deferred.Load(), conns*rounds)
}
