package storage

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMetaRoundTrip(t *testing.T) {
	types := []Type{TypeString, TypeList, TypeSet, TypeZSet, TypeHash, TypeStream}
	expiries := []int64{0, 1, 1_700_000_000_000, math.MaxInt64, -1}
	for _, typ := range types {
		for i, exp := range expiries {
			// An index entry earlier than the expiry, on every other
			// expiry; dropped when there is no expiry.
			idx := int64(0)
			if i%2 == 1 {
				idx = 42
			}
			for _, m := range []Meta{
				{Type: typ, ExpireAt: exp},
				{Type: typ, ExpireAt: exp, Value: []byte("hello\x00\xff"), Version: 1, Count: 3, Tail: []byte{1, 2, 3}},
				{Type: typ, ExpireAt: exp, Version: math.MaxUint64, Count: math.MaxUint64, Tail: bytes.Repeat([]byte{0xff}, 20)},
				{Type: typ, ExpireAt: exp, Value: bytes.Repeat([]byte("v"), 1000), Version: 127, Count: 128},
				{Type: typ, ExpireAt: exp, Value: []byte("12"), Enc: StrEncRaw},
				{Type: typ, ExpireAt: exp, Value: []byte("12"), Enc: StrEncIntCopy},
				{Type: typ, ExpireAt: exp, Value: []byte("1.5"), Enc: StrEncNoInt},
				{Type: typ, ExpireAt: exp, Chunked: true, Version: 7, Count: 1 << 33, Enc: StrEncRaw},
				{Type: typ, ExpireAt: exp, Chunked: true, Value: []byte("dropped"), Version: math.MaxUint64, Count: 4097},
				{Type: typ, ExpireAt: exp, Version: 9, Count: 2, DataKey: []byte("old\x00name"), Tail: []byte{1}},
				{Type: typ, ExpireAt: exp, Chunked: true, Version: 9, Count: 5000, DataKey: []byte{}},
			} {
				m.ExpireIndexAt = idx
				enc := AppendMeta([]byte("dst"), &m)
				if string(enc[:3]) != "dst" {
					t.Fatalf("AppendMeta overwrote dst")
				}
				enc = enc[3:]
				// Only the fields of the type's layout survive.
				want := m
				if exp == 0 {
					want.ExpireIndexAt = 0
				}
				switch {
				case typ == TypeString && m.Chunked:
					want.Value = nil
				case typ == TypeString:
					want.Version, want.Count, want.Tail, want.DataKey = 0, 0, nil, nil
				default:
					want.Value, want.Enc, want.Chunked = nil, StrEncAuto, false
				}
				var got Meta
				if err := DecodeMeta(enc, &got); err != nil {
					t.Fatalf("DecodeMeta(%+v): %v", m, err)
				}
				if got.Type != want.Type || got.ExpireAt != want.ExpireAt || got.ExpireIndexAt != want.ExpireIndexAt || got.Enc != want.Enc || got.Chunked != want.Chunked || got.Version != want.Version ||
					got.Count != want.Count || !bytes.Equal(got.Value, want.Value) || !bytes.Equal(got.Tail, want.Tail) ||
					(got.DataKey == nil) != (want.DataKey == nil) || !bytes.Equal(got.DataKey, want.DataKey) {
					t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
				}
				if MetaType(enc) != typ {
					t.Errorf("MetaType = %v; want %v", MetaType(enc), typ)
				}
				if MetaExpireAt(enc) != exp {
					t.Errorf("MetaExpireAt = %d; want %d", MetaExpireAt(enc), exp)
				}
				if MetaIndexAt(enc) != want.IndexAt() {
					t.Errorf("MetaIndexAt = %d; want %d", MetaIndexAt(enc), want.IndexAt())
				}
				if h, ok := MetaHeader(enc); ok {
					var hm Meta
					if err := DecodeMeta(h, &hm); err != nil || hm.ExpireAt != want.ExpireAt || hm.ExpireIndexAt != want.ExpireIndexAt || len(hm.Value) != 0 {
						t.Errorf("MetaHeader(%x) = %x, decoded %+v, %v", enc, h, hm, err)
					}
				}
			}
		}
	}
}

func TestDecodeMetaCorrupt(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"type only", []byte{byte(TypeString)}},
		{"expiry flag, short expiry", []byte{byte(TypeString), metaHasExpire, 1, 2, 3}},
		{"index time without expiry", []byte{byte(TypeString), metaExpireIndexed, 0, 0, 0, 0, 0, 0, 0, 1}},
		{"short index time", []byte{byte(TypeString), metaHasExpire | metaExpireIndexed, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2}},
		{"type none", []byte{byte(TypeNone), 0, 1, 1}},
		{"unknown type", []byte{byte(TypeStream) + 1, 0, 1, 1}},
		{"collection without version", []byte{byte(TypeHash), 0}},
		{"truncated version", []byte{byte(TypeHash), 0, 0x80}},
		{"collection without count", []byte{byte(TypeSet), 0, 5}},
		{"truncated count", []byte{byte(TypeSet), 0, 5, 0xff}},
		{"version overflow", append([]byte{byte(TypeList), 0}, bytes.Repeat([]byte{0xff}, 11)...)},
		{"chunked string without version", []byte{byte(TypeString), metaChunked}},
		{"chunked string without length", []byte{byte(TypeString), metaChunked, 5}},
		{"data key without length", []byte{byte(TypeHash), metaHasDataKey, 5, 1}},
		{"data key past the end", []byte{byte(TypeHash), metaHasDataKey, 5, 1, 3, 'a', 'b'}},
	}
	for _, tc := range cases {
		var m Meta
		if err := DecodeMeta(tc.b, &m); err != ErrCorrupt {
			t.Errorf("%s: DecodeMeta(%x) = %v, %+v; want ErrCorrupt", tc.name, tc.b, err, m)
		}
	}
	// The smallest valid records.
	var m Meta
	if err := DecodeMeta([]byte{byte(TypeString), 0}, &m); err != nil || m.Type != TypeString || len(m.Value) != 0 {
		t.Errorf("empty string record: %v %+v", err, m)
	}
	if err := DecodeMeta([]byte{byte(TypeZSet), 0, 0, 0}, &m); err != nil || m.Type != TypeZSet || len(m.Tail) != 0 {
		t.Errorf("empty zset record: %v %+v", err, m)
	}
}

func TestMetaAccessorsShort(t *testing.T) {
	if MetaType(nil) != TypeNone {
		t.Error("MetaType(nil) != none")
	}
	for _, b := range [][]byte{nil, {1}, {1, metaHasExpire, 0, 0}, {1, 0, 9, 9, 9, 9, 9, 9, 9, 9}} {
		if got := MetaExpireAt(b); got != 0 {
			t.Errorf("MetaExpireAt(%x) = %d; want 0", b, got)
		}
	}
}

func TestTypeString(t *testing.T) {
	want := map[Type]string{
		TypeNone: "none", TypeString: "string", TypeList: "list", TypeSet: "set",
		TypeZSet: "zset", TypeHash: "hash", TypeStream: "stream", 99: "none",
	}
	for typ, s := range want {
		if typ.String() != s {
			t.Errorf("Type(%d).String() = %q; want %q", typ, typ.String(), s)
		}
	}
}

func TestMetaKey(t *testing.T) {
	for _, db := range []uint16{0, 1, 255, 256, math.MaxUint16} {
		for _, uk := range [][]byte{{}, []byte("k"), []byte("\x00\xff")} {
			mk := MetaKey([]byte("x"), db, uk)[1:]
			if !bytes.Equal(UserKeyFromMeta(mk), uk) {
				t.Errorf("UserKeyFromMeta(MetaKey(%d, %q)) = %q", db, uk, UserKeyFromMeta(mk))
			}
			if p := MetaPrefix(nil, db); !bytes.HasPrefix(mk, p) || !bytes.Equal(p, DBPrefix(nil, FamilyMeta, db)) {
				t.Errorf("MetaPrefix(%d) = %x does not prefix %x", db, p, mk)
			}
		}
	}
	if UserKeyFromMeta([]byte("M\x00")) != nil {
		t.Error("UserKeyFromMeta of a short key is not nil")
	}
	// Databases do not interleave: all of db 1 sorts before all of db 2.
	hi := MetaKey(nil, 1, bytes.Repeat([]byte{0xff}, 10))
	lo := MetaKey(nil, 2, nil)
	if bytes.Compare(hi, lo) >= 0 {
		t.Error("db 1 meta keys reach into db 2")
	}
}

func TestExpireKey(t *testing.T) {
	cases := []struct {
		db  uint16
		at  int64
		key string
	}{
		{0, 0, ""},
		{1, 1_700_000_000_123, "user:1"},
		{math.MaxUint16, math.MaxInt64, "\x00\xff"},
	}
	for _, tc := range cases {
		k := ExpireKey([]byte("dst"), tc.db, tc.at, []byte(tc.key))[3:]
		db, at, uk, ok := ParseExpireKey(k)
		if !ok || db != tc.db || at != tc.at || string(uk) != tc.key {
			t.Errorf("ParseExpireKey(ExpireKey(%d, %d, %q)) = %d, %d, %q, %v", tc.db, tc.at, tc.key, db, at, uk, ok)
		}
		if !bytes.HasPrefix(k, DBPrefix(nil, FamilyExpire, tc.db)) {
			t.Errorf("expire key %x lacks its db prefix", k)
		}
	}
	for _, bad := range [][]byte{nil, []byte("E\x00\x01"), ExpireKey(nil, 1, 5, nil)[:10], append([]byte{FamilyMeta}, ExpireKey(nil, 1, 5, []byte("k"))[1:]...)} {
		if _, _, _, ok := ParseExpireKey(bad); ok {
			t.Errorf("ParseExpireKey(%x) accepted", bad)
		}
	}
	// The sweeper scans in time order within a db, whatever the user keys.
	a := ExpireKey(nil, 3, 1000, []byte("\xff\xff"))
	b := ExpireKey(nil, 3, 1001, nil)
	if bytes.Compare(a, b) >= 0 {
		t.Error("expiry keys do not sort by time")
	}
}

func TestServerKey(t *testing.T) {
	if got := ServerKey([]byte("x"), "replid"); string(got) != "xSreplid" {
		t.Errorf("ServerKey = %q", got)
	}
}

func TestPrefixEnd(t *testing.T) {
	cases := []struct {
		p, want []byte
	}{
		{[]byte{}, nil},
		{nil, nil},
		{[]byte("a"), []byte("b")},
		{[]byte("ab"), []byte("ac")},
		{[]byte("a\xff"), []byte("b")},
		{[]byte("a\xff\xff"), []byte("b")},
		{[]byte("a\x00\xff"), []byte("a\x01")},
		{[]byte("\x00"), []byte("\x01")},
		{[]byte("\xfe"), []byte("\xff")},
		{[]byte("\xff"), nil},
		{[]byte("\xff\xff\xff"), nil},
	}
	for _, tc := range cases {
		in := bytes.Clone(tc.p)
		got := PrefixEnd(tc.p)
		if !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("PrefixEnd(%x) = %x; want %x", tc.p, got, tc.want)
		}
		if !bytes.Equal(in, tc.p) {
			t.Errorf("PrefixEnd modified its argument: %x -> %x", in, tc.p)
		}
	}
	// k has prefix p exactly when p <= k < PrefixEnd(p).
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{0, 1, 0x7f, 0xfe, 0xff}
	randKey := func(n int) []byte {
		b := make([]byte, rng.IntN(n+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return b
	}
	for range 20000 {
		p, k := randKey(3), randKey(5)
		end := PrefixEnd(p)
		inRange := bytes.Compare(k, p) >= 0 && (end == nil || bytes.Compare(k, end) < 0)
		if inRange != bytes.HasPrefix(k, p) {
			t.Fatalf("p=%x k=%x end=%x: in range %v, has prefix %v", p, k, end, inRange, bytes.HasPrefix(k, p))
		}
	}
}

func TestFloatKeyOrder(t *testing.T) {
	// Ascending; -0 sorts just below +0 (callers normalise -0 away).
	vals := []float64{
		math.Inf(-1), -math.MaxFloat64, -1e300, -1e10, -1, -0.5, -math.SmallestNonzeroFloat64,
		math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64, 0.5, 1, 1e10, 1e300, math.MaxFloat64, math.Inf(1),
	}
	var prev []byte
	for i, f := range vals {
		enc := AppendFloatKey([]byte("dst"), f)[3:]
		if len(enc) != 8 {
			t.Fatalf("encoding of %v has %d bytes", f, len(enc))
		}
		if got := DecodeFloatKey(enc); math.Float64bits(got) != math.Float64bits(f) {
			t.Errorf("DecodeFloatKey(AppendFloatKey(%v)) = %v", f, got)
		}
		if i > 0 && bytes.Compare(prev, enc) >= 0 {
			t.Errorf("encoding of %v does not sort after %v", f, vals[i-1])
		}
		prev = enc
	}
	rng := rand.New(rand.NewPCG(3, 4))
	randFloat := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return math.Float64frombits(rng.Uint64()) // any bit pattern
		case 1:
			return float64(rng.IntN(21) - 10) // many ties
		default:
			return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(40)-20))
		}
	}
	for range 100000 {
		a, b := randFloat(), randFloat()
		if math.IsNaN(a) || math.IsNaN(b) || (a == 0 && b == 0) {
			continue
		}
		c := bytes.Compare(AppendFloatKey(nil, a), AppendFloatKey(nil, b))
		want := 0
		if a < b {
			want = -1
		} else if a > b {
			want = 1
		}
		if c != want {
			t.Fatalf("compare(enc(%v), enc(%v)) = %d; want %d", a, b, c, want)
		}
	}
}

// TestDataPrefixIsolation checks that one key's members never fall inside
// another key's member range, whichever user keys share a prefix, and that
// versions and databases do not overlap either.
func TestDataPrefixIsolation(t *testing.T) {
	userKeys := [][]byte{
		{}, []byte("a"), []byte("ab"), []byte("a\x00"), []byte("a\xff"), []byte("a\xff\xff"),
		[]byte("b"), []byte("\x00\x00\x00\x01a"), bytes.Repeat([]byte{0xff}, 12),
	}
	subs := [][]byte{{}, {0}, []byte("b"), bytes.Repeat([]byte{0xff}, 16), []byte("\x00\x00\x00\x01b\x00\x00\x00\x00\x00\x00\x00\x01")}
	versions := []uint64{0, 1, math.MaxUint64}
	dbs := []uint16{0, 1}
	type rng struct{ lo, hi []byte }
	inside := func(k []byte, r rng) bool {
		return bytes.Compare(k, r.lo) >= 0 && (r.hi == nil || bytes.Compare(k, r.hi) < 0)
	}
	for _, db := range dbs {
		for _, a := range userKeys {
			for _, va := range versions {
				for _, sub := range subs {
					member := append(DataPrefix(nil, db, a, va), sub...)
					for _, db2 := range dbs {
						for _, b := range userKeys {
							kp := DataKeyPrefix(nil, db2, b)
							all := rng{kp, PrefixEnd(kp)}
							same := db == db2 && bytes.Equal(a, b)
							if inside(member, all) != same {
								t.Fatalf("member %x of db %d key %q v%d: inside db %d key %q's range = %v",
									member, db, a, va, db2, b, !same)
							}
							for _, vb := range versions {
								vp := DataPrefix(nil, db2, b, vb)
								one := rng{vp, PrefixEnd(vp)}
								if inside(member, one) != (same && va == vb) {
									t.Fatalf("member %x of db %d key %q v%d: inside db %d key %q v%d's range = %v",
										member, db, a, va, db2, b, vb, !(same && va == vb))
								}
							}
						}
					}
				}
			}
		}
	}
	// DataPrefix extends DataKeyPrefix with the version.
	p := DataPrefix(nil, 7, []byte("k"), 9)
	if !bytes.HasPrefix(p, DataKeyPrefix(nil, 7, []byte("k"))) || !bytes.HasPrefix(p, DBPrefix(nil, FamilyData, 7)) {
		t.Error("DataPrefix does not extend DataKeyPrefix and DBPrefix")
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{byte(TypeString), 0})
	f.Add(AppendMeta(nil, &Meta{Type: TypeString, ExpireAt: 5, Value: []byte("v")}))
	f.Add(AppendMeta(nil, &Meta{Type: TypeString, ExpireAt: 9, ExpireIndexAt: 5, Value: []byte("v")}))
	// An index time of zero, and one under an expiry of zero: both read as none.
	f.Add([]byte("\x01\x31" + "00000000" + "\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x01\x31" + "\x00\x00\x00\x00\x00\x00\x00\x00" + "00000000"))
	f.Add(AppendMeta(nil, &Meta{Type: TypeHash, ExpireAt: 5, Version: 300, Count: 2, Tail: []byte("t")}))
	f.Add([]byte{byte(TypeList), 1, 0x80})
	f.Add(AppendMeta(nil, &Meta{Type: TypeString, Chunked: true, Version: 3, Count: 5000}))
	f.Add(AppendMeta(nil, &Meta{Type: TypeSet, Version: 3, Count: 5, DataKey: []byte("k")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Meta
		if err := DecodeMeta(b, &m); err != nil {
			return
		}
		if MetaType(b) != m.Type || MetaExpireAt(b) != m.ExpireAt || MetaIndexAt(b) != m.IndexAt() {
			t.Fatalf("accessors disagree with DecodeMeta on %x: %v %d vs %+v", b, MetaType(b), MetaExpireAt(b), m)
		}
		var again Meta
		if err := DecodeMeta(AppendMeta(nil, &m), &again); err != nil {
			t.Fatalf("re-encoding of %+v does not decode: %v", m, err)
		}
		if again.Type != m.Type || again.ExpireAt != m.ExpireAt || again.ExpireIndexAt != m.ExpireIndexAt || again.Enc != m.Enc || again.Chunked != m.Chunked || again.Version != m.Version ||
			again.Count != m.Count || !bytes.Equal(again.Value, m.Value) || !bytes.Equal(again.Tail, m.Tail) ||
			!bytes.Equal(again.DataKey, m.DataKey) || (again.DataKey == nil) != (m.DataKey == nil) {
			t.Fatalf("re-encoding changed %+v into %+v", m, again)
		}
	})
}
