package daemon

import (
	"strconv"

	"github.com/redoubtdb/redoubt/storage"
)

// Geo commands: GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER
// GEORADIUS_RO GEORADIUSBYMEMBER_RO GEOSEARCH GEOSEARCHSTORE, with Redis
// 7.0's geo.c semantics (the geohash and distance code is in geo.go). A
// geo set is a sorted set whose scores are 52-bit geohashes.
//
// GEOADD is ZADD with the coordinates turned into scores, and Redis
// rewrites it to that ZADD, which is what replicas see; MONITOR, the
// slow log and the command stats keep GEOADD. A search reads the nine
// geohash boxes around the centre as score ranges of the index, in
// Redis's order, so results, their order among equal distances (glibc's
// merge sort, or pqsort for a COUNT) and the ANY cut-off are Redis's.
// The STORE forms (GEORADIUS ... STORE/STOREDIST, GEOSEARCHSTORE) write
// a new sorted set and propagate as they were sent, as ZRANGESTORE does.

func init() {
	registrations = append(registrations, func(t *commandTable) {
		t.register("geoadd", cmdGeoadd)
		t.register("geodist", cmdGeodist)
		t.register("geohash", cmdGeohash)
		t.register("geopos", cmdGeopos)
		t.register("georadius", func(c *Client, argv [][]byte) { geoSearchGeneric(c, argv, 1, geoByCoords) })
		t.register("georadiusbymember", func(c *Client, argv [][]byte) { geoSearchGeneric(c, argv, 1, geoByMember) })
		t.register("georadius_ro", func(c *Client, argv [][]byte) { geoSearchGeneric(c, argv, 1, geoByCoords|geoNoStore) })
		t.register("georadiusbymember_ro", func(c *Client, argv [][]byte) { geoSearchGeneric(c, argv, 1, geoByMember|geoNoStore) })
		t.register("geosearch", func(c *Client, argv [][]byte) { geoSearchGeneric(c, argv, 1, geoSearch) })
		t.register("geosearchstore", func(c *Client, argv [][]byte) { geoSearchGeneric(c, argv, 2, geoSearch|geoSearchStore) })
	})
}

// Error texts of the geo commands, exactly as Redis 7.0 sends them.
const (
	errGeoUnit      = "ERR unsupported unit provided. please use M, KM, FT, MI"
	errGeoMember    = "ERR could not decode requested zset member"
	errGeoCount     = "ERR COUNT must be > 0"
	errGeoAnyCount  = "ERR the ANY argument requires COUNT argument"
	errGeoNegRadius = "ERR radius cannot be negative"
	errGeoNegBox    = "ERR height or width cannot be negative"
)

// geoListpackSafe is Redis's LISTPACK_MAX_SAFETY_SIZE: members longer
// than this in total never go to a listpack.
const geoListpackSafe = 1 << 30

// propZadd is the name GEOADD propagates as (Redis's "zadd" object).
var propZadd = []byte("zadd")

// ---- argument helpers ------------------------------------------------------------

// geoParseLonLat is extractLongLatOrReply: two doubles, in the valid
// ranges. ok false means an error was replied.
func geoParseLonLat(c *Client, lonArg, latArg []byte) (lon, lat float64, ok bool) {
	if lon, ok = parseFloat(lonArg); ok {
		lat, ok = parseFloat(latArg)
	}
	if !ok {
		c.ReplyError(errNotFloat)
		return 0, 0, false
	}
	if lon < geoLonMin || lon > geoLonMax || lat < geoLatMin || lat > geoLatMax {
		c.ReplyError("ERR invalid longitude,latitude pair " + cFormatF6(lon) + "," + cFormatF6(lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoUnit is extractUnitOrReply: the metres in one unit (compared as a C
// string, so up to a NUL byte). ok false means an error was replied.
func geoUnit(c *Client, arg []byte) (float64, bool) {
	switch u := sortCString(arg); {
	case equalFold(u, "m"):
		return 1, true
	case equalFold(u, "km"):
		return 1000, true
	case equalFold(u, "ft"):
		return 0.3048, true
	case equalFold(u, "mi"):
		return 1609.34, true
	}
	c.ReplyError(errGeoUnit)
	return 0, false
}

// geoParseRadius is extractDistanceOrReply: <radius> <unit>.
func geoParseRadius(c *Client, args [][]byte, s *geoShape) bool {
	r, ok := parseFloat(args[0])
	if !ok {
		c.ReplyError("ERR need numeric radius")
		return false
	}
	if r < 0 {
		c.ReplyError(errGeoNegRadius)
		return false
	}
	s.radius = r
	s.conversion, ok = geoUnit(c, args[1])
	return ok
}

// geoParseBox is extractBoxOrReply: <width> <height> <unit>.
func geoParseBox(c *Client, args [][]byte, s *geoShape) bool {
	w, ok := parseFloat(args[0])
	if !ok {
		c.ReplyError("ERR need numeric width")
		return false
	}
	h, ok := parseFloat(args[1])
	if !ok {
		c.ReplyError("ERR need numeric height")
		return false
	}
	if h < 0 || w < 0 {
		c.ReplyError(errGeoNegBox)
		return false
	}
	s.width, s.height = w, h
	s.conversion, ok = geoUnit(c, args[2])
	return ok
}

// geoOption reports whether arg is the option name (lower case), compared
// as Redis's strcasecmp does: up to a NUL byte.
func geoOption(arg []byte, name string) bool { return equalFold(sortCString(arg), name) }

// ---- replies ---------------------------------------------------------------------

// replyGeoDistance replies a distance as Redis does: a bulk string with
// four decimals, in both protocols.
func replyGeoDistance(c *Client, d float64) {
	var buf [32]byte
	c.ReplyBulk(geoAppendDistance(buf[:0], d))
}

// replyGeoCoord replies a coordinate as addReplyHumanLongDouble: a bulk
// string in RESP2, a double in RESP3, with up to 17 decimals.
func replyGeoCoord(c *Client, f float64) {
	var buf [64]byte
	if c.proto > 2 {
		b := append(buf[:0], ',')
		b = geoAppendCoord(b, f)
		c.ReplyRaw(append(b, '\r', '\n'))
		return
	}
	c.ReplyBulk(geoAppendCoord(buf[:0], f))
}

// ---- GEOADD GEODIST GEOHASH GEOPOS -----------------------------------------------

// cmdGeoadd is GEOADD key [NX|XX] [CH] lon lat member [...]: every
// position is checked and encoded first, then the ZADD it stands for
// runs, and propagates in place of the GEOADD.
func cmdGeoadd(c *Client, argv [][]byte) {
	var nx, xx bool
	longIdx := 2
	// zaddArgv is what runs (options spelled plainly); prop what
	// propagates (options as sent, as Redis copies them).
	zaddArgv := [][]byte{propZadd, argv[1]}
options:
	for ; longIdx < len(argv); longIdx++ {
		switch a := argv[longIdx]; {
		case geoOption(a, "nx"):
			nx = true
			zaddArgv = append(zaddArgv, []byte("nx"))
		case geoOption(a, "xx"):
			xx = true
			zaddArgv = append(zaddArgv, []byte("xx"))
		case geoOption(a, "ch"):
			zaddArgv = append(zaddArgv, []byte("ch"))
		default:
			break options
		}
	}
	if (len(argv)-longIdx)%3 != 0 || (xx && nx) {
		c.ReplyError(errSyntax)
		return
	}
	elements := (len(argv) - longIdx) / 3
	prop := make([][]byte, 0, longIdx+2*elements)
	prop = append(append(prop, propZadd), argv[1:longIdx]...)
	for i := 0; i < elements; i++ {
		arg := argv[longIdx+3*i:]
		lon, lat, ok := geoParseLonLat(c, arg[0], arg[1])
		if !ok {
			return
		}
		score := strconv.AppendUint(nil, geoEncodeScore(lon, lat), 10)
		zaddArgv = append(zaddArgv, score, arg[2])
		prop = append(prop, score, arg[2])
	}
	changes := c.srv.ks.changes
	zaddGeneric(c, zaddArgv, false)
	if c.srv.ks.changes != changes && c.replicating() {
		c.propagate(prop...)
	}
}

// cmdGeodist is GEODIST key member1 member2 [unit]: the unit is checked
// before the key is read; a missing key or member is a null.
func cmdGeodist(c *Client, argv [][]byte) {
	toMeter := 1.0
	switch {
	case len(argv) == 5:
		var ok bool
		if toMeter, ok = geoUnit(c, argv[4]); !ok {
			return
		}
	case len(argv) > 5:
		c.ReplyError(errSyntax)
		return
	}
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	if !co.exists {
		c.ReplyNull()
		return
	}
	s1, ok := zsetScoreOf(co, argv[2])
	var s2 float64
	if ok {
		s2, ok = zsetScoreOf(co, argv[3])
	}
	if !ok {
		c.ReplyNull()
		return
	}
	lon1, lat1 := geoDecodeScore(s1)
	lon2, lat2 := geoDecodeScore(s2)
	replyGeoDistance(c, geoDistance(lon1, lat1, lon2, lat2)/toMeter)
}

// cmdGeohash is GEOHASH key [member ...]: 11-character standard
// geohashes, nulls for missing members.
func cmdGeohash(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	c.ReplyArrayLen(len(argv) - 2)
	for _, member := range argv[2:] {
		if score, ok := zsetScoreOf(co, member); ok {
			c.ReplyBulk(geoHashString(score))
		} else {
			c.ReplyNull()
		}
	}
}

// cmdGeopos is GEOPOS key [member ...]: [lon, lat] pairs, null arrays
// for missing members.
func cmdGeopos(c *Client, argv [][]byte) {
	co := openCollRead(c, argv[1], storage.TypeZSet)
	if co == nil {
		return
	}
	c.ReplyArrayLen(len(argv) - 2)
	for _, member := range argv[2:] {
		score, ok := zsetScoreOf(co, member)
		if !ok {
			c.ReplyNullArray()
			continue
		}
		lon, lat := geoDecodeScore(score)
		c.ReplyArrayLen(2)
		replyGeoCoord(c, lon)
		replyGeoCoord(c, lat)
	}
}

// ---- searches --------------------------------------------------------------------

// Search variants (geo.c's flags).
const (
	geoByCoords    = 1 << iota // GEORADIUS: around lon lat
	geoByMember                // GEORADIUSBYMEMBER: around a member
	geoNoStore                 // the _RO forms: no STORE/STOREDIST
	geoSearch                  // GEOSEARCH's arguments
	geoSearchStore             // GEOSEARCHSTORE: STOREDIST only, destination first
)

// geoSort is a search's ordering.
type geoSort uint8

const (
	geoSortNone geoSort = iota
	geoSortAsc
	geoSortDesc
)

// geoSearchGeneric is Redis's georadiusGeneric: every form of search,
// src the index of the source key. The source is read first (so a wrong
// type wins over any argument error), then the arguments, in Redis's
// order: its errors come out in the order it finds them.
func geoSearchGeneric(c *Client, argv [][]byte, src int, flags int) {
	co := openCollRead(c, argv[src], storage.TypeZSet)
	if co == nil {
		return
	}
	var shape geoShape
	var storeKey []byte
	storeDist := false
	var baseArgs int
	switch {
	case flags&geoByCoords != 0:
		baseArgs = 6
		lon, lat, ok := geoParseLonLat(c, argv[2], argv[3])
		if !ok {
			return
		}
		shape.lon, shape.lat = lon, lat
		if !geoParseRadius(c, argv[4:6], &shape) {
			return
		}
	case flags&geoByMember != 0 && !co.exists:
		// No source: the arguments are still parsed, for the reply's
		// shape (with or without STORE).
		baseArgs = 5
	case flags&geoByMember != 0:
		baseArgs = 5
		score, ok := zsetScoreOf(co, argv[2])
		if !ok {
			c.ReplyError(errGeoMember)
			return
		}
		shape.lon, shape.lat = geoDecodeScore(score)
		if !geoParseRadius(c, argv[3:5], &shape) {
			return
		}
	default: // geoSearch
		baseArgs = 2
		if flags&geoSearchStore != 0 {
			baseArgs = 3
			storeKey = argv[1]
		}
	}

	var withDist, withHash, withCoord, useAny bool
	var fromMember, fromLonLat, byRadius, byBox bool
	sort := geoSortNone
	var count int64
	search := flags&geoSearch != 0
	canStore := flags&(geoNoStore|geoSearch) == 0
	opts := argv[baseArgs:]
	for i := 0; i < len(opts); i++ {
		a := opts[i]
		left := len(opts) - i - 1 // arguments after this one
		switch {
		case geoOption(a, "withdist"):
			withDist = true
		case geoOption(a, "withhash"):
			withHash = true
		case geoOption(a, "withcoord"):
			withCoord = true
		case geoOption(a, "any"):
			useAny = true
		case geoOption(a, "asc"):
			sort = geoSortAsc
		case geoOption(a, "desc"):
			sort = geoSortDesc
		case geoOption(a, "count") && left >= 1:
			n, ok := parseInt(opts[i+1])
			if !ok {
				c.ReplyError(errNotInt)
				return
			}
			if n <= 0 {
				c.ReplyError(errGeoCount)
				return
			}
			count = n
			i++
		case geoOption(a, "store") && left >= 1 && canStore:
			storeKey, storeDist = opts[i+1], false
			i++
		case geoOption(a, "storedist") && left >= 1 && canStore:
			storeKey, storeDist = opts[i+1], true
			i++
		case geoOption(a, "storedist") && search && flags&geoSearchStore != 0:
			storeDist = true
		case geoOption(a, "frommember") && left >= 1 && search && !fromLonLat:
			if co.exists {
				score, ok := zsetScoreOf(co, opts[i+1])
				if !ok {
					c.ReplyError(errGeoMember)
					return
				}
				shape.lon, shape.lat = geoDecodeScore(score)
			}
			fromMember = true
			i++
		case geoOption(a, "fromlonlat") && left >= 2 && search && !fromMember:
			lon, lat, ok := geoParseLonLat(c, opts[i+1], opts[i+2])
			if !ok {
				return
			}
			shape.lon, shape.lat = lon, lat
			fromLonLat = true
			i += 2
		case geoOption(a, "byradius") && left >= 2 && search && !byBox:
			if !geoParseRadius(c, opts[i+1:i+3], &shape) {
				return
			}
			shape.box = false
			byRadius = true
			i += 2
		case geoOption(a, "bybox") && left >= 3 && search && !byRadius:
			if !geoParseBox(c, opts[i+1:i+4], &shape) {
				return
			}
			shape.box = true
			byBox = true
			i += 3
		default:
			c.ReplyError(errSyntax)
			return
		}
	}

	if storeKey != nil && (withDist || withHash || withCoord) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.ReplyError("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if search && !fromMember && !fromLonLat {
		c.ReplyError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + cString(argv[0]))
		return
	}
	if search && !byRadius && !byBox {
		c.ReplyError("ERR exactly one of BYRADIUS and BYBOX can be specified for " + cString(argv[0]))
		return
	}
	if useAny && count == 0 {
		c.ReplyError(errGeoAnyCount)
		return
	}

	event := "georadiusstore"
	if search {
		event = "geosearchstore"
	}
	if !co.exists {
		if storeKey != nil {
			geoStore(c, storeKey, &zsetEntries{}, event)
		} else {
			c.ReplyArrayLen(0)
		}
		return
	}

	// COUNT keeps the nearest: sort ascending unless told otherwise (not
	// needed with ANY, which keeps the first found).
	if count != 0 && sort == geoSortNone && !useAny {
		sort = geoSortAsc
	}
	limit := int64(0)
	if useAny {
		limit = count
	}
	areas := geoAreasByShape(&shape)
	var found geoFound
	found.collect(co, &areas, &shape, limit)
	pts := found.pts

	if len(pts) == 0 && storeKey == nil {
		c.ReplyArrayLen(0)
		return
	}
	returned := len(pts)
	if count != 0 && int64(returned) > count {
		returned = int(count)
	}
	if sort != geoSortNone {
		cmp := geoCmpAsc
		if sort == geoSortDesc {
			cmp = geoCmpDesc
		}
		if returned == len(pts) {
			geoSortAll(pts, cmp)
		} else {
			geoPartialSort(pts, cmp, 0, returned-1)
		}
	}

	if storeKey != nil {
		var got zsetEntries
		for i := range pts[:returned] {
			p := &pts[i]
			score := p.score
			if storeDist {
				score = p.dist / shape.conversion
			}
			got.add(found.member(p), score)
		}
		geoStore(c, storeKey, &got, event)
		return
	}

	optLen := 0
	for _, on := range []bool{withDist, withHash, withCoord} {
		if on {
			optLen++
		}
	}
	c.ReplyArrayLen(returned)
	for i := range pts[:returned] {
		p := &pts[i]
		if optLen > 0 {
			c.ReplyArrayLen(optLen + 1)
		}
		c.ReplyBulk(found.member(p))
		if withDist {
			replyGeoDistance(c, p.dist/shape.conversion)
		}
		if withHash {
			c.ReplyInt(cvttsd2si(p.score))
		}
		if withCoord {
			c.ReplyArrayLen(2)
			replyGeoCoord(c, p.lon)
			replyGeoCoord(c, p.lat)
		}
	}
}

// geoFound collects a search's results: points, their members in one
// arena.
type geoFound struct {
	arena []byte
	pts   []geoPoint
}

// member is p's member (aliasing the arena).
func (f *geoFound) member(p *geoPoint) []byte { return f.arena[p.start:p.end:p.end] }

// full reports whether an ANY search (limit > 0) has what it wants.
func (f *geoFound) full(limit int64) bool {
	return len(f.pts) > 0 && limit > 0 && int64(len(f.pts)) >= limit
}

// collect is membersOfAllNeighbors: the members inside the shape from
// each box in turn, skipping excluded boxes and a box equal to the last
// one searched (huge radiuses make neighbours coincide), and stopping
// once limit (if not 0) points are found.
func (f *geoFound) collect(co *coll, r *geoHashRadius, s *geoShape, limit int64) {
	boxes := r.boxes()
	lastDone := 0
	for i, box := range boxes {
		if box.isZero() {
			continue
		}
		// Redis's test reads "last_processed &&": the centre (index 0)
		// never counts as a previous box.
		if lastDone != 0 && box == boxes[lastDone] {
			continue
		}
		if f.full(limit) {
			break
		}
		lo, hi := geoBoxScores(box)
		f.collectRange(co, lo, hi, s, limit)
		lastDone = i
	}
}

// collectRange is geoGetPointsInRange: the members whose scores are in
// [lo, hi) and whose positions are inside the shape, in index order.
func (f *geoFound) collectRange(co *coll, lo, hi float64, s *geoShape, limit int64) {
	it := zsetIndexIter(co)
	defer closeIter(it)
	for ok := it.SeekGE(co.seekKey(zsetScorePrefix(nil, lo))); ok; ok = it.Next() {
		member, score := zsetEntry(co, it)
		if !(score < hi) {
			break
		}
		if lon, lat, dist, in := geoWithin(s, score); in {
			start := len(f.arena)
			f.arena = append(f.arena, member...)
			f.pts = append(f.pts, geoPoint{lon: lon, lat: lat, dist: dist, score: score, start: start, end: len(f.arena)})
		}
		if f.full(limit) {
			break
		}
	}
}

// geoStore replaces dst with the sorted set of got (deletes it when got
// is empty) and replies with its length, as a search with STORE does.
// Redis builds a skiplist and converts it to a listpack when it is small
// enough (zsetConvertToListpackIfNeeded), so the encoding is decided
// first: a skiplist keeps a -0 score that a listpack turns into 0. Redis
// counts every member stored as a change.
func geoStore(c *Client, dst []byte, got *zsetEntries, event string) {
	maxLen := 0
	for i := 0; i < got.len(); i++ {
		maxLen = max(maxLen, len(got.member(i)))
	}
	cfg := c.srv.cfg
	big := got.len() > cfg.ZsetMaxListpackEntries || int64(maxLen) > int64(cfg.ZsetMaxListpackValue) || len(got.arena) > geoListpackSafe
	if n := storeZsetEntries(c, dst, got, big, event); n > 0 {
		c.srv.ks.changes += n - 1
	}
}
