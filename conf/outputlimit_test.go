package conf

import (
	"testing"
)

func TestOutputLimitsParse(t *testing.T) {
	def := Default().ClientOutputBufferLimit
	for _, tc := range []struct {
		in      string
		want    func(o *OutputLimits)
		wantErr *problem
	}{
		{"", func(*OutputLimits) {}, nil},
		{"normal 1 2 3", func(o *OutputLimits) { o.Normal = OutputLimit{1, 2, 3} }, nil},
		{"replica 1mb 512kb 10", func(o *OutputLimits) { o.Replica = OutputLimit{MB, 512 * KB, 10} }, nil},
		{"SLAVE 1k 1 0", func(o *OutputLimits) { o.Replica = OutputLimit{1000, 1, 0} }, nil},
		{"pubsub 0 0 0 normal 1gb 0 0", func(o *OutputLimits) {
			o.Pubsub = OutputLimit{}
			o.Normal = OutputLimit{GB, 0, 0}
		}, nil},
		{"normal 1 2 3 normal 4 5 6", func(o *OutputLimits) { o.Normal = OutputLimit{4, 5, 6} }, nil},
		{"normal +1 2 3", nil, errLimitValue},
		{"normal 1 2", nil, errLimitArgs},
		{"normal 1 2 3 pubsub", nil, errLimitArgs},
		{"master 1 2 3", nil, errLimitClass},
		{"replicas 1 2 3", nil, errLimitClass},
		{"normal 1 2 x", nil, errLimitValue},
		{"normal 1 2 -1", nil, errLimitValue},
		{"normal 1 2 4294967296", nil, errLimitValue},
		{"normal -1 2 3", nil, errLimitValue},
		{"normal 1 9223372036854775808 3", nil, errLimitValue},
		{"normal 1 1 1 pubsub 1 1 x", nil, errLimitValue}, // nothing applied
	} {
		got := def
		err := got.parse(splitSpaces(tc.in))
		if err != tc.wantErr {
			t.Errorf("parse(%q) error = %v, want %v", tc.in, err, tc.wantErr)
			continue
		}
		want := def
		if tc.want != nil {
			tc.want(&want)
		}
		if got != want {
			t.Errorf("parse(%q) = %+v, want %+v", tc.in, got, want)
		}
	}
}

func TestOutputLimitsPrint(t *testing.T) {
	o := Default().ClientOutputBufferLimit
	if got, want := o.String(), "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	text, _ := o.MarshalText()
	if got, want := string(text), "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60"; got != want {
		t.Errorf("MarshalText() = %q, want %q", got, want)
	}
	var back OutputLimits
	if err := back.UnmarshalText(text); err != nil || back != o {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if err := back.UnmarshalText([]byte("nope 1 1 1")); err == nil {
		t.Error("UnmarshalText accepted a bad class")
	}
}

func TestOutputLimitByClass(t *testing.T) {
	c := Default()
	for class, want := range map[string]OutputLimit{
		"normal":  {},
		"replica": {256 * MB, 64 * MB, 60},
		"slave":   {256 * MB, 64 * MB, 60},
		"PubSub":  {32 * MB, 8 * MB, 60},
		"master":  {},
		"":        {},
	} {
		if got := c.OutputLimit(class); got != want {
			t.Errorf("OutputLimit(%q) = %+v, want %+v", class, got, want)
		}
	}
}
