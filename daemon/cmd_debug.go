package daemon

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redoubtdb/redoubt/storage"
)

func init() { registrations = append(registrations, registerDebugCommands) }

// DEBUG SLEEP, POPULATE, SET-ACTIVE-EXPIRE, STORE-METRICS and HELP, allowed as
// enable-debug-command says (checked in call, as Redis checks its
// protected commands).
// The rest of Redis's DEBUG (RELOAD, OBJECT, DIGEST, JMAP...) answers as an
// unknown subcommand.
func registerDebugCommands(t *commandTable) {
	t.register("debug", cmdDebug)
}

// errDebugNotAllowed is Redis's refusal of DEBUG under enable-debug-command.
const errDebugNotAllowed = `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", ` +
	`you can run it from a local connection, otherwise you need to set this option in the configuration file, ` +
	`and then restart the server.`

// protectedAllowed is Redis's allowProtectedAction for DEBUG (the only
// protected command here): yes, or local for a loopback client. Holds mu.
func (s *Server) protectedAllowed(c *Client) bool {
	switch s.cfg.EnableDebugCommand {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(c.addr)
		return err == nil && (host == "127.0.0.1" || host == "::1")
	}
	return false
}

var debugHelp = []string{
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"STORE-METRICS",
	"    Return the store's own metrics (Pebble's levels, compactions, caches and",
	"    WAL) as text. Not a Redis subcommand.",
}

func cmdDebug(c *Client, argv [][]byte) {
	s := c.srv
	sub := strings.ToLower(string(argv[1]))
	switch {
	case sub == "help" && len(argv) == 2:
		replyHelpLines(c, argv, debugHelp)
	case sub == "sleep" && len(argv) == 3:
		// As Redis does: the whole server stops (this holds the lock).
		secs, err := strconv.ParseFloat(string(argv[2]), 64)
		if err != nil {
			secs = 0 // Redis's strtod: what does not parse sleeps not at all
		}
		time.Sleep(time.Duration(secs * float64(time.Second)))
		c.ReplyOK()
	case sub == "set-active-expire" && len(argv) == 3:
		n, _ := strconv.Atoi(string(argv[2])) // Redis's atoi
		s.activeExpireOff.Store(n == 0)
		c.ReplyOK()
	case sub == "populate" && len(argv) >= 3 && len(argv) <= 5:
		debugPopulate(c, argv)
	case sub == "store-metrics" && len(argv) == 2:
		// Pebble's table of levels, compactions, flushes and caches: what
		// an operator (or a benchmark) reads to see where writes go.
		m, ok := s.store.(interface{ Metrics() string })
		if !ok {
			c.ReplyError("ERR the store keeps no metrics")
			return
		}
		c.ReplyVerbatim(m.Metrics())
	default:
		replySubcommandSyntaxError(c, argv)
	}
}

// debugPopulate is DEBUG POPULATE count [prefix] [size]: string keys
// prefix:0 ... with values value:0 ... (cut or zero-padded to size),
// skipping keys that exist. Like Redis it notifies nothing and does not
// propagate to replicas (DEBUG is not a write command).
func debugPopulate(c *Client, argv [][]byte) {
	count, ok := positiveArg(c, argv[2])
	if !ok {
		return
	}
	prefix := "key"
	if len(argv) >= 4 {
		prefix = string(argv[3])
	}
	size := int64(0)
	if len(argv) == 5 {
		if size, ok = positiveArg(c, argv[4]); !ok {
			return
		}
	}
	ks := c.srv.ks
	var key, val []byte
	for j := range count {
		key = strconv.AppendInt(append(append(key[:0], prefix...), ':'), j, 10)
		if _, exists := ks.PeekMeta(c.db, key); exists {
			continue
		}
		val = strconv.AppendInt(append(val[:0], "value:"...), j, 10)
		v := val
		if size > 0 {
			v = make([]byte, size)
			copy(v, val)
		}
		ks.putString(c.db, key, nil, v, 0, storage.StrEncAuto)
	}
	c.ReplyOK()
}

// positiveArg is Redis's getPositiveLongFromObjectOrReply, whose one
// message covers what is not a number too.
func positiveArg(c *Client, b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok || n < 0 {
		c.ReplyError(errPositive)
		return 0, false
	}
	return n, true
}
