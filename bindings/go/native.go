package bosbase

/*
#include "bosbase.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// native owns one BosbaseClient handle. Client, AuthStore and RecordService all point
// at it (never at each other), so the finalizer below runs once none of them is
// reachable: no cycle through a finalized object.
//
// Closing is the core's job: bosbase_client_close refuses new requests (status CLOSED)
// and waits for the requests in flight, each bounded by its deadline. What the core
// cannot know is whether a goroutine has loaded the handle and is about to pass it to
// C, or is inside one of the auth-store functions (which the core's close does not wait
// for): freeing under either would be a use-after-free. So each use of the handle
// holds a reference (acquire/release), and the free waits for the references, which
// after bosbase_client_close are only short-lived ones (a store read, or a call that the
// core immediately refuses with CLOSED).
//
// Two stages: once closing, new requests, store changes and new listeners are refused,
// but store reads still work, so a listener run by a request that finishes during Close
// can read the store; once freeing (after bosbase_client_close returned), everything is
// refused and the last reference lets the free go ahead.
//
// A counter rather than a sync.RWMutex: an OnChange listener may read the store while
// the call that triggered it still holds a reference, and a recursive read lock
// deadlocks an RWMutex once a writer waits.
type native struct {
	ptr     *C.BosbaseClient
	serial  uint64
	refs    atomic.Int64
	closing atomic.Bool // Close has begun: only reads (and unsubscribing) are admitted
	freeing atomic.Bool // the core's close returned: nothing is admitted
	once    sync.Once
	drained chan struct{} // closed by the release that ends the last reference once freeing
	signal  sync.Once

	mu        sync.Mutex
	listeners map[uint64]C.uint64_t // Go listener id -> core listener id
	live      map[ender]struct{}    // subscriptions and state listeners (live.go); nil once freed
}

func newNative(ptr *C.BosbaseClient) *native {
	n := &native{ptr: ptr, drained: make(chan struct{}), listeners: map[uint64]C.uint64_t{}, live: map[ender]struct{}{}}
	n.serial = nativeSerials.Add(1)
	runtime.SetFinalizer(n, finalize)
	return n
}

// finalize is the finalizer of a native nobody holds any more. Its time is measured
// (finalizerTimes, read by the tests): the runtime runs every finalizer of the process
// on one goroutine, so one that waits stalls all the others.
func finalize(n *native) {
	start := time.Now()
	finalizerTimes.running.Store(start.UnixNano())
	n.shutdown(false)
	took := time.Since(start)
	finalizerTimes.running.Store(0)
	for {
		longest := finalizerTimes.longest.Load()
		if int64(took) <= longest || finalizerTimes.longest.CompareAndSwap(longest, int64(took)) {
			break
		}
	}
	if ch, ok := finalizerTimes.watch.LoadAndDelete(n.serial); ok {
		ch.(chan time.Duration) <- took // buffered
	}
}

// finalizerTimes: the longest finalizer run (ns), the start of the one running (unix
// ns, 0 when none), and the natives whose finalizer a test waits for (serial -> a
// chan time.Duration of capacity 1).
var finalizerTimes struct {
	longest, running atomic.Int64
	watch            sync.Map
}

// nativeSerials numbers the natives (a key that does not keep one reachable).
var nativeSerials atomic.Uint64

// acquire returns the handle for a request or a store change, or nil once Close has
// begun (or for a client that was never created). Pair a non-nil result with release.
func (n *native) acquire() *C.BosbaseClient {
	return n.admit(true)
}

// acquireRead is acquire for store reads and unsubscribing, which stay admitted until
// the core's close has returned.
func (n *native) acquireRead() *C.BosbaseClient {
	return n.admit(false)
}

func (n *native) admit(change bool) *C.BosbaseClient {
	if n == nil {
		return nil
	}
	n.refs.Add(1)
	// Sequentially consistent atomics: either close sees our reference and waits for
	// it, or we see its flag here and back off.
	if n.freeing.Load() || (change && n.closing.Load()) {
		n.release()
		return nil
	}
	return n.ptr
}

func (n *native) release() {
	if n.refs.Add(-1) == 0 && n.freeing.Load() {
		n.signal.Do(func() { close(n.drained) })
	}
	runtime.KeepAlive(n)
}

// close closes and frees the handle once; later calls wait for the first to finish,
// then do nothing (Client.Close).
func (n *native) close() {
	if n != nil {
		n.shutdown(true)
	}
}

// shutdown ends the handle once. With wait (Close) it keeps Close's contract: the calls
// in flight finish first (bosbase_client_close waits for them), then the handle is
// freed. Without (the finalizer, which must never wait: the runtime runs every finalizer
// of the process on one goroutine) bosbase_client_release does the same on a library
// thread and this returns at once. A finalizer runs only once nothing references the
// native, so no goroutine holds a reference (acquire/release keep it reachable) and
// none can take one.
func (n *native) shutdown(wait bool) {
	n.once.Do(func() {
		runtime.SetFinalizer(n, nil)
		n.closing.Store(true)
		if wait {
			// The core refuses new requests and waits for the ones in flight.
			C.bosbase_client_close(n.ptr)
		}
		n.freeing.Store(true)
		if wait && n.refs.Load() != 0 {
			<-n.drained
		}
		// Every subscription's handle goes and its channel closes; none of it waits for
		// the core (pull mode; a state callback never blocks).
		n.stopAll()
		n.mu.Lock()
		for id := range n.listeners {
			listeners.Delete(id)
		}
		n.listeners = nil
		n.mu.Unlock()
		if wait {
			C.bosbase_client_free(n.ptr)
		} else {
			C.bosbase_client_release(n.ptr, nil, nil)
		}
		n.ptr = nil
	})
}

// isClosed reports whether Close has begun.
func (n *native) isClosed() bool {
	return n == nil || n.closing.Load()
}

// withRead runs fn with a handle admitted for reading; false when it is not.
func (n *native) withRead(fn func(p *C.BosbaseClient)) bool {
	p := n.acquireRead()
	if p == nil {
		return false
	}
	defer n.release()
	fn(p)
	return true
}

// withChange runs fn with a handle admitted for a change; false once Close has begun.
func (n *native) withChange(fn func(p *C.BosbaseClient)) bool {
	p := n.acquire()
	if p == nil {
		return false
	}
	defer n.release()
	fn(p)
	return true
}
