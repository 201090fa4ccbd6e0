package rdb

import (
	"errors"
	"fmt"
)

// Error kinds, for errors.Is on the *Error values the reader returns.
var (
	// ErrCorrupt: the bytes do not form a valid RDB (bad magic, bad length,
	// invalid listpack/ziplist/intset/zipmap, LZF mismatch, NaN score,
	// duplicate member, unknown opcode...).
	ErrCorrupt = errors.New("corrupt RDB")
	// ErrTruncated: the input ended before the EOF opcode and checksum.
	ErrTruncated = errors.New("truncated RDB")
	// ErrChecksum: the CRC-64 trailer does not match the content.
	ErrChecksum = errors.New("RDB checksum mismatch")
	// ErrUnsupported: valid content this package cannot decode (RDB
	// versions above 10, streams, module values).
	ErrUnsupported = errors.New("unsupported RDB content")
	// ErrTooLarge: a string longer than ReaderOptions.MaxString.
	ErrTooLarge = errors.New("RDB string too large")
)

// ErrPayload is returned by ParsePayload when the DUMP trailer (RDB version
// and CRC-64) is wrong. Its text is what RESTORE replies, after "ERR ".
var ErrPayload = errors.New("DUMP payload version or checksum are wrong")

// Error is a reader failure at a byte offset of the input (for payloads, of
// the payload).
type Error struct {
	Offset int64
	Kind   error // ErrCorrupt, ErrTruncated, ErrChecksum, ErrUnsupported, ErrTooLarge or nil
	Msg    string
	Err    error // the underlying read error, if any
}

func (e *Error) Error() string {
	return fmt.Sprintf("rdb: offset %d: %s", e.Offset, e.Msg)
}

func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
