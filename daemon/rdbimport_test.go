package daemon

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// rdbFile builds an RDB file in db 0 with fn writing its keys.
func rdbFile(t *testing.T, fn func(w *rdb.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, rdb.WriterOptions{Checksum: true})
	if err := w.Header(); err != nil {
		t.Fatal(err)
	}
	if err := w.SelectDB(0, 0, 0); err != nil {
		t.Fatal(err)
	}
	fn(w)
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportRefusesDuplicates checks what Redis treats as corruption: a key
// named twice, and a member named twice in a collection, big (the loader
// finds it, past its in-memory window too) or small.
func TestImportRefusesDuplicates(t *testing.T) {
	for _, tc := range []struct {
		name string
		file func(w *rdb.Writer)
		raw  []byte // instead of file: what rdb.Writer refuses to write
		want string
	}{
		{name: "duplicate key", file: func(w *rdb.Writer) {
			_ = w.String(rdb.KeyHeader{Key: []byte("k")}, []byte("1"))
			_ = w.String(rdb.KeyHeader{Key: []byte("other")}, []byte("2"))
			_ = w.String(rdb.KeyHeader{Key: []byte("k")}, []byte("3"))
		}, want: `duplicate key "k" in db 0`},
		{name: "duplicate member past the window", file: func(w *rdb.Writer) {
			n := loadSmall + 10
			_ = w.BeginSet(rdb.KeyHeader{Key: []byte("s")}, n)
			for i := 0; i < n-1; i++ {
				_ = w.Member([]byte("m" + strconv.Itoa(i)))
			}
			_ = w.Member([]byte("m3"))
			_ = w.End()
		}, want: "duplicate member"},
		// Small collections are listpacks, which the reader leaves to the
		// load to check (rdb.ReaderOptions.MembersCheckedLater).
		{name: "duplicate field in a listpack", raw: listpackFile(16, "h", "f", "1", "g", "2", "f", "3"), want: `key "h": duplicate member`},
		{name: "duplicate member in a listpack", raw: listpackFile(17, "z", "m", "1", "m", "2"), want: `key "z": duplicate member`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			defer h.close()
			file := tc.raw
			if file == nil {
				file = rdbFile(t, tc.file)
			}
			_, err := h.srv.ImportRDB(bytes.NewReader(file), ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// listpackFile is an RDB file (no checksum) holding one key of RDB type
// typ whose value is a listpack of the given entries, each shorter than
// 64 bytes.
func listpackFile(typ byte, key string, entries ...string) []byte {
	var body []byte
	for _, e := range entries {
		body = append(body, 0x80|byte(len(e)))
		body = append(body, e...)
		body = append(body, byte(1+len(e))) // backlen
	}
	lp := binary.LittleEndian.AppendUint32(nil, uint32(6+len(body)+1))
	lp = binary.LittleEndian.AppendUint16(lp, uint16(len(entries)))
	lp = append(append(lp, body...), 0xff)
	f := []byte("REDIS0010")
	f = append(f, 0xfe, 0, typ, byte(len(key)))
	f = append(f, key...)
	f = append(f, byte(len(lp)))
	f = append(f, lp...)
	return append(f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
}

// TestImportDropsExpiredAndDecidesEncodings checks that keys whose expiry
// has passed are skipped, and that loaded collections get the encoding
// Redis's loader would give them from their content.
func TestImportDropsExpiredAndDecidesEncodings(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	now := h.srv.ks.Now()
	file := rdbFile(t, func(w *rdb.Writer) {
		_ = w.String(rdb.KeyHeader{Key: []byte("old"), ExpireMs: now - 1000}, []byte("x"))
		_ = w.String(rdb.KeyHeader{Key: []byte("live"), ExpireMs: now + 60_000}, []byte("x"))
		_ = w.BeginSet(rdb.KeyHeader{Key: []byte("ints")}, 3)
		for _, m := range []string{"1", "2", "3"} {
			_ = w.Member([]byte(m))
		}
		_ = w.End()
		_ = w.BeginSet(rdb.KeyHeader{Key: []byte("words")}, 2)
		_ = w.Member([]byte("a"))
		_ = w.Member([]byte("1"))
		_ = w.End()
		_ = w.BeginHash(rdb.KeyHeader{Key: []byte("longval")}, 1)
		_ = w.Field([]byte("f"), []byte(strings.Repeat("v", 65)))
		_ = w.End()
		_ = w.BeginZSet(rdb.KeyHeader{Key: []byte("z")}, 2)
		_ = w.Scored([]byte("a"), 1)
		_ = w.Scored([]byte("b"), 2)
		_ = w.End()
	})
	st, err := h.srv.ImportRDB(bytes.NewReader(file), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != 5 || st.Expired != 1 {
		t.Fatalf("stats %+v, want 5 keys and 1 expired", st)
	}
	a := h.client(1)
	for _, c := range []struct{ cmd, want string }{
		{"EXISTS old", "(integer) 0"},
		{"OBJECT ENCODING ints", `"intset"`},
		{"OBJECT ENCODING words", `"hashtable"`},
		{"OBJECT ENCODING longval", `"hashtable"`},
		{"OBJECT ENCODING z", `"listpack"`},
		{"ZRANGE z 0 -1 WITHSCORES", `["a" "1" "b" "2"]`},
		{"DBSIZE", "(integer) 5"},
	} {
		if got := a.reply(t, strings.Fields(c.cmd)...).String(); got != c.want {
			t.Errorf("%s = %s, want %s", c.cmd, got, c.want)
		}
	}
}

// TestImportFencesBigZsets: a sorted set an import or a RESTORE loads
// with zsetFenceMin members or more comes with its rank fences (made by
// the bulk writer, or by a walk of the pending unit), so its first write
// does not walk it.
func TestImportFencesBigZsets(t *testing.T) {
	defer func(min, size int64) { zsetFenceMin, zsetFenceSize = min, size }(zsetFenceMin, zsetFenceSize)
	zsetFenceMin, zsetFenceSize = 8, 3
	type entry struct {
		member string
		score  float64
	}
	var entries []entry
	for i := 0; i < 40; i++ {
		entries = append(entries, entry{fmt.Sprintf("m%02d", i), float64(i % 7)})
	}
	file := rdbFile(t, func(w *rdb.Writer) {
		_ = w.BeginZSet(rdb.KeyHeader{Key: []byte("lb")}, len(entries))
		for _, e := range entries {
			_ = w.Scored([]byte(e.member), e.score)
		}
		_ = w.End()
		_ = w.BeginZSet(rdb.KeyHeader{Key: []byte("tiny")}, 2)
		_ = w.Scored([]byte("a"), 1)
		_ = w.Scored([]byte("b"), 2)
		_ = w.End()
	})
	h := newPebbleHarness(t)
	defer h.close()
	if _, err := h.srv.ImportRDB(bytes.NewReader(file), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	sorted := append([]entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].score != sorted[j].score {
			return sorted[i].score < sorted[j].score
		}
		return sorted[i].member < sorted[j].member
	})
	a := h.client(1)
	for _, key := range []string{"lb", "lb2"} {
		if key == "lb2" {
			dump := a.reply(t, "DUMP", "lb")
			if got := a.reply(t, "RESTORE", "lb2", "0", string(dump.Str)).String(); got != "OK" {
				t.Fatalf("RESTORE = %s", got)
			}
		}
		h.srv.mu.Lock()
		h.srv.ks.zfences = nil
		co, _ := h.srv.ks.lookupColl(0, []byte(key), storage.TypeZSet, false)
		fenced := co.fenced()
		h.srv.mu.Unlock()
		if !fenced {
			t.Fatalf("%s was loaded without rank fences", key)
		}
		zsetCheckFences(t, h, key)
		for rank, e := range sorted {
			if got := a.reply(t, "ZRANK", key, e.member).String(); got != fmt.Sprintf("(integer) %d", rank) {
				t.Fatalf("ZRANK %s %s = %s, want %d", key, e.member, got, rank)
			}
		}
	}
	h.srv.mu.Lock()
	co, _ := h.srv.ks.lookupColl(0, []byte("tiny"), storage.TypeZSet, false)
	h.srv.mu.Unlock()
	if co.fenced() {
		t.Fatal("a set below zsetFenceMin got fences")
	}
}

// TestImportStepsWithinAKey: a load with steps (a replica's) steps between
// the members of a big collection too, not only between keys, and what a
// command run in a step does at its end (recycling its colls) leaves the
// collection being loaded alone.
func TestImportStepsWithinAKey(t *testing.T) {
	const members = 2000000
	file := rdbFile(t, func(w *rdb.Writer) {
		_ = w.BeginSet(rdb.KeyHeader{Key: []byte("big")}, members)
		for i := range members {
			_ = w.Member([]byte("member:" + strconv.Itoa(i)))
		}
		_ = w.End()
		_ = w.String(rdb.KeyHeader{Key: []byte("after")}, []byte("x"))
	})
	h := newPebbleHarness(t)
	defer h.close()
	s := h.srv
	var (
		last    time.Time
		longest time.Duration
		steps   int
	)
	step := func(heavy func() error) error {
		longest = max(longest, time.Since(last))
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			last = time.Now()
		}()
		if heavy != nil {
			return heavy()
		}
		steps++
		// A command that ran meanwhile ends.
		s.mu.Lock()
		s.ks.endCommand()
		s.mu.Unlock()
		return nil
	}
	var (
		st   ImportStats
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		s.mu.Lock()
		last = time.Now()
		st, err = s.importLocked(bytes.NewReader(file), ImportOptions{}, loadHooks{step: step})
		longest = max(longest, time.Since(last))
		s.mu.Unlock()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		// A load whose colls a step recycled went on forever.
		panic("the import did not finish in 60 s")
	}
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != 2 {
		t.Fatalf("%d keys loaded, want 2", st.Keys)
	}
	if got := h.client(1).reply(t, "SCARD", "big").String(); got != "(integer) "+strconv.Itoa(members) {
		t.Fatalf("SCARD big = %s", got)
	}
	// Making the records of 2M members takes about 0.15 s here: without
	// steps inside the key, one interval would be that long.
	t.Logf("%d steps, the longest interval %v", steps, longest)
	if longest > 80*time.Millisecond {
		t.Fatalf("%v between two steps of the load", longest)
	}
}
