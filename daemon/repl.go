package daemon

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// The replication stream of a primary, as Redis 7.0 writes it (PROTOCOL.md
// A.6, A.7): every write is appended, in execution order and in a
// deterministic form (relative expiries made absolute, blocking pops as
// plain pops, random pops as SREMs), to a stream whose byte count is the
// replication offset. The last repl-backlog-size bytes stay in the backlog
// for replicas that reconnect (PSYNC); replicas get the stream as it grows
// (repl_master.go).
//
// Nothing is recorded until the first replica attaches: before that the
// stream does not exist, the offset stays where it is, and a write pays one
// branch for it, as in Redis (no backlog, no propagation).
//
// A command's writes form a unit: what it propagates (lazily expired keys'
// DELs, the command itself or what it is rewritten to, pops it served to
// blocked clients) is gathered while it runs and appended when it ends,
// wrapped in MULTI/EXEC when it is more than one command (an EXEC's queue,
// a push that served a blocked pop), so a replica applies it atomically.

// replState is the replication state of this server as a primary. Guarded
// by Server.mu.
type replState struct {
	id  string // master_replid
	id2 string // master_replid2: the history before the last id change
	// offset is master_repl_offset: bytes ever appended to the stream.
	offset int64
	// secondOffset is second_repl_offset: up to where id2 is valid, -1
	// when unset.
	secondOffset int64
	backlog      *backlog // nil until the first replica attaches
	// seldb is the database the stream last selected, -1 to force a
	// SELECT before the next command.
	seldb int

	// The unit being gathered: encoded commands in unit, one unitOp each.
	unit    []byte
	unitOps []unitOp
	depth   int // invoke nesting; ops outside any command are appended at once

	replicas []*Client // every replica link, in attach order
	dirty    []*Client // replicas with stream bytes for their loop to write
	waiters  []*Client // clients blocked in WAIT
	getack   bool      // a WAIT blocked: ask replicas for their offsets

	// noReplicasSince is when the last replica left (backlog TTL).
	noReplicasSince time.Time
	lastPing        time.Time

	syncFull, syncPartialOK, syncPartialErr int64
	netOut                                  int64 // total_net_repl_output_bytes

	// A replica's link to its primary (repl_replica.go), nil on a
	// primary; cached is the history a PSYNC asks to continue.
	master *masterLink
	cached *cachedMaster

	failover failoverState // FAILOVER (failover.go)
	// psyncWaiters are PSYNC FAILOVERs waiting for the link's stream
	// (psyncCatchUpLocked).
	psyncWaiters map[*Client]struct{}

	// The position last written to the store with the data (see
	// saveReplPosLocked), and the one read at start.
	savedID  string
	savedOff int64
	loaded   *cachedMaster
}

type unitOp struct {
	db         int // -1: no SELECT (PING, REPLCONF GETACK)
	start, end int // the encoded command in replState.unit
}

func (r *replState) init() {
	r.id = newRunID()
	r.id2 = nullReplID
	r.secondOffset = -1
	r.seldb = -1
	r.noReplicasSince = time.Now()
	// Redis pings its replicas every repl-ping-replica-period seconds
	// counted from its start (replication_cron_loops), not at once when
	// the first replica attaches: a stream read right after attaching
	// starts with the commands, not a PING.
	r.lastPing = r.noReplicasSince
}

// The replication id and offset are stored with the data, in the unit
// that brings the keyspace to that offset, so a restarted server knows
// where its history stands (as Redis keeps them in its RDB files): a
// replica asks its primary to continue from there, and a primary lets
// replicas that had everything continue (its old id becomes replid2).

// encodeReplPos is the record: the 40-character id, then the offset.
func encodeReplPos(id string, off int64) []byte {
	return binary.BigEndian.AppendUint64([]byte(id), uint64(off))
}

func decodeReplPos(v []byte) (*cachedMaster, bool) {
	if len(v) != 48 {
		return nil, false
	}
	off := int64(binary.BigEndian.Uint64(v[40:]))
	if off < 0 {
		return nil, false
	}
	return &cachedMaster{id: string(v[:40]), off: off}, true
}

// saveReplPosLocked adds the current position to the pending unit if it
// moved. Called by commitLocked, before the unit is committed. Holds mu.
func (s *Server) saveReplPosLocked() {
	r := &s.repl
	if r.backlog == nil || (r.id == r.savedID && r.offset == r.savedOff) {
		return
	}
	r.savedID, r.savedOff = r.id, r.offset
	s.ks.set(storage.ServerKey(nil, recordRepl), encodeReplPos(r.id, r.offset))
}

// forgetReplPosLocked removes the stored position and makes that durable
// before a full sync replaces the keyspace: a crash while loading must not
// leave the new data with an old position. Holds mu.
func (s *Server) forgetReplPosLocked() error {
	// Marked saved, so that the commit below does not write it back.
	s.repl.savedID, s.repl.savedOff = s.repl.id, s.repl.offset
	s.ks.del(storage.ServerKey(nil, recordRepl))
	s.commitLocked()
	s.ks.wb.drain()
	return s.store.Sync()
}

// loadReplPos reads the stored position at start. Holds mu.
func (s *Server) loadReplPosLocked() error {
	v, ok, err := s.store.Get(nil, storage.ServerKey(nil, recordRepl))
	if err != nil || !ok {
		return err
	}
	pos, ok := decodeReplPos(v)
	if !ok {
		s.log.Warn("ignoring an unreadable replication position record", "len", len(v))
		return nil
	}
	r := &s.repl
	r.loaded = pos
	r.savedID, r.savedOff = pos.id, pos.off
	return nil
}

// backlogMem is the memory the backlog takes (mem_replication_backlog).
func (r *replState) backlogMem() int64 {
	if r.backlog == nil {
		return 0
	}
	return int64(len(r.backlog.buf))
}

// active reports whether writes are being recorded.
func (r *replState) active() bool { return r.backlog != nil && r.master == nil }

// backlog is the ring of the last bytes of the stream. The byte at offset
// o (the first byte of the stream is offset 1) lives at buf[(o-1)%len(buf)].
type backlog struct {
	buf   []byte
	first int64 // repl_backlog_first_byte_offset
	hist  int64 // repl_backlog_histlen
}

func newBacklog(size int64, offset int64) *backlog {
	return &backlog{buf: make([]byte, size), first: offset + 1}
}

// add appends p, whose first byte is the one after the backlog's last.
func (b *backlog) add(p []byte) {
	size := int64(len(b.buf))
	if int64(len(p)) > size {
		b.first += b.hist + int64(len(p)) - size
		b.hist = 0
		p = p[int64(len(p))-size:]
	}
	end := b.first + b.hist // offset of the next byte
	for len(p) > 0 {
		at := (end - 1) % size
		n := copy(b.buf[at:], p)
		p = p[n:]
		end += int64(n)
	}
	b.hist = end - b.first
	if b.hist > size {
		b.first += b.hist - size
		b.hist = size
	}
}

// read appends the bytes from offset from (inclusive) to the end to dst.
// from must lie in first..first+hist.
func (b *backlog) read(dst []byte, from int64) []byte {
	size := int64(len(b.buf))
	end := b.first + b.hist
	for from < end {
		at := (from - 1) % size
		n := min(end-from, size-at)
		dst = append(dst, b.buf[at:at+n]...)
		from += n
	}
	return dst
}

// resized is the backlog with a new size, keeping the newest bytes.
func (b *backlog) resized(size int64) *backlog {
	if size == int64(len(b.buf)) {
		return b
	}
	keep := min(b.hist, size)
	nb := &backlog{buf: make([]byte, size), first: b.first + b.hist - keep}
	nb.add(b.read(nil, nb.first))
	return nb
}

// Command names the stream uses, as Redis spells them (shared.* objects).
var (
	propDel       = []byte("DEL")
	propSet       = []byte("SET")
	propPXAT      = []byte("PXAT")
	propKeepTTL   = []byte("KEEPTTL")
	propPexpireat = []byte("PEXPIREAT")
	propPersist   = []byte("PERSIST")
	propHset      = []byte("HSET")
	propSrem      = []byte("SREM")
	propLpop      = []byte("LPOP")
	propRpop      = []byte("RPOP")
	propLmove     = []byte("LMOVE")
	propZpopmin   = []byte("ZPOPMIN")
	propZpopmax   = []byte("ZPOPMAX")
	propAbsTTL    = []byte("ABSTTL")
	propMulti     = resp.AppendBulkString(resp.AppendArrayLen(nil, 1), "MULTI")
	propExec      = resp.AppendBulkString(resp.AppendArrayLen(nil, 1), "EXEC")
	propPing      = resp.AppendBulkString(resp.AppendArrayLen(nil, 1), "PING")
	propGetack    = appendCommand(nil, []byte("REPLCONF"), []byte("GETACK"), []byte("*"))
)

// appendCommand encodes a command as a RESP array of bulk strings.
func appendCommand(dst []byte, args ...[]byte) []byte {
	dst = resp.AppendArrayLen(dst, len(args))
	for _, a := range args {
		dst = resp.AppendBulk(dst, a)
	}
	return dst
}

func itob(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// propagateLocked adds a command for database db to the stream of the
// running unit (at once outside any command). Holds mu.
func (s *Server) propagateLocked(db int, args ...[]byte) {
	r := &s.repl
	if r.backlog == nil || r.master != nil {
		// No replicas yet; or a replica, whose stream is its primary's.
		return
	}
	start := len(r.unit)
	r.unit = appendCommand(r.unit, args...)
	r.unitOps = append(r.unitOps, unitOp{db: db, start: start, end: len(r.unit)})
	if r.depth == 0 {
		s.flushUnitLocked(false)
	}
}

// propagate is what the running command propagates instead of its own
// arguments; a command may call it several times (SPOP with a count), or
// call propagateNothing. Holds mu.
func (c *Client) propagate(args ...[]byte) {
	c.propDone = true
	c.srv.propagateLocked(c.db, args...)
}

// replicating reports whether writes are being propagated: commands check
// it before building a rewritten form they would otherwise not need.
func (c *Client) replicating() bool {
	return c.srv.repl.backlog != nil && c.srv.repl.master == nil
}

// propagateNothing keeps the running command out of the stream although it
// changed the keyspace (its changes were propagated otherwise).
func (c *Client) propagateNothing() { c.propDone = true }

// propagatePop propagates a pop as cmd key [n], without the count when n
// is negative (LPOP, RPOP, ZPOPMIN, ZPOPMAX). Holds mu.
func (c *Client) propagatePop(cmd, key []byte, n int) {
	switch {
	case !c.replicating():
		c.propagateNothing() // spares formatting the count
	case n < 0:
		c.propagate(cmd, key)
	default:
		c.propagate(cmd, key, itob(int64(n)))
	}
}

// flushUnitLocked appends the unit gathered so far to the stream: wrapped
// in MULTI/EXEC when wrap is set and it holds more than one command, as
// Redis's propagatePendingCommands does. Holds mu.
func (s *Server) flushUnitLocked(wrap bool) {
	r := &s.repl
	if len(r.unitOps) == 0 {
		return
	}
	wrap = wrap && len(r.unitOps) > 1
	if wrap {
		s.feedLocked(r.unitOps[0].db, propMulti)
	}
	for _, op := range r.unitOps {
		s.feedLocked(op.db, r.unit[op.start:op.end])
	}
	if wrap {
		s.feedLocked(-1, propExec)
	}
	r.unit = r.unit[:0]
	r.unitOps = r.unitOps[:0]
	if cap(r.unit) > 1<<20 {
		r.unit = nil
	}
}

// feedLocked appends one encoded command to the stream, with the SELECT it
// needs first. Holds mu.
func (s *Server) feedLocked(db int, cmd []byte) {
	r := &s.repl
	if db >= 0 && db != r.seldb {
		var sel [40]byte
		d := strconv.AppendInt(sel[20:20], int64(db), 10)
		s.appendStreamLocked(appendCommand(sel[:0:20], []byte("SELECT"), d))
		r.seldb = db
	}
	s.appendStreamLocked(cmd)
}

// appendStreamLocked adds bytes to the stream: the backlog, and every
// replica's pending output. Holds mu.
func (s *Server) appendStreamLocked(b []byte) {
	r := &s.repl
	r.backlog.add(b)
	r.offset += int64(len(b))
	for _, c := range r.replicas {
		s.replicaQueueLocked(c, b)
	}
}
