package daemon

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redoubtdb/redoubt/netio/resp"
)

// redisInfoFields lists Redis 7.0.15's INFO fields per section, in order,
// as `INFO everything` prints them (persistence with appendonly on, which
// adds the last six aof_* fields). TestInfoFieldsMatchRedis checks this
// list against a live server.
var redisInfoFields = map[string]string{
	"Server": `redis_version redis_git_sha1 redis_git_dirty redis_build_id redis_mode os arch_bits
		monotonic_clock multiplexing_api atomicvar_api gcc_version process_id process_supervised run_id
		tcp_port server_time_usec uptime_in_seconds uptime_in_days hz configured_hz lru_clock executable
		config_file io_threads_active`,
	"Clients": `connected_clients cluster_connections maxclients client_recent_max_input_buffer
		client_recent_max_output_buffer blocked_clients tracking_clients clients_in_timeout_table`,
	"Memory": `used_memory used_memory_human used_memory_rss used_memory_rss_human used_memory_peak
		used_memory_peak_human used_memory_peak_perc used_memory_overhead used_memory_startup
		used_memory_dataset used_memory_dataset_perc allocator_allocated allocator_active
		allocator_resident total_system_memory total_system_memory_human used_memory_lua
		used_memory_vm_eval used_memory_lua_human used_memory_scripts_eval number_of_cached_scripts
		number_of_functions number_of_libraries used_memory_vm_functions used_memory_vm_total
		used_memory_vm_total_human used_memory_functions used_memory_scripts used_memory_scripts_human
		maxmemory maxmemory_human maxmemory_policy allocator_frag_ratio allocator_frag_bytes
		allocator_rss_ratio allocator_rss_bytes rss_overhead_ratio rss_overhead_bytes
		mem_fragmentation_ratio mem_fragmentation_bytes mem_not_counted_for_evict
		mem_replication_backlog mem_total_replication_buffers mem_clients_slaves mem_clients_normal
		mem_cluster_links mem_aof_buffer mem_allocator active_defrag_running lazyfree_pending_objects
		lazyfreed_objects`,
	"Persistence": `loading async_loading current_cow_peak current_cow_size current_cow_size_age
		current_fork_perc current_save_keys_processed current_save_keys_total
		rdb_changes_since_last_save rdb_bgsave_in_progress rdb_last_save_time rdb_last_bgsave_status
		rdb_last_bgsave_time_sec rdb_current_bgsave_time_sec rdb_saves rdb_last_cow_size
		rdb_last_load_keys_expired rdb_last_load_keys_loaded aof_enabled aof_rewrite_in_progress
		aof_rewrite_scheduled aof_last_rewrite_time_sec aof_current_rewrite_time_sec
		aof_last_bgrewrite_status aof_rewrites aof_rewrites_consecutive_failures aof_last_write_status
		aof_last_cow_size module_fork_in_progress module_fork_last_cow_size aof_current_size
		aof_base_size aof_pending_rewrite aof_buffer_length aof_pending_bio_fsync aof_delayed_fsync`,
	"Stats": `total_connections_received total_commands_processed instantaneous_ops_per_sec
		total_net_input_bytes total_net_output_bytes total_net_repl_input_bytes
		total_net_repl_output_bytes instantaneous_input_kbps instantaneous_output_kbps
		instantaneous_input_repl_kbps instantaneous_output_repl_kbps rejected_connections sync_full
		sync_partial_ok sync_partial_err expired_keys expired_stale_perc expired_time_cap_reached_count
		expire_cycle_cpu_milliseconds evicted_keys evicted_clients total_eviction_exceeded_time
		current_eviction_exceeded_time keyspace_hits keyspace_misses pubsub_channels pubsub_patterns
		pubsubshard_channels latest_fork_usec total_forks migrate_cached_sockets
		slave_expires_tracked_keys active_defrag_hits active_defrag_misses active_defrag_key_hits
		active_defrag_key_misses total_active_defrag_time current_active_defrag_time
		tracking_total_keys tracking_total_items tracking_total_prefixes unexpected_error_replies
		total_error_replies dump_payload_sanitizations total_reads_processed total_writes_processed
		io_threaded_reads_processed io_threaded_writes_processed reply_buffer_shrinks
		reply_buffer_expands`,
	"Replication": `role connected_slaves master_failover_state master_replid master_replid2
		master_repl_offset second_repl_offset repl_backlog_active repl_backlog_size
		repl_backlog_first_byte_offset repl_backlog_histlen`,
	"CPU": `used_cpu_sys used_cpu_user used_cpu_sys_children used_cpu_user_children
		used_cpu_sys_main_thread used_cpu_user_main_thread`,
	"Modules":      ``,
	"Errorstats":   ``,
	"Latencystats": ``,
	"Cluster":      `cluster_enabled`,
	"Keyspace":     ``,
}

// redoubtExtraFields are fields Redoubt adds at the end of a section.
var redoubtExtraFields = map[string][]string{
	"Server": {"redoubt_version"},
	// Redis 7.2's ACL counters (7.0 has no count of failed AUTH).
	"Stats": {"acl_access_denied_auth", "acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel"},
}

// parsedInfo is INFO text split into sections of ordered fields.
type parsedInfo struct {
	titles []string
	fields map[string][]infoField
}

// parseInfoText checks INFO's framing strictly (CRLF everywhere, "# Title"
// headers, exactly one empty line between sections, nothing else) and
// returns its content.
func parseInfoText(t *testing.T, txt string) parsedInfo {
	t.Helper()
	p := parsedInfo{fields: map[string][]infoField{}}
	if txt == "" {
		return p
	}
	if !strings.HasSuffix(txt, "\r\n") {
		t.Fatalf("INFO does not end with CRLF: %q", txt)
	}
	lines := strings.Split(strings.TrimSuffix(txt, "\r\n"), "\r\n")
	cur := ""
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i, l)
		}
		switch {
		case strings.HasPrefix(l, "# "):
			if i > 0 && lines[i-1] != "" {
				t.Fatalf("section %q not preceded by an empty line", l)
			}
			cur = l[2:]
			p.titles = append(p.titles, cur)
		case l == "":
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "# ") {
				t.Fatalf("empty line %d not followed by a section header", i)
			}
		default:
			k, v, ok := strings.Cut(l, ":")
			if !ok || cur == "" {
				t.Fatalf("bad INFO line %d: %q", i, l)
			}
			p.fields[cur] = append(p.fields[cur], infoField{k, v})
		}
	}
	return p
}

func (p parsedInfo) get(t *testing.T, section, key string) string {
	t.Helper()
	for _, f := range p.fields[section] {
		if f.key == key {
			return f.val
		}
	}
	t.Fatalf("INFO %s has no field %s", section, key)
	return ""
}

func infoText(h *harness, args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	return h.srv.genInfo(argv)
}

func TestInfoFieldNames(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	p := parseInfoText(t, infoText(h, "everything"))
	wantTitles := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
		"Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"}
	if strings.Join(p.titles, ",") != strings.Join(wantTitles, ",") {
		t.Fatalf("sections = %v, want %v", p.titles, wantTitles)
	}
	for title, names := range redisInfoFields {
		want := append(strings.Fields(names), redoubtExtraFields[title]...)
		var got []string
		for _, f := range p.fields[title] {
			got = append(got, f.key)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s fields:\n got %v\nwant %v", title, got, want)
		}
	}
}

func TestInfoSelection(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	defaults := "Server Clients Memory Persistence Stats Replication CPU Modules Errorstats Cluster Keyspace"
	all := "Server Clients Memory Persistence Stats Replication CPU Modules Commandstats Errorstats Latencystats Cluster Keyspace"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, defaults},
		{[]string{"default"}, defaults},
		{[]string{"DEFAULT"}, defaults},
		{[]string{"all"}, all},
		{[]string{"everything"}, all},
		{[]string{"default", "commandstats"}, "Server Clients Memory Persistence Stats Replication CPU Modules Commandstats Errorstats Cluster Keyspace"},
		{[]string{"keyspace", "server"}, "Server Keyspace"},
		{[]string{"Replication", "replication"}, "Replication"},
		{[]string{"modules"}, "Modules"},
		{[]string{"module_list"}, "Modules"},
		{[]string{"commandstats", "latencystats"}, "Commandstats Latencystats"},
		{[]string{"cpu", "nosuch"}, "CPU"},
		{[]string{"nosuch"}, ""},
		{[]string{"all", "nosuch"}, all},
	} {
		p := parseInfoText(t, infoText(h, tc.args...))
		if got := strings.Join(p.titles, " "); got != tc.want {
			t.Errorf("INFO %v sections = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestInfoServerAndReplication(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	p := parseInfoText(t, infoText(h, "server", "replication", "persistence"))
	hex40 := regexp.MustCompile(`^[0-9a-f]{40}$`)
	for _, tc := range []struct{ section, key, want string }{
		{"Server", "redis_version", "7.0.15"},
		{"Server", "redis_mode", "standalone"},
		{"Server", "tcp_port", "6379"},
		{"Server", "process_id", fmt.Sprint(os.Getpid())},
		{"Server", "hz", "10"},
		{"Server", "configured_hz", "10"},
		{"Server", "config_file", ""},
		{"Server", "redoubt_version", RedoubtVersion},
		{"Replication", "role", "master"},
		{"Replication", "connected_slaves", "0"},
		{"Replication", "master_failover_state", "no-failover"},
		{"Replication", "master_replid2", "0000000000000000000000000000000000000000"},
		{"Replication", "second_repl_offset", "-1"},
		{"Replication", "repl_backlog_size", "1048576"},
		{"Persistence", "loading", "0"},
		{"Persistence", "aof_enabled", "1"},
		{"Persistence", "rdb_changes_since_last_save", "0"},
		{"Persistence", "rdb_last_save_time", fmt.Sprint(h.srv.lastSave)},
	} {
		if got := p.get(t, tc.section, tc.key); got != tc.want {
			t.Errorf("%s:%s = %q, want %q", tc.section, tc.key, got, tc.want)
		}
	}
	for _, key := range []string{"run_id"} {
		if v := p.get(t, "Server", key); !hex40.MatchString(v) {
			t.Errorf("%s = %q, want 40 hex digits", key, v)
		}
	}
	if v := p.get(t, "Replication", "master_replid"); !hex40.MatchString(v) {
		t.Errorf("master_replid = %q, want 40 hex digits", v)
	}
	if v := p.get(t, "Server", "os"); !strings.Contains(v, " ") {
		t.Errorf("os = %q, want sysname release machine", v)
	}
	exe, _ := os.Executable()
	if v := p.get(t, "Server", "executable"); v != exe {
		t.Errorf("executable = %q, want %q", v, exe)
	}
	now := time.Now().UnixMicro()
	var usec int64
	fmt.Sscan(p.get(t, "Server", "server_time_usec"), &usec)
	if d := now - usec; d < 0 || d > 5e6 {
		t.Errorf("server_time_usec = %d, now %d", usec, now)
	}
	// Sentinel requires run_id lines of at least 47 characters.
	if l := len("run_id:" + p.get(t, "Server", "run_id")); l < 47 {
		t.Errorf("run_id line is %d characters", l)
	}

	h.srv.mu.Lock()
	h.srv.hz.Store(25)
	h.srv.ks.SetString(0, []byte("k"), []byte("v"), 0)
	h.srv.mu.Unlock()
	p = parseInfoText(t, infoText(h, "server", "persistence"))
	if v := p.get(t, "Server", "hz"); v != "25" {
		t.Errorf("hz = %s after a change, want 25", v)
	}
	if v := p.get(t, "Persistence", "rdb_changes_since_last_save"); v != "1" {
		t.Errorf("rdb_changes_since_last_save = %s after a write, want 1", v)
	}
}

func TestInfoMemoryAndCPU(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	p := parseInfoText(t, infoText(h, "memory", "cpu"))
	var used, rss, peak uint64
	fmt.Sscan(p.get(t, "Memory", "used_memory"), &used)
	fmt.Sscan(p.get(t, "Memory", "used_memory_rss"), &rss)
	fmt.Sscan(p.get(t, "Memory", "used_memory_peak"), &peak)
	if used == 0 || rss == 0 || peak < used {
		t.Errorf("used_memory=%d used_memory_rss=%d used_memory_peak=%d", used, rss, peak)
	}
	if v := p.get(t, "Memory", "used_memory_human"); v != bytesToHuman(used) {
		t.Errorf("used_memory_human = %s for %d", v, used)
	}
	if v := p.get(t, "Memory", "maxmemory_policy"); v != "noeviction" {
		t.Errorf("maxmemory_policy = %s", v)
	}
	ratio := regexp.MustCompile(`^\d+\.\d\d$`)
	for _, k := range []string{"allocator_frag_ratio", "allocator_rss_ratio", "rss_overhead_ratio", "mem_fragmentation_ratio"} {
		if v := p.get(t, "Memory", k); !ratio.MatchString(v) {
			t.Errorf("%s = %q, want %%.2f", k, v)
		}
	}
	cpu := regexp.MustCompile(`^\d+\.\d{6}$`)
	for _, f := range p.fields["CPU"] {
		if !cpu.MatchString(f.val) {
			t.Errorf("%s = %q, want %%ld.%%06ld", f.key, f.val)
		}
	}
}

func TestInfoStatsAndErrorstats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.client(2)
	c := h.client(1)
	c.do(t, "PING")
	c.do(t, "ECHO a")
	c.do(t, "CONFIG SET nosuch 1")
	c.do(t, "ECHO")
	p := parseInfoText(t, infoText(h, "stats", "clients", "errorstats"))
	for _, tc := range []struct{ section, key, want string }{
		{"Clients", "connected_clients", "2"},
		{"Clients", "maxclients", "10000"},
		{"Stats", "total_connections_received", "2"},
		// Commands refused before running (arity) are not processed.
		{"Stats", "total_commands_processed", "3"},
		{"Stats", "total_error_replies", "2"},
		{"Stats", "unexpected_error_replies", "0"},
		{"Stats", "rejected_connections", "0"},
		{"Errorstats", "errorstat_ERR", "count=2"},
	} {
		if got := p.get(t, tc.section, tc.key); got != tc.want {
			t.Errorf("%s:%s = %q, want %q", tc.section, tc.key, got, tc.want)
		}
	}
	var in int64
	fmt.Sscan(p.get(t, "Stats", "total_net_input_bytes"), &in)
	if in == 0 {
		t.Error("total_net_input_bytes = 0")
	}
	h.srv.mu.Lock()
	h.srv.stats.errors["WRONGTYPE"] = 3
	h.srv.stats.errors["BUSYGROUP"] = 1
	h.srv.mu.Unlock()
	p = parseInfoText(t, infoText(h, "errorstats"))
	var got []string
	for _, f := range p.fields["Errorstats"] {
		got = append(got, f.key+":"+f.val)
	}
	if want := "errorstat_BUSYGROUP:count=1 errorstat_ERR:count=2 errorstat_WRONGTYPE:count=3"; strings.Join(got, " ") != want {
		t.Errorf("errorstats = %v, want %s", got, want)
	}
}

func TestInfoCommandstats(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	c.do(t, "PING")
	c.do(t, "PING")
	c.do(t, "CONFIG GET hz")
	c.do(t, "CONFIG SET hz x")
	c.do(t, "CONFIG GET")
	c.do(t, "CONFIG nosuch")
	p := parseInfoText(t, infoText(h, "commandstats"))
	line := regexp.MustCompile(`^calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$`)
	var got []string
	for _, f := range p.fields["Commandstats"] {
		m := line.FindStringSubmatch(f.val)
		if m == nil {
			t.Fatalf("bad commandstats line %s:%s", f.key, f.val)
		}
		got = append(got, f.key+" calls="+m[1]+" rejected="+m[4]+" failed="+m[5])
	}
	// Parents come before their subcommands; CONFIG nosuch is an unknown
	// command to Redis, which it does not count here.
	want := []string{
		"cmdstat_config|get calls=1 rejected=1 failed=0",
		"cmdstat_config|set calls=1 rejected=0 failed=1",
		"cmdstat_ping calls=2 rejected=0 failed=0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commandstats:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestInfoKeyspace(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	h.srv.mu.Lock()
	ks := h.srv.ks
	ks.SetString(0, []byte("a"), []byte("1"), 0)
	ks.SetString(0, []byte("b"), []byte("1"), ks.Now()+100000)
	ks.SetString(3, []byte("c"), []byte("1"), 0)
	h.srv.commitLocked()
	h.srv.mu.Unlock()
	p := parseInfoText(t, infoText(h, "keyspace"))
	var got []string
	for _, f := range p.fields["Keyspace"] {
		got = append(got, f.key+":"+f.val)
	}
	if want := "db0:keys=2,expires=1,avg_ttl=0 db3:keys=1,expires=0,avg_ttl=0"; strings.Join(got, " ") != want {
		t.Errorf("keyspace = %v, want %s", got, want)
	}
}

func TestInfoWire(t *testing.T) {
	h := newHarness(t)
	defer h.close()
	c := h.client(1)
	// RESP2: one bulk string.
	c.sess.Data(encodeCommand([][]byte{[]byte("INFO"), []byte("cluster")}))
	if got, want := string(c.buf), "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"; got != want {
		t.Errorf("INFO cluster = %q, want %q", got, want)
	}
	c.buf = nil
	// RESP3: verbatim text.
	c.sess.proto = 3
	c.sess.Data(encodeCommand([][]byte{[]byte("INFO"), []byte("cluster")}))
	if got, want := string(c.buf), "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"; got != want {
		t.Errorf("INFO cluster (RESP3) = %q, want %q", got, want)
	}
}

func TestBytesToHuman(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{1024, "1.00K"},
		{916400, "894.92K"},
		{12115968, "11.55M"},
		{1<<20 - 1, "1024.00K"},
		{1 << 20, "1.00M"},
		{25276510208, "23.54G"},
		{1 << 40, "1.00T"},
		{1 << 50, "1.00P"},
		{1 << 60, "1152921504606846976B"},
	} {
		if got := bytesToHuman(tc.n); got != tc.want {
			t.Errorf("bytesToHuman(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}

// TestInfoFieldsMatchRedis checks redisInfoFields against a live Redis 7.0
// (REDOUBT_SCENARIO_REDIS=host:port), turning appendonly on for the
// duration so the AOF fields show.
func TestInfoFieldsMatchRedis(t *testing.T) {
	addr := os.Getenv("REDOUBT_SCENARIO_REDIS")
	if addr == "" {
		t.Skip("REDOUBT_SCENARIO_REDIS not set")
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	do := func(args ...string) resp.Value {
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write(encodeCommand(argv))
		var buf []byte
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			buf = append(buf, line...)
			if v, n, err := resp.ReadReply(buf); err == nil && n > 0 {
				return v
			}
		}
	}
	was := do("CONFIG", "GET", "appendonly").Elems[1].Str
	do("CONFIG", "SET", "appendonly", "yes")
	defer do("CONFIG", "SET", "appendonly", string(was))
	time.Sleep(200 * time.Millisecond)
	p := parseInfoText(t, string(do("INFO", "everything").Str))
	for title, names := range redisInfoFields {
		var got []string
		for _, f := range p.fields[title] {
			got = append(got, f.key)
		}
		want := strings.Fields(names)
		switch title {
		case "Commandstats", "Errorstats", "Latencystats", "Keyspace":
			continue // contents depend on the server's history
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("Redis %s fields:\n got %v\nwant %v", title, got, want)
		}
	}
}
