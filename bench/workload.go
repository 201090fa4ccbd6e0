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
	// RandomValues preloads incompressible values instead of 'x' repeated (PreloadValue):
	// for a data set that must take its full size on disk.
	RandomValues bool
	// Topology starts the servers of each system (nil: Single).
	Topology Topology
	// Group, when set, gives the row servers of its own, shared only with rows of the
	// same Group (and fsync mode and data), and goes into the case names. Rows meant to
	// be read against each other, such as one load under each appendfsync mode, need the
	// same history on their servers, which the main group's long sequence of rows would
	// not give.
	Group string
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
	Group      string     // "": the topology's common servers
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
	// RandomValues: the preloaded values are random (PreloadValue), not 'x' repeated.
	RandomValues bool `json:"random_values,omitempty"`
}

// Target is where a LoadGenerator sends its requests.
type Target struct {
	Host string
	Port int
	// Replicas are the replicas of a replicated deployment (Replicated), all following
	// this server; empty for standalone topologies. Loads and backgrounds that need them
	// (FullSync, ReplicationLag) refuse a Target without.
	Replicas []Target
}

func (t Target) String() string { return fmt.Sprintf("%s:%d", t.Host, t.Port) }

// Tools holds the paths of external load generators (Driver needs none).
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

// fixedWorker is implemented by a LoadGenerator whose run does the same work whatever
// Params.Requests says, such as FullSync, which transfers the preloaded data set once.
// Calibrating one by growing the request count would only repeat it, so the runner probes
// it once (the probe is its warm-up and gives its rate), sets its N to what that run did,
// never scales it from a reference run, and reports no request latencies for it: such a
// load times one operation, not requests.
type fixedWorker interface {
	FixedWork() bool
}

// fixedWork reports whether l does fixed work per run (fixedWorker).
func fixedWork(l LoadGenerator) bool {
	f, ok := l.(fixedWorker)
	return ok && f.FixedWork()
}

// fullSyncKeyspace is the data set of the FULLSYNC row: enough keys that a sync's time is
// the transfer and load of the data (0.4-0.6 s here), not the handshake and the
// replica's set-up (a sync of 20,000 keys between two redis-servers takes 20-30 ms). Not
// the million first aimed at: with a million, `make bench-quick` took 2 min 8 s here,
// over its 2-minute budget, since the row's group alone took 19 s of it, most of it
// preloading (Redoubt 8 s, Redis 4 s, each waiting for its replica to apply the keys),
// which half as many keys halve.
const fullSyncKeyspace = 500_000

// DefaultWorkloads is the table measured by `make bench`. Rows are grouped, when run, by
// the servers and data they need (topology, fsync mode, preloaded keyspace): one pair of
// fresh servers per group, and the order here is the order within and of the groups.
//
// The collection rows use redis-benchmark's fixed keys: myhash, myset, myzset, and mylist,
// which LPUSH and LRANGE_100 grow and LPOP drains (FillList tops it up so that every LPOP
// pops an element). LRANGE_100 needs no Setup: redis-benchmark times its own LPUSHes of
// -n elements into mylist first, which Row leaves out of the figures. ZRANGE reads a
// sorted set of its own, which ZADD's random members do not change between runs.
// PUBLISH_10SUBS publishes to a channel that 10 connections of the harness subscribe to
// for the whole of every run, so every PUBLISH is delivered 10 times. MIXED (GET and SET
// of the preloaded keys), LPUSH+RPOP (queues of their own keys) and HSET+DEL (hashes of
// their own keys) are mixes redis-benchmark cannot send, so the harness's Driver sends
// them; they come last in their group, so the keys they add reach no other row. The 16 KB rows have a
// data set of their own (5,000 keys of 16 KB: 80 MB, where 100,000 would be 1.6 GB), as
// does the smallcache row (250,000 random 256-byte values, about 65 MB, against a 4 MB
// block cache and a 1 MB row cache). The durability rows come last: SET and MIXED under
// appendfsync always, everysec and no, each mode on fresh servers that run only these
// rows, so that the three modes compare with the same history. The replication rows
// come last, each on servers of its own (their topology makes them groups of their own):
// SET against a primary with two replicas, with the replicas' lag measured during every
// run (ReplicationLag), and FULLSYNC, the time a replica takes to copy 500,000 keys from
// the primary (FullSync).
func DefaultWorkloads() []Spec {
	everysec := []string{"everysec"}
	allFsync := []string{"always", "everysec", "no"}
	headline := []int{1, 16}
	const zrangeKey = "zrange:1000"
	const channel = "bench:pubsub"
	message := strings.Repeat("x", DefaultDataSize)
	mixed := Driver{Mix: []Op{
		{Weight: 80, Args: []string{"GET", "key:" + randPlaceholder}},
		{Weight: 20, Args: []string{"SET", "key:" + randPlaceholder, dataPlaceholder}},
	}}
	// Two mixes of writes that come and go, which a store on an LSM pays for more than
	// one in memory: per-key queues (most of them one or two elements long) pushed and
	// popped, and small hashes created and deleted.
	queue := Driver{Mix: []Op{
		{Weight: 50, Args: []string{"LPUSH", "queue:" + randPlaceholder, dataPlaceholder}},
		{Weight: 50, Args: []string{"RPOP", "queue:" + randPlaceholder}},
	}}
	churn := Driver{Mix: []Op{
		{Weight: 50, Args: []string{"HSET", "hash:" + randPlaceholder, "field", dataPlaceholder}},
		{Weight: 50, Args: []string{"DEL", "hash:" + randPlaceholder}},
	}}
	const largeValue, largeKeyspace = 16 << 10, 5000
	return []Spec{
		{Label: "SET", Load: RedisBenchmark{Test: "set"}, Pipelines: headline, Fsync: everysec},
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
		{Label: "MIXED", Load: mixed, Pipelines: headline, Fsync: everysec},
		{Label: "LPUSH+RPOP", Load: queue, Pipelines: headline, Fsync: everysec},
		{Label: "HSET+DEL", Load: churn, Pipelines: headline, Fsync: everysec},
		{Label: "SET 16KB", Load: RedisBenchmark{Test: "set"}, Keyspace: largeKeyspace, DataSize: largeValue, Pipelines: headline, Fsync: everysec},
		{Label: "GET 16KB", Load: RedisBenchmark{Test: "get"}, Keyspace: largeKeyspace, DataSize: largeValue, Pipelines: headline, Fsync: everysec},
		{
			Label: "GET", Load: RedisBenchmark{Test: "get"},
			Topology: SmallCache{BlockCache: "4mb", RowCache: "1mb", MemTable: "1mb"},
			Keyspace: 250000, DataSize: 256, RandomValues: true,
			Pipelines: headline, Fsync: everysec,
		},
		{Label: "SET", Load: RedisBenchmark{Test: "set"}, Group: "durability", Pipelines: headline, Fsync: allFsync},
		{Label: "MIXED", Load: mixed, Group: "durability", Pipelines: headline, Fsync: allFsync},
		{
			Label: "SET", Load: RedisBenchmark{Test: "set"},
			Topology:   Replicated{Replicas: 2},
			Background: ReplicationLag{Channel: "bench:lag"},
			Pipelines:  headline, Fsync: everysec,
		},
		{
			Label: "FULLSYNC", Load: FullSync{},
			Topology: Replicated{Replicas: 1},
			Keyspace: fullSyncKeyspace,
			// One line: -P means nothing to a full sync.
			Pipelines: []int{1}, Fsync: everysec,
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
		for _, part := range []any{s.Load, s.Setup, s.Background, s.Topology} {
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
					Group:      s.Group,
					Setup:      s.Setup,
					Background: s.Background,
					Params: Params{
						Clients:      orDefault(s.Clients, DefaultClients),
						Pipeline:     p,
						Keyspace:     orDefault(s.Keyspace, DefaultKeyspace),
						DataSize:     orDefault(s.DataSize, DefaultDataSize),
						RandomValues: s.RandomValues,
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

// caseName spells the label in lower case with every run of characters other than
// letters, digits and '_' as one '-' ("MIXED 80/20" is "mixed-80-20"), so that names are
// easy to match with -filter and to use in file names.
func caseName(c Case) string {
	name := strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(c.Label), "-"), "-")
	if t := c.Topology.Name(); t != (Single{}).Name() {
		name += "-" + t
	}
	if c.Group != "" {
		name += "-" + c.Group
	}
	return fmt.Sprintf("%s-p%d-%s", name, c.Params.Pipeline, c.Fsync)
}

var nameUnsafe = regexp.MustCompile(`[^a-z0-9_]+`)

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// group is the set of cases that share one deployment per system: the same topology,
// fsync mode and preloaded data.
type group struct {
	topology Topology
	name     string // Spec.Group
	fsync    string
	data     Params // Keyspace, DataSize and RandomValues: what is preloaded
	cases    []Case
}

// key names the group; cases with equal keys share servers and data.
func (g group) key() string {
	return fmt.Sprintf("%s/%s/%s/%d/%d/%t", g.topology.Name(), g.name, g.fsync, g.data.Keyspace, g.data.DataSize, g.data.RandomValues)
}

// caseGroup is the group c belongs to, without its cases.
func caseGroup(c Case) group {
	return group{
		topology: c.Topology,
		name:     c.Group,
		fsync:    c.Fsync,
		data:     Params{Keyspace: c.Params.Keyspace, DataSize: c.Params.DataSize, RandomValues: c.Params.RandomValues},
	}
}

// groupCases keeps the first-seen order of groups and, within a group, of cases, so the
// report lists rows in table order within each group. Rows whose preloaded data differ
// get servers of their own: the 16 KB rows would otherwise overwrite the keys the 3-byte
// rows read.
func groupCases(cases []Case) []group {
	var groups []group
	index := make(map[string]int)
	for _, c := range cases {
		g := caseGroup(c)
		i, ok := index[g.key()]
		if !ok {
			i = len(groups)
			index[g.key()] = i
			groups = append(groups, g)
		}
		groups[i].cases = append(groups[i].cases, c)
	}
	return groups
}
