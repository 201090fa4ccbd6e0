package memory

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/google/btree"

	"github.com/redoubtdb/redoubt/storage"
)

// entry is one record. tomb marks a point deletion inside a batch; the store
// itself never holds tombstones.
type entry struct {
	key   []byte
	value []byte
	tomb  bool
}

func entryLess(a, b entry) bool { return bytes.Compare(a.key, b.key) < 0 }

// btreeDegree trades tree height against the size of the node a write copies
// after a clone: with 32, four levels hold millions of keys and a copied node
// is 63 entries.
const btreeDegree = 32

func newTree() *btree.BTreeG[entry] { return btree.NewG(btreeDegree, entryLess) }

var (
	errForeignBatch = errors.New("storage: batch belongs to another store")
	errCommitted    = errors.New("storage: batch already committed; Reset it first")
	errNilEnd       = errors.New("storage: DeleteRange needs a non-nil end")
	errIterClosed   = errors.New("storage: iterator closed")
	errBatchClosed  = errors.New("storage: batch closed")
	errSnapClosed   = errors.New("storage: snapshot closed")
	// The Pebble backend cannot store the empty key reliably; this one
	// refuses it too so that both behave alike.
	errEmptyKey = errors.New("storage: empty key")
)

// minKey is the smallest key that can be stored.
var minKey = []byte{0}

// Store is an in-memory storage.Store.
type Store struct {
	closed atomic.Bool

	mu struct {
		sync.RWMutex
		data *btree.BTreeG[entry]
		// frozen is a clone of data taken since the last write, shared by
		// every iterator and snapshot opened until the next Commit. Only
		// reads touch it, so sharing it is safe, and a read-mostly workload
		// does not clone on every NewIter.
		frozen *btree.BTreeG[entry]
	}
}

var (
	_ storage.Store    = (*Store)(nil)
	_ storage.Batch    = (*Batch)(nil)
	_ storage.Snapshot = (*snapshot)(nil)
	_ storage.Iterator = (*iter)(nil)
)

// New returns an empty store.
func New() *Store {
	s := &Store{}
	s.mu.data = newTree()
	return s
}

// Get implements storage.Reader.
func (s *Store) Get(dst, key []byte) ([]byte, bool, error) {
	if s.closed.Load() {
		return dst, false, storage.ErrClosed
	}
	s.mu.RLock()
	e, ok := s.mu.data.Get(entry{key: key})
	s.mu.RUnlock()
	if !ok {
		return dst, false, nil
	}
	return append(dst, e.value...), true, nil
}

// frozen returns a read-only clone of the data as of now.
func (s *Store) frozen() *btree.BTreeG[entry] {
	s.mu.RLock()
	t := s.mu.frozen
	s.mu.RUnlock()
	if t != nil {
		return t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Clone mutates the source tree's copy-on-write context, so it needs the
	// write lock; another goroutine may have cloned while we waited.
	if s.mu.frozen == nil {
		s.mu.frozen = s.mu.data.Clone()
	}
	return s.mu.frozen
}

// NewIter implements storage.Reader. The iterator sees the store as of the call.
func (s *Store) NewIter(lower, upper []byte) (storage.Iterator, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	return newIter(s, view{base: s.frozen()}, lower, upper), nil
}

// NewBatch implements storage.Store.
func (s *Store) NewBatch() storage.Batch {
	return &Batch{s: s}
}

// Commit implements storage.Store. sync is ignored: memory is never durable.
func (s *Store) Commit(b storage.Batch, sync bool) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	mb, ok := b.(*Batch)
	if !ok || mb.s != s {
		return errForeignBatch
	}
	if mb.closed {
		return errBatchClosed
	}
	if mb.committed {
		return errCommitted
	}
	mb.committed = true
	if mb.count == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.frozen = nil
	// Every overlay entry is newer than every range deletion that covers it
	// (DeleteRange drops the overlay entries it covers), so ranges first,
	// then the overlay, replays the batch in its original order.
	var doomed []entry
	for _, sp := range mb.dels {
		doomed = doomed[:0]
		s.mu.data.AscendRange(entry{key: sp.start}, entry{key: sp.end}, func(e entry) bool {
			doomed = append(doomed, e)
			return true
		})
		for _, e := range doomed {
			s.mu.data.Delete(e)
		}
	}
	if mb.overlay != nil {
		mb.overlay.Ascend(func(e entry) bool {
			if e.tomb {
				s.mu.data.Delete(e)
			} else {
				s.mu.data.ReplaceOrInsert(e)
			}
			return true
		})
	}
	return nil
}

// Sync implements storage.Store; there is nothing to make durable.
func (s *Store) Sync() error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return nil
}

// NewSnapshot implements storage.Store.
func (s *Store) NewSnapshot() storage.Snapshot {
	if s.closed.Load() {
		return &snapshot{s: s}
	}
	return &snapshot{s: s, data: s.frozen()}
}

// Close implements storage.Store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return storage.ErrClosed
	}
	s.mu.Lock()
	s.mu.data = newTree()
	s.mu.frozen = nil
	s.mu.Unlock()
	return nil
}

type snapshot struct {
	s      *Store
	data   *btree.BTreeG[entry] // nil when taken on a closed store
	closed bool
}

func (sn *snapshot) check() error {
	if sn.s.closed.Load() || sn.data == nil {
		return storage.ErrClosed
	}
	if sn.closed {
		return errSnapClosed
	}
	return nil
}

func (sn *snapshot) Get(dst, key []byte) ([]byte, bool, error) {
	if err := sn.check(); err != nil {
		return dst, false, err
	}
	e, ok := sn.data.Get(entry{key: key})
	if !ok {
		return dst, false, nil
	}
	return append(dst, e.value...), true, nil
}

func (sn *snapshot) NewIter(lower, upper []byte) (storage.Iterator, error) {
	if err := sn.check(); err != nil {
		return nil, err
	}
	return newIter(sn.s, view{base: sn.data}, lower, upper), nil
}

func (sn *snapshot) Close() error {
	if sn.s.closed.Load() {
		return storage.ErrClosed
	}
	if sn.closed {
		return errSnapClosed
	}
	sn.closed = true
	sn.data = nil
	return nil
}
