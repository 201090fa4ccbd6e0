package conf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// writeConfig writes text to dir/redoubt.toml and returns the path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "redoubt.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadGood(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want func(c *Config)
	}{
		{"empty", "", func(*Config) {}},
		{"comments only", "# nothing\n\n", func(*Config) {}},
		{"ints and strings", "port = 6380\nbind = \"0.0.0.0 ::1\"\nrequirepass = 'pw'\n", func(c *Config) {
			c.Port = 6380
			c.Bind = "0.0.0.0 ::1"
			c.Requirepass = "pw"
		}},
		{"sizes", "proto-max-bulk-len = \"2MB\"\nclient-query-buffer-limit = 2097152\nrepl-backlog-size = \"64k\"\n", func(c *Config) {
			c.ProtoMaxBulkLen = 2 * MB
			c.ClientQueryBufferLimit = 2 * MB
			c.ReplBacklogSize = 64000
		}},
		{"booleans both ways", "replica-read-only = false\nrdbcompression = \"no\"\nreplica-announced = \"YES\"\n", func(c *Config) {
			c.ReplicaReadOnly = false
			c.Rdbcompression = false
			c.ReplicaAnnounced = true
		}},
		{"enums any case", "appendfsync = \"ALWAYS\"\nloglevel = \"Warning\"\n", func(c *Config) {
			c.Appendfsync = FsyncAlways
			c.Loglevel = LogWarning
		}},
		{"save", "save = \"900 1  300 10\"\n", func(c *Config) { c.Save = SavePoints{{900, 1}, {300, 10}} }},
		{"save disabled", "save = \"\"\n", func(c *Config) { c.Save = SavePoints{} }},
		{"partial output limits", "client-output-buffer-limit = \"slave 1mb 512kb 10\"\n", func(c *Config) {
			c.ClientOutputBufferLimit.Replica = OutputLimit{MB, 512 * KB, 10}
		}},
		{"replicaof", "replicaof = \"10.0.0.1 6380\"\n", func(c *Config) { c.Replicaof = ReplicaOf{"10.0.0.1", 6380} }},
		{"replicaof no one", "replicaof = \"no one\"\n", func(*Config) {}},
		{"aliases", "slaveof = \"h 1\"\nslave-priority = 5\nslave-read-only = false\nmin-slaves-to-write = 2\nmin-slaves-max-lag = 3\n", func(c *Config) {
			c.Replicaof = ReplicaOf{"h", 1}
			c.ReplicaPriority = 5
			c.ReplicaReadOnly = false
			c.MinReplicasToWrite = 2
			c.MinReplicasMaxLag = 3
		}},
		{"hz clamped like Redis", "hz = 1000\n", func(c *Config) { c.Hz = 500 }},
		{"hz zero clamped", "hz = 0\n", func(c *Config) { c.Hz = 1 }},
		{"small backlog raised", "repl-backlog-size = 1\n", func(c *Config) { c.ReplBacklogSize = 16 * KB }},
		{"quoted key", "\"port\" = 7000\n", func(c *Config) { c.Port = 7000 }},
		{"slowlog off", "slowlog-log-slower-than = -1\n", func(c *Config) { c.SlowlogLogSlowerThan = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text)
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tc.want(want)
			want.path = path
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if got.Path() != path {
				t.Errorf("Path() = %q, want %q", got.Path(), path)
			}
		})
	}
}

func TestLoadBad(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want string // error text after "<path>"
	}{
		{"unknown key", "port = 1\n\n# comment\nprot = 2\n", `:4: unknown key "prot"`},
		{"unknown table", "port = 1\n[server]\nport = 2\n", `:2: unknown key "server"`},
		{"upper case is unknown", "PORT = 1\n", `:1: unknown key "PORT"`},
		{"out of range", "# c\nport = 65536\n", `:2: key "port": must be between 0 and 65535`},
		{"negative", "maxclients = 0\n", `:1: key "maxclients": must be between 1 and 4294967295`},
		{"size too small", "proto-max-bulk-len = \"1k\"\n", `:1: key "proto-max-bulk-len": must be at least 1mb`},
		{"size too large", "memtable-size = \"4gb\"\n", `:1: key "memtable-size": must be between 1mb and 4294967294`},
		{"bad size", "repl-backlog-size = \"1q\"\n", `:1: key "repl-backlog-size": "1q" is not a size (bytes, or a number with k, kb, m, mb, g or gb)`},
		{"size overflow", "block-cache-size = \"9999999999999gb\"\n", `:1: key "block-cache-size": size "9999999999999gb" is too large`},
		{"int as string", "port = \"6379\"\n", `:1: key "port": must be an integer, not a string`},
		{"int as float", "timeout = 1.5\n", `:1: key "timeout": must be an integer, not a float`},
		{"string as int", "requirepass = 1234\n", `:1: key "requirepass": must be a string, not an integer`},
		{"bool as int", "rdbchecksum = 1\n", `:1: key "rdbchecksum": must be true or false (or "yes" or "no"), not an integer`},
		{"bool bad word", "rdbchecksum = \"maybe\"\n", `:1: key "rdbchecksum": "maybe" is not yes or no`},
		{"size as bool", "memtable-size = true\n", `:1: key "memtable-size": must be a size (bytes, or a string like "512mb"), not a boolean`},
		{"array", "save = [\"900 1\"]\n", `:1: key "save": must be a string, not an array`},
		{"dotted", "port.x = 1\n", `:1: key "port": must be an integer, not a table`},
		{"date", "dir = 1979-05-27\n", `:1: key "dir": must be a string, not a date or time`},
		{"enum", "appendfsync = \"sometimes\"\n", `:1: key "appendfsync": "sometimes" is not one of everysec, always, no`},
		{"appendonly no", "appendonly = false\n", `:1: key "appendonly": Redoubt always persists the keyspace to its write-ahead log; appendonly cannot be 'no'`},
		{"daemonize yes", "daemonize = \"yes\"\n", `:1: key "daemonize": Redoubt does not daemonize; run it in the foreground under a service manager`},
		{"save odd", "save = \"900\"\n", `:1: key "save": invalid save parameters: want pairs of <seconds> <changes>, seconds >= 1, changes >= 0`},
		{"save zero seconds", "save = \"0 1\"\n", `:1: key "save": invalid save parameters`},
		{"output limit class", "client-output-buffer-limit = \"master 1 1 1\"\n", `:1: key "client-output-buffer-limit": Invalid client class specified in buffer limit configuration.`},
		{"replicaof port", "replicaof = \"h 70000\"\n", `:1: key "replicaof": invalid master port: want 0..65535`},
		{"replicaof words", "replicaof = \"h\"\n", `:1: key "replicaof": want "<host> <port>", "no one" or ""`},
		{"dbfilename path", "dbfilename = \"a/dump.rdb\"\n", `:1: key "dbfilename": dbfilename can't be a path, just a filename`},
		{"empty dir", "dir = \"\"\n", `:1: key "dir": must not be empty`},
		{"databases", "databases = 65537\n", `:1: key "databases": must be between 1 and 65536`},
		{"too many binds", "bind = \"" + strings.Repeat("1.1.1.1 ", 17) + "\"\n", `:1: key "bind": Too many bind addresses specified.`},
		{"name and alias", "replicaof = \"h 1\"\nslaveof = \"h 2\"\n", `:2: key "slaveof": sets the same parameter as "replicaof"`},
		{"syntax error", "port = 1\nbind = \"x\ntimeout = 3\n", `: toml: error: `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text)
			c, err := Load(path)
			if err == nil {
				t.Fatalf("loaded %+v, want error", c)
			}
			if !strings.HasPrefix(err.Error(), path+tc.want) {
				t.Errorf("error\n%s\nwant prefix\n%s", err, path+tc.want)
			}
		})
	}
}

// A syntax error shows BurntSushi's position and caret, after the file name.
func TestLoadSyntaxErrorPosition(t *testing.T) {
	path := writeConfig(t, "port = 1\nbind = \"x\ntimeout = 3\n")
	_, err := Load(path)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{path + ": toml: error:", "At line 2, column", "bind = \"x"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// unixsocketperm is octal digits in a string: an integer is refused, since
// TOML would read 700 as decimal.
func TestLoadUnixSocketPerm(t *testing.T) {
	c, err := Load(writeConfig(t, "unixsocket = \"/tmp/r.sock\"\nunixsocketperm = \"750\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Unixsocket != "/tmp/r.sock" || c.Unixsocketperm != 0o750 {
		t.Errorf("unixsocket %q unixsocketperm %o", c.Unixsocket, c.Unixsocketperm)
	}
	path := writeConfig(t, "unixsocketperm = 700\n")
	_, err = Load(path)
	want := path + `:1: key "unixsocketperm": must be octal digits in a string (like "700"), not an integer`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// rename-command is a table, command = "new name"; its errors name the
// table's line.
func TestLoadRenameCommand(t *testing.T) {
	c, err := Load(writeConfig(t, "port = 1\n\n[rename-command]\nflushall = \"\"\nCONFIG = \"cfg\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []CommandRename{{"CONFIG", "cfg"}, {"flushall", ""}}; !reflect.DeepEqual(c.RenameCommand, want) {
		t.Errorf("RenameCommand %v, want %v", c.RenameCommand, want)
	}
	path := writeConfig(t, "port = 1\n[rename-command]\nflushall = 0\n")
	_, err = Load(path)
	want := path + `:2: key "rename-command": flushall: must be a string (the new name, or "" to remove the command), not an integer`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if got := c.RenameError(1, errors.New("boom")).Error(); !strings.HasSuffix(got, `:3: key "rename-command": boom`) {
		t.Errorf("RenameError: %q", got)
	}
}

// Every bad key is reported, in file order.
func TestLoadReportsAllErrors(t *testing.T) {
	path := writeConfig(t, "zzz = 1\nport = -1\nhz = \"x\"\n")
	_, err := Load(path)
	if err == nil {
		t.Fatal("no error")
	}
	want := path + `:1: unknown key "zzz"` + "\n" +
		path + `:2: key "port": must be between 0 and 65535` + "\n" +
		path + `:3: key "hz": must be an integer, not a string`
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if !os.IsNotExist(err) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}

// The example file at the repository root must hold every parameter with
// its default value, except the keys it sets on purpose.
func TestExampleFile(t *testing.T) {
	const path = "../redoubt.toml"
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Dir = "/var/lib/redoubt" // an example of a production path
	want.path = c.path
	if !reflect.DeepEqual(c, want) {
		for _, p := range params {
			if p.get(c) != p.get(want) {
				t.Errorf("%s = %q in the example, default %q", p.name, p.get(c), p.get(want))
			}
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := scanTOML(string(src))
	for _, p := range params {
		if doc.line(p.name) == 0 {
			t.Errorf("parameter %s is missing from %s", p.name, path)
		}
		for _, a := range p.aliases {
			if doc.line(a) != 0 {
				t.Errorf("%s uses the alias %s; use %s", path, a, p.name)
			}
		}
	}
}

// The struct's toml tags and the table agree: encoding a Config with
// BurntSushi and loading the result gives the same Config, and every table
// name is a tag.
func TestTagsMatchTable(t *testing.T) {
	c := Default()
	c.Replicaof = ReplicaOf{"10.0.0.1", 6380}
	c.ClientOutputBufferLimit.Normal = OutputLimit{1000, 10, 1}
	c.ProtoMaxBulkLen = 3*MB + 1
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		t.Fatal(err)
	}
	got := Default()
	if err := got.loadTOML("encoded", buf.String()); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip through toml.Encode:\n%s\ngot  %+v\nwant %+v", buf.String(), got, c)
	}
	tags := map[string]bool{}
	rt := reflect.TypeOf(Config{})
	for i := 0; i < rt.NumField(); i++ {
		if tag := rt.Field(i).Tag.Get("toml"); tag != "" {
			tags[tag] = true
		}
	}
	for _, p := range params {
		if !tags[p.name] {
			t.Errorf("no struct field is tagged %q", p.name)
		}
		delete(tags, p.name)
	}
	delete(tags, userKey) // declared users: a key, not a parameter
	delete(tags, "-")     // RenameCommand: a table of its own, not a parameter
	for tag := range tags {
		t.Errorf("field tagged %q has no parameter", tag)
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"port", func(c *Config) { c.Port = 70000 }, `key "port": must be between 0 and 65535`},
		{"hz", func(c *Config) { c.Hz = 0 }, `key "hz": must be between 1 and 500`},
		{"backlog", func(c *Config) { c.ReplBacklogSize = 10 }, `key "repl-backlog-size": must be at least 16kb`},
		{"enum", func(c *Config) { c.Appendfsync = "ALWAYS" }, `key "appendfsync": "ALWAYS" is not one of everysec, always, no`},
		{"save", func(c *Config) { c.Save = SavePoints{{0, 1}} }, `key "save": invalid save parameters`},
		{"limits", func(c *Config) { c.ClientOutputBufferLimit.Pubsub.Soft = -1 }, `key "client-output-buffer-limit": Error in hard, soft`},
		{"replicaof", func(c *Config) { c.Replicaof = ReplicaOf{"h", -1} }, `key "replicaof": invalid master port`},
		{"appendonly", func(c *Config) { c.Appendonly = false }, `key "appendonly": Redoubt always persists`},
		{"two", func(c *Config) { c.Port = -1; c.Databases = 0 }, "key \"port\": must be between 0 and 65535\nkey \"databases\": must be between 1 and 65536"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(c)
			err := c.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %v, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestClone(t *testing.T) {
	c := Default()
	d := c.Clone()
	d.Save[0].Seconds = 1
	d.Port = 1
	if c.Save[0].Seconds != 3600 || c.Port != 6379 {
		t.Errorf("Clone shares state: %+v", c)
	}
	var empty Config
	if e := empty.Clone(); e.Save != nil {
		t.Errorf("Clone of nil save = %#v", e.Save)
	}
}

func TestBindAddrs(t *testing.T) {
	c := Default()
	if got := c.BindAddrs(); !reflect.DeepEqual(got, []string{"127.0.0.1"}) {
		t.Errorf("default: %q", got)
	}
	c.Bind = ""
	if got := c.BindAddrs(); !reflect.DeepEqual(got, []string{"*", "-::*"}) {
		t.Errorf("empty: %q", got)
	}
}
