package daemon

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// debugObject is DEBUG OBJECT key: Redis's one line about a value, in its
// format. encoding, refcount and the idle time are OBJECT's answers;
// serializedlength is the length of the value as an RDB file or a DUMP
// payload holds it, which is Redis's figure wherever Redoubt writes the
// encoding Redis would (every type but lists, whose quicklist nodes it
// cuts at 128 elements where Redis cuts at 8 KB); lru is Redis's LRU clock
// (seconds, 24 bits) at the last access. A list's ql_ fields describe
// those nodes. There is no address: values live in the store, so "Value
// at" is 0x0. Like Redis's, it does not count as an access. Holds mu.
func debugObject(c *Client, key []byte) {
	s := c.srv
	m, ok := peekKey(s.ks, c.db, key)
	if !ok {
		c.ReplyError("ERR no such key")
		return
	}
	pw := rdb.NewPayloadWriter(s.rdbWriterOptions())
	p := s.ks.physDB(c.db)
	r := liveReader{ks: s.ks, prefix: storage.DataPrefixOf(nil, p, key, &m)}
	if err := emitKey(r, p, key, &m, &rdbSink{payload: pw, m: pw}); err != nil {
		panic(storageError{err})
	}
	payload, err := pw.Payload()
	if err != nil {
		panic(storageError{err})
	}
	// A payload is the type byte, the value, the RDB version (2 bytes)
	// and a CRC-64 (8).
	value := payload[1 : len(payload)-10]
	idle := s.ks.idleSeconds(c.db, key)
	lru := (s.ks.now()/1000 - idle) & (1<<24 - 1)
	enc := objectEncoding(&m)
	extra := ""
	if enc == "quicklist" {
		nodes, size, ok := quicklistNodes(value)
		if !ok {
			panic(storageError{fmt.Errorf("%w: DEBUG OBJECT could not read back the list's quicklist", storage.ErrCorrupt)})
		}
		avg := 0.0
		if nodes > 0 {
			avg = float64(m.Count) / float64(nodes)
		}
		compressed := 0
		if s.cfg.ListCompressDepth != 0 {
			compressed = 1
		}
		extra = fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d",
			nodes, avg, s.cfg.ListMaxListpackSize, compressed, size)
	}
	c.ReplySimple(fmt.Sprintf("Value at:0x0 refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
		objectRefcount(&m), enc, len(value), lru, idle, extra))
}

// quicklistNodes reads an RDB quicklist (version 2) value: its node count
// and the sum of its nodes' listpack sizes, uncompressed.
func quicklistNodes(b []byte) (nodes, size uint64, ok bool) {
	nodes, special, b, ok := rdbLength(b)
	if !ok || special {
		return 0, 0, false
	}
	for range nodes {
		var n uint64
		if _, special, b, ok = rdbLength(b); !ok || special { // container: plain or packed
			return 0, 0, false
		}
		if n, b, ok = rdbStringSize(b); !ok {
			return 0, 0, false
		}
		size += n
	}
	return nodes, size, len(b) == 0
}

// rdbLength reads an RDB length, or (special) the encoding of a special
// string.
func rdbLength(b []byte) (n uint64, special bool, rest []byte, ok bool) {
	if len(b) == 0 {
		return 0, false, nil, false
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), false, b[1:], true
	case 1:
		if len(b) < 2 {
			return 0, false, nil, false
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], true
	case 3:
		return uint64(b[0] & 0x3f), true, b[1:], true
	}
	switch {
	case b[0] == 0x80 && len(b) >= 5:
		return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], true
	case b[0] == 0x81 && len(b) >= 9:
		return binary.BigEndian.Uint64(b[1:]), false, b[9:], true
	}
	return 0, false, nil, false
}

// rdbStringSize skips an RDB string, returning its length once decoded.
func rdbStringSize(b []byte) (size uint64, rest []byte, ok bool) {
	n, special, b, ok := rdbLength(b)
	if !ok {
		return 0, nil, false
	}
	if !special {
		if uint64(len(b)) < n {
			return 0, nil, false
		}
		return n, b[n:], true
	}
	var v int64
	switch n {
	case 0: // int8
		if len(b) < 1 {
			return 0, nil, false
		}
		v, b = int64(int8(b[0])), b[1:]
	case 1: // int16
		if len(b) < 2 {
			return 0, nil, false
		}
		v, b = int64(int16(binary.LittleEndian.Uint16(b))), b[2:]
	case 2: // int32
		if len(b) < 4 {
			return 0, nil, false
		}
		v, b = int64(int32(binary.LittleEndian.Uint32(b))), b[4:]
	case 3: // LZF: compressed length, then the length once decompressed
		clen, sp, r, ok := rdbLength(b)
		if !ok || sp {
			return 0, nil, false
		}
		ulen, sp, r, ok := rdbLength(r)
		if !ok || sp || uint64(len(r)) < clen {
			return 0, nil, false
		}
		return ulen, r[clen:], true
	default:
		return 0, nil, false
	}
	return uint64(len(strconv.FormatInt(v, 10))), b, true
}
