package daemon

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

func init() { registrations = append(registrations, registerDebugCommands) }

// DEBUG DIGEST, DIGEST-VALUE, RELOAD, PROTOCOL, SLEEP, POPULATE,
// SET-ACTIVE-EXPIRE, STORE-METRICS and HELP, allowed as enable-debug-command says (checked in
// call, as Redis checks its protected commands).
// The rest of Redis's DEBUG (OBJECT, JMAP, LOADAOF...) answers as an
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
		if c.unix {
			return true
		}
		host, _, err := net.SplitHostPort(c.addr)
		return err == nil && (host == "127.0.0.1" || host == "::1")
	}
	return false
}

var debugHelp = []string{
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    (Redis's MERGE and NOFLUSH are not supported.)",
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
	case (sub == "digest" && len(argv) == 2 || sub == "digest-value" || sub == "reload") && c.multi.execing:
		// These read the store with the write buffer drained, which
		// would commit half of the transaction's unit.
		c.ReplyError("ERR DEBUG " + strings.ToUpper(sub) + " is not supported inside MULTI in Redoubt")
	case sub == "digest" && len(argv) == 2:
		d, err := s.ks.datasetDigest()
		if err != nil {
			panic(storageError{err})
		}
		c.ReplySimple(d.String())
	case sub == "digest-value":
		c.ReplyArrayLen(len(argv) - 2)
		for _, key := range argv[2:] {
			d, err := s.ks.valueDigest(c.db, key)
			if err != nil {
				panic(storageError{err})
			}
			c.ReplySimple(d.String())
		}
	case sub == "object" && len(argv) == 3:
		debugObject(c, argv[2])
	case sub == "protocol" && len(argv) == 3:
		debugProtocol(c, strings.ToLower(string(argv[2])))
	case sub == "reload":
		debugReload(c, argv)
	case sub == "sleep" && len(argv) == 3:
		// As Redis does: the whole server stops (this holds the lock).
		secs, err := strconv.ParseFloat(string(argv[2]), 64)
		if err != nil {
			secs = 0 // Redis's strtod: what does not parse sleeps not at all
		}
		time.Sleep(time.Duration(secs * float64(time.Second)))
		c.ReplyOK()
	case sub == "pause-cron" && len(argv) == 3:
		n, _ := strconv.Atoi(string(argv[2])) // Redis's atoi
		s.cronPaused.Store(n != 0)
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

// debugReload is DEBUG RELOAD [NOSAVE]: the keyspace saved to the RDB file
// (SAVE's, synchronously), emptied, and loaded back from the file, all
// under the lock, as Redis does it in its one thread. Unlike Redis, the
// file is opened before anything is emptied, so a missing file loses
// nothing. A failed load leaves what it loaded, as Redis's does; the
// file is still there to load again. Holds mu.
func debugReload(c *Client, argv [][]byte) {
	s := c.srv
	save := true
	for _, a := range argv[2:] {
		switch {
		case equalFold(a, "nosave"):
			save = false
		case equalFold(a, "merge"), equalFold(a, "noflush"):
			c.ReplyError("ERR DEBUG RELOAD " + strings.ToUpper(string(a)) + " is not supported by Redoubt")
			return
		default:
			c.ReplyError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	if s.save.running {
		c.ReplyError(errSaveInProgress)
		return
	}
	path := filepath.Join(s.cfg.Dir, s.cfg.Dbfilename)
	if save {
		v, _, opts := s.beginSaveLocked()
		err := writeRDBFile(v, path, opts, nil)
		v.close()
		s.finishSaveLocked("save", err)
		if err != nil {
			c.ReplyError("ERR") // Redis's shared.err
			return
		}
	}
	f, err := os.Open(path)
	if err != nil {
		s.log.Warn("DEBUG RELOAD cannot open the RDB file", "err", err)
		c.ReplyError("ERR Error trying to load the RDB dump, check server logs.")
		return
	}
	defer f.Close()
	changes := s.ks.changes
	s.ks.FlushAll()
	s.commitLocked()
	s.ks.wb.drain()
	// A master drops the keys whose expiry passed, a replica keeps them
	// for its primary's DELs, as when loading at startup.
	_, err = s.importLocked(bufio.NewReaderSize(f, 1<<20), ImportOptions{}, loadHooks{keepExpired: s.repl.master != nil})
	s.ks.changes = changes
	if err != nil {
		s.log.Warn("DEBUG RELOAD failed to load the RDB file", "path", path, "err", err)
		c.ReplyError("ERR Error trying to load the RDB dump, check server logs.")
		return
	}
	s.log.Warn("DB reloaded by DEBUG RELOAD")
	c.ReplyOK()
}

// debugProtocol is DEBUG PROTOCOL <type>: Redis's sample reply of each
// RESP3 type (and what RESP2 makes of it), for testing clients.
func debugProtocol(c *Client, name string) {
	switch name {
	case "string":
		c.ReplyBulkString("Hello World")
	case "integer":
		c.ReplyInt(12345)
	case "double":
		c.ReplyDouble(3.141)
	case "bignum":
		const n = "1234567999999999999999999999999999999"
		if c.proto >= 3 {
			c.ReplyRaw([]byte("(" + n + "\r\n"))
		} else {
			c.ReplyBulkString(n)
		}
	case "null":
		c.ReplyNull()
	case "array", "set":
		if name == "array" {
			c.ReplyArrayLen(3)
		} else {
			c.ReplySetLen(3)
		}
		for j := range 3 {
			c.ReplyInt(int64(j))
		}
	case "map":
		c.ReplyMapLen(3)
		for j := range 3 {
			c.ReplyInt(int64(j))
			c.ReplyBool(j == 1)
		}
	case "attrib":
		if c.proto >= 3 {
			c.ReplyRaw([]byte("|1\r\n"))
			c.ReplyBulkString("key-popularity")
			c.ReplyArrayLen(2)
			c.ReplyBulkString("key:123")
			c.ReplyInt(90)
		}
		// An attribute is not a reply: a real one follows.
		c.ReplyBulkString("Some real reply following the attribute")
	case "push":
		if c.proto < 3 {
			c.ReplyError("ERR RESP2 is not supported by this command")
			return
		}
		c.ReplyRaw(resp.AppendPushLen(nil, 2, c.proto))
		c.ReplyBulkString("server-cpu-usage")
		c.ReplyInt(42)
		// A push is not a reply either: a client discarding it still
		// gets one.
		c.ReplyBulkString("Some real reply following the push reply")
	case "true", "false":
		c.ReplyBool(name == "true")
	case "verbatim":
		c.ReplyVerbatim("This is a verbatim\nstring")
	default:
		c.ReplyError("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}
