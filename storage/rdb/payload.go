package rdb

import (
	"encoding/binary"
	"io"
)

// Payload is a parsed DUMP payload (what RESTORE takes): one value without
// key, then the RDB version and a CRC-64.
type Payload struct {
	Version  int // RDB version in the trailer
	Type     Type
	Encoding Encoding
	Len      int64  // as Record.Len
	Value    []byte // the value of a string
	r        *Reader
}

// ParsePayload checks the trailer of a DUMP payload as RESTORE does (at
// least 10 bytes, version <= 10, matching CRC-64; else ErrPayload) and
// decodes its value: strings and blob encodings are checked completely
// here, the elements of other collections as NextElem reads them. Errors
// past the trailer are *Error values with offsets into the payload; RESTORE
// replies "ERR Bad data format" to them.
//
// An empty collection is an error, except for a list whose quicklist nodes
// all turn out empty: a caller must also refuse a collection payload that
// yields no element, as RESTORE does. Bytes between the value and the
// trailer are ignored, as RESTORE ignores them. The payload must not be
// modified while the Payload is in use.
func ParsePayload(b []byte) (*Payload, error) { return parsePayload(b, 512<<20) }

func parsePayload(b []byte, maxStr uint64) (*Payload, error) {
	body, ver, err := payloadBody(b)
	if err != nil {
		return nil, err
	}
	r := newStaticReader(body, ver)
	r.maxStr = maxStr
	t, err := r.readByte()
	if err != nil {
		return nil, r.errAt(0, ErrCorrupt, "empty DUMP payload")
	}
	enc := Encoding(t)
	if enc.Type() == TypeNone {
		return nil, r.errAt(0, ErrCorrupt, "unknown value type %d", t)
	}
	rec := Record{Kind: KindKey, Type: enc.Type(), Encoding: enc}
	r.cur = keyState{key: []byte{}}
	if err := r.readValue(&rec, 0); err != nil {
		r.err = err
		return nil, err
	}
	if rec.Type != TypeString && rec.Len == 0 { // Redis: "Bad data format"
		return nil, r.errAt(1, ErrCorrupt, "empty %s", rec.Type)
	}
	return &Payload{Version: ver, Type: rec.Type, Encoding: enc, Len: rec.Len, Value: rec.Value, r: r}, nil
}

// NextElem returns the next element of a collection payload, as
// Reader.NextElem.
func (p *Payload) NextElem() (Elem, bool, error) { return p.r.NextElem() }

func payloadBody(b []byte) (body []byte, ver int, err error) {
	if len(b) < 10 {
		return nil, 0, ErrPayload
	}
	n := len(b)
	ver = int(binary.LittleEndian.Uint16(b[n-10:]))
	if ver > Version {
		return nil, 0, ErrPayload
	}
	if Checksum(0, b[:n-8]) != binary.LittleEndian.Uint64(b[n-8:]) {
		return nil, 0, ErrPayload
	}
	return b[:n-10], ver, nil
}

// newStaticReader reads from b in place.
func newStaticReader(b []byte, ver int) *Reader {
	r := &Reader{maxStr: 512 << 20, version: ver, started: true}
	r.in.buf, r.in.w, r.in.static = b, len(b), true
	r.in.src = eofReader{}
	r.o.ProgressInterval = 1 << 62
	return r
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// ParseFunctionsPayload decodes what FUNCTION DUMP returns into the library
// sources. Errors: ErrPayload for a bad trailer, else an *Error (FUNCTION
// RESTORE replies "ERR given type is not a function" and the like).
func ParseFunctionsPayload(b []byte) ([][]byte, error) {
	body, ver, err := payloadBody(b)
	if err != nil {
		return nil, err
	}
	r := newStaticReader(body, ver)
	var libs [][]byte
	for r.in.offset() < int64(len(body)) {
		off := r.in.offset()
		t, _ := r.readByte()
		switch t {
		case opFunction2:
		case opFunctionPreGA:
			return nil, r.errAt(off, ErrUnsupported, "Pre-GA function format not supported")
		default:
			return nil, r.errAt(off, ErrCorrupt, "given type is not a function")
		}
		var src []byte
		if _, err := r.readString(&src); err != nil {
			return nil, err
		}
		libs = append(libs, src)
	}
	return libs, nil
}

// QuicklistNodes reads the list in a DUMP payload written as a quicklist
// (version 2): how many nodes it has and the sum of their listpacks' sizes
// once decompressed, what DEBUG OBJECT reports as ql_nodes and
// ql_uncompressed_size. Errors: ErrPayload for a bad trailer, else an
// *Error.
func QuicklistNodes(payload []byte) (nodes, size uint64, err error) {
	body, ver, err := payloadBody(payload)
	if err != nil {
		return 0, 0, err
	}
	r := newStaticReader(body, ver)
	t, err := r.readByte()
	if err != nil {
		return 0, 0, err
	}
	if Encoding(t) != EncListQuicklist2 {
		return 0, 0, r.errAt(0, ErrCorrupt, "value type %d is not a quicklist", t)
	}
	if nodes, err = r.readLen(); err != nil {
		return 0, 0, err
	}
	var buf []byte
	for range nodes {
		if _, err := r.readLen(); err != nil { // the container: plain or packed
			return 0, 0, err
		}
		b, err := r.readString(&buf)
		if err != nil {
			return 0, 0, err
		}
		size += uint64(len(b))
	}
	return nodes, size, nil
}
