package daemon

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"

	"github.com/redoubtdb/redoubt/storage"
)

// A snapshot is the keyspace frozen at one instant, between two units, for
// BGSAVE (and later full syncs) to read at leisure while writes go on:
// Redis forks for this; we drain the write buffer, so every unit committed
// so far is in the store, and take a store snapshot before another unit
// can commit (both under Server.mu). The walk then runs on its own
// goroutine and never touches the live keyspace.

// keyspaceSnapshot is a point-in-time view of every database.
type keyspaceSnapshot struct {
	snap   storage.Snapshot
	phys   []uint16   // logical db -> physical namespace, as of the snapshot
	counts []dbCounts // per physical db
}

// snapshot freezes the keyspace, committing the pending unit first (a
// pipeline's writes before SAVE or BGSAVE are in the snapshot). Never
// called inside EXEC, which must stay one unit: BGSAVE there is scheduled,
// and SAVE and SHUTDOWN are refused in MULTI. Holds Server.mu.
func (ks *Keyspace) snapshot() *keyspaceSnapshot {
	ks.settle()
	return &keyspaceSnapshot{
		snap:   ks.store.NewSnapshot(),
		phys:   append([]uint16(nil), ks.phys...),
		counts: append([]dbCounts(nil), ks.counts...),
	}
}

// keys is the number of keys in every database of the snapshot.
func (v *keyspaceSnapshot) keys() int64 {
	var n int64
	for _, p := range v.phys {
		n += v.counts[p].keys
	}
	return n
}

func (v *keyspaceSnapshot) close() { _ = v.snap.Close() }

// keySink receives a keyspace in RDB order: databases in turn, each key's
// value whole (a collection as Begin, its members, End).
type keySink interface {
	SelectDB(db int, keys, expires uint64) error
	String(key []byte, expireAt int64, val []byte) error
	Begin(t storage.Type, key []byte, expireAt int64, n uint64) error
	// Member gives one member: a hash field and its value, a set member
	// or list element (b nil), or a sorted-set member and its score.
	Member(a, b []byte, score float64) error
	End() error
}

// walk feeds every key of every database to sink. progress, when not nil,
// is told each key as it is done.
func (v *keyspaceSnapshot) walk(sink keySink, progress func()) error {
	var m storage.Meta
	keys := 0
	for db, p := range v.phys {
		if v.counts[p].keys == 0 {
			continue
		}
		if err := sink.SelectDB(db, uint64(v.counts[p].keys), uint64(v.counts[p].expires)); err != nil {
			return err
		}
		prefix := storage.MetaPrefix(nil, p)
		it, err := v.snap.NewIter(prefix, storage.PrefixEnd(prefix))
		if err != nil {
			return err
		}
		members := memberReaders{snap: v.snap, p: p}
		for ok := it.First(); ok; ok = it.Next() {
			key := storage.UserKeyFromMeta(it.Key())
			if err := storage.DecodeMeta(it.Value(), &m); err != nil {
				_ = it.Close()
				_ = members.close()
				return fmt.Errorf("key %q: %w", key, err)
			}
			var r storage.Reader = noMembers{}
			if m.HasData() {
				if r, err = members.reader(len(m.DataName(key))); err != nil {
					_ = it.Close()
					_ = members.close()
					return err
				}
			}
			if err := emitKey(r, p, key, &m, sink); err != nil {
				_ = it.Close()
				_ = members.close()
				return err
			}
			if progress != nil {
				progress()
			}
			if keys++; keys%1024 == 0 {
				// Let the event loops in: Go would preempt this goroutine
				// only every 10 ms, which a client waiting behind it on
				// the same core sees as latency.
				runtime.Gosched()
			}
		}
		if err := members.close(); err != nil {
			_ = it.Close()
			return err
		}
		if err := closeIterErr(it); err != nil {
			return err
		}
	}
	return nil
}

// memberReaders serves the walk of one database the members of its
// collections. The walk visits keys in key order, but members are stored
// by key length first (storage's key layout), so keys of one length are in
// the same order in both, while the next key of another length is
// elsewhere: a reader per length, each over its length's members, mostly
// already stands on the next collection's first member. With one reader
// for every length, the keys of the bench-rdb mix ("key:0" to
// "key:999999") had each collection seek, 17% of a BGSAVE.
type memberReaders struct {
	snap   storage.Snapshot
	p      uint16
	byLen  map[int]*seekReader
	shared *seekReader // for lengths past memberReadersMax
}

// memberReadersMax bounds the iterators a walk keeps open.
const memberReadersMax = 64

// reader returns the reader of the members of keys of length n.
func (m *memberReaders) reader(n int) (*seekReader, error) {
	if r := m.byLen[n]; r != nil {
		return r, nil
	}
	lower := storage.DBPrefix(nil, storage.FamilyData, m.p)
	if len(m.byLen) >= memberReadersMax {
		if m.shared == nil {
			r, err := m.open(lower)
			if err != nil {
				return nil, err
			}
			m.shared = r
		}
		return m.shared, nil
	}
	r, err := m.open(binary.BigEndian.AppendUint32(lower, uint32(n)))
	if err != nil {
		return nil, err
	}
	if m.byLen == nil {
		m.byLen = make(map[int]*seekReader)
	}
	m.byLen[n] = r
	return r, nil
}

// open is a reader over the members under prefix.
func (m *memberReaders) open(prefix []byte) (*seekReader, error) {
	it, err := m.snap.NewIter(prefix, storage.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	return &seekReader{it: it}, nil
}

// close closes every iterator, returning the first error met.
func (m *memberReaders) close() error {
	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	for _, r := range m.byLen {
		keep(closeIterErr(r.it))
	}
	if m.shared != nil {
		keep(closeIterErr(m.shared.it))
	}
	return err
}

// noMembers is the reader of a key that has none (a string not chunked).
type noMembers struct{}

func (noMembers) Get([]byte, []byte) ([]byte, bool, error) {
	return nil, false, errors.New("noMembers: Get")
}

func (noMembers) NewIter([]byte, []byte) (storage.Iterator, error) {
	return nil, errors.New("noMembers: NewIter")
}

// seekReader serves emitKey's member iterators from one open iterator: each
// "new" iterator seeks it to its lower bound and stops at its upper bound.
// Only First and Next are supported, which is all emitKey uses.
//
// The walk asks for collections of one key length in key order, and their
// members follow each other in the same order, so the iterator usually
// already stands on the next collection's first member when its view
// starts, or a few records short of it: First then skips the seek (a seek
// down every level cost a fifth of a BGSAVE). firstGE
// records what makes that safe: when set, the iterator is on the first key
// at or after it (exhausted: there is none).
type seekReader struct {
	it        storage.Iterator
	firstGE   []byte
	exhausted bool
}

func (r *seekReader) Get([]byte, []byte) ([]byte, bool, error) {
	return nil, false, errors.New("seekReader: Get is not supported")
}

func (r *seekReader) NewIter(lower, upper []byte) (storage.Iterator, error) {
	return &seekView{r: r, lower: lower, upper: upper}, nil
}

// seekView is one bounded pass over the shared iterator.
type seekView struct {
	r            *seekReader
	lower, upper []byte
	valid        bool
}

// check reports whether the shared iterator, having just moved, is on a key
// of the view, and notes where it stands once it has left the view.
func (v *seekView) check(ok bool) bool {
	v.valid = ok && (v.upper == nil || bytes.Compare(v.r.it.Key(), v.upper) < 0)
	if !v.valid && v.upper != nil {
		// Out of the view, having moved forward from inside it (or
		// sought to its lower bound): on the first key at or after
		// upper, or past the end.
		v.r.firstGE, v.r.exhausted = v.upper, !ok
	}
	return v.valid
}

func (v *seekView) First() bool {
	r := v.r
	if r.firstGE != nil && bytes.Compare(r.firstGE, v.lower) <= 0 {
		if r.exhausted {
			return v.check(false)
		}
		if bytes.Compare(r.it.Key(), v.lower) >= 0 {
			// The first key at or after firstGE, hence after lower.
			r.firstGE = nil
			return v.check(true)
		}
		// Short of lower, as a sorted set's score index is behind its
		// member records: a few steps cost less than a seek down every
		// level.
		for range seekViewSteps {
			if !r.it.Next() {
				r.exhausted = true
				return v.check(false)
			}
			if bytes.Compare(r.it.Key(), v.lower) >= 0 {
				r.firstGE = nil
				return v.check(true)
			}
		}
	}
	r.firstGE = nil
	return v.check(r.it.SeekGE(v.lower))
}

// seekViewSteps is how far First steps forward before it seeks.
const seekViewSteps = 32

// Next moves within the view. firstGE is already clear: First cleared it,
// and check sets it only on leaving the view.
func (v *seekView) Next() bool { return v.valid && v.check(v.r.it.Next()) }

func (v *seekView) Valid() bool          { return v.valid }
func (v *seekView) Key() []byte          { return v.r.it.Key() }
func (v *seekView) Value() []byte        { return v.r.it.Value() }
func (v *seekView) Error() error         { return v.r.it.Error() }
func (v *seekView) Close() error         { return nil }
func (v *seekView) Last() bool           { panic("seekView: Last") }
func (v *seekView) SeekGE(k []byte) bool { panic("seekView: SeekGE") }
func (v *seekView) SeekLT(k []byte) bool { panic("seekView: SeekLT") }
func (v *seekView) Prev() bool           { panic("seekView: Prev") }

// closeIterErr closes it and returns the first error it met.
func closeIterErr(it storage.Iterator) error {
	err := it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return err
}

// readChunks assembles a chunked string from r (see strchunk.go).
func readChunks(r storage.Reader, p uint16, key []byte, m *storage.Meta) ([]byte, error) {
	prefix := storage.DataPrefixOf(nil, p, key, m)
	it, err := r.NewIter(prefix, storage.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	v := make([]byte, m.Count)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if !bytes.HasPrefix(k, prefix) {
			break
		}
		sub := k[len(prefix):]
		var idx uint64
		if len(sub) == 8 {
			idx = binary.BigEndian.Uint64(sub)
		}
		off := int64(idx) * strChunkSize
		if len(sub) != 8 || idx > uint64(len(v))/strChunkSize || off+int64(len(it.Value())) > int64(len(v)) {
			_ = it.Close()
			return nil, fmt.Errorf("key %q: chunk %x past the string's %d bytes: %w", key, sub, len(v), storage.ErrCorrupt)
		}
		copy(v[off:], it.Value())
	}
	return v, closeIterErr(it)
}

// emitKey feeds one key's value to sink, reading a collection's members
// from r under the key's data prefix.
func emitKey(r storage.Reader, p uint16, key []byte, m *storage.Meta, sink keySink) error {
	if m.Type == storage.TypeString && !m.Chunked {
		return sink.String(key, m.ExpireAt, m.Value)
	}
	if m.Type == storage.TypeString {
		v, err := readChunks(r, p, key, m)
		if err != nil {
			return err
		}
		return sink.String(key, m.ExpireAt, v)
	}
	if err := sink.Begin(m.Type, key, m.ExpireAt, m.Count); err != nil {
		return err
	}
	prefix := storage.DataPrefixOf(nil, p, key, m)
	lower, upper := prefix, storage.PrefixEnd(prefix)
	if m.Type == storage.TypeZSet {
		// The score index gives Redis's order: by score, ties by member.
		lower = append(append([]byte(nil), prefix...), 's')
		upper = storage.PrefixEnd(lower)
	}
	it, err := r.NewIter(lower, upper)
	if err != nil {
		return err
	}
	var n uint64
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if !bytes.HasPrefix(k, prefix) {
			break
		}
		sub := k[len(prefix):]
		switch m.Type {
		case storage.TypeHash:
			err = sink.Member(sub, it.Value(), 0)
		case storage.TypeSet:
			err = sink.Member(sub, nil, 0)
		case storage.TypeList:
			err = sink.Member(it.Value(), nil, 0)
		case storage.TypeZSet:
			if len(sub) < 9 {
				err = fmt.Errorf("key %q: %w", key, storage.ErrCorrupt)
				break
			}
			score, member := parseZsetScoreSub(sub)
			err = sink.Member(member, nil, score)
		default:
			err = fmt.Errorf("key %q: type %v cannot be saved", key, m.Type)
		}
		if err != nil {
			_ = it.Close()
			return err
		}
		n++
	}
	if err := closeIterErr(it); err != nil {
		return err
	}
	if n != m.Count {
		return fmt.Errorf("key %q: %d members stored, %d counted: %w", key, n, m.Count, storage.ErrCorrupt)
	}
	return sink.End()
}
