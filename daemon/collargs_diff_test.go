package daemon

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// TestCollectionArgsDifferential is TestCollectionsDifferential with the
// arguments drawn to break rules: options that conflict, counts and
// indexes out of range or malformed, wrong types, missing keys, so that
// the order in which Redis checks things (and its error texts) is compared
// too, not only the happy paths.
func TestCollectionArgsDifferential(t *testing.T) {
	d := newDiffRun(t, 5000)
	for i := 0; i < d.n; i++ {
		cmd, order := cargsCommand(d.r)
		got := d.both(cmd, order)
		d.compare(cmd, order, got, func(want, got string) bool { return cargsIncomparable(cmd, want, got) })
		if d.redis == nil {
			continue
		}
		// The encoding decides how much SCAN and friends return, and
		// Redis never converts back: a drift shows here first.
		probe := []string{"OBJECT", "ENCODING", cmd[1]}
		d.compare(probe, ordered, strings.Join(d.mem.client(1).do(t, quoteLine(probe)), "\n"), nil)
	}
}

// cargsIncomparable: a SCAN cursor into a hash table is Redis's own
// (reverse binary over buckets), and so is which elements come on a page;
// only errors and complete answers to a scan from 0 compare. (Compact
// collections come whole; the encoding probe checks that both agree on
// which are compact.)
func cargsIncomparable(cmd []string, redis, redoubt string) bool {
	if !strings.HasSuffix(strings.ToUpper(cmd[0]), "SCAN") || len(cmd) < 3 || strings.HasPrefix(redis, "(error)") {
		return false
	}
	return cmd[2] != "0" || !strings.HasPrefix(redis, `["0"`) || !strings.HasPrefix(redoubt, `["0"`)
}

// cargsNum draws a count, index or score argument: usually small, often
// negative, zero, malformed or at the edges of the integer range.
func cargsNum(r *rand.Rand) string {
	switch r.Intn(8) {
	case 0:
		return []string{"x", "", "1.5", "-0", "+1", " 1", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "inf", "-inf", "nan", "(1", "(x", "1e2"}[r.Intn(15)]
	}
	return strconv.Itoa(r.Intn(12) - 4)
}

// cargsWord draws an option word, known or not, in either case.
func cargsWord(r *rand.Rand, known ...string) string {
	if r.Intn(6) == 0 {
		return []string{"BOGUS", "", "LIMIT", "COUNT", "WITHSCORES"}[r.Intn(5)]
	}
	w := known[r.Intn(len(known))]
	if r.Intn(3) == 0 {
		w = strings.ToLower(w)
	}
	return w
}

// cargsCommand draws one command and how its reply is compared. Keys a-d
// are shared with every type (so WRONGTYPE comes up), "lex" holds only
// score-0 members.
func cargsCommand(r *rand.Rand) ([]string, replyOrder) {
	k, k2 := collDiffKey(r), collDiffKey(r)
	m := collDiffMember
	n := cargsNum
	switch r.Intn(48) {
	// fill the keys so that the rest has something to work on
	case 0:
		return []string{"HSET", k, m(r), m(r), m(r), m(r)}, ordered
	case 1:
		return []string{"RPUSH", k, m(r), m(r), m(r)}, ordered
	case 2:
		return []string{"SADD", k, m(r), m(r), m(r)}, ordered
	case 3:
		return []string{"ZADD", k, collDiffScore(r), m(r), collDiffScore(r), m(r)}, ordered
	case 4:
		return []string{"DEL", k}, ordered
	// hashes
	case 5:
		return []string{"HSET", k, m(r)}, ordered
	case 6:
		return []string{"HINCRBY", k, m(r), n(r)}, ordered
	case 7:
		return []string{"HINCRBYFLOAT", k, m(r), n(r)}, ordered
	case 8:
		return []string{"HSTRLEN", k, m(r)}, ordered
	case 9:
		cmd := []string{"HRANDFIELD", k}
		if r.Intn(2) == 0 {
			// Only counts whose answer is not random: 0, or a count
			// the hash cannot reach is compared sorted.
			cmd = append(cmd, []string{"0", "x", "-9223372036854775808", "100"}[r.Intn(4)])
			if r.Intn(2) == 0 {
				cmd = append(cmd, cargsWord(r, "WITHVALUES"))
			}
		}
		if len(cmd) == 2 {
			cmd = append(cmd, "0")
		}
		return cmd, unordered
	case 10:
		return []string{"HSCAN", k, "0", cargsWord(r, "MATCH", "COUNT"), n(r)}, unordered
	// lists
	case 11:
		return []string{"LPOS", k, m(r), cargsWord(r, "RANK", "COUNT", "MAXLEN"), n(r), cargsWord(r, "RANK", "COUNT", "MAXLEN"), n(r)}, ordered
	case 12:
		return []string{"LINSERT", k, cargsWord(r, "BEFORE", "AFTER"), m(r), m(r)}, ordered
	case 13:
		return []string{"LSET", k, n(r), m(r)}, ordered
	case 14:
		return []string{"LINDEX", k, n(r)}, ordered
	case 15:
		return []string{[]string{"LPOP", "RPOP"}[r.Intn(2)], k, n(r)}, ordered
	case 16:
		return []string{"LMPOP", n(r), k, k2, cargsWord(r, "LEFT", "RIGHT"), cargsWord(r, "COUNT"), n(r)}, ordered
	case 17:
		return []string{"LMOVE", k, k2, cargsWord(r, "LEFT", "RIGHT"), cargsWord(r, "LEFT", "RIGHT")}, ordered
	case 18:
		return []string{"LRANGE", k, n(r), n(r)}, ordered
	case 19:
		return []string{"LTRIM", k, n(r), n(r)}, ordered
	case 20:
		return []string{"LREM", k, n(r), m(r)}, ordered
	case 21:
		return []string{[]string{"LPUSHX", "RPUSHX"}[r.Intn(2)], k, m(r)}, ordered
	// sets
	case 22:
		return []string{"SINTERCARD", n(r), k, k2, cargsWord(r, "LIMIT"), n(r)}, ordered
	case 23:
		return []string{"SPOP", k, []string{"0", "-1", "x", "100"}[r.Intn(4)]}, unordered
	case 24:
		return []string{"SRANDMEMBER", k, []string{"0", "x", "100", "-9223372036854775808"}[r.Intn(4)]}, unordered
	case 25:
		return []string{"SMISMEMBER", k, m(r), m(r)}, ordered
	case 26:
		return []string{[]string{"SINTERSTORE", "SDIFFSTORE", "SUNIONSTORE"}[r.Intn(3)], k, k2, collDiffKey(r)}, ordered
	case 27:
		return []string{"SMOVE", k, k2, m(r)}, ordered
	case 28:
		return []string{"SSCAN", k, n(r), cargsWord(r, "MATCH", "COUNT"), "*"}, unordered
	// sorted sets
	case 29:
		cmd := []string{"ZADD", k}
		for j := r.Intn(3); j > 0; j-- {
			cmd = append(cmd, cargsWord(r, "NX", "XX", "GT", "LT", "CH", "INCR"))
		}
		cmd = append(cmd, n(r), m(r))
		if r.Intn(2) == 0 {
			cmd = append(cmd, n(r), m(r))
		}
		return cmd, ordered
	case 30:
		cmd := []string{"ZRANGE", k, n(r), n(r)}
		for j := r.Intn(4); j > 0; j-- {
			switch w := cargsWord(r, "BYSCORE", "BYLEX", "REV", "LIMIT", "WITHSCORES"); w {
			case "LIMIT", "limit":
				cmd = append(cmd, w, n(r), n(r))
			case "BYLEX", "bylex":
				cmd[1] = "lex" // see ZRANGEBYLEX
				cmd = append(cmd, w)
			default:
				cmd = append(cmd, w)
			}
		}
		return cmd, ordered
	case 31:
		return []string{"ZRANGEBYSCORE", k, n(r), n(r), cargsWord(r, "WITHSCORES", "LIMIT"), n(r), n(r)}, ordered
	case 32:
		// Lex ranges are defined only where all scores are equal.
		return []string{"ZRANGEBYLEX", "lex", collDiffLexBound(r), []string{"x", "+", "[a", "(a", "-"}[r.Intn(5)]}, ordered
	case 33:
		return []string{"ZRANGESTORE", k2, k, n(r), n(r), cargsWord(r, "BYSCORE", "REV", "WITHSCORES")}, ordered
	case 34:
		return []string{"ZINCRBY", k, n(r), m(r)}, ordered
	case 35:
		return []string{"ZMSCORE", k, m(r), m(r)}, ordered
	case 36:
		return []string{"ZMPOP", n(r), k, k2, cargsWord(r, "MIN", "MAX"), cargsWord(r, "COUNT"), n(r)}, ordered
	case 37:
		return []string{[]string{"ZPOPMIN", "ZPOPMAX"}[r.Intn(2)], k, n(r)}, ordered
	case 38:
		cmd := []string{[]string{"ZUNION", "ZINTER", "ZDIFF"}[r.Intn(3)], n(r), k, k2}
		for j := r.Intn(3); j > 0; j-- {
			switch w := cargsWord(r, "WEIGHTS", "AGGREGATE", "WITHSCORES"); w {
			case "WEIGHTS", "weights":
				cmd = append(cmd, w, n(r), n(r))
			case "AGGREGATE", "aggregate":
				cmd = append(cmd, w, cargsWord(r, "SUM", "MIN", "MAX"))
			default:
				cmd = append(cmd, w)
			}
		}
		return cmd, ordered
	case 39:
		return []string{[]string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[r.Intn(3)], k2, n(r), k, collDiffKey(r)}, ordered
	case 40:
		return []string{"ZINTERCARD", n(r), k, k2, cargsWord(r, "LIMIT"), n(r)}, ordered
	case 41:
		return []string{"ZRANDMEMBER", k, []string{"0", "x", "100", "-9223372036854775808"}[r.Intn(4)]}, unordered
	case 42:
		return []string{[]string{"ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZCOUNT"}[r.Intn(3)], k, n(r), n(r)}, ordered
	case 43:
		return []string{[]string{"ZLEXCOUNT", "ZREMRANGEBYLEX"}[r.Intn(2)], "lex", collDiffLexBound(r), []string{"x", "+", "[m1", "-"}[r.Intn(4)]}, ordered
	case 44:
		return []string{"ZADD", "lex", "0", m(r), "0", m(r)}, ordered
	case 45:
		return []string{[]string{"ZRANK", "ZREVRANK", "ZSCORE"}[r.Intn(3)], k, m(r), cargsWord(r, "WITHSCORE")}, ordered
	// SORT: only forms whose order is total (numeric, or ALPHA over
	// distinct members) on lists, where Redis's order is defined.
	case 46:
		cmd := []string{"SORT", k}
		for j := r.Intn(3); j > 0; j-- {
			// LIMIT only over distinct values: Redis's ALPHA compares
			// with strcoll, which stops at a NUL byte, so "m\x001" and
			// "m\x002" tie and come in the set's hash order.
			switch w := cargsWord(r, "LIMIT", "ASC", "DESC", "ALPHA"); w {
			case "LIMIT", "limit":
				cmd = append(cmd, w, "0", "-1")
			default:
				cmd = append(cmd, w)
			}
		}
		return cmd, unordered
	default:
		return []string{"TYPE", k}, ordered
	}
}
