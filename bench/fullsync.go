package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// FullSyncTool is the Tool name of FullSync in reports and results.json.
const FullSyncTool = "harness (REPLICAOF)"

// FullSync times a full sync of the primary's data set to a replica: what a new replica,
// or one that was away too long for the backlog, costs before it serves. On the first of
// Target.Replicas it runs, untimed, REPLICAOF NO ONE and FLUSHALL (so the sync starts
// from an empty replica, as a new one does, and the time to empty it is not the sync's),
// then times REPLICAOF <primary> from the command until the replica's link is up, its
// sync done and its offset caught up with the primary's (polled every replicationPoll),
// which is when it serves the data.
//
// Promoted by NO ONE, the replica takes a new replication id, which the primary does not
// know, so its REPLICAOF must be a full sync: Run checks that it was (the primary's
// sync_full grew by exactly one; a partial sync would time the wrong thing) and that the
// replica then holds as many keys as the primary (DBSIZE), and fails otherwise.
//
// It does fixed work (fixedWorker): every run transfers the same data set, whatever
// Params.Requests says. Its Sample counts the keys transferred as its Requests, its
// ElapsedSec is the sync's time and its RPS keys per second, so that the throughput table
// and the ratio read as for the other rows (higher is better); FigureFullSyncSec has the
// time again for the Replication table. It measures no request latencies.
type FullSync struct{}

// Tool implements LoadGenerator.
func (FullSync) Tool() string { return FullSyncTool }

// FixedWork implements fixedWorker.
func (FullSync) FixedWork() bool { return true }

// CommandLine implements LoadGenerator.
func (FullSync) CommandLine(Params) string {
	return "on the replica, untimed: REPLICAOF NO ONE, FLUSHALL; then timed: REPLICAOF 127.0.0.1 PRIMARY_PORT until its INFO replication says " +
		"master_link_status:up, master_sync_in_progress:0 and slave_repl_offset at the primary's master_repl_offset " +
		"(polled every " + strconv.FormatInt(replicationPoll.Milliseconds(), 10) + " ms); then checked: the primary's sync_full grew by 1, both have the same DBSIZE"
}

// fullSyncTimeout bounds one run's commands, the sync included: a million keys take
// seconds.
const fullSyncTimeout = 5 * time.Minute

// Run implements LoadGenerator.
func (FullSync) Run(ctx context.Context, _ Tools, target Target, _ Params) (Sample, error) {
	if len(target.Replicas) == 0 {
		return Sample{}, errors.New("FullSync needs a replica: a row with a Replicated topology")
	}
	primaryTarget := Target{Host: target.Host, Port: target.Port}
	primary, err := openConn(ctx, primaryTarget, fullSyncTimeout)
	if err != nil {
		return Sample{}, fmt.Errorf("primary: %w", err)
	}
	defer primary.close()
	replica, err := openConn(ctx, target.Replicas[0], fullSyncTimeout)
	if err != nil {
		return Sample{}, fmt.Errorf("replica: %w", err)
	}
	defer replica.close()

	if err := replica.ok("REPLICAOF", "NO", "ONE"); err != nil {
		return Sample{}, fmt.Errorf("replica: %w", err)
	}
	if err := replica.ok("FLUSHALL"); err != nil {
		return Sample{}, fmt.Errorf("replica: %w", err)
	}
	before, err := syncFull(primary)
	if err != nil {
		return Sample{}, fmt.Errorf("primary: %w", err)
	}

	start := time.Now()
	if err := replica.ok("REPLICAOF", target.Host, strconv.Itoa(target.Port)); err != nil {
		return Sample{}, fmt.Errorf("replica: %w", err)
	}
	if err := waitCaughtUp(ctx, primary, replica, start.Add(fullSyncTimeout)); err != nil {
		return Sample{}, fmt.Errorf("replica: %w", err)
	}
	elapsed := time.Since(start)

	after, err := syncFull(primary)
	if err != nil {
		return Sample{}, fmt.Errorf("primary: %w", err)
	}
	keys, err := primary.integer("DBSIZE")
	if err != nil {
		return Sample{}, fmt.Errorf("primary: %w", err)
	}
	replicaKeys, err := replica.integer("DBSIZE")
	if err != nil {
		return Sample{}, fmt.Errorf("replica: %w", err)
	}
	return fullSyncSample(elapsed, before, after, keys, replicaKeys)
}

// fullSyncSample checks what a run saw (the primary's sync_full before and after, the
// primary's and the replica's DBSIZE after) and makes its Sample.
func fullSyncSample(elapsed time.Duration, before, after, keys, replicaKeys int64) (Sample, error) {
	var errs []error
	if after != before+1 {
		errs = append(errs, fmt.Errorf("the primary's sync_full went from %d to %d, want %d: the REPLICAOF was not one full sync", before, after, before+1))
	}
	if replicaKeys != keys {
		errs = append(errs, fmt.Errorf("the replica has %d keys after the sync, the primary %d", replicaKeys, keys))
	}
	if keys == 0 {
		errs = append(errs, errors.New("the primary has no keys: a full sync of nothing measures nothing"))
	}
	if err := errors.Join(errs...); err != nil {
		return Sample{}, err
	}
	return Sample{
		Requests:   int(keys),
		ElapsedSec: elapsed.Seconds(),
		RPS:        float64(keys) / elapsed.Seconds(),
		Figures:    Figures{FigureFullSyncSec: elapsed.Seconds()},
	}, nil
}

// syncFull is the primary's count of full syncs served (INFO stats sync_full).
func syncFull(c *respConn) (int64, error) {
	fields, err := info(c, "stats")
	if err != nil {
		return 0, err
	}
	return infoInt(fields, "sync_full")
}
