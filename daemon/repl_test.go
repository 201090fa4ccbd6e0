package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBacklogRing: the backlog keeps the newest bytes of the stream and
// reads any offset it still holds, across the ring's wrap and resizes.
func TestBacklogRing(t *testing.T) {
	var stream []byte
	b := newBacklog(16, 100) // the next byte is offset 101
	for i, n := range []int{5, 11, 3, 20, 1, 15, 40} {
		p := bytes.Repeat([]byte{byte('a' + i)}, n)
		for j := range p {
			p[j] += byte(j % 3)
		}
		stream = append(stream, p...)
		b.add(p)
		end := int64(100 + len(stream))
		if b.first+b.hist-1 != end {
			t.Fatalf("after %d bytes: backlog ends at %d, want %d", len(stream), b.first+b.hist-1, end)
		}
		if want := min(int64(len(stream)), 16); b.hist != want {
			t.Fatalf("histlen %d, want %d", b.hist, want)
		}
		for from := b.first; from <= end+1; from++ {
			if got, want := b.read(nil, from), stream[from-101:]; !bytes.Equal(got, want) {
				t.Fatalf("read from %d = %q, want %q", from, got, want)
			}
		}
	}
	for _, size := range []int64{16, 8, 64} {
		b = b.resized(size)
		if got, want := b.read(nil, b.first), stream[b.first-101:]; !bytes.Equal(got, want) || int64(len(got)) != min(size, b.hist) {
			t.Fatalf("resized to %d: %q, want %q", size, got, want)
		}
	}
}

// TestCopyRDBEOFMark: an EOF-framed RDB is cut at its mark however the
// bytes arrive, the mark split across reads included.
func TestCopyRDBEOFMark(t *testing.T) {
	mark := []byte("0123456789abcdef0123456789abcdef01234567")
	payload := bytes.Repeat([]byte("REDIS0010 payload "), 20)
	for _, chunk := range []int{1, 7, 39, 40, 41, 100, 1 << 20} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			go func() {
				all := append(append([]byte(nil), payload...), mark...)
				for len(all) > 0 {
					n := min(chunk, len(all))
					if _, err := b.Write(all[:n]); err != nil {
						return
					}
					all = all[n:]
				}
			}()
			s := &Server{}
			lr := &linkReader{conn: a, r: bufio.NewReader(a), timeout: 5 * time.Second}
			var got bytes.Buffer
			if err := s.copyRDB(&masterLink{}, lr, &got, -1, mark); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), payload) {
				t.Fatalf("got %d bytes, want the %d of the payload", got.Len(), len(payload))
			}
		})
	}
}

// TestLoadingReplies: while a replica loads its primary's snapshot, the
// commands Redis refuses while loading get -LOADING, even while a step of
// the load holds the server lock, QUIT still closes, and the commands
// Redis allows (INFO, ECHO, MULTI...) run. What Redis refuses before its
// loading check (an unknown command, a wrong arity, an unauthenticated
// client) gets Redis's reply, waiting for the lock if need be, and the
// refusals made without the lock show in INFO.
func TestLoadingReplies(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	fc := h.client(1)
	const loading = "-LOADING Redis is loading the dataset in memory\r\n"
	h.srv.loading.Store(true)
	// A step holds the lock.
	h.srv.mu.Lock()
	_, _, closeConn := fc.sess.Data([]byte("PING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nQU"))
	if got, want := string(fc.buf), loading+loading; got != want || closeConn {
		t.Fatalf("while loading: %q (close %v), want %q", got, closeConn, want)
	}
	fc.buf = nil
	consumed, _, closeConn := fc.sess.Data([]byte("*1\r\n$4\r\nQUIT\r\n"))
	if string(fc.buf) != "+OK\r\n" || !closeConn || consumed != 14 {
		t.Fatalf("QUIT while loading: %q, close %v, consumed %d", fc.buf, closeConn, consumed)
	}
	// What the lock-free answer cannot judge waits for the step to end:
	// a connection accepted during the load (admitted, and perhaps
	// authenticated, under the lock), an unknown command, a wrong arity.
	fc2 := h.client(2)
	fc4 := h.client(4)
	h.srv.mu.Unlock()
	fc4.do(t, "CLIENT SETNAME four") // admitted now, between steps
	h.srv.mu.Lock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fc2.sess.Data([]byte("PING\r\n"))
		fc4.sess.Data([]byte("GET a\r\nNOSUCH x\r\nGET\r\nGET b\r\n"))
	}()
	select {
	case <-done:
		t.Fatal("a command that needs the lock did not wait for the step")
	case <-time.After(50 * time.Millisecond):
	}
	h.srv.mu.Unlock()
	<-done
	if got := fc2.pending(t, ordered); len(got) != 1 || !strings.Contains(got[0], "LOADING") {
		t.Fatalf("a client accepted while loading: %v", got)
	}
	h.srv.mu.Lock()
	_, registered := h.srv.clients[fc2.sess.id]
	h.srv.mu.Unlock()
	if !registered {
		t.Fatal("a client accepted while loading was not admitted at its first command")
	}
	want := []string{"(error) LOADING Redis is loading the dataset in memory",
		"(error) ERR unknown command 'NOSUCH', with args beginning with: 'x' ",
		"(error) ERR wrong number of arguments for 'get' command",
		"(error) LOADING Redis is loading the dataset in memory"}
	if got := fc4.pending(t, ordered); !slices.Equal(got, want) {
		t.Fatalf("refusals before the loading check:\n got %q\nwant %q", got, want)
	}
	// Commands Redis allows while loading run (between the load's steps),
	// in order with the refusals around them; a transaction that queued a
	// refused command aborts.
	fc3 := h.client(3)
	fc3.buf = nil
	if consumed, _, _ := fc3.sess.Data([]byte("PING\r\nECHO hi\r\nGET a\r\nECHO there\r\n")); consumed != 34 {
		t.Fatalf("a pipeline while loading consumed %d of 34 bytes", consumed)
	}
	if got, want := string(fc3.buf), loading+"$2\r\nhi\r\n"+loading+"$5\r\nthere\r\n"; got != want {
		t.Fatalf("a pipeline while loading: %q, want %q", got, want)
	}
	fc3.buf = nil
	for _, tc := range []struct{ cmd, want string }{
		{"MULTI", "OK"},
		{"ECHO x", "QUEUED"},
		{"GET a", "LOADING"},
		{"EXEC", "EXECABORT"},
		{"INFO persistence", "loading:1"},
		{"SET a 1", "LOADING"},
		// GETs: two refused without the lock, four with it (one for
		// its arity); PINGs: one without, two with.
		{"INFO commandstats", "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=6,failed_calls=0"},
		{"INFO commandstats", "cmdstat_ping:calls=0,usec=0,usec_per_call=0.00,rejected_calls=3,failed_calls=0"},
		{"INFO errorstats", "errorstat_LOADING:count=9"},
	} {
		if got := fc3.do(t, tc.cmd); len(got) != 1 || !strings.Contains(got[0], tc.want) {
			t.Fatalf("%v while loading: %v, want %q", tc.cmd, got, tc.want)
		}
	}
	// NOAUTH comes before LOADING, as in Redis.
	fc3.do(t, "CONFIG SET requirepass secret")
	fc5 := h.client(5)
	if got := fc5.do(t, "GET a"); len(got) != 1 || !strings.Contains(got[0], "NOAUTH") {
		t.Fatalf("an unauthenticated client while loading: %v", got)
	}
	h.srv.loading.Store(false)
	if got := fc5.do(t, "AUTH secret"); len(got) != 1 || got[0] != "OK" {
		t.Fatalf("after loading: %v", got)
	}
}

// TestReplicaKeepalive: an empty line from a replica (what a loading
// replica sends once a second) counts as a sign of life, without a reply;
// from another client it is ignored as well.
func TestReplicaKeepalive(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	fc := h.client(1)
	old := time.Now().Add(-time.Hour)
	fc.sess.repl = &replicaLink{ackTime: old}
	if consumed, _, closeConn := fc.sess.Data([]byte("\n")); consumed != 1 || closeConn {
		t.Fatalf("keepalive: consumed %d, close %v", consumed, closeConn)
	}
	if len(fc.buf) != 0 {
		t.Fatalf("keepalive answered %q", fc.buf)
	}
	if !fc.sess.repl.ackTime.After(old) {
		t.Fatal("the keepalive did not refresh the replica's ack time")
	}
}
