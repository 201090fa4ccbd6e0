package conf

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSave(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want SavePoints
		ok   bool
	}{
		{nil, SavePoints{}, true},
		{[]string{""}, SavePoints{}, true},
		{[]string{"3600", "1", "300", "100"}, SavePoints{{3600, 1}, {300, 100}}, true},
		{[]string{"+5", "-0"}, SavePoints{{5, 0}}, true},
		{[]string{"3600", ""}, SavePoints{{3600, 0}}, true},
		{[]string{"3600"}, nil, false},
		{[]string{"0", "1"}, nil, false},
		{[]string{"1", "-1"}, nil, false},
		{[]string{"a", "1"}, nil, false},
		{[]string{"1", "2147483648"}, nil, false},
		{[]string{"", "1"}, nil, false},
	} {
		got, prob := parseSave(tc.args)
		if (prob == nil) != tc.ok || (tc.ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("parseSave(%q) = %v, %v", tc.args, got, prob)
		}
	}
}

func TestSavePointsText(t *testing.T) {
	s := Default().Save
	if got, want := s.String(), "3600 1 300 100 60 10000"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var back SavePoints
	if err := back.UnmarshalText([]byte(" 3600 1\t300 100  60 10000 ")); err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("UnmarshalText: %v, %v", back, err)
	}
	if err := back.UnmarshalText([]byte("1")); err == nil || !strings.Contains(err.Error(), "invalid save parameters") {
		t.Errorf("UnmarshalText(1): %v", err)
	}
}

func TestReplicaOf(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ReplicaOf
		err  bool
	}{
		{"", ReplicaOf{}, false},
		{"no one", ReplicaOf{}, false},
		{"NO ONE", ReplicaOf{}, false},
		{"10.0.0.1 6379", ReplicaOf{"10.0.0.1", 6379}, false},
		{"::1 0", ReplicaOf{"::1", 0}, false},
		{"h", ReplicaOf{}, true},
		{"h 1 2", ReplicaOf{}, true},
		{"h 65536", ReplicaOf{}, true},
		{"h -1", ReplicaOf{}, true},
		{"h x", ReplicaOf{}, true},
	} {
		var got ReplicaOf
		err := got.UnmarshalText([]byte(tc.in))
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("UnmarshalText(%q) = %+v, %v", tc.in, got, err)
		}
	}
	r := ReplicaOf{"::1", 6380}
	if r.String() != "::1 6380" || r.Addr() != "[::1]:6380" || !r.IsSet() {
		t.Errorf("%+v: String %q Addr %q", r, r.String(), r.Addr())
	}
	if (ReplicaOf{}).String() != "" || (ReplicaOf{}).Addr() != "" {
		t.Error("unset ReplicaOf prints something")
	}
}
