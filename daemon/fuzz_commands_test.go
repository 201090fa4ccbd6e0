package daemon

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// FuzzCommands sends programs of random commands, from every command the
// server implements, with arguments drawn from each command's own syntax
// tokens (COMMAND DOCS), keys, edge-case numbers, range bounds and raw
// bytes, from three clients. It fails when a command panics or the server
// writes anything but whole RESP replies. The server survives a panicking
// handler (run recovers, replies with an internal error and closes the
// connection), but a panic is a bug: Redis answers bad arguments with an
// error.
//
// Commands that touch the network or other processes, or stop the server,
// are left out (fuzzCommandsSkip, fuzzSubcommands); SAVE, BGSAVE and DEBUG
// RELOAD write snapshots in the test's directory, and a reload must give
// back the data set it saved. A connection
// the server closes (QUIT, CLIENT KILL) is replaced by a new one, and the
// cron's work runs every 16 commands.
func FuzzCommands(f *testing.F) {
	fuzzCommandSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzHarness(t, memory.New())
		defer h.close()
		runFuzzProgram(t, h, data)
	})
}

// FuzzCommandsPebble is FuzzCommands on the Pebble store with the write
// buffer's flusher running: the paths the memory store does not have
// (buffered writes, iterators over buffer and store, range deletions).
func FuzzCommandsPebble(f *testing.F) {
	fuzzCommandSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzHarness(t, nil)
		defer h.close()
		runFuzzProgram(t, h, data)
	})
}

// newFuzzHarness is a harness on st (nil: newPebbleHarness's store, with
// its flusher running) that allows DEBUG.
func newFuzzHarness(t *testing.T, st storage.Store) *harness {
	cfg := conf.Default()
	cfg.EnableDebugCommand = "yes"
	if st != nil {
		return newHarnessConf(t, st, cfg)
	}
	return newPebbleHarnessConf(t, cfg)
}

func fuzzCommandSeeds(f *testing.F) {
	// Short programs around commands with a rich syntax; the fuzzer takes
	// it from there.
	seeds := [][]byte{
		{0, fuzzPick("set"), 4, 0, 1, 5, 'v', 2, 0, 3, 4},
		{0, fuzzPick("zadd"), 3, 0, 3, 2, 4, 5, 'm', 0, fuzzPick("zrangestore"), 5, 0, 0, 4, 3, 4},
		{1, fuzzPick("lpush"), 2, 0, 5, 'x', 1, fuzzPick("blmove"), 5, 0, 0, 2, 2, 3, 0, fuzzPick("lmove"), 4, 0, 0, 2, 2},
		{2, fuzzPick("multi"), 0, 2, fuzzPick("sort"), 4, 0, 2, 2, 2, 2, fuzzPick("exec"), 0},
		{0, fuzzPick("bitfield"), 6, 0, 2, 2, 2, 3, 3},
		{0, fuzzPick("restore"), 3, 0, 3, 5, 0x0b, 0x0a, 0xff},
		// CLIENT TRACKING on, then a write of another client: an
		// invalidation pushed to the first; DEBUG OBJECT of a key.
		{0, fuzzPick("client"), 1, fuzzSub("client", "tracking"), fuzzWord("on"),
			0, fuzzPick("get"), 1, fuzzWord("k"), 1, fuzzPick("set"), 2, fuzzWord("k"), fuzzWord("v"),
			2, fuzzPick("debug"), 1, fuzzSub("debug", "object"), fuzzWord("k")},
		// A write held by CLIENT PAUSE WRITE with a read queued behind
		// it, both released by UNPAUSE; a client that quits, and one
		// killed with the others of its type.
		{0, fuzzPick("client"), 2, fuzzSub("client", "pause"), fuzzWord("10"), fuzzToken("client", "WRITE"),
			1, fuzzPick("set"), 2, fuzzWord("k"), fuzzWord("v"),
			1, fuzzPick("get"), 1, fuzzWord("k"),
			2, fuzzPick("client"), 0, fuzzSub("client", "unpause"),
			0, fuzzPick("quit"), 0,
			2, fuzzPick("client"), 2, fuzzSub("client", "kill"), fuzzToken("client", "TYPE"), fuzzToken("client", "NORMAL"),
			1, fuzzPick("get"), 1, fuzzWord("k")},
		// A small listpack limit, then a hash that outgrows it; keyspace
		// events for every class while it is read and deleted.
		{0, fuzzPick("config"), 0, fuzzSub("config", "set"), fuzzConfigKey("hash-max-listpack-entries"), fuzzWord("1"),
			1, fuzzPick("hset"), 4, fuzzWord("k"), fuzzWord("a"), fuzzWord("v"), fuzzWord("b"), fuzzWord("v"),
			2, fuzzPick("config"), 0, fuzzSub("config", "set"), fuzzConfigKey("notify-keyspace-events"), fuzzWord("KEA"),
			0, fuzzPick("hgetall"), 1, fuzzWord("k"), 1, fuzzPick("del"), 1, fuzzWord("k")},
		// An expiry pushed later, then brought earlier, then the key
		// deleted: its index entry moves and goes (checkExpiryIndex).
		{0, fuzzPick("set"), 4, fuzzWord("k"), fuzzWord("v"), fuzzToken("set", "PX"), fuzzWord("10"),
			1, fuzzPick("pexpire"), 2, fuzzWord("k"), fuzzWord("1000000000"),
			2, fuzzPick("getex"), 3, fuzzWord("k"), fuzzToken("getex", "PX"), fuzzWord("2"),
			0, fuzzPick("set"), 4, fuzzWord("k"), fuzzWord("v"), fuzzToken("set", "PX"), fuzzWord("1000000000"),
			1, fuzzPick("del"), 1, fuzzWord("k")},
		// A key of each type, one with an expiry, then a reload: the
		// data set must come back from the snapshot as it was.
		{0, fuzzPick("set"), 2, fuzzWord("k"), fuzzWord("v"),
			0, fuzzPick("pexpire"), 2, fuzzWord("k"), fuzzWord("1000000000"),
			1, fuzzPick("hset"), 3, fuzzWord("k2"), fuzzWord("a"), fuzzWord("1.5"),
			1, fuzzPick("rpush"), 3, fuzzWord("a"), fuzzWord("-1"), fuzzWord(""),
			2, fuzzPick("sadd"), 3, fuzzWord("b"), fuzzWord("0"), fuzzWord("m"),
			2, fuzzPick("zadd"), 5, fuzzWord("{k}3"), fuzzWord("-inf"), fuzzWord("m"), fuzzWord("5e-324"), fuzzWord("v"),
			0, fuzzPick("debug"), 0, fuzzSub("debug", "reload"),
			1, fuzzPick("bgsave"), 0,
			2, fuzzPick("save"), 0},
	}
	for _, s := range seeds {
		f.Add(s)
	}
}

// runFuzzProgram runs the commands data encodes and fails at the first
// that panics or writes something that is not a RESP reply.
func runFuzzProgram(t *testing.T, h *harness, data []byte) {
	// Keep SETRANGE, SETBIT and APPEND from building 512 MB strings:
	// legal, but each such input would take seconds.
	h.client(0).do(t, "CONFIG SET proto-max-bulk-len 1mb")
	p := &fuzzProgram{data: data}
	// A save still writing when the program ends would write into the
	// test's directory while it is removed.
	defer waitSaved(t, h)
	for i := 0; i < 48 && len(p.data) > 0; i++ {
		c := h.client(int(p.next() % 3))
		c.rerun = true
		argv := p.command()
		reload := len(argv) == 2 && string(argv[0]) == "debug" && string(argv[1]) == "reload"
		var before digest
		if reload {
			// What the loop still has queued (replies, woken clients)
			// runs first, so that only the reload runs between the two
			// digests.
			h.loop.run()
			before = fuzzDigest(t, h)
		}
		c.feed(encodeCommand(argv))
		h.loop.run()
		var senderOut []byte
		if i%16 == 15 {
			// The cron's work between commands, as a server does it
			// hz times a second: expiry, pause ends, idle clients,
			// the tracking table's limit, the output checks.
			h.srv.cronTick()
			h.loop.run()
		}
		for id, fc := range h.clients {
			// Whatever the server wrote to any client (replies, pushes,
			// MONITOR's lines) must parse as whole RESP replies.
			fc.mu.Lock()
			out, closed := fc.buf, fc.closed
			fc.buf = nil
			fc.mu.Unlock()
			if fc == c {
				senderOut = out
			}
			for len(out) > 0 {
				_, n, err := resp.ReadReply(out)
				if err != nil || n == 0 {
					t.Fatalf("after %q the reply stream does not parse (%v): %q", argv, err, truncateForLog(out))
				}
				out = out[n:]
			}
			if closed {
				// As gnet does once the server closed a connection
				// (QUIT, CLIENT KILL, a protocol error): its close
				// callback. The program's next command on that client
				// opens a new connection.
				fc.sess.Closed(nil)
				delete(h.clients, id)
				h.loop.run()
			}
		}
		h.srv.mu.Lock()
		panicked := h.srv.stats.unexpectedErrors
		h.srv.mu.Unlock()
		if panicked > 0 {
			t.Fatalf("command panicked: %q", argv)
		}
		// A reload that ran (not queued in MULTI, held by a pause or
		// refused during a save) writes the keyspace to an RDB file and
		// reads it back: every key, type, value and expiry must come
		// back as it was.
		if reload && string(senderOut) == "+OK\r\n" {
			if after := fuzzDigest(t, h); after != before {
				t.Fatalf("DEBUG RELOAD changed the data set: digest %s before, %s after", before.String(), after.String())
			}
		}
	}
	checkExpiryIndex(t, h.srv)
}

// checkExpiryIndex fails unless every key with an expiry has exactly one
// expiry-index entry, at the time its meta record gives (Meta.IndexAt,
// never after the expiry), and the index holds nothing else.
func checkExpiryIndex(t *testing.T, s *Server) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ks.settle()
	for db := 0; db < s.ks.Databases(); db++ {
		p := s.ks.physDB(db)
		prefix := storage.DBPrefix(nil, storage.FamilyExpire, p)
		it, err := s.store.NewIter(prefix, storage.PrefixEnd(prefix))
		if err != nil {
			t.Fatal(err)
		}
		n := int64(0)
		for ok := it.First(); ok; ok = it.Next() {
			_, at, key, _ := storage.ParseExpireKey(it.Key())
			raw, found, err := s.store.Get(nil, storage.MetaKey(nil, p, key))
			var m storage.Meta
			if err == nil && found {
				err = storage.DecodeMeta(raw, &m)
			}
			if err != nil || !found || m.ExpireAt == 0 || m.IndexAt() != at || at > m.ExpireAt {
				it.Close()
				t.Fatalf("db %d: expiry-index entry of %q at %d, meta record %+v (found %v, %v)", db, key, at, m, found, err)
			}
			n++
		}
		err = it.Error()
		it.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := s.ks.Expires(db); n != want {
			t.Fatalf("db %d: %d expiry-index entries for %d keys with an expiry", db, n, want)
		}
	}
}

// fuzzDigest is DEBUG DIGEST's figure for the harness's data set.
func fuzzDigest(t *testing.T, h *harness) digest {
	t.Helper()
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	d, err := h.srv.ks.datasetDigest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d
}

// fuzzCommandsSkip are the commands a fuzz program may not run.
var fuzzCommandsSkip = map[string]bool{
	"shutdown": true, "bgrewriteaof": true, // the server's end, the AOF's file
	"replicaof": true, "slaveof": true, "sync": true, "psync": true, "migrate": true, "failover": true,
}

// fuzzSubcommands are commands a program runs only with these first
// arguments. DEBUG's SLEEP, POPULATE and PAUSE-CRON stop the server or run
// as long as their count says; its RELOAD (and SAVE and BGSAVE) write in
// the test's directory, and a reload must give back the data set it
// saved (runFuzzProgram checks the digest). CONFIG's REWRITE
// writes a file, and its SET runs only with keys of fuzzConfigKeys (dir,
// logfile, save... reach the file system or the test process). CLIENT
// KILL, PAUSE and REPLY are in: a killed client is replaced (see
// runFuzzProgram), and the others leave the program running.
var fuzzSubcommands = map[string][]string{
	"client": {"caching", "getname", "getredir", "id", "info", "list", "no-evict", "setname", "tracking", "trackinginfo", "unblock",
		"kill", "pause", "unpause", "reply"},
	"config": {"get", "resetstat", "set"},
	"debug":  {"digest", "digest-value", "object", "protocol", "set-active-expire", "reload"},
}

// fuzzConfigKeys are the settings CONFIG SET may change in a program: the
// ones that change how commands, replies, caches and the cron behave.
// Left out: file names and directories, ports and sockets, passwords
// (NOAUTH would end the program), save (it writes snapshots),
// oom-score-adj (it rewrites the test process's score), disk-reserve (a
// ballast file) and proto-max-bulk-len (a program keeps it at 1mb).
var fuzzConfigKeys = []string{
	"acllog-max-len", "active-expire-effort", "appendfsync", "client-output-buffer-limit",
	"client-query-buffer-limit", "hash-max-listpack-entries", "hash-max-listpack-value",
	"hll-sparse-max-bytes", "hz", "latency-monitor-threshold", "latency-tracking",
	"latency-tracking-info-percentiles", "list-compress-depth", "list-max-listpack-size",
	"loglevel", "maxclients", "min-replicas-max-lag", "min-replicas-to-write",
	"notify-keyspace-events", "repl-backlog-size", "replica-read-only",
	"set-max-intset-entries", "slowlog-log-slower-than", "slowlog-max-len",
	"stop-writes-on-bgsave-error", "timeout", "tracking-table-max-keys",
	"zset-max-listpack-entries", "zset-max-listpack-value",
}

// fuzzTable returns the sorted list of command names a program picks from,
// with each one's syntax tokens (subcommand names for containers). Built
// on first use: the command registrations run in init functions, after
// package variables.
var fuzzTable = sync.OnceValues(func() ([]string, map[string][]string) {
	tbl := newCommandTable()
	registerCommands(tbl)
	var names []string
	tokens := map[string][]string{}
	for name, cmd := range tbl.byName {
		if fuzzCommandsSkip[name] || strings.Contains(name, "|") {
			continue
		}
		names = append(names, name)
		var toks []string
		for sub, sc := range cmd.subs {
			toks = append(toks, strings.TrimPrefix(sub, name+"|"))
			toks = append(toks, docTokens(sc.docs)...)
		}
		toks = append(toks, docTokens(cmd.docs)...)
		sort.Strings(toks)
		tokens[name] = toks
	}
	sort.Strings(names)
	return names, tokens
})

// fuzzPick is the command byte of a seed program that runs name.
func fuzzPick(name string) byte {
	names, _ := fuzzTable()
	i := sort.SearchStrings(names, name)
	if i == len(names) || names[i] != name || i > 255 {
		panic("fuzz seed names unknown command " + name)
	}
	return byte(i)
}

// fuzzSub is the byte that picks sub among name's fuzzSubcommands.
func fuzzSub(name, sub string) byte {
	return seedIndex(fuzzSubcommands[name], sub, 256, "subcommand "+name)
}

// seedIndex is the byte of a seed program that picks item from list, of
// which only the first limit entries can be picked; what names the list
// in the panic of a seed that names something missing.
func seedIndex(list []string, item string, limit int, what string) byte {
	i := slices.Index(list, item)
	if i < 0 || i >= limit {
		panic("fuzz seed names unknown " + what + " " + item)
	}
	return byte(i)
}

// TestFuzzConfigKeys: every key the fuzzer may set exists and takes its
// own current value back at runtime, so that the list cannot drift into
// keys that only ever fail.
func TestFuzzConfigKeys(t *testing.T) {
	h := newFuzzHarness(t, memory.New())
	defer h.close()
	c := h.client(0)
	for _, key := range fuzzConfigKeys {
		got := c.do(t, "CONFIG GET "+key)
		// The reply is rendered as ["key" "value"].
		prefix := fmt.Sprintf("[%q ", key)
		if len(got) != 1 || !strings.HasPrefix(got[0], prefix) || !strings.HasSuffix(got[0], "]") {
			t.Errorf("CONFIG GET %s = %q", key, got)
			continue
		}
		val := strings.TrimSuffix(strings.TrimPrefix(got[0], prefix), "]")
		if r := c.do(t, "CONFIG SET "+key+" "+val); len(r) != 1 || r[0] != "OK" {
			t.Errorf("CONFIG SET %s %s = %q", key, val, r)
		}
	}
}

// fuzzConfigKey is the byte that picks key among fuzzConfigKeys.
func fuzzConfigKey(key string) byte { return seedIndex(fuzzConfigKeys, key, 256, "config key") }

// fuzzToken is the argument selector of a seed program for tok, one of
// name's syntax tokens.
func fuzzToken(name, tok string) byte {
	_, tokens := fuzzTable()
	toks := tokens[name]
	for sel := 128; sel < 224; sel++ {
		if toks[sel%len(toks)] == tok {
			return byte(sel)
		}
	}
	panic("fuzz seed names unknown token " + tok + " of " + name)
}

// fuzzWord is the argument selector of a seed program for word.
func fuzzWord(word string) byte { return seedIndex(fuzzWords, word, 128, "word") }

// docTokens collects the "token" values of a COMMAND DOCS entry: the
// option words of its syntax (EX, WITHSCORES, LIMIT...).
func docTokens(n *metaNode) []string {
	if n == nil {
		return nil
	}
	var out []string
	if n.T == "%" {
		for i := 0; i+1 < len(n.A); i += 2 {
			if n.A[i].S == "token" {
				out = append(out, n.A[i+1].S)
			}
		}
	}
	for _, c := range n.A {
		out = append(out, docTokens(c)...)
	}
	return out
}

// fuzzWords are the arguments a program draws from besides a command's own
// tokens: a few keys (one with a hash tag), numbers at the edges of the
// integer and float ranges, range bounds and patterns.
var fuzzWords = []string{
	"k", "k2", "{k}3", "", "v", "m", "a", "b", "*", "?", "[a-z]*", "\x00",
	"0", "1", "-1", "2", "3", "10", "-100", "4294967296", "536870911", "1000000000",
	"9223372036854775807", "-9223372036854775808", "18446744073709551615", "99999999999999999999",
	"1.5", "-0", "inf", "-inf", "+inf", "nan", "1e308", "-1e308", "5e-324", "0x10",
	"(1", "(-1", "(inf", "[a", "(a", "-", "+", "[", "(",
	"u8", "i64", "i5", "u63", "#1", "#-1", "~", "*1", "&", "allkeys", "on", "off", "nopass", ">pw", "+@all", "-@all",
	// CONFIG SET values: event classes, sizes, client classes, yes/no.
	"KEA", "Kx", "1mb", "normal 1 1 1", "pubsub 0 0 0", "yes", "no",
}

// fuzzProgram decodes fuzz input into commands: a client byte, a command
// byte, an argument count, then per argument a selector byte (word, token
// of the command, or raw bytes with a length byte).
type fuzzProgram struct{ data []byte }

func (p *fuzzProgram) next() byte {
	if len(p.data) == 0 {
		return 0
	}
	b := p.data[0]
	p.data = p.data[1:]
	return b
}

func (p *fuzzProgram) command() [][]byte {
	names, tokens := fuzzTable()
	name := names[int(p.next())%len(names)]
	toks := tokens[name]
	argv := [][]byte{[]byte(name)}
	n := int(p.next() % 9)
	if subs := fuzzSubcommands[name]; subs != nil {
		sub := subs[int(p.next())%len(subs)]
		argv = append(argv, []byte(sub))
		if name == "config" && sub == "set" {
			// Pairs of a key from the list and any value: a key drawn
			// like other arguments could name dir or save.
			for range 1 + n%2 {
				argv = append(argv, []byte(fuzzConfigKeys[int(p.next())%len(fuzzConfigKeys)]), p.arg(toks))
			}
			return argv
		}
	}
	for i := 0; i < n; i++ {
		argv = append(argv, p.arg(toks))
	}
	return argv
}

// arg is one argument: a word, one of the command's tokens, or raw bytes.
func (p *fuzzProgram) arg(toks []string) []byte {
	sel := p.next()
	switch {
	case sel < 128:
		return []byte(fuzzWords[int(sel)%len(fuzzWords)])
	case sel < 224 && len(toks) > 0:
		return []byte(toks[int(sel)%len(toks)])
	}
	l := int(p.next() % 16)
	raw := make([]byte, 0, l)
	for j := 0; j < l; j++ {
		raw = append(raw, p.next())
	}
	return raw
}

// truncateForLog keeps a failure message readable.
func truncateForLog(b []byte) []byte {
	if len(b) > 512 {
		return b[:512]
	}
	return b
}
