package bosbase

import "time"

// LiveCallHandles is the number of cgo.Handles of context-aware calls started and not yet
// completed (for the leak tests in package bosbase_test).
func LiveCallHandles() int64 { return liveCallHandles.Load() }

// LiveHandles is the number of realtime and pub/sub subscriptions and state listeners
// whose ids are still registered (for the leak tests).
func LiveHandles() int64 { return liveHandles.Load() }

// FinalizerTimes reports the longest run of a client finalizer since the last reset, and
// for how long the one running now (if any) has been running.
func FinalizerTimes() (longest, running time.Duration) {
	if since := finalizerTimes.running.Load(); since != 0 {
		running = time.Since(time.Unix(0, since))
	}
	return time.Duration(finalizerTimes.longest.Load()), running
}

// ResetFinalizerTimes forgets the longest run.
func ResetFinalizerTimes() { finalizerTimes.longest.Store(0) }

// WatchFinalizer returns a channel that receives how long c's finalizer ran, once it ran.
func WatchFinalizer(c *Client) <-chan time.Duration {
	ch := make(chan time.Duration, 1)
	finalizerTimes.watch.Store(c.n.serial, ch)
	return ch
}
