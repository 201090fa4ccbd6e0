package daemon

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// isolatingStore records the ranges the keyspace asks to isolate.
type isolatingStore struct {
	*memory.Store
	ranges []string // "start..end"
}

func (s *isolatingStore) IsolateRange(start, end []byte) {
	s.ranges = append(s.ranges, string(start)+".."+string(end))
}

// TestBigCollectionsIsolated checks that a collection is isolated in the
// store (storage.RangeIsolator) once it reaches isolateMembers members,
// under its current version's data prefix, and that a run of writes to it
// asks once.
func TestBigCollectionsIsolated(t *testing.T) {
	st := &isolatingStore{Store: memory.New()}
	h := newHarnessOn(t, st)
	defer h.close()
	c := h.client(1)
	push := func(cmd, key string, from, n int) {
		var b strings.Builder
		b.WriteString(cmd + " " + key)
		for i := from; i < from+n; i++ {
			if cmd == "ZADD" {
				b.WriteString(" " + strconv.Itoa(i))
			}
			b.WriteString(" m" + strconv.Itoa(i))
		}
		c.do(t, b.String())
	}
	span := func(key string) string {
		s := h.srv
		s.mu.Lock()
		defer s.mu.Unlock()
		m, ok := s.ks.lookup(0, []byte(key), false)
		if !ok {
			t.Fatalf("%s does not exist", key)
		}
		p := storage.DataPrefixOf(nil, s.ks.physDB(0), []byte(key), &m)
		return string(p) + ".." + string(storage.PrefixEnd(p))
	}
	push("RPUSH", "l", 0, isolateMembers-1)
	push("SADD", "small", 0, 100)
	if len(st.ranges) != 0 {
		t.Fatalf("isolated below %d members: %q", isolateMembers, st.ranges)
	}
	push("LPUSH", "l", isolateMembers, 1)
	if want := []string{span("l")}; !slices.Equal(st.ranges, want) {
		t.Fatalf("after the list reached %d members: isolated %q, want %q", isolateMembers, st.ranges, want)
	}
	for i := range 5 {
		push("LPUSH", "l", 2*isolateMembers+i, 1)
	}
	c.do(t, "LPOP l")
	if len(st.ranges) != 1 {
		t.Fatalf("writes to the same list asked again: %q", st.ranges)
	}
	push("ZADD", "z", 0, isolateMembers)
	if want := []string{span("l"), span("z")}; !slices.Equal(st.ranges, want) {
		t.Fatalf("after a sorted set reached %d members: isolated %q, want %q", isolateMembers, st.ranges, want)
	}
	// A new version of the list (after DEL) is a new range.
	old := span("l")
	c.do(t, "DEL l")
	push("RPUSH", "l", 0, isolateMembers)
	if got := st.ranges[len(st.ranges)-1]; got == old || got != span("l") {
		t.Fatalf("the recreated list isolated %q; old range %q, want %q", got, old, span("l"))
	}
}
