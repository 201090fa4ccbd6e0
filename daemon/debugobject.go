package daemon

import (
	"fmt"

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
		nodes, size, err := rdb.QuicklistNodes(payload)
		if err != nil {
			panic(storageError{err})
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
