package daemon

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/redoubtdb/redoubt/storage"
)

// Set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SPOP
// SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
// SDIFFSTORE SSCAN, with Redis 7.0's t_set.c semantics.
//
// A set is a collection whose members are sub keys with empty values (see
// collection.go). Redis 7.0 keeps a set as an intset while every member is
// an integer string2ll accepts and there are at most set-max-intset-entries
// of them, and converts it to a hashtable for good otherwise; the
// collection's big flag records that conversion, so OBJECT ENCODING answers
// as Redis would. Sets Redis builds afresh (the xxxSTORE results, SPOP's
// rebuilt remainder) get the encoding their members call for.
//
// Member tests are point reads. SINTER walks only the smallest set and
// probes the others, as Redis does; random members of a big set are found
// by seeks (setPicker), not by reading the set.

func init() { registrations = append(registrations, registerSetCommands) }

func registerSetCommands(t *commandTable) {
	t.register("sadd", cmdSAdd)
	t.register("srem", cmdSRem)
	t.register("scard", cmdSCard)
	t.register("sismember", cmdSIsMember)
	t.register("smismember", cmdSMIsMember)
	t.register("smembers", cmdSMembers)
	t.register("spop", cmdSPop)
	t.register("srandmember", cmdSRandMember)
	t.register("smove", cmdSMove)
	t.register("sinter", func(c *Client, argv [][]byte) { setInter(c, argv[1:], nil, false, 0) })
	t.register("sintercard", cmdSInterCard)
	t.register("sinterstore", func(c *Client, argv [][]byte) { setInter(c, argv[2:], argv[1], false, 0) })
	t.register("sunion", func(c *Client, argv [][]byte) { setUnionDiff(c, argv[1:], nil, false) })
	t.register("sunionstore", func(c *Client, argv [][]byte) { setUnionDiff(c, argv[2:], argv[1], false) })
	t.register("sdiff", func(c *Client, argv [][]byte) { setUnionDiff(c, argv[1:], nil, true) })
	t.register("sdiffstore", func(c *Client, argv [][]byte) { setUnionDiff(c, argv[2:], argv[1], true) })
	t.register("sscan", cmdSScan)
}

const (
	errPositive        = "ERR value is out of range, must be positive"
	errRandCountRange  = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errNumKeysPositive = "ERR numkeys should be greater than 0"
	errNumKeysTooMany  = "ERR Number of keys can't be greater than number of args"
	errLimitNegative   = "ERR LIMIT can't be negative"
)

// setSmallRead is the size up to which a random draw reads the whole set:
// cheaper than the dozen seeks of a setPicker draw.
const setSmallRead = 128

// maxIntsetEntries is set-max-intset-entries with Redis's cap of 2^30.
func maxIntsetEntries(c *Client) uint64 {
	n := c.srv.cfg.SetMaxIntsetEntries
	if n < 0 {
		n = 0
	}
	return min(uint64(n), 1<<30)
}

// intsetMember reports whether Redis can keep member in an intset.
func intsetMember(member []byte) bool {
	_, ok := parseInt(member)
	return ok
}

// setAdd adds member to co and reports whether it was new, converting the
// set to a hashtable when Redis's setTypeAdd would.
func setAdd(co *coll, member []byte, maxIntset uint64) bool {
	if co.has(member) {
		return false
	}
	co.put(member, nil)
	co.m.Count++
	if !co.big() && (co.m.Count > maxIntset || !intsetMember(member)) {
		co.setBig()
	}
	return true
}

// setEncodeFor sets the encoding Redis gives a set it builds from scratch
// holding members (an intset that members are added to one by one).
func setEncodeFor(co *coll, members [][]byte, maxIntset uint64) {
	big := uint64(len(members)) > maxIntset
	for i := 0; !big && i < len(members); i++ {
		big = !intsetMember(members[i])
	}
	if big {
		co.setBig()
	} else {
		co.m.Tail = nil
	}
}

// setMembers returns copies of every member of co, in sub-key order.
func setMembers(co *coll) [][]byte {
	if !co.exists {
		return nil
	}
	out := make([][]byte, 0, min(co.Len(), 1<<16))
	it := co.iter(nil, nil)
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, bytes.Clone(co.sub(it.Key())))
	}
	closeIter(it)
	return out
}

// setStore replaces dst with a set of members (sorted or not, no
// duplicates), or deletes it when members is empty, and replies with the
// new size: the tail of every xxxSTORE command.
func setStore(c *Client, dst []byte, members [][]byte, event string) {
	ks := c.srv.ks
	existed := ks.Delete(c.db, dst)
	if len(members) == 0 {
		if existed {
			c.srv.notifyLocked(notifyGeneric, "del", c.db, dst)
		}
		c.ReplyInt(0)
		return
	}
	co, _ := ks.lookupColl(c.db, dst, storage.TypeSet, true)
	for _, m := range members {
		co.put(m, nil)
	}
	co.m.Count = uint64(len(members))
	setEncodeFor(co, members, maxIntsetEntries(c))
	c.srv.saveStoredLocked(co, existed)
	c.srv.notifyLocked(notifySet, event, c.db, dst)
	c.ReplyInt(int64(len(members)))
}

// ---- single-key commands ------------------------------------------------------

func cmdSAdd(c *Client, argv [][]byte) {
	co := openColl(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	maxIntset := maxIntsetEntries(c)
	var added int64
	for _, m := range argv[2:] {
		if setAdd(co, m, maxIntset) {
			added++
		}
	}
	if added > 0 {
		co.save()
		c.srv.notifyLocked(notifySet, "sadd", c.db, argv[1])
	}
	c.ReplyInt(added)
}

func cmdSRem(c *Client, argv [][]byte) {
	co := openColl(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	var removed int64
	for _, m := range argv[2:] {
		if co.m.Count == 0 {
			break
		}
		if co.has(m) {
			co.del(m)
			co.m.Count--
			removed++
		}
	}
	if removed > 0 {
		co.save()
		c.srv.notifyCollLocked(notifySet, "srem", co)
	}
	c.ReplyInt(removed)
}

func cmdSCard(c *Client, argv [][]byte) {
	if co := openCollRead(c, argv[1], storage.TypeSet); co != nil {
		c.ReplyInt(co.Len())
	}
}

func cmdSIsMember(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	if co.has(argv[2]) {
		c.ReplyInt(1)
	} else {
		c.ReplyInt(0)
	}
}

func cmdSMIsMember(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	c.ReplyArrayLen(len(argv) - 2)
	for _, m := range argv[2:] {
		if co.has(m) {
			c.ReplyInt(1)
		} else {
			c.ReplyInt(0)
		}
	}
}

// cmdSMembers is SINTER of one key, as in Redis 7.0 (a set in RESP3),
// streamed rather than collected first.
func cmdSMembers(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	n := co.Len()
	c.ReplySetLen(int(n))
	if n == 0 {
		return
	}
	it := co.iter(nil, nil)
	for ok := it.First(); ok; ok = it.Next() {
		if n--; n < 0 {
			break
		}
		c.ReplyBulk(co.sub(it.Key()))
	}
	closeIter(it)
	if n != 0 {
		// The reply promised Count members: a mismatch is a broken record.
		panic(storageError{storage.ErrCorrupt})
	}
}

// cmdSMove follows smoveCommand: both keys are looked up first, a missing
// source answers 0 before either type is checked, and moving within one
// key only tests membership.
func cmdSMove(c *Client, argv [][]byte) {
	ks := c.srv.ks
	member := argv[3]
	src, srcWrong := ks.lookupColl(c.db, argv[1], storage.TypeSet, true)
	dst, dstWrong := ks.lookupColl(c.db, argv[2], storage.TypeSet, true)
	if !srcWrong && !src.exists {
		c.ReplyInt(0)
		return
	}
	if srcWrong || dstWrong {
		c.ReplyError(errWrongType)
		return
	}
	if bytes.Equal(argv[1], argv[2]) {
		if src.has(member) {
			c.ReplyInt(1)
		} else {
			c.ReplyInt(0)
		}
		return
	}
	if !src.has(member) {
		c.ReplyInt(0)
		return
	}
	src.del(member)
	src.m.Count--
	src.save()
	c.srv.notifyCollLocked(notifySet, "srem", src)
	if setAdd(dst, member, maxIntsetEntries(c)) {
		dst.save()
		c.srv.notifyLocked(notifySet, "sadd", c.db, argv[2])
	}
	c.ReplyInt(1)
}

func cmdSScan(c *Client, argv [][]byte) {
	scanCollection(c, argv, storage.TypeSet, nil, func(items [][]byte, _ *coll, member, _ []byte) [][]byte {
		return append(items, member)
	})
}

// ---- random members -------------------------------------------------------------

// setPicker draws random members of a set by seeks, without reading it:
// it descends the members' byte trie, at each branching point choosing
// uniformly among the distinct next bytes (and the member that ends
// there, if any). Members in thinly populated branches come up more often
// than in a uniform draw, much as Redis's own bucket-based draws favour
// members of short chains; every member can come up.
type setPicker struct {
	co *coll
	it storage.Iterator
}

func newSetPicker(co *coll) *setPicker { return &setPicker{co: co, it: co.iter(nil, nil)} }

// close closes the iterator; call it before writing to the set.
func (p *setPicker) close() { closeIter(p.it) }

// pick returns a copy of a random member, or nil when the set is empty.
func (p *setPicker) pick() []byte {
	m, _, _ := trieDraw(p.it, p.co.prefix)
	return m
}

// setRandomMember returns one random member of a non-empty set.
func setRandomMember(co *coll) []byte {
	if co.Len() <= setSmallRead {
		all := setMembers(co)
		return all[rand.IntN(len(all))]
	}
	p := newSetPicker(co)
	m := p.pick()
	p.close()
	return m
}

// setSample returns n distinct random members of co, 0 < n < co.Len().
func setSample(co *coll, n int64) [][]byte {
	size := co.Len()
	if size > setSmallRead && n*3 <= size {
		p := newSetPicker(co)
		seen := make(map[string]struct{}, n)
		out := make([][]byte, 0, n)
		// The picker is not uniform, so a draw can keep hitting members
		// already taken: past a budget, sample from the whole set instead.
		for tries := 3*n + 64; int64(len(out)) < n && tries > 0; tries-- {
			m := p.pick()
			if _, dup := seen[string(m)]; !dup {
				seen[string(m)] = struct{}{}
				out = append(out, m)
			}
		}
		p.close()
		if int64(len(out)) == n {
			return out
		}
	}
	all := setMembers(co)
	for i := int64(0); i < n; i++ {
		j := i + rand.Int64N(int64(len(all))-i)
		all[i], all[j] = all[j], all[i]
	}
	return all[:n]
}

// cmdSPop follows spopCommand and spopWithCountCommand: the count is
// checked before the key, and popping everything deletes the key.
func cmdSPop(c *Client, argv [][]byte) {
	if len(argv) > 3 {
		c.ReplyError(errSyntax)
		return
	}
	if len(argv) == 3 {
		spopWithCount(c, argv)
		return
	}
	co := openColl(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyNull()
		return
	}
	m := setRandomMember(co)
	co.del(m)
	co.m.Count--
	co.save()
	c.srv.notifyCollLocked(notifySet, "spop", co)
	c.propagate(propSrem, argv[1], m)
	c.ReplyBulk(m)
}

func spopWithCount(c *Client, argv [][]byte) {
	count, ok := parseInt(argv[2])
	if !ok || count < 0 {
		c.ReplyError(errPositive)
		return
	}
	co := openColl(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	if !co.exists || count == 0 {
		c.ReplySetLen(0)
		return
	}
	size := co.Len()
	if count >= size {
		// Redis answers this case with SUNION's code, which counts a
		// keyspace hit.
		c.srv.stats.keyspaceHits++
		all := setMembers(co)
		c.srv.ks.Delete(c.db, argv[1])
		c.srv.notifyLocked(notifySet, "spop", c.db, argv[1])
		c.srv.notifyLocked(notifyGeneric, "del", c.db, argv[1])
		c.propagate(propDel, argv[1])
		c.ReplySetLen(len(all))
		for _, m := range all {
			c.ReplyBulk(m)
		}
		return
	}
	popped := setSample(co, count)
	for _, m := range popped {
		co.del(m)
	}
	remaining := size - count
	co.m.Count = uint64(remaining)
	// When few members stay, Redis builds a new set of them (its CASE 3)
	// whose encoding follows what is left: a hashtable of integers can
	// come back as an intset.
	if maxIntset := maxIntsetEntries(c); remaining*5 <= count && co.big() && uint64(remaining) <= maxIntset {
		setEncodeFor(co, setMembers(co), maxIntset)
	}
	co.save()
	c.srv.notifyLocked(notifySet, "spop", c.db, argv[1])
	// One SREM per member, as Redis 7.0 propagates them (in MULTI/EXEC).
	c.propagateNothing()
	for _, m := range popped {
		c.propagate(propSrem, argv[1], m)
	}
	c.ReplySetLen(len(popped))
	for _, m := range popped {
		c.ReplyBulk(m)
	}
}

// cmdSRandMember follows srandmemberCommand and
// srandmemberWithCountCommand: a negative count may repeat members, a
// positive one returns distinct members, at most the whole set.
func cmdSRandMember(c *Client, argv [][]byte) {
	if len(argv) > 3 {
		c.ReplyError(errSyntax)
		return
	}
	if len(argv) == 3 {
		srandmemberWithCount(c, argv)
		return
	}
	co := openCollRead(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyNull()
		return
	}
	c.ReplyBulk(setRandomMember(co))
}

func srandmemberWithCount(c *Client, argv [][]byte) {
	count, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if count == math.MinInt64 {
		c.ReplyError(errRandCountRange)
		return
	}
	co := openCollRead(c, argv[1], storage.TypeSet)
	if co == nil {
		return
	}
	if !co.exists || count == 0 {
		c.ReplyArrayLen(0)
		return
	}
	size := co.Len()
	if count < 0 || count == 1 {
		n := count
		if n < 0 {
			n = -n
		}
		c.ReplyArrayLen(int(n))
		if n > 1 && c.suppressed() {
			return // CLIENT REPLY OFF: the draws would have no effect
		}
		// A huge count stops early, closing the connection (see
		// repeatedReplyTooBig).
		if size <= setSmallRead || n >= size/4 {
			all := setMembers(co)
			for i := int64(1); i <= n && (i&1023 != 0 || !repeatedReplyTooBig(c)); i++ {
				c.ReplyBulk(all[rand.IntN(len(all))])
			}
			return
		}
		p := newSetPicker(co)
		for i := int64(1); i <= n && (i&1023 != 0 || !repeatedReplyTooBig(c)); i++ {
			c.ReplyBulk(p.pick())
		}
		p.close()
		return
	}
	var out [][]byte
	if count >= size {
		out = setMembers(co)
	} else {
		out = setSample(co, count)
	}
	c.ReplyBulks(out)
}

// ---- multi-key commands ---------------------------------------------------------

// setOpenSources looks keys up in order, as Redis's multi-set commands
// do, stopping at the first key of another type (after replying
// WRONGTYPE, with ok false). Missing keys give nil entries.
func setOpenSources(c *Client, keys [][]byte) (sets []*coll, ok bool) {
	sets = make([]*coll, len(keys))
	for i, k := range keys {
		co := openCollRead(c, k, storage.TypeSet)
		if co == nil {
			return nil, false
		}
		if co.exists {
			sets[i] = co
		}
	}
	return sets, true
}

// setInter is SINTER, SMEMBERS, SINTERSTORE (dst set) and SINTERCARD
// (cardOnly, stopping at limit when it is not 0), after
// sinterGenericCommand: a missing key empties the result; otherwise the
// smallest set is walked and each member probed in the others.
func setInter(c *Client, keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	sets, ok := setOpenSources(c, keys)
	if !ok {
		return
	}
	if slices.Contains(sets, nil) {
		switch {
		case dst != nil:
			setStore(c, dst, nil, "sinterstore")
		case cardOnly:
			c.ReplyInt(0)
		default:
			c.ReplySetLen(0)
		}
		return
	}
	slices.SortStableFunc(sets, func(a, b *coll) int {
		switch {
		case a.Len() < b.Len():
			return -1
		case a.Len() > b.Len():
			return 1
		}
		return 0
	})
	first := sets[0]
	var out [][]byte
	var card int64
	it := first.iter(nil, nil)
	for ok := it.First(); ok; ok = it.Next() {
		m := first.sub(it.Key())
		in := true
		for _, other := range sets[1:] {
			if bytes.Equal(other.key, first.key) {
				continue
			}
			if !other.has(m) {
				in = false
				break
			}
		}
		if !in {
			continue
		}
		card++
		if cardOnly {
			if limit != 0 && card >= limit {
				break
			}
			continue
		}
		out = append(out, bytes.Clone(m))
	}
	closeIter(it)
	switch {
	case cardOnly:
		c.ReplyInt(card)
	case dst != nil:
		setStore(c, dst, out, "sinterstore")
	default:
		c.ReplySetLen(len(out))
		for _, m := range out {
			c.ReplyBulk(m)
		}
	}
}

// cmdSInterCard is SINTERCARD numkeys key [key ...] [LIMIT limit].
func cmdSInterCard(c *Client, argv [][]byte) {
	numkeys, ok := parseInt(argv[1])
	if !ok || numkeys < 1 {
		c.ReplyError(errNumKeysPositive)
		return
	}
	if numkeys > int64(len(argv)-2) {
		c.ReplyError(errNumKeysTooMany)
		return
	}
	var limit int64
	for j := 2 + int(numkeys); j < len(argv); j++ {
		if equalFold(argv[j], "limit") && j+1 < len(argv) {
			j++
			l, ok := parseInt(argv[j])
			if !ok || l < 0 {
				c.ReplyError(errLimitNegative)
				return
			}
			limit = l
			continue
		}
		c.ReplyError(errSyntax)
		return
	}
	setInter(c, argv[2:2+numkeys], nil, true, limit)
}

// setUnionDiff is SUNION, SDIFF and their STORE forms, after
// sunionDiffGenericCommand.
func setUnionDiff(c *Client, keys [][]byte, dst []byte, diff bool) {
	sets, ok := setOpenSources(c, keys)
	if !ok {
		return
	}
	var out [][]byte
	if diff {
		out = setDiff(keys, sets)
	} else {
		seen := map[string]struct{}{}
		for _, co := range sets {
			if co == nil {
				continue
			}
			it := co.iter(nil, nil)
			for ok := it.First(); ok; ok = it.Next() {
				m := co.sub(it.Key())
				if _, dup := seen[string(m)]; !dup {
					seen[string(m)] = struct{}{}
					out = append(out, bytes.Clone(m))
				}
			}
			closeIter(it)
		}
	}
	if dst != nil {
		setStore(c, dst, out, listEvent(diff, "sdiffstore", "sunionstore"))
		return
	}
	c.ReplySetLen(len(out))
	for _, m := range out {
		c.ReplyBulk(m)
	}
}

// setDiff returns the members of the first set in none of the others.
// Like Redis it picks between probing each member of the first set in the
// others (cheap when the first is small) and reading every set.
func setDiff(keys [][]byte, sets []*coll) [][]byte {
	first := sets[0]
	if first == nil {
		return nil
	}
	var others []*coll
	oneWork, twoWork := int64(0), int64(0)
	for i, co := range sets {
		if co == nil {
			continue
		}
		if i > 0 && bytes.Equal(keys[i], keys[0]) {
			return nil // A \ A is empty
		}
		oneWork += first.Len()
		twoWork += co.Len()
		if i > 0 {
			others = append(others, co)
		}
	}
	var out [][]byte
	if oneWork/2 <= twoWork {
		// Probe the biggest sets first: they are likeliest to hold a member.
		slices.SortStableFunc(others, func(a, b *coll) int {
			switch {
			case a.Len() > b.Len():
				return -1
			case a.Len() < b.Len():
				return 1
			}
			return 0
		})
		it := first.iter(nil, nil)
		for ok := it.First(); ok; ok = it.Next() {
			m := first.sub(it.Key())
			found := false
			for _, o := range others {
				if o.has(m) {
					found = true
					break
				}
			}
			if !found {
				out = append(out, bytes.Clone(m))
			}
		}
		closeIter(it)
		return out
	}
	all := setMembers(first)
	idx := make(map[string]int, len(all))
	for i, m := range all {
		idx[string(m)] = i
	}
	gone := make([]bool, len(all))
	left := len(all)
	for _, o := range others {
		it := o.iter(nil, nil)
		for ok := it.First(); ok && left > 0; ok = it.Next() {
			if i, in := idx[string(o.sub(it.Key()))]; in && !gone[i] {
				gone[i] = true
				left--
			}
		}
		closeIter(it)
	}
	for i, m := range all {
		if !gone[i] {
			out = append(out, m)
		}
	}
	return out
}
