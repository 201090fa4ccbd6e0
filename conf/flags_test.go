package conf

import (
	"reflect"
	"testing"
)

func TestApplyFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want func(c *Config)
	}{
		{"none", nil, func(*Config) {}},
		{"port", []string{"--port", "6380"}, func(c *Config) { c.Port = 6380 }},
		{"key=value", []string{"--port=6381", "--requirepass=a=b"}, func(c *Config) {
			c.Port = 6381
			c.Requirepass = "a=b"
		}},
		{"case-insensitive names", []string{"--MaxClients", "5"}, func(c *Config) { c.Maxclients = 5 }},
		{"name and value in one argument", []string{"--port 6382", "--requirepass 'a b'", "--loglevel", "verbose"}, func(c *Config) {
			c.Port = 6382
			c.Requirepass = "a b"
			c.Loglevel = "verbose"
		}},
		{"one argument, then more words", []string{"--save 900 1", "300", "10", "--replicaof 127.0.0.1", "6379"}, func(c *Config) {
			c.Save = SavePoints{{900, 1}, {300, 10}}
			c.Replicaof = ReplicaOf{"127.0.0.1", 6379}
		}},
		{"replicaof two words", []string{"--replicaof", "127.0.0.1", "6379"}, func(c *Config) { c.Replicaof = ReplicaOf{"127.0.0.1", 6379} }},
		{"replicaof one word", []string{"--replicaof", "127.0.0.1 6379"}, func(c *Config) { c.Replicaof = ReplicaOf{"127.0.0.1", 6379} }},
		{"alias", []string{"--slaveof", "h", "1", "--slave-priority", "7"}, func(c *Config) {
			c.Replicaof = ReplicaOf{"h", 1}
			c.ReplicaPriority = 7
		}},
		{"save empty", []string{"--save", ""}, func(c *Config) { c.Save = SavePoints{} }},
		{"save alone at the end", []string{"--port", "1", "--save"}, func(c *Config) {
			c.Port = 1
			c.Save = SavePoints{}
		}},
		{"save followed by a flag", []string{"--save", "--port", "2"}, func(c *Config) {
			c.Save = SavePoints{}
			c.Port = 2
		}},
		{"save points add up", []string{"--save", "900", "1", "--save", "300 10"}, func(c *Config) { c.Save = SavePoints{{900, 1}, {300, 10}} }},
		{"save reset then add", []string{"--save", "", "--save", "60 5"}, func(c *Config) { c.Save = SavePoints{{60, 5}} }},
		{"save added then reset", []string{"--save", "900 1", "--save", "300 10", "--save", ""}, func(c *Config) { c.Save = SavePoints{} }},
		{"sizes", []string{"--proto-max-bulk-len", "2mb", "--block-cache-size", "1GB"}, func(c *Config) {
			c.ProtoMaxBulkLen = 2 * MB
			c.BlockCacheSize = GB
		}},
		{"yes no", []string{"--replica-read-only", "no", "--rdbcompression", "NO"}, func(c *Config) {
			c.ReplicaReadOnly = false
			c.Rdbcompression = false
		}},
		{"value starting with dashes", []string{"--requirepass", "--secret"}, func(c *Config) { c.Requirepass = "--secret" }},
		{"immutable keys are fine at start-up", []string{"--databases", "4", "--dir", "/tmp/x", "--io-threads", "2"}, func(c *Config) {
			c.Databases = 4
			c.Dir = "/tmp/x"
			c.IOThreads = 2
		}},
		{"later wins", []string{"--port", "1", "--port", "2"}, func(c *Config) { c.Port = 2 }},
		{"output limits", []string{"--client-output-buffer-limit", "pubsub", "1mb", "0", "0"}, func(c *Config) {
			c.ClientOutputBufferLimit.Pubsub = OutputLimit{MB, 0, 0}
		}},
		{"bind words", []string{"--bind", "127.0.0.1", "::1"}, func(c *Config) { c.Bind = "127.0.0.1 ::1" }},
		{"unix socket, mode in octal", []string{"--unixsocket", "/tmp/r.sock", "--unixsocketperm", "770"}, func(c *Config) {
			c.Unixsocket = "/tmp/r.sock"
			c.Unixsocketperm = 0o770
		}},
		{"octal with a leading zero", []string{"--unixsocketperm", "0700"}, func(c *Config) { c.Unixsocketperm = 0o700 }},
		{"rename-command, repeated, two values or one", []string{"--rename-command", "flushall", "", "--rename-command config cfg", "--port", "2"}, func(c *Config) {
			c.RenameCommand = []CommandRename{{"flushall", ""}, {"config", "cfg"}}
			c.renameOrigin = []origin{{flag: true}, {flag: true}}
			c.Port = 2
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			if err := c.ApplyFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			want := Default()
			tc.want(want)
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got  %+v\nwant %+v", c, want)
			}
		})
	}
}

// Flags override what the file set.
func TestApplyFlagsOverrideFile(t *testing.T) {
	c, err := Load(writeConfig(t, "port = 7000\ntimeout = 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyFlags([]string{"--port", "7001"}); err != nil {
		t.Fatal(err)
	}
	if c.Port != 7001 || c.Timeout != 5 {
		t.Errorf("port %d timeout %d, want 7001 5", c.Port, c.Timeout)
	}
}

func TestApplyFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown", []string{"--prot", "1"}, "unknown flag --prot"},
		{"unknown key=value", []string{"--prot=1"}, "unknown flag --prot"},
		{"unknown in one argument", []string{"--prot 1"}, "unknown flag --prot"},
		{"unbalanced quotes in one argument", []string{"--requirepass 'a"}, `flag "--requirepass 'a": unbalanced quotes`},
		{"range", []string{"--port", "65536"}, "flag --port: must be between 0 and 65535"},
		{"missing value", []string{"--port"}, "flag --port: missing value"},
		{"not an integer", []string{"--port", "--bind"}, `flag --port: "--bind" is not an integer`},
		{"strict integers", []string{"--timeout", "+5"}, `flag --timeout: "+5" is not an integer`},
		{"too many values", []string{"--port", "1", "2"}, "flag --port: wrong number of arguments: want one value, got 2"},
		{"positional", []string{"6380"}, `unexpected argument "6380": flags look like --port 6380`},
		{"bare dashes", []string{"--"}, `unexpected argument "--": flags look like --port 6380`},
		{"bool", []string{"--rdbchecksum", "true"}, `flag --rdbchecksum: "true" is not yes or no`},
		{"enum", []string{"--appendfsync", "sometimes"}, `flag --appendfsync: "sometimes" is not one of everysec, always, no`},
		{"size", []string{"--memtable-size", "64q"}, `flag --memtable-size: "64q" is not a size (bytes, or a number with k, kb, m, mb, g or gb)`},
		{"size range", []string{"--client-query-buffer-limit", "1000"}, "flag --client-query-buffer-limit: must be at least 1mb"},
		{"save", []string{"--save", "900"}, "flag --save: invalid save parameters: want pairs of <seconds> <changes>, seconds >= 1, changes >= 0"},
		{"second save", []string{"--save", "900 1", "--save", "x 1"}, "flag --save: invalid save parameters: want pairs of <seconds> <changes>, seconds >= 1, changes >= 0"},
		{"appendonly", []string{"--appendonly", "no"}, "flag --appendonly: Redoubt always persists the keyspace to its write-ahead log; appendonly cannot be 'no'"},
		{"replicaof", []string{"--replicaof", "h"}, `flag --replicaof: want "<host> <port>", "no one" or ""`},
		{"octal digits only", []string{"--unixsocketperm", "789"}, `flag --unixsocketperm: "789" is not an octal number`},
		{"rename-command alone", []string{"--rename-command", "flushall"}, `flag --rename-command: want the command and its new name ("" to remove it), got 1 values`},
		{"rename-command twice", []string{"--rename-command", "get", "g", "--rename-command", "GET", "h"}, "flag --rename-command: GET is renamed twice"},
		{"rename-command to a subcommand", []string{"--rename-command", "config", "a|b"}, `flag --rename-command: config: "a|b" is not a command name`},
		{"octal range", []string{"--unixsocketperm", "1777"}, "flag --unixsocketperm: argument must be between 0 and 777 inclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			err := c.ApplyFlags(tc.args)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("failed ApplyFlags changed the config: %+v", c)
			}
		})
	}
}
