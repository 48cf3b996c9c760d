package bosbase

// Connection-state listeners (Realtime().OnState). The core calls the state callback on
// the client's realtime dispatch thread, which serves every subscription of the client,
// so the Go side must not wait there, and it keeps no queue either: a state is a level,
// so the listener holds only the newest state its consumer has not received yet (a newer
// one replaces it, counted by Dropped) and a goroutine hands it to the listener's
// unbuffered channel. Every state change, in order with the events and never dropped, is
// also a value of each subscription's own channel (EventKindState).

/*
#include <stdint.h>
#include "bosbase.h"
*/
import "C"

import (
	"encoding/json"
	"sync"
)

// stateHandle is one state listener registered with the core.
type stateHandle struct {
	key uint64 // the registry's key (live.go), user_data of the core's callback
	// client is used only while the listener is registered, which ends (native.stopAll)
	// before the client is freed.
	client   *C.BosbaseClient
	listener C.uint64_t // the core's listener id

	mu       sync.Mutex
	pending  *ConnectionState // the newest state not yet handed over
	replaced uint64           // states replaced by a newer one before the consumer took them

	wake     chan struct{} // capacity 1: a state is pending
	stopping chan struct{} // closed by stop: the goroutine ends
	pumped   chan struct{} // closed when the goroutine has ended and closed the channel
	stopOnce sync.Once
	endMu    sync.Mutex    // serialises the removal
	stopped  chan struct{} // closed once the core's listener was removed
}

func newStateHandle() *stateHandle {
	s := &stateHandle{wake: make(chan struct{}, 1), stopping: make(chan struct{}),
		pumped: make(chan struct{}), stopped: make(chan struct{})}
	s.key = registerID(s)
	return s
}

// discard is for an on_state call that failed: the core never calls back.
func (s *stateHandle) discard() {
	unregisterID(s.key)
	close(s.pumped)
	close(s.stopped)
}

// offer runs on the dispatch thread (bosbaseGoState): it must not wait.
func (s *stateHandle) offer(text string) {
	st := decodeConnectionState(text)
	s.mu.Lock()
	if s.pending != nil {
		s.replaced++
	}
	s.pending = &st
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump hands the pending state to out until stopped, then closes out.
func (s *stateHandle) pump(out chan<- ConnectionState) {
	defer close(s.pumped)
	defer close(out)
	for {
		select {
		case <-s.wake:
		case <-s.stopping:
			return
		}
		s.mu.Lock()
		st := s.pending
		s.pending = nil
		s.mu.Unlock()
		if st == nil {
			continue
		}
		select {
		case out <- *st:
		case <-s.stopping:
			return
		}
	}
}

// stop ends the listener: when it returns nothing more reaches the channel, which is
// closed, and the core will not call back. Idempotent, safe from any goroutine. The
// core's removal waits only for a running callback of the listener (offer, which never
// waits).
func (s *stateHandle) stop() {
	s.stopOnce.Do(func() { close(s.stopping) })
	<-s.pumped
	s.endMu.Lock()
	defer s.endMu.Unlock()
	if s.isStopped() {
		return
	}
	var errOut *C.char
	C.bosbase_realtime_remove_state_listener(s.client, s.listener, &errOut) // unknown id: removed already
	takeString(errOut)
	unregisterID(s.key)
	close(s.stopped)
}

func (s *stateHandle) isStopped() bool {
	select {
	case <-s.stopped:
		return true
	default:
		return false
	}
}

func (s *stateHandle) dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replaced
}

// connectionStateJSON is a state's JSON: {"state", "cause"} (with "type": "state" inside
// a subscription).
type connectionStateJSON struct {
	State string `json:"state"`
	Cause string `json:"cause"`
}

func decodeConnectionState(text string) ConnectionState {
	var j connectionStateJSON
	_ = json.Unmarshal([]byte(text), &j)
	return ConnectionState(j)
}
