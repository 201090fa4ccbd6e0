package daemon

import (
	"bufio"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// ---- test fixtures ---------------------------------------------------------------

// zopTestSetup builds keys in db 0 straight through the coll API, so these
// tests do not depend on the collection write commands. Each line is a
// command in inline syntax: ZADD key score member..., SADD key member...,
// RPUSH key element..., HSET key field value...; any other line is run as
// a command on client 1 and must not fail. It returns each line's reply.
func zopTestSetup(t *testing.T, h *harness, lines ...string) []string {
	t.Helper()
	var out []string
	for _, line := range lines {
		argv, n, _, err := resp.ReadCommand([]byte(line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 30, MaxMultibulkLen: 1 << 20, MaxInlineLen: 1 << 20})
		if err != nil || n == 0 || len(argv) < 2 {
			t.Fatalf("bad setup line %q: %v", line, err)
		}
		if r, ok := zopTestWrite(h, argv); ok {
			out = append(out, r)
			continue
		}
		r := h.client(1).do(t, line)
		if len(r) != 1 || strings.HasPrefix(r[0], "(error)") {
			t.Fatalf("setup %q: %v", line, r)
		}
		out = append(out, r[0])
	}
	return out
}

// zopTestWrite runs one fixture command on the server's keyspace, with the
// lock held and the unit committed as dispatch would. ok is false for a
// command it does not implement. The reply is rendered like a scenario's.
func zopTestWrite(h *harness, argv [][]byte) (reply string, ok bool) {
	name := strings.ToLower(string(argv[0]))
	var t storage.Type
	switch name {
	case "zadd":
		t = storage.TypeZSet
	case "sadd":
		t = storage.TypeSet
	case "rpush":
		t = storage.TypeList
	case "hset":
		t = storage.TypeHash
	default:
		return "", false
	}
	s := h.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.commitLocked()
	co, wrong := s.ks.lookupColl(0, argv[1], t, true)
	if wrong {
		return "(error) " + errWrongType, true
	}
	cfg := s.cfg
	var added int64
	args := argv[2:]
	switch name {
	case "zadd":
		for i := 0; i+1 < len(args); i += 2 {
			score, ok := parseFloat(args[i])
			if !ok {
				return "(error) " + errNotFloat, true
			}
			member := args[i+1]
			sub := zsetMemberSub(nil, member)
			if old, found := co.get(sub); found {
				co.del(zsetScoreSub(nil, decodeScore(old), member))
			} else {
				co.m.Count++
				added++
			}
			co.put(sub, encodeScore(score))
			co.put(zsetScoreSub(nil, score, member), nil)
			if int64(len(member)) > int64(cfg.ZsetMaxListpackValue) {
				co.setBig()
			}
		}
		if co.Len() > int64(cfg.ZsetMaxListpackEntries) {
			co.setBig()
		}
	case "sadd":
		for _, m := range args {
			if _, isInt := parseInt(m); !isInt {
				co.setBig()
			}
			if !co.has(m) {
				co.put(m, nil)
				co.m.Count++
				added++
			}
		}
		if co.Len() > int64(cfg.SetMaxIntsetEntries) {
			co.setBig()
		}
	case "rpush":
		head := co.listHead()
		for _, e := range args {
			co.put(listSub(nil, head+co.m.Count), e)
			co.m.Count++
		}
		added = co.Len()
	case "hset":
		for i := 0; i+1 < len(args); i += 2 {
			if !co.has(args[i]) {
				co.m.Count++
				added++
			}
			co.put(args[i], args[i+1])
			if int64(max(len(args[i]), len(args[i+1]))) > int64(cfg.HashMaxListpackValue) {
				co.setBig()
			}
		}
		if co.Len() > int64(cfg.HashMaxListpackEntries) {
			co.setBig()
		}
	}
	co.save()
	return "(integer) " + itoa(added), true
}

// zopTestCase is a fixture and the replies a script of commands gets.
type zopTestCase struct {
	name  string
	setup []string
	proto int
	// script alternates a command line and its expected reply.
	script []string
}

// runZopTestCases plays each case on a fresh server; with
// REDOUBT_SCENARIO_REDIS set it plays them against that real server
// instead (setup lines as real commands), to check the expectations.
func runZopTestCases(t *testing.T, cases []zopTestCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if addr := os.Getenv("REDOUBT_SCENARIO_REDIS"); addr != "" {
				runZopTestCaseOnRedis(t, addr, tc)
				return
			}
			h := newHarness(t)
			defer h.close()
			zopTestSetup(t, h, tc.setup...)
			fc := h.client(1)
			if tc.proto != 0 {
				fc.sess.proto = tc.proto
			}
			for i := 0; i+1 < len(tc.script); i += 2 {
				got := fc.do(t, tc.script[i])
				if len(got) != 1 || got[0] != tc.script[i+1] {
					t.Errorf("%s:\n got %v\nwant %s", tc.script[i], got, tc.script[i+1])
				}
			}
		})
	}
}

func runZopTestCaseOnRedis(t *testing.T, addr string, tc zopTestCase) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	send := func(line string) string {
		argv, _, _, err := resp.ReadCommand([]byte(line+"\r\n"), nil, &resp.Limits{MaxBulkLen: 1 << 30, MaxMultibulkLen: 1 << 20, MaxInlineLen: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		conn.Write(encodeCommand(argv))
		return readReply(t, r)
	}
	send("FLUSHALL")
	send("CONFIG SET zset-max-listpack-entries 128 zset-max-listpack-value 64")
	defer send("CONFIG SET zset-max-listpack-entries 128 zset-max-listpack-value 64")
	for _, line := range tc.setup {
		if got := send(line); strings.HasPrefix(got, "(error)") {
			t.Fatalf("setup %q: %s", line, got)
		}
	}
	if tc.proto == 3 {
		send("HELLO 3")
	}
	for i := 0; i+1 < len(tc.script); i += 2 {
		if got := send(tc.script[i]); got != tc.script[i+1] {
			t.Errorf("%s:\n got %s\nwant %s", tc.script[i], got, tc.script[i+1])
		}
	}
}

// ---- commands ----------------------------------------------------------------------

func TestZsetOps(t *testing.T) {
	runZopTestCases(t, []zopTestCase{{
		name:  "union weights aggregate",
		setup: []string{"ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 w", "SADD s x q"},
		script: []string{
			"ZUNION 2 a b", `["x" "z" "y" "w"]`,
			"ZUNION 2 a b WITHSCORES", `["x" "1" "z" "3" "y" "12" "w" "20"]`,
			"ZUNION 3 a b s WEIGHTS 2 1 -1 WITHSCORES", `["q" "-1" "x" "1" "z" "6" "y" "14" "w" "20"]`,
			"ZUNION 2 a b AGGREGATE MIN WITHSCORES", `["x" "1" "y" "2" "z" "3" "w" "20"]`,
			"ZUNION 2 a b aggregate max WITHSCORES", `["x" "1" "z" "3" "y" "10" "w" "20"]`,
			"ZUNION 2 a nosuch WITHSCORES", `["x" "1" "y" "2" "z" "3"]`,
			"ZUNION 1 nosuch", `[]`,
		},
	}, {
		name:  "inter and intercard",
		setup: []string{"ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "SADD s y z"},
		script: []string{
			"ZINTER 3 a b s WITHSCORES", `["y" "13" "z" "24"]`,
			"ZINTER 2 a b WEIGHTS 1 0.5 AGGREGATE MAX WITHSCORES", `["y" "5" "z" "10"]`,
			"ZINTER 2 a nosuch", `[]`,
			"ZINTER 2 a a WITHSCORES", `["x" "2" "y" "4" "z" "6"]`,
			"ZINTERCARD 2 a b", "(integer) 2",
			"ZINTERCARD 2 a b LIMIT 1", "(integer) 1",
			"ZINTERCARD 2 a b LIMIT 0", "(integer) 2",
			"ZINTERCARD 1 a limit 5", "(integer) 3",
			"ZINTERCARD 2 a b LIMIT -1", "(error) ERR LIMIT can't be negative",
			"ZINTERCARD 2 a b LIMIT x", "(error) ERR LIMIT can't be negative",
			"ZINTERCARD 2 a b WITHSCORES", "(error) ERR syntax error",
			"ZINTERCARD 1 a WEIGHTS 1", "(error) ERR syntax error",
		},
	}, {
		name:  "diff",
		setup: []string{"ZADD a 1 x 2 y 3 z", "ZADD b 10 y", "SADD s z", "SADD big a b c d e f g h x"},
		script: []string{
			"ZDIFF 2 a b WITHSCORES", `["x" "1" "z" "3"]`,
			"ZDIFF 3 a b s", `["x"]`,
			"ZDIFF 2 a a", `[]`,
			"ZDIFF 2 nosuch a", `[]`,
			"ZDIFF 1 s WITHSCORES", `["z" "1"]`,
			"ZDIFF 2 a big WITHSCORES", `["y" "2" "z" "3"]`,
			"ZDIFF 2 big a", `["a" "b" "c" "d" "e" "f" "g" "h"]`,
			"ZDIFF 1 a WEIGHTS 1", "(error) ERR syntax error",
			"ZDIFF 1 a AGGREGATE SUM", "(error) ERR syntax error",
		},
	}, {
		name:  "nan and infinities",
		setup: []string{"ZADD a inf x 1 y", "ZADD b -inf x 2 y", "SADD c x z"},
		script: []string{
			"ZUNION 2 a b WITHSCORES", `["x" "0" "y" "3"]`,
			"ZINTER 2 a b WITHSCORES", `["x" "0" "y" "3"]`,
			"ZUNION 2 a b WEIGHTS 0 1 WITHSCORES", `["x" "-inf" "y" "2"]`,
			"ZUNION 2 a b WEIGHTS 0 1 AGGREGATE MIN WITHSCORES", `["x" "-inf" "y" "0"]`,
			"ZINTER 2 a b WEIGHTS 1 0 AGGREGATE MAX WITHSCORES", `["y" "1" "x" "inf"]`,
			"ZINTER 2 a b WEIGHTS 1 0 AGGREGATE MIN WITHSCORES", `["y" "0" "x" "inf"]`,
			// Equal sizes keep argument order: inf + -inf = 0, then + 1.
			"ZUNION 3 a b c WITHSCORES", `["x" "1" "z" "1" "y" "3"]`,
		},
	}, {
		name:  "errors",
		setup: []string{"ZADD a 1 x", "SET str v", "HSET h f v"},
		script: []string{
			"ZUNION 0 a", "(error) ERR at least 1 input key is needed for 'zunion' command",
			"ZUNIONSTORE d 0 a", "(error) ERR at least 1 input key is needed for 'zunionstore' command",
			"ZINTERSTORE d -1 a", "(error) ERR at least 1 input key is needed for 'zinterstore' command",
			"ZINTERCARD 0 a", "(error) ERR at least 1 input key is needed for 'zintercard' command",
			"ZDIFF 0 a", "(error) ERR at least 1 input key is needed for 'zdiff' command",
			"ZUNION x a", "(error) ERR value is not an integer or out of range",
			"ZUNION 99999999999999999999 a", "(error) ERR value is not an integer or out of range",
			"ZUNION 2 a", "(error) ERR syntax error",
			"ZUNION 9223372036854775807 a", "(error) ERR syntax error",
			"ZUNION 1 str", "(error) " + errWrongType,
			"ZINTER 2 a h", "(error) " + errWrongType,
			"ZUNION 1 str WEIGHTS x", "(error) " + errWrongType,
			"ZUNION 1 a WEIGHTS x", "(error) ERR weight value is not a float",
			"ZUNION 1 a WEIGHTS nan", "(error) ERR weight value is not a float",
			"ZUNION 1 a WEIGHTS", "(error) ERR syntax error",
			"ZUNION 2 a a WEIGHTS 1", "(error) ERR syntax error",
			"ZUNION 1 a AGGREGATE avg", "(error) ERR syntax error",
			"ZUNION 1 a AGGREGATE", "(error) ERR syntax error",
			"ZUNIONSTORE d 1 a WITHSCORES", "(error) ERR syntax error",
			"ZUNION 1 a foo", "(error) ERR syntax error",
			"EXISTS d", "(integer) 0",
		},
	}, {
		name:  "store",
		setup: []string{"ZADD a 1 x 2 y", "ZADD b 3 y 4 z", "SET d old", "EXPIRE d 100"},
		script: []string{
			"ZUNIONSTORE d 2 a b", "(integer) 3",
			"TYPE d", "zset",
			"TTL d", "(integer) -1",
			"ZUNION 1 d WITHSCORES", `["x" "1" "z" "4" "y" "5"]`,
			"OBJECT ENCODING d", `"listpack"`,
			"ZINTERSTORE d 2 a b", "(integer) 1",
			"ZUNION 1 d WITHSCORES", `["y" "5"]`,
			"ZDIFFSTORE d 2 a b", "(integer) 1",
			"ZUNION 1 d WITHSCORES", `["x" "1"]`,
			"ZINTERSTORE d 2 a nosuch", "(integer) 0",
			"EXISTS d", "(integer) 0",
			"ZUNIONSTORE a 2 a b WEIGHTS 2 1", "(integer) 3",
			"ZUNION 1 a WITHSCORES", `["x" "2" "z" "4" "y" "7"]`,
			"DBSIZE", "(integer) 2",
		},
	}, {
		name: "store encoding",
		setup: []string{
			"ZADD a 1 x 2 y 3 z", "ZADD long 1 " + strings.Repeat("m", 65), "ZADD zero 0 a",
			"CONFIG SET zset-max-listpack-entries 2",
		},
		script: []string{
			"ZUNIONSTORE d 1 a", "(integer) 3",
			"OBJECT ENCODING d", `"skiplist"`,
			"ZDIFFSTORE d 2 a a", "(integer) 0",
			"ZINTERSTORE d 1 a", "(integer) 3",
			"OBJECT ENCODING d", `"skiplist"`,
			"ZDIFFSTORE d 2 a long", "(integer) 3",
			"ZUNIONSTORE d 1 long", "(integer) 1",
			"OBJECT ENCODING d", `"skiplist"`,
			"ZUNIONSTORE d 2 a long WEIGHTS 1 0", "(integer) 4",
			"OBJECT ENCODING d", `"skiplist"`,
			"ZDIFFSTORE d 2 a zero", "(integer) 3",
			"OBJECT ENCODING d", `"skiplist"`,
			"ZUNIONSTORE d 2 zero zero", "(integer) 1",
			"OBJECT ENCODING d", `"listpack"`,
			// A listpack stores integral scores as integers: -0 is 0.
			"ZUNIONSTORE d 1 zero WEIGHTS -1", "(integer) 1",
			"ZUNION 1 d WITHSCORES", `["a" "0"]`,
			"ZUNION 1 zero WEIGHTS -1 WITHSCORES", `["a" "-0"]`,
			"CONFIG SET zset-max-listpack-entries 0", "OK",
			"ZUNIONSTORE d 1 zero WEIGHTS -1", "(integer) 1",
			"OBJECT ENCODING d", `"skiplist"`,
			"ZUNION 1 d WITHSCORES", `["a" "-0"]`,
		},
	}, {
		name:  "resp3",
		proto: 3,
		setup: []string{"ZADD a 1.5 x 2 y", "SADD s y"},
		script: []string{
			"ZUNION 2 a s WITHSCORES", `[["x" (double) 1.5] ["y" (double) 3]]`,
			"ZINTER 2 a s", `["y"]`,
			"ZDIFF 2 a s WITHSCORES", `[["x" (double) 1.5]]`,
			"ZINTERCARD 2 a s", "(integer) 1",
			"ZUNIONSTORE d 1 a", "(integer) 2",
			"ZUNION 1 nosuch WITHSCORES", `[]`,
		},
	}})
}

// TestZsetOpsLargeInputs crosses the diff strategies and checks the
// stored result member by member.
func TestZsetOpsLargeInputs(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	var a, b strings.Builder
	a.WriteString("ZADD a")
	b.WriteString("ZADD b")
	for i := 0; i < 300; i++ {
		a.WriteString(" " + itoa(int64(i)) + " m" + itoa(int64(i)))
		if i%3 == 0 {
			b.WriteString(" " + itoa(int64(-i)) + " m" + itoa(int64(i)))
		}
	}
	zopTestSetup(t, h, a.String(), b.String(), "SADD s m1 m2 m299")
	fc := h.client(1)
	check := func(cmd, want string) {
		t.Helper()
		if got := fc.do(t, cmd); len(got) != 1 || got[0] != want {
			t.Fatalf("%s: got %v want %s", cmd, got, want)
		}
	}
	check("ZDIFFSTORE d 2 a b", "(integer) 200")
	check("OBJECT ENCODING d", `"skiplist"`)
	check("ZINTERCARD 2 d b", "(integer) 0")
	check("ZDIFFSTORE d 3 a b s", "(integer) 197")
	check("ZDIFFSTORE d 2 s a", "(integer) 0")
	check("ZINTERSTORE d 2 a b", "(integer) 100")
	check("ZINTERCARD 2 a b LIMIT 7", "(integer) 7")
	check("ZUNIONSTORE d 2 a b", "(integer) 300")
	// Members in b sum to 0; the rest keep their index as score.
	got := fc.do(t, "ZUNION 1 d WITHSCORES")[0]
	if !strings.HasPrefix(got, `["m0" "0" "m102" "0" "m105" "0"`) || !strings.HasSuffix(got, `"m298" "298" "m299" "299"]`) {
		t.Fatalf("union: %s", got)
	}
}

// ---- pure helpers -------------------------------------------------------------------

func TestZopAggregate(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		agg          zopAggKind
		target, val  float64
		want         float64
		wantNegative bool
	}{
		{zopAggSum, 1, 2, 3, false},
		{zopAggSum, inf, -inf, 0, false},
		{zopAggSum, -inf, inf, 0, false},
		{zopAggSum, 1, math.NaN(), 0, false},
		{zopAggMin, 1, 2, 1, false},
		{zopAggMin, 2, 1, 1, false},
		{zopAggMin, 2, math.NaN(), 2, false},
		{zopAggMax, 1, 2, 2, false},
		{zopAggMax, 2, math.NaN(), 2, false},
		{zopAggMax, -inf, inf, inf, false},
		{zopAggSum, math.Copysign(0, -1), math.Copysign(0, -1), 0, true},
	} {
		got := tc.target
		zopAggregate(&got, tc.val, tc.agg)
		if got != tc.want || math.Signbit(got) != tc.wantNegative {
			t.Errorf("aggregate %d (%v, %v) = %v, want %v", tc.agg, tc.target, tc.val, got, tc.want)
		}
	}
	if s := zopWeighted(0, inf); s != 0 {
		t.Errorf("0 * inf = %v, want 0", s)
	}
	if s := zopWeighted(-1, 2); s != -2 {
		t.Errorf("-1 * 2 = %v", s)
	}
}

func TestZopEntryCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b zopEntry
		want int
	}{
		{zopEntry{[]byte("b"), 1}, zopEntry{[]byte("a"), 2}, -1},
		{zopEntry{[]byte("a"), 2}, zopEntry{[]byte("b"), 1}, 1},
		{zopEntry{[]byte("a"), 1}, zopEntry{[]byte("b"), 1}, -1},
		{zopEntry{[]byte("a"), math.Copysign(0, -1)}, zopEntry{[]byte("a"), 0}, 0},
		{zopEntry{[]byte("b"), math.Inf(-1)}, zopEntry{[]byte("a"), -1e308}, -1},
	} {
		if got := zopEntryCompare(tc.a, tc.b); got != tc.want {
			t.Errorf("compare(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
