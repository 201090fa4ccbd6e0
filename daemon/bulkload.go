package daemon

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/redoubtdb/redoubt/storage"
)

// Bulk loading (rdb import). Keys loaded into an empty keyspace do not go
// through the write path: their records are caught on their way to the
// pending unit (Keyspace.sink), held in one arena, sorted, and handed to
// the store as sorted runs (storage.Ingester), which Pebble links into its
// bottom level with no memtable, log or compaction. The records are made
// by the ordinary code (Keyspace.Put, loadColl), so a loaded key is
// exactly what a command would have written.
//
// The arena holds, per key (a group): the user key, its member records as
// (sub key, value) pairs, then its meta record. Member keys are rebuilt
// from the collection's prefix when written, expiry-index records from the
// meta record's expiry, so neither is held.

// bulkRunBytes is how much record data a load holds before writing it out:
// a bigger file takes several rounds, each ingested over the previous ones
// (Pebble places them in higher levels and merges them by compaction).
var bulkRunBytes = 256 << 20

// bulkRoundKeys is how many keys a round holds in memory mapped for them
// (bulkLoad.gbase); a round of smaller keys moves them to the Go heap.
var bulkRoundKeys = bulkRunBytes / 64

// bulkChunkRows bounds the records of one run (one sstable): a round is cut
// into several so that they are written in parallel.
var bulkChunkRows = 512 << 10

// bulkWarmGroups is how many groups a writer fetches into the CPU cache at
// once (bulkWriter.run).
const bulkWarmGroups = 32

// bulkWarmSpan bounds the bytes of one group's records fetched ahead.
const bulkWarmSpan = 1024

// bulkGroup is one key's records in the arena.
type bulkGroup struct {
	off   int64  // RDB offset of the key, for errors
	key   uint32 // the user key is arena[key:rows]
	rows  uint32 // member records are arena[rows:meta]
	meta  uint32 // the meta record is arena[meta:end]
	end   uint32 // 0 until the meta record arrives
	nrows uint32
	db    uint16 // logical database
	p     uint16 // its physical namespace
	// From the meta record, for the writers (which would otherwise read
	// it at a random place in the arena):
	version uint64
	list    bool
	expires bool
	fenced  bool // a sorted set whose rank fences the writer makes
}

type bulkLoad struct {
	ks     *Keyspace
	log    *slog.Logger
	ing    storage.Ingester
	arena  []byte
	groups []bulkGroup
	err    error // a record the load cannot take (a bug)
	// base is the arena's own memory; a key too big for what is left
	// makes appends move the arena to the Go heap until the next round.
	base  []byte
	unmap func()
	// gbase is groups' own memory, mapped as the arena is: allocated by
	// Go, the groups of 1M keys were 48 MB cleared at once, and a
	// collection that began meanwhile spun in its assist, waiting to
	// stop the goroutine clearing them (8% of the reading phase). A
	// round with more keys than it holds moves groups to the Go heap.
	gbase   []bulkGroup
	gunmap  func()
	rounds  int                            // rounds ingested
	nruns   int                            // runs of the last round, for the log
	since   time.Time                      // when the round began reading, for the log
	onPhase func(string)                   // ImportOptions.OnPhase
	step    func(heavy func() error) error // loadHooks.step
	// loaded holds the keys of the rounds ingested: a later round looks
	// in the store for a duplicate only where it says so. A lookup per
	// key took 9 of the 20 s of a 4M-key import in two rounds.
	loaded keyFilter
	// holds: the load holds off the store filter (storeFilter) until
	// closed.
	holds bool
}

// errNoIngest is a store that cannot take runs.
var errNoIngest = errors.New("the store cannot load runs of records (storage.Ingester)")

func newBulkLoad(ks *Keyspace, log *slog.Logger) (*bulkLoad, error) {
	ing, ok := ks.store.(storage.Ingester)
	if !ok {
		return nil, errNoIngest
	}
	// The arena is allocated once, at its full size: growing it by
	// appends copied it over and over (a quarter of a load's time), and
	// pages not yet written cost nothing.
	// Its runs reach the store around the write buffer.
	ks.wb.holdFilter()
	b := &bulkLoad{ks: ks, log: log, ing: ing, loaded: newKeyFilter(), holds: true, since: time.Now()}
	b.base, b.unmap = mapArena(bulkRunBytes + bulkRunBytes/8)
	b.arena = b.base[:0]
	b.gbase, b.gunmap = mapSlice[bulkGroup](bulkRoundKeys)
	b.groups = b.gbase[:0]
	ks.sink = b.take
	return b, nil
}

// close stops catching records and frees the arena. The load must not be
// used afterwards.
func (b *bulkLoad) close() {
	b.ks.sink = nil
	if b.holds {
		b.ks.wb.releaseFilter()
		b.holds = false
	}
	if b.unmap != nil {
		b.arena, b.base = nil, nil
		b.unmap()
		b.unmap = nil
	}
	if b.gunmap != nil {
		b.groups, b.gbase = nil, nil
		b.gunmap()
		b.gunmap = nil
	}
}

// begin starts the records of key in db, found at offset off of the file.
func (b *bulkLoad) begin(db int, key []byte, off int64) {
	k := uint32(len(b.arena))
	b.arena = append(b.arena, key...)
	b.groups = append(b.groups, bulkGroup{off: off, key: k, rows: uint32(len(b.arena)), db: uint16(db), p: b.ks.physDB(db)})
}

// end completes the current key; past the round's budget the held records
// are written out.
func (b *bulkLoad) end() error {
	if b.err != nil {
		return b.err
	}
	if g := &b.groups[len(b.groups)-1]; g.end == 0 {
		return errors.New("bulk load: a key without a meta record")
	}
	if len(b.arena) >= bulkRunBytes {
		return b.flush(false)
	}
	return nil
}

// maybeLoaded reports whether key in db may be among the keys of the
// rounds already ingested (false: it certainly is not).
func (b *bulkLoad) maybeLoaded(db int, key []byte) bool {
	return b.rounds > 0 && b.loaded.mayHave(b.loaded.hash(uint16(db), key))
}

// take is the keyspace's sink: a record of the current key (val nil with
// del set for a deletion, which no load makes).
func (b *bulkLoad) take(key, val []byte, del bool) {
	if b.err != nil {
		return
	}
	g := &b.groups[len(b.groups)-1]
	switch {
	case del:
		b.err = fmt.Errorf("bulk load: deletion of %q", key)
	case g.end != 0:
		b.err = fmt.Errorf("bulk load: record %q after the meta record", key)
	case len(b.arena)+len(key)+len(val)+2*binary.MaxVarintLen64 > math.MaxUint32:
		b.err = fmt.Errorf("bulk load: the records of key %q pass 4 GB", b.userKey(g))
	case key[0] == storage.FamilyMeta:
		var m storage.Meta
		if err := storage.DecodeMeta(val, &m); err != nil {
			b.err = err
			return
		}
		g.version, g.list, g.expires = m.Version, m.Type == storage.TypeList, m.ExpireAt != 0
		g.fenced = metaFenced(&m)
		g.meta = uint32(len(b.arena))
		b.arena = append(b.arena, val...)
		g.end = uint32(len(b.arena))
	case key[0] == storage.FamilyData:
		n := storage.DataPrefixLen(key)
		if n != 15+int(g.rows-g.key) {
			b.err = fmt.Errorf("bulk load: member record %q of another key", key)
			return
		}
		b.arena = binary.AppendUvarint(b.arena, uint64(len(key)-n))
		b.arena = append(b.arena, key[n:]...)
		b.arena = binary.AppendUvarint(b.arena, uint64(len(val)))
		b.arena = append(b.arena, val...)
		g.nrows++
	case key[0] == storage.FamilyExpire:
		// Made again from the meta record.
	default:
		b.err = fmt.Errorf("bulk load: unexpected record %q", key)
	}
}

// mapSlice returns a slice of n Ts in memory from mapArena, and the
// function that unmaps it. T must hold no pointers: the collector does
// not scan that memory.
func mapSlice[T any](n int) ([]T, func()) {
	var t T
	b, unmap := mapArena(n * int(unsafe.Sizeof(t)))
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n), unmap
}

func (b *bulkLoad) userKey(g *bulkGroup) []byte { return b.arena[g.key:g.rows:g.rows] }
func (b *bulkLoad) metaRec(g *bulkGroup) []byte { return b.arena[g.meta:g.end:g.end] }

// flush sorts the held records, writes them as runs in parallel and
// ingests them, then empties the arena for the next round; last says there
// is none.
func (b *bulkLoad) flush(last bool) error {
	if b.err != nil {
		return b.err
	}
	if len(b.groups) == 0 {
		return nil
	}
	if b.onPhase != nil {
		b.onPhase(fmt.Sprintf("sorting and writing %d keys (round %d)", len(b.groups), b.rounds+1))
	}
	// Sorting, writing and ingesting use the arena and the store, not
	// the keyspace: a replica's load lets clients in meanwhile (step).
	var t0, t1, t2, t3 time.Time
	heavy := func() error {
		t0 = time.Now()
		jobs, err := b.plan()
		if err != nil {
			return err
		}
		t1 = time.Now()
		runs, err := b.write(jobs)
		if err != nil {
			return err
		}
		t2 = time.Now()
		if err := b.ing.Ingest(runs); err != nil {
			for _, r := range runs {
				r.Abort()
			}
			return err
		}
		t3 = time.Now()
		b.nruns = len(runs)
		return nil
	}
	var err error
	if b.step != nil {
		err = b.step(heavy)
	} else {
		err = heavy()
	}
	if err != nil {
		return err
	}
	if !last {
		// For the next rounds (maybeLoaded). Not after the last: filing
		// 1M keys took 80 ms.
		for i := range b.groups {
			g := &b.groups[i]
			b.loaded.add(b.loaded.hash(g.db, b.userKey(g)))
		}
	}
	b.rounds++
	b.log.Info("bulk load: records ingested", "round", b.rounds, "keys", len(b.groups), "bytes", len(b.arena),
		"runs", b.nruns, "read", t0.Sub(b.since), "sort", t1.Sub(t0), "write", t2.Sub(t1), "ingest", t3.Sub(t2))
	b.since = time.Now()
	b.arena = b.base[:0]
	b.groups = b.gbase[:0]
	return nil
}

// bulkJob is a slice of one family's groups, in key order, for one run.
type bulkJob struct {
	family byte
	groups []int32
}

// plan orders the groups for each family's records and cuts the orders
// into jobs. Meta records sort by (db, key), member records by (db, key
// length, key): see storage's key layout. A key named twice is refused
// here, as Redis refuses such a file.
func (b *bulkLoad) plan() ([]bulkJob, error) {
	gs := b.groups
	byKey := make([]int32, len(gs))
	for i := range byKey {
		byKey[i] = int32(i)
	}
	if x, y, dup := sortByKey(byKey, func(i int32) (uint16, []byte) { return gs[i].p, b.userKey(&gs[i]) }); dup {
		gx, gy := &gs[x], &gs[y]
		return nil, fmt.Errorf("rdb: offset %d: duplicate key %q in db %d", max(gx.off, gy.off), b.userKey(gy), gy.db)
	}
	// Member records: a stable bucketing of byKey by (db, key length).
	// Each group's bucket is numbered in one pass in arena order, so
	// that the pass in key order reads 4 bytes a group rather than its
	// entry at a random place in groups (a cache miss each), and counts
	// go to slices rather than maps.
	const noRows = ^uint32(0)
	ids := make([]uint32, len(gs))
	var bucketKeys []uint64 // (db, key length) of each bucket number
	idOf := map[uint64]uint32{}
	lastKey, lastID := ^uint64(0), uint32(0)
	for i := range gs {
		g := &gs[i]
		if g.nrows == 0 {
			ids[i] = noRows
			continue
		}
		if k := uint64(g.p)<<32 | uint64(g.rows-g.key); k != lastKey {
			id, ok := idOf[k]
			if !ok {
				id = uint32(len(bucketKeys))
				idOf[k] = id
				bucketKeys = append(bucketKeys, k)
			}
			lastKey, lastID = k, id
		}
		ids[i] = lastID
	}
	counts := make([]int, len(bucketKeys))
	for _, id := range ids {
		if id != noRows {
			counts[id]++
		}
	}
	inOrder := make([]uint32, len(bucketKeys))
	for i := range inOrder {
		inOrder[i] = uint32(i)
	}
	slices.SortFunc(inOrder, func(x, y uint32) int { return cmp.Compare(bucketKeys[x], bucketKeys[y]) })
	start, n := make([]int, len(bucketKeys)), 0
	for _, id := range inOrder {
		start[id] = n
		n += counts[id]
	}
	byLen := make([]int32, n)
	for _, i := range byKey {
		if id := ids[i]; id != noRows {
			byLen[start[id]] = i
			start[id]++
		}
	}
	// Expiry records: by (db, expiry, key).
	var byExp []int32
	exp := func(i int32) int64 { return storage.MetaExpireAt(b.metaRec(&gs[i])) }
	for i := range gs {
		if gs[i].expires {
			byExp = append(byExp, int32(i))
		}
	}
	slices.SortFunc(byExp, func(x, y int32) int {
		if px, py := gs[x].p, gs[y].p; px != py {
			return int(px) - int(py)
		}
		ex, ey := exp(x), exp(y)
		switch {
		case ex < ey:
			return -1
		case ex > ey:
			return 1
		}
		return bytes.Compare(b.userKey(&gs[x]), b.userKey(&gs[y]))
	})
	var jobs []bulkJob
	cut := func(family byte, order []int32, rows func(g *bulkGroup) int) {
		for len(order) > 0 {
			n, i := 0, 0
			for i < len(order) && (i == 0 || n < bulkChunkRows) {
				n += rows(&gs[order[i]])
				i++
			}
			jobs = append(jobs, bulkJob{family, order[:i]})
			order = order[i:]
		}
	}
	one := func(*bulkGroup) int { return 1 }
	cut(storage.FamilyData, byLen, func(g *bulkGroup) int { return int(g.nrows) })
	cut(storage.FamilyExpire, byExp, one)
	cut(storage.FamilyMeta, byKey, one)
	return jobs, nil
}

// write builds one run per job, GOMAXPROCS at a time. On error every run
// is aborted.
func (b *bulkLoad) write(jobs []bulkJob) ([]storage.Run, error) {
	runs := make([][]storage.Run, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int, len(jobs))
	for i := range jobs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	var failed sync.Once
	stop := make(chan struct{})
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := bulkWriter{b: b}
			for i := range next {
				select {
				case <-stop:
					return
				default:
				}
				runs[i], errs[i] = w.run(jobs[i])
				if errs[i] != nil {
					failed.Do(func() { close(stop) })
				}
			}
		}()
	}
	wg.Wait()
	// Jobs skipped after a failure have neither a run nor an error; the
	// first error in job (key) order is the one reported.
	var err error
	for _, e := range errs {
		if e != nil {
			err = e
			break
		}
	}
	var all []storage.Run
	for _, rs := range runs {
		all = append(all, rs...)
	}
	if err != nil {
		abortRuns(all)
		return nil, err
	}
	return all, nil
}

func abortRuns(runs []storage.Run) {
	for _, r := range runs {
		if r != nil {
			r.Abort()
		}
	}
}

// sortByKey sorts idx by (ns, key) as keyOf gives them, in byte order of
// the keys: an MSD radix sort whose digits are 8-byte words, each level
// sorting (namespace, word, length) triples (radixSortWords), so keys that
// share a long prefix are not compared byte by byte again and again. It
// reports two entries with equal keys, if it finds any.
func sortByKey(idx []int32, keyOf func(int32) (uint16, []byte)) (x, y int32, dup bool) {
	// Past the prefix every key shares: keys such as "key:0001234" all
	// have the same first word, which used to be sorted (a no-op), then
	// read again for every key in the sorted, random order (two cache
	// misses each), and which kept sortSplit on one core.
	depth := commonPrefixLen(len(idx), func(i int) []byte { _, k := keyOf(idx[i]); return k })
	ents := make([]keyWord, len(idx))
	for i, x := range idx {
		ns, k := keyOf(x)
		ents[i] = keyWord{ns: ns, i: x}
		ents[i].load(k, depth)
	}
	x, y, dup = sortSplit(ents, keyOf, depth)
	for i := range ents {
		idx[i] = ents[i].i
	}
	return x, y, dup
}

// commonPrefixLen is the length of the prefix that the n keys key(i)
// share.
func commonPrefixLen(n int, key func(int) []byte) int {
	if n == 0 {
		return 0
	}
	first := key(0)
	common := len(first)
	for i := 1; i < n && common > 0; i++ {
		k := key(i)
		if len(k) >= common && bytes.Equal(k[:common], first[:common]) {
			continue // most keys: one comparison of the prefix
		}
		m := min(common, len(k))
		j := 0
		for j < m && k[j] == first[j] {
			j++
		}
		common = j
	}
	return common
}

// parallelSortMin is the size from which sortSplit sorts two halves at
// once.
const parallelSortMin = 1 << 16

// sortSplit is sortWords at depth on two cores: the entries are split
// around a sampled pivot word into those below it and the rest, which
// sort independently and stay in that order. Keys sharing a first word
// all land on one side, so a key set whose first words are all alike
// (long common prefixes) sorts on one core, as before.
func sortSplit(ents []keyWord, keyOf func(int32) (uint16, []byte), depth int) (x, y int32, dup bool) {
	tmp := make([]keyWord, scratchLen(len(ents)))
	if len(ents) < parallelSortMin || runtime.GOMAXPROCS(0) < 2 {
		return sortWords(ents, tmp, keyOf, depth)
	}
	// The median of 63 entries spread over the slice.
	sample := make([]keyWord, 63)
	for i := range sample {
		sample[i] = ents[i*(len(ents)-1)/(len(sample)-1)]
	}
	insertionSortWords(sample)
	pivot := sample[len(sample)/2]
	lo := 0
	for i := range ents {
		if keyWordLess(&ents[i], &pivot) {
			ents[lo], ents[i] = ents[i], ents[lo]
			lo++
		}
	}
	var rx, ry int32
	var rdup bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rx, ry, rdup = sortWords(ents[lo:], scratchRange(tmp, lo, len(ents)), keyOf, depth)
	}()
	x, y, dup = sortWords(ents[:lo], scratchRange(tmp, 0, lo), keyOf, depth)
	wg.Wait()
	if !dup {
		x, y, dup = rx, ry, rdup
	}
	return x, y, dup
}

// keyWord is one key's digit at some depth: the 8 bytes from there
// (zero-padded) and how many of them the key has (9: more follow).
type keyWord struct {
	w  uint64
	ns uint16
	n  uint8
	i  int32
}

func (e *keyWord) load(k []byte, depth int) {
	rest := k[min(depth, len(k)):]
	var buf [8]byte
	copy(buf[:], rest)
	e.w = binary.BigEndian.Uint64(buf[:])
	e.n = uint8(min(len(rest), 9))
}

// radixSortWords orders ents by (ns, w, n), using tmp (as long) as
// scratch: a least-significant-digit radix sort on those 11 bytes, which
// skips every byte all the entries share (the padding of short keys, a
// single namespace). slices.SortFunc spent most of its time calling the
// comparison: 800 us for a write buffer layer of 8192 keys, against
// about 150 us here (BenchmarkSortPairs).
func radixSortWords(ents, tmp []keyWord) {
	if len(ents) <= 32 {
		insertionSortWords(ents)
		return
	}
	if len(tmp) < len(ents) {
		// No scratch (see radixScratchMax): sort in place.
		slices.SortFunc(ents, keyWordCmp)
		return
	}
	// One pass counts every byte position; each position whose entries
	// differ then takes one stable scatter pass, lowest first.
	var counts [keyWordDigits][256]int
	for i := range ents {
		e := &ents[i]
		counts[0][e.n]++
		for b := range 8 {
			counts[1+b][byte(e.w>>(8*b))]++
		}
		counts[9][byte(e.ns)]++
		counts[10][byte(e.ns>>8)]++
	}
	src, dst := ents, tmp[:len(ents)]
	for d := range keyWordDigits {
		c := &counts[d]
		if c[keyWordDigit(&src[0], d)] == len(src) {
			continue
		}
		sum := 0
		for v, n := range c {
			c[v] = sum
			sum += n
		}
		for i := range src {
			v := keyWordDigit(&src[i], d)
			dst[c[v]] = src[i]
			c[v]++
		}
		src, dst = dst, src
	}
	if &src[0] != &ents[0] {
		copy(ents, src)
	}
}

// radixScratchMax is the most entries a sort gets scratch for (16 MB):
// past it, a collection of millions of members, sorted while a replica
// loads it, would double the memory its sort takes, so bigger sorts run
// in place, slower. A variable for tests.
var radixScratchMax = 1 << 20

// scratchLen is how much scratch a sort of n entries gets: n, or none
// past radixScratchMax.
func scratchLen(n int) int {
	if n > radixScratchMax {
		return 0
	}
	return n
}

// keyWordDigits is how many byte digits radixSortWords sorts on.
const keyWordDigits = 11

// keyWordDigit is e's d-th byte digit, least significant first: n, then
// w's bytes, then ns's.
func keyWordDigit(e *keyWord, d int) byte {
	switch {
	case d == 0:
		return e.n
	case d <= 8:
		return byte(e.w >> (8 * (d - 1)))
	default:
		return byte(e.ns >> (8 * (d - 9)))
	}
}

// scratchRange is tmp[i:j], or nil when there is no scratch (scratchLen).
func scratchRange(tmp []keyWord, i, j int) []keyWord {
	if len(tmp) < j {
		return nil
	}
	return tmp[i:j]
}

func keyWordLess(a, b *keyWord) bool {
	if a.ns != b.ns {
		return a.ns < b.ns
	}
	if a.w != b.w {
		return a.w < b.w
	}
	// A key that ends within the word is a prefix of a longer one.
	return a.n < b.n
}

// keyWordCmp is keyWordLess as a comparison function.
func keyWordCmp(a, b keyWord) int {
	switch {
	case keyWordLess(&a, &b):
		return -1
	case keyWordLess(&b, &a):
		return 1
	}
	return 0
}

func insertionSortWords(ents []keyWord) {
	for i := 1; i < len(ents); i++ {
		for j := i; j > 0 && keyWordLess(&ents[j], &ents[j-1]); j-- {
			ents[j], ents[j-1] = ents[j-1], ents[j]
		}
	}
}

// sortWords sorts ents, whose keys are equal before depth, by their keys
// from depth on, one 8-byte word per level of recursion. Past
// sortWordsMaxDepth bytes the rest of each key is compared as a whole: keys
// come from clients and files, and two long keys that differ only at their
// ends would otherwise recurse once per word of them (two 100 MB keys, which
// proto-max-bulk-len allows, overflowed Go's 1 GB stack and killed the
// process).
func sortWords(ents, tmp []keyWord, keyOf func(int32) (uint16, []byte), depth int) (x, y int32, dup bool) {
	if depth >= sortWordsMaxDepth {
		return sortTails(ents, keyOf, depth)
	}
	radixSortWords(ents, tmp)
	for i := 0; i < len(ents); {
		j := i + 1
		for j < len(ents) && ents[j].ns == ents[i].ns && ents[j].w == ents[i].w && ents[j].n == ents[i].n {
			j++
		}
		switch {
		case j-i == 1:
		case ents[i].n < 9:
			// Equal words, both ending in them: equal keys.
			if !dup {
				x, y, dup = ents[i].i, ents[i+1].i, true
			}
		default:
			run := ents[i:j]
			for k := range run {
				_, key := keyOf(run[k].i)
				run[k].load(key, depth+8)
			}
			if rx, ry, rdup := sortWords(run, scratchRange(tmp, i, j), keyOf, depth+8); rdup && !dup {
				x, y, dup = rx, ry, true
			}
		}
		i = j
	}
	return x, y, dup
}

// sortKeys orders n keys (keyOf(i) for i < n) in byte order into words
// (returned, reusing the slice's memory): words[j].i is the index of the
// j-th key. Keys of one batch share long prefixes (family, database, then
// often the application's own "user:" and zero-padded digits), so it
// starts after the prefix they all share and compares 8-byte words as
// integers from there (sortWords), instead of comparing the same bytes
// again and again: a byte-string sort was 8% of the CPU of SET -P 16. dup
// reports two equal keys.
func sortKeys(n int, keyOf func(int32) []byte, words []keyWord) (_ []keyWord, dup bool) {
	if n == 0 {
		return words, false
	}
	common := commonPrefixLen(n, func(i int) []byte { return keyOf(int32(i)) })
	base := len(words)
	// The sort's scratch follows the words, in memory the caller's next
	// call reuses.
	scratch := scratchLen(n)
	words = slices.Grow(words, n+scratch)[:base+n+scratch]
	ents, tmp := words[base:base+n], words[base+n:]
	for i := range int32(n) {
		ents[i] = keyWord{i: i}
		ents[i].load(keyOf(i), common)
	}
	_, _, dup = sortWords(ents, tmp, func(i int32) (uint16, []byte) { return 0, keyOf(i) }, common)
	return words[:base+n], dup
}

// sortWordsMaxDepth bounds sortWords's recursion (in bytes of key).
const sortWordsMaxDepth = 512

// sortTails sorts ents, whose keys are equal before depth, by namespace
// and the rest of their keys, compared whole, and reports two equal keys
// if it finds any.
func sortTails(ents []keyWord, keyOf func(int32) (uint16, []byte), depth int) (x, y int32, dup bool) {
	tail := func(e keyWord) []byte {
		_, k := keyOf(e.i)
		return k[min(depth, len(k)):]
	}
	slices.SortFunc(ents, func(a, b keyWord) int {
		if a.ns != b.ns {
			return int(a.ns) - int(b.ns)
		}
		return bytes.Compare(tail(a), tail(b))
	})
	for i := 1; i < len(ents); i++ {
		if ents[i-1].ns == ents[i].ns && bytes.Equal(tail(ents[i-1]), tail(ents[i])) {
			return ents[i-1].i, ents[i].i, true
		}
	}
	return 0, 0, false
}

// bulkWriter writes jobs; each worker has its own buffers.
type bulkWriter struct {
	b     *bulkLoad
	kbuf  []byte
	subs  []bulkRow
	words []keyWord
	// split holds the runs the current job's big collections were split
	// into, beyond its own (writeRows).
	split []storage.Run
}

// bulkRow is one member record of a group: its sub key and its value, as
// offsets and lengths in the arena. No pointers: with slices, the rows of
// a set of 3M members were 144 MB for the GC to scan, whose mark assists
// fell on the event loops (INFO on a loading replica waited up to 0.6 s).
type bulkRow struct{ sub, subLen, val, valLen uint32 }

func (w *bulkWriter) sub(r *bulkRow) []byte {
	return w.b.arena[r.sub : r.sub+r.subLen : r.sub+r.subLen]
}

func (w *bulkWriter) val(r *bulkRow) []byte {
	return w.b.arena[r.val : r.val+r.valLen : r.val+r.valLen]
}

// run writes one job, returning its runs in key order: usually one, more
// when a big collection's members were split across writers (writeRows),
// since the groups after it must then start a run of their own.
func (w *bulkWriter) run(job bulkJob) (_ []storage.Run, err error) {
	var done []storage.Run // finished, in key order
	w.split = w.split[:0]
	r, err := w.b.ing.NewRun()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if r != nil {
				r.Abort()
			}
			abortRuns(done)
			abortRuns(w.split)
		}
	}()
	gs, arena := w.b.groups, w.b.arena
	for j, i := range job.groups {
		if j%bulkWarmGroups == 0 {
			// The groups come in key order, at random places in groups
			// and the arena: each was two cache misses, one after the
			// other, and they were a third of the writers' time. Loads
			// that do not depend on each other overlap, so a batch's
			// entries, then their records, are fetched together first.
			next := job.groups[j:min(j+bulkWarmGroups, len(job.groups))]
			var sum uint32
			for _, k := range next {
				sum += gs[k].key
			}
			for _, k := range next {
				g := &gs[k]
				// Every cache line the writer reads: the key, and the
				// member records or the meta record after it.
				from, to := g.meta, g.end
				if job.family == storage.FamilyData {
					from, to = g.rows, g.meta
				}
				to = min(to, from+bulkWarmSpan)
				sum += uint32(arena[g.key])
				for o := from; o < to; o += 64 {
					sum += uint32(arena[o])
				}
			}
			runtime.KeepAlive(sum) // the loads are the point
		}
		if err = w.group(r, job.family, &gs[i]); err != nil {
			return nil, err
		}
		if len(w.split) > 0 && j+1 < len(job.groups) {
			// The group's last members are in runs of their own, whose
			// keys come before the next group's.
			if err = r.Finish(); err != nil {
				return nil, err
			}
			done = append(append(done, r), w.split...)
			r, w.split = nil, w.split[:0]
			if r, err = w.b.ing.NewRun(); err != nil {
				return nil, err
			}
		}
	}
	if err = r.Finish(); err != nil {
		return nil, err
	}
	done = append(append(done, r), w.split...)
	r, w.split = nil, w.split[:0]
	return done, nil
}

func (w *bulkWriter) group(r storage.Run, family byte, g *bulkGroup) error {
	b := w.b
	p := g.p
	key, meta := b.userKey(g), b.metaRec(g)
	switch family {
	case storage.FamilyMeta:
		w.kbuf = storage.MetaKey(w.kbuf[:0], p, key)
		return r.Set(w.kbuf, meta)
	case storage.FamilyExpire:
		w.kbuf = storage.ExpireKey(w.kbuf[:0], p, storage.MetaIndexAt(meta), key)
		return r.Set(w.kbuf, nil)
	}
	if cap(w.subs) < int(g.nrows) {
		// At once: grown by appends, a set of 3M members copied its
		// rows again and again (48 MB at the end).
		w.subs = make([]bulkRow, 0, g.nrows)
	}
	w.subs = w.subs[:0]
	for pos := g.rows; pos < g.meta; {
		var row bulkRow
		row.sub, row.subLen, pos = uvarintAt(b.arena, pos)
		row.val, row.valLen, pos = uvarintAt(b.arena, pos)
		w.subs = append(w.subs, row)
	}
	// List members come in index order; the others in the file's order,
	// sorted here by sortKeys: for a set of 3M members a byte-string sort
	// took 4-5 s.
	order := w.words[:0]
	if !g.list && len(w.subs) > 1 {
		var dup bool
		order, dup = sortKeys(len(w.subs), func(i int32) []byte { return w.sub(&w.subs[i]) }, order)
		if dup {
			return fmt.Errorf("rdb: offset %d: key %q: %w", g.off, key, errDuplicateMember)
		}
	}
	w.words = order[:0]
	// row is the j-th member record in key order.
	row := func(j int) *bulkRow {
		if len(order) == 0 {
			return &w.subs[j]
		}
		return &w.subs[order[j].i]
	}
	w.kbuf = storage.DataPrefix(w.kbuf[:0], p, key, g.version)
	n := len(w.kbuf)
	if g.fenced {
		// The rank fences (zsetfence.go), from the index entries in
		// order; their sub keys sort before every member record's.
		var cnt [binary.MaxVarintLen64]byte
		emit := func(start []byte, count int64) error {
			w.kbuf = append(append(w.kbuf[:n], zfenceSub), start...)
			return r.Set(w.kbuf, cnt[:binary.PutUvarint(cnt[:], uint64(count))])
		}
		start, count := []byte(zfenceFirstStart), int64(0)
		for j := range w.subs {
			sub := w.sub(row(j))
			if len(sub) == 0 || sub[0] != zsetIndexPrefix[0] {
				continue
			}
			if count == zsetFenceSize {
				if err := emit(start, count); err != nil {
					return err
				}
				start, count = sub, 0
			}
			count++
		}
		if err := emit(start, count); err != nil {
			return err
		}
	}
	return w.writeRows(r, n, row)
}

// bulkSplitRows is the number of member records from which a collection's
// are written by several goroutines, each to a run of its own: a load of
// one sorted set of millions of members otherwise wrote them all on one
// core, while the other idled.
var bulkSplitRows = 1 << 18

// writeRows writes the current group's member records, in order (row(j) is
// the j-th), under the data prefix in w.kbuf[:n]: to r, or, for a big
// collection on a machine with cores to spare, the first part to r and the
// others, contiguous ranges of the order, each to a new run (w.split).
// Runs of one load must not overlap, and these do not: each holds a range
// of this collection's sub keys, and r's keys all come before them.
func (w *bulkWriter) writeRows(r storage.Run, n int, row func(j int) *bulkRow) error {
	rows := len(w.subs)
	parts := 1
	if rows >= bulkSplitRows {
		parts = min(runtime.GOMAXPROCS(0), 2*rows/bulkSplitRows)
	}
	var err error
	if parts <= 1 {
		w.kbuf, err = w.writeRange(r, w.kbuf, n, 0, rows, row)
		return err
	}
	size := (rows + parts - 1) / parts
	prefix := bytes.Clone(w.kbuf[:n])
	runs := make([]storage.Run, parts-1)
	errs := make([]error, parts-1)
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr, err := w.b.ing.NewRun()
			if err == nil {
				_, err = w.writeRange(pr, bytes.Clone(prefix), n, p*size, min((p+1)*size, rows), row)
				if err == nil {
					err = pr.Finish()
				}
				if err != nil {
					pr.Abort()
				}
			}
			if err != nil {
				errs[p-1] = err
				return
			}
			runs[p-1] = pr
		}()
	}
	w.kbuf, err = w.writeRange(r, w.kbuf, n, 0, size, row)
	wg.Wait()
	if err == nil {
		err = errors.Join(errs...)
	}
	if err != nil {
		abortRuns(runs)
		return err
	}
	w.split = append(w.split, runs...)
	return nil
}

// writeRange writes member records [from, to) to r, each under the data
// prefix key[:n], building their keys in key, which it returns (grown).
func (w *bulkWriter) writeRange(r storage.Run, key []byte, n, from, to int, row func(j int) *bulkRow) ([]byte, error) {
	for j := from; j < to; j++ {
		rw := row(j)
		key = append(key[:n], w.sub(rw)...)
		if err := r.Set(key, w.val(rw)); err != nil {
			return key, err
		}
	}
	return key, nil
}

// uvarintAt reads the length-prefixed byte string at pos of b: its offset
// and length, and the position after it.
func uvarintAt(b []byte, pos uint32) (off, n, next uint32) {
	l, k := binary.Uvarint(b[pos:])
	off = pos + uint32(k)
	return off, uint32(l), off + uint32(l)
}

// keyFilter is a Bloom filter of keys, sized as it fills: 16 bits a key
// (about 0.05% false positives with 8 probes), rebuilt from scratch when
// it outgrows its bits, so it keeps the 64-bit hashes it was given.
type keyFilter struct {
	seed   maphash.Seed
	bits   []uint64
	hashes []uint64
}

func newKeyFilter() keyFilter { return keyFilter{seed: maphash.MakeSeed()} }

func (f *keyFilter) hash(db uint16, key []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(f.seed)
	h.WriteByte(byte(db))
	h.WriteByte(byte(db >> 8))
	h.Write(key)
	return h.Sum64()
}

func (f *keyFilter) add(h uint64) {
	f.hashes = append(f.hashes, h)
	if len(f.bits)*64 < 16*len(f.hashes) {
		f.bits = make([]uint64, max(1024, 2*16*len(f.hashes)/64))
		for _, x := range f.hashes {
			f.set(x)
		}
		return
	}
	f.set(h)
}

// probe derives the filter's 8 bit positions from one hash (double
// hashing: h1 + i*h2).
func (f *keyFilter) probe(h uint64, i uint64) (word int, bit uint64) {
	n := uint64(len(f.bits)) * 64
	pos := ((h & 0xffffffff) + i*(h>>32|1)) % n
	return int(pos / 64), 1 << (pos % 64)
}

func (f *keyFilter) set(h uint64) {
	for i := uint64(0); i < 8; i++ {
		w, b := f.probe(h, i)
		f.bits[w] |= b
	}
}

func (f *keyFilter) mayHave(h uint64) bool {
	if len(f.bits) == 0 {
		return false
	}
	for i := uint64(0); i < 8; i++ {
		w, b := f.probe(h, i)
		if f.bits[w]&b == 0 {
			return false
		}
	}
	return true
}
