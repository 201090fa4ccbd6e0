package daemon

import (
	"bufio"
	"context"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// registerEverything adds every Redis 7.0 command the table does not have
// yet, with a handler that must not run, so that COMMAND can be checked
// against Redis over the whole command set.
func registerEverything(t *commandTable) {
	var names []string
	for name := range t.meta {
		names = append(names, name)
	}
	// Parents sort before their "parent|sub" subcommands.
	sort.Strings(names)
	noop := func(c *Client, argv [][]byte) { c.ReplyError("ERR not implemented in this test") }
	for _, name := range names {
		parent, sub, isSub := strings.Cut(name, "|")
		if isSub {
			if t.byName[parent].subs[sub] == nil {
				t.register(name, noop)
			}
			continue
		}
		if t.byName[name] != nil {
			continue
		}
		if info := t.meta[name].Info; len(info.A) >= 10 && len(info.A[9].A) > 0 {
			t.registerContainer(name)
		} else {
			t.register(name, noop)
		}
	}
}

// fullHarness is a harness whose server knows every Redis 7.0 command.
func fullHarness(t *testing.T) *harness {
	h := newHarness(t)
	registerEverything(h.srv.cmds)
	return h
}

// getKeysCases are COMMAND GETKEYS/GETKEYSANDFLAGS lines with Redis
// 7.0.15's replies (TestGetKeysCasesMatchRedis replays them on a live
// server): key specs, the commands' own key finders where specs fall
// short, and Redis's quirks (atoi counts, C int casts, SORT's option
// skipping).
var getKeysCases = []struct{ line, want string }{
	{`command getkeys nosuch a`, `(error) ERR Invalid command specified`},
	{`command getkeys get a b`, `(error) ERR Invalid number of arguments specified for command`},
	{`command getkeys config get`, `(error) ERR The command has no key arguments`},
	{`command getkeys config nosuch a`, `(error) ERR Invalid command specified`},
	{`command getkeysandflags set a b`, `[["a" [OW update]]]`},
	{`command getkeysandflags set a b get`, `[["a" [RW access update]]]`},
	{`command getkeysandflags set a b nx GeT`, `[["a" [RW access update]]]`},
	{`command getkeysandflags set a b GET ex 1`, `[["a" [RW access update]]]`},
	{`command getkeysandflags set a b getx`, `[["a" [OW update]]]`},
	{`command getkeys zunionstore d 2 a b`, `["d" "a" "b"]`},
	{`command getkeys zunionstore d 3 a b`, `(error) ERR Invalid arguments specified for command`},
	{`command getkeys zunionstore d x a b`, `(error) ERR Invalid arguments specified for command`},
	{`command getkeys zunionstore d -1 a b`, `(error) ERR Invalid arguments specified for command`},
	{`command getkeys zunionstore d 0 a b`, `(error) ERR Invalid arguments specified for command`},
	{`command getkeysandflags zunionstore d 1 a`, `[["d" [OW update]] ["a" [RO access]]]`},
	{`command getkeysandflags zunionstore d 2x a b`, `[["a" []] ["b" []] ["d" []]]`},
	{`command getkeysandflags zdiffstore d 2x a b`, `[["a" []] ["b" []] ["d" []]]`},
	{`command getkeysandflags zunion 2x a b`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags zdiff 2x a b`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags zintercard 2x a b`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags sintercard 2x a b`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags sintercard 2 a b`, `[["a" [RO access]] ["b" [RO access]]]`},
	{`command getkeysandflags lmpop 2x a b left`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags lmpop 2 a b left`, `[["a" [RW access delete]] ["b" [RW access delete]]]`},
	{`command getkeysandflags blmpop 0 2x a b left`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags zmpop 2x a b min`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags bzmpop 0 2x a b min`, `[["a" []] ["b" []]]`},
	{`command getkeys sort a`, `["a"]`},
	{`command getkeys sort a store b`, `["a" "b"]`},
	{`command getkeysandflags sort a store b`, `[["a" [RO access]] ["b" [OW update]]]`},
	{`command getkeysandflags sort a by x get y store b`, `[["a" [RO access]] ["b" [OW update]]]`},
	{`command getkeysandflags sort a store`, `[["a" [RO access]]]`},
	{`command getkeysandflags sort a limit 0 1 store b`, `[["a" [RO access]] ["b" [OW update]]]`},
	{`command getkeysandflags sort a get # store b store c`, `[["a" [RO access]] ["c" [OW update]]]`},
	{`command getkeysandflags sort a get store b`, `[["a" [RO access]]]`},
	{`command getkeysandflags sort a by store`, `[["a" [RO access]]]`},
	{`command getkeysandflags sort_ro a`, `[["a" [RO access]]]`},
	{`command getkeysandflags sort_ro a by x`, `[["a" [RO access]]]`},
	{`command getkeysandflags bitfield a get u8 0`, `[["a" [RO access]]]`},
	{`command getkeysandflags bitfield a set u8 0 1`, `[["a" [RW access update]]]`},
	{`command getkeysandflags bitfield a get u8 0 overflow wrap`, `[["a" [RO access]]]`},
	{`command getkeysandflags bitfield a incrby u8 0 1`, `[["a" [RW access update]]]`},
	{`command getkeysandflags bitfield a overflow fail`, `[["a" [RO access]]]`},
	{`command getkeysandflags bitfield a get u8`, `[["a" [RW access update]]]`},
	{`command getkeysandflags bitfield_ro a get u8 0`, `[["a" [RO access]]]`},
	{`command getkeysandflags migrate h p a 0 1`, `[["a" [RW access delete]]]`},
	{`command getkeysandflags migrate h p "" 0 1 keys a b`, `[["a" [RW access delete]] ["b" [RW access delete]]]`},
	{`command getkeysandflags migrate h p "" 0 1 auth x keys a b`, `[["a" [RW access delete]] ["b" [RW access delete]]]`},
	{`command getkeysandflags migrate h p a 0 1 keys b`, `(error) ERR Invalid arguments specified for command`},
	{`command getkeysandflags migrate h p "" 0 1 copy replace keys a`, `[["a" [RW access delete]]]`},
	{`command getkeysandflags migrate h p "" 0 1 auth2 u p keys a`, `[["a" [RW access delete]]]`},
	{`command getkeysandflags migrate h p "" 0 1 keys`, `[["" [RW access delete]]]`},
	{`command getkeysandflags migrate h p "" 0 1 auth keys`, `[["" [RW access delete]]]`},
	{`command getkeysandflags xread streams a b 0 0`, `[["a" [RO access]] ["b" [RO access]]]`},
	{`command getkeysandflags xread streams a b 0`, `[["a" [RO access]]]`},
	{`command getkeysandflags xread count 1 streams`, `(error) ERR Invalid arguments specified for command`},
	{`command getkeysandflags xreadgroup group g c streams a 0`, `[["a" [RO access]]]`},
	{`command getkeysandflags xreadgroup group g c streams a b`, `[["a" [RO access]]]`},
	{`command getkeys xreadgroup group g c streams a b 0 1`, `["a" "b"]`},
	{`command getkeys xreadgroup group g c count 1 streams a b 0 1`, `["a" "b"]`},
	{`command getkeys xreadgroup group streams c streams streams 0`, `["streams"]`},
	{`command getkeys eval s 0`, `[]`},
	{`command getkeys eval s 2 a b`, `["a" "b"]`},
	{`command getkeys eval s 3 a b`, `[]`},
	{`command getkeysandflags eval s 1x a`, `[["a" []]]`},
	{`command getkeysandflags eval s 1 a`, `[["a" [RW access update]]]`},
	{`command getkeysandflags evalsha s 1x a`, `[["a" []]]`},
	{`command getkeysandflags fcall s 1x a`, `[["a" []]]`},
	{`command getkeysandflags fcall_ro s 1x a`, `[["a" []]]`},
	{`command getkeysandflags eval s 02 a b`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags eval s " 2" a b`, `[["a" []] ["b" []]]`},
	{`command getkeysandflags eval s -1 a b`, `[]`},
	{`command getkeysandflags eval s 4294967297 a`, `[["a" [RW access update]]]`},
	{`command getkeys publish a b`, `(error) ERR The command has no key arguments`},
	{`command getkeys lcs a b`, `["a" "b"]`},
	{`command getkeysandflags georadius k 1 2 3 m store d`, `[["k" [RO access]] ["d" [OW update]]]`},
	{`command getkeysandflags georadius k 1 2 3 m storedist d`, `[["k" [RO access]] ["d" [OW update]]]`},
	{`command getkeysandflags georadius k 1 2 3 m store`, `[["k" [RO access]]]`},
	{`command getkeysandflags georadius k 1 2 3 m STORE a storedist b`, `[["k" [RO access]] ["a" [OW update]] ["b" [OW update]]]`},
	{`command getkeysandflags georadiusbymember k a 3 m store`, `[["k" [RO access]]]`},
	{`command getkeysandflags georadiusbymember k a 3 m store x`, `[["k" [RO access]] ["x" [OW update]]]`},
	{`command getkeysandflags georadius_ro k 1 2 3 m`, `[["k" [RO access]]]`},
	{`command getkeys set a`, `(error) ERR Invalid number of arguments specified for command`},
	{`command getkeysandflags lmove a b left right`, `[["a" [RW access delete]] ["b" [RW insert]]]`},
	{`command getkeysandflags rename a b`, `[["a" [RW access delete]] ["b" [OW update]]]`},
	{`command getkeysandflags mset a 1 b 2`, `[["a" [OW update]] ["b" [OW update]]]`},
	{`command getkeysandflags mset a 1 b`, `[["a" [OW update]] ["b" [OW update]]]`},
	{`command getkeysandflags del a b c`, `[["a" [RM delete]] ["b" [RM delete]] ["c" [RM delete]]]`},
	{`command getkeysandflags object encoding a`, `[["a" [RO]]]`},
	{`command getkeysandflags memory usage a`, `[["a" [RO]]]`},
	{`command getkeysandflags zrangestore d s 0 1`, `[["d" [OW update]] ["s" [RO access]]]`},
	{`command getkeysandflags spublish ch m`, `(error) ERR The command has no key arguments`},
	{`command getkeysandflags pfdebug getreg a`, `[["a" [RW access]]]`},
	{`command getkeysandflags debug object a`, `(error) ERR The command has no key arguments`},
	{`command getkeysandflags blpop a b 0`, `[["a" [RW access delete]] ["b" [RW access delete]]]`},
	{`command getkeysandflags msetnx a 1 b 2`, `[["a" [OW insert]] ["b" [OW insert]]]`},
	{`command getkeysandflags xinfo stream s`, `[["s" [RO access]]]`},
	{`command getkeysandflags xgroup create s g $`, `[["s" [RW insert]]]`},
	{`command getkeysandflags restore k 0 v`, `[["k" [OW update]]]`},
	{`command getkeysandflags pfmerge d a b`, `[["d" [RW access insert]] ["a" [RO access]] ["b" [RO access]]]`},
	{`command getkeysandflags copy a b`, `[["a" [RO access]] ["b" [OW update]]]`},
	{`command getkeysandflags smove a b m`, `[["a" [RW access delete]] ["b" [RW insert]]]`},
	{`command getkeysandflags getex a`, `[["a" [RW access update]]]`},
	{`command getkeysandflags watch a b`, `[["a" [RO]] ["b" [RO]]]`},
	{`command getkeysandflags exists a a`, `[["a" [RO]] ["a" [RO]]]`},
}

func TestGetKeys(t *testing.T) {
	h := fullHarness(t)
	defer h.close()
	c := h.client(1)
	for _, tc := range getKeysCases {
		if got := strings.Join(c.do(t, tc.line), "\n"); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.line, got, tc.want)
		}
	}
}

func TestGetKeysCasesMatchRedis(t *testing.T) {
	r := dialRedis(t)
	for _, tc := range getKeysCases {
		if got := r.do(t, tc.line).String(); got != tc.want {
			t.Errorf("Redis: %s\n got %s\nwant %s", tc.line, got, tc.want)
		}
	}
}

// liveRedis is a connection to the Redis 7.0 named by
// REDOUBT_SCENARIO_REDIS.
type liveRedis struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRedis(t *testing.T) *liveRedis {
	t.Helper()
	addr := os.Getenv("REDOUBT_SCENARIO_REDIS")
	if addr == "" {
		t.Skip("REDOUBT_SCENARIO_REDIS not set")
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &liveRedis{conn, bufio.NewReader(conn)}
}

func (l *liveRedis) do(t *testing.T, line string) resp.Value {
	t.Helper()
	argv, _, _, err := resp.ReadCommand([]byte(line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 20, MaxMultibulkLen: 1 << 10, MaxInlineLen: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	l.conn.SetDeadline(time.Now().Add(5 * time.Second))
	l.conn.Write(encodeCommand(argv))
	var buf []byte
	for {
		b, err := l.r.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf, b...)
		if v, n, err := resp.ReadReply(buf); err == nil && n > 0 {
			return v
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

// TestCommandIntrospectionMatchesRedis compares COMMAND INFO and COMMAND
// DOCS of every command with a live Redis 7.0, when all are registered.
// Subcommand lists are compared as sets: Redis orders them by hash.
func TestCommandIntrospectionMatchesRedis(t *testing.T) {
	r := dialRedis(t)
	h := fullHarness(t)
	defer h.close()
	c := h.client(1)
	var names []string
	for name := range h.srv.cmds.meta {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, sub := range []string{"INFO", "DOCS"} {
			line := "COMMAND " + sub + " " + name
			want := r.do(t, line)
			got := c.reply(t, "COMMAND", sub, name)
			info := h.srv.cmds.meta[name].Info
			hasSubs := len(info.A) >= 10 && len(info.A[9].A) > 0
			if got.String() != want.String() && (!hasSubs || canonical(got) != canonical(want)) {
				t.Errorf("%s:\n got %s\nwant %s", line, got, want)
			}
		}
	}
	if got, want := c.reply(t, "COMMAND", "COUNT"), r.do(t, "COMMAND COUNT"); got.Int != want.Int {
		t.Errorf("COMMAND COUNT = %d, Redis %d", got.Int, want.Int)
	}
	got, want := c.reply(t, "COMMAND", "LIST"), r.do(t, "COMMAND LIST")
	if canonical(got) != canonical(want) {
		t.Errorf("COMMAND LIST differs:\n got %s\nwant %s", got, want)
	}
	// The matcher agrees with Redis's on every command name.
	for _, pattern := range []string{"*", "c*", "*|*", "x?ead", "[a-c]*", "[^a-y]*", "*[!-/]*", "z[a-d]*e",
		"CONFIG|*", "s[[]*", "\\x*", "*e\\", "[", "[a", "[]*", "[^]*", "[a-]*", "[z-x]*"} {
		got := c.reply(t, "COMMAND", "LIST", "FILTERBY", "PATTERN", pattern)
		want := r.do(t, "COMMAND LIST FILTERBY PATTERN \""+strings.ReplaceAll(pattern, `\`, `\\`)+"\"")
		if canonical(got) != canonical(want) {
			t.Errorf("PATTERN %q:\n got %s\nwant %s", pattern, got, want)
		}
	}
	for _, cat := range []string{"read", "WRITE", "dangerous", "@read", "nosuch"} {
		got := c.reply(t, "COMMAND", "LIST", "FILTERBY", "ACLCAT", cat)
		want := r.do(t, "COMMAND LIST FILTERBY ACLCAT "+cat)
		if canonical(got) != canonical(want) {
			t.Errorf("ACLCAT %q:\n got %s\nwant %s", cat, got, want)
		}
	}
}

// canonical renders a reply with every array sorted, so replies that
// differ only in hash order compare equal.
func canonical(v resp.Value) string {
	if v.Kind != resp.Array && v.Kind != resp.Set && v.Kind != resp.Map {
		return v.String()
	}
	var parts []string
	for _, e := range v.Elems {
		parts = append(parts, canonical(e))
	}
	if v.Kind == resp.Map {
		// Keep key/value pairs together.
		var pairs []string
		for i := 0; i+1 < len(parts); i += 2 {
			pairs = append(pairs, parts[i]+": "+parts[i+1])
		}
		parts = pairs
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

// TestCommandRestrictedToRegistered checks that COMMAND only tells about
// what the server implements, down to a parent's subcommands.
func TestCommandRestrictedToRegistered(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	tbl := newCommandTable()
	registerCommandCommands(tbl)
	tbl.register("ping", cmdPing)
	tbl.registerContainer("config")
	tbl.register("config|get", cmdConfigGet)
	h.srv.cmds = tbl
	c := h.client(1)

	if v := c.reply(t, "COMMAND", "COUNT"); v.Int != 3 {
		t.Errorf("COMMAND COUNT = %d, want 3", v.Int)
	}
	want := `["command" "command|count" "command|docs" "command|getkeys" "command|getkeysandflags" "command|help" "command|info" "command|list" "config" "config|get" "ping"]`
	if v := c.reply(t, "COMMAND", "LIST"); v.String() != want {
		t.Errorf("COMMAND LIST = %s\nwant %s", v, want)
	}
	all := c.reply(t, "COMMAND")
	var names []string
	for _, e := range all.Elems {
		names = append(names, string(e.Elems[0].Str))
	}
	if strings.Join(names, " ") != "command config ping" {
		t.Errorf("COMMAND lists %v", names)
	}
	info := c.reply(t, "COMMAND", "INFO", "config", "config|set", "get")
	want = `[["config" (integer) -2 [] (integer) 0 (integer) 0 (integer) 0 [@slow] [] [] [["config|get" (integer) -3 [admin noscript loading stale] (integer) 0 (integer) 0 (integer) 0 [@admin @slow @dangerous] [] [] []]]] (nil) (nil)]`
	if info.String() != want {
		t.Errorf("COMMAND INFO config config|set get =\n%s\nwant\n%s", info, want)
	}
	docs := c.reply(t, "COMMAND", "DOCS", "config", "ping")
	want = `["config" ["summary" "A container for server configuration commands" "since" "2.0.0" "group" "server" "complexity" "Depends on subcommand." "subcommands" ["config|get" ["summary" "Get the values of configuration parameters" "since" "2.0.0" "group" "server" "complexity" "O(N) when N is the number of configuration parameters provided" "history" [["7.0.0" "Added the ability to pass multiple pattern parameters in one call"]] "arguments" [["name" "parameter" "type" "block" "flags" [multiple] "arguments" [["name" "parameter" "type" "string"]]]]]]] "ping" ["summary" "Ping the server" "since" "1.0.0" "group" "connection" "complexity" "O(1)" "arguments" [["name" "message" "type" "string" "flags" [optional]]]]]`
	if docs.String() != want {
		t.Errorf("COMMAND DOCS config ping =\n%s\nwant\n%s", docs, want)
	}
	// The command table itself still has every subcommand's metadata.
	if got := c.do(t, "COMMAND GETKEYS config set a b"); strings.Join(got, "") != "(error) ERR Invalid command specified" {
		t.Errorf("GETKEYS on an unregistered subcommand: %v", got)
	}
}

func TestCommandNameMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "get", true},
		{"*", "", false}, // as in Redis: nothing matches an empty string
		{"", "", true},
		{"", "a", false},
		{"g*", "get", true},
		{"G*", "get", true},
		{"g*", "set", false},
		{"*t", "get", true},
		{"*e*", "get", true},
		{"g?t", "get", true},
		{"g?t", "gt", false},
		{"config|*", "config|get", true},
		{"*|get", "config|get", true},
		{"[gs]et", "set", true},
		{"[GS]et", "set", true},
		{"[^gs]et", "set", false},
		{"[^gs]et", "bet", true},
		{"[a-f]et", "get", false},
		{"[a-g]et", "get", true},
		{"[g-a]et", "get", true},
		{"[A-G]et", "get", true},
		{`\*`, "*", true},
		{`\*`, "a", false},
		{`g\et`, "get", true},
		{`ge\`, "ge", false},
		{`ge\`, `ge\`, true},
		{"[", "a", false},
		{"[a", "a", true},
		{"[a", "ab", false},
		{"[]", "a", false},
		{"[a-]", "-", false},
		{"a**b", "ab", true},
		{"a*b*c", "axbyc", true},
		{"a*b*c", "axbyd", false},
		{strings.Repeat("*a", 30) + "*b", strings.Repeat("a", 60), false},
	} {
		if got := commandNameMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("commandNameMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestCAtoi(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"2", 2}, {"02", 2}, {" 2", 2}, {"\t+3", 3}, {"2x", 2}, {"x2", 0}, {"", 0}, {"-1", -1},
		{"4294967297", 1}, {"2147483648", -2147483648}, {"99999999999999999999", -1},
		{"-99999999999999999999", 0}, {"18446744073709551617", -1}, {"9223372036854775807", -1},
		{"9223372036854775808", -1}, {"-9223372036854775808", 0}, {"-9223372036854775809", 0},
		{"922337203685477580", -858993460},
	} {
		if got := cAtoi([]byte(tc.in)); got != tc.want {
			t.Errorf("cAtoi(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestCommandGoRedis checks that go-redis parses COMMAND, COMMAND INFO,
// COMMAND LIST and COMMAND GETKEYS replies over a real connection.
func TestCommandGoRedis(t *testing.T) {
	srv, addr := startNetServer(t, func(s *Server) { registerEverything(s.cmds) })
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DisableIdentity: true})
		cmds, err := rdb.Command(ctx).Result()
		if err != nil {
			t.Fatalf("RESP%d Command: %v", proto, err)
		}
		if len(cmds) != len(srv.cmds.byName) {
			t.Errorf("RESP%d Command: %d commands, want %d", proto, len(cmds), len(srv.cmds.byName))
		}
		get := cmds["get"]
		if get == nil || get.Arity != 2 || !get.ReadOnly || get.FirstKeyPos != 1 || len(get.ACLFlags) == 0 {
			t.Errorf("RESP%d Command[get] = %+v", proto, get)
		}
		if cfg := cmds["config"]; cfg == nil || cfg.Arity != -2 {
			t.Errorf("RESP%d Command[config] = %+v", proto, cfg)
		}
		infoCmd := redis.NewCommandsInfoCmd(ctx, "command", "info", "mset")
		_ = rdb.Process(ctx, infoCmd)
		info, err := infoCmd.Result()
		if err != nil || info["mset"] == nil || info["mset"].LastKeyPos != -1 || info["mset"].StepCount != 2 {
			t.Errorf("RESP%d CommandInfo = %+v, %v", proto, info, err)
		}
		names, err := rdb.CommandList(ctx, &redis.FilterBy{Pattern: "config|*"}).Result()
		sort.Strings(names)
		if err != nil || strings.Join(names, " ") != "config|get config|help config|resetstat config|rewrite config|set" {
			t.Errorf("RESP%d CommandList = %v, %v", proto, names, err)
		}
		keys, err := rdb.CommandGetKeys(ctx, "mset", "a", "1", "b", "2").Result()
		if err != nil || strings.Join(keys, " ") != "a b" {
			t.Errorf("RESP%d CommandGetKeys = %v, %v", proto, keys, err)
		}
		kf, err := rdb.CommandGetKeysAndFlags(ctx, "lmove", "a", "b", "left", "right").Result()
		if err != nil || len(kf) != 2 || kf[1].Key != "b" || strings.Join(kf[1].Flags, " ") != "RW insert" {
			t.Errorf("RESP%d CommandGetKeysAndFlags = %+v, %v", proto, kf, err)
		}
		// go-redis reads INFO into sections too.
		if m, err := rdb.InfoMap(ctx, "server", "keyspace").Result(); err != nil || m["Server"]["redis_version"] != Version {
			t.Errorf("RESP%d InfoMap = %v, %v", proto, m, err)
		}
		rdb.Close()
	}
}
