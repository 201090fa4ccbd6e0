package daemon

import (
	"unsafe"

	"github.com/redoubtdb/redoubt/storage"
)

// rowCache keeps the committed meta records of recently used keys in memory
// so that reads of a hot key skip Pebble (a memtable lookup costs about 3 µs,
// a map lookup tens of nanoseconds). It is a write-through cache of
// committed state: Keyspace fills it from reads that found nothing pending,
// updates it from each committed batch, and clears it on range deletions.
// Eviction is by a clock (see rowTable.victim): an entry used since the
// hand last passed it is passed over once, so a cold entry goes first.
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
	m      *rowTable
	floor  int64 // unix ms; see above
	// door is the admission doorkeeper: hashes of new keys refused while
	// the cache was full (see rowCacheDoorBytes).
	door doorkeeper
}

// doorkeeper is a direct-mapped table of key hashes (never 0, an empty
// slot), one per slot: what a cache refused once, so that it can let a
// key in at its second offer while the slot still holds it. The row
// cache's admission and the list windows' read-ahead use one each.
type doorkeeper []uint64

// second reports whether h is remembered (and forgets it); if not, it
// remembers h, in place of the slot's last.
func (d doorkeeper) second(h uint64) bool {
	slot := &d[h%uint64(len(d))]
	if *slot == h {
		*slot = 0
		return true
	}
	*slot = h
	return false
}

// forget reports whether h is remembered, and forgets it.
func (d doorkeeper) forget(h uint64) bool {
	slot := &d[h%uint64(len(d))]
	if *slot != h {
		return false
	}
	*slot = 0
	return true
}

// rowRec is the head of one allocation holding an entry's access time, its
// key and its value, in that order: the map's key string points into it.
// A lookup then touches the map's slot and this one block, instead of the
// slot, a separately allocated key, an entry struct and a value (each a
// likely cache miss on a big cache: they were 13% of the CPU of SET -P 16).
// A value that still fits is overwritten in place. Only this file sees the
// layout; values handed out alias the block until the next change to the
// cache, and callers copy what they keep.
type rowRec struct {
	atime int64 // unix ms of the last access
	klen  uint32
	vlen  uint32
	vcap  uint32
	kind  rowKind
	// used is set by each lookup and cleared by the clock hand.
	used bool
}

// rowKind is what an entry holds.
type rowKind uint8

const (
	// rowValue is the record itself.
	rowValue rowKind = iota
	// rowAbsent marks a key known not to exist in the store: a lookup of a
	// missing key (a GET of an unset key, a new hash field) otherwise went
	// down every level of the store again each time, 31% of the CPU of
	// GET -P 16 over a keyspace one key in seven of which was unset.
	rowAbsent
	// rowHeader is the header of a string's meta record whose value is too
	// big to cache (storage.MetaHeader): enough for what a SET, DEL, TTL or
	// TYPE needs to know of the key, so that overwriting a 16 KB value does
	// not read the old one from the store first (a quarter of the CPU of
	// SET of 16 KB values). Reads of the value go to the store.
	rowHeader
)

const rowRecHead = int(unsafe.Sizeof(rowRec{}))

// newRowRec allocates a record for k holding v, with room for values up to
// vcap bytes. The head is 8-byte aligned: every allocation of 16 bytes or
// more is.
func newRowRec(k string, v []byte, vcap int, atime int64) *rowRec {
	b := make([]byte, rowRecHead+len(k)+vcap)
	r := (*rowRec)(unsafe.Pointer(unsafe.SliceData(b)))
	r.atime, r.klen, r.vlen, r.vcap = atime, uint32(len(k)), uint32(len(v)), uint32(vcap)
	copy(b[rowRecHead:], k)
	copy(b[rowRecHead+len(k):], v)
	return r
}

func (r *rowRec) bytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(r)), rowRecHead+int(r.klen)+int(r.vcap))
}

// key is the record's key, as stored in the map.
func (r *rowRec) key() string {
	return unsafe.String(&r.bytes()[rowRecHead], int(r.klen))
}

// value is the record's value; it aliases the record.
func (r *rowRec) value() []byte {
	o := rowRecHead + int(r.klen)
	return r.bytes()[o : o+int(r.vlen) : o+int(r.vlen)]
}

// size is what the record costs the budget.
func (r *rowRec) size() int64 {
	return int64(rowRecHead+int(r.klen)+int(r.vcap)) + rowCacheEntryOverhead
}

// rowCacheEntryOverhead approximates an entry's bookkeeping (map slot and
// control byte, allocation rounding) so the budget tracks real memory.
const rowCacheEntryOverhead = 40

// Admission: once the cache is full, a new key is admitted (evicting a
// random entry) only when it is offered a second time while the
// doorkeeper still remembers its first: a direct-mapped table of the
// hashes of refused keys, one slot per rowCacheDoorBytes of budget. A
// working set larger than the cache would otherwise evict on every miss
// for entries that are rarely read again (14% of CPU under uniform GETs
// over 1M keys): with such a set a key's slot is taken by others long
// before its next miss. A smaller hot set, read again soon, gets in at
// its second miss. (Admitting one new key in eight, whatever it was, let
// a set's 100,000 members into a cache full of keys of earlier work only
// slowly: SADD -P 16 spent 47% of its time reading members from Pebble.)
const rowCacheDoorBytes = 64

// rowCacheMaxValue keeps large values out: they would evict many small hot
// entries and their read cost is dominated by copying anyway. A string's
// meta record above it is cached as its header (rowHeader).
const rowCacheMaxValue = 4096

func newRowCache(budget, now int64) *rowCache {
	slots := min(max(budget/rowCacheDoorBytes, 1024), 1<<22)
	return &rowCache{budget: budget, m: newRowTable(), floor: now, door: make(doorkeeper, slots)}
}

// admit is the doorkeeper's answer for a new key offered to a full cache:
// whether it was refused recently (and is now let in).
func (rc *rowCache) admit(k string) bool { return rc.door.second(rc.m.hash(k)) }

// remembered reports whether the doorkeeper remembers k, a key refused
// since its slot was last taken, and forgets it.
func (rc *rowCache) remembered(k string) bool {
	return rc.budget > 0 && rc.door.forget(rc.m.hash(k))
}

// get returns what is cached for k (see rowKind), recording an access at
// now when touch. The value aliases the cache: copy it before changing the
// cache.
func (rc *rowCache) get(k []byte, touch bool, now int64) (v []byte, kind rowKind, ok bool) {
	r, ok := rc.m.getBytes(k)
	if !ok {
		return nil, 0, false
	}
	r.used = true
	if touch && r.kind != rowAbsent {
		// A missing key has no access time: its mark keeps the floor it
		// was made with, so evicting it never raises the floor.
		r.atime = now
	}
	return r.value(), r.kind, true
}

// set stores a copy of v, of the given kind, under k, the cached record r
// (nil if none) being replaced: in place when v fits.
func (rc *rowCache) set(k string, r *rowRec, v []byte, kind rowKind, atime int64) {
	if r != nil && len(v) <= int(r.vcap) {
		copy(r.bytes()[rowRecHead+int(r.klen):], v)
		r.vlen, r.atime, r.kind = uint32(len(v)), atime, kind
		return
	}
	if r != nil {
		rc.used -= r.size()
	}
	r = newRowRec(k, v, len(v), atime)
	r.kind = kind
	rc.m.set(r)
	rc.used += r.size()
}

// fit is what of v may be cached under k: v itself, the header of a big
// string's meta record, or nothing (ok false).
func fit(k string, v []byte) (c []byte, kind rowKind, ok bool) {
	if len(v) <= rowCacheMaxValue {
		return v, rowValue, true
	}
	if len(k) > 0 && k[0] == storage.FamilyMeta {
		if h, ok := storage.MetaHeader(v); ok {
			return h, rowHeader, true
		}
	}
	return nil, 0, false
}

// put stores a copy of v under k, last accessed at atime.
func (rc *rowCache) put(k string, v []byte, atime int64) {
	rc.putKind(k, v, rowValue, atime)
}

func (rc *rowCache) putKind(k string, v []byte, kind rowKind, atime int64) {
	if kind == rowValue {
		var ok bool
		if v, kind, ok = fit(k, v); !ok {
			rc.del(k)
			return
		}
	}
	if rc.budget <= 0 {
		rc.del(k)
		return
	}
	r, ok := rc.m.get(k)
	if !ok && rc.used+int64(rowRecHead+len(k)+len(v))+rowCacheEntryOverhead > rc.budget {
		if !rc.admit(k) {
			// Refused: as if inserted and evicted at once, so the
			// floor stays a lower bound of its idle time.
			if atime > rc.floor {
				rc.floor = atime
			}
			return
		}
	}
	rc.set(k, r, v, kind, atime)
	rc.evict(k)
}

// offer reports whether a new entry of size bytes under k would be let in
// now, as putKind decides (room in the budget, or the doorkeeper's second
// offer), for a caller that must work to make the value: a refusal is
// remembered, and the entry is then stored with putAdmitted.
func (rc *rowCache) offer(k string, size int) bool {
	if rc.budget <= 0 {
		return false
	}
	if _, ok := rc.m.get(k); ok {
		return true
	}
	return rc.used+int64(rowRecHead+len(k)+size)+rowCacheEntryOverhead <= rc.budget || rc.admit(k)
}

// putAdmitted stores v (of kind value or absent) under k, which offer let
// in.
func (rc *rowCache) putAdmitted(k string, v []byte, kind rowKind, atime int64) {
	r, _ := rc.m.get(k)
	rc.set(k, r, v, kind, atime)
	rc.evict(k)
}

// evict drops entries other than keep, cold ones first, until the cache
// is within budget.
func (rc *rowCache) evict(keep string) {
	for rc.used > rc.budget && rc.m.len() > 0 {
		victim := rc.m.victim().key()
		if victim == keep && rc.m.len() == 1 {
			return
		}
		if victim != keep {
			rc.del(victim)
		}
	}
}

// putAbsent records that k is missing from the store, admitted as put
// admits a value. Writes replace the mark (put, update) or remove it (del).
// The mark's access time is the floor: see get.
func (rc *rowCache) putAbsent(k string) {
	rc.putKind(k, nil, rowAbsent, rc.floor)
}

// update replaces the value of k if the cache holds k, and otherwise (but
// for the case below) does nothing: how committed member writes reach the
// cache, so that a stream of writes nobody reads (LPUSH) does not evict
// what is read.
//
// A key the cache refused a moment ago, when it was looked up (the
// doorkeeper remembers it), is let in now: a command read it and wrote
// it, so it is in use, and otherwise the next command to use it would
// read the value just written back from the store (a new hash field: the
// lookup that found it missing was refused, and so was the first that
// found it present).
func (rc *rowCache) update(k string, v []byte, atime int64) {
	r, ok := rc.m.get(k)
	if !ok && !rc.remembered(k) {
		return
	}
	v, kind, ok := fit(k, v)
	if !ok {
		rc.del(k)
		return
	}
	rc.set(k, r, v, kind, atime)
	rc.evict(k)
}

// deleted records that a committed unit deleted k: a record the cache
// holds becomes an absent mark, in place; an uncached key stays out.
// Dropping the entry instead sent the next write of a key deleted and
// created again (DEL then HSET, a cache's keys coming and going) down
// the store, once the deletion had left the write buffer.
func (rc *rowCache) deleted(k string) {
	r, ok := rc.m.get(k)
	if !ok {
		return
	}
	if r.atime > rc.floor {
		rc.floor = r.atime
	}
	rc.set(k, r, nil, rowAbsent, rc.floor)
}

func (rc *rowCache) del(k string) {
	if r, ok := rc.m.del(k); ok {
		rc.used -= r.size()
		if r.atime > rc.floor {
			rc.floor = r.atime
		}
	}
}

func (rc *rowCache) clear() {
	for r := range rc.m.all() {
		if r.atime > rc.floor {
			rc.floor = r.atime
		}
	}
	rc.m.clear()
	rc.used = 0
}

// lastAccess is when the key under k was last accessed, or the floor when
// the cache does not know.
func (rc *rowCache) lastAccess(k []byte) int64 {
	if r, ok := rc.m.getBytes(k); ok {
		return r.atime
	}
	return rc.floor
}
