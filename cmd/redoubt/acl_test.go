package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// ACL users declared in the TOML config, used by real clients.

const aclConfig = `requirepass = "rootpw"
user = [
  "alice on >alicepw ~app:* &news.* +@read +@write +publish -flushall",
  "metrics on >metricspw -@all +ping +info",
  "bob off >bobpw +@all ~*",
]
`

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestACLConfigUsersGoRedis(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "redoubt.toml", aclConfig)
	s := startServer(t, dir, "--config", cfg, "--user", "carol on nopass +get ~*")
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		alice := s.client(func(o *redis.Options) { o.Protocol, o.Username, o.Password = proto, "alice", "alicepw" })
		if err := alice.Set(ctx, "app:1", "v", 0).Err(); err != nil {
			t.Fatalf("proto %d: SET as alice: %v", proto, err)
		}
		if v, err := alice.Get(ctx, "app:1").Result(); err != nil || v != "v" {
			t.Fatalf("proto %d: GET as alice = %q, %v", proto, v, err)
		}
		err := alice.Set(ctx, "other", "v", 0).Err()
		if err == nil || err.Error() != "NOPERM this user has no permissions to access one of the keys used as arguments" {
			t.Errorf("proto %d: SET other: %v", proto, err)
		}
		err = alice.FlushAll(ctx).Err()
		if err == nil || err.Error() != "NOPERM this user has no permissions to run the 'flushall' command" {
			t.Errorf("proto %d: FLUSHALL: %v", proto, err)
		}
		if err := alice.Publish(ctx, "news.today", "m").Err(); err != nil {
			t.Errorf("proto %d: PUBLISH news.today: %v", proto, err)
		}
		err = alice.Publish(ctx, "sport", "m").Err()
		if err == nil || err.Error() != "NOPERM this user has no permissions to access one of the channels used as arguments" {
			t.Errorf("proto %d: PUBLISH: %v", proto, err)
		}
		// ACL WHOAMI is in @slow only, which alice does not have.
		err = alice.Do(ctx, "ACL", "WHOAMI").Err()
		if err == nil || err.Error() != "NOPERM this user has no permissions to run the 'acl|whoami' command" {
			t.Errorf("proto %d: ACL WHOAMI as alice: %v", proto, err)
		}
	}
	// Wrong credentials and disabled users fail the HELLO / AUTH go-redis
	// sends on connect.
	for _, tc := range []struct{ user, pass string }{{"alice", "nope"}, {"bob", "bobpw"}, {"nobody", "x"}} {
		c := s.client(func(o *redis.Options) { o.Username, o.Password = tc.user, tc.pass })
		err := c.Ping(ctx).Err()
		if err == nil || !strings.Contains(err.Error(), "WRONGPASS invalid username-password pair or user is disabled.") {
			t.Errorf("%s/%s: %v", tc.user, tc.pass, err)
		}
	}
	metrics := s.client(func(o *redis.Options) { o.Username, o.Password = "metrics", "metricspw" })
	if err := metrics.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.Info(ctx, "server").Result(); err != nil {
		t.Errorf("INFO as metrics: %v", err)
	}
	if err := metrics.Get(ctx, "app:1").Err(); err == nil || err.Error() != "NOPERM this user has no permissions to run the 'get' command" {
		t.Errorf("GET as metrics: %v", err)
	}
	// A user from the command line.
	carol := s.client(func(o *redis.Options) { o.Username, o.Password = "carol", "any" })
	if v, err := carol.Get(ctx, "app:1").Result(); err != nil || v != "v" {
		t.Errorf("GET as carol = %q, %v", v, err)
	}
	// requirepass is the default user's password.
	root := s.client(func(o *redis.Options) { o.Password = "rootpw" })
	users, err := root.Do(ctx, "ACL", "USERS").StringSlice()
	if err != nil || strings.Join(users, " ") != "alice bob carol default metrics" {
		t.Errorf("ACL USERS = %v, %v", users, err)
	}
	// The ACL log tells who was refused.
	entries, err := root.Do(ctx, "ACL", "LOG").Slice()
	if err != nil || len(entries) == 0 {
		t.Fatalf("ACL LOG = %v, %v", entries, err)
	}
}

func TestACLRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	dir := t.TempDir()
	s := startServer(t, dir, "--config", writeFile(t, dir, "redoubt.toml", aclConfig))
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(s.port), "--no-auth-warning"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := cli("--user", "alice", "--pass", "alicepw", "SET", "app:x", "1"); got != "OK" {
		t.Errorf("SET as alice: %q", got)
	}
	if got := cli("--user", "alice", "--pass", "alicepw", "GET", "secret"); got != "NOPERM this user has no permissions to access one of the keys used as arguments" {
		t.Errorf("GET secret as alice: %q", got)
	}
	if got := cli("--user", "alice", "--pass", "wrong", "PING"); !strings.Contains(got, "WRONGPASS") {
		t.Errorf("wrong password: %q", got)
	}
	if got := cli("-a", "rootpw", "ACL", "WHOAMI"); got != "default" {
		t.Errorf("ACL WHOAMI with -a: %q", got)
	}
	if got := cli("PING"); got != "NOAUTH Authentication required." {
		t.Errorf("PING without auth: %q", got)
	}
}

func TestACLFileSaveLoad(t *testing.T) {
	dir := t.TempDir()
	aclfile := writeFile(t, dir, "users.acl", "user alice on >alicepw ~* +@all\n")
	s := startServer(t, dir, "--aclfile", aclfile)
	ctx := context.Background()
	admin := s.client()
	if err := admin.Do(ctx, "ACL", "SETUSER", "bob", "on", ">bobpw", "~bob:*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	if err := admin.Do(ctx, "ACL", "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(aclfile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(saved), "user bob on #") || !strings.Contains(string(saved), "user alice on #") {
		t.Fatalf("saved file:\n%s", saved)
	}
	// A restart loads the saved users.
	s.stop()
	s.start()
	bob := s.client(func(o *redis.Options) { o.Username, o.Password = "bob", "bobpw" })
	if err := bob.Set(ctx, "bob:1", "v", 0).Err(); err != nil {
		t.Fatalf("bob after restart: %v", err)
	}
	// ACL LOAD replaces the users; bob's connection is closed.
	if err := os.WriteFile(aclfile, append(saved, []byte("user carol on nopass +ping\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	admin = s.client()
	if err := admin.Do(ctx, "ACL", "LOAD").Err(); err != nil {
		t.Fatal(err)
	}
	users, err := admin.Do(ctx, "ACL", "USERS").StringSlice()
	if err != nil || strings.Join(users, " ") != "alice bob carol default" {
		t.Errorf("ACL USERS = %v, %v", users, err)
	}
	raw := dialRaw(t, s.addr())
	if _, err := raw.Write([]byte("AUTH bob bobpw\r\n")); err != nil {
		t.Fatal(err)
	}
	if l := raw.line(t); l != "+OK" {
		t.Fatalf("AUTH bob: %q", l)
	}
	if err := admin.Do(ctx, "ACL", "LOAD").Err(); err != nil {
		t.Fatal(err)
	}
	_, _ = raw.Write([]byte("PING\r\n"))
	if _, err := raw.r.ReadString('\n'); err == nil {
		t.Errorf("bob's connection survived ACL LOAD")
	}
	// A bad file changes nothing and says why.
	if err := os.WriteFile(aclfile, []byte("user dave on +nosuch\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = admin.Do(ctx, "ACL", "LOAD").Err()
	want := "ERR " + aclfile + ":1: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != want {
		t.Errorf("ACL LOAD of a bad file: %v", err)
	}
}

func TestACLBadStartup(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, config string
		flags        []string
		want         string
	}{
		{"bad rule", "port = 1\nuser = [\n  \"alice on +nosuch\",\n]\n", nil,
			`redoubt.toml:3: key "user": Error in user declaration '+nosuch': Unknown command or category name in ACL`},
		{"users and aclfile", "user = [\"alice on\"]\n", []string{"--aclfile", filepath.Join(dir, "x.acl")},
			`redoubt.toml:1: key "user": Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid.`},
		{"missing aclfile", "", []string{"--aclfile", filepath.Join(dir, "missing.acl")},
			"Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '" + filepath.Join(dir, "missing.acl") + "': No such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeFile(t, dir, "redoubt.toml", tc.config)
			args := append([]string{"server", "--config", cfg, "--port", strconv.Itoa(freePort(t)), "--dir", t.TempDir()}, tc.flags...)
			out, err := exec.Command(binPath, args...).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("want exit 1, got %v\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, out)
			}
		})
	}
}
