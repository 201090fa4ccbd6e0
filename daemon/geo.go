package daemon

import (
	"math"
	"strconv"
)

// Geohash, the geo search areas and distances: a port of Redis 7.0's
// geohash.c, geohash_helper.c and the helpers of geo.c, kept in their
// shape and arithmetic order so that scores, decoded coordinates,
// distances and the boxes searched are Redis's to the last bit. A
// position is a 52-bit geohash (26 bits of latitude and 26 of longitude,
// interleaved, latitude in the even bits) stored as the member's score.
//
// Floating-point expressions keep C's evaluation order, and products
// that are added are wrapped in float64() so no platform fuses them into
// an FMA that C (built for baseline x86-64) does not use. sin, cos and
// asin come from the C library when cgo is on (geo_libm_cgo.go), the one
// redis-server calls: Go's own differ from glibc's in the last bit for
// 16 to 33% of inputs, which GEOSEARCHSTORE ... STOREDIST would show.

const (
	geoStepMax = 26 // 26*2 = 52 bits

	// Limits from EPSG:900913 / EPSG:3785 / OSGEO:41001.
	geoLatMin = -85.05112878
	geoLatMax = 85.05112878
	geoLonMin = -180
	geoLonMax = 180

	geoEarthRadius = 6372797.560856 // quadratic mean radius for WGS-84, metres
	geoMercatorMax = 20037726.37
)

// geoDegToRad is C's D_R, M_PI / 180.0 rounded to a double once: a
// variable, so the division is a double division as in C (a constant
// expression would be evaluated exactly, then rounded).
var geoDegToRad = geoPi / 180.0

var geoPi = math.Pi

func geoDegRad(ang float64) float64 { return ang * geoDegToRad }
func geoRadDeg(ang float64) float64 { return ang / geoDegToRad }

// geoHashBits is a geohash of step*2 bits.
type geoHashBits struct {
	bits uint64
	step uint8
}

// isZero is HASHISZERO: the marker of a neighbour excluded from a search.
func (h geoHashBits) isZero() bool { return h.bits == 0 && h.step == 0 }

type geoHashRange struct{ min, max float64 }

type geoHashArea struct {
	hash     geoHashBits
	lon, lat geoHashRange
}

type geoHashNeighbors struct {
	north, east, west, south                   geoHashBits
	northEast, southEast, northWest, southWest geoHashBits
}

// The coordinate ranges of scores (geohashGetCoordRange), and the
// standard ones GEOHASH re-encodes with.
var (
	geoLonRange     = geoHashRange{geoLonMin, geoLonMax}
	geoLatRange     = geoHashRange{geoLatMin, geoLatMax}
	geoStdLatRange  = geoHashRange{-90, 90}
	geoHashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
)

// geoInterleave puts the bits of x in the even positions and those of y
// in the odd ones.
func geoInterleave(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

// geoDeinterleave reverses geoInterleave: x in the low 32 bits, y in the
// high ones.
func geoDeinterleave(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := 0; i < 6; i++ {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// geohashEncode is Redis's geohashEncode; ok false where it returns 0.
func geohashEncode(lonR, latR geoHashRange, lon, lat float64, step uint8) (h geoHashBits, ok bool) {
	if step > 32 || step == 0 || (latR.max == 0 && latR.min == 0) || (lonR.max == 0 && lonR.min == 0) {
		return h, false
	}
	if lon > geoLonMax || lon < geoLonMin || lat > geoLatMax || lat < geoLatMin {
		return h, false
	}
	h.step = step
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return h, false
	}
	latOffset := (lat - latR.min) / (latR.max - latR.min)
	lonOffset := (lon - lonR.min) / (lonR.max - lonR.min)
	latOffset *= float64(uint64(1) << step)
	lonOffset *= float64(uint64(1) << step)
	h.bits = geoInterleave(cDoubleToUint32(latOffset), cDoubleToUint32(lonOffset))
	return h, true
}

// geohashDecode is Redis's geohashDecode: the cell a hash names.
func geohashDecode(lonR, latR geoHashRange, h geoHashBits) (a geoHashArea, ok bool) {
	if h.isZero() || (latR.max == 0 && latR.min == 0) || (lonR.max == 0 && lonR.min == 0) {
		return a, false
	}
	a.hash = h
	sep := geoDeinterleave(h.bits)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	// ilato+1 is C unsigned arithmetic: it wraps.
	a.lat.min = latR.min + float64(float64(ilato)*1.0/div*latScale)
	a.lat.max = latR.min + float64(float64(ilato+1)*1.0/div*latScale)
	a.lon.min = lonR.min + float64(float64(ilono)*1.0/div*lonScale)
	a.lon.max = lonR.min + float64(float64(ilono+1)*1.0/div*lonScale)
	return a, true
}

// geoAreaCenter is geohashDecodeAreaToLongLat: the cell's centre, inside
// the valid ranges.
func geoAreaCenter(a *geoHashArea) (lon, lat float64) {
	lon = (a.lon.min + a.lon.max) / 2
	lon = min(max(lon, geoLonMin), geoLonMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

// geoDecodeScore is Redis's decodeGeohash: the position a score stands
// for. Any score decodes (Redis's never fails): the double is converted
// to a 64-bit hash as C on x86-64 does it, and the centre is clamped.
func geoDecodeScore(score float64) (lon, lat float64) {
	a, _ := geohashDecode(geoLonRange, geoLatRange, geoHashBits{bits: cDoubleToUint64(score), step: geoStepMax})
	return geoAreaCenter(&a)
}

// geoEncodeScore is the score GEOADD gives a valid position.
func geoEncodeScore(lon, lat float64) uint64 {
	h, _ := geohashEncode(geoLonRange, geoLatRange, lon, lat, geoStepMax)
	return geoAlign52(h)
}

// geoAlign52 is geohashAlign52Bits.
func geoAlign52(h geoHashBits) uint64 { return h.bits << (52 - uint(h.step)*2) }

// geoHashString is GEOHASH's 11-character standard geohash of a score:
// the position decoded, re-encoded with latitudes -90..90, the 11th
// character always '0'.
func geoHashString(score float64) []byte {
	lon, lat := geoDecodeScore(score)
	h, _ := geohashEncode(geoLonRange, geoStdLatRange, lon, lat, 26)
	buf := make([]byte, 11)
	for i := range buf {
		idx := uint64(0)
		if i < 10 {
			idx = (h.bits >> (52 - (uint(i)+1)*5)) & 0x1f
		}
		buf[i] = geoHashAlphabet[idx]
	}
	return buf
}

// cDoubleToUint64 is C's (uint64_t) cast of a double as GCC compiles it
// for x86-64: below 2^63 a signed truncation (cvttsd2si), so a negative
// value wraps; from 2^63 up, the truncation of f-2^63 with bit 63
// flipped; out of range (and NaN) cvttsd2si gives 1<<63.
func cDoubleToUint64(f float64) uint64 {
	const two63 = 9223372036854775808.0
	if f >= two63 {
		return uint64(cvttsd2si(f-two63)) ^ 1<<63
	}
	return uint64(cvttsd2si(f))
}

// cDoubleToUint32 is C's (uint32_t) cast of a double on x86-64: the low
// half of cvttsd2si.
func cDoubleToUint32(f float64) uint32 { return uint32(cvttsd2si(f)) }

// cvttsd2si is x86-64's truncating double to int64 conversion.
func cvttsd2si(f float64) int64 {
	if f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// geoMoveX moves a hash d cells east (d > 0) or west, wrapping around.
func geoMoveX(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - uint(h.step)*2)
	h.bits = x | y
}

// geoMoveY moves a hash d cells north (d > 0) or south, wrapping around.
func geoMoveY(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - uint(h.step)*2)
	h.bits = x | y
}

// geohashNeighbors is Redis's geohashNeighbors.
func geohashNeighbors(h geoHashBits) geoHashNeighbors {
	move := func(dx, dy int) geoHashBits {
		n := h
		geoMoveX(&n, dx)
		geoMoveY(&n, dy)
		return n
	}
	return geoHashNeighbors{
		east: move(1, 0), west: move(-1, 0), south: move(0, -1), north: move(0, 1),
		northWest: move(-1, 1), northEast: move(1, 1), southEast: move(1, -1), southWest: move(-1, -1),
	}
}

// ---- search areas ------------------------------------------------------------------

// geoEstimateSteps is geohashEstimateStepsByRadius: the precision of the
// nine boxes searched for a radius, one step coarser near the poles.
func geoEstimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < geoMercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2 // make sure the range is included in most of the base cases
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// geoShape is Redis's GeoShape: a circle (radius) or a box (width and
// height) around lon, lat, in units of conversion metres.
type geoShape struct {
	box           bool
	lon, lat      float64
	conversion    float64
	bounds        [4]float64 // min lon, min lat, max lon, max lat
	radius        float64
	width, height float64
}

// geoBoundingBox is geohashBoundingBox: the longitudes and latitudes
// that bound the shape. Away from the equator its sides bend, so the
// longitudes are those of the edge nearer to the pole.
func geoBoundingBox(s *geoShape) [4]float64 {
	var height, width float64
	if s.box {
		height, width = s.conversion*(s.height/2), s.conversion*(s.width/2)
	} else {
		height, width = s.conversion*s.radius, s.conversion*s.radius
	}
	latDelta := geoRadDeg(height / geoEarthRadius)
	lonDeltaTop := geoRadDeg(width / geoEarthRadius / geoCos(geoDegRad(s.lat+latDelta)))
	lonDeltaBottom := geoRadDeg(width / geoEarthRadius / geoCos(geoDegRad(s.lat-latDelta)))
	var b [4]float64
	if s.lat < 0 {
		b[0], b[2] = s.lon-lonDeltaBottom, s.lon+lonDeltaBottom
	} else {
		b[0], b[2] = s.lon-lonDeltaTop, s.lon+lonDeltaTop
	}
	b[1], b[3] = s.lat-latDelta, s.lat+latDelta
	return b
}

// geoHashRadius is the centre box of a search with its eight neighbours
// (zero where excluded).
type geoHashRadius struct {
	hash      geoHashBits
	area      geoHashArea
	neighbors geoHashNeighbors
}

// geoAreasByShape is geohashCalculateAreasByShapeWGS84: the boxes that
// cover the shape. It sets s.bounds.
func geoAreasByShape(s *geoShape) geoHashRadius {
	s.bounds = geoBoundingBox(s)
	minLon, minLat, maxLon, maxLat := s.bounds[0], s.bounds[1], s.bounds[2], s.bounds[3]
	var radiusMeters float64
	if s.box {
		radiusMeters = math.Sqrt(float64((s.width/2)*(s.width/2)) + float64((s.height/2)*(s.height/2)))
	} else {
		radiusMeters = s.radius
	}
	radiusMeters *= s.conversion

	steps := geoEstimateSteps(radiusMeters, s.lat)
	hash, _ := geohashEncode(geoLonRange, geoLatRange, s.lon, s.lat, steps)
	neighbors := geohashNeighbors(hash)
	area, _ := geohashDecode(geoLonRange, geoLatRange, hash)

	// Near an edge of its box the estimated step may be too coarse for
	// the four side neighbours to cover the area: one step less then.
	north, _ := geohashDecode(geoLonRange, geoLatRange, neighbors.north)
	south, _ := geohashDecode(geoLonRange, geoLatRange, neighbors.south)
	east, _ := geohashDecode(geoLonRange, geoLatRange, neighbors.east)
	west, _ := geohashDecode(geoLonRange, geoLatRange, neighbors.west)
	decrease := north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon
	if steps > 1 && decrease {
		steps--
		hash, _ = geohashEncode(geoLonRange, geoLatRange, s.lon, s.lat, steps)
		neighbors = geohashNeighbors(hash)
		area, _ = geohashDecode(geoLonRange, geoLatRange, hash)
	}

	// Exclude the boxes that are useless.
	if steps >= 2 {
		n := &neighbors
		if area.lat.min < minLat {
			n.south, n.southWest, n.southEast = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.lat.max > maxLat {
			n.north, n.northEast, n.northWest = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.lon.min < minLon {
			n.west, n.southWest, n.northWest = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.lon.max > maxLon {
			n.east, n.southEast, n.northEast = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
	}
	return geoHashRadius{hash: hash, area: area, neighbors: neighbors}
}

// boxes lists the centre and its neighbours in the order Redis searches
// them (membersOfAllNeighbors).
func (r *geoHashRadius) boxes() [9]geoHashBits {
	n := &r.neighbors
	return [9]geoHashBits{r.hash, n.north, n.south, n.east, n.west, n.northEast, n.northWest, n.southEast, n.southWest}
}

// geoBoxScores is scoresOfGeoHashBox: the scores [lo, hi) of the
// positions inside the box.
func geoBoxScores(h geoHashBits) (lo, hi float64) {
	first := geoAlign52(h)
	h.bits++
	return float64(first), float64(geoAlign52(h))
}

// ---- distances ---------------------------------------------------------------------

// geoLatDistance is geohashGetLatDistance: the distance along a meridian.
func geoLatDistance(lat1, lat2 float64) float64 {
	return geoEarthRadius * math.Abs(geoDegRad(lat2)-geoDegRad(lat1))
}

// geoDistance is geohashGetDistance: the haversine great-circle distance
// in metres.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := geoDegRad(lon1)
	lon2r := geoDegRad(lon2)
	v := geoSin((lon2r - lon1r) / 2)
	if v == 0 {
		// Same longitude: the distance along the meridian, cheaper.
		return geoLatDistance(lat1, lat2)
	}
	lat1r := geoDegRad(lat1)
	lat2r := geoDegRad(lat2)
	u := geoSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(geoCos(lat1r)*geoCos(lat2r))*v)*v)
	return 2.0 * geoEarthRadius * geoAsin(math.Sqrt(a))
}

// geoWithin is geoWithinShape: the position of score and its distance
// from the shape's centre, ok when it lies inside the shape. A box tests
// latitude first (cheaper), then the longitude distance along the
// point's parallel.
func geoWithin(s *geoShape, score float64) (lon, lat, dist float64, ok bool) {
	lon, lat = geoDecodeScore(score)
	if !s.box {
		dist = geoDistance(s.lon, s.lat, lon, lat)
		return lon, lat, dist, !(dist > s.radius*s.conversion)
	}
	widthM, heightM := s.width*s.conversion, s.height*s.conversion
	if geoLatDistance(lat, s.lat) > heightM/2 {
		return lon, lat, 0, false
	}
	if geoDistance(lon, lat, s.lon, lat) > widthM/2 {
		return lon, lat, 0, false
	}
	return lon, lat, geoDistance(s.lon, s.lat, lon, lat), true
}

// ---- sorting -----------------------------------------------------------------------

// geoPoint is one search result: its position, distance, score and
// member (arena offsets).
type geoPoint struct {
	lon, lat, dist, score float64
	start, end            int
}

// geoCmpAsc is Redis's sort_gp_asc (NaN distances compare as smaller).
func geoCmpAsc(a, b *geoPoint) int {
	switch {
	case a.dist > b.dist:
		return 1
	case a.dist == b.dist:
		return 0
	}
	return -1
}

func geoCmpDesc(a, b *geoPoint) int { return -geoCmpAsc(a, b) }

// geoSortAll sorts p as Redis's qsort call does with glibc: glibc's
// qsort is a top-down merge sort (msort), so equal distances keep the
// order the search found them in, and its exact merges decide the order
// even for NaN distances.
func geoSortAll(p []geoPoint, cmp func(a, b *geoPoint) int) {
	geoMsort(p, make([]geoPoint, len(p)), cmp)
}

func geoMsort(b, tmp []geoPoint, cmp func(a, b *geoPoint) int) {
	n := len(b)
	if n <= 1 {
		return
	}
	n1 := n / 2
	b1, b2 := b[:n1], b[n1:]
	geoMsort(b1, tmp, cmp)
	geoMsort(b2, tmp, cmp)
	i, j, k := 0, 0, 0
	for i < len(b1) && j < len(b2) {
		if cmp(&b1[i], &b2[j]) <= 0 {
			tmp[k] = b1[i]
			i++
		} else {
			tmp[k] = b2[j]
			j++
		}
		k++
	}
	k += copy(tmp[k:], b1[i:])
	// What is left of b2 is already in place.
	copy(b, tmp[:k])
}

// geoPartialSort is Redis's pqsort for a search with COUNT (see pqsort).
func geoPartialSort(a []geoPoint, cmp func(a, b *geoPoint) int, lrange, rrange int) {
	pqsort(a, cmp, lrange, rrange)
}

// ---- formatting --------------------------------------------------------------------

// geoAppendDistance is Redis's addReplyDoubleDistance text
// (fixedpoint_d2string with 4 digits): d*10000 rounded half to even by
// llrint, printed with the point put back.
func geoAppendDistance(dst []byte, d float64) []byte {
	if d == 0 {
		return append(dst, "0.0000"...)
	}
	sv := cLlrint(d * 10000)
	var v uint64
	if sv < 0 {
		dst = append(dst, '-')
		if sv != math.MinInt64 {
			v = uint64(-sv)
		} else {
			v = 1 << 63
		}
	} else {
		v = uint64(sv)
	}
	var buf [24]byte
	digits := strconv.AppendUint(buf[:0], v, 10)
	for len(digits) < 5 {
		digits = append([]byte{'0'}, digits...)
	}
	dst = append(dst, digits[:len(digits)-4]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-4:]...)
}

// cLlrint is glibc's llrint on x86-64 (cvtsd2si): the nearest integer,
// ties to even; out of range or NaN, math.MinInt64.
func cLlrint(f float64) int64 {
	r := math.RoundToEven(f)
	if r != r || r >= 9223372036854775808.0 || r < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(r)
}

// geoAppendCoord is the text of Redis's addReplyHumanLongDouble for a
// coordinate: "%.17Lf" of the value, trailing zeros (and a bare point)
// removed, "-0" printed as "0".
func geoAppendCoord(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	for dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	if dst[len(dst)-1] == '.' {
		dst = dst[:len(dst)-1]
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// cFormatF6 is C's "%f": six decimals, "inf" and "-inf" for infinities.
func cFormatF6(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}
