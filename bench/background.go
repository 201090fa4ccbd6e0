package bench

import "context"

// Background is work that must be going on while the load runs, on the same server, for
// the load to mean what its row says: subscribers that every PUBLISH delivers to, say.
// Unlike a Setup, which puts data in place and is done, a Background lives exactly as long
// as one run.
//
// The runner starts it for every calibration probe and every measured run, after the
// servers have settled and just before the load starts, and stops it as soon as the load
// returns, before the next run's settling: so it is there for the whole timed part and
// gone before anything else is measured.
type Background interface {
	// Describe tells a reader what is attached during a run, enough to redo it by hand; a
	// Requests of 0 shows as N, as in LoadGenerator.CommandLine.
	Describe(p Params) string
	// Start returns once the work is in place (connected, subscribed, confirmed), so the
	// first request of the run already finds it. p is the run's, Requests included, so the
	// work can check afterwards what the run should have caused. On error nothing Start
	// began is left running.
	//
	// The returned stop is called exactly once, from the runner's goroutine, after the
	// load returned, whether or not it succeeded. It ends everything Start began
	// (connections, goroutines) before returning, and reports whether the work saw what a
	// complete run of p should have caused, and what it measured meanwhile, if anything
	// (ReplicationLag's lag figures), which the runner adds to the run's Sample; after a
	// failed run neither is used. ctx bounds Start only: stop must end on its own, in
	// bounded time.
	Start(ctx context.Context, target Target, p Params) (stop func() (Figures, error), err error)
}
