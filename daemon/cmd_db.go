package daemon

// Database commands: DBSIZE FLUSHDB FLUSHALL SWAPDB. (SELECT lives with
// the connection commands.) Logical databases map onto physical namespaces
// in the store; SWAPDB swaps the mapping, so a client that selected a
// database sees the other one's keys afterwards, as in Redis.

func init() { registrations = append(registrations, registerDBCommands) }

func registerDBCommands(t *commandTable) {
	t.register("dbsize", cmdDBSize)
	t.register("flushdb", cmdFlushDB)
	t.register("flushall", cmdFlushAll)
	t.register("swapdb", cmdSwapDB)
}

// cmdDBSize counts expired keys not yet reclaimed, like Redis.
func cmdDBSize(c *Client, argv [][]byte) {
	c.ReplyInt(c.srv.ks.DBSize(c.db))
}

// parseFlushMode accepts FLUSHDB/FLUSHALL's optional SYNC or ASYNC. Both
// are the same here: a flush is three range deletions, O(1) for the caller
// whatever the size; the store reclaims the space in the background.
func parseFlushMode(c *Client, argv [][]byte) bool {
	switch {
	case len(argv) == 1:
		return true
	case len(argv) == 2 && (equalFold(argv[1], "sync") || equalFold(argv[1], "async")):
		return true
	}
	c.ReplyError(errSyntax)
	return false
}

func cmdFlushDB(c *Client, argv [][]byte) {
	if !parseFlushMode(c, argv) {
		return
	}
	s := c.srv
	s.ks.Flush(c.db)
	// Propagated even when the database was empty, as in Redis.
	c.propagate(argv...)
	c.ReplyOK()
}

func cmdFlushAll(c *Client, argv [][]byte) {
	if !parseFlushMode(c, argv) {
		return
	}
	s := c.srv
	s.ks.FlushAll()
	c.propagate(argv...)
	if len(s.cfg.Save) == 0 {
		c.ReplyOK()
		return
	}
	// As Redis does when save points are set, the emptied dataset is
	// saved at once: the RDB file no longer holds the flushed keys, and
	// the changes since the last save drop to 0. The reply (OK, whatever
	// the save's outcome, as Redis's) waits for it. Inside EXEC, which
	// stays one unit, or from the primary's stream, nothing can wait: the
	// save is scheduled.
	if c.multi.execing || c.isMaster {
		s.save.scheduled = true
		c.ReplyOK()
		return
	}
	c.park()
	s.saveThenLocked(func(error) { c.resume([]byte("+OK\r\n")) })
}

// cmdSwapDB parses its indexes like Redis (getIntFromObjectOrReply with a
// custom message, so a non-integer and an index past int32 get the same
// error), then range-checks both.
func cmdSwapDB(c *Client, argv [][]byte) {
	a, ok := parseInt(argv[1])
	if !ok || a < -1<<31 || a > 1<<31-1 {
		c.ReplyError("ERR invalid first DB index")
		return
	}
	b, ok := parseInt(argv[2])
	if !ok || b < -1<<31 || b > 1<<31-1 {
		c.ReplyError("ERR invalid second DB index")
		return
	}
	n := int64(c.srv.ks.Databases())
	if a < 0 || a >= n || b < 0 || b >= n {
		c.ReplyError(errDBIndex)
		return
	}
	if a != b {
		c.srv.ks.Swap(int(a), int(b))
		c.srv.signalDBLocked(int(a))
		c.srv.signalDBLocked(int(b))
	}
	c.ReplyOK()
}
