package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRedisSuite runs units of Redis 7.0.15's own test suite (its
// tests/test_helper.tcl) against the binary: the reference the brief
// names for every command, reply and error text, checked by the tests
// Redis checks itself with. The suite starts its servers itself, as it
// does Redis's, with the test's settings in a redis.conf: suiteShim (its
// src/redis-server) hands them to Redoubt, so the tests that need their
// own server or settings (tagged external:skip) run too.
// testdata/redis-suite.txt lists the units and the tests left out, each
// group with its reason.
//
// The suite comes from Debian's source package of redis (the same
// release as the redis-server the interop tests run), fetched once into
// the user's cache directory and checked against its SHA-256, or from
// REDOUBT_REDIS_SUITE (a redis source tree). It needs tclsh. Without
// either the test skips, unless REDOUBT_REQUIRE_REDIS_SUITE is set, as CI
// sets it.
func TestRedisSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers (not in -short)")
	}
	required := os.Getenv("REDOUBT_REQUIRE_REDIS_SUITE") != ""
	unavailable := func(format string, args ...any) {
		t.Helper()
		if required {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (set REDOUBT_REQUIRE_REDIS_SUITE to make this a failure)", args...)
	}
	tclsh, err := exec.LookPath("tclsh")
	if err != nil {
		unavailable("Redis's test suite needs tclsh (Debian: apt-get install tcl)")
	}
	root := os.Getenv("REDOUBT_REDIS_SUITE")
	if root == "" {
		if root, err = fetchRedisSuite(); err != nil {
			unavailable("fetching Redis's test suite: %v", err)
		}
	}
	plan, err := readSuitePlan("testdata/redis-suite.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, unit := range plan.units {
		t.Run(strings.TrimPrefix(unit, "unit/"), func(t *testing.T) {
			runSuiteUnit(t, tclsh, root, unit, plan.skips[unit], plan.debug[unit], plan.unixsocket[unit])
		})
	}
}

const (
	redisSuiteVersion = "7.0.15"
	redisSuiteURL     = "http://deb.debian.org/debian/pool/main/r/redis/redis_" + redisSuiteVersion + ".orig.tar.gz"
	redisSuiteSHA256  = "4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982"
)

// fetchRedisSuite returns the root of a redis source tree in the user's
// cache directory, downloading and unpacking it the first time.
func fetchRedisSuite() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	base := filepath.Join(cache, "redoubt")
	root := filepath.Join(base, "redis-"+redisSuiteVersion)
	if _, err := os.Stat(filepath.Join(root, "tests", "test_helper.tcl")); err == nil {
		return root, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Get(redisSuiteURL)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", redisSuiteURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return "", err
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != redisSuiteSHA256 {
		return "", fmt.Errorf("%s: SHA-256 %x, want %s", redisSuiteURL, sum, redisSuiteSHA256)
	}
	// Unpack next to the final place and rename, so that an interrupted
	// run never leaves a half tree where the next one looks.
	tmp, err := os.MkdirTemp(base, "unpack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := untarGz(body, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "redis-"+redisSuiteVersion), root); err != nil {
		// Another run may have put its tree there first.
		if _, statErr := os.Stat(filepath.Join(root, "tests", "test_helper.tcl")); statErr != nil {
			return "", err
		}
	}
	return root, nil
}

func untarGz(data []byte, dir string) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if name == ".." || strings.HasPrefix(name, "../") || filepath.IsAbs(name) {
			return fmt.Errorf("tar entry %q leaves the tree", h.Name)
		}
		path := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o755|0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

// suitePlan is testdata/redis-suite.txt: the units to run and, per unit,
// the tests to leave out.
type suitePlan struct {
	units []string
	skips map[string][]string
	// debug lists the units run with DEBUG enabled and their needs:debug
	// tests included ("unit NAME with-debug"): those whose DEBUG
	// subcommands Redoubt has.
	debug map[string]bool
	// unixsocket lists the units whose servers listen on the Unix socket
	// the suite gives them ("with-unixsocket"; see suiteUnixSocketEnv).
	unixsocket map[string]bool
}

func readSuitePlan(path string) (*suitePlan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := &suitePlan{skips: map[string][]string{}, debug: map[string]bool{}, unixsocket: map[string]bool{}}
	listed := map[string]bool{}
	reason := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "unit "):
			words := strings.Fields(strings.TrimPrefix(line, "unit "))
			u := words[0]
			for _, opt := range words[1:] {
				switch opt {
				case "with-debug":
					p.debug[u] = true
				case "with-unixsocket":
					p.unixsocket[u] = true
				default:
					return nil, fmt.Errorf("%s:%d: unknown unit option %q", path, n, opt)
				}
			}
			p.units = append(p.units, u)
			listed[u] = true
		case strings.HasPrefix(line, "skip "):
			reason = strings.TrimSpace(strings.TrimPrefix(line, "skip "))
		default:
			unit, test, ok := strings.Cut(line, ": ")
			if !ok || reason == "" || !listed[unit] {
				return nil, fmt.Errorf("%s:%d: want \"UNIT: TEST\" under a skip line, for a listed unit: %q", path, n, line)
			}
			p.skips[unit] = append(p.skips[unit], test)
		}
	}
	return p, sc.Err()
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// runSuiteUnit runs one unit, the suite starting Redoubt for each of its
// servers through suiteShim, and fails on every [err] and [exception] the
// suite reports.
func runSuiteUnit(t *testing.T, tclsh, root, unit string, skips []string, debug, unixsocket bool) {
	dir := t.TempDir()
	if err := suiteTree(root, dir, binPath); err != nil {
		t.Fatal(err)
	}
	skipfile := filepath.Join(dir, "skip.txt")
	if err := os.WriteFile(skipfile, []byte(strings.Join(skips, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"tests/test_helper.tcl",
		"--clients", "1", "--timeout", "300",
		"--ignore-encoding",
		"--skipfile", skipfile, "--single", unit}
	if !debug {
		// DEBUG RELOAD/OBJECT/... are Redis's own internals; the suite
		// tags the tests that need them. (Those tagged needs:repl, which
		// read the replication stream, run.)
		args = append(args, "--tags", "-needs:debug")
	}
	cmd := exec.Command(tclsh, args...)
	cmd.Dir = dir
	if unixsocket {
		cmd.Env = append(os.Environ(), suiteUnixSocketEnv+"=1")
	}
	out, err := cmd.CombinedOutput()
	text := ansiEscape.ReplaceAllString(string(out), "")
	var ok, skipped int
	var failures []string
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "[ok]: "):
			ok++
		case strings.HasPrefix(l, "[skip]: "):
			skipped++
		case strings.HasPrefix(l, "[err]: "), strings.HasPrefix(l, "[exception]: "):
			msg := l
			if i+1 < len(lines) {
				msg += "\n\t" + lines[i+1]
			}
			failures = append(failures, msg)
		}
	}
	t.Logf("%s: %d passed, %d left out by testdata/redis-suite.txt", unit, ok, skipped)
	for _, f := range failures {
		t.Errorf("%s", f)
	}
	if err != nil && len(failures) == 0 {
		t.Errorf("test_helper.tcl: %v\n%s", err, text)
	}
	if ok == 0 && len(failures) == 0 {
		t.Errorf("%s ran no test:\n%s", unit, text)
	}
}
