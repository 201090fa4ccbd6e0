package daemon

import (
	"bytes"
	"math/rand/v2"

	"github.com/redoubtdb/redoubt/storage"
)

// trieDraw draws a random record among those whose store keys start with
// base, without reading them all: RANDOMKEY, and HRANDFIELD, SRANDMEMBER,
// SPOP and ZRANDMEMBER on big collections. it must iterate a range that
// holds every such key. It returns copies of the drawn key's part after
// base and of its value; ok is false when there is no such record.
//
// Redis draws a random hash bucket, near uniform over keys; without counts
// per key range the store cannot do that. So the draw descends the keys'
// byte trie: at each point where the keys part ways it picks one of the
// bytes that come next (or the key that ends there), all equally likely,
// skipping the levels where every key agrees. A key's chance is therefore
// 1 over the product of the branchings on its path: uniform when keys are
// spread evenly (numbered ids), favouring keys in sparse branches
// otherwise; every key can come up. Each level costs a few seeks: a branch
// is guessed by rejection sampling between the first and last next byte,
// and the present bytes are listed only when four guesses miss.
func trieDraw(it storage.Iterator, base []byte) (suffix, value []byte, ok bool) {
	key := func(s []byte) []byte { return append(append([]byte(nil), base...), s...) }
	sub := func() []byte { return it.Key()[len(base):] }
	found := func(s []byte) ([]byte, []byte, bool) {
		if !it.SeekGE(key(s)) {
			panic(storageError{storage.ErrCorrupt})
		}
		return append([]byte{}, s...), append([]byte{}, it.Value()...), true
	}
	var pre []byte // every key still in the draw starts with base+pre
	for {
		lo := key(pre)
		if !it.SeekGE(lo) || !bytes.HasPrefix(it.Key(), lo) {
			return nil, nil, false
		}
		first := bytes.Clone(sub())
		var last []byte
		if end := storage.PrefixEnd(lo); end == nil {
			if !it.Last() {
				return found(first)
			}
		} else if !it.SeekLT(end) {
			return found(first)
		}
		last = sub()
		if bytes.Equal(first, last) {
			return found(first)
		}
		n := len(pre)
		for n < len(first) && first[n] == last[n] {
			n++
		}
		// last > first and they share n bytes, so last is longer than n.
		high := int(last[n])
		pre = first[:n]
		exact := len(first) == n // pre itself is a key
		var low int
		if exact {
			// The smallest next byte belongs to the key after pre.
			if !it.SeekGE(key(append(pre[:n:n], 0))) {
				return found(pre)
			}
			low = int(sub()[n])
		} else {
			low = int(first[n])
		}
		b := trieBranch(it, base, pre, exact, low, high)
		if b < 0 {
			return found(pre)
		}
		pre = append(pre[:n:n], byte(b))
	}
}

// trieBranch draws one of the ways on from pre: a next byte in [low, high]
// that some key has, or -1 for the key pre itself (when exact).
func trieBranch(it storage.Iterator, base, pre []byte, exact bool, low, high int) int {
	n := len(pre)
	ways := high - low + 1
	if exact {
		ways++
	}
	present := func(b int) (next int, ok bool) {
		probe := append(append(append([]byte(nil), base...), pre...), byte(b))
		if !it.SeekGE(probe) {
			return 0, false
		}
		s := it.Key()[len(base):]
		if len(s) <= n || !bytes.Equal(s[:n], pre) {
			return 0, false
		}
		return int(s[n]), true
	}
	for range 4 {
		r := rand.IntN(ways)
		if exact && r == ways-1 {
			return -1
		}
		if next, ok := present(low + r); ok && next == low+r {
			return next
		}
	}
	var ways2 []int
	if exact {
		ways2 = append(ways2, -1)
	}
	for b := low; b <= high; {
		next, ok := present(b)
		if !ok {
			break
		}
		ways2 = append(ways2, next)
		b = next + 1
	}
	return ways2[rand.IntN(len(ways2))]
}
