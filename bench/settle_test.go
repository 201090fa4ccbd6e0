package bench

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestParseStatTicks(t *testing.T) {
	// A command name with spaces and a parenthesis must not shift the fields.
	stat := "4242 (redis server) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 567 0 0 20 0 5 0 100 1000 200 18446744073709551615\n"
	got, err := parseStatTicks(stat)
	if err != nil || got != 1234+567 {
		t.Fatalf("parseStatTicks = %d, %v; want 1801", got, err)
	}
	if _, err := parseStatTicks("4242 (short) S 1"); err == nil {
		t.Fatal("short stat line accepted")
	}
}

func TestCPUTicksOfThisProcess(t *testing.T) {
	before := cpuTicks([]int{os.Getpid()})
	deadline := time.Now().Add(100 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	if after := cpuTicks([]int{os.Getpid()}); after <= before {
		t.Fatalf("CPU ticks did not grow while busy: %d -> %d", before, after)
	}
	if got := cpuTicks([]int{1 << 30}); got != 0 {
		t.Fatalf("ticks of a missing process = %d, want 0", got)
	}
}

func TestCommonRequests(t *testing.T) {
	p := Params{Clients: 50, Pipeline: 1}
	for _, tc := range []struct {
		name  string
		rates []float64
		want  int
	}{
		{"equal rates", []float64{100000, 100000}, 250000},
		// One system 4x faster: runs of 1.25 s and 5 s, geometric mean 2.5 s.
		{"geometric mean", []float64{40000, 160000}, 200000},
		{"one side failed", []float64{0, 80000}, 200000},
		{"both failed", []float64{0, 0}, 1000},
		{"floor", []float64{10, 10}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := commonRequests(tc.rates, p, 2500*time.Millisecond); got != tc.want {
				t.Fatalf("commonRequests(%v) = %d, want %d", tc.rates, got, tc.want)
			}
		})
	}
	// redis-benchmark sends whole pipelines: 17,000 is not a multiple of 16, 17,008 is.
	p.Pipeline = 16
	if got := commonRequests([]float64{6800, 6800}, p, 2500*time.Millisecond); got != 17008 {
		t.Fatalf("commonRequests at -P 16 = %d, want 17008", got)
	}
}

// pidDeployment is a Deployment that only has processes, for settle.
type pidDeployment struct {
	Deployment
	pids []int
}

func (d pidDeployment) Pids() []int { return d.pids }

func startProcess(t *testing.T, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start %s: %v", name, err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		// Children first, by pid: killing a shell does not end what it started.
		for _, c := range procChildren(pid) {
			syscall.Kill(c, syscall.SIGKILL)
		}
		cmd.Process.Kill()
		cmd.Wait()
	})
	return pid
}

func TestSettle(t *testing.T) {
	ctx := context.Background()
	idle := pidDeployment{pids: []int{startProcess(t, "sleep", "30")}}
	waited, ok := settle(ctx, []Deployment{idle, nil}, 2*time.Second, DefaultSettleWindow)
	if !ok || waited > time.Second {
		t.Fatalf("idle process: waited %s, idle %v; want idle within one or two windows", waited, ok)
	}

	// The busy process is a child of the deployment's process, as Redis's rewrite fork is.
	parent := startProcess(t, "sh", "-c", "sh -c 'while :; do :; done' & wait")
	busy := pidDeployment{pids: []int{parent}}
	waited, ok = settle(ctx, []Deployment{busy}, 600*time.Millisecond, 100*time.Millisecond)
	if ok || waited < 600*time.Millisecond {
		t.Fatalf("busy child: waited %s, idle %v; want not idle after the full wait", waited, ok)
	}
}
