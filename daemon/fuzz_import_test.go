package daemon

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// FuzzImport loads arbitrary bytes as an RDB file into an empty keyspace,
// the path of `rdb import` and of a replica's full sync, both of which read
// files from elsewhere. It fails when the load panics, and when a load it
// accepted left keys its own commands disagree about: every database's
// DBSIZE must be what SCAN lists, and every collection's length what its
// members add up to. (The reader leaves duplicate members of small
// collections to the load's sort, which must refuse them, or a hash would
// count a field twice.)
func FuzzImport(f *testing.F) {
	fuzzImport(f, newHarness)
}

// FuzzImportPebble is FuzzImport into the Pebble store, whose load writes
// real sstables and ingests them: the paths the memory store does not have
// (the runs' key order checks, ingestion, reads of ingested tables).
func FuzzImportPebble(f *testing.F) {
	fuzzImport(f, newPebbleHarness)
}

func fuzzImport(f *testing.F, open func(*testing.T) *harness) {
	if b, err := os.ReadFile("../storage/rdb/testdata/redis-7.0.15.rdb"); err == nil {
		f.Add(b)
	}
	f.Add(fuzzImportSeed(func(w *rdb.Writer) {
		_ = w.String(rdb.KeyHeader{Key: []byte("s")}, []byte("v"))
		_ = w.BeginHash(rdb.KeyHeader{Key: []byte("h")}, 2)
		_ = w.Field([]byte("f"), []byte("1"))
		_ = w.Field([]byte("g"), []byte("2"))
		_ = w.End()
		_ = w.BeginSet(rdb.KeyHeader{Key: []byte("i")}, 2)
		_ = w.Member([]byte("1"))
		_ = w.Member([]byte("2"))
		_ = w.End()
		_ = w.BeginSet(rdb.KeyHeader{Key: []byte("w"), ExpireMs: 1 << 50}, 2)
		_ = w.Member([]byte("a"))
		_ = w.Member([]byte("b"))
		_ = w.End()
		_ = w.BeginZSet(rdb.KeyHeader{Key: []byte("z")}, 2)
		_ = w.Scored([]byte("a"), 1.5)
		_ = w.Scored([]byte("b"), -2)
		_ = w.End()
		_ = w.BeginList(rdb.KeyHeader{Key: []byte("l")}, 2)
		_ = w.Elem([]byte("x"))
		_ = w.Elem([]byte("y"))
		_ = w.End()
	}))
	f.Add(listpackFile(16, "h", "f", "1", "g", "2", "f", "3"))
	f.Add(listpackFile(17, "z", "m", "1", "n", "2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := open(t)
		defer h.close()
		h.srv.cfg.ProtoMaxBulkLen = 64 << 10 // keep LZF expansions quick
		// Mutated files rarely keep a valid checksum: load them anyway,
		// so that what the load accepts gets checked.
		h.srv.cfg.Rdbchecksum = false
		if _, err := h.srv.ImportRDB(bytes.NewReader(data), ImportOptions{ReaderOptions: rdb.ReaderOptions{MaxString: 64 << 10}}); err != nil {
			return
		}
		checkImported(t, h)
	})
}

func fuzzImportSeed(fn func(w *rdb.Writer)) []byte {
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, rdb.WriterOptions{Checksum: true})
	_ = w.Header()
	_ = w.SelectDB(0, 6, 1)
	fn(w)
	_ = w.Finish()
	return buf.Bytes()
}

// checkImported compares, in every database, DBSIZE with the keys SCAN
// lists and each collection's length with its members.
func checkImported(t *testing.T, h *harness) {
	call := func(argv ...string) resp.Value {
		t.Helper()
		v := h.setDo(t, 0, argv...)
		if v.Kind == resp.Error {
			t.Fatalf("%q: %s", argv, v.Str)
		}
		return v
	}
	lengths := map[string][2]string{ // type: length command, members command
		"hash": {"HLEN", "HKEYS"},
		"set":  {"SCARD", "SMEMBERS"},
		"zset": {"ZCARD", "ZRANGE"},
		"list": {"LLEN", "LRANGE"},
	}
	for db := range h.srv.ks.Databases() {
		call("SELECT", strconv.Itoa(db))
		size := call("DBSIZE").Int
		seen := map[string]bool{}
		for cursor := "0"; ; {
			// The reply aliases the client's buffer, which the next
			// command reuses: take the cursor and keys out first.
			v := call("SCAN", cursor, "COUNT", "1000")
			cursor = string(v.Elems[0].Str)
			var keys []string
			for _, k := range v.Elems[1].Elems {
				keys = append(keys, string(k.Str))
			}
			for _, key := range keys {
				if seen[key] {
					continue
				}
				seen[key] = true
				typ := string(call("TYPE", key).Str)
				cmds, ok := lengths[typ]
				if !ok {
					continue
				}
				n := call(cmds[0], key).Int
				var members int
				if typ == "zset" || typ == "list" {
					members = len(call(cmds[1], key, "0", "-1").Elems)
				} else {
					members = len(call(cmds[1], key).Elems)
				}
				if int64(members) != n {
					t.Fatalf("db %d: %s %q: %s says %d, %s lists %d", db, typ, key, cmds[0], n, cmds[1], members)
				}
				if n == 0 {
					t.Fatalf("db %d: empty %s %q", db, typ, key)
				}
			}
			if cursor == "0" {
				break
			}
		}
		if int64(len(seen)) != size {
			t.Fatalf("db %d: DBSIZE %d, SCAN lists %d keys: %s", db, size, len(seen), strings.Join(fuzzKeys(seen), " "))
		}
	}
}

func fuzzKeys(seen map[string]bool) []string {
	var ks []string
	for k := range seen {
		ks = append(ks, fmt.Sprintf("%q", k))
	}
	return ks
}
