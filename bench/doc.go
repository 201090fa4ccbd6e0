// Package bench compares Redoubt with Redis 7.0 on the same machine, under the same
// durability settings, with the same load generator, and reports the two side by side.
//
// # Shape
//
// The workloads are data: [DefaultWorkloads] returns a table of [Spec] rows (a label, a
// [LoadGenerator] with its arguments, client count, pipeline depths, appendfsync modes, a
// [Topology], the keyspace to preload, a [Setup] when the load needs data of its own, and a
// [Background] when something must be attached to the server while it runs). [Expand]
// crosses each row with its pipelines and fsync modes into [Case]s with unique names such
// as "set-p16-everysec", which -filter matches. Adding a row is adding one Spec: a new test
// of redis-benchmark, or a command line of its own, is one line, with
// [RedisBenchmark.Row] naming the section of its report to use when a test prints more
// than one; a mix of commands redis-benchmark cannot send is a [Driver] (the harness's own
// pipelined RESP client, which keeps every latency); data the load reads or consumes (a
// list to pop, a sorted set to range over) is a Setup, which runs before every run,
// outside the timed part; clients that must be connected for the whole run (the
// subscribers every PUBLISH reaches, [Subscribers]; the replication lag probes,
// [ReplicationLag]) are a Background, started just before every run and stopped, with a
// check of what they saw and the figures it measured, just after it; a server started
// differently ([SmallCache]: Redoubt with caches far below its data set), or a set-up of
// several processes ([Replicated]: a primary and its replicas; a sentinel-managed one would
// be another), is a Topology that starts the processes and says where the load goes
// ([Target], with the replicas' addresses).
//
// What a run measures besides requests per second and their latencies goes into
// [Sample.Figures] by name: a replica's lag (from [ReplicationLag]'s stop) or a full
// sync's time ([FullSync], a LoadGenerator). A load like FullSync does the same work in
// every run whatever its request count says; it implements FixedWork, and the runner then
// probes it once (the probe is its warm-up), never scales its count from a reference run,
// and reports no latencies for it.
//
// [Compare] groups the cases by what their servers need (topology, fsync mode, the
// preloaded keyspace, since 16 KB values must not overwrite the keys the 3-byte rows read,
// and [Spec.Group], which gives rows meant to be compared with each other servers of
// their own),
// starts one deployment per [System] for each group (fresh temporary data directory, free
// 127.0.0.1 port), preloads the keyspace, probes every case on every system and picks one
// request count per case that makes measured runs last about [Options.Duration] (or takes
// it, scaled, from [Options.SizeFrom], as quick runs do, then again from their warm-up
// runs' rates), then measures in rounds: every
// round runs each case once on each system, one system after the other, so that drift of
// the machine falls on both alike; round by round over the group, or with warm-ups every
// round of a case right after its warm-up (runOrder). Before every run it runs the case's Setup, if any,
// then waits until the servers are idle and calls sync(2), so one system's background work
// is not charged to the other. It returns [Results]: every sample (throughput, p50, p99,
// p99.9, the latency distribution, the figures), its median/min/max, and the paired
// Redoubt/Redis throughput ratio of each round. [Results.CompareWith] reads the ratios against another
// run's (a quick run against the last full one): they agree where their [min-max] overlap. [Results.WriteDir] writes
// results.json, report.md and the PNG charts of [Results.DrawCharts] (drawn with
// gonum.org/v1/plot); [Results.WriteText] prints the table for a terminal.
//
// # Processes and concurrency
//
// Everything runs on the caller's goroutine, one process under load at a time, except a
// Background's own goroutines (Subscribers' readers, ReplicationLag's prober and readers)
// and a Driver's connections, which live exactly as long as one run and are waited for
// before the next step. Servers
// and load generators are started with os/exec and stopped by their own pid (SIGTERM,
// then SIGKILL after a grace period); nothing else on the machine is touched. A run of
// the load generator has a deadline because redis-benchmark spins forever on a server
// that went away.
//
// The command is bench/cmd/redoubt-bench; docs/benchmarks.md tells how to run and read it.
package bench
