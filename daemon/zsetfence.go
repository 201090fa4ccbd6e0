package daemon

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"

	"github.com/redoubtdb/redoubt/storage"
)

// Rank fences. Redis answers ZRANK, ZCOUNT and rank ranges in O(log N)
// from its skiplist's spans; a store of sorted records has no counts, so
// a rank was a walk: 25 ms for the middle of a 1M-member leaderboard.
//
// A sorted set of zsetFenceMin members or more gets fences at its next
// write: records under its data prefix, sub key 'f' + the score-index
// sub key where the fence starts ("s", below every entry, for the first),
// value the number of index entries from there to the next fence's start
// (uvarint). Every insert and delete of an index entry adds or takes one
// from the fence it falls in; a fence past 2*zsetFenceSize entries is
// split in two, one left empty is dropped (the first stays). A rank is
// then the counts of the fences below plus a walk inside one fence: at
// most zsetFenceSize steps from either of its ends.
//
// The meta tail's first byte records, in bit zsetFenced, that the set has
// fences; sets without them (smaller, or written before this) are counted
// the old way. Fences are read into a cache on the keyspace (by data
// prefix; versions are never reused) and written through it; a unit that
// aborts clears the cache, as do too many sets.
//
// Fences of 512 to 1024 entries: with ZADDs of random scores going on, a
// walk steps over the deleted entries of moved scores too, and ZRANK of a
// random member of a 100,000-member set with ZADDs at once answered 7,500
// times a second with fences of 4096 (walks of 1000 live entries a side on
// average), 31,000 with 512, 55,000 with 128; ZADD alone cost 1% more CPU
// with 512 and 15% more with 128 (more fences: more of them written per
// moved score, and more splits). Fencing smaller sets (2048 members, not
// 8192) cost ZADD into a 5000-member set 12% more CPU.
var (
	zsetFenceMin  int64 = 8192
	zsetFenceSize int64 = 512
)

const (
	zsetFenced       = 2 // meta tail bit
	zfenceCacheLimit = 256
	zfenceSub        = 'f'
	zfenceFirstStart = "s"
)

type zfence struct {
	start []byte // score-index sub key
	count int64
}

type zfenceSet struct{ f []zfence }

// fenced reports whether the sorted set has rank fences. Other types use
// the meta tail otherwise: a list's is its head, whose first byte has the
// bit once a push on the left moves the head below 1<<63, and emptying
// such a list took its version for a fenced sorted set's and dropped it
// by range, its elements already gone.
func (co *coll) fenced() bool { return metaFenced(&co.m) }

// metaFenced is coll.fenced for the key whose meta record is m.
func metaFenced(m *storage.Meta) bool {
	return m.Type == storage.TypeZSet && len(m.Tail) > 0 && m.Tail[0]&zsetFenced != 0
}

// setTailBit sets bit in the first byte of the meta tail, on a copy.
func (co *coll) setTailBit(bit byte) {
	t := append([]byte(nil), co.m.Tail...)
	if len(t) == 0 {
		t = []byte{0}
	}
	t[0] |= bit
	co.m.Tail = t
}

// zfenceSubKey is the sub key of the fence starting at start.
func zfenceSubKey(start []byte) []byte { return append([]byte{zfenceSub}, start...) }

func (co *coll) putFence(f *zfence) {
	var v [binary.MaxVarintLen64]byte
	co.put(zfenceSubKey(f.start), v[:binary.PutUvarint(v[:], uint64(f.count))])
}

// fences returns the set's fences, reading them on first use.
func (co *coll) fences() *zfenceSet {
	ks := co.ks
	if fs := ks.zfences[string(co.prefix)]; fs != nil {
		return fs
	}
	fs := &zfenceSet{}
	it := co.iterPrefix([]byte{zfenceSub})
	for ok := it.First(); ok; ok = it.Next() {
		n, k := binary.Uvarint(it.Value())
		if k <= 0 {
			closeIter(it)
			panic(storageError{storage.ErrCorrupt})
		}
		fs.f = append(fs.f, zfence{start: append([]byte(nil), co.sub(it.Key())[1:]...), count: int64(n)})
	}
	closeIter(it)
	if len(fs.f) == 0 || string(fs.f[0].start) != zfenceFirstStart {
		panic(storageError{storage.ErrCorrupt})
	}
	ks.cacheFences(co.prefix, fs)
	return fs
}

// cacheFences keeps fs for the set with data prefix prefix, emptying the
// cache when it is full.
func (ks *Keyspace) cacheFences(prefix []byte, fs *zfenceSet) {
	if ks.zfences == nil || len(ks.zfences) >= zfenceCacheLimit {
		ks.zfences = map[string]*zfenceSet{}
	}
	ks.zfences[string(prefix)] = fs
}

// find is the index of the fence sub key e falls in.
func (fs *zfenceSet) find(e []byte) int {
	return sort.Search(len(fs.f), func(i int) bool { return bytes.Compare(fs.f[i].start, e) > 0 }) - 1
}

// zsetFenceNote records that the index entry with sub key e was added (d
// 1, after writing it) or removed (d -1). A set big enough without fences
// gets them here.
func zsetFenceNote(co *coll, e []byte, d int64) {
	if !co.fenced() {
		// Count already includes this entry.
		if d > 0 && co.Len() >= zsetFenceMin {
			zsetBuildFences(co)
		}
		return
	}
	fs := co.fences()
	i := max(fs.find(e), 0)
	f := &fs.f[i]
	f.count += d
	switch {
	case f.count > 2*zsetFenceSize:
		zsetSplitFence(co, fs, i)
	case f.count <= 0 && i > 0:
		co.del(zfenceSubKey(f.start))
		fs.f = slices.Delete(fs.f, i, i+1)
	default:
		co.putFence(f)
	}
}

// zsetBuildFences walks the whole index once and fences it. The meta
// record is written at once, quietly (like an encoding change): a command
// that only changes scores does not write it otherwise. Fence records
// left from before, which no set should have, are deleted first.
func zsetBuildFences(co *coll) {
	var stale [][]byte
	it := co.iterPrefix([]byte{zfenceSub})
	for ok := it.First(); ok; ok = it.Next() {
		stale = append(stale, append([]byte(nil), co.sub(it.Key())...))
	}
	closeIter(it)
	for _, sub := range stale {
		co.del(sub)
	}
	fs := &zfenceSet{}
	cur := zfence{start: []byte(zfenceFirstStart)}
	it = zsetIndexIter(co)
	for ok := it.First(); ok; ok = it.Next() {
		if cur.count == zsetFenceSize {
			fs.f = append(fs.f, cur)
			cur = zfence{start: append([]byte(nil), co.sub(it.Key())...)}
		}
		cur.count++
	}
	closeIter(it)
	fs.f = append(fs.f, cur)
	for i := range fs.f {
		co.putFence(&fs.f[i])
	}
	co.setTailBit(zsetFenced)
	co.saveEncoding()
	co.ks.cacheFences(co.prefix, fs)
}

// zsetSplitFence cuts fence i after zsetFenceSize entries.
func zsetSplitFence(co *coll, fs *zfenceSet, i int) {
	f := &fs.f[i]
	var upper []byte
	if i+1 < len(fs.f) {
		upper = fs.f[i+1].start
	}
	it := co.iter(f.start, upper)
	ok := it.First()
	for n := int64(0); ok && n < zsetFenceSize; n++ {
		ok = it.Next()
	}
	if !ok {
		closeIter(it)
		panic(storageError{storage.ErrCorrupt})
	}
	nf := zfence{start: append([]byte(nil), co.sub(it.Key())...), count: f.count - zsetFenceSize}
	closeIter(it)
	f.count = zsetFenceSize
	co.putFence(f)
	co.putFence(&nf)
	fs.f = slices.Insert(fs.f, i+1, nf)
}

// zsetFencedBelow counts the index entries below the store key key: the
// fences below its fence, and a walk inside that one from both ends.
func zsetFencedBelow(co *coll, key []byte) int64 {
	fs := co.fences()
	e := co.sub(key)
	i := max(fs.find(e), 0)
	var n int64
	for _, f := range fs.f[:i] {
		n += f.count
	}
	var upper []byte
	if i+1 < len(fs.f) {
		upper = fs.f[i+1].start
	}
	b := newZsetBelowIn(co, key, fs.f[i].start, upper, fs.f[i].count)
	defer b.close()
	for !b.step() {
	}
	return n + b.n
}

// zsetFencedSeek positions it (over the index) on the entry of forward
// rank r, which exists: the fences below it counted, then a walk inside
// its fence from the nearer end. (From the start alone, the top of a
// leaderboard, ZREVRANGE 0 9, walked the whole last fence, up to 8192
// entries and the deleted ones of moved scores between them: 4,000
// requests a second with ZADDs going on.)
func zsetFencedSeek(co *coll, it storage.Iterator, r int64) bool {
	fs := co.fences()
	i := 0
	for ; i < len(fs.f)-1 && r >= fs.f[i].count; i++ {
		r -= fs.f[i].count
	}
	if back := fs.f[i].count - 1 - r; back >= 0 && back < r {
		var ok bool
		if i+1 < len(fs.f) {
			ok = it.SeekLT(co.seekKey(fs.f[i+1].start))
		} else {
			ok = it.Last()
		}
		for ; ok && back > 0; back-- {
			ok = it.Prev()
		}
		return ok
	}
	ok := it.SeekGE(co.seekKey(fs.f[i].start))
	for ; ok && r > 0; r-- {
		ok = it.Next()
	}
	return ok
}
