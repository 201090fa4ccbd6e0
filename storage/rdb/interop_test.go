package rdb

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Tests against the real redis-server 7.0.15 (skipped when it is absent).

var objectEncodings = map[Encoding]string{
	EncHashListpack: "listpack", EncHash: "hashtable", EncSetIntset: "intset", EncSet: "hashtable",
	EncZSetListpack: "listpack", EncZSet2: "skiplist", EncListQuicklist2: "quicklist",
}

// Files from our Writer load into redis-server with every key intact, and
// redis-check-rdb accepts them.
func TestRedisLoadsOurFile(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH")
	}
	for _, tc := range []struct {
		o      WriterOptions
		policy string
	}{{WriterOptions{Compress: true, Checksum: true}, "noeviction"}, {WriterOptions{}, "allkeys-lfu"}} {
		o := tc.o
		t.Run(fmt.Sprintf("compress=%v,checksum=%v,%s", o.Compress, o.Checksum, tc.policy), func(t *testing.T) {
			dir := t.TempDir()
			ks := allTypesDataset()
			// A node bigger than Redis's 8 KB default, and a key with LFU data.
			ks = append(ks, tkey{typ: TypeList, h: KeyHeader{Key: bs("l:fat")}, list: seq(strings.Repeat("f", 200), 300)})
			file := writeKeys(t, ks, o, Aux{"redis-ver", "7.0.15"}, AuxInt("redis-bits", 64), AuxInt("ctime", time.Now().Unix()), AuxInt("used-mem", 1<<20), AuxInt("aof-base", 0))
			must(t, os.WriteFile(filepath.Join(dir, "ours.rdb"), file, 0o644))
			s := startRedis(t, dir, "ours.rdb", "--maxmemory-policy", tc.policy)
			ctx := context.Background()
			perDB := map[int]int64{}
			for _, want := range ks {
				perDB[want.db]++
				c := s.client(want.db)
				key := string(want.h.Key)
				if want.h.HasFreq && tc.policy == "allkeys-lfu" { // before any access changes it
					if freq := c.ObjectFreq(ctx, key).Val(); freq != int64(want.h.Freq) {
						t.Errorf("%s: OBJECT FREQ %d, want %d", key, freq, want.h.Freq)
					}
				}
				if want.h.HasIdle && tc.policy != "allkeys-lfu" {
					if idle := c.ObjectIdleTime(ctx, key).Val(); idle < time.Duration(want.h.Idle)*time.Second {
						t.Errorf("%s: OBJECT IDLETIME %v, want >= %ds", key, idle, want.h.Idle)
					}
				}
				got, err := fetchKey(ctx, c, key)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if err := sameValue(want, got); err != nil {
					t.Errorf("%s: %v", key, err)
				}
				exp, err := c.Do(ctx, "PEXPIRETIME", key).Int64()
				must(t, err)
				if wantExp := want.h.ExpireMs; (wantExp == 0 && exp != -1) || (wantExp != 0 && exp != wantExp) {
					t.Errorf("%s: PEXPIRETIME %d, want %d", key, exp, wantExp)
				}
				if enc, ok := objectEncodings[want.enc]; ok {
					if got := c.ObjectEncoding(ctx, key).Val(); got != enc {
						t.Errorf("%s: OBJECT ENCODING %s, want %s", key, got, enc)
					}
				}
				c.Close()
			}
			for db, n := range perDB {
				c := s.client(db)
				if got := c.DBSize(ctx).Val(); got != n {
					t.Errorf("db %d: DBSIZE %d, want %d", db, got, n)
				}
				c.Close()
			}
			// Lists loaded from our nodes stay usable for edits in the middle.
			c := s.client(0)
			defer c.Close()
			must(t, c.LInsertBefore(ctx, "l:fat", string(ks[len(ks)-1].list[150]), "inserted").Err())
			if v := c.LIndex(ctx, "l:fat", 150).Val(); v != "inserted" {
				t.Errorf("LINSERT into a loaded node: index 150 is %q", v)
			}
			checkRDB(t, filepath.Join(dir, "ours.rdb"))
		})
	}
}

// checkRDB runs redis-check-rdb on path if it is installed.
func checkRDB(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Log("redis-check-rdb not on PATH: skipped")
		return
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Errorf("redis-check-rdb: %v\n%s", err, out)
	}
}

// fillRedis stores a dataset covering every encoding Redis 7.0 writes and
// returns it (db, key, value).
func fillRedis(t *testing.T, s *redisServer) []tkey {
	ctx := context.Background()
	future := time.Now().Add(72*time.Hour).UnixMilli() + 123
	bin := make([]byte, 500)
	for i := range bin {
		bin[i] = byte(i*31 + 7)
	}
	longList := make([][]byte, 0, 5000)
	for i := range 5000 {
		if i%3 == 0 {
			longList = append(longList, []byte(strconv.Itoa(i*1000-2500000)))
		} else {
			longList = append(longList, []byte("item-"+strconv.Itoa(i)))
		}
	}
	ks := []tkey{
		{typ: TypeString, h: KeyHeader{Key: bs("s:int")}, str: bs("12345")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:bigint")}, str: bs("-99999999999")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:raw")}, str: bs("hello")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:007")}, str: bs("007")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:empty")}, str: bs("")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:long")}, str: bytes.Repeat([]byte("abcdefghij"), 100)},
		{typ: TypeString, h: KeyHeader{Key: bs("s:bin")}, str: bin},
		{typ: TypeString, h: KeyHeader{Key: bs("s:expire"), ExpireMs: future}, str: bs("soon")},
		{typ: TypeList, h: KeyHeader{Key: bs("l:small")}, list: [][]byte{bs("a"), bs("1"), bs("-5"), bs("300"), bs("70000"), bs("9000000000"), bs(""), bin}},
		{typ: TypeList, h: KeyHeader{Key: bs("l:long"), ExpireMs: future}, list: longList},
		{typ: TypeHash, h: KeyHeader{Key: bs("h:small")}, hash: [][2][]byte{{bs("a"), bs("1")}, {bs("b"), bs("-70000")}, {bs("007"), bs("")}, {bs(""), bs("x")}}},
		{typ: TypeHash, h: KeyHeader{Key: bs("h:big")}, hash: pairs("field-", 600, 0)},
		{typ: TypeHash, h: KeyHeader{Key: bs("h:longval")}, hash: [][2][]byte{{bs("a"), bytes.Repeat([]byte("v"), 100)}}},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:i16")}, set: ints(-100, 50, 3)},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:i32")}, set: ints(-1000000, 50, 40000)},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:i64")}, set: append(ints(0, 5, 1), bs("-9223372036854775808"), bs("9223372036854775807"))},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:bigints")}, set: ints(7, 600, 11)},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:str")}, set: append(seq("m-", 40), bs("1"), bs(""))},
		{typ: TypeZSet, h: KeyHeader{Key: bs("z:small")}, zset: []tscored{{bs("a"), 1.5}, {bs("b"), 0.1}, {bs("c"), 3}, {bs("inf"), math.Inf(1)}, {bs("-inf"), math.Inf(-1)}, {bs("e"), 1e20}, {bs("f"), -4503599627370496}, {bs("tiny"), 1e-300}, {bs("z"), 0}}},
		{typ: TypeZSet, h: KeyHeader{Key: bs("z:big")}, zset: scoredSeq("member-", 200, func(i int) float64 { return float64(i)*1.25 - 100 })},
		{typ: TypeZSet, h: KeyHeader{Key: bs("z:longmember")}, zset: []tscored{{bytes.Repeat([]byte("m"), 100), 2}, {bs("n"), math.Inf(-1)}}},
	}
	for db := 1; db < 16; db++ {
		ks = append(ks, tkey{db: db, typ: TypeString, h: KeyHeader{Key: []byte("db-" + strconv.Itoa(db))}, str: []byte(strconv.Itoa(db))})
	}
	storeKeys(t, s, ks)
	c := s.client(0)
	defer c.Close()
	must(t, c.Do(ctx, "FUNCTION", "LOAD", testLibrary).Err())
	return ks
}

// storeKeys writes ks into redis-server with ordinary commands.
func storeKeys(t *testing.T, s *redisServer, ks []tkey) {
	ctx := context.Background()
	for _, k := range ks {
		c := s.client(k.db)
		key := string(k.h.Key)
		var err error
		switch k.typ {
		case TypeString:
			err = c.Set(ctx, key, k.str, 0).Err()
		case TypeList:
			args := make([]any, len(k.list))
			for i, e := range k.list {
				args[i] = e
			}
			err = c.RPush(ctx, key, args...).Err()
		case TypeSet:
			args := make([]any, len(k.set))
			for i, e := range k.set {
				args[i] = e
			}
			err = c.SAdd(ctx, key, args...).Err()
		case TypeHash:
			args := make([]any, 0, 2*len(k.hash))
			for _, p := range k.hash {
				args = append(args, p[0], p[1])
			}
			err = c.HSet(ctx, key, args...).Err()
		case TypeZSet:
			zs := make([]redis.Z, len(k.zset))
			for i, z := range k.zset {
				zs[i] = redis.Z{Score: z.s, Member: z.m}
			}
			err = c.ZAdd(ctx, key, zs...).Err()
		}
		if err == nil && k.h.ExpireMs != 0 {
			err = c.PExpireAt(ctx, key, time.UnixMilli(k.h.ExpireMs)).Err()
		}
		c.Close()
		must(t, err)
	}
}

const testLibrary = "#!lua name=rdbtest\nredis.register_function('rdbtest_echo', function(keys, args) return args[1] end)"

// Files written by redis-server are read back with every key intact.
func TestReadRedisFile(t *testing.T) {
	dir := t.TempDir()
	s := startRedis(t, dir, "dump.rdb", "--list-compress-depth", "1")
	ks := fillRedis(t, s)
	ctx := context.Background()
	c := s.client(0)
	defer c.Close()

	for _, policy := range []string{"allkeys-lfu", "allkeys-lru"} {
		must(t, c.ConfigSet(ctx, "maxmemory-policy", policy).Err())
		must(t, c.Save(ctx).Err())
		file, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
		must(t, err)
		res, err := readKeys(file, ReaderOptions{VerifyChecksum: true})
		if err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
		compareKeys(t, ks, res.keys, false)
		if res.checksum != ChecksumVerified {
			t.Errorf("checksum %v", res.checksum)
		}
		encs := map[Encoding]bool{}
		for i, k := range res.keys {
			encs[k.enc] = true
			if policy == "allkeys-lfu" && !k.h.HasFreq {
				t.Errorf("%s: key %s without FREQ", policy, k.h.Key)
			}
			if policy == "allkeys-lru" && !k.h.HasIdle {
				t.Errorf("%s: key %s without IDLE", policy, k.h.Key)
			}
			for _, w := range ks {
				if w.db == k.db && bytes.Equal(w.h.Key, k.h.Key) && w.h.ExpireMs != k.h.ExpireMs {
					t.Errorf("key %d %s: expiry %d, want %d", i, k.h.Key, k.h.ExpireMs, w.h.ExpireMs)
				}
			}
		}
		for _, e := range []Encoding{EncString, EncListQuicklist2, EncSet, EncSetIntset, EncHash, EncHashListpack, EncZSet2, EncZSetListpack} {
			if !encs[e] {
				t.Errorf("no %s value in the redis file", e)
			}
		}
		if len(res.funcs) != 1 || res.funcs[0] != testLibrary {
			t.Errorf("functions %q", res.funcs)
		}
		var ver string
		for _, a := range res.aux {
			if a.Key == "redis-ver" {
				ver = a.Val
			}
		}
		if !strings.HasPrefix(ver, "7.0.") {
			t.Errorf("redis-ver aux %q", ver)
		}
		sum, err := Summarize(bytes.NewReader(file), ReaderOptions{})
		must(t, err)
		if sum.Keys != int64(len(ks)) || len(sum.DBs) != 16 || sum.Expires != 2 || sum.Functions != 1 || sum.Checksum != ChecksumVerified || sum.Size != int64(len(file)) {
			t.Errorf("summary %+v", sum)
		}
	}
}

// DUMP payloads from redis-server parse; our payloads RESTORE into it and
// are byte-identical to its own DUMP where the encoding is deterministic.
func TestDumpRestoreInterop(t *testing.T) {
	dir := t.TempDir()
	s := startRedis(t, dir, "dump.rdb")
	ks := fillRedis(t, s)
	ctx := context.Background()
	identical := 0
	for _, k := range ks {
		c := s.client(k.db)
		key := string(k.h.Key)
		dump, err := c.Dump(ctx, key).Result()
		must(t, err)
		p, err := ParsePayload([]byte(dump))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		got := tkey{typ: p.Type, str: p.Value}
		if _, err := readElems(p.NextElem, &got); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if err := sameValue(k, got); err != nil {
			t.Errorf("%s: parsed DUMP: %v", key, err)
		}

		// Ours, built from the server's element order.
		cur, err := fetchKey(ctx, c, key)
		must(t, err)
		ours := payloadOf(t, cur, WriterOptions{Compress: true})
		enc := c.ObjectEncoding(ctx, key).Val()
		deterministic := enc == "listpack" || enc == "intset" || k.typ == TypeString ||
			(enc == "quicklist" && len(k.list) <= DefaultListNodeEntries)
		if deterministic {
			if string(ours) != dump {
				t.Errorf("%s (%s): our payload differs from DUMP:\n ours % x\nredis % x", key, enc, ours, []byte(dump))
			}
			identical++
		}
		restored := key + ":restored"
		must(t, c.Restore(ctx, restored, 0, string(ours)).Err())
		back, err := fetchKey(ctx, c, restored)
		must(t, err)
		if err := sameValue(k, back); err != nil {
			t.Errorf("%s: restored from our payload: %v", key, err)
		}
		c.Close()
	}
	if identical < 10 {
		t.Errorf("only %d byte-identical payloads checked", identical)
	}

	// Bad trailers: redis and ParsePayload refuse the same payloads.
	c := s.client(0)
	defer c.Close()
	good := payloadOf(t, tkey{typ: TypeString, str: bs("v")}, WriterOptions{})
	badCRC := clone(good)
	badCRC[len(badCRC)-1] ^= 1
	zeroCRC := clone(good)
	copy(zeroCRC[len(zeroCRC)-8:], make([]byte, 8))
	v11 := clone(good[:len(good)-10])
	v11 = append(v11, 11, 0)
	v11 = append(v11, make([]byte, 8)...)
	copy(v11[len(v11)-8:], binaryLE(Checksum(0, v11[:len(v11)-8])))
	for name, b := range map[string][]byte{"bad crc": badCRC, "zero crc": zeroCRC, "version 11": v11, "short": good[:9]} {
		err := c.Restore(ctx, "bad:"+name, 0, string(b)).Err()
		if err == nil || err.Error() != "ERR DUMP payload version or checksum are wrong" {
			t.Errorf("%s: redis says %v", name, err)
		}
		if _, err := ParsePayload(b); err != ErrPayload {
			t.Errorf("%s: ParsePayload says %v", name, err)
		}
	}
	// A valid trailer around a bad value.
	bad := appendPayloadTrailer([]byte{byte(EncHashListpack), 3, 1, 2, 3})
	if err := c.Restore(ctx, "bad:value", 0, string(bad)).Err(); err == nil || !strings.Contains(err.Error(), "Bad data format") {
		t.Errorf("redis accepted a bad value: %v", err)
	}
	if _, err := ParsePayload(bad); err == nil {
		t.Error("ParsePayload accepted a bad value")
	}
	// Empty collections are refused by both; junk before the trailer is
	// accepted by both.
	empty := appendPayloadTrailer([]byte{byte(EncSet), 0})
	if err := c.Restore(ctx, "bad:empty", 0, string(empty)).Err(); err == nil || !strings.Contains(err.Error(), "Bad data format") {
		t.Errorf("redis accepted an empty set: %v", err)
	}
	if _, err := ParsePayload(empty); err == nil {
		t.Error("ParsePayload accepted an empty set")
	}
	junk := appendPayloadTrailer(append(good[:len(good)-10:len(good)-10], "junk"...))
	if err := c.Restore(ctx, "junk", 0, string(junk)).Err(); err != nil {
		t.Errorf("redis refused trailing junk: %v", err)
	}
	if p, err := ParsePayload(junk); err != nil || string(p.Value) != "v" {
		t.Errorf("ParsePayload with trailing junk: %v", err)
	}
}

func binaryLE(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}
