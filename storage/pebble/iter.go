package pebble

import (
	"bytes"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/redoubtdb/redoubt/storage"
)

// iter wraps a *pebble.Iterator. Pebble copies the bounds, so the caller may
// reuse its slices at once.
//
// No empty key is ever handed to Pebble (see errEmptyKey): an empty lower
// bound is no bound, an empty seek key becomes First or nil, and a range
// that can hold nothing gets no Pebble iterator at all.
type iter struct {
	s  *Store
	it *pebble.Iterator // nil for an empty range
	// positioned is false until the first absolute positioning call: Pebble
	// answers Prev on a fresh iterator with the last key, the memory backend
	// and the contract with nothing.
	positioned bool
	closed     bool
	err        error // sticky: use after Close, or a failed value fetch
}

func newIter(s *Store, r pebble.Reader, lower, upper []byte) (*iter, error) {
	if len(lower) == 0 {
		lower = nil
	}
	if upper != nil && (len(upper) == 0 || (lower != nil && bytes.Compare(lower, upper) >= 0)) {
		// Nothing fits, and Pebble assumes lower <= upper: its invariant
		// checks panic on SeekLT over an inverted range.
		return &iter{s: s}, nil
	}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("storage: new iterator: %w", err)
	}
	return &iter{s: s, it: it}, nil
}

// usable reports whether the iterator may move (the Pebble iterator, if
// any, may be touched).
func (i *iter) usable() bool {
	if i.closed {
		i.err = errIterClosed
	} else if i.s.closed.Load() {
		i.err = storage.ErrClosed
	}
	return i.err == nil
}

func (i *iter) First() bool {
	if !i.usable() {
		return false
	}
	i.positioned = true
	return i.it != nil && i.it.First()
}

func (i *iter) Last() bool {
	if !i.usable() {
		return false
	}
	i.positioned = true
	return i.it != nil && i.it.Last()
}

func (i *iter) SeekGE(key []byte) bool {
	if !i.usable() {
		return false
	}
	i.positioned = true
	if i.it == nil {
		return false
	}
	if len(key) == 0 {
		return i.it.First()
	}
	return i.it.SeekGE(key)
}

func (i *iter) SeekLT(key []byte) bool {
	if !i.usable() {
		return false
	}
	i.positioned = true
	if i.it == nil {
		return false
	}
	if len(key) == 0 {
		key = nil // nothing sorts before it; Pebble treats nil as no key
	}
	return i.it.SeekLT(key)
}

func (i *iter) Next() bool {
	if !i.usable() || !i.positioned || i.it == nil {
		return false
	}
	return i.it.Next()
}

func (i *iter) Prev() bool {
	if !i.usable() || !i.positioned || i.it == nil {
		return false
	}
	return i.it.Prev()
}

func (i *iter) Valid() bool {
	return i.err == nil && !i.closed && i.it != nil && i.positioned && i.it.Valid()
}

func (i *iter) Key() []byte {
	if !i.Valid() {
		return nil
	}
	return i.it.Key()
}

func (i *iter) Value() []byte {
	if !i.Valid() {
		return nil
	}
	v, err := i.it.ValueAndErr()
	if err != nil {
		i.err = err
		return nil
	}
	return v
}

func (i *iter) Error() error {
	if i.err != nil {
		return i.err
	}
	if i.it == nil || i.closed {
		return nil
	}
	return i.it.Error()
}

func (i *iter) Close() error {
	if i.closed {
		return errIterClosed
	}
	i.closed = true
	i.err = errIterClosed
	if i.s.closed.Load() {
		// The database is gone; closing the Pebble iterator would touch it.
		return storage.ErrClosed
	}
	if i.it == nil {
		return nil
	}
	return i.it.Close()
}
