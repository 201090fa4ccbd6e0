package acl

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// DefaultUserName is the user every connection starts as.
const DefaultUserName = "default"

// Users is the registry of ACL users (Redis's Users radix tree). It always
// holds "default", whose *User handle never changes. All methods are safe
// for concurrent use; mutations are atomic: a failing ACL SETUSER or ACL
// LOAD leaves everything as it was.
type Users struct {
	cat *Catalog

	mu struct {
		sync.RWMutex
		users map[string]*User
		// allChannels is acl-pubsub-default: whether new users and
		// selectors start with allchannels (else resetchannels).
		allChannels bool
	}
	def *User
}

// NewUsers returns a registry holding only the default user,
// "on nopass ~* &* +@all", with acl-pubsub-default set to resetchannels
// (the 7.0 default).
func NewUsers(cat *Catalog) *Users {
	r := &Users{cat: cat}
	r.mu.users = map[string]*User{}
	r.def = &User{name: DefaultUserName, cat: cat}
	r.def.state.Store(defaultUserState(cat, false))
	r.mu.users[DefaultUserName] = r.def
	return r
}

// defaultUserState is ACLCreateDefaultUser: a new user plus
// "+@all ~* &* on nopass" (no sanitize-payload flag).
func defaultUserState(cat *Catalog, allChannels bool) *userState {
	st := newUserState(cat, allChannels)
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		st.apply(cat, op, allChannels)
	}
	return st
}

// Catalog returns the catalog the users' rules refer to.
func (r *Users) Catalog() *Catalog { return r.cat }

// SetPubsubDefault sets acl-pubsub-default: allChannels true is
// "allchannels", false "resetchannels". It affects users and selectors
// created afterwards, and "reset".
func (r *Users) SetPubsubDefault(allChannels bool) {
	r.mu.Lock()
	r.mu.allChannels = allChannels
	r.mu.Unlock()
}

// Default returns the default user.
func (r *Users) Default() *User { return r.def }

// Get returns the named user, or nil (ACL GETUSER then replies null).
func (r *Users) Get(name string) *User {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.users[name]
}

// Names returns the user names in Redis's order (byte order), for ACL
// USERS.
func (r *Users) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.namesLocked()
}

func (r *Users) namesLocked() []string {
	names := make([]string, 0, len(r.mu.users))
	for n := range r.mu.users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// List returns ACL LIST: "user <name> <Describe()>" per user, in name
// order.
func (r *Users) List() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := r.namesLocked()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "user " + n + " " + r.mu.users[n].Describe()
	}
	return out
}

// Authenticate checks AUTH/HELLO credentials (ACLCheckUserCredentials): the
// user must exist and be enabled, and the password must match (any
// password for nopass). It returns nil on failure; reply TextWrongPass and
// log ReasonAuth with the given name as username and argv[0] as object.
func (r *Users) Authenticate(name string, pass []byte) *User {
	u := r.Get(name)
	if u == nil || !u.Enabled() || !u.CheckPassword(pass) {
		return nil
	}
	return u
}

// SetRequirePass applies the requirepass setting to the default user
// (ACLUpdateDefaultUserPassword): "resetpass" then ">pass", or "nopass"
// when pass is empty.
func (r *Users) SetRequirePass(pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.def.state.Load().clone()
	st.apply(r.cat, "resetpass", r.mu.allChannels)
	if pass == "" {
		st.apply(r.cat, "nopass", r.mu.allChannels)
	} else {
		st.apply(r.cat, ">"+pass, r.mu.allChannels)
	}
	r.def.state.Store(st)
}

// SetUser is ACL SETUSER: it applies rules (the command's arguments after
// the name, a selector possibly spread over several of them) to the named
// user, creating it if needed, all or nothing. Errors are the reply texts:
// TextUsernameSpaces, the unmatched parenthesis error, or a *RuleError.
//
// When an existing user lost channel permissions, revoked is non-nil: its
// Disconnect method tells which of the user's Pub/Sub clients to close
// (ACLKillPubsubClientsIfNeeded).
func (r *Users) SetUser(name string, rules []string) (u *User, revoked *Revocation, err error) {
	if hasSpaces(name) {
		return nil, nil, &Error{msg: TextUsernameSpaces}
	}
	merged, bad := mergeSelectors(rules)
	if bad >= 0 {
		return nil, nil, replyError("ERR Unmatched parenthesis in acl selector starting at '%s'.", cstr(rules[bad]))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	u = r.mu.users[name]
	var st *userState
	if u != nil {
		st = u.state.Load().clone()
	} else {
		st = newUserState(r.cat, r.mu.allChannels)
	}
	for _, op := range merged {
		if k := st.apply(r.cat, op, r.mu.allChannels); k != 0 {
			return nil, nil, &RuleError{Rule: op, Kind: k}
		}
	}
	if u != nil {
		revoked = revocation(st, u.state.Load())
	} else {
		u = &User{name: name, cat: r.cat}
		r.mu.users[name] = u
	}
	u.state.Store(st)
	return u, revoked, nil
}

// DelUser is ACL DELUSER: it removes the named users that exist and
// returns how many it removed. Naming "default" fails with
// TextDeleteDefault before anything is removed. Removed users are marked
// (User.Removed): close their connections.
func (r *Users) DelUser(names ...string) (int, error) {
	for _, n := range names {
		if cstr(n) == DefaultUserName {
			return 0, &Error{msg: TextDeleteDefault}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	deleted := 0
	for _, n := range names {
		if u := r.mu.users[n]; u != nil {
			delete(r.mu.users, n)
			u.removed.Store(true)
			deleted++
		}
	}
	return deleted, nil
}

// Declaration is a user declared in the server configuration: a name and
// its rules, one rule per element (see SplitArgs).
type Declaration struct {
	Name  string
	Rules []string
}

// DeclareUsers loads users declared in the configuration, as Redis does
// with redis.conf "user" lines at start-up: all or nothing, a user may be
// declared once, and declaring "default" first resets it (so it gains
// "sanitize-payload"). The error (an *Error without "ERR ": Redis prints
// it as a fatal configuration error) names the offending rule:
// "Error in user declaration '<rule>': <reason>" (Redis prints a wrong
// argument there; this prints the rule).
func (r *Users) DeclareUsers(decls []Declaration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	states := make([]*userState, len(decls))
	for i, d := range decls {
		if hasSpaces(d.Name) {
			return &Error{msg: "Spaces not allowed in ACL usernames"}
		}
		if seen[d.Name] {
			return &Error{msg: fmt.Sprintf("Error in user declaration '%s': %s", d.Name, ErrDuplicateUser)}
		}
		seen[d.Name] = true
		merged, bad := mergeSelectors(d.Rules)
		if bad >= 0 {
			return &Error{msg: fmt.Sprintf("Error in user declaration '%s': Unmatched parenthesis in acl selector starting at '%s'", d.Name, cstr(d.Rules[bad]))}
		}
		st := newUserState(r.cat, r.mu.allChannels)
		if d.Name == DefaultUserName {
			st = r.def.state.Load().clone()
			st.apply(r.cat, "reset", r.mu.allChannels)
		}
		for _, op := range merged {
			if k := st.apply(r.cat, op, r.mu.allChannels); k != 0 {
				return &Error{msg: fmt.Sprintf("Error in user declaration '%s': %s", cstr(op), k)}
			}
		}
		states[i] = st
	}
	for i, d := range decls {
		u := r.mu.users[d.Name]
		if u == nil {
			u = &User{name: d.Name, cat: r.cat}
			r.mu.users[d.Name] = u
		}
		u.state.Store(states[i])
	}
	return nil
}

// Revocation lists the channel patterns a user keeps after ACL SETUSER
// took some away.
type Revocation struct {
	upcoming []string
}

// revocation is the first half of ACLKillPubsubClientsIfNeeded: nil when
// the new state keeps every channel the old one allowed.
func revocation(next, prev *userState) *Revocation {
	var upcoming []string
	for _, s := range next.selectors {
		if s.allChannels {
			return nil
		}
		upcoming = append(upcoming, s.channels...)
	}
	for _, s := range prev.selectors {
		if s.allChannels {
			// Losing allchannels is losing channels (fixed in 7.0.12).
			return &Revocation{upcoming: upcoming}
		}
		for _, c := range s.channels {
			kept := false
			for _, n := range upcoming {
				if n == c {
					kept = true
					break
				}
			}
			if !kept {
				return &Revocation{upcoming: upcoming}
			}
		}
	}
	return nil
}

// Disconnect reports whether a Pub/Sub client of the user must be closed:
// one of its channels (channels and shard channels) is no longer matched
// by a remaining pattern, or one of its PSUBSCRIBE patterns is no longer
// listed literally. A nil Revocation disconnects nobody.
func (v *Revocation) Disconnect(channels, patterns [][]byte) bool {
	if v == nil {
		return false
	}
	for _, p := range patterns {
		if !channelAllowed(v.upcoming, p, true) {
			return true
		}
	}
	for _, c := range channels {
		if !channelAllowed(v.upcoming, c, false) {
			return true
		}
	}
	return false
}

// String is for debugging.
func (v *Revocation) String() string {
	if v == nil {
		return "<nil>"
	}
	return "keep " + strings.Join(v.upcoming, " ")
}
