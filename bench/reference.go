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
// latest full one, whose spread says how far a ratio moves from round to round. A quick
// ratio within that spread agrees with the full run; one outside it is either noise
// larger than the full run saw or a real change since.
type Reference struct {
	Path    string `json:"path"`
	Date    string `json:"date"`
	Quick   bool   `json:"quick"`
	Repeats int    `json:"repeats"`
	Commit  string `json:"commit,omitempty"`
	// Compared counts the cases both runs measured with a ratio; Within those whose
	// median ratio here lies within the reference's [min, max]; Near those outside it by
	// at most NearMargin.
	Compared int         `json:"compared"`
	Within   int         `json:"within"`
	Near     int         `json:"near"`
	Cases    []Agreement `json:"cases"`
}

// NearMargin is how far outside the reference's [min, max] a ratio may lie and still be
// counted as near it: about the spread of single short runs on a shared 2-core machine,
// so that a quick run flags what moved by more than its own noise.
const NearMargin = 0.10

// Agreement is one case measured by both runs.
type Agreement struct {
	Name string `json:"name"`
	// Ratio is this run's paired Redoubt/Redis ratio, Reference the other run's.
	Ratio     Stat `json:"ratio"`
	Reference Stat `json:"reference"`
	// Within: Ratio.Median lies within [Reference.Min, Reference.Max].
	Within bool `json:"within"`
	// Outside is how far Ratio.Median lies outside [Reference.Min, Reference.Max],
	// relative to the nearer end (0 when within): 0.1 is 10% above the max or below the
	// min.
	Outside float64 `json:"outside"`
	// Change is Ratio.Median / Reference.Median - 1.
	Change float64 `json:"change"`
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
		a := Agreement{
			Name:      c.Name,
			Ratio:     *c.Ratio,
			Reference: *other.Ratio,
			Within:    c.Ratio.Median >= other.Ratio.Min && c.Ratio.Median <= other.Ratio.Max,
		}
		switch m := c.Ratio.Median; {
		case m > other.Ratio.Max && other.Ratio.Max > 0:
			a.Outside = m/other.Ratio.Max - 1
		case m < other.Ratio.Min && m > 0:
			a.Outside = other.Ratio.Min/m - 1
		}
		if other.Ratio.Median > 0 {
			a.Change = c.Ratio.Median/other.Ratio.Median - 1
		}
		rf.Compared++
		switch {
		case a.Within:
			rf.Within++
		case a.Outside <= NearMargin:
			rf.Near++
		}
		rf.Cases = append(rf.Cases, a)
	}
	r.Reference = rf
}
