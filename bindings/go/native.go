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
// The header makes freeing a handle while another thread is inside a call undefined,
// so every call holds a reference (acquire/release) and close waits for them to drain.
// A counter rather than a sync.RWMutex because an OnChange listener may read the
// store while the call that triggered it is still in flight (recursive read locks
// deadlock an RWMutex once a writer waits).
type native struct {
	ptr    *C.BosbaseClient
	refs   atomic.Int64
	closed atomic.Bool
	once   sync.Once

	mu        sync.Mutex
	listeners map[uint64]C.uint64_t // Go listener id -> core listener id
}

func newNative(ptr *C.BosbaseClient) *native {
	n := &native{ptr: ptr, listeners: map[uint64]C.uint64_t{}}
	runtime.SetFinalizer(n, (*native).close)
	return n
}

// acquire returns the handle for one call, or nil once closed. Pair with release.
func (n *native) acquire() *C.BosbaseClient {
	if n == nil {
		return nil
	}
	n.refs.Add(1)
	// Sequentially consistent atomics: either close sees our reference and waits, or
	// we see closed here and back off.
	if n.closed.Load() {
		n.refs.Add(-1)
		return nil
	}
	return n.ptr
}

func (n *native) release() {
	n.refs.Add(-1)
	runtime.KeepAlive(n)
}

// close frees the handle once; later calls (and the finalizer) do nothing.
func (n *native) close() {
	if n == nil {
		return
	}
	n.once.Do(func() {
		n.closed.Store(true)
		runtime.SetFinalizer(n, nil)
		for n.refs.Load() != 0 { // in-flight calls finish first
			time.Sleep(time.Millisecond)
		}
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

// with runs fn with a live handle; false when the client is closed.
func (n *native) with(fn func(p *C.BosbaseClient)) bool {
	p := n.acquire()
	if p == nil {
		return false
	}
	defer n.release()
	fn(p)
	return true
}
