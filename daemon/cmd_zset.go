package daemon

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// Sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK
// ZREVRANK ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN here; the range commands
// (ZRANGE and its relatives, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*) in
// cmd_zsetrange.go.
//
// A member is two records (see collection.go): 'm' member -> score, which
// makes ZSCORE and ZADD of one member point reads, and the score index
// 's' score member, which iterates in Redis's order (score, then member
// bytes). The index entry's value is empty, except for a member whose
// score is -0 in a big zset: the index key stores every zero as +0 so that
// -0 and 0 sort as one score, and the value "-" keeps the sign a range
// reply must show.
//
// Redis's two encodings differ in more than OBJECT ENCODING: a listpack
// keeps an integral score as an integer, so -0 becomes 0 there, and ZSCAN
// of a listpack prints integral scores as integers (1e+17 comes back as
// "100000000000000000"). The commands reproduce both through the encoding
// flag (coll.big), which they set exactly when Redis converts: when a new
// member would make the zset longer than zset-max-listpack-entries or is
// longer than zset-max-listpack-value.

func init() { registrations = append(registrations, registerZsetCommands) }

func registerZsetCommands(t *commandTable) {
	t.register("zadd", func(c *Client, argv [][]byte) { zaddGeneric(c, argv, false) })
	t.register("zincrby", func(c *Client, argv [][]byte) { zaddGeneric(c, argv, true) })
	t.register("zrem", cmdZrem)
	t.register("zcard", cmdZcard)
	t.register("zscore", cmdZscore)
	t.register("zmscore", cmdZmscore)
	t.register("zrank", func(c *Client, argv [][]byte) { zrankGeneric(c, argv, false) })
	t.register("zrevrank", func(c *Client, argv [][]byte) { zrankGeneric(c, argv, true) })
	t.register("zpopmin", func(c *Client, argv [][]byte) { zpopGeneric(c, argv, true) })
	t.register("zpopmax", func(c *Client, argv [][]byte) { zpopGeneric(c, argv, false) })
	t.register("zmpop", cmdZmpop)
	t.register("zrandmember", cmdZrandmember)
	t.register("zscan", cmdZscan)
	registerZsetRangeCommands(t)
}

// Error texts of the sorted-set commands, exactly as Redis 7.0 sends them.
const (
	errZsetNaN         = "ERR resulting score is not a number (NaN)"
	errZaddXXNX        = "ERR XX and NX options at the same time are not compatible"
	errZaddGTLTNX      = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZaddIncrPair    = "ERR INCR option supports a single increment-element pair"
	errZsetNumkeys     = "ERR numkeys should be greater than 0"
	errZsetCount       = "ERR count should be greater than 0"
	errZrandRange      = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errZrandOutOfRange = "ERR value is out of range"
)

// ---- storage -------------------------------------------------------------------

// zsetIndexPrefix is the sub-key prefix of the score index.
var zsetIndexPrefix = []byte{'s'}

// zsetNegZero is the score-index value marking a -0 score.
var zsetNegZero = []byte{'-'}

// zsetScoreOf reads member's score: one point read.
func zsetScoreOf(co *coll, member []byte) (float64, bool) {
	if co.kbuf == nil {
		// One allocation for every store key this command builds.
		co.kbuf = make([]byte, 0, len(co.prefix)+len(member)+32)
	}
	var buf [64]byte
	v, ok := co.get(zsetMemberSub(buf[:0], member))
	if !ok {
		return 0, false
	}
	return decodeScore(v), true
}

// zsetWrite writes member's score record and index entry.
func zsetWrite(co *coll, member []byte, score float64) {
	var buf [64]byte
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], math.Float64bits(score))
	co.put(zsetMemberSub(buf[:0], member), v[:])
	var iv []byte
	if score == 0 && math.Signbit(score) {
		iv = zsetNegZero
	}
	co.put(zsetScoreSub(buf[:0], score, member), iv)
}

// zsetInsert adds member, which co does not hold, the way Redis's zsetAdd
// does: a compact zset that the new member would take past
// zset-max-listpack-entries, or whose new member is longer than
// zset-max-listpack-value, converts first; a compact one stores -0 as 0.
func zsetInsert(c *Client, co *coll, member []byte, score float64) {
	if !co.big() {
		cfg := c.srv.cfg
		if co.Len()+1 > int64(cfg.ZsetMaxListpackEntries) || int64(len(member)) > int64(cfg.ZsetMaxListpackValue) {
			co.setBig()
		} else if score == 0 {
			score = 0
		}
	}
	zsetWrite(co, member, score)
	co.m.Count++
	var buf [64]byte
	zsetFenceNote(co, zsetScoreSub(buf[:0], score, member), 1)
}

// zsetUpdate moves an existing member from score old to score score.
func zsetUpdate(co *coll, member []byte, old, score float64) {
	var buf [64]byte
	sub := zsetScoreSub(buf[:0], old, member)
	co.del(sub)
	zsetFenceNote(co, sub, -1)
	if !co.big() && score == 0 {
		score = 0
	}
	zsetWrite(co, member, score)
	zsetFenceNote(co, zsetScoreSub(buf[:0], score, member), 1)
}

// zsetDelete removes an existing member whose score is score.
func zsetDelete(co *coll, member []byte, score float64) {
	var buf [64]byte
	co.del(zsetMemberSub(buf[:0], member))
	sub := zsetScoreSub(buf[:0], score, member)
	co.del(sub)
	co.m.Count--
	zsetFenceNote(co, sub, -1)
}

// zsetIndexIter iterates co's score index. Close it with closeIter.
func zsetIndexIter(co *coll) storage.Iterator { return co.iterPrefix(zsetIndexPrefix) }

// zsetEntryMember is the member of the index entry under it (aliasing the
// iterator's key).
func zsetEntryMember(co *coll, it storage.Iterator) []byte {
	return it.Key()[len(co.prefix)+9:]
}

// zsetEntry decodes the index entry under it; member aliases the
// iterator's key.
func zsetEntry(co *coll, it storage.Iterator) (member []byte, score float64) {
	score, member = parseZsetScoreSub(co.sub(it.Key()))
	if score == 0 {
		if v := it.Value(); len(v) > 0 && v[0] == '-' {
			score = math.Copysign(0, -1)
		}
	}
	return member, score
}

// zsetEntries holds members and scores copied out of an iterator, in one
// arena.
type zsetEntries struct {
	arena  []byte
	ends   []int
	scores []float64
}

func (e *zsetEntries) add(member []byte, score float64) {
	e.arena = append(e.arena, member...)
	e.ends = append(e.ends, len(e.arena))
	e.scores = append(e.scores, score)
}

func (e *zsetEntries) len() int { return len(e.ends) }

// member returns the i'th member (aliasing the arena).
func (e *zsetEntries) member(i int) []byte {
	start := 0
	if i > 0 {
		start = e.ends[i-1]
	}
	return e.arena[start:e.ends[i]:e.ends[i]]
}

// zsetPop removes up to count (>= 1) members with the lowest (min) or highest scores from the existing zset co and returns them with their scores, in pop order; it calls co.save().
func zsetPop(co *coll, min bool, count int64) (members [][]byte, scores []float64) {
	if count > co.Len() {
		count = co.Len()
	}
	var got zsetEntries
	it := zsetIndexIter(co)
	var ok bool
	if min {
		ok = it.First()
	} else {
		ok = it.Last()
	}
	for ; ok && int64(got.len()) < count; ok = zsetStep(it, min) {
		got.add(zsetEntry(co, it))
	}
	closeIter(it)
	members = make([][]byte, got.len())
	for i := range members {
		members[i] = got.member(i)
		zsetDelete(co, members[i], got.scores[i])
	}
	co.save()
	return members, got.scores
}

// zsetStep moves it forward (fwd) or backward.
func zsetStep(it storage.Iterator, fwd bool) bool {
	if fwd {
		return it.Next()
	}
	return it.Prev()
}

// ---- replies -------------------------------------------------------------------

// replyZPop writes the reply of ZPOPMIN/ZPOPMAX (key nil) or of
// BZPOPMIN/BZPOPMAX (key first): a flat array member, score, ... or, when
// nested (RESP3 with a COUNT), an array of [member, score] pairs.
func replyZPop(c *Client, key []byte, members [][]byte, scores []float64, nested bool) {
	n := len(members)
	switch {
	case key != nil:
		c.ReplyArrayLen(2*n + 1)
		c.ReplyBulk(key)
	case nested:
		c.ReplyArrayLen(n)
	default:
		c.ReplyArrayLen(2 * n)
	}
	for i, m := range members {
		if nested {
			c.ReplyArrayLen(2)
		}
		c.ReplyBulk(m)
		c.ReplyDouble(scores[i])
	}
}

// replyZMPop writes the reply of ZMPOP and BZMPOP: [key, [[member, score],
// ...]] in both protocols.
func replyZMPop(c *Client, key []byte, members [][]byte, scores []float64) {
	c.ReplyArrayLen(2)
	c.ReplyBulk(key)
	c.ReplyArrayLen(len(members))
	for i, m := range members {
		c.ReplyArrayLen(2)
		c.ReplyBulk(m)
		c.ReplyDouble(scores[i])
	}
}

// replyScoredLen starts an array of n members, with their scores when
// withScores: flat (2n) in RESP2, n [member, score] pairs in RESP3.
func replyScoredLen(c *Client, n int, withScores bool) {
	if withScores && c.proto == 2 {
		n *= 2
	}
	c.ReplyArrayLen(n)
}

// replyScored writes one element of an array started by replyScoredLen.
func replyScored(c *Client, member []byte, score float64, withScores bool) {
	if !withScores {
		c.ReplyBulk(member)
		return
	}
	if c.proto > 2 {
		c.ReplyArrayLen(2)
	}
	c.ReplyBulk(member)
	c.ReplyDouble(score)
}

// ---- ZADD ZINCRBY ZREM -----------------------------------------------------------

// zaddGeneric is ZADD and ZINCRBY (incr), Redis's zaddGenericCommand:
// options, then score/member pairs; every score is parsed before the key
// is touched, so a bad one changes nothing.
func zaddGeneric(c *Client, argv [][]byte, incr bool) {
	var nx, xx, gt, lt, ch bool
	i := 2
options:
	for ; i < len(argv); i++ {
		a := argv[i]
		switch {
		case equalFold(a, "nx"):
			nx = true
		case equalFold(a, "xx"):
			xx = true
		case equalFold(a, "ch"):
			ch = true
		case equalFold(a, "incr"):
			incr = true
		case equalFold(a, "gt"):
			gt = true
		case equalFold(a, "lt"):
			lt = true
		default:
			break options
		}
	}
	elements := len(argv) - i
	if elements%2 != 0 || elements == 0 {
		c.ReplyError(errSyntax)
		return
	}
	elements /= 2
	switch {
	case nx && xx:
		c.ReplyError(errZaddXXNX)
		return
	case (gt && nx) || (lt && nx) || (gt && lt):
		c.ReplyError(errZaddGTLTNX)
		return
	case incr && elements > 1:
		c.ReplyError(errZaddIncrPair)
		return
	}
	var scoreBuf [8]float64
	scores := scoreBuf[:0]
	for j := 0; j < elements; j++ {
		f, ok := parseScore(argv[i+2*j])
		if !ok {
			c.ReplyError(errNotFloat)
			return
		}
		scores = append(scores, f)
	}
	co := openColl(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	var added, updated, processed int64
	var newScore float64
	if co.exists || !xx {
		for j, score := range scores {
			member := argv[i+2*j+1]
			cur, exists := zsetScoreOf(co, member)
			switch {
			case exists:
				if nx {
					continue
				}
				if incr {
					if score += cur; math.IsNaN(score) {
						// INCR takes one pair, so nothing has changed.
						c.ReplyError(errZsetNaN)
						return
					}
				}
				if (lt && score >= cur) || (gt && score <= cur) {
					continue
				}
				newScore = score
				processed++
				if score != cur {
					zsetUpdate(co, member, cur, score)
					updated++
				}
			case !xx:
				zsetInsert(c, co, member, score)
				newScore = score
				added++
				processed++
			}
		}
	}
	if added > 0 {
		co.save()
	} else if updated > 0 {
		// Scores changed, the meta record did not.
		c.srv.ks.changes++
	}
	if added+updated > 0 {
		c.srv.notifyLocked(notifyZset, listEvent(incr, "zincr", "zadd"), c.db, argv[1])
	}
	switch {
	case !incr && ch:
		c.ReplyInt(added + updated)
	case !incr:
		c.ReplyInt(added)
	case processed > 0:
		c.ReplyDouble(newScore)
	default:
		c.ReplyNull()
	}
}

func cmdZrem(c *Client, argv [][]byte) {
	co := openColl(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	var deleted int64
	if co.exists {
		for _, member := range argv[2:] {
			if score, ok := zsetScoreOf(co, member); ok {
				zsetDelete(co, member, score)
				deleted++
				if co.Len() == 0 {
					break
				}
			}
		}
		if deleted > 0 {
			co.save()
			c.srv.notifyCollLocked(notifyZset, "zrem", co)
		}
	}
	c.ReplyInt(deleted)
}

// ---- reads ---------------------------------------------------------------------

func cmdZcard(c *Client, argv [][]byte) {
	m, ok := c.srv.ks.Lookup(c.db, argv[1])
	countLookup(c, argv[1], ok)
	switch {
	case !ok:
		c.ReplyInt(0)
	case m.Type != storage.TypeZSet:
		c.ReplyError(errWrongType)
	default:
		c.ReplyInt(int64(m.Count))
	}
}

func cmdZscore(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	if score, ok := zsetScoreOf(co, argv[2]); ok {
		c.ReplyDouble(score)
	} else {
		c.ReplyNull()
	}
}

func cmdZmscore(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	c.ReplyArrayLen(len(argv) - 2)
	for _, member := range argv[2:] {
		if score, ok := zsetScoreOf(co, member); ok {
			c.ReplyDouble(score)
		} else {
			c.ReplyNull()
		}
	}
}

// zrankGeneric is ZRANK and ZREVRANK. The member's score is a point read;
// its rank is then counted on the score index (zsetKeysBelow):
// O(min(rank, N-rank)), where Redis's skiplist spans give O(log N).
func zrankGeneric(c *Client, argv [][]byte, rev bool) {
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	member := argv[2]
	score, ok := zsetScoreOf(co, member)
	if !ok {
		c.ReplyNull()
		return
	}
	rank := zsetKeysBelow(co, co.seekKey(zsetScoreSub(nil, score, member)))
	if rev {
		rank = co.Len() - 1 - rank
	}
	c.ReplyInt(rank)
}

// zsetKeysBelow counts the score-index entries that sort before key (see
// zsetBelow, and zsetfence.go for sets with fences).
func zsetKeysBelow(co *coll, key []byte) int64 {
	if co.fenced() {
		return zsetFencedBelow(co, key)
	}
	b := newZsetBelow(co, key)
	defer b.close()
	for !b.step() {
	}
	return b.n
}

// zsetBelow counts the score-index entries that sort before key from both
// ends at once: one iterator counts up from the lowest entry, another down
// from the highest, in step, and whichever reaches key first answers
// (with the member count). So a rank near either end, the common case of
// leaderboards, costs little; the middle of a zset of N costs N steps,
// against N/2 reading from the start alone. step advances both once and
// reports whether n holds the answer.
type zsetBelow struct {
	up, down     storage.Iterator
	okUp, okDown bool
	key          []byte
	i, count     int64
	n            int64
	done         bool
}

func newZsetBelow(co *coll, key []byte) *zsetBelow {
	return newZsetBelowIn(co, key, zsetIndexPrefix, nil, co.Len())
}

// newZsetBelowIn is zsetBelow over the count index entries whose sub keys
// lie in [lower, upper) (upper nil: to the end).
func newZsetBelowIn(co *coll, key, lower, upper []byte, count int64) *zsetBelow {
	b := &zsetBelow{key: key, count: count}
	if !co.exists || b.count == 0 {
		b.done = true
		return b
	}
	b.up, b.down = co.iter(lower, upper), co.iter(lower, upper)
	b.okUp, b.okDown = b.up.First(), b.down.Last()
	return b
}

func (b *zsetBelow) step() bool {
	switch {
	case b.done:
	case !b.okUp && !b.okDown:
		b.done = true // fewer entries than counted: report what was seen
		b.n = b.i
	// up stands on the i-th entry, down on the (count-1-i)-th.
	case b.okUp && bytes.Compare(b.up.Key(), b.key) >= 0:
		b.done, b.n = true, b.i
	case b.okDown && bytes.Compare(b.down.Key(), b.key) < 0:
		b.done, b.n = true, b.count-b.i
	default:
		if b.okUp {
			b.okUp = b.up.Next()
		}
		if b.okDown {
			b.okDown = b.down.Prev()
		}
		b.i++
	}
	return b.done
}

func (b *zsetBelow) close() {
	if b.up != nil {
		closeIter(b.up)
		closeIter(b.down)
		b.up, b.down = nil, nil
	}
}

// ---- pops ----------------------------------------------------------------------

// zpopGeneric is ZPOPMIN and ZPOPMAX key [count].
func zpopGeneric(c *Client, argv [][]byte, min bool) {
	if len(argv) > 3 {
		c.ReplyError(errSyntax)
		return
	}
	count := int64(-1)
	if len(argv) == 3 {
		n, ok := parseInt(argv[2])
		if !ok || n < 0 {
			c.ReplyError(errPositive)
			return
		}
		count = n
	}
	co := openColl(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	if !co.exists || count == 0 {
		c.ReplyArrayLen(0)
		return
	}
	members, scores := zsetPop(co, min, max(count, 1))
	c.srv.notifyCollLocked(notifyZset, listEvent(min, "zpopmin", "zpopmax"), co)
	replyZPop(c, nil, members, scores, c.proto > 2 && count != -1)
}

// cmdZmpop is ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: it pops
// from the first of the keys that exists.
func cmdZmpop(c *Client, argv [][]byte) {
	min, count, ok := parseZmpopArgs(c, argv, 1)
	if !ok {
		return
	}
	numkeys, _ := parseInt(argv[1])
	for _, key := range argv[2 : 2+numkeys] {
		co := openColl(c, key, storage.TypeZSet)
		if co == nil {
			return
		}
		if co.exists {
			members, scores := zsetPop(co, min, count)
			c.srv.notifyCollLocked(notifyZset, listEvent(min, "zpopmin", "zpopmax"), co)
			propagateZPop(c, key, min, len(members))
			replyZMPop(c, key, members, scores)
			return
		}
	}
	c.ReplyNullArray()
}

// parseZmpopArgs parses ZMPOP's (and BZMPOP's) numkeys, at argv[numkeysIdx],
// the keys, MIN|MAX and COUNT, replying with the error when they are bad.
// numkeys is validated so that argv[numkeysIdx+1 : numkeysIdx+1+numkeys]
// are the keys.
func parseZmpopArgs(c *Client, argv [][]byte, numkeysIdx int) (min bool, count int64, ok bool) {
	numkeys, isInt := parseInt(argv[numkeysIdx])
	if !isInt || numkeys < 1 {
		c.ReplyError(errZsetNumkeys)
		return false, 0, false
	}
	if numkeys >= int64(len(argv)-numkeysIdx-1) {
		c.ReplyError(errSyntax)
		return false, 0, false
	}
	whereIdx := numkeysIdx + int(numkeys) + 1
	switch w := argv[whereIdx]; {
	case equalFold(w, "min"):
		min = true
	case equalFold(w, "max"):
	default:
		c.ReplyError(errSyntax)
		return false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(argv); j++ {
		if count == -1 && equalFold(argv[j], "count") && j+1 < len(argv) {
			j++
			n, isInt := parseInt(argv[j])
			if !isInt || n < 1 {
				c.ReplyError(errZsetCount)
				return false, 0, false
			}
			count = n
			continue
		}
		c.ReplyError(errSyntax)
		return false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return min, count, true
}

// ---- ZSCAN ---------------------------------------------------------------------

// cmdZscan is ZSCAN key cursor [MATCH pattern] [COUNT count]. Scores come
// back as text in both protocols: "%.17g", except that a compact zset
// prints an integral score as the integer its listpack holds.
func cmdZscan(c *Client, argv [][]byte) {
	scanCollection(c, argv, storage.TypeZSet, []byte{'m'}, func(items [][]byte, co *coll, member, value []byte) [][]byte {
		return append(items, member, zsetScanScore(nil, decodeScore(value), !co.big()))
	})
}

// zsetScanScore appends score as ZSCAN prints it.
func zsetScanScore(dst []byte, score float64, compact bool) []byte {
	if compact {
		if n, ok := zsetListpackInt(score); ok {
			return strconv.AppendInt(dst, n, 10)
		}
	}
	return append(dst, resp.FormatDouble(score)...)
}

// zsetListpackInt reports whether a listpack would store score as an
// integer (Redis's double2ll): integral and within +-2^62.
func zsetListpackInt(score float64) (int64, bool) {
	const lim = float64(math.MaxInt64 / 2)
	if score < -lim || score > lim || score != math.Trunc(score) {
		return 0, false
	}
	return int64(score), true
}
