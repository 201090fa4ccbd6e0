package memory

import (
	"bytes"
	"errors"

	"github.com/redoubtdb/redoubt/storage"
)

var _ storage.Ingester = (*Store)(nil)

var errRunState = errors.New("storage: run is finished, aborted or ingested")

// run is a storage.Run held in memory until Ingest.
type run struct {
	s        *Store
	entries  []entry
	finished bool
	done     bool // aborted or ingested
}

// NewRun implements storage.Ingester.
func (s *Store) NewRun() (storage.Run, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	return &run{s: s}, nil
}

func (r *run) Set(key, value []byte) error {
	if r.finished || r.done {
		return errRunState
	}
	if len(key) == 0 {
		return errEmptyKey
	}
	if n := len(r.entries); n > 0 && bytes.Compare(key, r.entries[n-1].key) <= 0 {
		return storage.ErrRunOrder
	}
	r.entries = append(r.entries, entry{key: bytes.Clone(key), value: append([]byte{}, value...)})
	return nil
}

func (r *run) Finish() error {
	if r.finished || r.done {
		return errRunState
	}
	r.finished = true
	return nil
}

func (r *run) Abort() {
	r.done = true
	r.entries = nil
}

// Ingest implements storage.Ingester.
func (s *Store) Ingest(runs []storage.Run) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	var rs []*run
	for _, sr := range runs {
		r, ok := sr.(*run)
		if !ok || r.s != s {
			return errors.New("storage: run belongs to another store")
		}
		if !r.finished || r.done {
			return errRunState
		}
		rs = append(rs, r)
	}
	if err := checkDisjoint(rs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.frozen = nil
	for _, r := range rs {
		for _, e := range r.entries {
			s.mu.data.ReplaceOrInsert(e)
		}
		r.entries, r.done = nil, true
	}
	return nil
}

// checkDisjoint refuses runs whose key ranges overlap, as Pebble does.
func checkDisjoint(rs []*run) error {
	for i, a := range rs {
		if len(a.entries) == 0 {
			continue
		}
		for _, b := range rs[i+1:] {
			if len(b.entries) == 0 {
				continue
			}
			aLo, aHi := a.entries[0].key, a.entries[len(a.entries)-1].key
			bLo, bHi := b.entries[0].key, b.entries[len(b.entries)-1].key
			if bytes.Compare(aLo, bHi) <= 0 && bytes.Compare(bLo, aHi) <= 0 {
				return errors.New("storage: ingested runs overlap")
			}
		}
	}
	return nil
}
