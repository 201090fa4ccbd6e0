package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Reference reads this run's ratios against another run's: a quick run against the
// latest full one. Each ratio comes with the spread of its rounds, [min, max]; two runs
// agree on a ratio when those ranges overlap. Outside it is either noise larger than the
// two runs saw or a real change since.
//
// Why ranges and not a median within the other's range: a single new sample falls within
// the range of three others from the same distribution only half the time, and two full
// runs three hours apart (2026-11-24, 05:18 and 08:26, three rounds each, only the
// smallcache row changed on purpose between them) had 24 of 47 medians within the other's
// [min-max] but 40 of 47 ranges overlapping, two of the other seven that smallcache row.
type Reference struct {
	Path    string `json:"path"`
	Date    string `json:"date"`
	Quick   bool   `json:"quick"`
	Repeats int    `json:"repeats"`
	Commit  string `json:"commit,omitempty"`
	// Compared counts the cases both runs measured with a ratio; Agree those whose
	// ranges overlap; Near those whose ranges lie apart by at most NearMargin.
	Compared int         `json:"compared"`
	Agree    int         `json:"agree"`
	Near     int         `json:"near"`
	Cases    []Agreement `json:"cases"`
}

// NearMargin is how far apart two ranges of a ratio may lie and still be counted as near
// each other: about the spread of single short runs on a shared 2-core machine, so that
// a quick run flags what moved by more than its own noise.
const NearMargin = 0.10

// Agreement is one case measured by both runs.
type Agreement struct {
	Name string `json:"name"`
	// Ratio is this run's paired Redoubt/Redis ratio, Reference the other run's.
	Ratio     Stat `json:"ratio"`
	Reference Stat `json:"reference"`
	// Agrees: [Ratio.Min, Ratio.Max] and [Reference.Min, Reference.Max] overlap.
	Agrees bool `json:"agrees"`
	// Outside is how far apart the two ranges lie, relative to the nearer ends (0 when
	// they overlap): 0.1 when this run's min is 10% above the reference's max, or its
	// max 10% below the reference's min.
	Outside float64 `json:"outside"`
	// Change is Ratio.Median / Reference.Median - 1.
	Change float64 `json:"change"`
}

// agreement compares one case's ratio with the reference's.
func agreement(name string, ratio, ref Stat) Agreement {
	a := Agreement{Name: name, Ratio: ratio, Reference: ref}
	switch {
	case ratio.Min > ref.Max && ref.Max > 0:
		a.Outside = ratio.Min/ref.Max - 1
	case ratio.Max < ref.Min && ratio.Max > 0:
		a.Outside = ref.Min/ratio.Max - 1
	default:
		a.Agrees = true
	}
	if ref.Median > 0 {
		a.Change = ratio.Median/ref.Median - 1
	}
	return a
}

// LoadResults reads a results.json written by WriteDir.
func LoadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(r.Systems) != 2 {
		return nil, fmt.Errorf("%s: %d systems, want 2", path, len(r.Systems))
	}
	return &r, nil
}

// errNoReference is FindReference's answer when out holds no full run.
var errNoReference = errors.New("no full run's results.json")

// FindReference returns the results.json of the newest full run under out, in its
// timestamped directories or latest/, by the date recorded in it. Quick runs and runs of
// some workloads only (-filter) are not references: a quick run read against one of the
// latter would probe every case the filter left out.
func FindReference(out string) (string, error) {
	paths, err := filepath.Glob(filepath.Join(out, "*", "results.json"))
	if err != nil {
		return "", err
	}
	var best string
	var bestDate time.Time
	for _, p := range paths {
		r, err := LoadResults(p)
		if err != nil || r.Settings.Quick || r.Settings.Filter != "" {
			continue
		}
		date, err := time.Parse(time.RFC3339, r.Environment.Date)
		if err != nil {
			continue
		}
		// latest/ is a copy of a dated directory: on a tie keep the dated one, which is
		// the run's own name for itself.
		if best == "" || date.After(bestDate) || date.Equal(bestDate) && filepath.Base(filepath.Dir(best)) == "latest" {
			best, bestDate = p, date
		}
	}
	if best == "" {
		return "", fmt.Errorf("%w under %s", errNoReference, out)
	}
	return best, nil
}

// CompareWith sets r.Reference from ref, read from path: every case both have, with a
// ratio on both sides, in r's order.
func (r *Results) CompareWith(ref *Results, path string) {
	refCases := make(map[string]*CaseResult, len(ref.Cases))
	for i := range ref.Cases {
		refCases[ref.Cases[i].Name] = &ref.Cases[i]
	}
	rf := &Reference{
		Path:    path,
		Date:    ref.Environment.Date,
		Quick:   ref.Settings.Quick,
		Repeats: ref.Settings.Repeats,
		Commit:  ref.Environment.GitCommit,
	}
	for _, c := range r.Cases {
		other, ok := refCases[c.Name]
		if !ok || c.Ratio == nil || other.Ratio == nil {
			continue
		}
		a := agreement(c.Name, *c.Ratio, *other.Ratio)
		rf.Compared++
		switch {
		case a.Agrees:
			rf.Agree++
		case a.Outside <= NearMargin:
			rf.Near++
		}
		rf.Cases = append(rf.Cases, a)
	}
	r.Reference = rf
}
