package daemon

import (
	"fmt"
	"testing"
)

// TestRowCacheAdmission: a full cache admits one new key in
// rowCacheAdmitEvery, updates cached keys always, stays within budget, and
// keeps the access floor a lower bound for refused keys.
func TestRowCacheAdmission(t *testing.T) {
	rc := newRowCache(64*1024, 1000)
	now := int64(2000)
	for i := 0; ; i++ {
		k := fmt.Sprintf("key%06d", i)
		before := len(rc.m)
		rc.put(k, []byte("v"), now)
		if len(rc.m) == before {
			break // full: the first refusal
		}
	}
	full := len(rc.m)
	admitted := 0
	for i := 0; i < 800; i++ {
		now++
		k := fmt.Sprintf("new%06d", i)
		rc.put(k, []byte("v"), now)
		if _, ok := rc.m[k]; ok {
			admitted++
		} else if rc.lastAccess([]byte(k)) != now {
			t.Fatalf("refused key's floor %d, want its access time %d", rc.lastAccess([]byte(k)), now)
		}
		if rc.used > rc.budget {
			t.Fatalf("used %d over budget %d", rc.used, rc.budget)
		}
	}
	if admitted < 800/rowCacheAdmitEvery-2 || admitted > 800/rowCacheAdmitEvery+2 {
		t.Fatalf("admitted %d of 800 new keys, want about %d", admitted, 800/rowCacheAdmitEvery)
	}
	if len(rc.m) > full {
		t.Fatalf("cache grew from %d to %d entries past its budget", full, len(rc.m))
	}
	// An update of a cached key always applies.
	for k := range rc.m {
		rc.put(k, []byte("new"), now)
		if string(rc.m[k].v) != "new" {
			t.Fatal("update of a cached key was refused")
		}
		break
	}
}
