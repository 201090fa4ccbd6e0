package daemon

import (
	"bytes"
	"encoding/binary"
	"unsafe"

	"github.com/redoubtdb/redoubt/storage"
)

// Snapshots of small collections. A hash or set of up to snapMaxMembers
// members that a command reads whole (HGETALL, HKEYS, HVALS, SMEMBERS,
// SINTER, SORT...) is kept whole in the row cache, as one entry under its
// data prefix with familySnap in place of the data family byte: every
// record of the version, sub key and value, in key order. The next read of
// it, whole or a range, is a map lookup and a walk of that entry, not a
// Pebble iterator, whose creation and first seek through the memtables and
// levels was 58% of the CPU of HGETALL -P 16 of 5-field hashes (4.2-4.9 us
// of server CPU a request, against Redis's 1.3).
//
// Sorted sets are left out: a member is two records, so a snapshot is
// twice the bytes of one of a hash, and their reads are ranges (ZRANGE
// reads the score index alone, twice over), which a snapshot would have to
// read whole to be made: ZRANGE of random 10-member sorted sets, more than
// the cache holds, measured 30% slower with them. A snapshot is made only
// by a read of the whole collection, which costs what a read without
// snapshots does.
//
// A snapshot is made only from a collection its running unit has not
// written (Keyspace.pendingColls), by the collection iterator every other
// read uses, and dropped by the first write of any unit to a member
// record of that version (noteMember): while a unit holds writes to the
// collection it is read from the store, its writes merged in, as before.
// Range deletions never cover a live version of these types (lists, which
// are trimmed by range, have windows of their own: listwin.go), and a
// version is never reused, so a snapshot of a dropped version is never
// read again and leaves with the cache's evictions. FLUSHDB and FLUSHALL
// clear the cache.

// familySnap is the first byte of a snapshot's row-cache key: no store
// key starts with it.
const familySnap = 'C'

// snapMaxMembers is the most members a snapshotted collection has
// (Keyspace.snapMax; tests set 0, no snapshots).
const snapMaxMembers = 16

// snapKey appends the row-cache key of the snapshot of the collection
// whose data prefix is prefix.
func snapKey(dst, prefix []byte) []byte {
	return append(append(dst, familySnap), prefix[1:]...)
}

// snapRec is one record of a snapshot, aliasing the iterator's copy.
type snapRec struct{ sub, val []byte }

// snapIter iterates a snapshot's records within bounds. Keys are whole
// store keys, as a store iterator's are.
type snapIter struct {
	ks     *Keyspace
	prefix []byte
	buf    []byte // the snapshot's encoding, copied
	recs   []snapRec
	i      int
	key    []byte
	closed bool
}

// snapshotIter returns an iterator over the records of co in [lo, hi)
// served from its snapshot, made now if co qualifies, has none and the
// range is the whole collection (whole); nil when co is to be read from
// the store.
func (ks *Keyspace) snapshotIter(co *coll, lo, hi []byte, whole bool) storage.Iterator {
	switch co.m.Type {
	case storage.TypeHash, storage.TypeSet:
	default:
		return nil
	}
	if co.m.Count == 0 || co.m.Count > ks.snapMax || ks.cache.budget <= 0 {
		return nil
	}
	if _, ok := ks.pendingColls[string(co.prefix)]; ok {
		return nil
	}
	ks.snapBuf = snapKey(ks.snapBuf[:0], co.prefix)
	enc, kind, ok := ks.cache.get(ks.snapBuf, false, 0)
	switch {
	case ok && kind == rowAbsent:
		return nil // too big to keep: read from the store
	case !ok:
		if !whole {
			return nil // a range: read from the store
		}
		if enc = ks.makeSnapshot(co); enc == nil {
			return nil
		}
	}
	it := ks.allocSnapIter()
	it.prefix = append(it.prefix[:0], co.prefix...)
	it.buf = append(it.buf[:0], enc...)
	it.recs = it.recs[:0]
	for b := it.buf; len(b) > 0; {
		var r snapRec
		r.sub, b = snapField(b)
		r.val, b = snapField(b)
		if (lo == nil || it.cmpSub(r.sub, lo) >= 0) && (hi == nil || it.cmpSub(r.sub, hi) < 0) {
			it.recs = append(it.recs, r)
		}
	}
	it.i = -1
	return it
}

// makeSnapshot reads every record of co, caches their encoding under
// ks.snapBuf and returns it. A collection whose records pass
// rowCacheMaxValue gets an absent mark instead, so that its reads do not
// try again until it is written, and makeSnapshot returns nil. So does a
// snapshot the cache would refuse now (it is let in at its next miss, as
// the cache's other entries are): under a working set larger than the
// cache a read then costs what it did without snapshots, not that and a
// read of the whole collection.
func (ks *Keyspace) makeSnapshot(co *coll) []byte {
	// An estimate: a member's sub key and value.
	size := int(co.m.Count) * 16
	if !ks.cache.offer(unsafe.String(unsafe.SliceData(ks.snapBuf), len(ks.snapBuf)), size) {
		return nil
	}
	src := ks.collIter(co.prefix, co.prefix, storage.PrefixEnd(co.prefix))
	enc := ks.snapEnc[:0]
	for ok := src.First(); ok && len(enc) <= rowCacheMaxValue; ok = src.Next() {
		sub := src.Key()[len(co.prefix):]
		enc = binary.AppendUvarint(enc, uint64(len(sub)))
		enc = append(enc, sub...)
		enc = binary.AppendUvarint(enc, uint64(len(src.Value())))
		enc = append(enc, src.Value()...)
	}
	closeIter(src)
	ks.snapEnc = enc
	ks.snaps++
	if len(enc) > rowCacheMaxValue || len(enc) == 0 {
		ks.cache.putAdmitted(string(ks.snapBuf), nil, rowAbsent, ks.cache.floor)
		return nil
	}
	ks.cache.putAdmitted(string(ks.snapBuf), enc, rowValue, ks.cache.floor)
	return enc
}

// dropSnapshot forgets the snapshot of the collection whose data prefix is
// prefix, if the cache holds one.
func (ks *Keyspace) dropSnapshot(prefix []byte) {
	if ks.snaps == 0 {
		return
	}
	ks.snapBuf = snapKey(ks.snapBuf[:0], prefix)
	ks.cache.del(unsafe.String(unsafe.SliceData(ks.snapBuf), len(ks.snapBuf)))
}

// snapField splits one uvarint-length-prefixed field off b.
func snapField(b []byte) (field, rest []byte) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		panic(storageError{storage.ErrCorrupt})
	}
	return b[w : w+int(n) : w+int(n)], b[w+int(n):]
}

func (ks *Keyspace) allocSnapIter() *snapIter {
	if n := len(ks.snapFree); n > 0 {
		it := ks.snapFree[n-1]
		ks.snapFree = ks.snapFree[:n-1]
		it.closed = false
		return it
	}
	return &snapIter{ks: ks}
}

// snapFreeMax bounds the closed iterators kept for reuse.
const snapFreeMax = 8

// cmpSub compares the store key of the record whose sub key is sub with
// key.
func (it *snapIter) cmpSub(sub, key []byte) int {
	n := len(it.prefix)
	if len(key) < n {
		if c := bytes.Compare(it.prefix[:len(key)], key); c != 0 {
			return c
		}
		return 1
	}
	if c := bytes.Compare(it.prefix, key[:n]); c != 0 {
		return c
	}
	return bytes.Compare(sub, key[n:])
}

// search is the first record whose key is >= key.
func (it *snapIter) search(key []byte) int {
	lo, hi := 0, len(it.recs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if it.cmpSub(it.recs[m].sub, key) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (it *snapIter) valid() bool { return it.i >= 0 && it.i < len(it.recs) }

func (it *snapIter) First() bool { it.i = 0; return it.valid() }
func (it *snapIter) Last() bool  { it.i = len(it.recs) - 1; return it.valid() }
func (it *snapIter) SeekGE(key []byte) bool {
	it.i = it.search(key)
	return it.valid()
}
func (it *snapIter) SeekLT(key []byte) bool {
	it.i = it.search(key) - 1
	return it.valid()
}
func (it *snapIter) Next() bool {
	if it.i < len(it.recs) {
		it.i++
	}
	return it.valid()
}
func (it *snapIter) Prev() bool {
	if it.i >= 0 {
		it.i--
	}
	return it.valid()
}
func (it *snapIter) Valid() bool { return it.valid() }
func (it *snapIter) Key() []byte {
	it.key = append(append(it.key[:0], it.prefix...), it.recs[it.i].sub...)
	return it.key
}
func (it *snapIter) Value() []byte { return it.recs[it.i].val }
func (it *snapIter) Error() error  { return nil }

// Close hands the iterator back for reuse.
func (it *snapIter) Close() error {
	if it.closed {
		return nil
	}
	it.closed = true
	if len(it.ks.snapFree) < snapFreeMax {
		it.ks.snapFree = append(it.ks.snapFree, it)
	}
	return nil
}
