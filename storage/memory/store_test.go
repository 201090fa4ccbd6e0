package memory

import (
	"fmt"
	"testing"

	"github.com/redoubtdb/redoubt/storage"
	"github.com/redoubtdb/redoubt/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return New() })
}

func TestSpanSetAdd(t *testing.T) {
	cases := []struct {
		spans [][2]string
		want  string
	}{
		{[][2]string{{"b", "d"}}, "[b,d)"},
		{[][2]string{{"b", "d"}, {"f", "h"}}, "[b,d) [f,h)"},
		{[][2]string{{"f", "h"}, {"b", "d"}}, "[b,d) [f,h)"},
		{[][2]string{{"b", "d"}, {"d", "f"}}, "[b,f)"}, // touching spans merge
		{[][2]string{{"d", "f"}, {"b", "d"}}, "[b,f)"},
		{[][2]string{{"b", "d"}, {"c", "e"}}, "[b,e)"},
		{[][2]string{{"b", "c"}, {"d", "e"}, {"f", "g"}, {"a", "z"}}, "[a,z)"},
		{[][2]string{{"b", "c"}, {"d", "e"}, {"f", "g"}, {"c\x00", "f"}}, "[b,c) [c\x00,g)"},
		{[][2]string{{"a", "z"}, {"c", "d"}}, "[a,z)"},
	}
	for _, tc := range cases {
		var ss spanSet
		for _, sp := range tc.spans {
			prev := ss
			prevStr := fmt.Sprint(spansString(prev))
			ss = ss.add([]byte(sp[0]), []byte(sp[1]))
			if spansString(prev) != prevStr {
				t.Fatalf("add modified the set in place")
			}
		}
		if got := spansString(ss); got != tc.want {
			t.Errorf("%v: got %s; want %s", tc.spans, got, tc.want)
		}
		for _, k := range []string{"", "a", "b", "c", "c\x00", "d", "e", "g", "y", "z"} {
			want := false
			for _, sp := range tc.spans {
				if k >= sp[0] && k < sp[1] {
					want = true
				}
			}
			if got := ss.covers([]byte(k)); got != want {
				t.Errorf("%v: covers(%q) = %v; want %v", tc.spans, k, got, want)
			}
		}
	}
}

func spansString(ss spanSet) string {
	s := ""
	for i, sp := range ss {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("[%s,%s)", sp.start, sp.end)
	}
	return s
}
