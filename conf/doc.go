// Package conf is Redoubt's configuration: a TOML file whose keys are Redis
// 7.0's config names, Redis-style command-line overrides, and what CONFIG
// GET, CONFIG SET and CONFIG REWRITE need at runtime.
//
// # Shape
//
// Config is one flat, doc-commented struct (Redis's names are flat). Default
// is the only place defaults live. Every parameter is a row of one table
// (params.go): name, aliases, whether CONFIG SET may change it, and how to
// parse, print, check and write it. Load, ApplyFlags, Get, Set, Rewrite and
// Validate all read that table, so a key parses, prints and validates the
// same way in the file, on the command line and over the wire. The example
// file redoubt.toml at the repository root is tested against the table and
// Default so it cannot drift.
//
// # Three syntaxes, one meaning
//
//   - The file is TOML: integers are integers, strings are strings,
//     booleans are true/false (or "yes"/"no"), sizes are bytes or strings
//     with Redis's units ("512mb"), list values are strings in Redis's
//     format (save = "3600 1 300 100"). Unknown keys, wrong types and values
//     out of range are errors that name the file, line and key.
//   - Flags and CONFIG SET use Redis's string syntax exactly: yes/no,
//     "512mb", Redis's integer parser (no "+5", no "05").
//   - CONFIG GET prints values as Redis 7.0 does: sizes in bytes, booleans
//     yes/no, client-output-buffer-limit with the class "slave".
//
// # Users
//
// ACL users may be declared with the `user` key, an array of redis.conf
// "user" lines without the word "user", or with repeated --user flags.
// Like Redis's "user" directive it is not a parameter: CONFIG GET and
// CONFIG SET do not know it, and CONFIG REWRITE writes the server's
// current users back (the server hands them over with SetUsers) unless an
// aclfile holds them. conf checks the quoting and that users and aclfile
// are not both given; the rules are checked by the server against its
// command table, which reports errors through UserError so they name the
// file, line and key too.
//
// # Where Redoubt differs from Redis
//
// bind defaults to 127.0.0.1 and dir to ./data. appendonly must be yes and
// daemonize must be no: Redoubt always writes through its log and runs in
// the foreground; the keys exist so that configs and tools written for Redis
// keep working. port and bind cannot be changed at runtime (Redis 7.0 can).
// dir and dbfilename are Redis 7.0 protected configs and CONFIG SET refuses
// them, as Redis does by default. databases is at most 65536.
// block-cache-size, memtable-size, bloom-bits-per-key and row-cache-size are
// Redoubt's own (Pebble tuning), and so is disk-reserve (the disk guard).
//
// # Concurrency
//
// Config has no lock. The server owns its Config: Set and Rewrite must not
// run while other goroutines read it; give those goroutines a Clone, or the
// individual values they need.
//
// # Errors
//
// Load, ApplyFlags and Validate return errors for people: file:line: key
// "...": message. Set and Rewrite return the complete error reply Redis
// 7.0 sends, starting with "ERR ".
package conf
