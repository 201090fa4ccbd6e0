package daemon

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// TestStoreFilter: every key added tests positive, at every size; absent
// keys test positive about as often as 10 bits a key allow; the filter
// reports itself overfull only past its capacity.
func TestStoreFilter(t *testing.T) {
	for _, n := range []int64{1, 1000, storeFilterMinKeys, 3 * storeFilterMinKeys} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newStoreFilter(n)
			if f.capacity < n {
				t.Fatalf("capacity %d for %d keys", f.capacity, n)
			}
			key := func(i int64) []byte { return fmt.Appendf(nil, "Dkey:%012d", i) }
			for i := int64(0); i < n; i++ {
				f.add(key(i))
			}
			for i := int64(0); i < n; i++ {
				if !f.mayContain(key(i)) {
					t.Fatalf("%s added but not found", key(i))
				}
			}
			if f.overfull() != (f.added.Load() > f.capacity) || f.added.Load() > n {
				t.Fatalf("added %d of %d keys, capacity %d, overfull %v", f.added.Load(), n, f.capacity, f.overfull())
			}
			const probes = 200000
			fp := 0
			for i := int64(0); i < probes; i++ {
				if f.mayContain(key(n + i)) {
					fp++
				}
			}
			// Full, 10 bits a key in 512-bit blocks: about 1.5%.
			if rate := float64(fp) / probes; rate > 0.03 {
				t.Fatalf("false positive rate %.4f", rate)
			}
			for i := n; !f.overfull(); i++ {
				f.add(key(i))
				if i > 2*f.capacity {
					t.Fatal("never overfull")
				}
			}
		})
	}
}

// filterTestBuffer is a write buffer over a memory store whose filter
// builds run when the test says: each build's job is sent on the channel.
func filterTestBuffer(t *testing.T) (*writeBuffer, storage.Store, chan func()) {
	st := memory.New()
	wb := newWriteBuffer(st)
	wb.filter.minKeys = 1000
	jobs := make(chan func(), 4)
	wb.filter.build = func(job func()) { jobs <- job }
	wb.start()
	t.Cleanup(func() {
		// A build still queued must run for stop to return.
		go func() {
			for job := range jobs {
				job()
			}
		}()
		wb.stop()
		close(jobs)
	})
	return wb, st, jobs
}

// checkFilterComplete fails unless every filtered key of st tests positive
// in the active filter.
func checkFilterComplete(t *testing.T, wb *writeBuffer, st storage.Store) {
	t.Helper()
	f := wb.filter.active.Load()
	if f == nil {
		t.Fatal("no active filter")
	}
	wb.drain()
	it, err := st.NewIter(nil, []byte{0xff})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if filtered(it.Key()) {
			n++
			if !f.mayContain(it.Key()) || wb.absent(it.Key()) {
				t.Fatalf("%q is in the store but the filter says absent", it.Key())
			}
		}
	}
	if n == 0 {
		t.Fatal("nothing to check")
	}
}

// TestStoreFilterBuild: a build that scans while units keep coming, some
// of them written to the store between its snapshot and its scan, ends
// with every key of the store in the filter, and lookups of keys never
// written are answered absent.
func TestStoreFilterBuild(t *testing.T) {
	wb, st, jobs := filterTestBuffer(t)
	rng := rand.New(rand.NewSource(1))
	seq := uint64(0)
	write := func(n int) {
		unit := map[string][]byte{}
		for i := 0; i < n; i++ {
			fam := []string{"M", "D", "E"}[rng.Intn(3)]
			k := fmt.Sprintf("%sk%06d", fam, rng.Intn(100000))
			if rng.Intn(5) == 0 {
				unit[k] = nil
			} else {
				unit[k] = []byte("v")
			}
		}
		seq++
		wb.apply(unit, nil, nil, nil, seq)
	}
	for i := 0; i < 200; i++ {
		write(50)
	}
	if wb.absent([]byte("Mnever")) {
		t.Fatal("absent before any filter was built")
	}
	wb.buildFilter(200000)
	job := <-jobs
	for i := 0; i < 200; i++ { // between the snapshot and the scan
		write(50)
	}
	wb.drain()
	done := make(chan struct{})
	go func() { job(); close(done) }()
	for i := 0; i < 200; i++ { // during the scan
		write(50)
	}
	<-done
	checkFilterComplete(t, wb, st)
	for i := 0; i < 200; i++ { // after it
		write(50)
	}
	checkFilterComplete(t, wb, st)
	missing := 0
	for i := 0; i < 1000; i++ {
		if wb.absent(fmt.Appendf(nil, "Mnever%d", i)) {
			missing++
		}
	}
	if missing < 950 {
		t.Fatalf("only %d of 1000 keys never written were answered absent", missing)
	}
	if wb.absent([]byte("Enever")) {
		t.Fatal("a key of a family the filter does not hold was answered absent")
	}
}

// TestStoreFilterBulkLoad: keys that reach the store around the buffer (a
// bulk load) drop the filter while the load runs, a build begun before
// the load is thrown away, and the build after it holds the loaded keys.
func TestStoreFilterBulkLoad(t *testing.T) {
	wb, st, jobs := filterTestBuffer(t)
	wb.apply(map[string][]byte{"Mbefore": []byte("v")}, nil, nil, nil, 1)
	wb.buildFilter(1000)
	(<-jobs)()
	checkFilterComplete(t, wb, st)

	wb.buildFilter(1000) // begun before the load, done after it
	stale := <-jobs
	wb.holdFilter()
	if wb.absent([]byte("Mloaded")) {
		t.Fatal("filter still answers while a load runs")
	}
	wb.buildFilter(1000)
	select {
	case <-jobs:
		t.Fatal("a build started while a load runs")
	default:
	}
	b := st.NewBatch()
	if err := b.Set([]byte("Mloaded"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(b, false); err != nil {
		t.Fatal(err)
	}
	stale()
	if wb.filter.active.Load() != nil {
		t.Fatal("a build begun before the load was installed")
	}
	wb.releaseFilter()
	(<-jobs)()
	checkFilterComplete(t, wb, st)
}

// TestStoreFilterResize: a first build sized too small for the store
// builds again at the size its scan found.
func TestStoreFilterResize(t *testing.T) {
	wb, st, jobs := filterTestBuffer(t)
	n := int(newStoreFilter(wb.filter.minKeys).capacity) + 1000
	b := st.NewBatch()
	for i := 0; i < n; i++ {
		if err := b.Set(fmt.Appendf(nil, "Dk%08d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Commit(b, false); err != nil {
		t.Fatal(err)
	}
	wb.buildFilter(1000)
	(<-jobs)()
	if wb.filter.active.Load() != nil {
		t.Fatal("an overfull filter was installed")
	}
	(<-jobs)()
	f := wb.filter.active.Load()
	if f == nil || f.capacity < int64(n) || f.overfull() {
		t.Fatalf("rebuilt filter %+v for %d keys", f, n)
	}
	checkFilterComplete(t, wb, st)
}

// TestFiltered: which keys the filter holds, by their bytes alone.
func TestFiltered(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
		want bool
	}{
		{"meta record", storage.MetaKey(nil, 0, []byte("k")), true},
		{"hash field", append(storage.DataPrefix(nil, 0, []byte("h"), 7), "field"...), true},
		{"list element", listSub(storage.DataPrefix(nil, 0, []byte("l"), 7|listVersionBit), 1<<40), false},
		{"list element of a list from before the mark", listSub(storage.DataPrefix(nil, 0, []byte("l"), 7), 1<<40), true},
		{"user key holding the mark's bytes", append(storage.DataPrefix(nil, 3, []byte("\x40\x00\x00\x00\x00\x00\x00\x00"), 9), "m"...), true},
		{"malformed data key", []byte("D\x00\x00\xff\xff\xff\xffxyz"), true},
		{"expiry index", storage.ExpireKey(nil, 0, 5, []byte("k")), false},
		{"server record", storage.ServerKey(nil, "counts"), false},
		{"empty", nil, false},
	} {
		if got := filtered(tc.key); got != tc.want {
			t.Errorf("%s (%q): filtered %v, want %v", tc.name, tc.key, got, tc.want)
		}
	}
}
