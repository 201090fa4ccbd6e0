package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync/atomic"
)

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// VerifyChecksum compares the CRC-64 trailer with the content (a
	// stored 0 means "saved without checksum" and is accepted).
	VerifyChecksum bool
	// MaxString bounds every string, blob and decompressed length
	// (0 = 512 MB, Redis's proto-max-bulk-len).
	MaxString int64
	// OnProgress, if set, is called from Next about every
	// ProgressInterval bytes (0 = 1 MiB), on the caller's goroutine.
	OnProgress       func(Progress)
	ProgressInterval int64
	// MembersCheckedLater skips the walk that refuses duplicate set
	// members, hash fields and sorted-set members inside listpack,
	// ziplist and zipmap values, for a caller that finds duplicates
	// itself (a bulk load sorts every member): the walk was a sixth of
	// the reader's time. Scores are still checked as members are read.
	MembersCheckedLater bool
}

// Progress is how far a Reader has got.
type Progress struct {
	Bytes int64 // input consumed
	Keys  int64 // keys returned by Next
}

// ChecksumStatus is what became of the CRC-64 trailer.
type ChecksumStatus uint8

const (
	ChecksumNotChecked ChecksumStatus = iota // VerifyChecksum was off
	ChecksumVerified                         // the trailer matched
	ChecksumZero                             // stored as 0: saved with rdbchecksum no
	ChecksumAbsent                           // RDB version < 5 has no trailer
)

func (c ChecksumStatus) String() string {
	switch c {
	case ChecksumVerified:
		return "verified"
	case ChecksumZero:
		return "not stored (saved with rdbchecksum no)"
	case ChecksumAbsent:
		return "absent (RDB version < 5)"
	}
	return "not checked"
}

// Kind says what a Record is.
type Kind uint8

const (
	KindAux       Kind = iota + 1 // Record.Aux
	KindSelectDB                  // Record.DB
	KindResizeDB                  // Record.DBSize, Record.ExpiresSize
	KindFunction                  // Record.Function
	KindModuleAux                 // Record.ModuleID, Record.Module; the data was skipped
	KindKey                       // Record.KeyHeader, Type, Encoding, Len, Value
	KindEOF                       // Record.Checksum
)

var kindNames = [...]string{"", "aux", "selectdb", "resizedb", "function", "module-aux", "key", "eof"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k > 0 {
		return kindNames[k]
	}
	return "kind-" + strconv.Itoa(int(k))
}

// Function is a function library record.
type Function struct {
	// Source is the library source of a FUNCTION2 record (what FUNCTION
	// LOAD takes), or the code of a pre-GA record.
	Source []byte
	// PreGA marks a FUNCTION (0xF6) record from a Redis 7.0 release
	// candidate, with one function per record. Redis 7.0 refuses such
	// files ("Pre-release function format not supported").
	PreGA              bool
	Name, Engine, Desc []byte // PreGA only
}

// Record is one item of an RDB file. Its byte slices point into buffers of
// the Reader and stay valid until the next call to Next (NextElem does not
// touch them); copy what must live longer.
type Record struct {
	Kind   Kind
	Offset int64 // of the record's first byte (for keys, of the first EXPIRETIME/IDLE/FREQ prefix)
	DB     int   // KindSelectDB: the database selected; KindKey: the key's database

	Aux                 Aux    // KindAux
	DBSize, ExpiresSize uint64 // KindResizeDB
	Function            Function
	ModuleID            uint64 // KindModuleAux
	Module              string // KindModuleAux: the module type name encoded in ModuleID

	// KindKey. ExpireMs is 0 for no expiry; a stored expiry of -1 means
	// none (as in Redis) and a stored 0 is reported as 1 so that it stays
	// an expiry in the past.
	KeyHeader
	Type     Type
	Encoding Encoding
	// Len is the number of elements of a collection (pairs for a hash),
	// -1 for quicklist-encoded lists, whose count is only known once read,
	// and 0 for strings. A collection may be empty (Redis skips such keys).
	Len   int64
	Value []byte // the value of a string key

	Checksum ChecksumStatus // KindEOF
}

// Elem is one element of a collection: a list element or set member
// (Member), a hash field and its value (Member, Value), or a sorted set
// member and its score (Member, Score). Integers stored in compact encodings
// come out as their decimal text.
type Elem struct {
	Member []byte
	Value  []byte
	Score  float64
}

type blobKind uint8

const (
	blobNone blobKind = iota
	blobListpack
	blobZiplist
	blobIntset
	blobZipmap
)

// pendingKey holds the EXPIRETIME/IDLE/FREQ prefixes read before a key.
type pendingKey struct {
	set      bool
	off      int64
	expireMs int64
	idle     int64
	freq     uint8
	hasExp   bool
	hasIdle  bool
	hasFreq  bool
}

// keyState is the element stream of the key last returned by Next.
type keyState struct {
	active  bool
	enc     Encoding
	key     []byte
	off     int64
	left    uint64 // elements (pairs) still to read, or quicklist nodes
	blob    blobKind
	data    []byte
	pos     int
	idx     int
	entries int // blob entries (elements, or pairs for hashes and zsets) left
	pairs   bool
	zset    bool
}

// Reader decodes an RDB stream record by record. It is not safe for
// concurrent use, except Progress. After an error every call returns it.
type Reader struct {
	in      input
	o       ReaderOptions
	maxStr  uint64
	version int
	started bool
	done    bool
	err     error
	db      int

	pend pendingKey
	cur  keyState

	keyBuf, valBuf, blobBuf, lzfBuf, mbuf, vbuf []byte
	seen                                        map[string]struct{}

	// keys and the offset are counted here and published to bytesDone
	// and keysDone (for Progress from other goroutines) every
	// progressPublishBytes of input: an atomic store per element, a
	// locked instruction, was a tenth of the decoding's time.
	keys        int64
	bytesDone   atomic.Int64
	keysDone    atomic.Int64
	nextPublish int64
	nextReport  int64
}

// progressPublishBytes is how far the published progress may lag.
const progressPublishBytes = 64 << 10

// NewReader returns a Reader of the RDB stream in r. It reads ahead in
// chunks of 64 KB; after the EOF record, Buffered returns what was read past
// the end of the RDB.
func NewReader(r io.Reader, o ReaderOptions) *Reader {
	rd := &Reader{o: o}
	rd.in.src = r
	rd.in.buf = make([]byte, inputSize)
	rd.in.doSum = o.VerifyChecksum
	rd.maxStr = 512 << 20
	if o.MaxString > 0 {
		rd.maxStr = uint64(o.MaxString)
	}
	if rd.o.ProgressInterval <= 0 {
		rd.o.ProgressInterval = 1 << 20
	}
	return rd
}

// Version returns the RDB version of the input, known after the first Next.
func (r *Reader) Version() int { return r.version }

// Offset returns the number of input bytes consumed so far.
func (r *Reader) Offset() int64 { return r.in.offset() }

// Progress may be called from any goroutine; it may lag the reading by
// up to progressPublishBytes (OnProgress's figures do not).
func (r *Reader) Progress() Progress {
	return Progress{Bytes: r.bytesDone.Load(), Keys: r.keysDone.Load()}
}

// publish makes the progress at off visible to Progress, at most every
// progressPublishBytes unless forced.
func (r *Reader) publish(off int64, force bool) {
	if force || off >= r.nextPublish {
		r.bytesDone.Store(off)
		r.keysDone.Store(r.keys)
		r.nextPublish = off + progressPublishBytes
	}
}

// Buffered returns the bytes read from the source beyond what was consumed:
// after the EOF record, whatever followed the RDB. Valid until the next call.
func (r *Reader) Buffered() []byte { return r.in.buf[r.in.r:r.in.w] }

// errAt makes an *Error at off, naming the key being read if any.
func (r *Reader) errAt(off int64, kind error, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if r.cur.active && !r.in.static {
		msg += fmt.Sprintf(" (in the value of key %q at offset %d)", r.cur.key, r.cur.off)
	}
	return &Error{Offset: off, Kind: kind, Msg: msg}
}

func (r *Reader) ioErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		e := r.errAt(r.in.end(), ErrTruncated, "unexpected end of file: the RDB is truncated")
		e.Err = io.ErrUnexpectedEOF
		return e
	}
	e := r.errAt(r.in.end(), nil, "read error: %v", err)
	e.Err = err
	return e
}

func (r *Reader) readByte() (byte, error) {
	if r.in.r == r.in.w {
		if err := r.in.fill(1); err != nil {
			return 0, r.ioErr(err)
		}
	}
	b := r.in.buf[r.in.r]
	r.in.r++
	return b, nil
}

// readN returns the next n (small) bytes, valid until the next read.
func (r *Reader) readN(n int) ([]byte, error) {
	if err := r.in.fill(n); err != nil {
		return nil, r.ioErr(err)
	}
	b := r.in.buf[r.in.r : r.in.r+n]
	r.in.r += n
	return b, nil
}

// readRaw appends the next n bytes to (*dst)[:0], growing it only as the
// bytes arrive so that a lying length cannot force a large allocation.
func (r *Reader) readRaw(dst *[]byte, n uint64) ([]byte, error) {
	d := (*dst)[:0]
	if n <= uint64(len(r.in.buf)) {
		b, err := r.readN(int(n))
		if err != nil {
			return nil, err
		}
		d = append(d, b...)
	} else {
		for rem := n; rem > 0; {
			if r.in.r == r.in.w {
				if err := r.in.fill(1); err != nil {
					return nil, r.ioErr(err)
				}
			}
			k := min(rem, uint64(r.in.w-r.in.r))
			d = append(d, r.in.buf[r.in.r:r.in.r+int(k)]...)
			r.in.r += int(k)
			rem -= k
		}
	}
	*dst = d
	return d, nil
}

func (r *Reader) readLen() (uint64, error) {
	off := r.in.offset()
	b, err := r.readByte()
	if err != nil {
		return 0, err
	}
	return r.lenFrom(off, b)
}

// lenFrom decodes a length whose first byte, at off, is b.
func (r *Reader) lenFrom(off int64, b byte) (uint64, error) {
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3F), nil
	case 1:
		c, err := r.readByte()
		if err != nil {
			return 0, err
		}
		return uint64(b&0x3F)<<8 | uint64(c), nil
	case 2:
		switch b {
		case 0x80:
			p, err := r.readN(4)
			if err != nil {
				return 0, err
			}
			return uint64(binary.BigEndian.Uint32(p)), nil
		case 0x81:
			p, err := r.readN(8)
			if err != nil {
				return 0, err
			}
			return binary.BigEndian.Uint64(p), nil
		}
		return 0, r.errAt(off, ErrCorrupt, "bad length: unknown length encoding 0x%02x", b)
	}
	return 0, r.errAt(off, ErrCorrupt, "bad length: string encoding 0x%02x where a length is expected", b)
}

// readString decodes an RDB string (raw, integer or LZF) into (*dst)[:0].
func (r *Reader) readString(dst *[]byte) ([]byte, error) {
	off := r.in.offset()
	b, err := r.readByte()
	if err != nil {
		return nil, err
	}
	if b>>6 != 3 {
		n, err := r.lenFrom(off, b)
		if err != nil {
			return nil, err
		}
		if n > r.maxStr {
			return nil, r.errAt(off, ErrTooLarge, "string of %d bytes exceeds the %d-byte limit", n, r.maxStr)
		}
		return r.readRaw(dst, n)
	}
	var v int64
	switch b & 0x3F {
	case 0:
		p, err := r.readByte()
		if err != nil {
			return nil, err
		}
		v = int64(int8(p))
	case 1:
		p, err := r.readN(2)
		if err != nil {
			return nil, err
		}
		v = int64(int16(binary.LittleEndian.Uint16(p)))
	case 2:
		p, err := r.readN(4)
		if err != nil {
			return nil, err
		}
		v = int64(int32(binary.LittleEndian.Uint32(p)))
	case 3:
		return r.readLZF(dst, off)
	default:
		return nil, r.errAt(off, ErrCorrupt, "unknown string encoding 0x%02x", b)
	}
	*dst = strconv.AppendInt((*dst)[:0], v, 10)
	return *dst, nil
}

// lzfMaxRatio bounds what LZF can expand to: a 3-byte back-reference makes
// at most 264 bytes.
const lzfMaxRatio = 88

func (r *Reader) readLZF(dst *[]byte, off int64) ([]byte, error) {
	clen, err := r.readLen()
	if err != nil {
		return nil, err
	}
	ulen, err := r.readLen()
	if err != nil {
		return nil, err
	}
	if clen > r.maxStr || ulen > r.maxStr {
		return nil, r.errAt(off, ErrTooLarge, "LZF string of %d (%d compressed) bytes exceeds the %d-byte limit", ulen, clen, r.maxStr)
	}
	if clen == 0 {
		return nil, r.errAt(off, ErrCorrupt, "LZF mismatch: empty compressed data for %d bytes", ulen)
	}
	comp, err := r.readRaw(&r.lzfBuf, clen)
	if err != nil {
		return nil, err
	}
	if ulen > clen*lzfMaxRatio {
		return nil, r.errAt(off, ErrCorrupt, "LZF mismatch: %d compressed bytes cannot expand to %d", clen, ulen)
	}
	d := *dst
	if uint64(cap(d)) < ulen {
		d = make([]byte, ulen)
	}
	d = d[:ulen]
	n, err := lzfDecompress(comp, d)
	if err != nil {
		return nil, r.errAt(off, ErrCorrupt, "LZF mismatch: invalid compressed string: %v", err)
	}
	if uint64(n) != ulen {
		return nil, r.errAt(off, ErrCorrupt, "LZF mismatch: decompressed to %d bytes, %d declared", n, ulen)
	}
	if cap(r.lzfBuf) > 1<<20 {
		r.lzfBuf = nil
	}
	*dst = d
	return d, nil
}

func (r *Reader) readHeader() error {
	p, err := r.readN(9)
	if err != nil {
		if !errors.Is(err, ErrTruncated) {
			return err
		}
		got := r.in.buf[r.in.r:r.in.w]
		if bytes.HasPrefix([]byte("REDIS"), got[:min(len(got), 5)]) {
			return err // a cut "REDIS00..." header
		}
		p = got
	}
	if len(p) < 5 || !bytes.Equal(p[:5], []byte("REDIS")) {
		return r.errAt(0, ErrCorrupt, "bad magic: wrong signature trying to load DB from file (got %q, want \"REDIS\")", p[:min(len(p), 5)])
	}
	// Redis takes atoi() of the four bytes; refusing anything but digits
	// keeps a damaged version field from passing for an old version
	// without checksum.
	v := 0
	for _, c := range p[5:9] {
		if c < '0' || c > '9' {
			return r.errAt(5, ErrCorrupt, "bad version field %q: not 4 decimal digits", p[5:9])
		}
		v = v*10 + int(c-'0')
	}
	if v < 1 || v > Version {
		return r.errAt(5, ErrUnsupported, "Can't handle RDB format version %d (this reader takes 1 to %d)", v, Version)
	}
	r.version = v
	return nil
}

// Next returns the next record. After the KindEOF record it returns io.EOF.
// If the elements of the previous key were not all read with NextElem, Next
// reads (and checks) the rest first.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	if r.done {
		return Record{}, io.EOF
	}
	rec, err := r.next()
	if err != nil {
		r.err = err
		r.cur.active = false
		return Record{}, err
	}
	off := r.in.offset()
	r.publish(off, rec.Kind == KindEOF)
	if r.o.OnProgress != nil && (off >= r.nextReport || rec.Kind == KindEOF) {
		r.nextReport = off + r.o.ProgressInterval
		r.o.OnProgress(Progress{Bytes: off, Keys: r.keys})
	}
	return rec, nil
}

func (r *Reader) next() (Record, error) {
	if !r.started {
		r.started = true
		if err := r.readHeader(); err != nil {
			return Record{}, err
		}
	}
	for r.cur.active {
		if _, ok, err := r.nextElem(); err != nil {
			return Record{}, err
		} else if !ok {
			break
		}
	}
	r.trimBuffers()
	for {
		off := r.in.offset()
		op, err := r.readByte()
		if err != nil {
			return Record{}, err
		}
		if !r.pend.set && (op == opExpireTimeMs || op == opExpireTime || op == opIdle || op == opFreq) {
			r.pend.set, r.pend.off = true, off
		}
		switch op {
		case opExpireTimeMs:
			p, err := r.readN(8)
			if err != nil {
				return Record{}, err
			}
			r.pend.expireMs, r.pend.hasExp = int64(binary.LittleEndian.Uint64(p)), true
		case opExpireTime:
			p, err := r.readN(4)
			if err != nil {
				return Record{}, err
			}
			r.pend.expireMs, r.pend.hasExp = int64(int32(binary.LittleEndian.Uint32(p)))*1000, true
		case opIdle:
			n, err := r.readLen()
			if err != nil {
				return Record{}, err
			}
			r.pend.idle, r.pend.hasIdle = int64(min(n, math.MaxInt64)), true
		case opFreq:
			b, err := r.readByte()
			if err != nil {
				return Record{}, err
			}
			r.pend.freq, r.pend.hasFreq = b, true
		case opSelectDB:
			n, err := r.readLen()
			if err != nil {
				return Record{}, err
			}
			if n > math.MaxInt32 {
				return Record{}, r.errAt(off+1, ErrCorrupt, "bad length: database id %d is out of range", n)
			}
			r.db = int(n)
			return Record{Kind: KindSelectDB, Offset: off, DB: r.db}, nil
		case opResizeDB:
			keys, err := r.readLen()
			if err != nil {
				return Record{}, err
			}
			exp, err := r.readLen()
			if err != nil {
				return Record{}, err
			}
			return Record{Kind: KindResizeDB, Offset: off, DB: r.db, DBSize: keys, ExpiresSize: exp}, nil
		case opAux:
			k, err := r.readString(&r.keyBuf)
			if err != nil {
				return Record{}, err
			}
			v, err := r.readString(&r.valBuf)
			if err != nil {
				return Record{}, err
			}
			return Record{Kind: KindAux, Offset: off, DB: r.db, Aux: Aux{Key: string(k), Val: string(v)}}, nil
		case opModuleAux:
			id, err := r.skipModuleAux(off)
			if err != nil {
				return Record{}, err
			}
			return Record{Kind: KindModuleAux, Offset: off, DB: r.db, ModuleID: id, Module: moduleName(id)}, nil
		case opFunction2:
			src, err := r.readString(&r.valBuf)
			if err != nil {
				return Record{}, err
			}
			return Record{Kind: KindFunction, Offset: off, DB: r.db, Function: Function{Source: src}}, nil
		case opFunctionPreGA:
			f, err := r.readPreGAFunction()
			if err != nil {
				return Record{}, err
			}
			return Record{Kind: KindFunction, Offset: off, DB: r.db, Function: f}, nil
		case opEOF:
			return r.readEOF(off)
		default:
			return r.readKey(off, Encoding(op))
		}
	}
}

// trimBuffers drops scratch buffers a huge value grew, so that one big key
// does not pin its size in memory for the rest of the file.
func (r *Reader) trimBuffers() {
	for _, b := range []*[]byte{&r.keyBuf, &r.valBuf, &r.blobBuf, &r.mbuf, &r.vbuf} {
		if cap(*b) > 4<<20 {
			*b = nil
		}
	}
}

func (r *Reader) readEOF(off int64) (Record, error) {
	r.in.sumTo(r.in.r)
	rec := Record{Kind: KindEOF, Offset: off, DB: r.db}
	if r.version < 5 {
		rec.Checksum = ChecksumAbsent
		r.done = true
		return rec, nil
	}
	sumOff := r.in.offset()
	p, err := r.readN(8)
	if err != nil {
		return Record{}, err
	}
	stored := binary.LittleEndian.Uint64(p)
	switch {
	case !r.o.VerifyChecksum:
		rec.Checksum = ChecksumNotChecked
	case stored == 0:
		rec.Checksum = ChecksumZero
	case stored != r.in.sum:
		return Record{}, r.errAt(sumOff, ErrChecksum, "checksum mismatch: Wrong RDB checksum expected: (%x) got: (%x)", r.in.sum, stored)
	default:
		rec.Checksum = ChecksumVerified
	}
	r.done = true
	return rec, nil
}

func (r *Reader) readPreGAFunction() (Function, error) {
	var f Function
	var err error
	if f.Name, err = r.readString(&r.mbuf); err != nil {
		return f, err
	}
	if f.Engine, err = r.readString(&r.vbuf); err != nil {
		return f, err
	}
	hasDesc, err := r.readLen()
	if err != nil {
		return f, err
	}
	if hasDesc != 0 {
		if f.Desc, err = r.readString(&r.blobBuf); err != nil {
			return f, err
		}
	}
	if f.Source, err = r.readString(&r.valBuf); err != nil {
		return f, err
	}
	f.PreGA = true
	return f, nil
}

// Module value opcodes (RDB_MODULE_OPCODE_*).
const (
	moduleOpEOF    = 0
	moduleOpSInt   = 1
	moduleOpUInt   = 2
	moduleOpFloat  = 3
	moduleOpDouble = 4
	moduleOpString = 5
)

// skipModuleAux reads past a MODULE_AUX record, as redis-check-rdb does.
func (r *Reader) skipModuleAux(off int64) (uint64, error) {
	id, err := r.readLen()
	if err != nil {
		return 0, err
	}
	whenOff := r.in.offset()
	whenOp, err := r.readLen()
	if err != nil {
		return 0, err
	}
	if _, err := r.readLen(); err != nil {
		return 0, err
	}
	if whenOp != moduleOpUInt {
		return 0, r.errAt(whenOff, ErrCorrupt, "bad when_opcode %d in the aux data of module %q", whenOp, moduleName(id))
	}
	for {
		opOff := r.in.offset()
		op, err := r.readLen()
		if err != nil {
			return 0, err
		}
		switch op {
		case moduleOpEOF:
			return id, nil
		case moduleOpSInt, moduleOpUInt:
			_, err = r.readLen()
		case moduleOpFloat:
			_, err = r.readN(4)
		case moduleOpDouble:
			_, err = r.readN(8)
		case moduleOpString:
			_, err = r.readString(&r.lzfBuf)
		default:
			return 0, r.errAt(opOff, ErrCorrupt, "unknown opcode %d in the aux data of module %q", op, moduleName(id))
		}
		if err != nil {
			return 0, err
		}
	}
}

// moduleName decodes the 9-character type name packed into a module id
// (moduleTypeNameByID).
func moduleName(id uint64) string {
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var name [9]byte
	id >>= 10
	for j := 8; j >= 0; j-- {
		name[j] = cset[id&63]
		id >>= 6
	}
	return string(name[:])
}

func (r *Reader) readKey(off int64, enc Encoding) (Record, error) {
	typ := enc.Type()
	if typ == TypeNone {
		return Record{}, r.errAt(off, ErrCorrupt, "unknown value type or opcode %d", byte(enc))
	}
	if r.pend.set {
		off = r.pend.off
	}
	key, err := r.readString(&r.keyBuf)
	if err != nil {
		return Record{}, err
	}
	rec := Record{Kind: KindKey, Offset: off, DB: r.db, Type: typ, Encoding: enc}
	rec.Key = key
	if r.pend.set {
		switch {
		case !r.pend.hasExp, r.pend.expireMs == -1:
			// Redis's "no expiry" marker.
		case r.pend.expireMs == 0:
			rec.ExpireMs = 1
		default:
			rec.ExpireMs = r.pend.expireMs
		}
		rec.Idle, rec.HasIdle = r.pend.idle, r.pend.hasIdle
		rec.Freq, rec.HasFreq = r.pend.freq, r.pend.hasFreq
		r.pend = pendingKey{}
	}
	r.cur = keyState{key: key, off: off}
	if err := r.readValue(&rec, off); err != nil {
		return Record{}, err
	}
	r.keys++
	return rec, nil
}

// readValue reads what follows the key: the whole value for strings and
// blob encodings, the count for the others. It leaves r.cur ready for
// NextElem.
func (r *Reader) readValue(rec *Record, off int64) error {
	cur := &r.cur
	cur.enc = rec.Encoding
	cur.active = true
	switch rec.Encoding {
	case EncString:
		v, err := r.readString(&r.valBuf)
		if err != nil {
			return err
		}
		rec.Value = v
		cur.active = false
		return nil
	case EncList, EncSet, EncZSet, EncHash, EncZSet2:
		lenOff := r.in.offset()
		n, err := r.readLen()
		if err != nil {
			return err
		}
		if n > math.MaxInt64 {
			return r.errAt(lenOff, ErrCorrupt, "bad length: %d elements", n)
		}
		rec.Len = int64(n)
		cur.left = n
	case EncListQuicklist, EncListQuicklist2:
		n, err := r.readLen()
		if err != nil {
			return err
		}
		rec.Len = -1
		cur.left = n
	case EncHashZipmap, EncListZiplist, EncSetIntset, EncZSetZiplist, EncHashZiplist, EncHashListpack, EncZSetListpack:
		n, err := r.readBlobValue(rec.Encoding)
		if err != nil {
			return err
		}
		rec.Len = int64(n)
	case EncStreamListpacks, EncStreamListpacks2:
		cur.active = false
		return r.errAt(off, ErrUnsupported, "RDB contains a stream (key %q at offset %d): streams are not supported", cur.key, off)
	case EncModule, EncModule2:
		id, err := r.readLen()
		if err != nil {
			return err
		}
		cur.active = false
		return r.errAt(off, ErrUnsupported, "RDB contains a value of module type %q (key %q at offset %d): module values are not supported", moduleName(id), cur.key, off)
	}
	if rec.Len == 0 {
		cur.active = false
	}
	return nil
}

// readBlobValue reads and fully checks a single-blob value, as Redis's deep
// sanitization does, so the caller never gets half a key from a bad blob.
// It returns the element count (pairs for hashes and zsets).
func (r *Reader) readBlobValue(enc Encoding) (int, error) {
	cur := &r.cur
	off := r.in.offset()
	blob, err := r.readString(&r.blobBuf)
	if err != nil {
		return 0, err
	}
	var n int
	switch enc {
	case EncHashListpack, EncZSetListpack:
		cur.blob = blobListpack
		n, err = lpValidate(blob)
	case EncHashZiplist, EncZSetZiplist, EncListZiplist:
		cur.blob = blobZiplist
		n, err = zlValidate(blob)
	case EncSetIntset:
		cur.blob = blobIntset
		n, err = intsetValidate(blob)
	case EncHashZipmap:
		cur.blob = blobZipmap
		n, err = zipmapValidate(blob)
	}
	if err != nil {
		return 0, r.blobErr(off, enc, err)
	}
	cur.data = blob
	cur.pairs = enc == EncHashListpack || enc == EncZSetListpack || enc == EncHashZiplist || enc == EncZSetZiplist
	cur.zset = enc == EncZSetListpack || enc == EncZSetZiplist
	switch cur.blob {
	case blobListpack:
		cur.pos = lpHeaderSize
	case blobZiplist:
		cur.pos = zlHeaderSize
	case blobZipmap:
		cur.pos = 1
	}
	cur.idx = 0
	if cur.pairs {
		if n%2 != 0 {
			return 0, r.errAt(off, ErrCorrupt, "invalid %s: odd number of entries (%d) in a %s", enc, n, enc.Type())
		}
		n /= 2
	}
	cur.entries = n
	if !r.o.MembersCheckedLater {
		if err := r.checkBlobMembers(off, enc, n); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (r *Reader) blobErr(off int64, enc Encoding, err error) error {
	if be, ok := err.(*blobError); ok {
		return r.errAt(off, ErrCorrupt, "%s value: %s", enc, be)
	}
	return r.errAt(off, ErrCorrupt, "%s value: %v", enc, err)
}

// checkBlobMembers walks a validated blob once to refuse duplicate set
// members, hash fields and zset members, and unreadable or NaN scores.
func (r *Reader) checkBlobMembers(off int64, enc Encoding, n int) error {
	cur := &r.cur
	if enc == EncListZiplist || enc == EncSetIntset { // intsets are checked sorted
		return nil
	}
	if r.seen == nil {
		r.seen = make(map[string]struct{})
	}
	defer clear(r.seen)
	save := *cur
	defer func() { *cur = save }()
	for range n {
		e, err := r.blobElem(off)
		if err != nil {
			return err
		}
		if _, dup := r.seen[string(e.Member)]; dup {
			what := "member"
			if enc.Type() == TypeHash {
				what = "field"
			}
			return r.errAt(off, ErrCorrupt, "invalid %s: duplicate %s %q", enc, what, e.Member)
		}
		r.seen[string(e.Member)] = struct{}{}
	}
	return nil
}

// blobEntry decodes the next listpack or ziplist entry into dst as text.
func (r *Reader) blobEntry(dst *[]byte) (s []byte, v int64, isInt bool) {
	cur := &r.cur
	if cur.blob == blobListpack {
		s, v, isInt, cur.pos = lpEntry(cur.data, cur.pos)
	} else {
		s, v, isInt, cur.pos = zlEntry(cur.data, cur.pos)
	}
	if isInt {
		*dst = strconv.AppendInt((*dst)[:0], v, 10)
		s = *dst
	}
	return s, v, isInt
}

// blobElem returns the next element of the current blob (cur.entries > 0).
func (r *Reader) blobElem(off int64) (Elem, error) {
	cur := &r.cur
	cur.entries--
	var e Elem
	switch cur.blob {
	case blobIntset:
		e.Member = strconv.AppendInt(r.mbuf[:0], intsetGet(cur.data, cur.idx), 10)
		r.mbuf = e.Member
		cur.idx++
	case blobZipmap:
		e.Member, e.Value, cur.pos = zipmapEntry(cur.data, cur.pos)
	default:
		e.Member, _, _ = r.blobEntry(&r.mbuf)
		if cur.pairs {
			s, v, isInt := r.blobEntry(&r.vbuf)
			if !cur.zset {
				e.Value = s
				break
			}
			if isInt {
				e.Score = float64(v)
			} else {
				f, ok := parseScore(s)
				if !ok {
					return e, r.errAt(off, ErrCorrupt, "invalid %s: score %q of member %q is not a number", cur.enc, s, e.Member)
				}
				e.Score = f
			}
			if math.IsNaN(e.Score) {
				return e, r.errAt(off, ErrCorrupt, "NaN score for member %q", e.Member)
			}
		}
	}
	return e, nil
}

// NextElem returns the next element of the key last returned by Next, or
// ok=false when there are no more (or the key is a string). The Elem's
// slices are valid until the next call to NextElem or Next.
func (r *Reader) NextElem() (e Elem, ok bool, err error) {
	if r.err != nil {
		return Elem{}, false, r.err
	}
	e, ok, err = r.nextElem()
	if err != nil {
		r.err = err
		r.cur.active = false
	}
	r.publish(r.in.offset(), false)
	return e, ok, err
}

func (r *Reader) nextElem() (Elem, bool, error) {
	cur := &r.cur
	if !cur.active {
		return Elem{}, false, nil
	}
	var e Elem
	var err error
	switch cur.enc {
	case EncList, EncSet:
		e.Member, err = r.readString(&r.mbuf)
	case EncHash:
		if e.Member, err = r.readString(&r.mbuf); err == nil {
			e.Value, err = r.readString(&r.vbuf)
		}
	case EncZSet:
		if e.Member, err = r.readString(&r.mbuf); err == nil {
			e.Score, err = r.readTextScore(e.Member)
		}
	case EncZSet2:
		if e.Member, err = r.readString(&r.mbuf); err == nil {
			off := r.in.offset()
			var p []byte
			if p, err = r.readN(8); err == nil {
				e.Score = math.Float64frombits(binary.LittleEndian.Uint64(p))
				if math.IsNaN(e.Score) {
					err = r.errAt(off, ErrCorrupt, "NaN score for member %q", e.Member)
				}
			}
		}
	case EncListQuicklist, EncListQuicklist2:
		return r.quicklistElem()
	default:
		e, err = r.blobElem(r.cur.off)
		if err == nil && cur.entries == 0 {
			cur.active = false
		}
		return e, err == nil, err
	}
	if err != nil {
		return Elem{}, false, err
	}
	if cur.left--; cur.left == 0 {
		cur.active = false
	}
	return e, true, nil
}

func (r *Reader) readTextScore(member []byte) (float64, error) {
	off := r.in.offset()
	n, err := r.readByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return 0, r.errAt(off, ErrCorrupt, "NaN score for member %q", member)
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	p, err := r.readN(int(n))
	if err != nil {
		return 0, err
	}
	f, ok := parseScore(p)
	if !ok {
		return 0, r.errAt(off, ErrCorrupt, "invalid score %q for member %q", p, member)
	}
	if math.IsNaN(f) {
		return 0, r.errAt(off, ErrCorrupt, "NaN score for member %q", member)
	}
	return f, nil
}

// quicklistElem returns the next list element, reading nodes as needed.
func (r *Reader) quicklistElem() (Elem, bool, error) {
	cur := &r.cur
	for cur.entries == 0 {
		if cur.left == 0 {
			cur.active = false
			return Elem{}, false, nil
		}
		cur.left--
		container := uint64(2)
		if cur.enc == EncListQuicklist2 {
			off := r.in.offset()
			var err error
			if container, err = r.readLen(); err != nil {
				return Elem{}, false, err
			}
			if container != 1 && container != 2 {
				return Elem{}, false, r.errAt(off, ErrCorrupt, "invalid quicklist node: container type %d", container)
			}
		}
		off := r.in.offset()
		blob, err := r.readString(&r.blobBuf)
		if err != nil {
			return Elem{}, false, err
		}
		if len(blob) == 0 {
			return Elem{}, false, r.errAt(off, ErrCorrupt, "invalid quicklist node: empty")
		}
		if container == 1 { // PLAIN: the node is one element
			if cur.left == 0 {
				cur.active = false
			}
			return Elem{Member: blob}, true, nil
		}
		var n int
		if cur.enc == EncListQuicklist2 {
			cur.blob, cur.pos = blobListpack, lpHeaderSize
			n, err = lpValidate(blob)
		} else {
			cur.blob, cur.pos = blobZiplist, zlHeaderSize
			n, err = zlValidate(blob)
		}
		if err != nil {
			return Elem{}, false, r.blobErr(off, cur.enc, err)
		}
		cur.data, cur.entries, cur.pairs, cur.zset = blob, n, false, false
	}
	e, err := r.blobElem(r.cur.off)
	if err != nil {
		return Elem{}, false, err
	}
	if cur.entries == 0 && cur.left == 0 {
		cur.active = false
	}
	return e, true, nil
}
