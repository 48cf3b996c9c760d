package bosbase

// Live deliveries: realtime subscriptions, realtime state listeners and pub/sub
// subscriptions. The core calls one C callback per delivery on the client's dispatch
// thread (one library thread per client for realtime, one for pub/sub), one call at a
// time, and that thread serves every subscription of the client. So the Go side of the
// callback must never block: it decodes the JSON and hands the value to the
// subscription's channel without waiting (inbox.put). The channel's buffer is the
// subscription's queue: QueueLimit values, and when the consumer falls that far behind,
// the oldest buffered value is dropped and counted, the policy the core applies to its
// own queue (which, since the Go callback returns at once, never fills). A blocking send
// instead would stall every subscription of the client and make the core drop events of
// the other subscriptions too.
//
// Handles: the C callback gets a cgo.Handle of the *liveHandle as user_data (an integer:
// no Go pointer reaches C). The handle is deleted only after the core said the callback
// will never run again (unsubscribe returned, or the client's close returned).
//
// Ownership: the client's native keeps a set of its live handles so Close can end them
// (and close their channels). A liveHandle points at nothing of the native, so there is
// no cycle through the native's finalizer; the user-facing Subscription points at the
// native, which keeps the client alive while a subscription is held.

/*
#include "bosbase.h"
*/
import "C"

import (
	"runtime/cgo"
	"sync"
	"sync/atomic"
)

// QueueLimit is how many events (or pub/sub messages, or state changes) a subscription's
// channel holds for a consumer that is not receiving. When it is full, the oldest value
// in it is dropped to make room for the new one, and the subscription's Dropped counter
// goes up. It is the core's per-subscription queue size.
const QueueLimit = C.QUEUE_LIMIT

// sink is the Go side of one delivery: put decodes the JSON and queues the value
// without blocking; it reports whether this was the subscription's last delivery.
type sink interface {
	put(text string) (last bool)
	close()
	lost() uint64
}

// inbox is a sink whose queue is a buffered channel of QueueLimit values.
type inbox[T any] struct {
	mu      sync.Mutex // one sender at a time, and no send after close
	ch      chan T
	closed  bool
	dropped atomic.Uint64
	decode  func(text string) (v T, last bool)
}

func newInbox[T any](decode func(string) (T, bool)) *inbox[T] {
	return &inbox[T]{ch: make(chan T, QueueLimit), decode: decode}
}

// put never blocks: when the buffer is full it takes the oldest value out (counted as
// dropped) and tries again. Only put sends, under mu, so after it took one out there is
// room and the loop ends (the consumer can only make more room).
func (b *inbox[T]) put(text string) bool {
	v, last := b.decode(text)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	for sent := false; !sent; {
		select {
		case b.ch <- v:
			sent = true
		default:
			select {
			case <-b.ch:
				b.dropped.Add(1)
			default:
			}
		}
	}
	if last {
		b.closed = true
		close(b.ch)
	}
	return last
}

// close closes the channel once (values already in it can still be received).
func (b *inbox[T]) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.ch)
	}
}

func (b *inbox[T]) lost() uint64 { return b.dropped.Load() }

// nativeSub is the C handle behind a liveHandle.
type nativeSub interface {
	unsubscribe()    // stops the callbacks: when it returns, none runs or will run
	free()           // after unsubscribe: releases the C handle
	dropped() uint64 // the core's own drop counter
	active() bool
}

// liveKind says which registry sweep a handle takes part in.
type liveKind int

const (
	liveRealtime liveKind = iota
	liveState
	livePubsub
)

// liveHandle is one delivery registered with the core.
type liveHandle struct {
	kind  liveKind
	topic string
	sink  sink
	h     cgo.Handle

	// mu is held for reading around every C call on sub and for writing to free it, so
	// no call uses a freed handle. A call that blocks in C (Subscription.Wait) holds it
	// for reading; unsubscribe makes such a call return.
	mu       sync.RWMutex
	sub      nativeSub // nil once freed
	coreLost uint64    // the core's drop counter, kept when sub was freed
	stopped  chan struct{}
	ended    atomic.Bool // the last delivery came (a refused realtime subscription)
}

// liveHandles counts the cgo.Handles of live deliveries (a leak check for the tests).
var liveHandles atomic.Int64

// newLiveHandle makes the handle and its cgo.Handle, before the C subscribe call that
// needs it; attach gives it the C handle, or discard undoes it when the call failed.
func newLiveHandle(kind liveKind, topic string, s sink) *liveHandle {
	l := &liveHandle{kind: kind, topic: topic, sink: s, stopped: make(chan struct{})}
	l.h = cgo.NewHandle(l)
	liveHandles.Add(1)
	return l
}

func (l *liveHandle) attach(sub nativeSub) {
	l.mu.Lock()
	l.sub = sub
	l.mu.Unlock()
	if l.ended.Load() {
		l.stop() // its last delivery came before the C call returned: stop found nothing to free
	}
}

// discard is for a subscribe call that failed: the core never calls back.
func (l *liveHandle) discard() {
	l.h.Delete()
	liveHandles.Add(-1)
	l.sink.close()
	close(l.stopped)
}

// deliver runs on the library's dispatch thread (bosbaseGoDeliver). A last delivery (a
// realtime subscription the server refused) frees the handle from a goroutine: the
// unsubscribe there waits for this callback to return.
func (l *liveHandle) deliver(text string) {
	if l.sink.put(text) {
		l.ended.Store(true)
		go l.stop()
	}
}

// stop ends the delivery: the core stops calling back, the C handle is freed, the
// cgo.Handle deleted and the channel closed. Idempotent, safe from any goroutine.
func (l *liveHandle) stop() {
	l.mu.RLock()
	sub := l.sub
	if sub != nil {
		sub.unsubscribe()
	}
	l.mu.RUnlock()
	if sub == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sub == nil {
		return // another stop won
	}
	l.coreLost = l.sub.dropped()
	l.sub.free()
	l.sub = nil
	l.h.Delete()
	liveHandles.Add(-1)
	l.sink.close()
	close(l.stopped)
}

// use runs fn with the C handle while it is live; false once it was freed.
func (l *liveHandle) use(fn func(sub nativeSub)) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.sub == nil {
		return false
	}
	fn(l.sub)
	return true
}

// dropped is every value this delivery lost: in the core's queue and in the channel.
func (l *liveHandle) dropped() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	core := l.coreLost
	if l.sub != nil {
		core = l.sub.dropped()
	}
	return core + l.sink.lost()
}

func (l *liveHandle) active() bool {
	active := false
	l.use(func(sub nativeSub) { active = sub.active() })
	return active
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

// register adds l to the client's set (dropping the stopped ones); false when the
// client is being freed (the caller then stops l itself).
func (n *native) register(l *liveHandle) bool {
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
func (n *native) forget(l *liveHandle) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.live, l)
}

// sweep stops and forgets every handle for which pick is true (after an unsubscribe by
// topic, whose handles the core has made inactive).
func (n *native) sweep(pick func(l *liveHandle) bool) {
	n.mu.Lock()
	var picked []*liveHandle
	for l := range n.live {
		if pick(l) {
			picked = append(picked, l)
			delete(n.live, l)
		}
	}
	n.mu.Unlock()
	for _, l := range picked {
		l.stop()
	}
}

// stopAll ends every delivery of the client (from close, after the core's close
// returned: no callback runs any more) and refuses new ones.
func (n *native) stopAll() {
	n.mu.Lock()
	live := n.live
	n.live = nil
	n.mu.Unlock()
	for l := range live {
		l.stop()
	}
}
