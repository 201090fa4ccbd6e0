package daemon

import (
	"maps"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestServerCommandsDifferential is the differential test for the
// connection, server and transaction commands: arguments in and out of
// range, unknown subcommands and options, MULTI/EXEC/WATCH sequences,
// CONFIG GET/SET of keys both servers share. Commands whose answers are
// the server's own (INFO, TIME, CLIENT LIST, CONFIG GET of paths, run ids)
// are left out.
func TestServerCommandsDifferential(t *testing.T) {
	n := diffCount(4000)
	mem := newHarness(t)
	defer mem.close()
	redis := needDiffRedis(t)
	for _, line := range append(collDiffConfig, `CONFIG SET save ""`) { // as startDiffRedis starts Redis
		mem.client(1).do(t, line)
	}
	redis.do(t, []string{"CONFIG", "SET", "appendfsync", "no"}, ordered) // as the harness runs
	// maxclients starts as what each server's open-file limit allows,
	// computed each its own way: start both from the same value.
	redis.do(t, []string{"CONFIG", "SET", "maxclients", "100"}, ordered)
	mem.client(1).do(t, "CONFIG SET maxclients 100")
	seed := diffSeedFromEnv()
	r := rand.New(rand.NewSource(seed))
	var history []string
	inMulti := false
	for i := 0; i < n; i++ {
		cmd, order := srvDiffCommand(r)
		if inMulti && order != ordered {
			// EXEC's reply would nest it, where it is compared as is.
			cmd, order = []string{"PING"}, ordered
		}
		switch cmd[0] {
		case "MULTI":
			inMulti = true
		case "EXEC", "DISCARD":
			inMulti = false
		}
		line := quoteLine(cmd)
		history = append(history, line)
		mem.clock = time.Now().UnixMilli()
		got := strings.Join(mem.client(1).do(t, line, order), "\n")
		if want := redis.do(t, cmd, order); want != got {
			t.Fatalf("seed %d: %s\nredis:   %s\nredoubt: %s\nlast commands:\n%s", seed, line, want, got, lastLines(history, 30))
		}
	}
}

// srvDiffConfigs are CONFIG keys both servers have, with values to try.
var srvDiffConfigs = map[string][]string{
	"maxclients":                  {"100", "0", "-1", "x", "200"}, // not more: each server's open-file budget would answer
	"timeout":                     {"0", "10", "-1", "x"},
	"hash-max-listpack-entries":   {"8", "0", "-1", "x", "9223372036854775808"},
	"zset-max-listpack-value":     {"6", "64", "1kb", "x"},
	"set-max-intset-entries":      {"8", "512", "-5"},
	"list-max-listpack-size":      {"-2", "128", "-6", "x"},
	"notify-keyspace-events":      {"", "KEA", "Kx", "gz", "Q", "AKE$"},
	"slowlog-log-slower-than":     {"100000", "-1", "x", "-2"}, // not 0: entries have durations
	"slowlog-max-len":             {"128", "0", "-1"},
	"proto-max-bulk-len":          {"512mb", "1k", "0", "x", "1gb"},
	"client-query-buffer-limit":   {"1gb", "1k", "x", "4mb"},
	"appendfsync":                 {"everysec", "always", "no", "sometimes"},
	"protected-mode":              {"yes", "no", "1"},
	"client-output-buffer-limit":  {"normal 0 0 0", "pubsub 32mb 8mb 60", "replica 1 2 3", "bogus 1 2 3", "normal 1 2"},
	"save":                        {"", "3600 1", "3600", "x y"},
	"hz":                          {"10", "0", "600", "x"},
	"acllog-max-len":              {"128", "-1"},
	"stop-writes-on-bgsave-error": {"yes", "no", "x"},
	"rdbcompression":              {"yes", "no", "x"},
	"dbfilename":                  {"dump.rdb", "a/b.rdb", ""},
}

// srvDiffConfigKeys are srvDiffConfigs' keys, sorted so that a seed
// draws the same ones (map order is random).
var srvDiffConfigKeys = slices.Sorted(maps.Keys(srvDiffConfigs))

func srvDiffConfigKey(r *rand.Rand) string {
	return srvDiffConfigKeys[r.Intn(len(srvDiffConfigKeys))]
}

func srvDiffArg(r *rand.Rand) string {
	return []string{"", "x", "0", "-1", "1", "16", "15", "9223372036854775808", "a b", "ASYNC", "SYNC", "yes"}[r.Intn(12)]
}

func srvDiffCommand(r *rand.Rand) ([]string, replyOrder) {
	a := srvDiffArg
	k := collDiffKey(r)
	switch r.Intn(40) {
	case 0:
		return []string{"PING"}, ordered
	case 1:
		return []string{"PING", a(r)}, ordered
	case 2:
		return []string{"PING", a(r), a(r)}, ordered
	case 3:
		return []string{"ECHO", a(r)}, ordered
	case 4:
		return []string{"SELECT", a(r)}, ordered
	case 5:
		return []string{"SWAPDB", a(r), a(r)}, ordered
	case 6:
		return []string{[]string{"FLUSHDB", "FLUSHALL"}[r.Intn(2)], a(r)}, ordered
	case 7:
		return []string{"DBSIZE", a(r)}, ordered
	case 8, 9:
		key := srvDiffConfigKey(r)
		vals := srvDiffConfigs[key]
		return []string{"CONFIG", "SET", key, vals[r.Intn(len(vals))]}, ordered
	case 10:
		key := srvDiffConfigKey(r)
		return []string{"CONFIG", "GET", key}, unorderedPairs
	case 11:
		return []string{"CONFIG", "GET", []string{"hash-max-*", "*listpack*", "nosuch", "slowlog*", "maxclient?"}[r.Intn(5)]}, unorderedPairs
	case 12:
		k1, k2 := srvDiffConfigKey(r), srvDiffConfigKey(r)
		v1, v2 := srvDiffConfigs[k1], srvDiffConfigs[k2]
		return []string{"CONFIG", "SET", k1, v1[r.Intn(len(v1))], k2, v2[r.Intn(len(v2))]}, ordered
	case 13:
		return []string{"CONFIG", []string{"SET", "GET", "BOGUS", "RESETSTAT"}[r.Intn(4)]}, ordered
	case 14:
		return []string{"CLIENT", "SETNAME", []string{"app", "a b", "", "x\n", "n-1"}[r.Intn(5)]}, ordered
	case 15:
		return []string{"CLIENT", "GETNAME"}, ordered
	case 16:
		// Not PAUSE: its replies depend on timing. INFO has the client's
		// own id and address, so only its errors compare.
		return []string{"CLIENT", []string{"NO-EVICT", "REPLY", "UNPAUSE", "KILL", "UNBLOCK", "BOGUS", "INFO"}[r.Intn(7)], a(r)}, ordered
	case 17:
		// Never a value that could name this client (ids are the
		// servers' own): only filters that match nothing, or errors.
		return []string{"CLIENT", "KILL", []string{"ID", "TYPE", "ADDR", "LADDR", "USER", "SKIPME", "BOGUS", "MAXAGE"}[r.Intn(8)],
			[]string{"x", "0", "-1", "9223372036854775808", "pubsub", "replica", "master", "bogus", "1.2.3.4:5", "nosuch", "yes"}[r.Intn(11)]}, ordered
	case 18:
		return []string{"COMMAND", "INFO", []string{"get", "GET", "nosuch", "config|get", "client|kill"}[r.Intn(5)]}, ordered
	case 19:
		return []string{"COMMAND", "GETKEYS", []string{"GET", "MSET", "SORT", "ZUNIONSTORE", "nosuch", "LMPOP", "BLPOP"}[r.Intn(7)], a(r), a(r), a(r)}, ordered
	case 20:
		return []string{"COMMAND", []string{"BOGUS", "GETKEYSANDFLAGS"}[r.Intn(2)]}, ordered
	case 21:
		return []string{"MULTI"}, ordered
	case 22:
		return []string{"EXEC"}, ordered
	case 23:
		return []string{"DISCARD"}, ordered
	case 24:
		return []string{"WATCH", k}, ordered
	case 25:
		return []string{"UNWATCH"}, ordered
	case 26:
		return []string{"SET", k, a(r)}, ordered
	case 27:
		return []string{"INCR", k}, ordered
	case 28:
		return []string{"GET", k}, ordered
	case 29:
		return []string{"AUTH", a(r)}, ordered
	case 30:
		return []string{"AUTH", "default", a(r)}, ordered
	case 31:
		return []string{"HELLO", []string{"1", "4", "x", "-1", "99"}[r.Intn(5)]}, ordered // errors only: the answer has the client id
	case 32:
		return []string{"ACL", []string{"WHOAMI", "CAT", "USERS", "BOGUS", "GENPASS"}[r.Intn(4)]}, unordered
	case 33:
		return []string{"ACL", "CAT", []string{"string", "keyspace", "nosuch", "dangerous"}[r.Intn(4)]}, unordered
	case 34:
		return []string{"ACL", "SETUSER", "u1", []string{"on", ">pw", "+get", "~k*", "bogus", "+nosuch", "-@all", "allkeys", "&ch", "resetchannels", "nopass", "<pw", "#00"}[r.Intn(13)]}, ordered
	case 35:
		return []string{"ACL", "DELUSER", []string{"u1", "default", "nosuch"}[r.Intn(3)]}, ordered
	case 36:
		return []string{"OBJECT", []string{"HELP", "FREQ", "NOSUCH"}[r.Intn(3)], k}, ordered
	case 37:
		return []string{"PUBLISH", "ch", a(r)}, ordered
	case 38:
		return []string{"PUBSUB", []string{"NUMSUB", "NUMPAT", "CHANNELS", "SHARDNUMSUB", "BOGUS"}[r.Intn(5)], "ch"}, ordered
	default:
		return []string{"SLOWLOG", []string{"LEN", "RESET", "BOGUS", "GET"}[r.Intn(4)], a(r)}, ordered
	}
}
