package acl

import (
	"errors"

	"github.com/redoubtdb/redoubt/netio/resp"
)

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
	argv, ok := resp.SplitArgs([]byte(cstr(line)), nil)
	if !ok {
		return nil, errUnbalanced
	}
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = string(a)
	}
	return args, nil
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
