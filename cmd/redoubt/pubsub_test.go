package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pub/sub against the real binary: go-redis's PubSub API in RESP2 and
// RESP3, redis-cli's subscriber mode, a fan-out to 1,000 connections and a
// subscriber that stops reading.

func TestPubsubGoRedis(t *testing.T) {
	for _, tc := range []struct {
		proto int
		args  []string
	}{
		{2, nil},
		// Under always, messages wait for fsync like replies do.
		{3, []string{"--appendfsync", "always"}},
	} {
		t.Run(fmt.Sprintf("resp%d", tc.proto), func(t *testing.T) {
			s := startServer(t, "", tc.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c := s.client(func(o *redis.Options) { o.Protocol = tc.proto })

			sub := c.Subscribe(ctx, "news")
			defer sub.Close()
			psub := c.PSubscribe(ctx, "n*")
			defer psub.Close()
			ssub := c.SSubscribe(ctx, "shard")
			defer ssub.Close()
			for _, ps := range []*redis.PubSub{sub, psub, ssub} {
				m, err := ps.Receive(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if s, ok := m.(*redis.Subscription); !ok || s.Count != 1 {
					t.Fatalf("confirmation %#v", m)
				}
			}

			if got, err := c.PubSubChannels(ctx, "*").Result(); err != nil || !reflect.DeepEqual(got, []string{"news"}) {
				t.Fatalf("PUBSUB CHANNELS = %v, %v", got, err)
			}
			if got, err := c.PubSubNumSub(ctx, "news", "none").Result(); err != nil || got["news"] != 1 || got["none"] != 0 {
				t.Fatalf("PUBSUB NUMSUB = %v, %v", got, err)
			}
			if got, err := c.PubSubNumPat(ctx).Result(); err != nil || got != 1 {
				t.Fatalf("PUBSUB NUMPAT = %v, %v", got, err)
			}
			if got, err := c.PubSubShardChannels(ctx, "*").Result(); err != nil || !reflect.DeepEqual(got, []string{"shard"}) {
				t.Fatalf("PUBSUB SHARDCHANNELS = %v, %v", got, err)
			}
			if got, err := c.PubSubShardNumSub(ctx, "shard").Result(); err != nil || got["shard"] != 1 {
				t.Fatalf("PUBSUB SHARDNUMSUB = %v, %v", got, err)
			}

			if n, err := c.Publish(ctx, "news", "hello").Result(); err != nil || n != 2 {
				t.Fatalf("PUBLISH = %d, %v", n, err)
			}
			if m, err := sub.ReceiveMessage(ctx); err != nil || m.Channel != "news" || m.Payload != "hello" || m.Pattern != "" {
				t.Fatalf("message %+v, %v", m, err)
			}
			if m, err := psub.ReceiveMessage(ctx); err != nil || m.Channel != "news" || m.Payload != "hello" || m.Pattern != "n*" {
				t.Fatalf("pmessage %+v, %v", m, err)
			}
			if n, err := c.SPublish(ctx, "shard", "s").Result(); err != nil || n != 1 {
				t.Fatalf("SPUBLISH = %d, %v", n, err)
			}
			if m, err := ssub.ReceiveMessage(ctx); err != nil || m.Channel != "shard" || m.Payload != "s" {
				t.Fatalf("smessage %+v, %v", m, err)
			}

			// PING on a subscribed connection.
			if err := sub.Ping(ctx, "p"); err != nil {
				t.Fatal(err)
			}
			if m, err := sub.Receive(ctx); err != nil {
				t.Fatal(err)
			} else if p, ok := m.(*redis.Pong); !ok || p.Payload != "p" {
				t.Fatalf("PING on a subscriber: %#v", m)
			}

			// Many messages arrive complete and in order through Channel.
			ch := sub.Channel()
			go func() {
				pipe := c.Pipeline()
				for i := 0; i < 500; i++ {
					pipe.Publish(ctx, "news", strconv.Itoa(i))
				}
				_, _ = pipe.Exec(ctx)
			}()
			for i := 0; i < 500; i++ {
				select {
				case m := <-ch:
					if m.Payload != strconv.Itoa(i) {
						t.Fatalf("message %d: %q", i, m.Payload)
					}
				case <-ctx.Done():
					t.Fatalf("only %d messages arrived", i)
				}
			}

			if err := psub.PUnsubscribe(ctx, "n*"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				n, err := c.PubSubNumPat(ctx).Result()
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("PUNSUBSCRIBE never took effect")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// waitNumsub waits until channel has n subscribers.
func waitNumsub(t *testing.T, c *redis.Client, channel string, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.PubSubNumSub(context.Background(), channel).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got[channel] == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d subscribers, want %d", channel, got[channel], n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPubsubRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	s := startServer(t, "")
	c := s.client()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"SUBSCRIBE", "cli"}, []string{"subscribe", "cli", "1", "message", "cli", "hello"}},
		{[]string{"-3", "PSUBSCRIBE", "c*"}, []string{"psubscribe", "c*", "1", "pmessage", "c*", "cli", "hello"}},
	} {
		cmd := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(s.port)}, tc.args...)...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		if tc.args[len(tc.args)-2] == "SUBSCRIBE" {
			waitNumsub(t, c, "cli", 1)
		} else {
			for n := int64(0); n != 1; n, _ = c.PubSubNumPat(context.Background()).Result() {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if err := c.Publish(context.Background(), "cli", "hello").Err(); err != nil {
			t.Fatal(err)
		}
		var got []string
		timeout := time.After(5 * time.Second)
	read:
		for len(got) < len(tc.want) {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if l == "" || strings.HasPrefix(l, "Reading messages") {
					continue
				}
				got = append(got, l)
			case <-timeout:
				break read
			}
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if !reflect.DeepEqual(got, tc.want) {
			t.Fatalf("redis-cli %v printed %q, want %q", tc.args, got, tc.want)
		}
	}
}

// One PUBLISH reaches 1,000 subscribed connections.
func TestPublishToThousandSubscribers(t *testing.T) {
	s := startServer(t, "")
	const n = 1000
	conns := make([]*rawConn, n)
	for i := range conns {
		conns[i] = dialRaw(t, s.addr())
		if _, err := conns[i].Write([]byte("*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nfan\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	for i, rc := range conns {
		for _, want := range []string{"*3", "$9", "subscribe", "$3", "fan", ":1"} {
			if got := rc.line(t); got != want {
				t.Fatalf("subscriber %d read %q, want %q", i, got, want)
			}
		}
	}
	c := s.client()
	start := time.Now()
	if got, err := c.Publish(context.Background(), "fan", "to everyone").Result(); err != nil || got != n {
		t.Fatalf("PUBLISH = %d, %v", got, err)
	}
	want := "*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$11\r\nto everyone\r\n"
	buf := make([]byte, len(want))
	for i, rc := range conns {
		_ = rc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(rc.r, buf); err != nil || string(buf) != want {
			t.Fatalf("subscriber %d read %q, %v", i, buf, err)
		}
	}
	t.Logf("PUBLISH to %d subscribers delivered in %v", n, time.Since(start))
	if got, err := c.PubSubNumSub(context.Background(), "fan").Result(); err != nil || got["fan"] != n {
		t.Fatalf("NUMSUB = %v, %v", got, err)
	}
	for _, rc := range conns {
		rc.Close()
	}
	waitNumsub(t, c, "fan", 0)
}

// A subscriber that stops reading is disconnected once its pending output
// passes the pubsub class's hard limit; another subscriber of the same
// channel gets every message.
func TestSlowSubscriberIsCutOff(t *testing.T) {
	s := startServer(t, "", "--client-output-buffer-limit", "pubsub 1mb 0 0")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	slow := dialRaw(t, s.addr())
	if tc, ok := slow.Conn.(*net.TCPConn); ok {
		// Small enough to keep the kernel from absorbing megabytes, big
		// enough (above the loopback MSS) that draining it afterwards
		// does not crawl on zero-window probes.
		_ = tc.SetReadBuffer(128 << 10)
	}
	fmt.Fprintf(slow, "SUBSCRIBE big\r\n")
	for i := 0; i < 6; i++ {
		slow.line(t)
	}
	c := s.client()
	fast := c.Subscribe(ctx, "big")
	defer fast.Close()
	if _, err := fast.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	const msgs = 400 // 64 KB each: 25 MB, far past the 1 MB limit
	payload := strings.Repeat("x", 64*1024)
	got := make(chan int, 1)
	go func() {
		n := 0
		for n < msgs {
			m, err := fast.ReceiveMessage(ctx)
			if err != nil || m.Payload != payload {
				break
			}
			n++
		}
		got <- n
	}()
	pub := s.client()
	for i := 0; i < msgs; i++ {
		if err := pub.Publish(ctx, "big", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n := <-got; n != msgs {
		t.Fatalf("the reading subscriber got %d of %d messages", n, msgs)
	}
	var read int64
	buf := make([]byte, 64*1024)
	for {
		_ = slow.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := slow.r.Read(buf)
		read += int64(n)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("slow subscriber was never disconnected (%d bytes received)", read)
			}
			break
		}
	}
	if read > 16<<20 {
		t.Fatalf("slow subscriber received %d bytes before the cut; the limit is 1 MB", read)
	}
	waitNumsub(t, pub, "big", 1)
	log, err := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "overcoming of output buffer limits") || !strings.Contains(string(log), "pubsub") {
		t.Fatalf("the cut-off is not logged:\n%s", log)
	}
}
