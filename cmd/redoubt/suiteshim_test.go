package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/daemon/acl"
)

// Redis's test suite starts its servers itself, as `src/redis-server
// CONFIG [ARGS...]`, with a redis.conf made of tests/assets/default.conf
// and the test's overrides, and waits for " PID: <pid>" and then "Ready to
// accept" on the server's standard output. suiteShim is that
// src/redis-server for Redoubt: the test binary, started again with
// suiteShimEnv naming the redoubt binary, turns the file's lines into
// Redoubt's Redis-style flags and becomes `redoubt server` (exec, so the
// suite's pid is the server's).
const suiteShimEnv = "REDOUBT_SUITE_SHIM"

// suiteShimDropped are redis.conf lines Redoubt reads but whose value it
// cannot take: it always persists every write (appendonly yes).
var suiteShimDropped = map[string]bool{"appendonly no": true}

// suiteUnixSocketEnv, set for the units marked with-unixsocket in
// testdata/redis-suite.txt, lets the shim pass on the unixsocket line the
// suite writes for every server; the other units' servers leave it out
// (see that file for why).
const suiteUnixSocketEnv = "REDOUBT_SUITE_UNIXSOCKET"

// suiteShim execs the redoubt binary named by suiteShimEnv with the
// flags the redis.conf in args[0] stands for, then the other arguments
// (all of them when the first is an option, as redis-server takes them).
// It returns only on failure, with the exit code.
func suiteShim(args []string) int {
	bin := os.Getenv(suiteShimEnv)
	var flags []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		// As redis-server: a first argument that is not an option is
		// the config file.
		var dropped []string
		var err error
		if flags, dropped, err = redisConfFlags(args[0]); err != nil {
			fmt.Fprintf(os.Stderr, "suite shim: %v\n", err)
			return 1
		}
		for _, l := range dropped {
			fmt.Fprintf(os.Stderr, "suite shim: left out %q: Redoubt has no such setting, or cannot take this value\n", l)
		}
		args = args[1:]
	}
	argv := append(append([]string{"redoubt", "server"}, flags...), args...)
	env := make([]string, 0, len(os.Environ()))
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, suiteShimEnv+"=") {
			env = append(env, e)
		}
	}
	// What the suite waits for before it looks for "Ready to accept"; exec
	// keeps the pid.
	fmt.Printf(" PID: %d\n", os.Getpid())
	err := syscall.Exec(bin, argv, env)
	fmt.Fprintf(os.Stderr, "suite shim: exec %s: %v\n", bin, err)
	return 1
}

// redisConfFlags reads a redis.conf into `--key word...` flags for the
// keys Redoubt knows, and returns the lines it left out.
func redisConfFlags(path string) (flags, dropped []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		words, err := acl.SplitArgs(line)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		key := strings.ToLower(words[0])
		if key == "unixsocket" && os.Getenv(suiteUnixSocketEnv) == "" ||
			!conf.Known(key) || suiteShimDropped[key+" "+strings.Join(words[1:], " ")] {
			dropped = append(dropped, line)
			continue
		}
		flags = append(flags, "--"+key)
		if len(words) == 1 {
			words = append(words, "")
		}
		flags = append(flags, words[1:]...)
	}
	return flags, dropped, sc.Err()
}

// suiteTree makes a directory the suite can run in, with Redoubt as its
// servers: tests/ is root's (linked), src/redis-server the shim, and
// src/redis-cli and the other tools Debian's.
func suiteTree(root, dir, redoubt string) error {
	if err := os.Symlink(filepath.Join(root, "tests"), filepath.Join(dir, "tests")); err != nil {
		return err
	}
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	script := "#!/bin/sh\n" + suiteShimEnv + "=" + shellQuote(redoubt) + " exec " + shellQuote(self) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(src, "redis-server"), []byte(script), 0o755); err != nil {
		return err
	}
	for _, tool := range []string{"redis-cli", "redis-benchmark", "redis-check-aof", "redis-check-rdb"} {
		if p, err := exec.LookPath(tool); err == nil {
			if err := os.Symlink(p, filepath.Join(src, tool)); err != nil {
				return err
			}
		}
	}
	return nil
}

// shellQuote quotes s as one sh word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// The shim keeps what Redoubt knows, drops the rest, and passes the suite's
// unixsocket only to the units that ask for it.
func TestRedisConfFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redis.conf")
	conf := "port 7000\nappendonly no\nunixsocket /tmp/x/socket\nnosuchkey 1\nsave \"\"\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env            string
		flags, dropped string
	}{
		{"", `--port 7000 --save ""`, `appendonly no|unixsocket /tmp/x/socket|nosuchkey 1`},
		{"1", `--port 7000 --unixsocket /tmp/x/socket --save ""`, `appendonly no|nosuchkey 1`},
	} {
		t.Setenv(suiteUnixSocketEnv, tc.env)
		flags, dropped, err := redisConfFlags(path)
		if err != nil {
			t.Fatal(err)
		}
		quoted := make([]string, len(flags))
		for i, f := range flags {
			quoted[i] = f
			if f == "" {
				quoted[i] = `""`
			}
		}
		if got := strings.Join(quoted, " "); got != tc.flags {
			t.Errorf("%s=%q: flags %s, want %s", suiteUnixSocketEnv, tc.env, got, tc.flags)
		}
		if got := strings.Join(dropped, "|"); got != tc.dropped {
			t.Errorf("%s=%q: left out %s, want %s", suiteUnixSocketEnv, tc.env, got, tc.dropped)
		}
	}
}
