package daemon

import "time"

// pausePurpose names who asked for a pause. As in Redis each purpose has a
// pause of its own, and clients wait while any of them is in force, for the
// strictest: CLIENT UNPAUSE ends only what CLIENT PAUSE began, not the
// pause a FAILOVER holds.
type pausePurpose int

const (
	pauseByClient    pausePurpose = iota // CLIENT PAUSE
	pauseForFailover                     // FAILOVER, until it ends
	pauseForShutdown                     // a shutdown waiting for replicas
	pausePurposes
)

// pauseForever is the deadline of a pause that lasts until it is lifted.
var pauseForever = time.Unix(1<<40, 0)

// pauseEvent is one purpose's pause: none while until is zero.
type pauseEvent struct {
	until time.Time
	all   bool // ALL vs WRITE
}

func (e pauseEvent) active(now time.Time) bool { return !e.until.IsZero() && now.Before(e.until) }

// pauseState implements CLIENT PAUSE / UNPAUSE and FAILOVER's pause of
// writes. While a pause is active, clients stop being served (all commands,
// or only writes in WRITE mode, judged by the command's flags) until its
// deadline or its end: a command that passed every check that may refuse
// it waits in the buffer (Server.postponeLocked), and its client is woken
// when the pause ends. Replicas are never paused. Guarded by Server.mu.
type pauseState struct {
	events [pausePurposes]pauseEvent
	// set: some event has a deadline, so the checks every command makes
	// cost no clock read when nothing is paused.
	set     bool
	waiting map[*Client]struct{}
}

// active reports whether a pause is in force.
func (p *pauseState) active() bool {
	if !p.set {
		return false
	}
	now := time.Now()
	for _, e := range p.events {
		if e.active(now) {
			return true
		}
	}
	return false
}

// pausesAll reports whether a pause of every command (ALL) is in force.
func (p *pauseState) pausesAll() bool {
	if !p.set {
		return false
	}
	now := time.Now()
	for _, e := range p.events {
		if e.all && e.active(now) {
			return true
		}
	}
	return false
}

// blocks reports whether an ALL pause holds c's commands back; WRITE
// pauses are judged per command (blocksWrite).
func (p *pauseState) blocks(c *Client) bool {
	return !c.isReplica() && p.pausesAll()
}

// park records c as waiting for the pause to end, to be woken by end.
func (p *pauseState) park(c *Client) {
	if p.waiting == nil {
		p.waiting = map[*Client]struct{}{}
	}
	p.waiting[c] = struct{}{}
}

// forget drops c, whose connection closed, from the waiting clients.
func (p *pauseState) forget(c *Client) { delete(p.waiting, c) }

// start begins or extends purpose's pause (Redis keeps the later deadline
// and the stricter mode).
func (p *pauseState) start(purpose pausePurpose, until time.Time, all bool) {
	e := &p.events[purpose]
	p.set = true
	if !e.active(time.Now()) {
		*e = pauseEvent{until: until, all: all}
		return
	}
	if until.After(e.until) {
		e.until = until
	}
	e.all = e.all || all
}

// end lifts purpose's pause and wakes the waiting clients: those another
// pause still holds park again when they try their next command.
func (p *pauseState) end(purpose pausePurpose) {
	p.events[purpose] = pauseEvent{}
	p.set = false
	for _, e := range p.events {
		p.set = p.set || !e.until.IsZero()
	}
	for c := range p.waiting {
		_ = c.conn.Wake()
	}
	p.waiting = nil
}

// expire ends the pauses whose deadline passed. Called by cron with mu held.
func (p *pauseState) expire() {
	if !p.set {
		return
	}
	now := time.Now()
	for i, e := range p.events {
		if !e.until.IsZero() && !now.Before(e.until) {
			p.end(pausePurpose(i))
		}
	}
}

// blocksWrite reports whether c's argv must wait for a WRITE pause to end.
func (p *pauseState) blocksWrite(c *Client, t *commandTable, argv [][]byte) bool {
	if c.isReplica() || !p.active() || p.pausesAll() {
		return false
	}
	cmd, ok := t.lookup(argv)
	return ok && (cmd.has(flagWrite) || cmd.has(flagMayReplicate))
}
