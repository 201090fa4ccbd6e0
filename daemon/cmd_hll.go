package daemon

import (
	"strings"

	"github.com/redoubtdb/redoubt/storage"
)

// HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST, with
// Redis 7.0's hyperloglog.c semantics (the algorithm is in hll.go). A HLL
// is a plain string value, changed in place as Redis does: the TTL stays
// and the value is left "raw".
//
// What Redis counts as a change (server.dirty) and what it reports to
// WATCH (signalModifiedKey) differ between the commands; they map to
// Keyspace.Put (both), Keyspace.PutQuiet (neither) and PutQuiet plus a
// counted change (PFDEBUG's encoding conversions: propagated, WATCH
// untouched).

func init() {
	registrations = append(registrations, func(t *commandTable) {
		t.register("pfadd", cmdPfadd)
		t.register("pfcount", cmdPfcount)
		// Redis 7.0 flags PFCOUNT may-replicate (hidden from COMMAND INFO):
		// a WRITE pause holds it, as it may write the cached cardinality.
		t.byName["pfcount"].flags |= flagMayReplicate
		t.register("pfmerge", cmdPfmerge)
		t.register("pfdebug", cmdPfdebug)
		t.register("pfselftest", cmdPfselftest)
	})
}

// hllLookup reads key's HLL for a change: the returned value is a copy
// the caller may modify. found false is a missing key; ok false means an
// error was replied.
func hllLookup(c *Client, key []byte, read bool) (m storage.Meta, h []byte, found, ok bool) {
	if read {
		m, found = strLookupRead(c, key)
	} else {
		m, found = c.srv.ks.Lookup(c.db, key)
	}
	if !found {
		return m, nil, false, true
	}
	if m.Type != storage.TypeString {
		c.ReplyError(errWrongType)
		return m, nil, true, false
	}
	v := c.srv.ks.strValue(c.db, key, &m)
	if !hllIsValid(v) {
		c.ReplyError(errHLLWrongType)
		return m, nil, true, false
	}
	h = make([]byte, len(v), len(v)+16)
	copy(h, v)
	return m, h, true, true
}

// hllStore writes h as key's value (old nil: a new key), keeping the
// TTL and leaving the value raw. modify false is a quiet write (no change
// counted, WATCH untouched).
func hllStore(c *Client, key []byte, old *storage.Meta, h []byte, modify bool) {
	ks := c.srv.ks
	var expireAt int64
	if old != nil {
		expireAt = old.ExpireAt
	}
	if modify {
		ks.putString(c.db, key, old, h, expireAt, storage.StrEncRaw)
		return
	}
	m := storage.Meta{Type: storage.TypeString, ExpireAt: expireAt, Value: h, Enc: storage.StrEncRaw}
	if len(h) > strSetChunkAbove {
		m.Value, m.Chunked, m.Version, m.Count = nil, true, ks.newVersion(), uint64(len(h))
		ks.strWriteChunks(storage.DataPrefix(nil, ks.physDB(c.db), key, m.Version), 0, h, true)
	}
	ks.PutQuiet(c.db, key, old, &m)
}

// hllUnshare is dbUnshareStringValue for a value left unchanged: Redis
// makes it raw, which only OBJECT ENCODING can tell.
func hllUnshare(c *Client, key []byte, m *storage.Meta, h []byte) {
	if m.Enc != storage.StrEncRaw && !m.Chunked {
		hllStore(c, key, m, h, false)
	}
}

func (c *Client) hllSparseMax() int64 { return int64(c.srv.cfg.HllSparseMaxBytes) }

// cmdPfadd implements PFADD key [element ...]: 1 when a register changed
// (or the key was created), else 0.
func cmdPfadd(c *Client, argv [][]byte) {
	key := argv[1]
	m, h, found, ok := hllLookup(c, key, false)
	if !ok {
		return
	}
	updated := 0
	if !found {
		h = hllNew()
		updated++
	}
	maxBytes := c.hllSparseMax()
	for _, ele := range argv[2:] {
		var r int
		h, r = hllAdd(h, ele, maxBytes)
		switch r {
		case 1:
			updated++
		case -1:
			// Redis keeps what the elements before changed, unannounced.
			hllStore(c, key, &m, h, false)
			c.ReplyError(errHLLInvalid)
			return
		}
	}
	if updated == 0 {
		hllUnshare(c, key, &m, h)
		c.ReplyInt(0)
		return
	}
	hllInvalidateCache(h)
	if found {
		hllStore(c, key, &m, h, true)
	} else {
		hllStore(c, key, nil, h, true)
	}
	// Redis counts every register changed (server.dirty += updated).
	c.srv.ks.changes += int64(updated - 1)
	c.srv.notifyLocked(notifyString, "pfadd", c.db, key)
	c.ReplyInt(1)
}

// cmdPfcount implements PFCOUNT key [key ...]. One key: the cached
// cardinality, or a new one written back to the value (a change Redis
// propagates as the PFCOUNT itself, though the command is read-only).
// Several keys: the cardinality of their union, nothing written.
func cmdPfcount(c *Client, argv [][]byte) {
	if len(argv) > 2 {
		var max [hllRegisters]uint8
		if _, ok := hllUnion(c, argv[1:], &max); ok {
			c.ReplyInt(int64(hllRawCount(max[:])))
		}
		return
	}
	key := argv[1]
	m, h, found, ok := hllLookup(c, key, true)
	if !ok {
		return
	}
	if !found {
		c.ReplyInt(0)
		return
	}
	if hllValidCache(h) {
		hllUnshare(c, key, &m, h)
		c.ReplyInt(int64(hllCachedCard(h)))
		return
	}
	card, invalid := hllCount(h)
	if invalid {
		hllUnshare(c, key, &m, h)
		c.ReplyError(errHLLInvalid)
		return
	}
	hllSetCachedCard(h, card)
	hllStore(c, key, &m, h, true)
	if c.replicating() {
		c.propagate(argv...)
	}
	c.ReplyInt(int64(card))
}

// hllUnion merges the registers of the HyperLogLogs at keys into max (a
// missing key counts as empty), as PFCOUNT of several keys and PFMERGE
// do, and reports whether any of them was dense. When ok is false it has
// replied with the error.
func hllUnion(c *Client, keys [][]byte, max *[hllRegisters]uint8) (dense, ok bool) {
	for _, key := range keys {
		_, h, found, valid := hllLookup(c, key, true)
		if !valid {
			return false, false
		}
		if !found {
			continue
		}
		if hllEncoding(h) == hllDense {
			dense = true
		}
		if !hllMerge(max[:], h) {
			c.ReplyError(errHLLInvalid)
			return false, false
		}
	}
	return dense, true
}

// cmdPfmerge implements PFMERGE destkey [sourcekey ...]. The destination
// is always written (and propagated), dense when any input was.
func cmdPfmerge(c *Client, argv [][]byte) {
	var max [hllRegisters]uint8
	useDense, ok := hllUnion(c, argv[1:], &max)
	if !ok {
		return
	}
	dest := argv[1]
	m, found := c.srv.ks.Lookup(c.db, dest)
	var h []byte
	if found {
		// Checked above: a valid HLL.
		v := c.srv.ks.strValue(c.db, dest, &m)
		h = make([]byte, len(v), len(v)+16)
		copy(h, v)
	} else {
		h = hllNew()
	}
	if useDense {
		var ok bool
		if h, ok = hllSparseToDense(h); !ok {
			c.ReplyError(errHLLInvalid)
			return
		}
	}
	maxBytes := c.hllSparseMax()
	for j, v := range max {
		if v == 0 {
			continue
		}
		if hllEncoding(h) == hllDense {
			hllDenseSet(h[hllHdrSize:], j, v)
		} else {
			h, _ = hllSparseSet(h, j, v, maxBytes)
		}
	}
	hllInvalidateCache(h)
	if found {
		hllStore(c, dest, &m, h, true)
	} else {
		hllStore(c, dest, nil, h, true)
	}
	// Redis reports PFMERGE as a "pfadd": a mass-add of elements.
	c.srv.notifyLocked(notifyString, "pfadd", c.db, dest)
	c.ReplyOK()
}

// cmdPfdebug implements PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
func cmdPfdebug(c *Client, argv [][]byte) {
	sub := argv[1]
	key := argv[2]
	m, h, found, ok := hllLookup(c, key, false)
	if !ok {
		return
	}
	if !found {
		c.ReplyError("ERR The specified key does not exist")
		return
	}
	// toDense converts a sparse value in place: a change Redis propagates
	// (server.dirty++) without reporting it to WATCH.
	toDense := func() (converted, ok bool) {
		if hllEncoding(h) != hllSparse {
			hllUnshare(c, key, &m, h)
			return false, true
		}
		d, ok := hllSparseToDense(h)
		if !ok {
			hllUnshare(c, key, &m, h)
			c.ReplyError(errHLLInvalid)
			return false, false
		}
		h = d
		hllStore(c, key, &m, h, false)
		c.srv.ks.changes++
		return true, true
	}
	switch {
	case equalFold(sub, "getreg"):
		if _, ok := toDense(); !ok {
			return
		}
		c.ReplyArrayLen(hllRegisters)
		regs := h[hllHdrSize:]
		for j := 0; j < hllRegisters; j++ {
			c.ReplyInt(int64(hllDenseGet(regs, j)))
		}
	case equalFold(sub, "decode"):
		hllUnshare(c, key, &m, h)
		if hllEncoding(h) != hllSparse {
			c.ReplyError("ERR HLL encoding is not sparse")
			return
		}
		c.ReplyBulkString(hllDecode(h))
	case equalFold(sub, "encoding"):
		hllUnshare(c, key, &m, h)
		if hllEncoding(h) == hllDense {
			c.ReplySimple("dense")
		} else {
			c.ReplySimple("sparse")
		}
	case equalFold(sub, "todense"):
		conv, ok := toDense()
		if !ok {
			return
		}
		if conv {
			c.ReplyInt(1)
		} else {
			c.ReplyInt(0)
		}
	default:
		hllUnshare(c, key, &m, h)
		c.ReplyError("ERR Unknown PFDEBUG subcommand '" + sanitizeErrArg(string(sub)) + "'")
	}
}

// sanitizeErrArg is what addReplyErrorFormat does to a formatted error:
// newlines become spaces.
func sanitizeErrArg(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// cmdPfselftest implements PFSELFTEST: Redis's self-test of the register
// access and of the estimator's error.
func cmdPfselftest(c *Client, argv [][]byte) {
	if msg := hllSelfTest(c.hllSparseMax(), nil); msg != "" {
		c.ReplyError(msg)
		return
	}
	c.ReplyOK()
}
