package conf

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/redoubtdb/redoubt/daemon/glob"
)

// KV is one parameter name and value, as CONFIG GET returns and CONFIG SET
// takes them.
type KV struct{ Key, Value string }

// Get answers CONFIG GET for one pattern. A pattern without glob characters
// ('*', '?', '[') is looked up directly, case-insensitively, and echoed back
// as the client wrote it, as Redis does. Otherwise it is matched with
// Redis's glob rules, case-insensitively, against every name and every alias
// (so "*" lists slaveof as well as replicaof, as Redis 7.0 does), and the
// result is sorted by name. Values are formatted as Redis prints them: sizes
// in bytes, booleans yes/no.
//
// CONFIG GET with several patterns returns each parameter once; callers
// merging several Get results drop repeated keys, case-insensitively.
func (c *Config) Get(pattern string) []KV {
	if !strings.ContainsAny(pattern, "*?[") {
		if p := lookup(pattern); p != nil {
			return []KV{{pattern, p.get(c)}}
		}
		return nil
	}
	var out []KV
	for _, n := range allNames {
		if stringMatch(pattern, n.name, true) {
			out = append(out, KV{n.name, n.p.get(c)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Set answers CONFIG SET: all pairs apply or none does. Errors are complete
// reply texts, with Redis 7.0's wording, e.g.
//
//	ERR Unknown option or number of arguments for CONFIG SET - 'foo'
//	ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config
//	ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer
//
// As in Redis, every name is looked up before any value is parsed: an
// unknown name is reported only if no earlier pair was refused, and an
// immutable, protected or repeated name before parsing errors. A name and
// its alias are distinct, so both may be set (the last wins), and errors
// from values name the parameter in lower case as the client spelled it.
func (c *Config) Set(pairs []KV) error {
	if len(pairs) == 0 {
		return errors.New("ERR wrong number of arguments for 'config|set' command")
	}
	type change struct {
		p     *param
		name  string // lower-case name or alias as given
		value string
	}
	var (
		changes  []change
		unknown  string
		refused  string
		errArg   string
		rejected bool
	)
	for _, kv := range pairs {
		p := lookup(kv.Key)
		if p == nil {
			if !rejected {
				unknown = kv.Key
				rejected = true
			}
			continue
		}
		if rejected {
			continue
		}
		if p.flags&(mutable|protected) != mutable {
			refused = "can't set immutable config"
			if p.flags&protected != 0 {
				refused = "can't set protected config"
			}
			errArg = kv.Key
			rejected = true
			continue
		}
		name := strings.ToLower(kv.Key)
		for _, ch := range changes {
			if ch.name == name {
				refused = "duplicate parameter"
				errArg = kv.Key
				rejected = true
			}
		}
		changes = append(changes, change{p, name, kv.Value})
	}
	switch {
	case unknown != "":
		return fmt.Errorf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", unknown)
	case rejected:
		return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", errArg, refused)
	}
	next := c.Clone()
	for _, ch := range changes {
		args := []string{ch.value}
		if ch.p.flags&multiArg != 0 {
			args = splitSpaces(ch.value)
		}
		if prob := ch.p.set(next, args); prob != nil {
			return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", ch.name, prob.redis)
		}
	}
	*c = *next
	return nil
}

// splitSpaces splits on every single space as Redis's sdssplitlen does, so
// "a  b" has an empty word; "" has none.
func splitSpaces(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// stringMatch is Redis's stringmatchlen, as CONFIG GET uses it.
func stringMatch(pattern, str string, nocase bool) bool {
	return glob.Match([]byte(pattern), []byte(str), nocase)
}
