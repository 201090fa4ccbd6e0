package daemon

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// The command table is data: Redis 7.0.15's own COMMAND INFO and COMMAND DOCS
// output (commands.json, captured by internal/cmdgen) gives every command's
// arity, flags, key positions, ACL categories, tips, key specs and docs; this
// file joins it with our handlers. COMMAND, arity checks, write/readonly
// decisions and (later) ACL categories all read the same table, so they
// cannot disagree with each other or with Redis.

//go:embed commands.json
var commandsJSON []byte

// handler runs one command. It must reply exactly once (or arrange to, for
// blocking commands) and may panic with a storage failure, which dispatch
// turns into an error reply.
type handler func(c *Client, argv [][]byte)

// cmdFlag mirrors Redis's command flags.
type cmdFlag uint32

const (
	flagWrite cmdFlag = 1 << iota
	flagReadonly
	flagDenyOOM
	flagAdmin
	flagPubsub
	flagNoscript
	flagBlocking
	flagLoading
	flagStale
	flagSkipMonitor
	flagSkipSlowlog
	flagFast
	flagNoAuth
	flagMayReplicate
	flagNoMulti
	flagAllowBusy
	// flagTouchesArbitraryKeys is Redis's CMD_TOUCHES_ARBITRARY_KEYS,
	// which COMMAND INFO does not show: SCAN and RANDOMKEY, whose lazily
	// expired keys' DELs are propagated each on its own, not in a
	// MULTI/EXEC, as active expiry's are.
	flagTouchesArbitraryKeys
)

// touchesArbitraryKeys are the commands Redis 7.0 flags so.
var touchesArbitraryKeys = map[string]bool{"scan": true, "randomkey": true}

var flagNames = map[string]cmdFlag{
	"write": flagWrite, "readonly": flagReadonly, "denyoom": flagDenyOOM, "admin": flagAdmin,
	"pubsub": flagPubsub, "noscript": flagNoscript, "blocking": flagBlocking, "loading": flagLoading,
	"stale": flagStale, "skip_monitor": flagSkipMonitor, "skip_slowlog": flagSkipSlowlog,
	"fast": flagFast, "no_auth": flagNoAuth, "may_replicate": flagMayReplicate,
	"no_multi": flagNoMulti, "allow_busy": flagAllowBusy,
}

// command is one entry of the table (a top-level command or a subcommand).
type command struct {
	name     string // lower case; subcommands as "config|get"
	arity    int    // Redis convention: n exact, -n at least n (command name included)
	flags    cmdFlag
	firstKey int
	lastKey  int
	step     int
	fn       handler
	members  memberArgs // where it names members, for prefetching (prefetch.go)
	parent   *command
	subs     map[string]*command // lower-case subcommand name -> entry

	info *metaNode // COMMAND INFO entry as Redis 7.0 returns it
	docs *metaNode // COMMAND DOCS entry

	stats cmdStats
	lat   *latencyHist // latency-tracking; nil until the first call. Guarded by Server.mu.
}

// cmdStats feeds INFO commandstats. Guarded by Server.mu.
type cmdStats struct {
	calls, usec, rejected, failed int64
}

func (c *command) has(f cmdFlag) bool { return c.flags&f != 0 }

// arityOK reports whether n arguments (the name included) suit the
// command's arity: exactly it, or at least -arity when negative.
func (c *command) arityOK(n int) bool {
	return !(c.arity > 0 && n != c.arity || c.arity < 0 && n < -c.arity)
}

// fullName is the name Redis prints in errors and stats ("config|get").
func (c *command) fullName() string { return c.name }

// metaNode is a RESP3 value captured from Redis; see internal/cmdgen.
type metaNode struct {
	T string      `json:"t"`
	S string      `json:"s,omitempty"`
	N int64       `json:"n,omitempty"`
	A []*metaNode `json:"a,omitempty"`
}

// appendTo encodes the node for a client speaking proto.
func (n *metaNode) appendTo(dst []byte, proto int) []byte {
	switch n.T {
	case "+":
		return resp.AppendSimple(dst, n.S)
	case "-":
		return resp.AppendError(dst, n.S)
	case ":":
		return resp.AppendInt(dst, n.N)
	case "$", "=":
		return resp.AppendBulkString(dst, n.S)
	case "_":
		return resp.AppendNull(dst, proto)
	case "*":
		dst = resp.AppendArrayLen(dst, len(n.A))
	case "~":
		dst = resp.AppendSetLen(dst, len(n.A), proto)
	case "%":
		dst = resp.AppendMapLen(dst, len(n.A)/2, proto)
	default:
		panic("daemon: unknown meta node type " + n.T)
	}
	for _, e := range n.A {
		dst = e.appendTo(dst, proto)
	}
	return dst
}

// commandTable holds every command this server implements.
type commandTable struct {
	byName map[string]*command
	meta   map[string]struct{ Info, Docs *metaNode }
}

// loadCommandMeta is the embedded commands.json, parsed once per process:
// it was two thirds of the time New took (8 ms), which every test harness
// and every program of the command fuzzer pays. Shared, so never changed:
// COMMAND INFO and DOCS copy what they trim (infoNode, docsNode).
var loadCommandMeta = sync.OnceValue(parseCommandMeta)

func parseCommandMeta() map[string]struct{ Info, Docs *metaNode } {
	var file struct {
		Version  string
		Commands map[string]struct {
			Info *metaNode `json:"info"`
			Docs *metaNode `json:"docs"`
		}
	}
	if err := json.Unmarshal(commandsJSON, &file); err != nil {
		panic("daemon: commands.json: " + err.Error())
	}
	out := make(map[string]struct{ Info, Docs *metaNode }, len(file.Commands))
	for name, e := range file.Commands {
		out[name] = struct{ Info, Docs *metaNode }{e.Info, e.Docs}
		// Subcommands are the 10th element of an INFO entry.
		if len(e.Info.A) >= 10 {
			for _, sub := range e.Info.A[9].A {
				subName := sub.A[0].S
				var docs *metaNode
				if e.Docs != nil {
					docs = docsSub(e.Docs, subName)
				}
				out[subName] = struct{ Info, Docs *metaNode }{sub, docs}
			}
		}
	}
	return out
}

// docsSub finds a subcommand's docs inside its parent's DOCS map.
func docsSub(docs *metaNode, name string) *metaNode {
	for i := 0; i+1 < len(docs.A); i += 2 {
		if docs.A[i].S == "subcommands" {
			m := docs.A[i+1]
			for j := 0; j+1 < len(m.A); j += 2 {
				if m.A[j].S == name {
					return m.A[j+1]
				}
			}
		}
	}
	return nil
}

func newCommandTable() *commandTable {
	return &commandTable{byName: map[string]*command{}, meta: loadCommandMeta()}
}

// register adds a command (or "parent|sub" subcommand) with its handler.
// Registering twice, a nil handler or a name Redis 7.0 does not have panics:
// these are programming errors caught at start-up.
func (t *commandTable) register(name string, fn handler) {
	name = strings.ToLower(name)
	if fn == nil {
		panic("daemon: nil handler for " + name)
	}
	m, ok := t.meta[name]
	if !ok {
		panic("daemon: no Redis 7.0 metadata for command " + name)
	}
	cmd := &command{name: name, fn: fn, info: m.Info, docs: m.Docs}
	info := m.Info.A
	cmd.arity = int(info[1].N)
	for _, f := range info[2].A {
		cmd.flags |= flagNames[f.S]
	}
	if touchesArbitraryKeys[name] {
		cmd.flags |= flagTouchesArbitraryKeys
	}
	cmd.firstKey, cmd.lastKey, cmd.step = int(info[3].N), int(info[4].N), int(info[5].N)
	if parent, sub, isSub := strings.Cut(name, "|"); isSub {
		p := t.byName[parent]
		if p == nil {
			panic("daemon: subcommand " + name + " registered before its parent")
		}
		if p.subs[sub] != nil {
			panic("daemon: subcommand registered twice: " + name)
		}
		cmd.parent = p
		p.subs[sub] = cmd
		return
	}
	if t.byName[name] != nil {
		panic("daemon: command registered twice: " + name)
	}
	cmd.subs = map[string]*command{}
	t.byName[name] = cmd
}

// registerContainer adds a command whose work is done by subcommands
// (CONFIG, CLIENT, OBJECT...): the container's own handler replies to an
// unknown subcommand the way Redis does.
func (t *commandTable) registerContainer(name string) {
	t.register(name, func(c *Client, argv [][]byte) {
		c.ReplyError(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.",
			truncateArg(argv[1]), strings.ToUpper(name)))
	})
}

// rename is Redis's rename-command: command old answers to new from now
// on, or to nothing when new is "". The command keeps its own name
// (errors, COMMAND INFO and INFO commandstats show it, as in Redis);
// subcommands follow their container.
func (t *commandTable) rename(old, new string) error {
	old, new = strings.ToLower(old), strings.ToLower(new)
	cmd := t.byName[old]
	if cmd == nil {
		return fmt.Errorf("%s: No such command in rename-command", old)
	}
	delete(t.byName, old)
	if new == "" {
		return nil
	}
	if t.byName[new] != nil {
		return fmt.Errorf("%s: Target command name already exists", new)
	}
	t.byName[new] = cmd
	return nil
}

// lookup finds the entry for argv: a subcommand when the command has them
// and argv names one. ok is false for an unknown command.
func (t *commandTable) lookup(argv [][]byte) (*command, bool) {
	var nameBuf [32]byte
	cmd := t.byName[lowerInto(nameBuf[:0], argv[0])]
	if cmd == nil {
		return nil, false
	}
	if len(cmd.subs) > 0 && len(argv) >= 2 {
		if sub := cmd.subs[lowerInto(nameBuf[:0], argv[1])]; sub != nil {
			return sub, true
		}
	}
	return cmd, true
}

// lowerInto lower-cases b into dst and returns it as a string without
// allocating when the result is used only as a map key (the compiler
// optimises m[string(b)]).
func lowerInto(dst, b []byte) string {
	for _, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return string(dst)
}

// truncateArg shortens an argument echoed in an error like Redis does
// (128 bytes) and makes it printable.
func truncateArg(b []byte) string {
	if len(b) > 128 {
		b = b[:128]
	}
	return sanitize(string(b))
}

// sanitize replaces characters that would break an error line.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

func specField(m *metaNode, name string) *metaNode {
	if m == nil {
		return nil
	}
	for i := 0; i+1 < len(m.A); i += 2 {
		if m.A[i].S == name {
			return m.A[i+1]
		}
	}
	return nil
}
