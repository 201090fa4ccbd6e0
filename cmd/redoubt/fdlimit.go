package main

import (
	"fmt"
	"log/slog"

	"golang.org/x/sys/unix"

	"github.com/redoubtdb/redoubt/conf"
)

// Open files are split three ways: a reserve for everything but clients and
// Pebble's tables (listeners, epoll and event descriptors, the WAL and
// MANIFEST, logs, snapshots; Redis keeps 32, CONFIG_MIN_RESERVED_FDS), Pebble's
// table cache, and the clients.
//
// Why it matters: gnet's acceptor treats EMFILE as fatal and shuts the whole
// engine down, so a client flood past the open-file limit stopped the server
// (measured: `ulimit -n 256` and 400 connections ended every connection and
// the listener). Keeping maxclients within the budget makes accept never
// see EMFILE: the connections past maxclients are accepted and refused with
// Redis's "max number of clients reached", as Redis does, each closed
// before the next accept (gnetio listens with SO_REUSEPORT for that: see
// there).
const (
	reservedFDs    = 64
	maxPebbleFiles = 4096
	minPebbleFiles = 64
)

// fdBudget splits limit open files: the reserve, two for each of loops
// event loops (an epoll descriptor and an eventfd), then Pebble gets a
// quarter of what is left, between minPebbleFiles and maxPebbleFiles, and
// clients the rest (which may be below 1: too few files to run).
func fdBudget(limit uint64, loops int) (pebbleFiles, clients int) {
	if limit > 1<<30 {
		limit = 1 << 30 // RLIM_INFINITY and the like
	}
	free := int(limit) - reservedFDs - 2*loops
	pebbleFiles = min(max(free/4, minPebbleFiles), maxPebbleFiles)
	return pebbleFiles, free - pebbleFiles
}

// fitOpenFileLimit reads the open-file limit (Go has raised the soft limit
// to the hard one at start) and lowers cfg.Maxclients to what it allows,
// logging it as Redis does. It returns Pebble's share and the most clients
// the limit allows, which CONFIG SET maxclients may not exceed.
func fitOpenFileLimit(cfg *conf.Config, log *slog.Logger) (pebbleFiles, clientLimit int, err error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, fmt.Errorf("open file limit: %w", err)
	}
	pebbleFiles, clientLimit = fdBudget(rl.Cur, cfg.IOThreads)
	if clientLimit < 1 {
		return 0, 0, fmt.Errorf("your current 'ulimit -n' of %d is not enough for the server to start: it needs at least %d open files", rl.Cur, rl.Cur+1-uint64(clientLimit))
	}
	if cfg.Maxclients > clientLimit {
		log.Warn(fmt.Sprintf("You requested maxclients of %d requiring at least %d max file descriptors.",
			cfg.Maxclients, uint64(cfg.Maxclients)+rl.Cur-uint64(clientLimit)))
		log.Warn(fmt.Sprintf("Current maximum open files is %d. maxclients has been reduced to %d to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
			rl.Cur, clientLimit))
		cfg.Maxclients = clientLimit
	}
	return pebbleFiles, clientLimit, nil
}
