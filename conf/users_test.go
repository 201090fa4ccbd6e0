package conf

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/redoubtdb/redoubt/daemon/acl"
)

func TestLoadUsers(t *testing.T) {
	path := writeConfig(t, `port = 1
user = [
  "alice on >secret ~app:* +@read",
  # a comment between entries
  'bob off',

  """carol on "#e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" +@all""",
]
acl-pubsub-default = "ALLCHANNELS"
acllog-max-len = 5
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"alice on >secret ~app:* +@read", "bob off",
		`carol on "#e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" +@all`}
	if !reflect.DeepEqual(c.User, want) {
		t.Errorf("User = %q", c.User)
	}
	if c.AclPubsubDefault != AclAllChannels || c.AcllogMaxLen != 5 {
		t.Errorf("acl-pubsub-default %q acllog-max-len %d", c.AclPubsubDefault, c.AcllogMaxLen)
	}
	decls := c.UserDeclarations()
	if len(decls) != 3 || decls[0].Name != "alice" || !reflect.DeepEqual(decls[0].Rules, []string{"on", ">secret", "~app:*", "+@read"}) ||
		decls[2].Rules[1] != "#e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("declarations %+v", decls)
	}
	// Errors found by the server name the entry's own line.
	for i, line := range []int{3, 5, 7} {
		if got, want := c.UserError(i, errors.New("boom")).Error(), path+":"+strconv.Itoa(line)+`: key "user": boom`; got != want {
			t.Errorf("UserError(%d) = %q, want %q", i, got, want)
		}
	}
	cause := errors.New("cause")
	if err := c.UserError(0, cause); !errors.Is(err, cause) {
		t.Errorf("UserError does not wrap its cause: %v", err)
	}
}

func TestLoadUsersErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"not an array", "user = \"alice on\"\n", `:1: key "user": must be an array of strings, not a string`},
		{"not strings", "user = [1]\n", `:1: key "user": entry 1 must be a string, not an integer`},
		{"unbalanced quotes", "\nuser = [\"ok\", \"alice \\\"on\"]\n", `:2: key "user": entry 2: unbalanced quotes in user declaration`},
		{"no name", "user = [\"  \"]\n", `:1: key "user": entry 1: a user declaration needs a user name`},
		{"with aclfile", "aclfile = \"users.acl\"\nuser = [\"alice\"]\n", `:2: key "user": ` + acl.TextConfigAndFile},
		{"bad pubsub default", "acl-pubsub-default = \"some\"\n", `:1: key "acl-pubsub-default": "some" is not one of allchannels, resetchannels`},
		{"negative log length", "acllog-max-len = -1\n", `:1: key "acllog-max-len": must be at least 0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text)
			_, err := Load(path)
			if err == nil || err.Error() != path+tc.want {
				t.Errorf("got %v\nwant %s%s", err, path, tc.want)
			}
		})
	}
	// An empty list declares nobody, and so goes with an ACL file.
	c, err := Load(writeConfig(t, "aclfile = \"users.acl\"\nuser = []\n"))
	if err != nil || len(c.User) != 0 || c.Aclfile != "users.acl" {
		t.Errorf("empty user list: %v %q", err, c.User)
	}
}

func TestFlagUsers(t *testing.T) {
	c := Default()
	err := c.ApplyFlags([]string{"--user", "alice on >secret ~* +@all", "--port", "7", "--user", "bob", "on", ">two words", `>q"uote`, "--USER=carol"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"alice on >secret ~* +@all", `bob on ">two words" ">q\"uote"`, "carol"}
	if !reflect.DeepEqual(c.User, want) || c.Port != 7 {
		t.Fatalf("User = %q port %d", c.User, c.Port)
	}
	decls := c.UserDeclarations()
	if !reflect.DeepEqual(decls[1], acl.Declaration{Name: "bob", Rules: []string{"on", ">two words", `>q"uote`}}) {
		t.Errorf("bob: %+v", decls[1])
	}
	if got := c.UserError(1, errors.New("boom")).Error(); got != "flag --user: boom" {
		t.Errorf("UserError = %q", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--user"}, "flag --user: missing value"},
		{[]string{"--user", `"alice`}, "flag --user: unbalanced quotes in user declaration"},
		{[]string{"--user", ""}, "flag --user: a user declaration needs a user name"},
	} {
		c := Default()
		if err := c.ApplyFlags(tc.args); err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %s", tc.args, err, tc.want)
		}
		if len(c.User) != 0 {
			t.Errorf("%q: a failed ApplyFlags changed User", tc.args)
		}
	}
	// Users on the command line and an ACL file in the file: Validate
	// refuses, as Redis does at start-up.
	c = Default()
	if err := c.ApplyFlags([]string{"--aclfile", "/x.acl", "--user", "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || err.Error() != "flag --user: "+acl.TextConfigAndFile {
		t.Errorf("Validate: %v", err)
	}
}

func TestQuoteUserWord(t *testing.T) {
	for _, w := range []string{"plain", "", "two words", `q"uote`, `back\slash`, "tab\there", "nl\nx", "nul\x00byte", "it's", "\x7f\x01", "ünï"} {
		line := quoteUserWord(w) + " " + quoteUserWord(w)
		got, err := acl.SplitArgs(line)
		if err != nil || len(got) != 2 || got[0] != w || got[1] != w {
			t.Errorf("%q quoted as %s reads back as %q (%v)", w, line, got, err)
		}
	}
}

func TestUsersNotAParameter(t *testing.T) {
	c := Default()
	c.User = []string{"alice on"}
	if got := c.Get("user"); got != nil {
		t.Errorf("CONFIG GET user = %v", got)
	}
	for _, kv := range c.Get("*") {
		if kv.Key == "user" {
			t.Errorf("CONFIG GET * lists user")
		}
	}
	if err := c.Set([]KV{{"user", "bob on"}}); err == nil || err.Error() != "ERR Unknown option or number of arguments for CONFIG SET - 'user'" {
		t.Errorf("CONFIG SET user: %v", err)
	}
	if err := c.Set([]KV{{"aclfile", "/x"}}); err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'aclfile') - can't set immutable config" {
		t.Errorf("CONFIG SET aclfile: %v", err)
	}
	if err := c.Set([]KV{{"acl-pubsub-default", "x"}}); err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'acl-pubsub-default') - argument(s) must be one of the following: allchannels, resetchannels" {
		t.Errorf("CONFIG SET acl-pubsub-default: %v", err)
	}
	if err := c.Set([]KV{{"acllog-max-len", "-1"}}); err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'acllog-max-len') - argument must be between 0 and 9223372036854775807 inclusive" {
		t.Errorf("CONFIG SET acllog-max-len: %v", err)
	}
	if err := c.Set([]KV{{"acllog-max-len", "9"}, {"acl-pubsub-default", "AllChannels"}}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range c.Get("acl*") {
		got[kv.Key] = kv.Value
	}
	if want := map[string]string{"aclfile": "", "acllog-max-len": "9", "acl-pubsub-default": "allchannels"}; !reflect.DeepEqual(got, want) {
		t.Errorf("CONFIG GET acl* = %v", got)
	}
	// Clone copies the users.
	d := c.Clone()
	d.User[0] = "changed"
	if c.User[0] != "alice on" {
		t.Errorf("Clone shares User")
	}
}

func TestRewriteUsers(t *testing.T) {
	src := "# users\nuser = [\"alice on >secret\"] # inline\nport = 6380\n"
	path := writeConfig(t, src)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func() string {
		t.Helper()
		if err := c.Rewrite(path); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	// Unchanged users keep their spelling.
	if got := rewrite(); got != src {
		t.Errorf("unchanged:\n%s", got)
	}
	// The server's current users replace the entries in place.
	c.SetUsers([]string{"alice on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* resetchannels -@all", "default on nopass ~* &* +@all"})
	want := "# users\nuser = [\n  \"alice on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* resetchannels -@all\",\n  \"default on nopass ~* &* +@all\",\n] # inline\nport = 6380\n"
	if got := rewrite(); got != want {
		t.Errorf("replaced:\n%s\nwant\n%s", got, want)
	}
	c2, err := Load(path)
	if err != nil || !reflect.DeepEqual(c2.User, c.User) {
		t.Errorf("reloaded users %q (%v)", c2.User, err)
	}

	// A file without users gets them appended, even the default user
	// alone, as Redis writes its users on every rewrite.
	path = writeConfig(t, "port = 6380\n")
	c, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c.SetUsers([]string{"default on nopass ~* &* +@all"})
	if got, want := rewrite(), "port = 6380\n\n"+rewriteSignature+"\nuser = [\"default on nopass ~* &* +@all\"]\n"; got != want {
		t.Errorf("appended:\n%q\nwant\n%q", got, want)
	}
	// With an ACL file, users live there: the config gets none.
	path = writeConfig(t, "aclfile = \"/etc/users.acl\"\n")
	c, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c.SetUsers([]string{"default on nopass ~* &* +@all"})
	if got := rewrite(); got != "aclfile = \"/etc/users.acl\"\n" {
		t.Errorf("with aclfile:\n%s", got)
	}
}
