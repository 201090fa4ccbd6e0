package daemon

import (
	"math/rand"
	"strconv"
	"testing"
)

// TestHLLDifferential is TestKeysDifferential for the HyperLogLog
// commands: random PFADD, PFCOUNT, PFMERGE and PFDEBUG on a few keys,
// with small and large element sets (and a varying hll-sparse-max-bytes)
// so both encodings and the promotion between them occur, GETs that
// compare the representations byte for byte, wrong-type keys, and values
// corrupted with SET and SETRANGE. Run on both backends and on a real
// Redis 7.0 when one is installed, every reply compared.
func TestHLLDifferential(t *testing.T) {
	d := newDiffRun(t, 8000)
	for i := 0; i < d.n; i++ {
		cmd := hdiffCommand(d.r)
		d.compare(cmd, ordered, d.both(cmd, ordered), func(want, got string) bool { return kdiffSameTime(cmd[0], want, got) })
	}
}

// hdiffKey draws a key: mostly HLLs, sometimes a string or a list.
func hdiffKey(r *rand.Rand) string {
	return []string{"h1", "h1", "h2", "h2", "h3", "h4", "s", "l"}[r.Intn(8)]
}

// hdiffElements draws n elements from a pool that decides how often
// they repeat.
func hdiffElements(r *rand.Rand, n, pool int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "e" + strconv.Itoa(r.Intn(pool))
	}
	return out
}

func hdiffCommand(r *rand.Rand) []string {
	k, k2 := hdiffKey(r), hdiffKey(r)
	switch r.Intn(40) {
	case 0, 1, 2, 3, 4, 5, 6, 7:
		return append([]string{"PFADD", k}, hdiffElements(r, r.Intn(6), 100+r.Intn(5000))...)
	case 8, 9:
		// Large sets: promotion to dense and dense adds.
		return append([]string{"PFADD", k}, hdiffElements(r, 100+r.Intn(1500), 1<<20)...)
	case 10:
		return []string{"PFADD", k, "", "\x00\xff", string([]byte{byte(r.Intn(256))})}
	case 11, 12, 13, 14:
		return []string{"PFCOUNT", k}
	case 15, 16:
		cmd := []string{"PFCOUNT", k, k2}
		if r.Intn(2) == 0 {
			cmd = append(cmd, hdiffKey(r))
		}
		return cmd
	case 17, 18, 19:
		cmd := []string{"PFMERGE", k}
		for j := r.Intn(4); j > 0; j-- {
			cmd = append(cmd, hdiffKey(r))
		}
		return cmd
	case 20, 21, 22, 23, 24:
		return []string{"GET", k}
	case 25:
		return []string{"PFDEBUG", []string{"ENCODING", "DECODE", "TODENSE", "encoding", "bogus"}[r.Intn(5)], k}
	case 26:
		// Not GETREG: the harness's reader is quadratic in a reply's
		// lines, too slow for 16384 of them (TestHLLCommands has it).
		return []string{"PFDEBUG", "DECODE", k}
	case 27:
		// Corrupt the header: magic, unused bytes or cached cardinality.
		// Not the encoding, nor the opcodes: a sparse value cut inside a
		// two-byte XZERO makes Redis read and write past its end, which
		// depends on the allocator's leftovers (hllSparseOpcodes keeps
		// every opcode whole).
		off := []int{0, 3, 5, 7, 8, 9, 12, 15, 15}[r.Intn(9)]
		return []string{"SETRANGE", k, strconv.Itoa(off), string([]byte{byte(r.Intn(256))})}
	case 28:
		// A header and whole opcodes, covering all registers or not.
		v := []byte("HYLL")
		v = append(v, byte(r.Intn(3)), 0, 0, 0)
		for j := 0; j < 8; j++ {
			v = append(v, byte(r.Intn(256)))
		}
		if r.Intn(2) == 0 {
			v[15] &^= 0x80
		}
		return []string{"SET", k, string(hdiffSparseOpcodes(r, v))}
	case 29:
		return []string{"SET", k, []string{"HYLL", "HYL", "hyll\x01", "x", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}[r.Intn(5)]}
	case 30:
		return []string{"RPUSH", "l", "x"}
	case 31:
		return []string{"DEL", k}
	case 32:
		return []string{"OBJECT", "ENCODING", k}
	case 33:
		return []string{"EXPIRE", k, "100000"}
	case 34:
		return []string{"TTL", k}
	case 35:
		return []string{"CONFIG", "SET", "hll-sparse-max-bytes", []string{"3000", "300", "100", "0", "5000"}[r.Intn(5)]}
	case 36:
		return []string{"COPY", k, k2, "REPLACE"}
	case 37:
		return []string{"APPEND", k, "\x00"}
	case 38:
		return []string{"STRLEN", k}
	}
	return []string{"PFADD", k}
}

// hdiffSparseOpcodes appends random whole sparse opcodes to v, covering
// 16384 registers most of the time, a few more or fewer otherwise.
func hdiffSparseOpcodes(r *rand.Rand, v []byte) []byte {
	want := 16384
	switch r.Intn(4) {
	case 0:
		want += r.Intn(5) - 2
	case 1:
		want = r.Intn(40)
	}
	for covered := 0; covered < want; {
		left := want - covered
		switch n := 1 + r.Intn(min(left, 200)); {
		case r.Intn(3) == 0:
			n = min(n, 4)
			v = append(v, byte(0x80|r.Intn(32)<<2|(n-1)))
			covered += n
		case n <= 64 && r.Intn(2) == 0:
			v = append(v, byte(n-1))
			covered += n
		default:
			n = 1 + r.Intn(min(left, 16384))
			v = append(v, byte(0x40|(n-1)>>8), byte(n-1))
			covered += n
		}
	}
	return v
}
