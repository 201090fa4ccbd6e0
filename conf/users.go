package conf

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redoubtdb/redoubt/daemon/acl"
)

// Users declared in the configuration: the `user` key (an array of
// strings, redis.conf's "user" lines without the word "user") and the
// repeatable --user flag. conf checks what it can without the server's
// command table (the type, the quoting, a name per entry, no aclfile at
// the same time); the rules themselves are checked by the server when it
// declares the users (acl.Users.DeclareUsers), which reports errors
// through UserError so they still name the file, the line and the key.

// userKey is the TOML key and flag name. It is not a parameter: CONFIG
// GET and CONFIG SET do not know it, as in Redis.
const userKey = "user"

// ErrUsersAndACLFile is Redis's refusal to start with users declared in
// the configuration and an ACL file at the same time.
var ErrUsersAndACLFile error = redisText(acl.TextConfigAndFile)

// redisText is an error whose text is Redis's, capitals and all.
type redisText string

func (e redisText) Error() string { return string(e) }

// origin is where a User entry came from.
type origin struct {
	file string // "" for a flag or an entry set in Go
	line int
	flag bool
}

// loadUsers stores the TOML value of `user`. lines gives each element's
// line in the file (0 when unknown).
func (c *Config) loadUsers(file string, v any, lines []int) *problem {
	arr, ok := v.([]any)
	if !ok {
		return typeProblem("an array of strings", v)
	}
	users := make([]string, 0, len(arr))
	origins := make([]origin, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return problemText(fmt.Sprintf("entry %d must be a string, not %s", i+1, tomlTypeName(e)))
		}
		if prob := checkUserLine(s); prob != nil {
			return problemText(fmt.Sprintf("entry %d: %s", i+1, prob.plain))
		}
		o := origin{file: file}
		if i < len(lines) {
			o.line = lines[i]
		}
		users = append(users, s)
		origins = append(origins, o)
	}
	c.User, c.userOrigin = users, origins
	return nil
}

// checkUserLine is what Redis checks when it reads a "user" line, before
// the rules are applied: the quoting and the presence of a name.
func checkUserLine(line string) *problem {
	args, err := acl.SplitArgs(line)
	if err != nil {
		return problemText("unbalanced quotes in user declaration")
	}
	if len(args) == 0 {
		return problemText("a user declaration needs a user name")
	}
	return nil
}

// addFlagUser appends a --user flag: one value is a whole declaration
// ("alice on >secret ~* +@all"); several values are its words, each kept
// whole as redis-server keeps each command-line word.
func (c *Config) addFlagUser(values []string) error {
	line := values[0]
	if len(values) > 1 {
		words := make([]string, len(values))
		for i, v := range values {
			words[i] = quoteUserWord(v)
		}
		line = strings.Join(words, " ")
	}
	if prob := checkUserLine(line); prob != nil {
		return fmt.Errorf("flag --%s: %s", userKey, prob.plain)
	}
	c.User = append(c.User, line)
	c.userOrigin = append(c.userOrigin, origin{flag: true})
	return nil
}

// quoteUserWord quotes a word so acl.SplitArgs reads it back whole.
func quoteUserWord(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\r\n\"'\\\x00") {
		return w
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(w); i++ {
		switch ch := w[i]; {
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch == '\n':
			b.WriteString(`\n`)
		case ch == '\r':
			b.WriteString(`\r`)
		case ch == '\t':
			b.WriteString(`\t`)
		case ch < 0x20 || ch == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, ch)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkUsers validates User for Validate: every entry parses, and users
// are not declared while an ACL file is configured.
func (c *Config) checkUsers() error {
	for i, line := range c.User {
		if prob := checkUserLine(line); prob != nil {
			return c.UserError(i, errors.New(prob.plain))
		}
	}
	if len(c.User) > 0 && c.Aclfile != "" {
		return c.UserError(0, ErrUsersAndACLFile)
	}
	return nil
}

// UserDeclarations returns the declared users, split with acl.SplitArgs:
// the first word is the name, the rest are its rules. Entries that do
// not parse (Validate reports them) are left out.
func (c *Config) UserDeclarations() []acl.Declaration {
	out := make([]acl.Declaration, 0, len(c.User))
	for _, line := range c.User {
		args, err := acl.SplitArgs(line)
		if err != nil || len(args) == 0 {
			continue
		}
		out = append(out, acl.Declaration{Name: args[0], Rules: args[1:]})
	}
	return out
}

// UserError wraps an error about the i-th User entry with where the entry
// came from: `redoubt.toml:12: key "user": ...` for the file,
// `flag --user: ...` for the command line.
func (c *Config) UserError(i int, err error) error { return originErr(c.userOrigin, i, userKey, err) }

// originErr wraps an error about the i-th entry of a repeatable key (user,
// rename-command) with where origins says it came from.
func originErr(origins []origin, i int, key string, err error) error {
	var o origin
	if i >= 0 && i < len(origins) {
		o = origins[i]
	}
	if o.flag {
		return fmt.Errorf("flag --%s: %w", key, err)
	}
	return &entryError{keyError: keyError{file: o.file, line: o.line, key: key, msg: err.Error()}, err: err}
}

// entryError keeps the cause of an originErr reachable with errors.As.
type entryError struct {
	keyError
	err error
}

func (e *entryError) Unwrap() error { return e.err }

// SetUsers replaces the User entries with the given declarations (the
// server's current users, for CONFIG REWRITE). Their origins are lost.
func (c *Config) SetUsers(lines []string) {
	c.User = append([]string(nil), lines...)
	c.userOrigin = nil
}

// usersLiteral prints User as a TOML array: one line for one entry, one
// entry per line otherwise.
func usersLiteral(users []string) string {
	switch len(users) {
	case 0:
		return "[]"
	case 1:
		return "[" + tomlQuote(users[0]) + "]"
	}
	var b strings.Builder
	b.WriteString("[\n")
	for _, u := range users {
		b.WriteString("  ")
		b.WriteString(tomlQuote(u))
		b.WriteString(",\n")
	}
	b.WriteString("]")
	return b.String()
}

// arrayElementLines returns the line of each element of the array value
// starting at off in src.
func arrayElementLines(src string, off int) []int {
	s := scanner{src: src, pos: off}
	for i, c := range []byte(src) {
		if c == '\n' {
			s.newlines = append(s.newlines, i)
		}
	}
	if s.pos >= len(src) || src[s.pos] != '[' {
		return nil
	}
	s.pos++
	var lines []int
	for s.pos < len(src) {
		switch src[s.pos] {
		case ' ', '\t', '\r', '\n', ',':
			s.pos++
		case '#':
			s.skipComment()
		case ']':
			return lines
		default:
			lines = append(lines, s.lineOf(s.pos))
			start := s.pos
			s.skipValue()
			if s.pos == start {
				return lines
			}
		}
	}
	return lines
}
