package acl

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The tests use Redis 7.0.15's real command table (daemon/commands.json),
// so categories, containers and key specs are the ones Redis has.

type metaNode struct {
	T string      `json:"t"`
	S string      `json:"s,omitempty"`
	N int64       `json:"n,omitempty"`
	A []*metaNode `json:"a,omitempty"`
}

// field finds a value in a RESP3 map node.
func (n *metaNode) field(name string) *metaNode {
	for i := 0; i+1 < len(n.A); i += 2 {
		if n.A[i].S == name {
			return n.A[i+1]
		}
	}
	return nil
}

// keySpec is the part of a COMMAND INFO key spec the tests evaluate.
type keySpec struct {
	read, write, notKey bool
	bsIndex             int    // begin_search index, or 0
	bsKeyword           string // begin_search keyword
	bsStart             int
	fkRange             bool
	lastKey, step, lim  int
	keyNumIdx, firstKey int
}

type testCommand struct {
	spec   CommandSpec
	arity  int
	keys   []keySpec
	pubsub string // "publish", "subscribe", "psubscribe": channel arguments
}

var (
	catalogOnce  sync.Once
	testCatalog  *Catalog
	testCommands map[string]*testCommand
)

func loadTestCatalog(t testing.TB) *Catalog {
	t.Helper()
	catalogOnce.Do(func() {
		data, err := os.ReadFile("../commands.json")
		if err != nil {
			panic(err)
		}
		var file struct {
			Commands map[string]struct {
				Info *metaNode `json:"info"`
			} `json:"commands"`
		}
		if err := json.Unmarshal(data, &file); err != nil {
			panic(err)
		}
		testCommands = map[string]*testCommand{}
		var specs []CommandSpec
		var add func(info *metaNode)
		add = func(info *metaNode) {
			tc := &testCommand{spec: CommandSpec{Name: info.A[0].S}, arity: int(info.A[1].N)}
			for _, f := range info.A[2].A {
				if f.S == "no_auth" {
					tc.spec.NoAuth = true
				}
			}
			for _, c := range info.A[6].A {
				tc.spec.Categories = append(tc.spec.Categories, strings.TrimPrefix(c.S, "@"))
			}
			for _, ks := range info.A[8].A {
				tc.keys = append(tc.keys, parseKeySpec(ks))
			}
			switch tc.spec.Name {
			case "publish", "spublish":
				tc.pubsub = "publish"
			case "subscribe", "ssubscribe":
				tc.pubsub = "subscribe"
			case "psubscribe":
				tc.pubsub = "psubscribe"
			}
			testCommands[tc.spec.Name] = tc
			specs = append(specs, tc.spec)
			if len(info.A) > 9 {
				for _, sub := range info.A[9].A {
					add(sub)
				}
			}
		}
		for _, c := range file.Commands {
			add(c.Info)
		}
		testCatalog = NewCatalog(specs)
	})
	return testCatalog
}

func parseKeySpec(n *metaNode) keySpec {
	var ks keySpec
	for _, f := range n.field("flags").A {
		switch f.S {
		case "access":
			ks.read = true
		case "insert", "delete", "update":
			ks.write = true
		case "not_key":
			ks.notKey = true
		}
	}
	bs := n.field("begin_search")
	spec := bs.field("spec")
	switch bs.field("type").S {
	case "index":
		ks.bsIndex = int(spec.field("index").N)
	case "keyword":
		ks.bsKeyword = spec.field("keyword").S
		ks.bsStart = int(spec.field("startfrom").N)
	}
	fk := n.field("find_keys")
	spec = fk.field("spec")
	switch fk.field("type").S {
	case "range":
		ks.fkRange = true
		ks.lastKey = int(spec.field("lastkey").N)
		ks.step = int(spec.field("keystep").N)
		ks.lim = int(spec.field("limit").N)
	case "keynum":
		ks.keyNumIdx = int(spec.field("keynumidx").N)
		ks.firstKey = int(spec.field("firstkey").N)
		ks.step = int(spec.field("keystep").N)
	}
	return ks
}

// testRequest resolves argv to a Request the way Redis's dispatch does:
// the subcommand if the command is a container, keys from the key specs
// (getKeysUsingKeySpecs), channels of the Pub/Sub commands. It returns nil
// for an unknown command or wrong arity.
func testRequest(t testing.TB, cat *Catalog, argv ...string) (*Request, string) {
	t.Helper()
	name := strings.ToLower(argv[0])
	tc := testCommands[name]
	if tc == nil {
		return nil, ""
	}
	if id, _ := cat.Lookup(name); len(cat.cmds[id].subs) > 0 && len(argv) > 1 {
		// lookupCommand: a container's second argument must name one of
		// its subcommands.
		tc = testCommands[name+"|"+strings.ToLower(argv[1])]
		if tc == nil {
			return nil, ""
		}
		name = tc.spec.Name
	}
	if (tc.arity > 0 && len(argv) != tc.arity) || len(argv) < -tc.arity {
		return nil, name
	}
	id, ok := cat.Lookup(name)
	if !ok {
		t.Fatalf("catalog lacks %s", name)
	}
	req := &Request{Cmd: id}
	for _, a := range argv {
		req.Argv = append(req.Argv, []byte(a))
	}
	argc := len(argv)
	for _, ks := range tc.keys {
		if ks.notKey {
			continue
		}
		first := 0
		if ks.bsKeyword == "" {
			first = ks.bsIndex
		} else {
			start, end := ks.bsStart, argc-1
			if ks.bsStart <= 0 {
				start, end = argc+ks.bsStart, 1
			}
			for i := start; i != end; {
				if i >= argc || i < 1 {
					break
				}
				if strings.EqualFold(argv[i], ks.bsKeyword) {
					first = i + 1
					break
				}
				if start <= end {
					i++
				} else {
					i--
				}
			}
			if first == 0 {
				continue
			}
		}
		var last int
		if ks.fkRange {
			switch {
			case ks.lastKey >= 0:
				last = first + ks.lastKey
			case ks.lim == 0:
				last = argc + ks.lastKey
			default:
				last = first + ((argc-first)/ks.lim + ks.lastKey)
			}
		} else {
			if first+ks.keyNumIdx >= argc {
				continue
			}
			n, err := strconv.Atoi(argv[first+ks.keyNumIdx])
			if err != nil {
				continue
			}
			first += ks.firstKey
			last = first + n - 1
		}
		if last >= argc || last < first || first >= argc {
			continue
		}
		for i := first; i <= last; i += ks.step {
			req.Keys = append(req.Keys, KeyRef{Pos: i, Read: ks.read, Write: ks.write})
		}
	}
	if name == "set" {
		// SET's key spec has variable_flags: Redis asks setGetKeys, which
		// reads the key only with the GET option.
		req.Keys[0].Read = false
		for _, a := range argv[3:] {
			if strings.EqualFold(a, "get") {
				req.Keys[0].Read = true
			}
		}
	}
	switch tc.pubsub {
	case "publish":
		req.Channels = []ChanRef{{Pos: 1}}
	case "subscribe", "psubscribe":
		for i := 1; i < argc; i++ {
			req.Channels = append(req.Channels, ChanRef{Pos: i, Pattern: tc.pubsub == "psubscribe"})
		}
	}
	return req, name
}

func TestCatalog(t *testing.T) {
	cat := loadTestCatalog(t)
	if n := len(cat.top); n != 240 {
		t.Errorf("top-level commands = %d, want 240", n)
	}
	for _, tc := range []struct {
		name string
		want string
		ok   bool
	}{
		{"get", "get", true},
		{"GET", "get", true},
		{"Config|Get", "config|get", true},
		{"config", "config", true},
		{"config|nosuch", "", false},
		{"select|0", "", false},
		{"config|get|x", "", false},
		{"", "", false},
		{"|", "", false},
		{"nosuch", "", false},
	} {
		id, ok := cat.Lookup(tc.name)
		if ok != tc.ok || (ok && cat.Name(id) != tc.want) {
			t.Errorf("Lookup(%q) = %d %v", tc.name, id, ok)
		}
	}
	id, _ := cat.Lookup("config|get")
	if p := cat.Parent(id); p < 0 || cat.Name(p) != "config" {
		t.Errorf("Parent(config|get) = %d", p)
	}
	if got := strings.Join(Categories(), " "); got != "keyspace read write set sortedset list hash string bitmap hyperloglog geo stream pubsub admin fast slow blocking dangerous connection transaction scripting" {
		t.Errorf("Categories() = %s", got)
	}
	if _, err := cat.CategoryCommands("nosuch"); err == nil || err.Error() != "ERR Unknown category 'nosuch'" {
		t.Errorf("CategoryCommands(nosuch) = %v", err)
	}
	long := strings.Repeat("x", 200)
	if _, err := cat.CategoryCommands(long); err == nil || err.Error() != "ERR Unknown category '"+long[:128]+"'" {
		t.Errorf("CategoryCommands(long) = %v", err)
	}
	cmds, err := cat.CategoryCommands("HyperLogLog")
	if err != nil || strings.Join(cmds, " ") != "pfadd pfcount pfdebug pfmerge pfselftest" {
		t.Errorf("CategoryCommands(hyperloglog) = %v, %v", cmds, err)
	}
}

func TestNewCatalogPanics(t *testing.T) {
	for _, specs := range [][]CommandSpec{
		{{Name: "get"}, {Name: "GET"}},
		{{Name: "config|get"}},
		{{Name: "a"}, {Name: "a|b|c"}},
		{{Name: "a", Categories: []string{"nosuch"}}},
		{{Name: ""}},
		{{Name: "a"}, {Name: "a|"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCatalog(%v) did not panic", specs)
				}
			}()
			NewCatalog(specs)
		}()
	}
}
