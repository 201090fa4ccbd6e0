package daemon

import (
	"bytes"
	"slices"
	"sort"

	"github.com/redoubtdb/redoubt/storage"
)

// overlayEntry is one write of the pending unit: a value, or a deletion.
type overlayEntry struct {
	key, val []byte
	del      bool
}

// overlayIter merges a small sorted set of pending writes over a store
// iterator, so a command can iterate a collection its own unit (a pipeline,
// later a transaction) has written without committing the unit half-way.
// Every step is a seek on the base iterator; overlays are only built for
// collections the unit has touched, so the common path never pays for it.
type overlayIter struct {
	base storage.Iterator
	over []overlayEntry // sorted by key, no duplicates

	valid    bool
	fromOver bool
	oi       int
	// past is +1 after stepping off the end, -1 off the start, 0 otherwise.
	past int
}

func newOverlayIter(base storage.Iterator, over []overlayEntry) *overlayIter {
	slices.SortFunc(over, func(a, b overlayEntry) int { return bytes.Compare(a.key, b.key) })
	return &overlayIter{base: base, over: over}
}

// shadowed reports whether the overlay has an entry for k (which replaces
// or deletes the base's record).
func (it *overlayIter) shadowed(k []byte) bool {
	i := sort.Search(len(it.over), func(i int) bool { return bytes.Compare(it.over[i].key, k) >= 0 })
	return i < len(it.over) && bytes.Equal(it.over[i].key, k)
}

// settleForward positions on the smaller of the base's entry (skipping
// shadowed ones, forward) and the first live overlay entry at or after oi.
func (it *overlayIter) settleForward(bok bool, oi int) bool {
	for bok && it.shadowed(it.base.Key()) {
		bok = it.base.Next()
	}
	for oi < len(it.over) && it.over[oi].del {
		oi++
	}
	ook := oi < len(it.over)
	switch {
	case !bok && !ook:
		it.valid, it.past = false, 1
		return false
	case ook && (!bok || bytes.Compare(it.over[oi].key, it.base.Key()) < 0):
		it.fromOver, it.oi = true, oi
	default:
		it.fromOver = false
	}
	it.valid, it.past = true, 0
	return true
}

// settleBackward is settleForward's mirror: the larger of the two, at or
// before oi.
func (it *overlayIter) settleBackward(bok bool, oi int) bool {
	for bok && it.shadowed(it.base.Key()) {
		bok = it.base.Prev()
	}
	for oi >= 0 && it.over[oi].del {
		oi--
	}
	ook := oi >= 0
	switch {
	case !bok && !ook:
		it.valid, it.past = false, -1
		return false
	case ook && (!bok || bytes.Compare(it.over[oi].key, it.base.Key()) > 0):
		it.fromOver, it.oi = true, oi
	default:
		it.fromOver = false
	}
	it.valid, it.past = true, 0
	return true
}

func (it *overlayIter) First() bool { return it.settleForward(it.base.First(), 0) }

func (it *overlayIter) Last() bool { return it.settleBackward(it.base.Last(), len(it.over)-1) }

func (it *overlayIter) SeekGE(k []byte) bool {
	oi := sort.Search(len(it.over), func(i int) bool { return bytes.Compare(it.over[i].key, k) >= 0 })
	return it.settleForward(it.base.SeekGE(k), oi)
}

func (it *overlayIter) SeekLT(k []byte) bool {
	oi := sort.Search(len(it.over), func(i int) bool { return bytes.Compare(it.over[i].key, k) >= 0 }) - 1
	return it.settleBackward(it.base.SeekLT(k), oi)
}

func (it *overlayIter) Next() bool {
	if !it.valid {
		if it.past < 0 {
			return it.First()
		}
		return false
	}
	next := append(append([]byte(nil), it.Key()...), 0)
	return it.SeekGE(next)
}

func (it *overlayIter) Prev() bool {
	if !it.valid {
		if it.past > 0 {
			return it.Last()
		}
		return false
	}
	return it.SeekLT(append([]byte(nil), it.Key()...))
}

func (it *overlayIter) Valid() bool { return it.valid }

func (it *overlayIter) Key() []byte {
	if !it.valid {
		return nil
	}
	if it.fromOver {
		return it.over[it.oi].key
	}
	return it.base.Key()
}

func (it *overlayIter) Value() []byte {
	if !it.valid {
		return nil
	}
	if it.fromOver {
		return it.over[it.oi].val
	}
	return it.base.Value()
}

func (it *overlayIter) Error() error { return it.base.Error() }

func (it *overlayIter) Close() error { return it.base.Close() }
