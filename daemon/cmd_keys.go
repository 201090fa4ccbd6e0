package daemon

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/redoubtdb/redoubt/daemon/glob"
	"github.com/redoubtdb/redoubt/storage"
)

// Generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY RENAME
// RENAMENX COPY MOVE TOUCH OBJECT.
//
// They work for every type: a key is its meta record plus, for a
// collection, the records under its data prefix, and RENAME, COPY and MOVE
// copy both. Commands Redis runs with LOOKUP_NOTOUCH (EXISTS, TYPE,
// OBJECT) read keys with peekKey, so they do not count as an access for
// OBJECT IDLETIME.

func init() { registrations = append(registrations, registerKeyCommands) }

func registerKeyCommands(t *commandTable) {
	t.register("del", cmdDel)
	// Deleting a collection is one range deletion whatever its size, so
	// UNLINK has nothing to hand to a background thread: it is DEL.
	t.register("unlink", cmdDel)
	t.register("exists", cmdExists)
	t.register("touch", cmdTouch)
	t.register("type", cmdType)
	t.register("keys", cmdKeys)
	t.register("scan", cmdScan)
	t.register("randomkey", cmdRandomKey)
	t.register("rename", func(c *Client, argv [][]byte) { renameGeneric(c, argv, false) })
	t.register("renamenx", func(c *Client, argv [][]byte) { renameGeneric(c, argv, true) })
	t.register("copy", cmdCopy)
	t.register("move", cmdMove)
	t.registerContainer("object")
	t.register("object|encoding", cmdObjectEncoding)
	t.register("object|freq", cmdObjectFreq)
	t.register("object|idletime", cmdObjectIdletime)
	t.register("object|refcount", cmdObjectRefcount)
	t.register("object|help", cmdObjectHelp)
}

const errSameObject = "ERR source and destination objects are the same"

// peekKey is Keyspace.Lookup without recording an access, like Redis's
// lookupKeyReadWithFlags(LOOKUP_NOTOUCH): an expired key is still deleted
// on the spot.
func peekKey(ks *Keyspace, db int, key []byte) (storage.Meta, bool) {
	return ks.Peek(db, key)
}

func cmdDel(c *Client, argv [][]byte) {
	var n int64
	for _, key := range argv[1:] {
		if c.srv.ks.Delete(c.db, key) {
			c.srv.notifyLocked(notifyGeneric, "del", c.db, key)
			n++
		}
	}
	c.ReplyInt(n)
}

// cmdExists counts a key once per time it is named, like Redis.
func cmdExists(c *Client, argv [][]byte) {
	var n int64
	for _, key := range argv[1:] {
		_, ok := c.srv.ks.PeekMeta(c.db, key)
		countLookup(c, key, ok) // lookupKeyReadWithFlags, as in Redis
		if ok {
			n++
		}
	}
	c.ReplyInt(n)
}

// cmdTouch looks keys up as a read does, which records the access.
func cmdTouch(c *Client, argv [][]byte) {
	var n int64
	for _, key := range argv[1:] {
		_, ok := c.srv.ks.Lookup(c.db, key)
		countLookup(c, key, ok)
		if ok {
			n++
		}
	}
	c.ReplyInt(n)
}

func cmdType(c *Client, argv [][]byte) {
	m, ok := c.srv.ks.PeekMeta(c.db, argv[1])
	countLookup(c, argv[1], ok)
	if !ok {
		c.ReplySimple("none")
		return
	}
	c.ReplySimple(m.Type.String())
}

// cmdKeys walks only the keys that can match: those starting with the
// pattern's literal prefix. Expired keys are left out but not deleted, as
// in Redis.
func cmdKeys(c *Client, argv [][]byte) {
	pattern := argv[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	lit := glob.LiteralPrefix(pattern)
	var keys [][]byte
	c.srv.ks.ScanKeys(c.db, lit, func(key []byte, _ *storage.Meta) bool {
		if !bytes.HasPrefix(key, lit) {
			return false
		}
		if all || glob.Match(pattern, key, false) {
			keys = append(keys, append([]byte(nil), key...))
		}
		return true
	})
	c.ReplyBulks(keys)
}

// scanOptions are SCAN's (and the collection SCANs') COUNT, MATCH and TYPE.
type scanOptions struct {
	count      int64
	pattern    []byte
	usePattern bool
	typeName   []byte
	hasType    bool
}

// parseScanOptions parses argv[first:] like Redis's scanGenericCommand
// (TYPE only when withType) and replies with the error when it fails.
func parseScanOptions(c *Client, argv [][]byte, first int, withType bool) (scanOptions, bool) {
	o := scanOptions{count: 10}
	for i := first; i < len(argv); i += 2 {
		more := len(argv) - i
		switch {
		case equalFold(argv[i], "count") && more >= 2:
			n, ok := parseInt(argv[i+1])
			if !ok {
				c.ReplyError(errNotInt)
				return o, false
			}
			if n < 1 {
				c.ReplyError(errSyntax)
				return o, false
			}
			o.count = n
		case equalFold(argv[i], "match") && more >= 2:
			o.pattern = argv[i+1]
			// "*" matches everything, so it is no pattern at all (and, unlike
			// stringMatch, it also matches the empty key).
			o.usePattern = !(len(o.pattern) == 1 && o.pattern[0] == '*')
		case equalFold(argv[i], "type") && withType && more >= 2:
			o.typeName, o.hasType = argv[i+1], true
		default:
			c.ReplyError(errSyntax)
			return o, false
		}
	}
	return o, true
}

// cmdScan walks the keyspace in byte order; see scanCursors for how the
// numeric cursor maps to a position and why iterations always end with no
// key skipped. COUNT is how many keys a call looks at, matching or not.
// Keys whose names cannot match MATCH's literal prefix are not walked at
// all, which can end an iteration early: the cursor is then 0.
func cmdScan(c *Client, argv [][]byte) {
	cursor, ok := parseScanCursor(argv[1])
	if !ok {
		c.ReplyError("ERR invalid cursor")
		return
	}
	opts, ok := parseScanOptions(c, argv, 2, true)
	if !ok {
		return
	}
	s, ks := c.srv, c.srv.ks
	var start []byte
	budget, gen := opts.count, 0
	if cursor != 0 {
		start, budget, gen, _ = s.scans.load(cursor, opts.count)
	}
	var lit []byte
	if opts.usePattern {
		lit = glob.LiteralPrefix(opts.pattern)
	}
	if bytes.Compare(start, lit) < 0 {
		start = lit
	}
	p := ks.physDB(c.db)
	lower := storage.MetaKey(nil, p, lit)
	it := ks.iter(lower, storage.PrefixEnd(lower))
	now := ks.Now()
	typeName := string(opts.typeName)
	var keys, expired [][]byte
	var next []byte
	var examined int64
	for ok := it.SeekGE(storage.MetaKey(nil, p, start)); ok; ok = it.Next() {
		key := storage.UserKeyFromMeta(it.Key())
		if examined == budget {
			next = append([]byte(nil), key...)
			break
		}
		examined++
		if opts.usePattern && !glob.Match(opts.pattern, key, false) {
			continue
		}
		raw := it.Value()
		if at := storage.MetaExpireAt(raw); at != 0 && at <= now {
			expired = append(expired, append([]byte(nil), key...))
			continue
		}
		if opts.hasType && !strings.EqualFold(typeName, storage.MetaType(raw).String()) {
			continue
		}
		keys = append(keys, append([]byte(nil), key...))
	}
	err := it.Error()
	it.Close()
	if err != nil {
		panic(storageError{err})
	}
	// Like Redis, a scan reclaims the expired keys it meets.
	for _, key := range expired {
		ks.Lookup(c.db, key)
	}
	next64 := uint64(0)
	if next != nil {
		next64 = s.scans.save(next, gen)
	}
	c.ReplyArrayLen(2)
	c.ReplyBulkString(strconv.FormatUint(next64, 10))
	c.ReplyBulks(keys)
}

// cmdRandomKey draws a key by a random descent of the keyspace seen as a
// trie: at each point where keys part ways, it follows one of the bytes
// that come next (or stops at the key that ends there), all equally likely.
// Redis draws a random hash bucket, which is near uniform over keys; without
// per-range key counts the store cannot do that, so here a key's chance is
// 1 over the product of the branchings on its path: uniform when keys are
// spread evenly (numbered ids), favouring small groups of keys over big ones
// otherwise. Each draw costs a few seeks per branching level (at most 257).
// An expired key it lands on is deleted and the draw repeats, as in Redis.
// Like Redis, it does not count as an access to the key.
func cmdRandomKey(c *Client, argv [][]byte) {
	ks := c.srv.ks
	stuck := 0
	for {
		key, ok := randomKeyCandidate(ks, c.db)
		if !ok {
			c.ReplyNull()
			return
		}
		size := ks.DBSize(c.db)
		if _, live := peekKey(ks, c.db, key); live {
			c.ReplyBulk(key)
			return
		}
		// Each expired draw is deleted, so the loop ends. Where expired
		// keys are only hidden, not deleted (a replica), give up after 100
		// draws and return the expired name, as Redis does on a replica.
		if ks.DBSize(c.db) >= size {
			if stuck++; stuck == 100 {
				c.ReplyBulk(key)
				return
			}
		}
	}
}

// randomKeyCandidate returns a random key of db, live or not (see
// trieDraw for the distribution).
func randomKeyCandidate(ks *Keyspace, db int) ([]byte, bool) {
	base := storage.MetaPrefix(nil, ks.physDB(db))
	it := ks.iter(base, storage.PrefixEnd(base))
	defer closeIter(it)
	key, _, ok := trieDraw(it, base)
	return key, ok
}

// renameGeneric is RENAME and RENAMENX. The source's expiry goes with it.
func renameGeneric(c *Client, argv [][]byte, nx bool) {
	ks := c.srv.ks
	src, dst := argv[1], argv[2]
	m, ok := ks.Lookup(c.db, src)
	if !ok {
		c.ReplyError(errNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.ReplyInt(0)
		} else {
			c.ReplyOK()
		}
		return
	}
	if _, exists := ks.Lookup(c.db, dst); exists {
		if nx {
			c.ReplyInt(0)
			return
		}
		ks.Delete(c.db, dst)
	}
	ks.Rename(c.db, src, dst, &m)
	c.srv.notifyLocked(notifyGeneric, "rename_from", c.db, src)
	c.srv.notifyLocked(notifyGeneric, "rename_to", c.db, dst)
	if nx {
		c.ReplyInt(1)
	} else {
		c.ReplyOK()
	}
}

// copyKey writes key src (meta m, live in srcDB) as dst in dstDB, which
// must not exist: the meta record, expiry included, and every member
// record of a collection (chunk of a chunked string), under a fresh version (a version, once dropped,
// must never be written again; see bufLayer).
func copyKey(ks *Keyspace, srcDB int, src []byte, m *storage.Meta, dstDB int, dst []byte) {
	nm := *m
	if m.HasData() {
		nm.Version, nm.DataKey = ks.newVersionOf(nm.Type), nil
		copyMembers(ks, storage.DataPrefixOf(nil, ks.physDB(srcDB), src, m), storage.DataPrefixOf(nil, ks.physDB(dstDB), dst, &nm))
	}
	ks.Put(dstDB, dst, nil, &nm)
}

// copyMembers copies the records under one version's data prefix to
// another's, in chunks so no iterator is open while the unit is written to.
func copyMembers(ks *Keyspace, from, to []byte) {
	end := storage.PrefixEnd(from)
	const chunk = 1024
	type record struct{ k, v []byte }
	start := from
	for {
		it := ks.collIter(from, start, end)
		recs := make([]record, 0, chunk)
		ok := it.First()
		for ; ok && len(recs) < chunk; ok = it.Next() {
			k := append(append([]byte(nil), to...), it.Key()[len(from):]...)
			recs = append(recs, record{k, append([]byte(nil), it.Value()...)})
		}
		var resume []byte
		if ok {
			resume = append([]byte(nil), it.Key()...)
		}
		err := it.Error()
		it.Close()
		if err != nil {
			panic(storageError{err})
		}
		for _, r := range recs {
			ks.set(r.k, r.v)
		}
		if resume == nil {
			return
		}
		start = resume
	}
}

// parseDBArg parses a database index like Redis's getIntFromObjectOrReply
// followed by selectDb, replying with the error Redis gives.
func parseDBArg(c *Client, arg []byte) (int, bool) {
	n, ok := parseInt(arg)
	if !ok {
		c.ReplyError(errNotInt)
		return 0, false
	}
	if n < -1<<31 || n > 1<<31-1 {
		c.ReplyError(errNotInt32)
		return 0, false
	}
	if n < 0 || n >= int64(c.srv.ks.Databases()) {
		c.ReplyError(errDBIndex)
		return 0, false
	}
	return int(n), true
}

const errNotInt32 = "ERR value is out of range, value must between -2147483648 and 2147483647"

// cmdCopy is COPY source destination [DB n] [REPLACE].
func cmdCopy(c *Client, argv [][]byte) {
	ks := c.srv.ks
	dstDB, replace := c.db, false
	for i := 3; i < len(argv); i++ {
		switch {
		case equalFold(argv[i], "replace"):
			replace = true
		case equalFold(argv[i], "db") && i+1 < len(argv):
			db, ok := parseDBArg(c, argv[i+1])
			if !ok {
				return
			}
			dstDB = db
			i++
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	src, dst := argv[1], argv[2]
	if dstDB == c.db && bytes.Equal(src, dst) {
		c.ReplyError(errSameObject)
		return
	}
	m, ok := ks.Lookup(c.db, src)
	countLookup(c, src, ok) // lookupKeyRead: hit, miss and keymiss
	if !ok {
		c.ReplyInt(0)
		return
	}
	if _, exists := ks.Lookup(dstDB, dst); exists {
		if !replace {
			c.ReplyInt(0)
			return
		}
		ks.Delete(dstDB, dst)
	}
	if m.Type == storage.TypeString && stringEncoding(&m) == "int" {
		// dupStringObject: an integer copy is never the shared object.
		m.Enc = storage.StrEncIntCopy
	}
	copyKey(ks, c.db, src, &m, dstDB, dst)
	c.srv.notifyLocked(notifyGeneric, "copy_to", dstDB, dst)
	c.ReplyInt(1)
}

// cmdMove is MOVE key db. The key keeps its expiry.
func cmdMove(c *Client, argv [][]byte) {
	ks := c.srv.ks
	dstDB, ok := parseDBArg(c, argv[2])
	if !ok {
		return
	}
	if dstDB == c.db {
		c.ReplyError(errSameObject)
		return
	}
	key := argv[1]
	m, ok := ks.Lookup(c.db, key)
	if !ok {
		c.ReplyInt(0)
		return
	}
	if _, exists := ks.Lookup(dstDB, key); exists {
		c.ReplyInt(0)
		return
	}
	copyKey(ks, c.db, key, &m, dstDB, key)
	ks.Delete(c.db, key)
	c.srv.notifyLocked(notifyGeneric, "move_from", c.db, key)
	c.srv.notifyLocked(notifyGeneric, "move_to", dstDB, key)
	c.ReplyInt(1)
}

// ---- OBJECT -----------------------------------------------------------------

// objectEncoding is OBJECT ENCODING's answer. Strings report what the
// command that wrote them left in Redis (see stringEncoding). Collections
// report the encoding Redis would have by now, which their commands track
// in the meta record (see coll.big): Redis never converts back to a
// compact encoding.
func objectEncoding(m *storage.Meta) string {
	co := coll{m: *m}
	switch m.Type {
	case storage.TypeString:
		return stringEncoding(m)
	case storage.TypeList:
		// Redis 7.0 stores every list as a quicklist.
		return "quicklist"
	case storage.TypeHash:
		if co.big() {
			return "hashtable"
		}
		return "listpack"
	case storage.TypeSet:
		if co.big() {
			return "hashtable"
		}
		return "intset"
	case storage.TypeZSet:
		if co.big() {
			return "skiplist"
		}
		return "listpack"
	case storage.TypeStream:
		return "stream"
	}
	return "unknown"
}

func cmdObjectEncoding(c *Client, argv [][]byte) {
	m, ok := peekKey(c.srv.ks, c.db, argv[2])
	if !ok {
		c.ReplyNull()
		return
	}
	c.ReplyBulkString(objectEncoding(&m))
}

// cmdObjectFreq: Redoubt has no LFU eviction policy (maxmemory-policy is
// always noeviction), so like Redis without an LFU policy it refuses.
func cmdObjectFreq(c *Client, argv [][]byte) {
	if _, ok := peekKey(c.srv.ks, c.db, argv[2]); !ok {
		c.ReplyNull()
		return
	}
	c.ReplyError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
		"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
}

// cmdObjectIdletime reports seconds since the key's last access; see
// accessTimes for what is tracked and how far it can be trusted.
func cmdObjectIdletime(c *Client, argv [][]byte) {
	ks := c.srv.ks
	if _, ok := peekKey(ks, c.db, argv[2]); !ok {
		c.ReplyNull()
		return
	}
	c.ReplyInt(ks.idleSeconds(c.db, argv[2]))
}

// stringEncoding follows the value's storage.StrEnc: Redis's
// tryObjectEncoding ("int" for a canonical integer that fits in a long,
// "embstr" up to 44 bytes, "raw" beyond) for values stored whole, "raw"
// for values changed in place, no "int" for INCRBYFLOAT's results.
func stringEncoding(m *storage.Meta) string {
	switch m.Enc {
	case storage.StrEncRaw:
		return "raw"
	case storage.StrEncIntCopy:
		return "int"
	case storage.StrEncAuto:
		if len(m.Value) <= 20 {
			if _, ok := parseInt(m.Value); ok {
				return "int"
			}
		}
	}
	if m.StrLen() <= 44 {
		return "embstr"
	}
	return "raw"
}

// cmdObjectRefcount mirrors Redis: integers 0-9999 stored whole (SET,
// INCR, ...) are shared objects with the "immortal" count INT_MAX; every
// other value, a COPY of one included, has one reference.
func cmdObjectRefcount(c *Client, argv [][]byte) {
	m, ok := peekKey(c.srv.ks, c.db, argv[2])
	if !ok {
		c.ReplyNull()
		return
	}
	c.ReplyInt(objectRefcount(&m))
}

func objectRefcount(m *storage.Meta) int64 {
	if m.Type == storage.TypeString && m.Enc == storage.StrEncAuto && len(m.Value) <= 20 {
		if n, ok := parseInt(m.Value); ok && n >= 0 && n < 10000 {
			return 1<<31 - 1
		}
	}
	return 1
}

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func cmdObjectHelp(c *Client, argv [][]byte) {
	c.ReplyArrayLen(len(objectHelp))
	for _, line := range objectHelp {
		c.ReplySimple(line)
	}
}
