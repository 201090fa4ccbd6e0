package acl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/redoubtdb/redoubt/storage/atomicfile"
)

// LoadError is a failed ACL LOAD; nothing was changed. Text is Redis's
// message: every problem found, each "<file>:<line>: ..." and ending with
// "WARNING: ACL errors detected, no change to the previously active ACL
// rules was performed". Error() is the reply, "ERR " + Text; at start-up
// Redis logs "Aborting Redis startup because of ACL errors: " + Text.
type LoadError struct{ Text string }

func (e *LoadError) Error() string { return "ERR " + e.Text }

// LoadFile is ACL LOAD (and the aclfile load at start-up): it reads path
// and calls Load with path as the file name in messages.
func (r *Users) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(pe.Err, syscall.EISDIR) {
			// fopen(dir, "r") succeeds on Linux and fgets reads nothing:
			// Redis loads an empty file.
			data = nil
		} else {
			return &LoadError{Text: fmt.Sprintf("Error loading ACLs, opening file '%s': %s", path, strerror(err))}
		}
	}
	return r.Load(path, data)
}

// strerror renders an os error as C's strerror does ("No such file or
// directory"): Go's errno texts are the same words, in lower case.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// fileLines reads the file as ACLLoadFromFile does: fgets into a 1024-byte
// buffer appended with sdscat, so a NUL byte drops the rest of its
// 1023-byte chunk, then split on "\n".
func fileLines(data []byte) []string {
	var buf bytes.Buffer
	for len(data) > 0 {
		n := bytes.IndexByte(data, '\n') + 1
		if n == 0 || n > 1023 {
			n = min(len(data), 1023)
		}
		chunk := data[:n]
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			chunk = chunk[:i]
		}
		buf.Write(chunk)
		data = data[n:]
	}
	return strings.Split(buf.String(), "\n")
}

// Load is ACL LOAD from file contents: every line is empty (after trimming
// blanks) or "user <name> <rules...>" with rules separated by single spaces
// (no quoting, unlike redis.conf). Comments are errors, since ACL SAVE
// would lose them. All or nothing: on any error the users stay as they
// were and a *LoadError lists the problems with file:line. On success the
// users are replaced: the default user keeps its handle and takes the
// file's "default" line, or "on nopass ~* &* +@all" if the file has none;
// every other previous user is marked Removed (Redis closes their
// connections), even one the file declares again.
func (r *Users) Load(filename string, data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	allCh := r.mu.allChannels
	var errs strings.Builder
	users := map[string]*userState{}
	for i, line := range fileLines(data) {
		lineno := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", filename, lineno)
			continue
		}
		name := argv[1]
		if hasSpaces(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", filename, lineno, name)
			continue
		}
		if users[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, lineno)
			continue
		}
		st := newUserState(r.cat, allCh)
		users[name] = st
		merged, bad := mergeSelectors(argv[2:])
		if bad >= 0 {
			// Redis 7.0.15 crashes on this line (it goes on with a NULL
			// argument array); this is the message it means to give.
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", filename, lineno)
			continue
		}
		syntaxErr := false
		for _, op := range merged {
			op = strings.Trim(op, "\t\r\n")
			k := st.apply(r.cat, op, allCh)
			switch {
			case k == ErrUnknownCommand:
				// Command names are not secret: every one is reported.
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", filename, lineno, cstr(op), k)
			case k != 0 && !syntaxErr:
				// Other rules may hold passwords: only the first error
				// of a line is reported, without the rule.
				fmt.Fprintf(&errs, "%s:%d: %s. ", filename, lineno, k)
				syntaxErr = true
			}
		}
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return &LoadError{Text: errs.String()}
	}

	defState := users[DefaultUserName]
	if defState == nil {
		defState = defaultUserState(r.cat, allCh)
	}
	for name, u := range r.mu.users {
		if name != DefaultUserName {
			u.removed.Store(true)
		}
	}
	r.mu.users = map[string]*User{DefaultUserName: r.def}
	r.def.state.Store(defState)
	for name, st := range users {
		if name == DefaultUserName {
			continue
		}
		u := &User{name: name, cat: r.cat}
		u.state.Store(st)
		r.mu.users[name] = u
	}
	return nil
}

// Serialize is what ACL SAVE writes: one "user <name> <rules>\n" line per
// user, in name order.
func (r *Users) Serialize() []byte {
	var b bytes.Buffer
	for _, line := range r.List() {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// SaveFile is ACL SAVE: it replaces path with Serialize() durably (a
// temporary file next to path, fsynced and renamed over it). On error,
// reply TextSaveFailed and log the error.
func (r *Users) SaveFile(path string) error {
	data := r.Serialize()
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("writing ACL file for ACL SAVE: %w", err)
	}
	return nil
}
