package acl

import "fmt"

// Reason says why ACL denied something; the values and their order are
// Redis's (ACL_DENIED_*), which matters: when no selector allows a command,
// the denial reported is the largest reason any selector gave.
type Reason int

const (
	ReasonNone    Reason = 0 // allowed
	ReasonCommand Reason = 1 // the command (or subcommand, or first argument)
	ReasonKey     Reason = 2 // a key
	ReasonAuth    Reason = 3 // failed AUTH/HELLO; only used in the ACL log
	ReasonChannel Reason = 4 // a Pub/Sub channel
)

// String is the reason as ACL LOG prints it.
func (r Reason) String() string {
	switch r {
	case ReasonCommand:
		return "command"
	case ReasonKey:
		return "key"
	case ReasonChannel:
		return "channel"
	case ReasonAuth:
		return "auth"
	}
	return "unknown"
}

// KeyRef is one key argument of a request, with the access its key spec
// declares. Read is the key spec's "access" flag; Write is any of its
// "insert", "delete" or "update" flags (not RO/RW/OW/RM: Redis checks the
// logical flags). A key with neither (EXISTS's keys, say) passes any key
// pattern whose glob matches, whatever its %R/%W.
type KeyRef struct {
	Pos         int // index in Argv
	Read, Write bool
}

// ChanRef is one channel argument. Redis checks the channels of PUBLISH and
// SPUBLISH (argument 1) and of SUBSCRIBE, SSUBSCRIBE and PSUBSCRIBE (every
// argument); the unsubscribe commands are not checked. Pattern is set for
// PSUBSCRIBE: a pattern is allowed only if the user lists the very same
// pattern (compared literally, not as a glob).
type ChanRef struct {
	Pos     int
	Pattern bool
}

// Request is one command to check.
type Request struct {
	// Cmd is the catalog id of what actually runs: the subcommand's id for
	// "CONFIG GET".
	Cmd  int
	Argv [][]byte
	// Keys are the key arguments as getKeysFromCommandWithSpecs finds
	// them: key specs in order, without "not_key" ones; Redis reports the
	// first denied key of this list. SET and BITFIELD declare
	// variable_flags: their real flags come from their getkeys procs (SET
	// reads its key only with GET; BITFIELD writes unless it only GETs).
	Keys     []KeyRef
	Channels []ChanRef
}

// Denial is the outcome of a check: Reason is ReasonNone when allowed; for
// a key or channel, Pos is the argv index of the one Redis reports.
type Denial struct {
	Reason Reason
	Pos    int
}

// Allowed reports whether the check passed.
func (d Denial) Allowed() bool { return d.Reason == ReasonNone }

// ErrorText is the NOPERM error reply for a denied command; cmdName is the full
// name of what ran ("config|set").
func (d Denial) ErrorText(cmdName string) string {
	switch d.Reason {
	case ReasonCommand:
		return oneLine(fmt.Sprintf("NOPERM this user has no permissions to run the '%s' command", cmdName))
	case ReasonKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case ReasonChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return ""
}

// ScriptError is the error a script gets from redis.call for a denied
// command (without the " script: <sha>, on @user_script:<line>." suffix
// the scripting engine appends).
func (d Denial) ScriptError() string {
	switch d.Reason {
	case ReasonCommand:
		return "The user executing the script can't run this command or subcommand"
	case ReasonKey:
		return "The user executing the script can't access at least one of the keys mentioned in the command arguments"
	case ReasonChannel:
		return "The user executing the script can't publish to the channel mentioned in the command"
	}
	return "The user executing the script is lacking the permissions for the command"
}

// DryRunText is ACL DRYRUN's reply: "OK" (a status reply) when allowed,
// otherwise the text Redis sends as a bulk string. argv is the checked
// command's own argv (without "ACL DRYRUN <user>").
func (d Denial) DryRunText(cmdName string, argv [][]byte) string {
	switch d.Reason {
	case ReasonCommand:
		return fmt.Sprintf("This user has no permissions to run the '%s' command", cmdName)
	case ReasonKey:
		return fmt.Sprintf("This user has no permissions to access the '%s' key", cstr(string(argv[d.Pos])))
	case ReasonChannel:
		return fmt.Sprintf("This user has no permissions to access the '%s' channel", cstr(string(argv[d.Pos])))
	}
	return "OK"
}

// LogObject is the "object" of the ACL LOG entry for this denial: the
// command's full name, or the denied key or channel.
func (d Denial) LogObject(cmdName string, argv [][]byte) string {
	switch d.Reason {
	case ReasonKey, ReasonChannel:
		return string(argv[d.Pos])
	}
	return cmdName
}

// Check decides whether the user may run the request (ACLCheckAllPerm).
// Some selector must allow the command, every key and every channel for the
// request to pass. Otherwise the denial reported is the largest reason any
// selector gave (channel > key > command) and, among equal reasons, the
// largest position.
func (u *User) Check(req *Request) Denial {
	st := u.state.Load()
	best := Denial{Reason: ReasonCommand}
	pos := 0 // like Redis's local_idxptr, only updated by key/channel denials
	for _, s := range st.selectors {
		r, p := s.check(u.cat, req)
		if r == ReasonNone {
			return Denial{}
		}
		if r != ReasonCommand {
			pos = p
		}
		if r > best.Reason || (r == best.Reason && pos > best.Pos) {
			best = Denial{Reason: r, Pos: pos}
		}
	}
	return best
}

// check is ACLSelectorCheckCmd.
func (s *selector) check(cat *Catalog, req *Request) (Reason, int) {
	if !s.commandAllowed(cat, req.Cmd, req.Argv) {
		return ReasonCommand, 0
	}
	if !s.allKeys {
		for _, k := range req.Keys {
			if !s.keyAllowed(req.Argv[k.Pos], k.Read, k.Write) {
				return ReasonKey, k.Pos
			}
		}
	}
	if !s.allChannels {
		for _, c := range req.Channels {
			if !channelAllowed(s.channels, req.Argv[c.Pos], c.Pattern) {
				return ReasonChannel, c.Pos
			}
		}
	}
	return ReasonNone, 0
}

func (s *selector) commandAllowed(cat *Catalog, id int, argv [][]byte) bool {
	if id >= 0 && id < cat.Len() && cat.cmds[id].noAuth {
		return true
	}
	if s.bit(id) {
		return true
	}
	args := s.firstArgs[id]
	if len(argv) < 2 || len(args) == 0 {
		return false
	}
	idx := 1
	if cat.cmds[id].parent >= 0 {
		idx = 2
	}
	if idx >= len(argv) {
		return false
	}
	first := cstr(string(argv[idx]))
	for _, a := range args {
		if equalFoldASCII(cstr(a), first) {
			return true
		}
	}
	return false
}

func (s *selector) keyAllowed(key []byte, read, write bool) bool {
	if s.allKeys {
		return true
	}
	var need uint8
	if read {
		need |= permRead
	}
	if write {
		need |= permWrite
	}
	for _, p := range s.keys {
		if p.perm&need != need {
			continue
		}
		if matchGlob([]byte(p.pattern), key) {
			return true
		}
	}
	return false
}

// channelAllowed is ACLCheckChannelAgainstList: a glob match for a channel,
// strcmp for a pattern (so a pattern argument is cut at its first NUL).
func channelAllowed(list []string, ch []byte, literal bool) bool {
	for _, p := range list {
		if literal {
			if p == cstr(string(ch)) {
				return true
			}
		} else if matchGlob([]byte(p), ch) {
			return true
		}
	}
	return false
}

// CheckKey reports whether any selector of the user grants the key with the
// given access (ACLUserCheckKeyPerm).
func (u *User) CheckKey(key []byte, read, write bool) bool {
	for _, s := range u.state.Load().selectors {
		if s.keyAllowed(key, read, write) {
			return true
		}
	}
	return false
}

// CheckChannel reports whether any selector of the user grants the channel
// (pattern: a PSUBSCRIBE pattern, matched literally), as
// ACLUserCheckChannelPerm does.
func (u *User) CheckChannel(ch []byte, pattern bool) bool {
	for _, s := range u.state.Load().selectors {
		if s.allChannels || channelAllowed(s.channels, ch, pattern) {
			return true
		}
	}
	return false
}

// CheckUnrestrictedKeys reports whether one selector both allows the
// request and grants the given access to every key ("allkeys", or a "*"
// pattern with those permissions): SORT needs it (read) for BY and GET
// patterns, else "BY option of SORT denied due to insufficient ACL
// permissions." (ACLUserCheckCmdWithUnrestrictedKeyAccess).
func (u *User) CheckUnrestrictedKeys(req *Request, read, write bool) bool {
	var need uint8
	if read {
		need |= permRead
	}
	if write {
		need |= permWrite
	}
	for _, s := range u.state.Load().selectors {
		if r, _ := s.check(u.cat, req); r != ReasonNone {
			continue
		}
		if s.allKeys {
			return true
		}
		for _, p := range s.keys {
			if p.perm&need == need && p.pattern == "*" {
				return true
			}
		}
	}
	return false
}
