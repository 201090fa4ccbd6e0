package daemon

import (
	"strings"
	"time"

	"github.com/redoubtdb/redoubt/conf"
)

// Server commands: INFO CONFIG TIME LASTSAVE SHUTDOWN FUNCTION (FLUSH, LIST)
// SLOWLOG MONITOR.

func init() { registrations = append(registrations, registerServerCommands) }

func registerServerCommands(t *commandTable) {
	t.register("info", func(c *Client, argv [][]byte) { c.ReplyVerbatim(c.srv.genInfo(argv[1:])) })

	t.registerContainer("config")
	t.register("config|get", cmdConfigGet)
	t.register("config|set", cmdConfigSet)
	t.register("config|resetstat", func(c *Client, argv [][]byte) {
		c.srv.resetStats()
		c.ReplyOK()
	})
	t.register("config|rewrite", cmdConfigRewrite)
	t.register("config|help", func(c *Client, argv [][]byte) { replyHelpLines(c, argv, configHelp) })

	t.register("time", func(c *Client, argv [][]byte) {
		now := time.Now()
		c.ReplyArrayLen(2)
		c.ReplyBulkInt(now.Unix())
		c.ReplyBulkInt(int64(now.Nanosecond() / 1000))
	})
	t.register("lastsave", func(c *Client, argv [][]byte) { c.ReplyInt(c.srv.lastSave) })
	t.register("shutdown", cmdShutdown)

	t.registerContainer("function")
	t.register("function|flush", cmdFunctionFlush)
	t.register("function|list", cmdFunctionList)

	t.registerContainer("slowlog")
	t.register("slowlog|get", cmdSlowlogGet)
	t.register("slowlog|len", func(c *Client, argv [][]byte) { c.ReplyInt(int64(c.srv.slowlog.len())) })
	t.register("slowlog|reset", func(c *Client, argv [][]byte) {
		c.srv.slowlog.reset()
		c.ReplyOK()
	})
	t.register("slowlog|help", func(c *Client, argv [][]byte) { replyHelpLines(c, argv, slowlogHelp) })

	t.register("monitor", cmdMonitor)
}

// replyHelpLines replies to a container's HELP subcommand the way Redis's
// addReplyHelp does: a header naming the command, the lines, and the HELP
// entry, all as status replies.
func replyHelpLines(c *Client, argv [][]byte, lines []string) {
	c.ReplyArrayLen(len(lines) + 3)
	c.ReplySimple(strings.ToUpper(string(argv[0])) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.ReplySimple(l)
	}
	c.ReplySimple("HELP")
	c.ReplySimple("    Prints this help.")
}

// replySubcommandSyntaxError is Redis's addReplySubcommandSyntaxError, for
// subcommands whose handler checks the argument count itself.
func replySubcommandSyntaxError(c *Client, argv [][]byte) {
	sub := argv[1]
	if len(sub) > 128 {
		sub = sub[:128]
	}
	c.ReplyErrorf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.",
		sub, strings.ToUpper(string(argv[0])))
}

// ---- CONFIG ------------------------------------------------------------------

var configHelp = []string{
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
}

// cmdConfigGet answers CONFIG GET pattern [pattern ...]: a map of every
// matching parameter, each once even when several patterns match it.
func cmdConfigGet(c *Client, argv [][]byte) {
	seen := map[string]bool{}
	var kvs []conf.KV
	for _, p := range argv[2:] {
		for _, kv := range c.srv.cfg.Get(string(p)) {
			k := strings.ToLower(kv.Key)
			if seen[k] {
				continue
			}
			seen[k] = true
			kvs = append(kvs, kv)
		}
	}
	c.ReplyMapLen(len(kvs))
	for _, kv := range kvs {
		c.ReplyBulkString(kv.Key)
		c.ReplyBulkString(kv.Value)
	}
}

// cmdConfigSet answers CONFIG SET name value [name value ...]: all pairs
// apply or none does (conf.Config.Set), then their runtime effects.
func cmdConfigSet(c *Client, argv [][]byte) {
	if (len(argv)-2)%2 != 0 {
		c.ReplyError(errSyntax)
		return
	}
	pairs := make([]conf.KV, 0, (len(argv)-2)/2)
	for i := 2; i+1 < len(argv); i += 2 {
		pairs = append(pairs, conf.KV{Key: string(argv[i]), Value: string(argv[i+1])})
	}
	s := c.srv
	before := *s.cfg
	if err := s.cfg.Set(pairs); err != nil {
		c.ReplyError(err.Error())
		return
	}
	if n := s.maxClientsFD; n > 0 && s.cfg.Maxclients > n && s.cfg.Maxclients != before.Maxclients {
		// Redis tries to raise the open-file limit first; Redoubt's is
		// fitted at start, so more clients than it allows can't be had.
		*s.cfg = before
		c.ReplyErrorf("ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with %d", n)
		return
	}
	if s.cfg.OOMScoreAdj != before.OOMScoreAdj || s.cfg.OOMScoreAdjValues != before.OOMScoreAdjValues {
		if err := s.applyOOMScoreLocked(); err != nil {
			// As Redis: the whole CONFIG SET is rolled back.
			s.log.Warn(err.Error())
			name := "oom-score-adj"
			if s.cfg.OOMScoreAdj == before.OOMScoreAdj {
				name = "oom-score-adj-values"
			}
			*s.cfg = before
			s.roleOOMScoreLocked()
			c.ReplyErrorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, errOOMScore)
			return
		}
	}
	s.applyConfigLocked(&before)
	c.ReplyOK()
}

// applyConfigLocked carries a CONFIG SET into the parts of the server that
// keep their own copy of a value. maxclients, timeout, the buffer limits
// and the slowlog threshold are read from the config each time they are
// used. Holds mu.
func (s *Server) applyConfigLocked(before *conf.Config) {
	cfg := s.cfg
	if cfg.Appendfsync != before.Appendfsync {
		s.dur.setMode(cfg.Appendfsync)
	}
	if cfg.DiskReserve != before.DiskReserve {
		s.setDiskReserveLocked()
	}
	if cfg.Hz != before.Hz {
		s.hz.Store(int64(cfg.Hz))
	}
	s.latmon.threshold.Store(int64(cfg.LatencyMonitorThreshold))
	s.staleDenied.Store(!cfg.ReplicaServeStaleData)
	if cfg.Loglevel != before.Loglevel && s.logLevel != nil {
		s.logLevel.Set(LogLevel(cfg.Loglevel))
	}
	if cfg.SlowlogMaxLen != before.SlowlogMaxLen {
		s.slowlog.trim(int64(cfg.SlowlogMaxLen))
	}
	// requirepass, acllog-max-len and acl-pubsub-default live in the ACL
	// state. Clients that never authenticated stay so, as in Redis: once
	// the default user needs no password they may run commands (see
	// authRequired), but HELLO still wants them authenticated.
	s.applyACLConfigLocked()
}

// cmdConfigRewrite writes the config file back. Like Redis it does so
// synchronously: the file is small and the command rare.
func cmdConfigRewrite(c *Client, argv [][]byte) {
	s := c.srv
	s.syncConfigUsersLocked() // the users as they are now, unless an ACL file holds them
	if err := s.cfg.Rewrite(s.cfg.Path()); err != nil {
		s.log.Warn("CONFIG REWRITE failed", "err", err)
		c.ReplyError(err.Error())
		return
	}
	s.log.Info("CONFIG REWRITE executed with success.")
	c.ReplyOK()
}

// resetStats is CONFIG RESETSTAT: server, command and error statistics
// start again from zero, as Redis's resetServerStats,
// resetCommandTableStats and resetErrorTableStats do. The slow log and the
// memory peak are kept, as in Redis. Holds mu.
func (s *Server) resetStats() {
	s.foldLoadRejectsLocked() // and drop them with the rest
	s.stats = serverStats{errors: map[string]int64{}}
	s.netIn.Store(0)
	s.netOut.Store(0)
	s.cmds.walk(func(cmd *command) { cmd.stats, cmd.lat = cmdStats{}, nil })
}

// ---- FUNCTION ----------------------------------------------------------------

// Redoubt runs no scripts, so the function set is always empty; FLUSH and
// LIST answer as Redis does for an empty set so that tools which clean up
// or inspect functions keep working.

func cmdFunctionFlush(c *Client, argv [][]byte) {
	if len(argv) > 3 {
		replySubcommandSyntaxError(c, argv)
		return
	}
	if len(argv) == 3 && !equalFold(argv[2], "sync") && !equalFold(argv[2], "async") {
		c.ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	// Redis counts the flush as a change even when there was nothing to
	// flush (rdb_changes_since_last_save).
	c.srv.ks.changes++
	c.ReplyOK()
}

func cmdFunctionList(c *Client, argv [][]byte) {
	withCode, haveName := false, false
	for i := 2; i < len(argv); i++ {
		switch {
		case !withCode && equalFold(argv[i], "withcode"):
			withCode = true
		case !haveName && equalFold(argv[i], "libraryname"):
			if i >= len(argv)-1 {
				c.ReplyError("ERR library name argument was not given")
				return
			}
			haveName = true
			i++
		default:
			c.ReplyErrorf("ERR Unknown argument %s", argv[i])
			return
		}
	}
	c.ReplyArrayLen(0)
}

// ---- SLOWLOG -----------------------------------------------------------------

var slowlogHelp = []string{
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
}

func cmdSlowlogGet(c *Client, argv [][]byte) {
	if len(argv) > 3 {
		replySubcommandSyntaxError(c, argv)
		return
	}
	log := &c.srv.slowlog
	count := int64(10)
	if len(argv) == 3 {
		n, ok := parseInt(argv[2])
		if !ok || n < -1 {
			c.ReplyError("ERR count should be greater than or equal to -1")
			return
		}
		count = n
		if n == -1 {
			count = int64(log.len())
		}
	}
	if count > int64(log.len()) {
		count = int64(log.len())
	}
	c.ReplyArrayLen(int(count))
	for i := 0; i < int(count); i++ {
		e := log.newest(i)
		c.ReplyArrayLen(6)
		c.ReplyInt(e.id)
		c.ReplyInt(e.at)
		c.ReplyInt(e.duration)
		c.ReplyStrings(e.argv)
		c.ReplyBulkString(e.addr)
		c.ReplyBulkString(e.name)
	}
}

// ---- MONITOR -----------------------------------------------------------------

// cmdMonitor turns the connection into a monitor: it receives every command
// the server runs (Server.feedMonitors). A client already monitoring gets
// no reply, as in Redis.
func cmdMonitor(c *Client, argv [][]byte) {
	if c.denyBlocking() {
		// Inside EXEC (later: scripts), as in Redis.
		c.ReplyError("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.monitor {
		return
	}
	c.monitor = true
	c.srv.monitors[c] = struct{}{}
	c.ReplyOK()
}
