// Package bench compares Redoubt with Redis 7.0 on the same machine, under the same
// durability settings, with the same load generator, and reports the two side by side.
//
// # Shape
//
// The workloads are data: [DefaultWorkloads] returns a table of [Spec] rows (a label, a
// [LoadGenerator] with its arguments, client count, pipeline depths, appendfsync modes, a
// [Topology], a [Setup] when the load needs data of its own, and a [Background] when
// something must be attached to the server while it runs). [Expand] crosses each
// row with its pipelines and fsync modes into [Case]s with unique names such as
// "set-p16-everysec", which -filter matches. Adding a row is adding one Spec: a new test
// of redis-benchmark, or a command line of its own, is one line, with
// [RedisBenchmark.Row] naming the CSV line to report when a test prints more than one;
// data the load reads or consumes (a list to pop, a sorted set to range over) is a Setup,
// which runs before every run, outside the timed part; clients that must be connected for
// the whole run (the subscribers every PUBLISH reaches, [Subscribers]) are a Background,
// started just before every run and stopped, with a check of what they saw, just after it;
// a new kind of load (a Go driver for p99.9) is a new LoadGenerator; a replicated or
// sentinel-managed set-up is a new Topology that starts more processes and says where the
// load goes.
//
// [Compare] groups the cases by topology and fsync mode, starts one deployment per [System]
// for each group (fresh temporary data directory, free 127.0.0.1 port), preloads the
// keyspace, probes every case on every system and picks one request count per case that
// makes measured runs last about [Options.Duration], then measures in rounds: every round
// runs each case once on each system, one system after the other, so that drift of the
// machine falls on both alike. Before every run it runs the case's Setup, if any, then
// waits until the servers are idle and calls sync(2), so one system's background work is
// not charged to the other. It returns [Results]: every sample, its median/min/max, and the paired
// Redoubt/Redis throughput ratio of each round. [Results.WriteDir] writes results.json and
// report.md; [Results.WriteText] prints the table for a terminal.
//
// # Processes and concurrency
//
// Everything runs on the caller's goroutine, one process under load at a time, except a
// Background's own goroutines (Subscribers' readers), which live exactly as long as one
// run and are waited for before the next step. Servers
// and load generators are started with os/exec and stopped by their own pid (SIGTERM,
// then SIGKILL after a grace period); nothing else on the machine is touched. A run of
// the load generator has a deadline because redis-benchmark spins forever on a server
// that went away.
//
// The command is bench/cmd/redoubt-bench; docs/benchmarks.md tells how to run and read it.
package bench
