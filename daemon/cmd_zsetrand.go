package daemon

import (
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
		replyScoredLen(c, int(count), withScores)
		if count > 1 && c.suppressed() {
			return // CLIENT REPLY OFF: the draws would have no effect
		}
		s := newZsetSampler(co, count)
		// A huge count stops early, closing the connection (see
		// repeatedReplyTooBig).
		for i := int64(1); i <= count; i++ {
			member, score := s.draw()
			replyScored(c, member, score, withScores)
			if i&1023 == 0 && repeatedReplyTooBig(c) {
				break
			}
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
		wrapped := false
		for got < count {
			if !ok {
				// Past the last member: go on from the first, once.
				if wrapped {
					panic(storageError{storage.ErrCorrupt})
				}
				wrapped = true
				ok = it.First()
				continue
			}
			m := co.sub(it.Key())[1:]
			if _, dup := seen[string(m)]; !dup {
				seen[string(m)] = struct{}{}
				replyScored(c, m, decodeScore(it.Value()), withScores)
				got++
			}
			ok = it.Next()
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

// zsetDraw picks a random member of a non-empty zset by trie descent over
// its member records (see trieDraw for the distribution); it iterates
// co's member records ('m').
func zsetDraw(co *coll, it storage.Iterator) ([]byte, float64) {
	member, score, ok := trieDraw(it, co.seekKey([]byte{'m'}))
	if !ok {
		panic(storageError{storage.ErrCorrupt})
	}
	return member, decodeScore(score)
}
