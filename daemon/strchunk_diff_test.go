package daemon

import (
	"math/rand"
	"strconv"
	"testing"
)

// TestLongStringsDifferential is TestKeysDifferential for strings long
// enough to be stored in chunks (strchunk.go): values grown in place by
// APPEND, SETRANGE, SETBIT and BITFIELD to tens of kilobytes, some sparse,
// or set whole past strSetChunkAbove,
// read back whole and in ranges, copied, renamed, overwritten and
// combined, on both backends and a real Redis 7.0, every reply compared.
func TestLongStringsDifferential(t *testing.T) {
	d := newDiffRun(t, 1500)
	for i := 0; i < d.n; i++ {
		cmd := lsdiffCommand(d.r)
		d.compare(cmd, ordered, d.both(cmd, ordered), nil)
	}
	// DUMP reads chunks the way SAVE does: its payload must restore to
	// the same value, on Redoubt and on Redis.
	for _, k := range []string{"b1", "b2", "b3", "b4"} {
		v := d.peb.keysDo(t, "DUMP", k)
		if v.Str == nil {
			continue
		}
		get := []string{"GET", k}
		restore := []string{"RESTORE", "dumped", "0", string(v.Str), "REPLACE"}
		want := d.both(get, ordered)
		if got := d.both(restore, ordered); got != "OK" {
			d.fail("RESTORE of the DUMP of %s: %s", k, got)
		}
		if got := d.both([]string{"GET", "dumped"}, ordered); got != want {
			d.fail("%s restored from its DUMP: %.200q, stored: %.200q", k, got, want)
		}
		if d.redis != nil {
			d.redis.do(t, restore, ordered)
			if got := d.redis.do(t, []string{"GET", "dumped"}, ordered); got != want {
				d.fail("%s restored in Redis from Redoubt's DUMP: %.200q, Redoubt's: %.200q", k, got, want)
			}
		}
	}
}

func lsdiffKey(r *rand.Rand) string { return []string{"b1", "b2", "b3", "b4", "h"}[r.Intn(5)] }

// lsdiffOffset draws a byte offset: within a few chunks, near a chunk
// boundary or the size where values become chunked, or far out (a sparse
// string).
func lsdiffOffset(r *rand.Rand) int {
	switch r.Intn(6) {
	case 0:
		return r.Intn(64)
	case 1:
		return []int{strChunkSize, strChunkAbove}[r.Intn(2)] - 8 + r.Intn(16)
	case 2:
		return r.Intn(200_000)
	default:
		return r.Intn(6 * strChunkSize)
	}
}

// lsdiffBytes draws n bytes, zeros among them.
func lsdiffBytes(r *rand.Rand, n int) string {
	b := make([]byte, n)
	zero := r.Intn(3) == 0
	for i := range b {
		if !zero || r.Intn(4) == 0 {
			b[i] = byte(r.Intn(256))
		}
	}
	return string(b)
}

// lsdiffIndex draws a GETRANGE/BITCOUNT/BITPOS index, negative ones
// included.
func lsdiffIndex(r *rand.Rand) string {
	n := lsdiffOffset(r)
	if r.Intn(3) == 0 {
		n = -n - 1
	}
	return strconv.Itoa(n)
}

func lsdiffCommand(r *rand.Rand) []string {
	k := lsdiffKey(r)
	itoa := strconv.Itoa
	switch r.Intn(24) {
	case 0, 1:
		return []string{"APPEND", k, lsdiffBytes(r, 1+r.Intn(3000))}
	case 2, 3:
		return []string{"SETRANGE", k, itoa(lsdiffOffset(r)), lsdiffBytes(r, r.Intn(300))}
	case 4, 5:
		return []string{"SETBIT", k, itoa(8*lsdiffOffset(r) + r.Intn(8)), itoa(r.Intn(2))}
	case 6:
		off := func() string {
			if r.Intn(3) == 0 {
				return "#" + itoa(r.Intn(2000))
			}
			return itoa(8*lsdiffOffset(r) + r.Intn(8))
		}
		typ := func() string { return []string{"u8", "i16", "u63", "i64", "u1", "i5"}[r.Intn(6)] }
		cmd := []string{"BITFIELD", k}
		for j := r.Intn(4); j >= 0; j-- {
			switch r.Intn(4) {
			case 0:
				cmd = append(cmd, "GET", typ(), off())
			case 1:
				cmd = append(cmd, "SET", typ(), off(), itoa(r.Intn(1000)-500))
			case 2:
				cmd = append(cmd, "INCRBY", typ(), off(), itoa(r.Intn(1000)-500))
			default:
				cmd = append(cmd, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[r.Intn(3)])
			}
		}
		return cmd
	case 7:
		return []string{"BITFIELD_RO", k, "GET", "u32", itoa(8*lsdiffOffset(r) + r.Intn(8)), "GET", "i8", "#" + itoa(r.Intn(5000))}
	case 8, 9:
		return []string{"GETRANGE", k, lsdiffIndex(r), lsdiffIndex(r)}
	case 10:
		return []string{"GETBIT", k, itoa(8*lsdiffOffset(r) + r.Intn(8))}
	case 11:
		switch r.Intn(3) {
		case 0:
			return []string{"BITCOUNT", k}
		case 1:
			return []string{"BITCOUNT", k, lsdiffIndex(r), lsdiffIndex(r)}
		default:
			return []string{"BITCOUNT", k, lsdiffIndex(r), lsdiffIndex(r), "BIT"}
		}
	case 12:
		bit := itoa(r.Intn(2))
		switch r.Intn(4) {
		case 0:
			return []string{"BITPOS", k, bit}
		case 1:
			return []string{"BITPOS", k, bit, lsdiffIndex(r)}
		case 2:
			return []string{"BITPOS", k, bit, lsdiffIndex(r), lsdiffIndex(r)}
		default:
			return []string{"BITPOS", k, bit, lsdiffIndex(r), lsdiffIndex(r), "BIT"}
		}
	case 13:
		return []string{"STRLEN", k}
	case 14:
		return []string{"GET", k}
	case 15:
		return []string{"OBJECT", "ENCODING", k}
	case 16:
		switch r.Intn(5) {
		case 0:
			return []string{"SET", k, lsdiffBytes(r, r.Intn(50))}
		case 4: // chunked when stored whole too
			return []string{"SET", k, lsdiffBytes(r, strSetChunkAbove-100+r.Intn(2000))}
		case 1:
			return []string{"GETSET", k, lsdiffBytes(r, r.Intn(5000))}
		case 2:
			return []string{"SET", k, "1", "GET"}
		default:
			return []string{"GETDEL", k}
		}
	case 17:
		return []string{"DEL", k}
	case 18:
		if r.Intn(2) == 0 {
			return []string{"COPY", k, lsdiffKey(r), "REPLACE"}
		}
		return []string{"RENAME", k, lsdiffKey(r)}
	case 19:
		return []string{"BITOP", []string{"AND", "OR", "XOR", "NOT"}[r.Intn(4)], lsdiffKey(r), k, lsdiffKey(r)}
	case 20:
		return []string{"MGET", k, lsdiffKey(r), "nokey"}
	case 21:
		if r.Intn(2) == 0 {
			return []string{"INCR", k}
		}
		return []string{"INCRBYFLOAT", k, "1.5"}
	case 22:
		if r.Intn(2) == 0 {
			return []string{"EXPIRE", k, "100000"}
		}
		return []string{"TTL", k}
	default:
		return []string{"HSET", "h", "f", "v"}
	}
}
