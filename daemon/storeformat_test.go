package daemon

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// TestStoreFormat: a store is stamped with this build's format when it has
// none or an older one, and one stamped by a newer build is refused.
func TestStoreFormat(t *testing.T) {
	key := storage.ServerKey(nil, recordFormat)
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	for _, tc := range []struct {
		name    string
		record  []byte // nil: none
		wantErr string
	}{
		{name: "new store"},
		{name: "format 1", record: u32(1)},
		{name: "this format", record: u32(storeFormat)},
		{name: "newer format", record: u32(storeFormat + 1), wantErr: fmt.Sprintf("written by a newer Redoubt (store format %d; this build reads formats up to %d)", storeFormat+1, storeFormat)},
		{name: "garbled", record: []byte("xy"), wantErr: "unreadable store format record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memory.New()
			defer st.Close()
			// A key as the first layout wrote it, which the stamp must
			// not disturb.
			b := st.NewBatch()
			mk := storage.MetaKey(nil, 0, []byte("k"))
			if err := b.Set(mk, storage.AppendMeta(nil, &storage.Meta{Type: storage.TypeString, Value: []byte("v")})); err != nil {
				t.Fatal(err)
			}
			if tc.record != nil {
				if err := b.Set(key, tc.record); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Commit(b, false); err != nil {
				t.Fatal(err)
			}
			_, err := openKeyspace(st, 16, 0)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("open: %v, want an error with %q", err, tc.wantErr)
				}
				if v, _, _ := st.Get(nil, key); string(v) != string(tc.record) {
					t.Errorf("a refused store's format record changed: %q, was %q", v, tc.record)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v, ok, _ := st.Get(nil, key); !ok || string(v) != string(u32(storeFormat)) {
				t.Errorf("format record %q (found %v), want %d", v, ok, storeFormat)
			}
			if _, ok, _ := st.Get(nil, mk); !ok {
				t.Error("the key written before the stamp is gone")
			}
		})
	}
}
