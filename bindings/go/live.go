package bosbase

// Live deliveries. Realtime and pub/sub subscriptions are one family in the core, and
// one code path here. Each is a subscription in the core's pull mode: the core keeps its
// only queue (QueueLimit events or QueueMaxBytes; the oldest event is dropped and
// counted, a notice never) and calls the ready callback (bosbaseGoReady, on a library
// thread) when that queue gets an entry after it was last found empty. The callback only
// makes a non-blocking send on the subscription's wake channel (capacity 1), so it never
// waits. One goroutine per subscription (pump) takes the entries with
// bosbase_subscription_next and hands each to the user's channel, which is unbuffered (the
// core's queue is the only queue) with a blocking send that also watches for the end of
// the subscription, so the goroutine never outlives it. Go drops nothing: what the core
// delivers the channel delivers, with the core's kind and sequence number (a gap in the
// sequence is the core's drop, which Dropped counts).
//
// Ids: ready's user_data is the subscription's id in a registry (an integer: no Go
// pointer reaches C). Ids are never reused and a callback whose id is gone does nothing,
// so a ready call still finishing while the subscription is freed is harmless.
//
// Ownership: the client's native keeps the set of its live handles so Close and the
// finalizer can end them. A liveHandle and its goroutines point at nothing of the
// native, so a forgotten client is still finalized; the user-facing Subscription points
// at the native, which keeps the client alive while a subscription is held.

/*
#include "bosbase.h"
*/
import "C"

import (
	"sync"
	"sync/atomic"
)

// QueueLimit is how many events (or pub/sub messages) the core queues for one
// subscription whose consumer is not receiving; QueueMaxBytes bounds the same queue in
// bytes. Past either, the oldest event is dropped (the subscribed, error and state
// notices never are) and counted by Dropped; the sequence numbers show the gap.
const (
	QueueLimit    = C.BOSBASE_QUEUE_MAX_EVENTS
	QueueMaxBytes = C.BOSBASE_QUEUE_MAX_BYTES
)

// The generated EventKind values (kinds_gen.go, from the core's export) are the header's:
// a difference either way overflows EventKind, which does not compile.
const (
	_ = EventKindNone - C.BOSBASE_EVENT_NONE + (C.BOSBASE_EVENT_NONE - EventKindNone)
	_ = EventKindEvent - C.BOSBASE_EVENT_EVENT + (C.BOSBASE_EVENT_EVENT - EventKindEvent)
	_ = EventKindSubscribed - C.BOSBASE_EVENT_SUBSCRIBED + (C.BOSBASE_EVENT_SUBSCRIBED - EventKindSubscribed)
	_ = EventKindError - C.BOSBASE_EVENT_ERROR + (C.BOSBASE_EVENT_ERROR - EventKindError)
	_ = EventKindState - C.BOSBASE_EVENT_STATE + (C.BOSBASE_EVENT_STATE - EventKindState)
)

// entry is one value taken from the core's queue.
type entry struct {
	kind EventKind
	seq  uint64
	json string
}

// liveKind says which sweep (unsubscribing by topic) a handle takes part in.
type liveKind int

const (
	liveRealtime liveKind = iota
	livePubsub
)

// liveHandle is one pull-mode subscription of the core.
type liveHandle struct {
	kind  liveKind
	topic string
	key   uint64 // the registry's key, user_data of the core's callback
	// last says which kind ends the subscription (a realtime refusal), if any.
	last func(EventKind) bool

	wake     chan struct{} // capacity 1: the core said entries are queued
	stopping chan struct{} // closed by stop: the pump ends
	pumped   chan struct{} // closed when the pump has ended
	stopOnce sync.Once
	closeOut func()    // closes the user's channel (set by start)
	endOnce  sync.Once // around closeOut

	// mu is held for reading around every C call on sub and for writing to free it, so
	// no call uses a freed handle. A call that blocks in C (Wait) holds it for reading;
	// unsubscribing makes such a call return.
	mu       sync.RWMutex
	sub      *C.BosbaseSubscription // nil once freed
	coreLost uint64                 // the core's drop counter, kept when sub was freed
	stopped  chan struct{}          // closed once sub was freed
}

// The registry of live deliveries (subscriptions and state listeners) by id.
var (
	liveIDs     atomic.Uint64
	liveByID    sync.Map     // id -> *liveHandle or *stateHandle
	liveHandles atomic.Int64 // how many are registered (a leak check for the tests)
)

func registerID(v any) uint64 {
	id := liveIDs.Add(1)
	liveByID.Store(id, v)
	liveHandles.Add(1)
	return id
}

func unregisterID(id uint64) {
	liveByID.Delete(id)
	liveHandles.Add(-1)
}

// newLiveHandle makes the handle and its id, before the C subscribe call that needs it;
// start gives it the C handle, or discard undoes it when the call failed.
func newLiveHandle(kind liveKind, topic string, last func(EventKind) bool) *liveHandle {
	l := &liveHandle{kind: kind, topic: topic, last: last, wake: make(chan struct{}, 1),
		stopping: make(chan struct{}), pumped: make(chan struct{}), stopped: make(chan struct{})}
	l.key = registerID(l)
	return l
}

// discard is for a subscribe call that failed: the core never calls back.
func (l *liveHandle) discard() {
	unregisterID(l.key)
	close(l.pumped)
	close(l.stopped)
}

// ready runs on a library thread (bosbaseGoReady): it must not wait.
func (l *liveHandle) ready() {
	select {
	case l.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// start gives l its C handle and starts the goroutine that moves the core's entries,
// decoded, to out (closed when the subscription ends).
func start[T any](l *liveHandle, sub *C.BosbaseSubscription, out chan T, decode func(entry) T) {
	l.mu.Lock()
	l.sub = sub
	l.closeOut = func() { close(out) }
	l.mu.Unlock()
	go pump(l, out, decode)
}

// pump delivers the subscription's entries in order until it is stopped or its last
// entry (a refusal) was delivered.
func pump[T any](l *liveHandle, out chan<- T, decode func(entry) T) {
	ended := false
	defer func() {
		close(l.pumped)
		if ended {
			l.end() // nothing follows: free the core's handle and close the channel now
		}
	}()
	for {
		select {
		case <-l.stopping:
			return
		default:
		}
		e, ok := l.next()
		if !ok {
			return
		}
		if e.kind == EventKindNone { // wait until the core queues more
			select {
			case <-l.wake:
				continue
			case <-l.stopping:
				return
			}
		}
		select {
		case out <- decode(e):
		case <-l.stopping:
			return
		}
		if l.last != nil && l.last(e.kind) {
			ended = true
			return
		}
	}
}

// next takes the oldest queued entry (kind 0 when none); false once freed or refused.
func (l *liveHandle) next() (entry, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.sub == nil {
		return entry{}, false
	}
	var kind C.BosbaseEventKind
	var seq C.uint64_t
	var text, errOut *C.char
	status := C.bosbase_subscription_next(l.sub, &kind, &seq, &text, &errOut)
	takeString(errOut)
	if status != C.BOSBASE_STATUS_OK {
		return entry{}, false
	}
	return entry{kind: EventKind(kind), seq: uint64(seq), json: takeString(text)}, true
}

// stop ends the subscription: when it returns, nothing more reaches the user's channel,
// which is closed, and the core's handle is freed. Idempotent, safe from any goroutine
// (never from the pump, which never calls it).
func (l *liveHandle) stop() {
	l.stopOnce.Do(func() { close(l.stopping) })
	<-l.pumped // the pump only ever waits on channels that stopping ends
	l.end()
}

// end frees the core's handle, then closes the user's channel (so a consumer that sees
// it closed finds the subscription inactive), once.
func (l *liveHandle) end() {
	l.release()
	l.endOnce.Do(l.closeOut)
}

// release unsubscribes and frees the core's handle and unregisters the id, once.
// In pull mode neither C call waits for anything.
func (l *liveHandle) release() {
	l.mu.RLock()
	sub := l.sub
	if sub != nil {
		C.bosbase_subscription_unsubscribe(sub) // makes a Wait in progress return
	}
	l.mu.RUnlock()
	if sub == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sub == nil {
		return // another release won
	}
	l.coreLost = uint64(C.bosbase_subscription_dropped(l.sub))
	C.bosbase_subscription_free(l.sub)
	l.sub = nil
	unregisterID(l.key) // ready is never called after the free returned
	close(l.stopped)
}

// use runs fn with the C handle while it is live; false once it was freed.
func (l *liveHandle) use(fn func(sub *C.BosbaseSubscription)) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.sub == nil {
		return false
	}
	fn(l.sub)
	return true
}

// dropped is every entry the core dropped for this subscription.
func (l *liveHandle) dropped() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.sub != nil {
		return uint64(C.bosbase_subscription_dropped(l.sub))
	}
	return l.coreLost
}

func (l *liveHandle) active() bool {
	active := false
	l.use(func(sub *C.BosbaseSubscription) { active = bool(C.bosbase_subscription_is_active(sub)) })
	return active
}

// wait blocks until the server accepted the subscription, at most ms milliseconds.
func (l *liveHandle) wait(ms int64) error {
	var err error
	if !l.use(func(sub *C.BosbaseSubscription) {
		_, err = invoke(func(_, errOut **C.char) C.BosbaseStatus {
			return C.bosbase_subscription_wait(sub, C.uint64_t(ms), errOut)
		})
	}) {
		return newError(KindClosed, "the subscription has ended")
	}
	return err
}

func (l *liveHandle) isStopped() bool {
	select {
	case <-l.stopped:
		return true
	default:
		return false
	}
}

// watch stops l when done closes (a context's Done), from a goroutine that ends when
// either happened.
func (l *liveHandle) watch(done <-chan struct{}) {
	if done == nil {
		return
	}
	go func() {
		select {
		case <-done:
			l.stop()
		case <-l.stopped:
		}
	}()
}

// ender is what the client's registry ends on Close: a subscription or a state listener.
type ender interface {
	stop()
	isStopped() bool
}

// register adds l to the client's set (dropping the stopped ones); false when the
// client is being freed (the caller then stops l itself).
func (n *native) register(l ender) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.live == nil {
		return false
	}
	for other := range n.live {
		if other.isStopped() {
			delete(n.live, other)
		}
	}
	n.live[l] = struct{}{}
	return true
}

// forget removes l from the client's set.
func (n *native) forget(l ender) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.live, l)
}

// sweep stops and forgets every subscription for which pick is true (after an
// unsubscribe by topic, whose subscriptions the core has made inactive).
func (n *native) sweep(pick func(l *liveHandle) bool) {
	n.mu.Lock()
	var picked []*liveHandle
	for e := range n.live {
		if l, ok := e.(*liveHandle); ok && pick(l) {
			picked = append(picked, l)
			delete(n.live, l)
		}
	}
	n.mu.Unlock()
	for _, l := range picked {
		l.stop()
	}
}

// stopAll ends every delivery of the client and refuses new ones. None of it waits for
// the core: pull-mode subscriptions are freed at once, and a state listener's removal
// waits only for its own callback, which never blocks.
func (n *native) stopAll() {
	n.mu.Lock()
	live := n.live
	n.live = nil
	n.mu.Unlock()
	for l := range live {
		l.stop()
	}
}
