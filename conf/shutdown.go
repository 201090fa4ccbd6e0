package conf

import (
	"fmt"
	"strings"
)

// ShutdownFlags is what a shutdown started by a signal does
// (shutdown-on-sigint, shutdown-on-sigterm): SHUTDOWN's modifiers. The zero
// value is Redis's "default": save if save points are configured, and wait
// for lagging replicas.
type ShutdownFlags struct {
	Save   bool // save even without save points
	NoSave bool // never save
	Now    bool // do not wait for lagging replicas
	Force  bool // exit even if saving fails
}

// shutdownFlagNames are the words, in the order Redis prints them.
var shutdownFlagNames = []string{"default", "save", "nosave", "now", "force"}

func (f *ShutdownFlags) flag(word string) *bool {
	switch word {
	case "save":
		return &f.Save
	case "nosave":
		return &f.NoSave
	case "now":
		return &f.Now
	case "force":
		return &f.Force
	}
	return nil
}

// String prints f as CONFIG GET does: "default", or the flags set.
func (f ShutdownFlags) String() string {
	var words []string
	for _, w := range shutdownFlagNames[1:] {
		if *f.flag(w) {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return "default"
	}
	return strings.Join(words, " ")
}

// MarshalText writes the flags as TOML's string form of them.
func (f ShutdownFlags) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// parseShutdownFlags reads any combination of the words, with Redis's
// errors.
func parseShutdownFlags(args []string) (ShutdownFlags, *problem) {
	var f ShutdownFlags
	for _, a := range args {
		w := strings.ToLower(a)
		if w == "default" {
			continue
		}
		p := f.flag(w)
		if p == nil {
			list := strings.Join(shutdownFlagNames, ", ")
			return ShutdownFlags{}, &problem{redis: "argument(s) must be one of the following: " + list,
				plain: fmt.Sprintf("%q is not one of %s", a, list)}
		}
		*p = true
	}
	return f, f.check()
}

func (f ShutdownFlags) check() *problem {
	if f.Save && f.NoSave {
		const msg = "shutdown options SAVE and NOSAVE can't be used simultaneously"
		return &problem{redis: msg, plain: msg}
	}
	return nil
}
