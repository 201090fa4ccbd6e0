package daemon

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/redoubtdb/redoubt/storage"
)

// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LSET
// LINSERT LRANGE LTRIM LREM LPOS LMOVE RPOPLPUSH LMPOP, with Redis 7.0's
// t_list.c semantics. The order of its checks (an argument parsed before or
// after the key lookup) decides which error a client sees, so each command
// follows Redis's order exactly.
//
// A list's elements live at the indexes [head, head+count) (collection.go).
// Pushes and pops touch only the ends, LINDEX and LSET are point reads and
// writes, LRANGE is one iterator over exactly the requested indexes.
// LINSERT and LREM move the elements on the shorter side of the change
// (head moves when the left side does), so they cost the smaller half of
// the list, and LTRIM deletes what it trims one point at a time and moves
// head, like Redis's O(removed). The blocking commands build on listPop,
// listPush, listMove and the LMPOP helpers.

func init() { registrations = append(registrations, registerListCommands) }

func registerListCommands(t *commandTable) {
	t.register("lpush", func(c *Client, argv [][]byte) { listPushCommand(c, argv, true, false) })
	t.register("rpush", func(c *Client, argv [][]byte) { listPushCommand(c, argv, false, false) })
	t.register("lpushx", func(c *Client, argv [][]byte) { listPushCommand(c, argv, true, true) })
	t.register("rpushx", func(c *Client, argv [][]byte) { listPushCommand(c, argv, false, true) })
	t.register("lpop", func(c *Client, argv [][]byte) { listPopCommand(c, argv, true) })
	t.register("rpop", func(c *Client, argv [][]byte) { listPopCommand(c, argv, false) })
	t.register("llen", cmdLLen)
	t.register("lindex", cmdLIndex)
	t.register("lset", cmdLSet)
	t.register("linsert", cmdLInsert)
	t.register("lrange", cmdLRange)
	t.register("ltrim", cmdLTrim)
	t.register("lrem", cmdLRem)
	t.register("lpos", cmdLPos)
	t.register("lmove", cmdLMove)
	t.register("rpoplpush", func(c *Client, argv [][]byte) { listMove(c, argv[1], argv[2], false, true) })
	t.register("lmpop", cmdLMPop)
}

const (
	errListIndexRange = "ERR index out of range"
	errLPosRankZero   = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errLPosCount      = "ERR COUNT can't be negative"
	errLPosMaxlen     = "ERR MAXLEN can't be negative"
	errMPopNumkeys    = "ERR numkeys should be greater than 0"
	errMPopCount      = "ERR count should be greater than 0"
)

// ---- storage helpers ---------------------------------------------------------

// listIdx encodes the absolute index abs as a sub key in buf (a caller's
// stack array, so the hot paths allocate nothing for it).
func listIdx(buf *[8]byte, abs uint64) []byte {
	binary.BigEndian.PutUint64(buf[:], abs)
	return buf[:]
}

// listAbs is the absolute index of the element whose store key an
// iterator returned.
func listAbs(co *coll, k []byte) uint64 { return listSubIndex(co.sub(k)) }

// listGet returns the element at absolute index abs, which the count says
// exists. Callers must not change it: it may be a window's (listwin.go).
func listGet(co *coll, abs uint64) []byte {
	if w := co.ks.lists.find(co.prefix, abs, abs+1); w != nil {
		return w.at(abs)
	}
	var b [8]byte
	v, ok := co.get(listIdx(&b, abs))
	if !ok {
		panic(storageError{storage.ErrCorrupt})
	}
	return v
}

// listRead returns the elements at the absolute indexes [lo, hi), in
// order. Callers must not change them: they may be a window's.
func listRead(co *coll, lo, hi uint64) [][]byte {
	if lo >= hi {
		return nil
	}
	out := make([][]byte, 0, hi-lo)
	if w := co.ks.lists.find(co.prefix, lo, hi); w != nil {
		for abs := lo; abs < hi; abs++ {
			out = append(out, w.at(abs))
		}
		return out
	}
	var lb, ub [8]byte
	it := co.iterLive(listIdx(&lb, lo), listIdx(&ub, hi))
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, append([]byte(nil), it.Value()...))
	}
	closeIter(it)
	if uint64(len(out)) != hi-lo {
		panic(storageError{storage.ErrCorrupt})
	}
	return out
}

// listAdd pushes vals one at a time at one end, without saving.
func listAdd(co *coll, left bool, vals [][]byte) {
	var b [8]byte
	h, n := co.listHead(), co.m.Count
	for _, v := range vals {
		abs := h + n
		if left {
			h--
			abs = h
		}
		n++
		co.put(listIdx(&b, abs), v)
	}
	if left {
		co.setListHead(h)
	}
	co.m.Count = n
}

// listReadAhead is how many elements a pop outside the list's windows
// reads into a new one.
const listReadAhead = 128

// listTakeOne removes the element at one end of the non-empty list co and
// returns it, without saving.
func listTakeOne(co *coll, left bool) []byte {
	h := co.listHead()
	abs := h + co.m.Count - 1
	if left {
		abs = h
	}
	w := co.ks.lists.find(co.prefix, abs, abs+1)
	if w == nil && co.Len() > 1 && co.ks.lists.readAhead(co.prefix) {
		// The next pops from this end will want the neighbours too:
		// one iterator read beats a lookup per element.
		k := min(uint64(listReadAhead), co.m.Count)
		lo := h + co.m.Count - k
		if left {
			lo = h
		}
		if vals, ok := listFill(co, lo, lo+k); ok {
			co.ks.lists.install(co.prefix, lo, vals)
		}
	}
	var v []byte
	if w != nil {
		v = w.at(abs)
	} else {
		v = listGet(co, abs)
	}
	co.dropTaken(abs, abs+1)
	if left {
		co.setListHead(h + 1)
	}
	co.m.Count--
	return v
}

// listTake removes up to count (>= 1) elements from one end of the
// non-empty list co and returns them in pop order, without saving.
func listTake(co *coll, left bool, count int64) [][]byte {
	n := co.Len()
	if count == 1 || n == 1 {
		return [][]byte{listTakeOne(co, left)}
	}
	k := min(count, n)
	h := co.listHead()
	lo := h
	if !left {
		lo = h + uint64(n-k)
	}
	out := listRead(co, lo, lo+uint64(k))
	if !left {
		slices.Reverse(out)
	}
	co.dropTaken(lo, lo+uint64(k))
	if left {
		co.setListHead(h + uint64(k))
	}
	co.m.Count -= uint64(k)
	return out
}

// listPop removes up to count (>= 1) elements from the left (or right) end
// of the existing, non-empty list co and returns copies of them, in pop
// order; it calls co.save().
func listPop(co *coll, left bool, count int64) [][]byte {
	out := listTake(co, left, count)
	co.save()
	return out
}

// listPush pushes vals one at a time at the left (or right) end (LPUSH a b
// c leaves c first), creating the list if co does not exist; it calls
// co.save() and returns the new length.
func listPush(co *coll, left bool, vals [][]byte) int64 {
	listAdd(co, left, vals)
	co.save()
	return co.Len()
}

// ---- commands ----------------------------------------------------------------

// listPushCommand is LPUSH, RPUSH, LPUSHX and RPUSHX.
func listPushCommand(c *Client, argv [][]byte, left, onlyExisting bool) {
	co := openColl(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	if onlyExisting && !co.exists {
		c.ReplyInt(0)
		return
	}
	n := listPush(co, left, argv[2:])
	c.srv.notifyLocked(notifyList, listEvent(left, "lpush", "rpush"), c.db, argv[1])
	c.ReplyInt(n)
}

// listPopCommand is LPOP and RPOP: without a count it replies with one
// bulk (or null), with one an array (or a null array for a missing key).
func listPopCommand(c *Client, argv [][]byte, left bool) {
	if len(argv) > 3 {
		c.ReplyError("ERR wrong number of arguments for '" + string(bytes.ToLower(argv[0])) + "' command")
		return
	}
	hasCount := len(argv) == 3
	var count int64
	if hasCount {
		n, ok := parseInt(argv[2])
		if !ok || n < 0 {
			c.ReplyError(errPositive)
			return
		}
		count = n
	}
	co := openColl(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	switch {
	case !co.exists && hasCount:
		c.ReplyNullArray()
	case !co.exists:
		c.ReplyNull()
	case hasCount && count == 0:
		c.ReplyArrayLen(0)
	case !hasCount:
		v := listTakeOne(co, left)
		co.save()
		c.srv.notifyCollLocked(notifyList, listEvent(left, "lpop", "rpop"), co)
		c.ReplyBulk(v)
	default:
		vals := listPop(co, left, count)
		c.srv.notifyCollLocked(notifyList, listEvent(left, "lpop", "rpop"), co)
		c.ReplyBulks(vals)
	}
}

func cmdLLen(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	c.ReplyInt(co.Len())
}

func cmdLIndex(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyNull()
		return
	}
	abs, in, ok := listIndexArg(c, co, argv[2])
	if !ok {
		return
	}
	if !in {
		c.ReplyNull()
		return
	}
	c.ReplyBulk(listGet(co, abs))
}

// listIndexArg parses an index argument of the existing list co (negative
// ones count from the end) into an absolute index; in is false past either
// end. It replies the error for a non-integer (ok false).
func listIndexArg(c *Client, co *coll, arg []byte) (abs uint64, in, ok bool) {
	idx, ok := parseInt(arg)
	if !ok {
		c.ReplyError(errNotInt)
		return 0, false, false
	}
	n := co.Len()
	if idx < 0 {
		idx += n
	}
	if idx < 0 || idx >= n {
		return 0, false, true
	}
	return co.listHead() + uint64(idx), true, true
}

func cmdLSet(c *Client, argv [][]byte) {
	co := openColl(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyError(errNoSuchKey)
		return
	}
	abs, in, ok := listIndexArg(c, co, argv[2])
	if !ok {
		return
	}
	if !in {
		c.ReplyError(errListIndexRange)
		return
	}
	var b [8]byte
	co.put(listIdx(&b, abs), argv[3])
	co.save()
	c.srv.notifyLocked(notifyList, "lset", c.db, argv[1])
	c.ReplyOK()
}

// cmdLInsert is LINSERT key BEFORE|AFTER pivot element: the first pivot
// from the head, then the new element goes in by shifting the shorter side.
func cmdLInsert(c *Client, argv [][]byte) {
	var after bool
	switch {
	case equalFold(argv[2], "after"):
		after = true
	case equalFold(argv[2], "before"):
	default:
		c.ReplyError(errSyntax)
		return
	}
	co := openColl(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyInt(0)
		return
	}
	h, n := co.listHead(), co.Len()
	var lb, ub [8]byte
	pos := int64(-1)
	it := co.iterLive(listIdx(&lb, h), listIdx(&ub, h+uint64(n)))
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.Equal(it.Value(), argv[3]) {
			pos = int64(listAbs(co, it.Key()) - h)
			break
		}
	}
	closeIter(it)
	if pos < 0 {
		c.ReplyInt(-1)
		return
	}
	if after {
		pos++
	}
	listInsertAt(co, pos, argv[4])
	co.save()
	c.srv.notifyLocked(notifyList, "linsert", c.db, argv[1])
	c.ReplyInt(co.Len())
}

// listInsertAt inserts val so that it becomes element q (0 <= q <= count),
// moving the elements before q one index down (and head with them) or the
// ones from q on one index up, whichever are fewer. It does not save.
func listInsertAt(co *coll, q int64, val []byte) {
	h, n := co.listHead(), co.Len()
	var b [8]byte
	if q <= n-q {
		for i, v := range listRead(co, h, h+uint64(q)) {
			co.put(listIdx(&b, h+uint64(i)-1), v)
		}
		co.put(listIdx(&b, h+uint64(q)-1), val)
		co.setListHead(h - 1)
	} else {
		for i, v := range listRead(co, h+uint64(q), h+uint64(n)) {
			co.put(listIdx(&b, h+uint64(q)+uint64(i)+1), v)
		}
		co.put(listIdx(&b, h+uint64(q)), val)
	}
	co.m.Count++
}

func cmdLRange(c *Client, argv [][]byte) {
	start, ok1 := parseInt(argv[2])
	end, ok2 := parseInt(argv[3])
	if !ok1 || !ok2 {
		c.ReplyError(errNotInt)
		return
	}
	co := openCollRead(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	start, end, ok := indexRange(start, end, co.Len())
	if !ok {
		c.ReplyArrayLen(0)
		return
	}
	h := co.listHead()
	lo, hi := h+uint64(start), h+uint64(end)+1
	c.ReplyArrayLen(int(hi - lo))
	if w := c.srv.ks.lists.find(co.prefix, lo, hi); w != nil {
		for abs := lo; abs < hi; abs++ {
			c.ReplyBulk(w.at(abs))
		}
		return
	}
	// A range at either end of the list, like the newest entries of a
	// timeline, is likely read again: it becomes a window.
	var keep [][]byte
	var kept int64
	if k := hi - lo; k <= listWinElems && (start == 0 || end == co.Len()-1) && c.srv.ks.lists.budget > 0 {
		keep = make([][]byte, 0, k)
	}
	var lb, ub [8]byte
	it := co.iterLive(listIdx(&lb, lo), listIdx(&ub, hi))
	got := uint64(0)
	for ok := it.First(); ok && got < hi-lo; ok = it.Next() {
		v := it.Value()
		c.ReplyBulk(v)
		switch {
		case keep == nil:
		case len(v) > rowCacheMaxValue || kept > c.srv.ks.lists.budget/2:
			keep = nil // more than a window may hold
		default:
			keep = append(keep, append([]byte(nil), v...))
			kept += elemCost(v)
		}
		got++
	}
	closeIter(it)
	if got != hi-lo {
		panic(storageError{storage.ErrCorrupt})
	}
	if keep != nil {
		c.srv.ks.lists.install(co.prefix, lo, keep)
	}
}

func cmdLTrim(c *Client, argv [][]byte) {
	start, ok1 := parseInt(argv[2])
	end, ok2 := parseInt(argv[3])
	if !ok1 || !ok2 {
		c.ReplyError(errNotInt)
		return
	}
	co := openColl(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyOK()
		return
	}
	n := co.Len()
	ltrim, rtrim := n, int64(0)
	if s, e, ok := indexRange(start, end, n); ok {
		ltrim, rtrim = s, n-e-1
	}
	switch {
	case ltrim+rtrim == n:
		// Nothing is left: drop the whole version at once.
		c.srv.ks.Delete(c.db, argv[1])
	case ltrim+rtrim > 0:
		h := co.listHead()
		if ltrim > 0 {
			co.dropTaken(h, h+uint64(ltrim))
		}
		if rtrim > 0 {
			co.dropTaken(h+uint64(n-rtrim), h+uint64(n))
		}
		co.setListHead(h + uint64(ltrim))
		co.m.Count -= uint64(ltrim + rtrim)
		co.save()
	}
	c.srv.notifyLocked(notifyList, "ltrim", c.db, argv[1])
	if ltrim+rtrim == n {
		c.srv.notifyLocked(notifyGeneric, "del", c.db, argv[1])
	}
	c.ReplyOK()
}

// cmdLRem is LREM key count element: count > 0 removes the first count
// matches from the head, count < 0 the first -count from the tail, 0 all.
func cmdLRem(c *Client, argv [][]byte) {
	toRemove, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	co := openColl(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyInt(0)
		return
	}
	// uint64(-MinInt64) is 2^63: no limit in practice, as in Redis, where
	// the negation leaves the limit negative and never reached.
	fromTail := toRemove < 0
	limit := uint64(toRemove)
	if fromTail {
		limit = uint64(-toRemove)
	}
	pos := listMatches(co, argv[3], fromTail, limit)
	if fromTail {
		slices.Reverse(pos)
	}
	emptied := int64(len(pos)) == co.Len()
	switch {
	case len(pos) == 0:
	case emptied:
		c.srv.ks.Delete(c.db, argv[1])
	default:
		listRemoveAt(co, pos)
		co.save()
	}
	if len(pos) > 0 {
		c.srv.notifyLocked(notifyList, "lrem", c.db, argv[1])
	}
	if len(pos) > 0 && emptied {
		c.srv.notifyLocked(notifyGeneric, "del", c.db, argv[1])
	}
	c.ReplyInt(int64(len(pos)))
}

// listMatches returns the positions of the elements equal to elem, walking
// from the head (or the tail), stopping after limit of them (0: no limit).
func listMatches(co *coll, elem []byte, fromTail bool, limit uint64) []int64 {
	h, n := co.listHead(), co.Len()
	var lb, ub [8]byte
	var pos []int64
	it := co.iterLive(listIdx(&lb, h), listIdx(&ub, h+uint64(n)))
	ok := it.First()
	if fromTail {
		ok = it.Last()
	}
	for ; ok; ok = listStep(it, fromTail) {
		if !bytes.Equal(it.Value(), elem) {
			continue
		}
		pos = append(pos, int64(listAbs(co, it.Key())-h))
		if limit != 0 && uint64(len(pos)) == limit {
			break
		}
	}
	closeIter(it)
	return pos
}

func listStep(it storage.Iterator, backward bool) bool {
	if backward {
		return it.Prev()
	}
	return it.Next()
}

// listRemoveAt removes the elements at the ascending positions pos (not all
// of the list), closing the gaps from whichever side moves fewer elements:
// the ones after the first removed shift down, or the ones before the last
// removed shift up (and head with them). It does not save.
func listRemoveAt(co *coll, pos []int64) {
	h, n := co.listHead(), co.Len()
	k := int64(len(pos))
	first, last := pos[0], pos[k-1]
	var b [8]byte
	if n-first-k <= last-(k-1) {
		// Element p moves down by the number of removed positions before it.
		vals := listRead(co, h+uint64(first), h+uint64(n))
		shift, j := int64(0), 0
		for i, v := range vals {
			p := first + int64(i)
			if j < len(pos) && pos[j] == p {
				shift++
				j++
				continue
			}
			co.put(listIdx(&b, h+uint64(p-shift)), v)
		}
		for p := n - k; p < n; p++ {
			co.del(listIdx(&b, h+uint64(p)))
		}
	} else {
		// Element p moves up by the number of removed positions after it.
		vals := listRead(co, h, h+uint64(last)+1)
		shift, j := int64(0), len(pos)-1
		for p := last; p >= 0; p-- {
			if j >= 0 && pos[j] == p {
				shift++
				j--
				continue
			}
			co.put(listIdx(&b, h+uint64(p+shift)), vals[p])
		}
		for p := int64(0); p < k; p++ {
			co.del(listIdx(&b, h+uint64(p)))
		}
		co.setListHead(h + uint64(k))
	}
	co.m.Count -= uint64(k)
}

// cmdLPos is LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
func cmdLPos(c *Client, argv [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0) // count -1: no COUNT
	for j := 3; j < len(argv); j++ {
		more := j+1 < len(argv)
		switch {
		case more && equalFold(argv[j], "rank"):
			j++
			v, ok := parseInt(argv[j])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			if v == 0 {
				c.ReplyError(errLPosRankZero)
				return
			}
			rank = v
		case more && equalFold(argv[j], "count"):
			j++
			v, ok := parseInt(argv[j])
			if !ok || v < 0 {
				c.ReplyError(errLPosCount)
				return
			}
			count = v
		case more && equalFold(argv[j], "maxlen"):
			j++
			v, ok := parseInt(argv[j])
			if !ok || v < 0 {
				c.ReplyError(errLPosMaxlen)
				return
			}
			maxlen = v
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	// A negative rank searches from the tail. Negating MinInt64 leaves it
	// negative, as in Redis: every match then counts as reached.
	fromTail := rank < 0
	if fromTail {
		rank = -rank
	}
	co := openCollRead(c, argv[1], storage.TypeList)
	if co == nil {
		return
	}
	if !co.exists {
		if count != -1 {
			c.ReplyArrayLen(0)
		} else {
			c.ReplyNull()
		}
		return
	}
	h, n := co.listHead(), co.Len()
	scan := n
	if maxlen != 0 && maxlen < n {
		scan = maxlen
	}
	lo := h
	if fromTail {
		lo = h + uint64(n-scan)
	}
	var lb, ub [8]byte
	it := co.iterLive(listIdx(&lb, lo), listIdx(&ub, lo+uint64(scan)))
	ok := it.First()
	if fromTail {
		ok = it.Last()
	}
	var found []int64
	index, matches, matchIndex := int64(0), int64(0), int64(-1)
	for ; ok; ok = listStep(it, fromTail) {
		if bytes.Equal(it.Value(), argv[2]) {
			matches++
			mi := index
			if fromTail {
				mi = n - index - 1
			}
			if matches >= rank {
				if count == -1 {
					matchIndex = mi
					break
				}
				found = append(found, mi)
				// Wraps for rank MinInt64 exactly as Redis's long does.
				if count != 0 && matches-rank+1 >= count {
					break
				}
			}
		}
		index++
	}
	closeIter(it)
	switch {
	case count != -1:
		c.ReplyArrayLen(len(found))
		for _, p := range found {
			c.ReplyInt(p)
		}
	case matchIndex >= 0:
		c.ReplyInt(matchIndex)
	default:
		c.ReplyNull()
	}
}

// parseListWhere parses LEFT or RIGHT.
func parseListWhere(b []byte) (left, ok bool) {
	switch {
	case equalFold(b, "left"):
		return true, true
	case equalFold(b, "right"):
		return false, true
	}
	return false, false
}

func cmdLMove(c *Client, argv [][]byte) {
	fromLeft, ok1 := parseListWhere(argv[3])
	toLeft, ok2 := parseListWhere(argv[4])
	if !ok1 || !ok2 {
		c.ReplyError(errSyntax)
		return
	}
	listMove(c, argv[1], argv[2], fromLeft, toLeft)
}

// listMove is LMOVE (and RPOPLPUSH): it pops one element from src and
// pushes it onto dst, replying with the element, null when src does not
// exist, or WRONGTYPE (nothing moved) when either key holds another type.
// src and dst may be the same list (a rotation); it survives even when it
// held one element.
func listMove(c *Client, src, dst []byte, fromLeft, toLeft bool) {
	sco := openColl(c, src, storage.TypeList)
	if sco == nil {
		return
	}
	if !sco.exists {
		c.ReplyNull()
		return
	}
	if bytes.Equal(src, dst) {
		v := listTakeOne(sco, fromLeft)
		listAdd(sco, toLeft, [][]byte{v})
		sco.save()
		c.srv.notifyLocked(notifyList, listEvent(toLeft, "lpush", "rpush"), c.db, src)
		c.srv.notifyLocked(notifyList, listEvent(fromLeft, "lpop", "rpop"), c.db, src)
		c.ReplyBulk(v)
		return
	}
	dco := openColl(c, dst, storage.TypeList)
	if dco == nil {
		return
	}
	v := listTakeOne(sco, fromLeft)
	sco.save()
	listPush(dco, toLeft, [][]byte{v})
	// Redis pushes before it pops, and so notifies.
	c.srv.notifyLocked(notifyList, listEvent(toLeft, "lpush", "rpush"), c.db, dst)
	c.srv.notifyCollLocked(notifyList, listEvent(fromLeft, "lpop", "rpop"), sco)
	c.ReplyBulk(v)
}

func cmdLMPop(c *Client, argv [][]byte) {
	keys, left, count, ok := parseMPopArgs(c, argv, 1)
	if !ok {
		return
	}
	if !listMPop(c, keys, left, count) {
		c.ReplyNullArray()
	}
}

// parseMPopArgs parses the arguments of LMPOP (numkeysIdx 1) and BLMPOP
// (numkeysIdx 2): numkeys key [key ...] LEFT|RIGHT [COUNT count]. On a bad
// argument it replies with Redis's error and ok is false. keys alias argv.
// count is 1 without COUNT.
func parseMPopArgs(c *Client, argv [][]byte, numkeysIdx int) (keys [][]byte, left bool, count int64, ok bool) {
	numkeys, ok := parseInt(argv[numkeysIdx])
	if !ok || numkeys < 1 {
		c.ReplyError(errMPopNumkeys)
		return nil, false, 0, false
	}
	if numkeys >= int64(len(argv)-numkeysIdx-1) {
		c.ReplyError(errSyntax)
		return nil, false, 0, false
	}
	whereIdx := numkeysIdx + int(numkeys) + 1
	left, ok = parseListWhere(argv[whereIdx])
	if !ok {
		c.ReplyError(errSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(argv); j++ {
		if count != -1 || !equalFold(argv[j], "count") || j+1 == len(argv) {
			c.ReplyError(errSyntax)
			return nil, false, 0, false
		}
		j++
		n, ok := parseInt(argv[j])
		if !ok || n < 1 {
			c.ReplyError(errMPopCount)
			return nil, false, 0, false
		}
		count = n
	}
	if count == -1 {
		count = 1
	}
	return argv[numkeysIdx+1 : whereIdx], left, count, true
}

// listMPop pops up to count elements from the first of keys that holds a
// list and replies as LMPOP does; a key of another type met first gets
// WRONGTYPE. It reports whether it replied: false means every key was
// missing and nothing was written (LMPOP replies null, BLMPOP waits).
func listMPop(c *Client, keys [][]byte, left bool, count int64) bool {
	for _, key := range keys {
		co, wrong := c.srv.ks.lookupColl(c.db, key, storage.TypeList, true)
		if wrong {
			c.ReplyError(errWrongType)
			return true
		}
		if !co.exists {
			continue
		}
		vals := listPop(co, left, count)
		c.srv.notifyCollLocked(notifyList, listEvent(left, "lpop", "rpop"), co)
		propagateListPop(c, key, left, len(vals))
		replyMPop(c, key, vals)
		return true
	}
	return false
}

// propagateListPop propagates a pop of n elements from the head (left) or
// tail of key as LPOP/RPOP key [n]: how Redis replicates LMPOP and the
// blocking pops (n < 0: without a count). Holds mu.
func propagateListPop(c *Client, key []byte, left bool, n int) {
	if left {
		c.propagatePop(propLpop, key, n)
	} else {
		c.propagatePop(propRpop, key, n)
	}
}

// replyMPop writes LMPOP's reply: the key, then the popped elements.
func replyMPop(c *Client, key []byte, vals [][]byte) {
	c.ReplyArrayLen(2)
	c.ReplyBulk(key)
	c.ReplyBulks(vals)
}
