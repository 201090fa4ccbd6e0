package daemon

import (
	"time"

	"github.com/redoubtdb/redoubt/storage"
)

// activeExpireCycle reclaims expired keys nobody reads, like Redis's
// activeExpireCycle: each run walks every database's expiry index (ordered
// by time, so only due entries are visited) and deletes due keys, within a
// time budget that grows with active-expire-effort. It takes Server.mu in
// short steps so clients keep being served. Called by cron.
func (s *Server) activeExpireCycle() {
	s.mu.Lock()
	effort := s.cfg.ActiveExpireEffort
	hz := s.hz.Load()
	// Nothing expires while clients are paused, as in Redis 7.0.
	paused := s.pause.active()
	s.mu.Unlock()
	if paused {
		return
	}
	if effort < 1 {
		effort = 1
	}
	if hz < 1 {
		hz = 10
	}
	// Redis spends up to 25% of a cron period (plus 2% per effort level).
	budget := time.Second / time.Duration(hz) * time.Duration(25+2*(effort-1)) / 100
	deadline := time.Now().Add(budget)
	perStep := 20 * effort
	// The latency monitor's expire-cycle is the longest the cycle held
	// the lock at a time: what it made clients wait.
	var worst time.Duration
	defer func() { s.latmon.addIfNeeded("expire-cycle", worst) }()
	for db := 0; ; db++ {
		s.mu.Lock()
		if db >= s.ks.Databases() || s.isReplicaLocked() {
			// A replica's keys expire when its primary says so.
			s.mu.Unlock()
			return
		}
		for {
			start := time.Now()
			n := s.expireStepLocked(db, perStep)
			s.commitLocked()
			worst = max(worst, time.Since(start))
			if n < perStep || time.Now().After(deadline) {
				break
			}
			// Let clients in between steps.
			s.mu.Unlock()
			s.mu.Lock()
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return
		}
	}
}

// expireStepLocked deletes up to max due keys of db and returns how many
// index entries it visited. Holds mu.
func (s *Server) expireStepLocked(db, max int) int {
	ks := s.ks
	p := ks.physDB(db)
	now := ks.now()
	lower := storage.DBPrefix(nil, storage.FamilyExpire, p)
	// Due means expireAt < now, as Redis's keyIsExpired (now > when).
	upper := storage.ExpireKey(nil, p, now, nil)
	// The sweep re-checks every entry with Peek, so it can read the store
	// without draining the write buffer: entries written meanwhile are
	// found next time, and entries the buffer already deletes are skipped
	// (otherwise a cycle would revisit them until its deadline).
	it := ks.storeIter(lower, upper)
	type due struct {
		key []byte
		at  int64
	}
	var keys []due
	for ok := it.First(); ok && len(keys) < max; ok = it.Next() {
		_, at, key, valid := storage.ParseExpireKey(it.Key())
		if !valid || ks.bufferedDeletion(it.Key()) {
			continue
		}
		keys = append(keys, due{append([]byte(nil), key...), at})
	}
	err := it.Error()
	it.Close()
	if err != nil {
		panic(storageError{err})
	}
	for _, k := range keys {
		// Peek deletes the key (and its index entry) when its meta says it
		// is due, without counting as an access; deleting the entry again
		// also clears a stale one, so the walk can never get stuck on it.
		ks.Peek(db, k.key)
		ks.del(storage.ExpireKey(nil, p, k.at, k.key))
	}
	return len(keys)
}
