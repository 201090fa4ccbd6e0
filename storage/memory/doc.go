// Package memory is the in-memory reference implementation of storage.Store.
//
// It backs tests, the metamorphic comparison against Pebble, and a pure-cache
// mode in which nothing is kept on disk. Keys live in a copy-on-write B-tree
// (github.com/google/btree): a snapshot or an iterator takes an O(1) clone, so
// readers never hold a lock while they walk.
//
// A Batch keeps its own writes in a private B-tree plus a set of range
// deletions, and reads merge them over the store as it is at the time of the
// read, the way a Pebble indexed batch does. Commit applies a batch under the
// store's write lock, so readers see all of it or none. Sync is a no-op: there
// is nothing to make durable.
//
// Concurrency is the storage package's: a Store is safe for concurrent use; a
// Batch, an Iterator and a Snapshot belong to one goroutine at a time.
package memory
