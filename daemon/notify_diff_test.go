package daemon

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNotificationsDifferential runs random string, key and collection
// commands on Redoubt and on a real Redis with every keyspace and keyevent
// notification class on, and compares the notifications each command
// publishes (names, order, channels), not only the replies.
func TestNotificationsDifferential(t *testing.T) {
	n := diffCount(4000)
	redis := needDiffRedis(t)
	h := newHarness(t)
	defer h.close()
	const flags = "KEAnm"
	for _, line := range append(collDiffConfig, "CONFIG SET notify-keyspace-events "+flags) {
		h.client(1).do(t, line)
	}
	redis.do(t, []string{"CONFIG", "SET", "notify-keyspace-events", flags}, ordered)
	sub := h.client(2)
	sub.do(t, "PSUBSCRIBE __key*__:*")
	rsub := redis.another(t)
	rsub.send(t, "PSUBSCRIBE", "__key*__:*")
	rsub.read(t)
	rsub.send(t, "SUBSCRIBE", "sync")
	rsub.read(t)

	seed := diffSeedFromEnv()
	r := rand.New(rand.NewSource(seed))
	var history []string
	for i := 0; i < n; i++ {
		var cmd []string
		switch r.Intn(3) {
		case 0:
			cmd, _ = collDiffCommand(r)
		case 1:
			cmd, _ = cargsCommand(r)
		default:
			cmd = kdiffCommand(r)
		}
		line := quoteLine(cmd)
		history = append(history, line)
		h.clock = time.Now().UnixMilli()
		got := strings.Join(h.client(1).do(t, line, unordered), "\n")
		if cargsIncomparable(cmd, "", "") {
			// SCAN pages: see cargsIncomparable.
			got = ""
		}
		h.loop.run()
		gotEvents := strings.Join(sub.pending(t, ordered), "\n")
		want := redis.do(t, cmd, unordered)
		if cargsIncomparable(cmd, "", "") {
			want = ""
		}
		// A message on another channel after the command marks the end
		// of what the command published.
		redis.do(t, []string{"PUBLISH", "sync", strconv.Itoa(i)}, ordered)
		var events []string
		for {
			m := rsub.read(t)
			if strings.HasPrefix(m, `["message" "sync"`) {
				break
			}
			events = append(events, m)
		}
		wantEvents := strings.Join(events, "\n")
		if (want != got && !kdiffSameTime(cmd[0], want, got)) || wantEvents != gotEvents {
			t.Fatalf("seed %d: %s\nredis:   %s\n%s\nredoubt: %s\n%s\nlast commands:\n%s", seed, line, want, wantEvents, got, gotEvents, lastLines(history, 20))
		}
	}
}
