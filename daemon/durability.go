package daemon

import (
	"sync"
	"sync/atomic"
	"time"
)

// durability implements appendfsync on top of Store.Sync.
//
// Every read's writes are committed to the store without sync at the end of
// Client.Data (so later commands see them at once) and numbered by a commit
// sequence. The syncer goroutine makes commits durable with Store.Sync:
//
//   - always:   as soon as anything is committed, one Sync covers every
//     commit made so far (group commit). Replies produced while a commit is
//     not yet durable (the writer's, and any reader's that might have seen
//     it) are held on their client and released, in order, by the loop once
//     Sync returns. No reply ever reveals a write that kill -9 could lose.
//   - everysec: one Sync a second; replies are never held.
//   - no:       the syncer does nothing; Pebble syncs when its WAL rolls.
//
// The event loops never wait for fsync: they hand held replies over and go
// on serving other clients.
type durability struct {
	srv       *Server
	mode      atomic.Value // string: always|everysec|no
	committed atomic.Uint64
	durable   atomic.Uint64

	kick chan struct{}
	quit chan struct{}
	done sync.WaitGroup

	mu      sync.Mutex
	waiters map[*Client]struct{}
}

func newDurability(s *Server, mode string) *durability {
	d := &durability{srv: s, kick: make(chan struct{}, 1), quit: make(chan struct{}), waiters: map[*Client]struct{}{}}
	d.mode.Store(mode)
	return d
}

// setMode switches appendfsync at runtime (CONFIG SET).
func (d *durability) setMode(mode string) {
	d.mode.Store(mode)
	d.signal()
}

func (d *durability) always() bool { return d.mode.Load().(string) == "always" }

// committedOne records a commit; called with Server.mu held.
func (d *durability) committedOne() {
	d.committed.Add(1)
	if d.always() {
		d.signal()
	}
}

// requiredSeq is the commit a reply produced now must wait for: the newest
// commit under always (the reply may reflect it), none otherwise. Holds mu.
func (d *durability) requiredSeq() uint64 {
	if !d.always() {
		return 0
	}
	return d.committed.Load()
}

// wait registers c to be woken once the next Sync completes.
func (d *durability) wait(c *Client) {
	d.mu.Lock()
	d.waiters[c] = struct{}{}
	d.mu.Unlock()
	d.signal()
}

func (d *durability) signal() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *durability) start() {
	d.done.Add(1)
	go d.run()
}

// stop ends the syncer after a final Sync and release.
func (d *durability) stop() {
	close(d.quit)
	d.done.Wait()
}

func (d *durability) run() {
	defer d.done.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-d.quit:
			d.syncNow()
			return
		case <-d.kick:
			if d.always() || d.hasWaiters() {
				d.syncNow()
			}
		case <-tick.C:
			if d.mode.Load().(string) != "no" {
				d.syncNow()
			}
		}
	}
}

func (d *durability) hasWaiters() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.waiters) > 0
}

// syncNow makes every commit made so far durable, then releases the
// replies that waited for it.
func (d *durability) syncNow() {
	target := d.committed.Load()
	if target > d.durable.Load() {
		if err := d.srv.store.Sync(); err != nil {
			// Like Redis under appendfsync always, a failed fsync means
			// acknowledged writes may not be durable: stop serving.
			d.srv.fatal("can't sync the store to disk, exiting", err)
		}
		d.durable.Store(target)
	}
	d.mu.Lock()
	waiters := d.waiters
	d.waiters = map[*Client]struct{}{}
	d.mu.Unlock()
	for c := range waiters {
		c := c
		if err := c.conn.Execute(c.releaseHeld); err != nil {
			_ = c.conn.Close()
		}
	}
}
