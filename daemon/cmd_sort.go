package daemon

import (
	"bytes"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/redoubtdb/redoubt/storage"
)

// SORT and SORT_RO over lists, sets and sorted sets: Redis's
// sortCommandGeneric.
//
//	SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
//	     [ALPHA] [STORE destination]
//
// A pattern names other keys: its first '*' is replaced by the element,
// and "key->field" reads a hash field; "#" (GET only) is the element
// itself. A BY pattern without '*' turns sorting off: lists and sorted
// sets keep their own order (read from the requested end, and only as far
// as LIMIT needs), sets come in their iteration order, or sorted ALPHA
// when the result is stored, as Redis forces for replication's sake.

func init() { registrations = append(registrations, registerSortCommands) }

func registerSortCommands(t *commandTable) {
	t.register("sort", func(c *Client, argv [][]byte) { sortCommand(c, argv, false) })
	t.register("sort_ro", func(c *Client, argv [][]byte) { sortCommand(c, argv, true) })
}

const errSortScores = "ERR One or more scores can't be converted into double"

// sortElem is one element with what it sorts by.
type sortElem struct {
	obj   []byte
	score float64 // numeric sort key
	by    []byte  // ALPHA sort key from a BY pattern
	hasBy bool    // false: the BY key is missing, which sorts first
}

func sortCommand(c *Client, argv [][]byte, readonly bool) {
	var (
		desc, alpha, dontsort bool
		limitStart            int64
		limitCount            int64 = -1
		sortBy, storeKey      []byte
		gets                  [][]byte
	)
	// BY and GET patterns name keys the key check never saw: they need a
	// user that may read any key (ACL).
	access := 0 // 0 unknown, 1 yes, 2 no
	fullKeyAccess := func() bool {
		if access == 0 {
			access = 2
			if c.aclFullKeyAccess(argv) {
				access = 1
			}
		}
		return access == 1
	}
	for j := 2; j < len(argv); j++ {
		left := len(argv) - j - 1
		switch opt := argv[j]; {
		case equalFold(opt, "asc"):
			desc = false
		case equalFold(opt, "desc"):
			desc = true
		case equalFold(opt, "alpha"):
			alpha = true
		case equalFold(opt, "limit") && left >= 2:
			var ok1, ok2 bool
			limitStart, ok1 = parseInt(argv[j+1])
			limitCount, ok2 = parseInt(argv[j+2])
			if !ok1 || !ok2 {
				c.ReplyError(errNotInt)
				return
			}
			j += 2
		case !readonly && equalFold(opt, "store") && left >= 1:
			storeKey = argv[j+1]
			j++
		case equalFold(opt, "by") && left >= 1:
			sortBy = argv[j+1]
			// A constant pattern weighs every element the same: there
			// is nothing to sort (and no key to read). Like Redis, a
			// later BY does not turn sorting back on.
			if bytes.IndexByte(sortCString(sortBy), '*') < 0 {
				dontsort = true
			} else if !fullKeyAccess() {
				c.ReplyError("ERR BY option of SORT denied due to insufficient ACL permissions.")
				return
			}
			j++
		case equalFold(opt, "get") && left >= 1:
			if !fullKeyAccess() {
				c.ReplyError("ERR GET option of SORT denied due to insufficient ACL permissions.")
				return
			}
			gets = append(gets, argv[j+1])
			j++
		default:
			c.ReplyError(errSyntax)
			return
		}
	}

	ks := c.srv.ks
	m, found := ks.lookup(c.db, argv[1], true)
	countLookup(c, argv[1], found) // lookupKeyRead, as in Redis
	var co *coll
	if found {
		switch m.Type {
		case storage.TypeList, storage.TypeSet, storage.TypeZSet:
		default:
			c.ReplyError(errWrongType)
			return
		}
		co, _ = ks.lookupColl(c.db, argv[1], m.Type, false)
	}
	if dontsort && found && m.Type == storage.TypeSet && storeKey != nil {
		// A set's iteration order is not the same on a replica: what is
		// stored must not depend on it.
		dontsort, alpha, sortBy = false, true, nil
	}
	if found && m.Type == storage.TypeZSet && !co.big() {
		// Redis converts a sorted set to a skiplist to sort it, and
		// never converts it back; in place (zsetConvert), which is no
		// modification: WATCH holds.
		co.setBig()
		co.saveEncoding()
	}

	var vectorLen int64
	if found {
		vectorLen = co.Len()
	}
	start, end := sortLimits(limitStart, limitCount, vectorLen)

	var vector []sortElem
	switch {
	case !found:
	case m.Type == storage.TypeList && dontsort:
		// Straight from the list, in the requested direction, only the
		// LIMIT range.
		vector = sortLoadList(co, start, end-start+1, desc)
		end -= start
		start = 0
	case m.Type == storage.TypeList:
		vector = sortLoadList(co, 0, vectorLen, false)
	case m.Type == storage.TypeSet:
		vector = sortLoadSet(co)
	case dontsort:
		vector = sortLoadZsetRange(co, start, end-start+1, desc)
		end -= start
		start = 0
	default:
		vector = sortLoadZset(co)
	}

	scoreErr := false
	if !dontsort {
		lk := sortLookup{c: c}
		for i := range vector {
			e := &vector[i]
			byval := e.obj
			if sortBy != nil {
				v, ok := lk.get(sortBy, e.obj)
				if !ok {
					continue
				}
				byval = v
			}
			if alpha {
				if sortBy != nil {
					e.by, e.hasBy = byval, true
				}
				continue
			}
			f, ok := sortParseScore(byval)
			if !ok {
				scoreErr = true
			}
			e.score = f
		}
		cmp := sortComparator(alpha, sortBy != nil, storeKey != nil, desc)
		switch {
		case scoreErr || end < start:
			// Nothing of the order is shown.
		case sortBy != nil && (start != 0 || end != int64(len(vector))-1):
			sortPartial(vector, cmp, int(start), int(end))
		default:
			// Stable like glibc's qsort (a merge sort), so elements
			// that compare equal (ALPHA with equal or missing BY
			// values) keep their loading order, as they do in Redis.
			slices.SortStableFunc(vector, cmp)
		}
	}

	n := end - start + 1
	outputLen := n
	if len(gets) > 0 {
		outputLen = int64(len(gets)) * n
	}
	if scoreErr {
		c.ReplyError(errSortScores)
		return
	}
	lk := sortLookup{c: c}
	if storeKey == nil {
		c.ReplyArrayLen(int(outputLen))
		for j := start; j <= end; j++ {
			obj := vector[j].obj
			if len(gets) == 0 {
				c.ReplyBulk(obj)
			}
			for _, pat := range gets {
				if v, ok := lk.get(pat, obj); ok {
					c.ReplyBulk(v)
				} else {
					c.ReplyNull()
				}
			}
		}
		return
	}
	out := make([][]byte, 0, outputLen)
	for j := start; j <= end; j++ {
		obj := vector[j].obj
		if len(gets) == 0 {
			out = append(out, obj)
		}
		for _, pat := range gets {
			v, _ := lk.get(pat, obj)
			if v == nil {
				v = []byte{}
			}
			out = append(out, v)
		}
	}
	sortStoreList(c, storeKey, out)
	c.ReplyInt(outputLen)
}

// sortLimits turns LIMIT offset count into the inclusive output range
// [start, end] over n elements, exactly as Redis clamps them (an empty
// range has end = start-1).
func sortLimits(offset, count, n int64) (start, end int64) {
	start = min(max(offset, 0), n)
	count = min(max(count, -1), n)
	if count < 0 {
		end = n - 1
	} else {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}
	return start, end
}

// sortComparator orders elements as Redis's sortCompare does: numerically
// by score, ties by the element's bytes; or ALPHA, by the BY value (a
// missing one first) or the element. Unless the result is stored, ALPHA
// compares with strcoll, which stops at a NUL byte; in the C/C.UTF-8
// locale it is otherwise byte order.
func sortComparator(alpha, byPattern, store, desc bool) func(a, b sortElem) int {
	var cmp func(a, b sortElem) int
	switch {
	case !alpha:
		cmp = func(a, b sortElem) int {
			switch {
			case a.score > b.score:
				return 1
			case a.score < b.score:
				return -1
			}
			return bytes.Compare(a.obj, b.obj)
		}
	case byPattern:
		cmp = func(a, b sortElem) int {
			switch {
			case !a.hasBy || !b.hasBy:
				if a.hasBy == b.hasBy {
					return 0
				}
				if !a.hasBy {
					return -1
				}
				return 1
			case store:
				return bytes.Compare(a.by, b.by)
			}
			return bytes.Compare(sortCString(a.by), sortCString(b.by))
		}
	case store:
		cmp = func(a, b sortElem) int { return bytes.Compare(a.obj, b.obj) }
	default:
		cmp = func(a, b sortElem) int { return bytes.Compare(sortCString(a.obj), sortCString(b.obj)) }
	}
	if desc {
		return func(a, b sortElem) int { return -cmp(a, b) }
	}
	return cmp
}

// sortCString is b as C string functions see it: up to its first NUL byte.
func sortCString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// sortPartial orders v so that its positions [lo, hi] hold what a full
// sort would put there, with Redis's pqsort (see pqsort).
func sortPartial(v []sortElem, cmp func(a, b sortElem) int, lo, hi int) {
	pqsort(v, func(x, y *sortElem) int { return cmp(*x, *y) }, lo, hi)
}

// sortLoadList reads n elements of a list from position start, counted
// from the tail when desc (and then in tail-to-head order).
func sortLoadList(co *coll, start, n int64, desc bool) []sortElem {
	if n <= 0 {
		return nil
	}
	head := co.listHead()
	lo := head + uint64(start)
	if desc {
		lo = head + uint64(co.Len()-start-n)
	}
	it := co.iterLive(listSub(nil, lo), listSub(nil, lo+uint64(n)))
	out := make([]sortElem, 0, n)
	move, next := it.First, it.Next
	if desc {
		move, next = it.Last, it.Prev
	}
	for ok := move(); ok; ok = next() {
		out = append(out, sortElem{obj: append([]byte(nil), it.Value()...)})
	}
	closeIter(it)
	return out
}

func sortLoadSet(co *coll) []sortElem {
	out := make([]sortElem, 0, co.Len())
	it := co.iter(nil, nil)
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, sortElem{obj: append([]byte(nil), co.sub(it.Key())...)})
	}
	closeIter(it)
	return out
}

func sortLoadZset(co *coll) []sortElem {
	out := make([]sortElem, 0, co.Len())
	it := co.iterPrefix([]byte{'m'})
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, sortElem{obj: append([]byte(nil), co.sub(it.Key())[1:]...)})
	}
	closeIter(it)
	return out
}

// sortLoadZsetRange reads n members in score order from rank start,
// counted from the highest score when desc.
func sortLoadZsetRange(co *coll, start, n int64, desc bool) []sortElem {
	if n <= 0 {
		return nil
	}
	it := co.iterPrefix([]byte{'s'})
	move, next := it.First, it.Next
	if desc {
		move, next = it.Last, it.Prev
	}
	out := make([]sortElem, 0, n)
	skip := start
	for ok := move(); ok && int64(len(out)) < n; ok = next() {
		if skip > 0 {
			skip--
			continue
		}
		_, member := parseZsetScoreSub(co.sub(it.Key()))
		out = append(out, sortElem{obj: append([]byte(nil), member...)})
	}
	closeIter(it)
	return out
}

// sortStoreList replaces dst with a list of items (deleting it when items
// is empty), as SORT ... STORE does whatever dst held.
func sortStoreList(c *Client, dst []byte, items [][]byte) {
	ks := c.srv.ks
	existed := ks.Delete(c.db, dst)
	if len(items) == 0 {
		if existed {
			c.srv.notifyLocked(notifyGeneric, "del", c.db, dst)
		}
		return
	}
	co, _ := ks.lookupColl(c.db, dst, storage.TypeList, true)
	head := co.listHead()
	var sub []byte
	for i, v := range items {
		sub = listSub(sub[:0], head+uint64(i))
		co.put(sub, v)
	}
	co.m.Count = uint64(len(items))
	c.srv.saveStoredLocked(co, existed)
	c.srv.notifyLocked(notifyList, "sortstore", c.db, dst)
}

// sortLookup resolves BY and GET patterns for one command.
type sortLookup struct {
	c   *Client
	buf []byte
}

// get returns the value a pattern names for element subst, like Redis's
// lookupKeyByPattern: "#" is subst itself; otherwise the first '*' is
// replaced by subst, and a "->field" suffix after it reads that field of
// a hash. A missing key or field, a key of the wrong type, or a pattern
// without '*' yields nothing.
func (lk *sortLookup) get(pattern, subst []byte) ([]byte, bool) {
	if len(pattern) > 0 && pattern[0] == '#' && (len(pattern) == 1 || pattern[1] == 0) {
		return subst, true
	}
	key, field, ok := sortPatternKey(lk.buf[:0], pattern, subst)
	lk.buf = key
	if !ok {
		return nil, false
	}
	ks := lk.c.srv.ks
	m, found := ks.lookup(lk.c.db, key, true)
	if !found {
		return nil, false
	}
	if field == nil {
		if m.Type != storage.TypeString {
			return nil, false
		}
		return ks.strValue(lk.c.db, key, &m), true
	}
	if m.Type != storage.TypeHash {
		return nil, false
	}
	co, _ := ks.lookupColl(lk.c.db, key, storage.TypeHash, false)
	return co.get(field)
}

// sortPatternKey builds, in dst, the key a pattern names for subst, and
// returns the hash field it names (nil for none). ok is false when the
// pattern has no '*'. Like Redis, the '*' and "->" are searched as in a C
// string (up to a NUL byte), and "->" names a field only when something
// follows it.
func sortPatternKey(dst, pattern, subst []byte) (key, field []byte, ok bool) {
	cpat := sortCString(pattern)
	star := bytes.IndexByte(cpat, '*')
	if star < 0 {
		return dst, nil, false
	}
	post := pattern[star+1:]
	if f := bytes.Index(cpat[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(cpat) {
		field = pattern[star+1+f+2:]
		post = pattern[star+1 : star+1+f]
	}
	key = append(dst, pattern[:star]...)
	key = append(key, subst...)
	key = append(key, post...)
	return key, field, true
}

// sortParseScore reads a numeric sort key the way SORT does: C strtod over
// the value as a C string, which must be consumed to its end, rejecting
// NaN and out-of-range values (ERANGE: overflow, or an underflow to zero
// or to a subnormal). Unlike parseFloat it allows leading spaces, hex
// without an exponent, and the empty string (zero).
func sortParseScore(b []byte) (float64, bool) {
	b = sortCString(b)
	if len(b) == 0 {
		return 0, true
	}
	s := string(b)
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	if t == "" || strings.ContainsRune(t, '_') {
		return 0, false
	}
	sign := ""
	if t[0] == '+' || t[0] == '-' {
		sign, t = t[:1], t[1:]
	}
	lower := strings.ToLower(t)
	switch lower {
	case "inf", "infinity":
		if sign == "-" {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if strings.HasPrefix(lower, "nan") || strings.HasPrefix(lower, "inf") {
		// NaN is refused; "inf" followed by anything else is not
		// consumed whole.
		return 0, false
	}
	if strings.HasPrefix(lower, "0x") {
		if !strings.Contains(lower, "p") {
			lower += "p0"
		}
		f, _, err := big.ParseFloat(sign+lower, 0, 4096, big.ToNearestEven)
		if err != nil {
			return 0, false
		}
		v, acc := f.Float64()
		if math.IsInf(v, 0) || (math.Abs(v) < sortMinNormal && acc != big.Exact) {
			return 0, false
		}
		return v, true
	}
	v, err := strconv.ParseFloat(sign+t, 64)
	if err != nil {
		return 0, false
	}
	if v == 0 {
		mant, _, _ := strings.Cut(lower, "e")
		if strings.ContainsAny(mant, "123456789") {
			return 0, false
		}
		return v, true
	}
	if math.Abs(v) < sortMinNormal {
		return 0, false
	}
	return v, true
}

// sortMinNormal is DBL_MIN: glibc's strtod reports ERANGE for inexact
// results below it.
const sortMinNormal = 2.2250738585072014e-308
