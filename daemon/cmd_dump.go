package daemon

import (
	"errors"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// DUMP and RESTORE use Redis's payload format (an RDB value, the RDB
// version and a CRC-64), so payloads move between Redoubt and Redis 7.0
// both ways.

func init() { registrations = append(registrations, registerDump) }

func registerDump(t *commandTable) {
	t.register("dump", cmdDump)
	t.register("restore", cmdRestore)
}

func cmdDump(c *Client, argv [][]byte) {
	s := c.srv
	m, ok := s.ks.Lookup(c.db, argv[1])
	countLookup(c, argv[1], ok)
	if !ok {
		c.ReplyNull()
		return
	}
	pw := rdb.NewPayloadWriter(s.rdbWriterOptions())
	p := s.ks.physDB(c.db)
	r := liveReader{ks: s.ks, prefix: storage.DataPrefixOf(nil, p, argv[1], &m)}
	if err := emitKey(r, p, argv[1], &m, &rdbSink{payload: pw, m: pw}); err != nil {
		panic(storageError{err})
	}
	payload, err := pw.Payload()
	if err != nil {
		panic(storageError{err})
	}
	c.ReplyBulk(payload)
}

// cmdRestore implements RESTORE key ttl payload [REPLACE] [ABSTTL]
// [IDLETIME seconds] [FREQ frequency], checking in Redis's order.
func cmdRestore(c *Client, argv [][]byte) {
	s := c.srv
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case equalFold(argv[j], "replace"):
			replace = true
		case equalFold(argv[j], "absttl"):
			absTTL = true
		case equalFold(argv[j], "idletime") && more >= 1 && freq == -1:
			v, ok := parseInt(argv[j+1])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			if v < 0 {
				c.ReplyError("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = v
			j++
		case equalFold(argv[j], "freq") && more >= 1 && idle == -1:
			v, ok := parseInt(argv[j+1])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			if v < 0 || v > 255 {
				c.ReplyError("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = v // accepted; LFU is not tracked (no LFU maxmemory-policy)
			j++
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	key := argv[1]
	if !replace && s.ks.Exists(c.db, key) {
		c.ReplyError("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if ttl < 0 {
		c.ReplyError("ERR Invalid TTL value, must be >= 0")
		return
	}
	pl, err := rdb.ParsePayload(argv[3])
	if errors.Is(err, rdb.ErrPayload) {
		c.ReplyError("ERR DUMP payload version or checksum are wrong")
		return
	}
	if errors.Is(err, rdb.ErrUnsupported) {
		// Streams and modules: say so rather than blame the data.
		c.ReplyError("ERR Bad data format: the value's type is not supported by Redoubt")
		return
	}
	var v *rdbValue
	if err == nil {
		v, err = readValue(pl.Type, pl.Value, pl)
	}
	if err != nil {
		s.log.Debug("RESTORE refused a payload", "client", c.addr, "err", err)
		c.ReplyError("ERR Bad data format")
		return
	}
	deleted := false
	if replace {
		deleted = s.ks.Delete(c.db, key)
	}
	now := s.ks.Now()
	if ttl != 0 && !absTTL {
		ttl += now
	}
	if ttl != 0 && ttl <= now {
		// Already expired: the key is not created (an existing one was
		// replaced by nothing, which Redis reports as a deletion).
		if deleted {
			s.notifyLocked(notifyGeneric, "del", c.db, key)
			c.propagate(propDel, key)
		}
		c.ReplyOK()
		return
	}
	s.createFromValue(c.db, key, v, ttl)
	if idle >= 0 {
		s.ks.setAccessTime(c.db, key, now-idle*1000)
	}
	s.notifyLocked(notifyGeneric, "restore", c.db, key)
	if ttl != 0 && !absTTL && c.replicating() {
		// Replicas get the absolute time: RESTORE key ms payload ... ABSTTL.
		prop := append([][]byte{argv[0], key, itob(ttl)}, argv[3:]...)
		c.propagate(append(prop, propAbsTTL)...)
	}
	c.ReplyOK()
}

// liveReader reads a collection's members through the keyspace (the
// pending unit and the write buffer included), for emitKey.
type liveReader struct {
	ks     *Keyspace
	prefix []byte
}

func (r liveReader) Get(dst, key []byte) ([]byte, bool, error) {
	return nil, false, errors.New("liveReader: Get is not supported")
}

func (r liveReader) NewIter(lower, upper []byte) (storage.Iterator, error) {
	return r.ks.collIter(r.prefix, lower, upper), nil
}
