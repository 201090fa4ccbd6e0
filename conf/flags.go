package conf

import (
	"fmt"
	"strings"

	"github.com/redoubtdb/redoubt/daemon/acl"
)

// ApplyFlags applies command-line overrides the way redis-server reads them:
// "--name" followed by its value, every parameter (and alias) being a flag:
//
//	--port 6380 --replicaof 127.0.0.1 6379 --save "" --requirepass s3cret
//
// The words after a flag, up to the next word starting with "--", are its
// value; the first word is taken even if it starts with "--", as Redis does,
// so that a password may. List values (bind, save, replicaof,
// client-output-buffer-limit) may come as several words or as one
// ("--replicaof '127.0.0.1 6379'"); other flags take exactly one word.
// "--name=value" is accepted too, and so is a setting with its value in one
// argument, as Redis 7.0 takes it ("--port 6380", "--requirepass 'a b'":
// split like a redis.conf line). "--user" declares one ACL user and may be
// repeated: --user "alice on >secret ~* +@all" (one word, split like a
// redis.conf line) or --user alice on '>secret' (several words, each kept
// whole). "--rename-command OLD NEW" renames a command ("" removes it) and
// may be repeated. "--save" with nothing after it, or followed by another flag,
// disables snapshots, and repeated --save flags add up, as in Redis.
// Values use Redis's syntax (yes/no, 512mb...).
//
// Flags override the file. On error c is unchanged; the error names the
// flag: "flag --port: must be between 0 and 65535", "unknown flag --prot".
func (c *Config) ApplyFlags(args []string) error {
	next := c.Clone()
	savedOnce := false
	for i := 0; i < len(args); {
		arg := args[i]
		i++
		if !strings.HasPrefix(arg, "--") || arg == "--" {
			return fmt.Errorf("unexpected argument %q: flags look like --port 6380", arg)
		}
		name, values := arg[2:], []string(nil)
		if strings.ContainsAny(name, " \t") {
			// Redis 7.0's "--maxmemory 700mb" in one argument: a config
			// line, split like one, which the words after it extend.
			words, err := acl.SplitArgs(name)
			if err != nil || len(words) == 0 {
				return fmt.Errorf("flag %q: unbalanced quotes", arg)
			}
			name, values = words[0], words[1:]
			for i < len(args) && !strings.HasPrefix(args[i], "--") {
				values = append(values, args[i])
				i++
			}
		} else if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, values = name[:eq], []string{name[eq+1:]}
		} else {
			if i < len(args) && !(strings.EqualFold(name, "save") && strings.HasPrefix(args[i], "--")) {
				values = append(values, args[i])
				i++
			}
			for i < len(args) && !strings.HasPrefix(args[i], "--") {
				values = append(values, args[i])
				i++
			}
		}
		if strings.EqualFold(name, renameKey) {
			if err := next.addFlagRename(values); err != nil {
				return err
			}
			continue
		}
		if strings.EqualFold(name, userKey) {
			if len(values) == 0 {
				return fmt.Errorf("flag --%s: missing value", name)
			}
			if err := next.addFlagUser(values); err != nil {
				return err
			}
			continue
		}
		p := lookup(name)
		if p == nil {
			return fmt.Errorf("unknown flag --%s", name)
		}
		if len(values) == 0 {
			if p.name != "save" {
				return fmt.Errorf("flag --%s: missing value", name)
			}
			values = []string{""}
		}
		var words []string
		switch {
		case p.flags&multiArg != 0:
			words = strings.Fields(strings.Join(values, " "))
		case len(values) != 1:
			return fmt.Errorf("flag --%s: wrong number of arguments: want one value, got %d", name, len(values))
		default:
			words = values
		}
		if p.name == "save" && savedOnce {
			// Redis appends every save line after the first, but an
			// empty one resets them all.
			points, prob := parseSave(words)
			if prob != nil {
				return fmt.Errorf("flag --%s: %s", name, prob.plain)
			}
			if len(words) == 0 {
				next.Save = SavePoints{}
			}
			next.Save = append(next.Save, points...)
			continue
		}
		if prob := p.set(next, words); prob != nil {
			return fmt.Errorf("flag --%s: %s", name, prob.plain)
		}
		if p.name == "save" {
			savedOnce = true
		}
	}
	*c = *next
	return nil
}
