package acl

import (
	"fmt"
	"sort"
	"strings"
)

// categoryNames are Redis 7.0's ACL categories in the order of
// ACLCommandCategories (acl.c): ACL CAT lists them in this order and the
// ACL LIST normalisation tries them in this order.
var categoryNames = [...]string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

const numCategories = len(categoryNames)

// Categories returns the ACL category names in Redis's order, without '@'
// (the reply of ACL CAT with no argument). The slice is a fresh copy.
func Categories() []string {
	out := make([]string, numCategories)
	copy(out, categoryNames[:])
	return out
}

// categoryIndex finds a category by name, ignoring case as strcasecmp does.
func categoryIndex(name string) (int, bool) {
	for i, c := range categoryNames {
		if equalFoldASCII(c, name) {
			return i, true
		}
	}
	return 0, false
}

// CommandSpec describes one command or subcommand of the server's command
// table, as the catalog needs it.
type CommandSpec struct {
	// Name is the full command name: "get", or "config|get" for a
	// subcommand. Case is ignored.
	Name string
	// Categories are the command's ACL categories without '@' ("read",
	// "string"), as COMMAND INFO lists them.
	Categories []string
	// NoAuth is the no_auth command flag (AUTH, HELLO): such commands pass
	// the command-permission check whatever the user's rules say.
	NoAuth bool
}

// Catalog is the set of commands ACL rules can name, with an id per
// command and subcommand. Users keep one permission bit per id. A Catalog
// is immutable and safe for concurrent use.
type Catalog struct {
	cmds   []catCommand
	byName map[string]int // lower-case full name -> id
	top    []int          // top-level ids in walk order
	byCat  [numCategories][]int
}

type catCommand struct {
	name   string // lower-case full name
	cats   uint32 // bit i set: in categoryNames[i]
	parent int    // id of the container, -1 for a top-level command
	subs   []int  // subcommand ids in walk order
	noAuth bool
}

// NewCatalog builds a catalog. Redis walks its command dictionary in hash
// order, which changes with every process start (ACL LIST and ACL CAT print
// commands in that order); the catalog walks commands by name instead, top
// level first and each container's subcommands right after it, so output
// is stable. Ids follow that walk. A subcommand's container must be among
// the specs. Malformed specs (empty or duplicate names, a subcommand without
// its container, nested subcommands, unknown categories) are programming
// errors and panic.
func NewCatalog(specs []CommandSpec) *Catalog {
	type entry struct {
		spec CommandSpec
		subs []CommandSpec
	}
	tops := map[string]*entry{}
	for _, s := range specs {
		name := strings.ToLower(s.Name)
		parent, sub, isSub := strings.Cut(name, "|")
		if parent == "" || (isSub && (sub == "" || strings.Contains(sub, "|"))) {
			panic(fmt.Sprintf("acl: bad command name %q", s.Name))
		}
		if isSub {
			continue
		}
		if tops[name] != nil {
			panic(fmt.Sprintf("acl: command %q given twice", s.Name))
		}
		s.Name = name
		tops[name] = &entry{spec: s}
	}
	for _, s := range specs {
		name := strings.ToLower(s.Name)
		parent, _, isSub := strings.Cut(name, "|")
		if !isSub {
			continue
		}
		e := tops[parent]
		if e == nil {
			panic(fmt.Sprintf("acl: subcommand %q without its container", s.Name))
		}
		s.Name = name
		e.subs = append(e.subs, s)
	}
	names := make([]string, 0, len(tops))
	for n := range tops {
		names = append(names, n)
	}
	sort.Strings(names)

	c := &Catalog{byName: map[string]int{}}
	add := func(s CommandSpec, parent int) int {
		if _, dup := c.byName[s.Name]; dup {
			panic(fmt.Sprintf("acl: command %q given twice", s.Name))
		}
		var mask uint32
		for _, cat := range s.Categories {
			i, ok := categoryIndex(strings.TrimPrefix(cat, "@"))
			if !ok {
				panic(fmt.Sprintf("acl: command %q has unknown ACL category %q", s.Name, cat))
			}
			mask |= 1 << i
		}
		id := len(c.cmds)
		c.cmds = append(c.cmds, catCommand{name: s.Name, cats: mask, parent: parent, noAuth: s.NoAuth})
		c.byName[s.Name] = id
		return id
	}
	for _, n := range names {
		e := tops[n]
		id := add(e.spec, -1)
		c.top = append(c.top, id)
		sort.Slice(e.subs, func(i, j int) bool { return e.subs[i].Name < e.subs[j].Name })
		for _, s := range e.subs {
			sub := add(s, id)
			c.cmds[id].subs = append(c.cmds[id].subs, sub)
		}
	}
	c.walk(func(id int) {
		for i := range c.byCat {
			if c.cmds[id].cats&(1<<i) != 0 {
				c.byCat[i] = append(c.byCat[i], id)
			}
		}
	})
	return c
}

// Len is the number of ids: valid ids are 0..Len()-1.
func (c *Catalog) Len() int { return len(c.cmds) }

// Name returns the full lower-case name of a command id ("config|get"), as
// Redis prints it in NOPERM errors, ACL LOG and ACL CAT.
func (c *Catalog) Name(id int) string { return c.cmds[id].name }

// Parent returns the id of a subcommand's container, or -1 for a top-level
// command.
func (c *Catalog) Parent(id int) int { return c.cmds[id].parent }

// Lookup finds a command by full name ("get", "CONFIG|GET"), ignoring case.
// It resolves names exactly like the ACL rules do (lookupCommandBySds): a
// "|" part names a subcommand and only works on containers.
func (c *Catalog) Lookup(name string) (id int, ok bool) {
	return c.lookup(name)
}

// lookup mirrors lookupCommandBySdsLogic: split on '|', at most two parts,
// the second one only for commands that have subcommands.
func (c *Catalog) lookup(name string) (int, bool) {
	if name == "" {
		return 0, false
	}
	parts := strings.Split(name, "|")
	if len(parts) > 2 {
		return 0, false
	}
	base, ok := c.byName[lowerASCII(parts[0])]
	if !ok || c.cmds[base].parent >= 0 {
		return 0, false
	}
	if len(parts) == 1 {
		return base, true
	}
	if len(c.cmds[base].subs) == 0 {
		return 0, false
	}
	sub, ok := c.byName[c.cmds[base].name+"|"+lowerASCII(parts[1])]
	return sub, ok
}

// walk calls fn for every command in walk order: each top-level command,
// then its subcommands.
func (c *Catalog) walk(fn func(id int)) {
	for _, id := range c.top {
		fn(id)
		for _, sub := range c.cmds[id].subs {
			fn(sub)
		}
	}
}

// CategoryCommands returns the commands of one category, for ACL CAT
// <category>: full names, subcommands as "config|get", in walk order. An
// unknown category yields Redis's error.
func (c *Catalog) CategoryCommands(category string) ([]string, error) {
	i, ok := categoryIndex(cstr(category))
	if !ok {
		return nil, &Error{msg: fmt.Sprintf("ERR Unknown category '%s'", truncate(cstr(category), 128))}
	}
	out := make([]string, len(c.byCat[i]))
	for j, id := range c.byCat[i] {
		out[j] = c.cmds[id].name
	}
	return out, nil
}
