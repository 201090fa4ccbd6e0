package rdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// legacyKey is a key for hand-made files: header bytes and value bytes as
// an older Redis would have written them, and the data they hold.
type legacyKey struct {
	enc  Encoding
	key  string
	pre  []byte // EXPIRETIME etc.
	val  []byte
	want tkey
}

func (k legacyKey) bytes() []byte {
	b := append(clone(k.pre), byte(k.enc))
	b = append(b, rawString([]byte(k.key))...)
	return append(b, k.val...)
}

func legacyKeys(small bool) []legacyKey {
	big := bytes.Repeat([]byte("B"), 300)    // forces a 5-byte prevlen after it
	mid := bytes.Repeat([]byte("m"), 100)    // 14-bit length
	huge := bytes.Repeat([]byte("H"), 20000) // 32-bit length
	odd := bytes.Repeat([]byte("o"), 70)     // 32-bit length form for a short string
	zlAll := []ziplistEntry{zstr("a"), zint(0), zint(12), zint(-1), zint(13), zint(-128), zint(127),
		zint(300), zint(-32768), zint(70000), zint(-8388608), zint(8388607), zint(1 << 30),
		zint(math.MinInt32), zint(1 << 40), zint(math.MaxInt64), zint(math.MinInt64),
		{s: big}, zstr("after-big"), {s: mid}, {s: huge}, {s: odd, strEnc: 0x80}, {s: []byte("forced"), big: true}, zstr("")}
	var zlWant [][]byte
	for _, e := range zlAll {
		if e.isInt {
			zlWant = append(zlWant, []byte(itoa(e.v)))
		} else {
			zlWant = append(zlWant, e.s)
		}
	}
	unknownCount := buildZiplist([]ziplistEntry{zstr("x"), zstr("y"), zstr("z")})
	binary.LittleEndian.PutUint16(unknownCount[8:], 0xFFFF)

	score := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	return []legacyKey{
		{enc: EncListZiplist, key: "zl:list", val: rawString(buildZiplist(zlAll)),
			want: tkey{typ: TypeList, list: zlWant}},
		{enc: EncListZiplist, key: "zl:unknown-count", val: rawString(unknownCount),
			want: tkey{typ: TypeList, list: [][]byte{bs("x"), bs("y"), bs("z")}}},
		{enc: EncZSetZiplist, key: "zl:zset", val: rawString(buildZiplist([]ziplistEntry{
			zstr("one"), zint(1), zstr("half"), zstr("1.5"), zstr("ninf"), zstr("-inf"), zstr("pinf"), zstr("inf"), zstr("big"), zint(1 << 40)})),
			want: tkey{typ: TypeZSet, zset: []tscored{{bs("one"), 1}, {bs("half"), 1.5}, {bs("ninf"), math.Inf(-1)}, {bs("pinf"), math.Inf(1)}, {bs("big"), 1 << 40}}}},
		{enc: EncHashZiplist, key: "zl:hash", val: rawString(buildZiplist([]ziplistEntry{zstr("f"), zstr("v"), zint(5), zint(-70000), zstr(""), {s: big}})),
			want: tkey{typ: TypeHash, hash: [][2][]byte{{bs("f"), bs("v")}, {bs("5"), bs("-70000")}, {bs(""), big}}}},
		{enc: EncListQuicklist, key: "ql:v1", val: append(appendLen(nil, 2),
			append(rawString(buildZiplist([]ziplistEntry{zstr("n1"), zint(2)})), rawString(buildZiplist([]ziplistEntry{zstr("n2-a"), {s: big}}))...)...),
			want: tkey{typ: TypeList, list: [][]byte{bs("n1"), bs("2"), bs("n2-a"), big}}},
		{enc: EncHashZipmap, key: "zm:hash", val: rawString(buildZipmap([][2]string{{"name", "redis"}, {"", "empty-field"}, {"big", string(big)}, {"n", ""}}, 3)),
			want: tkey{typ: TypeHash, hash: [][2][]byte{{bs("name"), bs("redis")}, {bs(""), bs("empty-field")}, {bs("big"), big}, {bs("n"), bs("")}}}},
		{enc: EncList, key: "t1:list", pre: append([]byte{opExpireTime}, binary.LittleEndian.AppendUint32(nil, 2000000000)...),
			val:  append(appendLen(nil, 3), append(append(rawString(bs("a")), 0xC0, 0xFE), rawString(big)...)...),
			want: tkey{typ: TypeList, h: KeyHeader{ExpireMs: 2000000000000}, list: [][]byte{bs("a"), bs("-2"), big}}},
		{enc: EncZSet, key: "t3:zset", val: bytes.Join([][]byte{appendLen(nil, 5),
			rawString(bs("a")), score("1.5"), rawString(bs("b")), {254}, rawString(bs("c")), {255},
			rawString(bs("d")), score("-3"), rawString(bs("e")), score("1e+20")}, nil),
			want: tkey{typ: TypeZSet, zset: []tscored{{bs("a"), 1.5}, {bs("b"), math.Inf(1)}, {bs("c"), math.Inf(-1)}, {bs("d"), -3}, {bs("e"), 1e20}}}},
		{enc: EncString, key: "t0:lzf", val: func() []byte {
			in := bytes.Repeat([]byte("xyz"), 40)
			out := make([]byte, len(in))
			var c lzfCompressor
			n := c.compress(in, out)
			b := append([]byte{0xC3}, appendLen(nil, uint64(n))...)
			b = append(b, appendLen(nil, uint64(len(in)))...)
			return append(b, out[:n]...)
		}(), want: tkey{typ: TypeString, str: bytes.Repeat([]byte("xyz"), 40)}},
		{enc: EncString, key: "t0:int16", val: []byte{0xC1, 0x00, 0x80}, want: tkey{typ: TypeString, str: bs("-32768")}},
		{enc: EncString, key: "t0:int32", val: []byte{0xC2, 0xff, 0xff, 0xff, 0x7f}, want: tkey{typ: TypeString, str: bs("2147483647")}},
		{enc: EncString, key: "t0:len32", val: append([]byte{0x80, 0, 0, 0, 3}, "abc"...), want: tkey{typ: TypeString, str: bs("abc")}},
		{enc: EncString, key: "t0:len64", val: append([]byte{0x81, 0, 0, 0, 0, 0, 0, 0, 2}, "ab"...), want: tkey{typ: TypeString, str: bs("ab")}},
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func legacyFile(version int, small bool) ([]byte, []tkey) {
	var body [][]byte
	var want []tkey
	body = append(body, []byte{opSelectDB, 0})
	for _, k := range legacyKeys(small) {
		body = append(body, k.bytes())
		w := k.want
		w.h.Key = []byte(k.key)
		w.enc = k.enc
		want = append(want, w)
	}
	return rawRDB(version, body...), want
}

func TestReadLegacyEncodings(t *testing.T) {
	for _, version := range []int{9, 6, 4} {
		file, want := legacyFile(version, false)
		res, err := readKeys(file, ReaderOptions{VerifyChecksum: true})
		if err != nil {
			t.Fatalf("version %d: %v", version, err)
		}
		compareKeys(t, want, res.keys, true)
		wantSum := ChecksumVerified
		if version < 5 {
			wantSum = ChecksumAbsent
		}
		if res.checksum != wantSum {
			t.Errorf("version %d: checksum %v, want %v", version, res.checksum, wantSum)
		}
	}
}

// Redis 7.0 itself loads our hand-made legacy file the same way, which
// checks the test's ziplist and zipmap builders.
func TestRedisLoadsLegacyFile(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH")
	}
	dir := t.TempDir()
	file, want := legacyFile(9, false)
	must(t, os.WriteFile(filepath.Join(dir, "legacy.rdb"), file, 0o644))
	s := startRedis(t, dir, "legacy.rdb")
	c := s.client(0)
	defer c.Close()
	ctx := context.Background()
	for _, w := range want {
		got, err := fetchKey(ctx, c, string(w.h.Key))
		if err != nil {
			t.Fatalf("%s: %v", w.h.Key, err)
		}
		if err := sameValue(w, got); err != nil {
			t.Errorf("%s: %v", w.h.Key, err)
		}
	}
}

func TestReadOtherRecords(t *testing.T) {
	preGA := bytes.Join([][]byte{{opFunctionPreGA}, rawString(bs("f1")), rawString(bs("LUA")), {1}, rawString(bs("desc")), rawString(bs("return 1"))}, nil)
	// MODULE_AUX of a module type "mymodule1" (id from the name and version 2).
	var id uint64
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, c := range "mymodule1" {
		id = id<<6 | uint64(strings.IndexRune(cset, c))
	}
	id = id<<10 | 2
	modAux := bytes.Join([][]byte{{opModuleAux}, appendLen(nil, id), {2}, {2},
		{moduleOpSInt}, {5}, {moduleOpUInt}, {0x80, 0, 1, 0, 0}, {moduleOpFloat}, make([]byte, 4),
		{moduleOpDouble}, make([]byte, 8), {moduleOpString}, rawString(bs("blob")), {moduleOpEOF}}, nil)
	plain := bytes.Join([][]byte{{byte(EncListQuicklist2)}, rawString(bs("plain")), {2},
		{1}, rawString(bs("a plain node")),
		{2}, rawString(mustListpack(t, "x", "7"))}, nil)
	file := rawRDB(10, preGA, modAux, []byte{opFunction2}, rawString(bs(testLibrary)),
		[]byte{opSelectDB, 2, opResizeDB, 1, 0}, plain)
	r := NewReader(bytes.NewReader(file), ReaderOptions{VerifyChecksum: true})
	var kinds []Kind
	for {
		rec, err := r.Next()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatal(err)
			}
			break
		}
		kinds = append(kinds, rec.Kind)
		switch rec.Kind {
		case KindFunction:
			if rec.Function.PreGA {
				if string(rec.Function.Name) != "f1" || string(rec.Function.Engine) != "LUA" || string(rec.Function.Desc) != "desc" || string(rec.Function.Source) != "return 1" {
					t.Errorf("pre-GA function %+v", rec.Function)
				}
			} else if string(rec.Function.Source) != testLibrary {
				t.Errorf("function %q", rec.Function.Source)
			}
		case KindModuleAux:
			if rec.Module != "mymodule1" || rec.ModuleID != id {
				t.Errorf("module aux %q %x", rec.Module, rec.ModuleID)
			}
		case KindKey:
			k := tkey{typ: rec.Type}
			if _, err := readElems(r.NextElem, &k); err != nil {
				t.Fatal(err)
			}
			if err := sameValue(tkey{typ: TypeList, list: [][]byte{bs("a plain node"), bs("x"), bs("7")}}, k); err != nil || rec.DB != 2 || rec.Len != -1 {
				t.Errorf("plain node list: %v db=%d len=%d", err, rec.DB, rec.Len)
			}
		}
	}
	want := []Kind{KindFunction, KindModuleAux, KindFunction, KindSelectDB, KindResizeDB, KindKey, KindEOF}
	if len(kinds) != len(want) {
		t.Fatalf("records %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("records %v, want %v", kinds, want)
		}
	}
}

func mustListpack(t testing.TB, elems ...string) []byte {
	var lp listpackBuilder
	lp.reset()
	for _, e := range elems {
		lp.appendString([]byte(e))
	}
	b, err := lp.finish()
	must(t, err)
	return clone(b)
}

func TestUnsupportedValues(t *testing.T) {
	for _, tc := range []struct {
		enc  Encoding
		val  []byte
		want string
	}{
		{EncStreamListpacks2, []byte{0}, `RDB contains a stream (key "events" at offset 11): streams are not supported`},
		{EncStreamListpacks, []byte{0}, `RDB contains a stream (key "events" at offset 11): streams are not supported`},
		{EncModule2, appendLen(nil, 0x12345678<<10), `module values are not supported`},
	} {
		file := rawRDB(10, []byte{opSelectDB, 0, byte(tc.enc)}, rawString(bs("events")), tc.val)
		_, err := readKeys(file, ReaderOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want %q", tc.enc, err, tc.want)
		}
	}
}
