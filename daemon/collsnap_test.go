package daemon

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

// hasSnapshot reports whether the cache holds a snapshot of key's
// collection (an absent mark counts as none).
func hasSnapshot(h *harness, key string) bool {
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	ks := h.srv.ks
	m, ok := ks.PeekMeta(0, []byte(key))
	if !ok {
		return false
	}
	sk := snapKey(nil, storage.DataPrefixOf(nil, ks.physDB(0), []byte(key), &m))
	_, kind, ok := ks.cache.get(sk, false, 0)
	return ok && kind == rowValue
}

// TestCollSnapshots: a small hash or set read whole is kept as a snapshot,
// which every write to it drops, and reads after the write see it.
func TestCollSnapshots(t *testing.T) {
	big := strings.Repeat("x", rowCacheMaxValue)
	var many []string
	for i := 0; i <= snapMaxMembers; i++ {
		many = append(many, fmt.Sprintf("f%d v", i))
	}
	steps := []struct {
		cmd  string // space-separated, or "+10": the clock moves 10 ms
		key  string // whose snapshot is checked
		want string // the reply, when given
		snap bool   // whether key has a snapshot after cmd
	}{
		{"HSET h a 1 b 2", "h", "", false},
		{"HGETALL h", "h", `["a" "1" "b" "2"]`, true},
		{"HGET h b", "h", `"2"`, true},
		{"HSET h c 3", "h", "(integer) 1", false},
		{"HKEYS h", "h", `["a" "b" "c"]`, true},
		{"HVALS h", "h", `["1" "2" "3"]`, true},
		{"HDEL h a", "h", "(integer) 1", false},
		{"HGETALL h", "h", `["b" "2" "c" "3"]`, true},
		// A transaction that reads, writes and reads again.
		{"MULTI", "h", "", true},
		{"HGETALL h", "h", "", true},
		{"HSET h d 4", "h", "", true},
		{"HGETALL h", "h", "", true},
		{"EXEC", "h", `[["b" "2" "c" "3"] (integer) 1 ["b" "2" "c" "3" "d" "4"]]`, false},
		{"HGETALL h", "h", `["b" "2" "c" "3" "d" "4"]`, true},
		// Renamed: the members stay where they were, and so does the snapshot.
		{"RENAME h h2", "h2", "OK", true},
		{"HGETALL h2", "h2", `["b" "2" "c" "3" "d" "4"]`, true},
		{"DEL h2", "h2", "(integer) 1", false},
		{"HSET h2 x 1", "h2", "(integer) 1", false},
		{"HGETALL h2", "h2", `["x" "1"]`, true},
		// Sets, and their operations.
		{"SADD s a b c", "s", "(integer) 3", false},
		{"SMEMBERS s", "s", `["a" "b" "c"]`, true},
		{"SADD t b c d", "t", "(integer) 3", false},
		{"SINTER s t", "s", `["b" "c"]`, true},
		{"SREM s b", "s", "(integer) 1", false},
		{"SINTER s t", "s", `["c"]`, true},
		{"SISMEMBER s a", "s", "(integer) 1", true},
		{"SMOVE s t a", "s", "(integer) 1", false},
		{"SMEMBERS t", "t", `["a" "b" "c" "d"]`, true},
		{"SMEMBERS s", "s", `["c"]`, true},
		// Expired and gone.
		{"PEXPIRE s 1", "s", "(integer) 1", true},
		{"+10", "s", "", false}, // the clock moves on
		{"SMEMBERS s", "s", `[]`, false},
		// Too many members, or too many bytes: none kept.
		{"HSET many " + strings.Join(many, " "), "many", "", false},
		{"HGETALL many", "many", "", false},
		{"HDEL many f0", "many", "(integer) 1", false},
		{"HGETALL many", "many", "", true},
		{"HSET fat f " + big, "fat", "(integer) 1", false},
		{"HSTRLEN fat f", "fat", fmt.Sprintf("(integer) %d", len(big)), false},
		{"HGETALL fat", "fat", "", false},
		{"HSET fat f v", "fat", "(integer) 0", false},
		{"HGETALL fat", "fat", `["f" "v"]`, true},
		{"FLUSHALL", "fat", "OK", false},
		{"HGETALL fat", "fat", `[]`, false},
	}
	onBothStores(t, func(t *testing.T, h *harness) {
		for i, st := range steps {
			if st.cmd == "+10" {
				h.clock += 10
				continue
			}
			got := h.keysDo(t, strings.Fields(st.cmd)...).String()
			if st.want != "" && got != st.want {
				t.Fatalf("step %d: %s = %s, want %s", i, st.cmd, got, st.want)
			}
			if has := hasSnapshot(h, st.key); has != st.snap {
				t.Fatalf("step %d: after %s, %s has a snapshot: %v, want %v", i, st.cmd, st.key, has, st.snap)
			}
		}
	})
}

// TestCollSnapshotsRandom runs the same random hash and set commands on a
// server with snapshots and one without, and compares every reply.
func TestCollSnapshotsRandom(t *testing.T) {
	with, without := newPebbleHarness(t), newPebbleHarness(t)
	defer with.close()
	defer without.close()
	without.srv.mu.Lock()
	without.srv.ks.snapMax = 0
	without.srv.mu.Unlock()
	rng := rand.New(rand.NewPCG(7, 36))
	keys := []string{"h1", "h2", "s1", "s2"}
	pick := func(n int) string { return fmt.Sprint(rng.IntN(n)) }
	inMulti := false
	for i := 0; i < 20000; i++ {
		k := keys[rng.IntN(len(keys))]
		o := keys[rng.IntN(len(keys))]
		var cmd []string
		switch k[0] {
		case 'h':
			switch rng.IntN(9) {
			case 0, 1:
				cmd = []string{"HSET", k, "f" + pick(20), pick(1000)}
			case 2:
				cmd = []string{"HDEL", k, "f" + pick(20), "f" + pick(20)}
			case 3:
				cmd = []string{"HGETALL", k}
			case 4:
				cmd = []string{"HGET", k, "f" + pick(20)}
			case 5:
				cmd = []string{"HINCRBY", k, "n" + pick(3), "1"}
			case 6:
				cmd = []string{"HSCAN", k, "0", "COUNT", "100"}
			case 7:
				cmd = []string{"HKEYS", k}
			case 8:
				cmd = []string{"HLEN", k}
			}
		default:
			switch rng.IntN(8) {
			case 0, 1:
				cmd = []string{"SADD", k, "m" + pick(20), "m" + pick(20)}
			case 2:
				cmd = []string{"SREM", k, "m" + pick(20)}
			case 3:
				cmd = []string{"SMEMBERS", k}
			case 4:
				cmd = []string{"SINTERSTORE", k, k, o}
			case 5:
				cmd = []string{"SUNION", k, o}
			case 6:
				cmd = []string{"SMOVE", k, o, "m" + pick(20)}
			case 7:
				cmd = []string{"SISMEMBER", k, "m" + pick(20)}
			}
		}
		switch r := rng.IntN(100); {
		case r < 2:
			cmd = []string{"DEL", k}
		case r < 3:
			cmd = []string{"RENAME", k, o}
		case r < 5 && !inMulti:
			cmd, inMulti = []string{"MULTI"}, true
		case r < 8 && inMulti:
			cmd, inMulti = []string{"EXEC"}, false
		}
		a, b := with.keysDo(t, cmd...).String(), without.keysDo(t, cmd...).String()
		if a != b {
			t.Fatalf("command %d %v: %s with snapshots, %s without", i, cmd, a, b)
		}
		if rng.IntN(50) == 0 {
			for _, h := range []*harness{with, without} {
				h.srv.mu.Lock()
				h.srv.ks.settle()
				h.srv.mu.Unlock()
			}
		}
	}
	with.srv.mu.Lock()
	snaps := with.srv.ks.snaps
	with.srv.mu.Unlock()
	if snaps < 100 {
		t.Errorf("%d snapshots made; the test hardly used them", snaps)
	}
}
