package acl

import (
	"strings"
)

// Key pattern permissions (ACL_READ_PERMISSION, ACL_WRITE_PERMISSION).
const (
	permRead  = 1
	permWrite = 2
	permAll   = permRead | permWrite
)

type keyPattern struct {
	pattern string
	perm    uint8
}

// selector is one set of permissions: the root selector of a user or one
// of its "(...)" selectors (aclSelector in acl.c).
type selector struct {
	allKeys     bool
	allChannels bool
	// allowed has one bit per catalog id.
	allowed []uint64
	// future stands for the bits Redis keeps for ids outside the catalog,
	// including the reserved last bit: set by +@all/allcommands, cleared by
	// -@all/nocommands. It is what makes ACL LIST start with "+@all".
	future bool
	// firstArgs lists, per command id whose bit is clear, the first
	// arguments allowed anyway ("+select|0"), in the order added.
	firstArgs map[int][]string
	keys      []keyPattern
	channels  []string
}

func newSelector(cat *Catalog, allChannels bool) *selector {
	return &selector{allowed: make([]uint64, (cat.Len()+63)/64), allChannels: allChannels}
}

func (s *selector) clone() *selector {
	c := *s
	c.allowed = append([]uint64(nil), s.allowed...)
	c.keys = append([]keyPattern(nil), s.keys...)
	c.channels = append([]string(nil), s.channels...)
	if s.firstArgs != nil {
		c.firstArgs = make(map[int][]string, len(s.firstArgs))
		for id, args := range s.firstArgs {
			c.firstArgs[id] = append([]string(nil), args...)
		}
	}
	return &c
}

func (s *selector) bit(id int) bool {
	if id < 0 || id >= len(s.allowed)*64 {
		return s.future
	}
	return s.allowed[id/64]&(1<<(id%64)) != 0
}

func (s *selector) setBit(id int, on bool) {
	if on {
		s.allowed[id/64] |= 1 << (id % 64)
	} else {
		s.allowed[id/64] &^= 1 << (id % 64)
	}
}

// setAll is +@all (on) or -@all: every bit, known or future, and no first
// arguments.
func (s *selector) setAll(on bool) {
	var w uint64
	if on {
		w = ^uint64(0)
	}
	for i := range s.allowed {
		s.allowed[i] = w
	}
	s.future = on
	s.firstArgs = nil
}

// changePerm allows or blocks one command; for a container, all its
// subcommands too (ACLChangeSelectorPerm).
func (s *selector) changePerm(cat *Catalog, id int, on bool) {
	s.setBit(id, on)
	delete(s.firstArgs, id)
	for _, sub := range cat.cmds[id].subs {
		s.setBit(sub, on)
	}
}

// setCategory is +@cat / -@cat: every command in the category, and all
// subcommands of a container in it (ACLSetSelectorCommandBitsForCategory).
func (s *selector) setCategory(cat *Catalog, i int, on bool) {
	for _, id := range cat.byCat[i] {
		s.changePerm(cat, id, on)
	}
}

// countCategory counts the commands of a category whose bit is set (on)
// and clear (off).
func (s *selector) countCategory(cat *Catalog, i int) (on, off int) {
	for _, id := range cat.byCat[i] {
		if s.bit(id) {
			on++
		} else {
			off++
		}
	}
	return on, off
}

func (s *selector) addFirstArg(id int, arg string) {
	if s.bit(id) {
		// Redis stores it, but a set bit already allows every first
		// argument and every way to clear the bit also drops the list, so
		// it could never be seen or matter.
		return
	}
	for _, a := range s.firstArgs[id] {
		if equalFoldASCII(a, arg) {
			return
		}
	}
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	s.firstArgs[id] = append(s.firstArgs[id], arg)
}

// apply applies one selector rule (ACLSetSelector). It returns 0 or the
// kind of error Redis reports.
func (s *selector) apply(cat *Catalog, op string) ErrorKind {
	switch {
	case keyword(op, "allkeys") || keyword(op, "~*"):
		s.allKeys = true
		s.keys = nil
	case keyword(op, "resetkeys"):
		s.allKeys = false
		s.keys = nil
	case keyword(op, "allchannels") || keyword(op, "&*"):
		s.allChannels = true
		s.channels = nil
	case keyword(op, "resetchannels"):
		s.allChannels = false
		s.channels = nil
	case keyword(op, "allcommands") || keyword(op, "+@all"):
		s.setAll(true)
	case keyword(op, "nocommands") || keyword(op, "-@all"):
		s.setAll(false)
	case at(op, 0) == '~' || at(op, 0) == '%':
		return s.addKeyPattern(op)
	case at(op, 0) == '&':
		if s.allChannels {
			return ErrChannelAfterAll
		}
		pat := op[1:]
		if hasSpaces(pat) {
			return ErrSyntax
		}
		found := false
		for _, c := range s.channels {
			if c == pat {
				found = true
				break
			}
		}
		if !found {
			s.channels = append(s.channels, pat)
		}
		s.allChannels = false
	case at(op, 0) == '+' && at(op, 1) != '@':
		return s.allowCommand(cat, cstr(op)[1:])
	case at(op, 0) == '-' && at(op, 1) != '@':
		id, ok := cat.lookup(cstr(op)[1:])
		if !ok {
			return ErrUnknownCommand
		}
		s.changePerm(cat, id, false)
	case at(op, 0) == '+' || at(op, 0) == '-':
		i, ok := categoryIndex(cstr(op)[2:])
		if !ok {
			return ErrUnknownCommand
		}
		s.setCategory(cat, i, op[0] == '+')
	default:
		return ErrSyntax
	}
	return 0
}

// addKeyPattern handles "~pat" and "%R~pat", "%W~pat", "%RW~pat".
func (s *selector) addKeyPattern(op string) ErrorKind {
	if s.allKeys {
		return ErrKeyAfterAll
	}
	var perm uint8
	offset := 1
	if op[0] == '%' {
	flags:
		for ; offset < len(op); offset++ {
			switch c := op[offset]; {
			case toUpper(c) == 'R' && perm&permRead == 0:
				perm |= permRead
			case toUpper(c) == 'W' && perm&permWrite == 0:
				perm |= permWrite
			case c == '~':
				offset++
				break flags
			default:
				return ErrSyntax
			}
		}
		if perm == 0 {
			return ErrSyntax
		}
	} else {
		perm = permAll
	}
	pat := op[offset:]
	if hasSpaces(pat) {
		return ErrSyntax
	}
	found := false
	for i := range s.keys {
		if s.keys[i].pattern == pat {
			s.keys[i].perm |= perm
			found = true
			break
		}
	}
	if !found {
		s.keys = append(s.keys, keyPattern{pattern: pat, perm: perm})
	}
	s.allKeys = false
	return 0
}

// allowCommand handles "+cmd", "+container|sub" and "+cmd|firstarg".
func (s *selector) allowCommand(cat *Catalog, name string) ErrorKind {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		id, ok := cat.lookup(name)
		if !ok {
			return ErrUnknownCommand
		}
		s.changePerm(cat, id, true)
		return 0
	}
	base, arg := name[:i], name[i+1:]
	id, ok := cat.lookup(base)
	if !ok {
		return ErrUnknownCommand
	}
	if cat.cmds[id].parent >= 0 {
		return ErrFirstArgOfSub
	}
	if arg == "" {
		return ErrSyntax
	}
	if len(cat.cmds[id].subs) > 0 {
		sub, ok := cat.lookup(name)
		if !ok {
			return ErrUnknownCommand
		}
		s.changePerm(cat, sub, true)
		return 0
	}
	s.addFirstArg(id, arg)
	return 0
}
