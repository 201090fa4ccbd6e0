package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

// keyFile is a version-10 file whose db 0 holds one key "k" of type enc
// with value bytes val. The type byte is at offset 11, the value at 14.
func keyFile(enc Encoding, val []byte) []byte {
	return rawRDB(10, []byte{opSelectDB, 0, byte(enc)}, rawString(bs("k")), val)
}

const valueOff = 14

func lpBlob(entries ...string) []byte {
	var lp listpackBuilder
	lp.reset()
	for _, e := range entries {
		lp.appendString([]byte(e))
	}
	b, _ := lp.finish()
	return clone(b)
}

func patched(b []byte, f func([]byte)) []byte {
	b = clone(b)
	f(b)
	return b
}

func TestCorruptInputErrors(t *testing.T) {
	lp := lpBlob("a", "1", "b", "2")
	zl := buildZiplist([]ziplistEntry{zstr("a"), zstr("b"), zstr("c")})
	intset := appendIntset(nil, []int64{1, 2, 3})
	nanBits := binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN()))
	lzf := func(clen, ulen uint64, data []byte) []byte {
		b := append([]byte{0xC3}, appendLen(nil, clen)...)
		return append(append(b, appendLen(nil, ulen)...), data...)
	}
	for _, tc := range []struct {
		name string
		file []byte
		kind error
		off  int64
		msg  string
	}{
		{"bad magic", []byte("RADIS0010\xff"), ErrCorrupt, 0, "bad magic: wrong signature"},
		{"short garbage", []byte("GET"), ErrCorrupt, 0, "bad magic"},
		{"version 11", []byte("REDIS0011\xff"), ErrUnsupported, 5, "Can't handle RDB format version 11"},
		{"version 0", []byte("REDIS0000\xff"), ErrUnsupported, 5, "Can't handle RDB format version 0"},
		{"version not digits", []byte("REDIS001\xb0\xff"), ErrCorrupt, 5, `bad version field "001\xb0"`},
		{"empty input", nil, ErrTruncated, 0, "truncated"},
		{"cut header", []byte("REDIS00"), ErrTruncated, 7, "truncated"},
		{"no EOF", []byte("REDIS0010"), ErrTruncated, 9, "unexpected end of file"},
		{"no checksum", []byte("REDIS0010\xff\x01\x02"), ErrTruncated, 12, "truncated"},
		{"checksum mismatch", patched(rawRDB(10), func(b []byte) { b[len(b)-1] ^= 1 }), ErrChecksum, 10, "Wrong RDB checksum"},
		{"unknown type", keyFile(8, nil), ErrCorrupt, 11, "unknown value type or opcode 8"},
		{"unknown length encoding", keyFile(EncList, []byte{0x82}), ErrCorrupt, valueOff, "bad length: unknown length encoding 0x82"},
		{"string encoding as length", keyFile(EncSet, []byte{0xC0}), ErrCorrupt, valueOff, "string encoding 0xc0 where a length is expected"},
		{"unknown string encoding", keyFile(EncString, []byte{0xC4}), ErrCorrupt, valueOff, "unknown string encoding 0xc4"},
		{"huge db id", rawRDB(10, []byte{opSelectDB, 0x81, 1, 0, 0, 0, 0, 0, 0, 0}), ErrCorrupt, 10, "database id"},
		{"string over MaxString", keyFile(EncString, []byte{0x80, 0x30, 0, 0, 0}), ErrTooLarge, valueOff, "exceeds the 536870912-byte limit"},
		{"lzf wrong length", keyFile(EncString, lzf(3, 3, []byte{1, 'a', 'b'})), ErrCorrupt, valueOff, "LZF mismatch: decompressed to 2 bytes, 3 declared"},
		{"lzf impossible ratio", keyFile(EncString, lzf(1, 1000, []byte{0})), ErrCorrupt, valueOff, "LZF mismatch: 1 compressed bytes cannot expand to 1000"},
		{"lzf bad backref", keyFile(EncString, lzf(4, 10, []byte{0, 'a', 0x20, 9})), ErrCorrupt, valueOff, "back-reference before the start"},
		{"lzf empty", keyFile(EncString, lzf(0, 5, nil)), ErrCorrupt, valueOff, "LZF mismatch: empty"},
		{"listpack size", keyFile(EncHashListpack, rawString(patched(lp, func(b []byte) { b[0]++ }))), ErrCorrupt, valueOff, "invalid listpack: header says"},
		{"listpack terminator", keyFile(EncHashListpack, rawString(patched(lp, func(b []byte) { b[len(b)-1] = 0 }))), ErrCorrupt, valueOff, "not the 0xff terminator"},
		{"listpack count", keyFile(EncHashListpack, rawString(patched(lp, func(b []byte) { b[4] = 6 }))), ErrCorrupt, valueOff, "header says 6 entries but it holds 4"},
		{"listpack backlen", keyFile(EncHashListpack, rawString(patched(lp, func(b []byte) { b[8] = 3 }))), ErrCorrupt, valueOff, "back-length 3 does not match"},
		{"listpack encoding", keyFile(EncHashListpack, rawString(patched(lp, func(b []byte) { b[6] = 0xF5 }))), ErrCorrupt, valueOff, "bad entry encoding byte 0xf5"},
		{"listpack entry past end", keyFile(EncHashListpack, rawString(patched(lp, func(b []byte) { b[6] = 0xBF }))), ErrCorrupt, valueOff, "runs past the end"},
		{"listpack early terminator", keyFile(EncHashListpack, rawString(patched(lp, func(b []byte) { b[6] = 0xFF }))), ErrCorrupt, valueOff, "terminator before the end"},
		{"hash odd entries", keyFile(EncHashListpack, rawString(lpBlob("a", "1", "b"))), ErrCorrupt, valueOff, "odd number of entries"},
		{"hash duplicate field", keyFile(EncHashListpack, rawString(lpBlob("a", "1", "a", "2"))), ErrCorrupt, valueOff, `duplicate field "a"`},
		{"zset duplicate member", keyFile(EncZSetListpack, rawString(lpBlob("7", "1", "7", "2"))), ErrCorrupt, valueOff, `duplicate member "7"`},
		{"zset nan", keyFile(EncZSetListpack, rawString(lpBlob("a", "nan"))), ErrCorrupt, valueOff, `NaN score for member "a"`},
		{"zset bad score", keyFile(EncZSetListpack, rawString(lpBlob("a", "abc"))), ErrCorrupt, valueOff, `score "abc" of member "a" is not a number`},
		{"ziplist prevlen", keyFile(EncListZiplist, rawString(patched(zl, func(b []byte) { b[13] = 2 }))), ErrCorrupt, valueOff, "prevlen 2 does not match"},
		{"ziplist prevlen before start", keyFile(EncListZiplist, rawString(patched(zl, func(b []byte) { b[13] = 5 }))), ErrCorrupt, valueOff, "prevlen 5 points before the first entry"},
		{"ziplist tail", keyFile(EncListZiplist, rawString(patched(zl, func(b []byte) { b[4] = 10 }))), ErrCorrupt, valueOff, "is not the last entry"},
		{"ziplist count", keyFile(EncListZiplist, rawString(patched(zl, func(b []byte) { b[8] = 2 }))), ErrCorrupt, valueOff, "header says 2 entries but it holds 3"},
		{"ziplist encoding", keyFile(EncListZiplist, rawString(patched(zl, func(b []byte) { b[11] = 0xC1 }))), ErrCorrupt, valueOff, "bad entry encoding byte 0xc1"},
		{"ziplist hash duplicate", keyFile(EncHashZiplist, rawString(buildZiplist([]ziplistEntry{zstr("f"), zstr("1"), zstr("f"), zstr("2")}))), ErrCorrupt, valueOff, `duplicate field "f"`},
		{"intset unsorted", keyFile(EncSetIntset, rawString(appendIntset(nil, []int64{3, 1}))), ErrCorrupt, valueOff, "not above the previous"},
		{"intset duplicate", keyFile(EncSetIntset, rawString(appendIntset(nil, []int64{1, 1}))), ErrCorrupt, valueOff, "duplicate element 1"},
		{"intset width", keyFile(EncSetIntset, rawString(patched(intset, func(b []byte) { b[0] = 3 }))), ErrCorrupt, valueOff, "element width 3"},
		{"intset size", keyFile(EncSetIntset, rawString(patched(intset, func(b []byte) { b[4] = 4 }))), ErrCorrupt, valueOff, "do not fill"},
		{"intset empty", keyFile(EncSetIntset, rawString(appendIntset(nil, nil))), ErrCorrupt, valueOff, "no elements"},
		{"zipmap count", keyFile(EncHashZipmap, rawString(patched(buildZipmap([][2]string{{"a", "b"}}, 0), func(b []byte) { b[0] = 2 }))), ErrCorrupt, valueOff, "header says 2 entries"},
		{"zipmap past end", keyFile(EncHashZipmap, rawString([]byte{1, 5, 'a', 0xFF})), ErrCorrupt, valueOff, "invalid zipmap"},
		{"zset2 nan", keyFile(EncZSet2, append(append([]byte{1}, rawString(bs("m"))...), nanBits...)), ErrCorrupt, valueOff + 3, `NaN score for member "m"`},
		{"zset text nan", keyFile(EncZSet, append(append([]byte{1}, rawString(bs("m"))...), 253)), ErrCorrupt, valueOff + 3, "NaN score"},
		{"zset text garbage", keyFile(EncZSet, append(append([]byte{1}, rawString(bs("m"))...), 2, 'x', 'y')), ErrCorrupt, valueOff + 3, `invalid score "xy"`},
		{"quicklist container", keyFile(EncListQuicklist2, []byte{1, 3}), ErrCorrupt, valueOff + 1, "container type 3"},
		{"quicklist empty node", keyFile(EncListQuicklist2, []byte{1, 2, 0}), ErrCorrupt, valueOff + 2, "invalid quicklist node: empty"},
		{"quicklist bad node", keyFile(EncListQuicklist2, append([]byte{1, 2}, rawString(patched(lpBlob("a"), func(b []byte) { b[4] = 9 }))...)), ErrCorrupt, valueOff + 2, "invalid listpack"},
		{"module aux when", rawRDB(10, []byte{opModuleAux, 5, 1, 0}), ErrCorrupt, 11, "bad when_opcode 1"},
		{"module aux opcode", rawRDB(10, []byte{opModuleAux, 5, 2, 0, 9}), ErrCorrupt, 13, "unknown opcode 9"},
	} {
		_, err := readKeys(tc.file, ReaderOptions{VerifyChecksum: true})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v, want an *Error", tc.name, err)
			continue
		}
		if !errors.Is(err, tc.kind) || e.Offset != tc.off || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("%s: got %v (offset %d)\nwant kind %v, offset %d, %q", tc.name, err, e.Offset, tc.kind, tc.off, tc.msg)
		}
		if want := "rdb: offset "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %q does not start with %q", tc.name, err, want)
		}
	}
}

// compactFile has every encoding in a few KB, for exhaustive mutation.
func compactFile(t testing.TB) []byte {
	ks := []tkey{
		{typ: TypeString, h: KeyHeader{Key: bs("s"), ExpireMs: 1 << 41}, str: bs("value")},
		{typ: TypeString, h: KeyHeader{Key: bs("n"), HasIdle: true, Idle: 3}, str: bs("-70000")},
		{typ: TypeString, h: KeyHeader{Key: bs("z"), HasFreq: true, Freq: 3}, str: bytes.Repeat([]byte("lzf "), 20)},
		{typ: TypeList, h: KeyHeader{Key: bs("l")}, list: append(seq("e", 5), ints(-3, 4, 1000)...)},
		{typ: TypeSet, h: KeyHeader{Key: bs("si")}, set: ints(-2, 5, 100000)},
		{typ: TypeSet, h: KeyHeader{Key: bs("ss")}, set: seq("m", 6)},
		{typ: TypeHash, h: KeyHeader{Key: bs("hl")}, hash: pairs("f", 4, 0)},
		{typ: TypeHash, h: KeyHeader{Key: bs("hb")}, hash: pairs("f", 4, 3)},
		{typ: TypeZSet, h: KeyHeader{Key: bs("zl")}, zset: scoredSeq("m", 4, func(i int) float64 { return float64(i) + 0.5 })},
		{typ: TypeZSet, h: KeyHeader{Key: bs("zb")}, zset: scoredSeq("m", 4, func(i int) float64 { return -float64(i) })},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, WriterOptions{Compress: true, Checksum: true, HashMaxListpackValue: 3, ZsetMaxListpackEntries: 3, ListNodeEntries: 4})
	must(t, w.Header(Aux{"redis-ver", "7.0.15"}))
	must(t, w.Function(bs(testLibrary)))
	must(t, w.SelectDB(1, uint64(len(ks)), 1))
	for _, k := range ks {
		must(t, writeKey(w, k))
	}
	must(t, w.Finish())
	return buf.Bytes()
}

// A file cut anywhere fails with ErrTruncated at the cut, never a partial
// success, with or without checksum verification.
func TestTruncatedFileFails(t *testing.T) {
	legacy, _ := legacyFile(9, false)
	for fi, file := range [][]byte{compactFile(t), legacy} {
		for cut := 0; cut < len(file); cut++ {
			if fi == 1 && cut > 2000 && cut%97 != 0 && cut < len(file)-2000 {
				continue // the middle of the 20 KB string adds nothing
			}
			for _, verify := range []bool{true, false} {
				_, err := readKeys(file[:cut], ReaderOptions{VerifyChecksum: verify})
				var e *Error
				if !errors.As(err, &e) || !errors.Is(err, ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("file %d cut at %d: %v, want a truncation error", fi, cut, err)
				}
				if e.Offset != int64(cut) {
					t.Fatalf("file %d cut at %d: error at offset %d", fi, cut, e.Offset)
				}
			}
		}
	}
}

// Any single-byte change is caught (the CRC catches what parsing doesn't);
// without verification, nothing panics.
func TestByteFlips(t *testing.T) {
	file := compactFile(t)
	for i := range file {
		for _, x := range []byte{0x01, 0x80, 0xFF} {
			b := patched(file, func(b []byte) { b[i] ^= x })
			if _, err := readKeys(b, ReaderOptions{VerifyChecksum: true}); err == nil {
				t.Fatalf("flip %#x at %d went unnoticed", x, i)
			}
			_, _ = readKeys(b, ReaderOptions{})
			_, _ = Summarize(bytes.NewReader(b), ReaderOptions{})
		}
	}
}

// Lengths in the input never allocate before the bytes arrive.
func TestLyingLengthsDoNotAllocate(t *testing.T) {
	for name, file := range map[string][]byte{
		"400 MB string":       keyFile(EncString, []byte{0x80, 0x18, 0, 0, 0, 'a'}),
		"400 MB lzf":          keyFile(EncString, append([]byte{0xC3, 0x80, 0x18, 0, 0, 0, 0x80, 0x18, 0, 0, 0}, 'a')),
		"2^62 set members":    keyFile(EncSet, []byte{0x81, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 'a'}),
		"2^62 quicklist":      keyFile(EncListQuicklist2, []byte{0x81, 0x40, 0, 0, 0, 0, 0, 0, 0}),
		"400 MB aux value":    rawRDB(10, []byte{opAux, 1, 'k', 0x80, 0x18, 0, 0, 0}),
		"400 MB module value": rawRDB(10, []byte{opModuleAux, 5, 2, 0, 5, 0x80, 0x18, 0, 0, 0}),
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := readKeys(file, ReaderOptions{})
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
			t.Errorf("%s: allocated %d bytes", name, grew)
		}
	}
}

func TestMaxString(t *testing.T) {
	file := writeKeys(t, []tkey{{typ: TypeString, h: KeyHeader{Key: bs("k")}, str: bytes.Repeat([]byte("x"), 1000)}}, WriterOptions{})
	if _, err := readKeys(file, ReaderOptions{MaxString: 999}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxString 999: %v", err)
	}
	if _, err := readKeys(file, ReaderOptions{MaxString: 1000}); err != nil {
		t.Errorf("MaxString 1000: %v", err)
	}
}

// Errors are sticky and the reader never goes past them.
func TestErrorsAreSticky(t *testing.T) {
	r := NewReader(bytes.NewReader(keyFile(8, nil)), ReaderOptions{})
	if rec, err := r.Next(); err != nil || rec.Kind != KindSelectDB {
		t.Fatalf("first record %v %v", rec.Kind, err)
	}
	_, first := r.Next()
	if first == nil {
		t.Fatal("no error")
	}
	for range 3 {
		if _, err := r.Next(); err != first {
			t.Fatalf("got %v after %v", err, first)
		}
	}
	if _, _, err := r.NextElem(); err != first {
		t.Fatalf("NextElem after error: %v", err)
	}
}
