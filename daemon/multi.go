package daemon

import (
	"strings"

	"github.com/redoubtdb/redoubt/storage"
)

// Transactions (MULTI/EXEC) and optimistic locking (WATCH), like Redis
// 7.0's multi.c:
//
//   - Between MULTI and EXEC a client's commands are checked (unknown
//     command, arity, NOAUTH, no-multi) and queued with a copy of their
//     arguments, which otherwise alias the network buffer. A check that
//     fails flags the transaction: EXEC then answers EXECABORT.
//   - EXEC runs the queue under Server.mu inside the one command, so no
//     other client's command interleaves, and everything it writes joins
//     the pending unit of the current read: it reaches the write buffer,
//     and the disk, as one unit. Blocked clients are served after EXEC,
//     not after each queued command. Commands that would block answer as
//     if their timeout had passed.
//   - WATCH records keys in the keyspace's watch index; every keyspace
//     write reports the key it modifies (touchWatched), which marks the
//     watchers dirty. When nobody watches, that report is a length check.
//     As in Redis 7.0, a watched key that was alive at WATCH and has
//     expired since fails EXEC, whether it is still there or already
//     deleted (lazily or by the expiry cycle); a key already expired at
//     WATCH fails it only if it comes back.

// multiState is a client's transaction. Guarded by Server.mu.
type multiState struct {
	active    bool        // between MULTI and EXEC/DISCARD
	dirtyExec bool        // a command was refused while queueing
	dirtyCAS  bool        // a watched key was modified
	execing   bool        // EXEC is running the queue (blocking is denied)
	queue     []queuedCmd // commands to run at EXEC
	watched   []*watchedKey
}

type queuedCmd struct {
	cmd  *command
	argv [][]byte // owned copy
}

// watchedKey is one key a client watches. expired records that the key
// was already logically expired at WATCH, which Redis does not count as a
// later modification.
type watchedKey struct {
	c       *Client
	db      int
	key     string
	expired bool
}

// watchIndex finds the watchers of a key. It lives in the Keyspace so the
// write paths can report modifications without knowing about clients.
// Guarded by Server.mu.
type watchIndex struct {
	keys map[waitKey][]*watchedKey
}

// touchWatched reports a modification of key in logical db (a keyspace
// hook). exists tells whether the key exists after it. Holds mu.
func (ks *Keyspace) touchWatched(db int, key []byte, exists bool) {
	if ks.onTouch != nil {
		ks.onTouch(key) // client-side caching hook (tracking.go)
	}
	if len(ks.watch.keys) == 0 {
		return
	}
	list := ks.watch.keys[waitKey{db, string(key)}]
	if len(list) == 0 {
		return
	}
	for _, wk := range append([]*watchedKey(nil), list...) {
		if wk.expired && !exists {
			// An already expired key went away: no logical change.
			wk.expired = false
			continue
		}
		ks.watch.dirty(wk.c)
	}
}

// touchWatchedDB is Redis's touchAllWatchedKeysInDb: db is about to be
// emptied (FLUSHDB) or to receive the content of replacedWith (SWAPDB;
// -1 for none). Watchers of keys that exist on either side are dirtied.
// Holds mu, before the change.
func (ks *Keyspace) touchWatchedDB(db, replacedWith int) {
	if len(ks.watch.keys) == 0 {
		return
	}
	var hit []*watchedKey
	for wkey, list := range ks.watch.keys {
		if wkey.db != db {
			continue
		}
		key := []byte(wkey.key)
		_, inEmptied := ks.rawMeta(db, key)
		var repl storage.Meta
		inReplaced := false
		if replacedWith >= 0 {
			repl, inReplaced = ks.rawMeta(replacedWith, key)
		}
		if !inEmptied && !inReplaced {
			continue
		}
		replExpired := inReplaced && repl.ExpireAt != 0 && repl.ExpireAt < ks.now()
		for _, wk := range list {
			switch {
			case wk.expired && !inReplaced:
				wk.expired = false
				continue
			case wk.expired && replExpired:
				continue
			case !wk.expired && !inEmptied && replExpired:
				wk.expired = true
				continue
			}
			hit = append(hit, wk)
		}
	}
	for _, wk := range hit {
		ks.watch.dirty(wk.c)
	}
}

// dirty flags c's transaction and drops its watches: nothing can make it
// clean again but UNWATCH, EXEC, DISCARD or RESET.
func (w *watchIndex) dirty(c *Client) {
	c.multi.dirtyCAS = true
	w.unwatchAll(c)
}

func (w *watchIndex) add(c *Client, db int, key []byte, expired bool) {
	for _, wk := range c.multi.watched {
		if wk.db == db && wk.key == string(key) {
			return
		}
	}
	wk := &watchedKey{c: c, db: db, key: string(key), expired: expired}
	c.multi.watched = append(c.multi.watched, wk)
	if w.keys == nil {
		w.keys = map[waitKey][]*watchedKey{}
	}
	k := waitKey{db, wk.key}
	w.keys[k] = append(w.keys[k], wk)
}

func (w *watchIndex) unwatchAll(c *Client) {
	for _, wk := range c.multi.watched {
		k := waitKey{wk.db, wk.key}
		list := w.keys[k]
		for i, o := range list {
			if o == wk {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(w.keys, k)
		} else {
			w.keys[k] = list
		}
	}
	c.multi.watched = nil
}

// watchedCount is the number of keys with watchers (tests).
func (w *watchIndex) watchedCount() int { return len(w.keys) }

// rawMeta reads key's meta record as stored, expired or not, without
// deleting or touching it.
func (ks *Keyspace) rawMeta(db int, key []byte) (storage.Meta, bool) {
	mk := storage.MetaKey(nil, ks.physDB(db), key)
	raw, ok := ks.get(mk)
	if !ok {
		return storage.Meta{}, false
	}
	var m storage.Meta
	if err := storage.DecodeMeta(raw, &m); err != nil {
		panic(storageError{err})
	}
	return m, true
}

// keyIsExpired is Redis's keyIsExpired: the key is there but past its
// expiry.
func (ks *Keyspace) keyIsExpired(db int, key []byte) bool {
	m, ok := ks.rawMeta(db, key)
	return ok && m.ExpireAt != 0 && m.ExpireAt < ks.now()
}

// watchedKeyExpired is Redis 7.0's isWatchedKeyExpired.
func (c *Client) watchedKeyExpired() bool {
	for _, wk := range c.multi.watched {
		if !wk.expired && c.srv.ks.keyIsExpired(wk.db, []byte(wk.key)) {
			return true
		}
	}
	return false
}

// discardLocked ends c's transaction and drops its watches (Redis's
// discardTransaction). Holds mu.
func (s *Server) discardLocked(c *Client) {
	clear(c.multi.queue)
	c.multi.queue = nil
	c.multi.active, c.multi.dirtyExec, c.multi.dirtyCAS = false, false, false
	s.ks.watch.unwatchAll(c)
}

// passesMulti reports whether cmd runs at once inside MULTI instead of
// being queued.
func passesMulti(cmd *command) bool {
	switch cmd.name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// rejectLocked replies an error found before a command runs (unknown
// command, arity, NOAUTH, not allowed in MULTI), like Redis's
// rejectCommand: an open transaction is flagged, and a refused EXEC ends
// it with EXECABORT carrying the reason. cmd is nil for an unknown command.
// Holds mu.
func (s *Server) rejectLocked(c *Client, cmd *command, msg string) {
	if c.multi.active {
		c.multi.dirtyExec = true
	}
	if cmd != nil && cmd.name == "exec" {
		s.discardLocked(c)
		c.ReplyError("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
		return
	}
	c.ReplyError(msg)
}

// queuesWithout reports whether the transaction queued a command without
// flag f: one Redis does not run while loading a dataset (flagLoading), or
// on a replica serving no stale data (flagStale).
func (m *multiState) queuesWithout(f cmdFlag) bool {
	for _, q := range m.queue {
		if !q.cmd.has(f) {
			return true
		}
	}
	return false
}

// queueLocked queues cmd for EXEC, or refuses a command Redis does not
// allow in a transaction. Holds mu.
func (s *Server) queueLocked(c *Client, cmd *command, argv [][]byte) {
	if cmd.has(flagNoMulti) {
		cmd.stats.rejected++
		s.rejectLocked(c, cmd, "ERR Command not allowed inside a transaction")
		return
	}
	c.multi.queue = append(c.multi.queue, queuedCmd{cmd: cmd, argv: copyArgv(argv)})
	c.lastCmd = cmd.name
	c.ReplySimple("QUEUED")
}

// copyArgv copies argv into one allocation. Each argument is capped so an
// append by a handler cannot overwrite its neighbour.
func copyArgv(argv [][]byte) [][]byte {
	n := 0
	for _, a := range argv {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(argv))
	for i, a := range argv {
		start := len(buf)
		buf = append(buf, a...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}

// denyBlocking reports whether c may not block now (Redis's
// CLIENT_DENY_BLOCKING): while EXEC runs its queue.
func (c *Client) denyBlocking() bool { return c.multi.execing }

// execBlockedByPause reports whether argv is an EXEC that must wait for a
// CLIENT PAUSE WRITE to end because its queue holds a write, as Redis
// counts an EXEC by the flags of what it queued. Holds mu.
func (s *Server) execBlockedByPause(c *Client, argv [][]byte) bool {
	if !c.multi.active || len(argv) != 1 || c.isReplica() || !s.pause.active() || s.pause.pausesAll() {
		return false
	}
	// By the command, not its name: rename-command may have renamed EXEC.
	cmd, ok := s.cmds.lookup(argv)
	return ok && cmd.name == "exec" && c.multi.queued(flagWrite|flagMayReplicate)
}

// queued reports whether a queued command has any of flags: Redis counts
// an EXEC by the flags of what it queued.
func (m *multiState) queued(flags cmdFlag) bool {
	for _, q := range m.queue {
		if q.cmd.has(flags) {
			return true
		}
	}
	return false
}

// multiField is CLIENT LIST's multi=: the queue length in MULTI, else -1.
func multiField(c *Client) string {
	if !c.multi.active {
		return "-1"
	}
	return itoa(int64(len(c.multi.queue)))
}
