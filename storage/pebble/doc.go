// Package pebble is the durable storage.Store, built on CockroachDB's Pebble
// (github.com/cockroachdb/pebble/v2).
//
// A Batch is a Pebble indexed batch, so reads through it see its own writes.
// Commit maps the sync flag to pebble.Sync or pebble.NoSync; Sync makes every
// earlier NoSync commit durable with one fsync of the WAL, which is how
// `appendfsync everysec` and group commit are built. Snapshots are Pebble
// snapshots; Checkpoint hard-links a consistent copy of the database for a
// replica's full sync.
//
// Every call after Close returns storage.ErrClosed: the wrappers check a flag
// so that Pebble, which panics on use after close, is never reached. Close
// itself must not race with other calls on the store (the storage contract
// already requires batches, iterators and snapshots to be closed first).
//
// The empty key is never handed to Pebble, whose handling of a zero-length
// user key is unreliable: Set and Delete refuse it, and bounds, seeks and
// range deletions are rewritten around it.
//
// Options are tuned for a Redis workload (each setting says why in
// store.go): a large block cache,
// bloom filters for point lookups, big memtables, and L0 thresholds that
// favour compacting early over ever stalling writes, since a stalled write
// freezes an event loop and every client on it. Tables end at every key
// family boundary and around the ranges the keyspace isolates, the members
// of big collections (spans.go), so that writes at one end of a big list
// are moved down the levels instead of rewriting their neighbours.
package pebble
