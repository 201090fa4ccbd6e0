package daemon

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// CLIENT UNBLOCK, INFO's blocked_clients and CLIENT LIST's flag, and a
// blocked client that disconnects.
func TestBlockingUnblockAndDisconnect(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	w := h.client(1)
	other := h.client(2)
	id := strings.TrimPrefix(w.do(t, "CLIENT ID")[0], "(integer) ")
	w.do(t, "BLPOP k1 k2 0")
	info := strings.Join(other.do(t, "INFO clients"), "\n")
	if !strings.Contains(info, "blocked_clients:1") || !strings.Contains(info, "clients_in_timeout_table:0") {
		t.Fatalf("INFO clients while blocked:\n%s", info)
	}
	list := strings.Join(other.do(t, "CLIENT LIST ID "+id), "\n")
	if !strings.Contains(list, " flags=b ") {
		t.Fatalf("CLIENT LIST of a blocked client: %s", list)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"CLIENT UNBLOCK " + id + " MAYBE", "(error) ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"},
		{"CLIENT UNBLOCK x", "(error) ERR value is not an integer or out of range"},
		{"CLIENT UNBLOCK 999999", "(integer) 0"},
		{"CLIENT UNBLOCK " + id, "(integer) 1"},
		{"CLIENT UNBLOCK " + id, "(integer) 0"},
	} {
		if got := other.do(t, tc.cmd); len(got) != 1 || got[0] != tc.want {
			t.Fatalf("%s = %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if got := w.pending(t, ordered); strings.Join(got, ",") != "(nil)" {
		t.Fatalf("unblocked by TIMEOUT: %q", got)
	}
	// The client reads commands again.
	if got := w.do(t, "PING"); got[0] != "PONG" {
		t.Fatalf("PING after unblock = %q", got)
	}
	w.do(t, "BRPOP k1 100")
	other.do(t, "CLIENT UNBLOCK "+id+" ERROR")
	if got := w.pending(t, ordered); strings.Join(got, ",") != "(error) UNBLOCKED client unblocked via CLIENT UNBLOCK" {
		t.Fatalf("unblocked by ERROR: %q", got)
	}
	info = strings.Join(other.do(t, "INFO clients"), "\n")
	if !strings.Contains(info, "blocked_clients:0") {
		t.Fatalf("INFO clients after unblock:\n%s", info)
	}
	// A blocked client that goes away is forgotten: the push stays.
	w.do(t, "BLPOP gone 0")
	w.sess.Closed(nil)
	delete(h.clients, 1)
	if got := other.do(t, "RPUSH gone v"); got[0] != "(integer) 1" {
		t.Fatalf("RPUSH = %q", got)
	}
	if got := other.do(t, "LLEN gone"); got[0] != "(integer) 1" {
		t.Fatalf("LLEN after the waiter left = %q", got)
	}
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	if len(h.srv.waiters) != 0 || len(h.srv.blocked) != 0 {
		t.Fatalf("waiters left: %d keys, %d clients", len(h.srv.waiters), len(h.srv.blocked))
	}
}

func TestParseBlockTimeout(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1).sess
	for _, tc := range []struct {
		arg    string
		ms     int64
		errMsg string
	}{
		{"0", 0, ""},
		{"1", 1000, ""},
		{"0.0001", 1, ""}, // rounded up, as Redis does
		{"1.5", 1500, ""},
		{"-0.0001", 0, ""}, // rounds up to 0: forever, as in Redis
		{"-1", 0, "timeout is negative"},
		{"inf", 0, "timeout is negative"},
		{"1e300", 0, "timeout is negative"},
		{"x", 0, "timeout is not a float or out of range"},
		{"", 0, "timeout is not a float or out of range"},
		{"nan", 0, "timeout is not a float or out of range"},
		{strconv.FormatInt(9223372036854775, 10), 9223372036854, ""}, // Redis 7.0 has no range check
	} {
		h.srv.mu.Lock()
		c.out = c.out[:0]
		d, ok := parseBlockTimeout(c, []byte(tc.arg))
		out := string(c.out)
		h.srv.mu.Unlock()
		if tc.errMsg != "" {
			if ok || !strings.Contains(out, tc.errMsg) {
				t.Errorf("%q: ok=%v reply %q, want error %q", tc.arg, ok, out, tc.errMsg)
			}
			continue
		}
		if !ok || d.Milliseconds() != tc.ms {
			t.Errorf("%q: %v ok=%v reply %q, want %d ms", tc.arg, d, ok, out, tc.ms)
		}
	}
}

// TestBlockedCommandStats: as in Redis 7.0 (updateStatsOnUnblock), a
// command that blocks reaches the slow log only when a push serves it or
// CLIENT UNBLOCK ends it, after the command that served it (EXEC here,
// whose SLOWLOG RESET ran before the serve; EXEC itself is never logged),
// and a wait that times out is never logged. CLIENT UNBLOCK counts a
// failed call of the command and logs it with no arguments, as Redis 7.0
// does (it has freed them by then).
func TestBlockedCommandStats(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(t *testing.T, other *fakeClient, id string)
		// the slow log after the wait ended, newest first, and
		// cmdstat_blpop's failed_calls
		want   string
		failed string
	}{
		{"served by a push", func(t *testing.T, other *fakeClient, id string) {
			other.do(t, "LPUSH l foo")
		}, "blpop,lpush", "failed_calls=0"},
		{"served after EXEC", func(t *testing.T, other *fakeClient, id string) {
			other.do(t, "MULTI")
			other.do(t, "LPUSH l foo")
			other.do(t, "SLOWLOG RESET")
			other.do(t, "EXEC")
		}, "blpop", "failed_calls=0"},
		{"CLIENT UNBLOCK", func(t *testing.T, other *fakeClient, id string) {
			other.do(t, "CLIENT UNBLOCK "+id)
		}, "client,-", "failed_calls=1"},
		{"timed out", nil, "", "failed_calls=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			defer h.close()
			w, other := h.client(1), h.client(2)
			other.do(t, "CONFIG SET slowlog-log-slower-than 0")
			id := strings.TrimPrefix(w.do(t, "CLIENT ID")[0], "(integer) ")
			other.do(t, "SLOWLOG RESET")
			timeout := "0"
			if tc.name == "timed out" {
				timeout = "0.05"
			}
			w.do(t, "BLPOP l "+timeout)
			if got := other.reply(t, "SLOWLOG", "GET", "-1"); len(got.Elems) != 1 {
				t.Fatalf("slow log while blocked: %v (want the RESET alone)", got)
			}
			other.do(t, "SLOWLOG RESET")
			if tc.end != nil {
				tc.end(t, other, id)
				w.pending(t, ordered)
			} else {
				// The timer's reply reaches w through the harness loop.
				deadline := time.Now().Add(5 * time.Second)
				for {
					h.loop.run()
					if got := w.pending(t, ordered); len(got) > 0 {
						if got[0] != "(nil)" {
							t.Fatalf("timed-out BLPOP replied %q", got)
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("BLPOP l 0.05 has not timed out after 5 s")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			var names []string
			for _, e := range other.reply(t, "SLOWLOG", "GET", "-1").Elems {
				name := "-" // an entry without arguments
				if args := e.Elems[3].Elems; len(args) > 0 {
					name = strings.ToLower(string(args[0].Str))
				}
				if name != "slowlog" && name != "multi" {
					names = append(names, name)
				}
			}
			if got := strings.Join(names, ","); got != tc.want {
				t.Errorf("slow log = %s, want %s", got, tc.want)
			}
			stats := strings.Join(other.do(t, "INFO commandstats"), "\n")
			if !strings.Contains(stats, "cmdstat_blpop:calls=1,") || !strings.Contains(stats, tc.failed) {
				t.Errorf("commandstats:\n%s", stats)
			}
		})
	}
}
