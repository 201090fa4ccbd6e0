package daemon

import (
	"fmt"
	"io"
	"time"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// Offline RDB tools (`redoubt rdb import|export`) run a Server that serves
// no clients over a store of their own; cmd/redoubt opens it.

// ImportStats is what an import loaded.
type ImportStats struct {
	Keys      int64 // keys created
	Expired   int64 // keys skipped because their expiry had passed
	Functions int   // function libraries skipped (no scripting yet)
	ModuleAux int   // module records skipped
}

// ImportOptions tune an import.
type ImportOptions struct {
	rdb.ReaderOptions
	// OnPhase, if set, hears what the load does while it reads nothing:
	// sorting and writing what it holds. It is called from the loading
	// goroutine.
	OnPhase func(msg string)
}

// ImportRDB loads an RDB stream into the keyspace, which must be empty (no
// client may be connected), as a bulk load (see bulkload.go). Like a master
// loading its file at startup, it drops keys whose expiry has passed. On
// error the keyspace may hold part of the file: the caller imports into a
// scratch store and keeps it only on success (see cmd/redoubt). Warnings go
// to the server's log.
func (s *Server) ImportRDB(r io.Reader, o ImportOptions) (ImportStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.importLocked(r, o, loadHooks{})
}

// loadHooks are what a replica loading its primary's snapshot adds to an
// import (the zero value is rdb import's).
type loadHooks struct {
	// keepExpired keeps keys whose expiry has passed: the primary's DELs
	// follow.
	keepExpired bool
	// onAux sees the file's AUX fields.
	onAux func(rdb.Aux)
	// step, if set, is called every few milliseconds of loading with nil,
	// and with each long part of the load that touches no server state
	// (sorting and writing runs): it runs that part, if any, with mu
	// released, and lets clients in. An error ends the load.
	step func(heavy func() error) error
}

// loadStepEvery is how long a load runs between two steps (loadHooks):
// the longest a command allowed while loading (INFO, ROLE, PUBLISH...)
// waits for the lock.
const loadStepEvery = 10 * time.Millisecond

// loadStepper calls a load's step hook once loadStepEvery has passed since
// the last step, looking at the clock every 64 calls: between keys, and
// between the members of a collection, so that one big key (a set of
// millions of members) does not hold mu for the whole of its load.
type loadStepper struct {
	step func(heavy func() error) error
	n    int
	last time.Time
}

func (p *loadStepper) maybe() error {
	if p.step == nil {
		return nil
	}
	p.n++
	if p.n%64 != 0 || time.Since(p.last) < loadStepEvery {
		return nil
	}
	if err := p.step(nil); err != nil {
		return err
	}
	p.last = time.Now()
	return nil
}

// steppedElems reads a collection's members with the load's steps in
// between (loadStepper). A step lets in only what runs while loading,
// which touches no key, so a collection half made is safe meanwhile.
type steppedElems struct {
	src elemSource
	p   *loadStepper
}

func (e steppedElems) NextElem() (rdb.Elem, bool, error) {
	if err := e.p.maybe(); err != nil {
		return rdb.Elem{}, false, err
	}
	return e.src.NextElem()
}

// importLocked is ImportRDB under mu, with a replica's hooks. Holds mu
// (released within h.step).
func (s *Server) importLocked(r io.Reader, o ImportOptions, h loadHooks) (ImportStats, error) {
	var st ImportStats
	if n := s.keyCountLocked(); n != 0 {
		return st, fmt.Errorf("the keyspace is not empty (%d keys)", n)
	}
	o.VerifyChecksum = s.cfg.Rdbchecksum
	// The bulk load refuses duplicate members when it sorts them.
	o.MembersCheckedLater = true
	// The file is read a few batches ahead, on another goroutine.
	rd := newPrefetchReader(rdb.NewReader(r, o.ReaderOptions))
	defer rd.close()
	bl, err := newBulkLoad(s.ks, s.log)
	if err != nil {
		return st, err
	}
	bl.onPhase = o.OnPhase
	defer bl.close()
	now := s.ks.Now()
	step := h.step
	if step != nil {
		step = func(heavy func() error) error {
			// A step within a collection: the key's colls are the
			// load's, not the commands' that run meanwhile, whose end
			// recycles whatever collUsed holds (endCommand).
			used := s.ks.collUsed
			s.ks.collUsed = nil
			err := h.step(heavy)
			s.ks.collUsed = append(used, s.ks.collUsed...)
			return err
		}
	}
	bl.step = step
	stepper := &loadStepper{step: step, last: time.Now()}
	var elems elemSource = rd
	if h.step != nil {
		elems = steppedElems{rd, stepper}
	}
	for {
		if err := stepper.maybe(); err != nil {
			return st, err
		}
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, err
		}
		switch rec.Kind {
		case rdb.KindAux:
			s.log.Debug("RDB aux field", "key", rec.Aux.Key, "value", rec.Aux.Val)
			if h.onAux != nil {
				h.onAux(rec.Aux)
			}
		case rdb.KindSelectDB:
			if rec.DB >= s.ks.Databases() {
				return st, fmt.Errorf("rdb: offset %d: database %d is out of range (databases is %d)", rec.Offset, rec.DB, s.ks.Databases())
			}
		case rdb.KindResizeDB:
			// The groups' memory is reserved once, at its full size.
		case rdb.KindFunction:
			st.Functions++
			s.log.Warn("skipping a function library: Redoubt runs no scripts yet", "offset", rec.Offset)
		case rdb.KindModuleAux:
			st.ModuleAux++
			s.log.Warn("skipping module data", "module", rec.Module, "offset", rec.Offset)
		case rdb.KindEOF:
			if rec.Checksum == rdb.ChecksumZero {
				s.log.Warn("RDB file was saved with checksum disabled: no check performed.")
			}
		case rdb.KindKey:
			t, ok := storageType(rec.Type)
			if !ok {
				return st, fmt.Errorf("rdb: offset %d: key %q is a %s, which Redoubt does not support", rec.Offset, rec.Key, rec.Type)
			}
			if rec.ExpireMs != 0 && rec.ExpireMs < now && !h.keepExpired {
				st.Expired++
				continue
			}
			if bl.maybeLoaded(rec.DB, rec.Key) {
				// Keys held in the arena are checked for duplicates when
				// sorted; earlier rounds' are in the store, and the filter
				// says this one may be.
				mk := storage.MetaKey(nil, s.ks.physDB(rec.DB), rec.Key)
				if _, found, err := s.ks.store.Get(nil, mk); err != nil {
					return st, err
				} else if found {
					return st, fmt.Errorf("rdb: offset %d: duplicate key %q in db %d", rec.Offset, rec.Key, rec.DB)
				}
			}
			bl.begin(rec.DB, rec.Key, rec.Offset)
			if t == storage.TypeString {
				s.ks.Put(rec.DB, rec.Key, nil, &storage.Meta{Type: storage.TypeString, ExpireAt: rec.ExpireMs, Value: rec.Value})
			} else if err := s.loadColl(rec.DB, rec.Key, t, elems, rec.ExpireMs); err != nil {
				return st, fmt.Errorf("rdb: offset %d: key %q: %w", rec.Offset, rec.Key, err)
			}
			if err := bl.end(); err != nil {
				return st, err
			}
			// The key's colls, with their buffers, for the next key's:
			// no command ends during a load to recycle them, and one
			// allocated per collection was half of an import's garbage.
			s.ks.recycleColls()
			st.Keys++
		}
	}
	if err := bl.flush(true); err != nil {
		return st, err
	}
	bl.close()
	// The counters and the version ceiling go the ordinary way.
	s.commitLocked()
	s.ks.wb.drain()
	s.ks.changes = 0
	return st, nil
}

// ExportRDB writes the whole keyspace to path as an RDB file, durably (a
// temporary file renamed when complete). progress,
// if set, is called with keys done and the total, from this goroutine.
func (s *Server) ExportRDB(path string, progress func(done, total int64)) error {
	s.mu.Lock()
	v := s.ks.snapshot()
	opts := s.rdbOptionsLocked()
	s.mu.Unlock()
	defer v.close()
	total, done := v.keys(), int64(0)
	tick := func() {
		done++
		if progress != nil && (done%10000 == 0 || done == total) {
			progress(done, total)
		}
	}
	if err := writeRDBFile(v, path, opts, tick); err != nil {
		return err
	}
	if done != total {
		// The counters and the records disagree: the file is complete
		// as to the records, but say so.
		s.log.Warn("exported key count differs from the database sizes", "exported", done, "counted", total)
	}
	return nil
}

// KeyCount is the number of keys in every database (for tools).
func (s *Server) KeyCount() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyCountLocked()
}

func (s *Server) keyCountLocked() int64 {
	var n int64
	for db := 0; db < s.ks.Databases(); db++ {
		n += s.ks.DBSize(db)
	}
	return n
}
