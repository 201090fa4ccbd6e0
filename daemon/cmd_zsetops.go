package daemon

import (
	"bytes"
	"math"
	"slices"
	"sort"

	"github.com/redoubtdb/redoubt/storage"
)

// Sorted-set algebra: ZUNION ZUNIONSTORE ZINTER ZINTERSTORE ZINTERCARD ZDIFF
// ZDIFFSTORE, Redis's zunionInterDiffGenericCommand. Inputs may be sorted
// sets or sets (whose members score 1); a missing key is an empty input.
//
// The result is built in memory, as Redis builds it, then replied or
// written as a new sorted set under the destination (which is replaced
// whatever its type, and deleted when the result is empty).

func init() { registrations = append(registrations, registerZsetOpsCommands) }

func registerZsetOpsCommands(t *commandTable) {
	t.register("zunion", func(c *Client, argv [][]byte) { zopCommand(c, argv, "zunion", zopUnion, false, false) })
	t.register("zinter", func(c *Client, argv [][]byte) { zopCommand(c, argv, "zinter", zopInter, false, false) })
	t.register("zdiff", func(c *Client, argv [][]byte) { zopCommand(c, argv, "zdiff", zopDiff, false, false) })
	t.register("zintercard", func(c *Client, argv [][]byte) { zopCommand(c, argv, "zintercard", zopInter, false, true) })
	t.register("zunionstore", func(c *Client, argv [][]byte) { zopCommand(c, argv, "zunionstore", zopUnion, true, false) })
	t.register("zinterstore", func(c *Client, argv [][]byte) { zopCommand(c, argv, "zinterstore", zopInter, true, false) })
	t.register("zdiffstore", func(c *Client, argv [][]byte) { zopCommand(c, argv, "zdiffstore", zopDiff, true, false) })
}

type zopKind uint8

const (
	zopUnion zopKind = iota
	zopInter
	zopDiff
)

type zopAggKind uint8

const (
	zopAggSum zopAggKind = iota
	zopAggMin
	zopAggMax
)

// zopListpackSafetySize is Redis's LISTPACK_MAX_SAFETY_SIZE: a stored result
// whose members total more than this stays a skiplist.
const zopListpackSafetySize = 1 << 30

// zopInput is one input key.
type zopInput struct {
	co     *coll // nil for a missing key
	isSet  bool
	weight float64
	kbuf   []byte
}

func (in *zopInput) len() int64 {
	if in.co == nil {
		return 0
	}
	return in.co.Len()
}

// each calls fn with every member and its unweighted score, until fn
// returns false. member is valid only during the call.
func (in *zopInput) each(fn func(member []byte, score float64) bool) {
	if in.len() == 0 {
		return
	}
	if in.isSet {
		it := in.co.iter(nil, nil)
		for ok := it.First(); ok; ok = it.Next() {
			if !fn(in.co.sub(it.Key()), 1) {
				break
			}
		}
		closeIter(it)
		return
	}
	it := in.co.iterPrefix([]byte{'m'})
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(in.co.sub(it.Key())[1:], decodeScore(it.Value())) {
			break
		}
	}
	closeIter(it)
}

// find returns member's unweighted score: a point read.
func (in *zopInput) find(member []byte) (float64, bool) {
	if in.len() == 0 {
		return 0, false
	}
	if in.isSet {
		return 1, in.co.has(member)
	}
	in.kbuf = zsetMemberSub(in.kbuf[:0], member)
	v, ok := in.co.get(in.kbuf)
	if !ok {
		return 0, false
	}
	return decodeScore(v), true
}

// zopEntry is one member of a computed result.
type zopEntry struct {
	member []byte
	score  float64
}

// zopAggregate folds val into *target as zunionInterAggregate does: a sum
// of inf and -inf is 0, and a NaN never wins MIN or MAX.
func zopAggregate(target *float64, val float64, agg zopAggKind) {
	switch agg {
	case zopAggSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case zopAggMin:
		if val < *target {
			*target = val
		}
	case zopAggMax:
		if val > *target {
			*target = val
		}
	}
}

// zopWeighted is weight*score with Redis's rule that NaN (0 * inf) is 0.
func zopWeighted(weight, score float64) float64 {
	s := weight * score
	if math.IsNaN(s) {
		return 0
	}
	return s
}

// zopCommand runs every command of the family. name is the command's
// name for error texts; store says argv[1] is the destination; cardOnly is
// ZINTERCARD.
func zopCommand(c *Client, argv [][]byte, name string, op zopKind, store, cardOnly bool) {
	numkeysIdx := 1
	if store {
		numkeysIdx = 2
	}
	setnum, ok := parseInt(argv[numkeysIdx])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if setnum < 1 {
		c.ReplyError("ERR at least 1 input key is needed for '" + name + "' command")
		return
	}
	if setnum > int64(len(argv)-(numkeysIdx+1)) {
		c.ReplyError(errSyntax)
		return
	}
	ks := c.srv.ks
	inputs := make([]zopInput, setnum)
	j := numkeysIdx + 1
	for i := range inputs {
		key := argv[j]
		j++
		inputs[i].weight = 1
		m, found := ks.lookup(c.db, key, true)
		countLookup(c, key, found) // lookupKeyRead, as in Redis
		if !found {
			continue
		}
		if m.Type != storage.TypeZSet && m.Type != storage.TypeSet {
			c.ReplyError(errWrongType)
			return
		}
		co, _ := ks.lookupColl(c.db, key, m.Type, false)
		inputs[i].co = co
		inputs[i].isSet = m.Type == storage.TypeSet
	}

	agg := zopAggSum
	withScores := false
	var limit int64
	for j < len(argv) {
		remaining := len(argv) - j
		switch opt := argv[j]; {
		case op != zopDiff && !cardOnly && remaining >= int(setnum)+1 && equalFold(opt, "weights"):
			j++
			for i := range inputs {
				w, ok := parseFloat(argv[j])
				if !ok {
					c.ReplyError("ERR weight value is not a float")
					return
				}
				inputs[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && remaining >= 2 && equalFold(opt, "aggregate"):
			switch a := argv[j+1]; {
			case equalFold(a, "sum"):
				agg = zopAggSum
			case equalFold(a, "min"):
				agg = zopAggMin
			case equalFold(a, "max"):
				agg = zopAggMax
			default:
				c.ReplyError(errSyntax)
				return
			}
			j += 2
		case !store && !cardOnly && equalFold(opt, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && equalFold(opt, "limit"):
			n, ok := parseInt(argv[j+1])
			if !ok || n < 0 {
				c.ReplyError("ERR LIMIT can't be negative")
				return
			}
			limit = n
			j += 2
		default:
			c.ReplyError(errSyntax)
			return
		}
	}

	if op != zopDiff {
		// Smallest first, as Redis orders them: intersection walks the
		// smallest input, and the order inputs are folded in decides
		// sums like inf + -inf. Redis's qsort (glibc's merge sort) keeps
		// equal sizes in argument order.
		sort.SliceStable(inputs, func(a, b int) bool { return inputs[a].len() < inputs[b].len() })
	}

	if cardOnly {
		c.ReplyInt(zopInterCard(inputs, limit))
		return
	}
	var result []zopEntry
	switch op {
	case zopUnion:
		result = zopUnionOf(inputs, agg)
	case zopInter:
		result = zopInterOf(inputs, agg)
	case zopDiff:
		result = zopDiffOf(inputs)
	}
	slices.SortFunc(result, zopEntryCompare)

	if store {
		zopStore(c, argv[1], result, name)
		return
	}
	n := len(result)
	if withScores && c.proto == 2 {
		n *= 2
	}
	c.ReplyArrayLen(n)
	for _, e := range result {
		if withScores && c.proto > 2 {
			c.ReplyArrayLen(2)
		}
		c.ReplyBulk(e.member)
		if withScores {
			c.ReplyDouble(e.score)
		}
	}
}

// zopEntryCompare is skiplist order: by score, ties by member bytes.
func zopEntryCompare(a, b zopEntry) int {
	switch {
	case a.score < b.score:
		return -1
	case a.score > b.score:
		return 1
	}
	return bytes.Compare(a.member, b.member)
}

func zopUnionOf(inputs []zopInput, agg zopAggKind) []zopEntry {
	// The largest input is last: the union is at least that big.
	scores := make(map[string]float64, inputs[len(inputs)-1].len())
	for i := range inputs {
		in := &inputs[i]
		in.each(func(member []byte, score float64) bool {
			s := zopWeighted(in.weight, score)
			if cur, ok := scores[string(member)]; ok {
				zopAggregate(&cur, s, agg)
				s = cur
			}
			scores[string(member)] = s
			return true
		})
	}
	return zopEntries(scores)
}

func zopEntries(scores map[string]float64) []zopEntry {
	out := make([]zopEntry, 0, len(scores))
	for m, s := range scores {
		out = append(out, zopEntry{member: []byte(m), score: s})
	}
	return out
}

func zopInterOf(inputs []zopInput, agg zopAggKind) []zopEntry {
	var out []zopEntry
	first := &inputs[0]
	first.each(func(member []byte, score float64) bool {
		s := zopWeighted(first.weight, score)
		for j := 1; j < len(inputs); j++ {
			v, ok := inputs[j].find(member)
			if !ok {
				return true
			}
			zopAggregate(&s, v*inputs[j].weight, agg)
		}
		out = append(out, zopEntry{member: append([]byte(nil), member...), score: s})
		return true
	})
	return out
}

// zopInterCard counts the intersection, stopping at limit (0: no limit).
func zopInterCard(inputs []zopInput, limit int64) int64 {
	var n int64
	inputs[0].each(func(member []byte, _ float64) bool {
		for j := 1; j < len(inputs); j++ {
			if _, ok := inputs[j].find(member); !ok {
				return true
			}
		}
		n++
		return limit == 0 || n < limit
	})
	return n
}

// zopDiffOf is the first input less the others. Like Redis it picks, by
// the input sizes, between probing every other input for each member of
// the first (point reads) and loading the first then walking the others;
// both give the same result.
func zopDiffOf(inputs []zopInput) []zopEntry {
	first := &inputs[0]
	if first.len() == 0 {
		return nil
	}
	var one, two int64
	for j := range inputs {
		one += first.len()
		two += inputs[j].len()
	}
	if one/2 <= two {
		var out []zopEntry
		first.each(func(member []byte, score float64) bool {
			for j := 1; j < len(inputs); j++ {
				if _, ok := inputs[j].find(member); ok {
					return true
				}
			}
			out = append(out, zopEntry{member: append([]byte(nil), member...), score: score})
			return true
		})
		return out
	}
	scores := make(map[string]float64, first.len())
	first.each(func(member []byte, score float64) bool {
		scores[string(member)] = score
		return true
	})
	for j := 1; j < len(inputs) && len(scores) > 0; j++ {
		inputs[j].each(func(member []byte, _ float64) bool {
			delete(scores, string(member))
			return len(scores) > 0
		})
	}
	return zopEntries(scores)
}

// zopStore replaces dst with the result (sorted) and replies with its
// size. Like Redis's zsetConvertToListpackIfNeeded, the new key is
// listpack-encoded when small enough, else a skiplist; a listpack stores
// integral scores as integers, so -0 becomes 0 there.
func zopStore(c *Client, dst []byte, result []zopEntry, event string) {
	ks := c.srv.ks
	existed := ks.Delete(c.db, dst)
	if len(result) == 0 {
		if existed {
			c.srv.notifyLocked(notifyGeneric, "del", c.db, dst)
		}
		c.ReplyInt(0)
		return
	}
	var maxLen, total int64
	for _, e := range result {
		l := int64(len(e.member))
		maxLen = max(maxLen, l)
		total += l
	}
	cfg := c.srv.cfg
	big := int64(len(result)) > int64(cfg.ZsetMaxListpackEntries) ||
		maxLen > int64(cfg.ZsetMaxListpackValue) || total > zopListpackSafetySize
	co, _ := ks.lookupColl(c.db, dst, storage.TypeZSet, true)
	for _, e := range result {
		score := e.score
		if !big && score == 0 {
			score = 0 // a listpack keeps -0 as the integer 0
		}
		zsetWrite(co, e.member, score)
	}
	co.m.Count = uint64(len(result))
	if big {
		co.setBig()
	}
	c.srv.saveStoredLocked(co, existed)
	c.srv.notifyLocked(notifyZset, event, c.db, dst)
	c.ReplyInt(int64(len(result)))
}
