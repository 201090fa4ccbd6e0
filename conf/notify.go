package conf

import "fmt"

// KeyspaceEvents is the set of keyspace notifications to publish
// (notify-keyspace-events): which channels (Keyspace, Keyevent) and which
// classes of events. The values are Redis 7.0's NOTIFY_* bits.
type KeyspaceEvents int

// Classes and channels of keyspace notifications.
const (
	NotifyKeyspace KeyspaceEvents = 1 << iota // K: __keyspace@<db>__:<key>
	NotifyKeyevent                            // E: __keyevent@<db>__:<event>
	NotifyGeneric                             // g: DEL, EXPIRE, RENAME...
	NotifyString                              // $
	NotifyList                                // l
	NotifySet                                 // s
	NotifyHash                                // h
	NotifyZset                                // z
	NotifyExpired                             // x
	NotifyEvicted                             // e
	NotifyStream                              // t
	NotifyKeyMiss                             // m: a read found no key
	NotifyModule                              // d
	NotifyNew                                 // n: a key was created

	// NotifyAll is what 'A' stands for: every class except m and n, which
	// Redis 7.0 leaves out of it because they are noisy.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash |
		NotifyZset | NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

var errNotifyClass = problemText("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")

// ParseKeyspaceEvents reads flag letters as Redis's
// keyspaceEventsStringToFlags does: any order, repeats allowed.
func ParseKeyspaceEvents(s string) (KeyspaceEvents, error) {
	f, prob := parseKeyspaceEvents(s)
	if prob != nil {
		return 0, prob
	}
	return f, nil
}

func parseKeyspaceEvents(s string) (KeyspaceEvents, *problem) {
	var f KeyspaceEvents
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			f |= NotifyAll
		case 'g':
			f |= NotifyGeneric
		case '$':
			f |= NotifyString
		case 'l':
			f |= NotifyList
		case 's':
			f |= NotifySet
		case 'h':
			f |= NotifyHash
		case 'z':
			f |= NotifyZset
		case 'x':
			f |= NotifyExpired
		case 'e':
			f |= NotifyEvicted
		case 'K':
			f |= NotifyKeyspace
		case 'E':
			f |= NotifyKeyevent
		case 't':
			f |= NotifyStream
		case 'm':
			f |= NotifyKeyMiss
		case 'd':
			f |= NotifyModule
		case 'n':
			f |= NotifyNew
		default:
			return 0, errNotifyClass
		}
	}
	return f, nil
}

// String prints the flags as Redis's keyspaceEventsFlagsToString does.
// With every class of 'A' set it prints "A" and, like Redis, drops 'n'
// (which stays set).
func (f KeyspaceEvents) String() string {
	var b []byte
	if f&NotifyAll == NotifyAll {
		b = append(b, 'A')
	} else {
		for _, c := range []struct {
			bit    KeyspaceEvents
			letter byte
		}{
			{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'},
			{NotifyHash, 'h'}, {NotifyZset, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'},
			{NotifyStream, 't'}, {NotifyModule, 'd'}, {NotifyNew, 'n'},
		} {
			if f&c.bit != 0 {
				b = append(b, c.letter)
			}
		}
	}
	if f&NotifyKeyspace != 0 {
		b = append(b, 'K')
	}
	if f&NotifyKeyevent != 0 {
		b = append(b, 'E')
	}
	if f&NotifyKeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// literal writes the flags back in a form that keeps every bit, for
// CONFIG REWRITE: String alone would lose 'n' next to 'A'.
func (f KeyspaceEvents) literal() string {
	b, _ := f.MarshalText()
	return tomlQuote(string(b))
}

func notifyParam() *param {
	field := func(c *Config) *KeyspaceEvents { return &c.NotifyKeyspaceEvents }
	store := func(c *Config, s string) *problem {
		f, prob := parseKeyspaceEvents(s)
		if prob != nil {
			return prob
		}
		*field(c) = f
		return nil
	}
	return &param{
		name:  "notify-keyspace-events",
		flags: mutable,
		set:   func(c *Config, args []string) *problem { return store(c, args[0]) },
		load: func(c *Config, v any) *problem {
			s, ok := v.(string)
			if !ok {
				return typeProblem("a string", v)
			}
			return store(c, s)
		},
		get: func(c *Config) string { return field(c).String() },
		check: func(c *Config) *problem {
			if *field(c)&^(NotifyAll|NotifyKeyspace|NotifyKeyevent|NotifyKeyMiss|NotifyNew) != 0 {
				return problemText(fmt.Sprintf("unknown event flags %#x", int(*field(c))))
			}
			return nil
		},
		literal: func(c *Config) string { return field(c).literal() },
	}
}

// MarshalText writes the flags so that every bit survives (String drops
// 'n' next to 'A').
func (f KeyspaceEvents) MarshalText() ([]byte, error) {
	s := f.String()
	if f&NotifyAll == NotifyAll && f&NotifyNew != 0 {
		s += "n"
	}
	return []byte(s), nil
}

// UnmarshalText reads flag letters as CONFIG SET does.
func (f *KeyspaceEvents) UnmarshalText(b []byte) error {
	v, err := ParseKeyspaceEvents(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}
