package daemon

import "encoding/binary"

// scanCursors turns positions in an ordered keyspace into the numeric
// cursors SCAN, HSCAN, SSCAN and ZSCAN must hand out, and back.
//
// Redis walks a hash table and its cursor is a bucket index; Redoubt walks
// keys in byte order, and the exact place to resume is a byte string of any
// length, which no 64-bit number can hold. So the server keeps a bounded
// table from cursor numbers to resume positions (the first key not yet
// looked at is the smallest key >= position). Every cursor also carries
// enough of its position to resume without the table:
//
//	bit 63     always 0 (clients that parse cursors as signed integers work)
//	bits 62-32 the first 31 bits of the position
//	bits 31-27 fallback generation g (0-31)
//	bits 26-0  sequence number, never 0 (so no cursor is 0, which means
//	           "start" and "done")
//
// Guarantees, Redis's own: every key present from the start to the end of a
// full iteration is returned at least once, and every iteration ends.
//   - Table hit: the walk resumes exactly where it stopped. Positions only
//     grow, so each call makes progress.
//   - Table miss (the entry was evicted because scanCursorsMax newer cursors
//     were handed out meanwhile, or the client made the number up): the
//     walk resumes at the 31-bit prefix, which sorts at or before the real
//     position, so nothing is skipped; keys between the prefix and the real
//     position come again, which SCAN allows. Each miss raises the
//     generation, which every later cursor of the iteration carries, and a
//     resumed call looks at COUNT << g keys. However often an iteration's
//     cursors are evicted, a run of keys sharing a prefix is therefore
//     crossed after at most O(log run) misses: the iteration ends. The
//     price is a bigger call after each miss, never a skipped key.
//
// A stale cursor can be mistaken for a newer one only if it shares the
// newer one's prefix and generation and its sequence number modulo 2^27
// (134 million cursors later) while that one is still in the table.
//
// Not safe for concurrent use: it is guarded by Server.mu.
type scanCursors struct {
	entries map[uint64][]byte
	order   []uint64 // insertion order, oldest first: a FIFO ring
	head    int      // index of the oldest entry in order
	bytes   int      // sum of stored position lengths
	seq     uint32
}

const (
	scanCursorsMax      = 16384    // entries kept
	scanCursorsMaxBytes = 16 << 20 // position bytes kept
	scanMaxGeneration   = 31
	scanSeqBits         = 27
	scanSeqMask         = 1<<scanSeqBits - 1
)

// save returns a new cursor for resuming at pos (the smallest key >= pos
// comes next); gen is the iteration's fallback generation, as load
// returned it. pos is copied.
func (sc *scanCursors) save(pos []byte, gen int) uint64 {
	if sc.entries == nil {
		sc.entries = make(map[uint64][]byte)
	}
	sc.seq = (sc.seq + 1) & scanSeqMask
	if sc.seq == 0 {
		sc.seq = 1
	}
	if gen > scanMaxGeneration {
		gen = scanMaxGeneration
	}
	cursor := scanPrefixBits(pos)<<32 | uint64(gen)<<scanSeqBits | uint64(sc.seq)
	if old, ok := sc.entries[cursor]; ok {
		// The sequence wrapped onto a live entry: drop it, the ring slot
		// it holds is skipped when its turn comes.
		sc.bytes -= len(old)
	}
	sc.entries[cursor] = append([]byte(nil), pos...)
	sc.bytes += len(pos)
	sc.order = append(sc.order, cursor)
	for len(sc.entries) > scanCursorsMax || sc.bytes > scanCursorsMaxBytes {
		sc.evictOldest()
	}
	if sc.head > len(sc.order)/2 && sc.head > 1024 {
		sc.order = append(sc.order[:0], sc.order[sc.head:]...)
		sc.head = 0
	}
	return cursor
}

func (sc *scanCursors) evictOldest() {
	for sc.head < len(sc.order) {
		c := sc.order[sc.head]
		sc.head++
		if pos, ok := sc.entries[c]; ok {
			// A cursor number reused after a wrap appears twice in order;
			// evicting at its first appearance is only early, never wrong.
			sc.bytes -= len(pos)
			delete(sc.entries, c)
			return
		}
	}
}

// load returns where a walk given cursor resumes, how many keys the call
// should look at, and the generation the next cursor must carry. exact is
// false when the cursor was not in the table and the walk restarts from the
// cursor's prefix.
func (sc *scanCursors) load(cursor uint64, count int64) (pos []byte, budget int64, gen int, exact bool) {
	gen = int(cursor>>scanSeqBits) & scanMaxGeneration
	if pos, ok := sc.entries[cursor]; ok {
		return pos, count, gen, true
	}
	if gen < scanMaxGeneration {
		gen++
	}
	budget = count
	for i := 0; i < gen && budget < 1<<40; i++ {
		budget *= 2
	}
	return scanPrefixPosition(cursor), budget, gen, false
}

// reset forgets every cursor (tests; FLUSHALL need not: positions stay
// valid for a changed keyspace).
func (sc *scanCursors) reset() { *sc = scanCursors{} }

// scanPrefixBits returns the first 31 bits of pos, zero-padded.
func scanPrefixBits(pos []byte) uint64 {
	var b [4]byte
	copy(b[:], pos)
	return uint64(binary.BigEndian.Uint32(b[:]) >> 1)
}

// scanPrefixPosition turns a cursor's 31 prefix bits back into a position
// that sorts at or before every key those bits were taken from: the four
// bytes they fill, with trailing zero bytes dropped (a key shorter than four
// bytes was zero-padded, and the unpadded key sorts before the padded one).
func scanPrefixPosition(cursor uint64) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(cursor>>32)<<1)
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return append([]byte(nil), b[:n]...)
}

// parseScanCursor parses a cursor the way Redis's parseScanCursorOrReply
// does with strtoul: optional '+' or '-' (negation wraps, as in C), decimal
// digits, nothing else; no leading space; an empty string is cursor 0;
// values past 2^64-1 are errors.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if isSpace(b[0]) {
		return 0, false
	}
	neg := false
	i := 0
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	if i == len(b) {
		// strtoul found no digits: it leaves the end pointer at the sign,
		// which is not the end of the string.
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (^uint64(0)-uint64(d-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}
