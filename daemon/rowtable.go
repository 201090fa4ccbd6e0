package daemon

import (
	"hash/maphash"
	"iter"
	"math/bits"
	"unsafe"
)

// rowTable is the row cache's index: an open-addressing hash table of
// records by key, with linear probing and deletion by backward shift (no
// tombstones). Each slot holds the key's full 64-bit hash and its record,
// so a lookup reads the slot's cache line and then the record, whose head
// holds the key that confirms the match and the value: two cache misses
// on a big cache. A Go map took three or four (its table, the group's
// control word, the slot, and the key in the record) and its lookups were
// a third of the CPU of GET -P 16 and a fifth of SET's.
type rowTable struct {
	slots []rowSlot // len a power of two, or 0
	n     int
	seed  maphash.Seed
	hand  uint64 // the clock's: how many slots it passed (victim)
}

type rowSlot struct {
	hash uint64 // 0: empty (hashes are made odd)
	rec  *rowRec
}

// rowTableMinSlots is the size of a new table.
const rowTableMinSlots = 1024

func newRowTable() *rowTable {
	return &rowTable{seed: maphash.MakeSeed()}
}

func (t *rowTable) hash(k string) uint64 { return maphash.String(t.seed, k) | 1 }

func (t *rowTable) hashBytes(k []byte) uint64 { return maphash.Bytes(t.seed, k) | 1 }

func (t *rowTable) len() int { return t.n }

// touch reads the home slots of the keys hashed to hs and then the
// records in them, so that lookups of those keys that follow find them in
// the CPU's caches (see Client.prefetch). The loads of each loop do not
// depend on one another, so the CPU overlaps their misses. It returns a
// sum of what it read, to be kept somewhere so the reads are not dropped.
func (t *rowTable) touch(hs []uint64) uint64 {
	if t.n == 0 {
		return 0
	}
	mask := uint64(len(t.slots) - 1)
	var sum uint64
	for _, h := range hs {
		sum += t.slots[h&mask].hash
	}
	for _, h := range hs {
		if r := t.slots[h&mask].rec; r != nil {
			sum += uint64(r.klen)
		}
	}
	return sum
}

// get returns the record under k.
func (t *rowTable) get(k string) (*rowRec, bool) {
	if t.n == 0 {
		return nil, false
	}
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.hash == h && s.rec.key() == k {
			return s.rec, true
		}
		if s.hash == 0 {
			return nil, false
		}
	}
}

// getBytes is get for a key in a byte slice.
func (t *rowTable) getBytes(k []byte) (*rowRec, bool) {
	return t.get(unsafe.String(unsafe.SliceData(k), len(k)))
}

// set files r under its key, replacing the record there, if any.
func (t *rowTable) set(r *rowRec) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(len(t.slots)*2, rowTableMinSlots))
	}
	k := r.key()
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.hash == 0 {
			*s = rowSlot{h, r}
			t.n++
			return
		}
		if s.hash == h && s.rec.key() == k {
			s.rec = r
			return
		}
	}
}

// del removes the record under k and returns it.
func (t *rowTable) del(k string) (*rowRec, bool) {
	if t.n == 0 {
		return nil, false
	}
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.hash == 0 {
			return nil, false
		}
		if s.hash == h && s.rec.key() == k {
			r := s.rec
			t.removeAt(i)
			return r, true
		}
	}
}

// removeAt empties slot i and shifts back the entries after it that
// probed past it, so every entry stays reachable from its home slot.
func (t *rowTable) removeAt(i uint64) {
	mask := uint64(len(t.slots) - 1)
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := t.slots[j]
		if s.hash == 0 {
			break
		}
		// s may move to i if its home slot is not in (i, j] (cyclically):
		// then a probe from its home passes i before reaching j.
		home := s.hash & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = s
			i = j
		}
	}
	t.slots[i] = rowSlot{}
	t.n--
}

func (t *rowTable) resize(size int) {
	old := t.slots
	t.slots = make([]rowSlot, size)
	mask := uint64(size - 1)
	for _, s := range old {
		if s.hash == 0 {
			continue
		}
		i := s.hash & mask
		for t.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// victim returns the record to evict, or nil when the table is empty: a
// clock. The hand goes round the slots and stops at the first record not
// used since it last passed (clearing the marks of those it passes), or
// at the victimScan-th record when every one it saw was used, which
// bounds the work of one eviction in a cache that is all hot.
//
// The hand does not walk the slots one after the other (see handSlot). A
// hand walking the slots in order empties them in
// order: behind it are only the keys inserted since it passed, and ahead
// of it every key inserted in the whole round before, which at a load
// over one half packs the slots ahead into one run of occupied slots.
// With the table three quarters full, churning new keys through a full
// cache made runs of 100,000 slots, walked by every insertion landing in
// them and by every eviction's backward shift: a preload of 500,000 keys
// ran at 55,000 SETs a second with all the CPU in this table. The hand
// now passes runs of handRun slots in bit-reversed order of runs:
// neighbouring runs are passed half a round apart, so the slots the hand
// has just emptied are spread over the whole table (the longest run of
// occupied slots at load 0.72 was 297 of 262,144 slots), while within a
// run it reads the slots in order. Single slots in bit-reversed order made
// the runs shorter still (75-143), but each step of the hand a cache miss: uniform GETs over
// 1M keys cost 3.14 us of CPU a request against 2.86 with the ordered
// hand, and 2.71 with runs of 64.
func (t *rowTable) victim() *rowRec {
	if t.n == 0 {
		return nil
	}
	seen := 0
	for ; ; t.hand++ {
		r := t.slots[t.handSlot()].rec
		if r == nil {
			continue
		}
		if seen++; r.used && seen < victimScan {
			r.used = false
			continue
		}
		t.hand++
		return r
	}
}

// handSlot is the slot the hand is at. It passes handRun slots in order
// (reading their slots costs one cache miss for several), then jumps to
// the next run of them in bit-reversed order of runs.
func (t *rowTable) handSlot() uint64 {
	runs := uint64(len(t.slots)) / handRun // a power of two, at least 16
	shift := 64 - bits.TrailingZeros64(runs)
	run := bits.Reverse64(t.hand/handRun) >> shift
	return run*handRun + t.hand%handRun
}

// handRun is how many slots the hand passes in order.
const handRun = 64

// victimScan is the most records one eviction looks at.
const victimScan = 64

// all yields every record; the table must not change meanwhile.
func (t *rowTable) all() iter.Seq[*rowRec] {
	return func(yield func(*rowRec) bool) {
		for _, s := range t.slots {
			if s.hash != 0 && !yield(s.rec) {
				return
			}
		}
	}
}

// clear empties the table and gives back its memory.
func (t *rowTable) clear() {
	t.slots, t.n = nil, 0
}
