package daemon

import (
	"errors"
	"time"

	"github.com/redoubtdb/redoubt/daemon/acl"
)

// ACL subcommands: SETUSER DELUSER GETUSER LIST USERS WHOAMI CAT SAVE LOAD
// LOG GENPASS DRYRUN HELP, as Redis 7.0.15's aclCommand answers them. The
// rules, the file format and the texts are package acl's; the wiring into
// dispatch is in acl_server.go.

func init() { registrations = append(registrations, registerACLCommands) }

func registerACLCommands(t *commandTable) {
	t.registerContainer("acl")
	t.register("acl|setuser", cmdACLSetuser)
	t.register("acl|deluser", cmdACLDeluser)
	t.register("acl|getuser", cmdACLGetuser)
	t.register("acl|list", func(c *Client, argv [][]byte) { c.ReplyStrings(c.srv.acl.users.List()) })
	t.register("acl|users", func(c *Client, argv [][]byte) { c.ReplyStrings(c.srv.acl.users.Names()) })
	t.register("acl|whoami", func(c *Client, argv [][]byte) { c.ReplyBulkString(c.user.Name()) })
	t.register("acl|cat", cmdACLCat)
	t.register("acl|save", cmdACLSave)
	t.register("acl|load", cmdACLLoad)
	t.register("acl|log", cmdACLLog)
	t.register("acl|genpass", cmdACLGenpass)
	t.register("acl|dryrun", cmdACLDryrun)
	t.register("acl|help", func(c *Client, argv [][]byte) { replyHelpLines(c, argv, acl.HelpLines) })
}

// cmdACLSetuser implements ACL SETUSER name [rule ...]: all rules apply or
// none does. Pub/Sub connections of the user that lost channels they are
// subscribed to are closed.
func cmdACLSetuser(c *Client, argv [][]byte) {
	rules := make([]string, len(argv)-3)
	for i, a := range argv[3:] {
		rules[i] = string(a)
	}
	u, revoked, err := c.srv.acl.users.SetUser(string(argv[2]), rules)
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	c.srv.dropRevokedSubscribersLocked(c, u, revoked)
	c.ReplyOK()
}

// cmdACLDeluser implements ACL DELUSER name [name ...]: the number of users
// removed. Their connections are closed (the caller's after this reply).
func cmdACLDeluser(c *Client, argv [][]byte) {
	names := make([]string, len(argv)-2)
	for i, a := range argv[2:] {
		names[i] = string(a)
	}
	n, err := c.srv.acl.users.DelUser(names...)
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	c.srv.dropRemovedUsersLocked(c)
	c.ReplyInt(int64(n))
}

// cmdACLGetuser implements ACL GETUSER name: a map (a flat array in
// RESP2) of flags (a set), passwords, the root selector's commands, keys
// and channels, and the other selectors; null for an unknown user.
func cmdACLGetuser(c *Client, argv [][]byte) {
	u := c.srv.acl.users.Get(string(argv[2]))
	if u == nil {
		c.ReplyNull()
		return
	}
	info := u.Info()
	c.ReplyMapLen(6)
	c.ReplyBulkString("flags")
	c.ReplySetLen(len(info.Flags))
	for _, f := range info.Flags {
		c.ReplyBulkString(f)
	}
	c.ReplyBulkString("passwords")
	c.ReplyStrings(info.Passwords)
	replySelectorInfo(c, info.SelectorInfo)
	c.ReplyBulkString("selectors")
	c.ReplyArrayLen(len(info.Selectors))
	for _, s := range info.Selectors {
		c.ReplyMapLen(3)
		replySelectorInfo(c, s)
	}
}

func replySelectorInfo(c *Client, s acl.SelectorInfo) {
	c.ReplyBulkString("commands")
	c.ReplyBulkString(s.Commands)
	c.ReplyBulkString("keys")
	c.ReplyBulkString(s.Keys)
	c.ReplyBulkString("channels")
	c.ReplyBulkString(s.Channels)
}

// cmdACLCat implements ACL CAT [category]: the categories, or the
// commands (and subcommands, as "config|get") of one.
func cmdACLCat(c *Client, argv [][]byte) {
	switch len(argv) {
	case 2:
		c.ReplyStrings(acl.Categories())
	case 3:
		names, err := c.srv.acl.cat.CategoryCommands(string(argv[2]))
		if err != nil {
			c.ReplyError(err.Error())
			return
		}
		c.ReplyStrings(names)
	default:
		replySubcommandSyntaxError(c, argv)
	}
}

// cmdACLSave implements ACL SAVE: the users to the ACL file, atomically.
// Like Redis (and CONFIG REWRITE) it writes synchronously: the file is
// small and the command rare.
func cmdACLSave(c *Client, argv [][]byte) {
	s := c.srv
	if s.cfg.Aclfile == "" {
		c.ReplyError(acl.TextNoACLFile)
		return
	}
	if err := s.acl.users.SaveFile(s.cfg.Aclfile); err != nil {
		s.log.Warn("ACL SAVE failed", "file", s.cfg.Aclfile, "err", err)
		c.ReplyError(acl.TextSaveFailed)
		return
	}
	c.ReplyOK()
}

// cmdACLLoad implements ACL LOAD: the users from the ACL file, all or
// nothing. The connections of every user it replaced (all but default)
// are closed, the caller's after this reply.
func cmdACLLoad(c *Client, argv [][]byte) {
	s := c.srv
	if s.cfg.Aclfile == "" {
		c.ReplyError(acl.TextNoACLFile)
		return
	}
	if err := s.acl.users.LoadFile(s.cfg.Aclfile); err != nil {
		var le *acl.LoadError
		if !errors.As(err, &le) {
			s.log.Warn("ACL LOAD failed", "file", s.cfg.Aclfile, "err", err)
		}
		c.ReplyError(err.Error())
		return
	}
	s.dropRemovedUsersLocked(c)
	c.ReplyOK()
}

// cmdACLLog implements ACL LOG [count | RESET]: the newest entries (10 by
// default), each a map of count, reason, context, object, username,
// age-seconds and client-info.
func cmdACLLog(c *Client, argv [][]byte) {
	if len(argv) > 3 {
		replySubcommandSyntaxError(c, argv)
		return
	}
	log := c.srv.acl.log
	count := int64(10)
	if len(argv) == 3 {
		if equalFold(argv[2], "reset") {
			log.Reset()
			c.ReplyOK()
			return
		}
		n, ok := parseInt(argv[2])
		if !ok {
			c.ReplyError(errNotInt)
			return
		}
		count = max(n, 0)
	}
	entries := log.Entries(int(min(count, int64(log.Len()))))
	now := time.UnixMilli(c.srv.ks.Now())
	c.ReplyArrayLen(len(entries))
	for _, e := range entries {
		c.ReplyMapLen(7)
		c.ReplyBulkString("count")
		c.ReplyInt(e.Count)
		c.ReplyBulkString("reason")
		c.ReplyBulkString(e.Reason.String())
		c.ReplyBulkString("context")
		c.ReplyBulkString(e.Context.String())
		c.ReplyBulkString("object")
		c.ReplyBulkString(e.Object)
		c.ReplyBulkString("username")
		c.ReplyBulkString(e.Username)
		c.ReplyBulkString("age-seconds")
		c.ReplyDouble(e.AgeSeconds(now))
		c.ReplyBulkString("client-info")
		c.ReplyBulkString(e.ClientInfo)
	}
}

// cmdACLGenpass implements ACL GENPASS [bits]: a random password of bits
// bits (256 by default) in hex.
func cmdACLGenpass(c *Client, argv [][]byte) {
	if len(argv) > 3 {
		replySubcommandSyntaxError(c, argv)
		return
	}
	bits := int64(256)
	if len(argv) == 3 {
		n, ok := parseInt(argv[2])
		if !ok {
			c.ReplyError(errNotInt)
			return
		}
		bits = n
	}
	pass, err := acl.GenPass(bits)
	if err != nil {
		c.ReplyError(err.Error())
		return
	}
	c.ReplyBulkString(pass)
}

// cmdACLDryrun implements ACL DRYRUN user command [arg ...]: whether the
// user could run the command, without running it. Any Redis 7.0 command
// can be asked about, also one Redoubt does not implement.
func cmdACLDryrun(c *Client, argv [][]byte) {
	s := c.srv
	u := s.acl.users.Get(string(argv[2]))
	if u == nil {
		c.ReplyError(acl.DryRunUnknownUser(string(argv[2])).Error())
		return
	}
	line := argv[3:]
	cmd := s.acl.lookupDry(line)
	if cmd == nil {
		c.ReplyError(acl.DryRunUnknownCommand(string(line[0])).Error())
		return
	}
	if (cmd.arity > 0 && cmd.arity != len(line)) || len(line) < -cmd.arity {
		c.ReplyErrorf("ERR wrong number of arguments for '%s' command", cmd.fullName())
		return
	}
	if d := s.aclCheck(u, cmd, line); !d.Allowed() {
		c.ReplyBulkString(d.DryRunText(cmd.fullName(), line))
		return
	}
	c.ReplyOK()
}
