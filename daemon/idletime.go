package daemon

import "github.com/redoubtdb/redoubt/storage"

// idleSeconds is OBJECT IDLETIME: whole seconds since the key was last read
// or written. Access times live in the row cache (see rowCache): exact for
// the hot keys it holds, and a lower bound for the others, never more than
// the true idle time. Redis's own value is approximate too (a 24-bit clock
// with LRU_CLOCK_RESOLUTION of 1 s).
func (ks *Keyspace) idleSeconds(db int, key []byte) int64 {
	now := ks.now()
	ks.keyBuf = storage.MetaKey(ks.keyBuf[:0], ks.physDB(db), key)
	last := ks.cache.lastAccess(ks.keyBuf)
	if last == 0 {
		last = ks.cache.floor
	}
	if v, ok := ks.pending[string(ks.keyBuf)]; ok && v != nil {
		// Written by the pending batch: accessed now.
		last = now
		if t, ok := ks.atimes[string(ks.keyBuf)]; ok {
			last = t
		}
	}
	idle := now/1000 - last/1000
	if idle < 0 {
		return 0
	}
	return idle
}

// setAccessTime sets the access time (unix ms) of a key the pending unit
// wrote, as RESTORE IDLETIME does.
func (ks *Keyspace) setAccessTime(db int, key []byte, at int64) {
	if ks.atimes == nil {
		ks.atimes = map[string]int64{}
	}
	ks.atimes[string(storage.MetaKey(nil, ks.physDB(db), key))] = at
}
