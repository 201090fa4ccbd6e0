package acl

import (
	"sync"
	"time"
)

// Context says where a denied command ran, as ACL LOG prints it.
type Context int

const (
	ContextToplevel Context = iota
	ContextMulti
	ContextLua
	ContextModule
)

func (c Context) String() string {
	switch c {
	case ContextToplevel:
		return "toplevel"
	case ContextMulti:
		return "multi"
	case ContextLua:
		return "lua"
	case ContextModule:
		return "module"
	}
	return "unknown"
}

// logGroupWindow is ACL_LOG_GROUPING_MAX_TIME_DELTA.
const logGroupWindow = 60 * time.Second

// logScan is how many recent entries Redis looks at for one to bump.
const logScan = 10

// LogEntry is one ACL LOG entry. ACL LOG prints seven fields in this order:
// "count", "reason", "context", "object", "username", "age-seconds" (a
// double: AgeSeconds) and "client-info".
type LogEntry struct {
	Count    int64
	Reason   Reason
	Context  Context
	Object   string // command full name, key, channel, or argv[0] for auth
	Username string
	// Updated is when the entry was created or last bumped.
	Updated    time.Time
	ClientInfo string // CLIENT LIST line of the last client
}

// AgeSeconds is the entry's "age-seconds": milliseconds since Updated, in
// seconds.
func (e LogEntry) AgeSeconds(now time.Time) float64 {
	return float64(now.UnixMilli()-e.Updated.UnixMilli()) / 1000
}

// Log is the ACL security log, newest entry first. Safe for concurrent use.
type Log struct {
	mu      sync.Mutex
	entries []*LogEntry
	maxLen  int
}

// NewLog returns an empty log keeping at most maxLen entries
// (acllog-max-len, 128 by default).
func NewLog(maxLen int) *Log { return &Log{maxLen: maxLen} }

// SetMaxLen changes acllog-max-len. As in Redis, a longer log is trimmed
// only when the next new entry is added.
func (l *Log) SetMaxLen(n int) {
	l.mu.Lock()
	l.maxLen = n
	l.mu.Unlock()
}

// Add records a denial (addACLLogEntry). If one of the 10 newest entries
// has the same reason, context, object and username and was updated
// within 60 seconds of now, it is bumped instead: count+1, new time and
// client info, moved to the front.
func (l *Log) Add(reason Reason, ctx Context, object, username, clientInfo string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < len(l.entries) && i < logScan; i++ {
		e := l.entries[i]
		delta := e.Updated.UnixMilli() - now.UnixMilli()
		if delta < 0 {
			delta = -delta
		}
		if e.Reason != reason || e.Context != ctx || delta > logGroupWindow.Milliseconds() ||
			e.Object != object || e.Username != username {
			continue
		}
		e.Count++
		e.Updated = now
		e.ClientInfo = clientInfo
		copy(l.entries[1:i+1], l.entries[:i])
		l.entries[0] = e
		return
	}
	e := &LogEntry{Count: 1, Reason: reason, Context: ctx, Object: object, Username: username,
		Updated: now, ClientInfo: clientInfo}
	l.entries = append([]*LogEntry{e}, l.entries...)
	if len(l.entries) > l.maxLen {
		for i := max(l.maxLen, 0); i < len(l.entries); i++ {
			l.entries[i] = nil
		}
		l.entries = l.entries[:max(l.maxLen, 0)]
	}
}

// Entries returns copies of the newest count entries (ACL LOG [count]; a
// negative count gives none, Redis's default is 10).
func (l *Log) Entries(count int) []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	count = min(max(count, 0), len(l.entries))
	out := make([]LogEntry, count)
	for i := range out {
		out[i] = *l.entries[i]
	}
	return out
}

// Len is the number of entries.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Reset empties the log (ACL LOG RESET).
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}
