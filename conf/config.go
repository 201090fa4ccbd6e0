package conf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Values of Appendfsync.
const (
	FsyncAlways   = "always"
	FsyncEverysec = "everysec"
	FsyncNo       = "no"
)

// Values of AclPubsubDefault.
const (
	AclAllChannels   = "allchannels"
	AclResetChannels = "resetchannels"
)

// Values of Loglevel, quietest last.
const (
	LogDebug   = "debug"
	LogVerbose = "verbose"
	LogNotice  = "notice"
	LogWarning = "warning"
)

// Config is the configuration of a Redoubt server. Keys carry Redis 7.0's
// names and, unless a comment says otherwise, Redis 7.0's defaults, bounds
// and CONFIG GET formatting. "Runtime" marks what CONFIG SET may change.
//
// A Config is a plain value with no lock: the server owns it and must not
// call Set or Rewrite while other goroutines read it. Clone gives a copy to
// hand to another goroutine.
type Config struct {
	// Network.

	// Bind is the space-separated list of addresses to listen on. A leading
	// "-" marks an address whose failure to bind is not fatal, "*" is every
	// IPv4 address and "::*" every IPv6 one; "" means "* -::*". Redis
	// listens everywhere by default; Redoubt only on loopback. Redis 7.0 can
	// rebind at runtime; Redoubt cannot yet.
	Bind string `toml:"bind"`
	// Port is the TCP port, 0 for none. Not runtime in Redoubt (it is in Redis 7.0).
	Port int `toml:"port"`
	// Unixsocket is the path of a Unix socket to listen on as well (or
	// alone, with port 0); "" for none. A stale socket file there is
	// replaced; anything else at the path (a file, a directory, a socket a
	// live server answers on) stops the start-up instead.
	Unixsocket string `toml:"unixsocket"`
	// Unixsocketperm is the Unix socket's file mode, octal as in Redis
	// ("700"); 0 leaves what the umask gives.
	Unixsocketperm FileMode `toml:"unixsocketperm"`
	// TCPBacklog is the listen(2) backlog.
	TCPBacklog int `toml:"tcp-backlog"`
	// Timeout closes a client idle for that many seconds; 0 never does. Runtime.
	Timeout int `toml:"timeout"`
	// TCPKeepalive is the SO_KEEPALIVE interval in seconds; 0 disables. Runtime.
	TCPKeepalive int `toml:"tcp-keepalive"`
	// Maxclients caps connected clients. Runtime.
	Maxclients int `toml:"maxclients"`
	// IOThreads is the number of event loops (Redis: I/O threads), 1..128.
	IOThreads int `toml:"io-threads"`

	// General.

	// Daemonize exists for compatibility and must be false: Redoubt runs in
	// the foreground under a service manager.
	Daemonize bool `toml:"daemonize"`
	// Supervised tells a service manager when the server is ready and when
	// it stops: "systemd" (sd_notify to $NOTIFY_SOCKET: READY=1,
	// STOPPING=1, STATUS=...), "upstart" (SIGSTOP once started), "auto"
	// (whichever the environment names), or "no".
	Supervised string `toml:"supervised"`
	// OOMScoreAdj lets the server set its own Linux OOM-killer score
	// (/proc/self/oom_score_adj) from OOMScoreAdjValues, for its role:
	// "no", "yes" or "relative" (added to the score it started with), or
	// "absolute". Runtime.
	OOMScoreAdj string `toml:"oom-score-adj"`
	// OOMScoreAdjValues are the scores for a primary, a replica and (in
	// Redis) a forked child, each -2000..2000. Redoubt forks no child: the
	// third is kept for compatibility and unused. Runtime.
	OOMScoreAdjValues OOMScoreValues `toml:"oom-score-adj-values"`
	// Pidfile is where to write the process id; "" writes none.
	Pidfile string `toml:"pidfile"`
	// Loglevel is one of debug, verbose, notice, warning. Runtime.
	Loglevel string `toml:"loglevel"`
	// Logfile is the log file; "" logs to standard output.
	Logfile string `toml:"logfile"`
	// Databases is the number of logical databases (SELECT 0..n-1), at most
	// 65536 in Redoubt.
	Databases int `toml:"databases"`
	// Hz is how many times a second background tasks run (active expiry,
	// idle clients). Like Redis, any value is accepted and clamped to 1..500. Runtime.
	Hz int `toml:"hz"`
	// ActiveExpireEffort (1..10) trades CPU for faster reclaiming of
	// expired keys. Runtime.
	ActiveExpireEffort int `toml:"active-expire-effort"`

	// Security.

	// Requirepass is the default user's password; "" allows every client. Runtime.
	Requirepass string `toml:"requirepass"`
	// ProtectedMode refuses clients from other hosts than loopback while
	// the default user has no password. Runtime.
	ProtectedMode bool `toml:"protected-mode"`
	// Aclfile is the ACL file: loaded at start-up (a missing or bad file
	// stops the server, as in Redis), read again by ACL LOAD and written
	// by ACL SAVE. "" for none. It cannot be combined with User.
	Aclfile string `toml:"aclfile"`
	// AcllogMaxLen is how many entries ACL LOG keeps. Runtime.
	AcllogMaxLen int `toml:"acllog-max-len"`
	// AclPubsubDefault is the channel permission new users start with:
	// "resetchannels" (none) or "allchannels". Runtime.
	AclPubsubDefault string `toml:"acl-pubsub-default"`
	// User declares ACL users, one entry per user in the grammar of
	// redis.conf's "user" directive without the word "user": a name,
	// then rules, split like redis.conf lines (see acl.SplitArgs), e.g.
	// "alice on >secret ~app:* +@read". Like Redis, CONFIG GET and CONFIG
	// SET do not know it; CONFIG REWRITE writes the current users back
	// when there is no Aclfile.
	User []string `toml:"user"`

	// userOrigin says where each User entry came from, for errors.
	userOrigin []origin
	// RenameCommand renames or removes commands at start-up (Redis's
	// rename-command; see rename.go): TOML table rename-command, flag
	// --rename-command OLD NEW. Like Redis, CONFIG GET and CONFIG SET do
	// not know it; CONFIG REWRITE leaves it as written.
	RenameCommand []CommandRename `toml:"-"`
	renameOrigin  []origin

	// Limits.

	// ProtoMaxBulkLen is the largest bulk string a client may send, at least 1mb. Runtime.
	ProtoMaxBulkLen Size `toml:"proto-max-bulk-len"`
	// ClientQueryBufferLimit caps a client's unparsed input, at least 1mb. Runtime.
	ClientQueryBufferLimit Size `toml:"client-query-buffer-limit"`
	// ClientOutputBufferLimit caps each client class's pending output. Runtime.
	ClientOutputBufferLimit OutputLimits `toml:"client-output-buffer-limit"`

	// Slow log.

	// SlowlogLogSlowerThan logs commands slower than that many microseconds;
	// 0 logs every command, -1 none. Runtime.
	SlowlogLogSlowerThan int `toml:"slowlog-log-slower-than"`
	// SlowlogMaxLen is how many slow-log entries are kept. Runtime.
	SlowlogMaxLen int `toml:"slowlog-max-len"`
	// EnableDebugCommand allows DEBUG: no, yes, or local (from loopback
	// connections only), as Redis's enable-debug-command.
	EnableDebugCommand string `toml:"enable-debug-command"`
	// LatencyTracking keeps a latency histogram per command, for LATENCY
	// HISTOGRAM and INFO latencystats. Runtime.
	LatencyTracking bool `toml:"latency-tracking"`
	// LatencyMonitorThreshold records, for LATENCY LATEST/HISTORY/DOCTOR/
	// GRAPH, every event (a command, an expiry cycle, a sync under
	// appendfsync always) that took at least that many milliseconds; 0 is
	// off. Runtime.
	LatencyMonitorThreshold int `toml:"latency-monitor-threshold"`
	// LatencyTrackingInfoPercentiles are the percentiles INFO latencystats
	// reports, each in [0, 100]. Runtime.
	LatencyTrackingInfoPercentiles Percentiles `toml:"latency-tracking-info-percentiles"`

	// Client-side caching.

	// TrackingTableMaxKeys bounds the keys CLIENT TRACKING remembers for
	// its clients; past it, keys are forgotten at random and their
	// clients told to drop them. 0 is no limit. Runtime.
	TrackingTableMaxKeys int `toml:"tracking-table-max-keys"`

	// Keyspace notifications.

	// NotifyKeyspaceEvents selects the keyspace notifications published
	// over Pub/Sub, in Redis's flag letters (K E g $ l s h z x e t m d n A);
	// "" publishes none. Runtime.
	NotifyKeyspaceEvents KeyspaceEvents `toml:"notify-keyspace-events"`

	// Data types. Redoubt keeps every collection in the same on-disk form;
	// these Redis thresholds decide what OBJECT ENCODING reports.

	// HashMaxListpackEntries: hashes up to this many fields report listpack
	// (alias hash-max-ziplist-entries). Runtime.
	HashMaxListpackEntries int `toml:"hash-max-listpack-entries"`
	// HashMaxListpackValue: ... and no field or value longer than this
	// (alias hash-max-ziplist-value). Runtime.
	HashMaxListpackValue Size `toml:"hash-max-listpack-value"`
	// SetMaxIntsetEntries: sets of integers up to this size report intset.
	// Runtime.
	SetMaxIntsetEntries int `toml:"set-max-intset-entries"`
	// ZsetMaxListpackEntries: sorted sets up to this many members report
	// listpack (alias zset-max-ziplist-entries). Runtime.
	ZsetMaxListpackEntries int `toml:"zset-max-listpack-entries"`
	// ZsetMaxListpackValue: ... and no member longer than this (alias
	// zset-max-ziplist-value). Runtime.
	ZsetMaxListpackValue Size `toml:"zset-max-listpack-value"`
	// ListMaxListpackSize is accepted for compatibility (alias
	// list-max-ziplist-size); Redis 7.0 reports every list as quicklist.
	// Runtime.
	ListMaxListpackSize int `toml:"list-max-listpack-size"`
	// ListCompressDepth is accepted for compatibility; lists are compressed
	// by the store's block compression instead. Runtime.
	ListCompressDepth int `toml:"list-compress-depth"`
	// HllSparseMaxBytes: a HyperLogLog in the sparse encoding turns dense
	// when it would grow past this many bytes (header included). Runtime.
	HllSparseMaxBytes Size `toml:"hll-sparse-max-bytes"`

	// Persistence.

	// Dir holds the store and the RDB snapshots. Relative paths are relative
	// to the working directory at start-up; the server then works in it,
	// as Redis does, so relative aclfile, logfile and pidfile paths name
	// files in it. Redis 7.0 treats it as a protected config, so CONFIG
	// SET refuses it.
	Dir string `toml:"dir"`
	// Appendonly exists for compatibility and must be true: every write goes
	// to the store's write-ahead log. CONFIG SET appendonly yes is accepted.
	Appendonly bool `toml:"appendonly"`
	// Appendfsync is when the write-ahead log is synced: always (before the
	// reply), everysec, or no (left to the OS). Runtime.
	Appendfsync string `toml:"appendfsync"`
	// Save lists the automatic snapshot rules; empty disables them. Runtime.
	Save SavePoints `toml:"save"`
	// StopWritesOnBgsaveError refuses writes (MISCONF) while the last
	// background save failed and save rules are set, as Redis does.
	// Runtime.
	StopWritesOnBgsaveError bool `toml:"stop-writes-on-bgsave-error"`
	// Dbfilename is the RDB snapshot's file name inside Dir. Protected in
	// Redis 7.0, so CONFIG SET refuses it.
	Dbfilename string `toml:"dbfilename"`
	// Rdbcompression compresses strings in RDB snapshots with LZF. Runtime.
	Rdbcompression bool `toml:"rdbcompression"`
	// Rdbchecksum appends a CRC64 to RDB snapshots.
	Rdbchecksum bool `toml:"rdbchecksum"`

	// Replication.

	// Replicaof is the primary to replicate from (alias slaveof). Change it
	// at runtime with REPLICAOF, not CONFIG SET, as in Redis.
	Replicaof ReplicaOf `toml:"replicaof"`
	// Masterauth is the password to authenticate to the primary. Runtime.
	Masterauth string `toml:"masterauth"`
	// Masteruser is the ACL user to authenticate to the primary as. Runtime.
	Masteruser string `toml:"masteruser"`
	// ReplicaPriority ranks replicas for promotion by sentinels, lower first;
	// 0 never promotes (alias slave-priority). Runtime.
	ReplicaPriority int `toml:"replica-priority"`
	// ReplicaReadOnly refuses writes from clients on a replica (alias
	// slave-read-only). Runtime.
	ReplicaReadOnly bool `toml:"replica-read-only"`
	// ReplicaAnnounced lets sentinels report this replica. Runtime.
	ReplicaAnnounced bool `toml:"replica-announced"`
	// ReplicaServeStaleData lets a replica whose link to its primary is
	// down (or still syncing) answer clients from the data it has; when
	// false, commands other than INFO, ROLE, CONFIG, REPLICAOF and a few
	// more get -MASTERDOWN (alias slave-serve-stale-data). Runtime.
	ReplicaServeStaleData bool `toml:"replica-serve-stale-data"`
	// ReplicaAnnounceIP is the address a replica tells its primary to
	// report it at (REPLCONF ip-address), for NAT and port forwarding;
	// empty reports the address the primary sees (alias
	// slave-announce-ip). Runtime, from the next handshake.
	ReplicaAnnounceIP string `toml:"replica-announce-ip"`
	// ReplicaAnnouncePort is the port a replica tells its primary to
	// report it at (REPLCONF listening-port); 0 reports port (alias
	// slave-announce-port). Runtime, from the next handshake.
	ReplicaAnnouncePort int `toml:"replica-announce-port"`
	// ReplBacklogSize is the replication backlog; as in Redis, smaller values
	// are raised to 16kb. Runtime.
	ReplBacklogSize Size `toml:"repl-backlog-size"`
	// ReplBacklogTTL frees the backlog of a primary that has had no
	// replica for that many seconds; 0 never frees it. Runtime.
	ReplBacklogTTL int `toml:"repl-backlog-ttl"`
	// ReplTimeout is the replication link timeout in seconds. Runtime.
	ReplTimeout int `toml:"repl-timeout"`
	// ReplPingReplicaPeriod is how often, in seconds, a primary PINGs its
	// replicas through the stream (alias repl-ping-slave-period). Runtime.
	ReplPingReplicaPeriod int `toml:"repl-ping-replica-period"`
	// ReplDisklessSync streams full syncs straight to replicas that can
	// take it (EOF framing) instead of through a file. Runtime.
	ReplDisklessSync bool `toml:"repl-diskless-sync"`
	// ReplDisklessSyncDelay is how many seconds a diskless full sync waits
	// before it starts. Runtime.
	ReplDisklessSyncDelay int `toml:"repl-diskless-sync-delay"`
	// ReplDisklessSyncMaxReplicas starts a delayed diskless sync as soon
	// as this many replicas wait for one; 0 waits the whole delay.
	// Runtime.
	ReplDisklessSyncMaxReplicas int `toml:"repl-diskless-sync-max-replicas"`
	// MinReplicasToWrite refuses writes unless that many replicas lag at
	// most MinReplicasMaxLag seconds; 0 disables (alias
	// min-slaves-to-write). Runtime.
	MinReplicasToWrite int `toml:"min-replicas-to-write"`
	// MinReplicasMaxLag is the lag, in seconds, for MinReplicasToWrite
	// (alias min-slaves-max-lag). Runtime.
	MinReplicasMaxLag int `toml:"min-replicas-max-lag"`

	// Shutdown.

	// ShutdownTimeout is how long, in seconds, a primary shutting down
	// waits for lagging replicas to catch up, with writes paused; 0 does
	// not wait. Runtime.
	ShutdownTimeout int `toml:"shutdown-timeout"`
	// ShutdownOnSigint and ShutdownOnSigterm are what SIGINT and SIGTERM
	// do: "default", or any of save, nosave, now, force (SHUTDOWN's
	// modifiers). Runtime.
	ShutdownOnSigint  ShutdownFlags `toml:"shutdown-on-sigint"`
	ShutdownOnSigterm ShutdownFlags `toml:"shutdown-on-sigterm"`

	// Storage: Redoubt's own keys, not Redis's.

	// BlockCacheSize is Pebble's block cache, to which Pebble also charges
	// its memtables: it is made two MemtableSize bigger for them. 0
	// disables it.
	BlockCacheSize Size `toml:"block-cache-size"`
	// MemtableSize is Pebble's memtable size, 1mb up to just under 4gb.
	MemtableSize Size `toml:"memtable-size"`
	// BloomBitsPerKey sizes Pebble's bloom filters; 0 disables them.
	BloomBitsPerKey int `toml:"bloom-bits-per-key"`
	// ValueSeparationMinSize: values of at least this size are kept in
	// Pebble's blob files, out of the way of compactions; 0 keeps every
	// value in the sstables.
	ValueSeparationMinSize Size `toml:"value-separation-min-size"`
	// RowCacheSize bounds the keyspace's cache of hot key records (their
	// type, expiry and, for strings, value), which spares reads of hot keys
	// a Pebble lookup, and (an eighth of it more) of runs of list elements
	// at the ends lists are read from; 0 disables both.
	RowCacheSize Size `toml:"row-cache-size"`
	// DiskReserve is the free space below which writes are refused
	// (MISCONF), and the size of the emergency ballast file kept in the
	// keyspace directory; 0 disables both. Runtime.
	DiskReserve Size `toml:"disk-reserve"`

	// path is the absolute path of the file the config was loaded from.
	path string
}

// Default returns the defaults: Redis 7.0's, except bind (loopback only),
// dir, appendonly (always on) and Redoubt's storage keys.
func Default() *Config {
	return &Config{
		Bind:         "127.0.0.1",
		Port:         6379,
		TCPBacklog:   511,
		Timeout:      0,
		TCPKeepalive: 300,
		Maxclients:   10000,
		IOThreads:    1,

		Daemonize:          false,
		Supervised:         "no",
		OOMScoreAdj:        "no",
		OOMScoreAdjValues:  OOMScoreValues{0, 200, 800},
		Pidfile:            "",
		Loglevel:           LogNotice,
		Logfile:            "",
		Databases:          16,
		Hz:                 10,
		ActiveExpireEffort: 1,

		Requirepass:      "",
		ProtectedMode:    true,
		Aclfile:          "",
		AcllogMaxLen:     128,
		AclPubsubDefault: AclResetChannels,

		TrackingTableMaxKeys: 1000000,

		ProtoMaxBulkLen:        512 * MB,
		ClientQueryBufferLimit: 1 * GB,
		ClientOutputBufferLimit: OutputLimits{
			Normal:  OutputLimit{Hard: 0, Soft: 0, SoftSeconds: 0},
			Replica: OutputLimit{Hard: 256 * MB, Soft: 64 * MB, SoftSeconds: 60},
			Pubsub:  OutputLimit{Hard: 32 * MB, Soft: 8 * MB, SoftSeconds: 60},
		},

		SlowlogLogSlowerThan:           10000,
		SlowlogMaxLen:                  128,
		LatencyTracking:                true,
		EnableDebugCommand:             "no",
		LatencyTrackingInfoPercentiles: Percentiles{50, 99, 99.9},

		HashMaxListpackEntries: 512,
		HashMaxListpackValue:   64,
		SetMaxIntsetEntries:    512,
		ZsetMaxListpackEntries: 128,
		ZsetMaxListpackValue:   64,
		ListMaxListpackSize:    -2,
		ListCompressDepth:      0,
		HllSparseMaxBytes:      3000,

		Dir:                     "./data",
		Appendonly:              true,
		Appendfsync:             FsyncEverysec,
		Save:                    SavePoints{{3600, 1}, {300, 100}, {60, 10000}},
		Dbfilename:              "dump.rdb",
		Rdbcompression:          true,
		StopWritesOnBgsaveError: true,
		Rdbchecksum:             true,

		Replicaof:             ReplicaOf{},
		Masterauth:            "",
		Masteruser:            "",
		ReplicaPriority:       100,
		ReplicaReadOnly:       true,
		ReplicaAnnounced:      true,
		ReplicaServeStaleData: true,
		ReplBacklogSize:       1 * MB,
		ReplBacklogTTL:        3600,
		ReplTimeout:           60,
		ReplPingReplicaPeriod: 10,
		ReplDisklessSync:      true,
		ReplDisklessSyncDelay: 5,
		MinReplicasToWrite:    0,
		MinReplicasMaxLag:     10,

		ShutdownTimeout: 10,

		BlockCacheSize:  256 * MB,
		MemtableSize:    64 * MB,
		BloomBitsPerKey: 10,

		ValueSeparationMinSize: 4 * KB,
		RowCacheSize:           16 * MB,
		DiskReserve:            256 * MB,
	}
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	d := *c
	d.Save = c.Save.clone()
	d.User = append([]string(nil), c.User...)
	d.userOrigin = append([]origin(nil), c.userOrigin...)
	d.RenameCommand = append([]CommandRename(nil), c.RenameCommand...)
	d.renameOrigin = append([]origin(nil), c.renameOrigin...)
	return &d
}

// Path returns the absolute path of the file the config was loaded from, ""
// if none.
func (c *Config) Path() string { return c.path }

// BindAddrs returns the addresses to listen on, Redis's "* -::*" when Bind
// is empty. A leading "-" marks an optional address.
func (c *Config) BindAddrs() []string {
	if addrs := strings.Fields(c.Bind); len(addrs) > 0 {
		return addrs
	}
	return []string{"*", "-::*"}
}

// Validate checks every value against its bounds. Load and ApplyFlags
// already check what they set; Validate is for configs built or changed in
// Go. Each error names the key: `key "port": must be between 0 and 65535`.
func (c *Config) Validate() error {
	var errs []error
	for _, p := range params {
		if prob := p.check(c); prob != nil {
			errs = append(errs, &keyError{key: p.name, msg: prob.plain})
		}
	}
	if err := c.checkUsers(); err != nil {
		errs = append(errs, err)
	}
	if err := c.checkRenames(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// keyError is a bad value of one key, from a file (file and line set) or
// from Validate.
type keyError struct {
	file string
	line int
	key  string
	msg  string // complete when key is "", else said about key
}

func (e *keyError) Error() string {
	var b strings.Builder
	if e.file != "" {
		b.WriteString(e.file)
		if e.line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.line))
		}
		b.WriteString(": ")
	}
	if e.key != "" {
		fmt.Fprintf(&b, "key %q: ", e.key)
	}
	b.WriteString(e.msg)
	return b.String()
}

// Percentiles is a list of percentiles, written space-separated.
type Percentiles []float64

func (p Percentiles) String() string {
	parts := make([]string, len(p))
	for i, v := range p {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(parts, " ")
}

// MarshalText writes the list as TOML's string form of it.
func (p Percentiles) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// parsePercentiles reads latency-tracking-info-percentiles, with Redis's
// errors.
func parsePercentiles(args []string) (Percentiles, *problem) {
	p := Percentiles{}
	for _, a := range args {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil {
			v = math.NaN()
		}
		if prob := percentileProblem(v); prob != nil {
			return nil, prob
		}
		p = append(p, v)
	}
	return p, nil
}

func (p Percentiles) check() *problem {
	for _, v := range p {
		if prob := percentileProblem(v); prob != nil {
			return prob
		}
	}
	return nil
}

// percentileProblem is what Redis says of v as a percentile (NaN: not a
// number).
func percentileProblem(v float64) *problem {
	if math.IsNaN(v) {
		return problemText("Invalid latency-tracking-info-percentiles parameters")
	}
	if v < 0 || v > 100 {
		return problemText("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
	}
	return nil
}
