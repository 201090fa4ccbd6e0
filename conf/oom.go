package conf

import (
	"fmt"
	"strconv"
)

// OOMScoreValues is oom-score-adj-values: the OOM-killer score of a
// primary, of a replica and of a forked child (Redis's; Redoubt has no
// child), written "0 200 800".
type OOMScoreValues [3]int

func (v OOMScoreValues) String() string { return fmt.Sprintf("%d %d %d", v[0], v[1], v[2]) }

// MarshalText writes the values as TOML's string form of them.
func (v OOMScoreValues) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

const errOOMValues = "Invalid oom-score-adj-values, elements must be between -2000 and 2000."

func (v OOMScoreValues) check() *problem {
	for _, n := range v {
		if n < -2000 || n > 2000 {
			return problemText(errOOMValues)
		}
	}
	return nil
}

// parseOOMScoreValues reads three integers, with Redis's errors.
func parseOOMScoreValues(args []string) (OOMScoreValues, *problem) {
	var v OOMScoreValues
	if len(args) != len(v) {
		return v, problemText("wrong number of arguments")
	}
	for i, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < -2000 || n > 2000 {
			return v, problemText(errOOMValues)
		}
		v[i] = int(n)
	}
	return v, nil
}
