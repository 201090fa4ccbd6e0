package daemon

import (
	"bytes"
	"math"
	"strconv"

	"github.com/redoubtdb/redoubt/storage"
)

// Range commands on sorted sets: ZRANGE ZRANGESTORE ZREVRANGE
// ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZCOUNT
// ZLEXCOUNT ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX.
//
// Every range is a walk over the score index that reads only what it
// returns (plus, for LIMIT, the offset it skips): rank ranges start from
// the nearer end, score ranges seek their first score, and lex ranges,
// which Redis defines for members of equal scores, seek (score, member)
// from the score of the first (or last) member. When the scores differ the
// lex walks reproduce the listpack encoding's answer, which Redis's
// skiplist may not (its lex order over mixed scores is unspecified).

func registerZsetRangeCommands(t *commandTable) {
	t.register("zrange", func(c *Client, argv [][]byte) { zrangeGeneric(c, argv, 1, false, zrangeAuto, 0) })
	t.register("zrangestore", func(c *Client, argv [][]byte) { zrangeGeneric(c, argv, 2, true, zrangeAuto, 0) })
	t.register("zrevrange", func(c *Client, argv [][]byte) { zrangeGeneric(c, argv, 1, false, zrangeRank, -1) })
	t.register("zrangebyscore", func(c *Client, argv [][]byte) { zrangeGeneric(c, argv, 1, false, zrangeScore, 1) })
	t.register("zrevrangebyscore", func(c *Client, argv [][]byte) { zrangeGeneric(c, argv, 1, false, zrangeScore, -1) })
	t.register("zrangebylex", func(c *Client, argv [][]byte) { zrangeGeneric(c, argv, 1, false, zrangeLex, 1) })
	t.register("zrevrangebylex", func(c *Client, argv [][]byte) { zrangeGeneric(c, argv, 1, false, zrangeLex, -1) })
	t.register("zcount", cmdZcount)
	t.register("zlexcount", cmdZlexcount)
	t.register("zremrangebyrank", func(c *Client, argv [][]byte) { zremrangeGeneric(c, argv, zrangeRank) })
	t.register("zremrangebyscore", func(c *Client, argv [][]byte) { zremrangeGeneric(c, argv, zrangeScore) })
	t.register("zremrangebylex", func(c *Client, argv [][]byte) { zremrangeGeneric(c, argv, zrangeLex) })
}

const (
	errZsetMinMaxFloat = "ERR min or max is not a float"
	errZsetLexRange    = "ERR min or max not valid string range item"
	errZrangeLimit     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZrangeLexScores = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
)

// ---- parsing doubles like C ------------------------------------------------------

// cStrtod parses the longest prefix of b that glibc's strtod converts in
// the C locale: leading white space, an optional sign, then a decimal
// number with an optional exponent, a "0x" hexadecimal one with an
// optional binary exponent, "inf"/"infinity" or "nan"/"nan(chars)", in any
// case. n is the number of bytes consumed, 0 when nothing converts.
// rangeErr is strtod's ERANGE as Redis tests it: the value overflowed to
// infinity, or a non-zero number underflowed to zero.
func cStrtod(b []byte) (f float64, n int, rangeErr bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	start := i
	sign := 1
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		if b[i] == '-' {
			sign = -1
		}
		i++
	}
	switch {
	case hasPrefixFold(b[i:], "inf"):
		n = i + 3
		if hasPrefixFold(b[i:], "infinity") {
			n = i + 8
		}
		return math.Inf(sign), n, false
	case hasPrefixFold(b[i:], "nan"):
		n = i + 3
		if n < len(b) && b[n] == '(' {
			j := n + 1
			for j < len(b) && (cIsAlnum(b[j]) || b[j] == '_') {
				j++
			}
			if j < len(b) && b[j] == ')' {
				n = j + 1
			}
		}
		return math.NaN(), n, false
	}
	hex := i+1 < len(b) && b[i] == '0' && b[i+1]|0x20 == 'x'
	digit, expMark, j := cIsDigit, byte('e'), i
	if hex {
		digit, expMark, j = cIsXDigit, 'p', i+2
	}
	digits, nonzero := 0, false
	for ; j < len(b) && digit(b[j]); j++ {
		digits++
		nonzero = nonzero || b[j] != '0'
	}
	if j < len(b) && b[j] == '.' {
		for j++; j < len(b) && digit(b[j]); j++ {
			digits++
			nonzero = nonzero || b[j] != '0'
		}
	}
	if digits == 0 {
		if hex {
			// "0x" with no hex digit after it: strtod takes the "0".
			return math.Copysign(0, float64(sign)), i + 1, false
		}
		return 0, 0, false
	}
	end, hasExp := j, false
	if j < len(b) && b[j]|0x20 == expMark {
		k := j + 1
		if k < len(b) && (b[k] == '+' || b[k] == '-') {
			k++
		}
		if k < len(b) && cIsDigit(b[k]) {
			for k < len(b) && cIsDigit(b[k]) {
				k++
			}
			end, hasExp = k, true
		}
	}
	text := string(b[start:end])
	if hex && !hasExp {
		text += "p0" // Go wants the exponent C makes optional
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, 0, false // not reached: text is a well-formed literal
		}
		rangeErr = true
	}
	if f == 0 && nonzero {
		rangeErr = true
	}
	return f, end, rangeErr
}

// parseScore parses a score or increment like Redis's getDoubleFromObject
// (string2d): the whole argument, no leading space, no NaN, no overflow
// and no underflow to zero.
func parseScore(b []byte) (float64, bool) {
	if n := len(b); n > 0 && n <= 16 {
		// Integral scores, the common case, skip strconv.
		i, neg := 0, false
		if b[0] == '-' || b[0] == '+' {
			neg, i = b[0] == '-', 1
		}
		if i < n {
			var v int64
			for ; i < n && cIsDigit(b[i]); i++ {
				v = v*10 + int64(b[i]-'0')
			}
			if i == n {
				f := float64(v)
				if neg {
					f = -f
				}
				return f, true
			}
		}
	}
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	f, n, rangeErr := cStrtod(b)
	if n != len(b) || math.IsNaN(f) || (rangeErr && (f == 0 || math.IsInf(f, 0))) {
		return 0, false
	}
	return f, true
}

func cIsDigit(c byte) bool  { return '0' <= c && c <= '9' }
func cIsXDigit(c byte) bool { return cIsDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') }
func cIsAlnum(c byte) bool  { return cIsDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'z') }

// hasPrefixFold reports whether b starts with the lower-case ASCII word s,
// ignoring case.
func hasPrefixFold(b []byte, s string) bool { return len(b) >= len(s) && equalFold(b[:len(s)], s) }

// ---- ranges ----------------------------------------------------------------------

// zScoreRange is Redis's zrangespec.
type zScoreRange struct {
	min, max     float64
	minex, maxex bool
}

// parseZScoreRange parses min and max like Redis's zslParseRange: "(" makes
// a bound exclusive, the rest goes to strtod, which must stop at the end
// of the argument or at a NUL byte (Redis reads the arguments as C
// strings), and must not give NaN. An empty bound is 0.
func parseZScoreRange(min, max []byte) (r zScoreRange, ok bool) {
	if r.min, r.minex, ok = parseZScoreBound(min); !ok {
		return r, false
	}
	r.max, r.maxex, ok = parseZScoreBound(max)
	return r, ok
}

func parseZScoreBound(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex, b = true, b[1:]
	}
	f, n, _ := cStrtod(b)
	if (n < len(b) && b[n] != 0) || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

func (r *zScoreRange) gteMin(v float64) bool {
	if r.minex {
		return v > r.min
	}
	return v >= r.min
}

func (r *zScoreRange) lteMax(v float64) bool {
	if r.maxex {
		return v < r.max
	}
	return v <= r.max
}

func (r *zScoreRange) empty() bool {
	return r.min > r.max || (r.min == r.max && (r.minex || r.maxex))
}

// zLexBound is one end of a lex range: "-" (inf -1), "+" (inf 1), or a
// member, "(" exclusive or "[" inclusive.
type zLexBound struct {
	inf int8
	val []byte
	ex  bool
}

// cmp compares member v with the bound, like Redis's sdscmplex(v, bound).
func (b *zLexBound) cmp(v []byte) int {
	switch b.inf {
	case -1:
		return 1
	case 1:
		return -1
	}
	return bytes.Compare(v, b.val)
}

// zLexRange is Redis's zlexrangespec.
type zLexRange struct{ min, max zLexBound }

// parseZLexRange parses min and max like Redis's zslParseLexRange.
func parseZLexRange(min, max []byte) (r zLexRange, ok bool) {
	if r.min, ok = parseZLexBound(min); !ok {
		return r, false
	}
	r.max, ok = parseZLexBound(max)
	return r, ok
}

func parseZLexBound(b []byte) (zLexBound, bool) {
	if len(b) == 0 {
		return zLexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		// Redis tests the C string's second byte: a NUL ends it.
		if len(b) > 1 && b[1] != 0 {
			return zLexBound{}, false
		}
		inf := int8(1)
		if b[0] == '-' {
			inf = -1
		}
		return zLexBound{inf: inf, ex: true}, true
	case '(':
		return zLexBound{val: b[1:], ex: true}, true
	case '[':
		return zLexBound{val: b[1:]}, true
	}
	return zLexBound{}, false
}

func (r *zLexRange) gteMin(v []byte) bool {
	if r.min.ex {
		return r.min.cmp(v) > 0
	}
	return r.min.cmp(v) >= 0
}

func (r *zLexRange) lteMax(v []byte) bool {
	if r.max.ex {
		return r.max.cmp(v) < 0
	}
	return r.max.cmp(v) <= 0
}

// empty reports a range nothing can be in, like the test at the top of
// Redis's zslIsInLexRange (sdscmplex(min, max), where "-" and "+" are
// shared strings that compare equal only to themselves).
func (r *zLexRange) empty() bool {
	var c int
	switch {
	case r.min.inf != 0 && r.min.inf == r.max.inf:
		c = 0
	case r.min.inf == -1 || r.max.inf == 1:
		c = -1
	case r.min.inf == 1 || r.max.inf == -1:
		c = 1
	default:
		c = bytes.Compare(r.min.val, r.max.val)
	}
	return c > 0 || (c == 0 && (r.min.ex || r.max.ex))
}

// ---- walks -----------------------------------------------------------------------

// zsetEmit receives one member of a walk, which it must copy to keep.
type zsetEmit func(member []byte, score float64)

// zsetWalkRank calls fn for the members of forward ranks lo..hi (0 <= lo
// <= hi < Len), ascending, or descending when rev, with their scores
// unless noScores (then fn gets 0). It starts from the end of the index
// nearer to the range, so either end costs only the range; when that end
// is the one the output starts from, members stream straight through,
// otherwise they are buffered and emitted reversed.
func zsetWalkRank(co *coll, lo, hi int64, rev, noScores bool, fn zsetEmit) {
	n := co.Len()
	count := hi - lo + 1
	fromFront := lo <= n-1-hi || co.fenced()
	it := zsetIndexIter(co)
	defer closeIter(it)
	var ok bool
	if co.fenced() {
		ok = zsetFencedSeek(co, it, lo)
	} else if fromFront {
		ok = it.First()
		for i := int64(0); ok && i < lo; i++ {
			ok = it.Next()
		}
	} else {
		ok = it.Last()
		for i := int64(0); ok && i < n-1-hi; i++ {
			ok = it.Prev()
		}
	}
	if fromFront != rev {
		var i int64
		for ; ok && i < count; i++ {
			if noScores {
				fn(zsetEntryMember(co, it), 0)
			} else {
				fn(zsetEntry(co, it))
			}
			ok = zsetStep(it, fromFront)
		}
		if i < count {
			panic(storageError{storage.ErrCorrupt})
		}
		return
	}
	var got zsetEntries
	for i := int64(0); ok && i < count; i++ {
		got.add(zsetEntry(co, it))
		ok = zsetStep(it, fromFront)
	}
	if int64(got.len()) < count {
		panic(storageError{storage.ErrCorrupt})
	}
	for i := got.len() - 1; i >= 0; i-- {
		fn(got.member(i), got.scores[i])
	}
}

// zsetWalkScore calls fn for the members in r, in score order or reversed
// (rev), after skipping offset of them, at most limit (negative: no
// limit), like Redis's genericZrangebyscoreCommand: the offset is skipped
// without looking at scores, and a negative offset skips everything.
func zsetWalkScore(co *coll, r *zScoreRange, offset, limit int64, rev bool, fn zsetEmit) {
	if offset < 0 || limit == 0 || r.empty() {
		return
	}
	it := zsetIndexIter(co)
	defer closeIter(it)
	var ok bool
	switch {
	case !rev && r.minex:
		ok = it.SeekGE(co.seekKey(storage.PrefixEnd(zsetScorePrefix(nil, r.min))))
	case !rev:
		ok = it.SeekGE(co.seekKey(zsetScorePrefix(nil, r.min)))
	case r.maxex:
		ok = it.SeekLT(co.seekKey(zsetScorePrefix(nil, r.max)))
	default:
		ok = it.SeekLT(co.seekKey(storage.PrefixEnd(zsetScorePrefix(nil, r.max))))
	}
	for ; ok && offset > 0; offset-- {
		ok = zsetStep(it, !rev)
	}
	for ; ok && limit != 0; limit-- {
		member, score := zsetEntry(co, it)
		if (!rev && !r.lteMax(score)) || (rev && !r.gteMin(score)) {
			break
		}
		fn(member, score)
		ok = zsetStep(it, !rev)
	}
}

// zsetWalkLex is zsetWalkScore for a lex range, following Redis's listpack
// walk: the range must overlap [first member, last member]; the walk
// starts at the first member (from the end: the last) inside its near
// bound, seeking (score of the first member, min) to get there, then skips
// offset and goes on while members stay inside the far bound.
func zsetWalkLex(co *coll, r *zLexRange, offset, limit int64, rev bool, fn zsetEmit) {
	if offset < 0 || limit == 0 || r.empty() {
		return
	}
	it := zsetIndexIter(co)
	defer closeIter(it)
	if !it.Last() {
		return
	}
	last, lastScore := zsetEntry(co, it)
	if !r.gteMin(last) || !it.First() {
		return
	}
	first, firstScore := zsetEntry(co, it)
	if !r.lteMax(first) {
		return
	}
	var ok bool
	var member []byte
	if !rev {
		if r.min.inf == 0 {
			ok = it.SeekGE(co.seekKey(zsetScoreSub(nil, firstScore, r.min.val)))
		} else {
			ok = it.First()
		}
		for ; ok; ok = it.Next() {
			if member, _ = zsetEntry(co, it); r.gteMin(member) {
				break
			}
		}
		if !ok || !r.lteMax(member) {
			return
		}
	} else {
		if r.max.inf == 0 {
			ok = it.SeekLT(co.seekKey(append(zsetScoreSub(nil, lastScore, r.max.val), 0)))
		} else {
			ok = it.Last()
		}
		for ; ok; ok = it.Prev() {
			if member, _ = zsetEntry(co, it); r.lteMax(member) {
				break
			}
		}
		if !ok || !r.gteMin(member) {
			return
		}
	}
	for ; ok && offset > 0; offset-- {
		ok = zsetStep(it, !rev)
	}
	for ; ok && limit != 0; limit-- {
		member, score := zsetEntry(co, it)
		if (!rev && !r.lteMax(member)) || (rev && !r.gteMin(member)) {
			break
		}
		fn(member, score)
		ok = zsetStep(it, !rev)
	}
}

// ---- ZRANGE and relatives --------------------------------------------------------

type zrangeKind uint8

const (
	zrangeAuto zrangeKind = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// zrangeGeneric is Redis's zrangeGenericCommand: ZRANGE, ZRANGESTORE
// (store: the destination is argv[1]) and the older Z[REV]RANGE[BYSCORE|
// BYLEX], which fix kind and dir (1 forward, -1 reverse, 0 from the
// arguments). src is the index of the source key:
// <src> <min> <max> [BYSCORE|BYLEX] [REV] [WITHSCORES] [LIMIT offset count].
func zrangeGeneric(c *Client, argv [][]byte, src int, store bool, kind zrangeKind, dir int) {
	minIdx, maxIdx := src+1, src+2
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := src + 3; j < len(argv); j++ {
		a := argv[j]
		switch {
		case !store && equalFold(a, "withscores"):
			withScores = true
		case equalFold(a, "limit") && len(argv)-j-1 >= 2:
			var ok bool
			if offset, ok = parseInt(argv[j+1]); !ok {
				c.ReplyError(errNotInt)
				return
			}
			if limit, ok = parseInt(argv[j+2]); !ok {
				c.ReplyError(errNotInt)
				return
			}
			j += 2
		case dir == 0 && equalFold(a, "rev"):
			dir = -1
		case kind == zrangeAuto && equalFold(a, "bylex"):
			kind = zrangeLex
		case kind == zrangeAuto && equalFold(a, "byscore"):
			kind = zrangeScore
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	if dir == 0 {
		dir = 1
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	if limit != -1 && kind == zrangeRank {
		c.ReplyError(errZrangeLimit)
		return
	}
	if withScores && kind == zrangeLex {
		c.ReplyError(errZrangeLexScores)
		return
	}
	rev := dir < 0
	if rev && kind != zrangeRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var sr zScoreRange
	var lr zLexRange
	var ok bool
	switch kind {
	case zrangeRank:
		if start, ok = parseInt(argv[minIdx]); ok {
			end, ok = parseInt(argv[maxIdx])
		}
		if !ok {
			c.ReplyError(errNotInt)
			return
		}
	case zrangeScore:
		if sr, ok = parseZScoreRange(argv[minIdx], argv[maxIdx]); !ok {
			c.ReplyError(errZsetMinMaxFloat)
			return
		}
	case zrangeLex:
		if lr, ok = parseZLexRange(argv[minIdx], argv[maxIdx]); !ok {
			c.ReplyError(errZsetLexRange)
			return
		}
	}
	co := openCollRead(c, argv[src], storage.TypeZSet)
	if co == nil {
		return
	}
	if !co.exists {
		if store {
			zsetStore(c, argv[1], &zsetEntries{}, 0)
		} else {
			c.ReplyArrayLen(0)
		}
		return
	}

	if store {
		var got zsetEntries
		collect := func(member []byte, score float64) { got.add(member, score) }
		sizeHint := -1 // Redis knows the length up front for ranks only
		switch kind {
		case zrangeRank:
			if lo, hi, ok := zsetRankRange(co.Len(), start, end, rev); ok {
				zsetWalkRank(co, lo, hi, rev, false, collect)
				sizeHint = int(hi - lo + 1)
			}
		case zrangeScore:
			zsetWalkScore(co, &sr, offset, limit, rev, collect)
		case zrangeLex:
			zsetWalkLex(co, &lr, offset, limit, rev, collect)
		}
		zsetStore(c, argv[1], &got, sizeHint)
		return
	}

	reply := func(member []byte, score float64) { replyScored(c, member, score, withScores) }
	if kind == zrangeRank {
		lo, hi, ok := zsetRankRange(co.Len(), start, end, rev)
		if !ok {
			c.ReplyArrayLen(0)
			return
		}
		replyScoredLen(c, int(hi-lo+1), withScores)
		zsetWalkRank(co, lo, hi, rev, !withScores, reply)
		return
	}
	n := 0
	counted := func(member []byte, score float64) {
		n++
		reply(member, score)
	}
	d := beginDeferredArray(c)
	if kind == zrangeScore {
		zsetWalkScore(co, &sr, offset, limit, rev, counted)
	} else {
		zsetWalkLex(co, &lr, offset, limit, rev, counted)
	}
	if withScores && c.proto == 2 {
		n *= 2
	}
	d.end(n)
}

// zsetRankRange turns Redis's start and end ranks (negative: from the end;
// reversed ranks when rev) into forward ranks lo..hi of a zset of n
// members; ok is false when the range is empty.
func zsetRankRange(n, start, end int64, rev bool) (lo, hi int64, ok bool) {
	if start, end, ok = indexRange(start, end, n); !ok {
		return 0, 0, false
	}
	if rev {
		return n - 1 - end, n - 1 - start, true
	}
	return start, end, true
}

// zsetStore replaces dst with a zset of got's members, added in order the
// way Redis's ZRANGESTORE adds them, or deletes dst when got is empty, and
// replies with the new zset's length. sizeHint is the length Redis knows
// before it adds (a rank range's; -1 for score and lex ranges): past
// zset-max-listpack-entries the new key starts as a skiplist, so a score
// of -0 stays -0, where a listpack that converts on the way stores 0.
func zsetStore(c *Client, dst []byte, got *zsetEntries, sizeHint int) {
	storeZsetEntries(c, dst, got, sizeHint > c.srv.cfg.ZsetMaxListpackEntries, "zrangestore")
}

// storeZsetEntries replaces dst with a zset of got's members, added in
// order, starting as a skiplist when big, and publishes event; or deletes
// dst when got is empty. It replies with the new length and returns it.
func storeZsetEntries(c *Client, dst []byte, got *zsetEntries, big bool, event string) int64 {
	ks := c.srv.ks
	existed := ks.Delete(c.db, dst)
	if got.len() == 0 {
		if existed {
			c.srv.notifyLocked(notifyGeneric, "del", c.db, dst)
		}
		c.ReplyInt(0)
		return 0
	}
	co, _ := ks.lookupColl(c.db, dst, storage.TypeZSet, true)
	if big {
		co.setBig()
	}
	for i := 0; i < got.len(); i++ {
		zsetInsert(c, co, got.member(i), got.scores[i])
	}
	c.srv.saveStoredLocked(co, existed)
	c.srv.notifyLocked(notifyZset, event, c.db, dst)
	c.ReplyInt(co.Len())
	return co.Len()
}

// ---- counts ----------------------------------------------------------------------

// cmdZcount counts the members in a score range, where Redis's skiplist
// ranks give O(log N), by whichever finishes first: a walk of the range,
// or the ranks of its two ends (zsetBelow), all three stepped together.
// So a narrow range costs its width, and a wide one (up to +inf, say)
// what its ends cost, not the members between them. A set with rank
// fences (zsetfence.go) answers from the ranks of the two ends alone.
func cmdZcount(c *Client, argv [][]byte) {
	r, ok := parseZScoreRange(argv[2], argv[3])
	if !ok {
		c.ReplyError(errZsetMinMaxFloat)
		return
	}
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	if !co.exists || r.empty() {
		c.ReplyInt(0)
		return
	}
	lower := zsetScorePrefix(nil, r.min)
	if r.minex {
		lower = storage.PrefixEnd(lower)
	}
	upper := zsetScorePrefix(nil, r.max)
	if !r.maxex {
		upper = storage.PrefixEnd(upper)
	}
	lower, upper = co.seekKey(lower), co.seekKey(upper)
	if co.fenced() {
		c.ReplyInt(max(zsetFencedBelow(co, upper)-zsetFencedBelow(co, lower), 0))
		return
	}
	lo, hi := newZsetBelow(co, lower), newZsetBelow(co, upper)
	defer lo.close()
	defer hi.close()
	walk := co.iter(lower[len(co.prefix):], upper[len(co.prefix):])
	defer closeIter(walk)
	var n int64
	for ok := walk.First(); ; ok = walk.Next() {
		if !ok {
			c.ReplyInt(n)
			return
		}
		n++
		loDone, hiDone := lo.step(), hi.step()
		if loDone && hiDone {
			c.ReplyInt(max(hi.n-lo.n, 0))
			return
		}
	}
}

// cmdZlexcount is ZCOUNT for a lex range.
func cmdZlexcount(c *Client, argv [][]byte) {
	r, ok := parseZLexRange(argv[2], argv[3])
	if !ok {
		c.ReplyError(errZsetLexRange)
		return
	}
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	var n int64
	switch {
	case r.min.inf < 0 && r.max.inf > 0:
		n = co.Len() // "-" to "+": every member, counted in the meta record
	case co.exists:
		zsetWalkLex(co, &r, 0, -1, false, func([]byte, float64) { n++ })
	}
	c.ReplyInt(n)
}

// ---- ZREMRANGEBY* ----------------------------------------------------------------

// zremrangeEvents are the keyspace events of the ZREMRANGEBY* commands.
var zremrangeEvents = [...]string{zrangeRank: "zremrangebyrank", zrangeScore: "zremrangebyscore", zrangeLex: "zremrangebylex"}

// zremrangeGeneric is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and
// ZREMRANGEBYLEX: the range is parsed before the key is looked up.
func zremrangeGeneric(c *Client, argv [][]byte, kind zrangeKind) {
	var start, end int64
	var sr zScoreRange
	var lr zLexRange
	var ok bool
	switch kind {
	case zrangeRank:
		if start, ok = parseInt(argv[2]); ok {
			end, ok = parseInt(argv[3])
		}
		if !ok {
			c.ReplyError(errNotInt)
			return
		}
	case zrangeScore:
		if sr, ok = parseZScoreRange(argv[2], argv[3]); !ok {
			c.ReplyError(errZsetMinMaxFloat)
			return
		}
	case zrangeLex:
		if lr, ok = parseZLexRange(argv[2], argv[3]); !ok {
			c.ReplyError(errZsetLexRange)
			return
		}
	}
	co := openColl(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyInt(0)
		return
	}
	var got zsetEntries
	collect := func(member []byte, score float64) { got.add(member, score) }
	switch kind {
	case zrangeRank:
		if lo, hi, ok := zsetRankRange(co.Len(), start, end, false); ok {
			zsetWalkRank(co, lo, hi, false, false, collect)
		}
	case zrangeScore:
		zsetWalkScore(co, &sr, 0, -1, false, collect)
	case zrangeLex:
		zsetWalkLex(co, &lr, 0, -1, false, collect)
	}
	for i := 0; i < got.len(); i++ {
		zsetDelete(co, got.member(i), got.scores[i])
	}
	if got.len() > 0 {
		co.save()
		c.srv.notifyCollLocked(notifyZset, zremrangeEvents[kind], co)
	}
	c.ReplyInt(int64(got.len()))
}
