package daemon

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTwoClientsDifferential compares what two clients see when they
// interact: blocking pops served by the other client's pushes (in which
// order, with which values, and what remains), MULTI/EXEC and WATCH
// invalidated (or not) by the other client's writes. Client B blocks
// with timeout 0 only, so nothing depends on time; A's commands run while
// B waits.
func TestTwoClientsDifferential(t *testing.T) {
	n := diffCount(3200)
	redis := needDiffRedis(t)
	h := newHarness(t)
	defer h.close()
	for _, line := range collDiffConfig {
		h.client(1).do(t, line)
	}
	ra, rb := redis, redis.another(t)
	rc := redis.another(t) // watches Redis's blocked clients; A may be in MULTI
	a, b := h.client(1), h.client(2)
	seed := diffSeedFromEnv()
	r := rand.New(rand.NewSource(seed))
	var history []string
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: "+format+"\nlast commands:\n%s", append(append([]any{seed}, args...), lastLines(history, 30))...)
	}
	bBlocked := false
	for i := 0; i < n; i++ {
		fromB := !bBlocked && r.Intn(3) == 0
		var cmd []string
		if fromB {
			cmd = twoDiffB(r)
		} else {
			cmd = twoDiffA(r)
		}
		line := quoteLine(cmd)
		who := "A"
		if fromB {
			who = "B"
		}
		history = append(history, who+": "+line)
		h.clock = time.Now().UnixMilli()

		if fromB {
			got := b.do(t, line)
			rb.send(t, cmd...)
			if len(got) == 0 {
				// Blocked here. A's next command must reach Redis after
				// B's has: wait until Redis counts B as blocked (B and A
				// are different connections, read in any order).
				bBlocked = true
				for deadline := time.Now().Add(3 * time.Second); ; {
					if info := rc.do(t, []string{"INFO", "clients"}, ordered); strings.Contains(info, "blocked_clients:1") {
						break
					}
					if time.Now().After(deadline) {
						fail("B %s blocks on Redoubt; Redis answered %s", line, rb.read(t))
					}
					time.Sleep(time.Millisecond)
				}
				continue
			}
			if want := rb.read(t); want != got[0] {
				fail("B %s\nredis:   %s\nredoubt: %s", line, want, got[0])
			}
			continue
		}
		got := a.do(t, line)
		h.loop.run()
		gotB := b.pending(t, ordered)
		want := ra.do(t, cmd, ordered)
		if len(got) != 1 || want != got[0] {
			fail("A %s\nredis:   %s\nredoubt: %q", line, want, got)
		}
		if len(gotB) > 0 {
			if !bBlocked {
				fail("B got %q while not waiting", gotB)
			}
			bBlocked = false
			if wantB := rb.read(t); wantB != gotB[0] {
				fail("B served by A's %s\nredis:   %s\nredoubt: %s", line, wantB, gotB[0])
			}
		}
	}
}

func twoDiffKey(r *rand.Rand) string { return []string{"a", "b", "c", "d"}[r.Intn(4)] }

// twoDiffA draws a command for client A: pushes and adds that may serve
// B, moves, deletes, type changes, and transactions.
func twoDiffA(r *rand.Rand) []string {
	k, k2 := twoDiffKey(r), twoDiffKey(r)
	m := "m" + strconv.Itoa(r.Intn(9))
	switch r.Intn(17) {
	case 0, 1:
		return []string{"LPUSH", k, m, "m" + strconv.Itoa(r.Intn(9))}
	case 2:
		return []string{"RPUSH", k, m}
	case 3, 4:
		return []string{"ZADD", k, strconv.Itoa(r.Intn(5)), m, strconv.Itoa(r.Intn(5)), "n" + strconv.Itoa(r.Intn(5))}
	case 5:
		return []string{"DEL", k}
	case 6:
		return []string{"SET", k, m}
	case 7:
		return []string{"LMOVE", k, k2, []string{"LEFT", "RIGHT"}[r.Intn(2)], []string{"LEFT", "RIGHT"}[r.Intn(2)]}
	case 8:
		return []string{"RENAME", k, k2}
	case 9:
		return []string{"LRANGE", k, "0", "-1"}
	case 10:
		return []string{"ZRANGE", k, "0", "-1", "WITHSCORES"}
	case 11:
		return []string{"MULTI"}
	case 12:
		return []string{"EXEC"}
	case 13:
		return []string{"LPUSH", k, m}
	// Redis 7.0 wakes no waiter when a STORE overwrites a key that
	// exists (setKey takes dbOverwrite, which does not signal the key as
	// ready); Redoubt wakes it. The STOREs write to e, which nobody
	// waits on, and RENAME (which Redis does signal) moves e in.
	case 14:
		return []string{"ZUNIONSTORE", "e", "2", k, k2}
	case 15:
		return []string{"SORT", k, "ALPHA", "STORE", "e"}
	default:
		return []string{"RENAME", "e", k}
	}
}

// twoDiffB draws a command for client B: blocking pops (timeout 0) and
// WATCH/MULTI/EXEC, whose EXEC sees what A did meanwhile.
func twoDiffB(r *rand.Rand) []string {
	k, k2 := twoDiffKey(r), twoDiffKey(r)
	switch r.Intn(12) {
	case 0, 1:
		return []string{"BLPOP", k, k2, "0"}
	case 2:
		return []string{"BRPOP", k, "0"}
	case 3:
		return []string{"BLMOVE", k, k2, []string{"LEFT", "RIGHT"}[r.Intn(2)], []string{"LEFT", "RIGHT"}[r.Intn(2)], "0"}
	case 4:
		return []string{"BLMPOP", "0", "2", k, k2, []string{"LEFT", "RIGHT"}[r.Intn(2)], "COUNT", strconv.Itoa(r.Intn(3) + 1)}
	case 5, 6:
		return []string{[]string{"BZPOPMIN", "BZPOPMAX"}[r.Intn(2)], k, k2, "0"}
	case 7:
		return []string{"BZMPOP", "0", "2", k, k2, []string{"MIN", "MAX"}[r.Intn(2)], "COUNT", strconv.Itoa(r.Intn(3) + 1)}
	case 8:
		return []string{"WATCH", k}
	case 9:
		return []string{"MULTI"}
	case 10:
		return []string{"EXEC"}
	default:
		return []string{"LPUSH", k, "b" + strconv.Itoa(r.Intn(3))}
	}
}
