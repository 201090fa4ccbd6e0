package conf

import (
	"testing"
)

func TestScanTOML(t *testing.T) {
	src := "# head\n" + // 1
		"port = 6379 # trailing\n" + // 2
		"  bind\t=\t\"a # not a comment\"  \n" + // 3
		"\"requirepass\" = 'x'\n" + // 4
		"save = \"\"\"\nmulti\nline\"\"\"\"\n" + // 5-7
		"arr = [\n  1, # c ]\n  \"]\",\n]\n" + // 8-11
		"tbl = { a = \"}\", b = [1] }\n" + // 12
		"dot.ted = 1\n" + // 13
		"lit = '''\n]\n'''\n" + // 14-16
		"date = 1979-05-27 07:32:00Z\n" + // 17
		"crlf = 5\r\n" + // 18
		"\n" + // 19
		"[table]\n" + // 20
		"inner = 1\n" + // 21
		"[[list]]\n" // 22
	doc := scanTOML(src)
	want := []struct {
		key    string
		dotted bool
		line   int
		value  string
	}{
		{"port", false, 2, "6379"},
		{"bind", false, 3, `"a # not a comment"`},
		{"requirepass", false, 4, "'x'"},
		{"save", false, 5, "\"\"\"\nmulti\nline\"\"\"\""},
		{"arr", false, 8, "[\n  1, # c ]\n  \"]\",\n]"},
		{"tbl", false, 12, `{ a = "}", b = [1] }`},
		{"dot", true, 13, "1"},
		{"lit", false, 14, "'''\n]\n'''"},
		{"date", false, 17, "1979-05-27 07:32:00Z"},
		{"crlf", false, 18, "5"},
	}
	if len(doc.entries) != len(want) {
		t.Fatalf("got %d entries: %+v", len(doc.entries), doc.entries)
	}
	for i, w := range want {
		e := doc.entries[i]
		if e.key != w.key || e.dotted != w.dotted || e.line != w.line || src[e.valStart:e.valEnd] != w.value {
			t.Errorf("entry %d = {%q %v %d %q}, want %+v", i, e.key, e.dotted, e.line, src[e.valStart:e.valEnd], w)
		}
	}
	if got := src[doc.rootEnd:]; got != "[table]\ninner = 1\n[[list]]\n" {
		t.Errorf("root ends before %q", got)
	}
	for key, line := range map[string]int{"table": 20, "list": 22, "inner": 0, "save": 5, "nope": 0} {
		if got := doc.line(key); got != line {
			t.Errorf("line(%q) = %d, want %d", key, got, line)
		}
	}
}
