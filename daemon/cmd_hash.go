package daemon

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// Hash commands: HSET HSETNX HMSET HGET HMGET HGETALL HDEL HEXISTS HLEN
// HSTRLEN HKEYS HVALS HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
//
// A hash is a collection (see collection.go) whose sub key is the field and
// whose member value is the field's value. Every field operation is one
// point read or write; HGETALL, HKEYS and HVALS stream the members straight
// from an iterator into the reply.
//
// OBJECT ENCODING follows Redis 7.0's t_hash.c: a hash is created as a
// listpack and becomes a hashtable, for good, when a write would store a
// field or value longer than hash-max-listpack-value or leave it with more
// than hash-max-listpack-entries fields. HSET, HMSET and HSETNX check every
// argument before writing any (hashTypeTryConversion), so HSET with a long
// value for a field that already exists converts too; HINCRBY and
// HINCRBYFLOAT check the field and the new value as hashTypeSet does.

func init() { registrations = append(registrations, registerHashCommands) }

func registerHashCommands(t *commandTable) {
	t.register("hset", func(c *Client, argv [][]byte) { hashSetCommand(c, argv, "hset") })
	t.register("hmset", func(c *Client, argv [][]byte) { hashSetCommand(c, argv, "hmset") })
	t.register("hsetnx", cmdHSetNX)
	t.register("hget", cmdHGet)
	t.register("hmget", cmdHMGet)
	t.register("hgetall", func(c *Client, argv [][]byte) { hashGetAll(c, argv, true, true) })
	t.register("hkeys", func(c *Client, argv [][]byte) { hashGetAll(c, argv, true, false) })
	t.register("hvals", func(c *Client, argv [][]byte) { hashGetAll(c, argv, false, true) })
	t.register("hdel", cmdHDel)
	t.register("hexists", cmdHExists)
	t.register("hlen", cmdHLen)
	t.register("hstrlen", cmdHStrlen)
	t.register("hincrby", cmdHIncrBy)
	t.register("hincrbyfloat", cmdHIncrByFloat)
	t.register("hrandfield", cmdHRandField)
	t.register("hscan", cmdHScan)
}

// Error texts of t_hash.c, exactly as Redis 7.0.15 sends them.
const (
	errHashNotInt     = "ERR hash value is not an integer"
	errHashNotFloat   = "ERR hash value is not a float"
	errHashIncrNaNInf = "ERR value is NaN or Infinity"
	errHashOutOfRange = "ERR value is out of range"
	errHashCountRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

// hashValueRoom is the spare room hashFieldExists keeps after a member key
// for the store to copy a short value into.
const hashValueRoom = 48

// hashRandSmallLimit is the size up to which HRANDFIELD reads a hash whole
// (the default listpack limit: what Redis also walks whole).
const hashRandSmallLimit = 512

// ---- lookups and the encoding flag ------------------------------------------------

// hashTryConversion is hashTypeTryConversion: any argument longer than
// hash-max-listpack-value makes the hash a hashtable before it is written.
func hashTryConversion(c *Client, co *coll, args [][]byte) {
	if co.big() {
		return
	}
	limit := int64(c.srv.cfg.HashMaxListpackValue)
	for _, a := range args {
		if int64(len(a)) > limit {
			co.setBig()
			return
		}
	}
}

// hashFieldExists reports whether field is set, with at most one point
// read (Keyspace.has: no copy of the value, row cache first).
func hashFieldExists(co *coll, field []byte) bool {
	if !co.exists && co.m.Count == 0 {
		return false // a new hash (fresh version) holds what this command wrote
	}
	if need := len(co.prefix) + len(field) + hashValueRoom; cap(co.kbuf) < need {
		// Sized once per command: memberKey (here and in the put that
		// usually follows) then reuses it.
		co.kbuf = make([]byte, 0, need+len(field))
	}
	return co.has(field)
}

// hashSetField is hashTypeSet: it writes field = value and reports whether
// the field is new, converting the hash when the pair or the new length
// passes the listpack limits.
func hashSetField(c *Client, co *coll, field, value []byte) (created bool) {
	cfg := c.srv.cfg
	if !co.big() {
		limit := int64(cfg.HashMaxListpackValue)
		if int64(len(field)) > limit || int64(len(value)) > limit {
			co.setBig()
		}
	}
	created = !hashFieldExists(co, field)
	co.put(field, value)
	if created {
		co.m.Count++
	}
	if !co.big() && co.m.Count > uint64(cfg.HashMaxListpackEntries) {
		co.setBig()
	}
	return created
}

// hashFinish saves co when its meta record changed (count, encoding, new
// key) and brings the write counter up by dirty, what Redis adds to
// server.dirty for the command: an HSET that only updates fields leaves
// the meta record as it was and does not rewrite it.
func hashFinish(co *coll, dirty int64) {
	if !co.exists || co.m.Count != co.old.Count || co.big() != hashWasBig(co) {
		co.save()
		dirty--
	}
	co.ks.changes += dirty
}

func hashWasBig(co *coll) bool { return len(co.old.Tail) > 0 && co.old.Tail[0]&1 != 0 }

// ---- writes -----------------------------------------------------------------------

// hashSetCommand is HSET (replies how many fields are new) and HMSET
// (replies OK). The arity check in dispatch lets an odd argument count
// through, which Redis rejects here with the command's name.
func hashSetCommand(c *Client, argv [][]byte, name string) {
	if len(argv)%2 == 1 {
		c.ReplyError("ERR wrong number of arguments for '" + name + "' command")
		return
	}
	co := openColl(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	hashTryConversion(c, co, argv[2:])
	var created int64
	for i := 2; i < len(argv); i += 2 {
		if hashSetField(c, co, argv[i], argv[i+1]) {
			created++
		}
	}
	hashFinish(co, int64(len(argv)-2)/2)
	c.srv.notifyLocked(notifyHash, "hset", c.db, argv[1])
	if name == "hmset" {
		c.ReplyOK()
		return
	}
	c.ReplyInt(created)
}

func cmdHSetNX(c *Client, argv [][]byte) {
	co := openColl(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	if hashFieldExists(co, argv[2]) {
		c.ReplyInt(0)
		return
	}
	hashTryConversion(c, co, argv[2:4])
	hashSetField(c, co, argv[2], argv[3])
	hashFinish(co, 1)
	c.srv.notifyLocked(notifyHash, "hset", c.db, argv[1])
	c.ReplyInt(1)
}

// cmdHDel deletes fields, each counted once; the key goes with its last
// field.
func cmdHDel(c *Client, argv [][]byte) {
	co := openColl(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyInt(0)
		return
	}
	var deleted int64
	for _, field := range argv[2:] {
		if !hashFieldExists(co, field) {
			continue
		}
		co.del(field)
		co.m.Count--
		deleted++
		if co.m.Count == 0 {
			break
		}
	}
	if deleted > 0 {
		hashFinish(co, deleted)
		c.srv.notifyLocked(notifyHash, "hdel", c.db, argv[1])
		if !co.exists {
			c.srv.notifyLocked(notifyGeneric, "del", c.db, argv[1])
		}
	}
	c.ReplyInt(deleted)
}

// cmdHIncrBy checks the increment before the key (so a bad increment
// wins over WRONGTYPE), and the stored value as string2ll does.
func cmdHIncrBy(c *Client, argv [][]byte) {
	incr, ok := parseInt(argv[3])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	co := openColl(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	var v int64
	if cur, found := co.get(argv[2]); found {
		if v, ok = parseInt(cur); !ok {
			c.ReplyError(errHashNotInt)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		c.ReplyError(errOverflow)
		return
	}
	v += incr
	var num [20]byte
	hashSetField(c, co, argv[2], strconv.AppendInt(num[:0], v, 10))
	hashFinish(co, 1)
	c.srv.notifyLocked(notifyHash, "hincrby", c.db, argv[1])
	c.ReplyInt(v)
}

// cmdHIncrByFloat adds in long double arithmetic, as Redis does, and stores
// the sum as Redis prints it (see resp.LongDouble). An infinite increment
// is refused before the key is looked at.
func cmdHIncrByFloat(c *Client, argv [][]byte) {
	incr, ok := resp.ParseLongDouble(argv[3])
	if !ok {
		c.ReplyError(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.ReplyError(errHashIncrNaNInf)
		return
	}
	co := openColl(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	var v resp.LongDouble
	if cur, found := co.get(argv[2]); found {
		if v, ok = resp.ParseLongDouble(cur); !ok {
			c.ReplyError(errHashNotFloat)
			return
		}
	}
	sum := v.Add(incr)
	if sum.IsNaN() || sum.IsInf() {
		c.ReplyError(errNaNOrInf)
		return
	}
	val := []byte(sum.String())
	hashSetField(c, co, argv[2], val)
	hashFinish(co, 1)
	c.srv.notifyLocked(notifyHash, "hincrbyfloat", c.db, argv[1])
	c.propagate(propHset, argv[1], argv[2], val)
	c.ReplyBulk(val)
}

// ---- reads ------------------------------------------------------------------------

func cmdHGet(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	v, ok := co.get(argv[2])
	if !ok {
		c.ReplyNull()
		return
	}
	c.ReplyBulk(v)
}

func cmdHMGet(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	c.ReplyArrayLen(len(argv) - 2)
	for _, field := range argv[2:] {
		if v, ok := co.get(field); ok {
			c.ReplyBulk(v)
		} else {
			c.ReplyNull()
		}
	}
}

func cmdHExists(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	if hashFieldExists(co, argv[2]) {
		c.ReplyInt(1)
	} else {
		c.ReplyInt(0)
	}
}

func cmdHLen(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	c.ReplyInt(co.Len())
}

func cmdHStrlen(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	v, _ := co.get(argv[2])
	c.ReplyInt(int64(len(v)))
}

// hashGetAll is HGETALL (a map in RESP3), HKEYS and HVALS (arrays). The
// members go from the iterator straight into the reply.
func hashGetAll(c *Client, argv [][]byte, keys, values bool) {
	co := openCollRead(c, argv[1], storage.TypeHash)
	if co == nil {
		return
	}
	if keys && values {
		c.ReplyMapLen(int(co.Len()))
	} else {
		c.ReplyArrayLen(int(co.Len()))
	}
	hashEach(co, func(field, value []byte) {
		if keys {
			c.ReplyBulk(field)
		}
		if values {
			c.ReplyBulk(value)
		}
	})
}

// hashEach calls fn for every field in sub-key order; field and value are
// valid only during the call. Replies announce co.Len() items before the
// walk, so a store holding another number of members is corrupt: failing
// the command then drops the half-built reply.
func hashEach(co *coll, fn func(field, value []byte)) {
	n := co.Len()
	if n == 0 {
		return
	}
	it := co.iter(nil, nil)
	var seen int64
	ok := it.First()
	for ; ok && seen < n; ok = it.Next() {
		seen++
		fn(co.sub(it.Key()), it.Value())
	}
	closeIter(it)
	if seen != n || ok {
		panic(storageError{storage.ErrCorrupt})
	}
}

// cmdHScan walks the hash with the shared collection scan: a listpack
// hash comes back whole, a hashtable COUNT fields at a time.
func cmdHScan(c *Client, argv [][]byte) {
	scanCollection(c, argv, storage.TypeHash, nil, func(items [][]byte, _ *coll, field, value []byte) [][]byte {
		return append(items, field, value)
	})
}

// ---- HRANDFIELD ---------------------------------------------------------------------

// cmdHRandField is HRANDFIELD key [count [WITHVALUES]]. The argument checks
// come before the key lookup, in Redis's order.
func cmdHRandField(c *Client, argv [][]byte) {
	if len(argv) < 3 {
		co := openCollRead(c, argv[1], storage.TypeHash)
		if co == nil {
			return
		}
		if !co.exists {
			c.ReplyNull()
			return
		}
		p := newHashPicker(co)
		field, _ := p.pick()
		p.close()
		c.ReplyBulk(field)
		return
	}
	l, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if l < -math.MaxInt64 {
		c.ReplyError(errHashCountRange)
		return
	}
	withValues := false
	if len(argv) > 4 || (len(argv) == 4 && !equalFold(argv[3], "withvalues")) {
		c.ReplyError(errSyntax)
		return
	}
	if len(argv) == 4 {
		withValues = true
		// Redis's guard against a reply of 2*count entries overflowing.
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.ReplyError(errHashOutOfRange)
			return
		}
	}
	hashRandWithCount(c, argv[1], l, withValues)
}

// hashRandWithCount is hrandfieldWithCountCommand: a negative count draws
// that many fields with repetition, a positive one distinct fields (all of
// them when the hash has no more). RESP3 pairs each field with its value
// in a two-element array; RESP2 flattens them.
func hashRandWithCount(c *Client, key []byte, l int64, withValues bool) {
	co := openCollRead(c, key, storage.TypeHash)
	if co == nil {
		return
	}
	if !co.exists || l == 0 {
		c.ReplyArrayLen(0)
		return
	}
	size := uint64(co.Len())
	count, uniq := uint64(l), true
	if l < 0 {
		count, uniq = uint64(-l), false
	}
	replyLen := func(n uint64) {
		if withValues && c.proto == 2 {
			n *= 2
		}
		c.ReplyArrayLen(int(n))
	}
	emit := func(field, value []byte) {
		if withValues && c.proto > 2 {
			c.ReplyArrayLen(2)
		}
		c.ReplyBulk(field)
		if withValues {
			c.ReplyBulk(value)
		}
	}

	// With repetition: every draw independent, in random order.
	if !uniq || count == 1 {
		replyLen(count)
		if c.suppressed() {
			return // CLIENT REPLY OFF: the draws would have no effect
		}
		p := newHashPicker(co)
		defer p.close()
		for i := uint64(0); i < count; i++ {
			field, value := p.pick()
			emit(field, value)
			if i%1024 == 1023 && repeatedReplyTooBig(c) {
				return
			}
		}
		return
	}

	// The whole hash.
	if count >= size {
		replyLen(size)
		hashEach(co, emit)
		return
	}

	replyLen(count)
	// Many of the fields: read them all and keep a random subset (Redis
	// copies the hash and deletes random fields, also O(size)). Few of a
	// big hash: draw until count distinct ones turned up.
	if count*3 > size || size <= hashRandSmallLimit {
		fields, values := hashReadAll(co)
		for i := uint64(0); i < count; i++ {
			j := i + rand.Uint64N(uint64(len(fields))-i)
			fields[i], fields[j] = fields[j], fields[i]
			values[i], values[j] = values[j], values[i]
			emit(fields[i], values[i])
		}
		return
	}
	for _, f := range hashDrawDistinct(co, int(count)) {
		emit(f.field, f.value)
	}
}

type hashPair struct{ field, value []byte }

// hashDrawDistinct returns count distinct random fields of a big hash
// (count <= size/3). Draws are not uniform (see hashPicker), so a hash
// shaped to make some fields very unlikely could need very many draws:
// after a bounded number the rest come from one pass over the hash.
func hashDrawDistinct(co *coll, count int) []hashPair {
	p := newHashPicker(co)
	seen := make(map[string]struct{}, count)
	out := make([]hashPair, 0, count)
	for tries := 0; len(out) < count && tries < 4*count+64; tries++ {
		field, value := p.pick()
		if _, dup := seen[string(field)]; dup {
			continue
		}
		seen[string(field)] = struct{}{}
		out = append(out, hashPair{field, value})
	}
	p.close()
	if len(out) == count {
		return out
	}
	// Reservoir-sample the missing ones among the fields not drawn yet.
	need := count - len(out)
	var res []hashPair
	var n uint64
	it := co.iter(nil, nil)
	for ok := it.First(); ok; ok = it.Next() {
		sub := co.sub(it.Key())
		if _, dup := seen[string(sub)]; dup {
			continue
		}
		n++
		pair := hashPair{append([]byte(nil), sub...), append([]byte(nil), it.Value()...)}
		if len(res) < need {
			res = append(res, pair)
		} else if j := rand.Uint64N(n); j < uint64(need) {
			res[j] = pair
		}
	}
	closeIter(it)
	return append(out, res...)
}

// hashReadAll returns copies of every field and value.
func hashReadAll(co *coll) (fields, values [][]byte) {
	n := co.Len()
	fields, values = make([][]byte, 0, n), make([][]byte, 0, n)
	hashEach(co, func(field, value []byte) {
		fields = append(fields, append([]byte(nil), field...))
		values = append(values, append([]byte(nil), value...))
	})
	return fields, values
}

// hashPicker draws random fields, each draw independent. A hash of at most
// hashRandSmallLimit fields is read once and drawn from uniformly. A bigger
// one is never read whole: each draw descends the fields seen as a trie,
// like RANDOMKEY (see cmdRandomKey), choosing at each point where fields
// part ways one of the next bytes (or the field that ends there), all
// equally likely. That is uniform over evenly spread names (numbered ids)
// and favours small groups of fields over big ones otherwise; each draw
// costs a few seeks per branching level.
type hashPicker struct {
	co             *coll
	fields, values [][]byte         // the small case
	it             storage.Iterator // the big case, open until close
}

func newHashPicker(co *coll) *hashPicker {
	p := &hashPicker{co: co}
	if co.Len() <= hashRandSmallLimit {
		p.fields, p.values = hashReadAll(co)
	} else {
		p.it = co.iter(nil, nil)
	}
	return p
}

func (p *hashPicker) close() {
	if p.it != nil {
		closeIter(p.it)
		p.it = nil
	}
}

// pick returns a random field and its value; the caller may keep both.
func (p *hashPicker) pick() (field, value []byte) {
	if p.it == nil {
		i := rand.IntN(len(p.fields))
		return p.fields[i], p.values[i]
	}
	field, value, ok := trieDraw(p.it, p.co.prefix)
	if !ok {
		panic(storageError{storage.ErrCorrupt}) // Count says there are fields
	}
	return field, value
}
