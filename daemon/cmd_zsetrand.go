package daemon

import (
	"bytes"
	"math"
	"math/rand/v2"

	"github.com/redoubtdb/redoubt/storage"
)

// ZRANDMEMBER key [count [WITHSCORES]], after Redis's
// zrandmemberWithCountCommand: a negative count draws with repetition, a
// positive one returns distinct members (the whole zset, in score order,
// when it asks for as many or more).
//
// A compact zset (at most zset-max-listpack-entries members), or one no
// bigger than the reply, is read whole and sampled uniformly. Otherwise
// each draw descends the byte trie of the member records with a few seeks
// (zsetDraw), so a draw costs about two seeks per distinct byte level of
// the members, not a scan.

// zrandLoadAll is the size up to which ZRANDMEMBER reads a zset whole.
const zrandLoadAll = 1024

func cmdZrandmember(c *Client, argv [][]byte) {
	if len(argv) >= 3 {
		l, ok := parseInt(argv[2])
		if !ok {
			c.ReplyError(errNotInt)
			return
		}
		if l < -math.MaxInt64 {
			c.ReplyError(errZrandRange)
			return
		}
		if len(argv) > 4 || (len(argv) == 4 && !equalFold(argv[3], "withscores")) {
			c.ReplyError(errSyntax)
			return
		}
		withScores := len(argv) == 4
		if withScores && l < -math.MaxInt64/2 {
			// The flat RESP2 reply of 2*|count| elements must not overflow.
			c.ReplyError(errZrandOutOfRange)
			return
		}
		zrandWithCount(c, argv[1], l, withScores)
		return
	}
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyNull()
		return
	}
	s := newZsetSampler(co, 1)
	member, _ := s.draw()
	s.close()
	c.ReplyBulk(member)
}

func zrandWithCount(c *Client, key []byte, l int64, withScores bool) {
	co := openCollRead(c, key, storage.TypeZSet)
	if co == nil {
		return
	}
	if !co.exists || l == 0 {
		c.ReplyArrayLen(0)
		return
	}
	size := co.Len()
	if l < 0 || l == 1 {
		count := l
		if count < 0 {
			count = -count
		}
		s := newZsetSampler(co, count)
		replyScoredLen(c, int(count), withScores)
		for ; count > 0; count-- {
			member, score := s.draw()
			replyScored(c, member, score, withScores)
		}
		s.close()
		return
	}
	count := l
	if count >= size {
		// Redis's zset iterator runs from the highest score down.
		replyScoredLen(c, int(size), withScores)
		zsetWalkRank(co, 0, size-1, true, !withScores, func(member []byte, score float64) {
			replyScored(c, member, score, withScores)
		})
		return
	}
	replyScoredLen(c, int(count), withScores)
	if !co.big() || size <= zrandLoadAll || count*3 > size {
		// Like Redis's third case: a random subset of everything.
		all := zsetLoadAll(co)
		idx := make([]int, all.len())
		for i := range idx {
			idx[i] = i
		}
		for i := 0; i < int(count); i++ {
			j := i + rand.IntN(len(idx)-i)
			idx[i], idx[j] = idx[j], idx[i]
			replyScored(c, all.member(idx[i]), all.scores[idx[i]], withScores)
		}
		return
	}
	// The zset is big and at least three times the count: draw until
	// count distinct members came up. Draws favour some members (see
	// zsetDraw), so past a generous number of draws the rest is taken in
	// order from a random place.
	s := newZsetSampler(co, count)
	seen := make(map[string]struct{}, count)
	var got int64
	for tries := int64(0); got < count && tries < 10*count+100; tries++ {
		member, score := s.draw()
		if _, dup := seen[string(member)]; dup {
			continue
		}
		seen[string(member)] = struct{}{}
		replyScored(c, member, score, withScores)
		got++
	}
	if got < count {
		member, _ := s.draw()
		it := s.it
		var buf [64]byte
		ok := it.SeekGE(co.seekKey(zsetMemberSub(buf[:0], member)))
		for wrapped := false; got < count; ok = it.Next() {
			if !ok {
				if wrapped {
					panic(storageError{storage.ErrCorrupt})
				}
				wrapped = true
				ok = it.First()
				continue
			}
			m := co.sub(it.Key())[1:]
			if _, dup := seen[string(m)]; dup {
				continue
			}
			seen[string(m)] = struct{}{}
			replyScored(c, m, decodeScore(it.Value()), withScores)
			got++
		}
	}
	s.close()
}

// zsetLoadAll reads every member of co, in score order.
func zsetLoadAll(co *coll) *zsetEntries {
	var all zsetEntries
	it := zsetIndexIter(co)
	for ok := it.First(); ok; ok = it.Next() {
		all.add(zsetEntry(co, it))
	}
	closeIter(it)
	return &all
}

// zsetSampler draws random members of a zset, uniformly from a copy when
// the zset is small (or the draws many), by trie descent otherwise.
type zsetSampler struct {
	co  *coll
	all *zsetEntries
	it  storage.Iterator // over the member records, for trie descent
}

func newZsetSampler(co *coll, draws int64) *zsetSampler {
	s := &zsetSampler{co: co}
	if !co.big() || co.Len() <= zrandLoadAll || co.Len() <= draws {
		s.all = zsetLoadAll(co)
	} else {
		s.it = co.iterPrefix([]byte{'m'})
	}
	return s
}

func (s *zsetSampler) close() {
	if s.it != nil {
		closeIter(s.it)
		s.it = nil
	}
}

// draw returns a random member (valid until the next draw) and its score.
func (s *zsetSampler) draw() ([]byte, float64) {
	if s.all != nil {
		i := rand.IntN(s.all.len())
		return s.all.member(i), s.all.scores[i]
	}
	return zsetDraw(s.co, s.it)
}

// zsetDraw picks a random member of a non-empty zset by descending the
// byte trie of its member records: at each level it picks one of the
// next-byte branches present between the subtree's first and last member
// (a few probes, each a seek; a probe that falls in a gap lands on the
// branch after it), or the member that ends at this level. Every member
// can come up and none needs a scan, but the draw is uniform per branch,
// not per member: members in sparse branches come up more often. it
// iterates co's member records ('m').
func zsetDraw(co *coll, it storage.Iterator) ([]byte, float64) {
	type bound struct {
		member []byte
		score  float64
	}
	at := func(ok bool) bound {
		if !ok {
			panic(storageError{storage.ErrCorrupt})
		}
		return bound{append([]byte(nil), co.sub(it.Key())[1:]...), decodeScore(it.Value())}
	}
	seekGE := func(member []byte) bound {
		return at(it.SeekGE(co.seekKey(zsetMemberSub(nil, member))))
	}
	// lastUnder is the last member starting with p.
	lastUnder := func(p []byte) bound {
		end := storage.PrefixEnd(zsetMemberSub(nil, p))
		return at(it.SeekLT(co.seekKey(end)))
	}
	lo := at(it.First())
	hi := at(it.Last())
	for !bytes.Equal(lo.member, hi.member) {
		k := 0
		for k < len(lo.member) && k < len(hi.member) && lo.member[k] == hi.member[k] {
			k++
		}
		p := lo.member[:k]
		// The ways on: the bytes from the first branch's to the last's,
		// plus lo itself when it ends here (it is the smallest).
		loEnds := len(lo.member) == k
		first := 0
		if loEnds {
			next := seekGE(append(append([]byte(nil), lo.member...), 0))
			first = int(next.member[k])
		} else {
			first = int(lo.member[k])
		}
		ways := int(hi.member[k]) - first + 1
		if loEnds {
			ways++
		}
		var landed bound
		for try := 0; try < 4; try++ {
			w := rand.IntN(ways)
			if loEnds && w == ways-1 {
				return lo.member, lo.score
			}
			probe := append(append([]byte(nil), p...), byte(first+w))
			landed = seekGE(probe)
			if bytes.HasPrefix(landed.member, probe) {
				break
			}
		}
		branch := landed.member[:k+1]
		lo, hi = landed, lastUnder(branch)
	}
	return lo.member, lo.score
}
