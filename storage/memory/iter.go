package memory

import (
	"bytes"

	"github.com/google/btree"

	"github.com/redoubtdb/redoubt/storage"
)

// view is what a reader sees: base (a frozen clone of the store) with the
// range deletions dels hiding some of it, and overlay (a batch's point writes
// and deletions) on top. Nothing in a view is ever written.
type view struct {
	base    *btree.BTreeG[entry]
	overlay *btree.BTreeG[entry]
	dels    spanSet
}

// treeGE returns the first entry of t with key >= k (> k when strict).
func treeGE(t *btree.BTreeG[entry], k []byte, strict bool) (found entry, ok bool) {
	if t == nil {
		return entry{}, false
	}
	t.AscendGreaterOrEqual(entry{key: k}, func(e entry) bool {
		if strict && bytes.Equal(e.key, k) {
			return true
		}
		found, ok = e, true
		return false
	})
	return found, ok
}

// treeLE returns the last entry of t with key <= k (< k when strict), or the
// last entry of all when k is nil and unbounded.
func treeLE(t *btree.BTreeG[entry], k []byte, strict, unbounded bool) (found entry, ok bool) {
	if t == nil {
		return entry{}, false
	}
	visit := func(e entry) bool {
		if strict && !unbounded && bytes.Equal(e.key, k) {
			return true
		}
		found, ok = e, true
		return false
	}
	if unbounded {
		t.Descend(visit)
	} else {
		t.DescendLessOrEqual(entry{key: k}, visit)
	}
	return found, ok
}

func (v *view) baseGE(k []byte, strict bool) (entry, bool) {
	for {
		e, ok := treeGE(v.base, k, strict)
		if !ok {
			return e, false
		}
		sp, hidden := v.dels.find(e.key)
		if !hidden {
			return e, true
		}
		k, strict = sp.end, false
	}
}

func (v *view) baseLE(k []byte, strict, unbounded bool) (entry, bool) {
	for {
		e, ok := treeLE(v.base, k, strict, unbounded)
		if !ok {
			return e, false
		}
		sp, hidden := v.dels.find(e.key)
		if !hidden {
			return e, true
		}
		k, strict, unbounded = sp.start, true, false
	}
}

// seekGE returns the first visible entry with key >= k (> k when strict).
func (v *view) seekGE(k []byte, strict bool) (entry, bool) {
	for {
		b, bok := v.baseGE(k, strict)
		o, ook := treeGE(v.overlay, k, strict)
		if !ook || (bok && bytes.Compare(b.key, o.key) < 0) {
			return b, bok
		}
		if !o.tomb {
			return o, true
		}
		k, strict = o.key, true
	}
}

// seekLE returns the last visible entry with key <= k (< k when strict), or
// the last of all when unbounded.
func (v *view) seekLE(k []byte, strict, unbounded bool) (entry, bool) {
	for {
		b, bok := v.baseLE(k, strict, unbounded)
		o, ook := treeLE(v.overlay, k, strict, unbounded)
		if !ook || (bok && bytes.Compare(b.key, o.key) > 0) {
			return b, bok
		}
		if !o.tomb {
			return o, true
		}
		k, strict, unbounded = o.key, true, false
	}
}

type iterPos int8

const (
	posUnset  iterPos = iota // never positioned
	posValid                 // at key
	posBefore                // ran off the start: Next goes to First
	posAfter                 // ran off the end: Prev goes to Last
)

// iter walks a view within [lower, upper). It copies each entry into its own
// buffers, so a caller that keeps Key or Value past the next positioning
// call sees them change here just as it would with Pebble.
type iter struct {
	s            *Store
	v            view
	lower, upper []byte
	pos          iterPos
	key, value   []byte
	err          error
	closed       bool
}

func newIter(s *Store, v view, lower, upper []byte) *iter {
	it := &iter{s: s, v: v}
	if lower != nil {
		it.lower = bytes.Clone(lower)
	}
	if upper != nil {
		it.upper = bytes.Clone(upper)
	}
	return it
}

func (it *iter) ok() bool {
	if it.closed {
		it.err = errIterClosed
	} else if it.s.closed.Load() {
		it.err = storage.ErrClosed
	}
	if it.err != nil {
		it.pos = posUnset
		return false
	}
	return true
}

// forward positions at the first visible entry >= k (> k when strict).
func (it *iter) forward(k []byte, strict bool) bool {
	e, found := it.v.seekGE(k, strict)
	if !found || (it.upper != nil && bytes.Compare(e.key, it.upper) >= 0) {
		it.pos = posAfter
		return false
	}
	return it.at(e)
}

// backward positions at the last visible entry <= k (< k when strict).
func (it *iter) backward(k []byte, strict, unbounded bool) bool {
	e, found := it.v.seekLE(k, strict, unbounded)
	if !found || (it.lower != nil && bytes.Compare(e.key, it.lower) < 0) {
		it.pos = posBefore
		return false
	}
	return it.at(e)
}

func (it *iter) at(e entry) bool {
	it.key = append(it.key[:0], e.key...)
	it.value = append(it.value[:0], e.value...)
	it.pos = posValid
	return true
}

func (it *iter) First() bool {
	if !it.ok() {
		return false
	}
	return it.forward(it.lower, false)
}

func (it *iter) Last() bool {
	if !it.ok() {
		return false
	}
	return it.backward(it.upper, true, it.upper == nil)
}

func (it *iter) SeekGE(key []byte) bool {
	if !it.ok() {
		return false
	}
	// Clamp into the bounds, as Pebble does.
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	} else if it.upper != nil && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	}
	return it.forward(key, false)
}

func (it *iter) SeekLT(key []byte) bool {
	if !it.ok() {
		return false
	}
	if it.upper != nil && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	} else if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	return it.backward(key, true, false)
}

func (it *iter) Next() bool {
	if !it.ok() {
		return false
	}
	switch it.pos {
	case posValid:
		return it.forward(it.key, true)
	case posBefore:
		return it.forward(it.lower, false)
	}
	return false
}

func (it *iter) Prev() bool {
	if !it.ok() {
		return false
	}
	switch it.pos {
	case posValid:
		return it.backward(it.key, true, false)
	case posAfter:
		return it.backward(it.upper, true, it.upper == nil)
	}
	return false
}

func (it *iter) Valid() bool { return it.pos == posValid }

func (it *iter) Key() []byte {
	if it.pos != posValid {
		return nil
	}
	return it.key
}

func (it *iter) Value() []byte {
	if it.pos != posValid {
		return nil
	}
	return it.value
}

func (it *iter) Error() error { return it.err }

func (it *iter) Close() error {
	if it.closed {
		return errIterClosed
	}
	it.closed = true
	it.pos = posUnset
	it.v = view{}
	if it.s.closed.Load() {
		return storage.ErrClosed
	}
	return nil
}
