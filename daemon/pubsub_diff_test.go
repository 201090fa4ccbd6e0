package daemon

import (
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestPubSubDifferential compares Pub/Sub between two clients with a real
// redis-server: B subscribes and unsubscribes to channels, patterns and
// shard channels, and tries other commands in subscriber mode; A publishes
// and asks PUBSUB. Every reply and every message B receives is compared.
// Odd seeds run B in RESP3, where messages are pushes and any command is
// allowed.
func TestPubSubDifferential(t *testing.T) {
	n := diffCount(2500)
	redis := needDiffRedis(t)
	h := newHarness(t)
	defer h.close()
	ra, rb := redis, redis.another(t)
	a, b := h.client(1), h.client(2)
	seed := diffSeedFromEnv()
	if seed%2 != 0 {
		t.Logf("seed %d: B speaks RESP3", seed)
		b.do(t, "HELLO 3")
		rb.send(t, "HELLO", "3")
		rb.read(t)
	}
	r := rand.New(rand.NewSource(seed))
	var history []string
	for i := 0; i < n; i++ {
		fromB := r.Intn(2) == 0
		var cmd []string
		if fromB {
			cmd = psDiffB(r)
		} else {
			cmd = psDiffA(r)
		}
		line := quoteLine(cmd)
		who := map[bool]string{true: "B", false: "A"}[fromB]
		history = append(history, who+": "+line)
		var got, gotB []string
		if fromB {
			gotB = b.do(t, line)
			rb.send(t, cmd...)
		} else {
			got = a.do(t, line, unordered)
			h.loop.run()
			gotB = b.pending(t, ordered)
			want := ra.do(t, cmd, unordered)
			if len(got) != 1 || want != got[0] {
				t.Fatalf("seed %d: A %s\nredis:   %s\nredoubt: %q\nlast commands:\n%s", seed, line, want, got, lastLines(history, 30))
			}
		}
		// B's replies and messages: as many as Redoubt sent (an extra
		// one from Redis shows up as a difference at the next read).
		wantB := make([]string, len(gotB))
		for j := range wantB {
			wantB[j] = rb.read(t)
		}
		if fromB && len(cmd) == 1 && strings.HasSuffix(strings.ToUpper(cmd[0]), "UNSUBSCRIBE") {
			// One reply per channel, in the order of Redis's dict, each
			// with the count left after it: compare channels and counts
			// as sets.
			wantB, gotB = psDiffUnordered(wantB), psDiffUnordered(gotB)
		}
		if !fromB && strings.EqualFold(cmd[0], "PUBLISH") {
			// The channel's message comes first; then one per matching
			// pattern, in the order of Redis's pattern dict. (Sorting
			// keeps "message" ahead of "pmessage".)
			sort.Strings(wantB)
			sort.Strings(gotB)
		}
		if strings.Join(wantB, "\n") != strings.Join(gotB, "\n") {
			t.Fatalf("seed %d: %s %s\nB from redis:   %q\nB from redoubt: %q\nlast commands:\n%s", seed, who, line, wantB, gotB, lastLines(history, 30))
		}
	}
}

// psDiffUnordered splits unsubscribe replies into the channels (sorted)
// and the counts (sorted).
func psDiffUnordered(replies []string) []string {
	var names, counts []string
	for _, r := range replies {
		i := strings.LastIndex(r, "(integer) ")
		if i < 0 {
			names = append(names, r)
			continue
		}
		names = append(names, r[:i])
		counts = append(counts, r[i:])
	}
	sort.Strings(names)
	sort.Strings(counts)
	return append(names, counts...)
}

func psDiffChannel(r *rand.Rand) string {
	return []string{"ch1", "ch2", "news.a", "news.b", "x"}[r.Intn(5)]
}

func psDiffPattern(r *rand.Rand) string {
	return []string{"news.*", "ch?", "*", "[cx]*", "nomatch"}[r.Intn(5)]
}

// psDiffB draws a command for the subscriber.
func psDiffB(r *rand.Rand) []string {
	c := psDiffChannel
	switch r.Intn(14) {
	case 0, 1:
		return []string{"SUBSCRIBE", c(r), c(r)}
	case 2:
		return []string{"UNSUBSCRIBE", c(r)}
	case 3:
		return []string{"UNSUBSCRIBE"}
	case 4, 5:
		return []string{"PSUBSCRIBE", psDiffPattern(r)}
	case 6:
		return []string{"PUNSUBSCRIBE", psDiffPattern(r)}
	case 7:
		return []string{"PUNSUBSCRIBE"}
	case 8:
		return []string{"SSUBSCRIBE", c(r)}
	case 9:
		return []string{"SUNSUBSCRIBE"}
	case 10:
		return []string{"PING"}
	case 11:
		return []string{"PING", "hi"}
	case 12:
		return []string{"GET", "k"}
	default:
		return []string{"SUNSUBSCRIBE", c(r)}
	}
}

// psDiffA draws a command for the publisher.
func psDiffA(r *rand.Rand) []string {
	c := psDiffChannel
	switch r.Intn(9) {
	case 0, 1, 2:
		return []string{"PUBLISH", c(r), "m" + strconv.Itoa(r.Intn(100))}
	case 3:
		return []string{"SPUBLISH", c(r), "s" + strconv.Itoa(r.Intn(100))}
	case 4:
		return []string{"PUBSUB", "NUMSUB", c(r), c(r)}
	case 5:
		return []string{"PUBSUB", "NUMPAT"}
	case 6:
		return []string{"PUBSUB", "CHANNELS", []string{"*", "news.*", "ch?"}[r.Intn(3)]}
	case 7:
		return []string{"PUBSUB", "SHARDNUMSUB", c(r)}
	default:
		return []string{"PUBSUB", "SHARDCHANNELS"}
	}
}
