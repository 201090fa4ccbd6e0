package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/daemon/acl"
)

// ACL wiring: the users registry, the ACL LOG and the permission check run
// by dispatch, as Redis 7.0's acl.c and processCommand use them.
//
//   - Every client has a *acl.User: "default" when it connects, the user
//     it authenticated as afterwards. authed is Redis's c->authenticated;
//     whether a client must still authenticate is asked each time
//     (authRequired), since it depends on the default user's current
//     flags.
//   - Rules can name every Redis 7.0 command, also those Redoubt does not
//     implement yet, so ACL files written by Redis load here and ACL CAT
//     answers what Redis answers: the catalog is built from the command
//     metadata, not from the handlers.
//   - The check runs in dispatch after NOAUTH and the no-multi check, at
//     queue time inside MULTI and again when EXEC runs the queue.
//   - ACL DELUSER and ACL LOAD close the connections of the users they
//     drop; ACL SETUSER closes the Pub/Sub connections of a user that lost
//     channels they are subscribed to.

// aclState is the server's ACL state. users and log are safe for
// concurrent use; the rest is built by New and guarded by Server.mu.
type aclState struct {
	cat   *acl.Catalog
	users *acl.Users
	log   *acl.Log
	// cmds maps each command the dispatch table can run, and each entry
	// of the full Redis command set (dry), to its catalog data.
	cmds map[*command]*aclCommand
	// dry is every Redis 7.0 command by lower-case name, subcommands
	// under their container, for ACL DRYRUN: a command Redoubt does not
	// run yet still has its permissions.
	dry map[string]*command

	// applied are the config values last handed to users and log, so a
	// CONFIG SET applies only what changed. Guarded by Server.mu.
	applied struct {
		requirepass string
		logMaxLen   int
		allChannels bool
	}
}

// aclCommand is what the check needs to know about one command.
type aclCommand struct {
	id      int // catalog id
	hasKeys bool
	// channels says which arguments are Pub/Sub channels, as Redis's
	// commands_with_channels lists them.
	channels channelArgs
}

type channelArgs uint8

const (
	noChannels   channelArgs = iota
	firstChannel             // PUBLISH, SPUBLISH: argument 1
	allChannels              // SUBSCRIBE, SSUBSCRIBE: every argument
	allPatterns              // PSUBSCRIBE: every argument, a pattern
)

var channelCommands = map[string]channelArgs{
	"publish": firstChannel, "spublish": firstChannel,
	"subscribe": allChannels, "ssubscribe": allChannels,
	"psubscribe": allPatterns,
}

// aclCatalog is built once per process: the command metadata is embedded
// and never changes, and a Catalog is immutable.
var aclCatalog = sync.OnceValue(func() *acl.Catalog {
	meta := loadCommandMeta()
	specs := make([]acl.CommandSpec, 0, len(meta))
	for name, m := range meta {
		spec := acl.CommandSpec{Name: name}
		if len(m.Info.A) > 6 {
			for _, cat := range m.Info.A[6].A {
				spec.Categories = append(spec.Categories, cat.S)
			}
		}
		for _, f := range m.Info.A[2].A {
			if f.S == "no_auth" {
				spec.NoAuth = true
			}
		}
		specs = append(specs, spec)
	}
	return acl.NewCatalog(specs)
})

// initACL builds the ACL state from the configuration: acl-pubsub-default,
// requirepass, the users the configuration declares, then the ACL file.
// Errors are for people and stop the server, as Redis exits on them.
func (s *Server) initACL(cfg *conf.Config) error {
	a := &s.acl
	a.cat = aclCatalog()
	a.users = acl.NewUsers(a.cat)
	a.log = acl.NewLog(cfg.AcllogMaxLen)
	a.cmds = map[*command]*aclCommand{}
	a.dry = map[string]*command{}
	add := func(cmd *command) { a.cmds[cmd] = a.newCommand(cmd) }
	for _, cmd := range s.cmds.byName {
		add(cmd)
		for _, sub := range cmd.subs {
			add(sub)
		}
	}
	for name, m := range s.cmds.meta {
		if strings.Contains(name, "|") {
			continue
		}
		top := metaCommand(name, m.Info, nil)
		a.dry[name] = top
		add(top)
		if len(m.Info.A) >= 10 {
			for _, sm := range m.Info.A[9].A {
				sub := metaCommand(sm.A[0].S, sm, top)
				_, subName, _ := strings.Cut(sub.name, "|")
				top.subs[subName] = sub
				add(sub)
			}
		}
	}

	all := cfg.AclPubsubDefault == conf.AclAllChannels
	a.users.SetPubsubDefault(all)
	a.users.SetRequirePass(cfg.Requirepass)
	a.applied.requirepass, a.applied.logMaxLen, a.applied.allChannels = cfg.Requirepass, cfg.AcllogMaxLen, all

	decls := cfg.UserDeclarations()
	if len(decls) > 0 && cfg.Aclfile != "" {
		return cfg.UserError(0, conf.ErrUsersAndACLFile)
	}
	// Find the entry at fault first, so the error names its line; then
	// declare them all at once (all or nothing, duplicates refused).
	for i := range decls {
		scratch := acl.NewUsers(a.cat)
		if err := scratch.DeclareUsers(decls[:i+1]); err != nil {
			return cfg.UserError(i, err)
		}
	}
	if err := a.users.DeclareUsers(decls); err != nil {
		return cfg.UserError(0, err)
	}
	if cfg.Aclfile != "" {
		if err := a.users.LoadFile(cfg.Aclfile); err != nil {
			var le *acl.LoadError
			if errors.As(err, &le) {
				// Redis's words, logged as it exits.
				return errors.New("Aborting Redis startup because of ACL errors: " + le.Text)
			}
			return err
		}
	}
	for _, name := range a.users.Names() {
		if !a.users.Get(name).Enabled() {
			s.log.Info(fmt.Sprintf("The user '%s' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", name))
		}
	}
	return nil
}

// newCommand describes cmd for the check. Every command of the table has
// Redis metadata (register insists), so it is in the catalog.
func (a *aclState) newCommand(cmd *command) *aclCommand {
	id, ok := a.cat.Lookup(cmd.name)
	if !ok {
		panic("daemon: command " + cmd.name + " is not in the ACL catalog")
	}
	return &aclCommand{id: id, hasKeys: cmd.hasKeys(), channels: channelCommands[cmd.name]}
}

// command returns cmd's check data. Commands are described when New
// builds the table; one registered later (tests swap tables) is described
// on first use. Holds mu.
func (a *aclState) command(cmd *command) *aclCommand {
	ac := a.cmds[cmd]
	if ac == nil {
		ac = a.newCommand(cmd)
		a.cmds[cmd] = ac
	}
	return ac
}

// metaCommand builds a table entry from Redis's metadata alone, for
// commands the ACL rules and ACL DRYRUN know but no handler runs.
func metaCommand(name string, info *metaNode, parent *command) *command {
	cmd := &command{name: strings.ToLower(name), info: info, parent: parent, subs: map[string]*command{}}
	cmd.arity = int(info.A[1].N)
	for _, f := range info.A[2].A {
		cmd.flags |= flagNames[f.S]
	}
	cmd.firstKey, cmd.lastKey, cmd.step = int(info.A[3].N), int(info.A[4].N), int(info.A[5].N)
	return cmd
}

// lookupDry finds the command a command line names among all of Redis's,
// as lookupCommand does: nil for an unknown command or subcommand.
func (a *aclState) lookupDry(argv [][]byte) *command {
	base := a.dry[strings.ToLower(string(argv[0]))]
	if base == nil || len(argv) == 1 || len(base.subs) == 0 {
		return base
	}
	return base.subs[strings.ToLower(string(argv[1]))]
}

// authRequired is Redis's authRequired: the client has not authenticated
// and the default user does not let everyone in (it has a password, or
// is disabled).
func (s *Server) authRequired(c *Client) bool {
	if c.authed.Load() {
		return false
	}
	def := s.acl.users.Default()
	return !def.NoPass() || !def.Enabled()
}

// defaultAuthLocked is Redis's clientSetDefaultAuth: the client becomes
// the default user, authenticated only if that needs no password.
func (s *Server) defaultAuthLocked(c *Client) {
	def := s.acl.users.Default()
	c.user = def
	c.authed.Store(def.NoPass() && def.Enabled())
}

// ---- the check -----------------------------------------------------------------

// aclRequest describes argv for the check, without its keys.
func (s *Server) aclRequest(cmd *command, argv [][]byte, req *acl.Request) *aclCommand {
	ac := s.acl.command(cmd)
	req.Cmd, req.Argv, req.Keys, req.Channels = ac.id, argv, nil, nil
	switch ac.channels {
	case firstChannel:
		req.Channels = []acl.ChanRef{{Pos: 1}}
	case allChannels, allPatterns:
		req.Channels = make([]acl.ChanRef, 0, len(argv)-1)
		for i := 1; i < len(argv); i++ {
			req.Channels = append(req.Channels, acl.ChanRef{Pos: i, Pattern: ac.channels == allPatterns})
		}
	}
	return ac
}

// aclKeys fills req.Keys the way Redis's check finds keys
// (getKeysFromCommandWithSpecs), each with the access its key spec
// declares.
func aclKeys(cmd *command, argv [][]byte, req *acl.Request) {
	keys := getKeysFromCommand(cmd, argv)
	req.Keys = make([]acl.KeyRef, len(keys))
	for i, k := range keys {
		req.Keys[i] = acl.KeyRef{
			Pos:   k.pos,
			Read:  k.flags&keyAccess != 0,
			Write: k.flags&(keyInsert|keyDelete|keyUpdate) != 0,
		}
	}
}

// aclCheck is ACLCheckAllUserCommandPerm: whether u may run cmd with argv.
// Keys are only looked for when a selector that allows the command does
// not already grant every key, which spares users with ~* (the default
// user) the key extraction.
func (s *Server) aclCheck(u *acl.User, cmd *command, argv [][]byte) acl.Denial {
	var req acl.Request
	ac := s.aclRequest(cmd, argv, &req)
	if !ac.hasKeys {
		return u.Check(&req)
	}
	if u.CheckUnrestrictedKeys(&req, true, true) {
		// A selector allows the command and every key.
		return acl.Denial{}
	}
	aclKeys(cmd, argv, &req)
	return u.Check(&req)
}

// aclFullKeyAccess is ACLUserCheckCmdWithUnrestrictedKeyAccess with
// CMD_KEY_ACCESS: whether c's user may read every key with this command,
// which SORT's BY and GET patterns need. Holds mu.
func (c *Client) aclFullKeyAccess(argv [][]byte) bool {
	cmd := c.srv.cmds.lookupForKeys(argv)
	if cmd == nil || c.user == nil {
		return true
	}
	var req acl.Request
	c.srv.aclRequest(cmd, argv, &req)
	aclKeys(cmd, argv, &req)
	return c.user.CheckUnrestrictedKeys(&req, true, false)
}

// aclContext is where a denial happened for the ACL LOG: inside MULTI
// (queueing, or EXEC running the queue) or not.
func aclContext(c *Client) acl.Context {
	if c.multi.active {
		return acl.ContextMulti
	}
	return acl.ContextToplevel
}

// aclLogLocked adds an entry to the ACL LOG for c, with its CLIENT LIST
// line as it is now (addACLLogEntry). The line describes the request c
// sent (EXEC for a command EXEC runs), as Redis's does. Holds mu.
func (s *Server) aclLogLocked(c *Client, reason acl.Reason, object, username string) {
	// INFO stats acl_access_denied_* (Redis 7.2's fields, counted where
	// 7.2 counts them).
	switch reason {
	case acl.ReasonAuth:
		s.stats.aclDenied.auth++
	case acl.ReasonCommand:
		s.stats.aclDenied.cmd++
	case acl.ReasonKey:
		s.stats.aclDenied.key++
	case acl.ReasonChannel:
		s.stats.aclDenied.channel++
	}
	s.acl.log.Add(reason, aclContext(c), object, username, clientInfoLine(c, c, c.argv), time.UnixMilli(s.ks.Now()))
}

// aclDenyLocked refuses a command the check denied, as processCommand
// does: an ACL LOG entry, then the NOPERM error as a rejected call (which
// flags an open transaction). Holds mu.
func (s *Server) aclDenyLocked(c *Client, cmd *command, argv [][]byte, d acl.Denial) {
	s.aclLogLocked(c, d.Reason, d.LogObject(cmd.fullName(), argv), c.user.Name())
	cmd.stats.rejected++
	s.rejectLocked(c, cmd, d.ErrorText(cmd.fullName()))
}

// aclExecDenied re-checks a queued command as EXEC runs it, since the
// rules may have changed after it was queued; it reports whether it
// replied the refusal instead. Holds mu.
func (s *Server) aclExecDenied(c *Client, cmd *command, argv [][]byte) bool {
	d := s.aclCheck(c.user, cmd, argv)
	if d.Allowed() {
		return false
	}
	var reason string
	switch d.Reason {
	case acl.ReasonCommand:
		reason = "no permission to execute the command or subcommand"
	case acl.ReasonKey:
		reason = "no permission to touch the specified keys"
	case acl.ReasonChannel:
		reason = "no permission to access one of the channels used as arguments"
	default:
		reason = "no permission"
	}
	s.aclLogLocked(c, d.Reason, d.LogObject(cmd.fullName(), argv), c.user.Name())
	c.ReplyError("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason)
	return true
}

// ---- authentication ---------------------------------------------------------------

// authenticate is ACLAuthenticateUser: on success c becomes the user;
// on failure the attempt is logged (without the password), counted and
// added to the ACL LOG with the given user name. Holds mu.
func (c *Client) authenticate(user, pass []byte, argv [][]byte) bool {
	s := c.srv
	if u := s.acl.users.Authenticate(string(user), pass); u != nil {
		c.authed.Store(true)
		c.user = u
		return true
	}
	s.log.Warn("failed authentication", "client", c.addr, "user", string(user))
	s.aclLogLocked(c, acl.ReasonAuth, string(argv[0]), string(user))
	return false
}

// ---- dropping clients ------------------------------------------------------------

// dropRemovedUsersLocked closes the connections of users ACL DELUSER or
// ACL LOAD removed (ACLFreeUserAndKillClients). Each becomes the default
// user, unauthenticated, until it is gone; the caller gets its reply
// first and is closed after its command. Holds mu.
func (s *Server) dropRemovedUsersLocked(caller *Client) {
	for _, o := range s.sortedClients() {
		if o.user == nil || !o.user.Removed() {
			continue
		}
		o.user = s.acl.users.Default()
		o.authed.Store(false)
		if o == caller {
			o.closeAfterCommand = true
			continue
		}
		s.killClientLocked(o)
	}
}

// dropRevokedSubscribersLocked closes the Pub/Sub connections of u that
// are subscribed to channels or patterns its new rules no longer allow
// (ACLKillPubsubClientsIfNeeded). Holds mu.
func (s *Server) dropRevokedSubscribersLocked(caller *Client, u *acl.User, revoked *acl.Revocation) {
	if revoked == nil {
		return
	}
	for _, o := range s.sortedClients() {
		if o.user != u || clientType(o) != clientTypePubsub {
			continue
		}
		var channels, patterns [][]byte
		for _, ch := range o.pubsub.channels.ordered() {
			channels = append(channels, []byte(ch))
		}
		for _, ch := range o.pubsub.shard.ordered() {
			channels = append(channels, []byte(ch))
		}
		for _, p := range o.pubsub.patterns.ordered() {
			patterns = append(patterns, []byte(p))
		}
		if !revoked.Disconnect(channels, patterns) {
			continue
		}
		if o == caller {
			o.closeAfterCommand = true
			continue
		}
		s.killClientLocked(o)
	}
}

// ---- configuration -----------------------------------------------------------------

// applyACLConfigLocked hands CONFIG SET changes of requirepass,
// acllog-max-len and acl-pubsub-default to the registry and the log.
// Holds mu.
func (s *Server) applyACLConfigLocked() {
	a, cfg := &s.acl, s.cfg
	if cfg.Requirepass != a.applied.requirepass {
		a.users.SetRequirePass(cfg.Requirepass)
		a.applied.requirepass = cfg.Requirepass
	}
	if cfg.AcllogMaxLen != a.applied.logMaxLen {
		a.log.SetMaxLen(cfg.AcllogMaxLen)
		a.applied.logMaxLen = cfg.AcllogMaxLen
	}
	if all := cfg.AclPubsubDefault == conf.AclAllChannels; all != a.applied.allChannels {
		a.users.SetPubsubDefault(all)
		a.applied.allChannels = all
	}
}

// syncConfigUsersLocked gives the config the current users, which CONFIG
// REWRITE writes back when there is no ACL file (rewriteConfigUserOption).
// Holds mu.
func (s *Server) syncConfigUsersLocked() {
	if s.cfg.Aclfile != "" {
		return // the users live in the ACL file
	}
	list := s.acl.users.List()
	lines := make([]string, len(list))
	for i, l := range list {
		lines[i] = strings.TrimPrefix(l, "user ")
	}
	s.cfg.SetUsers(lines)
}

// cString is b as C code reads it: up to its first NUL byte. Redis prints
// arguments with "%s" in many error replies.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
