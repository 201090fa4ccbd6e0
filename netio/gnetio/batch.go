package gnetio

import (
	"context"
	"sync"

	"github.com/panjf2000/gnet/v2"
)

// batch gathers the replies of one event loop so that they go out together
// once the loop has handled the events it woke for, as Redis writes its
// replies in beforeSleep rather than after each client's read.
//
// Why: a reply written right after its client's read wakes the load
// generator (or any client process) once per connection, while the loop
// still has other connections to serve. At -P 16 over 50 connections the
// woken client then ran on the loop's core and the loop waited for it:
// per-thread schedstat showed the loop thread 26% of the time on a run
// queue, with 43% of the two cores idle. Written together, the replies
// wake the client once and it finds them all.
//
// gnet has no hook at the end of a batch of events; it runs queued tasks
// there, after the batch in which its wake-up event is seen. So the first
// reply of a burst is written at once and arms a task; replies after it
// wait for that task, which runs at the end of the next batch of events
// (the one holding the wake-up) and writes them all. A lone client thus
// never waits: its reply goes out at once, and the task finds nothing.
// Everything here runs on the loop.
type batch struct {
	loop  gnet.EventLoop
	armed bool
	fns   []func()
	task  gnet.Runnable
}

func newBatch(loop gnet.EventLoop) *batch {
	b := &batch{loop: loop}
	b.task = gnet.RunnableFunc(b.run)
	return b
}

// deferCall queues f for the armed task and reports true, or arms the task
// and reports false: the caller writes now.
func (b *batch) deferCall(f func()) bool {
	if b.armed {
		b.fns = append(b.fns, f)
		return true
	}
	if b.loop.Execute(context.Background(), b.task) == nil {
		b.armed = true
	}
	return false
}

func (b *batch) run(context.Context) error {
	// A call may queue another (a write that wakes a session): it runs in
	// this round too.
	for i := 0; i < len(b.fns); i++ {
		f := b.fns[i]
		b.fns[i] = nil
		f()
	}
	b.fns = b.fns[:0]
	b.armed = false
	return nil
}

// batches finds each loop's batch. Connections look theirs up once, at
// open, on their loop; loops of one engine open connections concurrently.
type batches struct {
	mu sync.Mutex
	m  map[gnet.EventLoop]*batch
}

func (bs *batches) of(loop gnet.EventLoop) *batch {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.m[loop]
	if b == nil {
		if bs.m == nil {
			bs.m = map[gnet.EventLoop]*batch{}
		}
		b = newBatch(loop)
		bs.m[loop] = b
	}
	return b
}
