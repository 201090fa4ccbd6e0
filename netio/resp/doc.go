// Package resp is the Redis protocol codec: RESP2 and RESP3 as pure
// functions over byte slices, in the style of strconv. It does no I/O,
// keeps no state between calls and starts no goroutines, so every function
// is safe for concurrent use on distinct buffers.
//
// Requests: ReadCommand parses one command (multibulk or inline) from the
// front of a buffer and returns its arguments as slices of that buffer,
// the byte count consumed and, while a large argument is still arriving,
// how many bytes to wait for. A caller loops over a read buffer to run
// pipelined commands, discards what was consumed, and must copy any
// argument that outlives the buffer (gnet reuses it after OnTraffic).
// Parsing follows Redis 7.0's processMultibulkBuffer, processInlineBuffer
// and sdssplitargs byte for byte, including their error texts (as
// *ProtocolError) and their quirks; Limits carries proto-max-bulk-len and
// the limits on clients that have not authenticated.
//
// Replies: the Append functions (AppendBulk, AppendInt, AppendMapLen,
// AppendDouble, ...) append one reply or aggregate header to a buffer and
// take the connection's protocol version (2 or 3) where RESP2 and RESP3
// differ. FormatDouble prints doubles as Redis 7.0 replies them ("%.17g");
// LongDouble and FormatIncrFloat reproduce the long double arithmetic and
// text of INCRBYFLOAT and HINCRBYFLOAT.
//
// ReadReply is a strict parser of any RESP2 or RESP3 reply into a Value,
// for tests and for the replica side of replication; Value.String renders a
// reply on one line in redis-cli's style for test expectations.
package resp
