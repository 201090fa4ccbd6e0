package conf

import (
	"strconv"
	"strings"
)

// SavePoint is one `save` rule: take a snapshot when at least Changes writes
// happened in the last Seconds seconds.
type SavePoint struct {
	Seconds int
	Changes int
}

// SavePoints is the `save` setting, written as Redis does:
// "3600 1 300 100 60 10000". Empty means no automatic snapshots.
type SavePoints []SavePoint

// String prints the points as CONFIG GET does.
func (s SavePoints) String() string {
	var b strings.Builder
	for i, p := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(p.Seconds))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(p.Changes))
	}
	return b.String()
}

// MarshalText prints String.
func (s SavePoints) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "seconds changes ..." separated by white space.
func (s *SavePoints) UnmarshalText(b []byte) error {
	v, prob := parseSave(strings.Fields(string(b)))
	if prob != nil {
		return prob
	}
	*s = v
	return nil
}

var errSave = &problem{redis: "Invalid save parameters", plain: "invalid save parameters: want pairs of <seconds> <changes>, seconds >= 1, changes >= 0"}

// parseSave follows Redis 7.0's setConfigSaveOption: an even number of
// arguments parsed with strtoll, seconds >= 1, changes >= 0. A single empty
// argument means no save points.
func parseSave(args []string) (SavePoints, *problem) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	if len(args)%2 != 0 {
		return nil, errSave
	}
	points := make(SavePoints, 0, len(args)/2)
	for i := 0; i < len(args); i += 2 {
		secs, ok1 := strtoll(args[i])
		changes, ok2 := strtoll(args[i+1])
		if !ok1 || !ok2 || secs < 1 || changes < 0 || changes > maxInt32 {
			return nil, errSave
		}
		points = append(points, SavePoint{Seconds: int(secs), Changes: int(changes)})
	}
	return points, nil
}

func (s SavePoints) check() *problem {
	for _, p := range s {
		if p.Seconds < 1 || p.Changes < 0 {
			return errSave
		}
	}
	return nil
}

func (s SavePoints) clone() SavePoints {
	if s == nil {
		return nil
	}
	return append(SavePoints{}, s...)
}
