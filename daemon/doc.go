// Package daemon is the Redis-compatible server: the command table and the
// commands, client sessions, the keyspace over a storage.Store, durability
// (appendfsync), expiry, INFO and the other introspection commands.
//
// Main types:
//   - Server implements netio.Handler: a transport opens a Client (a
//     netio.Session) per connection and feeds it bytes.
//   - Client parses requests (netio/resp), runs them through the command
//     table and writes replies back in request order, holding them when
//     appendfsync always requires durability first.
//   - commandTable joins Redis 7.0.15's own command metadata (commands.json,
//     captured by internal/cmdgen) with the handlers of the cmd_*.go files;
//     arity, flags, key positions and COMMAND replies all come from it.
//   - Keyspace maps keys onto the store (storage/keys.go has the layout),
//     with a row cache of hot meta records and a writeBuffer that takes
//     committed writes off the event loop and into the store in sorted
//     batches.
//   - durability numbers committed units and releases held replies once
//     the write buffer's flusher has made them durable.
//   - Keyspace notifications (notify.go): each write calls
//     Server.notifyLocked where Redis 7.0 calls notifyKeyspaceEvent, with
//     Redis's event names and in its order; the messages go out through
//     Pub/Sub with the unit that produced them.
//
// Concurrency: one lock, Server.mu, serialises command execution as Redis's
// single thread does; an event loop holds it for the commands of one read
// (a "unit", committed atomically at the end). Handlers run under it and
// never block or do I/O other than the keyspace. Background goroutines:
// cron (active expiry, idle clients, stats; started by Start), the
// durability syncer (everysec fsync), and the write buffer's flusher, which
// never takes Server.mu. No goroutine waits for an fsync while holding
// Server.mu, so an event loop never waits for one. Client fields read
// outside the loop are atomics or guarded by Server.mu; held replies are
// touched only on the client's loop (Execute callbacks).
//
// Tests: testdata/<family>/*.txt are datadriven scenarios checked against a
// real redis-server (REDOUBT_SCENARIO_REDIS), replayed on the memory store
// and again on Pebble with the flusher running.
package daemon
