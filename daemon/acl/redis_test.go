package acl

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// These tests compare the package with a real Redis 7.0.15 when
// REDOUBT_ACL_REDIS=127.0.0.1:port names one. They create and delete
// users on it; scenarios that load ACL files need the server started with
// --aclfile (the file is overwritten). Start a throwaway server:
//
//	redis-server --port 7777 --save "" --appendonly no --aclfile /tmp/users.acl
//	REDOUBT_ACL_REDIS=127.0.0.1:7777 go test ./daemon/acl

func redisAddr(t *testing.T) string {
	addr := os.Getenv("REDOUBT_ACL_REDIS")
	if addr == "" {
		t.Skip("REDOUBT_ACL_REDIS not set")
	}
	return addr
}

func redisClient(t *testing.T, addr, user, pass string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true,
		Username: user, Password: pass, PoolSize: 1, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// redisDo runs one command and renders the reply, with single command
// rules in canonical order.
func redisDo(c *redis.Client, args ...string) string {
	iargs := make([]any, len(args))
	for i, a := range args {
		iargs[i] = a
	}
	v, err := c.Do(context.Background(), iargs...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		var rerr redis.Error
		if errors.As(err, &rerr) {
			return "(error) " + rerr.Error()
		}
		return "(io error) " + err.Error()
	}
	return renderAny(canonAny(v), "")
}

// canonAny applies canonRules to every string of a reply.
func canonAny(v any) any {
	switch v := v.(type) {
	case string:
		return canonRules(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = canonAny(e)
		}
		return out
	}
	return v
}

// resetRedis deletes every user but default and gives default its
// start-up rules back (as far as ACL SETUSER can).
func resetRedis(t *testing.T, c *redis.Client) {
	ctx := context.Background()
	names, err := c.Do(ctx, "acl", "users").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n != DefaultUserName {
			c.Do(ctx, "acl", "deluser", n)
		}
	}
	c.Do(ctx, "acl", "setuser", "default", "on", "nopass", "~*", "&*", "+@all", "clearselectors")
	c.Do(ctx, "acl", "log", "reset")
	c.Do(ctx, "config", "set", "acl-pubsub-default", "resetchannels")
}

func renderAny(v any, indent string) string {
	switch v := v.(type) {
	case nil:
		return "(nil)"
	case string:
		return v
	case int64:
		return fmt.Sprintf("(integer) %d", v)
	case []any:
		if len(v) == 0 {
			return "(empty array)"
		}
		var b strings.Builder
		for i, e := range v {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(indent)
			b.WriteString(fmt.Sprintf("%d) ", i+1))
			s := renderAny(e, indent+"   ")
			b.WriteString(strings.TrimPrefix(s, indent+"   "))
		}
		return b.String()
	}
	return fmt.Sprintf("(unexpected %T %v)", v, v)
}

// canonRules puts runs of single command rules ("+get -config|set") in
// catalog order, so Redis's hash-ordered output compares with ours.
func canonRules(s string) string {
	toks := strings.Split(s, " ")
	isSingle := func(t string) bool {
		t = strings.TrimPrefix(strings.TrimSuffix(t, ")"), "(")
		return len(t) > 1 && (t[0] == '+' || t[0] == '-') && t[1] != '@'
	}
	key := func(t string) string {
		name := strings.TrimSuffix(t, ")")[1:]
		if base, _, ok := strings.Cut(name, "|"); ok {
			if id, found := testCatalog.Lookup(base); found && len(testCatalog.cmds[id].subs) == 0 {
				// A first argument: Redis keeps them in the order added.
				return base + "\x01"
			}
		}
		return strings.ReplaceAll(name, "|", "\x01")
	}
	for i := 0; i < len(toks); {
		if !isSingle(toks[i]) || strings.HasPrefix(toks[i], "(") {
			i++
			continue
		}
		j := i
		for j < len(toks) && isSingle(toks[j]) && !strings.HasPrefix(toks[j], "(") {
			j++
			if strings.HasSuffix(toks[j-1], ")") {
				break
			}
		}
		run := append([]string(nil), toks[i:j]...)
		closing := strings.HasSuffix(run[len(run)-1], ")")
		if closing {
			run[len(run)-1] = strings.TrimSuffix(run[len(run)-1], ")")
		}
		sort.SliceStable(run, func(a, b int) bool { return key(run[a]) < key(run[b]) })
		if closing {
			run[len(run)-1] += ")"
		}
		copy(toks[i:j], run)
		i = j
	}
	return strings.Join(toks, " ")
}

func TestCanonRules(t *testing.T) {
	loadTestCatalog(t)
	for in, want := range map[string]string{
		"user c off resetchannels -@all +set +hget +lpush +get":        "user c off resetchannels -@all +get +hget +lpush +set",
		"-@all +select|1 +get +select|0":                               "-@all +get +select|1 +select|0",
		"+@all -config|set -config (~a resetchannels -@all +set +get)": "+@all -config -config|set (~a resetchannels -@all +get +set)",
	} {
		if got := canonRules(in); got != want {
			t.Errorf("canonRules(%q) = %q, want %q", in, got, want)
		}
	}
}

// rulePool feeds the random comparison with valid and invalid rules.
var rulePool = []string{
	"on", "off", "nopass", "resetpass", ">p1", ">p2", "<p1", "<p2", "#" + HashPassword([]byte("p3")),
	"!" + HashPassword([]byte("p3")), "#abc", "sanitize-payload", "skip-sanitize-payload",
	"reset", "clearselectors",
	"allkeys", "resetkeys", "~a*", "~b", "%R~r*", "%W~w*", "%RW~x*", "%rw~*", "~*", "%R~a*",
	"allchannels", "resetchannels", "&c*", "&d", "&*",
	"allcommands", "nocommands", "+@all", "-@all",
	"+get", "-get", "+set", "-set", "+GET", "+config", "-config", "+config|get", "-config|set",
	"+client", "-client|kill", "+client|id", "+select|0", "+select|1", "-select", "+debug|object",
	"+acl", "-acl|setuser", "+acl|whoami", "+publish", "+subscribe", "+psubscribe", "+ping",
	"+@read", "-@read", "+@write", "-@write", "+@string", "-@string", "+@hash", "+@admin",
	"-@admin", "+@dangerous", "-@dangerous", "+@slow", "-@slow", "+@fast", "-@fast",
	"+@keyspace", "-@keyspace", "+@pubsub", "+@connection", "-@connection", "+@scripting",
	"+@sortedset", "+@list", "-@list", "+@set", "+@blocking", "+@transaction", "+@geo",
	"+@stream", "+@bitmap", "+@hyperloglog",
	"(+get ~s*)", "(+@write %W~w* &c*)", "(+config|get)", "()", "(allcommands allkeys)",
	"foo", "+nosuch", "-@nosuch", "+config|get|x", "+select|", "(on)",
	"-@hash", "-@sortedset", "-@stream", "-@pubsub", "-@blocking", "-@transaction", "-@scripting",
	"-@geo", "-@bitmap", "-@hyperloglog", "-@set", "+client|kill", "-client|id", "+@all", "allcommands",
	"+object", "-object|help", "+memory|usage", "+xinfo", "-xinfo|stream", "+cluster|info",
	"+debug|sleep", "+SELECT|Db", "(+select|0 -@all +select|1)", "(-@all +@read -get ~r*)",
	"(+@all -@dangerous &x)", "%R~", "~", "&", "(&* &x)", "(~* ~x)",
}

var sampleCommands = [][]string{
	{"get", "a1"}, {"get", "r1"}, {"get", "w1"}, {"get", "s1"}, {"set", "w1", "v"}, {"set", "a1", "v"},
	{"set", "s1", "v"}, {"exists", "w1"}, {"del", "b"}, {"config", "get", "x"},
	{"config", "set", "x", "y"}, {"client", "id"}, {"client", "kill", "1.2.3.4:5"}, {"select", "0"},
	{"select", "1"}, {"debug", "object", "a"}, {"acl", "whoami"}, {"acl", "setuser", "z"},
	{"publish", "c1", "m"}, {"publish", "d", "m"}, {"subscribe", "c1", "e"}, {"psubscribe", "c*"},
	{"psubscribe", "c1"}, {"ping"}, {"mset", "a1", "v", "w1", "v"}, {"lmove", "r1", "w1", "left", "left"},
	{"hset", "x1", "f", "v"}, {"auth", "x"}, {"flushall"},
}

func TestRandomAgainstRedis(t *testing.T) {
	addr := redisAddr(t)
	c := redisClient(t, addr, "", "")
	ctx := context.Background()
	cat := loadTestCatalog(t)
	users := NewUsers(cat)
	resetRedis(t, c)
	defer resetRedis(t, c)
	var rng *rand.Rand
	applied := 0
	defer func() { t.Logf("%d SETUSER calls succeeded", applied) }()
	iterations := 400
	if s := os.Getenv("REDOUBT_ACL_ITERATIONS"); s != "" {
		fmt.Sscan(s, &iterations)
	}
	seed := int64(1)
	if s := os.Getenv("REDOUBT_ACL_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	rng = rand.New(rand.NewSource(seed))
	for i := 0; i < iterations; i++ {
		name := fmt.Sprintf("rnd%d", i%40)
		if i%40 == 0 {
			pubsub := "resetchannels"
			if rng.Intn(3) == 0 {
				pubsub = "allchannels"
			}
			c.Do(ctx, "config", "set", "acl-pubsub-default", pubsub)
			users.SetPubsubDefault(pubsub == "allchannels")
			for j := 0; j < 40; j++ {
				c.Do(ctx, "acl", "deluser", fmt.Sprintf("rnd%d", j))
				users.DelUser(fmt.Sprintf("rnd%d", j))
			}
		}
		n := 1 + rng.Intn(12)
		rules := make([]string, n)
		for j := range rules {
			rules[j] = rulePool[rng.Intn(len(rulePool))]
			// Mostly valid rules, so that most calls get through.
			for rng.Intn(4) != 0 && isBadRule(rules[j]) {
				rules[j] = rulePool[rng.Intn(len(rulePool))]
			}
		}
		want := redisDo(c, append([]string{"acl", "setuser", name}, rules...)...)
		got := "OK"
		if _, _, err := users.SetUser(name, rules); err != nil {
			got = "(error) " + err.Error()
		} else {
			applied++
		}
		if got != want {
			t.Fatalf("SETUSER %s %q:\n got %s\nwant %s", name, rules, got, want)
		}
		u := users.Get(name)
		if u == nil {
			continue
		}
		wantList := redisDo(c, "acl", "getuser", name)
		gotList := renderUserInfo(u.Info())
		if gotList != wantList {
			t.Fatalf("after SETUSER %s %q: GETUSER\n got %s\nwant %s", name, rules, gotList, wantList)
		}
		wantDescr := redisDo(c, "acl", "list")
		gotDescr := renderAny(toAny(users.List()), "")
		if gotDescr != wantDescr {
			t.Fatalf("after SETUSER %s %q: LIST\n got %s\nwant %s", name, rules, gotDescr, wantDescr)
		}
		for _, argv := range sampleCommands {
			want := redisDo(c, append([]string{"acl", "dryrun", name}, argv...)...)
			req, cmdName := testRequest(t, cat, argv...)
			d := u.Check(req)
			got := d.DryRunText(cmdName, req.Argv)
			if got != want {
				t.Fatalf("user %s (%s): DRYRUN %q:\n got %s\nwant %s", name, u.Describe(), argv, got, want)
			}
		}
	}
}

func isBadRule(r string) bool {
	_, _, err := NewUsers(testCatalog).SetUser("x", []string{r})
	return err != nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// renderUserInfo renders Info as the RESP2 GETUSER reply.
func renderUserInfo(in UserInfo) string {
	sels := []any{}
	for _, s := range in.Selectors {
		sels = append(sels, []any{"commands", s.Commands, "keys", s.Keys, "channels", s.Channels})
	}
	return renderAny([]any{"flags", toAny(in.Flags), "passwords", toAny(in.Passwords),
		"commands", in.Commands, "keys", in.Keys, "channels", in.Channels, "selectors", sels}, "")
}

func TestHelpAgainstRedis(t *testing.T) {
	c := redisClient(t, redisAddr(t), "", "")
	got, err := c.Do(context.Background(), "acl", "help").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]string{"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"}, HelpLines...), "HELP", "    Prints this help.")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ACL HELP:\n%s", strings.Join(got, "\n"))
	}
}

// TestTextsAgainstRedis checks the fixed reply texts the scenarios do not
// reach.
func TestTextsAgainstRedis(t *testing.T) {
	addr := redisAddr(t)
	c := redisClient(t, addr, "", "")
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"acl", "genpass", "0"}, TextGenpassRange},
		{[]string{"acl", "genpass", "4097"}, TextGenpassRange},
		{[]string{"acl", "setuser", "a b"}, TextUsernameSpaces},
		{[]string{"acl", "deluser", "default"}, TextDeleteDefault},
		{[]string{"auth", "x"}, TextAuthNoPassword},
		{[]string{"auth", "nosuch", "x"}, TextWrongPass},
		{[]string{"acl", "dryrun", "nosuch", "get", "x"}, DryRunUnknownUser("nosuch").Error()},
		{[]string{"acl", "dryrun", "default", "nosuch"}, DryRunUnknownCommand("nosuch").Error()},
	} {
		if got := redisDo(c, tc.args...); got != "(error) "+tc.want {
			t.Errorf("%q: Redis says %s, we say %s", tc.args, got, tc.want)
		}
	}
	v, _ := c.Do(ctx, "config", "get", "aclfile").StringSlice()
	if len(v) == 2 && v[1] == "" {
		for _, sub := range []string{"load", "save"} {
			if got := redisDo(c, "acl", sub); got != "(error) "+TextNoACLFile {
				t.Errorf("ACL %s: %s", sub, got)
			}
		}
	}
	for _, bits := range []string{"1", "5", "255", "4096"} {
		p := redisDo(c, "acl", "genpass", bits)
		var b int64
		fmt.Sscan(bits, &b)
		ours, _ := GenPass(b)
		if len(p) != len(ours) {
			t.Errorf("GENPASS %s: Redis gives %d characters, we give %d", bits, len(p), len(ours))
		}
	}
	c.Do(ctx, "acl", "log", "reset")
}
