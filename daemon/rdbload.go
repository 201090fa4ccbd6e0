package daemon

import (
	"errors"
	"math"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// Loading RDB values into the keyspace (RESTORE; rdb import shares the
// element handling): a value arrives as an element stream and becomes a
// key of the matching type, with the encoding flag Redis would give the
// loaded object (decided by its content, as rdbLoadObject does).

// elemSource is the element stream of one RDB value.
type elemSource interface {
	NextElem() (rdb.Elem, bool, error)
}

// errDuplicateMember is a set, hash or sorted set value naming one member
// twice, which Redis refuses to load.
var errDuplicateMember = errors.New("duplicate member in a collection value")

// rdbValue is one decoded value, held in memory (RESTORE payloads are).
type rdbValue struct {
	t     storage.Type
	str   []byte
	elems []rdb.Elem
}

// storageType maps an RDB type to ours; streams (and modules) have none.
func storageType(t rdb.Type) (storage.Type, bool) {
	switch t {
	case rdb.TypeString:
		return storage.TypeString, true
	case rdb.TypeList:
		return storage.TypeList, true
	case rdb.TypeSet:
		return storage.TypeSet, true
	case rdb.TypeZSet:
		return storage.TypeZSet, true
	case rdb.TypeHash:
		return storage.TypeHash, true
	}
	return storage.TypeNone, false
}

// readValue decodes a value whole, copying what it keeps, and checks that
// members are distinct and scores are numbers.
func readValue(t rdb.Type, str []byte, src elemSource) (*rdbValue, error) {
	st, ok := storageType(t)
	if !ok {
		return nil, errors.New("values of type " + t.String() + " are not supported")
	}
	v := &rdbValue{t: st}
	if st == storage.TypeString {
		v.str = append([]byte(nil), str...)
		return v, nil
	}
	var seen map[string]struct{}
	if st != storage.TypeList {
		seen = map[string]struct{}{}
	}
	for {
		e, ok, err := src.NextElem()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if seen != nil {
			if _, dup := seen[string(e.Member)]; dup {
				return nil, errDuplicateMember
			}
			seen[string(e.Member)] = struct{}{}
		}
		if st == storage.TypeZSet && math.IsNaN(e.Score) {
			return nil, errors.New("NaN score in a sorted set value")
		}
		v.elems = append(v.elems, rdb.Elem{
			Member: append([]byte(nil), e.Member...),
			Value:  append([]byte(nil), e.Value...),
			Score:  e.Score,
		})
	}
	if len(v.elems) == 0 {
		// Redis refuses empty collections ("empty keys").
		return nil, errors.New("empty collection value")
	}
	return v, nil
}

// sliceSource replays decoded elements.
type sliceSource struct {
	elems []rdb.Elem
	i     int
}

func (s *sliceSource) NextElem() (rdb.Elem, bool, error) {
	if s.i >= len(s.elems) {
		return rdb.Elem{}, false, nil
	}
	s.i++
	return s.elems[s.i-1], true, nil
}

// createFromValue creates key in db (which must not exist in the unit)
// holding v, expiring at expireAt (0: never). Holds mu.
func (s *Server) createFromValue(db int, key []byte, v *rdbValue, expireAt int64) {
	if v.t == storage.TypeString {
		s.ks.SetString(db, key, v.str, expireAt)
		return
	}
	if err := s.loadColl(db, key, v.t, &sliceSource{elems: v.elems}, expireAt); err != nil {
		panic(storageError{err}) // readValue checked everything loadColl checks
	}
}

// loadSmall is how many members loadColl holds back to decide the
// encoding flag from the content; past it, every type is big by count
// with Redis's default limits (a larger configured limit is checked as the
// members stream by).
const loadSmall = 1024

// loadHeldKeep bounds the held-members buffer a server keeps between keys.
const loadHeldKeep = 1 << 20

// heldElem is a member loadColl holds back, its bytes in a shared buffer.
type heldElem struct {
	member, value [2]int // offset and end in the buffer
	score         float64
}

// loadColl creates collection key in db (which must not exist) from src,
// with the encoding flag Redis's loader would give it. Scores must be
// numbers. Members must be distinct (lists aside), which the callers
// check: RESTORE when it reads the value whole (readValue), rdb import
// when it sorts the records (bulkload.go). Holds mu.
func (s *Server) loadColl(db int, key []byte, t storage.Type, src elemSource, expireAt int64) error {
	co := s.ks.newColl(db, key, t)
	co.m.ExpireAt = expireAt
	cfg := s.cfg
	maxEntries, maxValue := int64(-1), int64(-1) // -1: no length limit
	switch t {
	case storage.TypeHash:
		maxEntries, maxValue = int64(cfg.HashMaxListpackEntries), int64(cfg.HashMaxListpackValue)
	case storage.TypeZSet:
		maxEntries, maxValue = int64(cfg.ZsetMaxListpackEntries), int64(cfg.ZsetMaxListpackValue)
	case storage.TypeSet:
		maxEntries = int64(min(uint64(max(cfg.SetMaxIntsetEntries, 0)), 1<<30))
	}
	var (
		big     bool
		decided bool
		n       int64
		buf     []byte
		head    = co.listHead()
		// Members held back while the encoding is open, in buffers kept
		// for the next key (mu is held).
		held    = s.loadHeld[:0]
		heldBuf = s.loadHeldBuf[:0]
	)
	defer func() {
		if cap(heldBuf) <= loadHeldKeep {
			s.loadHeld, s.loadHeldBuf = held[:0], heldBuf[:0]
		}
	}()
	write := func(member, value []byte, score float64) {
		switch t {
		case storage.TypeHash:
			co.put(member, value)
		case storage.TypeSet:
			co.put(member, nil)
		case storage.TypeZSet:
			if !big && score == 0 {
				score = 0 // a listpack keeps -0 as 0
			}
			zsetWrite(co, member, score)
		case storage.TypeList:
			buf = listSub(buf[:0], head+uint64(n))
			co.put(buf, member)
		}
		n++
	}
	decide := func() {
		decided = true
		if big {
			co.setBig()
		}
		for _, h := range held {
			write(heldBuf[h.member[0]:h.member[1]], heldBuf[h.value[0]:h.value[1]], h.score)
		}
		held = held[:0]
	}
	count := int64(0)
	for {
		e, ok, err := src.NextElem()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		count++
		if t == storage.TypeZSet && math.IsNaN(e.Score) {
			return errors.New("NaN score in a sorted set value")
		}
		if !big {
			big = (maxEntries >= 0 && count > maxEntries) ||
				(maxValue >= 0 && (int64(len(e.Member)) > maxValue || int64(len(e.Value)) > maxValue)) ||
				(t == storage.TypeSet && !intsetMember(e.Member))
			if big && decided {
				co.setBig()
			}
		}
		if decided {
			write(e.Member, e.Value, e.Score)
			continue
		}
		h := heldElem{score: e.Score}
		h.member[0] = len(heldBuf)
		heldBuf = append(heldBuf, e.Member...)
		h.member[1] = len(heldBuf)
		h.value[0] = len(heldBuf)
		heldBuf = append(heldBuf, e.Value...)
		h.value[1] = len(heldBuf)
		held = append(held, h)
		if len(held) >= loadSmall {
			decide()
		}
	}
	if count == 0 {
		return errors.New("empty collection value")
	}
	if !decided {
		decide()
	}
	co.m.Count = uint64(n)
	if t == storage.TypeZSet && n >= zsetFenceMin {
		// Fenced now, not at the set's first write, which would walk it
		// all then (0.34 s per million members). A bulk load's writer
		// makes the fence records from the sorted members.
		if s.ks.sink != nil {
			co.setTailBit(zsetFenced)
		} else {
			zsetBuildFences(co)
		}
	}
	co.save()
	return nil
}
