// Package storage defines the ordered key-value store Redoubt keeps its
// keyspace in, and the encoding of every Redis data type onto it.
//
// Backends: storage/pebble (durable, the default) and storage/memory (the
// reference implementation used by tests and by a pure-cache mode). Both pass
// the conformance suite in storage/storagetest.
//
// Concurrency: a Store is safe for concurrent use. A Batch, an Iterator and a
// Snapshot are not: each belongs to one goroutine at a time.
//
// Ownership: slices passed in (keys, values) may be reused by the caller as
// soon as the call returns; backends copy what they keep. Slices returned by an
// Iterator are valid only until the next positioning call or Close. Get appends
// to the caller's dst, so the caller owns the result.
//
// Ranges are half-open: [lower, upper). A nil bound means unbounded, except
// for DeleteRange's end, which must not be nil.
//
// Keys are never empty: Set and Delete reject the empty key (Pebble does not
// handle a zero-length user key reliably). The empty key is still a valid
// bound and seek key, below every stored key.
package storage

import "errors"

// ErrClosed is returned by any call on a closed Store.
var ErrClosed = errors.New("storage: closed")

// Reader is the read side shared by a Store, a Batch and a Snapshot.
type Reader interface {
	// Get appends the value stored under key to dst and returns it. found
	// is false (and val is dst unchanged) when the key is absent.
	Get(dst, key []byte) (val []byte, found bool, err error)
	// NewIter returns an iterator over [lower, upper) as of the call: later
	// commits (and, through a Batch, later writes to it) are not seen. It
	// starts unpositioned: call First, Last, SeekGE or SeekLT before Key,
	// Value, Next or Prev (which return false until then).
	NewIter(lower, upper []byte) (Iterator, error)
}

// Store is an ordered byte key-value store with atomic batches.
type Store interface {
	Reader
	// NewBatch returns an empty batch. Reads through the batch see the
	// batch's own writes layered over the store (read-your-writes), which
	// lets a pipeline of commands build one batch.
	NewBatch() Batch
	// Commit applies b atomically: readers see all of it or none. With
	// sync, Commit returns only once b is durable. b may be Reset and reused
	// after Commit; until then it can be read but not written or committed
	// again. Iterators on b must be closed before Commit.
	Commit(b Batch, sync bool) error
	// Sync returns once every batch committed before the call is durable.
	// It is how group commit and `appendfsync everysec` are built: commit
	// without sync, then one Sync covers them all.
	Sync() error
	// NewSnapshot returns a consistent read-only view of the store as of now.
	// It pins old versions: keep it short-lived.
	NewSnapshot() Snapshot
	// Close releases the store. Open batches, iterators and snapshots must
	// be closed first, and no other call may run concurrently with Close.
	Close() error
}

// Batch is a set of writes applied atomically by Store.Commit.
type Batch interface {
	Reader
	Set(key, value []byte) error
	Delete(key []byte) error
	// DeleteRange deletes every key in [start, end), including keys written
	// earlier in this batch. It is O(1) to record whatever the range holds.
	// end must not be nil; an empty or inverted range records nothing.
	DeleteRange(start, end []byte) error
	// Count is the number of operations recorded since the last Reset.
	Count() int
	// Reset empties the batch for reuse. Iterators on the batch must be
	// closed first.
	Reset()
	// Close releases the batch. It must not be used afterwards.
	Close() error
}

// Snapshot is a consistent point-in-time read-only view of a Store.
type Snapshot interface {
	Reader
	Close() error
}

// Iterator walks keys in ascending byte order within its bounds. Every
// positioning method returns whether the iterator is now at a valid entry.
// Stepping off either end leaves it invalid; Next then stays invalid past the
// end while Prev returns to the last entry (and symmetrically at the start).
type Iterator interface {
	First() bool
	Last() bool
	SeekGE(key []byte) bool
	SeekLT(key []byte) bool
	Next() bool
	Prev() bool
	Valid() bool
	// Key and Value are valid only until the next positioning call or Close.
	Key() []byte
	Value() []byte
	// Error returns the first error the iterator met, if any.
	Error() error
	Close() error
}

// WriteBatcher is implemented by backends whose write-only batches are
// cheaper than read-your-writes ones. Get and NewIter on a write-only batch
// return ErrWriteOnly. size is the bytes of keys and values the caller
// expects to write, a hint (0: unknown) that lets the batch take its memory
// at once instead of growing, copying what it holds, as records arrive.
type WriteBatcher interface {
	NewWriteBatch(size int) Batch
}

// ErrWriteOnly is returned by reads through a write-only batch.
var ErrWriteOnly = errors.New("storage: read from a write-only batch")

// DiskUser is implemented by backends that can report the bytes they keep
// on disk (INFO memory/persistence use it).
type DiskUser interface {
	DiskUsage() uint64
}

// DiskGuarded is implemented by backends on a file system that can fill
// up. The server's disk guard reads it to refuse writes while space is
// short, before the store itself runs out.
type DiskGuarded interface {
	// DiskSpace reports the bytes available to the store on its file
	// system, and the file system's size.
	DiskSpace() (avail, total uint64, err error)
	// DiskFullEvents counts the writes the file system refused for lack
	// of space since the store opened.
	DiskFullEvents() uint64
	// Ballast reports the size of the emergency ballast the store keeps
	// (0: none) and whether it is in place: the store deletes it when the
	// file system refuses a write for lack of space.
	Ballast() (size int64, present bool)
	// RestoreBallast creates a missing ballast if the file system has room
	// for twice its size, and reports whether it is in place.
	RestoreBallast() (bool, error)
	// SetBallast changes the ballast's size; RestoreBallast makes the new
	// one.
	SetBallast(size int64) error
	// OnDiskFull registers fn, called each time the file system refuses a
	// write for lack of space (after the ballast is deleted), from the
	// goroutine that wrote, with the store's writes waiting: it must not
	// block.
	OnDiskFull(fn func())
}

// Ingester is implemented by backends that take whole sorted runs of
// records without the write path (Pebble links them into the LSM as
// sstables: no memtable, no log, no compaction for data loaded into an
// empty store). Loading a snapshot uses it.
type Ingester interface {
	// NewRun starts an empty run. A run belongs to one goroutine, and
	// several may be built at once.
	NewRun() (Run, error)
	// Ingest adds finished runs to the store, atomically and durably. The
	// runs' key ranges must not overlap one another; records they hold
	// replace the store's under the same keys. Ingested runs are spent:
	// only Abort (a no-op then) may follow. On error nothing is ingested
	// and the runs are to be aborted (some backends discard them first).
	Ingest(runs []Run) error
}

// RangeIsolator is a Store that can keep a key range in files of its own:
// compacting its neighbours then never rewrites it, nor it them. The
// keyspace isolates the members of big collections, so that a list grown
// at one end moves down the levels instead of being rewritten with
// whatever else shares its files. A hint: what reads and writes see is
// the same either way. Ranges must be disjoint or equal.
type RangeIsolator interface {
	IsolateRange(start, end []byte)
}

// Run is a sorted run of records being built for Ingester.Ingest.
type Run interface {
	// Set adds a record. Keys must be non-empty and strictly ascending.
	Set(key, value []byte) error
	// Finish completes the run; only Ingest or Abort may follow.
	Finish() error
	// Abort discards the run, finished or not. It may be called more than
	// once, and after Ingest.
	Abort()
}

// ErrRunOrder is returned by Run.Set for a key not above the previous one.
var ErrRunOrder = errors.New("storage: run keys out of order")

// MemoryReleaser is implemented by backends that hold memory outside the
// Go heap and can return what they no longer use to the operating system.
// A server calls it when idle.
type MemoryReleaser interface {
	ReleaseMemory()
}

// MemoryGrower is implemented by backends whose memory may still grow by a
// bounded amount on its own: Pebble's block cache fills up to its size as
// reads go on. The server leaves that room when it sizes replies.
type MemoryGrower interface {
	MemoryHeadroom() uint64
}

// Flusher is implemented by backends with an in-memory write buffer of
// their own (Pebble's memtables) that reads search first. Flush writes it
// out; a server calls it once writes have stopped for a while.
type Flusher interface {
	Flush() error
}
