package daemon

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redoubtdb/redoubt/daemon/acl"
)

// CLIENT subcommands: ID SETNAME GETNAME LIST INFO KILL PAUSE UNPAUSE REPLY
// NO-EVICT UNBLOCK, TRACKING CACHING GETREDIR TRACKINGINFO (tracking.go)
// and HELP. (CLIENT SETINFO came with Redis 7.2 and is left out.)

func init() { registrations = append(registrations, registerClientCommands) }

func registerClientCommands(t *commandTable) {
	t.registerContainer("client")
	t.register("client|id", func(c *Client, argv [][]byte) { c.ReplyInt(c.id) })
	t.register("client|setname", cmdClientSetname)
	t.register("client|getname", func(c *Client, argv [][]byte) {
		if c.name == "" {
			c.ReplyNull()
			return
		}
		c.ReplyBulkString(c.name)
	})
	t.register("client|list", cmdClientList)
	t.register("client|info", func(c *Client, argv [][]byte) {
		c.ReplyVerbatim(clientInfoLine(c, c, argv) + "\n")
	})
	t.register("client|kill", cmdClientKill)
	t.register("client|pause", cmdClientPause)
	t.register("client|unpause", func(c *Client, argv [][]byte) {
		c.srv.pause.end(pauseByClient)
		c.ReplyOK()
	})
	t.register("client|reply", cmdClientReply)
	t.register("client|unblock", cmdClientUnblock)
	t.register("client|no-evict", func(c *Client, argv [][]byte) {
		switch {
		case equalFold(argv[2], "on"):
			c.noEvict = true
		case equalFold(argv[2], "off"):
			c.noEvict = false
		default:
			c.ReplyError(errSyntax)
			return
		}
		c.ReplyOK()
	})
	t.register("client|tracking", cmdClientTracking)
	t.register("client|caching", cmdClientCaching)
	t.register("client|getredir", func(c *Client, argv [][]byte) { c.ReplyInt(c.tracking.redirectShown()) })
	t.register("client|trackinginfo", cmdClientTrackingInfo)
	t.register("client|help", func(c *Client, argv [][]byte) { replyHelpLines(c, argv, clientHelp) })
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
}

func cmdClientSetname(c *Client, argv [][]byte) {
	if !validClientName(argv[2]) {
		c.ReplyError(errClientName)
		return
	}
	// An empty name removes the name.
	c.name = string(argv[2])
	c.ReplyOK()
}

// ---- client types ------------------------------------------------------------

// Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
const (
	clientTypeNormal = iota
	clientTypeReplica
	clientTypePubsub
	clientTypeMaster
)

// clientTypeByName is Redis's getClientTypeByName; -1 for an unknown name.
func clientTypeByName(b []byte) int {
	switch {
	case equalFold(b, "normal"):
		return clientTypeNormal
	case equalFold(b, "slave"), equalFold(b, "replica"):
		return clientTypeReplica
	case equalFold(b, "pubsub"):
		return clientTypePubsub
	case equalFold(b, "master"):
		return clientTypeMaster
	}
	return -1
}

// clientType is Redis's getClientType. A MONITOR client counts as normal,
// as in Redis; a client with subscriptions is a pub/sub client (pubsub.go).
// Replication clients are not there yet.
func clientType(c *Client) int {
	if c.isReplica() {
		return clientTypeReplica
	}
	if c.pubsub.subscribed() {
		return clientTypePubsub
	}
	return clientTypeNormal
}

// ---- CLIENT LIST / INFO ------------------------------------------------------

// clientFlags is the flags field of CLIENT LIST, in Redis's letter order
// ('O' monitor, 'P' pub/sub, 'x' in MULTI, 'b' blocked, 't' tracking, 'R'
// its redirect gone, 'B' broadcast tracking, 'd' a watched key was
// modified, 'c' close after reply, 'A' close asap, 'U' Unix socket, 'e'
// no-evict; 'N' when none applies).
func clientFlags(c *Client) string {
	var f []byte
	if c.isReplica() {
		f = append(f, 'S')
	}
	if c.monitor {
		f = append(f, 'O')
	}
	if c.pubsub.subscribed() {
		f = append(f, 'P')
	}
	if c.multi.active { // MULTI hook
		f = append(f, 'x')
	}
	if c.block != nil && !c.block.done {
		f = append(f, 'b')
	}
	f = c.tracking.flags(f)
	if c.multi.dirtyCAS { // MULTI hook: a watched key was modified
		f = append(f, 'd')
	}
	if c.closeASAP {
		f = append(f, 'c')
	}
	if c.killed {
		f = append(f, 'A')
	}
	if c.unix {
		f = append(f, 'U')
	}
	if c.noEvict {
		f = append(f, 'e')
	}
	if len(f) == 0 {
		return "N"
	}
	return string(f)
}

// fdConn is implemented by transports that can tell a connection's file
// descriptor.
type fdConn interface{ Fd() int }

// clientInfoLine is one line of CLIENT LIST for c, in Redis 7.0's field
// order. self is the client running the command and argv its arguments:
// only its argv-mem and rbs are known (others are between commands, and
// their reply buffers are their loops' business). Fields Redoubt does not
// track are 0 (qbuf-free, obl, oll, rbp); omem is the reply bytes the
// client's loop last found waiting (see outbufLimit.pending); fd is -1 when
// the transport does not expose it. Holds mu.
func clientInfoLine(c, self *Client, argv [][]byte) string {
	now := time.Now()
	fd := -1
	if fc, ok := c.conn.(fdConn); ok {
		fd = fc.Fd()
	}
	// Another client's reply buffer belongs to its loop, which flushes it
	// without holding mu: only the caller's own is measured.
	argvMem, rbs := int64(c.argvBytes), int64(0)
	if c == self {
		argvMem = 0
		for _, a := range argv {
			argvMem += int64(len(a))
		}
		rbs = int64(cap(c.out))
	}
	omem := c.obuf.pending.Load()
	cmd := c.lastCmd
	if cmd == "" {
		cmd = "NULL"
	}
	idle := now.Sub(time.Unix(0, c.lastInteraction.Load()))
	fields := []infoField{
		{"id", infoInt(c.id)},
		{"addr", c.addr},
		{"laddr", c.ladr},
		{"fd", strconv.Itoa(fd)},
		{"name", c.name},
		{"age", infoInt(int64(now.Sub(c.created) / time.Second))},
		{"idle", infoInt(int64(idle / time.Second))},
		{"flags", clientFlags(c)},
		{"db", strconv.Itoa(c.db)},
		{"sub", strconv.Itoa(c.pubsub.channels.len())},
		{"psub", strconv.Itoa(c.pubsub.patterns.len())},
		{"ssub", strconv.Itoa(c.pubsub.shard.len())},
		{"multi", multiField(c)}, // MULTI hook
		{"qbuf", strconv.Itoa(c.qbuf)},
		{"qbuf-free", "0"},
		{"argv-mem", infoInt(argvMem)},
		{"multi-mem", "0"},
		{"rbs", infoInt(rbs)},
		{"rbp", "0"},
		{"obl", "0"},
		{"oll", "0"},
		{"omem", infoInt(omem)},
		{"tot-mem", infoInt(rbs + argvMem + omem)},
		{"events", "r"},
		{"cmd", cmd},
		{"user", c.user.Name()},
		{"redir", strconv.FormatInt(c.tracking.redirectShown(), 10)},
		{"resp", strconv.Itoa(c.proto)},
	}
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.key)
		b.WriteByte('=')
		b.WriteString(f.val)
	}
	return b.String()
}

// sortedClients returns the connected clients in connection order.
func (s *Server) sortedClients() []*Client {
	out := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// cmdClientList implements CLIENT LIST [TYPE type | ID id [id ...]].
func cmdClientList(c *Client, argv [][]byte) {
	s := c.srv
	var b strings.Builder
	switch {
	case len(argv) == 4 && equalFold(argv[2], "type"):
		typ := clientTypeByName(argv[3])
		if typ == -1 {
			c.ReplyErrorf("ERR Unknown client type '%s'", argv[3])
			return
		}
		for _, o := range s.sortedClients() {
			if clientType(o) == typ {
				b.WriteString(clientInfoLine(o, c, argv))
				b.WriteByte('\n')
			}
		}
	case len(argv) > 3 && equalFold(argv[2], "id"):
		for _, a := range argv[3:] {
			id, ok := parseInt(a)
			if !ok {
				c.ReplyError("ERR Invalid client ID")
				return
			}
			if o := s.clients[id]; o != nil {
				b.WriteString(clientInfoLine(o, c, argv))
				b.WriteByte('\n')
			}
		}
	case len(argv) != 2:
		c.ReplyError(errSyntax)
		return
	default:
		for _, o := range s.sortedClients() {
			b.WriteString(clientInfoLine(o, c, argv))
			b.WriteByte('\n')
		}
	}
	c.ReplyVerbatim(b.String())
}

// ---- CLIENT KILL -------------------------------------------------------------

// killFilter selects the clients CLIENT KILL closes.
type killFilter struct {
	addr, laddr   string
	hasAddr       bool
	hasLaddr      bool
	typ           int // -1: any
	id            int64
	user          *acl.User // nil: any
	skipMe        bool
	oldStyleReply bool
}

func (f *killFilter) matches(o, self *Client) bool {
	switch {
	case f.hasAddr && o.addr != f.addr,
		f.hasLaddr && o.ladr != f.laddr,
		f.typ != -1 && clientType(o) != f.typ,
		f.id != 0 && o.id != f.id,
		f.user != nil && o.user != f.user,
		o == self && f.skipMe:
		return false
	}
	return true
}

// parseKillFilter reads CLIENT KILL's arguments: the old form (one
// address, which may name the caller) or option/value pairs. It returns a
// complete error reply text on bad input.
func parseKillFilter(users *acl.Users, argv [][]byte) (*killFilter, string) {
	f := &killFilter{typ: -1, skipMe: true}
	if len(argv) == 3 {
		f.addr, f.hasAddr = string(argv[2]), true
		f.skipMe = false
		f.oldStyleReply = true
		return f, ""
	}
	for i := 2; i < len(argv); i += 2 {
		if i+1 >= len(argv) {
			return nil, errSyntax
		}
		opt, val := argv[i], argv[i+1]
		switch {
		case equalFold(opt, "id"):
			id, ok := parseInt(val)
			if !ok || id < 1 {
				return nil, "ERR client-id should be greater than 0"
			}
			f.id = id
		case equalFold(opt, "type"):
			f.typ = clientTypeByName(val)
			if f.typ == -1 {
				return nil, "ERR Unknown client type '" + string(val) + "'"
			}
		case equalFold(opt, "addr"):
			f.addr, f.hasAddr = string(val), true
		case equalFold(opt, "laddr"):
			f.laddr, f.hasLaddr = string(val), true
		case equalFold(opt, "user"):
			f.user = users.Get(string(val))
			if f.user == nil {
				return nil, fmt.Sprintf("ERR No such user '%s'", cString(val))
			}
		case equalFold(opt, "skipme"):
			switch {
			case equalFold(val, "yes"):
				f.skipMe = true
			case equalFold(val, "no"):
				f.skipMe = false
			default:
				return nil, errSyntax
			}
		default:
			return nil, errSyntax
		}
	}
	return f, ""
}

// cmdClientKill implements CLIENT KILL. Other clients are dropped at once
// (their pending replies with them, as Redis's freeClient does); the caller,
// when it matches, is closed after this reply.
func cmdClientKill(c *Client, argv [][]byte) {
	f, errText := parseKillFilter(c.srv.acl.users, argv)
	if errText != "" {
		c.ReplyError(errText)
		return
	}
	s := c.srv
	killed := 0
	closeSelf := false
	for _, o := range s.sortedClients() {
		if !f.matches(o, c) {
			continue
		}
		killed++
		if o == c {
			closeSelf = true
			continue
		}
		s.killClientLocked(o)
	}
	if f.oldStyleReply {
		if killed == 0 {
			c.ReplyError("ERR No such client")
		} else {
			c.ReplyOK()
		}
	} else {
		c.ReplyInt(int64(killed))
	}
	if closeSelf {
		c.closeASAP = true
	}
}

// killClientLocked disconnects another client. It leaves the client list
// and the monitors now, as Redis's freeClient does, so CLIENT LIST and INFO
// stop showing it at once; its loop sees killed and closes the connection.
// Holds mu.
func (s *Server) killClientLocked(o *Client) {
	o.killed = true
	o.monitor = false
	delete(s.clients, o.id)
	delete(s.monitors, o)
	s.pubsubClosedLocked(o) // pub/sub hook: its subscriptions end now too
	_ = o.conn.Close()
}

// ---- CLIENT PAUSE / REPLY ----------------------------------------------------

// cmdClientPause implements CLIENT PAUSE timeout [WRITE|ALL]. As in Redis
// the mode is checked before the timeout, and a deadline that overflows
// wraps into the past (ending the pause at once) rather than failing.
func cmdClientPause(c *Client, argv [][]byte) {
	if len(argv) > 4 {
		replySubcommandSyntaxError(c, argv)
		return
	}
	all := true
	if len(argv) == 4 {
		switch {
		case equalFold(argv[3], "write"):
			all = false
		case equalFold(argv[3], "all"):
		default:
			c.ReplyError("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	ms, ok := parseMillisTimeout(c, argv[2])
	if !ok {
		return
	}
	c.srv.pause.start(pauseByClient, pauseDeadline(time.Now().UnixMilli(), ms), all)
	c.ReplyOK()
}

// pauseDeadline is when a pause of ms milliseconds started at nowMs ends.
// 0 means no pause, and a sum past the int64 range wraps negative as it
// does in Redis; both are deadlines already passed.
func pauseDeadline(nowMs, ms int64) time.Time {
	if ms == 0 {
		return time.UnixMilli(0)
	}
	return time.UnixMilli(nowMs + ms) // Go's signed overflow wraps, like Redis's C
}

// cmdClientReply implements CLIENT REPLY ON|OFF|SKIP. OFF and SKIP send no
// reply; SKIP silences the next command only (Server.call counts it down).
func cmdClientReply(c *Client, argv [][]byte) {
	switch {
	case equalFold(argv[2], "on"):
		c.replyMode = replyOn
		c.ReplyOK()
	case equalFold(argv[2], "off"):
		c.replyMode = replyOff
	case equalFold(argv[2], "skip"):
		if c.replyMode != replyOff {
			c.replyMode = replySkipNext
		}
	default:
		c.ReplyError(errSyntax)
	}
}

// cmdClientUnblock ends another client's blocking command as if it timed
// out, or with an UNBLOCKED error. It replies 1 when a client was blocked.
func cmdClientUnblock(c *Client, argv [][]byte) {
	if len(argv) > 4 {
		replySubcommandSyntaxError(c, argv)
		return
	}
	id, ok := parseInt(argv[2])
	if !ok {
		c.ReplyError(errNotInt)
		return
	}
	withError := false
	if len(argv) == 4 {
		switch {
		case equalFold(argv[3], "timeout"):
		case equalFold(argv[3], "error"):
			withError = true
		default:
			c.ReplyError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	s := c.srv
	target := s.clients[id]
	if target == nil || target.block == nil || target.block.done {
		c.ReplyInt(0)
		return
	}
	reply := target.block.onTimeout
	if withError {
		reply = func(t *Client) { t.ReplyError("UNBLOCKED client unblocked via CLIENT UNBLOCK") }
	}
	st := target.block
	s.finishBlockLocked(target, reply)
	// Redis 7.0 counts every CLIENT UNBLOCK as a failed call of the
	// command it ends, TIMEOUT too (updateStatsOnUnblock with had_errors
	// set), and by then it has freed the client's arguments, so the slow
	// log entry it adds has none: the same here.
	st.shown = nil
	s.recordUnblockedLocked(target, st, 0, true)
	c.ReplyInt(1)
}
