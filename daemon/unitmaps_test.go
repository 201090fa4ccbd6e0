package daemon

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/redoubtdb/redoubt/storage/memory"
)

// A unit's maps are reused after small units and replaced after big ones,
// whose capacity every later commit would otherwise range over; the
// writes of both reach the store either way.
func TestUnitMapsReplacedAfterBigUnits(t *testing.T) {
	st := memory.New()
	ks, err := openKeyspace(st, 16, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		keys     int
		replaced bool
	}{
		{10, false},
		{unitMapKeep - 10, false}, // plus the counts record
		{unitMapKeep + 1, true},
		{20000, true},
		{1, false},
	} {
		before := reflect.ValueOf(ks.pending).UnsafePointer()
		for i := range tc.keys {
			ks.SetString(0, []byte("k"+strconv.Itoa(i)), []byte("v"), 0)
		}
		if !ks.commit() {
			t.Fatalf("%d keys: nothing committed", tc.keys)
		}
		if len(ks.pending) != 0 || len(ks.pendingColls) != 0 {
			t.Fatalf("%d keys: %d pending records left after the commit", tc.keys, len(ks.pending))
		}
		if replaced := reflect.ValueOf(ks.pending).UnsafePointer() != before; replaced != tc.replaced {
			t.Errorf("unit of %d keys: map replaced %v, want %v", tc.keys, replaced, tc.replaced)
		}
		if n := ks.DBSize(0); n < int64(tc.keys) {
			t.Fatalf("unit of %d keys: DBSIZE %d", tc.keys, n)
		}
	}
}
