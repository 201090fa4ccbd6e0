package rdb

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// Next skips whatever the caller did not read of a key, checking it.
func TestNextSkipsUndrainedElements(t *testing.T) {
	ks := allTypesDataset()
	file := writeKeys(t, ks, WriterOptions{Compress: true, Checksum: true})
	for _, take := range []int{0, 1, 3} {
		r := NewReader(bytes.NewReader(file), ReaderOptions{VerifyChecksum: true})
		var keys []string
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			must(t, err)
			if rec.Kind != KindKey {
				continue
			}
			keys = append(keys, string(rec.Key))
			for range take {
				if _, _, err := r.NextElem(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(keys) != len(ks) {
			t.Fatalf("take %d: %d keys, want %d", take, len(keys), len(ks))
		}
		for i := range ks {
			if keys[i] != string(ks[i].h.Key) {
				t.Fatalf("take %d: key %d is %q, want %q", take, i, keys[i], ks[i].h.Key)
			}
		}
	}
	// Skipping still checks: a bad element deep in a big set is found.
	bad := keyFile(EncZSet2, append(append([]byte{2}, rawString(bs("a"))...), append(make([]byte, 8), 0xC5)...))
	r := NewReader(bytes.NewReader(bad), ReaderOptions{})
	for {
		if _, err := r.Next(); err != nil {
			if err == io.EOF {
				t.Fatal("bad element skipped silently")
			}
			break
		}
	}
}

func TestKeyRecordFields(t *testing.T) {
	expMs := func(v int64) []byte { return binary.LittleEndian.AppendUint64([]byte{opExpireTimeMs}, uint64(v)) }
	key := func(name string) []byte {
		return append([]byte{byte(EncString)}, append(rawString(bs(name)), rawString(bs("v"))...)...)
	}
	file := rawRDB(10, []byte{opSelectDB, 7},
		expMs(1234), []byte{opFreq, 200}, key("a"), // offset 11
		expMs(-1), key("b"), // Redis's "no expiry"
		expMs(0), key("c"), // expired at the epoch
		[]byte{opIdle, 0x40, 0x64}, key("d"), // 14-bit length 100
		key("e"))
	r := NewReader(bytes.NewReader(file), ReaderOptions{})
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		if rec.Kind == KindKey {
			rec.Key = clone(rec.Key)
			recs = append(recs, rec)
		}
	}
	want := []struct {
		off    int64
		exp    int64
		idle   int64
		freq   uint8
		hi, hf bool
	}{
		{11, 1234, 0, 200, false, true},
		{27, 0, 0, 0, false, false},
		{41, 1, 0, 0, false, false},
		{55, 0, 100, 0, true, false},
		{63, 0, 0, 0, false, false},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d keys", len(recs))
	}
	for i, w := range want {
		g := recs[i]
		if g.Offset != w.off || g.ExpireMs != w.exp || g.Idle != w.idle || g.Freq != w.freq || g.HasIdle != w.hi || g.HasFreq != w.hf || g.DB != 7 {
			t.Errorf("key %s: %+v, want %+v", g.Key, g, w)
		}
	}
}
