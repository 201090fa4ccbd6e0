package daemon

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage/pebble"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

// waitReply sends a command whose reply comes from another goroutine (SAVE,
// SHUTDOWN SAVE) and runs the fake loop until it arrives.
func waitReply(t *testing.T, h *harness, fc *fakeClient, args ...string) resp.Value {
	t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	fc.sess.Data(encodeCommand(argv))
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.loop.run()
		fc.mu.Lock()
		v, n, err := resp.ReadReply(fc.buf)
		if err == nil && n > 0 {
			fc.buf = fc.buf[n:]
			fc.mu.Unlock()
			return v
		}
		fc.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("%v: no reply", args)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitSaved waits until no save is running, none is scheduled, and the
// loop has nothing queued that would start one.
func waitSaved(t *testing.T, h *harness) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.srv.mu.Lock()
		if st := &h.srv.save; st.scheduled && !st.running {
			// Scheduled (BGSAVE or FLUSHALL inside EXEC): a later cron
			// would start it, maybe into a directory being removed.
			h.srv.startSaveLocked("bgsave")
		}
		running := h.srv.save.running
		h.srv.mu.Unlock()
		if !running {
			// The loop's queued work (a parked SAVE's reply, then the
			// commands waiting behind it) may start another save.
			h.loop.run()
			h.srv.mu.Lock()
			running = h.srv.save.running || h.srv.save.scheduled
			h.srv.mu.Unlock()
			if !running {
				return
			}
			continue
		}
		if time.Now().After(deadline) {
			t.Fatal("save did not finish")
		}
		time.Sleep(time.Millisecond)
	}
}

func persistenceField(t *testing.T, fc *fakeClient, name string) string {
	t.Helper()
	info := string(fc.reply(t, "INFO", "persistence").Str)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO has no %s:\n%s", name, info)
	return ""
}

// countKeysInFile reads an RDB file and counts its keys.
func countKeysInFile(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := rdb.Summarize(f, rdb.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sum.Keys
}

// TestSaveAndBgsave checks the replies and INFO persistence of SAVE and
// BGSAVE, that writes made after the snapshot still count as changes, and
// that BGSAVE inside EXEC is scheduled (and cron starts it).
func TestSaveAndBgsave(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.srv.cfg.Dir = t.TempDir()
	a := h.client(1)
	a.reply(t, "SET", "a", "1")
	a.reply(t, "RPUSH", "l", "x", "y")
	if got := persistenceField(t, a, "rdb_changes_since_last_save"); got != "2" {
		t.Fatalf("changes = %s", got)
	}
	if v := waitReply(t, h, a, "SAVE"); v.String() != "OK" {
		t.Fatalf("SAVE = %v", v)
	}
	path := filepath.Join(h.srv.cfg.Dir, "dump.rdb")
	if n := countKeysInFile(t, path); n != 2 {
		t.Fatalf("file holds %d keys, want 2", n)
	}
	for field, want := range map[string]string{"rdb_changes_since_last_save": "0", "rdb_saves": "1", "rdb_last_bgsave_status": "ok", "rdb_bgsave_in_progress": "0"} {
		if got := persistenceField(t, a, field); got != want {
			t.Errorf("%s = %s, want %s", field, got, want)
		}
	}

	if v := a.reply(t, "BGSAVE", "x"); v.String() != "(error) ERR syntax error" {
		t.Fatalf("BGSAVE x = %v", v)
	}
	if v := a.reply(t, "BGSAVE"); v.String() != "Background saving started" {
		t.Fatalf("BGSAVE = %v", v)
	}
	// The snapshot is taken: this write is not in the file, and still
	// counts as a change once the save ends.
	a.reply(t, "SET", "b", "2")
	waitSaved(t, h)
	if n := countKeysInFile(t, path); n != 2 {
		t.Fatalf("file holds %d keys, want 2", n)
	}
	if got := persistenceField(t, a, "rdb_changes_since_last_save"); got != "1" {
		t.Fatalf("changes after BGSAVE = %s, want 1", got)
	}

	// Inside EXEC, BGSAVE is scheduled; the cron starts it.
	a.reply(t, "MULTI")
	a.reply(t, "SET", "c", "3")
	a.reply(t, "BGSAVE")
	if v := a.reply(t, "EXEC"); v.String() != `[OK Background saving scheduled]` {
		t.Fatalf("EXEC = %v", v)
	}
	h.srv.mu.Lock()
	h.srv.saveCronLocked(time.Now())
	h.srv.mu.Unlock()
	waitSaved(t, h)
	if n := countKeysInFile(t, path); n != 4 {
		t.Fatalf("file holds %d keys after the scheduled save, want 4", n)
	}
	if got := persistenceField(t, a, "rdb_saves"); got != "3" {
		t.Fatalf("rdb_saves = %s", got)
	}
}

// TestSaveFailure checks that a save into a directory that cannot be
// written replies an error, reports it in INFO, leaves no file behind, and
// that SHUTDOWN then refuses to stop unless FORCE.
func TestSaveFailure(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	dir := t.TempDir()
	h.srv.cfg.Dir = filepath.Join(dir, "missing")
	a := h.client(1)
	a.reply(t, "SET", "a", "1")
	if v := waitReply(t, h, a, "SAVE"); v.String() != "(error) ERR" {
		t.Fatalf("SAVE = %v", v)
	}
	if got := persistenceField(t, a, "rdb_last_bgsave_status"); got != "err" {
		t.Fatalf("status = %s", got)
	}
	if got := persistenceField(t, a, "rdb_changes_since_last_save"); got != "1" {
		t.Fatalf("changes = %s", got)
	}
	if v := waitReply(t, h, a, "SHUTDOWN", "SAVE"); v.String() != "(error) ERR Errors trying to SHUTDOWN. Check logs." {
		t.Fatalf("SHUTDOWN SAVE = %v", v)
	}
	select {
	case req := <-h.srv.ShutdownRequests():
		t.Fatalf("a failed save still requested shutdown: %+v", req)
	default:
	}
	// FORCE shuts down anyway.
	a.sess.Data(encodeCommand([][]byte{[]byte("SHUTDOWN"), []byte("SAVE"), []byte("FORCE")}))
	deadline := time.After(10 * time.Second)
	for {
		h.loop.run()
		select {
		case <-h.srv.ShutdownRequests():
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Fatalf("failed saves left %v", entries)
			}
			return
		case <-deadline:
			t.Fatal("SHUTDOWN SAVE FORCE did not request shutdown")
		case <-time.After(time.Millisecond):
		}
	}
}

// TestSaveFailureRemovesTempFile makes the final rename fail (the target
// name is a non-empty directory) after the whole file was written: the
// temporary file must not be left behind.
func TestSaveFailureRemovesTempFile(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	dir := t.TempDir()
	h.srv.cfg.Dir = dir
	h.srv.cfg.Dbfilename = "taken"
	if err := os.MkdirAll(filepath.Join(dir, "taken", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	a := h.client(1)
	a.reply(t, "SET", "a", "1")
	if v := waitReply(t, h, a, "SAVE"); v.String() != "(error) ERR" {
		t.Fatalf("SAVE = %v", v)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "taken" {
		t.Fatalf("directory holds %v after a failed save", entries)
	}
}

// TestCloseAbortsBackgroundSave: Close stops a BGSAVE still writing, as
// Redis kills its saving child at shutdown, and waits for it, so that
// nothing reads the store once it closes; the save leaves no file.
func TestCloseAbortsBackgroundSave(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	a := h.client(1)
	a.reply(t, "SET", "a", "1")
	a.reply(t, "SET", "b", "2")
	started := make(chan struct{})
	var once sync.Once
	saveKeyHook = func() {
		// Hold the save at its first key until Close has asked it to
		// stop.
		once.Do(func() { close(started) })
		for !h.srv.save.abort.Load() {
			time.Sleep(time.Millisecond)
		}
	}
	defer func() { saveKeyHook = nil }()
	if v := a.reply(t, "BGSAVE"); v.String() != "Background saving started" {
		t.Fatalf("BGSAVE = %v", v)
	}
	<-started
	closed := make(chan error, 1)
	go func() { closed <- h.srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	h.srv.mu.Lock()
	running, ok := h.srv.save.running, h.srv.save.lastOK
	h.srv.mu.Unlock()
	if running || ok {
		t.Fatalf("after Close: save running %v, last save ok %v", running, ok)
	}
	entries, err := os.ReadDir(h.srv.cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("directory holds %v after an aborted save", entries)
	}
}

// BenchmarkEncodeRDB measures writing a snapshot of 100k keys of mixed
// types (60% strings, 10% each of 10-member hashes, lists, sets and sorted
// sets) on Pebble: what BGSAVE costs besides the disk.
func BenchmarkEncodeRDB(b *testing.B) {
	st, err := pebble.Open(pebble.Options{Dir: b.TempDir(), CacheSize: 256 << 20, MemTableSize: 64 << 20, BloomBitsPerKey: 10})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := newHarnessOn(&testing.T{}, st)
	a := h.client(1)
	val := strings.Repeat("v", 100)
	for i := 0; i < 100_000; i++ {
		k := "key:" + strconv.Itoa(i)
		var line []string
		switch i % 10 {
		case 0:
			line = []string{"HSET", k, "f0", val, "f1", "1", "f2", "2", "f3", "3", "f4", "4", "f5", "5", "f6", "6", "f7", "7", "f8", "8", "f9", val}
		case 1:
			line = []string{"RPUSH", k, "a", "b", "c", "d", "e", "f", "g", "h", "i", val}
		case 2:
			line = []string{"SADD", k, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
		case 3:
			line = []string{"ZADD", k, "0", "m0", "1.5", "m1", "3", "m2", "4.5", "m3", "6", "m4", "7.5", "m5", "9", "m6", "10.5", "m7", "12", "m8", "13.5", "m9"}
		default:
			line = []string{"SET", k, val}
		}
		argv := make([][]byte, len(line))
		for j, s := range line {
			argv[j] = []byte(s)
		}
		a.sess.Data(encodeCommand(argv))
		a.buf = a.buf[:0]
	}
	h.srv.mu.Lock()
	opts := h.srv.rdbOptionsLocked()
	h.srv.mu.Unlock()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.srv.mu.Lock()
		v := h.srv.ks.snapshot()
		h.srv.mu.Unlock()
		if err := encodeRDB(io.Discard, v, opts, nil); err != nil {
			b.Fatal(err)
		}
		v.close()
	}
}

// TestSaveAfterRename saves keys whose data records live under another
// name (RENAME moves only the meta record; see storage.Meta.DataKey) and
// chunked strings, in an order that makes the snapshot walk seek its
// shared member iterator backwards, and loads the file into a fresh
// server: every value comes back.
func TestSaveAfterRename(t *testing.T) {
	h := newPebbleHarness(t)
	defer h.close()
	h.srv.cfg.Dir = t.TempDir()
	a := h.client(1)
	var elems []string
	for i := 0; i < 300; i++ {
		elems = append(elems, strconv.Itoa(i*7%300))
	}
	a.reply(t, append([]string{"RPUSH", "a-list"}, elems...)...)
	a.reply(t, append([]string{"SADD", "b-set"}, elems...)...)
	for i, e := range elems[:100] {
		a.reply(t, "ZADD", "c-zset", strconv.Itoa(i%13), "m"+e)
		a.reply(t, "HSET", "d-hash", "f"+e, strconv.Itoa(i))
	}
	a.reply(t, "SETRANGE", "e-str", "9000", "tail")
	a.reply(t, "SETBIT", "e-str", "7", "1")
	renames := [][2]string{{"a-list", "z-list"}, {"b-set", "0-set"}, {"c-zset", "y-zset"}, {"y-zset", "c2-zset"}, {"d-hash", "x-hash"}, {"e-str", "w-str"}}
	for _, r := range renames {
		if got := a.reply(t, "RENAME", r[0], r[1]).String(); got != "OK" {
			t.Fatalf("RENAME %s %s = %s", r[0], r[1], got)
		}
	}
	a.reply(t, "RPUSH", "a-list", "new") // the old name, taken again
	reads := [][]string{
		{"LRANGE", "z-list", "0", "-1"}, {"LRANGE", "a-list", "0", "-1"}, {"SORT", "0-set", "ALPHA"},
		{"ZRANGE", "c2-zset", "0", "-1", "WITHSCORES"}, {"HGETALL", "x-hash"}, {"GET", "w-str"}, {"DBSIZE"},
	}
	saveAndLoad(t, h, a, reads)
}

// TestSaveKeysOfManyLengths: the walk reads members through a reader per
// key length (memberReaders), up to memberReadersMax of them and one shared
// past that, and steps rather than seeks to a sorted set's score index.
// Collections of every type under keys of 1 to 90 bytes, interleaved in
// key order with strings and with keys renamed (whose members stay under
// their old names), load back as they were saved.
func TestSaveKeysOfManyLengths(t *testing.T) {
	h := newPebbleHarness(t)
	defer h.close()
	h.srv.cfg.Dir = t.TempDir()
	a := h.client(1)
	var reads [][]string
	for n := 1; n <= 90; n++ {
		for _, c := range "abc" {
			key := strings.Repeat(string(c), n)
			switch (n + int(c)) % 5 {
			case 0:
				a.reply(t, "HSET", key, "f1", "1", "f2", key)
				reads = append(reads, []string{"HGETALL", key})
			case 1:
				a.reply(t, "SADD", key, "x", "y", key)
				reads = append(reads, []string{"SORT", key, "ALPHA"})
			case 2:
				a.reply(t, "ZADD", key, "2", "m2", "1", "m1", strconv.Itoa(n), key)
				reads = append(reads, []string{"ZRANGE", key, "0", "-1", "WITHSCORES"})
			case 3:
				a.reply(t, "RPUSH", key, "e1", key, "e3")
				reads = append(reads, []string{"LRANGE", key, "0", "-1"})
			default:
				a.reply(t, "SET", key, key)
				reads = append(reads, []string{"GET", key})
			}
		}
	}
	for _, r := range [][2]string{{"aaaa", "renamed-aaaa"}, {"bbbbbbbbbbbbbbbbbbbb", "b"}} {
		if got := a.reply(t, "RENAME", r[0], r[1]).String(); got != "OK" {
			t.Fatalf("RENAME %s %s = %s", r[0], r[1], got)
		}
	}
	reads = append(reads, []string{"TYPE", "renamed-aaaa"}, []string{"TYPE", "b"}, []string{"DBSIZE"})
	saveAndLoad(t, h, a, reads)
}

// saveAndLoad runs reads on a, SAVEs h, loads the file into a new server and
// checks that the reads give the same replies there.
func saveAndLoad(t *testing.T, h *harness, a *fakeClient, reads [][]string) {
	t.Helper()
	want := make([]string, len(reads))
	for i, r := range reads {
		want[i] = a.reply(t, r...).String()
	}
	if v := waitReply(t, h, a, "SAVE"); v.String() != "OK" {
		t.Fatalf("SAVE = %v", v)
	}
	file, err := os.ReadFile(filepath.Join(h.srv.cfg.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t)
	defer h2.close()
	if _, err := h2.srv.ImportRDB(bytes.NewReader(file), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	b := h2.client(1)
	for i, r := range reads {
		if got := b.reply(t, r...).String(); got != want[i] {
			t.Errorf("%v after SAVE and load:\n got %.300s\nwant %.300s", r, got, want[i])
		}
	}
}
