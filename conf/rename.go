package conf

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/redoubtdb/redoubt/daemon/acl"
)

// Commands renamed or removed at start-up: Redis's rename-command. In
// TOML a table, command = "new name" ("" removes it):
//
//	[rename-command]
//	flushall = ""
//	config = "cfg-7f3a"
//
// and on the command line --rename-command OLD NEW, repeatable, as
// redis-server takes it. conf checks the shape (names are words, no
// command renamed twice); the server, which has the command table, checks
// the names themselves and reports through RenameError, which names the
// file, the line and the key as the other errors do.

// renameKey is the TOML key and flag name. It is not a parameter: CONFIG
// GET and CONFIG SET do not know it, as in Redis.
const renameKey = "rename-command"

// CommandRename is one rename-command: command Old is reached as New from
// then on, or not at all when New is "".
type CommandRename struct {
	Old, New string
}

// loadRenames stores the TOML value of rename-command, in name order (a
// TOML table has none of its own). line is the table's line.
func (c *Config) loadRenames(file string, v any, line int) *problem {
	tbl, ok := v.(map[string]any)
	if !ok {
		return typeProblem(`a table of command = "new name"`, v)
	}
	names := make([]string, 0, len(tbl))
	for k := range tbl {
		names = append(names, k)
	}
	sort.Strings(names)
	renames := make([]CommandRename, 0, len(names))
	origins := make([]origin, 0, len(names))
	for _, old := range names {
		s, ok := tbl[old].(string)
		if !ok {
			return problemText(fmt.Sprintf("%s: must be a string (the new name, or \"\" to remove the command), not %s", old, tomlTypeName(tbl[old])))
		}
		r := CommandRename{Old: old, New: s}
		if prob := checkRename(r, renames); prob != nil {
			return prob
		}
		renames = append(renames, r)
		origins = append(origins, origin{file: file, line: line})
	}
	c.RenameCommand, c.renameOrigin = renames, origins
	return nil
}

// addFlagRename appends a --rename-command flag: OLD NEW as two values,
// or as one argument split like a redis.conf line.
func (c *Config) addFlagRename(values []string) error {
	if len(values) == 1 {
		words, err := acl.SplitArgs(values[0])
		if err != nil {
			return fmt.Errorf("flag --%s: unbalanced quotes", renameKey)
		}
		values = words
	}
	if len(values) != 2 {
		return fmt.Errorf("flag --%s: want the command and its new name (\"\" to remove it), got %d values", renameKey, len(values))
	}
	r := CommandRename{Old: values[0], New: values[1]}
	if prob := checkRename(r, c.RenameCommand); prob != nil {
		return fmt.Errorf("flag --%s: %s", renameKey, prob.plain)
	}
	c.RenameCommand = append(c.RenameCommand, r)
	c.renameOrigin = append(c.renameOrigin, origin{flag: true})
	return nil
}

// checkRename checks r against what conf can know: names are single words,
// and a command is renamed once.
func checkRename(r CommandRename, before []CommandRename) *problem {
	if r.Old == "" || strings.ContainsAny(r.Old, " \t\r\n|") {
		return problemText(fmt.Sprintf("%q is not a command name", r.Old))
	}
	if strings.ContainsAny(r.New, " \t\r\n|") {
		return problemText(fmt.Sprintf("%s: %q is not a command name", r.Old, r.New))
	}
	for _, b := range before {
		if strings.EqualFold(b.Old, r.Old) {
			return problemText(fmt.Sprintf("%s is renamed twice", r.Old))
		}
	}
	return nil
}

// RenameError wraps an error about the i-th RenameCommand entry with where
// it came from, as UserError does for users.
func (c *Config) RenameError(i int, err error) error {
	return originErr(c.renameOrigin, i, renameKey, err)
}

// checkRenames validates RenameCommand for Validate.
func (c *Config) checkRenames() error {
	for i, r := range c.RenameCommand {
		if prob := checkRename(r, c.RenameCommand[:i]); prob != nil {
			return c.RenameError(i, errors.New(prob.plain))
		}
	}
	return nil
}
