package rdb

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// fuzzMaxString keeps LZF expansions (up to 88 times) from making single
// runs slow enough to stall the fuzzer.
const fuzzMaxString = 64 << 10

func readerSeeds(f *testing.F) {
	if b, err := os.ReadFile(committedFile); err == nil {
		f.Add(b)
	}
	f.Add(compactFile(f))
	for _, v := range []int{9, 4} {
		b, _ := legacyFile(v, true)
		f.Add(b)
	}
	f.Add(rawRDB(10))
	f.Add(keyFile(EncListQuicklist2, append([]byte{2, 1}, append(rawString(bs("plain")), append([]byte{2}, rawString(lpBlob("a", "7"))...)...)...)))
	f.Add(keyFile(EncHashZipmap, rawString(buildZipmap([][2]string{{"a", "b"}, {"c", "d"}}, 2))))
	f.Add(keyFile(EncZSet, []byte{2, 1, 'a', 254, 1, 'b', 3, '1', '.', '5'}))
}

// FuzzReader: no input makes the reader panic, loop, or fail without an
// *Error naming an offset inside the input; whatever it accepts, the writer
// can write again and the reader reads back the same.
func FuzzReader(f *testing.F) {
	readerSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, verify := range []bool{false, true} {
			res, err := readKeys(b, ReaderOptions{VerifyChecksum: verify, MaxString: fuzzMaxString})
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v is not an *Error", err)
				}
				if e.Offset < 0 || e.Offset > int64(len(b)) {
					t.Fatalf("error offset %d outside the %d-byte input: %v", e.Offset, len(b), err)
				}
				continue
			}
			rewriteAndCompare(t, res.keys)
		}
		_, _ = Summarize(bytes.NewReader(b), ReaderOptions{MaxString: fuzzMaxString})
	})
}

// rewriteAndCompare writes keys read from a fuzzed file and reads them back.
func rewriteAndCompare(t *testing.T, keys []tkey) {
	var ks []tkey
	seen := map[string]bool{}
	for _, k := range keys {
		id := string(rune(k.db)) + string(k.h.Key)
		if seen[id] || k.db > 1000 || (k.typ != TypeString && k.count() == 0) || hasDuplicates(k) {
			continue
		}
		seen[id] = true
		k.enc = 0
		ks = append(ks, k)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, WriterOptions{Compress: true, Checksum: true})
	must(t, w.Header())
	for i, k := range ks {
		if i == 0 || ks[i-1].db != k.db {
			must(t, w.SelectDB(k.db, 0, 0))
		}
		if err := writeKey(w, k); err != nil {
			if strings.Contains(err.Error(), "duplicate") {
				return // streamed types are not checked for duplicates on read
			}
			t.Fatalf("rewriting %q: %v", k.h.Key, err)
		}
	}
	must(t, w.Finish())
	res, err := readKeys(buf.Bytes(), ReaderOptions{VerifyChecksum: true})
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if len(res.keys) != len(ks) {
		t.Fatalf("read back %d keys, wrote %d", len(res.keys), len(ks))
	}
	for i := range ks {
		if err := sameValue(ks[i], res.keys[i]); err != nil {
			t.Fatalf("key %q: %v", ks[i].h.Key, err)
		}
	}
}

// FuzzParsePayload: with a correct trailer (fix) or as given, payloads never
// panic and accepted values survive a PayloadWriter round trip.
func FuzzParsePayload(f *testing.F) {
	for _, k := range allTypesDataset()[:30] {
		p := payloadOf(f, k, WriterOptions{Compress: true})
		f.Add(p, false)
		f.Add(p[:len(p)-10], true)
	}
	for _, l := range legacyKeys(true) {
		f.Add(append([]byte{byte(l.enc)}, l.val...), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix {
			b = appendPayloadTrailer(clone(b))
		}
		p, err := parsePayload(b, fuzzMaxString)
		if err != nil {
			var e *Error
			if err != ErrPayload && !errors.As(err, &e) {
				t.Fatalf("error %v", err)
			}
			return
		}
		k := tkey{typ: p.Type, str: clone(p.Value)}
		n, err := readElems(p.NextElem, &k)
		if err != nil {
			return
		}
		if p.Len >= 0 && int64(n) != p.Len {
			t.Fatalf("Len %d, %d elements", p.Len, n)
		}
		if (k.typ != TypeString && n == 0) || hasDuplicates(k) {
			return
		}
		w := NewPayloadWriter(WriterOptions{Compress: true})
		if werr := writePayload(w, k); werr != nil {
			if strings.Contains(werr.Error(), "duplicate") {
				return
			}
			t.Fatalf("rewriting: %v", werr)
		}
		out, err := w.Payload()
		must(t, err)
		q, err := ParsePayload(out)
		must(t, err)
		k2 := tkey{typ: q.Type, str: q.Value}
		if _, err := readElems(q.NextElem, &k2); err != nil {
			t.Fatal(err)
		}
		if err := sameValue(k, k2); err != nil {
			t.Fatal(err)
		}
	})
}

// hasDuplicates reports repeated members, which the reader lets through
// for streamed encodings (types 1-5) and the writer refuses or, for large
// collections, cannot see.
func hasDuplicates(k tkey) bool {
	seen := map[string]bool{}
	check := func(b []byte) bool {
		if seen[string(b)] {
			return true
		}
		seen[string(b)] = true
		return false
	}
	switch k.typ {
	case TypeSet:
		for _, m := range k.set {
			if check(m) {
				return true
			}
		}
	case TypeHash:
		for _, p := range k.hash {
			if check(p[0]) {
				return true
			}
		}
	case TypeZSet:
		for _, z := range k.zset {
			if check(z.m) {
				return true
			}
		}
	}
	return false
}

func writePayload(p *PayloadWriter, k tkey) error {
	var err error
	add := func(e error) {
		if err == nil {
			err = e
		}
	}
	switch k.typ {
	case TypeString:
		return p.String(k.str)
	case TypeList:
		add(p.BeginList(len(k.list)))
		for _, e := range k.list {
			add(p.Elem(e))
		}
	case TypeSet:
		add(p.BeginSet(len(k.set)))
		for _, e := range k.set {
			add(p.Member(e))
		}
	case TypeHash:
		add(p.BeginHash(len(k.hash)))
		for _, e := range k.hash {
			add(p.Field(e[0], e[1]))
		}
	case TypeZSet:
		add(p.BeginZSet(len(k.zset)))
		for _, e := range k.zset {
			add(p.Scored(e.m, e.s))
		}
	}
	add(p.End())
	return err
}
