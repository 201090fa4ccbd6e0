package pebble

import (
	"bytes"

	"github.com/cockroachdb/pebble/v2"

	"github.com/redoubtdb/redoubt/storage"
)

// minKey is the smallest key that can be stored.
var minKey = []byte{0}

// batch wraps a Pebble indexed batch. Reset after Commit reuses the batch's
// buffer and skiplist index, which Pebble supports for any batch that is not
// held by the WAL failover machinery (Redoubt does not enable failover).
type batch struct {
	s         *Store
	b         *pebble.Batch // nil once closed, or when made on a closed store
	committed bool
	writeOnly bool // made by NewWriteBatch: no reads
	rangeDels int  // range deletions recorded (see rangeDelRecords)
}

func (b *batch) checkRead() error {
	if b.s.closed.Load() {
		return storage.ErrClosed
	}
	if b.b == nil {
		return errBatchClosed
	}
	return nil
}

func (b *batch) checkWrite() error {
	if err := b.checkRead(); err != nil {
		return err
	}
	if b.committed {
		return errCommitted
	}
	return nil
}

func (b *batch) Get(dst, key []byte) ([]byte, bool, error) {
	if err := b.checkRead(); err != nil {
		return dst, false, err
	}
	if b.writeOnly {
		return dst, false, storage.ErrWriteOnly
	}
	return get(b.b, dst, key)
}

// NewIter sees the batch's writes made so far, not later ones.
func (b *batch) NewIter(lower, upper []byte) (storage.Iterator, error) {
	if err := b.checkRead(); err != nil {
		return nil, err
	}
	if b.writeOnly {
		return nil, storage.ErrWriteOnly
	}
	return newIter(b.s, b.b, lower, upper)
}

func (b *batch) Set(key, value []byte) error {
	if err := b.checkWrite(); err != nil {
		return err
	}
	if len(key) == 0 {
		return errEmptyKey
	}
	return b.b.Set(key, value, nil)
}

func (b *batch) Delete(key []byte) error {
	if err := b.checkWrite(); err != nil {
		return err
	}
	if len(key) == 0 {
		return errEmptyKey
	}
	return b.b.Delete(key, nil)
}

// DeleteRange does not record an empty or inverted range: Pebble would accept
// it into the batch, but an inverted tombstone has no business in an sstable.
// An empty start becomes "\x00", the smallest key that can be stored, so that
// no tombstone starts at the empty key.
func (b *batch) DeleteRange(start, end []byte) error {
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
	if err := b.b.DeleteRange(start, end, nil); err != nil {
		return err
	}
	b.rangeDels++
	return nil
}

func (b *batch) Count() int {
	if b.b == nil {
		return 0
	}
	return int(b.b.Count())
}

func (b *batch) Reset() {
	if b.b != nil {
		b.b.Reset()
	}
	b.committed = false
}

func (b *batch) Close() error {
	if b.b == nil {
		if b.s.closed.Load() {
			return storage.ErrClosed
		}
		return errBatchClosed
	}
	err := b.b.Close()
	b.b = nil
	if b.s.closed.Load() {
		return storage.ErrClosed
	}
	return err
}
