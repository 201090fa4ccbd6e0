package daemon

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/redoubtdb/redoubt/netio/resp"
	"github.com/redoubtdb/redoubt/storage"
)

// DEBUG DIGEST and DEBUG DIGEST-VALUE, computed as Redis 7.0's debug.c
// computes them, so the digest of a data set is the same in Redoubt and in
// Redis: a replica can be checked against its primary, a load against the
// file's source. A key's digest mixes (SHA1 with feedback, so order
// counts) its name, its type's number in Redis, and its value: a string's
// bytes, a list's elements in order; the members of sets, hashes and
// sorted sets are xored in (order does not count), a hash field with its
// value and a sorted-set member with its score ("%.17g") mixed first. A
// key with an expiry has "!!expire!!" xored in. The data set's digest
// xors the keys' digests, each database's number mixed in before its keys.

type digest [20]byte

// xor is Redis's xorDigest: d ^= SHA1(p).
func (d *digest) xor(p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix is Redis's mixDigest: d = SHA1(d ^ SHA1(p)).
func (d *digest) mix(p []byte) {
	d.xor(p)
	*d = sha1.Sum(d[:])
}

func (d *digest) mixUint32(n uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n) // htonl
	d.mix(b[:])
}

func (d *digest) String() string { return hex.EncodeToString(d[:]) }

// redisObjType is the OBJ_* number Redis's digest mixes in for a type.
func redisObjType(t storage.Type) (uint32, error) {
	switch t {
	case storage.TypeString:
		return 0, nil
	case storage.TypeList:
		return 1, nil
	case storage.TypeSet:
		return 2, nil
	case storage.TypeZSet:
		return 3, nil
	case storage.TypeHash:
		return 4, nil
	}
	return 0, fmt.Errorf("no digest for type %v", t)
}

// digestSink is a keySink that digests what it is fed. named mixes each
// key's name first (DEBUG DIGEST); DIGEST-VALUE digests values alone.
type digestSink struct {
	named  bool
	all    digest // the data set's
	key    digest // the current key's
	t      storage.Type
	expire bool
	score  []byte
}

func (s *digestSink) SelectDB(db int, keys, expires uint64) error {
	s.all.mixUint32(uint32(db))
	return nil
}

func (s *digestSink) begin(t storage.Type, key []byte, expireAt int64) error {
	n, err := redisObjType(t)
	if err != nil {
		return fmt.Errorf("key %q: %w", key, err)
	}
	s.key, s.t, s.expire = digest{}, t, expireAt != 0
	if s.named {
		s.key.mix(key)
	}
	s.key.mixUint32(n)
	return nil
}

func (s *digestSink) String(key []byte, expireAt int64, val []byte) error {
	if err := s.begin(storage.TypeString, key, expireAt); err != nil {
		return err
	}
	s.key.mix(val)
	return s.End()
}

func (s *digestSink) Begin(t storage.Type, key []byte, expireAt int64, n uint64) error {
	return s.begin(t, key, expireAt)
}

func (s *digestSink) Member(a, b []byte, score float64) error {
	switch s.t {
	case storage.TypeList:
		s.key.mix(a)
	case storage.TypeSet:
		s.key.xor(a)
	case storage.TypeHash:
		var e digest
		e.mix(a)
		e.mix(b)
		s.key.xor(e[:])
	case storage.TypeZSet:
		var e digest
		e.mix(a)
		s.score = append(s.score[:0], resp.FormatDouble(score)...)
		e.mix(s.score)
		s.key.xor(e[:])
	}
	return nil
}

func (s *digestSink) End() error {
	if s.expire {
		s.key.xor([]byte("!!expire!!"))
	}
	s.all.xor(s.key[:])
	return nil
}

// datasetDigest is DEBUG DIGEST's: every key of every database, those
// logically expired but not yet deleted included, as Redis's walk of its
// dictionaries finds them. Holds Server.mu.
func (ks *Keyspace) datasetDigest() (digest, error) {
	v := ks.snapshot()
	defer v.close()
	s := &digestSink{named: true}
	err := v.walk(s, nil)
	return s.all, err
}

// valueDigest is DEBUG DIGEST-VALUE's for one key of db, expired or not
// (rawMeta): zeros for a key that is not there. Holds Server.mu.
func (ks *Keyspace) valueDigest(db int, key []byte) (digest, error) {
	ks.settle() // the members are read from the store
	m, found := ks.rawMeta(db, key)
	if !found {
		return digest{}, nil
	}
	s := &digestSink{}
	err := emitKey(ks.store, ks.physDB(db), key, &m, s)
	return s.key, err
}
