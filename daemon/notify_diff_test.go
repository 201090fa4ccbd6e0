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
	nd := newNotifyDiff(t, diffCount(4000))
	for i := 0; i < nd.n; i++ {
		var cmd []string
		switch nd.r.Intn(3) {
		case 0:
			cmd, _ = collDiffCommand(nd.r)
		case 1:
			cmd, _ = cargsCommand(nd.r)
		default:
			cmd = kdiffCommand(nd.r)
		}
		nd.h.clock = time.Now().UnixMilli()
		got, gotEvents, want, wantEvents := nd.step(i, cmd, unordered)
		if cargsIncomparable(cmd, "", "") {
			// SCAN pages: see cargsIncomparable.
			got, want = "", ""
		}
		if (want != got && !kdiffSameTime(cmd[0], want, got)) || wantEvents != gotEvents {
			nd.fail(want, wantEvents, got, gotEvents)
		}
	}
}

// notifyDiff runs commands on a Redoubt harness and a real Redis with
// every keyspace and keyevent notification on, a subscriber to all of
// them on each side, for tests that compare replies and notifications.
type notifyDiff struct {
	t       *testing.T
	n       int
	h       *harness
	sub     *fakeClient
	redis   *diffRedis
	rsub    *diffRedis
	seed    int64
	r       *rand.Rand
	history []string
}

func newNotifyDiff(t *testing.T, n int) *notifyDiff {
	redis := needDiffRedis(t)
	h := newHarness(t)
	t.Cleanup(h.close)
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
	return &notifyDiff{t: t, n: n, h: h, sub: sub, redis: redis, rsub: rsub, seed: seed, r: rand.New(rand.NewSource(seed))}
}

// step runs the i-th command, cmd, on both sides and returns each side's
// reply and the notifications it published, one per line.
func (nd *notifyDiff) step(i int, cmd []string, order replyOrder) (got, gotEvents, want, wantEvents string) {
	t := nd.t
	line := quoteLine(cmd)
	nd.history = append(nd.history, line)
	got = strings.Join(nd.h.client(1).do(t, line, order), "\n")
	nd.h.loop.run()
	gotEvents = strings.Join(nd.sub.pending(t, ordered), "\n")
	want = nd.redis.do(t, cmd, order)
	// A message on another channel after the command marks the end of
	// what the command published.
	nd.redis.do(t, []string{"PUBLISH", "sync", strconv.Itoa(i)}, ordered)
	var events []string
	for {
		m := nd.rsub.read(t)
		if strings.HasPrefix(m, `["message" "sync"`) {
			break
		}
		events = append(events, m)
	}
	return got, gotEvents, want, strings.Join(events, "\n")
}

// fail stops the test with both sides' reply and notifications and the
// commands that led there.
func (nd *notifyDiff) fail(want, wantEvents, got, gotEvents string) {
	nd.t.Helper()
	nd.t.Fatalf("seed %d: %s\nredis:   %s\n%s\nredoubt: %s\n%s\nlast commands:\n%s", nd.seed, nd.history[len(nd.history)-1], want, wantEvents, got, gotEvents, lastLines(nd.history, 20))
}
