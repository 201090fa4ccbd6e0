package storagetest

import (
	"fmt"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

// kv is one expected record.
type kv struct{ k, v string }

func (p kv) String() string { return fmt.Sprintf("%q=%q", p.k, p.v) }

// op is one batch write: 's' Set(a, b), 'd' Delete(a), 'r' DeleteRange(a, b).
type op struct {
	kind byte
	a, b string
}

func set(k, v string) op      { return op{'s', k, v} }
func del(k string) op         { return op{'d', k, ""} }
func delRange(s, e string) op { return op{'r', s, e} }

func (o op) String() string {
	switch o.kind {
	case 's':
		return fmt.Sprintf("set %q %q", o.a, o.b)
	case 'd':
		return fmt.Sprintf("del %q", o.a)
	}
	return fmt.Sprintf("delrange %q %q", o.a, o.b)
}

func applyOps(t testing.TB, b storage.Batch, ops ...op) {
	t.Helper()
	for _, o := range ops {
		var err error
		switch o.kind {
		case 's':
			err = b.Set([]byte(o.a), []byte(o.b))
		case 'd':
			err = b.Delete([]byte(o.a))
		case 'r':
			err = b.DeleteRange([]byte(o.a), []byte(o.b))
		}
		if err != nil {
			t.Fatalf("%v: %v", o, err)
		}
	}
}

// commitOps writes ops in one batch and commits it.
func commitOps(t testing.TB, s storage.Store, ops ...op) {
	t.Helper()
	b := s.NewBatch()
	defer b.Close()
	applyOps(t, b, ops...)
	if err := s.Commit(b, false); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func newIter(t testing.TB, r storage.Reader, lower, upper []byte) storage.Iterator {
	t.Helper()
	it, err := r.NewIter(lower, upper)
	if err != nil {
		t.Fatalf("NewIter(%q, %q): %v", lower, upper, err)
	}
	return it
}

func closeIter(t testing.TB, it storage.Iterator) {
	t.Helper()
	if err := it.Error(); err != nil {
		t.Fatalf("iterator error: %v", err)
	}
	if err := it.Close(); err != nil {
		t.Fatalf("iterator close: %v", err)
	}
}

// scan returns [lower, upper) of r in ascending order.
func scan(t testing.TB, r storage.Reader, lower, upper []byte) []kv {
	t.Helper()
	it := newIter(t, r, lower, upper)
	defer closeIter(t, it)
	var out []kv
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, kv{string(it.Key()), string(it.Value())})
	}
	return out
}

// scanReverse returns [lower, upper) of r in descending order.
func scanReverse(t testing.TB, r storage.Reader, lower, upper []byte) []kv {
	t.Helper()
	it := newIter(t, r, lower, upper)
	defer closeIter(t, it)
	var out []kv
	for ok := it.Last(); ok; ok = it.Prev() {
		out = append(out, kv{string(it.Key()), string(it.Value())})
	}
	return out
}

func reversed(in []kv) []kv {
	out := make([]kv, len(in))
	for i, p := range in {
		out[len(in)-1-i] = p
	}
	return out
}

func equalKVs(a, b []kv) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func mustGet(t testing.TB, r storage.Reader, key string) (string, bool) {
	t.Helper()
	v, found, err := r.Get(nil, []byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !found && v != nil {
		t.Fatalf("Get(%q): absent but returned %q", key, v)
	}
	return string(v), found
}

// checkContents verifies r holds exactly want (sorted), through a forward
// scan, a reverse scan, a Get of every wanted key, and a Get of every probe
// that is not wanted.
func checkContents(t testing.TB, r storage.Reader, want []kv, probes ...string) {
	t.Helper()
	if got := scan(t, r, nil, nil); !equalKVs(got, want) {
		t.Fatalf("forward scan:\n got %v\nwant %v", got, want)
	}
	if got := scanReverse(t, r, nil, nil); !equalKVs(got, reversed(want)) {
		t.Fatalf("reverse scan:\n got %v\nwant %v", got, reversed(want))
	}
	present := map[string]bool{}
	for _, p := range want {
		present[p.k] = true
		v, found := mustGet(t, r, p.k)
		if !found || v != p.v {
			t.Fatalf("Get(%q) = %q, %v; want %q, true", p.k, v, found, p.v)
		}
	}
	for _, k := range probes {
		if present[k] {
			continue
		}
		if v, found := mustGet(t, r, k); found {
			t.Fatalf("Get(%q) = %q, true; want absent", k, v)
		}
	}
}

// probeKeys are the keys mentioned by ops, plus neighbours that must stay absent.
func probeKeys(ops []op) []string {
	keys := []string{"", "\x00", "\xff", "zzz"}
	for _, o := range ops {
		keys = append(keys, o.a, o.a+"\x00")
		if o.kind != 'd' {
			keys = append(keys, o.b)
		}
	}
	return keys
}

// position describes where an iterator is, for comparing two of them.
func position(it storage.Iterator, ok bool) string {
	if ok != it.Valid() {
		return fmt.Sprintf("returned %v but Valid() = %v", ok, it.Valid())
	}
	if !ok {
		return "invalid"
	}
	return fmt.Sprintf("%q=%q", it.Key(), it.Value())
}
