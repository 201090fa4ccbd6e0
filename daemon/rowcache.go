package daemon

// rowCache keeps the committed meta records of recently used keys in memory
// so that reads of a hot key skip Pebble (a memtable lookup costs about 3 µs,
// a map lookup tens of nanoseconds). It is a write-through cache of
// committed state: Keyspace fills it from reads that found nothing pending,
// updates it from each committed batch, and clears it on range deletions.
// Eviction is random (Go's map order), which needs no per-entry bookkeeping
// and behaves like LRU-approximations on skewed workloads. Guarded by
// Server.mu.
type rowCache struct {
	budget int64 // bytes; 0 disables the cache
	used   int64
	m      map[string][]byte
}

// rowCacheEntryOverhead approximates a map entry's bookkeeping (string and
// slice headers, bucket share) so the budget tracks real memory.
const rowCacheEntryOverhead = 64

// rowCacheMaxValue keeps large values out: they would evict many small hot
// entries and their read cost is dominated by copying anyway.
const rowCacheMaxValue = 4096

func newRowCache(budget int64) *rowCache {
	return &rowCache{budget: budget, m: map[string][]byte{}}
}

func (rc *rowCache) get(k []byte) ([]byte, bool) {
	v, ok := rc.m[string(k)]
	return v, ok
}

// put stores v (which the cache now owns) under k.
func (rc *rowCache) put(k string, v []byte) {
	if rc.budget <= 0 || len(v) > rowCacheMaxValue {
		rc.del(k)
		return
	}
	if old, ok := rc.m[k]; ok {
		rc.used -= int64(len(old))
	} else {
		rc.used += int64(len(k)) + rowCacheEntryOverhead
	}
	rc.m[k] = v
	rc.used += int64(len(v))
	for rc.used > rc.budget && len(rc.m) > 0 {
		for victim, val := range rc.m {
			rc.used -= int64(len(victim)+len(val)) + rowCacheEntryOverhead
			delete(rc.m, victim)
			break
		}
	}
}

func (rc *rowCache) del(k string) {
	if old, ok := rc.m[k]; ok {
		rc.used -= int64(len(k)+len(old)) + rowCacheEntryOverhead
		delete(rc.m, k)
	}
}

func (rc *rowCache) clear() {
	clear(rc.m)
	rc.used = 0
}
