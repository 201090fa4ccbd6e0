package acl

import (
	"fmt"
	"testing"
	"time"
)

func logObjects(l *Log) string {
	s := ""
	for _, e := range l.Entries(1000) {
		s += fmt.Sprintf("%s:%d ", e.Object, e.Count)
	}
	return s
}

func TestLogGrouping(t *testing.T) {
	l := NewLog(128)
	t0 := time.Unix(1000, 0)
	l.Add(ReasonKey, ContextToplevel, "k", "u", "c1", t0)
	l.Add(ReasonKey, ContextToplevel, "k", "u", "c2", t0.Add(30*time.Second))
	if got := logObjects(l); got != "k:2 " {
		t.Fatalf("grouping: %s", got)
	}
	e := l.Entries(1)[0]
	if e.ClientInfo != "c2" || !e.Updated.Equal(t0.Add(30*time.Second)) {
		t.Errorf("bumped entry keeps old client info or time: %+v", e)
	}
	// Exactly 60 s later still groups; a millisecond more does not.
	l.Add(ReasonKey, ContextToplevel, "k", "u", "", t0.Add(90*time.Second))
	l.Add(ReasonKey, ContextToplevel, "k", "u", "", t0.Add(150*time.Second+time.Millisecond))
	if got := logObjects(l); got != "k:1 k:3 " {
		t.Fatalf("window: %s", got)
	}
	// Any difference in reason, context, object or username is another
	// entry.
	now := t0.Add(151 * time.Second)
	l.Reset()
	l.Add(ReasonKey, ContextToplevel, "k", "u", "", now)
	l.Add(ReasonChannel, ContextToplevel, "k", "u", "", now)
	l.Add(ReasonKey, ContextMulti, "k", "u", "", now)
	l.Add(ReasonKey, ContextToplevel, "k2", "u", "", now)
	l.Add(ReasonKey, ContextToplevel, "k", "u2", "", now)
	if l.Len() != 5 {
		t.Fatalf("distinct entries grouped: %d", l.Len())
	}
	// A match is moved to the front.
	l.Add(ReasonKey, ContextToplevel, "k", "u", "", now)
	if e := l.Entries(1)[0]; e.Object != "k" || e.Username != "u" || e.Count != 2 || e.Reason != ReasonKey || e.Context != ContextToplevel {
		t.Errorf("front entry %+v", e)
	}
}

func TestLogScansTenEntries(t *testing.T) {
	l := NewLog(128)
	now := time.Unix(1000, 0)
	l.Add(ReasonCommand, ContextToplevel, "old", "u", "", now)
	for i := 0; i < 10; i++ {
		l.Add(ReasonCommand, ContextToplevel, fmt.Sprint(i), "u", "", now)
	}
	// "old" is now the 11th entry: not found, so a new one.
	l.Add(ReasonCommand, ContextToplevel, "old", "u", "", now)
	if l.Len() != 12 {
		t.Errorf("len = %d, want 12", l.Len())
	}
	// "0" is the 11th too; "1" is the 10th and is bumped.
	l.Add(ReasonCommand, ContextToplevel, "1", "u", "", now)
	if l.Len() != 12 || l.Entries(1)[0].Count != 2 {
		t.Errorf("10th entry not bumped: %s", logObjects(l))
	}
}

func TestLogMaxLen(t *testing.T) {
	l := NewLog(3)
	now := time.Unix(1000, 0)
	for i := 0; i < 5; i++ {
		l.Add(ReasonKey, ContextToplevel, fmt.Sprint(i), "u", "", now)
	}
	if got := logObjects(l); got != "4:1 3:1 2:1 " {
		t.Fatalf("trimmed log: %s", got)
	}
	// A shorter maximum applies at the next new entry, not before.
	l.SetMaxLen(1)
	if l.Len() != 3 {
		t.Error("SetMaxLen trimmed at once")
	}
	l.Add(ReasonKey, ContextToplevel, "3", "u", "", now)
	if l.Len() != 3 {
		t.Error("bumping an entry trimmed")
	}
	l.Add(ReasonKey, ContextToplevel, "5", "u", "", now)
	if got := logObjects(l); got != "5:1 " {
		t.Errorf("after a new entry: %s", got)
	}
	l.SetMaxLen(0)
	l.Add(ReasonKey, ContextToplevel, "6", "u", "", now)
	if l.Len() != 0 {
		t.Error("acllog-max-len 0 keeps entries")
	}
}

func TestLogEntries(t *testing.T) {
	l := NewLog(128)
	now := time.Unix(1000, 0)
	for i := 0; i < 15; i++ {
		l.Add(ReasonKey, ContextLua, fmt.Sprint(i), "u", "", now)
	}
	if n := len(l.Entries(10)); n != 10 {
		t.Errorf("Entries(10) = %d", n)
	}
	if n := len(l.Entries(-3)); n != 0 {
		t.Errorf("Entries(-3) = %d", n)
	}
	if n := len(l.Entries(100)); n != 15 {
		t.Errorf("Entries(100) = %d", n)
	}
	e := l.Entries(1)[0]
	e.Count = 99 // a copy
	if l.Entries(1)[0].Count != 1 {
		t.Error("Entries returned shared entries")
	}
	if age := e.AgeSeconds(now.Add(1500 * time.Millisecond)); age != 1.5 {
		t.Errorf("AgeSeconds = %v", age)
	}
	for c, want := range map[Context]string{ContextToplevel: "toplevel", ContextMulti: "multi", ContextLua: "lua", ContextModule: "module", Context(9): "unknown"} {
		if c.String() != want {
			t.Errorf("Context(%d) = %s", c, c.String())
		}
	}
	l.Reset()
	if l.Len() != 0 {
		t.Error("Reset")
	}
}
