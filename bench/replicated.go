package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Replicated is one primary and Replicas replicas of the same system, each a fresh server
// started as Single starts one, with the row's appendfsync (so Redis's replicas log to an
// AOF as its primary does, and Redoubt's sync their WAL alike): what a user who runs
// replicas for availability or read scaling runs. The load goes to the primary; the
// replicas are in Target.Replicas for what measures them (ReplicationLag, FullSync).
//
// The replicas start with --replicaof "127.0.0.1 PORT", a form both redis-server and
// Redoubt take on the command line. The primaries start with --repl-diskless-sync-delay 0,
// on both systems: Redis's default waits 5 s for more replicas to share a full sync, which
// would be most of a sync's time here and no cost of either system (Redoubt honours the
// setting too). Every other replication setting is each system's default: diskless sync,
// the 1 MB backlog, a PING every 10 s.
type Replicated struct {
	Replicas int
}

// Name implements Topology: "replicas2" reads well in case names
// (set-replicas2-p1-everysec).
func (t Replicated) Name() string { return replicatedPrefix + strconv.Itoa(t.Replicas) }

// replicatedPrefix starts the Name of every Replicated topology.
const replicatedPrefix = "replicas"

// Validate implements the check Expand makes on a row.
func (t Replicated) Validate() error {
	if t.Replicas < 1 {
		return fmt.Errorf("Replicated needs at least one replica, got %d", t.Replicas)
	}
	return nil
}

// primaryArgs are what a primary gets beyond the standalone arguments.
var primaryArgs = []string{"--repl-diskless-sync-delay", "0"}

// replicaArgs are what a replica of the primary on port gets.
func replicaArgs(port string) []string {
	return []string{"--replicaof", "127.0.0.1 " + port}
}

// Start implements Topology: the primary, then the replicas, then a wait until every
// replica has finished its first (empty) full sync, so the deployment is ready for load.
func (t Replicated) Start(ctx context.Context, sys System, fsync string) (Deployment, error) {
	primary, err := startServer(ctx, sys, fsync, primaryArgs)
	if err != nil {
		return nil, fmt.Errorf("primary: %w", err)
	}
	d := &replicatedDeployment{primary: primary}
	for i := range t.Replicas {
		r, err := startServer(ctx, sys, fsync, replicaArgs(strconv.Itoa(primary.port)))
		if err != nil {
			d.Stop()
			return nil, fmt.Errorf("replica %d of %d: %w", i+1, t.Replicas, err)
		}
		d.replicas = append(d.replicas, r)
	}
	if err := d.waitReplicas(ctx); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// CommandLines implements Topology: the primary's line, then one per replica, with
// PRIMARY_PORT for the primary's PORT.
func (t Replicated) CommandLines(sys System, fsync string) []string {
	lines := []string{serverCommandLine(sys, fsync, primaryArgs)}
	for range t.Replicas {
		lines = append(lines, serverCommandLine(sys, fsync, replicaArgs("PRIMARY_PORT")))
	}
	return lines
}

// replicatedDeployment is the processes Replicated started for one system.
type replicatedDeployment struct {
	primary  *server
	replicas []*server
}

// Target implements Deployment: the primary, with the replicas.
func (d *replicatedDeployment) Target() Target {
	t := d.primary.Target()
	for _, r := range d.replicas {
		t.Replicas = append(t.Replicas, r.Target())
	}
	return t
}

// Check implements Deployment: every process answers PING, and every replica's link to
// the primary is up, so a run never measures a replica that dropped out.
func (d *replicatedDeployment) Check(ctx context.Context) error {
	if err := d.primary.Check(ctx); err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	for i, r := range d.replicas {
		if err := r.Check(ctx); err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
		err := withConn(ctx, r.Target(), func(c *respConn) error {
			st, err := readReplicaStatus(c)
			if err == nil && !st.linkUp {
				err = fmt.Errorf("link to the primary is down (%s)", st)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
	}
	return nil
}

// Preload implements Deployment: the keys go to the primary, which streams them to the
// replicas; it returns once every replica has applied all of them, so that no run starts
// while a replica is still catching up with the preload.
func (d *replicatedDeployment) Preload(ctx context.Context, p Params) error {
	if err := d.primary.Preload(ctx, p); err != nil {
		return err
	}
	return d.waitReplicas(ctx)
}

// Pids implements Deployment: the primary's, then the replicas'; the runner's settling
// waits for all of them, replicas still applying the stream included.
func (d *replicatedDeployment) Pids() []int {
	pids := d.primary.Pids()
	for _, r := range d.replicas {
		pids = append(pids, r.Pids()...)
	}
	return pids
}

// Stop implements Deployment: the replicas, then the primary, each by its own pid, all
// of them even when one fails.
func (d *replicatedDeployment) Stop() error {
	var errs []error
	for i, r := range d.replicas {
		if err := r.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("replica %d: %w", i+1, err))
		}
	}
	if err := d.primary.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("primary: %w", err))
	}
	return errors.Join(errs...)
}

const (
	// replicaSyncTimeout bounds the wait for replicas to apply a preload: a million SETs
	// streamed take seconds.
	replicaSyncTimeout = 3 * time.Minute
	// replicationPoll is how often INFO is polled while waiting for a replica: often
	// enough to time a full sync to 1% of a second, rarely enough to cost the servers
	// nothing measurable.
	replicationPoll = 5 * time.Millisecond
)

// waitReplicas waits until every replica is caught up with the primary (see
// replicaStatus.caughtUp), or replicaSyncTimeout passes.
func (d *replicatedDeployment) waitReplicas(ctx context.Context) error {
	primary, err := openConn(ctx, d.primary.Target(), replicaSyncTimeout)
	if err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	defer primary.close()
	deadline := time.Now().Add(replicaSyncTimeout)
	for i, r := range d.replicas {
		c, err := openConn(ctx, r.Target(), replicaSyncTimeout)
		if err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
		err = waitCaughtUp(ctx, primary, c, deadline)
		c.close()
		if err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
	}
	return nil
}

// waitCaughtUp polls the replica on c until it has caught up with the primary on primary,
// and errs if it has not by deadline. A -LOADING reply (Redoubt before 2026-11-23 answered
// INFO with it while it loaded a full sync) is a state to wait out. The primary is asked only once
// the replica's link is up and its sync done, so that polling loads it as little as
// possible while a sync runs.
func waitCaughtUp(ctx context.Context, primary, c *respConn, deadline time.Time) error {
	last := "no INFO reply yet"
	for {
		st, err := readReplicaStatus(c)
		switch {
		case isLoading(err):
			last = "loading"
		case err != nil:
			return err
		case st.linkUp && !st.syncing:
			// The primary's offset first: it only grows, so a replica at or past it now
			// has everything the primary had when it was read.
			offset, err := readMasterOffset(primary)
			if err != nil {
				return fmt.Errorf("primary: %w", err)
			}
			if st, err = readReplicaStatus(c); err != nil {
				return err
			}
			if st.caughtUp(offset) {
				return nil
			}
			last = fmt.Sprintf("%s, primary's master_repl_offset:%d", st, offset)
		default:
			last = st.String()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not caught up with the primary in time: %s", last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(replicationPoll):
		}
	}
}

// parseInfo splits an INFO reply into its fields: the key:value lines, without the
// "# Section" headers and blank lines. A value may hold colons
// (slave0:ip=127.0.0.1,port=6380,...): only the first separates.
func parseInfo(info string) map[string]string {
	fields := make(map[string]string)
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = v
		}
	}
	return fields
}

// infoInt is the integer field key of fields.
func infoInt(fields map[string]string, key string) (int64, error) {
	v, ok := fields[key]
	if !ok {
		return 0, fmt.Errorf("INFO has no %s", key)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("INFO %s:%s is not an integer", key, v)
	}
	return n, nil
}

// info sends INFO section and parses the reply.
func info(c *respConn, section string) (map[string]string, error) {
	reply, err := c.bulk("INFO", section)
	if err != nil {
		return nil, err
	}
	return parseInfo(reply), nil
}

// replicaStatus is what a replica's INFO replication says of its link, in Redis 7.0's
// fields.
type replicaStatus struct {
	linkUp  bool  // master_link_status:up
	syncing bool  // master_sync_in_progress:1: a full sync is being received or loaded
	offset  int64 // slave_repl_offset: how far into the primary's stream it has applied
}

// parseReplicaStatus reads the fields of INFO replication of a replica; a server whose
// role is not a replica's, or a reply without the fields, is an error.
func parseReplicaStatus(fields map[string]string) (replicaStatus, error) {
	if role := fields["role"]; role != "slave" {
		return replicaStatus{}, fmt.Errorf("INFO replication says role:%s, not a replica's role:slave", role)
	}
	link, ok := fields["master_link_status"]
	if !ok {
		return replicaStatus{}, errors.New("INFO replication has no master_link_status")
	}
	syncing, err := infoInt(fields, "master_sync_in_progress")
	if err != nil {
		return replicaStatus{}, err
	}
	offset, err := infoInt(fields, "slave_repl_offset")
	if err != nil {
		return replicaStatus{}, err
	}
	return replicaStatus{linkUp: link == "up", syncing: syncing != 0, offset: offset}, nil
}

// caughtUp reports whether the replica has applied everything of a primary whose
// master_repl_offset was primaryOffset, read before the replica's status: with its link
// up, no sync under way, and its offset there. Read in that order, an offset past the
// primary's is the primary's later writes (its PINGs included) already applied, not an
// error.
func (s replicaStatus) caughtUp(primaryOffset int64) bool {
	return s.linkUp && !s.syncing && s.offset >= primaryOffset
}

func (s replicaStatus) String() string {
	link, syncing := "down", 0
	if s.linkUp {
		link = "up"
	}
	if s.syncing {
		syncing = 1
	}
	return fmt.Sprintf("master_link_status:%s master_sync_in_progress:%d slave_repl_offset:%d", link, syncing, s.offset)
}

// readReplicaStatus asks the replica on c for its INFO replication.
func readReplicaStatus(c *respConn) (replicaStatus, error) {
	fields, err := info(c, "replication")
	if err != nil {
		return replicaStatus{}, err
	}
	return parseReplicaStatus(fields)
}

// readMasterOffset asks the primary on c for its master_repl_offset.
func readMasterOffset(c *respConn) (int64, error) {
	fields, err := info(c, "replication")
	if err != nil {
		return 0, err
	}
	return infoInt(fields, "master_repl_offset")
}
