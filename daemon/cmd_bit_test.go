package daemon

import (
	"math"
	"math/rand"
	"strconv"
	"testing"
)

func TestBitPos(t *testing.T) {
	tests := []struct {
		p    string
		bit  int64
		want int64
	}{
		{"", 1, -1},
		{"", 0, 0},
		{"\x00\x00", 1, -1},
		{"\x00\x01", 1, 15},
		{"\x00\x80", 1, 8},
		{"\xff\xff", 0, 16},
		{"\xff\xfe", 0, 15},
		{"\x7f", 0, 0},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xef", 0, 75},
	}
	for _, tt := range tests {
		if got := bitPos([]byte(tt.p), tt.bit); got != tt.want {
			t.Errorf("bitPos(%q, %d) = %d, want %d", tt.p, tt.bit, got, tt.want)
		}
	}
}

func TestPopcount(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 40; n++ {
		b := make([]byte, n)
		r.Read(b)
		want := int64(0)
		for _, c := range b {
			for ; c != 0; c &= c - 1 {
				want++
			}
		}
		if got := popcount(b); got != want {
			t.Errorf("popcount(%x) = %d, want %d", b, got, want)
		}
	}
}

func TestBitfieldType(t *testing.T) {
	tests := []struct {
		arg    string
		signed bool
		width  uint
		ok     bool
	}{
		{"i1", true, 1, true},
		{"i64", true, 64, true},
		{"u63", false, 63, true},
		{"u64", false, 0, false},
		{"i65", false, 0, false},
		{"u0", false, 0, false},
		{"U8", false, 0, false},
		{"i08", false, 0, false},
		{"i", false, 0, false},
		{"", false, 0, false},
		{"u-1", false, 0, false},
	}
	for _, tt := range tests {
		signed, width, ok := bitfieldType([]byte(tt.arg))
		if ok != tt.ok || (ok && (signed != tt.signed || width != tt.width)) {
			t.Errorf("bitfieldType(%q) = %v %d %v", tt.arg, signed, width, ok)
		}
	}
}

func TestBitfieldGetSet(t *testing.T) {
	p := make([]byte, 3)
	setUnsignedBitfield(p, 7, 5, 23) // Redis's own example: 00000001|01110000
	if p[0] != 0x01 || p[1] != 0x70 || p[2] != 0 {
		t.Fatalf("set u5 at 7: %08b", p)
	}
	if got := getUnsignedBitfield(p, 7, 5); got != 23 {
		t.Errorf("get u5 at 7 = %d", got)
	}
	if got := getSignedBitfield(p, 7, 5); got != -9 {
		t.Errorf("get i5 at 7 = %d", got)
	}
	// Reads past the end see zeros.
	if got := getUnsignedBitfield([]byte{0xff}, 4, 8); got != 0xf0 {
		t.Errorf("read past the end = %#x", got)
	}
	q := make([]byte, 9)
	setUnsignedBitfield(q, 3, 64, math.MaxUint64)
	if got := getSignedBitfield(q, 3, 64); got != -1 {
		t.Errorf("i64 round trip = %d", got)
	}
	if q[0] != 0x1f || q[8] != 0xe0 {
		t.Errorf("i64 at 3: %x", q)
	}
}

func TestBitfieldOverflow(t *testing.T) {
	type result struct {
		limit int64
		dir   int
	}
	unsigned := []struct {
		value    uint64
		incr     int64
		width    uint
		overflow int
		want     result
	}{
		{200, 55, 8, bfWrap, result{0, 0}},
		{200, 56, 8, bfWrap, result{0, 1}},
		{200, 100, 8, bfWrap, result{44, 1}},
		{200, 100, 8, bfSat, result{255, 1}},
		{200, 100, 8, bfFail, result{0, 1}},
		{10, -11, 8, bfWrap, result{255, -1}},
		{10, -11, 8, bfSat, result{0, -1}},
		{0, 0, 8, bfSat, result{0, 0}},
		{256, 0, 8, bfWrap, result{0, 1}},
		{math.MaxUint64, 0, 8, bfSat, result{255, 1}},
		{0, math.MinInt64, 63, bfSat, result{0, -1}},
		{1<<63 - 1, 1, 63, bfWrap, result{0, 1}},
	}
	for _, tt := range unsigned {
		limit, dir := checkUnsignedBitfieldOverflow(tt.value, tt.incr, tt.width, tt.overflow)
		if got := (result{int64(limit), dir}); got != tt.want && !(tt.want.dir == dir && tt.overflow == bfFail) {
			t.Errorf("unsigned(%d %+d u%d ow%d) = %+v, want %+v", tt.value, tt.incr, tt.width, tt.overflow, got, tt.want)
		}
	}
	signed := []struct {
		value, incr int64
		width       uint
		overflow    int
		want        result
	}{
		{127, 0, 8, bfWrap, result{0, 0}},
		{127, 1, 8, bfWrap, result{-128, 1}},
		{127, 1, 8, bfSat, result{127, 1}},
		{-128, -1, 8, bfWrap, result{127, -1}},
		{-128, -1, 8, bfSat, result{-128, -1}},
		{200, 0, 8, bfWrap, result{-56, 1}},
		{-200, 0, 8, bfSat, result{-128, -1}},
		{math.MaxInt64, 1, 64, bfWrap, result{math.MinInt64, 1}},
		{math.MaxInt64, 1, 64, bfSat, result{math.MaxInt64, 1}},
		{math.MinInt64, -1, 64, bfSat, result{math.MinInt64, -1}},
		{math.MinInt64, math.MaxInt64, 64, bfSat, result{0, 0}},
		{-1, math.MinInt64, 64, bfSat, result{math.MinInt64, -1}},
		{0, math.MinInt64, 64, bfSat, result{0, 0}},
		{5, math.MinInt64, 8, bfSat, result{-128, -1}},
		{5, math.MaxInt64, 8, bfWrap, result{4, 1}},
	}
	for _, tt := range signed {
		limit, dir := checkSignedBitfieldOverflow(tt.value, tt.incr, tt.width, tt.overflow)
		if got := (result{limit, dir}); got != tt.want {
			t.Errorf("signed(%d %+d i%d ow%d) = %+v, want %+v", tt.value, tt.incr, tt.width, tt.overflow, got, tt.want)
		}
	}
}

func TestBitRangeMasks(t *testing.T) {
	tests := []struct {
		start, end        int64
		bStart, bEnd      int64
		firstNeg, lastNeg byte
	}{
		{0, 7, 0, 0, 0x00, 0x00},
		{1, 6, 0, 0, 0x80, 0x01},
		{5, 30, 0, 3, 0xf8, 0x01},
		{8, 23, 1, 2, 0x00, 0x00},
		{15, 16, 1, 2, 0xfe, 0x7f},
	}
	for _, tt := range tests {
		bs, be, f, l := bitRangeMasks(tt.start, tt.end)
		if bs != tt.bStart || be != tt.bEnd || f != tt.firstNeg || l != tt.lastNeg {
			t.Errorf("bitRangeMasks(%d, %d) = %d %d %#x %#x", tt.start, tt.end, bs, be, f, l)
		}
	}
}

// TestBitDifferential compares random bit commands with a real Redis (see
// strDiff).
func TestBitDifferential(t *testing.T) {
	types := func(r *rand.Rand) string {
		if r.Intn(2) == 0 {
			return "i" + strconv.Itoa(1+r.Intn(64))
		}
		return "u" + strconv.Itoa(1+r.Intn(63))
	}
	offset := func(r *rand.Rand) string {
		if r.Intn(4) == 0 {
			return "#" + strconv.Itoa(r.Intn(4))
		}
		return strconv.Itoa(r.Intn(80))
	}
	unit := func(r *rand.Rand, cmd []string) []string {
		switch r.Intn(3) {
		case 0:
			return append(cmd, "BIT")
		case 1:
			return append(cmd, "BYTE")
		}
		return cmd
	}
	strDiff(t, 30000, func(r *rand.Rand) []string {
		k := strDiffKey(r)
		switch r.Intn(12) {
		case 0, 1:
			return []string{"SET", k, strDiffValue(r, 12)}
		case 2:
			return []string{"SETBIT", k, strconv.Itoa(r.Intn(100)), strconv.Itoa(r.Intn(2))}
		case 3:
			return []string{"GETBIT", k, strconv.Itoa(r.Intn(100))}
		case 4:
			cmd := []string{"BITCOUNT", k}
			if r.Intn(5) > 0 {
				cmd = append(cmd, strDiffInt(r, 40), strDiffInt(r, 40))
				cmd = unit(r, cmd)
			}
			return cmd
		case 5, 6:
			cmd := []string{"BITPOS", k, strconv.Itoa(r.Intn(2))}
			switch r.Intn(4) {
			case 1:
				cmd = append(cmd, strDiffInt(r, 40))
			case 2:
				cmd = append(cmd, strDiffInt(r, 40), strDiffInt(r, 40))
			case 3:
				cmd = unit(r, append(cmd, strDiffInt(r, 100), strDiffInt(r, 100)))
			}
			return cmd
		case 7:
			ops := []string{"AND", "OR", "XOR", "NOT"}
			op := ops[r.Intn(4)]
			cmd := []string{"BITOP", op, strDiffKey(r), k}
			if op != "NOT" {
				for n := r.Intn(3); n > 0; n-- {
					cmd = append(cmd, strDiffKey(r))
				}
			}
			return cmd
		case 8, 9, 10:
			cmd := []string{"BITFIELD", k}
			if r.Intn(4) == 0 {
				cmd[0] = "BITFIELD_RO"
			}
			for n := 1 + r.Intn(4); n > 0; n-- {
				switch r.Intn(5) {
				case 0:
					cmd = append(cmd, "GET", types(r), offset(r))
				case 1:
					cmd = append(cmd, "SET", types(r), offset(r), strDiffInt(r, 300))
				case 2, 3:
					cmd = append(cmd, "INCRBY", types(r), offset(r), strDiffInt(r, 300))
				default:
					cmd = append(cmd, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[r.Intn(3)])
				}
			}
			return cmd
		default:
			return []string{"GET", k}
		}
	})
}
