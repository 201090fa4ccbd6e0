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
	// Grouped by servers and data (topology, fsync mode, preloaded keyspace) in the order
	// the groups first appear, so one server pair per group serves its cases one after
	// the other.
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
		"mixed-p1-everysec", "mixed-p16-everysec",
		"lpush-rpop-p1-everysec", "lpush-rpop-p16-everysec",
		"hset-del-p1-everysec", "hset-del-p16-everysec",
		"set-16kb-p1-everysec", "set-16kb-p16-everysec",
		"get-16kb-p1-everysec", "get-16kb-p16-everysec",
		"get-smallcache-p1-everysec", "get-smallcache-p16-everysec",
		"set-durability-p1-always", "set-durability-p16-always",
		"mixed-durability-p1-always", "mixed-durability-p16-always",
		"set-durability-p1-everysec", "set-durability-p16-everysec",
		"mixed-durability-p1-everysec", "mixed-durability-p16-everysec",
		"set-durability-p1-no", "set-durability-p16-no",
		"mixed-durability-p1-no", "mixed-durability-p16-no",
		"set-replicas2-p1-everysec", "set-replicas2-p16-everysec",
		"fullsync-replicas1-p1-everysec",
	}
	if got := names(cases); !reflect.DeepEqual(got, want) {
		t.Fatalf("cases = %v\nwant %v", got, want)
	}
	for _, c := range cases {
		data := Params{Keyspace: 100000, DataSize: 3}
		switch {
		case strings.Contains(c.Name, "-16kb-"):
			data = Params{Keyspace: 5000, DataSize: 16384}
		case c.Topology.Name() == "smallcache":
			data = Params{Keyspace: 250000, DataSize: 256, RandomValues: true}
		case strings.HasPrefix(c.Name, "fullsync-"):
			data = Params{Keyspace: fullSyncKeyspace, DataSize: 3}
		}
		if c.Params.Clients != 50 || c.Params.Keyspace != data.Keyspace || c.Params.DataSize != data.DataSize ||
			c.Params.RandomValues != data.RandomValues || c.Params.Requests != 0 {
			t.Errorf("%s: params %+v, want 50 clients, data %+v, requests calibrated later", c.Name, c.Params, data)
		}
		if c.Params.Pipeline != 1 && c.Params.Pipeline != 16 {
			t.Errorf("%s: pipeline %d in a headline row", c.Name, c.Params.Pipeline)
		}
		wantTool := "redis-benchmark"
		switch {
		case strings.HasPrefix(c.Name, "mixed-"), strings.HasPrefix(c.Name, "lpush-rpop-"), strings.HasPrefix(c.Name, "hset-del-"):
			wantTool = DriverTool
		case strings.HasPrefix(c.Name, "fullsync-"):
			wantTool = FullSyncTool
		}
		if c.Load.Tool() != wantTool {
			t.Errorf("%s: load generator %s, want %s", c.Name, c.Load.Tool(), wantTool)
		}
	}
	// Eight sets of servers: the main everysec set, 16 KB values, the small-cache data
	// set, the durability rows under always, everysec and no, a primary with two replicas
	// and one with one replica and 500,000 keys.
	var keys []string
	for _, g := range groupCases(cases) {
		keys = append(keys, g.key())
	}
	if want := []string{
		"//everysec/100000/3/false", "//everysec/5000/16384/false", "smallcache//everysec/250000/256/true",
		"/durability/always/100000/3/false", "/durability/everysec/100000/3/false", "/durability/no/100000/3/false",
		"replicas2//everysec/100000/3/false", "replicas1//everysec/500000/3/false",
	}; !reflect.DeepEqual(keys, want) {
		t.Errorf("groups %q, want %q", keys, want)
	}
}

func TestCaseNames(t *testing.T) {
	for label, want := range map[string]string{
		"SET":         "set-p1-always",
		"LRANGE_100":  "lrange_100-p1-always",
		"SET 16KB":    "set-16kb-p1-always",
		"MIXED 80/20": "mixed-80-20-p1-always",
		" GET+SET ":   "get-set-p1-always",
	} {
		c := Case{Label: label, Fsync: "always", Topology: Single{}, Params: Params{Pipeline: 1}}
		if got := caseName(c); got != want {
			t.Errorf("caseName(%q) = %q, want %q", label, got, want)
		}
	}
	c := Case{Label: "GET", Fsync: "no", Topology: SmallCache{}, Group: "cold", Params: Params{Pipeline: 16}}
	if got, want := caseName(c), "get-smallcache-cold-p16-no"; got != want {
		t.Errorf("caseName with topology and group = %q, want %q", got, want)
	}
}

// TestExpandCollectionRows checks what each collection row measures and prepares: the
// section of the report it uses, and the data it needs before every run.
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
			t.Errorf("%s: reports the section %q, want %q", c.Name, rb.row(), w.row)
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
	if got, want := names(cases), []string{"set-durability-p1-always", "set-durability-p16-always"}; !reflect.DeepEqual(got, want) {
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
		{"no replicas", []Spec{{Label: "SET", Load: set, Topology: Replicated{}, Pipelines: []int{1}, Fsync: []string{"always"}}}, "Replicated needs at least one replica, got 0"},
		{"lag without channel", []Spec{{Label: "SET", Load: set, Topology: Replicated{Replicas: 1}, Background: ReplicationLag{}, Pipelines: []int{1}, Fsync: []string{"always"}}}, "ReplicationLag needs a channel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Expand(tc.specs, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
