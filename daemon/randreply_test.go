package daemon

import (
	"strings"
	"testing"
	"time"
)

// TestRepeatedRandomReplyIsBounded: SRANDMEMBER, HRANDFIELD and ZRANDMEMBER
// with a huge negative count ask for any number of elements. With no output
// limit configured (the default for normal clients) the reply stops at
// maxRepeatedReply and the client is closed; Redis 7.0 and, before this,
// Redoubt ran out of memory and were killed. Under CLIENT REPLY OFF they
// return at once, as nothing would be sent. Other clients are served after.
func TestRepeatedRandomReplyIsBounded(t *testing.T) {
	defer func(n int) { maxRepeatedReply = n }(maxRepeatedReply)
	maxRepeatedReply = 1 << 20
	h := newHarness(t)
	defer h.close()
	setup := h.client(1)
	for _, line := range []string{"SADD s a", "HSET h f v", "ZADD z 1 m"} {
		setup.do(t, line)
	}
	for _, cmd := range []string{
		"SRANDMEMBER s -9223372036854775807",
		"HRANDFIELD h -9223372036854775807",
		"HRANDFIELD h -4611686018427387903 WITHVALUES",
		"ZRANDMEMBER z -9223372036854775807",
		"ZRANDMEMBER z -4611686018427387903 WITHSCORES",
	} {
		t.Run(cmd, func(t *testing.T) {
			fc := h.client(2)
			if !closingWithin(t, fc, cmd, "") {
				t.Fatal("client not closed")
			}
			fc.mu.Lock()
			n := len(fc.buf)
			fc.mu.Unlock()
			if n > 2*maxRepeatedReply {
				t.Fatalf("%d bytes written", n)
			}
			fc.sess.Closed(nil)
			delete(h.clients, 2)

			quiet := h.client(3)
			quiet.do(t, "CLIENT REPLY OFF")
			closingWithin(t, quiet, cmd, "CLIENT REPLY OFF: ")
			if got := quiet.do(t, "CLIENT REPLY ON"); len(got) != 1 || got[0] != "OK" {
				t.Fatalf("CLIENT REPLY ON: %q", got)
			}
			if got := setup.do(t, "PING"); len(got) != 1 || got[0] != "PONG" {
				t.Fatalf("PING after: %q", got)
			}
		})
	}
}

// closingWithin feeds cmd to fc and fails the test if it has not returned
// within 20 s; it reports whether fc is being closed.
func closingWithin(t *testing.T, fc *fakeClient, cmd, what string) bool {
	t.Helper()
	done := make(chan bool, 1)
	go func() {
		_, _, closeConn := fc.sess.Data(encodeCommand(fields(cmd)))
		done <- closeConn || fc.sess.closeASAP
	}()
	select {
	case closed := <-done:
		return closed
	case <-time.After(20 * time.Second):
		t.Fatal(what + "still drawing after 20 s")
		return false
	}
}

func fields(line string) [][]byte {
	var argv [][]byte
	for _, f := range strings.Fields(line) {
		argv = append(argv, []byte(f))
	}
	return argv
}
