package daemon

import (
	"math"

	"github.com/redoubtdb/redoubt/daemon/acl"
)

// Connection commands: PING ECHO QUIT SELECT HELLO AUTH RESET.

func init() { registrations = append(registrations, registerConnCommands) }

func registerConnCommands(t *commandTable) {
	t.register("ping", cmdPing)
	t.register("echo", func(c *Client, argv [][]byte) { c.ReplyBulk(argv[1]) })
	t.register("quit", func(c *Client, argv [][]byte) {
		c.replyMode = replyOn
		c.ReplyOK()
		c.closeASAP = true
	})
	t.register("select", cmdSelect)
	t.register("hello", cmdHello)
	t.register("auth", cmdAuth)
	t.register("reset", cmdReset)
}

func cmdPing(c *Client, argv [][]byte) {
	if len(argv) > 2 {
		c.ReplyErrorf("ERR wrong number of arguments for 'ping' command")
		return
	}
	if c.proto == 2 && c.pubsub.subscribed() {
		// A RESP2 subscriber can only read arrays: Redis answers
		// ["pong", arg or ""].
		c.ReplyArrayLen(2)
		c.ReplyBulkString("pong")
		if len(argv) == 2 {
			c.ReplyBulk(argv[1])
		} else {
			c.ReplyBulkString("")
		}
		return
	}
	if len(argv) == 2 {
		c.ReplyBulk(argv[1])
		return
	}
	c.ReplySimple("PONG")
}

func cmdSelect(c *Client, argv [][]byte) {
	db, ok := parseInt(argv[1])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	if db < math.MinInt32 || db > math.MaxInt32 {
		c.ReplyError("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if db < 0 || db >= int64(c.srv.ks.Databases()) {
		c.ReplyError(errDBIndex)
		return
	}
	c.db = int(db)
	c.ReplyOK()
}

func cmdAuth(c *Client, argv [][]byte) {
	if len(argv) > 3 {
		c.ReplyError(errSyntax)
		return
	}
	user, pass := []byte(acl.DefaultUserName), argv[1]
	if len(argv) == 3 {
		user, pass = argv[1], argv[2]
	} else if c.srv.acl.users.Default().NoPass() {
		// The old one-argument form fails when the default user needs
		// no password, even if another user could be meant.
		c.ReplyError(acl.TextAuthNoPassword)
		return
	}
	if !c.authenticate(user, pass, argv) {
		c.ReplyError(acl.TextWrongPass)
		return
	}
	c.ReplyOK()
}

// cmdHello implements HELLO [protover [AUTH user pass] [SETNAME name]].
func cmdHello(c *Client, argv [][]byte) {
	proto := c.proto
	if len(argv) >= 2 {
		v, ok := parseInt(argv[1])
		if !ok {
			c.ReplyError("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.ReplyError("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
	}
	// Options apply as they are read, as in Redis 7.0: an AUTH that
	// succeeded or a SETNAME stays done even if a later option fails.
	for i := 2; i < len(argv); i++ {
		more := len(argv) - i - 1
		switch {
		case equalFold(argv[i], "auth") && more >= 2:
			if !c.authenticate(argv[i+1], argv[i+2], argv) {
				c.ReplyError(acl.TextWrongPass)
				return
			}
			i += 2
		case equalFold(argv[i], "setname") && more >= 1:
			if !validClientName(argv[i+1]) {
				c.ReplyError(errClientName)
				return
			}
			c.name = string(argv[i+1])
			i++
		default:
			c.ReplyErrorf("ERR Syntax error in HELLO option '%s'", truncateArg(argv[i]))
			return
		}
	}
	if !c.authed.Load() {
		c.ReplyError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	c.proto = proto
	c.ReplyMapLen(7)
	c.ReplyBulkString("server")
	c.ReplyBulkString("redis")
	c.ReplyBulkString("version")
	c.ReplyBulkString(Version)
	c.ReplyBulkString("proto")
	c.ReplyInt(int64(c.proto))
	c.ReplyBulkString("id")
	c.ReplyInt(c.id)
	c.ReplyBulkString("mode")
	c.ReplyBulkString("standalone")
	c.ReplyBulkString("role")
	if c.srv.isReplicaLocked() {
		c.ReplyBulkString("replica")
	} else {
		c.ReplyBulkString("master")
	}
	c.ReplyBulkString("modules")
	c.ReplyArrayLen(0)
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

// validClientName applies Redis's rule: printable ASCII, no spaces.
func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// cmdReset returns the connection to its initial state, like Redis's
// clearClientConnectionState.
func cmdReset(c *Client, argv [][]byte) {
	s := c.srv
	s.discardLocked(c) // MULTI hook: ends a transaction and drops watches
	s.resetPubsubLocked(c)
	s.disableTrackingLocked(c)
	c.db = 0
	c.proto = 2
	c.name = ""
	c.replyMode = replyOn
	c.noEvict = false
	if c.monitor {
		c.monitor = false
		delete(s.monitors, c)
	}
	s.defaultAuthLocked(c)
	c.ReplySimple("RESET")
}
