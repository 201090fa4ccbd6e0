package daemon

import (
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Expected values in these tests come from redis-server 7.0.15.

func TestGeoEncodeScore(t *testing.T) {
	for _, tc := range []struct {
		lon, lat float64
		score    uint64
	}{
		{13.361389, 38.115556, 3479099956230698},
		{15.087269, 37.502669, 3479447370796909},
		{-74.0131604, 40.7126674, 1791873972053020},
		{-73.9903085, 40.7362513, 1791875485187452},
		{-73.9733487, 40.7648057, 1791875761332224},
		{-73.9564142, 40.7480973, 1791875796750882},
		{-73.9454966, 40.747533, 1791875804419201},
		{-73.9375699, 40.7498929, 1791875830079666},
		{-73.7858139, 40.6428986, 1791895905559723},
		{-180, -85.05112878, 0},
		// The upper limits overflow into bits 52 and 53, as in Redis.
		{180, 85.05112878, 13510798882111488},
	} {
		if got := geoEncodeScore(tc.lon, tc.lat); got != tc.score {
			t.Errorf("encode(%v, %v) = %d, want %d", tc.lon, tc.lat, got, tc.score)
		}
	}
}

// TestGeoDecodeScore pins GEOPOS and GEOHASH of scores, geohashes and
// scores no GEOADD makes (every double decodes somewhere).
func TestGeoDecodeScore(t *testing.T) {
	const (
		minLon = "-179.99999731779098511"
		minLat = "-85.05112751263942528"
		maxLat = "85.0511287799999991"
	)
	for _, tc := range []struct {
		score          float64
		lon, lat, hash string
	}{
		{3479099956230698, "13.36138933897018433", "38.11555639549629859", "sqc8b49rny0"},
		{-5.7, "180", maxLat, "bp05b5048p0"},
		{1e30, minLon, minLat, "00bh0hbj200"},
		// Longitude 180 re-encodes into a bit GEOHASH does not print.
		{-1e30, "180", minLat, "00bh0hbj200"},
		{math.Inf(1), minLon, minLat, "00bh0hbj200"},
		{math.Inf(-1), "180", minLat, "00bh0hbj200"},
		{1.5, minLon, "-85.05112497791824921", "00bh0hbj210"},
		{1 << 52, minLon, maxLat, "bp05b5048p0"},
		{1 << 64, minLon, minLat, "00bh0hbj200"},
		{1 << 63, "180", minLat, "00bh0hbj200"},
	} {
		lon, lat := geoDecodeScore(tc.score)
		gotLon, gotLat := string(geoAppendCoord(nil, lon)), string(geoAppendCoord(nil, lat))
		if gotLon != tc.lon || gotLat != tc.lat {
			t.Errorf("decode(%v) = %s, %s; want %s, %s", tc.score, gotLon, gotLat, tc.lon, tc.lat)
		}
		if got := string(geoHashString(tc.score)); got != tc.hash {
			t.Errorf("geohash(%v) = %s, want %s", tc.score, got, tc.hash)
		}
	}
	// Wikipedia's example, as geo.tcl checks it.
	if got := string(geoHashString(float64(geoEncodeScore(-5.6, 42.6)))); got != "ezs42e44yx0" {
		t.Errorf("geohash(-5.6, 42.6) = %s", got)
	}
}

func TestGeoAppendDistance(t *testing.T) {
	for _, tc := range []struct {
		d    float64
		want string
	}{
		// Redis's own test_fixedpoint_d2string cases.
		{0, "0.0000"},
		{0.0001, "0.0001"},
		{6.0642951598391699e-05, "0.0001"},
		{0.01, "0.0100"},
		{-0.01, "-0.0100"},
		{math.Copysign(0, -1), "0.0000"},
		{1e-9, "0.0000"},
		{-1e-9, "0.0000"},
		{0.77501, "0.7750"},
		{166274.15156960033, "166274.1516"},
		{2.00005, "2.0000"}, // 20000.5 exactly: ties to even
		{0.00005, "0.0000"}, // 0.5: ties to even
		{0.00015, "0.0001"}, // 1.4999999999999998
		{math.NaN(), "-922337203685477.5808"},
		{1e300, "-922337203685477.5808"},
	} {
		if got := string(geoAppendDistance(nil, tc.d)); got != tc.want {
			t.Errorf("distance %v = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestGeoAppendCoord(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{-1e-20, "0"},
		{180, "180"},
		{-73.9454966, "-73.94549659999999847"},
		{0.5, "0.5"},
		{1e-17, "0.00000000000000001"},
		{math.Inf(-1), "-inf"},
	} {
		if got := string(geoAppendCoord(nil, tc.f)); got != tc.want {
			t.Errorf("coord %v = %q, want %q", tc.f, got, tc.want)
		}
	}
	if got := cFormatF6(math.Inf(1)) + "," + cFormatF6(-0.0000004); got != "inf,-0.000000" {
		t.Errorf("%%f: %s", got)
	}
}

// TestGeoDistance checks the haversine against Redis's GEODIST replies
// (Sicily, from Redis's documentation and geo.tcl).
func TestGeoDistance(t *testing.T) {
	palermo, catania := 3479099956230698.0, 3479447370796909.0
	lon1, lat1 := geoDecodeScore(palermo)
	lon2, lat2 := geoDecodeScore(catania)
	d := geoDistance(lon1, lat1, lon2, lat2)
	for _, tc := range []struct {
		unit float64
		want string
	}{{1, "166274.1516"}, {1000, "166.2742"}, {1609.34, "103.3182"}, {0.3048, "545518.8700"}} {
		if got := string(geoAppendDistance(nil, d/tc.unit)); got != tc.want {
			t.Errorf("distance/%v = %s, want %s", tc.unit, got, tc.want)
		}
	}
	if d := geoDistance(lon1, lat1, lon1, lat1); d != 0 {
		t.Errorf("distance to itself %v", d)
	}
	if got := geoDegToRad; math.Float64bits(got) != 0x3f91df46a2529d39 {
		t.Errorf("D_R = %x", math.Float64bits(got))
	}
}

func TestGeoEstimateSteps(t *testing.T) {
	for _, tc := range []struct {
		meters, lat float64
		want        uint8
	}{
		{0, 0, 26}, {1000, 0, 14}, {1000, 70, 13}, {1000, -85, 12},
		{1, 0, 24}, {1e-300, 0, 26}, {5e6, 0, 2}, {5e7, 0, 1}, {math.Inf(1), 0, 1},
	} {
		if got := geoEstimateSteps(tc.meters, tc.lat); got != tc.want {
			t.Errorf("steps(%v m, lat %v) = %d, want %d", tc.meters, tc.lat, got, tc.want)
		}
	}
}

func TestGeoNeighbors(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 1000; i++ {
		step := uint8(1 + r.Intn(26))
		h := geoHashBits{bits: r.Uint64() & (1<<(2*uint(step)) - 1), step: step}
		n := geohashNeighbors(h)
		back := n.east
		geoMoveX(&back, -1)
		if back != h {
			t.Fatalf("%v: east then west = %v", h, back)
		}
		back = n.southWest
		geoMoveX(&back, 1)
		geoMoveY(&back, 1)
		if back != h {
			t.Fatalf("%v: south-west then north-east = %v", h, back)
		}
		// A move changes only its own coordinate (latitude in the even
		// bits).
		if (n.north.bits^h.bits)&0xaaaaaaaaaaaaaaaa != 0 || (n.east.bits^h.bits)&0x5555555555555555 != 0 {
			t.Fatalf("%v: north %v east %v", h, n.north, n.east)
		}
	}
	// Decoded cells tile the world: the east neighbour starts where the
	// cell ends.
	h, _ := geohashEncode(geoLonRange, geoLatRange, 13.36, 38.11, 10)
	a, _ := geohashDecode(geoLonRange, geoLatRange, h)
	e, _ := geohashDecode(geoLonRange, geoLatRange, geohashNeighbors(h).east)
	if a.lon.max != e.lon.min || a.lat != e.lat {
		t.Fatalf("cell %+v, east %+v", a, e)
	}
}

// TestGeoSorts checks the two sorts against Go's: the merge sort is
// stable (equal distances keep their order), the partial sort puts the
// right distances in the wanted ranks.
func TestGeoSorts(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 2000; i++ {
		n := r.Intn(120)
		pts := make([]geoPoint, n)
		for j := range pts {
			pts[j] = geoPoint{dist: float64(r.Intn(1 + n/3)), start: j}
		}
		cmp, desc := geoCmpAsc, r.Intn(2) == 0
		if desc {
			cmp = geoCmpDesc
		}
		want := append([]geoPoint(nil), pts...)
		sort.SliceStable(want, func(a, b int) bool { return cmp(&want[a], &want[b]) < 0 })
		got := append([]geoPoint(nil), pts...)
		geoSortAll(got, cmp)
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("msort %d: %v, want %v", j, got[j], want[j])
			}
		}
		if n == 0 {
			continue
		}
		k := 1 + r.Intn(n)
		got = append(got[:0], pts...)
		geoPartialSort(got, cmp, 0, k-1)
		for j := 0; j < k; j++ {
			if got[j].dist != want[j].dist {
				t.Fatalf("pqsort n=%d k=%d rank %d: %v, want %v", n, k, j, got[j].dist, want[j].dist)
			}
		}
	}
}

// TestGeoPartialSortOrder pins pqsort's order among equal distances: a
// run of COUNT over ties returns Redis's members.
func TestGeoPartialSortOrder(t *testing.T) {
	dists := []float64{5, 1, 1, 3, 1, 2, 2, 1, 5, 3, 1, 2}
	pts := make([]geoPoint, len(dists))
	for i, d := range dists {
		pts[i] = geoPoint{dist: d, start: i}
	}
	geoPartialSort(pts, geoCmpAsc, 0, 4)
	var got []string
	for _, p := range pts[:5] {
		got = append(got, strconv.Itoa(p.start))
	}
	// Bentley-McIlroy: pivot med3(0, 6, 11) = index 11 (2), equal keys
	// gathered at the ends and swapped to the middle.
	if s := strings.Join(got, " "); s != geoPqsortReference(dists, 5) {
		t.Fatalf("pqsort order %s, want %s", s, geoPqsortReference(dists, 5))
	}
}

// geoPqsortReference is a second, literal transcription of pqsort.c over
// byte offsets (es = 1), to check the index arithmetic of pqsort (pqsort.go).
func geoPqsortReference(dists []float64, k int) string {
	a := make([]int, len(dists))
	for i := range a {
		a[i] = i
	}
	cmp := func(i, j int) int {
		x, y := dists[a[i]], dists[a[j]]
		switch {
		case x > y:
			return 1
		case x == y:
			return 0
		}
		return -1
	}
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	med3 := func(x, y, z int) int {
		if cmp(x, y) < 0 {
			if cmp(y, z) < 0 {
				return y
			} else if cmp(x, z) < 0 {
				return z
			}
			return x
		}
		if cmp(y, z) > 0 {
			return y
		} else if cmp(x, z) < 0 {
			return x
		}
		return z
	}
	lrange, rrange := 0, k // byte addresses: first byte of rank 0, last byte of rank k-1
	rrange = k - 1
	var qs func(base, n int)
	qs = func(base, n int) {
	loop:
		if n < 7 {
			for pm := base + 1; pm < base+n; pm++ {
				for pl := pm; pl > base && cmp(pl-1, pl) > 0; pl-- {
					swap(pl, pl-1)
				}
			}
			return
		}
		pm := base + n/2
		if n > 7 {
			pl, pn := base, base+n-1
			if n > 40 {
				d := n / 8
				pl, pm, pn = med3(pl, pl+d, pl+2*d), med3(pm-d, pm, pm+d), med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(base, pm)
		pa, pb, pc, pd := base+1, base+1, base+n-1, base+n-1
		for {
			for pb <= pc {
				c := cmp(pb, base)
				if c > 0 {
					break
				}
				if c == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				c := cmp(pc, base)
				if c < 0 {
					break
				}
				if c == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := base + n
		r := min(pa-base, pb-pa)
		for i := 0; i < r; i++ {
			swap(base+i, pb-r+i)
		}
		r = min(pd-pc, pn-pd-1)
		for i := 0; i < r; i++ {
			swap(pb+i, pn-r+i)
		}
		if r = pb - pa; r > 1 {
			l, rr := base, base+r-1
			if !((lrange < l && rrange < l) || (lrange > rr && rrange > rr)) {
				qs(base, r)
			}
		}
		if r = pd - pc; r > 1 {
			base, n = pn-r, r
			l, rr := base, base+r-1
			if !((lrange < l && rrange < l) || (lrange > rr && rrange > rr)) {
				goto loop
			}
		}
	}
	qs(0, len(a))
	var out []string
	for _, i := range a[:k] {
		out = append(out, strconv.Itoa(i))
	}
	return strings.Join(out, " ")
}

// TestGeoCommands checks what the differential test cannot: what goes to
// the replication stream. GEOADD goes as the ZADD it runs (options as
// sent, scores as integers), and only when it changed something; the
// STORE forms go as sent; searches without STORE not at all.
func TestGeoCommands(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	do := func(args ...string) string { t.Helper(); return c.reply(t, args...).String() }
	h.stream(t) // attach a replica

	do("GEOADD", "k", "13.361389", "38.115556", "Palermo")
	do("GEOADD", "k", "ch", "NX", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
	do("GEOADD", "k", "NX", "13.361389", "38.115556", "Palermo")
	do("GEOADD", "k", "xx", "nx", "1", "2", "x")
	do("GEORADIUS", "k", "15", "37", "200", "km", "STORE", "d")
	do("GEORADIUS", "k", "15", "37", "200", "km", "WITHDIST")
	do("GEORADIUS_RO", "k", "15", "37", "200", "km")
	do("GEOSEARCHSTORE", "d2", "k", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "STOREDIST")
	do("GEOSEARCHSTORE", "d3", "k", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m")
	do("GEOSEARCHSTORE", "d2", "k", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m")
	want := "select 0\n" +
		"zadd k 3479099956230698 Palermo\n" +
		"zadd k ch NX 3479099956230698 Palermo 3479447370796909 Catania\n" +
		"georadius k 15 37 200 km store d\n" +
		"geosearchstore d2 k frommember palermo bybox 400 400 km storedist\n" +
		"geosearchstore d2 k fromlonlat 0 0 byradius 1 m\n"
	if got := strings.ToLower(h.stream(t)); got != strings.ToLower(want) {
		t.Fatalf("stream:\n%s\nwant:\n%s", got, want)
	}
	if got := do("ZRANGE", "d2", "0", "-1"); got != "[]" {
		t.Fatalf("d2 after an empty GEOSEARCHSTORE: %s", got)
	}
}
