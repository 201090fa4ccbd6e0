package pebble

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// The crash tests run Pebble on vfs.NewCrashableMem and reopen a CrashClone
// of it: a copy holding exactly what was synced (plus, with
// UnsyncedDataPercent, a random part of what was not), as a power cut would.

func openFS(t *testing.T, fs vfs.FS) *Store {
	t.Helper()
	s, err := Open(testOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func commitKey(t *testing.T, s *Store, key string, sync bool) {
	t.Helper()
	commitPadded(t, s, key, sync, 0)
}

// commitPadded commits key with a value of "v-"+key and pad more bytes.
func commitPadded(t *testing.T, s *Store, key string, sync bool, pad int) {
	t.Helper()
	b := s.NewBatch()
	defer b.Close()
	if err := b.Set([]byte(key), []byte("v-"+key+strings.Repeat(".", pad))); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b, sync); err != nil {
		t.Fatal(err)
	}
}

// crash reopens what survives a crash of fs now.
func crash(t *testing.T, fs *vfs.MemFS, cfg vfs.CrashCloneCfg) *Store {
	t.Helper()
	return openFS(t, fs.CrashClone(cfg))
}

// waitWALBytes waits, up to 5 s, until dir's WAL files hold n bytes.
func waitWALBytes(t *testing.T, fs vfs.FS, dir string, n int64) {
	t.Helper()
	var got int64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		names, err := fs.List(dir)
		if err != nil {
			t.Fatal(err)
		}
		got = 0
		for _, name := range names {
			if !strings.HasSuffix(name, ".log") {
				continue
			}
			if fi, err := fs.Stat(fs.PathJoin(dir, name)); err == nil {
				got += fi.Size()
			}
		}
		if got >= n {
			return
		}
	}
	t.Fatalf("the WAL holds %d bytes after 5 s, want %d", got, n)
}

func has(t *testing.T, s *Store, key string) bool {
	t.Helper()
	v, found, err := s.Get(nil, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if found && !strings.HasPrefix(string(v), "v-"+key) {
		t.Fatalf("%s = %q after crash", key, v)
	}
	return found
}

func TestCrashDurability(t *testing.T) {
	type step struct {
		key  string
		sync bool // Commit(b, true)
		// syncAfter calls Store.Sync after the commit.
		syncAfter bool
	}
	cases := []struct {
		name    string
		steps   []step
		durable map[string]bool
	}{
		{"nosync then Sync", []step{{"a", false, true}}, map[string]bool{"a": true}},
		{"nosync only", []step{{"a", false, false}}, map[string]bool{"a": false}},
		{"sync commit", []step{{"a", true, false}}, map[string]bool{"a": true}},
		{"sync commit covers earlier nosync", []step{{"a", false, false}, {"b", true, false}},
			map[string]bool{"a": true, "b": true}},
		{"one Sync covers many", []step{{"a", false, false}, {"b", false, false}, {"c", false, true}},
			map[string]bool{"a": true, "b": true, "c": true}},
		{"nosync after Sync", []step{{"a", false, true}, {"b", false, false}},
			map[string]bool{"a": true, "b": false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewCrashableMem()
			s := openFS(t, fs)
			defer s.Close()
			for _, st := range tc.steps {
				commitKey(t, s, st.key, st.sync)
				if st.syncAfter {
					if err := s.Sync(); err != nil {
						t.Fatal(err)
					}
				}
			}
			c := crash(t, fs, vfs.CrashCloneCfg{})
			defer c.Close()
			for k, want := range tc.durable {
				if got := has(t, c, k); got != want {
					t.Errorf("after crash: %s present = %v; want %v", k, got, want)
				}
			}
		})
	}
}

// TestCrashSyncAcrossWALRotation commits enough NoSync data to rotate the
// WAL several times (1 MB memtables) before one Sync: all of it must survive.
func TestCrashSyncAcrossWALRotation(t *testing.T) {
	fs := vfs.NewCrashableMem()
	s := openFS(t, fs)
	defer s.Close()
	b := s.NewBatch()
	defer b.Close()
	val := make([]byte, 4096)
	const n = 1500 // ~6 MB
	for i := range n {
		b.Set(fmt.Appendf(nil, "k%05d", i), val)
		if err := s.Commit(b, false); err != nil {
			t.Fatal(err)
		}
		b.Reset()
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	c := crash(t, fs, vfs.CrashCloneCfg{})
	defer c.Close()
	for i := range n {
		if _, found, _ := c.Get(nil, fmt.Appendf(nil, "k%05d", i)); !found {
			t.Fatalf("k%05d lost after Sync and crash", i)
		}
	}
}

// TestCrashPrefix crashes with a random part of the unsynced data kept:
// everything before the Sync survives, and what survives after it is a
// prefix of the commit order (the WAL never reorders). Values are big enough
// that unsynced WAL blocks reach the file, so some unsynced commits do
// survive and the prefix property is really tested.
func TestCrashPrefix(t *testing.T) {
	partial := false
	for seed := range int64(20) {
		fs := vfs.NewCrashableMem()
		s := openFS(t, fs)
		const synced, total = 50, 200
		for i := range total {
			commitPadded(t, s, fmt.Sprintf("k%03d", i), false, 1000)
			if i == synced-1 {
				if err := s.Sync(); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Pebble's log writer hands unsynced blocks to the file from a
		// goroutine of its own (whole 32 KB blocks until a sync): on a
		// busy machine the crash could come before any did, and then no
		// seed keeps a part of them.
		waitWALBytes(t, fs, "db", total*1000*3/4)
		c := crash(t, fs, vfs.CrashCloneCfg{UnsyncedDataPercent: 80, RNG: rand.New(rand.NewPCG(uint64(seed), 1))})
		gap := -1
		for i := range total {
			found := has(t, c, fmt.Sprintf("k%03d", i))
			switch {
			case i < synced && !found:
				t.Fatalf("seed %d: synced k%03d lost", seed, i)
			case !found && gap < 0:
				gap = i
			case found && gap >= 0:
				t.Fatalf("seed %d: k%03d survived but k%03d before it did not", seed, i, gap)
			}
		}
		if gap < 0 {
			gap = total
		}
		t.Logf("seed %d: %d of %d unsynced commits survived", seed, gap-synced, total-synced)
		if gap > synced && gap < total {
			partial = true
		}
		c.Close()
		s.Close()
	}
	if !partial {
		t.Error("no crash kept part of the unsynced commits: the test proves nothing")
	}
}
