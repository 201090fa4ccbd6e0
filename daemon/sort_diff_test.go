package daemon

import (
	"math/rand"
	"strconv"
	"testing"
)

// TestSortDifferential compares SORT and SORT_RO with a real redis-server:
// lists (whose order Redis defines), BY and GET patterns over strings and
// hash fields, ALPHA, LIMIT, DESC, STORE, and the errors of each. Sets and
// sorted sets are sorted too, but only where the answer cannot depend on
// the order Redis met the members in (distinct sort values).
func TestSortDifferential(t *testing.T) {
	d := newDiffRun(t, 3000)
	for i := 0; i < d.n; i++ {
		cmd := sortDiffCommand(d.r)
		d.compare(cmd, ordered, d.both(cmd, ordered), nil)
	}
}

// sortDiffItem draws a list element: numbers (some equal in value but not
// in bytes, which ties numerically), words, or garbage for numeric sorts.
func sortDiffItem(r *rand.Rand) string {
	switch r.Intn(8) {
	case 0:
		return []string{"1.5", "-2", "1e1", "inf", "-inf", "3", "03", "x1", ""}[r.Intn(9)]
	case 1, 2:
		return "w" + strconv.Itoa(r.Intn(6))
	}
	return strconv.Itoa(r.Intn(12) - 3)
}

func sortDiffCommand(r *rand.Rand) []string {
	switch r.Intn(12) {
	case 0, 1:
		return []string{"RPUSH", "l", sortDiffItem(r), sortDiffItem(r), sortDiffItem(r)}
	case 2:
		return []string{"LPOP", "l", "2"}
	case 3:
		// Weights and fields the BY and GET patterns read.
		it := sortDiffItem(r)
		return []string{"SET", "w_" + it, strconv.Itoa(r.Intn(20) - 5)}
	case 4:
		it := sortDiffItem(r)
		return []string{"HSET", "h_" + it, "f", strconv.Itoa(r.Intn(20) - 5), "g", "v" + strconv.Itoa(r.Intn(5))}
	case 5:
		return []string{"SADD", "s", strconv.Itoa(r.Intn(30)), strconv.Itoa(r.Intn(30))}
	case 6:
		return []string{"ZADD", "z", strconv.Itoa(r.Intn(30)), "m" + strconv.Itoa(r.Intn(30))}
	case 7:
		return []string{"DEL", []string{"l", "dst", "w_3", "h_3"}[r.Intn(4)]}
	}
	cmd := []string{[]string{"SORT", "SORT", "SORT_RO"}[r.Intn(3)], []string{"l", "l", "l", "nokey", "s", "z", "w_1"}[r.Intn(7)]}
	// Sets and sorted sets only in forms with one answer: numeric on
	// their own distinct values, no BY, no LIMIT ties.
	onList := cmd[1] == "l"
	for j := r.Intn(4); j > 0; j-- {
		switch r.Intn(9) {
		case 0:
			if onList {
				cmd = append(cmd, "BY", []string{"w_*", "h_*->f", "nosort", "h_*->nofield", "x", "w_*->", "*"}[r.Intn(7)])
			}
		case 1:
			cmd = append(cmd, "GET", []string{"#", "w_*", "h_*->g", "h_*->f", "nokey_*", "#x"}[r.Intn(6)])
		case 2:
			cmd = append(cmd, "LIMIT", strconv.Itoa(r.Intn(6)-1), strconv.Itoa(r.Intn(6)-2))
		case 3:
			cmd = append(cmd, "DESC")
		case 4:
			if onList {
				cmd = append(cmd, "ALPHA")
			}
		case 5:
			cmd = append(cmd, "ASC")
		case 6:
			cmd = append(cmd, "STORE", "dst")
		case 7:
			// A bare option word takes the next one as its argument: BY
			// would take one with no "*", which means "do not sort".
			w := []string{"LIMIT", "BY", "GET", "STORE", "BOGUS"}[r.Intn(5)]
			if w != "BY" || onList {
				cmd = append(cmd, w)
			}
		default:
			cmd = append(cmd, "LIMIT", "x", "1")
		}
	}
	return cmd
}
