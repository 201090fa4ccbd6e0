package acl

import "errors"

// errUnbalanced is SplitArgs's error for bad quoting.
var errUnbalanced = errors.New("unbalanced quotes")

// SplitArgs splits a line into arguments the way Redis's sdssplitargs does
// for redis.conf lines (and so for "user" directives) and inside a "(...)"
// selector: blanks separate arguments; "double quotes" take \n \r \t \b \a,
// \xHH and \<c> escapes; 'single quotes' take only \'; a closing quote must
// be followed by a blank or the end. The line is read as a C string (it
// ends at a NUL byte). Configuration files can declare users with the same
// grammar: SplitArgs(rules) then Users.DeclareUsers.
func SplitArgs(line string) ([]string, error) {
	line = cstr(line)
	var args []string
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			if args == nil {
				args = []string{}
			}
			return args, nil
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			c := at(line, p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(line, p+1) == 'x' && isHex(at(line, p+2)) && isHex(at(line, p+3)):
					cur = append(cur, unhex(line[p+2])<<4|unhex(line[p+3]))
					p += 3
				case c == '\\' && at(line, p+1) != 0:
					p++
					switch e := line[p]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if n := at(line, p+1); n != 0 && !isSpace(n) {
						return nil, errUnbalanced
					}
					done = true
				case c == 0:
					return nil, errUnbalanced
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && at(line, p+1) == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if n := at(line, p+1); n != 0 && !isSpace(n) {
						return nil, errUnbalanced
					}
					done = true
				case c == 0:
					return nil, errUnbalanced
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		args = append(args, string(cur))
	}
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// mergeSelectors joins a selector spread over several arguments back into
// one ("(+get", "~a)" -> "(+get ~a)"), as ACLMergeSelectorArguments does for
// ACL SETUSER, ACL files and config users. On an unclosed "(" it returns
// the index of the argument that opened it.
func mergeSelectors(args []string) (merged []string, unmatched int) {
	open := -1
	var sel []byte
	for j, op := range args {
		if at(op, 0) == '(' && op[len(op)-1] != ')' {
			sel = append(sel[:0], op...)
			open = j
			continue
		}
		if open >= 0 {
			// sdscatfmt("%s"): later parts are cut at NUL.
			sel = append(sel, ' ')
			sel = append(sel, cstr(op)...)
			if len(op) > 0 && op[len(op)-1] == ')' {
				open = -1
				merged = append(merged, string(sel))
			}
			continue
		}
		merged = append(merged, op)
	}
	if open >= 0 {
		return nil, open
	}
	return merged, -1
}
