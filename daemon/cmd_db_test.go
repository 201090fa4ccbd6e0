package daemon

import (
	"testing"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/storage"
)

// FLUSHDB removes every record of the selected database, members and
// expiry index included, and nothing of the others; FLUSHALL removes all.
func TestFlushRemovesEveryRecord(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	s := h.srv
	for _, db := range []int{0, 1} {
		keysPutList(t, h, db, "list", 50)
		h.keysDo(t, "SELECT", string(rune('0'+db)))
		h.keysDo(t, "SET", "s", "v")
		h.keysDo(t, "EXPIRE", "list", "100")
		h.keysDo(t, "EXPIRE", "s", "100")
	}
	count := func(p uint16) (m, d, e int) {
		return familyRecords(t, s, storage.FamilyMeta, p), familyRecords(t, s, storage.FamilyData, p),
			familyRecords(t, s, storage.FamilyExpire, p)
	}
	if m, d, e := count(0); m != 2 || d != 50 || e != 2 {
		t.Fatalf("db 0 before: %d meta, %d data, %d expiry records", m, d, e)
	}
	h.keysDo(t, "SELECT", "0")
	h.keysDo(t, "FLUSHDB")
	if m, d, e := count(0); m+d+e != 0 {
		t.Fatalf("db 0 after FLUSHDB: %d meta, %d data, %d expiry records", m, d, e)
	}
	if m, d, e := count(1); m != 2 || d != 50 || e != 2 {
		t.Fatalf("db 1 after FLUSHDB 0: %d meta, %d data, %d expiry records", m, d, e)
	}
	h.keysDo(t, "FLUSHALL")
	if m, d, e := count(1); m+d+e != 0 {
		t.Fatalf("db 1 after FLUSHALL: %d meta, %d data, %d expiry records", m, d, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for db := 0; db < s.ks.Databases(); db++ {
		if s.ks.DBSize(db) != 0 || s.ks.Expires(db) != 0 {
			t.Fatalf("db %d: %d keys, %d expires after FLUSHALL", db, s.ks.DBSize(db), s.ks.Expires(db))
		}
	}
}

// SWAPDB survives a restart: a server opened on the same store sees the
// databases swapped, with their keys, counts and expiries.
func TestSwapDBPersists(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.keysDo(t, "SET", "zero", "v")
	h.keysDo(t, "SELECT", "7")
	h.keysDo(t, "SET", "seven", "v")
	h.keysDo(t, "SET", "seven2", "v")
	h.keysDo(t, "EXPIRE", "seven", "100")
	h.keysDo(t, "SWAPDB", "0", "7")

	cfg := conf.Default()
	cfg.Appendfsync = "no"
	s2, err := New(cfg, Options{Store: h.srv.store})
	if err != nil {
		t.Fatal(err)
	}
	s2.ks.clock = h.srv.ks.clock
	s2.mu.Lock()
	defer s2.mu.Unlock()
	if got := s2.ks.DBSize(0); got != 2 {
		t.Errorf("db 0 after restart: %d keys, want 2", got)
	}
	if got := s2.ks.Expires(0); got != 1 {
		t.Errorf("db 0 after restart: %d expires, want 1", got)
	}
	if _, ok := s2.ks.Lookup(0, []byte("seven")); !ok {
		t.Error("db 0 after restart lacks seven")
	}
	if _, ok := s2.ks.Lookup(7, []byte("zero")); !ok {
		t.Error("db 7 after restart lacks zero")
	}
}
