package rdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// tkey is a key of a test dataset, in a form both writers and readers can
// be compared against.
type tkey struct {
	db   int
	h    KeyHeader
	typ  Type
	str  []byte
	list [][]byte
	set  [][]byte
	hash [][2][]byte
	zset []tscored
	enc  Encoding // expected RDB encoding when read back (0 = don't check)
}

type tscored struct {
	m []byte
	s float64
}

func (k *tkey) count() int {
	switch k.typ {
	case TypeList:
		return len(k.list)
	case TypeSet:
		return len(k.set)
	case TypeHash:
		return len(k.hash)
	case TypeZSet:
		return len(k.zset)
	}
	return 0
}

// writeKeys writes ks (grouped by db, in order) as an RDB file.
func writeKeys(t testing.TB, ks []tkey, o WriterOptions, aux ...Aux) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, o)
	must(t, w.Header(aux...))
	dbs := map[int][]tkey{}
	var order []int
	for _, k := range ks {
		if _, ok := dbs[k.db]; !ok {
			order = append(order, k.db)
		}
		dbs[k.db] = append(dbs[k.db], k)
	}
	slices.Sort(order)
	for _, db := range order {
		var exp uint64
		for _, k := range dbs[db] {
			if k.h.ExpireMs != 0 {
				exp++
			}
		}
		must(t, w.SelectDB(db, uint64(len(dbs[db])), exp))
		for _, k := range dbs[db] {
			must(t, writeKey(w, k))
		}
	}
	must(t, w.Finish())
	if w.Written() != int64(buf.Len()) {
		t.Fatalf("Written() = %d, wrote %d", w.Written(), buf.Len())
	}
	return buf.Bytes()
}

func writeKey(w *Writer, k tkey) error {
	var err error
	add := func(e error) {
		if err == nil {
			err = e
		}
	}
	switch k.typ {
	case TypeString:
		return w.String(k.h, k.str)
	case TypeList:
		add(w.BeginList(k.h, len(k.list)))
		for _, e := range k.list {
			add(w.Elem(e))
		}
	case TypeSet:
		add(w.BeginSet(k.h, len(k.set)))
		for _, e := range k.set {
			add(w.Member(e))
		}
	case TypeHash:
		add(w.BeginHash(k.h, len(k.hash)))
		for _, e := range k.hash {
			add(w.Field(e[0], e[1]))
		}
	case TypeZSet:
		add(w.BeginZSet(k.h, len(k.zset)))
		for _, e := range k.zset {
			add(w.Scored(e.m, e.s))
		}
	}
	add(w.End())
	return err
}

func payloadOf(t testing.TB, k tkey, o WriterOptions) []byte {
	t.Helper()
	p := NewPayloadWriter(o)
	switch k.typ {
	case TypeString:
		must(t, p.String(k.str))
	case TypeList:
		must(t, p.BeginList(len(k.list)))
		for _, e := range k.list {
			must(t, p.Elem(e))
		}
	case TypeSet:
		must(t, p.BeginSet(len(k.set)))
		for _, e := range k.set {
			must(t, p.Member(e))
		}
	case TypeHash:
		must(t, p.BeginHash(len(k.hash)))
		for _, e := range k.hash {
			must(t, p.Field(e[0], e[1]))
		}
	case TypeZSet:
		must(t, p.BeginZSet(len(k.zset)))
		for _, e := range k.zset {
			must(t, p.Scored(e.m, e.s))
		}
	}
	if k.typ != TypeString {
		must(t, p.End())
	}
	b, err := p.Payload()
	must(t, err)
	return b
}

type readResult struct {
	keys     []tkey
	aux      []Aux
	funcs    []string
	resize   map[int][2]uint64
	checksum ChecksumStatus
}

func clone(b []byte) []byte { return append([]byte{}, b...) }

// readKeys reads a whole RDB with the Reader.
func readKeys(b []byte, o ReaderOptions) (readResult, error) {
	res := readResult{resize: map[int][2]uint64{}}
	r := NewReader(bytes.NewReader(b), o)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		switch rec.Kind {
		case KindAux:
			res.aux = append(res.aux, rec.Aux)
		case KindFunction:
			res.funcs = append(res.funcs, string(rec.Function.Source))
		case KindResizeDB:
			res.resize[rec.DB] = [2]uint64{rec.DBSize, rec.ExpiresSize}
		case KindEOF:
			res.checksum = rec.Checksum
		case KindKey:
			k := tkey{db: rec.DB, h: rec.KeyHeader, typ: rec.Type, enc: rec.Encoding}
			k.h.Key = clone(rec.Key)
			if rec.Type == TypeString {
				k.str = clone(rec.Value)
			}
			n, err := readElems(r.NextElem, &k)
			if err != nil {
				return res, err
			}
			if rec.Len >= 0 && int64(n) != rec.Len {
				return res, fmt.Errorf("key %q: Len %d but %d elements", rec.Key, rec.Len, n)
			}
			res.keys = append(res.keys, k)
		}
	}
}

func readElems(next func() (Elem, bool, error), k *tkey) (int, error) {
	n := 0
	for {
		e, ok, err := next()
		if err != nil || !ok {
			return n, err
		}
		n++
		switch k.typ {
		case TypeList:
			k.list = append(k.list, clone(e.Member))
		case TypeSet:
			k.set = append(k.set, clone(e.Member))
		case TypeHash:
			k.hash = append(k.hash, [2][]byte{clone(e.Member), clone(e.Value)})
		case TypeZSet:
			k.zset = append(k.zset, tscored{clone(e.Member), e.Score})
		default:
			return n, fmt.Errorf("element for a %s", k.typ)
		}
	}
}

// sameValue compares two keys' data (not their encodings); set, hash and
// zset order does not matter.
func sameValue(a, b tkey) error {
	if a.typ != b.typ {
		return fmt.Errorf("type %s, want %s", b.typ, a.typ)
	}
	switch a.typ {
	case TypeString:
		if !bytes.Equal(a.str, b.str) {
			return fmt.Errorf("value %q, want %q", trunc(b.str), trunc(a.str))
		}
	case TypeList:
		if len(a.list) != len(b.list) {
			return fmt.Errorf("%d elements, want %d", len(b.list), len(a.list))
		}
		for i := range a.list {
			if !bytes.Equal(a.list[i], b.list[i]) {
				return fmt.Errorf("element %d is %q, want %q", i, trunc(b.list[i]), trunc(a.list[i]))
			}
		}
	case TypeSet:
		x, y := sortedStrings(a.set), sortedStrings(b.set)
		if !slices.Equal(x, y) {
			return fmt.Errorf("members differ: got %d, want %d", len(y), len(x))
		}
	case TypeHash:
		x, y := map[string]string{}, map[string]string{}
		for _, p := range a.hash {
			x[string(p[0])] = string(p[1])
		}
		for _, p := range b.hash {
			y[string(p[0])] = string(p[1])
		}
		if len(x) != len(a.hash) || len(y) != len(b.hash) || len(x) != len(y) {
			return fmt.Errorf("%d fields (%d distinct), want %d (%d distinct)", len(b.hash), len(y), len(a.hash), len(x))
		}
		for f, v := range x {
			if y[f] != v {
				return fmt.Errorf("field %q is %q, want %q", f, y[f], v)
			}
		}
	case TypeZSet:
		x, y := map[string]float64{}, map[string]float64{}
		for _, p := range a.zset {
			x[string(p.m)] = p.s
		}
		for _, p := range b.zset {
			y[string(p.m)] = p.s
		}
		if len(x) != len(a.zset) || len(y) != len(b.zset) || len(x) != len(y) {
			return fmt.Errorf("%d members (%d distinct), want %d (%d distinct)", len(b.zset), len(y), len(a.zset), len(x))
		}
		for m, s := range x {
			if got, ok := y[m]; !ok || got != s {
				return fmt.Errorf("member %q has score %v, want %v", m, got, s)
			}
		}
	}
	return nil
}

func sortedStrings(bs [][]byte) []string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = string(b)
	}
	slices.Sort(s)
	return s
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// compareKeys checks that got holds exactly want, key by key.
func compareKeys(t *testing.T, want, got []tkey, checkHeader bool) {
	t.Helper()
	idx := map[string]tkey{}
	for _, k := range got {
		id := strconv.Itoa(k.db) + "/" + string(k.h.Key)
		if _, dup := idx[id]; dup {
			t.Errorf("key %s read twice", id)
		}
		idx[id] = k
	}
	if len(got) != len(want) {
		t.Errorf("read %d keys, want %d", len(got), len(want))
	}
	for _, w := range want {
		id := strconv.Itoa(w.db) + "/" + string(w.h.Key)
		g, ok := idx[id]
		if !ok {
			t.Errorf("key %s missing", id)
			continue
		}
		if err := sameValue(w, g); err != nil {
			t.Errorf("key %s: %v", id, err)
		}
		if w.enc != 0 && g.enc != w.enc {
			t.Errorf("key %s: encoding %s, want %s", id, g.enc, w.enc)
		}
		if checkHeader {
			gh, wh := g.h, w.h
			if gh.ExpireMs != wh.ExpireMs || gh.HasIdle != wh.HasIdle || gh.Idle != wh.Idle || gh.HasFreq != wh.HasFreq || gh.Freq != wh.Freq {
				t.Errorf("key %s: header %+v, want %+v", id, gh, wh)
			}
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func bs(s string) []byte { return []byte(s) }

func seq(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(prefix + strconv.Itoa(i))
	}
	return out
}

func ints(from, n, step int64) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(strconv.FormatInt(from+int64(i)*step, 10))
	}
	return out
}

func pairs(prefix string, n int, valLen int) [][2][]byte {
	out := make([][2][]byte, n)
	for i := range out {
		v := strconv.Itoa(i)
		if valLen > 0 {
			v = strings.Repeat("v", valLen) + v
		}
		out[i] = [2][]byte{[]byte(prefix + strconv.Itoa(i)), []byte(v)}
	}
	return out
}

func scoredSeq(prefix string, n int, f func(i int) float64) []tscored {
	out := make([]tscored, n)
	for i := range out {
		out[i] = tscored{[]byte(prefix + strconv.Itoa(i)), f(i)}
	}
	return out
}

// allTypesDataset covers every type in both encodings, as written by our
// Writer with default limits, plus expiries, LRU/LFU data and odd strings.
func allTypesDataset() []tkey {
	bin := make([]byte, 300)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	long := bytes.Repeat([]byte("compressible "), 100)
	future := time.Now().Add(48*time.Hour).UnixMilli() / 1000 * 1000
	ks := []tkey{
		{typ: TypeString, h: KeyHeader{Key: bs("s:empty")}, str: bs("")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:0")}, str: bs("0")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:-1")}, str: bs("-1")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:007")}, str: bs("007")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:big")}, str: bs("2147483648")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:int32min")}, str: bs("-2147483648")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:int64")}, str: bs("9223372036854775807")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:space1")}, str: bs(" 1")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:-0")}, str: bs("-0")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:300")}, str: bs("300")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:70000")}, str: bs("70000")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:bin")}, str: bin},
		{typ: TypeString, h: KeyHeader{Key: bs("s:long")}, str: long},
		{typ: TypeString, h: KeyHeader{Key: bs("12345")}, str: bs("integer key")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:expire"), ExpireMs: future}, str: bs("x")},
		{typ: TypeString, h: KeyHeader{Key: bs("s:idle"), Idle: 5000, HasIdle: true}, str: bs("x")},
		{typ: TypeString, h: KeyHeader{Key: bytes.Repeat([]byte("k"), 100)}, str: bs("long key")},

		{typ: TypeList, h: KeyHeader{Key: bs("l:small"), ExpireMs: future + 1000}, list: [][]byte{bs("a"), bs(""), bs("1"), bs("-5"), bs("300"), bs("70000"), bs("9000000000"), bs("007"), bin, long}, enc: EncListQuicklist2},
		{typ: TypeList, h: KeyHeader{Key: bs("l:nodes")}, list: append(seq("elem-", 700), ints(-1000, 300, 7)...), enc: EncListQuicklist2},
		{typ: TypeList, h: KeyHeader{Key: bs("l:one")}, list: [][]byte{bs("only")}, enc: EncListQuicklist2},

		{typ: TypeSet, h: KeyHeader{Key: bs("set:int16")}, set: ints(-5, 10, 3), enc: EncSetIntset},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:int32")}, set: ints(-70000, 20, 9000), enc: EncSetIntset},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:int64")}, set: append(ints(1, 3, 1), bs("9223372036854775807"), bs("-9223372036854775808")), enc: EncSetIntset},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:mixed")}, set: [][]byte{bs("1"), bs("2"), bs("007")}, enc: EncSet},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:str")}, set: append(seq("m", 30), bs("")), enc: EncSet},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:bigints")}, set: ints(0, 600, 5), enc: EncSet},
		{typ: TypeSet, h: KeyHeader{Key: bs("set:big")}, set: seq("member-", 1000), enc: EncSet},

		{typ: TypeHash, h: KeyHeader{Key: bs("h:small"), Freq: 9, HasFreq: true}, hash: [][2][]byte{{bs("a"), bs("1")}, {bs(""), bs("")}, {bs("007"), bs("-0")}, {bs("n"), bs("-70000")}, {bs("12"), bs("9223372036854775807")}}, enc: EncHashListpack},
		{typ: TypeHash, h: KeyHeader{Key: bs("h:512")}, hash: pairs("f", 512, 0), enc: EncHashListpack},
		{typ: TypeHash, h: KeyHeader{Key: bs("h:513")}, hash: pairs("f", 513, 0), enc: EncHash},
		{typ: TypeHash, h: KeyHeader{Key: bs("h:longval")}, hash: [][2][]byte{{bs("a"), bytes.Repeat([]byte("x"), 65)}, {bs("b"), bs("1")}}, enc: EncHash},
		{typ: TypeHash, h: KeyHeader{Key: bs("h:64")}, hash: [][2][]byte{{bs("a"), bytes.Repeat([]byte("x"), 64)}}, enc: EncHashListpack},

		{typ: TypeZSet, h: KeyHeader{Key: bs("z:small")}, zset: []tscored{
			{bs("inf"), math.Inf(1)}, {bs("-inf"), math.Inf(-1)}, {bs("negzero"), math.Copysign(0, -1)},
			{bs("tiny"), 1e-300}, {bs("int"), 42}, {bs("neg"), -7}, {bs("frac"), 0.1}, {bs("big"), 1e20},
			{bs("2^52"), 1 << 52}, {bs("2^62"), 1 << 62}, {bs("huge"), 1.7976931348623157e308}, {bs(""), 3.5},
		}, enc: EncZSetListpack},
		{typ: TypeZSet, h: KeyHeader{Key: bs("z:128")}, zset: scoredSeq("m", 128, func(i int) float64 { return float64(i) / 3 }), enc: EncZSetListpack},
		{typ: TypeZSet, h: KeyHeader{Key: bs("z:129")}, zset: scoredSeq("m", 129, func(i int) float64 { return float64(i) - 64.5 }), enc: EncZSet2},
		{typ: TypeZSet, h: KeyHeader{Key: bs("z:longmember")}, zset: []tscored{{bytes.Repeat([]byte("m"), 65), 1}, {bs("x"), math.Inf(-1)}, {bs("y"), math.Copysign(0, -1)}}, enc: EncZSet2},

		{db: 3, typ: TypeString, h: KeyHeader{Key: bs("in-db-3")}, str: bs("three")},
		{db: 15, typ: TypeHash, h: KeyHeader{Key: bs("in-db-15"), ExpireMs: future}, hash: pairs("x", 3, 0), enc: EncHashListpack},
	}
	return ks
}

// ---- hand-made legacy encodings ----

// ziplistEntry is one entry for buildZiplist: a string, or an integer with
// the ziplist encoding byte to use.
type ziplistEntry struct {
	s      []byte
	isInt  bool
	v      int64
	enc    byte // for integers: 0xC0, 0xD0, 0xE0, 0xF0, 0xFE or 0xF1..0xFD
	big    bool // force the 5-byte prevlen form
	strEnc byte // for strings: 0x00, 0x40 or 0x80 (0 = smallest)
}

// buildZiplist makes a ziplist the way Redis 6 did.
func buildZiplist(entries []ziplistEntry) []byte {
	b := make([]byte, zlHeaderSize)
	prevLen, tail := 0, zlHeaderSize
	for _, e := range entries {
		start := len(b)
		tail = start
		if prevLen < 254 && !e.big {
			b = append(b, byte(prevLen))
		} else {
			b = append(b, 0xFE)
			b = binary.LittleEndian.AppendUint32(b, uint32(prevLen))
		}
		if e.isInt {
			b = append(b, e.enc)
			switch e.enc {
			case 0xC0:
				b = binary.LittleEndian.AppendUint16(b, uint16(e.v))
			case 0xD0:
				b = binary.LittleEndian.AppendUint32(b, uint32(e.v))
			case 0xE0:
				b = binary.LittleEndian.AppendUint64(b, uint64(e.v))
			case 0xF0:
				b = append(b, byte(e.v), byte(e.v>>8), byte(e.v>>16))
			case 0xFE:
				b = append(b, byte(e.v))
			}
		} else {
			l := len(e.s)
			enc := e.strEnc
			if enc == 0 && l >= 64 {
				enc = 0x40
				if l >= 16384 {
					enc = 0x80
				}
			}
			switch enc {
			case 0x00:
				b = append(b, byte(l))
			case 0x40:
				b = append(b, 0x40|byte(l>>8), byte(l))
			default:
				b = append(b, 0x80)
				b = binary.BigEndian.AppendUint32(b, uint32(l))
			}
			b = append(b, e.s...)
		}
		prevLen = len(b) - start
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	binary.LittleEndian.PutUint16(b[8:], uint16(min(len(entries), 0xFFFF)))
	return b
}

func zstr(s string) ziplistEntry { return ziplistEntry{s: []byte(s)} }

func zint(v int64) ziplistEntry {
	e := ziplistEntry{isInt: true, v: v}
	switch {
	case v >= 0 && v <= 12:
		e.enc = 0xF1 + byte(v)
	case v >= math.MinInt8 && v <= math.MaxInt8:
		e.enc = 0xFE
	case v >= math.MinInt16 && v <= math.MaxInt16:
		e.enc = 0xC0
	case v >= -1<<23 && v < 1<<23:
		e.enc = 0xF0
	case v >= math.MinInt32 && v <= math.MaxInt32:
		e.enc = 0xD0
	default:
		e.enc = 0xE0
	}
	return e
}

// buildZipmap makes a Redis 2.4 zipmap; free adds unused bytes after values.
func buildZipmap(pairs [][2]string, free int) []byte {
	b := []byte{byte(min(len(pairs), 254))}
	putLen := func(l int) {
		if l < 254 {
			b = append(b, byte(l))
		} else {
			b = append(b, 254)
			b = binary.LittleEndian.AppendUint32(b, uint32(l))
		}
	}
	for _, p := range pairs {
		putLen(len(p[0]))
		b = append(b, p[0]...)
		putLen(len(p[1]))
		b = append(b, byte(free))
		b = append(b, p[1]...)
		b = append(b, make([]byte, free)...)
	}
	return append(b, 0xFF)
}

// rawRDB assembles a file by hand: header for version, body, EOF, checksum.
func rawRDB(version int, body ...[]byte) []byte {
	b := fmt.Appendf(nil, "REDIS%04d", version)
	for _, p := range body {
		b = append(b, p...)
	}
	b = append(b, opEOF)
	if version >= 5 {
		b = binary.LittleEndian.AppendUint64(b, Checksum(0, b))
	}
	return b
}

func rawString(s []byte) []byte { return append(appendLen(nil, uint64(len(s))), s...) }

// ---- redis-server ----

type redisServer struct {
	addr string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// startRedis runs redis-server on a free loopback port with dir/dbfile as
// its RDB. It skips the test when redis-server is not installed and fails
// it when the server exits before answering (e.g. it refused the RDB).
func startRedis(t testing.TB, dir, dbfile string, extra ...string) *redisServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts redis-server (not in -short)")
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH")
	}
	port := freePort(t)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", dbfile,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--databases", "16", "--protected-mode", "no"}, extra...)
	s := &redisServer{addr: "127.0.0.1:" + port, cmd: exec.Command(path, args...), log: &syncBuffer{}, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	must(t, s.cmd.Start())
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := s.client(0)
		err := c.Ping(context.Background()).Err()
		c.Close()
		if err == nil {
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("redis-server exited: %s", s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer: %v\n%s", err, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *redisServer) client(db int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.addr, DB: db, Protocol: 2, MaxRetries: -1, DialTimeout: time.Second})
}

// fetchKey reads a key from redis into a tkey (without header).
func fetchKey(ctx context.Context, c *redis.Client, key string) (tkey, error) {
	k := tkey{h: KeyHeader{Key: []byte(key)}}
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		return k, err
	}
	switch typ {
	case "string":
		k.typ = TypeString
		v, err := c.Get(ctx, key).Result()
		k.str = []byte(v)
		return k, err
	case "list":
		k.typ = TypeList
		v, err := c.LRange(ctx, key, 0, -1).Result()
		for _, e := range v {
			k.list = append(k.list, []byte(e))
		}
		return k, err
	case "set":
		k.typ = TypeSet
		v, err := c.SMembers(ctx, key).Result()
		for _, e := range v {
			k.set = append(k.set, []byte(e))
		}
		return k, err
	case "hash":
		k.typ = TypeHash
		v, err := c.Do(ctx, "HGETALL", key).StringSlice() // in the server's order
		for i := 0; i+1 < len(v); i += 2 {
			k.hash = append(k.hash, [2][]byte{[]byte(v[i]), []byte(v[i+1])})
		}
		return k, err
	case "zset":
		k.typ = TypeZSet
		v, err := c.ZRangeWithScores(ctx, key, 0, -1).Result()
		for _, z := range v {
			k.zset = append(k.zset, tscored{[]byte(z.Member.(string)), z.Score})
		}
		return k, err
	}
	return k, errors.New("unexpected type " + typ)
}
