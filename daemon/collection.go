package daemon

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/redoubtdb/redoubt/storage"
)

// A collection (hash, list, set, sorted set) is one meta record holding its
// type, expiry, version and member count, plus one record per member under
// storage.DataPrefix(physDB, key, version) (two for a sorted set member).
// Member records sort by their "sub" key, the part after the prefix:
//
//	hash:  sub = field                     value = field's value
//	set:   sub = member                    value = ""
//	list:  sub = index (u64 big-endian)    value = element
//	zset:  sub = 'm' member                value = score (8-byte float key)
//	       sub = 's' score(8) member       value = ""
//
// A list occupies the indexes [head, head+count); head lives in the meta
// record's tail, and a new list starts in the middle of the index space so
// it can grow either way. Sorted-set scores use storage.AppendFloatKey, so
// the 's' index iterates in score order, ties by member bytes: Redis's
// order.
//
// For hashes, sets and sorted sets the meta tail's first byte records
// whether Redis would have converted the collection to its big encoding
// (hashtable, skiplist) by now: Redis never converts back, so neither does
// the flag. OBJECT ENCODING reads it.
//
// Every new collection, and every copy of one, takes a fresh version, and
// deleting or replacing a collection drops its version's records with one
// range deletion (see bufLayer): O(1), with the space reclaimed by
// compaction.

// coll is one collection key as a command sees it. Member writes go to the
// pending unit at once; the meta record (count, head, encoding flag) is
// written by save, which also deletes a collection left empty.
type coll struct {
	ks     *Keyspace
	db     int
	key    []byte
	m      storage.Meta // the record as the command leaves it
	old    storage.Meta // the record as found
	exists bool
	// wrote: members were written through this coll. Until then a
	// collection that did not exist has no members to read (its version
	// is fresh), which spares reads of the store.
	wrote  bool
	prefix []byte
	kbuf   []byte
}

// lookupColl opens key in db for a command on collections of type t. A
// missing key yields an empty coll (exists false) that save creates.
// wrongType reports that the key holds another type (and co is nil).
func (ks *Keyspace) lookupColl(db int, key []byte, t storage.Type, touch bool) (co *coll, wrongType bool) {
	m, ok := ks.lookup(db, key, touch)
	if ok && m.Type != t {
		return nil, true
	}
	if !ok {
		return ks.newColl(db, key, t), false
	}
	return ks.openColl(db, key, m), false
}

// openColl opens the existing collection key in db, whose meta record m
// the caller looked up.
func (ks *Keyspace) openColl(db int, key []byte, m storage.Meta) *coll {
	co := ks.allocColl()
	*co = coll{ks: ks, db: db, key: append(co.key[:0], key...), m: m, old: m, exists: true, prefix: co.prefix, kbuf: co.kbuf[:0]}
	co.prefix = storage.DataPrefixOf(co.prefix[:0], ks.physDB(db), key, &co.m)
	return co
}

// allocColl hands out a coll for the running command, reusing those of
// earlier commands with their buffers: a coll, its key, prefix and member
// key buffer were 60% of the bytes HSET allocated. The caller sets every
// field. Colls live until the command ends (endCommand): none is kept
// past it.
func (ks *Keyspace) allocColl() *coll {
	var co *coll
	if n := len(ks.collFree); n > 0 {
		co = ks.collFree[n-1]
		ks.collFree = ks.collFree[:n-1]
	} else {
		co = &coll{}
	}
	if len(ks.collUsed) < collPoolMax {
		ks.collUsed = append(ks.collUsed, co)
	}
	return co
}

// collPoolMax bounds the colls one command hands back for reuse (a bulk
// load opens one per key and runs no command).
const collPoolMax = 64

// recycleColls makes the colls of the command that ended reusable.
func (ks *Keyspace) recycleColls() {
	for i, co := range ks.collUsed {
		if cap(co.kbuf) > 4096 || cap(co.key) > 4096 || cap(co.prefix) > 4096 {
			co.key, co.prefix, co.kbuf = nil, nil, nil
		}
		co.m, co.old = storage.Meta{}, storage.Meta{}
		ks.collFree = append(ks.collFree, co)
		ks.collUsed[i] = nil
	}
	ks.collUsed = ks.collUsed[:0]
}

// newColl is an empty collection for a key known not to exist, which save
// creates.
func (ks *Keyspace) newColl(db int, key []byte, t storage.Type) *coll {
	// Version 0 is never handed out, so until the first write (which
	// takes a fresh version, see put) the prefix holds no records.
	co := ks.allocColl()
	*co = coll{ks: ks, db: db, key: append(co.key[:0], key...), m: storage.Meta{Type: t}, prefix: co.prefix, kbuf: co.kbuf[:0]}
	if t == storage.TypeList {
		co.m.Tail = binary.BigEndian.AppendUint64(nil, listStartHead)
	}
	co.prefix = storage.DataPrefix(co.prefix[:0], ks.physDB(db), key, 0)
	return co
}

// ensureVersion gives a collection being created its version, at its
// first write: reads of missing keys then use none up.
func (co *coll) ensureVersion() {
	if co.m.Version == 0 {
		co.m.Version, co.m.DataKey = co.ks.newVersionOf(co.m.Type), nil
		co.prefix = storage.DataPrefix(co.prefix[:0], co.ks.physDB(co.db), co.key, co.m.Version)
	}
}

// openColl is lookupColl for a command: it replies WRONGTYPE and returns
// nil when key holds another type.
func openColl(c *Client, key []byte, t storage.Type) *coll {
	co, wrong := c.srv.ks.lookupColl(c.db, key, t, true)
	if wrong {
		c.ReplyError(errWrongType)
		return nil
	}
	return co
}

// openCollRead is openColl for a read command: like Redis's lookupKeyRead
// it counts a keyspace hit or miss for INFO (a key of another type is a
// hit).
func openCollRead(c *Client, key []byte, t storage.Type) *coll {
	co, wrong := c.srv.ks.lookupColl(c.db, key, t, true)
	countLookup(c, key, wrong || co.exists)
	if wrong {
		c.ReplyError(errWrongType)
		return nil
	}
	return co
}

// countLookup counts a read lookup's keyspace hit or miss (INFO stats).
// A miss is also Redis 7.0's 'keymiss' notification.
func countLookup(c *Client, key []byte, found bool) {
	if found {
		c.srv.stats.keyspaceHits++
	} else {
		c.srv.stats.keyspaceMisses++
		c.srv.notifyLocked(notifyKeyMiss, "keymiss", c.db, key)
	}
}

// Len is the number of members.
func (co *coll) Len() int64 { return int64(co.m.Count) }

// memberKey returns the store key of sub, in a buffer reused by the next call.
func (co *coll) memberKey(sub []byte) []byte {
	co.kbuf = append(append(co.kbuf[:0], co.prefix...), sub...)
	return co.kbuf
}

// get returns a copy of the value under sub.
func (co *coll) get(sub []byte) ([]byte, bool) {
	if !co.exists && !co.wrote {
		return nil, false
	}
	return co.ks.get(co.memberKey(sub))
}

// has reports whether sub exists.
func (co *coll) has(sub []byte) bool {
	if !co.exists && !co.wrote {
		return false
	}
	return co.ks.has(co.memberKey(sub))
}

// put writes sub = val. The caller keeps m.Count right.
func (co *coll) put(sub, val []byte) {
	co.ensureVersion()
	co.wrote = true
	v := co.ks.set(co.memberKey(sub), val)
	if co.m.Type == storage.TypeList && len(co.ks.lists.m) > 0 {
		if v == nil {
			v = append([]byte(nil), val...)
		}
		co.ks.lists.put(co.prefix, listSubIndex(sub), v)
	}
	// MULTI hook: WATCH. Member writes may leave the meta record alone
	// (HSET of an existing field, ZADD changing a score, LSET).
	co.ks.touchWatched(co.db, co.key, true)
}

// del deletes sub. The caller keeps m.Count right.
func (co *coll) del(sub []byte) {
	co.ensureVersion()
	co.wrote = true
	co.ks.del(co.memberKey(sub))
	if co.m.Type == storage.TypeList && len(co.ks.lists.m) > 0 {
		co.ks.lists.del(co.prefix, listSubIndex(sub))
	}
	co.ks.touchWatched(co.db, co.key, true) // MULTI hook: WATCH
}

// iter returns an iterator over the member records whose sub keys are in
// [lower, upper) (nil: unbounded), seeing every write made so far. Keys it
// returns are whole store keys: use sub to strip the prefix. Close it before
// writing to the collection.
func (co *coll) iter(lower, upper []byte) storage.Iterator {
	lo := append(append([]byte(nil), co.prefix...), lower...)
	var hi []byte
	if upper != nil {
		hi = append(append([]byte(nil), co.prefix...), upper...)
	} else {
		hi = storage.PrefixEnd(co.prefix)
	}
	if it := co.ks.snapshotIter(co, lo, hi, len(lower) == 0 && upper == nil); it != nil {
		return it
	}
	return co.ks.collIter(co.prefix, lo, hi)
}

// iterLive is iter for a list, over a range that lies within its live
// indexes ([head, head+count)): the popped elements a layer or the unit
// still has to delete by range (listtrim.go) lie outside it, so only
// buffered member writes make it drain the buffer.
func (co *coll) iterLive(lower, upper []byte) storage.Iterator {
	lo := append(append([]byte(nil), co.prefix...), lower...)
	hi := append(append([]byte(nil), co.prefix...), upper...)
	return co.ks.collIterMembers(co.prefix, lo, hi)
}

// iterPrefix iterates the members whose sub keys start with p.
func (co *coll) iterPrefix(p []byte) storage.Iterator {
	if len(p) == 0 {
		return co.iter(nil, nil)
	}
	return co.iter(p, storage.PrefixEnd(p))
}

// sub strips the collection prefix from a store key an iterator returned.
func (co *coll) sub(k []byte) []byte { return k[len(co.prefix):] }

// seek helpers: absolute store keys for positioning an iterator.
func (co *coll) seekKey(sub []byte) []byte {
	return append(append([]byte(nil), co.prefix...), sub...)
}

// save writes the meta record as the command left it: a collection left
// empty is deleted (its members are already gone, so no range deletion is
// needed), a new one is created.
func (co *coll) save() {
	ks := co.ks
	switch {
	case co.m.Count == 0 && !co.exists:
	case co.m.Count == 0:
		m := co.old
		m.Count = 0
		ks.deleteMeta(ks.physDB(co.db), co.key, &m)
		if co.fenced() {
			// Its members are gone, its rank fences not (the first one
			// stays, empty): they go with the version.
			ks.dropVersion(ks.physDB(co.db), co.key, &co.m)
		}
		ks.changes++
		co.exists = false
	case !co.exists:
		ks.Put(co.db, co.key, nil, &co.m)
		co.exists, co.old = true, co.m
	default:
		ks.Put(co.db, co.key, &co.old, &co.m)
		co.old = co.m
	}
	if co.m.Count >= isolateMembers {
		ks.isolate(co.prefix)
	}
}

// isolateMembers is the size from which a collection's members are kept
// in store files of their own (storage.RangeIsolator): enough members to
// fill a good part of a file even when small, and few enough collections
// of that size that their own files do not crowd the store.
const isolateMembers = 8192

// isolate asks the store to keep the members under the data prefix
// prefix in files of their own.
func (ks *Keyspace) isolate(prefix []byte) {
	if ks.isolator == nil || bytes.Equal(prefix, ks.lastIsolated) {
		return
	}
	ks.lastIsolated = append(ks.lastIsolated[:0], prefix...)
	ks.isolator.IsolateRange(prefix, storage.PrefixEnd(prefix))
}

// saveEncoding writes the meta record of an existing collection whose
// only change is its encoding flag, as Redis converts one in place
// (SORT turning a listpack sorted set into a skiplist): not a
// modification, so no change is counted and WATCH is untouched.
func (co *coll) saveEncoding() {
	if !co.exists {
		return
	}
	co.ks.PutQuiet(co.db, co.key, &co.old, &co.m)
	co.old = co.m
}

// closeIter closes an iterator, turning an error it met into a storage
// failure.
func closeIter(it storage.Iterator) {
	err := it.Error()
	it.Close()
	if err != nil {
		panic(storageError{err})
	}
}

// ---- encoding flag (hash, set, zset) -------------------------------------------

// big reports whether Redis would keep this collection in its big encoding
// (hashtable or skiplist) by now.
func (co *coll) big() bool { return len(co.m.Tail) > 0 && co.m.Tail[0]&1 != 0 }

// setBig records the (irreversible) conversion to the big encoding.
func (co *coll) setBig() {
	if !co.big() {
		co.setTailBit(1)
	}
}

// ---- lists ---------------------------------------------------------------------

// listStartHead is a new list's head index: the middle of the index space.
const listStartHead = uint64(1) << 63

// listHead is the index of a list's first element.
func (co *coll) listHead() uint64 { return listHeadOf(&co.m) }

// listHeadOf is the absolute index of the first element of the list
// whose meta record is m.
func listHeadOf(m *storage.Meta) uint64 {
	if len(m.Tail) < 8 {
		return listStartHead
	}
	return binary.BigEndian.Uint64(m.Tail)
}

func (co *coll) setListHead(h uint64) {
	co.m.Tail = binary.BigEndian.AppendUint64(nil, h)
}

// listSubIndex decodes a list element's sub key.
func listSubIndex(sub []byte) uint64 {
	if len(sub) != 8 {
		panic(storageError{storage.ErrCorrupt})
	}
	return binary.BigEndian.Uint64(sub)
}

// listSub encodes a list index as a sub key.
func listSub(dst []byte, idx uint64) []byte { return binary.BigEndian.AppendUint64(dst, idx) }

// ---- sorted sets -----------------------------------------------------------------

// zsetMemberSub is the sub key of member's score record.
func zsetMemberSub(dst, member []byte) []byte {
	return append(append(dst, 'm'), member...)
}

// zsetScoreSub is the sub key of member's entry in the score index. -0 is
// stored as +0 so both sort (and compare) as one score, as in Redis.
func zsetScoreSub(dst []byte, score float64, member []byte) []byte {
	if score == 0 {
		score = 0
	}
	dst = append(dst, 's')
	dst = storage.AppendFloatKey(dst, score)
	return append(dst, member...)
}

// zsetScorePrefix is the sub-key prefix of every member with this score.
func zsetScorePrefix(dst []byte, score float64) []byte {
	if score == 0 {
		score = 0
	}
	return storage.AppendFloatKey(append(dst, 's'), score)
}

// parseZsetScoreSub splits a score-index sub key.
func parseZsetScoreSub(sub []byte) (score float64, member []byte) {
	return storage.DecodeFloatKey(sub[1:9]), sub[9:]
}

// encodeScore and decodeScore convert a score record's value.
func encodeScore(f float64) []byte {
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(f))
}

func decodeScore(b []byte) float64 {
	if len(b) != 8 {
		panic(storageError{storage.ErrCorrupt})
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b))
}
