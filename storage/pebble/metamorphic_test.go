package pebble

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/redoubtdb/redoubt/storage/memory"
	"github.com/redoubtdb/redoubt/storage/storagetest"
)

func TestMetamorphic(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4} {
		mem, peb := memory.New(), openMem(t)
		storagetest.Metamorphic(t, mem, peb, seed, 3000)
		mem.Close()
		if err := peb.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMetamorphicValueSeparation: the same with every value of 2 bytes or
// more kept in blob files once flushed.
func TestMetamorphicValueSeparation(t *testing.T) {
	for _, seed := range []int64{5, 6} {
		opts := testOptions(vfs.NewMem())
		opts.ValueSeparationMinSize = 2
		peb, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		mem := memory.New()
		storagetest.Metamorphic(t, mem, peb, seed, 3000)
		mem.Close()
		if err := peb.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
