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
	if err := s.loadColl(db, key, v.t, &sliceSource{elems: v.elems}, expireAt, 0); err != nil {
		panic(storageError{err}) // readValue checked everything loadColl checks
	}
}

// loadSmall is how many members loadColl holds back to decide the
// encoding flag from the content; past it, every type is big by count
// with Redis's default limits (a larger configured limit is checked as the
// members stream by).
const loadSmall = 1024

// loadColl creates collection key in db (which must not exist) from src,
// with the encoding flag Redis's loader would give it. Members must be
// distinct (lists aside) and scores numbers. With commitEvery > 0 the unit
// is committed every that many members, for loading a fresh store offline
// (rdb import), where nobody sees the half-built collection. Holds mu.
func (s *Server) loadColl(db int, key []byte, t storage.Type, src elemSource, expireAt int64, commitEvery int) error {
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
		held    []rdb.Elem // members held back while the encoding is open
		seen    = map[string]struct{}{}
		big     bool
		decided bool
		n       int64
		buf     []byte
		head    = co.listHead()
	)
	write := func(e rdb.Elem) error {
		switch t {
		case storage.TypeHash:
			co.put(e.Member, e.Value)
		case storage.TypeSet:
			co.put(e.Member, nil)
		case storage.TypeZSet:
			score := e.Score
			if !big && score == 0 {
				score = 0 // a listpack keeps -0 as 0
			}
			zsetWrite(co, e.Member, score)
		case storage.TypeList:
			buf = listSub(buf[:0], head+uint64(n))
			co.put(buf, e.Member)
		}
		n++
		if commitEvery > 0 && n%int64(commitEvery) == 0 {
			s.commitLocked()
		}
		return nil
	}
	decide := func() error {
		decided = true
		if big {
			co.setBig()
		}
		for _, e := range held {
			if err := write(e); err != nil {
				return err
			}
		}
		held = nil
		return nil
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
		if t != storage.TypeList {
			dup := false
			if decided {
				dup = co.has(memberSub(t, e.Member, buf[:0]))
			} else {
				_, dup = seen[string(e.Member)]
				seen[string(e.Member)] = struct{}{}
			}
			if dup {
				return errDuplicateMember
			}
		}
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
			if err := write(e); err != nil {
				return err
			}
			continue
		}
		held = append(held, rdb.Elem{
			Member: append([]byte(nil), e.Member...),
			Value:  append([]byte(nil), e.Value...),
			Score:  e.Score,
		})
		if len(held) >= loadSmall {
			if err := decide(); err != nil {
				return err
			}
			seen = nil
		}
	}
	if count == 0 {
		return errors.New("empty collection value")
	}
	if !decided {
		if err := decide(); err != nil {
			return err
		}
	}
	co.m.Count = uint64(n)
	co.save()
	return nil
}

// memberSub is the sub key under which a hash field, set member or sorted
// set member is found.
func memberSub(t storage.Type, member, dst []byte) []byte {
	if t == storage.TypeZSet {
		return zsetMemberSub(dst, member)
	}
	return append(dst, member...)
}
