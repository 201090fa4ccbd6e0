package daemon

import (
	"encoding/binary"

	"github.com/redoubtdb/redoubt/storage"
)

// Popped list elements whose records sit in the store alone are not
// deleted one by one: a list's meta record says which absolute indexes
// are live ([head, head+count)), so the element a pop takes is gone as
// soon as the meta record moves, and its record only waits to be
// reclaimed. The pops of a layer record those indexes as runs ("trims"),
// and the layer deletes each run with one range deletion, written before
// its point writes.
//
// A run shorter than trimPointsBelow is written as point deletions, at
// the same place in the batch, and storage/pebble counts a range deletion
// as many records toward switching memtables: Pebble's iterators pay for
// every range deletion of the mutable memtable.
//
// Why: a point deletion per pop was most of what LPOP wrote (the meta
// record is rewritten by every pop but kept once per layer), and then
// compacted: LPOP -P 16 used 1.86 us of server CPU a request, 1.14 without
// the deletions (docs/benchmarks.md, "Pops as range deletions").
//
// Why it is right:
//   - When a pop records index i, the store's records at i, written by
//     layers before the trim's, are all dead: the element the pop took,
//     or ones taken before it. A record of i still in the pending unit or
//     a buffered layer (a push not yet written) gets a point deletion as
//     before, so nothing dead is left behind by a layer.
//   - A push that writes i again after the pop lands in the same layer or
//     a later one: the same layer writes its points after its trims, and
//     later layers are written after it, so the new element stays.
//   - Runs are only merged when they touch, so a merged run holds nothing
//     but indexes popped in the layer: no live record written before it.
//   - Until its layer reaches the store, the store still holds the dead
//     records, outside the live range: reads by index, and iterators over
//     a part of the live range (coll.iterLive: LRANGE, LPOS...), never ask
//     for them. A walk of the whole collection (DUMP, COPY, SAVE, DEBUG
//     DIGEST) drains the buffer first when a layer trims the list
//     (writeBuffer.dirty), and the pending unit's own trims are turned
//     into point deletions before it opens (materializeTrims).
//   - A layer is one batch: after a crash the store holds whole layers,
//     each leaving no dead record.

// idxSpan is a run [lo, hi) of a list's absolute element indexes.
type idxSpan struct{ lo, hi uint64 }

// addSpan adds [lo, hi) to spans, merging it into a run it touches.
func addSpan(spans []idxSpan, lo, hi uint64) []idxSpan {
	for i := range spans {
		s := &spans[i]
		if lo <= s.hi && s.lo <= hi {
			s.lo, s.hi = min(s.lo, lo), max(s.hi, hi)
			return spans
		}
	}
	return append(spans, idxSpan{lo, hi})
}

// mergeTrims adds the runs of src to dst (allocated if nil) and returns it.
func mergeTrims(dst, src map[string][]idxSpan) map[string][]idxSpan {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string][]idxSpan, len(src))
	}
	for p, spans := range src {
		have := dst[p]
		for _, s := range spans {
			have = addSpan(have, s.lo, s.hi)
		}
		dst[p] = have
	}
	return dst
}

// trimRange is the store key range of the run s of the list whose data
// prefix is p.
func trimRange(p string, s idxSpan) (start, end []byte) {
	start = binary.BigEndian.AppendUint64(append(make([]byte, 0, len(p)+8), p...), s.lo)
	end = binary.BigEndian.AppendUint64(append(make([]byte, 0, len(p)+8), p...), s.hi)
	return start, end
}

// trimPointsBelow is the length under which a run is written as point
// deletions: a few pops between two layers (a slow queue) cost less so
// than as a range deletion, which Pebble's iterators pay for until it is
// compacted (storage/pebble's rangeDelRecords).
const trimPointsBelow = 16

// writeTrim adds the deletion of the run s of the list whose data prefix
// is p to b: before the layer's point writes, so a later write of one of
// its indexes in the layer stays.
func writeTrim(b storage.Batch, p string, s idxSpan) error {
	if s.hi-s.lo >= trimPointsBelow {
		return b.DeleteRange(trimRange(p, s))
	}
	k := make([]byte, 0, len(p)+8)
	for abs := s.lo; abs < s.hi; abs++ {
		if err := b.Delete(listSub(append(k[:0], p...), abs)); err != nil {
			return err
		}
	}
	return nil
}

// dropTaken removes the elements at the absolute indexes [lo, hi) of the
// list co, which a pop or LTRIM has just taken off one of its ends (and
// which its meta record no longer covers once saved): a trim of the run,
// plus a point deletion of each record the pending unit or the write
// buffer still holds.
func (co *coll) dropTaken(lo, hi uint64) {
	ks := co.ks
	if ks.sink != nil {
		for abs := lo; abs < hi; abs++ {
			var b [8]byte
			co.del(listIdx(&b, abs))
		}
		return
	}
	co.ensureVersion()
	co.wrote = true
	ks.addTrim(co.prefix, lo, hi)

	_, inUnit := ks.pendingColls[string(co.prefix)]
	inBuffer := ks.bufferHoldsMembers(co.prefix)
	switch {
	case !inUnit && !inBuffer:
	case hi-lo == 1:
		var b [8]byte
		k := co.memberKey(listIdx(&b, lo))
		held := false
		if inUnit {
			_, held = ks.pending[string(k)]
		}
		if !held && inBuffer {
			_, held = ks.wb.lookup(k)
		}
		if held {
			ks.del(k)
		}
	case hi-lo > listWinElems:
		// Many: LTRIM of a long list. The buffer's records of the list
		// go to the store, where the trim deletes them, and the unit's
		// own are found by a walk of the unit, not a lookup per index.
		if inBuffer {
			ks.wb.drain()
		}
		if inUnit {
			start, end := trimRange(string(co.prefix), idxSpan{lo, hi})
			for k := range ks.pending {
				if k >= string(start) && k < string(end) {
					ks.pending[k] = nil
				}
			}
		}
	default:
		keys := make([][]byte, hi-lo)
		for i := range keys {
			keys[i] = listSub(append([]byte(nil), co.prefix...), lo+uint64(i))
		}
		held := make([]bool, len(keys))
		if inBuffer {
			ks.wb.lookupEach(keys, func(i int, _ []byte) { held[i] = true })
		}
		for i, k := range keys {
			if _, ok := ks.pending[string(k)]; ok || held[i] {
				ks.del(k)
			}
		}
	}
	switch {
	case len(ks.lists.m) == 0:
	case hi-lo > listWinElems:
		ks.lists.drop(co.prefix)
	default:
		for abs := lo; abs < hi; abs++ {
			ks.lists.del(co.prefix, abs)
		}
	}
	ks.touchWatched(co.db, co.key, true) // MULTI hook: WATCH
}

// addTrim records the run [lo, hi) of the list whose data prefix is p in
// the pending unit.
func (ks *Keyspace) addTrim(p []byte, lo, hi uint64) {
	if ks.pendingTrims == nil {
		ks.pendingTrims = map[string][]idxSpan{}
	}
	spans := ks.pendingTrims[string(p)]
	// A pop next to the last grows its run in place: no map store.
	if merged := addSpan(spans, lo, hi); len(merged) != len(spans) {
		ks.pendingTrims[string(p)] = merged
	}
}

// bufferHoldsMembers is writeBuffer.holdsMembers, remembered for the
// prefixes it said no for: a layer can only gain member writes from a unit
// that wrote members of the collection, which clears the memory of that
// prefix (commit). Pops from one list asked it once per pop, each a lock
// and a map lookup per layer.
func (ks *Keyspace) bufferHoldsMembers(p []byte) bool {
	if _, ok := ks.bufClean[string(p)]; ok {
		return false
	}
	if ks.wb.holdsMembers(p) {
		return true
	}
	if ks.bufClean == nil || len(ks.bufClean) >= bufCleanMax {
		ks.bufClean = map[string]struct{}{}
	}
	ks.bufClean[string(p)] = struct{}{}
	return false
}

// bufCleanMax bounds the prefixes bufferHoldsMembers remembers.
const bufCleanMax = 1024

// materializeTrims turns the pending unit's trims of the list whose data
// prefix is p into point deletions of the indexes the unit has not
// written since, for an iterator over the unit's view of the list (the
// overlay merges point writes only).
func (ks *Keyspace) materializeTrims(p []byte) {
	spans, ok := ks.pendingTrims[string(p)]
	if !ok {
		return
	}
	delete(ks.pendingTrims, string(p))
	var k []byte
	for _, s := range spans {
		for abs := s.lo; abs < s.hi; abs++ {
			k = listSub(append(k[:0], p...), abs)
			if _, ok := ks.pending[string(k)]; !ok {
				ks.del(k)
			}
		}
	}
}
