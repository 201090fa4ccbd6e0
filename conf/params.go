package conf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	maxInt32 = math.MaxInt32
	maxInt64 = math.MaxInt64
)

// params is the parameter table. The file loader, the command-line flags,
// CONFIG GET, CONFIG SET, CONFIG REWRITE and Validate all read it, so a
// parameter behaves the same everywhere. Order is the order of the example
// file and of keys that Rewrite appends. Bounds are Redis 7.0's unless the
// comment says otherwise.
var params = []*param{
	// Network. Redis 7.0 can change bind and port at runtime; Redoubt
	// cannot rebind yet.
	bindParam(),
	intParam("port", 0, 0, 65535, func(c *Config) *int { return &c.Port }),
	stringParam("unixsocket", 0, func(c *Config) *string { return &c.Unixsocket }, nil),
	modeParam("unixsocketperm", 0, 0, 0o777, func(c *Config) *FileMode { return &c.Unixsocketperm }),
	intParam("tcp-backlog", 0, 0, maxInt32, func(c *Config) *int { return &c.TCPBacklog }),
	intParam("timeout", mutable, 0, maxInt32, func(c *Config) *int { return &c.Timeout }),
	intParam("tcp-keepalive", mutable, 0, maxInt32, func(c *Config) *int { return &c.TCPKeepalive }),
	intParam("maxclients", mutable, 1, math.MaxUint32, func(c *Config) *int { return &c.Maxclients }),
	intParam("io-threads", 0, 1, 128, func(c *Config) *int { return &c.IOThreads }),

	// General.
	requireBool(boolParam("daemonize", 0, func(c *Config) *bool { return &c.Daemonize }), false,
		"Redoubt does not daemonize; run it in the foreground under a service manager"),
	enumParam("supervised", 0, []string{"upstart", "systemd", "auto", "no"}, func(c *Config) *string { return &c.Supervised }),
	enumParam("oom-score-adj", mutable, []string{"no", "yes", "relative", "absolute"}, func(c *Config) *string { return &c.OOMScoreAdj }),
	listParam("oom-score-adj-values", mutable, func(c *Config) *OOMScoreValues { return &c.OOMScoreAdjValues }, parseOOMScoreValues),
	stringParam("pidfile", 0, func(c *Config) *string { return &c.Pidfile }, nil),
	enumParam("loglevel", mutable, []string{LogDebug, LogVerbose, LogNotice, LogWarning}, func(c *Config) *string { return &c.Loglevel }),
	stringParam("logfile", 0, func(c *Config) *string { return &c.Logfile }, nil),
	// Redis allows up to INT_MAX databases; Redoubt keeps the index in 16 bits.
	intParam("databases", 0, 1, 65536, func(c *Config) *int { return &c.Databases }),
	// Redis takes any hz and clamps it to 1..500.
	clamp(intParam("hz", mutable, 0, maxInt32, func(c *Config) *int { return &c.Hz }),
		func(c *Config) *int { return &c.Hz }, 1, 500),
	intParam("active-expire-effort", mutable, 1, 10, func(c *Config) *int { return &c.ActiveExpireEffort }),

	// Security.
	stringParam("requirepass", mutable|sensitive, func(c *Config) *string { return &c.Requirepass }, nil),
	boolParam("protected-mode", mutable, func(c *Config) *bool { return &c.ProtectedMode }),
	stringParam("aclfile", 0, func(c *Config) *string { return &c.Aclfile }, nil),
	intParam("acllog-max-len", mutable, 0, maxInt64, func(c *Config) *int { return &c.AcllogMaxLen }),
	enumParam("acl-pubsub-default", mutable, []string{AclAllChannels, AclResetChannels}, func(c *Config) *string { return &c.AclPubsubDefault }),

	// Limits.
	sizeParam("proto-max-bulk-len", mutable, int64(MB), maxInt64, func(c *Config) *Size { return &c.ProtoMaxBulkLen }),
	sizeParam("client-query-buffer-limit", mutable, int64(MB), maxInt64, func(c *Config) *Size { return &c.ClientQueryBufferLimit }),
	outputLimitParam(),

	// Slow log.
	intParam("slowlog-log-slower-than", mutable, -1, maxInt64, func(c *Config) *int { return &c.SlowlogLogSlowerThan }),
	intParam("slowlog-max-len", mutable, 0, maxInt64, func(c *Config) *int { return &c.SlowlogMaxLen }),
	boolParam("latency-tracking", mutable, func(c *Config) *bool { return &c.LatencyTracking }),
	intParam("latency-monitor-threshold", mutable, 0, maxInt64, func(c *Config) *int { return &c.LatencyMonitorThreshold }),
	enumParam("enable-debug-command", 0, []string{"no", "yes", "local"}, func(c *Config) *string { return &c.EnableDebugCommand }),
	listParam("latency-tracking-info-percentiles", mutable, func(c *Config) *Percentiles { return &c.LatencyTrackingInfoPercentiles }, parsePercentiles),

	// Client-side caching.
	intParam("tracking-table-max-keys", mutable, 0, maxInt64, func(c *Config) *int { return &c.TrackingTableMaxKeys }),

	// Keyspace notifications.
	notifyParam(),

	// Data types: the sizes up to which Redis keeps a collection in a compact
	// encoding. Redoubt stores every collection the same way on disk; it
	// tracks these thresholds so OBJECT ENCODING answers what Redis would.
	intParam("hash-max-listpack-entries", mutable, 0, maxInt64, func(c *Config) *int { return &c.HashMaxListpackEntries }).alias("hash-max-ziplist-entries"),
	sizeParam("hash-max-listpack-value", mutable, 0, maxInt64, func(c *Config) *Size { return &c.HashMaxListpackValue }).alias("hash-max-ziplist-value"),
	intParam("set-max-intset-entries", mutable, 0, maxInt64, func(c *Config) *int { return &c.SetMaxIntsetEntries }),
	intParam("zset-max-listpack-entries", mutable, 0, maxInt64, func(c *Config) *int { return &c.ZsetMaxListpackEntries }).alias("zset-max-ziplist-entries"),
	sizeParam("zset-max-listpack-value", mutable, 0, maxInt64, func(c *Config) *Size { return &c.ZsetMaxListpackValue }).alias("zset-max-ziplist-value"),
	intParam("list-max-listpack-size", mutable, math.MinInt32, maxInt32, func(c *Config) *int { return &c.ListMaxListpackSize }).alias("list-max-ziplist-size"),
	intParam("list-compress-depth", mutable, 0, maxInt32, func(c *Config) *int { return &c.ListCompressDepth }),
	sizeParam("hll-sparse-max-bytes", mutable, 0, maxInt64, func(c *Config) *Size { return &c.HllSparseMaxBytes }),

	// Persistence. dir and dbfilename are protected configs in Redis 7.0:
	// CONFIG SET refuses them unless enable-protected-configs allows it,
	// which Redoubt never does.
	stringParam("dir", protected, func(c *Config) *string { return &c.Dir }, nonEmpty),
	requireBool(boolParam("appendonly", mutable, func(c *Config) *bool { return &c.Appendonly }), true,
		"Redoubt always persists the keyspace to its write-ahead log; appendonly cannot be 'no'"),
	enumParam("appendfsync", mutable, []string{FsyncEverysec, FsyncAlways, FsyncNo}, func(c *Config) *string { return &c.Appendfsync }),
	saveParam(),
	boolParam("stop-writes-on-bgsave-error", mutable, func(c *Config) *bool { return &c.StopWritesOnBgsaveError }),
	stringParam("dbfilename", protected, func(c *Config) *string { return &c.Dbfilename }, baseName),
	boolParam("rdbcompression", mutable, func(c *Config) *bool { return &c.Rdbcompression }),
	boolParam("rdbchecksum", 0, func(c *Config) *bool { return &c.Rdbchecksum }),

	// Replication.
	replicaOfParam(),
	stringParam("masterauth", mutable|sensitive, func(c *Config) *string { return &c.Masterauth }, nil),
	stringParam("masteruser", mutable|sensitive, func(c *Config) *string { return &c.Masteruser }, nil),
	intParam("replica-priority", mutable, 0, maxInt32, func(c *Config) *int { return &c.ReplicaPriority }).alias("slave-priority"),
	boolParam("replica-read-only", mutable, func(c *Config) *bool { return &c.ReplicaReadOnly }).alias("slave-read-only"),
	boolParam("replica-announced", mutable, func(c *Config) *bool { return &c.ReplicaAnnounced }),
	boolParam("replica-serve-stale-data", mutable, func(c *Config) *bool { return &c.ReplicaServeStaleData }).alias("slave-serve-stale-data"),
	stringParam("replica-announce-ip", mutable, func(c *Config) *string { return &c.ReplicaAnnounceIP }, nil).alias("slave-announce-ip"),
	intParam("replica-announce-port", mutable, 0, 65535, func(c *Config) *int { return &c.ReplicaAnnouncePort }).alias("slave-announce-port"),
	// Redis raises a smaller backlog to 16kb when it applies it.
	clamp(sizeParam("repl-backlog-size", mutable, 1, maxInt64, func(c *Config) *Size { return &c.ReplBacklogSize }),
		func(c *Config) *Size { return &c.ReplBacklogSize }, 16*KB, Size(maxInt64)),
	intParam("repl-backlog-ttl", mutable, 0, maxInt32, func(c *Config) *int { return &c.ReplBacklogTTL }),
	intParam("repl-timeout", mutable, 1, maxInt32, func(c *Config) *int { return &c.ReplTimeout }),
	intParam("repl-ping-replica-period", mutable, 1, maxInt32, func(c *Config) *int { return &c.ReplPingReplicaPeriod }).alias("repl-ping-slave-period"),
	boolParam("repl-diskless-sync", mutable, func(c *Config) *bool { return &c.ReplDisklessSync }),
	intParam("repl-diskless-sync-delay", mutable, 0, maxInt32, func(c *Config) *int { return &c.ReplDisklessSyncDelay }),
	intParam("repl-diskless-sync-max-replicas", mutable, 0, maxInt32, func(c *Config) *int { return &c.ReplDisklessSyncMaxReplicas }),
	intParam("min-replicas-to-write", mutable, 0, maxInt32, func(c *Config) *int { return &c.MinReplicasToWrite }).alias("min-slaves-to-write"),
	intParam("min-replicas-max-lag", mutable, 0, maxInt32, func(c *Config) *int { return &c.MinReplicasMaxLag }).alias("min-slaves-max-lag"),

	// Shutdown.
	intParam("shutdown-timeout", mutable, 0, maxInt32, func(c *Config) *int { return &c.ShutdownTimeout }),
	listParam("shutdown-on-sigint", mutable, func(c *Config) *ShutdownFlags { return &c.ShutdownOnSigint }, parseShutdownFlags),
	listParam("shutdown-on-sigterm", mutable, func(c *Config) *ShutdownFlags { return &c.ShutdownOnSigterm }, parseShutdownFlags),

	// Storage: Redoubt's own, not Redis names. Pebble needs them at open.
	sizeParam("block-cache-size", 0, 0, maxInt64, func(c *Config) *Size { return &c.BlockCacheSize }),
	// Pebble refuses memtables of 4GB and more.
	sizeParam("memtable-size", 0, int64(MB), math.MaxUint32-1, func(c *Config) *Size { return &c.MemtableSize }),
	intParam("bloom-bits-per-key", 0, 0, 64, func(c *Config) *int { return &c.BloomBitsPerKey }),
	sizeParam("value-separation-min-size", 0, 0, math.MaxInt32, func(c *Config) *Size { return &c.ValueSeparationMinSize }),
	sizeParam("row-cache-size", 0, 0, maxInt64, func(c *Config) *Size { return &c.RowCacheSize }),
	sizeParam("disk-reserve", mutable, 0, maxInt64, func(c *Config) *Size { return &c.DiskReserve }),
}

// paramFlag describes how a parameter may change.
type paramFlag uint8

const (
	// mutable: CONFIG SET may change it while the server runs.
	mutable paramFlag = 1 << iota
	// protected: Redis 7.0 refuses CONFIG SET unless enable-protected-configs
	// allows it; Redoubt never allows it, so it only differs from immutable
	// in the error text.
	protected
	// sensitive: the value is a secret to redact from SLOWLOG, MONITOR and logs.
	sensitive
	// multiArg: the value is a list of words. CONFIG SET splits it on single
	// spaces as Redis does; flags take several arguments.
	multiArg
)

// param is one row of the table.
type param struct {
	name    string
	aliases []string
	flags   paramFlag
	// set stores a value in Redis's syntax (CONFIG SET, flags). args holds
	// exactly one element unless the parameter is multiArg. On error c is
	// unchanged.
	set func(c *Config, args []string) *problem
	// load stores a value decoded from TOML (int64, string, bool, ...).
	load func(c *Config, v any) *problem
	// get prints the value as CONFIG GET does.
	get func(c *Config) string
	// check validates the value in c.
	check func(c *Config) *problem
	// literal prints the value as a TOML literal, for Rewrite.
	literal func(c *Config) string
}

func (p *param) alias(names ...string) *param {
	p.aliases = append(p.aliases, names...)
	return p
}

// problem is a bad value, worded twice: redis is the text Redis 7.0's CONFIG
// SET puts after "- ", plain is the text for file and flag errors.
type problem struct {
	redis string
	plain string
}

func (p *problem) Error() string { return p.plain }

func problemText(s string) *problem { return &problem{redis: s, plain: s} }

func rangeProblem(min, max int64, size bool) *problem {
	show := func(v int64) string {
		if size {
			return Size(v).String()
		}
		return strconv.FormatInt(v, 10)
	}
	p := &problem{redis: fmt.Sprintf("argument must be between %d and %d inclusive", min, max)}
	if max == maxInt64 {
		p.plain = "must be at least " + show(min)
	} else {
		p.plain = "must be between " + show(min) + " and " + show(max)
	}
	return p
}

// loadString is the TOML loader of a parameter written as a string: parse
// takes it, and any other type is refused as not want.
func loadString(want string, parse func(*Config, string) *problem) func(*Config, any) *problem {
	return func(c *Config, v any) *problem {
		s, ok := v.(string)
		if !ok {
			return typeProblem(want, v)
		}
		return parse(c, s)
	}
}

// typeProblem reports a TOML value of the wrong type.
func typeProblem(want string, v any) *problem {
	return problemText("must be " + want + ", not " + tomlTypeName(v))
}

func tomlTypeName(v any) string {
	switch v.(type) {
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date or time"
	}
	return fmt.Sprintf("a %T", v)
}

func intParam(name string, fl paramFlag, min, max int64, field func(*Config) *int) *param {
	store := func(c *Config, v int64) *problem {
		if v < min || v > max {
			return rangeProblem(min, max, false)
		}
		*field(c) = int(v)
		return nil
	}
	get := func(c *Config) string { return strconv.Itoa(*field(c)) }
	return &param{
		name:  name,
		flags: fl,
		set: func(c *Config, args []string) *problem {
			v, ok := string2ll(args[0])
			if !ok {
				return &problem{redis: "argument couldn't be parsed into an integer", plain: fmt.Sprintf("%q is not an integer", args[0])}
			}
			return store(c, v)
		},
		load: func(c *Config, v any) *problem {
			n, ok := v.(int64)
			if !ok {
				return typeProblem("an integer", v)
			}
			return store(c, n)
		},
		get: get,
		check: func(c *Config) *problem {
			if v := int64(*field(c)); v < min || v > max {
				return rangeProblem(min, max, false)
			}
			return nil
		},
		literal: get,
	}
}

var errNotSize = "is not a size (bytes, or a number with k, kb, m, mb, g or gb)"

func sizeParam(name string, fl paramFlag, min, max int64, field func(*Config) *Size) *param {
	store := func(c *Config, v int64) *problem {
		if v < min || v > max {
			return rangeProblem(min, max, true)
		}
		*field(c) = Size(v)
		return nil
	}
	return &param{
		name:  name,
		flags: fl,
		set: func(c *Config, args []string) *problem {
			v, ok, overflow := memtoull(args[0])
			if !ok {
				return &problem{redis: "argument must be a memory value", plain: fmt.Sprintf("%q %s", args[0], errNotSize)}
			}
			if overflow {
				return rangeProblem(min, max, true)
			}
			return store(c, int64(v))
		},
		load: func(c *Config, v any) *problem {
			switch v := v.(type) {
			case int64:
				return store(c, v)
			case string:
				n, err := ParseSize(v)
				if err != nil {
					return problemText(err.Error())
				}
				return store(c, int64(n))
			}
			return typeProblem(`a size (bytes, or a string like "512mb")`, v)
		},
		get: func(c *Config) string { return strconv.FormatInt(int64(*field(c)), 10) },
		check: func(c *Config) *problem {
			if v := int64(*field(c)); v < min || v > max {
				return rangeProblem(min, max, true)
			}
			return nil
		},
		literal: func(c *Config) string {
			s := field(c).String()
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return s
			}
			return tomlQuote(s)
		},
	}
}

// clamp makes a numeric parameter accept Redis's full range but store it
// clamped to lo..hi, as Redis does when it applies hz or repl-backlog-size;
// Validate then insists on lo..hi.
func clamp[T int | Size](p *param, field func(*Config) *T, lo, hi T) *param {
	fix := func(c *Config) { *field(c) = max(lo, min(hi, *field(c))) }
	set, load := p.set, p.load
	p.set = func(c *Config, args []string) *problem {
		if prob := set(c, args); prob != nil {
			return prob
		}
		fix(c)
		return nil
	}
	p.load = func(c *Config, v any) *problem {
		if prob := load(c, v); prob != nil {
			return prob
		}
		fix(c)
		return nil
	}
	_, size := any(lo).(Size)
	p.check = func(c *Config) *problem {
		if v := *field(c); v < lo || v > hi {
			return rangeProblem(int64(lo), int64(hi), size)
		}
		return nil
	}
	return p
}

func boolParam(name string, fl paramFlag, field func(*Config) *bool) *param {
	parse := func(c *Config, s string) *problem {
		switch {
		case strings.EqualFold(s, "yes"):
			*field(c) = true
		case strings.EqualFold(s, "no"):
			*field(c) = false
		default:
			return &problem{redis: "argument must be 'yes' or 'no'", plain: fmt.Sprintf("%q is not yes or no", s)}
		}
		return nil
	}
	return &param{
		name:  name,
		flags: fl,
		set:   func(c *Config, args []string) *problem { return parse(c, args[0]) },
		load: func(c *Config, v any) *problem {
			switch v := v.(type) {
			case bool:
				*field(c) = v
				return nil
			case string:
				return parse(c, v)
			}
			return typeProblem(`true or false (or "yes" or "no")`, v)
		},
		get: func(c *Config) string {
			if *field(c) {
				return "yes"
			}
			return "no"
		},
		check:   func(*Config) *problem { return nil },
		literal: func(c *Config) string { return strconv.FormatBool(*field(c)) },
	}
}

// requireBool makes a boolean parameter accept only one value: Redoubt keeps
// the Redis name so that existing configs and tools work, but not the choice.
func requireBool(p *param, want bool, why string) *param {
	prob := problemText(why)
	wantText := "no"
	if want {
		wantText = "yes"
	}
	set, load := p.set, p.load
	guard := func(c *Config, apply func() *problem) *problem {
		old := *c
		if err := apply(); err != nil {
			return err
		}
		if p.get(c) != wantText {
			*c = old
			return prob
		}
		return nil
	}
	p.set = func(c *Config, args []string) *problem { return guard(c, func() *problem { return set(c, args) }) }
	p.load = func(c *Config, v any) *problem { return guard(c, func() *problem { return load(c, v) }) }
	p.check = func(c *Config) *problem {
		if p.get(c) != wantText {
			return prob
		}
		return nil
	}
	return p
}

func enumParam(name string, fl paramFlag, values []string, field func(*Config) *string) *param {
	list := strings.Join(values, ", ")
	parse := func(c *Config, s string) *problem {
		for _, v := range values {
			if strings.EqualFold(s, v) {
				*field(c) = v
				return nil
			}
		}
		return &problem{redis: "argument(s) must be one of the following: " + list, plain: fmt.Sprintf("%q is not one of %s", s, list)}
	}
	return &param{
		name:  name,
		flags: fl,
		set:   func(c *Config, args []string) *problem { return parse(c, args[0]) },
		load:  loadString("a string", parse),
		get:   func(c *Config) string { return *field(c) },
		check: func(c *Config) *problem {
			for _, v := range values {
				if *field(c) == v {
					return nil
				}
			}
			return problemText(fmt.Sprintf("%q is not one of %s", *field(c), list))
		},
		literal: func(c *Config) string { return tomlQuote(*field(c)) },
	}
}

func stringParam(name string, fl paramFlag, field func(*Config) *string, valid func(string) *problem) *param {
	if valid == nil {
		valid = func(string) *problem { return nil }
	}
	store := func(c *Config, s string) *problem {
		if prob := valid(s); prob != nil {
			return prob
		}
		*field(c) = s
		return nil
	}
	return &param{
		name:    name,
		flags:   fl,
		set:     func(c *Config, args []string) *problem { return store(c, args[0]) },
		load:    loadString("a string", store),
		get:     func(c *Config) string { return *field(c) },
		check:   func(c *Config) *problem { return valid(*field(c)) },
		literal: func(c *Config) string { return tomlQuote(*field(c)) },
	}
}

// FileMode is a file's permission bits, written in octal as Redis's
// OCTAL_CONFIG parameters are ("700").
type FileMode uint32

func (m FileMode) String() string { return strconv.FormatUint(uint64(m), 8) }

// MarshalText writes the mode as TOML's string form of it.
func (m FileMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// modeParam is an octal parameter (Redis's OCTAL_CONFIG). In TOML it is a
// string of octal digits: an integer would read 700 as decimal seven
// hundred, which is not the mode anyone who writes it means.
func modeParam(name string, fl paramFlag, min, max FileMode, field func(*Config) *FileMode) *param {
	rangeErr := func() *problem {
		return problemText(fmt.Sprintf("argument must be between %o and %o inclusive", min, max))
	}
	parse := func(c *Config, s string) *problem {
		v, err := strconv.ParseInt(s, 8, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return &problem{redis: "argument couldn't be parsed as an octal number", plain: fmt.Sprintf("%q is not an octal number", s)}
		}
		if err != nil || v < int64(min) || v > int64(max) {
			return rangeErr()
		}
		*field(c) = FileMode(v)
		return nil
	}
	get := func(c *Config) string { return field(c).String() }
	return &param{
		name:  name,
		flags: fl,
		set:   func(c *Config, args []string) *problem { return parse(c, args[0]) },
		load:  loadString(`octal digits in a string (like "700")`, parse),
		get:   get,
		check: func(c *Config) *problem {
			if v := *field(c); v < min || v > max {
				return rangeErr()
			}
			return nil
		},
		literal: func(c *Config) string { return tomlQuote(get(c)) },
	}
}

func nonEmpty(s string) *problem {
	if s == "" {
		return problemText("must not be empty")
	}
	return nil
}

func baseName(s string) *problem {
	if s == "" {
		return problemText("must not be empty")
	}
	if strings.ContainsRune(s, '/') || s == "." || s == ".." {
		return problemText("dbfilename can't be a path, just a filename")
	}
	return nil
}

// wordsParam builds a multiArg parameter whose value is a list of words:
// from TOML a string split on white space, from CONFIG SET split on single
// spaces (by the caller). set must leave c unchanged when it fails.
func wordsParam(name string, fl paramFlag, set func(*Config, []string) *problem, get func(*Config) string, check func(*Config) *problem, literal func(*Config) string) *param {
	return &param{
		name:    name,
		flags:   fl | multiArg,
		set:     set,
		load:    loadString("a string", func(c *Config, s string) *problem { return set(c, strings.Fields(s)) }),
		get:     get,
		check:   check,
		literal: literal,
	}
}

// maxBind is Redis's CONFIG_BINDADDR_MAX.
const maxBind = 16

var errTooManyBind = problemText("Too many bind addresses specified.")

func bindParam() *param {
	return wordsParam("bind", 0,
		func(c *Config, args []string) *problem {
			if len(args) > maxBind {
				return errTooManyBind
			}
			for _, a := range args {
				if a == "" || a == "-" {
					return problemText(fmt.Sprintf("invalid bind address %q", a))
				}
			}
			c.Bind = strings.Join(args, " ")
			return nil
		},
		func(c *Config) string { return c.Bind },
		func(c *Config) *problem {
			if len(strings.Fields(c.Bind)) > maxBind {
				return errTooManyBind
			}
			return nil
		},
		func(c *Config) string { return tomlQuote(c.Bind) })
}

func saveParam() *param {
	return listParam("save", mutable, func(c *Config) *SavePoints { return &c.Save }, parseSave)
}

// listParam is a wordsParam for a value parse reads from its words, which
// String writes back (a quoted string in TOML) and check validates: save,
// latency-tracking-info-percentiles.
func listParam[T interface {
	String() string
	check() *problem
}](name string, fl paramFlag, field func(*Config) *T, parse func([]string) (T, *problem)) *param {
	return wordsParam(name, fl,
		func(c *Config, args []string) *problem {
			v, prob := parse(args)
			if prob != nil {
				return prob
			}
			*field(c) = v
			return nil
		},
		func(c *Config) string { return (*field(c)).String() },
		func(c *Config) *problem { return (*field(c)).check() },
		func(c *Config) string { return tomlQuote((*field(c)).String()) })
}

func outputLimitParam() *param {
	return wordsParam("client-output-buffer-limit", mutable,
		func(c *Config, args []string) *problem { return c.ClientOutputBufferLimit.parse(args) },
		func(c *Config) string { return c.ClientOutputBufferLimit.String() },
		func(c *Config) *problem { return c.ClientOutputBufferLimit.check() },
		func(c *Config) string { return tomlQuote(c.ClientOutputBufferLimit.compact()) })
}

func replicaOfParam() *param {
	return wordsParam("replicaof", 0,
		func(c *Config, args []string) *problem {
			r, prob := parseReplicaOf(args)
			if prob != nil {
				return prob
			}
			c.Replicaof = r
			return nil
		},
		func(c *Config) string { return c.Replicaof.String() },
		func(c *Config) *problem { return c.Replicaof.check() },
		func(c *Config) string { return tomlQuote(c.Replicaof.String()) }).alias("slaveof")
}

// tomlQuote writes s as a TOML basic string. TOML has no \x escape, so
// control characters become \u escapes; invalid UTF-8 cannot be represented
// and becomes U+FFFD.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// byName finds a parameter by its name or an alias, lower case.
var byName = map[string]*param{}

// allNames lists every name and alias with its parameter, for CONFIG GET's
// glob.
var allNames []nameParam

type nameParam struct {
	name string
	p    *param
}

func init() {
	for _, p := range params {
		if p.set == nil || p.load == nil || p.get == nil || p.check == nil || p.literal == nil {
			panic("conf: parameter " + p.name + " is incomplete")
		}
		for _, n := range append([]string{p.name}, p.aliases...) {
			if n != strings.ToLower(n) {
				panic("conf: parameter name " + n + " is not lower case")
			}
			if _, dup := byName[n]; dup {
				panic("conf: parameter " + n + " registered twice")
			}
			byName[n] = p
			allNames = append(allNames, nameParam{n, p})
		}
	}
}

// lookup finds a parameter by name or alias, case-insensitively as Redis does.
func lookup(name string) *param {
	return byName[strings.ToLower(name)]
}

// Known reports whether name (any case) is a configuration key: a
// parameter, an alias of one, "user" or "rename-command". Tools that translate other
// configuration formats (a redis.conf) use it to tell what Redoubt reads.
func Known(name string) bool {
	return lookup(name) != nil || strings.EqualFold(name, userKey) || strings.EqualFold(name, renameKey)
}

// Sensitive reports whether a parameter (by name or alias) holds a secret
// that SLOWLOG, MONITOR and logs must redact, as Redis 7.0 redacts
// requirepass, masterauth and masteruser.
func Sensitive(name string) bool {
	p := lookup(name)
	return p != nil && p.flags&sensitive != 0
}
