package daemon

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/redoubtdb/redoubt/storage"
)

// writeBuffer sits between the keyspace and the store: committed command
// batches ("units") land in an in-memory layer, a hash map, and a flusher
// goroutine writes frozen layers to the store as sorted batches.
//
// Why: a Pebble memtable insert is a walk down a skiplist of ~10^5 entries,
// 1-3 µs of cache misses per key, and it dominated every write command on
// the event loop. A map insert costs ~100 ns, and the flusher does the
// memtable inserts on another goroutine. It hands Pebble sorted batches,
// but Pebble's inserter reuses its cached splice only for a key that lands
// next to the last one, which keys of a batch seldom do once the memtable
// holds other keys between them: each insert still walks from the top
// (docs/benchmarks.md, "Two patches to Pebble's write path").
//
// Durability is unchanged:
//   - always: every unit commit kicks the flusher, which writes the frozen
//     layers, fsyncs once (Store.Sync), and then marks their units durable;
//     units arriving meanwhile share the next fsync (group commit). Replies
//     wait for that.
//   - everysec/no: layers are flushed without sync when they grow past
//     writeBufferLayerKeys or every writeBufferInterval; the once-a-second
//     Sync covers what reached the store, so at most ~1 s is at risk, as
//     with Redis's AOF.
//
// Reads look in the pending unit, then the active and frozen layers (newest
// first), then the store. Iterators over a collection first drain the
// buffer when a layer holds writes of it (everything reaches the store),
// so they read the store alone. Layers hold point writes and two kinds of
// range deletion that no point read needs to know of: versions of
// collections nothing refers to any more (drops), and runs of popped list
// elements outside their lists' live ranges (trims, listtrim.go).
//
// Layers are written to the store without sync, in order, by whoever holds
// flushMu: the flusher, or an event loop draining the buffer. The fsync
// that `always` needs happens afterwards in the flusher alone, outside
// flushMu, so an event loop never waits for an fsync: at most for the
// plain writes of layers ahead of it.
//
// Locking: layers are created and filled under Server.mu; the list of
// layers is also guarded by mu (below) because the flusher freezes and
// retires layers without Server.mu. A frozen layer's map is never written
// again, so writers read it without locks.
type writeBuffer struct {
	store storage.Store
	onErr func(error)
	// markDurable is called with the newest unit sequence a synced flush
	// covered (always mode).
	markDurable func(seq uint64)
	syncFlush   func() bool         // whether flushes must fsync (appendfsync always)
	onSync      func(time.Duration) // told how long each such fsync took; may be nil

	mu struct {
		sync.Mutex
		active *bufLayer
		frozen []*bufLayer // oldest first
		idle   *sync.Cond  // broadcast whenever a layer is retired
		// spare holds emptied maps of retired layers for new ones: a
		// layer's map grew from nothing to thousands of keys, a third
		// of the bytes HSET allocated.
		spare []map[string][]byte
	}
	// pairs, words and locs are write's scratch (flushMu).
	pairs   []bufKV
	words   []keyWord
	locs    []filterLoc
	flushMu sync.Mutex    // serialises writing layers to the store, in order
	written atomic.Uint64 // newest unit sequence written to the store
	synced  uint64        // newest unit sequence covered by a Sync; flusher only

	kick    chan struct{}
	quit    chan struct{}
	done    sync.WaitGroup
	running bool // the flusher runs; without it, writes go through at once

	flushes atomic.Int64 // layers written (tests check the flusher ran)

	// filter tells lookups which keys the store cannot hold
	// (storefilter.go); every key written is added before its layer
	// leaves the buffer.
	filter filterState
}

// bufLayer is one generation of buffered writes: key -> value, nil for a
// deletion.
//
// drops are range deletions of collection versions that units in this
// layer orphaned (DEL, overwrite, expiry of a collection). They are written
// after the layer's point writes, in the same batch, so they also remove
// members of that version written earlier in the layer. That order is only
// right because a dropped version is never written again: every new
// collection (and every copy) takes a fresh version.
//
// colls holds the data prefix (see storage.DataPrefix) of every collection
// version the layer writes members of, so an iterator over one collection
// can tell whether the store alone is up to date for it.
//
// trims are runs of popped list elements, by data prefix (listtrim.go):
// deleted by range after flushed and before the point writes.
type bufLayer struct {
	// flushed are ranges a FLUSHDB/FLUSHALL unit emptied: written before
	// the points (see writeNow).
	flushed []keyRange
	m       map[string][]byte
	drops   []keyRange
	colls   map[string]struct{}
	trims   map[string][]idxSpan
	maxSeq  uint64
	bytes   int // keys and values in m
}

// keyRange is a half-open range [start, end) of store keys.
type keyRange struct{ start, end []byte }

const (
	// writeBufferLayerKeys freezes the active layer once it holds this many
	// keys (everysec/no).
	writeBufferLayerKeys = 8192
	// writeBufferLayerBytes freezes it once its keys and values pass this
	// size. 8192 values of 16 KB made 134 MB layers: up to five of them in
	// memory, each written as one Pebble batch too big for a memtable
	// (so one more memtable rotation and flush each) and queued whole in
	// the WAL writer's blocks; RSS passed 1 GB for 80 MB of data. 2 MB
	// stays well under Pebble's large-batch threshold (half a memtable).
	writeBufferLayerBytes = 2 << 20
	// writeBufferMaxFrozen bounds memory when the flusher falls behind:
	// committing units wait (under Server.mu) until it catches up.
	writeBufferMaxFrozen = 4
	// writeBufferInterval is the longest a write sits in memory before it
	// is handed to the store (everysec/no).
	writeBufferInterval = 10 * time.Millisecond
)

func newWriteBuffer(st storage.Store) *writeBuffer {
	wb := &writeBuffer{
		store:       st,
		onErr:       func(err error) { panic(err) },
		markDurable: func(uint64) {},
		syncFlush:   func() bool { return false },
		kick:        make(chan struct{}, 1),
		quit:        make(chan struct{}),
	}
	wb.mu.active = newBufLayer()
	wb.mu.idle = sync.NewCond(&wb.mu.Mutex)
	return wb
}

func newBufLayer() *bufLayer { return &bufLayer{m: map[string][]byte{}} }

// newLayerLocked is a new active layer, on a spare map if there is one.
// Holds wb.mu.
func (wb *writeBuffer) newLayerLocked() *bufLayer {
	if n := len(wb.mu.spare); n > 0 {
		m := wb.mu.spare[n-1]
		wb.mu.spare = wb.mu.spare[:n-1]
		return &bufLayer{m: m}
	}
	return newBufLayer()
}

// bufKV is one point write of a layer being written.
type bufKV struct {
	k string
	v []byte
}

// start runs the flusher; stop drains and ends it.
func (wb *writeBuffer) start() {
	wb.running = true
	wb.done.Add(1)
	go wb.run()
}

func (wb *writeBuffer) stop() {
	if !wb.running {
		return
	}
	close(wb.quit)
	wb.done.Wait()
	wb.flushMu.Lock()
	wb.filter.stopped = true
	wb.flushMu.Unlock()
	wb.filter.jobs.Wait()
	wb.running = false
}

// lookup finds key in the layers, newest first. found reports whether a
// layer knows the key; v is nil for a buffered deletion.
func (wb *writeBuffer) lookup(key []byte) (v []byte, found bool) {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	return wb.lookupLocked(key)
}

// lookupEach is lookup of every key of keys under one lock: fn gets the
// index and value (nil for a deletion) of each key a layer holds.
func (wb *writeBuffer) lookupEach(keys [][]byte, fn func(i int, v []byte)) {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	for i, k := range keys {
		if v, ok := wb.lookupLocked(k); ok {
			fn(i, v)
		}
	}
}

// lookupLocked is lookup with wb.mu held.
func (wb *writeBuffer) lookupLocked(key []byte) ([]byte, bool) {
	if v, ok := wb.mu.active.m[string(key)]; ok {
		return v, true
	}
	for i := len(wb.mu.frozen) - 1; i >= 0; i-- {
		if v, ok := wb.mu.frozen[i].m[string(key)]; ok {
			return v, true
		}
	}
	return nil, false
}

// dirty reports whether a layer holds member writes or trims under the
// collection data prefix p: whether the store alone is not up to date for
// an iterator over the collection.
func (wb *writeBuffer) dirty(p []byte) bool { return wb.touched(p, true) }

// holdsMembers reports whether a layer holds member writes under the
// collection data prefix p. Reads of a list's live elements need no more:
// a layer's trims only cover indexes outside the list's live range.
func (wb *writeBuffer) holdsMembers(p []byte) bool { return wb.touched(p, false) }

// touched reports whether a layer touches p (bufLayer.touches).
func (wb *writeBuffer) touched(p []byte, trims bool) bool {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	if wb.mu.active.touches(p, trims) {
		return true
	}
	for _, l := range wb.mu.frozen {
		if l.touches(p, trims) {
			return true
		}
	}
	return false
}

// touches reports whether l writes members under the data prefix p, or,
// with trims, deletes a run of them.
func (l *bufLayer) touches(p []byte, trims bool) bool {
	if _, ok := l.colls[string(p)]; ok {
		return true
	}
	if trims {
		if _, ok := l.trims[string(p)]; ok {
			return true
		}
	}
	return false
}

// apply merges a committed unit into the active layer: its point writes,
// the collection prefixes they touch, and its version drops. Values and
// ranges are owned by the buffer from now on. Holds Server.mu.
func (wb *writeBuffer) apply(unit map[string][]byte, colls map[string]struct{}, trims map[string][]idxSpan, drops []keyRange, seq uint64) {
	wb.mu.Lock()
	for len(wb.mu.frozen) >= writeBufferMaxFrozen {
		wb.signal()
		wb.mu.idle.Wait()
	}
	a := wb.mu.active
	for k, v := range unit {
		if old, ok := a.m[k]; ok {
			a.bytes -= len(k) + len(old)
		}
		a.m[k] = v
		a.bytes += len(k) + len(v)
	}
	if len(colls) > 0 && a.colls == nil {
		a.colls = make(map[string]struct{}, len(colls))
	}
	for p := range colls {
		a.colls[p] = struct{}{}
	}
	a.trims = mergeTrims(a.trims, trims)
	a.drops = append(a.drops, drops...)
	a.maxSeq = seq
	full := len(a.m)+len(a.drops)+len(a.trims) >= writeBufferLayerKeys || a.bytes >= writeBufferLayerBytes
	wb.mu.Unlock()
	if !wb.running {
		// No flusher (tests, tools): write through, in this goroutine.
		wb.flushAll()
		return
	}
	if full {
		// Frozen now, not when the flusher gets to it: a busy flusher
		// otherwise let the active layer grow without bound (to 128 MB
		// of 16 KB values), and the frozen-layer limit above, which
		// makes writers wait for the flusher, never came into play.
		wb.freeze()
	}
	if full || wb.syncFlush() {
		wb.signal()
	}
}

// writeNow writes a unit that flushed databases straight to the store,
// after every layer ahead of it, as one batch, skipping the layers: the
// flushed ranges go first, so they remove what earlier units wrote, then
// the unit's trims, point writes (all made after the flush: flushRange dropped
// the earlier ones) and version drops, one batch on disk like any other
// unit.
//
// Nothing of the unit is kept once this returns. Holds Server.mu.
func (wb *writeBuffer) writeNow(flushed []keyRange, unit map[string][]byte, trims map[string][]idxSpan, drops []keyRange, seq uint64) {
	wb.freeze()
	wb.flushMu.Lock()
	wb.writeFrozenLocked()
	wb.write(&bufLayer{flushed: flushed, m: unit, trims: trims, drops: drops, maxSeq: seq})
	if seq > wb.written.Load() {
		wb.written.Store(seq)
	}
	wb.flushMu.Unlock()
	if wb.running {
		wb.signal()
	} else {
		wb.settleDurability()
	}
}

func (wb *writeBuffer) signal() {
	select {
	case wb.kick <- struct{}{}:
	default:
	}
}

// drain returns once every write applied so far is in the store (not
// necessarily synced: under always the flusher syncs and releases replies
// right after). Holds Server.mu (the flusher never needs it).
func (wb *writeBuffer) drain() {
	wb.freeze()
	wb.flushMu.Lock()
	wb.writeFrozenLocked()
	wb.flushMu.Unlock()
	if wb.running {
		wb.signal()
	} else {
		wb.settleDurability()
	}
}

// buffered is the number of keys waiting in layers.
func (wb *writeBuffer) buffered() int {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	n := len(wb.mu.active.m)
	for _, l := range wb.mu.frozen {
		n += len(l.m)
	}
	return n
}

func (wb *writeBuffer) run() {
	defer wb.done.Done()
	tick := time.NewTicker(writeBufferInterval)
	defer tick.Stop()
	for {
		select {
		case <-wb.quit:
			wb.flushAll()
			return
		case <-wb.kick:
		case <-tick.C:
		}
		wb.flushAll()
		wb.maybeRebuildFilter()
	}
}

// freeze moves the active layer, if it holds anything, to the frozen list.
func (wb *writeBuffer) freeze() {
	wb.mu.Lock()
	if a := wb.mu.active; len(a.m) > 0 || len(a.drops) > 0 || len(a.trims) > 0 {
		wb.mu.frozen = append(wb.mu.frozen, wb.mu.active)
		wb.mu.active = wb.newLayerLocked()
	}
	wb.mu.Unlock()
}

// flushAll writes everything buffered to the store, then makes it durable
// as the mode asks. The flusher's step (and the write-through path).
func (wb *writeBuffer) flushAll() {
	wb.freeze()
	wb.flushMu.Lock()
	wb.writeFrozenLocked()
	wb.flushMu.Unlock()
	wb.settleDurability()
}

// writeFrozenLocked writes every frozen layer, oldest first, without sync.
// Holds flushMu.
func (wb *writeBuffer) writeFrozenLocked() {
	for {
		wb.mu.Lock()
		if len(wb.mu.frozen) == 0 {
			wb.mu.idle.Broadcast()
			wb.mu.Unlock()
			return
		}
		l := wb.mu.frozen[0]
		wb.mu.Unlock()

		wb.write(l)
		if l.maxSeq > wb.written.Load() {
			wb.written.Store(l.maxSeq)
		}
		wb.flushes.Add(1)

		wb.mu.Lock()
		wb.mu.frozen = wb.mu.frozen[1:]
		// Retired: no reader can reach it now (lookups go through the
		// list), so its map can take a new layer's keys.
		if len(wb.mu.spare) < 2 && len(l.m) <= 2*writeBufferLayerKeys {
			clear(l.m)
			wb.mu.spare = append(wb.mu.spare, l.m)
		}
		wb.mu.idle.Broadcast()
		wb.mu.Unlock()
	}
}

// settleDurability makes what was written durable as appendfsync asks
// (one Store.Sync covering every write so far under always) and reports it,
// which releases replies held for it. Only the flusher (or the
// write-through path, which has no flusher) calls it.
func (wb *writeBuffer) settleDurability() {
	seq := wb.written.Load()
	if wb.syncFlush() {
		if seq <= wb.synced {
			return
		}
		start := time.Now()
		if err := wb.store.Sync(); err != nil {
			wb.onErr(err)
			return
		}
		if wb.onSync != nil {
			wb.onSync(time.Since(start))
		}
		wb.synced = seq
	}
	wb.markDurable(seq)
}

// write commits one layer to the store in key order, without sync. Holds
// flushMu.
func (wb *writeBuffer) write(l *bufLayer) {
	// Sorted pairs, not sorted keys looked up again: a second lookup per
	// key in a map of thousands was 7% of an import.
	pairs := wb.pairs[:0]
	for k, v := range l.m {
		pairs = append(pairs, bufKV{k, v})
	}
	defer func() {
		clear(pairs) // the values are the store's now
		wb.pairs = pairs[:0]
	}()
	wb.words = sortPairs(pairs, wb.words[:0])
	// Before the layer leaves the buffer (see storeFilter).
	wb.addLayer(pairs)
	var b storage.Batch
	if w, ok := wb.store.(storage.WriteBatcher); ok {
		b = w.NewWriteBatch(l.bytes)
	} else {
		b = wb.store.NewBatch()
	}
	defer b.Close()
	for _, r := range l.flushed {
		if err := b.DeleteRange(r.start, r.end); err != nil {
			wb.onErr(err)
			return
		}
	}
	// Before the points: see listtrim.go.
	for p, spans := range l.trims {
		for _, s := range spans {
			if err := writeTrim(b, p, s); err != nil {
				wb.onErr(err)
				return
			}
		}
	}
	for _, w := range wb.words {
		p := &pairs[w.i]
		var err error
		// The batch copies the key: it may alias the string.
		k := unsafe.Slice(unsafe.StringData(p.k), len(p.k))
		if p.v == nil {
			err = b.Delete(k)
		} else {
			err = b.Set(k, p.v)
		}
		if err != nil {
			wb.onErr(err)
			return
		}
	}
	// After the points: see bufLayer.
	for _, r := range l.drops {
		if err := b.DeleteRange(r.start, r.end); err != nil {
			wb.onErr(err)
			return
		}
	}
	if err := wb.store.Commit(b, false); err != nil {
		wb.onErr(err)
	}
}

// sortPairs orders pairs by key for the batch (sortKeys), in words
// (returned, reusing the slice's memory): words[j].i is the index in pairs
// of the j-th key. Keys such as "key:000000012345" usually differ in their
// first word past the prefix every key shares, and one integer sort orders
// them.
func sortPairs(pairs []bufKV, words []keyWord) []keyWord {
	words, _ = sortKeys(len(pairs), func(i int32) []byte {
		return unsafe.Slice(unsafe.StringData(pairs[i].k), len(pairs[i].k))
	}, words)
	return words
}
