package rdb

import "encoding/binary"

// crcPoly is the reflected form of the Jones polynomial 0xad93d23594c935a9
// that Redis uses. Redis starts from 0 and applies no final XOR, unlike
// hash/crc64, so the table walk below is done here rather than through
// crc64.Update (which would also rebuild its slicing tables on every large
// call for a non-standard polynomial).
const crcPoly = 0x95ac9329ac4bc9b5

var crcTable = func() (t [8][256]uint64) {
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ crcPoly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for s := 1; s < 8; s++ {
			c = t[0][c&0xff] ^ c>>8
			t[s][i] = c
		}
	}
	return t
}()

// Checksum extends crc, Redis's CRC-64 of some preceding bytes (0 for none),
// with p. Checksum(0, []byte("123456789")) is 0xe9c6d914c4b8d9ca.
func Checksum(crc uint64, p []byte) uint64 {
	t := &crcTable
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}
