// Package rdb reads and writes Redis RDB files (format version 10, as
// written by Redis 7.0) and DUMP payloads. It is a pure codec over
// io.Reader/io.Writer and byte slices, with no dependency on the rest of
// Redoubt, meant for SAVE/BGSAVE, DUMP/RESTORE, the `rdb` subcommands and
// replication full sync.
//
// Both directions stream: a collection of any size is written and read one
// element at a time, never held whole in memory.
//
// Writer emits what Redis 7.0.15 emits: the same value types (listpack
// hashes and sorted sets up to the *-max-listpack-* limits, else types 4
// and 5; intsets for small all-integer sets, else type 2; lists as
// quicklist-2 with packed listpack nodes), the same string encodings
// (integer, LZF with rdbcompression, raw) and the same listpack bytes, so a
// small value's DUMP payload is byte-identical to redis-server's. The one
// deliberate difference: list nodes hold a fixed number of elements
// (WriterOptions.ListNodeEntries) instead of about 8 KB, because the node
// count precedes the nodes. PayloadWriter builds DUMP payloads.
//
// Reader decodes everything Redis 7.0 loads except streams and module values
// (a clear ErrUnsupported error, never a silent skip): Next returns records
// (aux fields, SELECTDB, RESIZEDB, functions, skipped module aux data, keys,
// EOF) and NextElem the elements of the current key. Compact encodings
// (listpack, ziplist, intset, zipmap) are checked as Redis's deep
// sanitization checks them, duplicates included. Errors are *Error values
// naming the byte offset, with a Kind for errors.Is. Lengths read from the
// input never cause an allocation before the bytes arrive. ParsePayload
// decodes DUMP payloads and Summarize checks and counts a whole file.
//
// Concurrency: a Writer, PayloadWriter, Reader or Payload belongs to one
// goroutine; only Reader.Progress may be called from others.
package rdb
