package acl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSaveFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.acl")
	r := NewUsers(loadTestCatalog(t))
	err := r.LoadFile(path)
	if err == nil || err.Error() != "ERR Error loading ACLs, opening file '"+path+"': No such file or directory" {
		t.Fatalf("LoadFile(missing) = %v", err)
	}
	var le *LoadError
	if !asLoadError(err, &le) || !strings.HasPrefix(le.Text, "Error loading ACLs") {
		t.Errorf("not a *LoadError: %T", err)
	}
	mustSetUser(t, r, "zed", "on", ">pw", "~a", "&b", "+get", "(+set)")
	mustSetUser(t, r, "Bob", "on")
	if err := r.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	want := "user Bob on resetchannels -@all\n" +
		"user default on nopass ~* &* +@all\n" +
		"user zed on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a resetchannels &b -@all +get (resetchannels -@all +set)\n"
	if string(data) != want {
		t.Errorf("saved:\n%s\nwant:\n%s", data, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
	r2 := NewUsers(loadTestCatalog(t))
	if err := r2.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if got := string(r2.Serialize()); got != want {
		t.Errorf("reloaded:\n%s", got)
	}
	// A directory reads as an empty file, as fopen+fgets do on Linux.
	mustSetUser(t, r2, "x")
	if err := r2.LoadFile(dir); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r2.Names(), ","); got != "default" {
		t.Errorf("after loading a directory: %s", got)
	}
	if err := r.SaveFile(filepath.Join(dir, "no", "such", "dir")); err == nil {
		t.Error("SaveFile into a missing directory succeeded")
	}
}

func asLoadError(err error, target **LoadError) bool {
	le, ok := err.(*LoadError)
	*target = le
	return ok
}

// TestLoadLongLines: Redis reads the file in 1023-byte chunks; a NUL byte
// drops the rest of its chunk only.
func TestLoadLongLines(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	long := "user alice on " + strings.Repeat("~k ", 400) + "+get\n"
	if err := r.Load("f", []byte(long)); err != nil {
		t.Fatal(err)
	}
	if got := r.Get("alice").Describe(); got != "on ~k resetchannels -@all +get" {
		t.Errorf("long line: %s", got)
	}
	// The NUL sits in the second chunk, whose rest (to the end of the line) is
	// dropped: the line ends up "... ~k ~k" without "+get".
	withNul := []byte(long)
	withNul[1100] = 0
	if err := r.Load("f", withNul); err != nil {
		t.Fatal(err)
	}
	if got := r.Get("alice").Describe(); got != "on ~k resetchannels -@all" {
		t.Errorf("line with NUL: %s", got)
	}
}
