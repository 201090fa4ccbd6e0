package daemon

import (
	"bytes"
	"strconv"

	"github.com/redoubtdb/redoubt/daemon/glob"
	"github.com/redoubtdb/redoubt/storage"
)

// scanCollection is HSCAN, SSCAN and ZSCAN: key cursor [MATCH pattern]
// [COUNT count]. Members live under the sub-key prefix sub ("" for hashes
// and sets, "m" for sorted sets); emit appends the reply items for one
// member (the member, and its value or score); co is the collection.
//
// Like Redis, a collection still in its compact encoding is returned whole
// in one call with cursor 0, whatever COUNT says; a big one is walked COUNT
// members at a time in sub-key order, with cursors from the server's cursor
// table (see scanCursors), so no member present throughout is missed.
func scanCollection(c *Client, argv [][]byte, t storage.Type, sub []byte, emit func(items [][]byte, co *coll, member, value []byte) [][]byte) {
	cursor, ok := parseScanCursor(argv[2])
	if !ok {
		c.ReplyError("ERR invalid cursor")
		return
	}
	ks := c.srv.ks
	co, wrong := ks.lookupColl(c.db, argv[1], t, true)
	countLookup(c, argv[1], wrong || co.exists) // lookupKeyRead, as in Redis
	if wrong {
		c.ReplyError(errWrongType)
		return
	}
	if !co.exists {
		c.ReplyArrayLen(2)
		c.ReplyBulkString("0")
		c.ReplyArrayLen(0)
		return
	}
	opts, ok := parseScanOptions(c, argv, 3, false)
	if !ok {
		return
	}
	s := c.srv
	all := !co.big()
	start := append([]byte(nil), sub...)
	budget, gen := opts.count, 0
	if cursor != 0 && !all {
		var pos []byte
		pos, budget, gen, _ = s.scans.load(cursor, opts.count)
		if bytes.Compare(pos, start) > 0 {
			start = pos
		}
	}
	it := co.iterPrefix(sub)
	var items [][]byte
	var next []byte
	var examined int64
	for ok := it.SeekGE(co.seekKey(start)); ok; ok = it.Next() {
		k := co.sub(it.Key())
		if !all && examined == budget {
			next = append([]byte(nil), k...)
			break
		}
		examined++
		member := k[len(sub):]
		if opts.usePattern && !glob.Match(opts.pattern, member, false) {
			continue
		}
		items = emit(items, co, append([]byte(nil), member...), append([]byte(nil), it.Value()...))
	}
	closeIter(it)
	next64 := uint64(0)
	if next != nil {
		next64 = s.scans.save(next, gen)
	}
	c.ReplyArrayLen(2)
	c.ReplyBulkString(strconv.FormatUint(next64, 10))
	c.ReplyBulks(items)
}
