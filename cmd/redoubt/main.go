// Command redoubt is the Redoubt daemon: `redoubt server` serves the Redis
// protocol over a Pebble keyspace; `redoubt rdb` imports, exports and checks
// RDB files; `redoubt version` prints versions.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only when REDOUBT_PPROF names an address
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/daemon"
	"github.com/redoubtdb/redoubt/netio/gnetio"
	"github.com/redoubtdb/redoubt/storage/pebble"
)

const usage = `Usage:
  redoubt server [--config FILE] [--<config-key> VALUE ...]
  redoubt rdb import|export [--config FILE] --dir DATADIR RDBFILE
  redoubt rdb check RDBFILE
  redoubt version

Every key of the config file can be given as a flag, as redis-server takes
them: --port 6380 --dir /data --appendfsync always --replicaof "10.0.0.1 6379".
Flags override the file.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "server":
		if len(args) > 1 && isHelp(args[1]) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		return serverMain(args[1:], stderr)
	case "rdb":
		return rdbMain(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "redoubt %s (redis protocol %s) %s %s/%s\n", daemon.RedoubtVersion, daemon.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "redoubt: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// isHelp reports whether arg asks for the usage text.
func isHelp(arg string) bool { return arg == "help" || arg == "--help" || arg == "-h" }

// loadConfig reads --config (if any) then applies the other flags.
func loadConfig(args []string) (*conf.Config, error) {
	path := ""
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-c":
			if i+1 >= len(args) {
				return nil, errors.New("flag --config: missing file name")
			}
			path = args[i+1]
			i++
		case strings.HasPrefix(a, "--config="):
			path = strings.TrimPrefix(a, "--config=")
		default:
			rest = append(rest, a)
		}
	}
	cfg := conf.Default()
	if path != "" {
		var err error
		if cfg, err = conf.Load(path); err != nil {
			return nil, err
		}
	}
	if err := cfg.ApplyFlags(rest); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// enterDir makes the data directory the working directory, as Redis
// does with its dir setting, so that relative paths in the other settings
// (aclfile, logfile, pidfile) name files in it, and records it as an
// absolute path (what CONFIG GET dir shows, as in Redis). The directory
// is created if missing.
func enterDir(cfg *conf.Config) error {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("dir %s: %w", cfg.Dir, err)
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return fmt.Errorf("dir %s: %w", cfg.Dir, err)
	}
	if err := os.Chdir(abs); err != nil {
		return fmt.Errorf("can't chdir to %s: %w", cfg.Dir, err)
	}
	cfg.Dir = abs
	return nil
}

// newLogger logs to cfg.Logfile, or to standard output when it is "", as
// Redis does (errors before the log exists go to standard error).
func newLogger(cfg *conf.Config, level *slog.LevelVar) (*slog.Logger, io.Closer, error) {
	var w io.Writer = os.Stdout
	var closer io.Closer = io.NopCloser(nil)
	if cfg.Logfile != "" {
		f, err := os.OpenFile(cfg.Logfile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("logfile: %w", err)
		}
		w, closer = f, f
	}
	level.Set(daemon.LogLevel(cfg.Loglevel))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closer, nil
}

func serverMain(args []string, stderr io.Writer) int {
	cfg, err := loadConfig(args)
	if err != nil {
		fmt.Fprintf(stderr, "redoubt: %v\n", err)
		return 1
	}
	if err := enterDir(cfg); err != nil {
		fmt.Fprintf(stderr, "redoubt: %v\n", err)
		return 1
	}
	level := new(slog.LevelVar)
	log, logCloser, err := newLogger(cfg, level)
	if err != nil {
		fmt.Fprintf(stderr, "redoubt: %v\n", err)
		return 1
	}
	defer logCloser.Close()
	if err := serve(cfg, log, level); err != nil {
		log.Error("fatal", "err", err)
		fmt.Fprintf(stderr, "redoubt: %v\n", err)
		return 1
	}
	return 0
}

// listenAddr is one address to listen on: host:port of bind with port,
// and whether it is optional (Redis's "-addr"), or the Unix socket's path.
type listenAddr struct {
	hostPort string
	optional bool
	unix     string
}

func (a listenAddr) gnet() string {
	if a.unix != "" {
		return "unix://" + a.unix
	}
	return "tcp://" + a.hostPort
}

// listenAddrs is where the server listens: bind's addresses on port (none
// with port 0) and the Unix socket. Nowhere at all is an error, in Redis's
// words.
func listenAddrs(cfg *conf.Config) ([]listenAddr, error) {
	var out []listenAddr
	if cfg.Port != 0 {
		for _, b := range strings.Fields(cfg.Bind) {
			host, optional := strings.CutPrefix(b, "-")
			out = append(out, listenAddr{hostPort: net.JoinHostPort(host, strconv.Itoa(cfg.Port)), optional: optional})
		}
	}
	if cfg.Unixsocket != "" {
		out = append(out, listenAddr{unix: cfg.Unixsocket})
	}
	if len(out) == 0 {
		return nil, errors.New("configured to not listen anywhere (no TCP port or bind address, no unixsocket), exiting")
	}
	return out, nil
}

// checkListen tries each address the server will listen on (not the
// optional ones) before the store opens, so that a port in use fails at
// once and says so, in Redis's words; gnet's own error for it was
// "setsockopt: bad file descriptor".
func checkListen(addrs []listenAddr) error {
	for _, a := range addrs {
		if a.unix != "" {
			if err := checkUnixSocket(a.unix); err != nil {
				return err
			}
			continue
		}
		if a.optional {
			continue
		}
		l, err := net.Listen("tcp", a.hostPort)
		if err != nil {
			return fmt.Errorf("could not create server TCP listening socket %s: %w", a.hostPort, err)
		}
		if err := l.Close(); err != nil {
			return fmt.Errorf("listening socket %s: %w", a.hostPort, err)
		}
	}
	return nil
}

// maxUnixPath is the room for a path in sockaddr_un, its final NUL
// included.
const maxUnixPath = 108

// checkUnixSocket makes path ready for the Unix socket: nothing there, or
// a stale socket, which it removes. Redis unlinks whatever is at the path;
// gnet removes it recursively. So a socket a live server answers on, a
// file or a directory (a mistyped unixsocket naming the data directory)
// is an error here instead.
func checkUnixSocket(path string) error {
	if len(path) >= maxUnixPath {
		return fmt.Errorf("could not create server Unix socket %s: the path is %d bytes, the limit is %d", path, len(path), maxUnixPath-1)
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("could not create server Unix socket %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("could not create server Unix socket %s: the path exists and is not a socket (%s)", path, fi.Mode().Type())
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		_ = c.Close()
		return fmt.Errorf("could not create server Unix socket %s: a server is listening on it", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("could not create server Unix socket %s: removing the stale socket: %w", path, err)
	}
	return nil
}

func serve(cfg *conf.Config, log *slog.Logger, level *slog.LevelVar) error {
	// As Redis: a closed terminal or a log rotation's HUP must not kill
	// the server (Go's default for SIGHUP is to exit at once, without the
	// clean shutdown SIGTERM gets).
	signal.Ignore(syscall.SIGHUP)
	// SIGTERM and SIGINT are caught from the start, as Redis sets its
	// handlers before it listens: one that comes while the listeners
	// start (a client may already be served on TCP while the Unix socket
	// starts) waits here and shuts the server down cleanly once it is
	// up, where Go's default would have killed it.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	// cfg.Dir exists and is the working directory (enterDir).
	if cfg.Pidfile != "" {
		if err := os.WriteFile(cfg.Pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pidfile: %w", err)
		}
		defer os.Remove(cfg.Pidfile)
	}
	if addr := os.Getenv("REDOUBT_PPROF"); addr != "" {
		// Profiling for operators and benchmarks; off unless asked for.
		go func() {
			if err := http.ListenAndServe(addr, nil); err != nil {
				log.Warn("pprof listener", "addr", addr, "err", err)
			}
		}()
	}
	sup := supervise(cfg.Supervised, log)
	defer sup.stop()
	listen, err := listenAddrs(cfg)
	if err != nil {
		return err
	}
	if err := checkListen(listen); err != nil {
		return err
	}
	pebbleFiles, clientLimit, err := fitOpenFileLimit(cfg, log)
	if err != nil {
		return err
	}
	start := time.Now()
	opts := storeOptions(cfg, filepath.Join(cfg.Dir, "keyspace"), log)
	opts.MemTableRecords = pebble.DefaultMemTableRecords
	opts.Ballast = int64(cfg.DiskReserve)
	opts.MaxOpenFiles = pebbleFiles
	store, err := pebble.Open(opts)
	if err != nil {
		return fmt.Errorf("open store in %s: %w", cfg.Dir, err)
	}
	defer store.Close()
	srv, err := daemon.New(cfg, daemon.Options{Logger: log, LogLevel: level, Store: store, MaxClientsLimit: clientLimit,
		Supervised: sup.mode, Notify: sup.notify})
	if err != nil {
		return err
	}
	srv.Start()

	var addrs []string
	for _, a := range listen {
		addrs = append(addrs, a.gnet())
	}
	transport := gnetio.New(srv, gnetio.Options{
		Addrs:        addrs,
		Loops:        cfg.IOThreads,
		TCPKeepAlive: time.Duration(cfg.TCPKeepalive) * time.Second,
		Backlog:      cfg.TCPBacklog,
		Logger:       log,
	})
	serveErr := make(chan error, 1)
	go func() { serveErr <- transport.Serve() }()
	select {
	case <-transport.Ready():
		if cfg.Unixsocket != "" && cfg.Unixsocketperm != 0 {
			// As Redis: the mode is set once the socket exists (gnet
			// creates it with what the umask leaves).
			if err := os.Chmod(cfg.Unixsocket, fs.FileMode(cfg.Unixsocketperm)); err != nil {
				_ = transport.Stop(context.Background())
				srv.Close()
				return fmt.Errorf("unixsocketperm: %w", err)
			}
		}
		log.Info("Ready to accept connections", "addrs", addrs, "pid", os.Getpid(),
			"version", daemon.RedoubtVersion, "startup", time.Since(start).Round(time.Microsecond).String())
		sup.ready(cfg.Replicaof.IsSet())
	case err := <-serveErr:
		srv.Close()
		return err
	}

	for stop := false; !stop; {
		select {
		case sig := <-sigs:
			// Like Redis: the server waits for lagging replicas and saves
			// as shutdown-on-sigterm/-sigint say, then asks for the exit
			// below; a failed save keeps it up. A second SIGINT exits now.
			if srv.SignalShutdown(sig) {
				os.Exit(1)
			}
		case req := <-srv.ShutdownRequests():
			log.Info("shutting down", "saved", req.Save)
			stop = true
		case err := <-serveErr:
			srv.Close()
			return err
		}
	}
	// Send what was acknowledged, then stop: replies waiting for fsync are
	// released first, then connections close with their buffers flushed.
	srv.Drain()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := transport.Stop(ctx); err != nil {
		log.Warn("stopping listeners", "err", err)
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	log.Info("Redoubt is now ready to exit, bye bye...")
	return nil
}
