package rdb

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// testdata/redis-7.0.15.rdb was saved by redis-server 7.0.15 holding
// committedDataset, with the small-encoding limits lowered so that a few KB
// show every encoding 7.0 writes (and LZF-compressed quicklist nodes).
// Regenerate with REDOUBT_RDB_GENERATE=1 go test -run TestGenerateTestdata.
const committedFile = "testdata/redis-7.0.15.rdb"

var committedArgs = []string{
	"--hash-max-listpack-entries", "4", "--zset-max-listpack-entries", "4", "--set-max-intset-entries", "4",
	"--list-max-listpack-size", "4", "--list-compress-depth", "1",
}

func committedDataset() []tkey {
	const exp = 2000000000000 // 2033
	return []tkey{
		{typ: TypeString, h: KeyHeader{Key: bs("str:int")}, str: bs("-123456"), enc: EncString},
		{typ: TypeString, h: KeyHeader{Key: bs("str:raw"), ExpireMs: exp}, str: bs("hello world"), enc: EncString},
		{typ: TypeString, h: KeyHeader{Key: bs("str:lzf")}, str: bytes.Repeat([]byte("0123456789"), 10), enc: EncString},
		{typ: TypeList, h: KeyHeader{Key: bs("list:nodes")}, list: append(seq("elem-elem-elem-", 12), ints(-5, 6, 100000)...), enc: EncListQuicklist2},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:intset")}, set: ints(-2, 3, 40000), enc: EncSetIntset},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:table")}, set: seq("member", 6), enc: EncSet},
		{typ: TypeHash, h: KeyHeader{Key: bs("hash:lp")}, hash: pairs("f", 3, 0), enc: EncHashListpack},
		{typ: TypeHash, h: KeyHeader{Key: bs("hash:table"), ExpireMs: exp + 1}, hash: pairs("field", 6, 5), enc: EncHash},
		{typ: TypeZSet, h: KeyHeader{Key: bs("zset:lp")}, zset: []tscored{{bs("a"), 1}, {bs("b"), 2.5}, {bs("c"), math.Inf(-1)}}, enc: EncZSetListpack},
		{typ: TypeZSet, h: KeyHeader{Key: bs("zset:skiplist")}, zset: scoredSeq("m", 6, func(i int) float64 { return float64(i) / 4 }), enc: EncZSet2},
		{db: 1, typ: TypeString, h: KeyHeader{Key: bs("db1")}, str: bs("one"), enc: EncString},
		{db: 15, typ: TypeString, h: KeyHeader{Key: bs("db15")}, str: bs("fifteen"), enc: EncString},
	}
}

func TestGenerateTestdata(t *testing.T) {
	if os.Getenv("REDOUBT_RDB_GENERATE") == "" {
		t.Skip("set REDOUBT_RDB_GENERATE=1 to regenerate " + committedFile)
	}
	dir := t.TempDir()
	s := startRedis(t, dir, "dump.rdb", committedArgs...)
	storeKeys(t, s, committedDataset())
	c := s.client(0)
	defer c.Close()
	must(t, c.Do(t.Context(), "FUNCTION", "LOAD", testLibrary).Err())
	must(t, c.Save(t.Context()).Err())
	b, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	must(t, err)
	must(t, os.WriteFile(committedFile, b, 0o644))
}

// Runs without redis-server: the committed file must read back exactly.
func TestReadCommittedRedisFile(t *testing.T) {
	b, err := os.ReadFile(committedFile)
	must(t, err)
	res, err := readKeys(b, ReaderOptions{VerifyChecksum: true})
	must(t, err)
	compareKeys(t, committedDataset(), res.keys, true)
	if res.checksum != ChecksumVerified || len(res.funcs) != 1 || res.funcs[0] != testLibrary {
		t.Errorf("checksum %v, functions %q", res.checksum, res.funcs)
	}
	sum, err := Summarize(bytes.NewReader(b), ReaderOptions{})
	must(t, err)
	if sum.Version != 10 || sum.Keys != 12 || sum.Expires != 2 || len(sum.DBs) != 3 || sum.DBs[2].DB != 15 ||
		sum.Types[TypeString] != 5 || sum.Encodings[EncSetIntset] != 1 || sum.Size != int64(len(b)) || sum.Aux[0].Key != "redis-ver" {
		t.Errorf("summary %+v", sum)
	}
}
