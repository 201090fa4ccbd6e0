package daemon

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// TestSlowlogModel runs random adds, length changes and resets against a
// model that keeps the log newest first, as Redis's list does, and checks
// the order, the ids and the length after every step.
func TestSlowlogModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var l slowlog
	l.init()
	var model []int64 // ids, newest first
	maxLen := int64(5)
	c := &Client{addr: "127.0.0.1:1"}
	for step := 0; step < 20000; step++ {
		switch r := rng.IntN(100); {
		case r < 3:
			l.reset()
			model = nil
		case r < 8:
			maxLen = int64(rng.IntN(12)) - 1 // -1 counts as 0
			l.trim(maxLen)
		default:
			threshold := int64(rng.IntN(3)) - 1 // -1 disables the log
			elapsed := time.Duration(rng.IntN(3)) * time.Microsecond
			id := l.nextID
			l.add(c, [][]byte{[]byte("cmd"), []byte(strconv.Itoa(step))}, elapsed, threshold, maxLen)
			if threshold >= 0 && elapsed.Microseconds() >= threshold {
				model = append([]int64{id}, model...)
			}
		}
		if n := max(maxLen, 0); int64(len(model)) > n {
			model = model[:n]
		}
		if l.len() != len(model) {
			t.Fatalf("step %d: len %d, model %d", step, l.len(), len(model))
		}
		for i, id := range model {
			if e := l.newest(i); e.id != id {
				t.Fatalf("step %d: entry %d has id %d, model %d", step, i, e.id, id)
			}
		}
	}
}

// BenchmarkSlowlogAdd: one entry per command, as with
// slowlog-log-slower-than 0, at Redis's default slowlog-max-len.
func BenchmarkSlowlogAdd(b *testing.B) {
	var l slowlog
	c := &Client{addr: "127.0.0.1:1"}
	argv := [][]byte{[]byte("SET"), []byte("key:000000012345"), []byte("xxx")}
	for b.Loop() {
		l.add(c, argv, time.Microsecond, 0, 128)
	}
}
