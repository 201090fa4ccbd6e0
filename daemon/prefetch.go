package daemon

import (
	"bytes"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// Reading a pipeline ahead. Looking a command's key up in the row cache
// takes two cache misses (the table's slot, then the record), a few
// hundred nanoseconds on this machine's memory, and at -P 16 they were a
// third of GET's CPU and a fifth of SET's: each command waited for its own
// misses before it could go on. So when a read holds several commands,
// they are parsed first, the keys of all of them are hashed, and their
// slots and then their records are touched in two tight loops of
// independent loads, which the CPU overlaps; each command then finds its
// entry in the CPU's caches. Prefetching only reads: what it finds is
// dropped. Looking up each key in turn instead, between the parsing of
// one command and the next, overlapped nothing and cost more than it
// saved.

// pipelineAhead bounds the commands parsed ahead of their turn, and the
// keys and the members touched for them: their records must still be in
// the CPU's caches when their commands run. A read of commands with many
// keys each (MSET, HSET of several fields) is read ahead a few commands
// at a time, so that every key is touched.
const pipelineAhead = 32

// aheadCmd is a command parsed ahead: its arguments (aliasing the read
// buffer) and its length in it.
type aheadCmd struct {
	argv       [][]byte
	cmd        *command // the command, when it has keys to prefetch
	start, end int      // argv's place in Client.aheadArgs
	n          int
}

// resetAhead forgets the commands read ahead, at the start of a read.
func (c *Client) resetAhead() {
	c.ahead = c.ahead[:0]
	c.aheadNext, c.aheadAt, c.aheadMore = 0, 0, true
}

// nextCommand parses the command at buf[off:]: the next of the commands
// read ahead when it starts there, and otherwise as resp.ReadCommand
// does. Once the commands read ahead run out, and a bound (not the read's
// end) stopped them, the next ones are read ahead in turn, so a long
// pipeline or a replication stream is prefetched 32 commands (or keys, or
// members) at a time. Holds Server.mu.
func (c *Client) nextCommand(buf []byte, off int, lim *resp.Limits) (argv [][]byte, n, need int, err error) {
	if c.aheadNext == len(c.ahead) && c.aheadMore {
		c.aheadMore = c.parseAhead(buf[off:], lim)
		c.aheadNext, c.aheadAt = 0, off
	}
	if c.aheadNext < len(c.ahead) && c.aheadAt == off {
		a := &c.ahead[c.aheadNext]
		c.aheadNext++
		c.aheadAt += a.n
		return a.argv, a.n, 0, nil
	}
	argv, n, need, err = resp.ReadCommand(buf[off:], c.parseArgs[:0], lim)
	c.parseArgs = argv
	return argv, n, need, err
}

// dropArgs lets go of the references into the read buffer that parsing
// left (valid only during the read), and of slices grown past argvKeep.
func (c *Client) dropArgs() {
	clear(c.parseArgs)
	clear(c.aheadArgs)
	c.argv = nil
	// A command of a million arguments must not keep their slice for
	// the connection's life.
	if cap(c.parseArgs) > argvKeep {
		c.parseArgs = nil
	}
	if cap(c.aheadArgs) > argvKeep {
		c.aheadArgs = nil
	}
}

// argvKeep is the most arguments a connection's parsing slices keep
// between reads.
const argvKeep = 4096

// parseAhead parses complete commands from buf into c.ahead, up to
// pipelineAhead of them or of their keys or members, stopping at the first
// incomplete or malformed one (which the caller's own parsing meets
// again), and prefetches their keys when there are two or more commands,
// or one with several keys. It reports whether it stopped at a bound, so
// that more may follow. Holds Server.mu.
func (c *Client) parseAhead(buf []byte, lim *resp.Limits) (more bool) {
	c.ahead = c.ahead[:0]
	c.aheadArgs = c.aheadArgs[:0]
	if lim.Unauthenticated {
		return false
	}
	var keys, members int
	for off := 0; off < len(buf); {
		if len(c.ahead) == pipelineAhead {
			more = true
			break
		}
		argv, n, _, err := resp.ReadCommand(buf[off:], c.parseArgs[:0], lim)
		if err != nil || n == 0 {
			break
		}
		c.parseArgs = argv
		cmd, k, m := c.prefetchCounts(argv)
		if len(c.ahead) > 0 && (keys+k > pipelineAhead || members+m > pipelineAhead) {
			more = true
			break
		}
		keys, members = keys+k, members+m
		start := len(c.aheadArgs)
		c.aheadArgs = append(c.aheadArgs, argv...)
		c.ahead = append(c.ahead, aheadCmd{cmd: cmd, start: start, end: len(c.aheadArgs), n: n})
		off += n
	}
	// The argument slices are cut only now, as aheadArgs may have moved
	// while it grew. Each is capped, so that a command appending to its
	// argv cannot write over the next one's.
	for i := range c.ahead {
		a := &c.ahead[i]
		a.argv = c.aheadArgs[a.start:a.end:a.end]
	}
	// One command alone in its read gains from the overlap as a pipeline
	// does when it has several keys or members (MSET, MGET, HSET of
	// several fields).
	if len(c.ahead) > 1 || keys > 1 || members > 1 {
		c.prefetch()
	}
	return more
}

// prefetchCounts is the command of argv, when it has keys to prefetch
// (nil otherwise), with how many keys and members prefetch would touch
// for it.
func (c *Client) prefetchCounts(argv [][]byte) (cmd *command, keys, members int) {
	if len(argv) == 0 {
		return nil, 0, 0
	}
	cmd, ok := c.srv.cmds.lookup(argv)
	if !ok || cmd.firstKey <= 0 || cmd.firstKey >= len(argv) {
		return nil, 0, 0
	}
	if first, last, step := keyArgs(cmd, argv); last >= first {
		keys = (last-first)/step + 1
	}
	if cmd.members.step > 0 {
		_, members = cmd.members.span(argv)
	}
	return cmd, keys, members
}

// keyArgs is where cmd's keys are in argv: every step-th argument from
// first to last, both included (none when last < first).
func keyArgs(cmd *command, argv [][]byte) (first, last, step int) {
	last = cmd.lastKey
	if last < 0 {
		last += len(argv)
	}
	return cmd.firstKey, min(last, len(argv)-1), max(cmd.step, 1)
}

// prefetch touches the row-cache entries of the keys of the commands in
// c.ahead: their meta records, and then, for the commands that read
// members of a hash, set or sorted set (see memberArgs), those members'
// records, which it finds through the meta records just touched.
func (c *Client) prefetch() {
	ks := c.srv.ks
	rt := ks.cache.m
	hs := c.aheadHashes[:0]
	p := ks.physDB(c.db)
	members := false
	for i := range c.ahead {
		a := &c.ahead[i]
		argv, cmd := a.argv, a.cmd
		if cmd == nil {
			continue
		}
		members = members || cmd.members.step > 0
		first, last, step := keyArgs(cmd, argv)
		for i := first; i <= last && len(hs) < pipelineAhead; i += step {
			ks.keyBuf = storage.MetaKey(ks.keyBuf[:0], p, argv[i])
			hs = append(hs, rt.hashBytes(ks.keyBuf))
		}
	}
	ks.prefetched += rt.touch(hs)
	if members {
		hs = c.prefetchMembers(hs[:0], p)
		ks.prefetched += rt.touch(hs)
	}
	c.aheadHashes = hs
}

// prefetchMembers appends the hashes of the member records the commands
// in c.ahead read. The key's meta record is read from the row cache alone
// (a key it lacks is skipped); consecutive commands on one key, the usual
// pipeline, decode it once.
func (c *Client) prefetchMembers(hs []uint64, p uint16) []uint64 {
	ks := c.srv.ks
	rt := ks.cache.m
	var prevKey []byte
	var prefix []byte // data prefix of prevKey, nil when it has none
	for _, a := range c.ahead {
		ma := a.cmd
		if ma == nil || ma.members.step == 0 {
			continue
		}
		spec, argv := ma.members, a.argv
		key := argv[1]
		if prevKey == nil || string(key) != string(prevKey) {
			prevKey, prefix = key, nil
			ks.keyBuf = storage.MetaKey(ks.keyBuf[:0], p, key)
			v, kind, ok := ks.cache.get(ks.keyBuf, false, 0)
			var m storage.Meta
			if ok && kind == rowValue && storage.DecodeMeta(v, &m) == nil && m.Type == spec.typ {
				c.aheadPrefix = storage.DataPrefixOf(c.aheadPrefix[:0], p, key, &m)
				prefix = c.aheadPrefix
			}
		}
		if prefix == nil {
			continue
		}
		first, n := spec.span(argv)
		for j := 0; j < n && len(hs) < pipelineAhead; j++ {
			ks.keyBuf = append(ks.keyBuf[:0], prefix...)
			if m := argv[first+j*int(spec.step)]; spec.typ == storage.TypeZSet {
				ks.keyBuf = zsetMemberSub(ks.keyBuf, m)
			} else {
				ks.keyBuf = append(ks.keyBuf, m...)
			}
			hs = append(hs, rt.hashBytes(ks.keyBuf))
		}
	}
	return hs
}

// memberArgs says where a command's member arguments are, for
// prefetchMembers: from argument first, every step, of a key of type
// typ; only the first when one; ZADD's start after its options.
type memberArgs struct {
	typ         storage.Type
	first, step int8
	one, zadd   bool
}

// span is where the members of argv are: n of them, every step-th from
// first. prefetchCounts bounds a read ahead by it and prefetchMembers
// touches what it names, so the two agree (ZADD's options included).
func (spec memberArgs) span(argv [][]byte) (first, n int) {
	first = int(spec.first)
	if spec.zadd {
		first = zaddFirstScore(argv) + 1
	}
	switch {
	case first >= len(argv):
		return first, 0
	case spec.one:
		return first, 1
	}
	return first, (len(argv) - first + int(spec.step) - 1) / int(spec.step)
}

// prefetchedMembers lists the commands whose members are prefetched:
// those that read members by name.
var prefetchedMembers = map[string]memberArgs{
	"hset":         {typ: storage.TypeHash, first: 2, step: 2},
	"hmset":        {typ: storage.TypeHash, first: 2, step: 2},
	"hsetnx":       {typ: storage.TypeHash, first: 2, step: 1, one: true},
	"hget":         {typ: storage.TypeHash, first: 2, step: 1, one: true},
	"hmget":        {typ: storage.TypeHash, first: 2, step: 1},
	"hexists":      {typ: storage.TypeHash, first: 2, step: 1, one: true},
	"hdel":         {typ: storage.TypeHash, first: 2, step: 1},
	"hincrby":      {typ: storage.TypeHash, first: 2, step: 1, one: true},
	"hincrbyfloat": {typ: storage.TypeHash, first: 2, step: 1, one: true},
	"hstrlen":      {typ: storage.TypeHash, first: 2, step: 1, one: true},
	"sadd":         {typ: storage.TypeSet, first: 2, step: 1},
	"srem":         {typ: storage.TypeSet, first: 2, step: 1},
	"sismember":    {typ: storage.TypeSet, first: 2, step: 1, one: true},
	"smismember":   {typ: storage.TypeSet, first: 2, step: 1},
	"zadd":         {typ: storage.TypeZSet, first: 2, step: 2, zadd: true},
	"zincrby":      {typ: storage.TypeZSet, first: 3, step: 1, one: true},
	"zscore":       {typ: storage.TypeZSet, first: 2, step: 1, one: true},
	"zmscore":      {typ: storage.TypeZSet, first: 2, step: 1},
	"zrem":         {typ: storage.TypeZSet, first: 2, step: 1},
}

// zaddFirstScore is the index of ZADD's first score: past its options.
func zaddFirstScore(argv [][]byte) int {
	i := 2
	for ; i < len(argv); i++ {
		a := argv[i]
		if !(len(a) == 2 && (bytes.EqualFold(a, []byte("nx")) || bytes.EqualFold(a, []byte("xx")) ||
			bytes.EqualFold(a, []byte("gt")) || bytes.EqualFold(a, []byte("lt")) || bytes.EqualFold(a, []byte("ch"))) ||
			bytes.EqualFold(a, []byte("incr"))) {
			return i
		}
	}
	return i
}

// setPrefetchedMembers files prefetchedMembers in the table, once every
// command is registered.
func setPrefetchedMembers(t *commandTable) {
	for name, ma := range prefetchedMembers {
		t.byName[name].members = ma
	}
}
