package bosbase

/*
#include "bosbase.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
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
	refs    atomic.Int64
	closing atomic.Bool // Close has begun: only reads (and unsubscribing) are admitted
	freeing atomic.Bool // the core's close returned: nothing is admitted
	once    sync.Once
	drained chan struct{} // closed by the release that ends the last reference once freeing
	signal  sync.Once

	mu        sync.Mutex
	listeners map[uint64]C.uint64_t    // Go listener id -> core listener id
	live      map[*liveHandle]struct{} // realtime and pub/sub deliveries (live.go); nil once freed
}

func newNative(ptr *C.BosbaseClient) *native {
	n := &native{ptr: ptr, drained: make(chan struct{}), listeners: map[uint64]C.uint64_t{}, live: map[*liveHandle]struct{}{}}
	runtime.SetFinalizer(n, (*native).close)
	return n
}

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
// then do nothing. Used by Client.Close and as the finalizer.
func (n *native) close() {
	if n == nil {
		return
	}
	n.once.Do(func() {
		runtime.SetFinalizer(n, nil)
		n.closing.Store(true)
		// The core refuses new requests and waits for the ones in flight.
		C.bosbase_client_close(n.ptr)
		n.freeing.Store(true)
		if n.refs.Load() != 0 {
			<-n.drained
		}
		// The core's close joined its realtime and pub/sub threads: no delivery runs any
		// more, so every subscription's handle can go and its channel close.
		n.stopAll()
		n.mu.Lock()
		for id := range n.listeners {
			listeners.Delete(id)
		}
		n.listeners = nil
		n.mu.Unlock()
		C.bosbase_client_free(n.ptr)
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
