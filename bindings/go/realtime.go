package bosbase

// Realtime: record changes and custom topics pushed by the server over the client's one
// event stream (the core's SSE connection; see include/bosbase.h). Each subscription
// delivers on its own channel; live.go says how values get there from the core's queue.

/*
#include <stdint.h>
#include "bosbase.h"

// Defined in callback.c: the realtime functions in pull mode with the Go ready trampoline
// (the state one for on_state) and `handle` (the id in live.go's registry) as user_data.
BosbaseStatus bbgo_realtime_subscribe(const BosbaseClient *client, const char *topic, const char *options_json,
                                      uintptr_t handle, BosbaseSubscription **subscription_out, char **error_out);
BosbaseStatus bbgo_collection_subscribe(const BosbaseClient *client, const char *collection, const char *topic,
                                        const char *options_json, uintptr_t handle,
                                        BosbaseSubscription **subscription_out, char **error_out);
BosbaseStatus bbgo_realtime_on_state(const BosbaseClient *client, uintptr_t handle, uint64_t *listener_id_out,
                                     char **error_out);
*/
import "C"

import (
	"context"
	"encoding/json"
	"time"
)

// Realtime event types (RealtimeEvent.Type).
const (
	EventSubscribed = "subscribed" // the server accepted the subscription; first, once
	EventRecord     = "event"      // a record change (Action, Record) or a custom topic's message (Data)
	EventError      = "error"      // the server refused the subscription (Err); the channel then closes
	EventState      = "state"      // the stream's state changed (State): in order with the events
)

// Connection states (ConnectionState.State).
const (
	StateConnected    = "connected"    // the stream is open and every subscription submitted
	StateDisconnected = "disconnected" // the stream was lost (Cause); the core reconnects with backoff
	StateReconnected  = "reconnected"  // open again, subscriptions resubmitted: events meanwhile were missed
)

// RealtimeEvent is one value of a Subscription's channel.
type RealtimeEvent struct {
	// Kind is what the value is, as the core says it; Type is its name.
	Kind EventKind
	// Sequence numbers the subscription's values 1, 2, ... in the order the core queued
	// them; a gap means the core dropped that many events (see Subscription.Dropped).
	Sequence uint64
	// Type is EventSubscribed, EventRecord, EventError or EventState.
	Type string
	// Topic is the subscription's topic as given ("posts/*", "posts/RECORD_ID", ...).
	Topic string
	// Action is the record change of a record topic: "create", "update" or "delete".
	Action string
	// Record is the record of a record change (after the subscription's fields/expand).
	Record map[string]any
	// Data is the message of a non-record topic (its JSON value, or a string).
	Data any
	// Err says why the server refused the subscription (Type EventError).
	Err *ClientResponseError
	// State is the stream's new state (Type EventState).
	State ConnectionState
}

// ConnectionState is one value of a StateListener's channel, and the State of an
// EventState value of a subscription's channel.
type ConnectionState struct {
	// State is StateConnected, StateDisconnected or StateReconnected.
	State string
	// Cause is why the stream was lost (StateDisconnected only), a short phrase.
	Cause string
}

// SubscribeOptions are applied by the server to the events it sends a subscription (the
// access rules see Query and Headers as if they came with a request). All optional.
type SubscribeOptions struct {
	Filter  string            // only events whose record matches, e.g. "title ~ 'news'"
	Expand  string            // relations to expand in the record
	Fields  string            // fields of the record to send
	Query   map[string]any    // query parameters (strings, numbers, bools)
	Headers map[string]string // headers
}

// subscribeOptionsJSON is options_json of bosbase_realtime_subscribe.
type subscribeOptionsJSON struct {
	Filter  string            `json:"filter,omitempty"`
	Expand  string            `json:"expand,omitempty"`
	Fields  string            `json:"fields,omitempty"`
	Query   map[string]any    `json:"query,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

func (o SubscribeOptions) json() (string, error) {
	b, err := json.Marshal(subscribeOptionsJSON(o))
	if err != nil {
		// The encoder's message may quote a value (a header may be a credential).
		return "", newError(KindInvalidArgument, "the subscribe options cannot be encoded as JSON")
	}
	return string(b), nil
}

// realtimeEventJSON is the C ABI's event JSON (its "type" is not read: the kind comes
// with the entry).
type realtimeEventJSON struct {
	Topic  string          `json:"topic"`
	Event  string          `json:"event"`
	Record map[string]any  `json:"record"`
	Data   any             `json:"data"`
	Error  json.RawMessage `json:"error"`
	connectionStateJSON
}

// decodeRealtimeEvent turns one of the core's entries into a RealtimeEvent.
func decodeRealtimeEvent(e entry) RealtimeEvent {
	ev := RealtimeEvent{Kind: e.kind, Sequence: e.seq, Type: e.kind.String()}
	var j realtimeEventJSON
	if err := json.Unmarshal([]byte(e.json), &j); err != nil {
		ev.Err = newError(KindJSON, "the library delivered an event that is not JSON")
		return ev
	}
	ev.Topic, ev.Action, ev.Record, ev.Data = j.Topic, j.Event, j.Record, j.Data
	switch e.kind {
	case EventKindError:
		ev.Err = eventError(j.Error)
	case EventKindState:
		ev.State = ConnectionState(j.connectionStateJSON)
	}
	return ev
}

// endsRealtime: a refused realtime subscription gets nothing more.
func endsRealtime(k EventKind) bool { return k == EventKindError }

// eventError decodes the error object of an error event.
func eventError(raw json.RawMessage) *ClientResponseError {
	if e, err := decodeError(string(raw)); err == nil {
		return e
	}
	return newError(KindHTTP, "the server refused the subscription")
}

// Subscription is one realtime subscription. Its events arrive on Events() in the
// server's order, with the stream's state changes among them; see the package README for
// the threads and the overflow policy.
// It ends (Events is closed, after the values still in it) when Unsubscribe is called,
// the context given to SubscribeCtx is done, Realtime().Unsubscribe/UnsubscribeByPrefix
// match its topic, the server refuses it (an EventError is its last value) or the
// client is closed. A Subscription holds its client: a client with a subscription in
// use is not closed by the garbage collector.
type Subscription struct {
	n      *native
	l      *liveHandle
	events <-chan RealtimeEvent
}

// Events returns the subscription's channel (the same one each time; unbuffered: the
// values wait in the core's queue). The first value is EventSubscribed once the server
// accepted the subscription (or EventError); EventState values follow the stream.
func (s *Subscription) Events() <-chan RealtimeEvent { return s.events }

// Topic is the subscribed topic ("posts/*", "posts/RECORD_ID", a custom topic).
func (s *Subscription) Topic() string { return s.l.topic }

// Unsubscribe ends the subscription: when it returns, no new event is added to the
// channel, which is closed (values already in it can still be received). Idempotent;
// safe from any goroutine, also after the client was closed.
func (s *Subscription) Unsubscribe() {
	s.l.stop()
	s.n.forget(s.l)
}

// Wait blocks until the server accepted the subscription, at most timeout. It returns
// nil once accepted (also when it was before), the server's refusal (Kind "http"), or a
// *ClientResponseError of Kind "timeout", "cancelled" (unsubscribed meanwhile) or
// "closed" (the client was closed, or the subscription has ended).
func (s *Subscription) Wait(timeout time.Duration) error {
	if timeout < 0 {
		timeout = 0
	}
	return s.l.wait(timeout.Milliseconds())
}

// Dropped is how many events the core dropped for this subscription because its
// consumer fell QueueLimit events (or QueueMaxBytes) behind, the oldest first; the
// subscribed, error and state notices are never dropped. Go drops nothing more.
func (s *Subscription) Dropped() uint64 { return s.l.dropped() }

// IsActive reports whether the subscription is still subscribed.
func (s *Subscription) IsActive() bool { return s.l.active() }

// StateListener receives the connection-state changes of a client's realtime stream
// while the client has subscriptions. A consumer that is behind gets the newest state
// (the ones it missed are counted by Dropped); each subscription's Events() has every
// state change in order with its events. It ends (States is closed) on Remove, when the
// context given to OnStateCtx is done, or when the client is closed.
type StateListener struct {
	n      *native
	l      *stateHandle
	states <-chan ConnectionState
}

// States returns the listener's channel (unbuffered; see StateListener).
func (s *StateListener) States() <-chan ConnectionState { return s.states }

// Remove ends the listener: when it returns, no new value is added to the channel,
// which is closed. Idempotent.
func (s *StateListener) Remove() {
	s.l.stop()
	s.n.forget(s.l)
}

// Dropped is how many state changes were replaced by a newer one before the consumer
// received them.
func (s *StateListener) Dropped() uint64 { return s.l.dropped() }

// RealtimeService is the client's realtime API; get it with Client.Realtime.
type RealtimeService struct {
	client *Client
}

// Realtime returns the client's realtime API (custom topics, unsubscribing by topic,
// connection states). Record subscriptions are also Collection(name).Subscribe.
func (c *Client) Realtime() *RealtimeService {
	return &RealtimeService{client: c}
}

// Subscribe subscribes to topic: "COLLECTION/*" (every record the signed-in user may
// list), "COLLECTION/RECORD_ID" (one record, if the user may view it) or a custom topic.
// It returns at once; the first event says whether the server accepted it (or use
// Subscription.Wait). The client's stream follows its auth store: after a login,
// re-login or logout it reconnects under the new identity, so events follow the new
// user's rules.
func (r *RealtimeService) Subscribe(topic string, opts SubscribeOptions) (*Subscription, error) {
	return r.SubscribeCtx(context.Background(), topic, opts)
}

// SubscribeCtx is Subscribe until ctx is done: then the subscription ends as by
// Unsubscribe. A ctx done already subscribes nothing and returns a *ClientResponseError
// of Kind "cancelled" matching errors.Is(err, ctx.Err()).
func (r *RealtimeService) SubscribeCtx(ctx context.Context, topic string, opts SubscribeOptions) (*Subscription, error) {
	return r.client.subscribe(ctx, topic, opts, func(p *C.BosbaseClient, a []*C.char, o *C.char, h C.uintptr_t, out **C.BosbaseSubscription, errOut **C.char) C.BosbaseStatus {
		return C.bbgo_realtime_subscribe(p, a[0], o, h, out, errOut)
	}, topic)
}

// Subscribe subscribes to this collection's records: topic "*" (every record the
// signed-in user may list) or a record id. See RealtimeService.Subscribe.
func (s *RecordService) Subscribe(topic string, opts SubscribeOptions) (*Subscription, error) {
	return s.SubscribeCtx(context.Background(), topic, opts)
}

// SubscribeCtx is Subscribe until ctx is done (see RealtimeService.SubscribeCtx).
func (s *RecordService) SubscribeCtx(ctx context.Context, topic string, opts SubscribeOptions) (*Subscription, error) {
	return s.client.subscribe(ctx, s.name+"/"+topic, opts, func(p *C.BosbaseClient, a []*C.char, o *C.char, h C.uintptr_t, out **C.BosbaseSubscription, errOut **C.char) C.BosbaseStatus {
		return C.bbgo_collection_subscribe(p, a[0], a[1], o, h, out, errOut)
	}, s.name, topic)
}

// subscribeFn is one of the C subscribe functions, given the copied strings, the
// options JSON and the registry id.
type subscribeFn func(p *C.BosbaseClient, a []*C.char, o *C.char, h C.uintptr_t, out **C.BosbaseSubscription, errOut **C.char) C.BosbaseStatus

// subscribe registers a realtime subscription; label is the topic it is known by (the
// core's own topic for collection subscriptions is "<collection>/<topic>").
func (c *Client) subscribe(ctx context.Context, label string, opts SubscribeOptions, fn subscribeFn, strs ...string) (*Subscription, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, cancelledError(err, "the subscription was cancelled before it started")
	}
	oj, err := opts.json()
	if err != nil {
		return nil, err
	}
	events := make(chan RealtimeEvent)
	l, err := startLive(c, liveRealtime, label, endsRealtime, events, decodeRealtimeEvent, func(p *C.BosbaseClient, h C.uintptr_t, cs *cStrings) (*C.BosbaseSubscription, error) {
		a, err := cs.addAll(strs...)
		if err != nil {
			return nil, err
		}
		o, err := cs.add(oj)
		if err != nil {
			return nil, err
		}
		var sub *C.BosbaseSubscription
		_, err = invoke(func(_, errOut **C.char) C.BosbaseStatus { return fn(p, a, o, h, &sub, errOut) })
		return sub, err
	})
	if err != nil {
		return nil, err
	}
	l.watch(ctx.Done())
	return &Subscription{n: c.n, l: l, events: events}, nil
}

// subscribeCall makes one C subscribe call in pull mode with the registry id h as
// user_data, the strings it needs copied into cs.
type subscribeCall func(p *C.BosbaseClient, h C.uintptr_t, cs *cStrings) (*C.BosbaseSubscription, error)

// startLive subscribes (the realtime and pub/sub path alike) on a handle admitted for a
// change (refused once Close began) and starts moving the core's entries, decoded, to
// out; last says which kind ends the subscription.
func startLive[T any](c *Client, kind liveKind, topic string, last func(EventKind) bool, out chan T, decode func(entry) T, call subscribeCall) (*liveHandle, error) {
	if c.initErr != nil {
		return nil, c.initErr
	}
	var cs cStrings
	defer cs.free()
	p := c.n.acquire()
	if p == nil {
		return nil, closedError()
	}
	defer c.n.release()
	l := newLiveHandle(kind, topic, last)
	sub, err := call(p, C.uintptr_t(l.key), &cs)
	if err != nil {
		l.discard()
		return nil, err
	}
	start(l, sub, out, decode)
	if !c.n.register(l) {
		l.stop()
		return nil, closedError()
	}
	return l, nil
}

// Unsubscribe ends every subscription of this client to exactly topic (whatever its
// options); their channels close. No error when none matched.
func (r *RealtimeService) Unsubscribe(topic string) error {
	return r.unsubscribe(topic, func(p *C.BosbaseClient, t *C.char, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_realtime_unsubscribe(p, t, errOut)
	})
}

// UnsubscribeByPrefix ends every subscription whose topic starts with prefix (e.g.
// "posts/" for all of a collection's); their channels close.
func (r *RealtimeService) UnsubscribeByPrefix(prefix string) error {
	return r.unsubscribe(prefix, func(p *C.BosbaseClient, t *C.char, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_realtime_unsubscribe_by_prefix(p, t, errOut)
	})
}

func (r *RealtimeService) unsubscribe(s string, fn func(p *C.BosbaseClient, t *C.char, errOut **C.char) C.BosbaseStatus) error {
	c := r.client
	if c.initErr != nil {
		return c.initErr
	}
	var cs cStrings
	defer cs.free()
	t, err := cs.add(s)
	if err != nil {
		return err
	}
	p := c.n.acquireRead()
	if p == nil {
		return nil // closed: every subscription has ended already
	}
	_, err = invoke(func(_, errOut **C.char) C.BosbaseStatus { return fn(p, t, errOut) })
	c.n.release()
	if err != nil {
		return err
	}
	// The core made the matching subscriptions inactive (their callbacks have stopped):
	// release their handles and close their channels.
	c.n.sweep(func(l *liveHandle) bool { return l.kind == liveRealtime && !l.active() })
	return nil
}

// OnState starts a listener of the client's connection states (see StateListener).
func (r *RealtimeService) OnState() (*StateListener, error) {
	return r.OnStateCtx(context.Background())
}

// OnStateCtx is OnState until ctx is done: then the listener ends as by Remove.
func (r *RealtimeService) OnStateCtx(ctx context.Context) (*StateListener, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, cancelledError(err, "the listener was cancelled before it started")
	}
	c := r.client
	if c.initErr != nil {
		return nil, c.initErr
	}
	p := c.n.acquire()
	if p == nil {
		return nil, closedError()
	}
	defer c.n.release()
	l := newStateHandle()
	var id C.uint64_t
	if _, err := invoke(func(_, errOut **C.char) C.BosbaseStatus {
		return C.bbgo_realtime_on_state(p, C.uintptr_t(l.key), &id, errOut)
	}); err != nil {
		l.discard()
		return nil, err
	}
	l.client, l.listener = p, id
	states := make(chan ConnectionState)
	go l.pump(states)
	if !c.n.register(l) {
		l.stop()
		return nil, closedError()
	}
	if done := ctx.Done(); done != nil {
		go func() { // ends the listener with ctx
			select {
			case <-done:
				l.stop()
			case <-l.stopped:
			}
		}()
	}
	return &StateListener{n: c.n, l: l, states: states}, nil
}
