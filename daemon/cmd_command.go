package daemon

import (
	"strings"

	"github.com/redoubtdb/redoubt/daemon/glob"
)

// COMMAND and its subcommands: COUNT INFO DOCS LIST GETKEYS GETKEYSANDFLAGS
// HELP. Everything is served from the embedded Redis 7.0.15 metadata,
// restricted to the commands this server registered: a parent's
// subcommand list (in INFO and DOCS) names only registered subcommands, so
// a client never learns of a command it cannot call.

func init() { registrations = append(registrations, registerCommandCommands) }

func registerCommandCommands(t *commandTable) {
	t.register("command", func(c *Client, argv [][]byte) {
		if len(argv) > 1 {
			c.ReplyErrorf("ERR unknown subcommand '%s'. Try COMMAND HELP.", truncateArg(argv[1]))
			return
		}
		replyCommandInfos(c, c.srv.cmds.sortedCommands())
	})
	t.register("command|count", func(c *Client, argv [][]byte) { c.ReplyInt(int64(len(c.srv.cmds.byName))) })
	t.register("command|info", cmdCommandInfo)
	t.register("command|docs", cmdCommandDocs)
	t.register("command|list", cmdCommandList)
	t.register("command|getkeys", func(c *Client, argv [][]byte) { cmdCommandGetKeys(c, argv, false) })
	t.register("command|getkeysandflags", func(c *Client, argv [][]byte) { cmdCommandGetKeys(c, argv, true) })
	t.register("command|help", func(c *Client, argv [][]byte) { replyHelpLines(c, argv, commandHelp) })
}

var commandHelp = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}

// lookupByFullName is Redis's lookupCommandBySds: "get" or "config|get",
// case-insensitively; nil when either part is unknown or there are more
// than two parts.
func (t *commandTable) lookupByFullName(name string) *command {
	name = strings.ToLower(name)
	parent, sub, isSub := strings.Cut(name, "|")
	base := t.byName[parent]
	if !isSub || base == nil {
		return base
	}
	if strings.Contains(sub, "|") {
		return nil
	}
	return base.subs[sub]
}

// ---- INFO and DOCS -----------------------------------------------------------

// infoNode is the command's COMMAND INFO entry, its subcommand list (the
// 10th element) holding only registered subcommands.
func (c *command) infoNode() *metaNode {
	if len(c.info.A) < 10 || len(c.info.A[9].A) == 0 {
		return c.info
	}
	n := *c.info
	n.A = append([]*metaNode(nil), c.info.A...)
	subs := &metaNode{T: c.info.A[9].T}
	for _, sn := range c.info.A[9].A {
		if sub := c.subByFullName(sn.A[0].S); sub != nil {
			subs.A = append(subs.A, sub.info)
		}
	}
	n.A[9] = subs
	return &n
}

// docsNode is the command's COMMAND DOCS entry, its "subcommands" map
// holding only registered subcommands (and dropped when none is).
func (c *command) docsNode() *metaNode {
	if c.docs == nil {
		return &metaNode{T: "%"}
	}
	n := *c.docs
	n.A = nil
	for i := 0; i+1 < len(c.docs.A); i += 2 {
		k, v := c.docs.A[i], c.docs.A[i+1]
		if k.S == "subcommands" {
			subs := &metaNode{T: v.T}
			for j := 0; j+1 < len(v.A); j += 2 {
				if sub := c.subByFullName(v.A[j].S); sub != nil {
					subs.A = append(subs.A, v.A[j], sub.docs)
				}
			}
			if len(subs.A) == 0 {
				continue
			}
			v = subs
		}
		n.A = append(n.A, k, v)
	}
	return &n
}

// subByFullName finds a registered subcommand by its "parent|sub" name.
func (c *command) subByFullName(full string) *command {
	_, sub, _ := strings.Cut(full, "|")
	return c.subs[sub]
}

func replyCommandInfos(c *Client, cmds []*command) {
	c.ReplyArrayLen(len(cmds))
	for _, cmd := range cmds {
		c.ReplyRaw(cmd.infoNode().appendTo(nil, c.proto))
	}
}

// cmdCommandInfo implements COMMAND INFO [name ...]: every command without
// names, else one entry per name, null for an unknown one.
func cmdCommandInfo(c *Client, argv [][]byte) {
	t := c.srv.cmds
	if len(argv) == 2 {
		replyCommandInfos(c, t.sortedCommands())
		return
	}
	c.ReplyArrayLen(len(argv) - 2)
	for _, name := range argv[2:] {
		cmd := t.lookupByFullName(string(name))
		if cmd == nil {
			c.ReplyNull()
			continue
		}
		c.ReplyRaw(cmd.infoNode().appendTo(nil, c.proto))
	}
}

// cmdCommandDocs implements COMMAND DOCS [name ...]: a map from full name
// to docs; unknown names are left out.
func cmdCommandDocs(c *Client, argv [][]byte) {
	t := c.srv.cmds
	var cmds []*command
	if len(argv) == 2 {
		cmds = t.sortedCommands()
	} else {
		for _, name := range argv[2:] {
			if cmd := t.lookupByFullName(string(name)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.ReplyMapLen(len(cmds))
	for _, cmd := range cmds {
		c.ReplyBulkString(cmd.fullName())
		c.ReplyRaw(cmd.docsNode().appendTo(nil, c.proto))
	}
}

// ---- LIST --------------------------------------------------------------------

// cmdCommandList implements COMMAND LIST [FILTERBY MODULE m|ACLCAT c|PATTERN
// p]: full names of the commands and subcommands that pass the filter.
func cmdCommandList(c *Client, argv [][]byte) {
	keep := func(*command) bool { return true }
	if len(argv) > 2 {
		if len(argv) != 5 || !equalFold(argv[2], "filterby") {
			c.ReplyError(errSyntax)
			return
		}
		arg := string(argv[4])
		switch {
		case equalFold(argv[3], "module"):
			// No modules are ever loaded.
			keep = func(*command) bool { return false }
		case equalFold(argv[3], "aclcat"):
			cat := "@" + strings.ToLower(arg)
			keep = func(cmd *command) bool { return cmd.inCategory(cat) }
		case equalFold(argv[3], "pattern"):
			keep = func(cmd *command) bool { return commandNameMatch(arg, cmd.fullName()) }
		default:
			c.ReplyError(errSyntax)
			return
		}
	}
	var names []string
	c.srv.cmds.walk(func(cmd *command) {
		if keep(cmd) {
			names = append(names, cmd.fullName())
		}
	})
	c.ReplyStrings(names)
}

// inCategory reports whether the command is in an ACL category ("@read").
func (c *command) inCategory(cat string) bool {
	if len(c.info.A) < 7 {
		return false
	}
	for _, n := range c.info.A[6].A {
		if n.S == cat {
			return true
		}
	}
	return false
}

// hasInfoFlag reports whether the command's metadata carries a flag that
// the dispatch table does not keep ("no_mandatory_keys", "movablekeys").
func (c *command) hasInfoFlag(flag string) bool {
	for _, n := range c.info.A[2].A {
		if n.S == flag {
			return true
		}
	}
	return false
}

// commandNameMatch is Redis's stringmatchlen with nocase set, for COMMAND
// LIST FILTERBY PATTERN.
func commandNameMatch(pattern, s string) bool {
	return glob.Match([]byte(pattern), []byte(s), true)
}

// ---- GETKEYS -----------------------------------------------------------------

// Key flags, in the order Redis prints them (addReplyFlagsForKeyArgs).
const (
	keyRO uint16 = 1 << iota
	keyRW
	keyOW
	keyRM
	keyAccess
	keyUpdate
	keyInsert
	keyDelete
	keyNotKey
	keyIncomplete
	keyVariableFlags
)

var keyFlagNames = []string{"RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
	"not_key", "incomplete", "variable_flags"}

func keyFlagsFromNames(names []*metaNode) uint16 {
	var f uint16
	for _, n := range names {
		for i, name := range keyFlagNames {
			if n.S == name {
				f |= 1 << i
			}
		}
	}
	return f
}

// keyRef is one key found in a command line: its index and access flags.
type keyRef struct {
	pos   int
	flags uint16
}

// keySpec is one of a command's key specs, decoded from its metadata.
type keySpec struct {
	flags uint16
	// begin_search: index (pos) or keyword (keyword, startFrom); anything
	// else ("unknown") makes the spec unusable.
	bsType    string
	pos       int
	keyword   string
	startFrom int
	// find_keys: range (lastKey, keyStep, limit) or keynum (keyNumIdx,
	// firstKey, keyStep).
	fkType    string
	lastKey   int
	keyStep   int
	limit     int
	keyNumIdx int
	firstKey  int
}

func (c *command) keySpecs() []keySpec {
	if len(c.info.A) < 9 {
		return nil
	}
	var out []keySpec
	for _, n := range c.info.A[8].A {
		var ks keySpec
		if f := specField(n, "flags"); f != nil {
			ks.flags = keyFlagsFromNames(f.A)
		}
		bs, fk := specField(n, "begin_search"), specField(n, "find_keys")
		ks.bsType = specField(bs, "type").S
		bspec := specField(bs, "spec")
		switch ks.bsType {
		case "index":
			ks.pos = int(specField(bspec, "index").N)
		case "keyword":
			ks.keyword = specField(bspec, "keyword").S
			ks.startFrom = int(specField(bspec, "startfrom").N)
		}
		ks.fkType = specField(fk, "type").S
		fspec := specField(fk, "spec")
		switch ks.fkType {
		case "range":
			ks.lastKey = int(specField(fspec, "lastkey").N)
			ks.keyStep = int(specField(fspec, "keystep").N)
			ks.limit = int(specField(fspec, "limit").N)
		case "keynum":
			ks.keyNumIdx = int(specField(fspec, "keynumidx").N)
			ks.firstKey = int(specField(fspec, "firstkey").N)
			ks.keyStep = int(specField(fspec, "keystep").N)
		}
		out = append(out, ks)
	}
	return out
}

// keysFromSpecs is Redis's getKeysUsingKeySpecs with default search flags:
// ok is false when a spec cannot be used (unknown, incomplete, or out of
// the arguments' bounds), and the caller falls back to the command's own
// key finder.
func keysFromSpecs(specs []keySpec, arity int, argv [][]byte) (keys []keyRef, ok bool) {
	argc := len(argv)
	for _, spec := range specs {
		if spec.flags&keyNotKey != 0 {
			continue
		}
		first := 0
		switch spec.bsType {
		case "index":
			first = spec.pos
		case "keyword":
			start, end := spec.startFrom, argc-1
			if spec.startFrom <= 0 {
				start, end = argc+spec.startFrom, 1
			}
			for i := start; i != end; {
				if i >= argc || i < 1 {
					break
				}
				if equalFoldUpper(argv[i], spec.keyword) {
					first = i + 1
					break
				}
				if start <= end {
					i++
				} else {
					i--
				}
			}
			if first == 0 {
				continue
			}
		default:
			return nil, false
		}
		var last, step int
		switch spec.fkType {
		case "range":
			step = spec.keyStep
			switch {
			case spec.lastKey >= 0:
				last = first + spec.lastKey
			case spec.limit == 0:
				last = argc + spec.lastKey
			default:
				last = first + ((argc-first)/spec.limit + spec.lastKey)
			}
		case "keynum":
			step = spec.keyStep
			idx := first + spec.keyNumIdx
			if idx >= argc {
				return nil, false
			}
			n, isInt := parseInt(argv[idx])
			if !isInt || n < 0 {
				return nil, false
			}
			first += spec.firstKey
			// Redis casts the count to a C int.
			last = first + int(int32(n)) - 1
		default:
			return nil, false
		}
		if last >= argc || last < first || first >= argc {
			return nil, false
		}
		for i := first; i <= last; i += step {
			if i >= argc || i < first {
				// Only commands with a variable argument count get here;
				// Redis leaves the error to the command itself.
				if arity < 0 {
					continue
				}
				return nil, false
			}
			keys = append(keys, keyRef{i, spec.flags})
		}
		if spec.flags&keyIncomplete != 0 {
			return nil, false
		}
	}
	return keys, true
}

// equalFoldUpper compares an argument with a key-spec keyword (upper case
// in the metadata), ignoring case.
func equalFoldUpper(b []byte, kw string) bool { return equalFold(b, strings.ToLower(kw)) }

// keyFinder is a command's own key-finding function (Redis's getkeys_proc),
// used when its key specs cannot describe the keys exactly.
type keyFinder func(argv [][]byte) []keyRef

// keyFinders are Redis 7.0's getkeys procs, for the commands whose key
// specs are unknown, incomplete or flag-variable, or that fall back to them
// when a spec does not fit the arguments.
var keyFinders = map[string]keyFinder{
	"eval":        genericGetKeys(0, 2, 3, 1),
	"evalsha":     genericGetKeys(0, 2, 3, 1),
	"eval_ro":     genericGetKeys(0, 2, 3, 1),
	"evalsha_ro":  genericGetKeys(0, 2, 3, 1),
	"fcall":       genericGetKeys(0, 2, 3, 1),
	"fcall_ro":    genericGetKeys(0, 2, 3, 1),
	"zunionstore": genericGetKeys(1, 2, 3, 1),
	"zinterstore": genericGetKeys(1, 2, 3, 1),
	"zdiffstore":  genericGetKeys(1, 2, 3, 1),
	"zunion":      genericGetKeys(0, 1, 2, 1),
	"zinter":      genericGetKeys(0, 1, 2, 1),
	"zdiff":       genericGetKeys(0, 1, 2, 1),
	"zintercard":  genericGetKeys(0, 1, 2, 1),
	"sintercard":  genericGetKeys(0, 1, 2, 1),
	"lmpop":       genericGetKeys(0, 1, 2, 1),
	"zmpop":       genericGetKeys(0, 1, 2, 1),
	"blmpop":      genericGetKeys(0, 2, 3, 1),
	"bzmpop":      genericGetKeys(0, 2, 3, 1),
	"sort":        sortGetKeys,
	"sort_ro": func(argv [][]byte) []keyRef {
		return []keyRef{{1, keyRO | keyAccess}}
	},
	"migrate":           migrateGetKeys,
	"georadius":         georadiusGetKeys,
	"georadiusbymember": georadiusGetKeys,
	"xread":             xreadGetKeys,
	"xreadgroup":        xreadGetKeys,
	"set":               setGetKeys,
	"bitfield":          bitfieldGetKeys,
}

// cAtoi is C's atoi as Redis's genericGetKeys uses it: leading white space,
// a sign, digits up to the first non-digit, the long result cut to int.
func cAtoi(b []byte) int {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var v uint64
	const maxLong = 1<<63 - 1
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		// Past the long range v stays above maxLong: strtol saturates.
		switch {
		case v > maxLong:
		case v > maxLong/10:
			v = maxLong + 1
		default:
			v = v*10 + uint64(b[i]-'0')
		}
	}
	var l int64
	switch {
	case neg && v > maxLong:
		l = -maxLong - 1
	case neg:
		l = -int64(v)
	case v > maxLong:
		l = maxLong
	default:
		l = int64(v)
	}
	return int(int32(l))
}

// genericGetKeys mirrors Redis's function of that name: a key count at
// keyCount, keys from firstKey every step, and a destination key at
// storeKey (0: none) listed last. Keys found this way carry no flags.
func genericGetKeys(storeKey, keyCount, firstKey, step int) keyFinder {
	return func(argv [][]byte) []keyRef {
		num := cAtoi(argv[keyCount])
		if num < 1 || num > (len(argv)-firstKey)/step {
			return nil
		}
		keys := make([]keyRef, 0, num+1)
		for i := 0; i < num; i++ {
			keys = append(keys, keyRef{firstKey + i*step, 0})
		}
		if storeKey != 0 {
			keys = append(keys, keyRef{storeKey, 0})
		}
		return keys
	}
}

// sortGetKeys mirrors Redis's, quirks included: the last STORE wins,
// and an option's arguments are skipped only for LIMIT, GET and BY.
func sortGetKeys(argv [][]byte) []keyRef {
	keys := []keyRef{{1, keyRO | keyAccess}}
	store := -1
	for i := 2; i < len(argv); i++ {
		switch {
		case equalFold(argv[i], "limit"):
			i += 2
		case equalFold(argv[i], "get"), equalFold(argv[i], "by"):
			i++
		case equalFold(argv[i], "store") && i+1 < len(argv):
			store = i + 1
		}
	}
	if store != -1 {
		keys = append(keys, keyRef{store, keyOW | keyUpdate})
	}
	return keys
}

// migrateGetKeys mirrors Redis's: the key argument, or the keys
// after KEYS when the key argument is empty.
func migrateGetKeys(argv [][]byte) []keyRef {
	first, num := 3, 1
	if len(argv) > 6 {
	scan:
		for i := 6; i < len(argv); i++ {
			switch {
			case equalFold(argv[i], "keys"):
				if len(argv[3]) > 0 {
					return nil
				}
				first, num = i+1, len(argv)-i-1
				break scan
			case equalFold(argv[i], "auth"):
				i++
			case equalFold(argv[i], "auth2"):
				i += 2
			}
		}
	}
	keys := make([]keyRef, 0, num)
	for i := 0; i < num; i++ {
		keys = append(keys, keyRef{first + i, keyRW | keyAccess | keyDelete})
	}
	return keys
}

// georadiusGetKeys mirrors Redis's: the source key and the last
// STORE or STOREDIST destination.
func georadiusGetKeys(argv [][]byte) []keyRef {
	keys := []keyRef{{1, keyRO | keyAccess}}
	stored := -1
	for i := 5; i < len(argv); i++ {
		if (equalFold(argv[i], "store") || equalFold(argv[i], "storedist")) && i+1 < len(argv) {
			stored = i + 1
			i++
		}
	}
	if stored != -1 {
		keys = append(keys, keyRef{stored, keyOW | keyUpdate})
	}
	return keys
}

// xreadGetKeys mirrors Redis's: the first half of the arguments after
// STREAMS.
func xreadGetKeys(argv [][]byte) []keyRef {
	streams := -1
scan:
	for i := 1; i < len(argv); i++ {
		switch {
		case equalFold(argv[i], "block"), equalFold(argv[i], "count"):
			i++
		case equalFold(argv[i], "group"):
			i += 2
		case equalFold(argv[i], "noack"):
		case equalFold(argv[i], "streams"):
			streams = i
			break scan
		default:
			break scan
		}
	}
	num := len(argv) - streams - 1
	if streams == -1 || num == 0 || num%2 != 0 {
		return nil
	}
	num /= 2
	keys := make([]keyRef, 0, num)
	for i := streams + 1; i < len(argv)-num; i++ {
		keys = append(keys, keyRef{i, keyRO | keyAccess})
	}
	return keys
}

// setGetKeys mirrors Redis's: SET ... GET reads the old value.
func setGetKeys(argv [][]byte) []keyRef {
	for _, a := range argv[3:] {
		if equalFold(a, "get") {
			return []keyRef{{1, keyRW | keyAccess | keyUpdate}}
		}
	}
	return []keyRef{{1, keyOW | keyUpdate}}
}

// bitfieldGetKeys mirrors Redis's: read-only unless some operation
// writes (or the arguments do not parse).
func bitfieldGetKeys(argv [][]byte) []keyRef {
	readonly := true
scan:
	for i := 2; i < len(argv); i++ {
		rem := len(argv) - i - 1
		switch {
		case equalFold(argv[i], "get") && rem >= 2:
			i += 2
		case (equalFold(argv[i], "set") || equalFold(argv[i], "incrby")) && rem >= 3:
			readonly = false
			break scan
		case equalFold(argv[i], "overflow") && rem >= 1:
			i++
		default:
			readonly = false
			break scan
		}
	}
	if readonly {
		return []keyRef{{1, keyRO | keyAccess}}
	}
	return []keyRef{{1, keyRW | keyAccess | keyUpdate}}
}

// lookupForKeys is Redis's lookupCommand over a command line: the
// subcommand when the command has subcommands and argv names one, nil when
// it names none.
func (t *commandTable) lookupForKeys(argv [][]byte) *command {
	base := t.byName[strings.ToLower(string(argv[0]))]
	if base == nil || len(argv) == 1 || len(base.subs) == 0 {
		return base
	}
	return base.subs[strings.ToLower(string(argv[1]))]
}

// getKeysFromCommand is Redis's getKeysFromCommandWithSpecs: key specs
// when they describe the keys exactly, else the command's own key finder.
func getKeysFromCommand(cmd *command, argv [][]byte) []keyRef {
	specs := cmd.keySpecs()
	var all uint16
	hasKeySpec := false
	for _, s := range specs {
		all |= s.flags
		if s.flags&keyNotKey == 0 {
			hasKeySpec = true
		}
	}
	if hasKeySpec && all&keyVariableFlags == 0 {
		if keys, ok := keysFromSpecs(specs, cmd.arity, argv); ok {
			return keys
		}
	}
	if f := keyFinders[cmd.name]; f != nil {
		return f(argv)
	}
	return nil
}

// hasKeys is Redis's doesCommandHaveKeys.
func (c *command) hasKeys() bool {
	if keyFinders[c.name] != nil {
		return true
	}
	for _, s := range c.keySpecs() {
		if s.flags&keyNotKey == 0 {
			return true
		}
	}
	return false
}

// cmdCommandGetKeys implements COMMAND GETKEYS and GETKEYSANDFLAGS.
func cmdCommandGetKeys(c *Client, argv [][]byte, withFlags bool) {
	line := argv[2:]
	cmd := c.srv.cmds.lookupForKeys(line)
	switch {
	case cmd == nil:
		c.ReplyError("ERR Invalid command specified")
		return
	case !cmd.hasKeys():
		c.ReplyError("ERR The command has no key arguments")
		return
	case (cmd.arity > 0 && cmd.arity != len(line)) || len(line) < -cmd.arity:
		c.ReplyError("ERR Invalid number of arguments specified for command")
		return
	}
	keys := getKeysFromCommand(cmd, line)
	if len(keys) == 0 && !cmd.hasInfoFlag("no_mandatory_keys") {
		c.ReplyError("ERR Invalid arguments specified for command")
		return
	}
	c.ReplyArrayLen(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.ReplyBulk(line[k.pos])
			continue
		}
		c.ReplyArrayLen(2)
		c.ReplyBulk(line[k.pos])
		var names []string
		for i, name := range keyFlagNames {
			if k.flags&(1<<i) != 0 {
				names = append(names, name)
			}
		}
		c.ReplySetLen(len(names))
		for _, n := range names {
			c.ReplySimple(n)
		}
	}
}
