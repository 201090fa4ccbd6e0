package daemon

import (
	"math"
	"runtime/debug"
	"sync/atomic"

	"github.com/redoubtdb/redoubt/storage"
)

func init() { registrations = append(registrations, registerMemoryCommands) }

// MEMORY DOCTOR, USAGE, STATS, MALLOC-STATS, PURGE and HELP.
func registerMemoryCommands(t *commandTable) {
	t.registerContainer("memory")
	t.register("memory|usage", cmdMemoryUsage)
	t.register("memory|stats", cmdMemoryStats)
	t.register("memory|doctor", func(c *Client, argv [][]byte) { c.ReplyVerbatim(c.srv.memoryDoctorReport()) })
	t.register("memory|malloc-stats", func(c *Client, argv [][]byte) {
		// What Redis built without jemalloc answers: the Go runtime's
		// figures are in MEMORY STATS and INFO memory.
		c.ReplyBulkString("Stats not supported for the current allocator")
	})
	t.register("memory|purge", func(c *Client, argv [][]byte) {
		// Returning freed heap pages to the OS runs a full collection:
		// off the event loop, one at a time, and the reply does not wait
		// for it.
		if purging.CompareAndSwap(false, true) {
			go func() {
				defer purging.Store(false)
				debug.FreeOSMemory()
			}()
		}
		c.ReplyOK()
	})
	t.register("memory|help", func(c *Client, argv [][]byte) { replyHelpLines(c, argv, memoryHelp) })
}

// purging is set while a MEMORY PURGE runs.
var purging atomic.Bool

var memoryHelp = []string{
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
}

// memoryRecordOverhead is what a record costs the store besides its key
// and value bytes: Pebble's 8-byte trailer (sequence number and kind).
const memoryRecordOverhead = 8

// cmdMemoryUsage is MEMORY USAGE key [SAMPLES count]. Redoubt keeps keys in
// its store, not in memory, so the figure is what the key costs there: the
// bytes of its records (store keys, values and trailers) before block
// compression. Like Redis, a collection's size is estimated from its
// first count records (5 by default; 0: all of them).
func cmdMemoryUsage(c *Client, argv [][]byte) {
	samples := int64(5)
	for j := 3; j < len(argv); j++ {
		if equalFold(argv[j], "samples") && j+1 < len(argv) {
			n, ok := parseInt(argv[j+1])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			if n < 0 {
				c.ReplyError(errSyntax)
				return
			}
			if n == 0 {
				n = math.MaxInt64
			}
			samples = n
			j++
		} else {
			c.ReplyError(errSyntax)
			return
		}
	}
	ks := c.srv.ks
	// The whole record: a string stored whole comes with its value (a
	// chunked one without it).
	m, ok := ks.Peek(c.db, argv[2])
	if !ok {
		c.ReplyNull()
		return
	}
	key := argv[2]
	// The meta record: family, database and key, then the encoded meta
	// (type, flags, expiry, version and count varints: about 16 bytes).
	size := int64(3+len(key)) + 16 + memoryRecordOverhead
	if m.ExpireAt != 0 {
		// The expiry index record: family, database, time and key.
		size += int64(3+8+len(key)) + memoryRecordOverhead
	}
	switch {
	case m.Type == storage.TypeString && !m.Chunked:
		size += int64(len(m.Value))
	case m.Type == storage.TypeString:
		// Chunk records of strChunkSize bytes under the data prefix.
		chunks := (int64(m.Count) + strChunkSize - 1) / strChunkSize
		size += int64(m.Count) + chunks*(int64(3+len(key)+8+8)+memoryRecordOverhead)
	default:
		size += memberRecordsSize(ks, c.db, key, m, samples)
	}
	c.ReplyInt(size)
}

// memberRecordsSize estimates the bytes of a collection's member records
// from its first samples records.
func memberRecordsSize(ks *Keyspace, db int, key []byte, m storage.Meta, samples int64) int64 {
	records := int64(m.Count)
	if m.Type == storage.TypeZSet {
		records *= 2 // a member record and a score index record
	}
	if records == 0 {
		return 0
	}
	it := ks.openColl(db, key, m).iter(nil, nil)
	defer closeIter(it)
	var n, bytes int64
	for ok := it.First(); ok && n < samples; ok = it.Next() {
		bytes += int64(len(it.Key())+len(it.Value())) + memoryRecordOverhead
		n++
	}
	if n == 0 {
		return 0
	}
	if n >= records {
		return bytes
	}
	return int64(float64(bytes) / float64(n) * float64(records))
}

// cmdMemoryStats is MEMORY STATS: Redis's fields, in its order, from the
// figures INFO memory reports (see infoMemory for how the Go runtime's map
// onto Redis's: overhead and startup are 0, the whole of used memory is
// dataset).
func cmdMemoryStats(c *Client, argv [][]byte) {
	s := c.srv
	m := readMemory()
	keys := s.keyCountLocked()
	bufs := s.clientBuffersLocked()
	type field struct {
		name string
		val  any // int64, float64, or []field for a database
	}
	fields := []field{
		{"peak.allocated", int64(m.peak)},
		{"total.allocated", int64(m.used)},
		{"startup.allocated", int64(0)},
		{"replication.backlog", s.repl.backlogMem()},
		{"clients.slaves", bufs.replicaBytes},
		{"clients.normal", bufs.clientBytes},
		{"cluster.links", int64(0)},
		{"aof.buffer", int64(0)},
		{"lua.caches", int64(0)},
		{"functions.caches", int64(0)},
	}
	for db := range s.ks.Databases() {
		if s.ks.DBSize(db) == 0 {
			continue
		}
		fields = append(fields, field{"db." + itoa(int64(db)), []field{
			{"overhead.hashtable.main", int64(0)},
			{"overhead.hashtable.expires", int64(0)},
		}})
	}
	perKey := int64(0)
	if keys > 0 {
		perKey = int64(m.used) / keys
	}
	fields = append(fields,
		field{"overhead.total", int64(0)},
		field{"keys.count", keys},
		field{"keys.bytes-per-key", perKey},
		field{"dataset.bytes", int64(m.used)},
		field{"dataset.percentage", infoRatio(m.used, m.used) * 100},
		field{"peak.percentage", infoRatio(m.used, m.peak) * 100},
		field{"allocator.allocated", int64(m.allocated)},
		field{"allocator.active", int64(m.active)},
		field{"allocator.resident", int64(m.resident)},
		field{"allocator-fragmentation.ratio", infoRatio(m.active, m.allocated)},
		field{"allocator-fragmentation.bytes", int64(m.active) - int64(m.allocated)},
		field{"allocator-rss.ratio", infoRatio(m.resident, m.active)},
		field{"allocator-rss.bytes", int64(m.resident) - int64(m.active)},
		field{"rss-overhead.ratio", infoRatio(m.rss, m.resident)},
		field{"rss-overhead.bytes", int64(m.rss) - int64(m.resident)},
		field{"fragmentation", infoRatio(m.rss, m.used)},
		field{"fragmentation.bytes", int64(m.rss) - int64(m.used)},
	)
	var reply func(fs []field)
	reply = func(fs []field) {
		c.ReplyMapLen(len(fs))
		for _, f := range fs {
			c.ReplyBulkString(f.name)
			switch v := f.val.(type) {
			case int64:
				c.ReplyInt(v)
			case float64:
				c.ReplyDouble(v)
			case []field:
				reply(v)
			}
		}
	}
	reply(fields)
}
