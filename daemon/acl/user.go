package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"sync/atomic"
)

// User is one ACL user. The *User handle stays the same for the user's
// whole life, so connections can keep it: ACL SETUSER replaces its
// permissions in place (every connection sees the change at its next
// command, as in Redis), ACL DELUSER and ACL LOAD mark it Removed. Methods
// are safe for concurrent use; each check reads one consistent snapshot.
type User struct {
	name    string
	cat     *Catalog
	state   atomic.Pointer[userState]
	removed atomic.Bool
}

// userState is an immutable snapshot of a user's flags and permissions.
type userState struct {
	enabled bool
	nopass  bool
	// sanitize is 0 (neither flag), sanitizePayload or skipSanitize.
	sanitize  uint8
	passwords []string // SHA-256 hex, in the order added
	selectors []*selector
}

const (
	sanitizePayload = 1
	skipSanitize    = 2
)

func newUserState(cat *Catalog, allChannels bool) *userState {
	return &userState{selectors: []*selector{newSelector(cat, allChannels)}}
}

func (st *userState) clone() *userState {
	c := *st
	c.passwords = append([]string(nil), st.passwords...)
	c.selectors = make([]*selector, len(st.selectors))
	for i, s := range st.selectors {
		c.selectors[i] = s.clone()
	}
	return &c
}

// Name is the user's name.
func (u *User) Name() string { return u.name }

// Enabled reports the "on" flag: only enabled users can authenticate.
func (u *User) Enabled() bool { return u.state.Load().enabled }

// NoPass reports the "nopass" flag: any password authenticates.
func (u *User) NoPass() bool { return u.state.Load().nopass }

// SkipSanitizePayload reports "skip-sanitize-payload": RESTORE by this
// user skips deep payload sanitization when sanitize-dump-payload is
// "clients".
func (u *User) SkipSanitizePayload() bool { return u.state.Load().sanitize == skipSanitize }

// Removed reports whether ACL DELUSER or ACL LOAD dropped this user; its
// connections must be closed (Redis frees them).
func (u *User) Removed() bool { return u.removed.Load() }

// CheckPassword reports whether pass authenticates the user (the user
// must also be enabled): always for nopass, else when its SHA-256 is one
// of the user's hashes, compared in constant time.
func (u *User) CheckPassword(pass []byte) bool {
	st := u.state.Load()
	if st.nopass {
		return true
	}
	h := HashPassword(pass)
	ok := 0
	for _, p := range st.passwords {
		ok |= subtle.ConstantTimeCompare([]byte(h), []byte(p))
	}
	return ok == 1
}

// HashPassword is the form passwords are kept in: lower-case SHA-256 hex,
// what "#<hash>" takes and ACL GETUSER shows.
func HashPassword(pass []byte) string {
	sum := sha256.Sum256(pass)
	return hex.EncodeToString(sum[:])
}

// validHash is ACLCheckPasswordHash: 64 lower-case hex digits.
func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < 'a' || c > 'f') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// apply applies one user rule (ACLSetUser) to the snapshot being built.
func (st *userState) apply(cat *Catalog, op string, allChannels bool) ErrorKind {
	if op == "" {
		return 0
	}
	switch {
	case keyword(op, "on"):
		st.enabled = true
	case keyword(op, "off"):
		st.enabled = false
	case keyword(op, "skip-sanitize-payload"):
		st.sanitize = skipSanitize
	case keyword(op, "sanitize-payload"):
		st.sanitize = sanitizePayload
	case keyword(op, "nopass"):
		st.nopass = true
		st.passwords = nil
	case keyword(op, "resetpass"):
		st.nopass = false
		st.passwords = nil
	case op[0] == '>' || op[0] == '#':
		var h string
		if op[0] == '>' {
			h = HashPassword([]byte(op[1:]))
		} else {
			if !validHash(op[1:]) {
				return ErrBadHash
			}
			h = op[1:]
		}
		found := false
		for _, p := range st.passwords {
			if p == h {
				found = true
				break
			}
		}
		if !found {
			st.passwords = append(st.passwords, h)
		}
		st.nopass = false
	case op[0] == '<' || op[0] == '!':
		var h string
		if op[0] == '<' {
			h = HashPassword([]byte(op[1:]))
		} else {
			if !validHash(op[1:]) {
				return ErrBadHash
			}
			h = op[1:]
		}
		i := 0
		for i < len(st.passwords) && st.passwords[i] != h {
			i++
		}
		if i == len(st.passwords) {
			return ErrNoSuchPassword
		}
		st.passwords = append(st.passwords[:i:i], st.passwords[i+1:]...)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(cat, allChannels)
		// An unbalanced quote makes sdssplitargs return nothing: Redis
		// then adds an empty selector rather than failing.
		args, _ := SplitArgs(op[1 : len(op)-1])
		for _, a := range args {
			if k := s.apply(cat, a); k != 0 {
				return k
			}
		}
		st.selectors = append(st.selectors, s)
	case keyword(op, "clearselectors"):
		st.selectors = st.selectors[:1]
	case keyword(op, "reset"):
		st.nopass = false
		st.passwords = nil
		root := st.selectors[0]
		root.allKeys, root.keys = false, nil
		root.allChannels, root.channels = allChannels, nil
		st.enabled = false
		st.sanitize = sanitizePayload
		st.selectors = st.selectors[:1]
		root.setAll(false)
	default:
		return st.selectors[0].apply(cat, op)
	}
	return 0
}

// flagNames are the user flags in ACLUserFlags order, the order ACL LIST and
// ACL GETUSER print them in.
func (st *userState) flagNames() []string {
	var out []string
	if st.enabled {
		out = append(out, "on")
	} else {
		out = append(out, "off")
	}
	if st.nopass {
		out = append(out, "nopass")
	}
	switch st.sanitize {
	case skipSanitize:
		out = append(out, "skip-sanitize-payload")
	case sanitizePayload:
		out = append(out, "sanitize-payload")
	}
	return out
}

// Describe returns the user's rules as ACL LIST shows them after
// "user <name> " (ACLDescribeUser): flags, "#<hash>" per password, the root
// selector's keys, channels and commands, then each selector in
// parentheses. Setting these rules on a new user recreates this one.
func (u *User) Describe() string {
	st := u.state.Load()
	var b strings.Builder
	for _, f := range st.flagNames() {
		b.WriteString(f)
		b.WriteByte(' ')
	}
	for _, p := range st.passwords {
		b.WriteByte('#')
		b.WriteString(p)
		b.WriteByte(' ')
	}
	for i, s := range st.selectors {
		if i == 0 {
			b.WriteString(s.describe(u.cat))
		} else {
			b.WriteString(" (")
			b.WriteString(s.describe(u.cat))
			b.WriteByte(')')
		}
	}
	return b.String()
}

// UserInfo is ACL GETUSER's reply as plain data. Encode it as a map (RESP3)
// or flat array (RESP2) of, in this order: "flags" (a set), "passwords" (an
// array), "commands", "keys", "channels" (bulk strings, the root selector),
// "selectors" (an array of maps of "commands", "keys", "channels").
type UserInfo struct {
	Flags     []string
	Passwords []string
	SelectorInfo
	Selectors []SelectorInfo
}

// SelectorInfo describes one selector in ACL GETUSER.
type SelectorInfo struct {
	Commands string // "-@all +get"
	Keys     string // "~*", or "~a %R~b", or ""
	Channels string // "&*", or "&a &b", or ""
}

// Info returns the user's ACL GETUSER data.
func (u *User) Info() UserInfo {
	st := u.state.Load()
	info := UserInfo{
		Flags:        st.flagNames(),
		Passwords:    append([]string{}, st.passwords...),
		SelectorInfo: st.selectors[0].info(u.cat),
		Selectors:    []SelectorInfo{},
	}
	for _, s := range st.selectors[1:] {
		info.Selectors = append(info.Selectors, s.info(u.cat))
	}
	return info
}

func (s *selector) info(cat *Catalog) SelectorInfo {
	var in SelectorInfo
	in.Commands = s.describeCommands(cat)
	if s.allKeys {
		in.Keys = "~*"
	} else {
		parts := make([]string, len(s.keys))
		for i, k := range s.keys {
			parts[i] = k.String()
		}
		in.Keys = strings.Join(parts, " ")
	}
	if s.allChannels {
		in.Channels = "&*"
	} else {
		parts := make([]string, len(s.channels))
		for i, c := range s.channels {
			parts[i] = "&" + c
		}
		in.Channels = strings.Join(parts, " ")
	}
	return in
}

func (k keyPattern) String() string {
	switch k.perm {
	case permRead:
		return "%R~" + k.pattern
	case permWrite:
		return "%W~" + k.pattern
	}
	return "~" + k.pattern
}

// describe is ACLDescribeSelector: keys, channels, then command rules.
func (s *selector) describe(cat *Catalog) string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String())
			b.WriteByte(' ')
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteByte('&')
			b.WriteString(c)
			b.WriteByte(' ')
		}
	}
	b.WriteString(s.describeCommands(cat))
	return b.String()
}

// describeCommands is ACLDescribeSelectorCommandRules: the shortest-looking
// rule list Redis derives from the permission bits. It starts from +@all
// (if future commands are allowed) or -@all, greedily applies the category
// that best fits the remaining differences, then fixes single commands and
// lists allowed first arguments. Redis walks commands in hash order; the
// catalog's walk order is used here, so only the order of the single
// command rules can differ from a given Redis process.
func (s *selector) describeCommands(cat *Catalog) string {
	var b strings.Builder
	fake := newSelector(cat, false)
	additive := !s.future
	if additive {
		b.WriteString("-@all ")
		fake.setAll(false)
	} else {
		b.WriteString("+@all ")
		fake.setAll(true)
	}
	temp := &selector{allowed: append([]uint64(nil), s.allowed...), future: s.future}
	var applied [numCategories]bool
	for {
		best, mindiff, maxsame := -1, int(^uint(0)>>1), 0
		for j := 0; j < numCategories; j++ {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(cat, j)
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
				best, mindiff, maxsame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(categoryNames[best])
		b.WriteByte(' ')
		fake.setCategory(cat, best, additive)
		temp.setCategory(cat, best, !additive)
		applied[best] = true
	}
	var single func(ids []int)
	single = func(ids []int) {
		for _, id := range ids {
			ub := s.bit(id)
			if ub != fake.bit(id) {
				if ub {
					b.WriteByte('+')
				} else {
					b.WriteByte('-')
				}
				b.WriteString(cat.cmds[id].name)
				b.WriteByte(' ')
				fake.changePerm(cat, id, ub)
			}
			single(cat.cmds[id].subs)
			if !ub {
				for _, a := range s.firstArgs[id] {
					b.WriteByte('+')
					b.WriteString(cat.cmds[id].name)
					b.WriteByte('|')
					b.WriteString(a)
					b.WriteByte(' ')
				}
			}
		}
	}
	single(cat.top)
	return strings.TrimSuffix(b.String(), " ")
}
