package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redoubtdb/redoubt/conf"
	"github.com/redoubtdb/redoubt/daemon"
	"github.com/redoubtdb/redoubt/storage/atomicfile"
	"github.com/redoubtdb/redoubt/storage/pebble"
	"github.com/redoubtdb/redoubt/storage/rdb"
)

const rdbUsage = `Usage:
  redoubt rdb import [--config FILE] --dir DATADIR [--<config-key> VALUE ...] RDBFILE
  redoubt rdb export [--config FILE] --dir DATADIR [--<config-key> VALUE ...] RDBFILE
  redoubt rdb check RDBFILE

import loads an RDB file (any version Redis 7.0 loads) into a new or empty
data directory; nothing is kept unless the whole file loads. export writes
the data directory as an RDB version 10 file; the server must not be running
on it. check validates a file and summarises it.
`

func rdbMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && isHelp(args[0]) {
		fmt.Fprint(stdout, rdbUsage)
		return 0
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, rdbUsage)
		return 2
	}
	verb, file, flags := args[0], args[len(args)-1], args[1:len(args)-1]
	if isHelp(verb) || file == "--help" || file == "-h" {
		// Not a file name: export would have written the data there.
		fmt.Fprint(stdout, rdbUsage)
		return 0
	}
	if path := os.Getenv("REDOUBT_CPUPROFILE"); path != "" {
		// Profiling for operators and benchmarks; off unless asked for.
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	var err error
	switch verb {
	case "import":
		err = rdbImport(flags, file, stdout, stderr)
	case "export":
		err = rdbExport(flags, file, stdout, stderr)
	case "check":
		if len(flags) != 0 {
			fmt.Fprint(stderr, rdbUsage)
			return 2
		}
		err = rdbCheck(file, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "redoubt: unknown rdb command %q\n\n%s", verb, rdbUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "redoubt rdb %s: %v\n", verb, err)
		return 1
	}
	return 0
}

// openKeyspaceStore opens the Pebble store of a data directory with the
// config's storage settings (storeOptions).
func openKeyspaceStore(cfg *conf.Config, dir string, log *slog.Logger, bulk bool) (*pebble.Store, error) {
	opts := storeOptions(cfg, dir, log)
	opts.BulkLoad = bulk
	return pebble.Open(opts)
}

// storeOptions are the Pebble options the config's storage keys give a
// store in dir; the server adds what only it needs (record-counted
// memtables, the disk reserve, its share of open files).
func storeOptions(cfg *conf.Config, dir string, log *slog.Logger) pebble.Options {
	return pebble.Options{
		Dir:             dir,
		CacheSize:       int64(cfg.BlockCacheSize),
		NoBlockCache:    cfg.BlockCacheSize == 0,
		MemTableSize:    int64(cfg.MemtableSize),
		BloomBitsPerKey: cfg.BloomBitsPerKey,

		ValueSeparationMinSize: int(cfg.ValueSeparationMinSize),
		Logger:                 log.With("component", "pebble"),
	}
}

func rdbImport(flags []string, file string, stdout, stderr io.Writer) (err error) {
	cfg, err := loadConfig(flags)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	in, size, err := openRDB(file)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return err
	}
	final := filepath.Join(cfg.Dir, "keyspace")
	if _, err := os.Stat(final); err == nil {
		// An existing store may be taken over only if it holds nothing.
		n, err := countKeys(cfg, final, log)
		if err != nil {
			return fmt.Errorf("%s: %w", final, err)
		}
		if n != 0 {
			return fmt.Errorf("the data directory %s already holds %d keys: import needs a new or empty one", cfg.Dir, n)
		}
	}
	// Load into a scratch store, renamed into place only once complete:
	// a bad or truncated file leaves the data directory as it was.
	tmp := filepath.Join(cfg.Dir, fmt.Sprintf("keyspace.import-%d", os.Getpid()))
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	store, err := openKeyspaceStore(cfg, tmp, log, true)
	if err != nil {
		return err
	}
	srv, err := daemon.New(cfg, daemon.Options{Logger: log, Store: store})
	if err != nil {
		store.Close()
		return err
	}
	// No srv.Start(): the import writes its records as sstables (see
	// daemon/bulkload.go), and the few records left go through commits
	// the loading goroutine writes itself.
	start := time.Now()
	prog := newProgress(stderr, "import", size)
	stats, ierr := srv.ImportRDB(bufio.NewReaderSize(in, 1<<20), daemon.ImportOptions{
		ReaderOptions: rdb.ReaderOptions{
			MaxString:  int64(cfg.ProtoMaxBulkLen),
			OnProgress: func(p rdb.Progress) { prog.update(p.Bytes, p.Keys) },
		},
		OnPhase: func(msg string) { prog.phase(msg) },
	})
	if ierr == nil {
		prog.phase("flushing and compacting")
	}
	cerr := srv.Close()
	if err := store.Close(); cerr == nil {
		cerr = err
	}
	prog.done()
	if ierr != nil {
		return fmt.Errorf("%s: %w (nothing was imported)", file, ierr)
	}
	if cerr != nil {
		return cerr
	}
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	if err := atomicfile.SyncDir(cfg.Dir); err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "imported %d keys (%d expired keys skipped) from %s into %s in %s (%.1f MB/s)\n",
		stats.Keys, stats.Expired, file, cfg.Dir, elapsed.Round(time.Millisecond), float64(size)/1e6/elapsed.Seconds())
	if stats.Functions > 0 || stats.ModuleAux > 0 {
		fmt.Fprintf(stdout, "skipped %d function libraries and %d module records\n", stats.Functions, stats.ModuleAux)
	}
	return nil
}

// countKeys opens an existing keyspace store and counts its keys.
func countKeys(cfg *conf.Config, dir string, log *slog.Logger) (int64, error) {
	store, err := openKeyspaceStore(cfg, dir, log, false)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	srv, err := daemon.New(cfg, daemon.Options{Logger: log, Store: store})
	if err != nil {
		return 0, err
	}
	n := srv.KeyCount()
	return n, srv.Close()
}

func rdbExport(flags []string, file string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(flags)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir := filepath.Join(cfg.Dir, "keyspace")
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no data in %s: %w", cfg.Dir, err)
	}
	store, err := openKeyspaceStore(cfg, dir, log, false)
	if err != nil {
		return fmt.Errorf("%s (is a server running on it?): %w", dir, err)
	}
	defer store.Close()
	srv, err := daemon.New(cfg, daemon.Options{Logger: log, Store: store})
	if err != nil {
		return err
	}
	defer srv.Close()
	start := time.Now()
	prog := newProgress(stderr, "export", 0)
	err = srv.ExportRDB(file, func(done, total int64) { prog.keys(done, total) })
	prog.done()
	if err != nil {
		return err
	}
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d keys from %s to %s (%d bytes) in %s\n",
		srv.KeyCount(), cfg.Dir, file, fi.Size(), time.Since(start).Round(time.Millisecond))
	return nil
}

// openRDB opens an RDB file for reading and returns its size, for progress.
func openRDB(file string) (*os.File, int64, error) {
	in, err := os.Open(file)
	if err != nil {
		return nil, 0, err
	}
	fi, err := in.Stat()
	if err != nil {
		in.Close()
		return nil, 0, err
	}
	return in, fi.Size(), nil
}

func rdbCheck(file string, stdout, stderr io.Writer) error {
	in, size, err := openRDB(file)
	if err != nil {
		return err
	}
	defer in.Close()
	prog := newProgress(stderr, "check", size)
	sum, err := rdb.Summarize(bufio.NewReaderSize(in, 1<<20), rdb.ReaderOptions{
		OnProgress: func(p rdb.Progress) { prog.update(p.Bytes, p.Keys) },
	})
	prog.done()
	printSummary(stdout, file, &sum)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "RDB looks OK")
	return nil
}

func printSummary(w io.Writer, file string, s *rdb.Summary) {
	fmt.Fprintf(w, "file:      %s\n", file)
	fmt.Fprintf(w, "version:   %d\n", s.Version)
	fmt.Fprintf(w, "size:      %d bytes\n", s.Size)
	fmt.Fprintf(w, "checksum:  %s\n", s.Checksum)
	for _, a := range s.Aux {
		fmt.Fprintf(w, "aux:       %s = %s\n", a.Key, a.Val)
	}
	fmt.Fprintf(w, "keys:      %d (%d with an expiry, %d empty collections)\n", s.Keys, s.Expires, s.EmptyKeys)
	fmt.Fprintf(w, "elements:  %d\n", s.Elements)
	fmt.Fprintf(w, "types:     %s\n", typeCounts(s.Types))
	for _, db := range s.DBs {
		fmt.Fprintf(w, "%-11skeys=%d expires=%d %s\n", fmt.Sprintf("db%d:", db.DB), db.Keys, db.Expires, typeCounts(db.Types))
	}
	if s.Functions > 0 {
		fmt.Fprintf(w, "functions: %d libraries\n", s.Functions)
	}
	if len(s.ModuleAux) > 0 {
		fmt.Fprintf(w, "modules:   %s\n", strings.Join(s.ModuleAux, ", "))
	}
}

func typeCounts(m map[rdb.Type]int64) string {
	var parts []string
	for t, n := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", t, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// progress reports a long run: a line rewritten in place on a terminal,
// else a log line every 5 seconds.
type progress struct {
	mu    sync.Mutex // the reader's goroutine and the loader's both report
	w     io.Writer
	label string
	total int64
	tty   bool
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, label string, total int64) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progress{w: w, label: label, total: total, tty: tty, start: now, last: now}
}

func (p *progress) due() bool {
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return false
	}
	p.last = time.Now()
	return true
}

func (p *progress) show(line string) {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.shown = true
}

// phase reports a step that reads nothing (and so moves no counter).
func (p *progress) phase(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.show(p.label + ": " + msg)
}

// update reports bytes read of the total, and keys done.
func (p *progress) update(bytes, keys int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.due() {
		return
	}
	secs := time.Since(p.start).Seconds()
	pct := 0.0
	if p.total > 0 {
		pct = float64(bytes) * 100 / float64(p.total)
	}
	p.show(fmt.Sprintf("%s: %d keys, %.1f of %.1f MB (%.0f%%), %.1f MB/s, %.0f keys/s",
		p.label, keys, float64(bytes)/1e6, float64(p.total)/1e6, pct, float64(bytes)/1e6/secs, float64(keys)/secs))
}

// keys reports keys done of a known total.
func (p *progress) keys(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.due() {
		return
	}
	secs := time.Since(p.start).Seconds()
	p.show(fmt.Sprintf("%s: %d of %d keys (%.0f%%), %.0f keys/s", p.label, done, total, float64(done)*100/float64(max(total, 1)), float64(done)/secs))
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
	}
}
