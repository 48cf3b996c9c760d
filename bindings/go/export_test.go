package bosbase

import "time"

// LiveCallHandles is the number of cgo.Handles of context-aware calls started and not yet
// completed (for the leak tests in package bosbase_test).
func LiveCallHandles() int64 { return liveCallHandles.Load() }

// LiveHandles is the number of realtime and pub/sub subscriptions and state listeners
// whose ids are still registered (for the leak tests).
func LiveHandles() int64 { return liveHandles.Load() }

// FinalizerTimes reports the longest run of a client finalizer since the last reset,
// how many ran, and for how long the one running now (if any) has been running.
func FinalizerTimes() (longest time.Duration, runs int64, running time.Duration) {
	if since := finalizerTimes.running.Load(); since != 0 {
		running = time.Since(time.Unix(0, since))
	}
	return time.Duration(finalizerTimes.longest.Load()), finalizerTimes.runs.Load(), running
}

// ResetFinalizerTimes forgets the longest run.
func ResetFinalizerTimes() { finalizerTimes.longest.Store(0) }

// OpenNatives is the number of clients neither closed nor finalized yet.
func OpenNatives() int64 { return openNatives.Load() }
