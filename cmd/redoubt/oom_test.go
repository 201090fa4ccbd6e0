package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// oomScore reads a process's oom_score_adj.
func oomScore(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/oom_score_adj")
	if err != nil {
		t.Skipf("no oom_score_adj here: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOOMScoreAdj: with oom-score-adj on, the process's OOM-killer score
// follows its role (a primary's value, a replica's after REPLICAOF, the
// primary's again after REPLICAOF NO ONE), CONFIG SET changes it at once,
// and "no" gives back the score the process started with.
func TestOOMScoreAdj(t *testing.T) {
	s := startServer(t, "", "--oom-score-adj", "relative", "--oom-score-adj-values", "100 300 800")
	pid := s.cmd.Process.Pid
	c := s.client()
	ctx := context.Background()
	base := oomScore(t, pid) - 100 // what the test's process gave it
	want := func(v int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; {
			got := oomScore(t, pid)
			if got == min(max(v, -1000), 1000) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("oom_score_adj %d, want %d", got, v)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// A primary nobody answers on: the role changes all the same.
	if err := c.SlaveOf(ctx, "127.0.0.1", strconv.Itoa(freePort(t))).Err(); err != nil {
		t.Fatal(err)
	}
	want(base + 300)
	if err := c.SlaveOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	want(base + 100)
	if err := c.ConfigSet(ctx, "oom-score-adj-values", "150 300 800").Err(); err != nil {
		t.Fatal(err)
	}
	want(base + 150)
	if err := c.ConfigSet(ctx, "oom-score-adj", "absolute").Err(); err != nil {
		t.Fatal(err)
	}
	want(150)
	if err := c.ConfigSet(ctx, "oom-score-adj", "no").Err(); err != nil {
		t.Fatal(err)
	}
	want(base)
	for _, bad := range [][2]string{{"oom-score-adj-values", "1 2"}, {"oom-score-adj-values", "0 0 2001"}, {"oom-score-adj", "maybe"}} {
		if err := c.ConfigSet(ctx, bad[0], bad[1]).Err(); err == nil {
			t.Errorf("CONFIG SET %s %q: no error", bad[0], bad[1])
		}
	}
}
