package daemon

import (
	"fmt"
	"io"
	"time"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// rdbOptions is how this server writes RDB: the encodings follow the
// data-type thresholds in the config, as Redis's do.
type rdbOptions struct {
	w       rdb.WriterOptions
	usedMem int64
	aux     []rdb.Aux // more AUX fields (a full sync's repl-id, repl-offset)
}

// rdbOptionsLocked reads the settings a save uses. Holds mu.
func (s *Server) rdbOptionsLocked() rdbOptions {
	return rdbOptions{w: s.rdbWriterOptions(), usedMem: int64(readMemory().used)}
}

func (s *Server) rdbWriterOptions() rdb.WriterOptions {
	c := s.cfg
	// 0 means "the default" to the writer; a configured 0 means "never
	// the small encoding", which it spells as a negative limit.
	lim := func(v int) int {
		if v == 0 {
			return -1
		}
		return v
	}
	return rdb.WriterOptions{
		Compress:               c.Rdbcompression,
		Checksum:               c.Rdbchecksum,
		HashMaxListpackEntries: lim(c.HashMaxListpackEntries),
		HashMaxListpackValue:   lim(int(c.HashMaxListpackValue)),
		ZsetMaxListpackEntries: lim(c.ZsetMaxListpackEntries),
		ZsetMaxListpackValue:   lim(int(c.ZsetMaxListpackValue)),
		SetMaxIntsetEntries:    lim(c.SetMaxIntsetEntries),
	}
}

// encodeRDB writes a whole RDB file of the snapshot to w, with the AUX
// fields Redis 7.0 writes for a standalone master.
func encodeRDB(w io.Writer, v *keyspaceSnapshot, o rdbOptions, progress func()) error {
	rw := rdb.NewWriter(w, o.w)
	aux := append([]rdb.Aux{
		{Key: "redis-ver", Val: Version},
		rdb.AuxInt("redis-bits", 64),
		rdb.AuxInt("ctime", time.Now().Unix()),
		rdb.AuxInt("used-mem", o.usedMem),
	}, o.aux...)
	err := rw.Header(append(aux, rdb.AuxInt("aof-base", 0))...)
	if err != nil {
		return err
	}
	if err := v.walk(&rdbSink{file: rw, m: rw}, progress); err != nil {
		return err
	}
	return rw.Finish()
}

// rdbSink feeds a keyspace walk (or one key) to an RDB file writer, or to
// a DUMP payload writer, which takes the same calls without key headers.
type rdbSink struct {
	file    *rdb.Writer
	payload *rdb.PayloadWriter
	m       rdbMembers // whichever of the two is set
	t       storage.Type
}

// rdbMembers is what both writers share: the members of an open value.
type rdbMembers interface {
	Field(field, value []byte) error
	Member(m []byte) error
	Scored(member []byte, score float64) error
	Elem(e []byte) error
	End() error
}

func (s *rdbSink) SelectDB(db int, keys, expires uint64) error {
	if s.file == nil {
		return nil
	}
	return s.file.SelectDB(db, keys, expires)
}

func (s *rdbSink) String(key []byte, expireAt int64, val []byte) error {
	if s.file == nil {
		return s.payload.String(val)
	}
	return s.file.String(rdb.KeyHeader{Key: key, ExpireMs: expireAt}, val)
}

func (s *rdbSink) Begin(t storage.Type, key []byte, expireAt int64, n uint64) error {
	s.t = t
	h := rdb.KeyHeader{Key: key, ExpireMs: expireAt}
	switch {
	case t == storage.TypeHash && s.file != nil:
		return s.file.BeginHash(h, int(n))
	case t == storage.TypeHash:
		return s.payload.BeginHash(int(n))
	case t == storage.TypeSet && s.file != nil:
		return s.file.BeginSet(h, int(n))
	case t == storage.TypeSet:
		return s.payload.BeginSet(int(n))
	case t == storage.TypeZSet && s.file != nil:
		return s.file.BeginZSet(h, int(n))
	case t == storage.TypeZSet:
		return s.payload.BeginZSet(int(n))
	case t == storage.TypeList && s.file != nil:
		return s.file.BeginList(h, int(n))
	case t == storage.TypeList:
		return s.payload.BeginList(int(n))
	}
	return fmt.Errorf("key %q: type %v cannot be saved", key, t)
}

func (s *rdbSink) Member(a, b []byte, score float64) error {
	switch s.t {
	case storage.TypeHash:
		return s.m.Field(a, b)
	case storage.TypeSet:
		return s.m.Member(a)
	case storage.TypeZSet:
		return s.m.Scored(a, score)
	default:
		return s.m.Elem(a)
	}
}

func (s *rdbSink) End() error { return s.m.End() }
