package daemon

import (
	"strings"
	"testing"
)

// Every write calls notifyLocked, so with notifications off (or its class
// not enabled) it must not allocate, and SET must cost what it costs
// without any notification support.
func TestNotifyOffAllocatesNothing(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	s := h.srv
	key := []byte("key")
	for _, flags := range []string{`""`, "Kh", "Eg", "KEAm"} {
		h.client(1).do(t, "CONFIG SET notify-keyspace-events "+flags)
		s.mu.Lock()
		allocs := testing.AllocsPerRun(100, func() { s.notifyLocked(notifyString, "set", 0, key) })
		s.mu.Unlock()
		if allocs != 0 {
			t.Errorf("flags %q: notifyLocked allocated %v times", flags, allocs)
		}
	}

	// SET costs as much with notifications off as with only another class
	// enabled; with its class on, the subscriber gets every notification
	// (so the SETs measured really ran the notification path).
	setAllocs := func(flags string) float64 {
		fc := h.client(1)
		fc.do(t, "CONFIG SET notify-keyspace-events "+flags)
		req := encodeCommand([][]byte{[]byte("SET"), key, []byte("value")})
		return testing.AllocsPerRun(200, func() {
			fc.sess.Data(req)
			fc.mu.Lock()
			fc.buf = fc.buf[:0]
			fc.mu.Unlock()
		})
	}
	off, other := setAllocs(`""`), setAllocs("Kh")
	sub := h.client(2)
	sub.do(t, "PSUBSCRIBE *")
	setAllocs("K$")
	h.loop.run()
	if off != other {
		t.Errorf("SET allocates %v times with notifications off, %v with another class on", off, other)
	}
	// AllocsPerRun runs the function once more than it counts.
	if n := len(sub.pending(t, ordered)); n != 201 {
		t.Errorf("the subscriber got %d notifications for 201 SETs", n)
	}
}

// The active expiry cycle publishes 'expired' as lazy expiry does.
func TestNotifyActiveExpiry(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	sub := h.client(2)
	sub.do(t, "PSUBSCRIBE __keyevent@*__:*")
	h.client(1).do(t, "CONFIG SET notify-keyspace-events Ex")
	h.client(1).do(t, "SELECT 2")
	h.client(1).do(t, "SET k v PX 100")
	h.client(1).do(t, "RPUSH l a")
	h.client(1).do(t, "PEXPIRE l 50")
	h.clock += 1000
	h.srv.mu.Lock()
	h.srv.ks.settle() // the sweep reads the store, not the write buffer
	h.srv.mu.Unlock()
	h.srv.activeExpireCycle()
	h.loop.run()
	got := strings.Join(sub.pending(t, ordered), "\n")
	want := `["pmessage" "__keyevent@*__:*" "__keyevent@2__:expired" "l"]` + "\n" +
		`["pmessage" "__keyevent@*__:*" "__keyevent@2__:expired" "k"]`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if n := h.srv.ks.DBSize(2); n != 0 {
		t.Errorf("DBSIZE %d after the cycle", n)
	}
}

// 'new' is published only when a key that did not exist is written, not
// when a STORE command replaces its destination.
func TestNotifyNewOnlyForNewKeys(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	sub := h.client(2)
	sub.do(t, "SUBSCRIBE __keyevent@0__:new")
	c := h.client(1)
	c.do(t, "CONFIG SET notify-keyspace-events En")
	for _, line := range []string{"SET a 1", "SET a 2", "SADD s x", "SUNIONSTORE a s", "SUNIONSTORE b s", "HSET a f v"} {
		c.do(t, line)
	}
	h.loop.run()
	got := strings.Join(sub.pending(t, ordered), "\n")
	want := `["message" "__keyevent@0__:new" "a"]` + "\n" +
		`["message" "__keyevent@0__:new" "s"]` + "\n" +
		`["message" "__keyevent@0__:new" "b"]`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
