package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/daemon/acl"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// Behaviour the scenario files under testdata/acl cannot show because it
// varies between runs (client ids and addresses in ACL LOG and CLIENT
// LIST, random passwords) or needs a server configuration (aclfile,
// declared users). Each expectation was checked against Redis 7.0.15.

// logEntry is one ACL LOG entry, decoded.
type logEntry map[string]resp.Value

func aclLog(t *testing.T, c *fakeClient, args ...string) []logEntry {
	t.Helper()
	v := c.reply(t, append([]string{"ACL", "LOG"}, args...)...)
	if v.Kind != resp.Array {
		t.Fatalf("ACL LOG = %v", v)
	}
	var out []logEntry
	for _, e := range v.Elems {
		m := logEntry{}
		if len(e.Elems) != 14 {
			t.Fatalf("entry %v", e)
		}
		for i := 0; i < len(e.Elems); i += 2 {
			m[string(e.Elems[i].Str)] = e.Elems[i+1]
		}
		out = append(out, m)
	}
	return out
}

// summary prints the fields that do not vary: count reason context
// object username, and the client-info fields cmd, user and flags.
func (e logEntry) summary(t *testing.T) string {
	t.Helper()
	info := string(e["client-info"].Str)
	field := func(name string) string {
		m := regexp.MustCompile(`(?:^| )` + name + `=(\S*)`).FindStringSubmatch(info)
		if m == nil {
			t.Fatalf("client-info without %s: %q", name, info)
		}
		return m[1]
	}
	return strings.Join([]string{itoa(e["count"].Int), string(e["reason"].Str), string(e["context"].Str),
		string(e["object"].Str), string(e["username"].Str),
		"cmd=" + field("cmd"), "user=" + field("user"), "flags=" + field("flags")}, " ")
}

func TestACLLog(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	admin, u := h.client(1), h.client(2)
	admin.do(t, "ACL SETUSER lu on >p +@all -get ~k* &ch")
	for _, line := range []string{
		"AUTH lu p", "GET k", "get k", "SET other v", "PUBLISH nochan m",
		"MULTI", "GET k", "AUTH lu bad", "SET k2 v", "EXEC",
		"MULTI", "SET k v", "AUTH lu bad",
	} {
		u.do(t, line)
	}
	// Denied when EXEC runs it: logged in the multi context, as the
	// failed AUTH that EXEC runs.
	admin.do(t, "ACL SETUSER lu -set")
	u.do(t, "EXEC")
	u.do(t, "AUTH nouser bad")
	u.do(t, "HELLO 3 AUTH nouser bad")
	var got []string
	entries := aclLog(t, admin)
	for _, e := range entries {
		got = append(got, e.summary(t))
	}
	want := []string{
		"1 auth toplevel HELLO nouser cmd=hello user=lu flags=N",
		"1 auth toplevel AUTH nouser cmd=auth user=lu flags=N",
		"1 auth multi AUTH lu cmd=exec user=lu flags=x",
		"1 command multi set lu cmd=exec user=lu flags=x",
		"1 command multi get lu cmd=get user=lu flags=x",
		"1 channel toplevel nochan lu cmd=publish user=lu flags=N",
		"1 key toplevel other lu cmd=set user=lu flags=N",
		"2 command toplevel get lu cmd=get user=lu flags=N",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ACL LOG:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v := entries[0]["age-seconds"]; v.Kind != resp.BulkString || string(v.Str) != "0" {
		t.Errorf("age-seconds = %v (the fake clock stands still)", v)
	}
	h.clock += 1500
	if v := aclLog(t, admin, "1")[0]["age-seconds"]; string(v.Str) != "1.5" {
		t.Errorf("age-seconds after 1.5s = %v", v)
	}
	// Count, negative count, bad count, RESP3 maps and doubles.
	if n := len(aclLog(t, admin, "3")); n != 3 {
		t.Errorf("ACL LOG 3: %d entries", n)
	}
	if n := len(aclLog(t, admin, "-1")); n != 0 {
		t.Errorf("ACL LOG -1: %d entries", n)
	}
	if got := admin.do(t, "ACL LOG x"); got[0] != "(error) ERR value is not an integer or out of range" {
		t.Errorf("ACL LOG x = %v", got)
	}
	if got := admin.do(t, "ACL LOG 1 2"); got[0] != "(error) ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP." {
		t.Errorf("ACL LOG 1 2 = %v", got)
	}
	admin.sess.proto = 3
	if v := admin.reply(t, "ACL", "LOG", "1"); v.Elems[0].Kind != resp.Map || v.Elems[0].Elems[11].Kind != resp.Double {
		t.Errorf("RESP3 ACL LOG = %v", v)
	}
	admin.sess.proto = 2
	// acllog-max-len trims when the next entry arrives.
	admin.do(t, "CONFIG SET acllog-max-len 2")
	if n := len(aclLog(t, admin, "100")); n != 8 {
		t.Errorf("log trimmed before a new entry: %d", n)
	}
	h.clock += 61000 // past the grouping window: a new entry
	u.do(t, "GET other")
	if n := len(aclLog(t, admin, "100")); n != 2 {
		t.Errorf("log of %d entries, want 2", n)
	}
	if got := admin.do(t, "ACL LOG RESET"); got[0] != "OK" || len(aclLog(t, admin)) != 0 {
		t.Errorf("ACL LOG RESET: %v", got)
	}
	// The default count is 10.
	for i := 0; i < 12; i++ {
		u.do(t, "GET k"+itoa(int64(i))+"x")
		h.clock += 61000 // past the grouping window
	}
	if n := len(aclLog(t, admin)); n != 2 {
		t.Errorf("max len 2: %d entries", n)
	}
	admin.do(t, "CONFIG SET acllog-max-len 128")
	for i := 0; i < 12; i++ {
		u.do(t, "GET k")
		h.clock += 61000
	}
	if n := len(aclLog(t, admin)); n != 10 {
		t.Errorf("ACL LOG: %d entries, want 10", n)
	}
}

func TestACLGenpass(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	hex := regexp.MustCompile(`^[0-9a-f]*$`)
	for _, tc := range []struct {
		args []string
		n    int
	}{{nil, 64}, {[]string{"1"}, 1}, {[]string{"5"}, 2}, {[]string{"255"}, 64}, {[]string{"4096"}, 1024}} {
		v := c.reply(t, append([]string{"ACL", "GENPASS"}, tc.args...)...)
		if v.Kind != resp.BulkString || len(v.Str) != tc.n || !hex.Match(v.Str) {
			t.Errorf("ACL GENPASS %v = %q, want %d hex digits", tc.args, v.Str, tc.n)
		}
	}
	if a, b := c.reply(t, "ACL", "GENPASS"), c.reply(t, "ACL", "GENPASS"); string(a.Str) == string(b.Str) {
		t.Errorf("two passwords alike: %s", a.Str)
	}
}

func TestACLClientFields(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	admin, u := h.client(1), h.client(2)
	admin.do(t, "ACL SETUSER alice on >p +@all ~*")
	u.do(t, "AUTH alice p")
	info := string(u.reply(t, "CLIENT", "INFO").Str)
	if !strings.Contains(info, " user=alice ") {
		t.Errorf("CLIENT INFO: %s", info)
	}
	list := string(admin.reply(t, "CLIENT", "LIST").Str)
	if !strings.Contains(list, "cmd=client|info user=alice") || !strings.Contains(list, "cmd=client|list user=default") {
		t.Errorf("CLIENT LIST:\n%s", list)
	}
	// A refused command is still the client's last command, as in Redis;
	// an unknown one shows NULL.
	u.do(t, "GET")
	if list := string(admin.reply(t, "CLIENT", "LIST", "ID", itoa(u.sess.id)).Str); !strings.Contains(list, " cmd=get ") {
		t.Errorf("after a refused GET: %s", list)
	}
	u.do(t, "NOSUCH")
	if list := string(admin.reply(t, "CLIENT", "LIST", "ID", itoa(u.sess.id)).Str); !strings.Contains(list, " cmd=NULL ") {
		t.Errorf("after an unknown command: %s", list)
	}
}

// aclServer starts a harness whose config is cfg.
func aclServer(t *testing.T, cfg *conf.Config) *harness {
	t.Helper()
	cfg.Appendfsync = "no"
	srv, err := New(cfg, Options{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, clients: map[int]*fakeClient{}, loop: &fakeLoop{}, clock: 1_900_000_000_000}
	srv.ks.clock = func() int64 { return h.clock }
	t.Cleanup(h.close)
	return h
}

func TestACLSaveLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(file, []byte("user x1 on >p +@all ~*\nuser x2 on >p +@all ~*\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := conf.Default()
	cfg.Aclfile = file
	h := aclServer(t, cfg)
	admin, c1, c2, c3 := h.client(1), h.client(2), h.client(3), h.client(4)
	if got := c1.do(t, "AUTH x1 p"); got[0] != "OK" {
		t.Fatalf("users from the aclfile: %v", got)
	}
	c2.do(t, "AUTH x2 p")
	admin.do(t, "ACL SETUSER x3 on nopass +get")
	if got := admin.do(t, "ACL SAVE"); got[0] != "OK" {
		t.Fatal(got)
	}
	data, _ := os.ReadFile(file)
	want := "user default on nopass ~* &* +@all\n" +
		"user x1 on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~* resetchannels +@all\n" +
		"user x2 on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~* resetchannels +@all\n" +
		"user x3 on nopass resetchannels -@all +get\n"
	if string(data) != want {
		t.Errorf("saved:\n%s\nwant\n%s", data, want)
	}
	// ACL LOAD replaces every user: even x1, declared again, loses its
	// connections; the default user's stay.
	os.WriteFile(file, []byte("user x1 on >p +@all ~*\nuser default on nopass ~* &* +@all\n"), 0o600)
	if got := admin.do(t, "ACL LOAD"); got[0] != "OK" {
		t.Fatal(got)
	}
	for i, c := range []*fakeClient{c1, c2} {
		if got := c.do(t, "PING"); got[0] != "(connection closed)" {
			t.Errorf("client %d: %v", i+1, got)
		}
	}
	if got := c3.do(t, "PING"); got[0] != "PONG" {
		t.Errorf("default client: %v", got)
	}
	if got := admin.do(t, "ACL USERS"); got[0] != `["default" "x1"]` {
		t.Errorf("users %v", got)
	}
	// A bad file changes nothing.
	os.WriteFile(file, []byte("user x1 on >p +@all ~*\nbogus\nuser x3 on +nosuch foo\n# comment\n"), 0o600)
	wantErr := "(error) ERR " + file + ":2 should start with user keyword followed by the username. " +
		file + ":3: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
		file + ":3: Syntax error. " + file + ":4 should start with user keyword followed by the username. " +
		"WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if got := admin.do(t, "ACL LOAD"); got[0] != wantErr {
		t.Errorf("ACL LOAD of a bad file:\n%s\nwant\n%s", got[0], wantErr)
	}
	if got := admin.do(t, "ACL USERS"); got[0] != `["default" "x1"]` {
		t.Errorf("users %v", got)
	}
	// The caller loses its connection after the reply when its own user
	// is replaced.
	c4 := h.client(5)
	c4.do(t, "AUTH x1 p")
	os.WriteFile(file, nil, 0o600)
	if got := c4.do(t, "ACL LOAD"); strings.Join(got, " ") != "OK (connection closed)" {
		t.Errorf("self: %v", got)
	}
	// Saving where no file can be written.
	os.Remove(file)
	os.Mkdir(file, 0o700)
	os.WriteFile(filepath.Join(file, "x"), nil, 0o600)
	if got := admin.do(t, "ACL SAVE"); got[0] != "(error) "+acl.TextSaveFailed {
		t.Errorf("ACL SAVE over a directory: %v", got)
	}
}

func TestACLNoFile(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	for _, line := range []string{"ACL LOAD", "ACL SAVE"} {
		if got := c.do(t, line); got[0] != "(error) "+acl.TextNoACLFile {
			t.Errorf("%s: %v", line, got)
		}
	}
}

func TestACLStartup(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	load := func(text string, flags ...string) (*conf.Config, error) {
		cfg, err := conf.Load(write("redoubt.toml", text))
		if err != nil {
			return nil, err
		}
		return cfg, cfg.ApplyFlags(flags)
	}
	start := func(cfg *conf.Config) error {
		cfg.Appendfsync = "no"
		_, err := New(cfg, Options{Store: memory.New()})
		return err
	}

	// Declared users, from the file and the command line.
	cfg, err := load("requirepass = \"rp\"\nuser = [\n  \"alice on >a ~app:* +@read\",\n  \"default on >d +@all ~*\",\n]\n", "--user", "bob on nopass +ping")
	if err != nil {
		t.Fatal(err)
	}
	h := aclServer(t, cfg)
	c := h.client(1)
	got := strings.Join(c.do(t, "PING"), " ") + " " + strings.Join(c.do(t, "AUTH rp"), " ") + " " +
		strings.Join(c.do(t, "AUTH d"), " ") + " " + strings.Join(c.do(t, "ACL LIST"), " ")
	want := "(error) NOAUTH Authentication required. (error) WRONGPASS invalid username-password pair or user is disabled. OK " +
		`["user alice on #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb ~app:* resetchannels -@all +@read" ` +
		`"user bob on nopass resetchannels -@all +ping" ` +
		`"user default on sanitize-payload #18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4 ~* resetchannels +@all"]`
	if got != want {
		t.Errorf("declared users:\n%s\nwant\n%s", got, want)
	}

	for _, tc := range []struct {
		name, text string
		flags      []string
		want       string
	}{
		{"bad rule", "port = 1\nuser = [\n  \"alice on\",\n  \"bob on +nosuch\",\n]\n", nil,
			`redoubt.toml:4: key "user": Error in user declaration '+nosuch': Unknown command or category name in ACL`},
		{"bad hash", "user = [\"alice #abc\"]\n", nil,
			`redoubt.toml:1: key "user": Error in user declaration '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters`},
		{"duplicate", "user = [\"alice on\", \"alice off\"]\n", nil,
			`redoubt.toml:1: key "user": Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files`},
		{"flag", "", []string{"--user", "carol +@nosuch"},
			`flag --user: Error in user declaration '+@nosuch': Unknown command or category name in ACL`},
		{"spaces", "user = ['\"a b\" on']\n", nil,
			`redoubt.toml:1: key "user": Spaces not allowed in ACL usernames`},
		{"missing aclfile", "aclfile = \"" + filepath.Join(dir, "nope.acl") + "\"\n", nil,
			"Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '" + filepath.Join(dir, "nope.acl") + "': No such file or directory"},
		{"bad aclfile", "aclfile = \"" + write("bad.acl", "user a on\nfoo\n") + "\"\n", nil,
			"Aborting Redis startup because of ACL errors: " + filepath.Join(dir, "bad.acl") + ":2 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := load(tc.text, tc.flags...)
			if err == nil {
				err = start(cfg)
			}
			if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
	// Users in the config and an aclfile set in Go: refused too.
	cfg = conf.Default()
	cfg.User = []string{"alice"}
	cfg.Aclfile = write("ok.acl", "")
	if err := start(cfg); err == nil || !strings.Contains(err.Error(), acl.TextConfigAndFile) {
		t.Errorf("users and aclfile: %v", err)
	}
	// The error from a rule keeps its cause.
	cfg, _ = load("user = [\"bob on +nosuch\"]\n")
	var ae *acl.Error
	if err := start(cfg); !errors.As(err, &ae) {
		t.Errorf("error %v does not wrap an *acl.Error", err)
	}
}

func TestACLConfig(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	admin := h.client(1)
	admin.do(t, "CONFIG SET acl-pubsub-default allchannels")
	admin.do(t, "ACL SETUSER a1")
	admin.do(t, "CONFIG SET acl-pubsub-default resetchannels")
	admin.do(t, "ACL SETUSER a2")
	if got := admin.do(t, "ACL LIST"); got[0] != `["user a1 off &* -@all" "user a2 off resetchannels -@all" "user default on nopass ~* &* +@all"]` {
		t.Errorf("acl-pubsub-default: %v", got)
	}
	// requirepass sets the default user's password; protected mode asks
	// the default user, however its password was set.
	admin.do(t, "CONFIG SET requirepass pw")
	if got := admin.do(t, "ACL GETUSER default"); !strings.Contains(got[0], `"passwords" ["30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"]`) {
		t.Errorf("requirepass: %v", got)
	}
	admin.do(t, `CONFIG SET requirepass ""`)
	admin.do(t, "ACL SETUSER default >pw")
	if !h.srv.cfg.ProtectedMode || h.srv.defaultUserNopass() {
		t.Errorf("protected mode applies with a password set by ACL SETUSER")
	}
	admin.do(t, "ACL SETUSER default nopass")
	if !h.srv.defaultUserNopass() {
		t.Errorf("nopass default user")
	}
}

func TestACLConfigRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redoubt.toml")
	if err := os.WriteFile(path, []byte("user = [\"alice on >a +@all\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := aclServer(t, cfg)
	c := h.client(1)
	c.do(t, "ACL SETUSER bob on >b ~* +get")
	c.do(t, "ACL DELUSER alice")
	if got := c.do(t, "CONFIG REWRITE"); got[0] != "OK" {
		t.Fatal(got)
	}
	data, _ := os.ReadFile(path)
	want := "user = [\n" +
		"  \"bob on #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d ~* resetchannels -@all +get\",\n" +
		"  \"default on nopass ~* &* +@all\",\n]\n"
	if !strings.HasPrefix(string(data), want) {
		t.Errorf("rewritten:\n%s\nwant\n%s", data, want)
	}
	// The rewritten file starts a server with the same users.
	cfg, err = conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h2 := aclServer(t, cfg)
	if got := h2.client(1).do(t, "AUTH bob b"); got[0] != "OK" {
		t.Errorf("AUTH after rewrite: %v", got)
	}
}

func TestACLRedaction(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c, mon := h.client(1), h.client(2)
	mon.do(t, "MONITOR")
	c.do(t, "CONFIG SET slowlog-log-slower-than 0")
	c.do(t, "SLOWLOG RESET")
	for _, line := range []string{
		"AUTH default x", "AUTH x", "HELLO 2 AUTH default pw SETNAME nm", "HELLO 2 SETNAME nm AUTH a",
		"ACL SETUSER zz on >pw", "CONFIG SET requirepass s3 maxclients 100 masterauth m",
		`CONFIG SET requirepass ""`,
	} {
		c.do(t, line)
	}
	h.loop.run()
	var monLines []string
	for _, r := range mon.pending(t, ordered) {
		monLines = append(monLines, regexp.MustCompile(`^\d+\.\d+ \[0 [^\]]*\] `).ReplaceAllString(r, ""))
	}
	wantMon := []string{
		`"AUTH" "(redacted)" "(redacted)"`, `"AUTH" "(redacted)"`,
		`"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "nm"`, `"HELLO" "2" "SETNAME" "nm" "AUTH" "a"`,
	}
	if strings.Join(monLines, "\n") != strings.Join(wantMon, "\n") {
		t.Errorf("MONITOR:\n%s\nwant\n%s", strings.Join(monLines, "\n"), strings.Join(wantMon, "\n"))
	}
	v := c.reply(t, "SLOWLOG", "GET", "4")
	var got []string
	for _, e := range v.Elems {
		var args []string
		for _, a := range e.Elems[3].Elems {
			args = append(args, string(a.Str))
		}
		got = append(got, strings.Join(args, " "))
	}
	want := []string{
		"CONFIG SET requirepass (redacted)",
		"CONFIG SET requirepass (redacted) maxclients 100 masterauth (redacted)",
		"ACL SETUSER (redacted) (redacted) (redacted)",
		"HELLO 2 SETNAME nm AUTH a",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("SLOWLOG:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A client that deletes its own user inside EXEC runs the rest of the
// queue (as the default user, unauthenticated), then is closed.
func TestACLDeleteSelfInExec(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	admin, u := h.client(1), h.client(2)
	admin.do(t, "ACL SETUSER me on >p +@all ~*")
	u.do(t, "AUTH me p")
	u.do(t, "MULTI")
	u.do(t, "ACL DELUSER me")
	u.do(t, "SET k v")
	got := u.do(t, "EXEC")
	if strings.Join(got, " ") != "[(integer) 1 OK] (connection closed)" {
		t.Errorf("EXEC: %v", got)
	}
	if got := admin.do(t, "GET k"); got[0] != `"v"` {
		t.Errorf("GET k = %v", got)
	}
}

// authRequired follows the default user: a client that never
// authenticated needs no AUTH once the default user is nopass again.
func TestACLAuthRequiredFollowsDefault(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	admin := h.client(1)
	admin.do(t, "ACL SETUSER default resetpass >pw")
	c := h.client(2)
	if got := c.do(t, "PING"); got[0] != "(error) NOAUTH Authentication required." {
		t.Fatalf("PING = %v", got)
	}
	// An unknown subcommand is refused before authentication, as Redis does.
	if got := c.do(t, "CONFIG NOSUCH"); got[0] != "(error) ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP." {
		t.Errorf("CONFIG NOSUCH = %v", got)
	}
	admin.do(t, "ACL SETUSER default nopass")
	if got := c.do(t, "PING"); got[0] != "PONG" {
		t.Errorf("PING = %v", got)
	}
	// Still not authenticated: HELLO without AUTH refuses, as in Redis.
	if got := c.do(t, "HELLO 2"); !strings.HasPrefix(got[0], "(error) NOAUTH HELLO must be called") {
		t.Errorf("HELLO = %v", got)
	}
}

func TestACLCommandStats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	admin, u := h.client(1), h.client(2)
	admin.do(t, "ACL SETUSER u on nopass +@all -get ~k")
	u.do(t, "AUTH u x")
	u.do(t, "GET k")
	u.do(t, "SET other v")
	txt := infoText(h, "commandstats")
	for _, want := range []string{
		"cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0",
		"cmdstat_set:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("commandstats lacks %s:\n%s", want, txt)
		}
	}
}

func TestRedactArgs(t *testing.T) {
	tbl := newCommandTable()
	registerCommands(tbl)
	for _, tc := range []struct{ line, want string }{
		{"GET k", "GET k"},
		{"AUTH a b", "AUTH (redacted) (redacted)"},
		{"HELLO 4 AUTH a b", "HELLO 4 AUTH a b"},
		{"HELLO x AUTH a b", "HELLO x AUTH a b"},
		{"HELLO", "HELLO"},
		{"HELLO 3 AUTH a", "HELLO 3 AUTH a"},
		{"HELLO 3 FOO AUTH a b", "HELLO 3 FOO AUTH a b"},
		{"HELLO 3 SETNAME n AUTH a b", "HELLO 3 SETNAME n AUTH (redacted) (redacted)"},
		{"ACL SETUSER a on", "ACL SETUSER (redacted) (redacted)"},
		{"ACL GETUSER a", "ACL GETUSER a"},
		{"CONFIG SET REQUIREPASS x hz 5 masteruser u", "CONFIG SET REQUIREPASS (redacted) hz 5 masteruser (redacted)"},
	} {
		argv := [][]byte{}
		for _, w := range strings.Fields(tc.line) {
			argv = append(argv, []byte(w))
		}
		cmd, _ := tbl.lookup(argv)
		var got []string
		for _, a := range redactArgs(cmd, argv) {
			got = append(got, string(a))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %s", tc.line, strings.Join(got, " "))
		}
	}
}

// TestACLDeniedCounters checks INFO stats acl_access_denied_*: failed AUTH
// attempts (AUTH and HELLO AUTH) and NOPERM refusals by reason.
func TestACLDeniedCounters(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a, u := h.client(1), h.client(2)
	a.do(t, "ACL SETUSER u on >pw ~k* &ch* +get +publish")
	u.do(t, "AUTH u wrong")
	u.do(t, "HELLO 2 AUTH u wrong")
	u.do(t, "AUTH u pw")
	u.do(t, "SET k 1")
	u.do(t, "GET other")
	u.do(t, "GET k")
	u.do(t, "PUBLISH nope x")
	p := parseInfoText(t, infoText(h, "stats"))
	got := map[string]string{}
	for _, f := range p.fields["Stats"] {
		got[f.key] = f.val
	}
	for field, want := range map[string]string{
		"acl_access_denied_auth": "2", "acl_access_denied_cmd": "1",
		"acl_access_denied_key": "1", "acl_access_denied_channel": "1",
	} {
		if got[field] != want {
			t.Errorf("%s = %q, want %s", field, got[field], want)
		}
	}
}
