package daemon

// Transaction commands: MULTI EXEC DISCARD WATCH UNWATCH. The machinery
// (queueing, the watch index) is in multi.go.

func init() { registrations = append(registrations, registerMultiCommands) }

func registerMultiCommands(t *commandTable) {
	t.register("multi", cmdMulti)
	t.register("exec", cmdExec)
	t.register("discard", cmdDiscard)
	t.register("watch", cmdWatch)
	t.register("unwatch", func(c *Client, argv [][]byte) {
		c.srv.ks.watch.unwatchAll(c)
		c.multi.dirtyCAS = false
		c.ReplyOK()
	})
}

func cmdMulti(c *Client, argv [][]byte) {
	if c.multi.active {
		c.ReplyError("ERR MULTI calls can not be nested")
		return
	}
	c.multi.active = true
	c.ReplyOK()
}

func cmdDiscard(c *Client, argv [][]byte) {
	if !c.multi.active {
		c.ReplyError("ERR DISCARD without MULTI")
		return
	}
	c.srv.discardLocked(c)
	c.ReplyOK()
}

// cmdWatch records keys; a client already dirty gains nothing from more
// watches, as in Redis.
func cmdWatch(c *Client, argv [][]byte) {
	if c.multi.active {
		c.ReplyError("ERR WATCH inside MULTI is not allowed")
		return
	}
	if c.multi.dirtyCAS {
		c.ReplyOK()
		return
	}
	ks := c.srv.ks
	for _, key := range argv[1:] {
		ks.watch.add(c, c.db, key, ks.keyIsExpired(c.db, key))
	}
	c.ReplyOK()
}

// cmdExec runs the queue as one command: each queued command goes through
// invoke (stats, slowlog, MONITOR) but not through the pre-checks, done
// when it was queued. Run-time errors take their place in the reply;
// nothing is rolled back.
func cmdExec(c *Client, argv [][]byte) {
	s := c.srv
	if !c.multi.active {
		c.ReplyError("ERR EXEC without MULTI")
		return
	}
	if !c.multi.dirtyCAS && c.watchedKeyExpired() {
		c.multi.dirtyCAS = true
	}
	if c.multi.dirtyExec {
		c.ReplyError("EXECABORT Transaction discarded because of previous errors.")
		s.discardLocked(c)
		return
	}
	if c.multi.dirtyCAS {
		c.ReplyNullArray()
		s.discardLocked(c)
		return
	}
	// Unwatch first: the transaction's own writes must not dirty it.
	s.ks.watch.unwatchAll(c)
	queue := c.multi.queue
	c.ReplyArrayLen(len(queue))
	c.multi.execing = true
	for _, q := range queue {
		s.invoke(c, q.cmd, q.argv)
		if c.closeASAP {
			// A command failed inside (run dropped the unit and the
			// replies, and closes the connection): stop here, so
			// nothing after it is written either.
			break
		}
	}
	c.multi.execing = false
	// Errors of queued commands are theirs, not EXEC's (Redis counts
	// failed_calls by errors since the last nested call).
	c.failed = false
	s.discardLocked(c)
}
