package daemon

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// TestPipelineReadAhead: a pipeline sent in one read gets the same replies,
// byte for byte, as the same commands sent one per read, whatever the
// commands do to the keys, the database or the connection between the
// parsing ahead and their turn (see prefetch.go): SELECT switches the
// database the prefetch assumed, keys change type and are deleted,
// collections are replaced under a new version, and reads longer than
// pipelineAhead commands, inline commands and a read cut in the middle of
// a command are mixed in. Every seed is a random run of such commands.
func TestPipelineReadAhead(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			var cmds [][]byte
			for i := 0; i < 300; i++ {
				cmds = append(cmds, aheadCommand(r))
			}
			one := newHarness(t)
			defer one.close()
			oc := one.client(1)
			var want []byte
			for _, cmd := range cmds {
				feed(t, oc.sess, cmd)
				want = append(want, oc.buf...)
				oc.buf = oc.buf[:0]
			}
			piped := newHarness(t)
			defer piped.close()
			pc := piped.client(1)
			var got, pending []byte
			for i := 0; i < len(cmds); {
				n := 1 + r.Intn(2*pipelineAhead)
				for ; n > 0 && i < len(cmds); n, i = n-1, i+1 {
					pending = append(pending, cmds[i]...)
				}
				// Sometimes hold back the tail of the last command, as a
				// read that ends in the middle of one.
				var tail []byte
				if i < len(cmds) && r.Intn(4) == 0 {
					cut := len(pending) - r.Intn(4)
					tail = append(tail, pending[cut:]...)
					pending = pending[:cut]
				}
				consumed, _, closeConn := pc.sess.Data(pending)
				if closeConn {
					t.Fatalf("connection closed at command %d", i)
				}
				pending = append(pending[:0], pending[consumed:]...)
				pending = append(pending, tail...)
				got = append(got, pc.buf...)
				pc.buf = pc.buf[:0]
			}
			if len(pending) > 0 {
				feed(t, pc.sess, pending)
				got = append(got, pc.buf...)
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Fatalf("pipelined replies differ at byte %d:\n got %q\nwant %q", i, clip(got[i:]), clip(want[i:]))
			}
		})
	}
}

// feed hands b to sess in one read, which must take all of it; the
// replies land in the fake connection's buffer.
func feed(t *testing.T, sess *Client, b []byte) {
	t.Helper()
	consumed, _, closeConn := sess.Data(b)
	if consumed != len(b) || closeConn {
		t.Fatalf("read of %q: consumed %d of %d, close %v", clip(b), consumed, len(b), closeConn)
	}
}

func clip(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// aheadCommand draws a command of the kinds whose keys and members are
// prefetched, and of the kinds that change what a prefetch assumed.
func aheadCommand(r *rand.Rand) []byte {
	key := []string{"k1", "k2", "h", "s", "z"}[r.Intn(5)]
	m := func() string { return fmt.Sprintf("m%d", r.Intn(6)) }
	var argv []string
	switch r.Intn(16) {
	case 0:
		argv = []string{"SET", key, m()}
	case 1:
		argv = []string{"GET", key}
	case 2:
		argv = []string{"MSET", key, m(), "k2", m()}
	case 3:
		argv = []string{"MGET", key, "k1", "h"}
	case 4:
		argv = []string{"HSET", key, m(), "v", m(), "w"}
	case 5:
		argv = []string{"HGET", key, m()}
	case 6:
		argv = []string{"SADD", key, m(), m()}
	case 7:
		argv = []string{"SISMEMBER", key, m()}
	case 8:
		argv = []string{"ZADD", key, []string{"NX", "xx", "CH", "gt", "INCR"}[r.Intn(5)], fmt.Sprint(r.Intn(5)), m()}
	case 9:
		argv = []string{"ZADD", key, fmt.Sprint(r.Intn(5)), m(), fmt.Sprint(r.Intn(5)), m()}
	case 10:
		argv = []string{"ZSCORE", key, m()}
	case 11:
		argv = []string{"DEL", key}
	case 12:
		argv = []string{"SELECT", fmt.Sprint(r.Intn(3))}
	case 13:
		argv = []string{"HDEL", key, m()}
	case 14:
		argv = []string{"ZINCRBY", key, "1", m()}
	case 15:
		// An inline command.
		return []byte(fmt.Sprintf("EXISTS %s %s\r\n", key, "k1"))
	}
	args := make([][]byte, len(argv))
	for i, a := range argv {
		args[i] = []byte(a)
	}
	return encodeCommand(args)
}

// TestParseAheadBounds: a read is parsed ahead up to pipelineAhead
// commands, keys or members, whichever comes first, so that every key of
// a pipeline of many-key commands is prefetched in some batch; the caller
// is told to read ahead again when a bound, not the read's end, stopped
// it.
func TestParseAheadBounds(t *testing.T) {
	repeat := func(n int, argv ...string) [][]string {
		var cmds [][]string
		for range n {
			cmds = append(cmds, argv)
		}
		return cmds
	}
	keys := func(cmd string, n int, pairs bool) []string {
		argv := []string{cmd}
		for i := range n {
			argv = append(argv, fmt.Sprintf("key:%d", i))
			if pairs {
				argv = append(argv, "v")
			}
		}
		return argv
	}
	fields := func(n int) []string {
		argv := []string{"HSET", "h"}
		for i := range n {
			argv = append(argv, fmt.Sprintf("f%d", i), "v")
		}
		return argv
	}
	for _, tc := range []struct {
		name     string
		cmds     [][]string
		ahead    int
		more     bool
		prefetch bool
	}{
		{"16 GETs: all of them", repeat(16, "GET", "k"), 16, false, true},
		{"40 GETs: 32 and more", repeat(40, "GET", "k"), 32, true, true},
		{"32 GETs: all, and the read ends", repeat(32, "GET", "k"), 32, false, true},
		{"one GET: nothing to overlap", repeat(1, "GET", "k"), 1, false, false},
		{"one SET: nothing to overlap", repeat(1, "SET", "k", "v"), 1, false, false},
		{"one MSET of 10 keys", repeat(1, keys("MSET", 10, true)...), 1, false, true},
		{"16 MSETs of 10 keys: 3 at a time", repeat(16, keys("MSET", 10, true)...), 3, true, true},
		{"4 MGETs of 8 keys: all 32 keys", repeat(4, keys("MGET", 8, false)...), 4, false, true},
		{"5 MGETs of 8 keys: 4 and more", repeat(5, keys("MGET", 8, false)...), 4, true, true},
		{"one MSET of 50 keys: alone, and the rest of its keys unfetched", repeat(2, keys("MSET", 50, true)...), 1, true, true},
		{"HSETs of 20 fields: one at a time", repeat(3, fields(20)...), 1, true, true},
		{"HSETs of 10 fields: 3 at a time", repeat(8, fields(10)...), 3, true, true},
		{"one HSET of 2 fields", repeat(1, fields(2)...), 1, false, true},
		{"PINGs have no keys", repeat(40, "PING"), 32, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			defer h.close()
			c := h.client(1).sess
			// Members are looked for only under a key the row cache has.
			feed(t, c, encodeCommand([][]byte{[]byte("HSET"), []byte("h"), []byte("f0"), []byte("v")}))
			var buf []byte
			for _, argv := range tc.cmds {
				args := make([][]byte, len(argv))
				for i, a := range argv {
					args[i] = []byte(a)
				}
				buf = append(buf, encodeCommand(args)...)
			}
			lim := resp.Limits{MaxBulkLen: 512 << 20, MaxMultibulkLen: 1 << 30, MaxInlineLen: 64 << 10}
			h.srv.mu.Lock()
			c.aheadHashes = c.aheadHashes[:0]
			more := c.parseAhead(buf, &lim)
			prefetched := len(c.aheadHashes) > 0
			h.srv.mu.Unlock()
			if len(c.ahead) != tc.ahead || more != tc.more {
				t.Fatalf("parsed %d commands ahead, more %v; want %d, %v", len(c.ahead), more, tc.ahead, tc.more)
			}
			if prefetched != tc.prefetch {
				t.Fatalf("prefetched %v, want %v", prefetched, tc.prefetch)
			}
		})
	}
}
