package bosbase

// Pub/sub over BosBase's WebSocket (/api/pubsub; the core's connection, see
// include/bosbase.h). Publish is the generated PubsubService.Publish (the server's
// acknowledgement {id, topic, created}); subscriptions deliver on a channel as realtime
// subscriptions do (live.go).

/*
#include <stdint.h>
#include "bosbase.h"

// Defined in callback.c: bosbase_pubsub_subscribe with the Go delivery trampoline and
// `handle` (a cgo.Handle) as user_data.
BosbaseStatus bbgo_pubsub_subscribe(const BosbaseClient *client, const char *topic, uintptr_t handle,
                                    BosbasePubsubSubscription **subscription_out, char **error_out);
*/
import "C"

import (
	"context"
	"encoding/json"
)

// Pub/sub event types (PubsubEvent.Type).
const (
	PubsubSubscribed = "subscribed" // the server accepted the topic (again after each reconnect)
	PubsubMessage    = "message"    // a published message (ID, Created, Data)
	PubsubError      = "error"      // the server refused the topic (Err)
)

// PubsubEvent is one value of a PubsubSubscription's channel.
type PubsubEvent struct {
	// Type is PubsubSubscribed, PubsubMessage or PubsubError.
	Type string
	// Topic is the subscribed topic.
	Topic string
	// ID and Created are the server's id and creation time of a message.
	ID, Created string
	// Data is a message's data, as the publisher sent it.
	Data any
	// Err says why the server refused the topic (Type PubsubError).
	Err *ClientResponseError
}

type pubsubEventJSON struct {
	Type    string          `json:"type"`
	Topic   string          `json:"topic"`
	ID      string          `json:"id"`
	Created string          `json:"created"`
	Data    any             `json:"data"`
	Error   json.RawMessage `json:"error"`
}

// decodePubsubEvent turns the core's JSON into a PubsubEvent. No event is the last:
// the core keeps a refused topic and subscribes it again on the next connection.
func decodePubsubEvent(text string) (PubsubEvent, bool) {
	var j pubsubEventJSON
	if err := json.Unmarshal([]byte(text), &j); err != nil {
		return PubsubEvent{Type: PubsubError, Err: newError(KindJSON, "the library delivered an event that is not JSON")}, false
	}
	ev := PubsubEvent{Type: j.Type, Topic: j.Topic, ID: j.ID, Created: j.Created, Data: j.Data}
	if j.Type == PubsubError {
		ev.Err = eventError(j.Error)
	}
	return ev, false
}

// pubsubSub is a BosbasePubsubSubscription (valid until freed, also after its client
// was closed).
type pubsubSub struct{ p *C.BosbasePubsubSubscription }

func (s pubsubSub) unsubscribe()    { C.bosbase_pubsub_subscription_unsubscribe(s.p) }
func (s pubsubSub) free()           { C.bosbase_pubsub_subscription_free(s.p) }
func (s pubsubSub) dropped() uint64 { return uint64(C.bosbase_pubsub_subscription_dropped(s.p)) }
func (s pubsubSub) active() bool    { return true } // until stopped (the liveHandle knows)

// PubsubSubscription is one pub/sub subscription. Its events arrive on Events() in
// order. It ends (Events is closed, after the values still in it) when Unsubscribe is
// called, the context given to SubscribeCtx is done, Pubsub().Unsubscribe names its
// topic, or the client is closed. It holds its client, as Subscription does.
type PubsubSubscription struct {
	n      *native
	l      *liveHandle
	events <-chan PubsubEvent
}

// Events returns the subscription's channel (the same one each time). The first value
// is PubsubSubscribed once the server accepted the topic (or PubsubError).
func (s *PubsubSubscription) Events() <-chan PubsubEvent { return s.events }

// Topic is the subscribed topic.
func (s *PubsubSubscription) Topic() string { return s.l.topic }

// Unsubscribe ends the subscription: when it returns, no new event is added to the
// channel, which is closed. Idempotent; safe from any goroutine.
func (s *PubsubSubscription) Unsubscribe() {
	s.l.stop()
	s.n.forget(s.l)
}

// Dropped is how many messages this subscription lost because its consumer fell
// QueueLimit messages behind (the oldest are dropped first).
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
	in := newInbox(decodePubsubEvent)
	l, err := s.client.startLive(livePubsub, topic, in, func(p *C.BosbaseClient, h C.uintptr_t, cs *cStrings) (nativeSub, error) {
		t, err := cs.add(topic)
		if err != nil {
			return nil, err
		}
		var sub *C.BosbasePubsubSubscription
		if _, err := invoke(func(_, errOut **C.char) C.BosbaseStatus { return C.bbgo_pubsub_subscribe(p, t, h, &sub, errOut) }); err != nil {
			return nil, err
		}
		return pubsubSub{sub}, nil
	})
	if err != nil {
		return nil, err
	}
	l.watch(ctx.Done())
	return &PubsubSubscription{n: s.client.n, l: l, events: in.ch}, nil
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
	// The core stopped every subscription of exactly this topic; the C ABI has no
	// per-handle "active" query for pub/sub, so the same topic picks the handles.
	c.n.sweep(func(l *liveHandle) bool { return l.kind == livePubsub && l.topic == topic })
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
