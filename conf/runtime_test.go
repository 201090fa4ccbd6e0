package conf

import (
	"reflect"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		pattern string
		want    []KV
	}{
		{"port", []KV{{"port", "6379"}}},
		{"PORT", []KV{{"PORT", "6379"}}}, // echoed as written, like Redis
		{"slaveof", []KV{{"slaveof", ""}}},
		{"Slave-Priority", []KV{{"Slave-Priority", "100"}}},
		{"nonexistent", nil},
		{"", nil},
		{`po\rt`, nil}, // no glob character: a literal name
		{"p?rt", []KV{{"port", "6379"}}},
		{"P[o]RT", []KV{{"port", "6379"}}},
		{"proto-max-bulk-len", []KV{{"proto-max-bulk-len", "536870912"}}},
		{"client-query-buffer-limit", []KV{{"client-query-buffer-limit", "1073741824"}}},
		{"client-output-buffer-limit", []KV{{"client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"}}},
		{"save", []KV{{"save", "3600 1 300 100 60 10000"}}},
		{"appendonly", []KV{{"appendonly", "yes"}}},
		{"daemonize", []KV{{"daemonize", "no"}}},
		{"repl-backlog-size", []KV{{"repl-backlog-size", "1048576"}}},
		{"*slave*", []KV{
			{"min-slaves-max-lag", "10"},
			{"min-slaves-to-write", "0"},
			{"repl-ping-slave-period", "10"},
			{"slave-announce-ip", ""},
			{"slave-announce-port", "0"},
			{"slave-priority", "100"},
			{"slave-read-only", "yes"},
			{"slave-serve-stale-data", "yes"},
			{"slaveof", ""},
		}},
		{"*replica*", []KV{
			{"min-replicas-max-lag", "10"},
			{"min-replicas-to-write", "0"},
			{"repl-diskless-sync-max-replicas", "0"},
			{"repl-ping-replica-period", "10"},
			{"replica-announce-ip", ""},
			{"replica-announce-port", "0"},
			{"replica-announced", "yes"},
			{"replica-priority", "100"},
			{"replica-read-only", "yes"},
			{"replica-serve-stale-data", "yes"},
			{"replicaof", ""},
		}},
		{"rdb*", []KV{{"rdbchecksum", "yes"}, {"rdbcompression", "yes"}}},
		{"[^a-z]*", nil},
		{"*-size", []KV{{"block-cache-size", "268435456"}, {"list-max-listpack-size", "-2"}, {"list-max-ziplist-size", "-2"}, {"memtable-size", "67108864"}, {"repl-backlog-size", "1048576"}, {"row-cache-size", "16777216"}, {"value-separation-min-size", "4096"}}},
	} {
		got := c.Get(tc.pattern)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Get(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
	all := c.Get("*")
	if len(all) != len(allNames) {
		t.Errorf("Get(*) has %d entries, want %d (names and aliases)", len(all), len(allNames))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Key >= all[i].Key {
			t.Errorf("Get(*) not sorted: %q before %q", all[i-1].Key, all[i].Key)
		}
	}
}

func TestGetFormatsValues(t *testing.T) {
	c := Default()
	c.Replicaof = ReplicaOf{"10.0.0.1", 6380}
	c.Save = nil
	c.ReplicaReadOnly = false
	c.ClientOutputBufferLimit.Normal = OutputLimit{KB, 1000, 5}
	for name, want := range map[string]string{
		"replicaof":                  "10.0.0.1 6380",
		"slaveof":                    "10.0.0.1 6380",
		"save":                       "",
		"replica-read-only":          "no",
		"slave-read-only":            "no",
		"client-output-buffer-limit": "normal 1024 1000 5 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
	} {
		if got := c.Get(name); len(got) != 1 || got[0].Value != want {
			t.Errorf("Get(%q) = %q, want %q", name, got, want)
		}
	}
}

// setOKCase is a CONFIG SET that succeeds; want applies the same change to
// a Config by hand.
type setOKCase struct {
	name  string
	pairs []KV
	want  func(c *Config)
}

// setOKCases also run, in order, against a real Redis 7.0 (redis_test.go).
var setOKCases = []setOKCase{
	{"int", []KV{{"maxclients", "100"}}, func(c *Config) { c.Maxclients = 100 }},
	{"several", []KV{{"maxclients", "100"}, {"timeout", "5"}, {"appendfsync", "ALWAYS"}}, func(c *Config) {
		c.Maxclients = 100
		c.Timeout = 5
		c.Appendfsync = FsyncAlways
	}},
	{"upper-case name", []KV{{"MAXCLIENTS", "7"}}, func(c *Config) { c.Maxclients = 7 }},
	{"acl settings", []KV{{"acllog-max-len", "7"}, {"acl-pubsub-default", "AllChannels"}}, func(c *Config) {
		c.AcllogMaxLen = 7
		c.AclPubsubDefault = AclAllChannels
	}},
	{"notify all with n and m", []KV{{"notify-keyspace-events", "KEAmn"}}, func(c *Config) {
		c.NotifyKeyspaceEvents = NotifyKeyspace | NotifyKeyevent | NotifyAll | NotifyKeyMiss | NotifyNew
	}},
	{"notify classes", []KV{{"notify-keyspace-events", "nmEK$$lx"}}, func(c *Config) {
		c.NotifyKeyspaceEvents = NotifyNew | NotifyKeyMiss | NotifyKeyevent | NotifyKeyspace | NotifyString | NotifyList | NotifyExpired
	}},
	{"notify every class letter", []KV{{"notify-keyspace-events", "Kg$lshzxetd"}}, func(c *Config) {
		c.NotifyKeyspaceEvents = NotifyKeyspace | NotifyAll
	}},
	{"notify off", []KV{{"notify-keyspace-events", ""}}, func(*Config) {}},
	{"alias", []KV{{"slave-priority", "3"}}, func(c *Config) { c.ReplicaPriority = 3 }},
	{"name and alias are distinct", []KV{{"replica-priority", "1"}, {"slave-priority", "2"}}, func(c *Config) { c.ReplicaPriority = 2 }},
	{"size units", []KV{{"proto-max-bulk-len", "2Mb"}, {"client-query-buffer-limit", "1048576b"}}, func(c *Config) {
		c.ProtoMaxBulkLen = 2 * MB
		c.ClientQueryBufferLimit = MB
	}},
	{"hz clamped", []KV{{"hz", "600"}}, func(c *Config) { c.Hz = 500 }},
	{"hz zero", []KV{{"hz", "0"}}, func(c *Config) { c.Hz = 1 }},
	{"backlog raised", []KV{{"repl-backlog-size", "1"}}, func(c *Config) { c.ReplBacklogSize = 16 * KB }},
	{"save", []KV{{"save", "100 1 200 2"}}, func(c *Config) { c.Save = SavePoints{{100, 1}, {200, 2}} }},
	{"save empty", []KV{{"save", ""}}, func(c *Config) { c.Save = SavePoints{} }},
	{"save strtoll", []KV{{"save", "+5 -0"}}, func(c *Config) { c.Save = SavePoints{{5, 0}} }},
	{"save empty changes", []KV{{"save", "3600 "}}, func(c *Config) { c.Save = SavePoints{{3600, 0}} }},
	{"output limits", []KV{{"client-output-buffer-limit", "NORMAL 1 2 3 Slave 4 5 6"}}, func(c *Config) {
		c.ClientOutputBufferLimit.Normal = OutputLimit{1, 2, 3}
		c.ClientOutputBufferLimit.Replica = OutputLimit{4, 5, 6}
	}},
	{"output limits empty", []KV{{"client-output-buffer-limit", ""}}, func(*Config) {}},
	{"output limits units without digits", []KV{{"client-output-buffer-limit", "normal mb k 0"}}, func(*Config) {}},
	{"appendonly yes", []KV{{"appendonly", "yes"}}, func(*Config) {}},
	{"booleans", []KV{{"replica-read-only", "no"}, {"rdbcompression", "No"}, {"replica-announced", "no"}}, func(c *Config) {
		c.ReplicaReadOnly = false
		c.Rdbcompression = false
		c.ReplicaAnnounced = false
	}},
	{"boolean yes", []KV{{"slave-read-only", "YES"}}, func(c *Config) { c.ReplicaReadOnly = true }},
	{"enums", []KV{{"loglevel", "WARNING"}, {"appendfsync", "no"}}, func(c *Config) {
		c.Loglevel = LogWarning
		c.Appendfsync = FsyncNo
	}},
	{"replication ints", []KV{{"min-slaves-to-write", "2"}, {"min-replicas-max-lag", "3"}, {"repl-timeout", "5"}, {"tcp-keepalive", "0"}}, func(c *Config) {
		c.MinReplicasToWrite = 2
		c.MinReplicasMaxLag = 3
		c.ReplTimeout = 5
		c.TCPKeepalive = 0
	}},
	{"auth to primary", []KV{{"masterauth", "pw"}, {"masteruser", "u"}}, func(c *Config) {
		c.Masterauth = "pw"
		c.Masteruser = "u"
	}},
	{"password", []KV{{"requirepass", "s p a c e"}}, func(c *Config) { c.Requirepass = "s p a c e" }},
	{"shutdown", []KV{{"shutdown-timeout", "0"}, {"shutdown-on-sigterm", "NOW nosave"}, {"shutdown-on-sigint", "default save"}}, func(c *Config) {
		c.ShutdownTimeout = 0
		c.ShutdownOnSigterm = ShutdownFlags{NoSave: true, Now: true}
		c.ShutdownOnSigint = ShutdownFlags{Save: true}
	}},
	{"shutdown flags back to default", []KV{{"shutdown-on-sigterm", "default"}}, func(c *Config) {}},
	{"slowlog", []KV{{"slowlog-log-slower-than", "-1"}, {"slowlog-max-len", "9223372036854775807"}}, func(c *Config) {
		c.SlowlogLogSlowerThan = -1
		c.SlowlogMaxLen = 9223372036854775807
	}},
}

func TestSet(t *testing.T) {
	for _, tc := range setOKCases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			if err := c.Set(tc.pairs); err != nil {
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

const failed = "ERR CONFIG SET failed (possibly related to argument "

// setErrorCase is a CONFIG SET that fails with want. redoubtOnly marks
// where Redoubt differs from Redis 7.0 on purpose.
type setErrorCase struct {
	name        string
	pairs       []KV
	want        string
	redoubtOnly bool
}

// setErrorCases also run against a real Redis 7.0 (redis_test.go), except
// the redoubtOnly ones.
var setErrorCases = []setErrorCase{
	{"unknown", []KV{{"foo", "bar"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'", false},
	{"notify bad class", []KV{{"notify-keyspace-events", "KEq"}}, failed + "'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.", false},
	{"notify lower-case k", []KV{{"notify-keyspace-events", "kE"}}, failed + "'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.", false},
	{"unknown keeps case", []KV{{"FOO", "1"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'FOO'", false},
	{"unknown after good", []KV{{"maxclients", "10"}, {"foo", "1"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'", false},
	{"unknown before immutable", []KV{{"foo", "1"}, {"io-threads", "2"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'", false},
	{"immutable before unknown", []KV{{"io-threads", "2"}, {"foo", "1"}}, failed + "'io-threads') - can't set immutable config", false},
	{"immutable keeps case", []KV{{"IO-THREADS", "2"}}, failed + "'IO-THREADS') - can't set immutable config", false},
	{"immutable port", []KV{{"port", "6380"}}, failed + "'port') - can't set immutable config", true},
	{"immutable databases", []KV{{"databases", "3"}}, failed + "'databases') - can't set immutable config", false},
	{"immutable replicaof", []KV{{"replicaof", "h 1"}}, failed + "'replicaof') - can't set immutable config", false},
	{"immutable slaveof", []KV{{"slaveof", "h 1"}}, failed + "'slaveof') - can't set immutable config", false},
	{"immutable storage", []KV{{"block-cache-size", "1gb"}}, failed + "'block-cache-size') - can't set immutable config", true},
	{"protected dir", []KV{{"dir", "/tmp"}}, failed + "'dir') - can't set protected config", false},
	{"protected dbfilename", []KV{{"dbfilename", "x.rdb"}}, failed + "'dbfilename') - can't set protected config", false},
	{"immutable before bad value", []KV{{"maxclients", "x"}, {"io-threads", "2"}}, failed + "'io-threads') - can't set immutable config", false},
	{"duplicate", []KV{{"maxclients", "10"}, {"maxclients", "11"}}, failed + "'maxclients') - duplicate parameter", false},
	{"duplicate other case", []KV{{"maxclients", "10"}, {"MaxClients", "11"}}, failed + "'MaxClients') - duplicate parameter", false},
	{"not an integer", []KV{{"maxclients", "abc"}}, failed + "'maxclients') - argument couldn't be parsed into an integer", false},
	{"lower-cased name", []KV{{"MAXCLIENTS", "abc"}}, failed + "'maxclients') - argument couldn't be parsed into an integer", false},
	{"alias name", []KV{{"Slave-Priority", "x"}}, failed + "'slave-priority') - argument couldn't be parsed into an integer", false},
	{"plus sign", []KV{{"timeout", "+5"}}, failed + "'timeout') - argument couldn't be parsed into an integer", false},
	{"leading zero", []KV{{"timeout", "05"}}, failed + "'timeout') - argument couldn't be parsed into an integer", false},
	{"minus zero", []KV{{"timeout", "-0"}}, failed + "'timeout') - argument couldn't be parsed into an integer", false},
	{"space", []KV{{"timeout", " 5"}}, failed + "'timeout') - argument couldn't be parsed into an integer", false},
	{"overflow", []KV{{"timeout", "99999999999999999999"}}, failed + "'timeout') - argument couldn't be parsed into an integer", false},
	{"range", []KV{{"maxclients", "-1"}}, failed + "'maxclients') - argument must be between 1 and 4294967295 inclusive", false},
	{"range int", []KV{{"timeout", "2147483648"}}, failed + "'timeout') - argument must be between 0 and 2147483647 inclusive", false},
	{"percentile range", []KV{{"latency-tracking-info-percentiles", "50 101"}}, failed + "'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]", false},
	{"percentile not a number", []KV{{"latency-tracking-info-percentiles", "50 abc"}}, failed + "'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters", false},
	{"shutdown save and nosave", []KV{{"shutdown-on-sigterm", "save nosave"}}, failed + "'shutdown-on-sigterm') - shutdown options SAVE and NOSAVE can't be used simultaneously", false},
	{"shutdown unknown flag", []KV{{"shutdown-on-sigint", "now later"}}, failed + "'shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force", false},
	{"shutdown-timeout negative", []KV{{"shutdown-timeout", "-1"}}, failed + "'shutdown-timeout') - argument must be between 0 and 2147483647 inclusive", false},
	{"range effort", []KV{{"active-expire-effort", "11"}}, failed + "'active-expire-effort') - argument must be between 1 and 10 inclusive", false},
	{"range slowlog", []KV{{"slowlog-log-slower-than", "-5"}}, failed + "'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive", false},
	{"range repl-timeout", []KV{{"repl-timeout", "0"}}, failed + "'repl-timeout') - argument must be between 1 and 2147483647 inclusive", false},
	{"hz negative", []KV{{"hz", "-1"}}, failed + "'hz') - argument must be between 0 and 2147483647 inclusive", false},
	{"size too small", []KV{{"proto-max-bulk-len", "1k"}}, failed + "'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive", false},
	{"size empty", []KV{{"proto-max-bulk-len", ""}}, failed + "'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive", false},
	{"size overflow", []KV{{"proto-max-bulk-len", "9223372036854775808"}}, failed + "'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive", false},
	{"size garbage", []KV{{"proto-max-bulk-len", "10q"}}, failed + "'proto-max-bulk-len') - argument must be a memory value", false},
	{"size negative", []KV{{"client-query-buffer-limit", "-5"}}, failed + "'client-query-buffer-limit') - argument must be a memory value", false},
	{"size plus", []KV{{"proto-max-bulk-len", "+2mb"}}, failed + "'proto-max-bulk-len') - argument must be a memory value", false},
	{"size fraction", []KV{{"proto-max-bulk-len", "1.5mb"}}, failed + "'proto-max-bulk-len') - argument must be a memory value", false},
	{"bool", []KV{{"replica-read-only", "maybe"}}, failed + "'replica-read-only') - argument must be 'yes' or 'no'", false},
	{"bool number", []KV{{"rdbcompression", "1"}}, failed + "'rdbcompression') - argument must be 'yes' or 'no'", false},
	{"enum appendfsync", []KV{{"appendfsync", "sometimes"}}, failed + "'appendfsync') - argument(s) must be one of the following: everysec, always, no", false},
	{"enum loglevel", []KV{{"loglevel", "loud"}}, failed + "'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning", false},
	{"save odd", []KV{{"save", "1 2 3"}}, failed + "'save') - Invalid save parameters", false},
	{"save zero", []KV{{"SAVE", "0 0"}}, failed + "'save') - Invalid save parameters", false},
	{"save trailing space", []KV{{"save", "3600 1 "}}, failed + "'save') - Invalid save parameters", false},
	{"save double space", []KV{{"save", "3600  1"}}, failed + "'save') - Invalid save parameters", false},
	{"limits count", []KV{{"client-output-buffer-limit", "normal 1 2"}}, failed + "'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration.", false},
	{"limits double space", []KV{{"client-output-buffer-limit", "normal  0 0 0"}}, failed + "'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration.", false},
	{"limits class", []KV{{"client-output-buffer-limit", "foo 1 2 3"}}, failed + "'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration.", false},
	{"limits master", []KV{{"client-output-buffer-limit", "master 1 2 3"}}, failed + "'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration.", false},
	{"limits hard", []KV{{"client-output-buffer-limit", "normal a 2 3"}}, failed + "'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration.", false},
	{"limits seconds", []KV{{"client-output-buffer-limit", "normal 1 2 -3"}}, failed + "'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration.", false},
	{"appendonly no", []KV{{"appendonly", "no"}}, failed + "'appendonly') - Redoubt always persists the keyspace to its write-ahead log; appendonly cannot be 'no'", true},
	{"daemonize", []KV{{"daemonize", "no"}}, failed + "'daemonize') - can't set immutable config", false},
	{"immutable aclfile", []KV{{"aclfile", "/tmp/users.acl"}}, failed + "'aclfile') - can't set immutable config", false},
	{"enum acl-pubsub-default", []KV{{"acl-pubsub-default", "some"}}, failed + "'acl-pubsub-default') - argument(s) must be one of the following: allchannels, resetchannels", false},
	{"range acllog-max-len", []KV{{"acllog-max-len", "-1"}}, failed + "'acllog-max-len') - argument must be between 0 and 9223372036854775807 inclusive", false},
	{"user is no parameter", []KV{{"user", "alice on"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'user'", false},
	{"no pairs", nil, "ERR wrong number of arguments for 'config|set' command", true},
}

func TestSetErrors(t *testing.T) {
	for _, tc := range setErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			err := c.Set(tc.pairs)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got  %v\nwant %s", err, tc.want)
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("failed Set changed the config: %+v", c)
			}
		})
	}
}

// A failing pair undoes the pairs before it, including list values that
// are edited in place.
func TestSetAllOrNothing(t *testing.T) {
	c := Default()
	before := c.Clone()
	err := c.Set([]KV{
		{"maxclients", "5"},
		{"save", "10 10"},
		{"client-output-buffer-limit", "pubsub 1 1 1"},
		{"timeout", "-1"},
	})
	if err == nil || !strings.Contains(err.Error(), "'timeout'") {
		t.Fatalf("got %v", err)
	}
	if !reflect.DeepEqual(c, before) {
		t.Errorf("got  %+v\nwant %+v", c, before)
	}
	// A failing second output-limit group leaves the first one alone too.
	if err := c.Set([]KV{{"client-output-buffer-limit", "normal 1 1 1 pubsub x 1 1"}}); err == nil {
		t.Fatal("no error")
	}
	if !reflect.DeepEqual(c, before) {
		t.Errorf("partial output limits applied: %+v", c.ClientOutputBufferLimit)
	}
}

func TestSensitive(t *testing.T) {
	for name, want := range map[string]bool{
		"requirepass": true, "MASTERAUTH": true, "masteruser": true,
		"port": false, "nonexistent": false,
	} {
		if got := Sensitive(name); got != want {
			t.Errorf("Sensitive(%q) = %v", name, got)
		}
	}
}

func TestStringMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, str string
		nocase, want bool
	}{
		{"*", "", false, false}, // Redis 7.0 needs a character to enter its loop
		{"**", "", false, false},
		{"*", "anything", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a*", "abc", false, true},
		{"*c", "abc", false, true},
		{"a*c", "ac", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a[bc]d", "acd", false, true},
		{"a[^bc]d", "acd", false, false},
		{"a[^bc]d", "aed", false, true},
		{"a[b-d]e", "ace", false, true},
		{"a[d-b]e", "ace", false, true}, // reversed range
		{"a[b-d]e", "aee", false, false},
		{"a[B-D]e", "ace", true, true},
		{`a\*c`, "a*c", false, true},
		{`a\*c`, "abc", false, false},
		{`a[\]]c`, "a]c", false, true},
		{"PORT", "port", true, true},
		{"PORT", "port", false, false},
		{"a[bc", "ab", false, true}, // unterminated class, as Redis
		{"a**", "a", false, true},
		{"*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false, false},
		{`trailing\`, `trailing\`, false, true},
	} {
		if got := stringMatch(tc.pattern, tc.str, tc.nocase); got != tc.want {
			t.Errorf("stringMatch(%q, %q, %v) = %v, want %v", tc.pattern, tc.str, tc.nocase, got, tc.want)
		}
	}
}
