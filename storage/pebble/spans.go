package pebble

import (
	"bytes"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// tableSpans decides where flushes and compactions must end a table, on
// top of Pebble's own choices (size, overlap with the level below):
//
//   - at every key family boundary (storage.FamilyData, FamilyExpire,
//     FamilyMeta...), so the small, hot meta records never share a table
//     with the members of collections;
//   - at both ends of every isolated range (IsolateRange): the members of
//     one big collection.
//
// Why: a table is rewritten whenever a compaction's input overlaps it. A
// list's LPUSHes write members just below its head; with its neighbours in
// the same tables, each flush overlapped the table holding the list's
// head (and the meta records after it), and compactions rewrote them over
// and over: LPUSH -P 16 after 3M writes of strings and a hash spent 48% of
// its CPU compacting, 3.2 us a request, and wrote 111 MB to L6 for 67 MB
// pushed. With the list's members in tables of their own, each flushed
// table of new members lies below every table of older ones, so Pebble
// moves it down instead of rewriting anything: 2.0 us a request, 2 MB
// written.
type tableSpans struct {
	mu sync.Mutex // serialises writers of set
	// set is sorted and disjoint; it is replaced, never changed, so the
	// policy reads it without locks.
	set atomic.Pointer[[]keySpan]
}

// keySpan is the key range [start, end).
type keySpan struct{ start, end []byte }

// byStart orders a set's ranges against a start key (binary searches).
func byStart(s keySpan, k []byte) int { return bytes.Compare(s.start, k) }

// maxIsolatedSpans bounds the ranges kept: each adds at most two table
// boundaries per level, and the set is searched once per table written.
// Ranges past it are not isolated (a hint not taken, nothing more).
const maxIsolatedSpans = 4096

// isolate adds [start, end) unless a range starting there is already
// held. Ranges must not overlap partly: the keyspace isolates the member
// ranges of collection versions, which are disjoint or equal.
func (t *tableSpans) isolate(start, end []byte) {
	if bytes.Compare(start, end) >= 0 || t.holds(start) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var cur []keySpan
	if p := t.set.Load(); p != nil {
		cur = *p
	}
	i, found := slices.BinarySearchFunc(cur, start, byStart)
	if found || len(cur) >= maxIsolatedSpans {
		return
	}
	if (i > 0 && bytes.Compare(cur[i-1].end, start) > 0) || (i < len(cur) && bytes.Compare(end, cur[i].start) > 0) {
		return // overlaps a held range: not a range of the kind isolated
	}
	next := make([]keySpan, 0, len(cur)+1)
	next = append(next, cur[:i]...)
	next = append(next, keySpan{start: bytes.Clone(start), end: bytes.Clone(end)})
	next = append(next, cur[i:]...)
	t.set.Store(&next)
}

// holds reports whether a range starting at start is isolated.
func (t *tableSpans) holds(start []byte) bool {
	p := t.set.Load()
	if p == nil {
		return false
	}
	_, found := slices.BinarySearchFunc(*p, start, byStart)
	return found
}

// count is the number of isolated ranges.
func (t *tableSpans) count() int {
	if p := t.set.Load(); p != nil {
		return len(*p)
	}
	return 0
}

// nextBoundary returns the first key after start at which a table must
// end, or nil if none: the end of start's family, or of the isolated range
// start lies in, or the start of the next isolated range, whichever comes
// first.
func (t *tableSpans) nextBoundary(start []byte) []byte {
	var end []byte
	if len(start) > 0 && start[0] < 0xff {
		end = []byte{start[0] + 1}
	}
	p := t.set.Load()
	if p == nil {
		return end
	}
	set := *p
	// The first range that ends after start.
	i, _ := slices.BinarySearchFunc(set, start, func(s keySpan, k []byte) int {
		if bytes.Compare(s.end, k) <= 0 {
			return -1
		}
		return 1
	})
	if i == len(set) {
		return end
	}
	b := set[i].start
	if bytes.Compare(b, start) <= 0 {
		b = set[i].end // start is inside it
	}
	if end == nil || bytes.Compare(b, end) < 0 {
		return b
	}
	return end
}

// policy is Pebble's SpanPolicyFunc: the default policy, up to the next
// boundary.
func (t *tableSpans) policy(start []byte) (pebble.SpanPolicy, []byte, error) {
	return pebble.SpanPolicy{}, t.nextBoundary(start), nil
}
