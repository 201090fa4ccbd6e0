package storagetest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/memory"
)

// lossyStore drops every Delete of one key: the metamorphic test must notice.
type lossyStore struct{ *memory.Store }

type lossyBatch struct{ storage.Batch }

func (s lossyStore) NewBatch() storage.Batch { return lossyBatch{s.Store.NewBatch()} }

func (s lossyStore) Commit(b storage.Batch, sync bool) error {
	return s.Store.Commit(b.(lossyBatch).Batch, sync)
}

func (b lossyBatch) Delete(key []byte) error {
	if string(key) == "a" {
		return nil
	}
	return b.Batch.Delete(key)
}

func TestMetamorphicCatchesDifferences(t *testing.T) {
	a, b := memory.New(), lossyStore{memory.New()}
	defer a.Close()
	defer b.Close()
	_, err := metamorphic(a, b, 1, 20000)
	if err == nil {
		t.Fatal("metamorphic run found no difference with a store that drops deletes")
	}
	if !strings.Contains(err.Error(), "last operations") {
		t.Fatalf("error lacks the operation history: %v", err)
	}
}

func TestMetamorphicSelf(t *testing.T) {
	a, b := memory.New(), memory.New()
	defer a.Close()
	defer b.Close()
	Metamorphic(t, a, b, 7, 3000)
}

// TestMetamorphicCoverage guards against a generator that drifts into
// exercising nothing: a run of the size the backends use must reach the
// interesting cases many times.
func TestMetamorphicCoverage(t *testing.T) {
	a, b := memory.New(), memory.New()
	defer a.Close()
	defer b.Close()
	m, err := metamorphic(a, b, 3, 3000)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	kinds := map[string]*regexp.Regexp{
		"batch iter": regexp.MustCompile(`^i\d+ \(b\d+\): `),
		"snap iter":  regexp.MustCompile(`^i\d+ \(s\d+\): `),
		"store iter": regexp.MustCompile(`^i\d+ \(store\): `),
		"delrange":   regexp.MustCompile(`^b\d+: delrange `),
		"commit":     regexp.MustCompile(`^b\d+: commit `),
		"reset":      regexp.MustCompile(`^b\d+: reset`),
		"sync":       regexp.MustCompile(`^sync$`),
		"found get":  regexp.MustCompile(`: get .* true <nil>$`),
	}
	for _, h := range m.history {
		for kind, re := range kinds {
			if re.MatchString(h) {
				counts[kind]++
				// Valid iterator positions, not just attempts.
				if strings.HasSuffix(kind, " iter") && !strings.HasSuffix(h, "-> invalid") {
					counts["valid "+kind]++
				}
			}
		}
	}
	t.Logf("coverage: %v", counts)
	for probe, min := range map[string]int{
		"batch iter": 50, "snap iter": 20, "store iter": 50, "delrange": 50, "commit": 100, "reset": 50, "sync": 10,
		"valid batch iter": 30, "valid snap iter": 10, "valid store iter": 30, "found get": 50,
	} {
		if counts[probe] < min {
			t.Errorf("%q happened %d times; want at least %d (all: %v)", probe, counts[probe], min, counts)
		}
	}
}
