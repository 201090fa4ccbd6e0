package conf

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load. It must not panic, and a file that
// loads must validate, and survive a rewrite of changed values: the
// rewritten text loads back to exactly the changed config. (The rewrite is
// done in memory: fsyncs would slow the fuzzer to a crawl; TestRewrite
// covers the file handling.)
func FuzzLoad(f *testing.F) {
	if example, err := os.ReadFile("../redoubt.toml"); err == nil {
		f.Add(example)
	}
	for _, seed := range []string{
		"",
		userFile,
		"port = 6380\ntimeout = 5 # idle\nrequirepass = 'x'\n",
		"timeout = 1\nrequirepass = \"\"\"\na\"\"\"\"\nsave = \"1 1\"\n",
		"requirepass = '''x'''\r\ntimeout=0\r\n",
		"\"timeout\" = 3\n[t]\nx = [1, \"]\"]\n",
		"timeout = 1\nport.x = 1\n",
		"client-output-buffer-limit = \"slave 1 1 1\"\nsave = \"\"\n",
		"bind = \"a\nb\"\n",
		"save = [\"1 1\"]\n",
		"# only a comment",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.toml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("loaded config does not validate: %v", err)
		}
		want := c.Clone()
		want.Timeout = (c.Timeout + 1) % 1000
		want.Requirepass = c.Requirepass + "\"x\\\n"
		want.ReplicaReadOnly = !c.ReplicaReadOnly
		want.Save = append(want.Save, SavePoint{7, 7})
		want.ClientOutputBufferLimit.Normal.Hard = c.ClientOutputBufferLimit.Normal.Hard + KB
		text, err := want.rewriteTOML(path, string(data))
		if err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		back := Default()
		back.path = want.path
		if err := back.loadTOML(path, text); err != nil {
			t.Fatalf("rewritten file does not load: %v\n%s", err, text)
		}
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("rewritten file loads as\n%+v\nwant\n%+v\n%s", back, want, text)
		}
	})
}
