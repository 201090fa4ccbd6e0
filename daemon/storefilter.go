package daemon

import (
	"errors"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/redoubtdb/redoubt/storage"
)

// storeFilter is a Bloom filter of every meta record and collection member
// key in the store, so that a lookup of a key the store does not hold (a
// SET or INCR of a new key, a new hash field, set or sorted-set member)
// is answered without reading Pebble. Such a lookup went down the memtable
// and every level and cost 2-3.5 µs, where the filter costs one cache
// line; and a workload that writes new members does one per write.
//
// It only ever errs towards "maybe": a key that may be in the store always
// tests positive, or a lookup would lose data (a SET would not see the
// collection it replaces). So every key that reaches the store by the
// write buffer is added before its layer leaves the buffer, lookups test
// the filter only after the layers (a key still in a layer is found
// there), and a load that writes to the store around the buffer (a bulk
// load: a replica's full sync, an import) drops the filter until a new one
// is built.
//
// Deleted keys stay in the filter (false positives: a lookup reads
// Pebble, as without a filter). The filter is rebuilt from a scan of the
// store when the keys added pass its capacity, which sheds them.
//
// It is a blocked filter: the 6 bits of a key lie in one 64-byte block,
// one cache miss per test; at 10 bits a key about 1.5% of absent keys
// test positive. Bits are set and read atomically: the flusher adds keys
// while event loops test them.
type storeFilter struct {
	blocks   []filterBlock
	shift    uint  // 64 - log2(len(blocks)): a hash's block is its top bits
	capacity int64 // keys it holds at storeFilterBitsPerKey
	added    atomic.Int64
	seed     maphash.Seed
}

type filterBlock [8]atomic.Uint64

const (
	storeFilterBitsPerKey = 10
	storeFilterProbes     = 6
	// storeFilterMinKeys is the smallest capacity (a 2 MB filter, after
	// rounding to a power of two of blocks), so that a small or churning
	// data set (keys that come and go, as a cache's do) is not rebuilt
	// every few seconds.
	storeFilterMinKeys = 1 << 20
	// storeFilterMaxBytes caps the filter. A bigger store fills it past
	// 10 bits a key, and more absent keys test positive (about 10% at 5
	// bits, for 100M keys).
	storeFilterMaxBytes = 128 << 20
	// storeFilterRebuildEvery spaces rebuilds: a workload that adds and
	// deletes keys fast overfills the filter again soon after each one.
	storeFilterRebuildEvery = 30 * time.Second
)

// newStoreFilter returns an empty filter with room for keys keys.
func newStoreFilter(keys int64) *storeFilter {
	keys = max(keys, 1)
	n := 1
	for int64(n)*512 < keys*storeFilterBitsPerKey && n*64 < storeFilterMaxBytes {
		n <<= 1
	}
	return &storeFilter{
		blocks:   make([]filterBlock, n),
		shift:    uint(64 - bits.TrailingZeros(uint(n))),
		capacity: int64(n) * 512 / storeFilterBitsPerKey,
		seed:     maphash.MakeSeed(),
	}
}

// filtered reports whether key goes in the filter: meta records and
// members of collections other than lists, the records a write looks up
// by key to learn whether they exist. A list's elements are written by
// every push and never looked up that way: they are left out, known by the
// version of their list (listVersionBit), which keeps a filter of queue
// traffic from costing every push a cache miss (4.6% of the CPU of
// LPUSH -P 16) and from filling with keys soon popped. Add and test use
// this same function on the same bytes, so a key is either always in the
// filter's care or never. These are the records the row cache keeps, for
// the same reason: the filter and the cache answer for one set of keys.
func filtered(key []byte) bool { return cacheable(key) }

// locate finds key: its block, and in h the 6 bit positions in
// it, 9 bits each.
func (f *storeFilter) locate(key []byte) (*filterBlock, uint64) {
	h := maphash.Bytes(f.seed, key)
	// The block from the top bits of a multiplied hash, so that it does
	// not reuse the bits the positions take.
	return &f.blocks[(h*0x9e3779b97f4a7c15)>>f.shift], h
}

// add puts key in the filter.
func (f *storeFilter) add(key []byte) {
	b, h := f.locate(key)
	f.set(b, h)
}

// set sets the bits of a located key.
func (f *storeFilter) set(b *filterBlock, h uint64) {
	fresh := false
	for i := 0; i < storeFilterProbes; i++ {
		pos := h >> (9 * i) & 511
		w, m := &b[pos>>6], uint64(1)<<(pos&63)
		// A load first: most adds in a steady state find their bits
		// set (an overwritten key), and a locked OR is dearer.
		if w.Load()&m == 0 {
			w.Or(m)
			fresh = true
		}
	}
	if fresh {
		f.added.Add(1)
	}
}

// filterLoc is a located key (addPairs' scratch).
type filterLoc struct {
	b *filterBlock
	h uint64
}

// addPairs puts the keys written by pairs (those with a value) in the
// filter, a chunk at a time: first every block of the chunk is read, in a
// loop of loads independent of one another that the CPU overlaps, then
// the bits are set in blocks now in its cache. One add after another
// waited for each block's cache miss: 76 ns a key, 4.6% of the CPU of
// LPUSH -P 16, whose every element is a new key.
func (f *storeFilter) addPairs(pairs []bufKV, locs []filterLoc) []filterLoc {
	const chunk = 32
	var sum uint64
	for len(pairs) > 0 {
		n := min(chunk, len(pairs))
		locs = locs[:0]
		for i := range pairs[:n] {
			p := &pairs[i]
			k := unsafe.Slice(unsafe.StringData(p.k), len(p.k))
			if p.v == nil || !filtered(k) {
				continue
			}
			b, h := f.locate(k)
			sum += b[h&7].Load()
			locs = append(locs, filterLoc{b, h})
		}
		for _, l := range locs {
			f.set(l.b, l.h)
		}
		pairs = pairs[n:]
	}
	filterSink.Store(sum)
	return locs
}

// filterSink keeps addPairs' reads from being dropped.
var filterSink atomic.Uint64

// mayContain reports whether key may be in the store; false is certain.
func (f *storeFilter) mayContain(key []byte) bool {
	b, h := f.locate(key)
	for i := 0; i < storeFilterProbes; i++ {
		pos := h >> (9 * i) & 511
		if b[pos>>6].Load()&(1<<(pos&63)) == 0 {
			return false
		}
	}
	return true
}

// overfull reports whether more keys were added than it has room for.
func (f *storeFilter) overfull() bool { return f.added.Load() > f.capacity }

// bytes is the filter's memory.
func (f *storeFilter) bytes() int64 { return int64(len(f.blocks)) * 64 }

// filterState is the write buffer's part of the filter: the filter in use,
// one being filled, and what keeps a build from completing.
type filterState struct {
	// active is complete: every filtered key that reached the store is
	// in it. nil: lookups read the store.
	active atomic.Pointer[storeFilter]
	// building is filled by a scan of the store and by every write from
	// the scan's snapshot on; it becomes active when the scan is done.
	building atomic.Pointer[storeFilter]
	// gen changes whenever keys reach the store around the buffer; a
	// build begun before is thrown away.
	gen atomic.Uint64
	// held counts bulk loads under way: no build starts meanwhile.
	held atomic.Int32
	// running is set while a build runs; last is when the last began.
	running atomic.Bool
	last    atomic.Int64 // unix nanoseconds
	// build runs a build's scan; tests replace it to run it in place.
	build func(job func())
	// minKeys is the least capacity of a filter built (0:
	// storeFilterMinKeys; tests make it small).
	minKeys int64
	// jobs counts scans under way: the store may close only after them
	// (writeBuffer.stop ends them early). Once stopped is set (flushMu),
	// no scan starts.
	jobs    sync.WaitGroup
	stopped bool
}

// addLayer adds the keys a layer writes to the active and building
// filters, before it is written (flushMu).
func (wb *writeBuffer) addLayer(pairs []bufKV) {
	fs := &wb.filter
	if f := fs.active.Load(); f != nil {
		wb.locs = f.addPairs(pairs, wb.locs)
	}
	if f := fs.building.Load(); f != nil {
		wb.locs = f.addPairs(pairs, wb.locs)
	}
}

// absent reports whether key is certainly not in the store (only below
// the write buffer's layers: see storeFilter).
func (wb *writeBuffer) absent(key []byte) bool {
	if !filtered(key) {
		return false
	}
	f := wb.filter.active.Load()
	return f != nil && !f.mayContain(key)
}

// buildFilter starts a build of a new filter, sized for keys, unless one
// runs or a bulk load holds them off. The scan reads a snapshot taken
// under flushMu with the new filter already receiving every layer
// written, so that every key of the store is either in the snapshot or
// added by the write that puts it there.
func (wb *writeBuffer) buildFilter(keys int64) {
	fs := &wb.filter
	if fs.held.Load() > 0 || !fs.running.CompareAndSwap(false, true) {
		return
	}
	fs.last.Store(time.Now().UnixNano())
	minKeys := fs.minKeys
	if minKeys == 0 {
		minKeys = storeFilterMinKeys
	}
	f := newStoreFilter(max(keys, minKeys))
	wb.flushMu.Lock()
	if fs.stopped {
		wb.flushMu.Unlock()
		fs.running.Store(false)
		return
	}
	gen := fs.gen.Load()
	fs.jobs.Add(1)
	fs.building.Store(f)
	snap := wb.store.NewSnapshot()
	wb.flushMu.Unlock()
	run := fs.build
	if run == nil {
		run = func(job func()) { go runInBackground(job) }
	}
	run(func() {
		defer fs.jobs.Done()
		n, err := scanFiltered(snap, f, wb.quit)
		snap.Close()
		wb.flushMu.Lock()
		fs.building.CompareAndSwap(f, nil)
		again := false
		switch {
		case err != nil || fs.gen.Load() != gen:
			// A read error only costs the filter; a load since makes
			// the scan incomplete.
		case n > f.capacity && f.bytes() < storeFilterMaxBytes:
			// Sized too small (the first build after a start guesses):
			// build again, at the size the scan found.
			again = true
		default:
			f.added.Store(n)
			fs.active.Store(f)
		}
		wb.flushMu.Unlock()
		fs.running.Store(false)
		if again {
			wb.buildFilter(2 * n)
		}
	})
}

// errScanStopped ends a scan when the server stops.
var errScanStopped = errors.New("stopped")

// scanFiltered adds every filtered key of snap to f and counts them, until
// quit is closed.
func scanFiltered(snap storage.Snapshot, f *storeFilter, quit <-chan struct{}) (int64, error) {
	var n int64
	for _, fam := range []byte{storage.FamilyMeta, storage.FamilyData} {
		it, err := snap.NewIter([]byte{fam}, []byte{fam + 1})
		if err != nil {
			return n, err
		}
		for ok := it.First(); ok; ok = it.Next() {
			if !filtered(it.Key()) {
				continue
			}
			f.add(it.Key())
			n++
			if n%4096 == 0 {
				select {
				case <-quit:
					it.Close()
					return n, errScanStopped
				default:
				}
			}
		}
		err = it.Error()
		it.Close()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// maybeRebuildFilter starts a rebuild when the active filter is overfull
// and the last build is old enough. The flusher's step.
func (wb *writeBuffer) maybeRebuildFilter() {
	fs := &wb.filter
	f := fs.active.Load()
	if f == nil || !f.overfull() || fs.running.Load() {
		return
	}
	if time.Since(time.Unix(0, fs.last.Load())) < storeFilterRebuildEvery {
		return
	}
	wb.buildFilter(2 * f.added.Load())
}

// holdFilter drops the filter before keys reach the store around the
// buffer (a bulk load); releaseFilter, once they are all there, builds a
// new one.
func (wb *writeBuffer) holdFilter() {
	fs := &wb.filter
	fs.held.Add(1)
	wb.flushMu.Lock()
	fs.gen.Add(1)
	fs.active.Store(nil)
	fs.building.Store(nil)
	wb.flushMu.Unlock()
}

func (wb *writeBuffer) releaseFilter() {
	fs := &wb.filter
	wb.flushMu.Lock()
	fs.gen.Add(1)
	wb.flushMu.Unlock()
	if fs.held.Add(-1) == 0 && wb.running {
		fs.last.Store(0)
		wb.buildFilter(storeFilterMinKeys)
	}
}
