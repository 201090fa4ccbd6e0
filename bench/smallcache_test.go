package bench

import (
	"bytes"
	"compress/flate"
	"strings"
	"testing"
)

func TestSmallCacheArgs(t *testing.T) {
	top := SmallCache{BlockCache: "4mb", RowCache: "1mb", MemTable: "1mb"}
	redoubt := System{Name: "redoubt", Path: "/bin/redoubt", Style: StyleRedoubt}
	redis := System{Name: "redis", Path: "/usr/bin/redis-server", Style: StyleRedis}
	got := top.CommandLines(redoubt, "everysec")
	want := "/bin/redoubt server --port PORT --dir DIR --appendfsync everysec --save '' --block-cache-size 4mb --row-cache-size 1mb --memtable-size 1mb"
	if len(got) != 1 || got[0] != want {
		t.Errorf("Redoubt: %q\nwant %q", got, want)
	}
	// Redis keeps everything in memory: it gets its usual arguments, as does a
	// redis-server standing in for Redoubt.
	for _, sys := range []System{redis, {Name: "redoubt", Path: "/usr/bin/redis-server", Style: StyleRedis}} {
		if got := top.CommandLines(sys, "always"); len(got) != 1 || strings.Contains(got[0], "cache") || got[0] != (Single{}).CommandLines(sys, "always")[0] {
			t.Errorf("%s: %q", sys.Name, got)
		}
	}
	if err := (SmallCache{BlockCache: "4mb", MemTable: "1mb"}).Validate(); err == nil {
		t.Error("a SmallCache without a row cache size passed Validate")
	}
}

// TestStartSmallCache starts a redis-server through the topology, as the harness does
// when it tests itself with redis-server on both sides: the topology's arguments must
// not reach it.
func TestStartSmallCache(t *testing.T) {
	server, _ := needRedis(t)
	t.Parallel()
	d, err := SmallCache{BlockCache: "4mb", RowCache: "1mb"}.Start(t.Context(), System{Name: "redis", Path: server, Style: StyleRedis}, "no")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	if err := d.Preload(t.Context(), Params{Keyspace: 300, DataSize: 64, RandomValues: true}); err != nil {
		t.Fatal(err)
	}
}

func TestPreloadValue(t *testing.T) {
	if got := string(PreloadValue(nil, Params{DataSize: 5}, 7)); got != "xxxxx" {
		t.Errorf("plain value %q", got)
	}
	p := Params{DataSize: 256, RandomValues: true}
	a, b := PreloadValue(nil, p, 1), PreloadValue(nil, p, 2)
	if len(a) != 256 || bytes.Equal(a, b) || !bytes.Equal(a, PreloadValue(nil, p, 1)) {
		t.Fatalf("random values: %q, %q; want 256 bytes, differing by key, the same for the same key", a, b)
	}
	if strings.Trim(string(a), randomAlphabet) != "" {
		t.Fatalf("value %q has bytes outside the alphabet", a)
	}
	// Incompressible: 1000 values deflate to no less than their 6 bits a byte.
	var all []byte
	for i := range 1000 {
		all = PreloadValue(all, p, i)
	}
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write(all)
	w.Close()
	if ratio := float64(z.Len()) / float64(len(all)); ratio < 0.74 {
		t.Errorf("random values compress to %.2f of their size, want at least 0.74 (6 bits of 8)", ratio)
	}
}

func TestDescribePreload(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{Params{Keyspace: 100000, DataSize: 3}, "100000 keys (key:000000000000 ... key:000000099999), values of 3 bytes of 'x': about 2 MB"},
		{Params{Keyspace: 250000, DataSize: 256, RandomValues: true}, "250000 keys (key:000000000000 ... key:000000249999), values of 256 random letters and digits (incompressible): about 65 MB"},
	} {
		if got := describePreload(tc.p); got != tc.want {
			t.Errorf("describePreload(%+v) = %q\nwant %q", tc.p, got, tc.want)
		}
	}
}
