package daemon

import (
	"crypto/sha256"
	"crypto/subtle"
	"math"
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

// checkPassword compares in constant time (over SHA-256 digests, so the
// length of the secret does not leak either).
func checkPassword(given []byte, want string) bool {
	a := sha256.Sum256(given)
	b := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// authenticate checks a username/password pair against requirepass (the
// only user until ACLs land is "default"). It logs failures without the
// password and counts them for INFO.
func (c *Client) authenticate(user, pass []byte) bool {
	s := c.srv
	if string(user) == "default" && (s.cfg.Requirepass == "" || checkPassword(pass, s.cfg.Requirepass)) {
		c.authed = true
		c.user = "default"
		return true
	}
	s.stats.authFailures++
	s.log.Warn("failed authentication", "client", c.addr, "user", string(user))
	return false
}

const errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func cmdAuth(c *Client, argv [][]byte) {
	if len(argv) > 3 {
		c.ReplyError(errSyntax)
		return
	}
	user, pass := []byte("default"), argv[1]
	if len(argv) == 3 {
		user, pass = argv[1], argv[2]
	} else if c.srv.cfg.Requirepass == "" {
		c.ReplyError("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if !c.authenticate(user, pass) {
		c.ReplyError(errWrongPass)
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
	var user, pass, name []byte
	hasAuth, hasName := false, false
	for i := 2; i < len(argv); i++ {
		more := len(argv) - i - 1
		switch {
		case equalFold(argv[i], "auth") && more >= 2:
			user, pass, hasAuth = argv[i+1], argv[i+2], true
			i += 2
		case equalFold(argv[i], "setname") && more >= 1:
			name, hasName = argv[i+1], true
			i++
		default:
			c.ReplyErrorf("ERR Syntax error in HELLO option '%s'", truncateArg(argv[i]))
			return
		}
	}
	if hasAuth && !c.authenticate(user, pass) {
		c.ReplyError(errWrongPass)
		return
	}
	if !c.authed {
		c.ReplyError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if hasName {
		if !validClientName(name) {
			c.ReplyError(errClientName)
			return
		}
		c.name = string(name)
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
	c.ReplyBulkString("master")
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
	c.db = 0
	c.proto = 2
	c.name = ""
	c.replyMode = replyOn
	c.noEvict = false
	if c.monitor {
		c.monitor = false
		delete(s.monitors, c)
	}
	if s.cfg.Requirepass != "" {
		c.authed = false
	}
	c.user = "default"
	c.ReplySimple("RESET")
}
