package pebble

import (
	"testing"

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
