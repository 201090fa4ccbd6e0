package daemon

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// debugDigestSteps are commands with the digests Redis 7.0.15 answered
// after them (redis-server with --enable-debug-command yes); the digests
// must come out the same on both backends. Every type, an integer list
// element, an intset, an infinite score, an expiry, a second database.
var debugDigestSteps = []struct{ cmd, want string }{
	{"DEBUG DIGEST", "0000000000000000000000000000000000000000"},
	{"SET foo bar", "OK"},
	{"DEBUG DIGEST", "d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a"},
	{"DEBUG DIGEST-VALUE foo nokey", "[68467c70ae30376e7ce005bcc8827f5ba7fd67dc 0000000000000000000000000000000000000000]"},
	{"DEBUG DIGEST-VALUE", "[]"},
	{"RPUSH l a b 1", "(integer) 3"},
	{"SADD s 1 2 x", "(integer) 3"},
	{"ZADD z 1.5 m inf n", "(integer) 2"},
	{"HSET h f v", "(integer) 1"},
	{"SET e v EX 1000", "OK"},
	{"SELECT 2", "OK"},
	{"SET foo bar", "OK"},
	{"DEBUG DIGEST", "ded797c43dbfd717c866008631da927d0c6fe81b"},
	{"SELECT 0", "OK"},
	{"DEBUG DIGEST-VALUE l s z h e", "[981fd62c1655c074205cff40b800bd5a5bfdcd41 4c6eef6b7853d1b76391c849d71b0d35d3faf18f " +
		"588d54f9c189ed531602d5666330f1b032118f3d 90c76e9e9f4c62d642a34fc97c7dad503b51f906 311b17018163335616e089f6b951c82c477335ac]"},
	{"MULTI", "OK"},
	{"DEBUG DIGEST", "QUEUED"},
	{"EXEC", "[(error) ERR DEBUG DIGEST is not supported inside MULTI in Redoubt]"},
}

func TestDebugDigest(t *testing.T) {
	for name, h := range map[string]*harness{"memory": newHarness(t), "pebble": newPebbleHarness(t)} {
		t.Run(name, func(t *testing.T) {
			defer h.close()
			h.srv.cfg.EnableDebugCommand = "yes"
			for _, s := range debugDigestSteps {
				got := strings.Join(h.client(1).do(t, s.cmd), " ")
				if got != s.want {
					t.Errorf("%s: got %q, want %q", s.cmd, got, s.want)
				}
			}
		})
	}
}

// TestDebugReload saves, empties and reloads a data set of every type and
// finds its digest unchanged; NOSAVE without a file keeps the data.
func TestDebugReload(t *testing.T) {
	for name, h := range map[string]*harness{"memory": newHarness(t), "pebble": newPebbleHarness(t)} {
		t.Run(name, func(t *testing.T) {
			defer h.close()
			h.srv.cfg.EnableDebugCommand = "yes"
			c := h.client(1)
			do := func(line string) string { return strings.Join(c.do(t, line), " ") }
			if got, want := do("DEBUG RELOAD NOSAVE"), "(error) ERR Error trying to load the RDB dump, check server logs."; got != want {
				t.Fatalf("DEBUG RELOAD NOSAVE without a file: %q, want %q", got, want)
			}
			for _, s := range debugDigestSteps[:13] {
				do(s.cmd)
			}
			zadd := "ZADD big"
			for i := range 130 { // past zset-max-listpack-entries
				zadd += fmt.Sprintf(" %d m%d", i, i)
			}
			do(zadd)
			before := do("DEBUG DIGEST")
			if before == "0000000000000000000000000000000000000000" {
				t.Fatal("no data set to reload")
			}
			for _, line := range []string{"DEBUG RELOAD", "DEBUG RELOAD NOSAVE"} {
				if got := do(line); got != "OK" {
					t.Fatalf("%s: %q", line, got)
				}
				if got := do("DEBUG DIGEST"); got != before {
					t.Fatalf("after %s the digest is %s, was %s", line, got, before)
				}
			}
			for _, db := range []struct{ n, keys string }{{"2", "2"}, {"0", "6"}} {
				do("SELECT " + db.n)
				if got, want := do("DBSIZE"), "(integer) "+db.keys; got != want {
					t.Errorf("DBSIZE of db %s after the reloads: %s, want %s", db.n, got, want)
				}
			}
			if got, want := do("DEBUG RELOAD MERGE"), "(error) ERR DEBUG RELOAD MERGE is not supported by Redoubt"; got != want {
				t.Errorf("DEBUG RELOAD MERGE: %q, want %q", got, want)
			}
			if got, want := do("DEBUG RELOAD BOGUS"), "(error) ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."; got != want {
				t.Errorf("DEBUG RELOAD BOGUS: %q, want %q", got, want)
			}
		})
	}
}

// debugObjectSteps are commands with Redis 7.0.15's answers to them
// (redis-server --enable-debug-command yes), the address and the LRU
// clock aside: each encoding, a shared integer, an LZF-compressed string,
// a quicklist, a hash converted inside MULTI. A list long enough for two
// nodes differs (Redis cuts its nodes at 8 KB, Redoubt at 128 elements):
// for l2 Redis answers serializedlength:58 ... ql_nodes:1
// ql_avg_node:200.00 ... ql_uncompressed_size:2407; the figures below
// are Redoubt's.
var debugObjectSteps = []struct{ cmd, want string }{
	{"SET foo bar", "OK"},
	{"SET n 123", "OK"},
	{"SET big 12345678901234567890123", "OK"},
	{"SET long " + strings.Repeat("a", 100), "OK"},
	{"RPUSH l a b 1", "(integer) 3"},
	{"SADD s 1 2 3", "(integer) 3"},
	{"SADD s2 a b", "(integer) 2"},
	{"ZADD z 1.5 m 2 n", "(integer) 2"},
	{"HSET h f v", "(integer) 1"},
	{"DEBUG OBJECT foo", "Value at:0x0 refcount:1 encoding:embstr serializedlength:4 lru:* lru_seconds_idle:0"},
	{"DEBUG OBJECT n", "Value at:0x0 refcount:2147483647 encoding:int serializedlength:2 lru:* lru_seconds_idle:0"},
	{"DEBUG OBJECT big", "Value at:0x0 refcount:1 encoding:embstr serializedlength:21 lru:* lru_seconds_idle:0"},
	{"DEBUG OBJECT long", "Value at:0x0 refcount:1 encoding:raw serializedlength:13 lru:* lru_seconds_idle:0"},
	{"DEBUG OBJECT l", "Value at:0x0 refcount:1 encoding:quicklist serializedlength:18 lru:* lru_seconds_idle:0 " +
		"ql_nodes:1 ql_avg_node:3.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:15"},
	{"DEBUG OBJECT s", "Value at:0x0 refcount:1 encoding:intset serializedlength:15 lru:* lru_seconds_idle:0"},
	{"DEBUG OBJECT s2", "Value at:0x0 refcount:1 encoding:hashtable serializedlength:5 lru:* lru_seconds_idle:0"},
	{"DEBUG OBJECT z", "Value at:0x0 refcount:1 encoding:listpack serializedlength:21 lru:* lru_seconds_idle:0"},
	{"DEBUG OBJECT h", "Value at:0x0 refcount:1 encoding:listpack serializedlength:14 lru:* lru_seconds_idle:0"},
	{"DEBUG OBJECT nokey", "(error) ERR no such key"},
	{"RPUSH l2 " + strings.TrimSpace(strings.Repeat("abcdefghij ", 200)), "(integer) 200"},
	{"DEBUG OBJECT l2", "Value at:0x0 refcount:1 encoding:quicklist serializedlength:85 lru:* lru_seconds_idle:0 " +
		"ql_nodes:2 ql_avg_node:100.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:2414"},
	{"MULTI", "OK"},
	{"HSET h f2 " + strings.Repeat("v", 65), "QUEUED"},
	{"DEBUG OBJECT h", "QUEUED"},
	{"EXEC", "[(integer) 1 Value at:0x0 refcount:1 encoding:hashtable serializedlength:21 lru:* lru_seconds_idle:0]"},
}

func TestDebugObject(t *testing.T) {
	lru := regexp.MustCompile(`lru:\d+ `)
	for name, h := range map[string]*harness{"memory": newHarness(t), "pebble": newPebbleHarness(t)} {
		t.Run(name, func(t *testing.T) {
			defer h.close()
			h.srv.cfg.EnableDebugCommand = "yes"
			for _, s := range debugObjectSteps {
				got := lru.ReplaceAllString(strings.Join(h.client(1).do(t, s.cmd), " "), "lru:* ")
				if got != s.want {
					t.Errorf("%.60s: got %q, want %q", s.cmd, got, s.want)
				}
			}
		})
	}
}
