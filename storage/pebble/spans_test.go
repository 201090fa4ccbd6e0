package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/redoubtdb/redoubt/storage"
)

func TestTableSpansNextBoundary(t *testing.T) {
	var spans tableSpans
	spans.isolate([]byte("Dk1"), []byte("Dk2"))
	spans.isolate([]byte("Dm"), []byte("Dn"))
	spans.isolate([]byte("Mx"), []byte("My"))
	for _, tc := range []struct {
		start, want string // want "" is nil: no boundary
	}{
		{"Da", "Dk1"},    // the next isolated range starts first
		{"Dk1", "Dk2"},   // at an isolated range's start: its end
		{"Dk1zz", "Dk2"}, // inside one
		{"Dk2", "Dm"},    // at its end: the next one's start
		{"Dn", "E"},      // past the last in the family: the family's end
		{"Dz", "E"},      //
		{"E\x00\x01", "F"},
		{"Ma", "Mx"},
		{"Mxa", "My"},
		{"My", "N"},
		{"\xff", ""}, // the last family has no end
		{"\xffMx", ""},
	} {
		got := spans.nextBoundary([]byte(tc.start))
		if string(got) != tc.want || (tc.want == "" && got != nil) {
			t.Errorf("nextBoundary(%q) = %q, want %q", tc.start, got, tc.want)
		}
	}
	var none tableSpans
	if got := none.nextBoundary([]byte("Dk1")); string(got) != "E" {
		t.Errorf("with nothing isolated: nextBoundary(Dk1) = %q, want E", got)
	}
}

func TestTableSpansIsolate(t *testing.T) {
	var spans tableSpans
	spans.isolate([]byte("Db"), []byte("Dc"))
	spans.isolate([]byte("Db"), []byte("Dc"))   // again: held once
	spans.isolate([]byte("Dbb"), []byte("Dbc")) // inside a held one: refused
	spans.isolate([]byte("Da"), []byte("Dbb"))  // overlaps one: refused
	spans.isolate([]byte("De"), []byte("De"))   // empty: refused
	spans.isolate([]byte("Da"), []byte("Db"))   // adjacent: taken
	if got := spans.count(); got != 2 {
		t.Fatalf("isolated %d ranges, want 2: %q", got, *spans.set.Load())
	}
	if !spans.holds([]byte("Da")) || !spans.holds([]byte("Db")) || spans.holds([]byte("Dbb")) {
		t.Fatalf("holds is wrong: %q", *spans.set.Load())
	}
	for i := spans.count(); i < maxIsolatedSpans+10; i++ {
		k := fmt.Appendf(nil, "E%08d", i)
		spans.isolate(k, append(bytes.Clone(k), 0))
	}
	if got := spans.count(); got != maxIsolatedSpans {
		t.Fatalf("isolated %d ranges, want the cap %d", got, maxIsolatedSpans)
	}
}

// TestIsolatedRangeTables grows a list at its head, as LPUSH does, between
// a hash and meta records, flushing as it goes, and checks that no table
// of any level holds both the list's members and anything else, nor two
// key families.
func TestIsolatedRangeTables(t *testing.T) {
	opts := testOptions(vfs.NewMem())
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list := storage.DataPrefix(nil, 0, []byte("mylist"), 7)
	listEnd := storage.PrefixEnd(list)
	s.IsolateRange(list, listEnd)
	hash := storage.DataPrefix(nil, 0, []byte("myhash"), 3)
	zset := storage.DataPrefix(nil, 0, []byte("myzset"), 9)
	val := []byte(strings.Repeat("v", 100))
	head := uint64(1) << 63
	for round := range 12 {
		b := s.NewBatch()
		for i := range 2000 {
			// Random-ish neighbours on both sides, and meta records.
			n := uint64(round*7919+i*104729) % 50000
			must(t, b.Set(binary.BigEndian.AppendUint64(bytes.Clone(hash), n), val))
			must(t, b.Set(binary.BigEndian.AppendUint64(bytes.Clone(zset), n), val))
			must(t, b.Set(storage.MetaKey(nil, 0, fmt.Appendf(nil, "key:%06d", n)), val))
			head--
			must(t, b.Set(binary.BigEndian.AppendUint64(bytes.Clone(list), head), val))
		}
		must(t, b.Set(storage.MetaKey(nil, 0, []byte("mylist")), val))
		must(t, s.Commit(b, false))
		must(t, s.Flush())
	}
	must(t, s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true))
	levels, err := s.db.SSTables()
	if err != nil {
		t.Fatal(err)
	}
	tables := 0
	for l, tabs := range levels {
		for _, tab := range tabs {
			tables++
			lo, hi := tab.Smallest.UserKey, tab.Largest.UserKey
			if lo[0] != hi[0] {
				t.Errorf("L%d table %s spans families: %q .. %q", l, tab.FileNum, lo, hi)
			}
			for _, b := range [][]byte{list, listEnd} {
				if bytes.Compare(lo, b) < 0 && bytes.Compare(b, hi) <= 0 {
					t.Errorf("L%d table %s straddles the list's bound %q: %q .. %q", l, tab.FileNum, b, lo, hi)
				}
			}
		}
	}
	if tables < 3 {
		t.Fatalf("only %d tables: the test did not exercise splitting", tables)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
