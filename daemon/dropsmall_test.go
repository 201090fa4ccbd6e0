package daemon

import (
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// unitDrops runs lines as one unit (as EXEC does) and reports their
// replies, the range deletions of collection versions the unit makes and
// its point deletions of data records.
func unitDrops(t *testing.T, h *harness, lines ...string) (replies []string, drops, deletions int) {
	t.Helper()
	c := h.client(1).sess
	s := h.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range lines {
		argv, _, _, err := resp.ReadCommand([]byte(line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 20, MaxMultibulkLen: 1 << 10, MaxInlineLen: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		c.out = c.out[:0]
		s.call(c, argv)
		v, _, err := resp.ReadReply(c.out)
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, v.String())
	}
	c.out = c.out[:0]
	for k, v := range s.ks.pending {
		if k[0] == storage.FamilyData && v == nil {
			deletions++
		}
	}
	drops = len(s.ks.pendingDrops)
	s.commitLocked()
	return replies, drops, deletions
}

// TestDropSmall checks how a collection's members go when the collection
// does (DEL, overwrite, expiry): a hash, set or sorted set of at most
// dropSmallRecords/2 members whose records the write buffer does not hold
// by a point deletion each, found in the store and the unit, a list of at
// most dropSmallRecords by a point deletion of each live index; a bigger
// one, or a hash, set or sorted set with buffered members, by one range
// deletion. A list its pops empty needs neither. Either way no record is
// left.
func TestDropSmall(t *testing.T) {
	// members is " pa pb ..." (n of them), each prefixed by prefix.
	members := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(" " + prefix + string(rune('a'+i)))
		}
		return b.String()
	}
	for _, tc := range []struct {
		name     string
		stored   []string // written to the store
		buffered []string // left in the write buffer
		unit     []string // one unit
		want     string   // reply of the unit's last command
		drops    int
		dels     int
		after    []string // commands and their replies, checked after
		left     int      // data records left in the store
	}{
		{name: "one-field hash", stored: []string{"HSET k f v"}, unit: []string{"DEL k"}, want: "(integer) 1", dels: 1},
		{name: "set of 8", stored: []string{"SADD k" + members("m", 8)}, unit: []string{"DEL k"}, want: "(integer) 1", dels: 8},
		{name: "set of 9", stored: []string{"SADD k" + members("m", 9)}, unit: []string{"DEL k"}, want: "(integer) 1", drops: 1},
		{name: "sorted set of 8", stored: []string{"ZADD k" + members("1 m", 8)}, unit: []string{"DEL k"}, want: "(integer) 1", dels: 16},
		{name: "list", stored: []string{"RPUSH k a b"}, unit: []string{"DEL k"}, want: "(integer) 1", dels: 2},
		{name: "list of 17", stored: []string{"RPUSH k" + members("e", 17)}, unit: []string{"DEL k"}, want: "(integer) 1", drops: 1},
		{name: "list popped, pushed and buffered", stored: []string{"RPUSH k" + members("e", 10)}, buffered: []string{"LPUSH k x y", "RPOP k"},
			unit: []string{"LPOP k", "RPOP k", "RPUSH k z", "DEL k"}, want: "(integer) 1", dels: 11},
		// Its pops take the elements; pushes on the left once made
		// emptying it look like the end of a fenced sorted set.
		{name: "list emptied by pops", stored: []string{"LPUSH k a b"}, unit: []string{"RPOP k", "LPOP k"}, want: `"b"`},
		{name: "buffered member", stored: []string{"HSET k f v"}, buffered: []string{"HSET k g w"}, unit: []string{"DEL k"}, want: "(integer) 1", drops: 1},
		{name: "buffered other key", stored: []string{"HSET k f v"}, buffered: []string{"HSET o g w"}, unit: []string{"DEL k"}, want: "(integer) 1", dels: 1,
			after: []string{"HGETALL o", `["g" "w"]`}, left: 1},
		{name: "members in the unit", stored: []string{"HSET k f v"}, unit: []string{"HSET k g w", "HDEL k f", "HSET k h x", "DEL k"}, want: "(integer) 1", dels: 3},
		{name: "dropped and made again", stored: []string{"SADD k a b"}, unit: []string{"DEL k", "SADD k c"}, want: "(integer) 1", dels: 2,
			after: []string{"SMEMBERS k", `["c"]`}, left: 1},
		{name: "overwritten", stored: []string{"ZADD k 1 a 2 b"}, unit: []string{"SET k v"}, want: "OK", dels: 4,
			after: []string{"GET k", `"v"`}},
		{name: "expired", stored: []string{"HSET k f v g w", "PEXPIRE k 10"}, unit: []string{"SLEEP 20", "EXISTS k"}, want: "(integer) 0", dels: 2},
		{name: "renamed", stored: []string{"SADD k a", "RENAME k r"}, unit: []string{"DEL r"}, want: "(integer) 1", dels: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			defer h.close()
			fc := h.client(1)
			for _, c := range tc.stored {
				fc.do(t, c)
			}
			h.srv.mu.Lock()
			h.srv.ks.wb.running = true // layers stay in the buffer
			h.srv.mu.Unlock()
			for _, c := range tc.buffered {
				fc.do(t, c)
			}
			unit := tc.unit
			if unit[0] == "SLEEP 20" {
				h.clock += 20
				unit = unit[1:]
			}
			replies, drops, dels := unitDrops(t, h, unit...)
			if got := replies[len(replies)-1]; got != tc.want {
				t.Fatalf("%s: %s, want %s", unit[len(unit)-1], got, tc.want)
			}
			if drops != tc.drops || dels != tc.dels {
				t.Errorf("%d range deletions and %d point deletions, want %d and %d", drops, dels, tc.drops, tc.dels)
			}
			for i := 0; i < len(tc.after); i += 2 {
				if got := fc.do(t, tc.after[i]); got[0] != tc.after[i+1] {
					t.Errorf("%s: %s, want %s", tc.after[i], got[0], tc.after[i+1])
				}
			}
			if n := familyRecords(t, h.srv, storage.FamilyData, h.srv.ks.physDB(0)); n != tc.left {
				t.Errorf("%d data records left in the store, want %d", n, tc.left)
			}
		})
	}
}
