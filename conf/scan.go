package conf

import (
	"sort"
	"strconv"
	"strings"
)

// BurntSushi/toml reports no positions for keys, and Rewrite must edit the
// user's text in place. scanTOML finds, in a document that already parsed as
// TOML, where each root-table key and its value are written. It is not a
// validating parser: on text that is not TOML it returns something harmless.

// tomlEntry is a `key = value` line of the root table.
type tomlEntry struct {
	key      string // first component of the key, unquoted
	dotted   bool   // key.sub = value
	line     int    // 1-based line of the key
	valStart int    // byte offsets of the value literal
	valEnd   int
}

// tomlHeader is a [table] or [[array]] line.
type tomlHeader struct {
	key  string // first component, unquoted
	line int
}

type tomlDoc struct {
	entries []tomlEntry
	headers []tomlHeader
	// rootEnd is the offset of the first header line, where the root table
	// ends and where Rewrite inserts new keys (len(src) without headers).
	rootEnd int
}

// line returns the line of a root-table key or table, 0 if not found.
func (d *tomlDoc) line(key string) int {
	for _, e := range d.entries {
		if e.key == key {
			return e.line
		}
	}
	for _, h := range d.headers {
		if h.key == key {
			return h.line
		}
	}
	return 0
}

func scanTOML(src string) tomlDoc {
	s := scanner{src: src}
	for i, c := range []byte(src) {
		if c == '\n' {
			s.newlines = append(s.newlines, i)
		}
	}
	doc := tomlDoc{rootEnd: len(src)}
	inRoot := true
	for s.pos < len(src) {
		s.skipBlank()
		if s.pos >= len(src) {
			break
		}
		start := s.pos
		switch src[s.pos] {
		case '\n', '\r':
			s.pos++
			continue
		case '#':
			s.skipLine()
			continue
		case '[':
			if inRoot {
				doc.rootEnd = s.lineStart(start)
				inRoot = false
			}
			s.pos++
			if s.pos < len(src) && src[s.pos] == '[' {
				s.pos++
			}
			s.skipBlank()
			key, _ := s.key()
			doc.headers = append(doc.headers, tomlHeader{key: key, line: s.lineOf(start)})
			s.skipLine()
			continue
		}
		key, dotted := s.key()
		s.skipBlank()
		if s.pos >= len(src) || src[s.pos] != '=' {
			s.skipLine() // not TOML; move on
			continue
		}
		s.pos++
		s.skipBlank()
		valStart := s.pos
		s.skipValue()
		valEnd := s.pos
		for valEnd > valStart && (src[valEnd-1] == ' ' || src[valEnd-1] == '\t' || src[valEnd-1] == '\r') {
			valEnd--
		}
		if inRoot {
			doc.entries = append(doc.entries, tomlEntry{key: key, dotted: dotted, line: s.lineOf(start), valStart: valStart, valEnd: valEnd})
		}
		s.skipLine()
	}
	return doc
}

type scanner struct {
	src      string
	pos      int
	newlines []int // offsets of '\n'
}

func (s *scanner) lineOf(off int) int {
	return sort.SearchInts(s.newlines, off) + 1
}

func (s *scanner) lineStart(off int) int {
	return strings.LastIndexByte(s.src[:off], '\n') + 1
}

func (s *scanner) skipBlank() {
	for s.pos < len(s.src) && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
}

// skipLine moves past the next newline.
func (s *scanner) skipLine() {
	if i := strings.IndexByte(s.src[s.pos:], '\n'); i >= 0 {
		s.pos += i + 1
	} else {
		s.pos = len(s.src)
	}
}

// key reads a possibly dotted key and returns its first component.
func (s *scanner) key() (first string, dotted bool) {
	for n := 0; ; n++ {
		s.skipBlank()
		part := s.keyPart()
		if n == 0 {
			first = part
		}
		s.skipBlank()
		if s.pos < len(s.src) && s.src[s.pos] == '.' {
			dotted = true
			s.pos++
			continue
		}
		return first, dotted
	}
}

func (s *scanner) keyPart() string {
	if s.pos >= len(s.src) {
		return ""
	}
	switch s.src[s.pos] {
	case '"':
		start := s.pos
		s.skipBasicString()
		raw := s.src[start:s.pos]
		if v, err := strconv.Unquote(raw); err == nil {
			return v
		}
		return strings.Trim(raw, `"`)
	case '\'':
		start := s.pos
		s.skipLiteralString()
		return strings.Trim(s.src[start:s.pos], "'")
	}
	start := s.pos
	for s.pos < len(s.src) && !strings.ContainsRune(" \t.=]\r\n#\"'", rune(s.src[s.pos])) {
		s.pos++
	}
	return s.src[start:s.pos]
}

// skipValue moves past one value starting at pos.
func (s *scanner) skipValue() {
	if s.pos >= len(s.src) {
		return
	}
	switch {
	case strings.HasPrefix(s.src[s.pos:], `"""`):
		s.skipMultiline(`"""`, true)
	case strings.HasPrefix(s.src[s.pos:], `'''`):
		s.skipMultiline(`'''`, false)
	case s.src[s.pos] == '"':
		s.skipBasicString()
	case s.src[s.pos] == '\'':
		s.skipLiteralString()
	case s.src[s.pos] == '[' || s.src[s.pos] == '{':
		s.skipNested()
	default:
		// A bare value (number, boolean, date) ends at a comment, a
		// newline or, inside arrays and inline tables, a separator.
		for s.pos < len(s.src) && !strings.ContainsRune("#\n,]}", rune(s.src[s.pos])) {
			s.pos++
		}
	}
}

func (s *scanner) skipBasicString() {
	s.pos++ // opening quote
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '\\':
			s.pos += 2
			continue
		case '"':
			s.pos++
			return
		case '\n':
			return
		}
		s.pos++
	}
	s.pos = min(s.pos, len(s.src))
}

func (s *scanner) skipLiteralString() {
	s.pos++
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '\'':
			s.pos++
			return
		case '\n':
			return
		}
		s.pos++
	}
}

// skipMultiline moves past a multi-line string. Up to two quotes may
// precede the closing delimiter and belong to the content.
func (s *scanner) skipMultiline(delim string, escapes bool) {
	s.pos += 3
	for s.pos < len(s.src) {
		if escapes && s.src[s.pos] == '\\' {
			s.pos += 2
			continue
		}
		if strings.HasPrefix(s.src[s.pos:], delim) {
			s.pos += 3
			for extra := 0; extra < 2 && s.pos < len(s.src) && s.src[s.pos] == delim[0]; extra++ {
				s.pos++
			}
			return
		}
		s.pos++
	}
	s.pos = min(s.pos, len(s.src))
}

// skipNested moves past an array or inline table, which may span lines and
// hold strings, comments and further nesting.
func (s *scanner) skipNested() {
	depth := 0
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; c {
		case '[', '{':
			depth++
			s.pos++
		case ']', '}':
			depth--
			s.pos++
			if depth == 0 {
				return
			}
		case '"', '\'':
			s.skipValue()
		case '#':
			s.skipComment()
		default:
			s.pos++
		}
	}
}

func (s *scanner) skipComment() {
	if i := strings.IndexByte(s.src[s.pos:], '\n'); i >= 0 {
		s.pos += i
	} else {
		s.pos = len(s.src)
	}
}
