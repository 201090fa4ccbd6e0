package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Redis 7.0.15's defaults for the settings that choose small encodings.
const (
	DefaultHashMaxListpackEntries = 512
	DefaultHashMaxListpackValue   = 64
	DefaultZsetMaxListpackEntries = 128
	DefaultZsetMaxListpackValue   = 64
	DefaultSetMaxIntsetEntries    = 512
	// DefaultListNodeEntries is how many elements go in each quicklist node
	// the writer makes. Redis sizes nodes by bytes (8 KB) but the node
	// count is written before the elements, so a streaming writer must
	// fix the count per node instead; Redis loads nodes of any size.
	DefaultListNodeEntries = 128
)

// WriterOptions control how values are encoded. Zero values mean Redis
// 7.0.15's defaults; a negative limit means 0 (never the small encoding).
type WriterOptions struct {
	// Compress is rdbcompression: LZF for strings longer than 20 bytes
	// that shrink by at least 4 bytes, listpack and intset blobs included.
	Compress bool
	// Checksum is rdbchecksum: a CRC-64 trailer, else 8 zero bytes.
	Checksum bool

	HashMaxListpackEntries int // hash-max-listpack-entries
	HashMaxListpackValue   int // hash-max-listpack-value
	ZsetMaxListpackEntries int // zset-max-listpack-entries
	ZsetMaxListpackValue   int // zset-max-listpack-value
	SetMaxIntsetEntries    int // set-max-intset-entries
	ListNodeEntries        int // elements per quicklist node (<= 0: DefaultListNodeEntries)
}

func (o WriterOptions) withDefaults() WriterOptions {
	def := func(v *int, d int) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	def(&o.HashMaxListpackEntries, DefaultHashMaxListpackEntries)
	def(&o.HashMaxListpackValue, DefaultHashMaxListpackValue)
	def(&o.ZsetMaxListpackEntries, DefaultZsetMaxListpackEntries)
	def(&o.ZsetMaxListpackValue, DefaultZsetMaxListpackValue)
	def(&o.SetMaxIntsetEntries, DefaultSetMaxIntsetEntries)
	if o.ListNodeEntries <= 0 {
		o.ListNodeEntries = DefaultListNodeEntries
	}
	return o
}

// Aux is an RDB auxiliary field (opcode 0xFA).
type Aux struct {
	Key, Val string
}

// AuxInt makes an auxiliary field with an integer value, which is written
// in the integer string encoding when it fits 32 bits, as Redis does.
func AuxInt(key string, v int64) Aux {
	return Aux{Key: key, Val: strconv.FormatInt(v, 10)}
}

// KeyHeader is what precedes a value in an RDB file. Its zero value (apart
// from Key) means no expiry and no LRU/LFU information.
type KeyHeader struct {
	Key      []byte
	ExpireMs int64 // absolute unix time in ms; 0 = no expiry
	Idle     int64 // LRU idle time in seconds; written only if HasIdle
	Freq     uint8 // LFU counter; written only if HasFreq
	HasIdle  bool
	HasFreq  bool
}

const flushSize = 64 << 10

type collKind uint8

const (
	collNone collKind = iota
	collHash
	collSet
	collZSet
	collList
)

var collNames = [...]string{"", "hash", "set", "zset", "list"}

// encoder writes values; Writer adds the file framing around it and
// PayloadWriter the DUMP trailer.
type encoder struct {
	o       WriterOptions
	buf     []byte
	sink    func([]byte) error // nil: everything stays in buf
	err     error
	payload bool
	lzf     lzfCompressor
	lzfOut  []byte

	// The open collection.
	kind     collKind
	n, got   int
	hdr      KeyHeader
	key      []byte
	buffered bool
	arena    []byte
	ends     []int
	scores   []float64
	ints     []int64
	allInts  bool
	maxLen   int
	lp       listpackBuilder
	nodeGot  int
	seen     map[string]struct{}
}

func (e *encoder) init(o WriterOptions) {
	e.o = o.withDefaults()
}

func (e *encoder) maybeFlush() {
	if e.sink != nil && len(e.buf) >= flushSize {
		e.flush()
	}
}

func (e *encoder) flush() {
	if e.sink == nil || len(e.buf) == 0 || e.err != nil {
		return
	}
	e.err = e.sink(e.buf)
	e.buf = e.buf[:0]
}

func (e *encoder) writeRaw(s []byte) {
	if e.sink != nil && len(s) >= flushSize {
		e.flush()
		if e.err == nil {
			e.err = e.sink(s)
		}
		return
	}
	e.buf = append(e.buf, s...)
	e.maybeFlush()
}

// writeString is rdbSaveRawString: integer encoding for canonical int32
// decimals of up to 11 bytes, then LZF if enabled and worth it, else raw.
func (e *encoder) writeString(s []byte) {
	if len(s) <= 11 {
		if v, ok := parseInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			e.buf = appendIntString(e.buf, v)
			return
		}
	}
	if e.o.Compress && len(s) > 20 {
		if cap(e.lzfOut) < len(s)-4 {
			e.lzfOut = make([]byte, len(s)-4)
		}
		out := e.lzfOut[:len(s)-4]
		if n := e.lzf.compress(s, out); n > 0 {
			e.buf = append(e.buf, 0xC3)
			e.buf = appendLen(e.buf, uint64(n))
			e.buf = appendLen(e.buf, uint64(len(s)))
			e.writeRaw(out[:n])
			if cap(e.lzfOut) > 1<<20 {
				e.lzfOut = nil
			}
			return
		}
	}
	e.buf = appendLen(e.buf, uint64(len(s)))
	e.writeRaw(s)
}

func appendIntString(dst []byte, v int64) []byte {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(dst, 0xC0, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		dst = append(dst, 0xC1)
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	}
	dst = append(dst, 0xC2)
	return binary.LittleEndian.AppendUint32(dst, uint32(v))
}

// keyHeader writes what rdbSaveKeyValuePair writes before the value (a
// DUMP payload has only the type byte).
func (e *encoder) keyHeader(h *KeyHeader, enc Encoding) {
	if !e.payload {
		if h.ExpireMs != 0 {
			e.buf = append(e.buf, opExpireTimeMs)
			e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(h.ExpireMs))
		}
		if h.HasIdle {
			e.buf = append(e.buf, opIdle)
			e.buf = appendLen(e.buf, uint64(max(h.Idle, 0)))
		}
		if h.HasFreq {
			e.buf = append(e.buf, opFreq, h.Freq)
		}
	}
	e.buf = append(e.buf, byte(enc))
	if !e.payload {
		e.writeString(h.Key)
	}
}

func (e *encoder) fail(format string, args ...any) error {
	if e.err == nil {
		e.err = fmt.Errorf("rdb: "+format, args...)
	}
	return e.err
}

func (e *encoder) checkIdle() error {
	if e.err != nil {
		return e.err
	}
	if e.kind != collNone {
		return e.fail("%s of %d elements still open (%d given)", collNames[e.kind], e.n, e.got)
	}
	return nil
}

func (e *encoder) putString(h *KeyHeader, val []byte) error {
	if err := e.checkIdle(); err != nil {
		return err
	}
	e.keyHeader(h, EncString)
	e.writeString(val)
	e.maybeFlush()
	return e.err
}

func (e *encoder) begin(kind collKind, h *KeyHeader, n int) error {
	if err := e.checkIdle(); err != nil {
		return err
	}
	if n <= 0 {
		return e.fail("%s with %d elements: Redis never stores an empty collection", collNames[kind], n)
	}
	e.kind, e.n, e.got = kind, n, 0
	e.hdr = *h
	e.key = append(e.key[:0], h.Key...)
	e.hdr.Key = e.key
	e.arena, e.ends, e.scores, e.ints = e.arena[:0], e.ends[:0], e.scores[:0], e.ints[:0]
	e.allInts, e.maxLen = true, 0
	switch kind {
	case collHash:
		e.buffered = n <= e.o.HashMaxListpackEntries
		if !e.buffered {
			e.keyHeader(&e.hdr, EncHash)
			e.buf = appendLen(e.buf, uint64(n))
		}
	case collSet:
		e.buffered = n <= e.o.SetMaxIntsetEntries
		if !e.buffered {
			e.keyHeader(&e.hdr, EncSet)
			e.buf = appendLen(e.buf, uint64(n))
		}
	case collZSet:
		e.buffered = n <= e.o.ZsetMaxListpackEntries
		if !e.buffered {
			e.keyHeader(&e.hdr, EncZSet2)
			e.buf = appendLen(e.buf, uint64(n))
		}
	case collList:
		e.buffered = false
		k := e.o.ListNodeEntries
		e.keyHeader(&e.hdr, EncListQuicklist2)
		e.buf = appendLen(e.buf, uint64((n+k-1)/k))
		e.lp.reset()
		e.nodeGot = 0
	}
	e.maybeFlush()
	return e.err
}

func (e *encoder) next(kind collKind) error {
	if e.err != nil {
		return e.err
	}
	if e.kind != kind {
		if e.kind == collNone {
			return e.fail("%s element given with no %s open", collNames[kind], collNames[kind])
		}
		return e.fail("%s element given while a %s is open", collNames[kind], collNames[e.kind])
	}
	if e.got == e.n {
		return e.fail("more than the %d elements announced for %s %q", e.n, collNames[kind], e.key)
	}
	e.got++
	return nil
}

func (e *encoder) stash(b []byte) {
	e.arena = append(e.arena, b...)
	e.ends = append(e.ends, len(e.arena))
	e.maxLen = max(e.maxLen, len(b))
}

func (e *encoder) stashed(i int) []byte {
	start := 0
	if i > 0 {
		start = e.ends[i-1]
	}
	return e.arena[start:e.ends[i]]
}

func (e *encoder) field(f, v []byte) error {
	if err := e.next(collHash); err != nil {
		return err
	}
	if e.buffered {
		e.stash(f)
		e.stash(v)
		return nil
	}
	e.writeString(f)
	e.writeString(v)
	e.maybeFlush()
	return e.err
}

func (e *encoder) member(m []byte) error {
	if err := e.next(collSet); err != nil {
		return err
	}
	if e.buffered {
		e.stash(m)
		if e.allInts {
			if v, ok := parseInt(m); ok {
				e.ints = append(e.ints, v)
			} else {
				e.allInts = false
			}
		}
		return nil
	}
	e.writeString(m)
	e.maybeFlush()
	return e.err
}

func (e *encoder) scored(m []byte, score float64) error {
	if math.IsNaN(score) {
		return e.fail("NaN score for member %q of zset %q", m, e.key)
	}
	if err := e.next(collZSet); err != nil {
		return err
	}
	if e.buffered {
		e.stash(m)
		e.scores = append(e.scores, score)
		return nil
	}
	e.writeString(m)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(score))
	e.maybeFlush()
	return e.err
}

func (e *encoder) elem(v []byte) error {
	if err := e.next(collList); err != nil {
		return err
	}
	e.lp.appendString(v)
	e.nodeGot++
	if e.nodeGot == e.o.ListNodeEntries || e.got == e.n {
		blob, err := e.lp.finish()
		if err != nil {
			e.err = err
			return err
		}
		e.buf = appendLen(e.buf, 2) // QUICKLIST_NODE_CONTAINER_PACKED
		e.writeString(blob)
		e.lp.reset()
		e.nodeGot = 0
		e.maybeFlush()
	}
	return e.err
}

// distinct reports whether the stashed elements i, i+step, i+2*step... are
// all different (set members, hash fields, zset members).
func (e *encoder) distinct(step int) ([]byte, bool) {
	count := len(e.ends) / step
	// A store hands its members over in order, mostly: strictly
	// increasing, they are distinct, in one pass. The map below was 5%
	// of a BGSAVE of collections of 10 members.
	sorted := true
	for i := 1; i < count && sorted; i++ {
		sorted = bytes.Compare(e.stashed((i-1)*step), e.stashed(i*step)) < 0
	}
	if sorted {
		return nil, true
	}
	if count <= 8 {
		for i := 0; i < count; i++ {
			for j := 0; j < i; j++ {
				if string(e.stashed(i*step)) == string(e.stashed(j*step)) {
					return e.stashed(i * step), false
				}
			}
		}
		return nil, true
	}
	if e.seen == nil {
		e.seen = make(map[string]struct{}, count)
	}
	defer clear(e.seen)
	for i := 0; i < count; i++ {
		s := e.stashed(i * step)
		if _, dup := e.seen[string(s)]; dup {
			return s, false
		}
		e.seen[string(s)] = struct{}{}
	}
	return nil, true
}

func (e *encoder) end() error {
	if e.err != nil {
		return e.err
	}
	if e.kind == collNone {
		return e.fail("End with no collection open")
	}
	kind := e.kind
	if e.got != e.n {
		return e.fail("%s %q announced %d elements but got %d", collNames[kind], e.key, e.n, e.got)
	}
	e.kind = collNone
	if !e.buffered {
		e.maybeFlush()
		return e.err
	}
	step := 1
	if kind == collHash {
		step = 2
	}
	if dup, ok := e.distinct(step); !ok {
		return e.fail("duplicate %s element %q in %q", collNames[kind], dup, e.key)
	}
	switch kind {
	case collHash:
		if e.maxLen <= e.o.HashMaxListpackValue {
			e.lp.reset()
			for i := range e.ends {
				e.lp.appendString(e.stashed(i))
			}
			return e.putBlob(EncHashListpack)
		}
		e.keyHeader(&e.hdr, EncHash)
		e.buf = appendLen(e.buf, uint64(e.n))
		for i := range e.ends {
			e.writeString(e.stashed(i))
			e.maybeFlush()
		}
	case collSet:
		if e.allInts {
			sortedDistinct(e.ints)
			e.keyHeader(&e.hdr, EncSetIntset)
			e.lp.b = appendIntset(e.lp.b[:0], e.ints)
			e.writeString(e.lp.b)
			break
		}
		e.keyHeader(&e.hdr, EncSet)
		e.buf = appendLen(e.buf, uint64(e.n))
		for i := range e.ends {
			e.writeString(e.stashed(i))
			e.maybeFlush()
		}
	case collZSet:
		if e.maxLen <= e.o.ZsetMaxListpackValue {
			e.lp.reset()
			var sbuf [32]byte
			for i, sc := range e.scores {
				e.lp.appendString(e.stashed(i))
				if v, ok := scoreAsInt(sc); ok {
					e.lp.appendInt(v)
				} else {
					e.lp.appendString(appendScore(sbuf[:0], sc))
				}
			}
			return e.putBlob(EncZSetListpack)
		}
		e.keyHeader(&e.hdr, EncZSet2)
		e.buf = appendLen(e.buf, uint64(e.n))
		for i, sc := range e.scores {
			e.writeString(e.stashed(i))
			e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(sc))
			e.maybeFlush()
		}
	}
	e.maybeFlush()
	return e.err
}

func (e *encoder) putBlob(enc Encoding) error {
	blob, err := e.lp.finish()
	if err != nil {
		e.err = err
		return err
	}
	e.keyHeader(&e.hdr, enc)
	e.writeString(blob)
	e.maybeFlush()
	return e.err
}

// Writer streams an RDB file. Calls go: Header, any Function, then per
// database SelectDB followed by its keys, then Finish. A collection is
// written with Begin*, exactly n element calls, then End; collections up to
// the small-encoding limits are buffered to choose their encoding, larger
// ones go straight to the output. A Writer is not safe for concurrent use;
// after an error every call returns that error.
//
// The caller must not write a key twice in one database, nor repeat a member
// in a collection: Redis 7.0 refuses such files (small collections are
// checked here, large ones cannot be without holding them).
type Writer struct {
	e       encoder
	w       io.Writer
	crc     uint64
	written int64
	started bool
	done    bool
}

// NewWriter returns a Writer that writes to w, in chunks of about 64 KB.
func NewWriter(w io.Writer, o WriterOptions) *Writer {
	wr := &Writer{w: w}
	wr.e.init(o)
	wr.e.sink = wr.sink
	return wr
}

func (w *Writer) sink(p []byte) error {
	if w.e.o.Checksum {
		w.crc = Checksum(w.crc, p)
	}
	n, err := w.w.Write(p)
	w.written += int64(n)
	if err == nil && n != len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// Written returns the number of bytes handed to the underlying writer.
func (w *Writer) Written() int64 { return w.written }

func (w *Writer) ready() error {
	if w.e.err != nil {
		return w.e.err
	}
	if !w.started {
		return w.e.fail("Header must be written first")
	}
	if w.done {
		return w.e.fail("write after Finish")
	}
	return nil
}

// Header writes the magic string "REDIS0010" and the auxiliary fields, in
// the order given. Redis 7.0 writes redis-ver, redis-bits, ctime, used-mem,
// then repl-stream-db, repl-id, repl-offset when saving for replication,
// then aof-base.
func (w *Writer) Header(aux ...Aux) error {
	if w.e.err != nil {
		return w.e.err
	}
	if w.started {
		return w.e.fail("Header written twice")
	}
	w.started = true
	w.e.buf = append(w.e.buf, "REDIS0010"...)
	for _, a := range aux {
		w.e.buf = append(w.e.buf, opAux)
		w.e.writeString([]byte(a.Key))
		w.e.writeString([]byte(a.Val))
	}
	w.e.maybeFlush()
	return w.e.err
}

// Function writes a function library (FUNCTION2 record). Redis writes them
// after the auxiliary fields, before the first database.
func (w *Writer) Function(librarySource []byte) error {
	if err := w.ready(); err != nil {
		return err
	}
	if err := w.e.checkIdle(); err != nil {
		return err
	}
	w.e.buf = append(w.e.buf, opFunction2)
	w.e.writeString(librarySource)
	w.e.maybeFlush()
	return w.e.err
}

// SelectDB starts database db, with the number of keys and of keys with an
// expiry that follow (RESIZEDB; a sizing hint for the loader). Redis skips
// empty databases.
func (w *Writer) SelectDB(db int, keys, expires uint64) error {
	if err := w.ready(); err != nil {
		return err
	}
	if err := w.e.checkIdle(); err != nil {
		return err
	}
	if db < 0 {
		return w.e.fail("negative database %d", db)
	}
	w.e.buf = append(w.e.buf, opSelectDB)
	w.e.buf = appendLen(w.e.buf, uint64(db))
	w.e.buf = append(w.e.buf, opResizeDB)
	w.e.buf = appendLen(w.e.buf, keys)
	w.e.buf = appendLen(w.e.buf, expires)
	w.e.maybeFlush()
	return w.e.err
}

// String writes a string key.
func (w *Writer) String(h KeyHeader, val []byte) error {
	if err := w.ready(); err != nil {
		return err
	}
	return w.e.putString(&h, val)
}

// BeginHash opens a hash of n field-value pairs, given with Field.
func (w *Writer) BeginHash(h KeyHeader, n int) error {
	if err := w.ready(); err != nil {
		return err
	}
	return w.e.begin(collHash, &h, n)
}

// Field adds a pair to the open hash. The bytes are copied or written
// before it returns.
func (w *Writer) Field(field, value []byte) error { return w.e.field(field, value) }

// BeginSet opens a set of n members, given with Member.
func (w *Writer) BeginSet(h KeyHeader, n int) error {
	if err := w.ready(); err != nil {
		return err
	}
	return w.e.begin(collSet, &h, n)
}

// Member adds a member to the open set.
func (w *Writer) Member(m []byte) error { return w.e.member(m) }

// BeginZSet opens a sorted set of n members, given with Scored in any order.
func (w *Writer) BeginZSet(h KeyHeader, n int) error {
	if err := w.ready(); err != nil {
		return err
	}
	return w.e.begin(collZSet, &h, n)
}

// Scored adds a member to the open sorted set. NaN scores are refused.
func (w *Writer) Scored(member []byte, score float64) error { return w.e.scored(member, score) }

// BeginList opens a list of n elements, given with Elem from head to tail.
func (w *Writer) BeginList(h KeyHeader, n int) error {
	if err := w.ready(); err != nil {
		return err
	}
	return w.e.begin(collList, &h, n)
}

// Elem adds an element at the tail of the open list.
func (w *Writer) Elem(e []byte) error { return w.e.elem(e) }

// End closes the open collection; it fails if fewer elements than announced
// were given (the output is then unusable).
func (w *Writer) End() error { return w.e.end() }

// Finish writes the EOF opcode and the checksum (or 8 zero bytes) and
// flushes. It does not close the underlying writer.
func (w *Writer) Finish() error {
	if err := w.ready(); err != nil {
		return err
	}
	if err := w.e.checkIdle(); err != nil {
		return err
	}
	w.done = true
	w.e.buf = append(w.e.buf, opEOF)
	w.e.flush()
	if w.e.err != nil {
		return w.e.err
	}
	var sum [8]byte
	if w.e.o.Checksum {
		binary.LittleEndian.PutUint64(sum[:], w.crc)
	}
	w.e.o.Checksum = false // the trailer is not part of the sum
	w.e.err = w.sink(sum[:])
	return w.e.err
}

// PayloadWriter builds a DUMP payload: one value, then the RDB version and
// a CRC-64, the format RESTORE takes. Calls are those of Writer without the
// key header.
type PayloadWriter struct {
	e    encoder
	done bool
}

// NewPayloadWriter returns a PayloadWriter; Checksum in o is ignored (a
// payload always carries its CRC).
func NewPayloadWriter(o WriterOptions) *PayloadWriter {
	p := &PayloadWriter{}
	p.e.init(o)
	p.e.payload = true
	return p
}

var errPayloadFull = errors.New("rdb: a DUMP payload holds exactly one value")

func (p *PayloadWriter) ready() error {
	if p.e.err != nil {
		return p.e.err
	}
	if p.done || len(p.e.buf) > 0 {
		p.e.err = errPayloadFull
		return p.e.err
	}
	return nil
}

var noKey KeyHeader

// String sets the payload to a string value.
func (p *PayloadWriter) String(val []byte) error {
	if err := p.ready(); err != nil {
		return err
	}
	return p.e.putString(&noKey, val)
}

// BeginHash starts a hash value of n pairs.
func (p *PayloadWriter) BeginHash(n int) error {
	if err := p.ready(); err != nil {
		return err
	}
	return p.e.begin(collHash, &noKey, n)
}

// Field adds a pair to the hash.
func (p *PayloadWriter) Field(field, value []byte) error { return p.e.field(field, value) }

// BeginSet starts a set value of n members.
func (p *PayloadWriter) BeginSet(n int) error {
	if err := p.ready(); err != nil {
		return err
	}
	return p.e.begin(collSet, &noKey, n)
}

// Member adds a member to the set.
func (p *PayloadWriter) Member(m []byte) error { return p.e.member(m) }

// BeginZSet starts a sorted set value of n members.
func (p *PayloadWriter) BeginZSet(n int) error {
	if err := p.ready(); err != nil {
		return err
	}
	return p.e.begin(collZSet, &noKey, n)
}

// Scored adds a member to the sorted set.
func (p *PayloadWriter) Scored(member []byte, score float64) error {
	return p.e.scored(member, score)
}

// BeginList starts a list value of n elements.
func (p *PayloadWriter) BeginList(n int) error {
	if err := p.ready(); err != nil {
		return err
	}
	return p.e.begin(collList, &noKey, n)
}

// Elem adds an element at the tail of the list.
func (p *PayloadWriter) Elem(e []byte) error { return p.e.elem(e) }

// End closes the collection.
func (p *PayloadWriter) End() error { return p.e.end() }

// Payload returns the finished payload. The PayloadWriter must not be used
// afterwards.
func (p *PayloadWriter) Payload() ([]byte, error) {
	if p.e.err != nil {
		return nil, p.e.err
	}
	if err := p.e.checkIdle(); err != nil {
		return nil, err
	}
	if len(p.e.buf) == 0 {
		return nil, p.e.fail("empty DUMP payload")
	}
	p.done = true
	return appendPayloadTrailer(p.e.buf), nil
}

func appendPayloadTrailer(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, Checksum(0, b))
}

// FunctionsPayload builds the payload FUNCTION DUMP returns for the given
// library sources, which FUNCTION RESTORE takes.
func FunctionsPayload(o WriterOptions, libs ...[]byte) []byte {
	var e encoder
	e.init(o)
	for _, l := range libs {
		e.buf = append(e.buf, opFunction2)
		e.writeString(l)
	}
	return appendPayloadTrailer(e.buf)
}
