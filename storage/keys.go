package storage

import (
	"encoding/binary"
	"errors"
	"math"
)

// Key layout. Every record starts with a one-byte family prefix so that each
// family is one contiguous range:
//
//	'M' db(u16) userkey                         -> meta record (see Meta)
//	'D' db(u16) keylen(u32) userkey version(u64) sub  -> member of a collection,
//	                                                      or chunk of a long string
//	'E' db(u16) at(u64 ms) userkey              -> "" (expiry index: at is the
//	                                                key's expiry, or earlier; see
//	                                                Meta.ExpireIndexAt)
//	'S' name                                    -> server records (counters, repl ids)
//
// db is the physical namespace of a logical database (SWAPDB swaps the
// mapping, not the data). All integers are big-endian so byte order equals
// numeric order. The data family length-prefixes the user key so that one
// key's members never interleave with another key's that shares a prefix; the
// version lets an overwritten or deleted collection's members be dropped with
// one DeleteRange while a new collection under the same name starts clean.
const (
	FamilyMeta   byte = 'M'
	FamilyData   byte = 'D'
	FamilyExpire byte = 'E'
	FamilyServer byte = 'S'
)

// Type is the Redis type of a key, stored in the first byte of its meta record.
type Type byte

// Redis value types. The numbers are part of the on-disk format.
const (
	TypeNone   Type = 0
	TypeString Type = 1
	TypeList   Type = 2
	TypeSet    Type = 3
	TypeZSet   Type = 4
	TypeHash   Type = 5
	TypeStream Type = 6
)

// String returns the name TYPE replies with.
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
	}
	return "none"
}

// MetaKey appends the meta key of userkey in db to dst.
func MetaKey(dst []byte, db uint16, userkey []byte) []byte {
	dst = append(dst, FamilyMeta, byte(db>>8), byte(db))
	return append(dst, userkey...)
}

// MetaPrefix appends the prefix shared by every meta key of db.
func MetaPrefix(dst []byte, db uint16) []byte {
	return append(dst, FamilyMeta, byte(db>>8), byte(db))
}

// UserKeyFromMeta returns the user key part of a meta key (aliasing mk).
func UserKeyFromMeta(mk []byte) []byte {
	if len(mk) < 3 {
		return nil
	}
	return mk[3:]
}

// DataPrefix appends the prefix under which the members of one version of a
// collection live: 'D' db keylen key version.
func DataPrefix(dst []byte, db uint16, userkey []byte, version uint64) []byte {
	dst = append(dst, FamilyData, byte(db>>8), byte(db))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(userkey)))
	dst = append(dst, userkey...)
	return binary.BigEndian.AppendUint64(dst, version)
}

// DataPrefixOf appends the data prefix of the key userkey whose meta record
// is m: under m.DataName(userkey).
func DataPrefixOf(dst []byte, db uint16, userkey []byte, m *Meta) []byte {
	return DataPrefix(dst, db, m.DataName(userkey), m.Version)
}

// DataName is the name the data records of the key userkey, whose meta
// record is m, are stored under: m.DataKey when set (a renamed key),
// userkey otherwise.
func (m *Meta) DataName(userkey []byte) []byte {
	if m.DataKey != nil {
		return m.DataKey
	}
	return userkey
}

// DataPrefixLen returns the length of the DataPrefix at the start of the
// data key k, or 0 when k is not a well-formed data key.
func DataPrefixLen(k []byte) int {
	if len(k) < 7 || k[0] != FamilyData {
		return 0
	}
	n := 7 + int(binary.BigEndian.Uint32(k[3:7])) + 8
	if n > len(k) || n < 15 {
		return 0
	}
	return n
}

// DataKeyPrefix appends the prefix shared by every version of userkey's
// members: deleting [DataKeyPrefix, PrefixEnd(DataKeyPrefix)) drops them all.
func DataKeyPrefix(dst []byte, db uint16, userkey []byte) []byte {
	dst = append(dst, FamilyData, byte(db>>8), byte(db))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(userkey)))
	return append(dst, userkey...)
}

// DBPrefix appends the prefix of a family's records for one db (families
// Meta, Data and Expire are all laid out family, db, ...).
func DBPrefix(dst []byte, family byte, db uint16) []byte {
	return append(dst, family, byte(db>>8), byte(db))
}

// ExpireKey appends the expiry-index key of userkey in db expiring at ms.
func ExpireKey(dst []byte, db uint16, at int64, userkey []byte) []byte {
	dst = append(dst, FamilyExpire, byte(db>>8), byte(db))
	dst = binary.BigEndian.AppendUint64(dst, uint64(at))
	return append(dst, userkey...)
}

// ParseExpireKey splits an expiry-index key.
func ParseExpireKey(k []byte) (db uint16, at int64, userkey []byte, ok bool) {
	if len(k) < 11 || k[0] != FamilyExpire {
		return 0, 0, nil, false
	}
	return binary.BigEndian.Uint16(k[1:3]), int64(binary.BigEndian.Uint64(k[3:11])), k[11:], true
}

// ServerKey appends the key of a server record.
func ServerKey(dst []byte, name string) []byte {
	dst = append(dst, FamilyServer)
	return append(dst, name...)
}

// PrefixEnd returns the smallest key greater than every key with prefix p,
// or nil when there is none (p is all 0xff).
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Meta is the decoded meta record of one user key.
//
// Value layout:
//
//	type(1) flags(1) [expireAt(u64 ms) if flags&metaHasExpire]
//	  [expireIndexAt(u64 ms) if flags&metaExpireIndexed]
//	  string:      the raw value (flags bits 1-2: its StrEnc)
//	  chunked string (flags&metaChunked): version(uvarint) length(uvarint)
//	                 [datakey]
//	  collection:  version(uvarint) count(uvarint) [datakey] [type-specific tail]
//
// datakey (flags&metaHasDataKey) is uvarint length + bytes: see DataKey.
type Meta struct {
	Type     Type
	ExpireAt int64 // unix ms; 0 means no expiry
	// ExpireIndexAt is the time of the key's expiry-index entry when it
	// is earlier than ExpireAt, 0 when the entry is at ExpireAt (or there
	// is no expiry). An expiry pushed later leaves the entry where it
	// was, so that refreshing a TTL writes one record, not three; the
	// active expiry cycle moves an entry found due before its key. See
	// IndexAt.
	ExpireIndexAt int64
	// Strings:
	Value []byte // aliases the encoded record; nil when Chunked
	Enc   StrEnc // how Redis would hold the value (OBJECT ENCODING)
	// Chunked marks a string kept in chunk records under its data prefix
	// (version Version) instead of in Value; Count is then its length.
	Chunked bool
	// Collections (and chunked strings):
	Version uint64
	Count   uint64
	// DataKey is the user key the data records live under when it is not
	// the key itself: RENAME moves only the meta record, so a renamed
	// collection keeps its members where they were (versions are never
	// reused, so a new key of the old name cannot meet them). nil
	// otherwise. Use DataPrefixOf.
	DataKey []byte
	Tail    []byte // type-specific extra fields (e.g. list head/tail), aliases
}

const (
	metaHasExpire   = 1
	metaStrEncShift = 1
	metaStrEncMask  = 3 << metaStrEncShift
	metaChunked     = 1 << 3
	metaHasDataKey  = 1 << 4
	// metaExpireIndexed: ExpireIndexAt follows ExpireAt. Records written
	// before it existed lack it, and read as indexed at their expiry.
	metaExpireIndexed = 1 << 5
)

// IndexAt is the time of the key's expiry-index entry: ExpireIndexAt when
// set, else ExpireAt (0: no expiry, no entry).
func (m *Meta) IndexAt() int64 {
	if m.ExpireIndexAt != 0 {
		return m.ExpireIndexAt
	}
	return m.ExpireAt
}

// HasData reports whether the key has records under its data prefix: a
// collection, or a chunked string.
func (m *Meta) HasData() bool { return m.Type != TypeString || m.Chunked }

// StrLen is the length of a string's value, chunked or not.
func (m *Meta) StrLen() int64 {
	if m.Chunked {
		return int64(m.Count)
	}
	return int64(len(m.Value))
}

// StrEnc records how the command that last wrote a string left it in
// Redis, where OBJECT ENCODING and OBJECT REFCOUNT depend on the path a
// value took, not only on its bytes.
type StrEnc uint8

const (
	// StrEncAuto is Redis's tryObjectEncoding, the fate of a value stored
	// by SET and most commands: "int" for a canonical integer (shared when
	// 0-9999), "embstr" up to 44 bytes, "raw" beyond.
	StrEncAuto StrEnc = iota
	// StrEncNoInt is a string object made without trying an integer
	// (INCRBYFLOAT's result): "embstr" up to 44 bytes, "raw" beyond.
	StrEncNoInt
	// StrEncRaw is a value changed in place (APPEND, SETRANGE, SETBIT,
	// BITFIELD, BITOP): always "raw".
	StrEncRaw
	// StrEncIntCopy is an integer duplicated by COPY: "int", not shared.
	StrEncIntCopy
)

// ErrCorrupt is returned when a stored record cannot be decoded.
var ErrCorrupt = errors.New("storage: corrupt record")

// AppendMeta appends the encoding of m to dst.
func AppendMeta(dst []byte, m *Meta) []byte {
	var flags byte
	indexed := m.ExpireAt != 0 && m.ExpireIndexAt != 0
	if m.ExpireAt != 0 {
		flags |= metaHasExpire
	}
	if indexed {
		flags |= metaExpireIndexed
	}
	if m.Type == TypeString {
		flags |= byte(m.Enc) << metaStrEncShift & metaStrEncMask
		if m.Chunked {
			flags |= metaChunked
		}
	}
	if m.DataKey != nil && m.HasData() {
		flags |= metaHasDataKey
	}
	dst = append(dst, byte(m.Type), flags)
	if m.ExpireAt != 0 {
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.ExpireAt))
	}
	if indexed {
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.ExpireIndexAt))
	}
	if m.Type == TypeString && !m.Chunked {
		return append(dst, m.Value...)
	}
	dst = binary.AppendUvarint(dst, m.Version)
	dst = binary.AppendUvarint(dst, m.Count)
	if m.DataKey != nil {
		dst = binary.AppendUvarint(dst, uint64(len(m.DataKey)))
		dst = append(dst, m.DataKey...)
	}
	return append(dst, m.Tail...)
}

// DecodeMeta decodes a meta record into m. Slices in m alias b.
func DecodeMeta(b []byte, m *Meta) error {
	if len(b) < 2 {
		return ErrCorrupt
	}
	*m = Meta{Type: Type(b[0])}
	flags := b[1]
	b = b[2:]
	if flags&metaHasExpire != 0 {
		if len(b) < 8 {
			return ErrCorrupt
		}
		m.ExpireAt = int64(binary.BigEndian.Uint64(b))
		b = b[8:]
	}
	if flags&metaExpireIndexed != 0 {
		if len(b) < 8 || flags&metaHasExpire == 0 {
			return ErrCorrupt
		}
		if m.ExpireAt != 0 {
			m.ExpireIndexAt = int64(binary.BigEndian.Uint64(b))
		}
		b = b[8:]
	}
	if m.Type == TypeString {
		m.Enc = StrEnc(flags & metaStrEncMask >> metaStrEncShift)
		if flags&metaChunked == 0 {
			m.Value = b
			return nil
		}
		m.Chunked = true
	}
	if m.Type == TypeNone || m.Type > TypeStream {
		return ErrCorrupt
	}
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return ErrCorrupt
	}
	m.Version = v
	b = b[n:]
	c, n := binary.Uvarint(b)
	if n <= 0 {
		return ErrCorrupt
	}
	m.Count = c
	b = b[n:]
	if flags&metaHasDataKey != 0 {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return ErrCorrupt
		}
		m.DataKey = b[n : n+int(l) : n+int(l)]
		b = b[n+int(l):]
	}
	m.Tail = b
	return nil
}

// MetaType returns the type byte of an encoded meta record without decoding it.
func MetaType(b []byte) Type {
	if len(b) == 0 {
		return TypeNone
	}
	return Type(b[0])
}

// MetaHeader returns the part of an encoded meta record that precedes a
// string's inline value (type, flags, expiry), and false for records with
// no inline value. Decoded, the header is the record with an empty value.
func MetaHeader(b []byte) ([]byte, bool) {
	if len(b) < 2 || Type(b[0]) != TypeString || b[1]&metaChunked != 0 {
		return nil, false
	}
	n := 2
	if b[1]&metaHasExpire != 0 {
		n += 8
	}
	if b[1]&metaExpireIndexed != 0 {
		n += 8
	}
	if len(b) < n {
		return nil, false
	}
	return b[:n:n], true
}

// MetaExpireAt returns the expiry of an encoded meta record (0 when none).
func MetaExpireAt(b []byte) int64 {
	if len(b) < 10 || b[1]&metaHasExpire == 0 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b[2:10]))
}

// MetaIndexAt returns the time of the expiry-index entry of an encoded
// meta record (0 when it has no expiry): Meta.IndexAt.
func MetaIndexAt(b []byte) int64 {
	if len(b) >= 18 && b[1]&metaExpireIndexed != 0 && MetaExpireAt(b) != 0 {
		if at := int64(binary.BigEndian.Uint64(b[10:18])); at != 0 {
			return at
		}
	}
	return MetaExpireAt(b)
}

// AppendFloatKey appends an order-preserving 8-byte encoding of f: byte order
// of the encodings equals numeric order of the floats (used by sorted-set
// score indexes). -0 and +0 encode differently; callers normalise.
func AppendFloatKey(dst []byte, f float64) []byte {
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(dst, u)
}

// DecodeFloatKey inverts AppendFloatKey.
func DecodeFloatKey(b []byte) float64 {
	u := binary.BigEndian.Uint64(b)
	if u&(1<<63) != 0 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	return math.Float64frombits(u)
}
