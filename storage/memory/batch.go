package memory

import (
	"bytes"
	"sort"

	"github.com/google/btree"

	"github.com/redoubtdb/redoubt/storage"
)

// Batch is a storage.Batch for a memory Store.
type Batch struct {
	s *Store
	// overlay holds the batch's point writes, newest per key; nil until the
	// first write.
	overlay *btree.BTreeG[entry]
	// dels are the range deletions, applied to the store beneath overlay.
	dels      spanSet
	count     int
	committed bool
	closed    bool
}

func (b *Batch) checkWrite() error {
	if err := b.checkRead(); err != nil {
		return err
	}
	if b.committed {
		return errCommitted
	}
	return nil
}

func (b *Batch) checkRead() error {
	if b.s.closed.Load() {
		return storage.ErrClosed
	}
	if b.closed {
		return errBatchClosed
	}
	return nil
}

func (b *Batch) put(e entry) {
	if b.overlay == nil {
		b.overlay = newTree()
	}
	b.overlay.ReplaceOrInsert(e)
	b.count++
}

// Set implements storage.Batch.
func (b *Batch) Set(key, value []byte) error {
	if err := b.checkWrite(); err != nil {
		return err
	}
	if len(key) == 0 {
		return errEmptyKey
	}
	// One allocation for both; the store keeps the slices after Commit and
	// nothing ever writes to them again.
	buf := make([]byte, len(key)+len(value))
	copy(buf, key)
	copy(buf[len(key):], value)
	b.put(entry{key: buf[:len(key):len(key)], value: buf[len(key):]})
	return nil
}

// Delete implements storage.Batch.
func (b *Batch) Delete(key []byte) error {
	if err := b.checkWrite(); err != nil {
		return err
	}
	if len(key) == 0 {
		return errEmptyKey
	}
	b.put(entry{key: bytes.Clone(key), tomb: true})
	return nil
}

// DeleteRange implements storage.Batch. An empty or inverted range is not
// recorded at all, and an empty start counts as "\x00", the smallest key that
// can be stored, exactly as in the Pebble backend (Count must agree).
func (b *Batch) DeleteRange(start, end []byte) error {
	if err := b.checkWrite(); err != nil {
		return err
	}
	if end == nil {
		return errNilEnd
	}
	if len(start) == 0 {
		start = minKey
	}
	if bytes.Compare(start, end) >= 0 {
		return nil
	}
	b.count++
	if b.overlay != nil {
		var doomed []entry
		b.overlay.AscendRange(entry{key: start}, entry{key: end}, func(e entry) bool {
			doomed = append(doomed, e)
			return true
		})
		for _, e := range doomed {
			b.overlay.Delete(e)
		}
	}
	b.dels = b.dels.add(bytes.Clone(start), bytes.Clone(end))
	return nil
}

// Count implements storage.Batch.
func (b *Batch) Count() int { return b.count }

// Reset implements storage.Batch.
func (b *Batch) Reset() {
	// Dropping rather than clearing the overlay: the store now shares its
	// entries, and iterators may still hold clones of it.
	b.overlay = nil
	b.dels = nil
	b.count = 0
	b.committed = false
}

// Close implements storage.Batch.
func (b *Batch) Close() error {
	if b.closed {
		return errBatchClosed
	}
	b.Reset()
	b.closed = true
	if b.s.closed.Load() {
		return storage.ErrClosed
	}
	return nil
}

// Get implements storage.Reader: the batch's writes over the store as it is now.
func (b *Batch) Get(dst, key []byte) ([]byte, bool, error) {
	if err := b.checkRead(); err != nil {
		return dst, false, err
	}
	if b.overlay != nil {
		if e, ok := b.overlay.Get(entry{key: key}); ok {
			if e.tomb {
				return dst, false, nil
			}
			return append(dst, e.value...), true, nil
		}
	}
	if b.dels.covers(key) {
		return dst, false, nil
	}
	return b.s.Get(dst, key)
}

// NewIter implements storage.Reader. The iterator sees the batch's writes
// made so far, not later ones, over the store as of the call.
func (b *Batch) NewIter(lower, upper []byte) (storage.Iterator, error) {
	if err := b.checkRead(); err != nil {
		return nil, err
	}
	v := view{base: b.s.frozen(), dels: b.dels}
	if b.overlay != nil {
		v.overlay = b.overlay.Clone()
	}
	return newIter(b.s, v, lower, upper), nil
}

// span is a half-open range [start, end).
type span struct{ start, end []byte }

// spanSet is sorted by start; its spans neither overlap nor touch. add never
// modifies a slice in place, so an iterator may keep the one it was given.
type spanSet []span

func (ss spanSet) find(k []byte) (span, bool) {
	i := sort.Search(len(ss), func(i int) bool { return bytes.Compare(ss[i].start, k) > 0 }) - 1
	if i >= 0 && bytes.Compare(k, ss[i].end) < 0 {
		return ss[i], true
	}
	return span{}, false
}

func (ss spanSet) covers(k []byte) bool {
	_, ok := ss.find(k)
	return ok
}

func (ss spanSet) add(start, end []byte) spanSet {
	// [i, j) are the spans that overlap or touch [start, end).
	i := sort.Search(len(ss), func(i int) bool { return bytes.Compare(ss[i].end, start) >= 0 })
	j := sort.Search(len(ss), func(i int) bool { return bytes.Compare(ss[i].start, end) > 0 })
	if i < j {
		if bytes.Compare(ss[i].start, start) < 0 {
			start = ss[i].start
		}
		if bytes.Compare(ss[j-1].end, end) > 0 {
			end = ss[j-1].end
		}
	}
	out := make(spanSet, 0, len(ss)-(j-i)+1)
	out = append(out, ss[:i]...)
	out = append(out, span{start, end})
	return append(out, ss[j:]...)
}
