package conf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/BurntSushi/toml"

	"github.com/redoubtdb/redoubt/daemon/acl"
)

// Load reads a TOML config file over Default(). It is strict: unknown keys,
// values of the wrong type and values out of range are errors naming the
// file, the line and the key, e.g.
//
//	redoubt.toml:12: key "port": must be between 0 and 65535
//	redoubt.toml:3: unknown key "prot"
//
// Every bad key is reported, one per line, in file order. Keys are Redis's
// names in lower case; Redis's aliases (slaveof, slave-priority, ...) are
// accepted too. `user` entries are checked for their quoting here and for
// their rules when the server declares them (see UserError).
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := Default()
	if err := c.loadTOML(path, string(src)); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c.path = abs
	return c, nil
}

// loadTOML applies a TOML document to c; name is the file name for errors.
func (c *Config) loadTOML(name, src string) error {
	var raw map[string]any
	if _, err := toml.Decode(src, &raw); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return fmt.Errorf("%s: %s", name, describeParseError(perr))
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	doc := scanTOML(src)
	var errs []*keyError
	bad := func(key string, msg string, isKey bool) {
		e := &keyError{file: name, line: doc.line(key), msg: msg}
		if isKey {
			e.key = key
		}
		errs = append(errs, e)
	}
	seen := map[*param]string{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys) // map order is random; errors are sorted by line below
	for _, k := range keys {
		if k == userKey {
			var lines []int
			for _, e := range doc.entries {
				if e.key == userKey && !e.dotted {
					lines = arrayElementLines(src, e.valStart)
				}
			}
			if prob := c.loadUsers(name, raw[k], lines); prob != nil {
				bad(k, prob.plain, true)
			}
			continue
		}
		if k == renameKey {
			if prob := c.loadRenames(name, raw[k], doc.line(k)); prob != nil {
				bad(k, prob.plain, true)
			}
			continue
		}
		p := byName[k]
		if p == nil {
			bad(k, fmt.Sprintf("unknown key %q", k), false)
			continue
		}
		if other, dup := seen[p]; dup {
			bad(k, fmt.Sprintf("sets the same parameter as %q", other), true)
			continue
		}
		seen[p] = k
		if prob := p.load(c, raw[k]); prob != nil {
			bad(k, prob.plain, true)
		}
	}
	for _, p := range params {
		if _, done := seen[p]; done {
			continue // checked as it was loaded
		}
		if prob := p.check(c); prob != nil {
			bad(p.name, prob.plain, true)
		}
	}
	if len(c.User) > 0 && c.Aclfile != "" {
		bad(userKey, acl.TextConfigAndFile, true)
	}
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].line < errs[j].line })
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// describeParseError shows the line and a caret under the error. BurntSushi
// v1.6.0 reports line 0 for some inputs (a CR LF inside a quoted key) and
// ErrorWithPosition then indexes out of range: fall back to the short text.
func describeParseError(perr toml.ParseError) (text string) {
	defer func() {
		if recover() != nil {
			text = perr.Error()
		}
	}()
	return perr.ErrorWithPosition()
}
