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

// popOrBlock serves c from the first of keys holding a collection of type
// t, or WRONGTYPE if a key of another type comes first, or else blocks c
// until one of keys can serve it. pop pops from the existing key co and
// replies; it must copy any argument it keeps (argv dies with the call).
func popOrBlock(c *Client, keys [][]byte, t storage.Type, timeoutArg []byte, pop func(c *Client, co *coll, key []byte)) {
	popOrBlockDeny(c, keys, t, timeoutArg, pop, blockingTimeoutReply)
}

// popOrBlockDeny is popOrBlock with the reply for a client that may not
// block (inside EXEC: MULTI hook, multi.go), which answers at once as if
// timed out; BLMOVE answers a null bulk there, the others a null array.
func popOrBlockDeny(c *Client, keys [][]byte, t storage.Type, timeoutArg []byte, pop func(c *Client, co *coll, key []byte), deny func(c *Client)) {
	timeout, ok := parseBlockTimeout(c, timeoutArg)
	if !ok {
		return
	}
	for _, key := range keys {
		co := openColl(c, key, t)
		if co == nil {
			return
		}
		if co.exists {
			pop(c, co, key)
			return
		}
	}
	serve := func(c *Client, key []byte) bool {
		co, wrong := c.srv.ks.lookupColl(c.db, key, t, true)
		if wrong || !co.exists {
			return false
		}
		pop(c, co, key)
		return true
	}
	if c.denyBlocking() {
		deny(c)
		return
	}
	c.srv.blockClient(c, keys, t, timeout, serve, blockingTimeoutReply)
}

// listSide is LEFT or RIGHT, as LMOVE takes it.
func listSide(left bool) []byte {
	if left {
		return []byte("LEFT")
	}
	return []byte("RIGHT")
}

// propagateZPop propagates a pop of n members from key as ZPOPMIN/ZPOPMAX
// key [n] (n < 0: without a count), as Redis replicates ZMPOP and the
// blocking pops. Holds mu.
func propagateZPop(c *Client, key []byte, min bool, n int) {
	if min {
		c.propagatePop(propZpopmin, key, n)
	} else {
		c.propagatePop(propZpopmax, key, n)
	}
}

// blockingTimeoutReply is what a blocking list or sorted-set command
// replies when its wait ends without data: Redis's null array, for every
// one of them (replyToBlockedClientTimedOut).
func blockingTimeoutReply(c *Client) { c.ReplyNullArray() }

// BLPOP/BRPOP key [key ...] timeout: [key, element].
func cmdBPop(c *Client, argv [][]byte, left bool) {
	popOrBlock(c, argv[1:len(argv)-1], storage.TypeList, argv[len(argv)-1], func(c *Client, co *coll, key []byte) {
		vals := listPop(co, left, 1)
		c.srv.notifyCollLocked(notifyList, listEvent(left, "lpop", "rpop"), co)
		propagateListPop(c, key, left, -1)
		c.ReplyArrayLen(2)
		c.ReplyBulk(key)
		c.ReplyBulk(vals[0])
	})
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
	dst = append([]byte(nil), dst...) // kept by the waiter
	popOrBlockDeny(c, [][]byte{src}, storage.TypeList, timeoutArg, func(c *Client, _ *coll, key []byte) {
		changes := c.srv.ks.changes
		listMove(c, key, dst, fromLeft, toLeft)
		if c.srv.ks.changes == changes {
			c.propagateNothing() // WRONGTYPE: nothing moved
			return
		}
		// Replicated as LMOVE source destination wherefrom whereto.
		c.propagate(propLmove, key, dst, listSide(fromLeft), listSide(toLeft))
	}, (*Client).ReplyNull)
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
func cmdBLMPop(c *Client, argv [][]byte) {
	keys, left, count, ok := parseMPopArgs(c, argv, 2)
	if !ok {
		return
	}
	popOrBlock(c, keys, storage.TypeList, argv[1], func(c *Client, co *coll, key []byte) {
		vals := listPop(co, left, count)
		c.srv.notifyCollLocked(notifyList, listEvent(left, "lpop", "rpop"), co)
		propagateListPop(c, key, left, len(vals))
		replyMPop(c, key, vals)
	})
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score].
func cmdBZPop(c *Client, argv [][]byte, min bool) {
	popOrBlock(c, argv[1:len(argv)-1], storage.TypeZSet, argv[len(argv)-1], func(c *Client, co *coll, key []byte) {
		members, scores := zsetPop(co, min, 1)
		c.srv.notifyCollLocked(notifyZset, listEvent(min, "zpopmin", "zpopmax"), co)
		propagateZPop(c, key, min, -1)
		replyZPop(c, key, members, scores, false)
	})
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
func cmdBZMPop(c *Client, argv [][]byte) {
	min, count, ok := parseZmpopArgs(c, argv, 2)
	if !ok {
		return
	}
	numkeys, _ := parseInt(argv[2])
	popOrBlock(c, argv[3:3+numkeys], storage.TypeZSet, argv[1], func(c *Client, co *coll, key []byte) {
		members, scores := zsetPop(co, min, count)
		c.srv.notifyCollLocked(notifyZset, listEvent(min, "zpopmin", "zpopmax"), co)
		propagateZPop(c, key, min, len(members))
		replyZMPop(c, key, members, scores)
	})
}
