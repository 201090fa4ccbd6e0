package daemon

import (
	"fmt"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

// familyRecords counts the store's committed records of one family in
// physical database p.
func familyRecords(t *testing.T, s *Server, family byte, p uint16) int {
	t.Helper()
	s.mu.Lock()
	s.ks.settle() // count what reached the store, buffered writes included
	s.mu.Unlock()
	prefix := storage.DBPrefix(nil, family, p)
	it, err := s.store.NewIter(prefix, storage.PrefixEnd(prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return n
}

// The active expiry cycle reclaims expired keys nobody reads: the key
// count drops to zero and the expiry index empties.
func TestActiveExpireCycle(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testActiveExpireCycle(t, newHarness(t)) })
	t.Run("pebble-with-flusher", func(t *testing.T) { testActiveExpireCycle(t, newPebbleHarness(t)) })
}

func testActiveExpireCycle(t *testing.T, h *harness) {
	defer h.close()
	s := h.srv
	const n = 1000
	for i := 0; i < n; i++ {
		db := i % 3 // several databases
		h.keysDo(t, "SELECT", fmt.Sprint(db))
		h.keysDo(t, "SET", fmt.Sprintf("k%d", i), "v")
		h.keysDo(t, "PEXPIRE", fmt.Sprintf("k%d", i), fmt.Sprint(100+2*i))
	}
	h.keysDo(t, "SELECT", "0")
	h.keysDo(t, "SET", "forever", "v")
	dbsize := func() int64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		var total int64
		for db := 0; db < s.ks.Databases(); db++ {
			total += s.ks.DBSize(db)
		}
		return total
	}
	if got := dbsize(); got != n+1 {
		t.Fatalf("DBSIZE before: %d", got)
	}
	// The sweep reads the store, not the write buffer (entries written in
	// the last few ms are found by a later cycle): settle before each cycle
	// so the test does not depend on the flusher's timing.
	cycle := func() {
		s.mu.Lock()
		s.ks.settle()
		s.mu.Unlock()
		s.activeExpireCycle()
	}
	// Nothing is due yet: a cycle must not touch live keys.
	cycle()
	if got := dbsize(); got != n+1 {
		t.Fatalf("DBSIZE after an early cycle: %d", got)
	}
	h.clock += 100 + n - 1 // half of them are due (odd: no key is due exactly now)
	for i := 0; i < 100 && dbsize() > n/2+1; i++ {
		cycle()
	}
	if got := dbsize(); got != n/2+1 {
		t.Fatalf("DBSIZE with half due: %d, want %d", got, n/2+1)
	}
	h.clock += 10_000
	for i := 0; i < 100 && dbsize() > 1; i++ {
		cycle()
	}
	if got := dbsize(); got != 1 {
		t.Fatalf("DBSIZE after expiry: %d, want 1", got)
	}
	for p := uint16(0); p < 3; p++ {
		if got := familyRecords(t, s, storage.FamilyExpire, p); got != 0 {
			t.Errorf("db %d: %d expiry-index records left", p, got)
		}
	}
	if got := familyRecords(t, s, storage.FamilyMeta, 0); got != 1 {
		t.Errorf("db 0: %d meta records, want 1", got)
	}
	s.mu.Lock()
	expired := s.stats.expiredKeys
	s.mu.Unlock()
	if expired != n {
		t.Errorf("expired_keys = %d, want %d", expired, n)
	}
	if got := h.keysDo(t, "GET", "forever").String(); got != `"v"` {
		t.Errorf("GET forever = %s", got)
	}
}

// Changing or removing an expiry leaves exactly one index record per key
// with an expiry, so the index never holds stale entries.
func TestExpiryIndexFollowsCommands(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	s := h.srv
	h.keysDo(t, "SET", "a", "v")
	h.keysDo(t, "EXPIRE", "a", "100")
	h.keysDo(t, "EXPIRE", "a", "200")
	h.keysDo(t, "PEXPIRE", "a", "300000", "GT")
	if got := familyRecords(t, s, storage.FamilyExpire, 0); got != 1 {
		t.Fatalf("%d index records after three EXPIREs, want 1", got)
	}
	h.keysDo(t, "RENAME", "a", "b")
	h.keysDo(t, "COPY", "b", "c")
	if got := familyRecords(t, s, storage.FamilyExpire, 0); got != 2 {
		t.Fatalf("%d index records after RENAME and COPY, want 2", got)
	}
	h.keysDo(t, "MOVE", "c", "1")
	if got := familyRecords(t, s, storage.FamilyExpire, 0) + familyRecords(t, s, storage.FamilyExpire, 1); got != 2 {
		t.Fatalf("%d index records after MOVE, want 2", got)
	}
	h.keysDo(t, "PERSIST", "b")
	h.keysDo(t, "EXPIRE", "b", "-1") // deletes
	h.keysDo(t, "SELECT", "1")
	h.keysDo(t, "DEL", "c")
	if got := familyRecords(t, s, storage.FamilyExpire, 0) + familyRecords(t, s, storage.FamilyExpire, 1); got != 0 {
		t.Fatalf("%d index records left, want 0", got)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.ks.Expires(0) + s.ks.Expires(1); e != 0 {
		t.Fatalf("expires counter %d, want 0", e)
	}
}

// indexEntries lists db 0's expiry-index entries, committed and buffered,
// as "key@ms" with ms from base.
func indexEntries(t *testing.T, s *Server, base int64) []string {
	t.Helper()
	s.mu.Lock()
	s.ks.settle()
	s.mu.Unlock()
	prefix := storage.DBPrefix(nil, storage.FamilyExpire, 0)
	it, err := s.store.NewIter(prefix, storage.PrefixEnd(prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		_, at, key, _ := storage.ParseExpireKey(it.Key())
		got = append(got, fmt.Sprintf("%s@%d", key, at-base))
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return got
}

// An expiry pushed later leaves the key's index entry where it was (one
// record written, not three); one brought earlier moves it; the active
// cycle moves an entry that comes due before its key to the key's expiry,
// and deleting, persisting or overwriting the key removes the entry
// wherever it is.
func TestExpiryIndexEarlyEntries(t *testing.T) {
	steps := []struct {
		at   int64    // ms after the start; the cycle runs when it moves
		cmd  []string // nil: only the cycle
		want string   // the index entries after it
		ttl  string   // PTTL k after it, when given
		idle string   // OBJECT IDLETIME k after it, when given
	}{
		{0, []string{"SET", "k", "v", "PX", "1000"}, "[k@1000]", "1000", ""},
		{0, []string{"SET", "k", "v", "PX", "5000"}, "[k@1000]", "5000", ""},
		{0, []string{"GETEX", "k", "PX", "3000"}, "[k@1000]", "3000", ""},
		{0, []string{"PEXPIRE", "k", "500"}, "[k@500]", "500", ""},
		{0, []string{"SET", "k", "w", "KEEPTTL"}, "[k@500]", "500", ""},
		{0, []string{"PEXPIRE", "k", "4000", "GT"}, "[k@500]", "4000", ""},
		{600, nil, "[k@4000]", "3400", ""},
		{600, []string{"PEXPIRE", "k", "9000"}, "[k@4000]", "9000", ""},
		{4100, nil, "[k@9600]", "5500", "4"}, // moved, not touched
		{9700, nil, "[]", "-2", ""},
		// Removed wherever it is.
		{9700, []string{"SET", "d", "v", "PX", "100"}, "[d@9800]", "", ""},
		{9700, []string{"PEXPIRE", "d", "800"}, "[d@9800]", "", ""},
		{9700, []string{"DEL", "d"}, "[]", "", ""},
		{9700, []string{"SET", "p", "v", "PX", "100"}, "[p@9800]", "", ""},
		{9700, []string{"PEXPIRE", "p", "800"}, "[p@9800]", "", ""},
		{9700, []string{"PERSIST", "p"}, "[]", "", ""},
		{9700, []string{"SET", "p", "v", "PX", "100"}, "[p@9800]", "", ""},
		{9700, []string{"SET", "p", "v", "PX", "800"}, "[p@9800]", "", ""},
		{9700, []string{"SET", "p", "v"}, "[]", "", ""},
		// A key renamed gets an entry at its expiry.
		{9700, []string{"SET", "r", "v", "PX", "100"}, "[r@9800]", "", ""},
		{9700, []string{"SET", "r", "v", "PX", "800"}, "[r@9800]", "", ""},
		{9700, []string{"RENAME", "r", "s"}, "[s@10500]", "", ""},
		// Due before the cycle comes: the key goes, not its entry alone.
		{9700, []string{"SET", "e", "v", "PX", "100"}, "[e@9800 s@10500]", "", ""},
		{9700, []string{"PEXPIRE", "e", "200"}, "[e@9800 s@10500]", "", ""},
		{10000, nil, "[s@10500]", "", ""},
	}
	onBothStores(t, func(t *testing.T, h *harness) {
		s := h.srv
		base := h.clock
		for i, st := range steps {
			if base+st.at != h.clock {
				h.clock = base + st.at
				s.mu.Lock()
				s.ks.settle()
				s.mu.Unlock()
				s.activeExpireCycle()
			}
			if st.cmd != nil {
				h.keysDo(t, st.cmd...)
			}
			if got := fmt.Sprint(indexEntries(t, s, base)); got != st.want {
				t.Fatalf("step %d (%v at %d): index %s, want %s", i, st.cmd, st.at, got, st.want)
			}
			if st.ttl != "" {
				if got := h.keysDo(t, "PTTL", "k").String(); got != "(integer) "+st.ttl {
					t.Fatalf("step %d: PTTL k = %s, want %s", i, got, st.ttl)
				}
			}
			if st.idle != "" {
				if got := h.keysDo(t, "OBJECT", "IDLETIME", "k").String(); got != "(integer) "+st.idle {
					t.Fatalf("step %d: OBJECT IDLETIME k = %s, want %s", i, got, st.idle)
				}
			}
		}
		s.mu.Lock()
		expires, expired := s.ks.Expires(0), s.stats.expiredKeys
		s.mu.Unlock()
		if expires != 1 || expired != 2 {
			t.Errorf("expires = %d, expired_keys = %d; want 1 and 2", expires, expired)
		}
	})
}
