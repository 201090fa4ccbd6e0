package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

// Metamorphic applies ops random operations, drawn from seed, to a and b
// (batch writes, commits with and without sync, resets, reads through the
// stores, batches and snapshots, iterators stepped in both directions, Sync,
// and Flush where a store has one) and fails at the first result on which
// the two differ, printing the operations that led there. a and b must start
// with the same contents; Metamorphic closes what it opens but not them.
func Metamorphic(t *testing.T, a, b storage.Store, seed int64, ops int) {
	t.Helper()
	if _, err := metamorphic(a, b, seed, ops); err != nil {
		t.Fatal(err)
	}
}

// Flusher is implemented by stores that can write their memtables out;
// Metamorphic calls it now and then so that reads cross on-disk tables too.
type Flusher interface {
	Flush() error
}

// Batches, snapshots and iterators are named in the history by an id that
// stays the same while others come and go.

type mmBatch struct {
	id        int
	b         [2]storage.Batch
	committed bool
}

type mmSnap struct {
	id int
	s  [2]storage.Snapshot
}

type mmIter struct {
	id     int
	it     [2]storage.Iterator
	batch  *mmBatch // the reader it came from, if a batch
	snap   *mmSnap  // or a snapshot
	reader string
}

type mmRun struct {
	rng     *rand.Rand
	st      [2]storage.Store
	batches []*mmBatch
	snaps   []*mmSnap
	iters   []*mmIter
	keys    [][]byte
	history []string
	values  int
	ids     int
}

func (m *mmRun) nextID() int {
	m.ids++
	return m.ids
}

// metamorphic returns the run so that tests can look at what it did.
func metamorphic(a, b storage.Store, seed int64, ops int) (_ *mmRun, err error) {
	m := &mmRun{rng: rand.New(rand.NewSource(seed)), st: [2]storage.Store{a, b}}
	// Keys over a tiny alphabet, including the empty key and the extreme
	// bytes, collide often and share prefixes.
	alphabet := []byte{0x00, 'a', 'b', 0xff}
	m.keys = [][]byte{{}}
	for n := 0; n < len(m.keys) && len(m.keys[n]) < 3; n++ {
		for _, c := range alphabet {
			m.keys = append(m.keys, append(bytes.Clone(m.keys[n]), c))
		}
	}
	slices.SortFunc(m.keys, bytes.Compare)
	defer func() {
		if err != nil {
			h := m.history
			if len(h) > 60 {
				h = h[len(h)-60:]
			}
			err = fmt.Errorf("metamorphic seed %d, op %d: %w\nlast operations:\n  %s",
				seed, len(m.history), err, strings.Join(h, "\n  "))
		}
	}()
	for range ops {
		if err := m.step(); err != nil {
			return m, err
		}
	}
	for len(m.iters) > 0 {
		if err := m.closeIter(0); err != nil {
			return m, err
		}
	}
	for len(m.snaps) > 0 {
		if err := m.closeSnap(0); err != nil {
			return m, err
		}
	}
	for len(m.batches) > 0 {
		if err := m.closeBatch(0); err != nil {
			return m, err
		}
	}
	m.logf("final scan")
	for _, reverse := range []bool{false, true} {
		var dump [2]string
		for i, s := range m.st {
			it, err := s.NewIter(nil, nil)
			if err != nil {
				return m, err
			}
			ok := it.First()
			if reverse {
				ok = it.Last()
			}
			var sb strings.Builder
			for ; ok; ok = step(it, reverse) {
				fmt.Fprintf(&sb, "%q=%q ", it.Key(), it.Value())
			}
			if err := errors.Join(it.Error(), it.Close()); err != nil {
				return m, err
			}
			dump[i] = sb.String()
		}
		if dump[0] != dump[1] {
			return m, fmt.Errorf("final contents differ (reverse %v):\n a: %s\n b: %s", reverse, dump[0], dump[1])
		}
	}
	return m, nil
}

func step(it storage.Iterator, reverse bool) bool {
	if reverse {
		return it.Prev()
	}
	return it.Next()
}

func (m *mmRun) logf(format string, args ...any) {
	m.history = append(m.history, fmt.Sprintf(format, args...))
}

func (m *mmRun) key() []byte { return m.keys[m.rng.Intn(len(m.keys))] }

func (m *mmRun) value() []byte {
	if m.rng.Intn(8) == 0 {
		return []byte{}
	}
	m.values++
	return fmt.Appendf(nil, "v%d", m.values)
}

func (m *mmRun) step() error {
	switch r := m.rng.Intn(100); {
	case r < 42:
		return m.write()
	case r < 49:
		return m.batchGet()
	case r < 55:
		return m.commit()
	case r < 57:
		return m.resetBatch()
	case r < 59:
		if len(m.batches) > 0 {
			return m.closeBatch(m.rng.Intn(len(m.batches)))
		}
	case r < 67:
		return m.get(-1)
	case r < 72:
		return m.newIter()
	case r < 86:
		return m.iterOp()
	case r < 91:
		if len(m.iters) > 0 {
			return m.closeIter(m.rng.Intn(len(m.iters)))
		}
	case r < 93:
		return m.newSnap()
	case r < 96:
		if len(m.snaps) > 0 {
			return m.get(m.rng.Intn(len(m.snaps)))
		}
	case r < 97:
		if len(m.snaps) > 0 {
			return m.closeSnap(m.rng.Intn(len(m.snaps)))
		}
	case r < 99:
		m.logf("sync")
		return m.both("Sync", func(i int) error { return m.st[i].Sync() })
	default:
		m.logf("flush")
		for _, s := range m.st {
			if f, ok := s.(Flusher); ok {
				if err := f.Flush(); err != nil {
					return fmt.Errorf("flush: %w", err)
				}
			}
		}
	}
	return nil
}

// both runs fn on each side and requires the same success or failure.
func (m *mmRun) both(what string, fn func(i int) error) error {
	ea, eb := fn(0), fn(1)
	if (ea == nil) != (eb == nil) {
		return fmt.Errorf("%s: a returned %v, b returned %v", what, ea, eb)
	}
	return nil
}

// batch returns an open batch, making one when there is none or few.
func (m *mmRun) batch() (int, *mmBatch) {
	if len(m.batches) == 0 || (len(m.batches) < 3 && m.rng.Intn(20) == 0) {
		mb := &mmBatch{id: m.nextID(), b: [2]storage.Batch{m.st[0].NewBatch(), m.st[1].NewBatch()}}
		m.logf("b%d = new batch", mb.id)
		m.batches = append(m.batches, mb)
	}
	i := m.rng.Intn(len(m.batches))
	return m.batches[i].id, m.batches[i]
}

func (m *mmRun) write() error {
	id, mb := m.batch()
	switch r := m.rng.Intn(10); {
	case r < 7:
		k, v := m.key(), m.value()
		m.logf("b%d: set %q %q", id, k, v)
		return m.both("Set", func(s int) error { return mb.b[s].Set(k, v) })
	case r < 9:
		k := m.key()
		m.logf("b%d: delete %q", id, k)
		return m.both("Delete", func(s int) error { return mb.b[s].Delete(k) })
	default:
		// Mostly short ranges, which leave something to read; some long,
		// some empty or inverted.
		lo := m.rng.Intn(len(m.keys))
		hi := min(lo+m.rng.Intn(6), len(m.keys)-1)
		if m.rng.Intn(4) == 0 {
			hi = m.rng.Intn(len(m.keys))
		}
		start, end := m.keys[lo], m.keys[hi]
		if hi < lo && m.rng.Intn(4) != 0 {
			start, end = end, start
		}
		m.logf("b%d: delrange %q %q", id, start, end)
		if err := m.both("DeleteRange", func(s int) error { return mb.b[s].DeleteRange(start, end) }); err != nil {
			return err
		}
		if ca, cb := mb.b[0].Count(), mb.b[1].Count(); ca != cb {
			return fmt.Errorf("batch counts differ: a %d, b %d", ca, cb)
		}
	}
	return nil
}

func (m *mmRun) batchGet() error {
	id, mb := m.batch()
	return m.compareGet(fmt.Sprintf("b%d", id), mb.b[0], mb.b[1])
}

// get reads through the stores (snap < 0) or through snapshot snap.
func (m *mmRun) get(snap int) error {
	if snap < 0 {
		return m.compareGet("store", m.st[0], m.st[1])
	}
	ms := m.snaps[snap]
	return m.compareGet(fmt.Sprintf("s%d", ms.id), ms.s[0], ms.s[1])
}

func (m *mmRun) compareGet(name string, a, b storage.Reader) error {
	k := m.key()
	var dst []byte
	if m.rng.Intn(2) == 0 {
		dst = []byte("dst:")
	}
	va, fa, ea := a.Get(bytes.Clone(dst), k)
	vb, fb, eb := b.Get(bytes.Clone(dst), k)
	m.logf("%s: get %q -> %q %v %v", name, k, va, fa, ea)
	if !bytes.Equal(va, vb) || fa != fb || (ea == nil) != (eb == nil) {
		return fmt.Errorf("%s get %q: a = %q %v %v, b = %q %v %v", name, k, va, fa, ea, vb, fb, eb)
	}
	return ea
}

func (m *mmRun) commit() error {
	if len(m.batches) == 0 {
		return nil
	}
	i := m.rng.Intn(len(m.batches))
	mb := m.batches[i]
	if err := m.closeItersOf(mb, nil); err != nil {
		return err
	}
	sync := m.rng.Intn(10) == 0
	m.logf("b%d: commit sync=%v (count %d)", mb.id, sync, mb.b[0].Count())
	if err := m.both("Commit", func(s int) error { return m.st[s].Commit(mb.b[s], sync) }); err != nil {
		return err
	}
	mb.committed = true
	switch r := m.rng.Intn(10); {
	case r < 6:
		m.logf("b%d: reset", mb.id)
		mb.b[0].Reset()
		mb.b[1].Reset()
		mb.committed = false
	case r < 8:
		return m.closeBatch(i)
	}
	// Otherwise the batch stays committed: writes must fail on both sides.
	return nil
}

func (m *mmRun) resetBatch() error {
	if len(m.batches) == 0 {
		return nil
	}
	i := m.rng.Intn(len(m.batches))
	mb := m.batches[i]
	if err := m.closeItersOf(mb, nil); err != nil {
		return err
	}
	m.logf("b%d: reset", mb.id)
	mb.b[0].Reset()
	mb.b[1].Reset()
	mb.committed = false
	return nil
}

func (m *mmRun) closeBatch(i int) error {
	mb := m.batches[i]
	if err := m.closeItersOf(mb, nil); err != nil {
		return err
	}
	m.logf("b%d: close", mb.id)
	m.batches = append(m.batches[:i], m.batches[i+1:]...)
	return m.both("batch Close", func(s int) error { return mb.b[s].Close() })
}

func (m *mmRun) newSnap() error {
	if len(m.snaps) >= 3 {
		return nil
	}
	ms := &mmSnap{id: m.nextID(), s: [2]storage.Snapshot{m.st[0].NewSnapshot(), m.st[1].NewSnapshot()}}
	m.logf("s%d = new snapshot", ms.id)
	m.snaps = append(m.snaps, ms)
	return nil
}

func (m *mmRun) closeSnap(i int) error {
	ms := m.snaps[i]
	if err := m.closeItersOf(nil, ms); err != nil {
		return err
	}
	m.logf("s%d: close", ms.id)
	m.snaps = append(m.snaps[:i], m.snaps[i+1:]...)
	return m.both("snapshot Close", func(s int) error { return ms.s[s].Close() })
}

func (m *mmRun) bound() []byte {
	if m.rng.Intn(3) == 0 {
		return nil
	}
	return m.key()
}

func (m *mmRun) newIter() error {
	if len(m.iters) >= 4 {
		return nil
	}
	lower, upper := m.bound(), m.bound()
	mi := &mmIter{id: m.nextID()}
	var r [2]storage.Reader
	switch c := m.rng.Intn(5); {
	case c < 3 && len(m.batches) > 0:
		i := m.rng.Intn(len(m.batches))
		mi.batch = m.batches[i]
		mi.reader = fmt.Sprintf("b%d", mi.batch.id)
		r = [2]storage.Reader{mi.batch.b[0], mi.batch.b[1]}
	case c == 3 && len(m.snaps) > 0:
		i := m.rng.Intn(len(m.snaps))
		mi.snap = m.snaps[i]
		mi.reader = fmt.Sprintf("s%d", mi.snap.id)
		r = [2]storage.Reader{mi.snap.s[0], mi.snap.s[1]}
	default:
		mi.reader = "store"
		r = [2]storage.Reader{m.st[0], m.st[1]}
	}
	m.logf("i%d = %s.NewIter(%q, %q)", mi.id, mi.reader, lower, upper)
	for s := range 2 {
		it, err := r[s].NewIter(lower, upper)
		if err != nil {
			return fmt.Errorf("NewIter on side %d: %w", s, err)
		}
		mi.it[s] = it
	}
	m.iters = append(m.iters, mi)
	return nil
}

func (m *mmRun) iterOp() error {
	if len(m.iters) == 0 {
		return m.newIter()
	}
	i := m.rng.Intn(len(m.iters))
	mi := m.iters[i]
	var name string
	var fn func(storage.Iterator) bool
	switch m.rng.Intn(8) {
	case 0:
		name, fn = "first", storage.Iterator.First
	case 1:
		name, fn = "last", storage.Iterator.Last
	case 2:
		k := m.key()
		name, fn = fmt.Sprintf("seekge %q", k), func(it storage.Iterator) bool { return it.SeekGE(k) }
	case 3:
		k := m.key()
		name, fn = fmt.Sprintf("seeklt %q", k), func(it storage.Iterator) bool { return it.SeekLT(k) }
	case 4, 5:
		name, fn = "next", storage.Iterator.Next
	default:
		name, fn = "prev", storage.Iterator.Prev
	}
	pa := position(mi.it[0], fn(mi.it[0]))
	pb := position(mi.it[1], fn(mi.it[1]))
	m.logf("i%d (%s): %s -> %s", mi.id, mi.reader, name, pa)
	if pa != pb {
		return fmt.Errorf("i%d (%s) %s: a at %s, b at %s", mi.id, mi.reader, name, pa, pb)
	}
	for s, it := range mi.it {
		if err := it.Error(); err != nil {
			return fmt.Errorf("i%d side %d: %w", mi.id, s, err)
		}
	}
	return nil
}

func (m *mmRun) closeIter(i int) error {
	mi := m.iters[i]
	m.logf("i%d: close", mi.id)
	m.iters = append(m.iters[:i], m.iters[i+1:]...)
	for s, it := range mi.it {
		if err := it.Close(); err != nil {
			return fmt.Errorf("iter close side %d: %w", s, err)
		}
	}
	return nil
}

// closeItersOf closes the iterators reading through mb or ms, which must go
// before their reader is committed, reset or closed.
func (m *mmRun) closeItersOf(mb *mmBatch, ms *mmSnap) error {
	for i := 0; i < len(m.iters); {
		if (mb != nil && m.iters[i].batch == mb) || (ms != nil && m.iters[i].snap == ms) {
			if err := m.closeIter(i); err != nil {
				return err
			}
			continue
		}
		i++
	}
	return nil
}
