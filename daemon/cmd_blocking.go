package daemon

import (
	"github.com/redoubtdb/redoubt/storage"
)

// The blocking list and sorted-set commands: each first tries to serve at
// once like its non-blocking twin, and otherwise parks the client (see
// blocking.go). Served pops are plain pops (LPOP, LMOVE, ZPOPMIN...) in the
// unit of the command that made the key ready.

func init() { registrations = append(registrations, registerBlockingCommands) }

func registerBlockingCommands(t *commandTable) {
	t.register("blpop", func(c *Client, argv [][]byte) { cmdBPop(c, argv, true) })
	t.register("brpop", func(c *Client, argv [][]byte) { cmdBPop(c, argv, false) })
	t.register("brpoplpush", func(c *Client, argv [][]byte) {
		blockingMove(c, argv[1], argv[2], false, true, argv[3])
	})
	t.register("blmove", cmdBLMove)
	t.register("blmpop", cmdBLMPop)
	t.register("bzpopmin", func(c *Client, argv [][]byte) { cmdBZPop(c, argv, true) })
	t.register("bzpopmax", func(c *Client, argv [][]byte) { cmdBZPop(c, argv, false) })
	t.register("bzmpop", cmdBZMPop)
}

// blockingTimeoutReply is what a blocking list or sorted-set command
// replies when its wait ends without data: Redis's null array, for every
// one of them (replyToBlockedClientTimedOut).
func blockingTimeoutReply(c *Client) { c.ReplyNullArray() }

// BLPOP/BRPOP key [key ...] timeout.
func cmdBPop(c *Client, argv [][]byte, left bool) {
	timeout, ok := parseBlockTimeout(c, argv[len(argv)-1])
	if !ok {
		return
	}
	keys := argv[1 : len(argv)-1]
	serve := func(c *Client, key []byte) bool {
		co, wrong := c.srv.ks.lookupColl(c.db, key, storage.TypeList, true)
		if wrong || !co.exists {
			return false
		}
		vals := listPop(co, left, 1)
		c.ReplyArrayLen(2)
		c.ReplyBulk(key)
		c.ReplyBulk(vals[0])
		return true
	}
	for _, key := range keys {
		co := openColl(c, key, storage.TypeList)
		if co == nil {
			return
		}
		if co.exists {
			serve(c, key)
			return
		}
	}
	c.srv.blockClient(c, keys, timeout, serve, blockingTimeoutReply)
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
func cmdBLMove(c *Client, argv [][]byte) {
	fromLeft, ok1 := parseListWhere(argv[3])
	toLeft, ok2 := parseListWhere(argv[4])
	if !ok1 || !ok2 {
		c.ReplyError(errSyntax)
		return
	}
	blockingMove(c, argv[1], argv[2], fromLeft, toLeft, argv[5])
}

// blockingMove is BLMOVE and BRPOPLPUSH: LMOVE once the source has an
// element. A destination of the wrong type ends the wait with WRONGTYPE
// and moves nothing, as in Redis.
func blockingMove(c *Client, src, dst []byte, fromLeft, toLeft bool, timeoutArg []byte) {
	timeout, ok := parseBlockTimeout(c, timeoutArg)
	if !ok {
		return
	}
	co := openColl(c, src, storage.TypeList)
	if co == nil {
		return
	}
	if co.exists {
		listMove(c, src, dst, fromLeft, toLeft)
		return
	}
	dst = append([]byte(nil), dst...) // argv is only valid during this call
	serve := func(c *Client, key []byte) bool {
		co, wrong := c.srv.ks.lookupColl(c.db, key, storage.TypeList, true)
		if wrong || !co.exists {
			return false
		}
		listMove(c, key, dst, fromLeft, toLeft)
		return true
	}
	c.srv.blockClient(c, [][]byte{src}, timeout, serve, blockingTimeoutReply)
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
func cmdBLMPop(c *Client, argv [][]byte) {
	keys, left, count, ok := parseMPopArgs(c, argv, 2)
	if !ok {
		return
	}
	timeout, ok := parseBlockTimeout(c, argv[1])
	if !ok {
		return
	}
	if listMPop(c, keys, left, count) {
		return
	}
	serve := func(c *Client, key []byte) bool {
		co, wrong := c.srv.ks.lookupColl(c.db, key, storage.TypeList, true)
		if wrong || !co.exists {
			return false
		}
		replyMPop(c, key, listPop(co, left, count))
		return true
	}
	c.srv.blockClient(c, keys, timeout, serve, blockingTimeoutReply)
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score].
func cmdBZPop(c *Client, argv [][]byte, min bool) {
	timeout, ok := parseBlockTimeout(c, argv[len(argv)-1])
	if !ok {
		return
	}
	keys := argv[1 : len(argv)-1]
	serve := func(c *Client, key []byte) bool {
		co, wrong := c.srv.ks.lookupColl(c.db, key, storage.TypeZSet, true)
		if wrong || !co.exists {
			return false
		}
		members, scores := zsetPop(co, min, 1)
		replyZPop(c, key, members, scores, false)
		return true
	}
	for _, key := range keys {
		co := openColl(c, key, storage.TypeZSet)
		if co == nil {
			return
		}
		if co.exists {
			serve(c, key)
			return
		}
	}
	c.srv.blockClient(c, keys, timeout, serve, blockingTimeoutReply)
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
func cmdBZMPop(c *Client, argv [][]byte) {
	min, count, ok := parseZmpopArgs(c, argv, 2)
	if !ok {
		return
	}
	timeout, ok := parseBlockTimeout(c, argv[1])
	if !ok {
		return
	}
	numkeys, _ := parseInt(argv[2])
	keys := argv[3 : 3+numkeys]
	serve := func(c *Client, key []byte) bool {
		co, wrong := c.srv.ks.lookupColl(c.db, key, storage.TypeZSet, true)
		if wrong || !co.exists {
			return false
		}
		members, scores := zsetPop(co, min, count)
		replyZMPop(c, key, members, scores)
		return true
	}
	for _, key := range keys {
		co := openColl(c, key, storage.TypeZSet)
		if co == nil {
			return
		}
		if co.exists {
			serve(c, key)
			return
		}
	}
	c.srv.blockClient(c, keys, timeout, serve, blockingTimeoutReply)
}
