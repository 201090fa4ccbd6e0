package daemon

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
)

// TestRowCacheAdmission: a full cache refuses a new key the first time
// and admits it the second, while the doorkeeper remembers it; a scan of
// more distinct keys than the doorkeeper holds gets almost nothing in;
// cached keys are always updated; the cache stays within budget and the
// access floor a lower bound for refused keys.
func TestRowCacheAdmission(t *testing.T) {
	rc := newRowCache(64*1024, 1000)
	now := int64(2000)
	for i := 0; ; i++ {
		k := fmt.Sprintf("key%06d", i)
		before := rc.m.len()
		rc.put(k, []byte("v"), now)
		if rc.m.len() == before {
			break // full: the first refusal
		}
	}
	full := rc.m.len()
	check := func() {
		t.Helper()
		if rc.used > rc.budget {
			t.Fatalf("used %d over budget %d", rc.used, rc.budget)
		}
		if rc.m.len() > full {
			t.Fatalf("cache grew from %d to %d entries past its budget", full, rc.m.len())
		}
	}
	// A hot key: refused once, admitted at once when offered again.
	for i := 0; i < 100; i++ {
		now++
		k := fmt.Sprintf("hot%06d", i)
		rc.put(k, []byte("v"), now)
		if _, ok := rc.m.get(k); ok {
			t.Fatalf("%s admitted at its first miss", k)
		}
		if rc.lastAccess([]byte(k)) != now {
			t.Fatalf("refused key's floor %d, want its access time %d", rc.lastAccess([]byte(k)), now)
		}
		rc.put(k, []byte("v"), now)
		if _, ok := rc.m.get(k); !ok {
			t.Fatalf("%s refused at its second miss", k)
		}
		check()
	}
	// A scan: each key offered twice, but only after many others.
	const scan = 20000 // 20 times the doorkeeper's 1024 slots
	admitted := 0
	for round := 0; round < 2; round++ {
		for i := 0; i < scan; i++ {
			k := fmt.Sprintf("scan%06d", i)
			rc.put(k, []byte("v"), now)
			if _, ok := rc.m.get(k); ok && round == 1 {
				admitted++
			}
		}
		check()
	}
	if admitted > scan/100 {
		t.Fatalf("a scan of %d keys got %d admitted at its second pass", scan, admitted)
	}
	// An update of a cached key always applies.
	for r := range rc.m.all() {
		k := r.key()
		rc.put(k, []byte("new"), now)
		if r, _ := rc.m.get(k); string(r.value()) != "new" {
			t.Fatal("update of a cached key was refused")
		}
		break
	}
}

// TestRowCacheRecords: values are copied in, overwritten in place while
// they fit and moved to a new record when they grow, the map's key always
// names its own record, and the budget returns to zero once all is gone.
func TestRowCacheRecords(t *testing.T) {
	rc := newRowCache(1<<20, 0)
	steps := []struct {
		key, val string
	}{
		{"a", "12345"},
		{"a", "123"},       // shrinks: in place
		{"a", "12345"},     // back to the capacity: in place
		{"a", "123456789"}, // grows: a new record
		{"bb", ""},
		{"ccc", "x"},
	}
	want := map[string]string{}
	for _, s := range steps {
		v := []byte(s.val)
		rc.put(s.key, v, 7)
		if len(v) > 0 {
			v[0] = '!' // the cache kept its own copy
		}
		want[s.key] = s.val
		for k, w := range want {
			got, kind, ok := rc.get([]byte(k), false, 0)
			if !ok || kind != rowValue || string(got) != w {
				t.Fatalf("after put %q=%q: get %q = %q, %v; want %q", s.key, s.val, k, got, ok, w)
			}
		}
		n := 0
		for r := range rc.m.all() {
			if got, ok := rc.m.get(r.key()); !ok || got != r {
				t.Fatalf("record of %q not found under its key", r.key())
			}
			n++
		}
		if n != rc.m.len() {
			t.Fatalf("%d records, len %d", n, rc.m.len())
		}
	}
	if rc.lastAccess([]byte("a")) != 7 {
		t.Fatalf("access time %d, want 7", rc.lastAccess([]byte("a")))
	}
	for k := range want {
		rc.del(k)
	}
	if rc.used != 0 || rc.m.len() != 0 {
		t.Fatalf("after deleting everything: used %d, %d entries", rc.used, rc.m.len())
	}
}

// TestRowCacheAbsentKeepsFloor: a lookup of a missing key records no
// access, so evicting its mark leaves the access floor where it was.
func TestRowCacheAbsentKeepsFloor(t *testing.T) {
	rc := newRowCache(1<<20, 1000)
	rc.putAbsent("gone")
	if _, kind, ok := rc.get([]byte("gone"), true, 5000); !ok || kind != rowAbsent {
		t.Fatal("mark not cached")
	}
	rc.del("gone")
	if rc.floor != 1000 {
		t.Fatalf("floor %d after evicting a missing key's mark, want 1000", rc.floor)
	}
}

// TestRowCacheAbsent: a key cached as missing reads as absent until a
// write replaces the mark (put for meta records, update for members, which
// otherwise only touch keys already cached) or a deletion removes it. A
// committed deletion of a meta record (deleted) makes a cached one a mark
// and leaves an uncached one out.
func TestRowCacheAbsent(t *testing.T) {
	rc := newRowCache(1<<20, 0)
	state := func(k string) string {
		v, kind, ok := rc.get([]byte(k), false, 0)
		switch {
		case !ok:
			return "uncached"
		case kind == rowAbsent:
			return "absent"
		default:
			return "=" + string(v)
		}
	}
	steps := []struct {
		op, key, val, want string
	}{
		{"absent", "m", "", "absent"},
		{"put", "m", "meta", "=meta"},
		{"absent", "m", "", "absent"},
		{"update", "m", "again", "=again"},
		{"update", "x", "v", "uncached"}, // update never adds a key
		{"absent", "x", "", "absent"},
		{"update", "x", "", "="}, // an empty member value is a value
		{"absent", "x", "", "absent"},
		{"del", "x", "", "uncached"},
		{"deleted", "x", "", "uncached"},
		{"put", "k", "meta", "=meta"},
		{"deleted", "k", "", "absent"},
		{"put", "k", "again", "=again"},
	}
	for i, s := range steps {
		switch s.op {
		case "absent":
			rc.putAbsent(s.key)
		case "put":
			rc.put(s.key, []byte(s.val), 1)
		case "update":
			rc.update(s.key, []byte(s.val), 1)
		case "del":
			rc.del(s.key)
		case "deleted":
			rc.deleted(s.key)
		}
		if got := state(s.key); got != s.want {
			t.Fatalf("step %d (%s %s %q): %s, want %s", i, s.op, s.key, s.val, got, s.want)
		}
	}
}

// TestRowCacheHeaders: a string's meta record too big to cache is cached
// as its header, which decodes to the same type and expiry with an empty
// value; other big records are not cached at all.
func TestRowCacheHeaders(t *testing.T) {
	big := bytes.Repeat([]byte("v"), rowCacheMaxValue+1)
	str := func(expireAt int64, v []byte) []byte {
		return storage.AppendMeta(nil, &storage.Meta{Type: storage.TypeString, ExpireAt: expireAt, Enc: storage.StrEncRaw, Value: v})
	}
	meta := string(storage.MetaKey(nil, 0, []byte("k")))
	member := string(storage.DataPrefix(nil, 0, []byte("h"), 7)) + "field"
	for _, tc := range []struct {
		name  string
		key   string
		first []byte // put, then update with second (nil: no update)
		then  []byte
		want  rowKind
		wantV []byte // the cached bytes; nil: not cached
	}{
		{"small string", meta, str(0, []byte("v")), nil, rowValue, str(0, []byte("v"))},
		{"big string", meta, str(0, big), nil, rowHeader, str(0, nil)},
		{"big string with expiry", meta, str(1234, big), nil, rowHeader, str(1234, nil)},
		{"small, then big", meta, str(0, []byte("v")), str(99, big), rowHeader, str(99, nil)},
		{"big, then small", meta, str(0, big), str(0, []byte("w")), rowValue, str(0, []byte("w"))},
		{"big member", member, big, nil, 0, nil},
		{"small member, then big", member, []byte("v"), big, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newRowCache(1<<20, 0)
			rc.put(tc.key, tc.first, 1)
			if tc.then != nil {
				rc.update(tc.key, tc.then, 2)
			}
			v, kind, ok := rc.get([]byte(tc.key), false, 0)
			switch {
			case tc.wantV == nil:
				if ok {
					t.Fatalf("cached %q (kind %d), want nothing", v, kind)
				}
			case !ok || kind != tc.want || !bytes.Equal(v, tc.wantV):
				t.Fatalf("get: %q kind %d (%v), want %q kind %d", v, kind, ok, tc.wantV, tc.want)
			}
			if kind == rowHeader {
				var m storage.Meta
				if err := storage.DecodeMeta(v, &m); err != nil || m.Type != storage.TypeString || len(m.Value) != 0 || m.Enc != storage.StrEncRaw {
					t.Fatalf("header decodes to %+v, %v", m, err)
				}
			}
		})
	}
}

// TestRowCacheClock: a full cache evicts entries not looked up since the
// clock's hand last passed before ones that were, so a hot set stays
// while cold entries make room for newcomers.
func TestRowCacheClock(t *testing.T) {
	rc := newRowCache(64*1024, 1000)
	var cold []string
	for i := 0; ; i++ {
		k := fmt.Sprintf("cold%06d", i)
		before := rc.m.len()
		rc.put(k, []byte("v"), 1000)
		if rc.m.len() == before {
			break
		}
		cold = append(cold, k)
	}
	// A hot quarter, looked up between admissions as a workload would.
	hot := cold[:len(cold)/4]
	lookHot := func() {
		for _, k := range hot {
			if _, _, ok := rc.get([]byte(k), false, 0); !ok {
				t.Fatalf("hot key %s was evicted", k)
			}
		}
	}
	lookHot()
	for i := 0; i < len(cold)/2; i++ {
		k := fmt.Sprintf("new%06d", i)
		rc.put(k, []byte("v"), 1000)
		rc.put(k, []byte("v"), 1000) // admitted at the second offer
		if i%64 == 0 {
			lookHot()
		}
	}
	lookHot()
}

// TestRowCacheUpdateAdmitsRemembered: a committed write of a key the full
// cache refused at its lookup (the doorkeeper remembers it) enters the
// cache; a write of a key nobody looked up does not.
func TestRowCacheUpdateAdmitsRemembered(t *testing.T) {
	rc := newRowCache(64*1024, 1000)
	filled := 0
	fill := func() { // until a new key is refused
		for {
			filled++
			k := fmt.Sprintf("key%06d", filled)
			if rc.put(k, []byte("v"), 1000); !rc.has(k) {
				return
			}
		}
	}
	for i := 0; i < 100; i++ {
		fill()
		read, blind := fmt.Sprintf("read%06d", i), fmt.Sprintf("blind%06d", i)
		rc.putAbsent(read) // the lookup: refused
		if _, ok := rc.m.get(read); ok {
			t.Fatalf("%s admitted at its first lookup", read)
		}
		rc.update(read, []byte("written"), 1000)
		if r, ok := rc.m.get(read); !ok || string(r.value()) != "written" || r.kind != rowValue {
			t.Fatalf("write of %s after its lookup: cached %v", read, ok)
		}
		rc.update(blind, []byte("written"), 1000)
		if _, ok := rc.m.get(blind); ok {
			t.Fatalf("blind write of %s entered the cache", blind)
		}
		if rc.used > rc.budget {
			t.Fatalf("used %d over budget %d", rc.used, rc.budget)
		}
	}
}

func (rc *rowCache) has(k string) bool {
	_, ok := rc.m.get(k)
	return ok
}
