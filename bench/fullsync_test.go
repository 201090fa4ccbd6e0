package bench

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestFullSyncSample: a run is a full sync only if the primary counted exactly one more
// and the replica ended with every key; its sample counts keys, not requests.
func TestFullSyncSample(t *testing.T) {
	for _, tc := range []struct {
		name                             string
		before, after, keys, replicaKeys int64
		err                              string
	}{
		{"full sync", 4, 5, 1000000, 1000000, ""},
		{"partial sync", 4, 4, 1000000, 1000000, "the primary's sync_full went from 4 to 4, want 5: the REPLICAOF was not one full sync"},
		{"two syncs", 4, 6, 1000000, 1000000, "the primary's sync_full went from 4 to 6, want 5"},
		{"keys missing", 4, 5, 1000000, 999000, "the replica has 999000 keys after the sync, the primary 1000000"},
		{"nothing to sync", 4, 5, 0, 0, "the primary has no keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := fullSyncSample(2500*time.Millisecond, tc.before, tc.after, tc.keys, tc.replicaKeys)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !reflect.DeepEqual(s, Sample{}) {
					t.Fatalf("got %+v, %v; want an error containing %q", s, err, tc.err)
				}
				return
			}
			want := Sample{Requests: 1000000, ElapsedSec: 2.5, RPS: 400000, Figures: Figures{FigureFullSyncSec: 2.5}}
			if err != nil || !reflect.DeepEqual(s, want) {
				t.Fatalf("got %+v, %v; want %+v", s, err, want)
			}
		})
	}
}

func TestFullSyncDescription(t *testing.T) {
	var l LoadGenerator = FullSync{}
	if !fixedWork(l) || l.Tool() != "harness (REPLICAOF)" {
		t.Errorf("FullSync: fixed work %v, tool %q", fixedWork(l), l.Tool())
	}
	if fixedWork(RedisBenchmark{Test: "set"}) || fixedWork(Driver{}) {
		t.Error("a request-count load counts as fixed work")
	}
	want := "on the replica, untimed: REPLICAOF NO ONE, FLUSHALL; then timed: REPLICAOF 127.0.0.1 PRIMARY_PORT until its INFO replication says " +
		"master_link_status:up, master_sync_in_progress:0 and slave_repl_offset at the primary's master_repl_offset (polled every 5 ms); " +
		"then checked: the primary's sync_full grew by 1, both have the same DBSIZE"
	if got := l.CommandLine(Params{}); got != want {
		t.Errorf("CommandLine = %q\nwant %q", got, want)
	}
}

func TestFullSyncRefusesStandalone(t *testing.T) {
	_, err := FullSync{}.Run(t.Context(), Tools{}, Target{Host: "127.0.0.1", Port: 1}, Params{})
	if err == nil || !strings.Contains(err.Error(), "needs a replica") {
		t.Fatalf("Run without replicas = %v", err)
	}
}
