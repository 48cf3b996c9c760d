package bosbase

// Pub/sub over BosBase's WebSocket (/api/pubsub; the core's connection, see
// include/bosbase.h). Publish is the generated PubsubService.Publish (the server's
// acknowledgement {id, topic, created}); subscriptions are the same family as realtime
// ones in the core and take the same path here (live.go).

/*
#include <stdint.h>
#include "bosbase.h"

// Defined in callback.c: bosbase_pubsub_subscribe in pull mode with the Go ready
// trampoline and `handle` (the id in live.go's registry) as user_data.
BosbaseStatus bbgo_pubsub_subscribe(const BosbaseClient *client, const char *topic, uintptr_t handle,
                                    BosbaseSubscription **subscription_out, char **error_out);
*/
import "C"

import (
	"context"
	"encoding/json"
	"time"
)

// Pub/sub event types (PubsubEvent.Type).
const (
	PubsubSubscribed = "subscribed" // the server accepted the topic (again after each reconnect)
	PubsubMessage    = "message"    // a published message (ID, Created, Data)
	PubsubError      = "error"      // the server refused the topic (Err)
	PubsubState      = "state"      // the WebSocket's state changed (State)
)

// PubsubEvent is one value of a PubsubSubscription's channel.
type PubsubEvent struct {
	// Kind is what the value is, as the core says it (EventKindEvent for a message).
	Kind EventKind
	// Sequence numbers the subscription's values 1, 2, ... as the core queued them; a
	// gap means the core dropped that many messages (see PubsubSubscription.Dropped).
	Sequence uint64
	// Type is PubsubSubscribed, PubsubMessage, PubsubError or PubsubState.
	Type string
	// Topic is the subscribed topic.
	Topic string
	// ID and Created are the server's id and creation time of a message.
	ID, Created string
	// Data is a message's data, as the publisher sent it.
	Data any
	// Err says why the server refused the topic (Type PubsubError).
	Err *ClientResponseError
	// State is the connection's new state (Type PubsubState).
	State ConnectionState
}

// pubsubEventJSON is the core's message JSON (its "type" is not read: the kind comes
// with the entry).
type pubsubEventJSON struct {
	Topic   string          `json:"topic"`
	ID      string          `json:"id"`
	Created string          `json:"created"`
	Data    any             `json:"data"`
	Error   json.RawMessage `json:"error"`
	connectionStateJSON
}

// pubsubTypes names the kinds as PubsubEvent.Type does.
var pubsubTypes = map[EventKind]string{EventKindEvent: PubsubMessage, EventKindSubscribed: PubsubSubscribed,
	EventKindError: PubsubError, EventKindState: PubsubState}

// decodePubsubEvent turns one of the core's entries into a PubsubEvent.
func decodePubsubEvent(e entry) PubsubEvent {
	ev := PubsubEvent{Kind: e.kind, Sequence: e.seq, Type: pubsubTypes[e.kind]}
	var j pubsubEventJSON
	if err := json.Unmarshal([]byte(e.json), &j); err != nil {
		ev.Err = newError(KindJSON, "the library delivered an event that is not JSON")
		return ev
	}
	ev.Topic, ev.ID, ev.Created, ev.Data = j.Topic, j.ID, j.Created, j.Data
	switch e.kind {
	case EventKindError:
		ev.Err = eventError(j.Error)
	case EventKindState:
		ev.State = ConnectionState(j.connectionStateJSON)
	}
	return ev
}

// PubsubSubscription is one pub/sub subscription. Its events arrive on Events() in
// order. It ends (Events is closed, after the values still in it) when Unsubscribe is
// called, the context given to SubscribeCtx is done, Pubsub().Unsubscribe names its
// topic, or the client is closed. It holds its client, as Subscription does.
type PubsubSubscription struct {
	n      *native
	l      *liveHandle
	events <-chan PubsubEvent
}

// Events returns the subscription's channel (the same one each time; unbuffered: the
// values wait in the core's queue). The first value is PubsubSubscribed once the server
// accepted the topic (or PubsubError); PubsubState values follow the connection.
func (s *PubsubSubscription) Events() <-chan PubsubEvent { return s.events }

// Topic is the subscribed topic.
func (s *PubsubSubscription) Topic() string { return s.l.topic }

// Unsubscribe ends the subscription: when it returns, no new event is added to the
// channel, which is closed. Idempotent; safe from any goroutine.
func (s *PubsubSubscription) Unsubscribe() {
	s.l.stop()
	s.n.forget(s.l)
}

// Wait blocks until the server accepted the topic, at most timeout: nil once accepted,
// the server's refusal, or a *ClientResponseError of Kind "timeout", "cancelled"
// (unsubscribed meanwhile) or "closed" (as Subscription.Wait).
func (s *PubsubSubscription) Wait(timeout time.Duration) error {
	if timeout < 0 {
		timeout = 0
	}
	return s.l.wait(timeout.Milliseconds())
}

// Dropped is how many messages the core dropped for this subscription because its
// consumer fell QueueLimit messages (or QueueMaxBytes) behind, the oldest first; the
// notices are never dropped. Go drops nothing more.
func (s *PubsubSubscription) Dropped() uint64 { return s.l.dropped() }

// IsActive reports whether the subscription is still subscribed.
func (s *PubsubSubscription) IsActive() bool { return s.l.active() }

// Subscribe subscribes to the pub/sub topic (a non-empty string without control
// characters). It returns at once; the client's WebSocket opens with its first
// subscription or publish (the token goes in a header, never in the URL), reconnects
// by itself and subscribes every topic again, also after any auth-store change. A
// server without pub/sub (no /api/pubsub) never confirms: Publish reports its refusal
// (Kind "http", Status 404).
func (s *PubsubService) Subscribe(topic string) (*PubsubSubscription, error) {
	return s.SubscribeCtx(context.Background(), topic)
}

// SubscribeCtx is Subscribe until ctx is done: then the subscription ends as by
// Unsubscribe. A ctx done already subscribes nothing and returns a *ClientResponseError
// of Kind "cancelled" matching errors.Is(err, ctx.Err()).
func (s *PubsubService) SubscribeCtx(ctx context.Context, topic string) (*PubsubSubscription, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, cancelledError(err, "the subscription was cancelled before it started")
	}
	events := make(chan PubsubEvent)
	l, err := startLive(s.client, livePubsub, topic, nil, events, decodePubsubEvent, func(p *C.BosbaseClient, h C.uintptr_t, cs *cStrings) (*C.BosbaseSubscription, error) {
		t, err := cs.add(topic)
		if err != nil {
			return nil, err
		}
		var sub *C.BosbaseSubscription
		_, err = invoke(func(_, errOut **C.char) C.BosbaseStatus { return C.bbgo_pubsub_subscribe(p, t, h, &sub, errOut) })
		return sub, err
	})
	if err != nil {
		return nil, err
	}
	l.watch(ctx.Done())
	return &PubsubSubscription{n: s.client.n, l: l, events: events}, nil
}

// Unsubscribe ends every pub/sub subscription of this client to topic; their channels
// close. No error when none matched.
func (s *PubsubService) Unsubscribe(topic string) error {
	c := s.client
	if c.initErr != nil {
		return c.initErr
	}
	var cs cStrings
	defer cs.free()
	t, err := cs.add(topic)
	if err != nil {
		return err
	}
	p := c.n.acquireRead()
	if p == nil {
		return nil // closed: every subscription has ended already
	}
	_, err = invoke(func(_, errOut **C.char) C.BosbaseStatus { return C.bosbase_pubsub_unsubscribe_topic(p, t, errOut) })
	c.n.release()
	if err != nil {
		return err
	}
	// The core made every subscription of exactly this topic inactive: release their
	// handles and close their channels.
	c.n.sweep(func(l *liveHandle) bool { return l.kind == livePubsub && !l.active() })
	return nil
}

// IsConnected reports whether the client's pub/sub WebSocket is open (it opens with the
// first subscription or publish and closes when none is left).
func (s *PubsubService) IsConnected() bool {
	connected := false
	s.client.n.withRead(func(p *C.BosbaseClient) {
		connected = bool(C.bosbase_pubsub_is_connected(p))
	})
	return connected
}
