package acl

import (
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"   ", []string{}},
		{"on >secret ~app:* +@read", []string{"on", ">secret", "~app:*", "+@read"}},
		{"  a\t\tb \n c\r\n", []string{"a", "b", "c"}},
		{`"a b" 'c d'`, []string{"a b", "c d"}},
		{`"\x41\x4a\x4A\x4g"`, []string{"AJJx4g"}},
		{`"\n\r\t\b\a\z\"\\"`, []string{"\n\r\t\b\a" + `z"\`}},
		{`'it\'s' 'a\nb'`, []string{"it's", `a\nb`}},
		{`a"b c"d`, nil},
		{`a"b c"`, []string{"ab c"}},
		{`""`, []string{""}},
		{`"unterminated`, nil},
		{`'unterminated`, nil},
		{`"a"b`, nil},
		{`'a'b`, nil},
		{"a\vb", []string{"a\vb"}},
		{"\va", []string{"a"}},
		{"a\x00 b", []string{"a"}},
		{`"(+get ~a)" x`, []string{"(+get ~a)", "x"}},
	} {
		got, err := SplitArgs(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("SplitArgs(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestMergeSelectors(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
		bad  int
	}{
		{[]string{"on", "(+get", "~a)", "off"}, []string{"on", "(+get ~a)", "off"}, -1},
		{[]string{"(+get)", "()", "(", ")"}, []string{"(+get)", "()", "( )"}, -1},
		{[]string{"(+get", "(~a", "x)"}, []string{"(~a x)"}, -1},
		{[]string{"(+get", "a\x00b", "c)"}, []string{"(+get a c)"}, -1},
		{[]string{"on", "(+get", "~a"}, nil, 1},
		{[]string{"", "x"}, []string{"", "x"}, -1},
	} {
		got, bad := mergeSelectors(tc.in)
		if bad != tc.bad || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("mergeSelectors(%q) = %q, %d", tc.in, got, bad)
		}
	}
}
