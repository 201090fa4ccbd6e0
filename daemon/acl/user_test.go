package acl

import (
	"reflect"
	"strings"
	"sync"
	"testing"
)

func mustSetUser(t testing.TB, r *Users, name string, rules ...string) *User {
	t.Helper()
	u, _, err := r.SetUser(name, rules)
	if err != nil {
		t.Fatalf("SetUser(%s, %q): %v", name, rules, err)
	}
	return u
}

func request(t testing.TB, argv ...string) *Request {
	t.Helper()
	req, _ := testRequest(t, loadTestCatalog(t), argv...)
	if req == nil {
		t.Fatalf("bad test command %q", argv)
	}
	return req
}

func TestCheckPassword(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	u := mustSetUser(t, r, "alice", "on", ">secret", ">a\x00b", "#"+HashPassword([]byte("hashed")))
	for pass, want := range map[string]bool{"secret": true, "a\x00b": true, "a": false, "hashed": true, "": false, "Secret": false} {
		if got := u.CheckPassword([]byte(pass)); got != want {
			t.Errorf("CheckPassword(%q) = %v", pass, got)
		}
	}
	if r.Authenticate("alice", []byte("secret")) != u || r.Authenticate("alice", []byte("x")) != nil || r.Authenticate("nosuch", nil) != nil {
		t.Error("Authenticate with passwords")
	}
	mustSetUser(t, r, "alice", "off")
	if r.Authenticate("alice", []byte("secret")) != nil {
		t.Error("a disabled user authenticated")
	}
	mustSetUser(t, r, "alice", "on", "nopass")
	if r.Authenticate("alice", []byte("anything")) != u || !u.NoPass() {
		t.Error("nopass user did not authenticate")
	}
	// Only the hash is kept.
	if strings.Contains(u.Describe(), "secret") || strings.Contains(r.List()[0], "secret") {
		t.Error("clear text password kept")
	}
	if HashPassword([]byte("secret")) != "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" {
		t.Error("HashPassword")
	}
}

func TestDefaultUser(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	d := r.Default()
	if d != r.Get("default") || d.Name() != "default" || !d.Enabled() || !d.NoPass() || d.SkipSanitizePayload() {
		t.Fatal("default user state")
	}
	if got := d.Describe(); got != "on nopass ~* &* +@all" {
		t.Errorf("default Describe = %q", got)
	}
	r.SetRequirePass("pw")
	if got := d.Describe(); got != "on #"+HashPassword([]byte("pw"))+" ~* &* +@all" {
		t.Errorf("requirepass Describe = %q", got)
	}
	if r.Authenticate("default", []byte("pw")) != d || r.Authenticate("default", []byte("x")) != nil {
		t.Error("requirepass authentication")
	}
	r.SetRequirePass("")
	if !d.NoPass() {
		t.Error("empty requirepass is not nopass")
	}
}

func TestCheckReasons(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	u := mustSetUser(t, r, "u", "on", "nopass", "~k*", "&ch*", "+get", "+set", "+publish", "+subscribe", "+config|get")
	for _, tc := range []struct {
		argv   []string
		reason Reason
		pos    int
		text   string
	}{
		{[]string{"get", "k1"}, ReasonNone, 0, ""},
		{[]string{"get", "x"}, ReasonKey, 1, "NOPERM this user has no permissions to access one of the keys used as arguments"},
		{[]string{"del", "k1"}, ReasonCommand, 0, "NOPERM this user has no permissions to run the 'del' command"},
		{[]string{"config", "set", "a", "b"}, ReasonCommand, 0, "NOPERM this user has no permissions to run the 'config|set' command"},
		{[]string{"publish", "x", "m"}, ReasonChannel, 1, "NOPERM this user has no permissions to access one of the channels used as arguments"},
		{[]string{"subscribe", "ch1", "ch2", "x", "y"}, ReasonChannel, 3, ""},
		{[]string{"auth", "pw"}, ReasonNone, 0, ""},
	} {
		req, name := testRequest(t, r.Catalog(), tc.argv...)
		d := u.Check(req)
		if d.Reason != tc.reason || d.Pos != tc.pos || d.Allowed() != (tc.reason == ReasonNone) {
			t.Errorf("%q: got %+v", tc.argv, d)
		}
		if tc.text != "" && d.ErrorText(name) != tc.text {
			t.Errorf("%q: Error = %q", tc.argv, d.ErrorText(name))
		}
	}
	d := Denial{Reason: ReasonKey, Pos: 1}
	argv := [][]byte{[]byte("get"), []byte("k\x00x")}
	if d.LogObject("get", argv) != "k\x00x" || d.DryRunText("get", argv) != "This user has no permissions to access the 'k' key" {
		t.Error("LogObject/DryRunText of a binary key")
	}
	if (Denial{Reason: ReasonCommand}).LogObject("config|set", argv) != "config|set" {
		t.Error("LogObject of a command")
	}
	for r, want := range map[Reason]string{
		ReasonCommand: "The user executing the script can't run this command or subcommand",
		ReasonKey:     "The user executing the script can't access at least one of the keys mentioned in the command arguments",
		ReasonChannel: "The user executing the script can't publish to the channel mentioned in the command",
	} {
		if got := (Denial{Reason: r}).ScriptError(); got != want {
			t.Errorf("ScriptError(%v) = %q", r, got)
		}
	}
	for r, want := range map[Reason]string{ReasonCommand: "command", ReasonKey: "key", ReasonChannel: "channel", ReasonAuth: "auth", ReasonNone: "unknown"} {
		if r.String() != want {
			t.Errorf("Reason(%d).String() = %q", r, r.String())
		}
	}
}

func TestCheckKeyAndChannel(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	u := mustSetUser(t, r, "u", "%R~r*", "&c*", "(%W~w* &lit)")
	for _, tc := range []struct {
		key         string
		read, write bool
		want        bool
	}{
		{"r1", true, false, true},
		{"r1", false, true, false},
		{"r1", false, false, true},
		{"w1", false, true, true},
		{"w1", true, true, false},
		{"x", false, false, false},
	} {
		if got := u.CheckKey([]byte(tc.key), tc.read, tc.write); got != tc.want {
			t.Errorf("CheckKey(%s, %v, %v) = %v", tc.key, tc.read, tc.write, got)
		}
	}
	for _, tc := range []struct {
		ch      string
		pattern bool
		want    bool
	}{
		{"c1", false, true},
		{"c*", true, true},
		{"c1", true, false},
		{"lit", false, true},
		{"lit\x00x", true, true},
		{"d", false, false},
	} {
		if got := u.CheckChannel([]byte(tc.ch), tc.pattern); got != tc.want {
			t.Errorf("CheckChannel(%q, %v) = %v", tc.ch, tc.pattern, got)
		}
	}
	all := mustSetUser(t, r, "all", "allchannels")
	if !all.CheckChannel([]byte("x"), true) {
		t.Error("allchannels")
	}
}

func TestCheckUnrestrictedKeys(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	sort := request(t, "sort", "a", "by", "x*")
	for rules, want := range map[string]bool{
		"+@all ~*":              true,
		"+@all %R~*":            true,
		"+@all %W~* ~a*":        false,
		"+@all ~a*":             false,
		"-@all ~*":              false,
		"-@all ~* (+@all %R~*)": true,
		"+@all %RW~*":           true,
	} {
		u := mustSetUser(t, r, "s", append([]string{"reset"}, strings.Fields(rules)...)...)
		if got := u.CheckUnrestrictedKeys(sort, true, false); got != want {
			t.Errorf("%s: CheckUnrestrictedKeys = %v", rules, got)
		}
	}
}

func TestNoAuthCommands(t *testing.T) {
	cat := NewCatalog([]CommandSpec{{Name: "auth", NoAuth: true}, {Name: "get", Categories: []string{"read"}}})
	r := NewUsers(cat)
	u := mustSetUser(t, r, "u", "nocommands")
	id, _ := cat.Lookup("auth")
	if !u.Check(&Request{Cmd: id, Argv: [][]byte{[]byte("auth")}}).Allowed() {
		t.Error("no_auth command denied")
	}
	id, _ = cat.Lookup("get")
	if u.Check(&Request{Cmd: id, Argv: [][]byte{[]byte("get")}}).Allowed() {
		t.Error("get allowed")
	}
}

// TestFutureCommands: a command outside the catalog (an id past its end)
// is allowed exactly when the rules started from +@all.
func TestFutureCommands(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	req := &Request{Cmd: r.Catalog().Len() + 5, Argv: [][]byte{[]byte("x")}}
	if !mustSetUser(t, r, "a", "+@all", "-get").Check(req).Allowed() {
		t.Error("+@all -get denies a future command")
	}
	if mustSetUser(t, r, "b", "-@all", "+@read").Check(req).Allowed() {
		t.Error("-@all +@read allows a future command")
	}
}

func TestSetUserRevocation(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	chans := func(s ...string) [][]byte {
		var out [][]byte
		for _, c := range s {
			out = append(out, []byte(c))
		}
		return out
	}
	_, v, _ := r.SetUser("p", []string{"allchannels"})
	if v != nil {
		t.Error("new user has a revocation")
	}
	_, v, _ = r.SetUser("p", []string{"resetchannels", "&a*", "&lit"})
	if v == nil {
		t.Fatal("losing allchannels revokes nothing")
	}
	if v.Disconnect(chans("ab"), chans("a*")) || !v.Disconnect(chans("foo"), nil) ||
		!v.Disconnect(nil, chans("ab")) || v.Disconnect(chans("lit"), chans("lit")) {
		t.Errorf("Disconnect with %v", v)
	}
	if _, v, _ = r.SetUser("p", []string{"&more"}); v != nil {
		t.Error("adding a channel revokes")
	}
	if _, v, _ = r.SetUser("p", []string{"resetchannels", "&a*", "(&lit &more)"}); v != nil {
		t.Error("moving channels to a selector revokes")
	}
	if _, v, _ = r.SetUser("p", []string{"resetchannels", "clearselectors", "&a*"}); v == nil {
		t.Error("dropping channels revokes nothing")
	}
	if _, v, _ = r.SetUser("p", []string{"(allchannels)"}); v != nil {
		t.Error("a selector with allchannels revokes")
	}
	var nilRev *Revocation
	if nilRev.Disconnect(chans("x"), nil) {
		t.Error("nil Revocation disconnects")
	}
}

func TestRemoved(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	a := mustSetUser(t, r, "a")
	b := mustSetUser(t, r, "b")
	if n, err := r.DelUser("a", "a", "zz"); n != 1 || err != nil || !a.Removed() || b.Removed() || r.Get("a") != nil {
		t.Fatalf("DelUser: %d %v", n, err)
	}
	if err := r.Load("f", []byte("user b on\n")); err != nil {
		t.Fatal(err)
	}
	if !b.Removed() || r.Get("b") == nil || r.Get("b") == b || r.Default().Removed() {
		t.Error("Load did not replace the users")
	}
}

func TestDeclareUsers(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	err := r.DeclareUsers([]Declaration{
		{Name: "alice", Rules: []string{"on", ">x", "~a", "+get"}},
		{Name: "default", Rules: []string{"on", "nopass", "~*", "&*", "+@all"}},
		{Name: "sel", Rules: []string{"(+get", "~a)"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"user alice on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~a resetchannels -@all +get",
		"user default on nopass sanitize-payload ~* &* +@all",
		"user sel off resetchannels -@all (~a resetchannels -@all +get)",
	}
	if got := r.List(); !reflect.DeepEqual(got, want) {
		t.Errorf("List after DeclareUsers:\n%q\nwant\n%q", got, want)
	}
	for _, tc := range []struct {
		decls []Declaration
		err   string
	}{
		{[]Declaration{{Name: "x", Rules: []string{"on"}}, {Name: "x"}}, "Error in user declaration 'x': Duplicate user found. A user can only be defined once in config files"},
		{[]Declaration{{Name: "y", Rules: []string{"on", "foo"}}}, "Error in user declaration 'foo': Syntax error"},
		{[]Declaration{{Name: "y", Rules: []string{"+nosuch"}}}, "Error in user declaration '+nosuch': Unknown command or category name in ACL"},
		{[]Declaration{{Name: "y", Rules: []string{"(+get"}}}, "Error in user declaration 'y': Unmatched parenthesis in acl selector starting at '(+get'"},
		{[]Declaration{{Name: "a b"}}, "Spaces not allowed in ACL usernames"},
	} {
		err := r.DeclareUsers(tc.decls)
		if err == nil || err.Error() != tc.err {
			t.Errorf("DeclareUsers(%v) = %v, want %s", tc.decls, err, tc.err)
		}
	}
	if got := r.List(); !reflect.DeepEqual(got, want) {
		t.Errorf("a failed DeclareUsers changed users: %q", got)
	}
}

// TestConcurrentCheck runs checks while ACL SETUSER rewrites the user;
// go test -race verifies the snapshot swap.
func TestConcurrentCheck(t *testing.T) {
	r := NewUsers(loadTestCatalog(t))
	u := mustSetUser(t, r, "u", "on", "nopass", "~*", "+get")
	req := request(t, "get", "k")
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				u.Check(req)
				u.Describe()
				r.Names()
			}
		}()
	}
	for j := 0; j < 50; j++ {
		if j%2 == 0 {
			mustSetUser(t, r, "u", "-get")
		} else {
			mustSetUser(t, r, "u", "+get", "(+set ~x)")
		}
	}
	wg.Wait()
}

// sameState compares two users' permissions field by field.
func sameState(a, b *userState) bool {
	if a.enabled != b.enabled || a.nopass != b.nopass || a.sanitize != b.sanitize ||
		!reflect.DeepEqual(append([]string{}, a.passwords...), append([]string{}, b.passwords...)) ||
		len(a.selectors) != len(b.selectors) {
		return false
	}
	for i := range a.selectors {
		x, y := a.selectors[i], b.selectors[i]
		if x.allKeys != y.allKeys || x.allChannels != y.allChannels || x.future != y.future ||
			!reflect.DeepEqual(x.allowed, y.allowed) ||
			!reflect.DeepEqual(append([]keyPattern{}, x.keys...), append([]keyPattern{}, y.keys...)) ||
			!reflect.DeepEqual(append([]string{}, x.channels...), append([]string{}, y.channels...)) ||
			len(x.firstArgs) != len(y.firstArgs) {
			return false
		}
		for id, args := range x.firstArgs {
			if !reflect.DeepEqual(args, y.firstArgs[id]) {
				return false
			}
		}
	}
	return true
}

// roundTrips reports whether Describe can be parsed back at all: Redis's
// own format cannot express a "*" key pattern with other patterns (it
// prints "~*", which means allkeys), first arguments with blanks, or, in a
// selector, patterns holding parentheses, quotes or backslashes.
func roundTrips(st *userState) bool {
	for i, s := range st.selectors {
		special := " \t\n\v\f\r"
		if i > 0 {
			special += "()\"'\\"
		}
		for _, k := range s.keys {
			if k.pattern == "*" || strings.ContainsAny(k.pattern, special) {
				return false
			}
		}
		for _, c := range s.channels {
			if strings.ContainsAny(c, special) {
				return false
			}
		}
		for _, args := range s.firstArgs {
			for _, a := range args {
				if strings.ContainsAny(a, special) {
					return false
				}
			}
		}
	}
	return true
}

func FuzzSetUser(f *testing.F) {
	for _, seed := range []string{
		"on\n>pw\n~a*\n+@read\n-get",
		"+@all\n-@dangerous\n(+get ~x*)\n&ch*",
		"%R~r*\n%W~w*\n%RW~x\n+select|0\n+config|get",
		"allcommands\n-config|set\n+select|1\n-client\n+client|id",
		"(+get\n~a)\nclearselectors\nreset\nskip-sanitize-payload",
		"foo\n+nosuch\n#abc\n<x",
		"(\"\n(~a b)\n+get)\n%\n~*\n~x",
	} {
		f.Add(seed)
	}
	cat := loadTestCatalog(f)
	f.Fuzz(func(t *testing.T, in string) {
		rules := strings.Split(in, "\n")
		if len(rules) > 24 {
			rules = rules[:24]
		}
		r := NewUsers(cat)
		u, _, err := r.SetUser("u", rules)
		if err != nil {
			if r.Get("u") != nil {
				t.Fatal("failed SetUser created the user")
			}
			return
		}
		descr := u.Describe()
		info := u.Info()
		_ = info
		u.Check(request(t, "get", "k"))
		u.Check(request(t, "mset", "a", "1", "b", "2"))
		u.Check(request(t, "psubscribe", "c*"))
		if !roundTrips(u.state.Load()) {
			return
		}
		v, _, err := r.SetUser("v", strings.Split(descr, " "))
		if err != nil {
			t.Fatalf("Describe %q does not parse back: %v", descr, err)
		}
		if got := v.Describe(); got != descr {
			t.Fatalf("round trip:\n %s\n %s", descr, got)
		}
		if !sameState(u.state.Load(), v.state.Load()) {
			t.Fatalf("round trip of %q changed the permissions", descr)
		}
	})
}

func BenchmarkDescribe(b *testing.B) {
	r := NewUsers(loadTestCatalog(b))
	u := mustSetUser(b, r, "u", "-@all", "+@read", "-@hash", "+config|get", "+select|0")
	for i := 0; i < b.N; i++ {
		u.Describe()
	}
}

func BenchmarkCheck(b *testing.B) {
	r := NewUsers(loadTestCatalog(b))
	u := mustSetUser(b, r, "u", "~a*", "%R~r*", "+@all", "(+get ~x*)")
	req := request(b, "mset", "a1", "v", "a2", "v")
	for i := 0; i < b.N; i++ {
		u.Check(req)
	}
}
