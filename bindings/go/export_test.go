package bosbase

// LiveCallHandles is the number of cgo.Handles of context-aware calls started and not yet
// completed (for the leak tests in package bosbase_test).
func LiveCallHandles() int64 { return liveCallHandles.Load() }

// LiveHandles is the number of cgo.Handles of realtime and pub/sub deliveries not yet
// released (for the leak tests).
func LiveHandles() int64 { return liveHandles.Load() }
