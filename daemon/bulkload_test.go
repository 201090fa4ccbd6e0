package daemon

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubtdb/redoubt/storage/rdb"
)

// TestSortByKey checks the word-at-a-time radix sort against a plain sort
// on keys built to tie: shared prefixes longer than a word, zero bytes
// that padding must not confuse with a key's end, empty keys, keys in
// several namespaces, and keys that all share a prefix longer than
// sortWordsMaxDepth.
func TestSortByKey(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := []byte{0, 1, 'a', 'b', 0xff}
	for round := 0; round < 209; round++ {
		n := r.Intn(300)
		if round >= 200 && round < 206 { // past parallelSortMin: sorted in two halves
			n = parallelSortMin + r.Intn(parallelSortMin)
		}
		type nk struct {
			ns  uint16
			key []byte
		}
		keys := make([]nk, n)
		for i := range keys {
			k := []byte(strings.Repeat("prefix:7", r.Intn(3)))
			if round >= 203 { // first words all alike
				k = []byte("prefix:7")
			}
			if round >= 206 {
				k = []byte(strings.Repeat("long", sortWordsMaxDepth/4+10))
			}
			for j := r.Intn(20); j > 0; j-- {
				k = append(k, alphabet[r.Intn(len(alphabet))])
			}
			keys[i] = nk{uint16(r.Intn(3)), k}
		}
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(i)
		}
		if round%2 == 1 {
			// Sorts too big for scratch run in place.
			radixScratchMax = 40
		}
		x, y, dup := sortByKey(idx, func(i int32) (uint16, []byte) { return keys[i].ns, keys[i].key })
		radixScratchMax = 1 << 20
		distinct := map[string]bool{}
		for _, k := range keys {
			distinct[fmt.Sprint(k.ns)+":"+string(k.key)] = true
		}
		if dup != (len(distinct) < n) {
			t.Fatalf("round %d: duplicates reported %v, %d distinct keys of %d", round, dup, len(distinct), n)
		}
		if dup && (x == y || keys[x].ns != keys[y].ns || !bytes.Equal(keys[x].key, keys[y].key)) {
			t.Fatalf("round %d: %d:%q and %d:%q reported as duplicates", round, keys[x].ns, keys[x].key, keys[y].ns, keys[y].key)
		}
		for i := 1; i < n; i++ {
			a, b := keys[idx[i-1]], keys[idx[i]]
			if a.ns > b.ns || (a.ns == b.ns && bytes.Compare(a.key, b.key) > 0) {
				t.Fatalf("round %d: %d:%q sorted before %d:%q", round, a.ns, a.key, b.ns, b.key)
			}
		}
		seen := map[int32]bool{}
		for _, i := range idx {
			seen[i] = true
		}
		if len(seen) != n {
			t.Fatalf("round %d: %d distinct indexes after the sort, want %d", round, len(seen), n)
		}
	}
}

// TestRadixSortWords checks the radix sort against a stable comparison
// sort, on words that share bytes, namespaces and lengths in every mix,
// below and above the size at which it stops using insertion sort.
func TestRadixSortWords(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for round := range 300 {
		n := r.Intn(200)
		if round%50 == 0 {
			n = 5000 + r.Intn(5000)
		}
		vals := []uint64{0, 1, 0xff, 0x100, 1 << 63, math.MaxUint64, r.Uint64(), r.Uint64()}
		ents := make([]keyWord, n)
		for i := range ents {
			w := vals[r.Intn(len(vals))]
			if r.Intn(2) == 0 {
				w = r.Uint64() & (0xffff << (8 * r.Intn(7)))
			}
			ents[i] = keyWord{w: w, ns: uint16(r.Intn(3)) << (8 * r.Intn(2)), n: uint8(r.Intn(10)), i: int32(i)}
		}
		want := slices.Clone(ents)
		slices.SortStableFunc(want, keyWordCmp)
		inPlace := slices.Clone(ents)
		radixSortWords(ents, make([]keyWord, n))
		if !slices.Equal(ents, want) {
			t.Fatalf("round %d (%d words): radix order differs from a stable sort", round, n)
		}
		// Without scratch the sort is not stable: the same words, in order.
		radixSortWords(inPlace, nil)
		for i := range inPlace {
			if keyWordLess(&inPlace[i], &want[i]) || keyWordLess(&want[i], &inPlace[i]) {
				t.Fatalf("round %d (%d words): the in-place sort differs at %d", round, n, i)
			}
		}
		slices.SortFunc(inPlace, func(a, b keyWord) int { return int(a.i) - int(b.i) })
		for i := range inPlace {
			if inPlace[i].i != int32(i) {
				t.Fatalf("round %d (%d words): the in-place sort lost or doubled word %d", round, n, i)
			}
		}
	}
}

// bulkModel is a keyspace to load: each key with its type, content and
// expiry, written as an RDB file and, for reference, as commands.
type bulkModel struct {
	db     int
	key    string
	kind   string // string hash set zset list
	str    string
	pairs  []string // hash field/value pairs, zset member/score pairs
	elems  []string // set and list members
	expire int64    // unix ms, 0 for none
}

func randomBulkModel(r *rand.Rand, now int64) []bulkModel {
	var ms []bulkModel
	member := func(j int) string {
		if r.Intn(3) == 0 {
			return strconv.Itoa(j) // intset-able
		}
		return "m" + strconv.Itoa(j) + strings.Repeat("x", r.Intn(3)*40)
	}
	for i := 0; i < 400; i++ {
		m := bulkModel{db: r.Intn(3), key: "k" + strconv.Itoa(i) + strings.Repeat("/", r.Intn(12))}
		if i%7 == 0 {
			m.key = strconv.Itoa(i) // keys of different lengths interleave
		}
		if r.Intn(4) == 0 {
			m.expire = now + int64(1+r.Intn(1000))*1000
		}
		n := 1 + r.Intn(12)
		if r.Intn(15) == 0 {
			n = loadSmall + r.Intn(200) // past the held-back window
		}
		switch r.Intn(5) {
		case 0:
			m.kind, m.str = "string", strings.Repeat("v", r.Intn(100))
		case 1:
			m.kind = "hash"
			for j := 0; j < n; j++ {
				m.pairs = append(m.pairs, member(j), strconv.Itoa(r.Intn(100)))
			}
		case 2:
			m.kind = "set"
			allInts := r.Intn(2) == 0
			for j := 0; j < n; j++ {
				if allInts {
					m.elems = append(m.elems, strconv.Itoa(j*3))
				} else {
					m.elems = append(m.elems, member(j))
				}
			}
		case 3:
			m.kind = "zset"
			for j := 0; j < n; j++ {
				score := []string{"0", "-0", "1.5", "-2", "inf", "-inf", "3"}[r.Intn(7)]
				m.pairs = append(m.pairs, member(j), score)
			}
		case 4:
			m.kind = "list"
			for j := 0; j < n; j++ {
				m.elems = append(m.elems, member(r.Intn(5)))
			}
		}
		ms = append(ms, m)
	}
	return ms
}

func bulkModelFile(t *testing.T, ms []bulkModel) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, rdb.WriterOptions{Checksum: true})
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Header())
	for db := 0; db < 3; db++ {
		// RESIZEDB as Redis writes it for the first database (the load
		// reserves room for its groups), understated for the second (they
		// outgrow the room) and absent (0) for the third.
		keys := 0
		for _, m := range ms {
			if m.db == db {
				keys++
			}
		}
		must(w.SelectDB(db, uint64([]int{keys, keys / 2, 0}[db]), 0))
		for _, m := range ms {
			if m.db != db {
				continue
			}
			h := rdb.KeyHeader{Key: []byte(m.key), ExpireMs: m.expire}
			switch m.kind {
			case "string":
				must(w.String(h, []byte(m.str)))
				continue
			case "hash":
				must(w.BeginHash(h, len(m.pairs)/2))
				for i := 0; i < len(m.pairs); i += 2 {
					must(w.Field([]byte(m.pairs[i]), []byte(m.pairs[i+1])))
				}
			case "set":
				must(w.BeginSet(h, len(m.elems)))
				for _, e := range m.elems {
					must(w.Member([]byte(e)))
				}
			case "zset":
				must(w.BeginZSet(h, len(m.pairs)/2))
				for i := 0; i < len(m.pairs); i += 2 {
					f, _ := strconv.ParseFloat(m.pairs[i+1], 64)
					if m.pairs[i+1] == "-0" {
						f = math.Copysign(0, -1)
					}
					must(w.Scored([]byte(m.pairs[i]), f))
				}
			case "list":
				must(w.BeginList(h, len(m.elems)))
				for _, e := range m.elems {
					must(w.Elem([]byte(e)))
				}
			}
			must(w.End())
		}
	}
	must(w.Finish())
	return buf.Bytes()
}

// bulkModelCommands builds the model with ordinary commands.
func bulkModelCommands(t *testing.T, c *fakeClient, ms []bulkModel) {
	t.Helper()
	do := func(args ...string) {
		if v := c.reply(t, args...); strings.HasPrefix(v.String(), "(error)") {
			t.Fatalf("%v: %s", args, v)
		}
	}
	for _, m := range ms {
		do("SELECT", strconv.Itoa(m.db))
		switch m.kind {
		case "string":
			do("SET", m.key, m.str)
		case "hash":
			do(append([]string{"HSET", m.key}, m.pairs...)...)
		case "set":
			do(append([]string{"SADD", m.key}, m.elems...)...)
		case "zset":
			// A load keeps -0 only in a zset it makes a skiplist; ZADD
			// would create a listpack first, which stores 0.
			big := len(m.pairs)/2 > 128
			for i := 0; i < len(m.pairs); i += 2 {
				big = big || len(m.pairs[i]) > 64
			}
			dummy := strings.Repeat("d", 65)
			if big {
				do("ZADD", m.key, "0", dummy)
			}
			args := []string{"ZADD", m.key}
			for i := 0; i < len(m.pairs); i += 2 {
				score := m.pairs[i+1]
				if score == "-0" && !big {
					score = "0"
				}
				args = append(args, score, m.pairs[i])
			}
			do(args...)
			if big {
				do("ZREM", m.key, dummy)
			}
		case "list":
			do(append([]string{"RPUSH", m.key}, m.elems...)...)
		}
		if m.expire != 0 {
			do("PEXPIREAT", m.key, strconv.FormatInt(m.expire, 10))
		}
	}
}

// bulkModelDump describes every model key as the server sees it.
func bulkModelDump(t *testing.T, c *fakeClient, ms []bulkModel, encodings bool) []string {
	t.Helper()
	var out []string
	for db := 0; db < 3; db++ {
		c.reply(t, "SELECT", strconv.Itoa(db))
		out = append(out, fmt.Sprintf("db%d size %s", db, c.reply(t, "DBSIZE")))
	}
	for _, m := range ms {
		c.reply(t, "SELECT", strconv.Itoa(m.db))
		var content string
		switch m.kind {
		case "string":
			content = c.reply(t, "GET", m.key).String()
		case "hash":
			v := c.reply(t, "HGETALL", m.key)
			var pairs []string
			for i := 0; i+1 < len(v.Elems); i += 2 {
				pairs = append(pairs, v.Elems[i].String()+"="+v.Elems[i+1].String())
			}
			slices.Sort(pairs)
			content = strings.Join(pairs, " ")
		case "set":
			v := c.reply(t, "SMEMBERS", m.key)
			var ms []string
			for _, e := range v.Elems {
				ms = append(ms, e.String())
			}
			slices.Sort(ms)
			content = strings.Join(ms, " ")
		case "zset":
			content = c.reply(t, "ZRANGE", m.key, "0", "-1", "WITHSCORES").String()
		case "list":
			content = c.reply(t, "LRANGE", m.key, "0", "-1").String()
		}
		line := fmt.Sprintf("%d %q %s pexpiretime %s: %s", m.db, m.key, c.reply(t, "TYPE", m.key),
			c.reply(t, "PEXPIRETIME", m.key), content)
		if encodings {
			line += " encoding " + c.reply(t, "OBJECT", "ENCODING", m.key).String()
		}
		out = append(out, line)
	}
	return out
}

// TestBulkLoadRounds imports a file of every type, in three databases,
// with expiries, collections past the held-back window and keys of many
// lengths: once in one round, once on Pebble cut into many rounds (each
// ingested over the last) and runs. Both must hold what the same data
// written by commands holds.
func TestBulkLoadRounds(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	ref := newHarness(t)
	defer ref.close()
	ms := randomBulkModel(r, ref.clock)
	file := bulkModelFile(t, ms)
	bulkModelCommands(t, ref.client(1), ms)
	want := bulkModelDump(t, ref.client(1), ms, false)

	one := newHarness(t)
	defer one.close()
	if st, err := one.srv.ImportRDB(bytes.NewReader(file), ImportOptions{}); err != nil || st.Keys != int64(len(ms)) {
		t.Fatalf("import: %+v, %v", st, err)
	}
	diffLines(t, "one round", want, bulkModelDump(t, one.client(1), ms, false))

	// Small rounds and runs, rounds with more keys than their mapped
	// memory holds, collections of 3 members or more split across
	// writers (bulkWriter.writeRows), and sorts of more than 2 keys in
	// place (radixScratchMax): every boundary at once.
	defer func(b, k, c, d, e int) {
		bulkRunBytes, bulkRoundKeys, bulkChunkRows, bulkSplitRows, radixScratchMax = b, k, c, d, e
	}(bulkRunBytes, bulkRoundKeys, bulkChunkRows, bulkSplitRows, radixScratchMax)
	bulkRunBytes, bulkRoundKeys, bulkChunkRows, bulkSplitRows, radixScratchMax = 4096, 5, 7, 3, 2
	many := newPebbleHarness(t)
	defer many.close()
	many.clock = ref.clock
	if st, err := many.srv.ImportRDB(bytes.NewReader(file), ImportOptions{}); err != nil || st.Keys != int64(len(ms)) {
		t.Fatalf("import in rounds: %+v, %v", st, err)
	}
	diffLines(t, "many rounds", want, bulkModelDump(t, many.client(1), ms, false))
	diffLines(t, "encodings", bulkModelDump(t, one.client(1), ms, true), bulkModelDump(t, many.client(1), ms, true))

	// A key named again in a later round is found in the store.
	dup := append(ms[:len(ms):len(ms)], ms[0])
	again := newPebbleHarness(t)
	defer again.close()
	again.clock = ref.clock
	_, err := again.srv.ImportRDB(bytes.NewReader(bulkModelFile(t, dup)), ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Fatalf("import with a key named twice, rounds apart: %v", err)
	}
}

func diffLines(t *testing.T, what string, want, got []string) {
	t.Helper()
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("%s: line %d\n got %s\nwant %s", what, i, g, w)
		}
	}
}

// TestKeyFilter checks the filter of loaded keys: no key added is ever
// reported absent, through every rebuild, and few absent keys are
// reported present.
func TestKeyFilter(t *testing.T) {
	f := newKeyFilter()
	const n = 200_000
	for i := 0; i < n; i++ {
		f.add(f.hash(uint16(i%3), []byte("key:"+strconv.Itoa(i))))
		if i%9973 == 0 {
			for j := 0; j <= i; j += 101 {
				if !f.mayHave(f.hash(uint16(j%3), []byte("key:"+strconv.Itoa(j)))) {
					t.Fatalf("after %d keys, key %d is reported absent", i+1, j)
				}
			}
		}
	}
	falsePos := 0
	for i := n; i < 2*n; i++ {
		if f.mayHave(f.hash(uint16(i%3), []byte("key:"+strconv.Itoa(i)))) {
			falsePos++
		}
	}
	if falsePos > n/500 {
		t.Fatalf("%d of %d absent keys reported present", falsePos, n)
	}
	// The same name in another database is another key.
	g := newKeyFilter()
	g.add(g.hash(0, []byte("k")))
	if g.mayHave(g.hash(1, []byte("k"))) && g.mayHave(g.hash(2, []byte("k"))) && g.mayHave(g.hash(3, []byte("k"))) {
		t.Fatal("the database is not part of the hash")
	}
}
