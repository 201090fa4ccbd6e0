package acl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/redis/go-redis/v9"
)

// The scenarios in testdata/scenarios/*.txt are ACL commands as a client would send
// them, with the replies Redis 7.0.15 gives (TestScenariosAgainstRedis
// replays them on a real server). Directives:
//
//	exec            each input line is a command (quoted like redis-cli):
//	                ACL SETUSER/GETUSER/DELUSER/LIST/USERS/CAT/DRYRUN/LOG,
//	                AUTH, CONFIG SET acl-pubsub-default|requirepass, and
//	                AS <user> <command...>: run a command as a (nopass)
//	                user, printing its NOPERM error or "(allowed)".
//	load [escaped]  the input is an ACL file to ACL LOAD (escaped: Go
//	                string escapes such as \t \r \x00 are decoded);
//	                "norepl" skips the replay (Redis crashes on it).
//
// Replies are rendered like redis-cli over RESP2. ACL LOG shows count,
// reason, context, object and username (age and client info vary).

// errReply is an error reply in the harness.
type errReply string

type harness struct {
	t     testing.TB
	cat   *Catalog
	users *Users
	log   *Log
	now   time.Time
}

func newHarness(t testing.TB) *harness {
	cat := loadTestCatalog(t)
	return &harness{t: t, cat: cat, users: NewUsers(cat), log: NewLog(128),
		now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func errAny(err error) any { return errReply(err.Error()) }

func (h *harness) exec(argv []string) any {
	cmd := strings.ToUpper(argv[0])
	sub := ""
	if len(argv) > 1 {
		sub = strings.ToUpper(argv[1])
	}
	switch {
	case cmd == "ACL" && sub == "SETUSER" && len(argv) >= 3:
		if _, _, err := h.users.SetUser(argv[2], argv[3:]); err != nil {
			return errAny(err)
		}
		return "OK"
	case cmd == "ACL" && sub == "GETUSER" && len(argv) == 3:
		u := h.users.Get(argv[2])
		if u == nil {
			return nil
		}
		return userInfoAny(u.Info())
	case cmd == "ACL" && sub == "DELUSER" && len(argv) >= 3:
		n, err := h.users.DelUser(argv[2:]...)
		if err != nil {
			return errAny(err)
		}
		return int64(n)
	case cmd == "ACL" && sub == "LIST" && len(argv) == 2:
		return toAny(h.users.List())
	case cmd == "ACL" && sub == "USERS" && len(argv) == 2:
		return toAny(h.users.Names())
	case cmd == "ACL" && sub == "CAT" && len(argv) == 2:
		return toAny(Categories())
	case cmd == "ACL" && sub == "CAT" && len(argv) == 3:
		cmds, err := h.cat.CategoryCommands(argv[2])
		if err != nil {
			return errAny(err)
		}
		return toAny(cmds)
	case cmd == "ACL" && sub == "DRYRUN" && len(argv) >= 4:
		u := h.users.Get(argv[2])
		if u == nil {
			return errAny(DryRunUnknownUser(argv[2]))
		}
		req, name := testRequest(h.t, h.cat, argv[3:]...)
		if req == nil {
			if name == "" {
				return errAny(DryRunUnknownCommand(argv[3]))
			}
			return errReply(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
		}
		return u.Check(req).DryRunText(name, req.Argv)
	case cmd == "ACL" && sub == "LOG" && len(argv) == 3 && strings.EqualFold(argv[2], "reset"):
		h.log.Reset()
		return "OK"
	case cmd == "ACL" && sub == "LOG" && len(argv) <= 3:
		count := 10
		if len(argv) == 3 {
			count, _ = strconv.Atoi(argv[2])
		}
		var out []any
		for _, e := range h.log.Entries(count) {
			out = append(out, fmt.Sprintf("count=%d reason=%s context=%s object=%s username=%s",
				e.Count, e.Reason, e.Context, e.Object, e.Username))
		}
		return out
	case cmd == "AUTH" && (len(argv) == 2 || len(argv) == 3):
		name, pass := DefaultUserName, argv[1]
		if len(argv) == 3 {
			name, pass = argv[1], argv[2]
		} else if h.users.Default().NoPass() {
			return errReply(TextAuthNoPassword)
		}
		if h.users.Authenticate(name, []byte(pass)) == nil {
			h.log.Add(ReasonAuth, ContextToplevel, argv[0], name, "", h.now)
			return errReply(TextWrongPass)
		}
		return "OK"
	case cmd == "AS" && len(argv) >= 3:
		u := h.users.Get(argv[1])
		req, name := testRequest(h.t, h.cat, argv[2:]...)
		if u == nil || req == nil {
			h.t.Fatalf("AS needs an existing user and a valid command: %q", argv)
		}
		if d := u.Check(req); !d.Allowed() {
			h.log.Add(d.Reason, ContextToplevel, d.LogObject(name, req.Argv), u.Name(), "", h.now)
			return errReply(d.ErrorText(name))
		}
		return "(allowed)"
	case cmd == "CONFIG" && sub == "SET" && len(argv) == 4 && strings.EqualFold(argv[2], "acl-pubsub-default"):
		h.users.SetPubsubDefault(strings.EqualFold(argv[3], "allchannels"))
		return "OK"
	case cmd == "CONFIG" && sub == "SET" && len(argv) == 4 && strings.EqualFold(argv[2], "requirepass"):
		h.users.SetRequirePass(argv[3])
		return "OK"
	}
	h.t.Fatalf("harness: unsupported command %q", argv)
	return nil
}

func userInfoAny(in UserInfo) any {
	sels := []any{}
	for _, s := range in.Selectors {
		sels = append(sels, []any{"commands", s.Commands, "keys", s.Keys, "channels", s.Channels})
	}
	return []any{"flags", toAny(in.Flags), "passwords", toAny(in.Passwords),
		"commands", in.Commands, "keys", in.Keys, "channels", in.Channels, "selectors", sels}
}

func render(v any) string {
	if e, ok := v.(errReply); ok {
		return "(error) " + string(e)
	}
	if a, ok := v.([]any); ok {
		for i, e := range a {
			if er, ok := e.(errReply); ok {
				a[i] = "(error) " + string(er)
			}
		}
	}
	return renderAny(v, "")
}

func splitCommand(t testing.TB, line string) []string {
	args, err := SplitArgs(line)
	if err != nil || len(args) == 0 {
		t.Fatalf("bad command line %q", line)
	}
	return args
}

func loadInput(t testing.TB, d *datadriven.TestData) []byte {
	in := d.Input
	if d.HasArg("escaped") {
		s, err := strconv.Unquote(`"` + strings.ReplaceAll(in, `"`, `\"`) + `"`)
		if err != nil {
			t.Fatalf("bad escaped input: %v", err)
		}
		in = s
	} else if in != "" {
		in += "\n"
	}
	return []byte(in)
}

func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		h := newHarness(t)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "exec":
				var out []string
				for _, line := range strings.Split(d.Input, "\n") {
					out = append(out, render(h.exec(splitCommand(t, line))))
				}
				return strings.Join(out, "\n") + "\n"
			case "load":
				if err := h.users.Load("users.acl", loadInput(t, d)); err != nil {
					return "(error) " + err.Error() + "\n"
				}
				return "OK\n"
			}
			t.Fatalf("unknown directive %s", d.Cmd)
			return ""
		})
	})
}

// TestScenariosAgainstRedis replays the scenarios on a real Redis and
// checks it prints what the files expect. The server should be started
// with --aclfile (overwritten by the load scenarios, which are skipped
// otherwise).
func TestScenariosAgainstRedis(t *testing.T) {
	addr := redisAddr(t)
	cat := loadTestCatalog(t)
	ctx := context.Background()
	admin := redisClient(t, addr, "", "")
	aclfile := ""
	if v, err := admin.Do(ctx, "config", "get", "aclfile").StringSlice(); err == nil && len(v) == 2 {
		aclfile = v[1]
	}
	if aclfile != "" && !filepath.IsAbs(aclfile) {
		t.Fatalf("use an absolute --aclfile path (got %q)", aclfile)
	}
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		resetRedis(t, admin)
		if aclfile != "" {
			// An empty file brings back the start-up default user.
			if err := os.WriteFile(aclfile, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if r := redisDo(admin, "acl", "load"); r != "OK" {
				t.Fatalf("ACL LOAD: %s", r)
			}
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "exec":
				var out []string
				for _, line := range strings.Split(d.Input, "\n") {
					out = append(out, redisExec(t, cat, addr, admin, splitCommand(t, line)))
				}
				return strings.Join(out, "\n") + "\n"
			case "load":
				if aclfile == "" || d.HasArg("norepl") {
					return d.Expected
				}
				if err := os.WriteFile(aclfile, loadInput(t, d), 0o644); err != nil {
					t.Fatal(err)
				}
				return strings.ReplaceAll(redisDo(admin, "acl", "load"), aclfile, "users.acl") + "\n"
			}
			t.Fatalf("unknown directive %s", d.Cmd)
			return ""
		})
	})
	resetRedis(t, admin)
}

func redisExec(t *testing.T, cat *Catalog, addr string, admin *redis.Client, argv []string) string {
	ctx := context.Background()
	cmd := strings.ToUpper(argv[0])
	sub := ""
	if len(argv) > 1 {
		sub = strings.ToUpper(argv[1])
	}
	switch {
	case cmd == "AS":
		c := redisClient(t, addr, argv[1], "x")
		defer c.Close()
		r := redisDo(c, argv[2:]...)
		if strings.HasPrefix(r, "(error) NOPERM") {
			return r
		}
		return "(allowed)"
	case cmd == "AUTH":
		c := redisClient(t, addr, "", "")
		defer c.Close()
		return redisDo(c, argv...)
	case cmd == "ACL" && sub == "LOG" && !(len(argv) == 3 && strings.EqualFold(argv[2], "reset")):
		iargs := make([]any, len(argv))
		for i, a := range argv {
			iargs[i] = a
		}
		v, err := admin.Do(ctx, iargs...).Slice()
		if err != nil {
			return "(error) " + err.Error()
		}
		var out []any
		for _, e := range v {
			f := map[string]any{}
			kv := e.([]any)
			for i := 0; i+1 < len(kv); i += 2 {
				f[kv[i].(string)] = kv[i+1]
			}
			out = append(out, fmt.Sprintf("count=%d reason=%s context=%s object=%s username=%s",
				f["count"], f["reason"], f["context"], f["object"], f["username"]))
		}
		return renderAny(out, "")
	case cmd == "ACL" && sub == "CAT" && len(argv) == 3:
		iargs := []any{argv[0], argv[1], argv[2]}
		v, err := admin.Do(ctx, iargs...).StringSlice()
		if err != nil {
			return redisDo(admin, argv...)
		}
		sort.Slice(v, func(i, j int) bool {
			a, _ := cat.Lookup(v[i])
			b, _ := cat.Lookup(v[j])
			return a < b
		})
		return renderAny(toAny(v), "")
	}
	return redisDo(admin, argv...)
}
