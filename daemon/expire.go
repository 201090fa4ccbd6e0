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
	s.mu.Lock()
	if s.isReplicaLocked() {
		// A replica's keys expire when its primary says so, but for
		// those its own clients gave an expiry.
		s.expireOwnKeysLocked()
		s.mu.Unlock()
		return
	}
	s.ks.ownExpires = nil // no longer a replica: every key expires here
	s.mu.Unlock()
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
		// rearmExpiry's Peek deletes the key (and its index entry) when
		// its meta says it is due, without counting as an access; a key
		// whose entry came due before it gets one at its expiry. Deleting
		// the entry again also clears a stale one, so the walk can never
		// get stuck on it.
		ks.rearmExpiry(db, k.key, k.at)
		ks.delExpireEntry(p, k.at, k.key)
	}
	return len(keys)
}

// expireOwnKeysLocked is Redis's expireSlaveKeys: a writable replica
// expires the keys its own clients gave an expiry (Keyspace.ownExpires),
// taking them in random order until more than three are not due yet or a
// millisecond has passed. A key no longer there, or without an expiry, is
// forgotten. Holds mu.
func (s *Server) expireOwnKeysLocked() {
	ks := s.ks
	if len(ks.ownExpires) == 0 {
		return
	}
	start := time.Now()
	cycles, notDue := 0, 0
	for name, dbs := range ks.ownExpires {
		left := uint64(0)
		for db := 0; dbs != 0 && db < ks.Databases(); db, dbs = db+1, dbs>>1 {
			if dbs&1 == 0 {
				continue
			}
			// Outside a command expiry deletes: a due key goes, as
			// expired (expired_keys, the expired event).
			if m, found := ks.PeekMeta(db, []byte(name)); found && m.ExpireAt != 0 {
				notDue++
				left |= 1 << db
			}
		}
		if left != 0 {
			ks.ownExpires[name] = left
		} else {
			delete(ks.ownExpires, name)
		}
		cycles++
		if notDue > 3 || cycles%64 == 0 && time.Since(start) > time.Millisecond {
			break
		}
	}
	s.commitLocked()
}
