package daemon

import (
	"sync"
	"sync/atomic"
	"time"
)

// durability implements appendfsync on top of the write buffer.
//
// Every committed unit (the writes of one client read) gets a sequence
// number. The write buffer's flusher writes units to the store in order:
//
//   - always:   each commit kicks the flusher, which commits what has
//     accumulated with fsync (group commit) and then marks those units
//     durable. Replies produced while a unit is not yet durable (the
//     writer's, and any reader's that might have seen it) are held on their
//     client and released, in order, by the loop once it is. No reply ever
//     reveals a write that kill -9 could lose.
//   - everysec: the flusher writes without fsync within ~10 ms and this
//     goroutine syncs the store once a second; replies are never held.
//   - no:       nothing syncs explicitly; Pebble syncs when its WAL rolls.
//
// The event loops never wait for fsync.
type durability struct {
	srv       *Server
	mode      atomic.Value // string: always|everysec|no
	committed atomic.Uint64
	durable   atomic.Uint64

	quit chan struct{}
	done sync.WaitGroup

	mu      sync.Mutex
	waiters map[*Client]struct{}
}

func newDurability(s *Server, mode string) *durability {
	d := &durability{srv: s, quit: make(chan struct{}), waiters: map[*Client]struct{}{}}
	d.mode.Store(mode)
	return d
}

// setMode switches appendfsync at runtime (CONFIG SET). Replies held under
// always are released as their units reach the store.
func (d *durability) setMode(mode string) { d.mode.Store(mode) }

func (d *durability) always() bool { return d.mode.Load().(string) == "always" }

// nextSeq numbers a committed unit. Holds Server.mu.
func (d *durability) nextSeq() uint64 { return d.committed.Add(1) }

// requiredSeq is the unit a reply produced now must wait for: the newest
// under always (the reply may reflect it), none otherwise. Holds mu.
func (d *durability) requiredSeq() uint64 {
	if !d.always() {
		return 0
	}
	return d.committed.Load()
}

// markDurable records that every unit up to seq is in the store (synced
// under always) and releases the replies that waited for it. Called by the
// write buffer's flusher.
func (d *durability) markDurable(seq uint64) {
	for {
		cur := d.durable.Load()
		if seq <= cur || d.durable.CompareAndSwap(cur, seq) {
			break
		}
	}
	d.release()
}

// wait registers c to be woken once its held replies may be durable.
func (d *durability) wait(c *Client, seq uint64) {
	d.mu.Lock()
	d.waiters[c] = struct{}{}
	d.mu.Unlock()
	if d.durable.Load() >= seq {
		// markDurable may have run between the caller's check and the
		// registration: do not wait for a flush that is not coming.
		d.release()
	}
}

// release hands every waiting client to its loop to write what is durable.
func (d *durability) release() {
	d.mu.Lock()
	waiters := d.waiters
	if len(waiters) == 0 {
		d.mu.Unlock()
		return
	}
	d.waiters = map[*Client]struct{}{}
	d.mu.Unlock()
	for c := range waiters {
		if err := c.conn.Execute(c.releaseHeld); err != nil {
			_ = c.conn.Close()
		}
	}
}

func (d *durability) start() {
	d.done.Add(1)
	go d.run()
}

func (d *durability) stop() {
	close(d.quit)
	d.done.Wait()
}

// run syncs the store once a second under everysec.
func (d *durability) run() {
	defer d.done.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-d.quit:
			return
		case <-tick.C:
			if d.mode.Load().(string) == "everysec" {
				if err := d.srv.store.Sync(); err != nil {
					// Like Redis when it cannot fsync its AOF: acknowledged
					// writes may not be durable, so stop serving.
					d.srv.fatal("can't sync the store to disk, exiting", err)
				}
			}
		}
	}
}
