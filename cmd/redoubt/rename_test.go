package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenameCommand: rename-command from flags removes a command or makes
// it answer to a new name only (it keeps its own name in COMMAND INFO, as
// in Redis); a rename the command table cannot take stops the start-up
// with an error that names where it was written.
func TestRenameCommand(t *testing.T) {
	s := startServer(t, "", "--rename-command", "flushall", "", "--rename-command", "config", "cfg")
	c := s.client()
	ctx := context.Background()
	if err := c.FlushAll(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command 'flushall'") {
		t.Errorf("FLUSHALL after its removal: %v", err)
	}
	if err := c.Do(ctx, "CONFIG", "GET", "port").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command 'CONFIG'") {
		t.Errorf("CONFIG by its old name: %v", err)
	}
	// The test client speaks RESP3: a map.
	if v, err := c.Do(ctx, "CFG", "GET", "hz").Result(); err != nil || v.(map[any]any)["hz"] != "10" {
		t.Errorf("CFG GET hz: %v %v", v, err)
	}
	info, err := c.Do(ctx, "COMMAND", "INFO", "cfg").Slice()
	if err != nil || len(info) != 1 {
		t.Fatalf("COMMAND INFO cfg: %v %v", info, err)
	}
	if entry, _ := info[0].([]any); len(entry) == 0 || entry[0] != "config" {
		t.Errorf("COMMAND INFO cfg: %v, want the command's own name", info[0])
	}

	for _, tc := range []struct {
		name string
		file string
		args []string
		want string
	}{
		{"no such command, in the file", "port = 0\n\n[rename-command]\nnosuchcmd = \"x\"\n", nil,
			`:3: key "rename-command": nosuchcmd: No such command in rename-command`},
		{"target taken, as a flag", "", []string{"--rename-command", "get", "set"},
			"flag --rename-command: set: Target command name already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"server", "--dir", dir, "--port", "0", "--unixsocket", filepath.Join(dir, "s")}
			if tc.file != "" {
				path := filepath.Join(dir, "redoubt.toml")
				if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"server", "--config", path}, args[1:]...)
				tc.want = path + tc.want
			}
			out, err := exec.Command(binPath, append(args, tc.args...)...).CombinedOutput()
			if err == nil {
				t.Fatalf("the server started; output:\n%s", out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output %q lacks %q", out, tc.want)
			}
		})
	}
}
