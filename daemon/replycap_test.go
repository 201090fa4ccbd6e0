package daemon

import (
	"fmt"
	"strings"
	"testing"
)

// TestReplyPastMemoryCap: once the replies of one read grow past maxReply
// (an eighth of the memory available; 1 MB here) they are dropped, none
// sent in part, and the client is closed, as for an output limit; other
// clients are served after. Without the cap, KEYS * or HGETALL on a
// key bigger than memory grew the process until the OOM killer ended it.
// cappedHarness is a harness whose reply cap (and its floor) is capBytes.
func cappedHarness(t *testing.T, capBytes int64) *harness {
	t.Helper()
	floor := replyCapFloor
	t.Cleanup(func() { replyCapFloor = floor })
	replyCapFloor = capBytes
	h := newHarness(t)
	t.Cleanup(h.close)
	h.srv.maxReply.Store(capBytes)
	return h
}

func TestReplyPastMemoryCap(t *testing.T) {
	h := cappedHarness(t, 1<<20)
	setup := h.client(1)
	value := strings.Repeat("v", 100)
	for i := range 200 {
		line := "HSET h"
		for j := range 100 {
			line += fmt.Sprintf(" f%d-%d %s", i, j, value)
		}
		setup.do(t, line)
	}
	if got := setup.do(t, "HLEN h"); len(got) != 1 || got[0] != "(integer) 20000" {
		t.Fatalf("HLEN: %q", got)
	}

	// One read: a small reply, then a 2.5 MB one.
	fc := h.client(2)
	req := append(encodeCommand(fields("HGET h f0-0")), encodeCommand(fields("HGETALL h"))...)
	_, _, closeConn := fc.sess.Data(req)
	if !closeConn {
		t.Fatal("client not closed")
	}
	fc.mu.Lock()
	sent := string(fc.buf)
	fc.mu.Unlock()
	if sent != "" {
		t.Fatalf("sent %d bytes (%.40q...), want nothing", len(sent), sent)
	}
	fc.sess.Closed(nil)
	delete(h.clients, 2)

	// The cap is about one read's replies: under it, HGETALL works.
	h.srv.maxReply.Store(8 << 20)
	if got := h.client(3).do(t, "HGETALL h"); len(got) != 1 || !strings.HasPrefix(got[0], "[") {
		t.Fatalf("HGETALL under the cap: %d replies", len(got))
	}
	if got := h.client(4).do(t, "PING"); len(got) != 1 || got[0] != "PONG" {
		t.Fatalf("PING after: %q", got)
	}
}

// TestReplyCapFromMemory: the cap follows the memory available, never
// below the floor.
func TestReplyCapFromMemory(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	avail, ok := availableMemory()
	got := h.srv.maxReply.Load()
	switch {
	case !ok:
		if got <= 1<<62 {
			t.Errorf("memory unknown, cap %d, want none", got)
		}
	case got > max(int64(avail/8), replyCapFloor)*2:
		t.Errorf("cap %d with %d bytes available", got, avail)
	case got < replyCapFloor:
		t.Errorf("cap %d below the floor %d", got, replyCapFloor)
	}
}

// TestRepeatedReplyStopsAtMemoryCap: where the memory cap is below
// maxRepeatedReply (a small container), the random-member commands with a
// huge negative count must stop drawing once the cap dropped their reply,
// not draw 9.2e18 elements into the scratch buffer.
func TestRepeatedReplyStopsAtMemoryCap(t *testing.T) {
	h := cappedHarness(t, 1<<20)
	h.client(1).do(t, "SADD s a")
	if !closingWithin(t, h.client(2), "SRANDMEMBER s -9223372036854775807", "") {
		t.Fatal("client not closed")
	}
}
