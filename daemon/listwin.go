package daemon

import "hash/maphash"

// List windows. Redis keeps a list's elements in memory, so LRANGE 0 99
// copies 100 of them and LPOP takes one; here each element is a store
// record, and reading 100 of them through a store iterator took 4-5 µs,
// more than half of what LRANGE_100 cost at -P 16 (0.42 of Redis's
// throughput), and a pop looked its element up in the row cache after a
// read ahead had put it there one record at a time.
//
// A window is a copy of the elements at a run of absolute indexes
// [lo, lo+n) of one list, kept on the keyspace by the list's data prefix
// (versions are never reused, so a prefix names one list's life). It is
// the newest state, pending unit included, as every read sees it: it is
// filled from reads that see every write made so far, and every
// write of an element goes through coll.put or coll.del, which mirror it
// here. A push next to either end of a window extends it, a pop at
// either end shrinks it, an overwrite inside replaces the copy (LSET, and
// LINSERT and LREM moving elements); a deletion inside drops it (no
// command leaves a hole: LREM and LTRIM delete at the ends). A unit that
// aborts clears every window, since they mirrored its dropped writes;
// flushes and version drops clear the windows they orphan.
//
// A list keeps up to two windows, one for each end a client reads from
// (a queue pops at one end while another pushes at the other; a deque
// reads both). Windows hold at most listWinElems elements of at most
// rowCacheMaxValue bytes each, and all of them together at most an
// eighth of the row cache's budget; past it, whole lists' windows are
// dropped at random.
const (
	listWinElems = 1024
	// listWinOverhead is what one element costs beyond its bytes: its
	// slice header in the ring and its allocation's rounding.
	listWinOverhead = 32
)

// listWin is one window: a ring of element copies, lo the absolute index
// of the first.
type listWin struct {
	lo    uint64
	ring  [][]byte // len a power of two
	first int      // ring index of element lo
	n     int
	bytes int64
}

func (w *listWin) hi() uint64 { return w.lo + uint64(w.n) }

// covers reports whether the window holds every index of [lo, hi).
func (w *listWin) covers(lo, hi uint64) bool { return lo >= w.lo && hi <= w.hi() && lo <= hi }

// at is the element at absolute index abs, which the window covers.
func (w *listWin) at(abs uint64) []byte {
	return w.ring[(w.first+int(abs-w.lo))&(len(w.ring)-1)]
}

func (w *listWin) grow() {
	ring := make([][]byte, max(2*len(w.ring), 8))
	for i := range w.n {
		ring[i] = w.ring[(w.first+i)&(len(w.ring)-1)]
	}
	w.ring, w.first = ring, 0
}

func elemCost(v []byte) int64 { return int64(len(v)) + listWinOverhead }

func (w *listWin) pushFront(v []byte) {
	if w.n == len(w.ring) {
		w.grow()
	}
	w.first = (w.first - 1) & (len(w.ring) - 1)
	w.ring[w.first] = v
	w.lo--
	w.n++
	w.bytes += elemCost(v)
}

func (w *listWin) pushBack(v []byte) {
	if w.n == len(w.ring) {
		w.grow()
	}
	w.ring[(w.first+w.n)&(len(w.ring)-1)] = v
	w.n++
	w.bytes += elemCost(v)
}

func (w *listWin) popFront() {
	w.bytes -= elemCost(w.ring[w.first])
	w.ring[w.first] = nil
	w.first = (w.first + 1) & (len(w.ring) - 1)
	w.lo++
	w.n--
}

func (w *listWin) popBack() {
	i := (w.first + w.n - 1) & (len(w.ring) - 1)
	w.bytes -= elemCost(w.ring[i])
	w.ring[i] = nil
	w.n--
}

// put mirrors a write of v at abs. It reports false when the window can
// no longer be kept (an element too big to copy landed inside it).
func (w *listWin) put(abs uint64, v []byte) bool {
	small := len(v) <= rowCacheMaxValue
	switch {
	case abs >= w.lo && abs < w.hi():
		if !small {
			return false
		}
		i := (w.first + int(abs-w.lo)) & (len(w.ring) - 1)
		w.bytes += elemCost(v) - elemCost(w.ring[i])
		w.ring[i] = v
	case !small:
	case abs == w.lo-1:
		// A push at this end: the far end gives way when full.
		if w.n == listWinElems {
			w.popBack()
		}
		w.pushFront(v)
	case abs == w.hi() && w.n < listWinElems:
		w.pushBack(v)
	case abs == w.hi():
		w.popFront()
		w.pushBack(v)
	}
	return true
}

// del mirrors the deletion of the element at abs; false drops the window
// (a hole inside it, or nothing left).
func (w *listWin) del(abs uint64) bool {
	switch {
	case abs < w.lo || abs >= w.hi():
		return true
	case abs == w.lo:
		w.popFront()
	case abs == w.hi()-1:
		w.popBack()
	default:
		return false
	}
	return w.n > 0
}

// listFill returns the elements at [lo, hi) of the list co, which all
// exist, as listRead does, but without draining the write buffer when it
// holds writes of the list, as co.iter would (a pop's fill met that on
// every read: the pops before it are buffered deletions of the same
// list). It looks the records up in the pending unit and the buffer
// first, then reads the rest from the store: a layer that reached the
// store after those lookups reached it before the iterator opened, and
// no layer can appear meanwhile (commits hold Server.mu). ok is false if
// a record is missing.
func listFill(co *coll, lo, hi uint64) (out [][]byte, ok bool) {
	ks := co.ks
	n := int(hi - lo)
	out = make([][]byte, n)
	have := make([]bool, n)
	got := 0
	take := func(i int, v []byte) {
		if !have[i] && v != nil {
			out[i], have[i] = v, true
			got++
		}
		if v == nil {
			ok = false
		}
	}
	ok = true
	_, inUnit := ks.pendingColls[string(co.prefix)]
	// Trims only cover indexes outside the live range (listtrim.go).
	buffered := ks.wb.holdsMembers(co.prefix)
	if inUnit || buffered {
		keys := make([][]byte, n)
		buf := make([]byte, 0, n*(len(co.prefix)+8))
		for i := range n {
			s := len(buf)
			buf = listSub(append(buf, co.prefix...), lo+uint64(i))
			keys[i] = buf[s:len(buf):len(buf)]
			if v, found := ks.pending[string(keys[i])]; found {
				take(i, v)
			}
		}
		if buffered {
			ks.wb.lookupEach(keys, take)
		}
		if !ok {
			return nil, false
		}
	}
	if got < n {
		var lb, ub [8]byte
		it := ks.storeIter(co.seekKey(listIdx(&lb, lo)), co.seekKey(listIdx(&ub, hi)))
		for valid := it.First(); valid; valid = it.Next() {
			if i := int(listAbs(co, it.Key()) - lo); i >= 0 && i < n {
				v := it.Value()
				take(i, append(make([]byte, 0, len(v)), v...))
			}
		}
		closeIter(it)
	}
	for i := range have {
		if !have[i] {
			return nil, false
		}
	}
	return out, true
}

// listWindows holds every list's windows, by data prefix.
type listWindows struct {
	m      map[string][]*listWin
	bytes  int64
	budget int64
	// door remembers lists a pop found no window of while the windows
	// were past half their budget (readAhead); seed hashes their
	// prefixes for it.
	door doorkeeper
	seed maphash.Seed
}

// listWinDoorSlots is the size of readAhead's doorkeeper.
const listWinDoorSlots = 256

func newListWindows(budget int64) *listWindows {
	return &listWindows{m: map[string][]*listWin{}, budget: budget, door: make(doorkeeper, listWinDoorSlots), seed: maphash.MakeSeed()}
}

// readAhead reports whether a pop of the list prefix that no window
// covers should read a window ahead of it. While the windows have room,
// it should. Once they are past half their budget, a new window soon
// evicts another list's, and pops that go round many lists (a queue per
// key, each popped now and then) read 128 elements for every pop only to
// lose them before the same list is popped again: LPUSH and RPOP of
// 100,000 random lists spent 16% of the server's CPU in those reads, and
// a lookup per pop cost less. So a list reads ahead only at its second
// miss while the doorkeeper still remembers its first, as a list popped
// in a row does; others are popped by lookups.
func (lw *listWindows) readAhead(prefix []byte) bool {
	switch {
	case lw.budget <= 0:
		return false // nothing would keep the window
	case lw.bytes < lw.budget/2:
		return true
	}
	return lw.door.second(maphash.Bytes(lw.seed, prefix) | 1)
}

// find returns a window of the list prefix covering [lo, hi), or nil.
func (lw *listWindows) find(prefix []byte, lo, hi uint64) *listWin {
	for _, w := range lw.m[string(prefix)] {
		if w.covers(lo, hi) {
			return w
		}
	}
	return nil
}

// put mirrors a write of v (which nothing changes later) at abs of the
// list prefix.
func (lw *listWindows) put(prefix []byte, abs uint64, v []byte) {
	ws, ok := lw.m[string(prefix)]
	if !ok {
		return
	}
	for _, w := range ws {
		before := w.bytes
		keep := w.put(abs, v)
		lw.bytes += w.bytes - before
		if !keep {
			lw.drop(prefix)
			return
		}
	}
	lw.evict(prefix)
}

// del mirrors the deletion of the element at abs of the list prefix.
func (lw *listWindows) del(prefix []byte, abs uint64) {
	ws, ok := lw.m[string(prefix)]
	if !ok {
		return
	}
	kept := ws[:0]
	for _, w := range ws {
		before := w.bytes
		keep := w.del(abs)
		lw.bytes += w.bytes - before
		if keep {
			kept = append(kept, w)
		} else {
			lw.bytes -= w.bytes
		}
	}
	if len(kept) == 0 {
		delete(lw.m, string(prefix))
		return
	}
	clear(ws[len(kept):])
	lw.m[string(prefix)] = kept
}

// install keeps vals, the elements at [lo, lo+len(vals)) of the list
// prefix as of now, as one of its windows, taking the place of one that
// overlaps it or, with two already, of the older one. Elements from the
// first one too big on are left out; vals is kept, not copied.
func (lw *listWindows) install(prefix []byte, lo uint64, vals [][]byte) {
	if lw.budget <= 0 {
		return
	}
	w := &listWin{lo: lo}
	for _, v := range vals[:min(len(vals), listWinElems)] {
		if len(v) > rowCacheMaxValue {
			break
		}
		w.pushBack(v)
	}
	if w.n == 0 || w.bytes > lw.budget/2 {
		return
	}
	ws := lw.m[string(prefix)]
	kept := make([]*listWin, 0, 2)
	for _, o := range ws {
		if o.lo <= w.hi() && w.lo <= o.hi() {
			lw.bytes -= o.bytes
			continue
		}
		kept = append(kept, o)
	}
	if len(kept) == 2 {
		lw.bytes -= kept[0].bytes
		kept = kept[1:]
	}
	lw.m[string(prefix)] = append(kept, w)
	lw.bytes += w.bytes
	lw.evict(prefix)
}

// evict drops other lists' windows while over budget, then those of the
// list prefix if it alone is.
func (lw *listWindows) evict(keep []byte) {
	if lw.bytes <= lw.budget {
		return // every put calls this: no map iteration then
	}
	for p, ws := range lw.m {
		if lw.bytes <= lw.budget {
			return
		}
		if p == string(keep) {
			continue
		}
		for _, w := range ws {
			lw.bytes -= w.bytes
		}
		delete(lw.m, p)
	}
	if lw.bytes > lw.budget {
		lw.drop(keep)
	}
}

// drop forgets the windows of the list prefix.
func (lw *listWindows) drop(prefix []byte) {
	for _, w := range lw.m[string(prefix)] {
		lw.bytes -= w.bytes
	}
	delete(lw.m, string(prefix))
}

// clear forgets every window.
func (lw *listWindows) clear() {
	if len(lw.m) > 0 {
		clear(lw.m)
	}
	lw.bytes = 0
}
