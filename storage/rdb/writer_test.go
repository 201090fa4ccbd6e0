package rdb

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// DUMP payloads produced by redis-server 7.0.15 with default settings. Our
// PayloadWriter must produce the same bytes for the same data.
func TestPayloadMatchesRedisDump(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  tkey
		want string
	}{
		{"lzf string", tkey{typ: TypeString, str: bytes.Repeat([]byte("a"), 52)},
			"\x00\xc3\t4\x01aa\xe0'\x00\x01aa\n\x00c\xdd)\xd3L\x1a$n"},
		{"listpack zset", tkey{typ: TypeZSet, zset: []tscored{
			{bs("d"), math.Copysign(0, -1)}, {bs("b"), 0.1}, {bs("a"), 1.5}, {bs("c"), 3},
			{bs("f"), 4503599627370496}, {bs("g"), 1e20}, {bs("e"), math.Inf(1)}}},
			"\x11\xc3@F@P\x12P\x00\x00\x00\x0e\x00\x81d\x02\x00\x01\x81b\x02\x930.10\xe0\x05\x00\x121\x14\x81a\x02\x831.5\x04\x81c\x02\x03\x01\x81f\x02\xf4 2 \x00\x15\x10\x00\t\x81g\x02\x851e+20\x06\x81e\x02\x83inf\x04\xff\n\x00\x85\xf0\xec\xb9\xa4\x9a\xe7\xc3"},
		{"quicklist", tkey{typ: TypeList, list: [][]byte{bs("a"), bs("b"), bs("1"), bs("-5"), bs("300"), bs("70000"), bs("9000000000")}},
			"\x12\x01\x02$$\x00\x00\x00\a\x00\x81a\x02\x81b\x02\x01\x01\xdf\xfb\x02\xc1,\x02\xf2p\x11\x01\x04\xf4\x00\x1aq\x18\x02\x00\x00\x00\t\xff\n\x00\xdas\x02\x04\xc9\xae\x90!"},
		{"listpack hash", tkey{typ: TypeHash, hash: [][2][]byte{{bs("a"), bs("1")}, {bs("b"), bs("2")}}},
			"\x10\x11\x11\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x02\x01\xff\n\x00>@cl\x8f]v\x9a"},
		{"intset", tkey{typ: TypeSet, set: [][]byte{bs("70000"), bs("3"), bs("1"), bs("2")}},
			"\x0b\x18\x04\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00p\x11\x01\x00\n\x00\xef.e!\xe3\x85\xa2*"},
	} {
		got := payloadOf(t, tc.key, WriterOptions{Compress: true})
		if string(got) != tc.want {
			t.Errorf("%s:\n got % x\nwant % x", tc.name, got, []byte(tc.want))
		}
		p, err := ParsePayload([]byte(tc.want))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		k := tkey{typ: p.Type, str: p.Value}
		if _, err := readElems(p.NextElem, &k); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := sameValue(tc.key, k); err != nil {
			t.Errorf("%s: parsed back: %v", tc.name, err)
		}
	}
}

func TestRoundTripAllTypes(t *testing.T) {
	for _, o := range []WriterOptions{
		{Compress: true, Checksum: true},
		{Compress: false, Checksum: false},
		{Compress: true, Checksum: true, ListNodeEntries: 1},
		{Compress: false, Checksum: true, ListNodeEntries: 1000},
	} {
		want := allTypesDataset()
		aux := []Aux{{"redis-ver", "7.0.15"}, AuxInt("redis-bits", 64), AuxInt("ctime", 1700000000), AuxInt("used-mem", 1<<40), AuxInt("aof-base", 0)}
		b := writeKeys(t, want, o, aux...)
		res, err := readKeys(b, ReaderOptions{VerifyChecksum: true})
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		compareKeys(t, want, res.keys, true)
		wantSum := ChecksumZero
		if o.Checksum {
			wantSum = ChecksumVerified
		}
		if res.checksum != wantSum {
			t.Errorf("%+v: checksum %v, want %v", o, res.checksum, wantSum)
		}
		if len(res.aux) != len(aux) {
			t.Fatalf("aux %v", res.aux)
		}
		for i := range aux {
			if res.aux[i] != aux[i] {
				t.Errorf("aux %d = %v, want %v", i, res.aux[i], aux[i])
			}
		}
		if got := res.resize[15]; got != [2]uint64{1, 1} {
			t.Errorf("RESIZEDB of db 15 = %v", got)
		}
	}
}

// Options change the encodings chosen.
func TestWriterLimits(t *testing.T) {
	ks := []tkey{
		{typ: TypeHash, h: KeyHeader{Key: bs("h")}, hash: pairs("f", 3, 0)},
		{typ: TypeSet, h: KeyHeader{Key: bs("s")}, set: ints(1, 3, 1)},
		{typ: TypeZSet, h: KeyHeader{Key: bs("z")}, zset: scoredSeq("m", 3, func(i int) float64 { return float64(i) })},
		{typ: TypeHash, h: KeyHeader{Key: bs("h2")}, hash: pairs("f", 2, 10)},
	}
	for _, tc := range []struct {
		o    WriterOptions
		encs []Encoding
	}{
		{WriterOptions{}, []Encoding{EncHashListpack, EncSetIntset, EncZSetListpack, EncHashListpack}},
		{WriterOptions{HashMaxListpackEntries: 2, SetMaxIntsetEntries: 2, ZsetMaxListpackEntries: 2}, []Encoding{EncHash, EncSet, EncZSet2, EncHashListpack}},
		{WriterOptions{HashMaxListpackEntries: -1, SetMaxIntsetEntries: -1, ZsetMaxListpackEntries: -1}, []Encoding{EncHash, EncSet, EncZSet2, EncHash}},
		{WriterOptions{HashMaxListpackValue: 5, ZsetMaxListpackValue: 1}, []Encoding{EncHashListpack, EncSetIntset, EncZSet2, EncHash}},
	} {
		res, err := readKeys(writeKeys(t, ks, tc.o), ReaderOptions{VerifyChecksum: true})
		must(t, err)
		for i, k := range res.keys {
			if k.enc != tc.encs[i] {
				t.Errorf("%+v: key %s encoded %s, want %s", tc.o, k.h.Key, k.enc, tc.encs[i])
			}
		}
		compareKeys(t, ks, res.keys, false)
	}
}

func TestWriterMisuse(t *testing.T) {
	newW := func() *Writer {
		w := NewWriter(&bytes.Buffer{}, WriterOptions{})
		must(t, w.Header())
		return w
	}
	h := KeyHeader{Key: bs("k")}
	for _, tc := range []struct {
		name string
		run  func(w *Writer) error
		want string
	}{
		{"no header", func(*Writer) error {
			return NewWriter(&bytes.Buffer{}, WriterOptions{}).String(h, nil)
		}, "Header must be written first"},
		{"empty", func(w *Writer) error { return w.BeginSet(h, 0) }, "never stores an empty collection"},
		{"too few", func(w *Writer) error {
			must(t, w.BeginList(h, 3))
			must(t, w.Elem(bs("a")))
			return w.End()
		}, "announced 3 elements but got 1"},
		{"too many", func(w *Writer) error {
			must(t, w.BeginHash(h, 1))
			must(t, w.Field(bs("a"), bs("b")))
			return w.Field(bs("c"), bs("d"))
		}, "more than the 1 elements"},
		{"wrong kind", func(w *Writer) error {
			must(t, w.BeginSet(h, 1))
			return w.Elem(bs("a"))
		}, "list element given while a set is open"},
		{"key while open", func(w *Writer) error {
			must(t, w.BeginSet(h, 1))
			return w.String(h, nil)
		}, "still open"},
		{"finish while open", func(w *Writer) error {
			must(t, w.BeginZSet(h, 1))
			return w.Finish()
		}, "still open"},
		{"nan", func(w *Writer) error {
			must(t, w.BeginZSet(h, 1))
			return w.Scored(bs("m"), math.NaN())
		}, "NaN score"},
		{"duplicate field", func(w *Writer) error {
			must(t, w.BeginHash(h, 2))
			must(t, w.Field(bs("a"), bs("1")))
			must(t, w.Field(bs("a"), bs("2")))
			return w.End()
		}, "duplicate hash element"},
		{"duplicate intset member", func(w *Writer) error {
			must(t, w.BeginSet(h, 2))
			must(t, w.Member(bs("5")))
			must(t, w.Member(bs("5")))
			return w.End()
		}, "duplicate set element"},
		{"duplicate among many", func(w *Writer) error {
			must(t, w.BeginZSet(h, 20))
			for i := range 20 {
				must(t, w.Scored([]byte{byte('a' + i%19)}, 1))
			}
			return w.End()
		}, "duplicate zset element"},
		{"duplicate among many in order", func(w *Writer) error {
			must(t, w.BeginSet(h, 12))
			for _, m := range []string{"a", "b", "c", "d", "e", "f", "f", "g", "h", "i", "j", "k"} {
				must(t, w.Member(bs(m)))
			}
			return w.End()
		}, `duplicate set element "f"`},
		{"after finish", func(w *Writer) error {
			must(t, w.Finish())
			return w.String(h, nil)
		}, "write after Finish"},
		{"end without begin", func(w *Writer) error { return w.End() }, "End with no collection open"},
	} {
		err := tc.run(newW())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errShort
	}
	return len(p), nil
}

var errShort = bytes.ErrTooLarge

func TestWriterPropagatesWriteErrors(t *testing.T) {
	w := NewWriter(&failWriter{n: 100}, WriterOptions{})
	must(t, w.Header())
	must(t, w.SelectDB(0, 1, 0))
	must(t, w.BeginList(KeyHeader{Key: bs("l")}, 100000))
	var err error
	for i := 0; i < 100000 && err == nil; i++ {
		err = w.Elem(bytes.Repeat([]byte("x"), 50))
	}
	if err != errShort {
		t.Fatalf("error %v, want the writer's", err)
	}
	if w.Finish() != errShort {
		t.Fatal("error not sticky")
	}
}

func TestPayloadWriterMisuse(t *testing.T) {
	p := NewPayloadWriter(WriterOptions{})
	if _, err := p.Payload(); err == nil {
		t.Error("empty payload accepted")
	}
	p = NewPayloadWriter(WriterOptions{})
	must(t, p.String(bs("a")))
	if err := p.String(bs("b")); err == nil {
		t.Error("second value accepted")
	}
}

func TestFunctionsPayload(t *testing.T) {
	libs := [][]byte{bs("#!lua name=a\nredis.register_function('fa', function() return 1 end)"), bs(strings.Repeat("-- padding\n", 30))}
	b := FunctionsPayload(WriterOptions{Compress: true}, libs...)
	got, err := ParseFunctionsPayload(b)
	must(t, err)
	if len(got) != 2 || !bytes.Equal(got[0], libs[0]) || !bytes.Equal(got[1], libs[1]) {
		t.Fatalf("got %q", got)
	}
	b[0] = byte(EncString)
	if _, err := ParseFunctionsPayload(b); err != ErrPayload {
		t.Fatalf("corrupt payload: %v", err)
	}
	fixed := appendPayloadTrailer(b[:len(b)-10])
	if _, err := ParseFunctionsPayload(fixed); err == nil || !strings.Contains(err.Error(), "given type is not a function") {
		t.Fatalf("non-function payload: %v", err)
	}
}

// QuicklistNodes reads back the nodes a list payload was written in, with
// and without LZF, and refuses what is not a quicklist.
func TestQuicklistNodes(t *testing.T) {
	for _, compress := range []bool{false, true} {
		p := NewPayloadWriter(WriterOptions{Compress: compress, ListNodeEntries: 2})
		must(t, p.BeginList(5))
		for range 5 {
			must(t, p.Elem(bs("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))) // 32 bytes: LZF shrinks a pair
		}
		must(t, p.End())
		payload, err := p.Payload()
		must(t, err)
		nodes, size, err := QuicklistNodes(payload)
		// Three listpacks: 6-byte header, 34 bytes an element, 1-byte end.
		if err != nil || nodes != 3 || size != 2*(6+2*34+1)+(6+34+1) {
			t.Errorf("compress %v: %d nodes, %d bytes, %v", compress, nodes, size, err)
		}
	}
	p := NewPayloadWriter(WriterOptions{})
	must(t, p.String(bs("a")))
	payload, err := p.Payload()
	must(t, err)
	if _, _, err := QuicklistNodes(payload); err == nil {
		t.Error("a string payload read as a quicklist")
	}
}
