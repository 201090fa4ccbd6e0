package bench

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Defaults shared by every row of the table unless a Spec says otherwise.
const (
	DefaultClients  = 50
	DefaultKeyspace = 100000
	DefaultDataSize = 3
)

// Spec is one row of the workload table. It expands into one Case per pipeline depth and
// fsync mode.
type Spec struct {
	// Label names the operation in tables ("SET"); its lower-case form starts case names.
	Label string
	// Load drives the requests of every case of this row.
	Load LoadGenerator
	// Clients is the number of concurrent connections (0: DefaultClients).
	Clients int
	// Pipelines lists the pipeline depths to measure; headline rows stay at 1 and 16.
	Pipelines []int
	// Fsync lists the appendfsync modes ("always", "everysec", "no"), the same for both
	// systems.
	Fsync []string
	// Keyspace is the number of distinct keys (redis-benchmark -r), also the number of
	// keys preloaded before measuring (0: DefaultKeyspace).
	Keyspace int
	// DataSize is the value size in bytes (redis-benchmark -d) (0: DefaultDataSize).
	DataSize int
	// Topology starts the servers of each system (nil: Single).
	Topology Topology
	// Setup prepares, before every run, data the load reads or consumes beyond the
	// preloaded keys (nil: none).
	Setup Setup
	// Background runs alongside every run, such as the subscribers a PUBLISH reaches
	// (nil: none).
	Background Background
}

// Case is one measured line of the report: a Spec at one pipeline depth and fsync mode.
type Case struct {
	Name       string // unique, e.g. "set-p16-everysec"; what -filter matches
	Label      string
	Load       LoadGenerator
	Fsync      string
	Params     Params
	Topology   Topology
	Setup      Setup      // nil: none
	Background Background // nil: none
}

// Params are the load settings handed to a LoadGenerator. Requests is filled in per case
// by calibration.
type Params struct {
	Clients  int `json:"clients"`
	Pipeline int `json:"pipeline"`
	Requests int `json:"requests,omitempty"`
	Keyspace int `json:"keyspace"`
	DataSize int `json:"data_size"`
}

// Target is where a LoadGenerator sends its requests.
type Target struct {
	Host string
	Port int
}

func (t Target) String() string { return fmt.Sprintf("%s:%d", t.Host, t.Port) }

// Tools holds the paths of external load generators.
type Tools struct {
	RedisBenchmark string
}

// LoadGenerator drives one kind of load against a server and measures it.
//
// Run sends p.Requests requests to target and returns what was measured, or an error that
// includes the tool's own message. It must return when ctx is done.
type LoadGenerator interface {
	// Tool names the generator for the report ("redis-benchmark").
	Tool() string
	// CommandLine shows how the generator is invoked, for the report; the address, which
	// changes from run to run, is left out, and a Requests of 0 shows as N.
	CommandLine(p Params) string
	Run(ctx context.Context, tools Tools, target Target, p Params) (Sample, error)
}

// DefaultWorkloads is the table measured by `make bench`. Rows are grouped by fsync mode
// when run, so the order here is the order within a group.
//
// The collection rows use redis-benchmark's fixed keys: myhash, myset, myzset, and mylist,
// which LPUSH and LRANGE_100 grow and LPOP drains (FillList tops it up so that every LPOP
// pops an element). LRANGE_100 needs no Setup: redis-benchmark times its own LPUSHes of
// -n elements into mylist first, which Row leaves out of the figures. ZRANGE reads a
// sorted set of its own, which ZADD's random members do not change between runs.
// PUBLISH_10SUBS publishes to a channel that 10 connections of the harness subscribe to
// for the whole of every run, so every PUBLISH is delivered 10 times.
func DefaultWorkloads() []Spec {
	everysec := []string{"everysec"}
	headline := []int{1, 16}
	const zrangeKey = "zrange:1000"
	const channel = "bench:pubsub"
	message := strings.Repeat("x", DefaultDataSize)
	return []Spec{
		{Label: "SET", Load: RedisBenchmark{Test: "set"}, Pipelines: headline, Fsync: []string{"everysec", "always"}},
		{Label: "GET", Load: RedisBenchmark{Test: "get"}, Pipelines: headline, Fsync: everysec},
		{Label: "INCR", Load: RedisBenchmark{Test: "incr"}, Pipelines: headline, Fsync: everysec},
		{Label: "MSET", Load: RedisBenchmark{Test: "mset"}, Pipelines: headline, Fsync: everysec},
		{Label: "HSET", Load: RedisBenchmark{Test: "hset"}, Pipelines: headline, Fsync: everysec},
		{Label: "LPUSH", Load: RedisBenchmark{Test: "lpush"}, Pipelines: headline, Fsync: everysec},
		{Label: "LPOP", Load: RedisBenchmark{Test: "lpop"}, Setup: FillList{Key: "mylist"}, Pipelines: headline, Fsync: everysec},
		{Label: "SADD", Load: RedisBenchmark{Test: "sadd"}, Pipelines: headline, Fsync: everysec},
		{Label: "ZADD", Load: RedisBenchmark{Test: "zadd"}, Pipelines: headline, Fsync: everysec},
		{Label: "LRANGE_100", Load: RedisBenchmark{Test: "lrange_100", Row: "LRANGE_100"}, Pipelines: headline, Fsync: everysec},
		{
			Label:     "ZRANGE_100",
			Load:      RedisBenchmark{Command: []string{"ZRANGE", zrangeKey, "0", "99", "WITHSCORES"}},
			Setup:     FillSortedSet{Key: zrangeKey, Members: 1000},
			Pipelines: headline, Fsync: everysec,
		},
		{
			Label:      "PUBLISH_10SUBS",
			Load:       RedisBenchmark{Command: []string{"PUBLISH", channel, message}},
			Background: Subscribers{Channel: channel, Message: message, Clients: 10},
			Pipelines:  headline, Fsync: everysec,
		},
	}
}

// validator is implemented by the load generators and setups that can tell a bad row
// before anything starts.
type validator interface{ Validate() error }

// Expand crosses every Spec with its pipeline depths and fsync modes, fills in defaults
// and keeps the cases whose name matches filter (nil keeps all). Cases come in the order
// they run: grouped by topology and fsync mode, groups and cases in table order. Names must be unique:
// two rows that expand to the same name are an error, since -filter and results.json key
// on the name.
func Expand(specs []Spec, filter *regexp.Regexp) ([]Case, error) {
	var cases []Case
	seen := make(map[string]bool)
	for _, s := range specs {
		if s.Label == "" || s.Load == nil {
			return nil, fmt.Errorf("bench: workload row %+v needs a label and a load generator", s)
		}
		if len(s.Pipelines) == 0 || len(s.Fsync) == 0 {
			return nil, fmt.Errorf("bench: workload %s needs at least one pipeline depth and fsync mode", s.Label)
		}
		for _, part := range []any{s.Load, s.Setup, s.Background} {
			if v, ok := part.(validator); ok {
				if err := v.Validate(); err != nil {
					return nil, fmt.Errorf("bench: workload %s: %w", s.Label, err)
				}
			}
		}
		topo := s.Topology
		if topo == nil {
			topo = Single{}
		}
		for _, fsync := range s.Fsync {
			switch fsync {
			case "always", "everysec", "no":
			default:
				return nil, fmt.Errorf("bench: workload %s: appendfsync %q is not always, everysec or no", s.Label, fsync)
			}
			for _, p := range s.Pipelines {
				if p < 1 {
					return nil, fmt.Errorf("bench: workload %s: pipeline %d < 1", s.Label, p)
				}
				c := Case{
					Label:      s.Label,
					Load:       s.Load,
					Fsync:      fsync,
					Topology:   topo,
					Setup:      s.Setup,
					Background: s.Background,
					Params: Params{
						Clients:  orDefault(s.Clients, DefaultClients),
						Pipeline: p,
						Keyspace: orDefault(s.Keyspace, DefaultKeyspace),
						DataSize: orDefault(s.DataSize, DefaultDataSize),
					},
				}
				c.Name = caseName(c)
				if seen[c.Name] {
					return nil, fmt.Errorf("bench: two workload rows expand to %q", c.Name)
				}
				seen[c.Name] = true
				if filter == nil || filter.MatchString(c.Name) {
					cases = append(cases, c)
				}
			}
		}
	}
	var ordered []Case
	for _, g := range groupCases(cases) {
		ordered = append(ordered, g.cases...)
	}
	return ordered, nil
}

func caseName(c Case) string {
	name := strings.ToLower(strings.ReplaceAll(c.Label, " ", "-"))
	if t := c.Topology.Name(); t != (Single{}).Name() {
		name += "-" + t
	}
	return fmt.Sprintf("%s-p%d-%s", name, c.Params.Pipeline, c.Fsync)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// group is the set of cases that share one deployment per system.
type group struct {
	topology Topology
	fsync    string
	cases    []Case
}

// groupCases keeps the first-seen order of groups and, within a group, of cases, so the
// report lists rows in table order within each fsync mode.
func groupCases(cases []Case) []group {
	var groups []group
	index := make(map[string]int)
	for _, c := range cases {
		key := c.Topology.Name() + "/" + c.Fsync
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, group{topology: c.Topology, fsync: c.Fsync})
		}
		groups[i].cases = append(groups[i].cases, c)
	}
	return groups
}
