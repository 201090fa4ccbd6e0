package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// fakeDisk is a memory store on a pretend file system whose free space,
// ballast and write failures the test sets.
type fakeDisk struct {
	storage.Store
	mu       sync.Mutex
	avail    uint64
	events   uint64
	size     int64
	present  bool
	restores int
	notify   func()
}

func (f *fakeDisk) DiskSpace() (uint64, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.avail, 1 << 40, nil
}

func (f *fakeDisk) DiskFullEvents() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events
}

func (f *fakeDisk) Ballast() (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.size, f.present
}

// RestoreBallast follows the Pebble store's rule: room for twice the size.
func (f *fakeDisk) RestoreBallast() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.size == 0 || f.present {
		return f.present, nil
	}
	if f.avail < 2*uint64(f.size) {
		return false, nil
	}
	f.avail -= uint64(f.size)
	f.present = true
	f.restores++
	return true, nil
}

func (f *fakeDisk) SetBallast(size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.present {
		f.avail += uint64(f.size)
	}
	f.size, f.present = size, false
	return nil
}

func (f *fakeDisk) OnDiskFull(fn func()) { f.notify = fn }

// fill is what the Pebble store does when a write fails for lack of
// space: count it, free the ballast, tell the server.
func (f *fakeDisk) fill() {
	f.mu.Lock()
	f.events++
	if f.present {
		f.avail += uint64(f.size)
		f.present = false
	}
	f.avail = 0
	f.mu.Unlock()
	f.notify()
}

// TestDiskGuard plays testdata/diskguard (not .txt: the plain scenario
// runs need the fake disk). Directives beyond the harness's:
//
//	disk avail=N      set the free space (in MB) and run the guard's cron step
//	disk              run the cron step
//	fill              a store write fails for lack of space
//
// disk and fill print the guard's state.
func TestDiskGuard(t *testing.T) {
	datadriven.Walk(t, "testdata/diskguard", func(t *testing.T, path string) {
		fd := &fakeDisk{Store: memory.New(), avail: 1 << 40, size: 64 << 20}
		fd.present = true
		// The scenarios' figures are for a reserve of 64 MB.
		cfg := conf.Default()
		cfg.DiskReserve = 64 << 20
		h := newHarnessConf(t, fd, cfg)
		defer h.close()
		state := func() string {
			h.srv.mu.Lock()
			defer h.srv.mu.Unlock()
			size, present := fd.Ballast()
			return fmt.Sprintf("refusing=%v ballast=%dMB present=%v restores=%d avail=%dMB\n",
				h.srv.disk.refusing.Load(), size>>20, present, fd.restores, h.srv.disk.avail>>20)
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "disk":
				if d.HasArg("avail") {
					var mb uint64
					d.ScanArgs(t, "avail", &mb)
					fd.mu.Lock()
					fd.avail = mb << 20
					fd.mu.Unlock()
				}
				h.srv.mu.Lock()
				h.srv.diskCronLocked()
				h.srv.mu.Unlock()
				h.srv.cronDone.Wait() // a ballast being made (the cron is not running)
				return state()
			case "fill":
				fd.fill()
				return state()
			}
			return h.run(t, d)
		})
	})
}

// TestDiskGuardOff: without a file system (the memory store) or with
// disk-reserve 0 nothing is ever refused.
func TestDiskGuardOff(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.srv.mu.Lock()
	h.srv.diskCronLocked()
	refusing := h.srv.disk.refusing.Load()
	h.srv.mu.Unlock()
	if refusing {
		t.Fatal("the memory store refused writes")
	}

	fd := &fakeDisk{Store: memory.New(), avail: 1 << 20}
	cfg := conf.Default()
	cfg.DiskReserve = 0
	srv, err := New(cfg, Options{Store: fd})
	if err != nil {
		t.Fatal(err)
	}
	if srv.disk.refusing.Load() {
		t.Fatal("disk-reserve 0 refused writes with 1 MB free")
	}
}

// TestStopWritesOnBgsaveError: after a failed background save Redis's
// MISCONF refuses writes and PING (word for word, checked against
// redis-server 7.0) until the option is off, the save rules are gone, or a
// save succeeds.
func TestStopWritesOnBgsaveError(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	dir := t.TempDir()
	// A directory where the snapshot should go: renaming onto it fails.
	if err := os.Mkdir(filepath.Join(dir, "dump.rdb"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.srv.mu.Lock()
	h.srv.cfg.Dir = dir
	// The refusal applies only with save points, as in Redis.
	h.srv.cfg.Save = conf.Default().Save
	h.srv.mu.Unlock()
	fc := h.client(1)
	do := func(line string) string {
		t.Helper()
		return strings.Join(fc.do(t, line), " ")
	}
	bgsave := func() {
		t.Helper()
		do("BGSAVE")
		for deadline := time.Now().Add(5 * time.Second); ; {
			h.srv.mu.Lock()
			running := h.srv.save.running
			h.srv.mu.Unlock()
			if !running {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("BGSAVE did not finish")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	misconf := "(error) " + errBgsaveMisconf
	do("SET k v")
	bgsave()
	for _, tc := range []struct{ cmd, want string }{
		{"SET k v2", misconf},
		{"PING", misconf},
		{"GET k", `"v"`},
		{"CONFIG SET stop-writes-on-bgsave-error no", "OK"},
		{"SET k v3", "OK"},
		{"CONFIG SET stop-writes-on-bgsave-error yes", "OK"},
		{"INCR n", misconf},
		{`CONFIG SET save ""`, "OK"},
		{"INCR n", "(integer) 1"},
		{`CONFIG SET save "3600 1"`, "OK"},
		{"DEL n", misconf},
	} {
		if got := do(tc.cmd); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.cmd, got, tc.want)
		}
	}
	// A save that succeeds lifts it.
	if err := os.Remove(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
	bgsave()
	if got := do("DEL n"); got != "(integer) 1" {
		t.Errorf("DEL after a good save: %s", got)
	}
}
