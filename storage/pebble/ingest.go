package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/redoubtdb/redoubt/storage"
)

var _ storage.Ingester = (*Store)(nil)

// runDirName is the directory, inside the database's, where runs are
// written before Ingest links them into the LSM.
const runDirName = "ingest.tmp"

var errRunState = errors.New("storage: run is finished, aborted or ingested")

// run is a storage.Run: one sstable, written with the database's own
// options (bloom filters, compression, format), at sequence number 0.
type run struct {
	s        *Store
	path     string
	w        *sstable.Writer // nil once finished or aborted
	last     []byte
	n        int
	finished bool
	done     bool // aborted or ingested
}

// NewRun implements storage.Ingester.
func (s *Store) NewRun() (storage.Run, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	if err := s.fs.MkdirAll(s.runDir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	path := s.fs.PathJoin(s.runDir, strconv.FormatUint(s.runSeq.Add(1), 10)+".sst")
	f, err := s.fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), s.writerOp)
	return &run{s: s, path: path, w: w}, nil
}

func (r *run) Set(key, value []byte) error {
	if r.w == nil || r.finished {
		return errRunState
	}
	if len(key) == 0 {
		return errEmptyKey
	}
	if r.n > 0 && bytes.Compare(key, r.last) <= 0 {
		return storage.ErrRunOrder
	}
	if err := r.w.Set(key, value); err != nil {
		return fmt.Errorf("storage: run: %w", err)
	}
	r.last = append(r.last[:0], key...)
	r.n++
	return nil
}

func (r *run) Finish() error {
	if r.w == nil || r.finished {
		return errRunState
	}
	r.finished = true
	err := r.w.Close() // syncs the file
	r.w = nil
	if err != nil {
		_ = r.s.fs.Remove(r.path)
		r.done = true
		return fmt.Errorf("storage: run: %w", err)
	}
	return nil
}

func (r *run) Abort() {
	if r.done {
		return
	}
	r.done = true
	if r.w != nil {
		_ = r.w.Close()
		r.w = nil
	}
	_ = r.s.fs.Remove(r.path)
}

// Ingest implements storage.Ingester. Pebble links the files into the
// database and puts each in the lowest level where it overlaps nothing
// (the bottom one, for a load into an empty store); the originals are
// removed afterwards.
func (s *Store) Ingest(runs []storage.Run) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	var paths []string
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
		if r.n > 0 {
			paths = append(paths, r.path)
		}
	}
	var err error
	if len(paths) > 0 {
		err = s.db.Ingest(context.Background(), paths)
	}
	for _, r := range rs {
		r.Abort() // the database holds its own link (or copy) now
	}
	if err != nil {
		return fmt.Errorf("storage: ingest: %w", err)
	}
	return nil
}
