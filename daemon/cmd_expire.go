package daemon

import (
	"math"
)

// Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME
// PEXPIRETIME PERSIST. Expiry times are absolute unix milliseconds in the
// key's meta record (0: none); all decisions read the keyspace clock.

func init() { registrations = append(registrations, registerExpireCommands) }

func registerExpireCommands(t *commandTable) {
	t.register("expire", func(c *Client, argv [][]byte) { expireGeneric(c, argv, "expire", c.srv.ks.Now(), 1000) })
	t.register("pexpire", func(c *Client, argv [][]byte) { expireGeneric(c, argv, "pexpire", c.srv.ks.Now(), 1) })
	t.register("expireat", func(c *Client, argv [][]byte) { expireGeneric(c, argv, "expireat", 0, 1000) })
	t.register("pexpireat", func(c *Client, argv [][]byte) { expireGeneric(c, argv, "pexpireat", 0, 1) })
	t.register("ttl", func(c *Client, argv [][]byte) { ttlGeneric(c, argv, false, false) })
	t.register("pttl", func(c *Client, argv [][]byte) { ttlGeneric(c, argv, true, false) })
	t.register("expiretime", func(c *Client, argv [][]byte) { ttlGeneric(c, argv, false, true) })
	t.register("pexpiretime", func(c *Client, argv [][]byte) { ttlGeneric(c, argv, true, true) })
	t.register("persist", cmdPersist)
}

// expire condition flags (EXPIRE ... NX|XX|GT|LT).
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireFlags parses the options after the time, like Redis's
// parseExtendedExpireArgumentsOrReply: options may repeat; conflicting ones
// are errors only once all are read.
func parseExpireFlags(c *Client, opts [][]byte) (int, bool) {
	flags := 0
	for _, o := range opts {
		switch {
		case equalFold(o, "nx"):
			flags |= expireNX
		case equalFold(o, "xx"):
			flags |= expireXX
		case equalFold(o, "gt"):
			flags |= expireGT
		case equalFold(o, "lt"):
			flags |= expireLT
		default:
			c.ReplyError("ERR Unsupported option " + sanitize(string(o)))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.ReplyError("ERR NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.ReplyError("ERR GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

// expireGeneric sets key's expiry to base + argv[2]*unit milliseconds, like
// Redis's expireGenericCommand. A time not in the future deletes the key
// and still replies 1.
func expireGeneric(c *Client, argv [][]byte, name string, base, unit int64) {
	flags, ok := parseExpireFlags(c, argv[3:])
	if !ok {
		return
	}
	when, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if unit == 1000 {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.ReplyErrorf("ERR invalid expire time in '%s' command", name)
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		c.ReplyErrorf("ERR invalid expire time in '%s' command", name)
		return
	}
	when += base
	ks := c.srv.ks
	m, ok := ks.Lookup(c.db, argv[1])
	if !ok {
		c.ReplyInt(0)
		return
	}
	current := m.ExpireAt // 0: none, which Redis calls -1 and GT/LT treat as infinite
	switch {
	case flags&expireNX != 0 && current != 0,
		flags&expireXX != 0 && current == 0,
		flags&expireGT != 0 && (current == 0 || when <= current),
		flags&expireLT != 0 && current != 0 && when >= current:
		c.ReplyInt(0)
		return
	}
	if when <= ks.Now() {
		ks.Delete(c.db, argv[1])
		c.srv.notifyLocked(notifyGeneric, "del", c.db, argv[1])
		c.propagate(propDel, argv[1])
		c.ReplyInt(1)
		return
	}
	ks.SetExpire(c.db, argv[1], m, when)
	c.srv.notifyLocked(notifyGeneric, "expire", c.db, argv[1])
	if name != "pexpireat" && c.replicating() {
		// PEXPIREAT key ms, keeping NX/XX/GT/LT, as Redis rewrites it.
		prop := append([][]byte{propPexpireat, argv[1], itob(when)}, argv[3:]...)
		c.propagate(prop...)
	}
	c.ReplyInt(1)
}

// ttlGeneric is TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing
// key, -1 for no expiry; seconds are rounded to the nearest, as Redis does.
// It does not count as an access to the key.
func ttlGeneric(c *Client, argv [][]byte, ms, abs bool) {
	ks := c.srv.ks
	m, ok := ks.PeekMeta(c.db, argv[1])
	countLookup(c, argv[1], ok)
	if !ok {
		c.ReplyInt(-2)
		return
	}
	if m.ExpireAt == 0 {
		c.ReplyInt(-1)
		return
	}
	t := m.ExpireAt
	if !abs {
		t -= ks.Now()
	}
	if t < 0 {
		t = 0
	}
	if !ms {
		// (t+500)/1000 without overflowing near MaxInt64.
		t = t/1000 + (t%1000+500)/1000
	}
	c.ReplyInt(t)
}

func cmdPersist(c *Client, argv [][]byte) {
	ks := c.srv.ks
	m, ok := ks.Lookup(c.db, argv[1])
	if !ok || m.ExpireAt == 0 {
		c.ReplyInt(0)
		return
	}
	ks.SetExpire(c.db, argv[1], m, 0)
	c.srv.notifyLocked(notifyGeneric, "persist", c.db, argv[1])
	c.ReplyInt(1)
}
