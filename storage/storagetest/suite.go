package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

// Run runs the conformance suite. open must return a new, empty store each
// time; Run closes every store it opens (a second Close by a cleanup the
// opener registered returns storage.ErrClosed and is harmless).
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"Writes", testWrites},
		{"GetAppends", testGetAppends},
		{"DeleteRangeNilEnd", testDeleteRangeNilEnd},
		{"EmptyKey", testEmptyKey},
		{"BatchReadYourWrites", testBatchReadYourWrites},
		{"BatchSeek", testBatchSeek},
		{"IterBounds", testIterBounds},
		{"IterSeekClamp", testIterSeekClamp},
		{"IterExhaustion", testIterExhaustion},
		{"IterPointInTime", testIterPointInTime},
		{"IterOwnership", testIterOwnership},
		{"InputOwnership", testInputOwnership},
		{"BatchReset", testBatchReset},
		{"BatchCommitted", testBatchCommitted},
		{"BatchCount", testBatchCount},
		{"Snapshot", testSnapshot},
		{"AtomicCommit", testAtomicCommit},
		{"Concurrent", testConcurrent},
		{"Sync", testSync},
		{"Closed", testClosed},
		{"Ingest", testIngest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
	t.Run("ForeignBatch", func(t *testing.T) {
		s1, s2 := open(t), open(t)
		defer s1.Close()
		defer s2.Close()
		b := s2.NewBatch()
		defer b.Close()
		applyOps(t, b, set("a", "1"))
		if err := s1.Commit(b, false); err == nil {
			t.Fatal("committing another store's batch succeeded")
		}
		checkContents(t, s1, nil, "a")
	})
}

// testWrites applies batches and checks what the store holds afterwards.
func testWrites(t *testing.T, s storage.Store) {
	cases := []struct {
		name    string
		batches [][]op
		want    []kv
	}{
		{"set", [][]op{{set("a", "1")}}, []kv{{"a", "1"}}},
		{"overwrite", [][]op{{set("a", "1")}, {set("a", "2")}}, []kv{{"a", "2"}}},
		{"overwrite in batch", [][]op{{set("a", "1"), set("a", "2")}}, []kv{{"a", "2"}}},
		{"delete", [][]op{{set("a", "1"), set("b", "2")}, {del("a")}}, []kv{{"b", "2"}}},
		{"delete absent", [][]op{{del("a")}}, nil},
		{"delete then set", [][]op{{set("a", "1")}, {del("a"), set("a", "3")}}, []kv{{"a", "3"}}},
		{"set then delete in batch", [][]op{{set("a", "1"), del("a")}}, nil},
		{"empty value", [][]op{{set("a", "")}}, []kv{{"a", ""}}},
		{"binary keys", [][]op{{set("\xff\xff", "hi"), set("\x00", "lo"), set("a\x00b", "mid")}},
			[]kv{{"\x00", "lo"}, {"a\x00b", "mid"}, {"\xff\xff", "hi"}}},
		{"delrange half-open", [][]op{{set("a", "1"), set("b", "2"), set("c", "3"), set("d", "4")}, {delRange("b", "d")}},
			[]kv{{"a", "1"}, {"d", "4"}}},
		{"delrange prefix neighbours", [][]op{{set("a", "1"), set("a\x00", "2"), set("ab", "3")}, {delRange("a", "a\x00")}},
			[]kv{{"a\x00", "2"}, {"ab", "3"}}},
		{"delrange earlier in batch", [][]op{{set("b", "1"), set("c", "2"), delRange("a", "c")}},
			[]kv{{"c", "2"}}},
		{"delrange store and batch", [][]op{{set("a", "1"), set("c", "3")}, {set("b", "2"), delRange("a", "d"), set("c", "new")}},
			[]kv{{"c", "new"}}},
		{"delrange then set", [][]op{{delRange("a", "z"), set("m", "1")}}, []kv{{"m", "1"}}},
		{"delrange empty start", [][]op{{set("\x00", "z"), set("a", "1"), set("b", "2")}, {delRange("", "b")}},
			[]kv{{"b", "2"}}},
		{"delrange start == end", [][]op{{set("a", "1")}, {delRange("a", "a")}}, []kv{{"a", "1"}}},
		{"delrange inverted", [][]op{{set("a", "1"), set("b", "2")}, {delRange("b", "a")}},
			[]kv{{"a", "1"}, {"b", "2"}}},
		{"overlapping delranges", [][]op{{set("a", "1"), set("b", "2"), set("c", "3"), set("d", "4"), set("e", "5")},
			{delRange("b", "c"), delRange("c", "d"), set("c", "x"), delRange("a", "b\x00")}},
			[]kv{{"c", "x"}, {"d", "4"}, {"e", "5"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each case starts from an empty keyspace.
			commitOps(t, s, delRange("", "\xff\xff\xff\xff"))
			var all []op
			for _, ops := range tc.batches {
				commitOps(t, s, ops...)
				all = append(all, ops...)
			}
			checkContents(t, s, tc.want, probeKeys(all)...)
		})
	}
}

func testGetAppends(t *testing.T, s storage.Store) {
	commitOps(t, s, set("k", "value"), set("e", ""))
	dst := []byte("prefix:")
	got, found, err := s.Get(dst, []byte("k"))
	if err != nil || !found || string(got) != "prefix:value" {
		t.Fatalf("Get = %q, %v, %v; want %q, true, nil", got, found, err, "prefix:value")
	}
	got, found, err = s.Get(dst, []byte("missing"))
	if err != nil || found || string(got) != "prefix:" {
		t.Fatalf("Get(missing) = %q, %v, %v; want dst unchanged, false, nil", got, found, err)
	}
	got, found, err = s.Get(dst, []byte("e"))
	if err != nil || !found || string(got) != "prefix:" {
		t.Fatalf("Get(empty value) = %q, %v, %v; want %q, true, nil", got, found, err, "prefix:")
	}
	// The result is the caller's: changing it must not change the store.
	got, _, _ = s.Get(nil, []byte("k"))
	copy(got, "XXXXX")
	if v, _ := mustGet(t, s, "k"); v != "value" {
		t.Fatalf("store changed through a Get result: %q", v)
	}
	// The same through a batch and a snapshot.
	b := s.NewBatch()
	defer b.Close()
	applyOps(t, b, set("b", "batch"))
	snap := s.NewSnapshot()
	defer snap.Close()
	for name, r := range map[string]storage.Reader{"batch": b, "snapshot": snap} {
		got, found, err = r.Get(dst, []byte("k"))
		if err != nil || !found || string(got) != "prefix:value" {
			t.Fatalf("%s Get = %q, %v, %v", name, got, found, err)
		}
		got, found, err = r.Get(dst, []byte("missing"))
		if err != nil || found || string(got) != "prefix:" {
			t.Fatalf("%s Get(missing) = %q, %v, %v", name, got, found, err)
		}
	}
	got, found, err = b.Get(dst, []byte("b"))
	if err != nil || !found || string(got) != "prefix:batch" {
		t.Fatalf("batch Get(own write) = %q, %v, %v", got, found, err)
	}
}

func testDeleteRangeNilEnd(t *testing.T, s storage.Store) {
	commitOps(t, s, set("a", "1"))
	b := s.NewBatch()
	defer b.Close()
	if err := b.DeleteRange([]byte("a"), nil); err == nil {
		t.Fatal("DeleteRange with a nil end succeeded; it cannot be recorded the same way by every backend")
	}
	if b.Count() != 0 {
		t.Fatalf("Count = %d after a rejected DeleteRange", b.Count())
	}
	// A nil start is the empty key, the smallest there is.
	applyOps(t, b, set("\x00", "e"))
	if err := b.DeleteRange(nil, []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b, false); err != nil {
		t.Fatal(err)
	}
	checkContents(t, s, nil, "\x00", "a")
}

// testEmptyKey: the empty key cannot be stored (Pebble mishandles it), but it
// is still a valid bound and seek key, the smallest there is.
func testEmptyKey(t *testing.T, s storage.Store) {
	commitOps(t, s, set("\x00", "0"), set("a", "1"))
	b := s.NewBatch()
	defer b.Close()
	if err := b.Set(nil, []byte("v")); err == nil {
		t.Error("Set of the empty key succeeded")
	}
	if err := b.Set([]byte{}, []byte("v")); err == nil {
		t.Error("Set of the empty key succeeded")
	}
	if err := b.Delete([]byte{}); err == nil {
		t.Error("Delete of the empty key succeeded")
	}
	if b.Count() != 0 {
		t.Errorf("Count = %d after rejected writes", b.Count())
	}
	for name, r := range map[string]storage.Reader{"store": s, "batch": b} {
		if _, found := mustGet(t, r, ""); found {
			t.Errorf("%s: Get of the empty key found something", name)
		}
		if got := scan(t, r, []byte{}, nil); len(got) != 2 {
			t.Errorf("%s: scan from the empty lower bound = %v", name, got)
		}
		if got := scan(t, r, nil, []byte{}); len(got) != 0 {
			t.Errorf("%s: scan below the empty upper bound = %v", name, got)
		}
		it := newIter(t, r, nil, nil)
		if !it.SeekGE([]byte{}) || string(it.Key()) != "\x00" {
			t.Errorf("%s: SeekGE(empty) = %q, %v", name, it.Key(), it.Valid())
		}
		if it.SeekLT([]byte{}) || it.SeekLT(nil) {
			t.Errorf("%s: SeekLT(empty) found %q", name, it.Key())
		}
		if !it.Next() || string(it.Key()) != "\x00" {
			t.Errorf("%s: Next after SeekLT(empty) = %q, %v; want the first key", name, it.Key(), it.Valid())
		}
		closeIter(t, it)
	}
}

// The store below every batch test: a=1 b=2 c=3 d=4 e=5 f=6 g=7.
var baseOps = []op{set("a", "1"), set("b", "2"), set("c", "3"), set("d", "4"), set("e", "5"), set("f", "6"), set("g", "7")}

// batchOps, applied over baseOps, give batchView.
var batchOps = []op{
	set("b", "B"),     // overwrite a store key
	del("c"),          // hide a store key
	set("cc", "new"),  // a new key between store keys
	set("e1", "gone"), // written, then hidden by the range below
	delRange("e", "g"),
	set("f", "back"), // written after the range: visible
	del("zz"),        // delete of an absent key
	set("h", ""),     // empty value past the store's last key
}

var batchView = []kv{{"a", "1"}, {"b", "B"}, {"cc", "new"}, {"d", "4"}, {"f", "back"}, {"g", "7"}, {"h", ""}}
var baseView = []kv{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}, {"f", "6"}, {"g", "7"}}

func testBatchReadYourWrites(t *testing.T, s storage.Store) {
	commitOps(t, s, baseOps...)
	b := s.NewBatch()
	defer b.Close()
	applyOps(t, b, batchOps...)
	probes := append(probeKeys(batchOps), probeKeys(baseOps)...)
	checkContents(t, b, batchView, probes...)
	// Bounded scans through the batch, both directions.
	for _, bounds := range [][2]string{{"b", "f"}, {"c", "e1"}, {"cc", "cc\x00"}, {"e", "g"}, {"f", "zz"}, {"", "b"}} {
		lower, upper := []byte(bounds[0]), []byte(bounds[1])
		var want []kv
		for _, p := range batchView {
			if p.k >= bounds[0] && p.k < bounds[1] {
				want = append(want, p)
			}
		}
		if got := scan(t, b, lower, upper); !equalKVs(got, want) {
			t.Errorf("batch scan [%q, %q):\n got %v\nwant %v", lower, upper, got, want)
		}
		if got := scanReverse(t, b, lower, upper); !equalKVs(got, reversed(want)) {
			t.Errorf("batch reverse scan [%q, %q):\n got %v\nwant %v", lower, upper, got, reversed(want))
		}
	}
	// Nothing reaches the store before Commit.
	checkContents(t, s, baseView, probes...)
	if err := s.Commit(b, false); err != nil {
		t.Fatal(err)
	}
	checkContents(t, s, batchView, probes...)
}

func testBatchSeek(t *testing.T, s storage.Store) {
	commitOps(t, s, baseOps...)
	b := s.NewBatch()
	defer b.Close()
	applyOps(t, b, batchOps...)
	cases := []struct {
		lower, upper string // "-" means nil
		seek         string // "ge" or "lt"
		key          string
		want         string // key, or "-" for none
	}{
		{"-", "-", "ge", "", "a"},
		{"-", "-", "ge", "b", "b"},
		{"-", "-", "ge", "c", "cc"}, // c deleted in the batch
		{"-", "-", "ge", "cc\x00", "d"},
		{"-", "-", "ge", "e", "f"}, // e and e1 under the range deletion
		{"-", "-", "ge", "h", "h"},
		{"-", "-", "ge", "h\x00", "-"},
		{"-", "-", "lt", "a", "-"},
		{"-", "-", "lt", "c\x00", "b"},
		{"-", "-", "lt", "d", "cc"},
		{"-", "-", "lt", "f", "d"},
		{"-", "-", "lt", "f\x00", "f"},
		{"-", "-", "lt", "zzz", "h"},
		{"b", "f", "ge", "a", "b"},
		{"b", "f", "ge", "d\x00", "-"},
		{"b", "f", "lt", "z", "d"},
		{"b", "f", "lt", "b", "-"},
		{"c", "e", "lt", "cc", "-"},
		{"c", "e", "ge", "c", "cc"},
	}
	bound := func(s string) []byte {
		if s == "-" {
			return nil
		}
		return []byte(s)
	}
	for _, tc := range cases {
		it := newIter(t, b, bound(tc.lower), bound(tc.upper))
		var ok bool
		if tc.seek == "ge" {
			ok = it.SeekGE([]byte(tc.key))
		} else {
			ok = it.SeekLT([]byte(tc.key))
		}
		got := "-"
		if ok {
			got = string(it.Key())
		}
		if got != tc.want || ok != it.Valid() {
			t.Errorf("[%q,%q) Seek%s(%q) = %q (valid %v); want %q", tc.lower, tc.upper, tc.seek, tc.key, got, it.Valid(), tc.want)
		}
		// Stepping on from the seek in both directions agrees with the view.
		if ok {
			for it.Next() {
			}
			for it.Prev() {
			}
		}
		closeIter(t, it)
	}
}

var fiveKeys = []op{set("a", "1"), set("b", "2"), set("c", "3"), set("d", "4"), set("e", "5")}

func testIterBounds(t *testing.T, s storage.Store) {
	commitOps(t, s, fiveKeys...)
	cases := []struct {
		lower, upper []byte
		want         string
	}{
		{nil, nil, "abcde"},
		{[]byte("b"), nil, "bcde"},
		{nil, []byte("d"), "abc"},
		{[]byte("b"), []byte("d"), "bc"},
		{[]byte("bb"), []byte("dd"), "cd"},
		{[]byte(""), []byte("a"), ""},
		{[]byte("c"), []byte("c"), ""},
		{[]byte("d"), []byte("b"), ""},
		{[]byte("e"), []byte("e\x00"), "e"},
		{[]byte("f"), nil, ""},
		{[]byte{}, nil, "abcde"},
	}
	keys := func(kvs []kv) string {
		var sb bytes.Buffer
		for _, p := range kvs {
			sb.WriteString(p.k)
		}
		return sb.String()
	}
	for _, tc := range cases {
		if got := keys(scan(t, s, tc.lower, tc.upper)); got != tc.want {
			t.Errorf("scan [%q, %q) = %q; want %q", tc.lower, tc.upper, got, tc.want)
		}
		want := []byte(tc.want)
		for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
			want[i], want[j] = want[j], want[i]
		}
		if got := keys(scanReverse(t, s, tc.lower, tc.upper)); got != string(want) {
			t.Errorf("reverse scan [%q, %q) = %q; want %q", tc.lower, tc.upper, got, want)
		}
	}
}

func testIterSeekClamp(t *testing.T, s storage.Store) {
	commitOps(t, s, fiveKeys...)
	cases := []struct {
		seek string
		key  []byte
		want string
	}{
		{"ge", nil, "b"},
		{"ge", []byte("a"), "b"},
		{"ge", []byte("b"), "b"},
		{"ge", []byte("bb"), "c"},
		{"ge", []byte("c\x00"), "-"},
		{"ge", []byte("d"), "-"},
		{"ge", []byte("z"), "-"},
		{"lt", []byte("z"), "c"},
		{"lt", []byte("d"), "c"},
		{"lt", []byte("c"), "b"},
		{"lt", []byte("bb"), "b"},
		{"lt", []byte("b"), "-"},
		{"lt", []byte("a"), "-"},
		{"lt", nil, "-"},
	}
	it := newIter(t, s, []byte("b"), []byte("d"))
	defer closeIter(t, it)
	for _, tc := range cases {
		var ok bool
		if tc.seek == "ge" {
			ok = it.SeekGE(tc.key)
		} else {
			ok = it.SeekLT(tc.key)
		}
		got := "-"
		if ok {
			got = string(it.Key())
		}
		if got != tc.want || ok != it.Valid() {
			t.Errorf("bounds [b,d) Seek%s(%q) = %q (valid %v); want %q", tc.seek, tc.key, got, it.Valid(), tc.want)
		}
	}
}

// testIterExhaustion pins down stepping off either end, which both backends
// must answer alike for the metamorphic test to compare them.
func testIterExhaustion(t *testing.T, s storage.Store) {
	commitOps(t, s, fiveKeys...)
	type step struct {
		name string
		fn   func(storage.Iterator) bool
		want string
	}
	first := func(it storage.Iterator) bool { return it.First() }
	last := func(it storage.Iterator) bool { return it.Last() }
	next := func(it storage.Iterator) bool { return it.Next() }
	prev := func(it storage.Iterator) bool { return it.Prev() }
	seekGE := func(k string) func(storage.Iterator) bool {
		return func(it storage.Iterator) bool { return it.SeekGE([]byte(k)) }
	}
	seekLT := func(k string) func(storage.Iterator) bool {
		return func(it storage.Iterator) bool { return it.SeekLT([]byte(k)) }
	}
	scripts := [][]step{
		{{"Next", next, "-"}, {"Prev", prev, "-"}, {"First", first, "b"}}, // unpositioned
		{{"Prev", prev, "-"}},
		{{"Last", last, "d"}, {"Next", next, "-"}, {"Next", next, "-"}, {"Prev", prev, "d"}},
		{{"First", first, "b"}, {"Prev", prev, "-"}, {"Prev", prev, "-"}, {"Next", next, "b"}},
		{{"SeekGE(z)", seekGE("z"), "-"}, {"Prev", prev, "d"}},
		{{"SeekLT(a)", seekLT("a"), "-"}, {"Next", next, "b"}},
		{{"SeekGE(c)", seekGE("c"), "c"}, {"Prev", prev, "b"}, {"Next", next, "c"}, {"Next", next, "d"}, {"Prev", prev, "c"}},
	}
	for _, script := range scripts {
		it := newIter(t, s, []byte("b"), []byte("e"))
		trace := ""
		for _, st := range script {
			trace += st.name + " "
			ok := st.fn(it)
			got := "-"
			if ok {
				got = string(it.Key())
			}
			if got != st.want || ok != it.Valid() {
				t.Errorf("%s= %q (valid %v); want %q", trace, got, it.Valid(), st.want)
				break
			}
		}
		closeIter(t, it)
	}
}

// testIterPointInTime checks that an iterator sees its reader as of its
// creation: later commits stay out of a store iterator, later writes out of a
// batch iterator.
func testIterPointInTime(t *testing.T, s storage.Store) {
	commitOps(t, s, set("a", "1"), set("c", "3"))
	it := newIter(t, s, nil, nil)
	commitOps(t, s, set("b", "2"), del("c"))
	var got []kv
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, kv{string(it.Key()), string(it.Value())})
	}
	closeIter(t, it)
	if want := []kv{{"a", "1"}, {"c", "3"}}; !equalKVs(got, want) {
		t.Fatalf("store iterator saw a later commit: %v; want %v", got, want)
	}

	b := s.NewBatch()
	defer b.Close()
	applyOps(t, b, set("x", "1"))
	it = newIter(t, b, nil, nil)
	applyOps(t, b, set("y", "2"), del("a"))
	got = nil
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, kv{string(it.Key()), string(it.Value())})
	}
	closeIter(t, it)
	if want := []kv{{"a", "1"}, {"b", "2"}, {"x", "1"}}; !equalKVs(got, want) {
		t.Fatalf("batch iterator: %v; want %v", got, want)
	}
	checkContents(t, b, []kv{{"b", "2"}, {"x", "1"}, {"y", "2"}})
}

// testIterOwnership checks the slice contract: Key and Value stay put until
// the next positioning call, and the iterator keeps nothing of the caller's.
func testIterOwnership(t *testing.T, s storage.Store) {
	commitOps(t, s, set("a", "1"), set("b", "22"), set("c", "333"), set("d", "4444"))
	lower, upper := []byte("b"), []byte("d")
	it := newIter(t, s, lower, upper)
	defer closeIter(t, it)
	copy(lower, "a") // the caller may reuse bounds at once
	copy(upper, "z")
	seek := []byte("b")
	if !it.SeekGE(seek) {
		t.Fatal("SeekGE(b) found nothing")
	}
	seek[0] = 'z'
	k, v := it.Key(), it.Value()
	// Non-positioning calls leave them alone.
	_ = it.Valid()
	_ = it.Error()
	_ = it.Key()
	_ = it.Value()
	if string(k) != "b" || string(v) != "22" {
		t.Fatalf("Key/Value changed without a positioning call: %q=%q", k, v)
	}
	var got []string
	for ok := true; ok; ok = it.Next() {
		got = append(got, string(it.Key())+"="+string(it.Value()))
	}
	if fmt.Sprint(got) != "[b=22 c=333]" {
		t.Fatalf("iteration after the caller reused bounds and seek key: %v", got)
	}
	if !it.Last() || string(it.Key()) != "c" {
		t.Fatalf("Last = %q; the upper bound must still be d", it.Key())
	}
	if it.SeekLT([]byte("b")) {
		t.Fatalf("SeekLT(b) = %q; the lower bound must still be b", it.Key())
	}
}

func testInputOwnership(t *testing.T, s storage.Store) {
	b := s.NewBatch()
	defer b.Close()
	key, val := []byte("key"), []byte("val")
	if err := b.Set(key, val); err != nil {
		t.Fatal(err)
	}
	copy(key, "XXX")
	copy(val, "YYY")
	start, end := []byte("m"), []byte("n")
	if err := b.DeleteRange(start, end); err != nil {
		t.Fatal(err)
	}
	copy(start, "a")
	copy(end, "z")
	if v, found := mustGet(t, b, "key"); !found || v != "val" {
		t.Fatalf("batch Get after the caller reused its slices = %q, %v", v, found)
	}
	if err := s.Commit(b, false); err != nil {
		t.Fatal(err)
	}
	checkContents(t, s, []kv{{"key", "val"}}, "XXX")
}

func testBatchReset(t *testing.T, s storage.Store) {
	commitOps(t, s, set("s", "store"))
	b := s.NewBatch()
	defer b.Close()
	for round := range 3 {
		k := fmt.Sprintf("k%d", round)
		applyOps(t, b, set(k, "v"), del("s"), set("junk", "x"), delRange("a", "b"))
		b.Reset() // discards all of it
		if b.Count() != 0 {
			t.Fatalf("Count after Reset = %d", b.Count())
		}
		if _, found := mustGet(t, b, k); found {
			t.Fatalf("round %d: batch still sees %s after Reset", round, k)
		}
		if v, found := mustGet(t, b, "s"); !found || v != "store" {
			t.Fatalf("round %d: Reset kept a deletion: %q, %v", round, v, found)
		}
		applyOps(t, b, set(k, "v"))
		if err := s.Commit(b, round%2 == 0); err != nil {
			t.Fatalf("round %d: commit: %v", round, err)
		}
		b.Reset()
		// The reset batch reads the store, which now holds the commit.
		if v, found := mustGet(t, b, k); !found || v != "v" {
			t.Fatalf("round %d: reused batch Get(%s) = %q, %v", round, k, v, found)
		}
	}
	checkContents(t, s, []kv{{"k0", "v"}, {"k1", "v"}, {"k2", "v"}, {"s", "store"}}, "junk")
	checkContents(t, b, []kv{{"k0", "v"}, {"k1", "v"}, {"k2", "v"}, {"s", "store"}}, "junk")
}

func testBatchCommitted(t *testing.T, s storage.Store) {
	b := s.NewBatch()
	defer b.Close()
	applyOps(t, b, set("a", "1"))
	if err := s.Commit(b, false); err != nil {
		t.Fatal(err)
	}
	// Reads still work; writes and a second commit need a Reset first.
	if v, found := mustGet(t, b, "a"); !found || v != "1" {
		t.Fatalf("Get through a committed batch = %q, %v", v, found)
	}
	if err := b.Set([]byte("b"), []byte("2")); err == nil {
		t.Error("Set on a committed batch succeeded")
	}
	if err := b.Delete([]byte("a")); err == nil {
		t.Error("Delete on a committed batch succeeded")
	}
	if err := b.DeleteRange([]byte("a"), []byte("z")); err == nil {
		t.Error("DeleteRange on a committed batch succeeded")
	}
	if err := s.Commit(b, false); err == nil {
		t.Error("second Commit succeeded")
	}
	checkContents(t, s, []kv{{"a", "1"}}, "b")
	// An empty batch commits too, and only once.
	e := s.NewBatch()
	defer e.Close()
	if err := s.Commit(e, true); err != nil {
		t.Fatalf("empty commit: %v", err)
	}
	if err := s.Commit(e, true); err == nil {
		t.Error("second Commit of an empty batch succeeded")
	}
}

func testBatchCount(t *testing.T, s storage.Store) {
	b := s.NewBatch()
	defer b.Close()
	steps := []struct {
		o    op
		want int
	}{
		{set("a", "1"), 1},
		{set("a", "2"), 2},
		{del("a"), 3},
		{del("never"), 4},
		{delRange("a", "c"), 5},
		{delRange("c", "c"), 5},   // empty: not recorded
		{delRange("d", "c"), 5},   // inverted: not recorded
		{delRange("", "\x00"), 5}, // empty once "" counts as "\x00"
		{delRange("", "a"), 6},
	}
	for _, st := range steps {
		applyOps(t, b, st.o)
		if b.Count() != st.want {
			t.Fatalf("after %v: Count = %d; want %d", st.o, b.Count(), st.want)
		}
	}
}

func testSnapshot(t *testing.T, s storage.Store) {
	commitOps(t, s, set("a", "1"), set("b", "2"))
	s1 := s.NewSnapshot()
	defer s1.Close()
	commitOps(t, s, set("a", "10"), del("b"), set("c", "3"))
	s2 := s.NewSnapshot()
	defer s2.Close()
	commitOps(t, s, delRange("", "z"))
	probes := []string{"a", "b", "c"}
	checkContents(t, s1, []kv{{"a", "1"}, {"b", "2"}}, probes...)
	checkContents(t, s2, []kv{{"a", "10"}, {"c", "3"}}, probes...)
	checkContents(t, s, nil, probes...)
	// Bounded iteration over a snapshot.
	if got := scan(t, s1, []byte("b"), nil); !equalKVs(got, []kv{{"b", "2"}}) {
		t.Fatalf("snapshot scan [b, nil) = %v", got)
	}
	if err := s1.Close(); err != nil {
		t.Fatalf("snapshot close: %v", err)
	}
	if _, _, err := s1.Get(nil, []byte("a")); err == nil {
		t.Fatal("Get on a closed snapshot succeeded")
	}
}

// testAtomicCommit checks that readers see all of a batch or none of it.
func testAtomicCommit(t *testing.T, s storage.Store) {
	const keys = 50
	key := func(i int) []byte { return fmt.Appendf(nil, "k%03d", i) }
	writeAll := func(round int) {
		b := s.NewBatch()
		defer b.Close()
		v := fmt.Appendf(nil, "v%d", round)
		for i := range keys {
			if err := b.Set(key(i), v); err != nil {
				t.Error(err)
			}
		}
		// A range deletion in the same batch must land atomically too.
		if err := b.DeleteRange([]byte("x"), []byte("y")); err != nil {
			t.Error(err)
		}
		if err := b.Set([]byte("x1"), v); err != nil {
			t.Error(err)
		}
		if err := s.Commit(b, false); err != nil {
			t.Error(err)
		}
	}
	writeAll(0)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			it, err := s.NewIter(nil, nil)
			if err != nil {
				t.Error(err)
				return
			}
			var first string
			n := 0
			for ok := it.First(); ok; ok = it.Next() {
				v := string(it.Value())
				if first == "" {
					first = v
				}
				if v != first {
					t.Errorf("torn commit: %s=%s after %s", it.Key(), v, first)
					break
				}
				n++
			}
			if err := it.Close(); err != nil {
				t.Error(err)
			}
			if n != keys+1 && !t.Failed() {
				t.Errorf("saw %d keys; want %d", n, keys+1)
			}
			if t.Failed() {
				return
			}
		}
	}()
	for round := 1; round <= 30; round++ {
		writeAll(round)
	}
	close(done)
	wg.Wait()
}

// testConcurrent runs writers and readers at once; run it with -race.
func testConcurrent(t *testing.T, s storage.Store) {
	const workers, rounds = 4, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := s.NewBatch()
			defer b.Close()
			prefix := fmt.Sprintf("w%d/", w)
			for r := range rounds {
				k := []byte(fmt.Sprintf("%s%03d", prefix, r))
				if err := b.Set(k, k); err != nil {
					t.Error(err)
					return
				}
				if err := s.Commit(b, r%10 == 0); err != nil {
					t.Error(err)
					return
				}
				b.Reset()
				if v, found, err := s.Get(nil, k); err != nil || !found || !bytes.Equal(v, k) {
					t.Errorf("Get(%s) after commit = %q, %v, %v", k, v, found, err)
					return
				}
				if r%10 == 5 {
					snap := s.NewSnapshot()
					n := len(scan(t, snap, []byte(prefix), []byte(prefix+"\xff")))
					snap.Close()
					if n != r+1 {
						t.Errorf("%s: snapshot holds %d of my keys; want %d", prefix, n, r+1)
					}
				}
				if r%25 == 0 {
					if err := s.Sync(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := len(scan(t, s, nil, nil)); n != workers*rounds {
		t.Fatalf("store holds %d keys; want %d", n, workers*rounds)
	}
}

func testSync(t *testing.T, s storage.Store) {
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync on an empty store: %v", err)
	}
	commitOps(t, s, set("a", "1"))
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	checkContents(t, s, []kv{{"a", "1"}})
}

func testClosed(t *testing.T, s storage.Store) {
	commitOps(t, s, set("a", "1"))
	b := s.NewBatch()
	applyOps(t, b, set("b", "2"))
	snap := s.NewSnapshot()
	// A closed iterator reports so and stays invalid.
	it := newIter(t, s, nil, nil)
	if !it.First() {
		t.Fatal("First on a fresh iterator found nothing")
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if it.First() || it.SeekGE([]byte("a")) || it.Valid() || it.Error() == nil || it.Close() == nil {
		t.Error("a closed iterator still works or does not say it is closed")
	}
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	// The contract wants iterators and snapshots closed before the store
	// (Pebble reports them as leaks); a batch left open must not make later
	// calls panic, and every later call must say ErrClosed.
	if err := s.Close(); err != nil {
		t.Fatalf("Close with a batch open: %v", err)
	}
	isClosed := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close: %v; want storage.ErrClosed", what, err)
		}
	}
	isClosed("Close", s.Close())
	_, _, err := s.Get(nil, []byte("a"))
	isClosed("Get", err)
	_, err = s.NewIter(nil, nil)
	isClosed("NewIter", err)
	isClosed("Sync", s.Sync())
	isClosed("Commit", s.Commit(b, true))
	isClosed("batch Set", b.Set([]byte("c"), nil))
	isClosed("batch Delete", b.Delete([]byte("c")))
	isClosed("batch DeleteRange", b.DeleteRange([]byte("c"), []byte("d")))
	_, _, err = b.Get(nil, []byte("a"))
	isClosed("batch Get", err)
	_, err = b.NewIter(nil, nil)
	isClosed("batch NewIter", err)
	_, _, err = snap.Get(nil, []byte("a"))
	isClosed("closed snapshot Get", err)
	nb := s.NewBatch()
	isClosed("new batch Set", nb.Set([]byte("x"), nil))
	ns := s.NewSnapshot()
	_, _, err = ns.Get(nil, []byte("a"))
	isClosed("new snapshot Get", err)
	_, err = ns.NewIter(nil, nil)
	isClosed("new snapshot NewIter", err)
	isClosed("batch Close", b.Close())
	isClosed("new batch Close", nb.Close())
	isClosed("new snapshot Close", ns.Close())
}

// testIngest builds runs and ingests them, where the backend can.
func testIngest(t *testing.T, s storage.Store) {
	ing, ok := s.(storage.Ingester)
	if !ok {
		t.Skip("the backend takes no runs")
	}
	commitOps(t, s, set("a", "old"), set("m", "old"), set("z", "old"))
	build := func(kvs ...string) storage.Run {
		t.Helper()
		r, err := ing.NewRun()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(kvs); i += 2 {
			if err := r.Set([]byte(kvs[i]), []byte(kvs[i+1])); err != nil {
				t.Fatalf("set %q: %v", kvs[i], err)
			}
		}
		if err := r.Finish(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Keys out of order, repeated, or empty are refused.
	r, err := ing.NewRun()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set([]byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", ""} {
		if err := r.Set([]byte(k), nil); err == nil {
			t.Fatalf("run took %q after %q", k, "b")
		}
	}
	r.Abort()
	r.Abort()
	if err := ing.Ingest([]storage.Run{r}); err == nil {
		t.Fatal("an aborted run was ingested")
	}
	// Overlapping runs are refused as a whole.
	o1, o2 := build("b", "1", "d", "1"), build("c", "2")
	if err := ing.Ingest([]storage.Run{o1, o2}); err == nil {
		t.Fatal("overlapping runs were ingested")
	}
	o1.Abort()
	o2.Abort()
	checkContents(t, s, []kv{{"a", "old"}, {"m", "old"}, {"z", "old"}}, "b", "c", "d")
	// Disjoint runs, one empty, one replacing a stored record.
	r1, r2, r3 := build("b", "1", "c", ""), build(), build("m", "new", "n", "2")
	if err := ing.Ingest([]storage.Run{r3, r2, r1}); err != nil {
		t.Fatal(err)
	}
	r1.Abort() // a no-op once ingested
	want := []kv{{"a", "old"}, {"b", "1"}, {"c", ""}, {"m", "new"}, {"n", "2"}, {"z", "old"}}
	checkContents(t, s, want, "d")
	if err := ing.Ingest([]storage.Run{r1}); err == nil {
		t.Fatal("a run was ingested twice")
	}
	// Ingested records are ordinary ones: later commits replace them.
	commitOps(t, s, del("b"), delRange("m", "o"))
	checkContents(t, s, []kv{{"a", "old"}, {"c", ""}, {"z", "old"}}, "b", "m", "n")
}
