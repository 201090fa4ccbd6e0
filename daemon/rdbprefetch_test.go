package daemon

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/redoubtdb/redoubt/storage/rdb"
)

// elemReader is what the loader uses of a reader.
type elemReader interface {
	Next() (rdb.Record, error)
	NextElem() (rdb.Elem, bool, error)
}

// readTrace reads a file the way plan says (for the i-th key, how many
// elements to read before moving on; -1: all) and writes down everything
// the reader returned.
func readTrace(r elemReader, plan func(i int) int) []string {
	var out []string
	for i := 0; ; i++ {
		rec, err := r.Next()
		if err != nil {
			return append(out, "next error: "+err.Error())
		}
		out = append(out, fmt.Sprintf("record kind %v db %d key %q type %v value %q expire %d offset %d",
			rec.Kind, rec.DB, rec.Key, rec.Type, rec.Value, rec.ExpireMs, rec.Offset))
		for n := plan(i); n != 0; n-- {
			e, ok, err := r.NextElem()
			if err != nil {
				return append(out, "elem error: "+err.Error())
			}
			if !ok {
				out = append(out, "elems end")
				break
			}
			out = append(out, fmt.Sprintf("elem %q %q %v", e.Member, e.Value, e.Score))
		}
	}
}

// TestPrefetchReaderMatchesReader checks that reading ahead on another
// goroutine changes nothing the loader sees: records, elements, the
// elements it skips, and errors of damaged files at the same place.
func TestPrefetchReaderMatchesReader(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	ms := randomBulkModel(r, 1_900_000_000_000)
	file := bulkModelFile(t, ms)
	for round := 0; round < 40; round++ {
		data := file
		switch round % 4 {
		case 1: // truncated
			data = file[:r.Intn(len(file))]
		case 2: // a byte changed
			data = bytes.Clone(file)
			data[r.Intn(len(data))] ^= byte(1 + r.Intn(255))
		}
		seed := r.Int63()
		plan := func() func(int) int {
			pr := rand.New(rand.NewSource(seed))
			return func(int) int {
				if pr.Intn(4) == 0 {
					return pr.Intn(5) // stop early: Next skips the rest
				}
				return -1
			}
		}
		want := readTrace(rdb.NewReader(bytes.NewReader(data), rdb.ReaderOptions{VerifyChecksum: true}), plan())
		p := newPrefetchReader(rdb.NewReader(bytes.NewReader(data), rdb.ReaderOptions{VerifyChecksum: true}))
		got := readTrace(p, plan())
		p.close()
		diffLines(t, fmt.Sprintf("round %d (%d bytes)", round, len(data)), want, got)
	}
	// Closed early, the producer stops and the loader gets an error.
	p := newPrefetchReader(rdb.NewReader(bytes.NewReader(file), rdb.ReaderOptions{}))
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	p.close()
	p.close()
}
