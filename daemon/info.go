package daemon

import (
	"hash/fnv"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redoubtdb/redoubt/storage"
)

// INFO, built the way Redis 7.0's genRedisInfoString builds it: sections in
// a fixed order, each "# Title" followed by "key:value" lines, every line
// ending in CRLF and one empty line between sections. Sentinel and client
// libraries split on CRLF and match fixed prefixes, so the field names and
// their order are Redis 7.0's; values are Redoubt's own measurements, or 0
// (and the Redis default text) for what Redoubt does not have or track.
//
// Where the mapping is not obvious:
//
//   - aof_enabled is always 1: every write goes through the store's
//     write-ahead log, synced as appendfsync says, which is the guarantee
//     Redis's AOF gives. aof_current_size is the store's size on disk.
//   - rdb_* describe RDB snapshots (SAVE/BGSAVE), not the store.
//   - Memory comes from the Go runtime (used_memory is the live heap plus
//     goroutine stacks; allocator_* are the heap's in-use, active and
//     resident figures) and from /proc/self/statm (used_memory_rss).
//     used_memory_peak is the highest used_memory INFO has measured in this
//     process. The store's block cache lives outside the Go heap when Pebble
//     allocates it manually, so only used_memory_rss includes it.
//   - used_cpu_*_main_thread repeat the process figures: Go runs commands
//     on event-loop goroutines, not on one main thread.
//   - Latencystats comes from log-linear histograms (latency.go), about 3%
//     coarse where Redis's HdrHistogram is 1%.

// infoField is one "key:value" line.
type infoField struct{ key, val string }

// infoSection is one INFO section: the name clients ask for, the title line,
// whether plain INFO (and "default") includes it, and its fields.
type infoSection struct {
	name   string
	title  string
	dflt   bool
	fields func(s *Server) []infoField
}

// infoSections is in Redis's output order.
var infoSections = []infoSection{
	{"server", "Server", true, (*Server).infoServer},
	{"clients", "Clients", true, (*Server).infoClients},
	{"memory", "Memory", true, (*Server).infoMemory},
	{"persistence", "Persistence", true, (*Server).infoPersistence},
	{"stats", "Stats", true, (*Server).infoStats},
	{"replication", "Replication", true, (*Server).infoReplication},
	{"cpu", "CPU", true, (*Server).infoCPU},
	// Redis includes the Modules section for "module_list" (a default
	// section) and "modules"; no modules are ever loaded here.
	{"module_list", "Modules", true, func(*Server) []infoField { return nil }},
	{"commandstats", "Commandstats", false, (*Server).infoCommandstats},
	{"errorstats", "Errorstats", true, (*Server).infoErrorstats},
	{"latencystats", "Latencystats", false, (*Server).infoLatencystats},
	{"cluster", "Cluster", true, func(*Server) []infoField { return []infoField{{"cluster_enabled", "0"}} }},
	{"keyspace", "Keyspace", true, (*Server).infoKeyspace},
}

// infoSelection resolves INFO's arguments into the set of sections to print,
// as Redis's genInfoSectionDict does: no argument means the default
// sections, "default" adds them, "all" and "everything" select every
// section, other words name sections case-insensitively and unknown ones
// are ignored. "modules" is an alias of "module_list".
func infoSelection(args [][]byte) (selected map[string]bool, all bool) {
	selected = map[string]bool{}
	addDefaults := func() {
		for _, sec := range infoSections {
			if sec.dflt {
				selected[sec.name] = true
			}
		}
	}
	if len(args) == 0 {
		addDefaults()
		return selected, false
	}
	for _, a := range args {
		name := strings.ToLower(string(a))
		switch name {
		case "default":
			addDefaults()
		case "all", "everything":
			all = true
		case "modules":
			selected["module_list"] = true
		default:
			selected[name] = true
		}
	}
	return selected, all
}

// genInfo renders the INFO text for args. Holds mu.
func (s *Server) genInfo(args [][]byte) string {
	s.foldLoadRejectsLocked()
	selected, all := infoSelection(args)
	var b strings.Builder
	n := 0
	for _, sec := range infoSections {
		if !all && !selected[sec.name] {
			continue
		}
		if n > 0 {
			b.WriteString("\r\n")
		}
		n++
		b.WriteString("# ")
		b.WriteString(sec.title)
		b.WriteString("\r\n")
		for _, f := range sec.fields(s) {
			b.WriteString(f.key)
			b.WriteByte(':')
			b.WriteString(f.val)
			b.WriteString("\r\n")
		}
	}
	return b.String()
}

func infoInt(n int64) string { return strconv.FormatInt(n, 10) }

// infoFloat2 formats like C's "%.2f".
func infoFloat2(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// ---- server ------------------------------------------------------------------

func (s *Server) infoServer() []infoField {
	now := time.Now()
	uptime := int64(now.Sub(s.startTime) / time.Second)
	b := processFacts()
	f := []infoField{
		{"redis_version", Version},
		{"redis_git_sha1", b.gitSHA1},
		{"redis_git_dirty", b.gitDirty},
		{"redis_build_id", b.buildID},
		{"redis_mode", "standalone"},
		{"os", b.os},
		{"arch_bits", strconv.Itoa(strconv.IntSize)},
		{"monotonic_clock", b.monotonic},
		{"multiplexing_api", b.multiplexing},
		{"atomicvar_api", "sync-atomic"},
		// Redis prints 0.0.0 when it was not built by GCC.
		{"gcc_version", "0.0.0"},
		{"process_id", strconv.Itoa(os.Getpid())},
		{"process_supervised", s.supervised},
		{"run_id", s.runID},
		{"tcp_port", strconv.Itoa(s.cfg.Port)},
		{"server_time_usec", infoInt(now.UnixMicro())},
		{"uptime_in_seconds", infoInt(uptime)},
		{"uptime_in_days", infoInt(uptime / 86400)},
		{"hz", infoInt(s.hz.Load())},
		{"configured_hz", strconv.Itoa(s.cfg.Hz)},
		// Redis's LRU clock: seconds, wrapping at 24 bits.
		{"lru_clock", infoInt(now.UnixMilli() / 1000 & (1<<24 - 1))},
		{"executable", b.executable},
		{"config_file", s.cfg.Path()},
		{"io_threads_active", "0"},
	}
	if st := &s.shutdown; !st.deadline.IsZero() {
		f = append(f, infoField{"shutdown_in_milliseconds", infoInt(time.Until(st.deadline).Milliseconds())})
	}
	return append(f, infoField{"redoubt_version", RedoubtVersion})
}

// processInfo is what INFO server reports about the binary and the host,
// computed once.
type processInfo struct {
	gitSHA1, gitDirty, buildID  string
	os, monotonic, multiplexing string
	executable                  string
}

var processFacts = sync.OnceValue(func() processInfo {
	p := processInfo{gitSHA1: "00000000", gitDirty: "0", monotonic: "POSIX clock_gettime", multiplexing: "epoll"}
	h := fnv.New64a()
	h.Write([]byte(RedoubtVersion))
	h.Write([]byte(runtime.Version()))
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, st := range bi.Settings {
			switch st.Key {
			case "vcs.revision":
				if len(st.Value) >= 8 {
					p.gitSHA1 = st.Value[:8]
				}
				h.Write([]byte(st.Value))
			case "vcs.modified":
				if st.Value == "true" {
					p.gitDirty = "1"
				}
			}
		}
	}
	p.buildID = strconv.FormatUint(h.Sum64(), 16)
	switch runtime.GOOS {
	case "linux":
		p.os = "Linux"
	case "darwin":
		p.os, p.monotonic, p.multiplexing = "Darwin", "mach_absolute_time", "kqueue"
	case "freebsd", "netbsd", "openbsd", "dragonfly":
		p.os, p.multiplexing = strings.ToUpper(runtime.GOOS[:1])+runtime.GOOS[1:], "kqueue"
	default:
		p.os = runtime.GOOS
	}
	// Redis prints uname's sysname, release and machine.
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		p.os += " " + strings.TrimSpace(string(rel))
	}
	p.os += " " + unameMachine(runtime.GOARCH)
	if exe, err := os.Executable(); err == nil {
		p.executable = exe
	}
	return p
})

// unameMachine maps GOARCH to the name `uname -m` prints.
func unameMachine(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	case "arm":
		return "armv7l"
	}
	return goarch
}

// ---- clients -----------------------------------------------------------------

func (s *Server) infoClients() []infoField {
	blocked, inTimeoutTable := s.blockedCounts()
	return []infoField{
		{"connected_clients", strconv.Itoa(len(s.clients) - len(s.repl.replicas))},
		{"cluster_connections", "0"},
		{"maxclients", strconv.Itoa(s.cfg.Maxclients)},
		{"client_recent_max_input_buffer", infoInt(slices.Max(s.stats.peakIn[:]))},
		{"client_recent_max_output_buffer", infoInt(slices.Max(s.stats.peakOut[:]))},
		{"blocked_clients", strconv.Itoa(blocked)},
		{"tracking_clients", strconv.Itoa(s.tracking.clients)},
		{"clients_in_timeout_table", strconv.Itoa(inTimeoutTable)},
	}
}

// ---- memory ------------------------------------------------------------------

// memoryPeak is the highest used_memory measured. The Go heap belongs to
// the process, not to one Server, so the peak does too.
var memoryPeak atomic.Uint64

// memorySample is one reading of the process's memory.
type memorySample struct {
	used      uint64 // live heap objects plus goroutine stacks
	allocated uint64 // heap bytes in live objects
	active    uint64 // heap bytes in spans in use
	resident  uint64 // heap bytes obtained from the OS and not returned
	rss       uint64 // resident set size of the process
	peak      uint64
}

func readMemory() memorySample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memorySample{
		used:      ms.HeapAlloc + ms.StackInuse,
		allocated: ms.HeapAlloc,
		active:    ms.HeapInuse,
		resident:  ms.HeapSys - ms.HeapReleased,
	}
	m.rss = processRSS()
	if m.rss == 0 {
		m.rss = ms.Sys - ms.HeapReleased
	}
	for {
		p := memoryPeak.Load()
		if m.used <= p {
			m.peak = p
			break
		}
		if memoryPeak.CompareAndSwap(p, m.used) {
			m.peak = m.used
			break
		}
	}
	return m
}

// processRSS reads the resident set size from /proc/self/statm; 0 where
// there is no /proc.
func processRSS() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// totalSystemMemory is MemTotal from /proc/meminfo; 0 when unknown, as
// Redis prints it.
var totalSystemMemory = sync.OnceValue(func() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
})

// bytesToHuman is Redis's bytesToHuman: B, then K, M, G, T, P with two
// decimals.
func bytesToHuman(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	d := float64(n)
	for _, unit := range []string{"K", "M", "G", "T", "P"} {
		d /= 1024
		if d < 1024 {
			return infoFloat2(d) + unit
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}

// infoRatio is a/b, 0 when b is 0.
func infoRatio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (s *Server) infoMemory() []infoField {
	m := readMemory()
	bufs := s.clientBuffersLocked()
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	diff := func(a, b uint64) string { return infoInt(int64(a) - int64(b)) }
	// Redis's overhead covers its own structures; Redoubt does not break
	// the heap down, so all of used_memory counts as dataset.
	return []infoField{
		{"used_memory", u(m.used)},
		{"used_memory_human", bytesToHuman(m.used)},
		{"used_memory_rss", u(m.rss)},
		{"used_memory_rss_human", bytesToHuman(m.rss)},
		{"used_memory_peak", u(m.peak)},
		{"used_memory_peak_human", bytesToHuman(m.peak)},
		{"used_memory_peak_perc", infoFloat2(infoRatio(m.used, m.peak)*100) + "%"},
		{"used_memory_overhead", "0"},
		{"used_memory_startup", "0"},
		{"used_memory_dataset", u(m.used)},
		{"used_memory_dataset_perc", infoFloat2(infoRatio(m.used, m.used)*100) + "%"},
		{"allocator_allocated", u(m.allocated)},
		{"allocator_active", u(m.active)},
		{"allocator_resident", u(m.resident)},
		{"total_system_memory", u(totalSystemMemory())},
		{"total_system_memory_human", bytesToHuman(totalSystemMemory())},
		{"used_memory_lua", "0"},
		{"used_memory_vm_eval", "0"},
		{"used_memory_lua_human", "0B"},
		{"used_memory_scripts_eval", "0"},
		{"number_of_cached_scripts", "0"},
		{"number_of_functions", "0"},
		{"number_of_libraries", "0"},
		{"used_memory_vm_functions", "0"},
		{"used_memory_vm_total", "0"},
		{"used_memory_vm_total_human", "0B"},
		{"used_memory_functions", "0"},
		{"used_memory_scripts", "0"},
		{"used_memory_scripts_human", "0B"},
		{"maxmemory", "0"},
		{"maxmemory_human", "0B"},
		{"maxmemory_policy", "noeviction"},
		{"allocator_frag_ratio", infoFloat2(infoRatio(m.active, m.allocated))},
		{"allocator_frag_bytes", diff(m.active, m.allocated)},
		{"allocator_rss_ratio", infoFloat2(infoRatio(m.resident, m.active))},
		{"allocator_rss_bytes", diff(m.resident, m.active)},
		{"rss_overhead_ratio", infoFloat2(infoRatio(m.rss, m.resident))},
		{"rss_overhead_bytes", diff(m.rss, m.resident)},
		{"mem_fragmentation_ratio", infoFloat2(infoRatio(m.rss, m.used))},
		{"mem_fragmentation_bytes", diff(m.rss, m.used)},
		{"mem_not_counted_for_evict", "0"},
		{"mem_replication_backlog", infoInt(s.repl.backlogMem())},
		{"mem_total_replication_buffers", "0"},
		{"mem_clients_slaves", infoInt(bufs.replicaBytes)},
		{"mem_clients_normal", infoInt(bufs.clientBytes)},
		{"mem_cluster_links", "0"},
		{"mem_aof_buffer", "0"},
		{"mem_allocator", runtime.Version()},
		{"active_defrag_running", "0"},
		{"lazyfree_pending_objects", "0"},
		{"lazyfreed_objects", "0"},
	}
}

// ---- persistence -------------------------------------------------------------

func (s *Server) infoPersistence() []infoField {
	st := &s.save
	var done, total int64
	current := int64(-1)
	forkPerc := "0.00"
	if st.running {
		done, total = st.keysDone.Load(), st.keysTotal
		current = int64(time.Since(st.started).Seconds())
		if total > 0 {
			forkPerc = strconv.FormatFloat(float64(done)*100/float64(total), 'f', 2, 64)
		}
	}
	status := "ok"
	if !st.lastOK {
		status = "err"
	}
	var disk uint64
	if du, ok := s.store.(storage.DiskUser); ok {
		disk = du.DiskUsage()
	}
	writeStatus := "ok"
	if s.disk.full {
		writeStatus = "err"
	}
	fields := []infoField{
		{"loading", boolInfo(s.loading.Load())},
		{"async_loading", "0"},
		{"current_cow_peak", "0"},
		{"current_cow_size", "0"},
		{"current_cow_size_age", "0"},
		{"current_fork_perc", forkPerc},
		{"current_save_keys_processed", infoInt(done)},
		{"current_save_keys_total", infoInt(total)},
		{"rdb_changes_since_last_save", infoInt(s.ks.Changes())},
		{"rdb_bgsave_in_progress", boolInfo(st.running)},
		{"rdb_last_save_time", infoInt(s.lastSave)},
		{"rdb_last_bgsave_status", status},
		{"rdb_last_bgsave_time_sec", infoInt(st.lastSeconds)},
		{"rdb_current_bgsave_time_sec", infoInt(current)},
		{"rdb_saves", infoInt(st.saves)},
		{"rdb_last_cow_size", "0"},
		{"rdb_last_load_keys_expired", infoInt(s.lastLoadExpired)},
		{"rdb_last_load_keys_loaded", infoInt(s.lastLoadKeys)},
		{"aof_enabled", "1"},
		{"aof_rewrite_in_progress", "0"},
		{"aof_rewrite_scheduled", "0"},
		{"aof_last_rewrite_time_sec", "-1"},
		{"aof_current_rewrite_time_sec", "-1"},
		{"aof_last_bgrewrite_status", "ok"},
		{"aof_rewrites", "0"},
		{"aof_rewrites_consecutive_failures", "0"},
		{"aof_last_write_status", writeStatus},
		{"aof_last_cow_size", "0"},
		{"module_fork_in_progress", "0"},
		{"module_fork_last_cow_size", "0"},
		// Redis adds these while the AOF is on.
		{"aof_current_size", strconv.FormatUint(disk, 10)},
		{"aof_base_size", "0"},
		{"aof_pending_rewrite", "0"},
		{"aof_buffer_length", "0"},
		{"aof_pending_bio_fsync", "0"},
		{"aof_delayed_fsync", "0"},
	}
	if s.loading.Load() {
		fields = append(fields, s.infoLoading()...)
	}
	return append(fields, s.infoDisk()...)
}

// infoLoading is the progress of a replica's load, with Redis's fields
// and arithmetic (a 1 s ETA until a second has passed). Holds mu.
func (s *Server) infoLoading() []infoField {
	read, total := s.loadRead.Load(), s.loadTotal
	perc, remaining := 0.0, int64(1)
	if total > 0 {
		perc = float64(read) * 100 / float64(total)
		remaining = total - read
	}
	eta := int64(1)
	if elapsed := int64(time.Since(s.loadStart).Seconds()); elapsed > 0 {
		eta = elapsed * remaining / (read + 1)
	}
	return []infoField{
		{"loading_start_time", infoInt(s.loadStart.Unix())},
		{"loading_total_bytes", infoInt(total)},
		{"loading_rdb_used_mem", "0"},
		{"loading_loaded_bytes", infoInt(read)},
		{"loading_loaded_perc", strconv.FormatFloat(perc, 'f', 2, 64)},
		{"loading_eta_seconds", infoInt(eta)},
	}
}

// ---- stats -------------------------------------------------------------------

func (s *Server) infoStats() []infoField {
	st := &s.stats
	return []infoField{
		{"total_connections_received", infoInt(st.connections)},
		{"total_commands_processed", infoInt(st.commands)},
		{"instantaneous_ops_per_sec", infoInt(s.instantaneousOps())},
		{"total_net_input_bytes", infoInt(s.netIn.Load())},
		{"total_net_output_bytes", infoInt(s.netOut.Load())},
		{"total_net_repl_input_bytes", "0"},
		{"total_net_repl_output_bytes", infoInt(s.repl.netOut)},
		{"instantaneous_input_kbps", "0.00"},
		{"instantaneous_output_kbps", "0.00"},
		{"instantaneous_input_repl_kbps", "0.00"},
		{"instantaneous_output_repl_kbps", "0.00"},
		{"rejected_connections", infoInt(st.rejectedConns)},
		{"sync_full", infoInt(s.repl.syncFull)},
		{"sync_partial_ok", infoInt(s.repl.syncPartialOK)},
		{"sync_partial_err", infoInt(s.repl.syncPartialErr)},
		{"expired_keys", infoInt(st.expiredKeys)},
		{"expired_stale_perc", infoFloat2(float64(st.expiredStaleSamp))},
		{"expired_time_cap_reached_count", "0"},
		{"expire_cycle_cpu_milliseconds", "0"},
		{"evicted_keys", "0"},
		{"evicted_clients", "0"},
		{"total_eviction_exceeded_time", "0"},
		{"current_eviction_exceeded_time", "0"},
		{"keyspace_hits", infoInt(st.keyspaceHits)},
		{"keyspace_misses", infoInt(st.keyspaceMisses)},
		{"pubsub_channels", strconv.Itoa(len(s.pubsub.channels))},
		{"pubsub_patterns", strconv.Itoa(len(s.pubsub.patterns))},
		{"pubsubshard_channels", strconv.Itoa(len(s.pubsub.shard))},
		{"latest_fork_usec", "0"},
		{"total_forks", "0"},
		{"migrate_cached_sockets", "0"},
		{"slave_expires_tracked_keys", strconv.Itoa(len(s.ks.ownExpires))}, // a writable replica's own (expire.go)
		{"active_defrag_hits", "0"},
		{"active_defrag_misses", "0"},
		{"active_defrag_key_hits", "0"},
		{"active_defrag_key_misses", "0"},
		{"total_active_defrag_time", "0"},
		{"current_active_defrag_time", "0"},
		{"tracking_total_keys", strconv.Itoa(len(s.tracking.keys))},
		{"tracking_total_items", strconv.Itoa(s.tracking.items)},
		{"tracking_total_prefixes", strconv.Itoa(len(s.tracking.prefixes))},
		{"unexpected_error_replies", infoInt(st.unexpectedErrors)},
		{"total_error_replies", infoInt(st.errorReplies)},
		{"dump_payload_sanitizations", "0"},
		{"total_reads_processed", "0"},
		{"total_writes_processed", "0"},
		{"io_threaded_reads_processed", "0"},
		{"io_threaded_writes_processed", "0"},
		{"reply_buffer_shrinks", "0"},
		{"reply_buffer_expands", "0"},
		// Redis 7.2's ACL counters: 7.0 has none, and failed AUTH
		// attempts deserve counting.
		{"acl_access_denied_auth", infoInt(st.aclDenied.auth)},
		{"acl_access_denied_cmd", infoInt(st.aclDenied.cmd)},
		{"acl_access_denied_key", infoInt(st.aclDenied.key)},
		{"acl_access_denied_channel", infoInt(st.aclDenied.channel)},
	}
}

// ---- replication -------------------------------------------------------------

// nullReplID is replid2 when there is no previous history.
const nullReplID = "0000000000000000000000000000000000000000"

// ---- cpu ---------------------------------------------------------------------

// cpuTime formats a timeval as Redis does ("%ld.%06ld").
func cpuTime(tv syscall.Timeval) string {
	usec := int64(tv.Usec)
	return infoInt(int64(tv.Sec)) + "." + padMicros(usec)
}

func padMicros(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) < 6 {
		s = strings.Repeat("0", 6-len(s)) + s
	}
	return s
}

func (s *Server) infoCPU() []infoField {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	return []infoField{
		{"used_cpu_sys", cpuTime(self.Stime)},
		{"used_cpu_user", cpuTime(self.Utime)},
		{"used_cpu_sys_children", cpuTime(children.Stime)},
		{"used_cpu_user_children", cpuTime(children.Utime)},
		{"used_cpu_sys_main_thread", cpuTime(self.Stime)},
		{"used_cpu_user_main_thread", cpuTime(self.Utime)},
	}
}

// ---- commandstats, errorstats, keyspace --------------------------------------

// sortedCommands returns the table's top-level commands by name.
func (t *commandTable) sortedCommands() []*command {
	out := make([]*command, 0, len(t.byName))
	for _, c := range t.byName {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// walk calls f with every command by name, each followed by its
// subcommands by name (Redis has no deeper nesting): the order of COMMAND
// LIST, INFO commandstats and latencystats.
func (t *commandTable) walk(f func(*command)) {
	for _, c := range t.sortedCommands() {
		c.walk(f)
	}
}

// walk calls f with c, then with each of its subcommands by name.
func (c *command) walk(f func(*command)) {
	f(c)
	for _, sc := range c.sortedSubs() {
		f(sc)
	}
}

// sortedSubs returns a command's registered subcommands by name.
func (c *command) sortedSubs() []*command {
	out := make([]*command, 0, len(c.subs))
	for _, sc := range c.subs {
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// infoCommandstats lists every command that was called, failed or was
// rejected, each parent followed by its subcommands, as Redis does.
func (s *Server) infoCommandstats() []infoField {
	var out []infoField
	s.cmds.walk(func(c *command) {
		st := c.stats
		if st.calls != 0 || st.failed != 0 || st.rejected != 0 {
			perCall := 0.0
			if st.calls > 0 {
				perCall = float64(st.usec) / float64(st.calls)
			}
			out = append(out, infoField{"cmdstat_" + c.name,
				"calls=" + infoInt(st.calls) + ",usec=" + infoInt(st.usec) + ",usec_per_call=" + infoFloat2(perCall) +
					",rejected_calls=" + infoInt(st.rejected) + ",failed_calls=" + infoInt(st.failed)})
		}
	})
	return out
}

// infoErrorstats lists error counts by prefix in byte order (Redis keeps
// them in a radix tree).
func (s *Server) infoErrorstats() []infoField {
	names := make([]string, 0, len(s.stats.errors))
	for name := range s.stats.errors {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]infoField, 0, len(names))
	for _, name := range names {
		out = append(out, infoField{"errorstat_" + name, "count=" + infoInt(s.stats.errors[name])})
	}
	return out
}

// infoKeyspace lists non-empty databases. avg_ttl is 0: Redis estimates it
// by sampling; Redoubt does not keep the estimate.
func (s *Server) infoKeyspace() []infoField {
	var out []infoField
	for db := 0; db < s.ks.Databases(); db++ {
		keys := s.ks.DBSize(db)
		if keys == 0 {
			continue
		}
		out = append(out, infoField{"db" + strconv.Itoa(db),
			"keys=" + infoInt(keys) + ",expires=" + infoInt(s.ks.Expires(db)) + ",avg_ttl=0"})
	}
	return out
}

// boolInfo prints a flag as INFO does.
func boolInfo(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
