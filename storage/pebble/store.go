package pebble

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/redoubtdb/redoubt/storage"
)

// Defaults for the zero values of Options. Pebble's own defaults (8 MB cache,
// 4 MB memtables, no bloom filters) made random Gets over 1M keys 4x slower.
const (
	DefaultCacheSize       = 256 << 20
	DefaultMemTableSize    = 64 << 20
	DefaultBloomBitsPerKey = 10
	// DefaultValueSeparationMinSize: values from 4 KB up are kept in blob
	// files (see Options.ValueSeparationMinSize).
	DefaultValueSeparationMinSize = 4 << 10
	DefaultMaxOpenFiles           = 4096
	// memTableCharge is how many memtables Open adds to the cache for
	// Pebble to charge them against (see Options.CacheSize). Before, two
	// 64 MB memtables left blocks 192 MB of the default 256: a store of
	// 200 MB of blocks cycled through the cache on every scan (44-51% hits
	// over three BGSAVEs of 1M keys, 1.30-1.47 s a save, against 0.85-1.02 s
	// with the blocks all cached).
	memTableCharge = 2
	// DefaultMemTableRecords: a memtable of small records is switched at
	// about the size an 8 MB one fills at (see Options.MemTableRecords).
	DefaultMemTableRecords = 100_000
)

// Options configure Open.
type Options struct {
	// Dir is the database directory; it is created if missing.
	Dir string
	// CacheSize is the block cache in bytes: the room blocks have while two
	// memtables are full. 0 means DefaultCacheSize. Pebble charges every
	// memtable it holds, at its full size, to its cache; the cache is made
	// two memtables bigger (the one being written and the one being flushed
	// or kept for reuse) so that they do not take it from blocks, which may
	// use what smaller memtables leave.
	CacheSize int64
	// NoBlockCache keeps no blocks cached: every read decodes its blocks
	// again (CacheSize is ignored).
	NoBlockCache bool
	// MemTableSize is the size of one memtable in bytes; 0 means
	// DefaultMemTableSize. Pebble starts small and doubles up to it, so a
	// small database does not pay for it.
	MemTableSize int64
	// BloomBitsPerKey sizes the bloom filter of every level; 0 disables the
	// filters. DefaultOptions sets DefaultBloomBitsPerKey.
	BloomBitsPerKey int
	// ValueSeparationMinSize: records whose value has at least this many
	// bytes keep it in a blob file, and the sstables hold a reference, so
	// compactions move the reference instead of rewriting the value; 0
	// keeps every value in the sstables. SET of 16 KB values over 50,000
	// keys (800 MB) took 8-19% less CPU with it; over 5000 keys (80 MB,
	// all in Lbase) the same either way; reading them measured the same.
	// Chunks of long strings (1 KB) stay in the sstables. DefaultOptions
	// sets DefaultValueSeparationMinSize.
	ValueSeparationMinSize int
	// Logger receives Pebble's log lines; nil means slog.Default().
	Logger *slog.Logger
	// FS is the file system; nil means the operating system's. Crash tests
	// pass vfs.NewCrashableMem().
	FS vfs.FS
	// Ballast is the size of the emergency ballast file kept in Dir (see
	// ballast); 0 keeps none.
	Ballast int64
	// MaxOpenFiles bounds the sstables Pebble keeps open; 0 means
	// DefaultMaxOpenFiles. The server fits it to the open-file limit.
	MaxOpenFiles int
	// MemTableRecords switches to a new memtable once the current one
	// holds this many records, before it is full; 0 means no limit. Small
	// records then get a small memtable, whose skiplist stays in the CPU
	// cache, and large ones the whole MemTableSize, which lets their
	// overwrites meet in memory instead of in flushes and compactions.
	MemTableRecords int
	// BulkLoad is for filling a fresh store that is thrown away if the
	// load fails (rdb import): no write-ahead log; Sync and Close flush
	// the memtables to sstables instead, which makes the data durable.
	BulkLoad bool
}

// DefaultOptions returns the options a server uses for a database in dir.
func DefaultOptions(dir string) Options {
	return Options{
		Dir:             dir,
		CacheSize:       DefaultCacheSize,
		MemTableSize:    DefaultMemTableSize,
		BloomBitsPerKey: DefaultBloomBitsPerKey,

		ValueSeparationMinSize: DefaultValueSeparationMinSize,
		MemTableRecords:        DefaultMemTableRecords,
	}
}

// Store is a storage.Store on a Pebble database.
type Store struct {
	db      *pebble.DB
	dir     string
	bulk    bool
	closed  atomic.Bool
	ballast *ballast
	cache   int64 // block cache size
	// For runs (ingest.go): where they are built, and how.
	fs       vfs.FS
	runDir   string
	writerOp sstable.WriterOptions
	runSeq   atomic.Uint64
	// spans are where tables must end (spans.go).
	spans *tableSpans
	// memRecords is Options.MemTableRecords; records counts what was
	// committed since the last switch that limit asked for, switching
	// is set while one is under way, and switches waits for them.
	memRecords int64
	records    atomic.Int64
	switching  atomic.Bool
	switches   sync.WaitGroup
	switched   atomic.Int64 // switches asked of Pebble, for tests
	log        *slog.Logger
}

var (
	_ storage.Store          = (*Store)(nil)
	_ storage.DiskUser       = (*Store)(nil)
	_ storage.DiskGuarded    = (*Store)(nil)
	_ storage.MemoryReleaser = (*Store)(nil)
	_ storage.MemoryGrower   = (*Store)(nil)
	_ storage.RangeIsolator  = (*Store)(nil)
	_ storage.Batch          = (*batch)(nil)
	_ storage.Snapshot       = (*snapshot)(nil)
	_ storage.Iterator       = (*iter)(nil)
)

var (
	errForeignBatch = errors.New("storage: batch belongs to another store")
	errCommitted    = errors.New("storage: batch already committed; Reset it first")
	errNilEnd       = errors.New("storage: DeleteRange needs a non-nil end")
	errIterClosed   = errors.New("storage: iterator closed")
	errBatchClosed  = errors.New("storage: batch closed")
	errSnapClosed   = errors.New("storage: snapshot closed")
	// Pebble's handling of the zero-length user key is unreliable (under its
	// invariants checks, reads went stale once "" was in an sstable; upstream
	// is still removing places where an empty slice means "no key"), and no
	// Redoubt key is empty, so the backends refuse to store it.
	errEmptyKey = errors.New("storage: empty key")
)

// Open opens (creating if needed) the database in opts.Dir.
func Open(opts Options) (*Store, error) {
	po, err := pebbleOptions(opts)
	if err != nil {
		return nil, err
	}
	spans := &tableSpans{}
	po.Experimental.SpanPolicyFunc = spans.policy
	// pebble.Open would fill in the rest on a copy; the writer options of
	// runs are made from these.
	po.EnsureDefaults()
	if opts.Ballast < 0 {
		return nil, errors.New("storage: negative ballast size")
	}
	po.FS = walPreallocFS{po.FS}
	bl := &ballast{fs: po.FS, path: po.FS.PathJoin(opts.Dir, BallastName), size: opts.Ballast}
	// Every write Pebble makes goes through the wrapper, which deletes
	// the ballast and retries once when the disk is full.
	po.FS = vfs.OnDiskFull(po.FS, bl.onDiskFull)
	db, err := pebble.Open(opts.Dir, po)
	if errors.Is(err, syscall.EAGAIN) {
		// flock of Pebble's LOCK file: "resource temporarily unavailable"
		// said nothing useful to an operator.
		return nil, fmt.Errorf("storage: %s is in use by another process (it holds %s): %w", opts.Dir, po.FS.PathJoin(opts.Dir, "LOCK"), err)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", opts.Dir, err)
	}
	s := &Store{db: db, dir: opts.Dir, bulk: opts.BulkLoad, ballast: bl, cache: po.CacheSize, fs: po.FS, runDir: po.FS.PathJoin(opts.Dir, runDirName), spans: spans}
	if !opts.BulkLoad {
		s.memRecords = int64(opts.MemTableRecords)
	}
	if s.log = opts.Logger; s.log == nil {
		s.log = slog.Default()
	}
	// Runs are written for the bottom level, where an ingest into an
	// empty key range puts them, in the row-block format (Pebblev4) rather
	// than the database's columnar one: for rdb import of 1M keys (6M
	// records) it wrote them in 0.72 s against 0.91 s, in 42 MB against
	// 69 MB, and random EXISTS and HGET over them ran as fast (within
	// 5%). Pebble reads every format; compactions rewrite in its own.
	s.writerOp = po.MakeWriterOptions(len(po.Levels)-1, sstable.TableFormatPebblev4)
	// The ballast, if there is room for it; the disk guard retries and
	// reports what fails here.
	_, _ = bl.restore()
	// Runs a crash interrupted are of no use: their load failed.
	if err := po.FS.RemoveAll(s.runDir); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: remove %s: %w", s.runDir, err)
	}
	return s, nil
}

func pebbleOptions(opts Options) (*pebble.Options, error) {
	if opts.Dir == "" {
		return nil, errors.New("storage: pebble needs a directory")
	}
	if opts.CacheSize < 0 || opts.MemTableSize < 0 || opts.BloomBitsPerKey < 0 || opts.ValueSeparationMinSize < 0 {
		return nil, errors.New("storage: negative cache, memtable or bloom filter size")
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.MemTableSize == 0 {
		opts.MemTableSize = DefaultMemTableSize
	}
	if opts.MaxOpenFiles <= 0 {
		opts.MaxOpenFiles = DefaultMaxOpenFiles
	}
	l := opts.Logger
	if l == nil {
		l = slog.Default()
	}
	lg := logger{l}
	// Compactions share the cores with the event loops: one normally, a
	// second when L0 or compaction debt builds up, more only on big machines.
	maxCompactions := min(max(runtime.NumCPU()/2, 2), 4)
	po := &pebble.Options{
		FS:           opts.FS,
		CacheSize:    opts.CacheSize + memTableCharge*opts.MemTableSize,
		MemTableSize: uint64(opts.MemTableSize),
		// Four queued memtables absorb a write burst while one flushes
		// instead of stalling at the second.
		MemTableStopWritesThreshold: 4,
		// Compact L0 early (every L0 sublevel is one more probe per Get) and
		// practically never stop writes for it: a stall blocks an event loop
		// and every client on it, while extra read amplification only slows
		// reads down. Compaction concurrency rises with L0 read-amp anyway.
		L0CompactionThreshold: 2,
		L0StopWritesThreshold: 1000,
		// Every open sstable holds a file descriptor. Go raises the soft
		// RLIMIT_NOFILE to the hard limit at start-up; the rest of it is for
		// client connections.
		MaxOpenFiles:               opts.MaxOpenFiles,
		FormatMajorVersion:         pebble.FormatNewest,
		CompactionConcurrencyRange: func() (int, int) { return 1, maxCompactions },
		// Deleting a big collection is one range tombstone; flushing it soon
		// lets compactions reclaim the space without waiting for more writes.
		FlushDelayDeleteRange: 10 * time.Second,
		Logger:                lg,
		EventListener: &pebble.EventListener{
			// err.Error(): slog prints errors with %+v, which for Pebble's
			// errors is a page of stack trace.
			BackgroundError: func(err error) { l.Error("pebble: background error", "err", err.Error()) },
			DiskSlow: func(info pebble.DiskSlowInfo) {
				l.Warn("pebble: disk slow", "info", info.String())
			},
			WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
				l.Warn("pebble: write stall", "reason", info.Reason)
			},
			WriteStallEnd: func() { l.Info("pebble: write stall over") },
		},
	}
	// Read sampling (for read-triggered compactions) cost ~6% of a
	// 100-member range read in profiles; L0 is compacted early anyway.
	po.Experimental.ReadSamplingMultiplier = -1
	// Cut flushed L0 tables small: 1 MB, and so at most 10 MB of Lbase
	// overlap each (Pebble's overlap limit is ten target sizes). A memtable
	// that holds a list's new head members and its meta record (which sorts
	// after every member) then flushes as two tables, and compacting them
	// rewrites the Lbase tables at the list's two ends instead of the whole
	// list. Pebble's 2 MB default cost LPUSH -P 16 25-35% more CPU per
	// request. The size counts the values a table refers to in blob files
	// (value separation), and each table gets a blob file of its own: at
	// 256 KB a flush of 16 KB values made 32 pairs of files, each created
	// and synced, and SET of such values ran at 6.8-7.8k/s against
	// 8.5-10.5k/s with 1 MB. A/B against 256 KB, -P 16 (CPU per request):
	// LPUSH of 3M elements 2.9-3.3 against 3.4-3.7 us, SET 3.3 against 3.5,
	// ZADD 10.5-10.8 against 11.2-11.9, HSET the same. Lbase and below keep
	// Pebble's default sizes (4 MB, doubling per level), so big stores do
	// not end up with more tables than open files.
	po.TargetFileSizes[0] = 1 << 20
	for i := 1; i < len(po.TargetFileSizes); i++ {
		po.TargetFileSizes[i] = 2 << 20 << i
	}
	if opts.BulkLoad {
		// A bulk load writes each key once: compacting while it runs
		// rewrites the same data level after level. Close compacts it
		// once, at the end.
		po.DisableWAL = true
		po.DisableAutomaticCompactions = true
		po.L0StopWritesThreshold = math.MaxInt32
		// Flushes run one at a time; more queued memtables let the load
		// run ahead of them instead of stalling.
		po.MemTableStopWritesThreshold = 16
		// Nothing is compacted until the end: small L0 tables would only
		// multiply the files that one compaction opens.
		po.TargetFileSizes[0] = 2 << 20
	}
	if n := opts.ValueSeparationMinSize; n > 0 {
		po.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
			return pebble.ValueSeparationPolicy{
				Enabled:     true,
				MinimumSize: n,
				// A compaction whose output would reference values in
				// more than this many overlapping blob files rewrites
				// them instead (locality for scans); 100 and 1000
				// measured within the noise of 10 on SET of 16 KB.
				MaxBlobReferenceDepth: 10,
				// Blob files at least 5 minutes old that are half
				// garbage (values overwritten or deleted) are
				// rewritten: like Redis's AOF, which is rewritten once
				// it has doubled, disk use stays within about twice the
				// live data, and values are not rewritten over and over.
				RewriteMinimumAge:  5 * time.Minute,
				TargetGarbageRatio: 0.5,
			}
		}
	}
	if opts.NoBlockCache {
		// Pebble needs a cache; one of a byte keeps nothing, since every
		// block and memtable charged to it is over its size.
		po.CacheSize = 1
	}
	for i := range po.Levels {
		if opts.BloomBitsPerKey > 0 {
			po.Levels[i].FilterPolicy = bloom.FilterPolicy(opts.BloomBitsPerKey)
		}
	}
	return po, nil
}

// Get implements storage.Reader.
func (s *Store) Get(dst, key []byte) ([]byte, bool, error) {
	if s.closed.Load() {
		return dst, false, storage.ErrClosed
	}
	return get(s.db, dst, key)
}

// get reads key from r, appending the value to dst and releasing Pebble's
// reference to the block at once.
func get(r pebble.Reader, dst, key []byte) ([]byte, bool, error) {
	if len(key) == 0 {
		return dst, false, nil // never stored
	}
	v, closer, err := r.Get(key)
	if err != nil {
		if errors.Is(err, pebble.ErrNotFound) {
			return dst, false, nil
		}
		return dst, false, err
	}
	dst = append(dst, v...)
	if err := closer.Close(); err != nil {
		return dst, true, err
	}
	return dst, true, nil
}

// NewIter implements storage.Reader.
func (s *Store) NewIter(lower, upper []byte) (storage.Iterator, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	return newIter(s, s.db, lower, upper)
}

// NewBatch implements storage.Store with a Pebble indexed batch.
func (s *Store) NewBatch() storage.Batch {
	if s.closed.Load() {
		return &batch{s: s}
	}
	return &batch{s: s, b: s.db.NewIndexedBatch()}
}

// NewWriteBatch returns a batch that cannot be read through: no index is
// built as it is written (storage.WriteBatcher).
//
// A batch of size bytes is allocated whole, and kept for reuse when it is
// closed if it is no bigger than writeBatchRetain: the write buffer's
// batches of large values (2 MB layers) otherwise grew from Pebble's pooled
// 1 MB buffers by copying each time, 8% of the CPU of SET of 16 KB values.
func (s *Store) NewWriteBatch(size int) storage.Batch {
	if s.closed.Load() {
		return &batch{s: s}
	}
	// Each record adds a kind byte and two length varints; a layer of
	// small records adds more in proportion, which the batch grows for.
	size += size/16 + 64
	return &batch{s: s, b: s.db.NewBatchWithSize(size, pebble.WithMaxRetainedSizeBytes(writeBatchRetain)), writeOnly: true}
}

// writeBatchRetain bounds the memory a write-only batch keeps in Pebble's
// pool once closed: a little over the write buffer's layer size.
const writeBatchRetain = 4 << 20

// Commit implements storage.Store.
func (s *Store) Commit(b storage.Batch, sync bool) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	pb, ok := b.(*batch)
	if !ok || pb.s != s {
		return errForeignBatch
	}
	if pb.b == nil {
		return errBatchClosed
	}
	if pb.committed {
		// Pebble panics on a second Apply.
		return errCommitted
	}
	pb.committed = true
	if pb.b.Empty() {
		return nil
	}
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	if err := s.db.Apply(pb.b, wo); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	n := int64(pb.b.Count()) + int64(pb.rangeDels)*(rangeDelRecords-1)
	if s.memRecords > 0 && s.records.Add(n) >= s.memRecords && s.switching.CompareAndSwap(false, true) {
		// Switching makes a new WAL file: not on the committer's time,
		// which may be an event loop's.
		s.records.Store(0)
		s.switches.Add(1)
		go func() {
			defer s.switches.Done()
			defer s.switching.Store(false)
			if _, err := s.db.AsyncFlush(); err != nil {
				s.log.Warn("pebble: switching memtables", "err", err.Error())
				return
			}
			s.switched.Add(1)
		}()
	}
	return nil
}

// rangeDelRecords is what one range deletion counts as toward
// MemTableRecords. Pebble fragments all the range deletions of the
// mutable memtable again for the first iterator (or Get) after each new
// one, so their number in it must stay bounded: lists popped one layer at
// a time add one a layer (daemon/listtrim.go), a DEL of a collection past
// the few members daemon's dropSmall deletes one by one adds one each.
// Each switch costs a flush and level-0 tables to compact, though: HSET
// and DEL of random one-field hashes at once, measured while every DEL
// was a range deletion, ran at 71-77k req/s each with no weight (about
// 33,000 range deletions a memtable), 66-76k at 400, 76-93k at 100,
// 87-113k at 25 and 93-119k at 10. With the default limit, 25 leaves a
// memtable about 4,000.
const rangeDelRecords = 25

// Sync implements storage.Store. It writes an empty LogData record with
// pebble.Sync: the WAL is one append-only file and a sync covers everything
// written before the record, so every earlier NoSync commit becomes durable
// too (a WAL rotated away since was synced when it was closed).
func (s *Store) Sync() error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if s.bulk {
		if err := s.db.Flush(); err != nil {
			return fmt.Errorf("storage: flush: %w", err)
		}
		return nil
	}
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("storage: sync: %w", err)
	}
	return nil
}

// NewSnapshot implements storage.Store.
func (s *Store) NewSnapshot() storage.Snapshot {
	if s.closed.Load() {
		return &snapshot{s: s}
	}
	return &snapshot{s: s, snap: s.db.NewSnapshot()}
}

// Close implements storage.Store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return storage.ErrClosed
	}
	s.switches.Wait()
	if s.bulk {
		// Without a WAL, what is still in memtables exists nowhere else;
		// then one compaction puts the loaded data in its final levels.
		if err := s.db.Flush(); err != nil {
			_ = s.db.Close()
			return fmt.Errorf("storage: flush: %w", err)
		}
		if err := s.db.Compact(context.Background(), []byte{0}, []byte{0xff, 0xff, 0xff, 0xff}, true); err != nil {
			_ = s.db.Close()
			return fmt.Errorf("storage: compact: %w", err)
		}
	}
	// Before the database closes: s.fs is Pebble's disk-health-checking
	// file system, which Close shuts down. No run may be in use now.
	rmErr := s.fs.RemoveAll(s.runDir)
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	if rmErr != nil {
		return fmt.Errorf("storage: remove %s: %w", s.runDir, rmErr)
	}
	return nil
}

// DiskUsage implements storage.DiskUser: bytes of sstables, blob files, WAL
// and manifest, including files kept only for open snapshots or iterators.
func (s *Store) DiskUsage() uint64 {
	if s.closed.Load() {
		return 0
	}
	return s.db.Metrics().DiskSpaceUsage()
}

// MemoryHeadroom implements storage.MemoryGrower: what the block cache may
// still take before it is full.
func (s *Store) MemoryHeadroom() uint64 {
	if s.closed.Load() {
		return 0
	}
	used := s.db.Metrics().BlockCache.Size
	return uint64(max(s.cache-used, 0))
}

// IsolateRange implements storage.RangeIsolator: from now on, flushes
// and compactions end a table at start and at end.
func (s *Store) IsolateRange(start, end []byte) { s.spans.isolate(start, end) }

// Metrics returns Pebble's multi-line metrics table (levels, compactions,
// caches, WAL), for INFO and debugging.
func (s *Store) Metrics() string {
	if s.closed.Load() {
		return ""
	}
	return s.db.Metrics().String() + fmt.Sprintf("Isolated ranges: %d\n", s.spans.count())
}

// Flush writes the memtables to sstables.
func (s *Store) Flush() error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return s.db.Flush()
}

// Checkpoint writes a consistent copy of the database to dir, which must not
// exist. Sstables are hard-linked where the file system allows, so it is
// cheap (24 ms for 600k keys); the WAL is flushed first so the copy holds
// every commit that returned before the call.
func (s *Store) Checkpoint(dir string) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("storage: checkpoint %s: %w", dir, err)
	}
	return nil
}

type snapshot struct {
	s    *Store
	snap *pebble.Snapshot // nil once closed, or when taken on a closed store
}

func (sn *snapshot) check() error {
	if sn.s.closed.Load() {
		return storage.ErrClosed
	}
	if sn.snap == nil {
		return errSnapClosed
	}
	return nil
}

func (sn *snapshot) Get(dst, key []byte) ([]byte, bool, error) {
	if err := sn.check(); err != nil {
		return dst, false, err
	}
	return get(sn.snap, dst, key)
}

func (sn *snapshot) NewIter(lower, upper []byte) (storage.Iterator, error) {
	if err := sn.check(); err != nil {
		return nil, err
	}
	return newIter(sn.s, sn.snap, lower, upper)
}

func (sn *snapshot) Close() error {
	if err := sn.check(); err != nil {
		sn.snap = nil
		return err
	}
	err := sn.snap.Close()
	sn.snap = nil
	return err
}
