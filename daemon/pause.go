package daemon

import "time"

// pauseState implements CLIENT PAUSE / UNPAUSE. While a pause is active,
// clients stop being served (all commands, or only writes for WRITE mode,
// approximated here by the command's write flag when it is parsed) until the
// deadline or UNPAUSE; their bytes stay buffered and they are woken when it
// ends. Guarded by Server.mu.
type pauseState struct {
	until   time.Time
	all     bool // ALL (default) vs WRITE
	waiting map[*Client]struct{}
}

// active reports whether a pause is in force.
func (p *pauseState) active() bool { return !p.until.IsZero() && time.Now().Before(p.until) }

// blocks reports whether c must wait before its next command. WRITE pauses
// are applied per command in call; here only ALL pauses stop parsing.
func (p *pauseState) blocks(c *Client) bool {
	return p.active() && p.all
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

// start begins or extends a pause (Redis keeps the later deadline and the
// stricter mode).
func (p *pauseState) start(until time.Time, all bool) {
	if !p.active() {
		p.all = all
		p.until = until
		return
	}
	if until.After(p.until) {
		p.until = until
	}
	p.all = p.all || all
}

// end lifts the pause and wakes waiting clients.
func (p *pauseState) end() {
	p.until = time.Time{}
	for c := range p.waiting {
		_ = c.conn.Wake()
	}
	p.waiting = nil
}

// expire ends a pause whose deadline passed. Called by cron with mu held.
func (p *pauseState) expire(s *Server) {
	if !p.until.IsZero() && !time.Now().Before(p.until) {
		p.end()
	}
}

// blocksWrite reports whether argv must wait for a WRITE pause to end.
func (p *pauseState) blocksWrite(t *commandTable, argv [][]byte) bool {
	if !p.active() || p.all {
		return false
	}
	cmd, ok := t.lookup(argv)
	return ok && (cmd.has(flagWrite) || cmd.has(flagMayReplicate))
}
