package bench

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func names(cases []Case) []string {
	var ns []string
	for _, c := range cases {
		ns = append(ns, c.Name)
	}
	return ns
}

func TestExpandDefaultWorkloads(t *testing.T) {
	cases, err := Expand(DefaultWorkloads(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Grouped by fsync mode in the order the groups first appear, so one server pair per
	// mode serves its cases one after the other.
	want := []string{
		"set-p1-everysec", "set-p16-everysec",
		"get-p1-everysec", "get-p16-everysec",
		"incr-p1-everysec", "incr-p16-everysec",
		"mset-p1-everysec", "mset-p16-everysec",
		"hset-p1-everysec", "hset-p16-everysec",
		"lpush-p1-everysec", "lpush-p16-everysec",
		"lpop-p1-everysec", "lpop-p16-everysec",
		"sadd-p1-everysec", "sadd-p16-everysec",
		"zadd-p1-everysec", "zadd-p16-everysec",
		"lrange_100-p1-everysec", "lrange_100-p16-everysec",
		"zrange_100-p1-everysec", "zrange_100-p16-everysec",
		"publish_10subs-p1-everysec", "publish_10subs-p16-everysec",
		"set-p1-always", "set-p16-always",
	}
	if got := names(cases); !reflect.DeepEqual(got, want) {
		t.Fatalf("cases = %v\nwant %v", got, want)
	}
	for _, c := range cases {
		if c.Params.Clients != 50 || c.Params.Keyspace != 100000 || c.Params.DataSize != 3 || c.Params.Requests != 0 {
			t.Errorf("%s: params %+v, want 50 clients, keyspace 100000, 3 bytes, requests calibrated later", c.Name, c.Params)
		}
		if c.Params.Pipeline != 1 && c.Params.Pipeline != 16 {
			t.Errorf("%s: pipeline %d in a headline row", c.Name, c.Params.Pipeline)
		}
	}
}

// TestExpandCollectionRows checks what each collection row measures and prepares: the
// CSV line it reports, and the data it needs before every run.
func TestExpandCollectionRows(t *testing.T) {
	cases, err := Expand(DefaultWorkloads(), regexp.MustCompile(`^(hset|lpush|lpop|sadd|zadd|lrange_100|zrange_100)-p16-`))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		row   string
		setup Setup
	}
	wants := map[string]want{
		"hset-p16-everysec":       {row: "HSET"},
		"lpush-p16-everysec":      {row: "LPUSH"},
		"lpop-p16-everysec":       {row: "LPOP", setup: FillList{Key: "mylist"}},
		"sadd-p16-everysec":       {row: "SADD"},
		"zadd-p16-everysec":       {row: "ZADD"},
		"lrange_100-p16-everysec": {row: "LRANGE_100"},
		"zrange_100-p16-everysec": {row: "ZRANGE zrange:1000 0 99 WITHSCORES", setup: FillSortedSet{Key: "zrange:1000", Members: 1000}},
	}
	if len(cases) != len(wants) {
		t.Fatalf("cases = %v, want the %d of %v", names(cases), len(wants), wants)
	}
	for _, c := range cases {
		w, ok := wants[c.Name]
		if !ok {
			t.Errorf("unexpected case %s", c.Name)
			continue
		}
		rb, ok := c.Load.(RedisBenchmark)
		if !ok {
			t.Errorf("%s: load %T, want RedisBenchmark", c.Name, c.Load)
			continue
		}
		if rb.row() != w.row {
			t.Errorf("%s: reports the CSV line %q, want %q", c.Name, rb.row(), w.row)
		}
		if c.Setup != w.setup {
			t.Errorf("%s: setup %#v, want %#v", c.Name, c.Setup, w.setup)
		}
		if c.Fsync != "everysec" || c.Params.Clients != 50 || c.Params.Pipeline != 16 {
			t.Errorf("%s: fsync %s, params %+v", c.Name, c.Fsync, c.Params)
		}
	}
}

func TestExpandFilter(t *testing.T) {
	cases, err := Expand(DefaultWorkloads(), regexp.MustCompile(`^set-.*always`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(cases), []string{"set-p1-always", "set-p16-always"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cases = %v, want %v", got, want)
	}
	cases, err = Expand(DefaultWorkloads(), regexp.MustCompile(`nothing`))
	if err != nil || len(cases) != 0 {
		t.Fatalf("got %v, %v; want no cases", names(cases), err)
	}
}

type otherTopology struct{ Single }

func (otherTopology) Name() string { return "replica" }

func TestExpandTopologyInName(t *testing.T) {
	cases, err := Expand([]Spec{
		{Label: "SET", Load: RedisBenchmark{Test: "set"}, Pipelines: []int{1}, Fsync: []string{"everysec"}},
		{Label: "SET", Load: RedisBenchmark{Test: "set"}, Pipelines: []int{1}, Fsync: []string{"everysec"}, Topology: otherTopology{}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(cases), []string{"set-p1-everysec", "set-replica-p1-everysec"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cases = %v, want %v", got, want)
	}
	if groups := groupCases(cases); len(groups) != 2 {
		t.Fatalf("%d groups, want one per topology", len(groups))
	}
}

func TestExpandRejects(t *testing.T) {
	set := RedisBenchmark{Test: "set"}
	for _, tc := range []struct {
		name  string
		specs []Spec
		want  string
	}{
		{"duplicate name", []Spec{
			{Label: "SET", Load: set, Pipelines: []int{1}, Fsync: []string{"always"}},
			{Label: "set", Load: set, Pipelines: []int{1}, Fsync: []string{"always"}},
		}, `two workload rows expand to "set-p1-always"`},
		{"bad fsync", []Spec{{Label: "SET", Load: set, Pipelines: []int{1}, Fsync: []string{"sometimes"}}}, `appendfsync "sometimes"`},
		{"no pipelines", []Spec{{Label: "SET", Load: set, Fsync: []string{"always"}}}, "at least one pipeline"},
		{"zero pipeline", []Spec{{Label: "SET", Load: set, Pipelines: []int{0}, Fsync: []string{"always"}}}, "pipeline 0 < 1"},
		{"no load", []Spec{{Label: "SET", Pipelines: []int{1}, Fsync: []string{"always"}}}, "needs a label and a load generator"},
		{"bad load", []Spec{{Label: "X", Load: RedisBenchmark{}, Pipelines: []int{1}, Fsync: []string{"always"}}}, "workload X: redis-benchmark: needs a Test or a Command"},
		{"bad setup", []Spec{{Label: "LPOP", Load: RedisBenchmark{Test: "lpop"}, Setup: FillList{}, Pipelines: []int{1}, Fsync: []string{"always"}}}, "workload LPOP: FillList needs a key"},
		{"empty sorted set", []Spec{{Label: "Z", Load: set, Setup: FillSortedSet{Key: "z"}, Pipelines: []int{1}, Fsync: []string{"always"}}}, "at least one member"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Expand(tc.specs, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
