package rdb

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// Version is the RDB format version written by this package (Redis 7.0).
// Readers accept 1 through Version.
const Version = 10

// Opcodes that may appear where a value type is expected.
const (
	opFunctionPreGA = 0xF6 // FUNCTION, written only by 7.0 release candidates
	opFunction2     = 0xF5
	opModuleAux     = 0xF7
	opIdle          = 0xF8
	opFreq          = 0xF9
	opAux           = 0xFA
	opResizeDB      = 0xFB
	opExpireTimeMs  = 0xFC
	opExpireTime    = 0xFD
	opSelectDB      = 0xFE
	opEOF           = 0xFF
)

// Encoding is an RDB value type byte: how one key's value is laid out.
type Encoding byte

// The value types Redis 7.0 knows. Those marked (read) are written only by
// older versions and are decoded but never written here.
const (
	EncString           Encoding = 0
	EncList             Encoding = 1 // (read)
	EncSet              Encoding = 2
	EncZSet             Encoding = 3 // (read) scores as text
	EncHash             Encoding = 4
	EncZSet2            Encoding = 5 // scores as binary doubles
	EncModule           Encoding = 6 // not supported
	EncModule2          Encoding = 7 // not supported
	EncHashZipmap       Encoding = 9 // (read)
	EncListZiplist      Encoding = 10
	EncSetIntset        Encoding = 11
	EncZSetZiplist      Encoding = 12 // (read)
	EncHashZiplist      Encoding = 13 // (read)
	EncListQuicklist    Encoding = 14 // (read) ziplist nodes
	EncStreamListpacks  Encoding = 15 // not supported
	EncHashListpack     Encoding = 16
	EncZSetListpack     Encoding = 17
	EncListQuicklist2   Encoding = 18
	EncStreamListpacks2 Encoding = 19 // not supported
)

var encodingNames = [...]string{
	EncString: "string", EncList: "list", EncSet: "set", EncZSet: "zset", EncHash: "hash",
	EncZSet2: "zset-2", EncModule: "module", EncModule2: "module-2", 8: "",
	EncHashZipmap: "hash-zipmap", EncListZiplist: "list-ziplist", EncSetIntset: "set-intset",
	EncZSetZiplist: "zset-ziplist", EncHashZiplist: "hash-ziplist",
	EncListQuicklist: "list-quicklist", EncStreamListpacks: "stream-listpacks",
	EncHashListpack: "hash-listpack", EncZSetListpack: "zset-listpack",
	EncListQuicklist2: "list-quicklist-2", EncStreamListpacks2: "stream-listpacks-2",
}

func (e Encoding) String() string {
	if int(e) < len(encodingNames) && encodingNames[e] != "" {
		return encodingNames[e]
	}
	return "type-" + strconv.Itoa(int(e))
}

// Type returns the data type a value of this encoding holds, or TypeNone for
// bytes that are not value types.
func (e Encoding) Type() Type {
	switch e {
	case EncString:
		return TypeString
	case EncList, EncListZiplist, EncListQuicklist, EncListQuicklist2:
		return TypeList
	case EncSet, EncSetIntset:
		return TypeSet
	case EncZSet, EncZSet2, EncZSetZiplist, EncZSetListpack:
		return TypeZSet
	case EncHash, EncHashZipmap, EncHashZiplist, EncHashListpack:
		return TypeHash
	case EncStreamListpacks, EncStreamListpacks2:
		return TypeStream
	case EncModule, EncModule2:
		return TypeModule
	}
	return TypeNone
}

// Type is the logical data type of a key.
type Type uint8

// The data types. Their names are what the TYPE command replies.
const (
	TypeNone Type = iota
	TypeString
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
	TypeModule
)

func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeHash:
		return "hash"
	case TypeStream:
		return "stream"
	case TypeModule:
		return "module"
	}
	return "none"
}

// appendLen appends an RDB length in its shortest form, as rdbSaveLen does.
func appendLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		dst = append(dst, 0x80)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	default:
		dst = append(dst, 0x81)
		return binary.BigEndian.AppendUint64(dst, n)
	}
}

// parseInt is Redis's string2ll: exactly the canonical decimal form of an
// int64 (no sign but '-', no leading zeros, no spaces, no "-0"), which is
// what Redis stores as an integer encoding.
func parseInt(s []byte) (int64, bool) { return resp.ParseInt(s) }

// scoreAsInt is Redis 7.0's double2ll: listpack zsets store a score as an
// integer entry when it is integral and within ±LLONG_MAX/2. -0 becomes 0.
func scoreAsInt(d float64) (int64, bool) {
	const lim = float64(math.MaxInt64 / 2)
	if d < -lim || d > lim || d != d {
		return 0, false
	}
	v := int64(d)
	if float64(v) != d {
		return 0, false
	}
	return v, true
}

// appendScore formats a non-integral score the way Redis's d2string does
// ("%.17g", "inf", "-inf").
func appendScore(dst []byte, d float64) []byte {
	switch {
	case math.IsInf(d, 1):
		return append(dst, "inf"...)
	case math.IsInf(d, -1):
		return append(dst, "-inf"...)
	case d == 0:
		if math.Signbit(d) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	if v, ok := scoreAsInt(d); ok && d > -(1<<52-1) && d < 1<<52 {
		return strconv.AppendInt(dst, v, 10)
	}
	return strconv.AppendFloat(dst, d, 'g', 17, 64)
}

// parseScore reads a score stored as text (type 3 zsets, listpack and
// ziplist string entries). Redis uses strtod, which also takes "inf" and
// "nan" spelled in any case.
func parseScore(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true // strtod saturates to ±HUGE_VAL or 0 as well
		}
		return 0, false
	}
	return f, true
}
