package daemon

// rowCache keeps the committed meta records of recently used keys in memory
// so that reads of a hot key skip Pebble (a memtable lookup costs about 3 µs,
// a map lookup tens of nanoseconds). It is a write-through cache of
// committed state: Keyspace fills it from reads that found nothing pending,
// updates it from each committed batch, and clears it on range deletions.
// Eviction is random (Go's map order), which needs no per-entry bookkeeping
// and behaves like LRU-approximations on skewed workloads.
//
// Each entry also remembers when its key was last accessed, which is what
// OBJECT IDLETIME reports: hot keys are exactly the cached ones, so access
// tracking costs no extra lookup. For a key not in the cache, floor is a
// lower bound of the time since its last access: the start time, raised to
// the access time of every entry evicted or cleared (an uncached key was
// last used no later than that). Guarded by Server.mu.
type rowCache struct {
	budget int64 // bytes; 0 disables caching values (access floor still kept)
	used   int64
	m      map[string]*rowEntry
	floor  int64  // unix ms; see above
	misses uint64 // new keys offered while full (admission)
}

type rowEntry struct {
	v     []byte
	atime int64 // unix ms of the last access
}

// rowCacheEntryOverhead approximates an entry's bookkeeping (string header,
// entry struct, map slot) so the budget tracks real memory.
const rowCacheEntryOverhead = 80

// rowCacheAdmitEvery: once the cache is full, only one new key in this
// many is admitted (evicting a random entry). A working set larger than
// the cache would otherwise evict on every miss for entries that are
// rarely read again (14% of CPU under uniform GETs over 1M keys); a hot
// key still gets in after a few reads.
const rowCacheAdmitEvery = 8

// rowCacheMaxValue keeps large values out: they would evict many small hot
// entries and their read cost is dominated by copying anyway.
const rowCacheMaxValue = 4096

func newRowCache(budget, now int64) *rowCache {
	return &rowCache{budget: budget, m: map[string]*rowEntry{}, floor: now}
}

// get returns the entry for k, recording an access at now when touch.
func (rc *rowCache) get(k []byte, touch bool, now int64) (*rowEntry, bool) {
	e, ok := rc.m[string(k)]
	if ok && touch {
		e.atime = now
	}
	return e, ok
}

// put stores v (which the cache now owns) under k, last accessed at atime.
func (rc *rowCache) put(k string, v []byte, atime int64) {
	if rc.budget <= 0 || len(v) > rowCacheMaxValue {
		rc.del(k)
		return
	}
	if e, ok := rc.m[k]; ok {
		rc.used += int64(len(v) - len(e.v))
		e.v, e.atime = v, atime
	} else {
		if rc.used+int64(len(k)+len(v))+rowCacheEntryOverhead > rc.budget {
			rc.misses++
			if rc.misses%rowCacheAdmitEvery != 0 {
				// Refused: as if inserted and evicted at once, so the
				// floor stays a lower bound of its idle time.
				if atime > rc.floor {
					rc.floor = atime
				}
				return
			}
		}
		rc.m[k] = &rowEntry{v: v, atime: atime}
		rc.used += int64(len(k)+len(v)) + rowCacheEntryOverhead
	}
	for rc.used > rc.budget && len(rc.m) > 0 {
		for victim := range rc.m {
			rc.del(victim)
			break
		}
	}
}

// update replaces the value of k if the cache holds k, and otherwise does
// nothing: how committed member writes reach the cache, so that a stream
// of writes nobody reads (LPUSH, a bulk load) does not evict what is read.
func (rc *rowCache) update(k string, v []byte, atime int64) {
	if e, ok := rc.m[k]; ok {
		if len(v) > rowCacheMaxValue {
			rc.del(k)
			return
		}
		rc.used += int64(len(v) - len(e.v))
		e.v, e.atime = v, atime
	}
}

// putAhead caches v under k, read ahead of its use (a list pop's next
// elements): admitted even when the cache is full, since it is about to
// be read, unless the key is already cached.
func (rc *rowCache) putAhead(k string, v []byte, atime int64) {
	if rc.budget <= 0 || len(v) > rowCacheMaxValue {
		return
	}
	if _, ok := rc.m[k]; ok {
		return
	}
	rc.m[k] = &rowEntry{v: v, atime: atime}
	rc.used += int64(len(k)+len(v)) + rowCacheEntryOverhead
	for rc.used > rc.budget && len(rc.m) > 1 {
		for victim := range rc.m {
			if victim != k {
				rc.del(victim)
			}
			break
		}
	}
}

func (rc *rowCache) del(k string) {
	if e, ok := rc.m[k]; ok {
		rc.used -= int64(len(k)+len(e.v)) + rowCacheEntryOverhead
		if e.atime > rc.floor {
			rc.floor = e.atime
		}
		delete(rc.m, k)
	}
}

func (rc *rowCache) clear() {
	for _, e := range rc.m {
		if e.atime > rc.floor {
			rc.floor = e.atime
		}
	}
	clear(rc.m)
	rc.used = 0
}

// lastAccess is when the key under k was last accessed, or the floor when
// the cache does not know.
func (rc *rowCache) lastAccess(k []byte) int64 {
	if e, ok := rc.m[string(k)]; ok {
		return e.atime
	}
	return rc.floor
}
