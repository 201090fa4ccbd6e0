package acl

import (
	"crypto/rand"
	"encoding/hex"
)

// maxGenpassBits is GENPASS_MAX_BITS.
const maxGenpassBits = 4096

// GenPass is ACL GENPASS [bits] (Redis's default is 256): bits rounded up
// to whole hex digits of random data from crypto/rand. Out of range bit
// counts fail with TextGenpassRange.
func GenPass(bits int64) (string, error) {
	if bits <= 0 || bits > maxGenpassBits {
		return "", &Error{msg: TextGenpassRange}
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	if _, err := rand.Read(buf); err != nil {
		panic("acl: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(buf)[:chars], nil
}
