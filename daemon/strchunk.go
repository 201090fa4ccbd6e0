package daemon

import (
	"encoding/binary"

	"github.com/redoubtdb/redoubt/storage"
)

// A string lives in its meta record until a command changes it in place
// (APPEND, SETRANGE, SETBIT, BITFIELD) and leaves it longer than
// strChunkAbove. From then on it is chunked: the meta record holds its
// length (Count) and a version, and its bytes live in records of
// strChunkSize bytes under storage.DataPrefix(physDB, key, version), sub
// key the chunk's index (u64 big-endian: proto-max-bulk-len may pass the
// 4 TB that a u32 of 1 KB chunks would reach), like a collection's members.
//
// Why: every in-place change rewrote the whole value, so 200 random SETBITs
// on a 12.5 MB bitmap took 2.8 s and wrote 2.5 GB (Redis: 23 ms). Chunked,
// a change reads and writes only the chunks it touches.
//
// A chunk may be shorter than strChunkSize, or missing: the bytes it lacks
// are zeros. So growing a string (SETBIT far past its end) writes nothing
// but the new length, and a sparse bitmap stores only its non-zero chunks.
// No chunk ever lies past the length: a chunked string never shrinks in
// place, and a new value (SET) takes a new record and drops the version,
// as replacing a collection does.
//
// A value stored whole (SET, GETSET, MSET, BITOP, RESTORE...) is chunked
// when longer than strSetChunkAbove, so that what reads or rewrites only
// the meta record (TTL, EXISTS, TYPE, EXPIRE, DEL...) does not read, or
// write, megabytes: with a 10 MB value TYPE took 7 ms and EXPIRE 27 ms.
// Below that a value is one record, one read. RDB loads keep values
// whole.
//
// Chunks of 1 KB (as Kvrocks's bitmaps): 300k random SETBITs into a 12.5 MB
// bitmap ran at 160k/s against 105k/s with 4 KB chunks (197k/s with 512
// bytes), and a BITCOUNT of it took about 8.5 ms against 6 ms (11 ms).
// Values up to 4 KB stay inline: rewriting one costs what a chunk does.
const (
	strChunkSize     = 1024
	strChunkAbove    = 4096
	strSetChunkAbove = 64 << 10
	// strChunkGets: a read of at most this many chunks gets them one by
	// one; more are read with one iterator.
	strChunkGets = 8
)

// strChunkKey appends the store key of chunk idx of a chunked string.
func strChunkKey(dst []byte, prefix []byte, idx int64) []byte {
	dst = append(dst, prefix...)
	return binary.BigEndian.AppendUint64(dst, uint64(idx))
}

// strRead returns bytes [lo, hi) of the string m of key in db, lo <= hi <=
// m.StrLen(). An inline value is returned as a subslice of m.Value; a
// chunked one is read from its chunks into a new slice.
func (ks *Keyspace) strRead(db int, key []byte, m *storage.Meta, lo, hi int64) []byte {
	if !m.Chunked {
		return m.Value[lo:hi]
	}
	out := make([]byte, hi-lo)
	ks.strVisit(db, key, m, lo, hi, func(off int64, p []byte) { copy(out[off-lo:], p) })
	return out
}

// strVisit calls fn, in order, with the stored parts of bytes [lo, hi) of
// the chunked string m and their offsets: what it skips is zeros. p is
// only valid during the call.
func (ks *Keyspace) strVisit(db int, key []byte, m *storage.Meta, lo, hi int64, fn func(off int64, p []byte)) {
	if lo >= hi {
		return
	}
	prefix := storage.DataPrefixOf(nil, ks.physDB(db), key, m)
	first, last := lo/strChunkSize, (hi-1)/strChunkSize
	visit := func(idx int64, v []byte) {
		base := idx * strChunkSize
		from, to := max(lo-base, 0), min(int64(len(v)), hi-base)
		if from < to {
			fn(base+from, v[from:to])
		}
	}
	if last-first < strChunkGets {
		var k []byte
		for idx := first; idx <= last; idx++ {
			k = strChunkKey(k[:0], prefix, idx)
			if v, ok := ks.get(k); ok {
				visit(idx, v)
			}
		}
		return
	}
	it := ks.collIter(prefix, strChunkKey(nil, prefix, first), strChunkKey(nil, prefix, last+1))
	for ok := it.First(); ok; ok = it.Next() {
		sub := it.Key()[len(prefix):]
		if len(sub) != 8 {
			closeIter(it)
			panic(storageError{storage.ErrCorrupt})
		}
		visit(int64(binary.BigEndian.Uint64(sub)), it.Value())
	}
	closeIter(it)
}

// strValue returns the whole value of the string m (see strRead).
func (ks *Keyspace) strValue(db int, key []byte, m *storage.Meta) []byte {
	return ks.strRead(db, key, m, 0, m.StrLen())
}

// putString stores val as key's value (old: its meta record, nil when
// the key did not exist), chunked when longer than strSetChunkAbove.
func (ks *Keyspace) putString(db int, key []byte, old *storage.Meta, val []byte, expireAt int64, enc storage.StrEnc) {
	m := storage.Meta{Type: storage.TypeString, ExpireAt: expireAt, Value: val, Enc: enc}
	if len(val) > strSetChunkAbove {
		m.Value, m.Chunked, m.Version, m.Count = nil, true, ks.newVersion(), uint64(len(val))
		ks.strWriteChunks(storage.DataPrefix(nil, ks.physDB(db), key, m.Version), 0, val, true)
	}
	ks.Put(db, key, old, &m)
}

// strWriteChunks writes p at offset off of the chunked string whose data
// prefix is prefix: each chunk it covers is read, patched and written
// back; fresh says the version is new, so there is nothing to read.
// Chunks that would hold only zeros and do not exist yet are not written.
func (ks *Keyspace) strWriteChunks(prefix []byte, off int64, p []byte, fresh bool) {
	var k []byte
	for len(p) > 0 {
		idx := off / strChunkSize
		in := off - idx*strChunkSize
		n := min(strChunkSize-in, int64(len(p)))
		k = strChunkKey(k[:0], prefix, idx)
		var chunk []byte
		var found bool
		if !fresh {
			chunk, found = ks.get(k)
		}
		if !found && allZero(p[:n]) {
			off, p = off+n, p[n:]
			continue
		}
		chunk = strGrowZero(chunk, int(in+n))
		copy(chunk[in:], p[:n])
		ks.set(k, chunk)
		off, p = off+n, p[n:]
	}
}

func allZero(p []byte) bool {
	for _, b := range p {
		if b != 0 {
			return false
		}
	}
	return true
}

// strEdit is a command's in-place change to bytes [lo, hi) of a string
// (APPEND, SETRANGE, SETBIT, BITFIELD): openStrEdit reads them into win,
// zero beyond the value's end, the command changes win, and store writes
// them back. Inline values stay inline up to strChunkAbove bytes; longer
// ones are (or become) chunked.
type strEdit struct {
	ks     *Keyspace
	db     int
	key    []byte
	m      storage.Meta // as found
	found  bool
	lo     int64
	win    []byte
	full   []byte // inline: the whole value, grown to newLen; win aliases it
	newLen int64
}

// openStrEdit opens [lo, hi) of key's string m (found false: no key).
func (ks *Keyspace) openStrEdit(db int, key []byte, m storage.Meta, found bool, lo, hi int64) *strEdit {
	e := &strEdit{ks: ks, db: db, key: key, m: m, found: found, lo: lo, newLen: max(m.StrLen(), hi)}
	if !m.Chunked && e.newLen <= strChunkAbove {
		e.full = strGrowZero(m.Value, int(e.newLen))
		e.win = e.full[lo:hi]
		return e
	}
	if n := m.StrLen(); lo < n {
		e.win = ks.strRead(db, key, &m, lo, min(hi, n))
	}
	e.win = strGrowZero(e.win, int(hi-lo))
	return e
}

// grown reports whether the edit creates the key or lengthens it.
func (e *strEdit) grown() bool { return !e.found || e.newLen > e.m.StrLen() }

// store writes the edit back, leaving the value "raw" (Redis changed it in
// place). modify false is Keyspace.PutQuiet: no change counted, WATCH
// untouched. A chunked value writes only the chunks of the window.
func (e *strEdit) store(modify bool) {
	ks := e.ks
	nm := storage.Meta{Type: storage.TypeString, ExpireAt: e.m.ExpireAt, Enc: storage.StrEncRaw}
	switch {
	case e.full != nil:
		nm.Value = e.full
	case e.m.Chunked:
		nm.Chunked, nm.Version, nm.Count, nm.DataKey = true, e.m.Version, uint64(e.newLen), e.m.DataKey
		ks.strWriteChunks(storage.DataPrefixOf(nil, ks.physDB(e.db), e.key, &nm), e.lo, e.win, false)
	default:
		// Inline to chunked: the old value's chunks, then the window.
		nm.Chunked, nm.Version, nm.Count = true, ks.newVersion(), uint64(e.newLen)
		prefix := storage.DataPrefix(nil, ks.physDB(e.db), e.key, nm.Version)
		ks.strWriteChunks(prefix, 0, e.m.Value, true)
		ks.strWriteChunks(prefix, e.lo, e.win, false)
	}
	var old *storage.Meta
	if e.found {
		old = &e.m
	}
	if modify {
		ks.Put(e.db, e.key, old, &nm)
	} else {
		ks.PutQuiet(e.db, e.key, old, &nm)
	}
}
