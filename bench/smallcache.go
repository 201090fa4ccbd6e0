package bench

import (
	"context"
	"fmt"
)

// SmallCache is one standalone server per system, with Redoubt's caches set far below the
// data set its rows preload, so that their reads go through Pebble's read path (index and
// bloom filter blocks, data blocks read and decompressed) instead of the row cache. Redis
// has no such setting: it keeps every key in memory, which is the comparison a user with
// more data than cache makes.
//
// The operating system's page cache still holds the data files (the machine has far more
// memory than the data set): the rows measure Redoubt without its caches, not the disk.
type SmallCache struct {
	// BlockCache, RowCache and MemTable are Redoubt's --block-cache-size, --row-cache-size
	// and --memtable-size. Pebble's cache gets two memtables on top of the block cache, and
	// blocks may use that room while the memtables are smaller: a small memtable size keeps
	// the data set many times the room blocks can have.
	BlockCache, RowCache, MemTable string
}

// Name implements Topology.
func (SmallCache) Name() string { return "smallcache" }

// Validate implements the check Expand makes on a row.
func (t SmallCache) Validate() error {
	if t.BlockCache == "" || t.RowCache == "" || t.MemTable == "" {
		return fmt.Errorf("SmallCache needs both cache sizes and the memtable size, got %+v", t)
	}
	return nil
}

// extra is what sys gets beyond its standalone arguments: the cache sizes for Redoubt,
// nothing for Redis or for a redis-server standing in for Redoubt.
func (t SmallCache) extra(sys System) []string {
	if sys.Style != StyleRedoubt {
		return nil
	}
	return []string{"--block-cache-size", t.BlockCache, "--row-cache-size", t.RowCache, "--memtable-size", t.MemTable}
}

// Start implements Topology.
func (t SmallCache) Start(ctx context.Context, sys System, fsync string) (Deployment, error) {
	return startServer(ctx, sys, fsync, t.extra(sys))
}

// CommandLines implements Topology.
func (t SmallCache) CommandLines(sys System, fsync string) []string {
	return []string{serverCommandLine(sys, fsync, t.extra(sys))}
}
