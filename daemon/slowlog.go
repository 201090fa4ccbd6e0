package daemon

import (
	"fmt"
	"time"
)

// slowlog keeps the newest slow commands, like Redis's slowlog.c. Guarded
// by Server.mu.
type slowlog struct {
	entries []slowEntry // newest first
	nextID  int64
}

type slowEntry struct {
	id       int64
	at       int64 // unix seconds
	duration int64 // microseconds
	argv     []string
	addr     string
	name     string
}

// Redis keeps at most 32 arguments and 128 bytes of each.
const (
	slowlogMaxArgc   = 32
	slowlogMaxArgLen = 128
)

func (l *slowlog) init() { l.entries = nil }

// add records the command when it ran for at least threshold microseconds
// (a negative threshold disables the log, 0 logs everything).
func (l *slowlog) add(c *Client, argv [][]byte, elapsed time.Duration, threshold int64, maxLen int64) {
	if threshold < 0 || elapsed.Microseconds() < threshold {
		return
	}
	e := slowEntry{id: l.nextID, at: time.Now().Unix(), duration: elapsed.Microseconds(), addr: c.addr, name: c.name}
	l.nextID++
	argc := len(argv)
	if argc > slowlogMaxArgc {
		argc = slowlogMaxArgc
	}
	for i := 0; i < argc; i++ {
		if i == slowlogMaxArgc-1 && len(argv) > slowlogMaxArgc {
			e.argv = append(e.argv, fmt.Sprintf("... (%d more arguments)", len(argv)-slowlogMaxArgc+1))
			break
		}
		a := argv[i]
		if len(a) > slowlogMaxArgLen {
			e.argv = append(e.argv, fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxArgLen], len(a)-slowlogMaxArgLen))
		} else {
			e.argv = append(e.argv, string(a))
		}
	}
	l.entries = append([]slowEntry{e}, l.entries...)
	l.trim(maxLen)
}

func (l *slowlog) trim(maxLen int64) {
	if maxLen < 0 {
		maxLen = 0
	}
	if int64(len(l.entries)) > maxLen {
		l.entries = l.entries[:maxLen]
	}
}

func (l *slowlog) reset() { l.entries = nil }
