package daemon

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// TestGeoDifferential is TestCollectionsDifferential for the geo
// commands: random GEOADD (NX XX CH), GEOPOS, GEOHASH, GEODIST, GEORADIUS
// and GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and
// GEOSEARCHSTORE with every option, in random order, some of them wrong,
// on a few keys whose points cluster around a few centres (so searches
// find many, with ties at equal positions), plus ZADDs of scores that are
// no geohash at all (negative, huge, fractional). What STORE and
// STOREDIST write is read back with ZRANGE WITHSCORES, so distances are
// compared to the last bit. Run on both backends and on a real Redis 7.0
// when one is installed, every reply compared in order.
func TestGeoDifferential(t *testing.T) {
	d := newDiffRun(t, 6000)
	for i := 0; i < d.n; i++ {
		cmd := gdiffCommand(d.r)
		d.compare(cmd, ordered, d.both(cmd, ordered), gdiffSame)
	}
}

// gdiffSame accepts, in a build without cgo, replies whose numbers differ
// in their last bits: its sin, cos and asin are Go's, not the C
// library's Redis uses (see geo.go). STOREDIST shows whole distances,
// WITHDIST may round one to the other side of a 4th decimal.
func gdiffSame(want, got string) bool {
	if geoLibmExact {
		return false
	}
	w, g := strings.Fields(want), strings.Fields(got)
	if len(w) != len(g) {
		return false
	}
	for i := range w {
		if w[i] == g[i] {
			continue
		}
		a, errA := strconv.ParseFloat(strings.Trim(w[i], `"[]`), 64)
		b, errB := strconv.ParseFloat(strings.Trim(g[i], `"[]`), 64)
		if errA != nil || errB != nil || math.Abs(a-b) > 1.5e-4+1e-9*math.Abs(a) {
			return false
		}
	}
	return true
}

// gdiffCentres are the places points cluster around: ordinary ones, near
// the poles' limits, on the antimeridian and at 0,0.
var gdiffCentres = [][2]float64{
	{13.361389, 38.115556}, {-73.9454966, 40.747533}, {179.8, -10}, {-179.9, 60},
	{0, 0}, {2.35, 84.9}, {-120, -84.5}, {100, 66.5},
}

func gdiffKey(r *rand.Rand) string {
	if r.Intn(15) == 0 {
		return "s"
	}
	return []string{"g1", "g1", "g2", "g2", "g3"}[r.Intn(5)]
}

func gdiffDest(r *rand.Rand) string { return []string{"d1", "d1", "d2", "d2", "g3", "s"}[r.Intn(6)] }

func gdiffMember(r *rand.Rand) string {
	switch r.Intn(30) {
	case 0:
		return "a-much-longer-member-name-" + strconv.Itoa(r.Intn(5))
	case 1:
		return []string{"", "\x00", "nx", "ch", "7"}[r.Intn(5)]
	}
	return "m" + strconv.Itoa(r.Intn(24))
}

// gdiffFloat prints f the ways a client may: short, long, exponent.
func gdiffFloat(r *rand.Rand, f float64) string {
	switch r.Intn(6) {
	case 0:
		return strconv.FormatFloat(f, 'f', 2, 64)
	case 1:
		return strconv.FormatFloat(f, 'g', -1, 64)
	case 2:
		return strconv.FormatFloat(f, 'e', 10, 64)
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// gdiffLonLat draws a position, mostly near a centre, sometimes one of a
// few fixed ones (members at equal positions tie on distance), at or
// past the limits, or not a number at all.
func gdiffLonLat(r *rand.Rand) (lon, lat string) {
	switch r.Intn(50) {
	case 0:
		return []string{"180", "-180", "0", "-0"}[r.Intn(4)], []string{"85.05112878", "-85.05112878", "0", "45"}[r.Intn(4)]
	case 1:
		return []string{"180.000001", "181", "inf", "abc", "1e400", "10", "0x10"}[r.Intn(7)], []string{"85.06", "-90", "nan", "", "10", "-inf"}[r.Intn(6)]
	case 2, 3:
		return gdiffFloat(r, -180+r.Float64()*360), gdiffFloat(r, -85+r.Float64()*170)
	case 4, 5, 6, 7:
		p := [][2]string{{"13.361389", "38.115556"}, {"13.361389", "38.1156"}, {"-73.9454966", "40.747533"}, {"179.9", "-10.01"}}[r.Intn(4)]
		return p[0], p[1]
	}
	c := gdiffCentres[r.Intn(len(gdiffCentres))]
	spread := []float64{0.001, 0.05, 1, 5}[r.Intn(4)]
	x := min(max(c[0]+(r.Float64()*2-1)*spread, -180), 180)
	y := min(max(c[1]+(r.Float64()*2-1)*spread, -85.05), 85.05)
	return gdiffFloat(r, x), gdiffFloat(r, y)
}

func gdiffUnit(r *rand.Rand) string {
	if r.Intn(25) == 0 {
		return []string{"miles", "km\x00x", "Mi", "KM"}[r.Intn(4)]
	}
	return []string{"m", "km", "km", "ft", "mi"}[r.Intn(5)]
}

// gdiffRadius draws a distance: from zero to around the world, whatever
// the unit.
func gdiffRadius(r *rand.Rand) string {
	switch r.Intn(30) {
	case 0:
		return []string{"0", "-1", "abc", "inf", "1e-300", "-0"}[r.Intn(6)]
	case 1:
		return strconv.Itoa(5000000 + r.Intn(20000000))
	}
	return gdiffFloat(r, []float64{0.5, 20, 300, 3000, 30000, 500000}[r.Intn(6)]*r.Float64())
}

// gdiffOptions draws the options of a search, shuffled: the WITH*
// flags (rarely when it stores), an order, a COUNT (with ANY), and the
// store options allowed (storeOpts); now and then a wrong one.
func gdiffOptions(r *rand.Rand, stores, storeOpts bool) []string {
	var groups [][]string
	for _, o := range []string{"WITHDIST", "WITHHASH", "WITHCOORD", "withdist"} {
		if r.Intn(4) == 0 && (!stores || r.Intn(8) == 0) {
			groups = append(groups, []string{o})
		}
	}
	if r.Intn(3) == 0 {
		groups = append(groups, []string{[]string{"ASC", "DESC", "desc"}[r.Intn(3)]})
	}
	if r.Intn(3) == 0 {
		n := []string{"1", "2", "3", "5", "10", "1", "2", "3", "5", "10", "0", "-1", "x"}[r.Intn(13)]
		groups = append(groups, []string{"COUNT", n})
		if r.Intn(3) == 0 {
			groups = append(groups, []string{"ANY"})
		}
	} else if r.Intn(30) == 0 {
		groups = append(groups, []string{"ANY"})
	}
	if storeOpts && r.Intn(3) == 0 {
		groups = append(groups, []string{[]string{"STORE", "STOREDIST"}[r.Intn(2)], gdiffDest(r)})
	}
	if r.Intn(30) == 0 {
		groups = append(groups, []string{[]string{"BOGUS", "COUNT", "STORE", "withdist\x00"}[r.Intn(4)]})
	}
	r.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func gdiffCommand(r *rand.Rand) []string {
	k := gdiffKey(r)
	switch r.Intn(40) {
	case 0, 1, 2, 3, 4, 5, 6:
		cmd := []string{"GEOADD", k}
		for _, o := range []string{"NX", "XX", "CH", "ch"} {
			if r.Intn(8) == 0 {
				cmd = append(cmd, o)
			}
		}
		for j := 1 + r.Intn(10); j > 0; j-- {
			lon, lat := gdiffLonLat(r)
			cmd = append(cmd, lon, lat, gdiffMember(r))
		}
		if r.Intn(50) == 0 {
			cmd = cmd[:len(cmd)-1]
		}
		return cmd
	case 7:
		// Scores no GEOADD makes: every one decodes somewhere.
		score := []string{"-5.7", "1e30", "-1e30", "inf", "-inf", "1.5", "4503599627370496", "18446744073709551616",
			"9223372036854775808", "-9223372036854775809", "0", "-0", "3.5e15", "123456789.25"}[r.Intn(14)]
		return []string{"ZADD", k, score, gdiffMember(r)}
	case 8, 9:
		cmd := []string{"GEOPOS", k}
		for j := r.Intn(4); j > 0; j-- {
			cmd = append(cmd, gdiffMember(r))
		}
		return cmd
	case 10:
		cmd := []string{"GEOHASH", k}
		for j := r.Intn(4); j > 0; j-- {
			cmd = append(cmd, gdiffMember(r))
		}
		return cmd
	case 11, 12:
		cmd := []string{"GEODIST", k, gdiffMember(r), gdiffMember(r)}
		if r.Intn(2) == 0 {
			cmd = append(cmd, gdiffUnit(r))
		}
		if r.Intn(20) == 0 {
			cmd = append(cmd, "km")
		}
		return cmd
	case 13, 14, 15, 16, 17:
		name := []string{"GEORADIUS", "GEORADIUS_RO", "georadius"}[r.Intn(3)]
		lon, lat := gdiffLonLat(r)
		return append([]string{name, k, lon, lat, gdiffRadius(r), gdiffUnit(r)}, gdiffOptions(r, false, name != "GEORADIUS_RO")...)
	case 18, 19, 20:
		name := []string{"GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"}[r.Intn(2)]
		return append([]string{name, k, gdiffMember(r), gdiffRadius(r), gdiffUnit(r)}, gdiffOptions(r, false, name == "GEORADIUSBYMEMBER")...)
	case 21, 22, 23, 24, 25, 26, 27:
		return append([]string{"GEOSEARCH", k}, gdiffSearchArgs(r, false)...)
	case 28, 29, 30, 31:
		return append([]string{"GEOSEARCHSTORE", gdiffDest(r), k}, gdiffSearchArgs(r, true)...)
	case 32, 33:
		return []string{"ZRANGE", gdiffDest(r), "0", "-1", "WITHSCORES"}
	case 34:
		return []string{"OBJECT", "ENCODING", gdiffDest(r)}
	case 35:
		return []string{"ZREM", k, gdiffMember(r)}
	case 36:
		if r.Intn(2) == 0 {
			return []string{"DEL", k}
		}
		return []string{"DEL", gdiffDest(r)}
	case 37:
		return []string{"SET", "s", "x"}
	case 38:
		return []string{"ZCARD", k}
	}
	return []string{"ZRANGE", k, "0", "-1", "WITHSCORES"}
}

// gdiffSearchArgs draws GEOSEARCH's (or GEOSEARCHSTORE's) arguments: a
// centre, a shape and options, shuffled, sometimes one missing or both.
func gdiffSearchArgs(r *rand.Rand, store bool) []string {
	var groups [][]string
	if r.Intn(10) != 0 {
		if r.Intn(2) == 0 {
			groups = append(groups, []string{"FROMMEMBER", gdiffMember(r)})
		} else {
			lon, lat := gdiffLonLat(r)
			groups = append(groups, []string{"FROMLONLAT", lon, lat})
		}
	}
	if r.Intn(10) != 0 {
		if r.Intn(2) == 0 {
			groups = append(groups, []string{"BYRADIUS", gdiffRadius(r), gdiffUnit(r)})
		} else {
			groups = append(groups, []string{"BYBOX", gdiffRadius(r), gdiffRadius(r), gdiffUnit(r)})
		}
	}
	if r.Intn(25) == 0 {
		// Both centres or both shapes: a syntax error.
		groups = append(groups, []string{"BYRADIUS", "10", "km"}, []string{"FROMLONLAT", "1", "2"})
	}
	if store && r.Intn(3) == 0 {
		groups = append(groups, []string{"STOREDIST"})
	}
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	opts := gdiffOptions(r, store, false)
	out = append(out, opts...)
	if r.Intn(3) == 0 {
		// Shuffle the groups too (options stay whole).
		all := append(groups, [][]string{opts}...)
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		out = out[:0]
		for _, g := range all {
			out = append(out, g...)
		}
	}
	return out
}

// TestGeoNotificationsDifferential runs TestGeoDifferential's commands
// with every keyspace and keyevent notification on, and compares what
// each publishes with a real Redis: GEOADD's "zadd", the STORE forms'
// "georadiusstore"/"geosearchstore" (or "del"), "new" for a created
// destination, "keymiss" for a missing source.
func TestGeoNotificationsDifferential(t *testing.T) {
	nd := newNotifyDiff(t, diffCount(3000))
	for i := 0; i < nd.n; i++ {
		got, gotEvents, want, wantEvents := nd.step(i, gdiffCommand(nd.r), ordered)
		if (want != got && !gdiffSame(want, got)) || wantEvents != gotEvents {
			nd.fail(want, wantEvents, got, gotEvents)
		}
	}
}

// TestGeoTiesDifferential checks the order of equal distances in large
// results against Redis: 300 members on a handful of positions,
// searched with a COUNT below the number found (Redis's pqsort, whose
// median-of-nine pivots need more than 40 points) and without (glibc's
// merge sort).
func TestGeoTiesDifferential(t *testing.T) {
	d := newDiffRun(t, 150)
	spots := [][2]string{{"13.361389", "38.115556"}, {"13.4", "38.1"}, {"13.2", "38.3"}, {"14", "37.9"}, {"13.361389", "38.2"}}
	for j := 0; j < 300; j += 20 {
		cmd := []string{"GEOADD", "ties"}
		for i := j; i < j+20; i++ {
			p := spots[d.r.Intn(len(spots))]
			cmd = append(cmd, p[0], p[1], "p"+strconv.Itoa(i))
		}
		d.compare(cmd, ordered, d.both(cmd, ordered), nil)
	}
	for i := 0; i < d.n; i++ {
		var cmd []string
		if d.r.Intn(2) == 0 {
			cmd = []string{"GEOSEARCH", "ties", "FROMLONLAT", "13.361389", "38.115556", "BYRADIUS", strconv.Itoa(10 + d.r.Intn(200)), "km"}
		} else {
			cmd = []string{"GEORADIUSBYMEMBER", "ties", "p" + strconv.Itoa(d.r.Intn(300)), strconv.Itoa(10 + d.r.Intn(200)), "km"}
		}
		if d.r.Intn(4) != 0 {
			cmd = append(cmd, "COUNT", strconv.Itoa(1+d.r.Intn(320)))
			if d.r.Intn(6) == 0 {
				cmd = append(cmd, "ANY")
			}
		}
		if d.r.Intn(2) == 0 {
			cmd = append(cmd, []string{"ASC", "DESC"}[d.r.Intn(2)])
		}
		if d.r.Intn(3) == 0 {
			cmd = append(cmd, "WITHDIST")
		}
		d.compare(cmd, ordered, d.both(cmd, ordered), gdiffSame)
	}
}
