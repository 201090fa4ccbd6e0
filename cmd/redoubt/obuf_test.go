package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clientField is a field of the CLIENT LIST line of the client named name,
// and whether that client is connected.
func clientField(t *testing.T, list, name, field string) (int64, bool) {
	t.Helper()
	for _, l := range strings.Split(list, "\n") {
		if !strings.Contains(l, " name="+name+" ") {
			continue
		}
		m := regexp.MustCompile(` ` + field + `=(\d+)`).FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("no %s in %q", field, l)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n, true
	}
	return 0, false
}

// TestOutputBufferShownAndSoftLimitWithoutTraffic: a subscriber that stops
// reading shows its waiting replies as CLIENT LIST's omem, and a soft
// output limit closes it once its time is up even when nothing more is
// published, as Redis's clientsCron does.
func TestOutputBufferShownAndSoftLimitWithoutTraffic(t *testing.T) {
	s := startServer(t, "", "--client-output-buffer-limit", "pubsub 0 200kb 1")
	sub := dialRaw(t, s.addr())
	fmt.Fprintf(sub, "CLIENT SETNAME slowsub\r\nSUBSCRIBE ch\r\n")
	if l := sub.line(t); l != "+OK" {
		t.Fatalf("SETNAME: %q", l)
	}
	for i := 0; i < 6; i++ { // the subscribe reply: *3, then three parts
		sub.line(t)
	}
	ctx := context.Background()
	c := s.client()
	msg := strings.Repeat("x", 1000)
	// The subscriber reads nothing more: its socket buffers fill, then
	// the server's queue grows past the soft limit.
	var omem int64
	deadline := time.Now().Add(20 * time.Second)
	for omem <= 200<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("omem stayed at %d", omem)
		}
		if err := c.Publish(ctx, "ch", msg).Err(); err != nil {
			t.Fatal(err)
		}
		list, err := c.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if omem, ok = clientField(t, list, "slowsub", "omem"); !ok {
			t.Fatalf("the subscriber was closed at omem %d, before its soft limit's time", omem)
		}
	}
	// The waiting replies count as the normal clients' memory (pub/sub
	// clients are normal ones there, as in Redis).
	if v := infoField(t, c, "memory", "mem_clients_normal"); func() bool {
		n, err := strconv.ParseInt(v, 10, 64)
		return err != nil || n < omem
	}() {
		t.Errorf("INFO mem_clients_normal %q, below the subscriber's omem %d", v, omem)
	}
	// The cron's peak of the last seconds sees it too (at hz 10, within a
	// tick; the soft limit leaves a second).
	for deadline := time.Now().Add(500 * time.Millisecond); ; {
		v := infoField(t, c, "clients", "client_recent_max_output_buffer")
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= omem {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("INFO client_recent_max_output_buffer %q, below the subscriber's omem %d", v, omem)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The test's client speaks RESP3: MEMORY STATS is a map.
	stats, err := c.Do(ctx, "MEMORY", "STATS").Result()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := stats.(map[any]any)
	if n, ok := m["clients.normal"].(int64); !ok || n < omem {
		t.Errorf("MEMORY STATS clients.normal %v, below the subscriber's omem %d", m["clients.normal"], omem)
	}
	// No more traffic: the soft limit's second runs out all the same.
	closedBy := time.Now().Add(5 * time.Second)
	for {
		list, err := c.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := clientField(t, list, "slowsub", "omem"); !ok {
			return
		}
		if time.Now().After(closedBy) {
			t.Fatal("the subscriber over its soft limit was not closed without traffic")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
