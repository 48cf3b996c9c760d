package bosbase_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// Realtime against the test server (the dev server, or BOSBASE_URL): the demo's posts
// collection lets a signed-in user list, view and change only their own posts.

const eventWait = 10 * time.Second

// uniqueTitle makes post titles that no other test (or earlier run) shares.
func uniqueTitle(t *testing.T, prefix string) string {
	return prefix + "-" + freshToken(t)[:8]
}

// createPost creates a post by author through c and deletes it when the test ends.
func createPost(t *testing.T, c *bosbase.Client, author, title string) string {
	t.Helper()
	rec, err := c.Collection("posts").Create(map[string]any{"title": title, "author": author}, nil, nil, nil)
	if err != nil {
		t.Fatalf("create post %q: %v", title, err)
	}
	id, _ := rec["id"].(string)
	t.Cleanup(func() { _, _ = c.Collection("posts").Delete(id, nil, nil, nil) })
	return id
}

func updatePost(t *testing.T, c *bosbase.Client, id, title string) {
	t.Helper()
	if _, err := c.Collection("posts").Update(id, map[string]any{"title": title}, nil, nil, nil); err != nil {
		t.Fatalf("update post %s: %v", id, err)
	}
}

// next receives the subscription's next event (skipping the stream's state changes),
// failing the test after eventWait.
func next(t *testing.T, sub *bosbase.Subscription) bosbase.RealtimeEvent {
	t.Helper()
	deadline := time.After(eventWait)
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatalf("%s: channel closed, want an event", sub.Topic())
			}
			if ev.Kind != bosbase.EventKindState {
				return ev
			}
		case <-deadline:
			t.Fatalf("%s: no event within %v", sub.Topic(), eventWait)
		}
	}
}

// quiet fails if the subscription gets an event (a state change aside) within 200 ms.
func quiet(t *testing.T, sub *bosbase.Subscription) {
	t.Helper()
	deadline := time.After(200 * time.Millisecond)
	for {
		select {
		case ev := <-sub.Events():
			if ev.Kind != bosbase.EventKindState {
				t.Fatalf("%s: unexpected %s event %v", sub.Topic(), ev.Type, ev.Record["id"])
			}
		case <-deadline:
			return
		}
	}
}

// subscribed takes a subscribe call's results and waits for the server's confirmation
// (the first event): subscribed(t)(c.Realtime().Subscribe(...)).
func subscribed(t *testing.T) func(*bosbase.Subscription, error) *bosbase.Subscription {
	return func(sub *bosbase.Subscription, err error) *bosbase.Subscription {
		t.Helper()
		return confirm(t, sub, err)
	}
}

func confirm(t *testing.T, sub *bosbase.Subscription, err error) *bosbase.Subscription {
	t.Helper()
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(sub.Unsubscribe)
	if err := sub.Wait(eventWait); err != nil {
		t.Fatalf("Wait(%s): %v", sub.Topic(), err)
	}
	if ev := next(t, sub); ev.Type != bosbase.EventSubscribed || ev.Topic != sub.Topic() {
		t.Fatalf("first event %+v, want subscribed to %s", ev, sub.Topic())
	}
	return sub
}

// recordEvent receives the next event and checks it is action on a record titled title.
func recordEvent(t *testing.T, sub *bosbase.Subscription, action, id, title string) {
	t.Helper()
	ev := next(t, sub)
	if ev.Type != bosbase.EventRecord || ev.Action != action || ev.Record["id"] != id || ev.Record["title"] != title {
		t.Fatalf("%s: got %s %s %v %v, want event %s of %s %q", sub.Topic(), ev.Type, ev.Action, ev.Record["id"], ev.Record["title"], action, id, title)
	}
}

// closedWithout drains a closed (or closing) channel and fails if it held an event for id.
func closedWithout(t *testing.T, sub *bosbase.Subscription, id string) {
	t.Helper()
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				return
			}
			if ev.Record["id"] == id {
				t.Fatalf("%s: event %s for %s after unsubscribe", sub.Topic(), ev.Action, id)
			}
		case <-time.After(eventWait):
			t.Fatalf("%s: channel not closed after unsubscribe", sub.Topic())
		}
	}
}

// TestRealtimeRecordEvents: create, update and delete by another client reach a posts/*
// subscription in order with the record; an unsubscribed one gets nothing more and its
// channel closes.
func TestRealtimeRecordEvents(t *testing.T) {
	listener, _ := signedIn(t, userEmail, userPass)
	writer, me := signedIn(t, userEmail, userPass)
	sub := subscribed(t)(listener.Collection("posts").Subscribe("*", bosbase.SubscribeOptions{}))
	other := subscribed(t)(listener.Realtime().Subscribe("posts/*", bosbase.SubscribeOptions{}))
	if sub.Topic() != "posts/*" {
		t.Errorf("Topic() = %q", sub.Topic())
	}

	first, second := uniqueTitle(t, "go-first"), uniqueTitle(t, "go-second")
	id := createPost(t, writer, me, first)
	updatePost(t, writer, id, second)
	if ok, err := writer.Collection("posts").Delete(id, nil, nil, nil); err != nil || !ok {
		t.Fatalf("delete: %v %v", ok, err)
	}
	for _, s := range []*bosbase.Subscription{sub, other} {
		recordEvent(t, s, "create", id, first)
		recordEvent(t, s, "update", id, second)
		recordEvent(t, s, "delete", id, second)
	}
	if sub.Dropped() != 0 || !sub.IsActive() {
		t.Errorf("Dropped %d, IsActive %t", sub.Dropped(), sub.IsActive())
	}

	sub.Unsubscribe()
	sub.Unsubscribe() // idempotent
	if sub.IsActive() {
		t.Error("active after Unsubscribe")
	}
	after := createPost(t, writer, me, uniqueTitle(t, "go-after"))
	next(t, other) // the server did send it...
	closedWithout(t, sub, after)
	if err := sub.Wait(time.Millisecond); !isKind(err, bosbase.KindClosed) {
		t.Errorf("Wait after Unsubscribe: %v", err)
	}
}

func isKind(err error, kind string) bool {
	var e *bosbase.ClientResponseError
	return errors.As(err, &e) && e.Kind == kind
}

// TestRealtimeRecordTopicAndFilter: a record-id topic sees only its record, a filter
// only matching records; unsubscribing by topic and by prefix ends the matching ones.
func TestRealtimeRecordTopicAndFilter(t *testing.T) {
	listener, _ := signedIn(t, userEmail, userPass)
	writer, me := signedIn(t, userEmail, userPass)
	a := createPost(t, writer, me, uniqueTitle(t, "go-a"))
	b := createPost(t, writer, me, uniqueTitle(t, "go-b"))
	keep := uniqueTitle(t, "go-keep")
	one := subscribed(t)(listener.Collection("posts").Subscribe(a, bosbase.SubscribeOptions{}))
	filtered := subscribed(t)(listener.Realtime().Subscribe("posts/*", bosbase.SubscribeOptions{Filter: "title ~ '" + keep + "'", Fields: "id,title"}))

	updatePost(t, writer, b, uniqueTitle(t, "go-drop"))
	updatePost(t, writer, a, keep)
	// Events of a subscription come in the server's order: b's change, sent first, would
	// come first if either subscription were to get it.
	recordEvent(t, one, "update", a, keep)
	recordEvent(t, filtered, "update", a, keep)
	quiet(t, one)

	if err := listener.Realtime().Unsubscribe("posts/*"); err != nil {
		t.Fatal(err)
	}
	closedWithout(t, filtered, b)
	if !one.IsActive() {
		t.Fatal("the record topic ended with posts/*")
	}
	if err := listener.Realtime().UnsubscribeByPrefix("posts/"); err != nil {
		t.Fatal(err)
	}
	closedWithout(t, one, b)
}

// TestRealtimeReloginFollowsNewUser: after the listener signs in as another user the
// stream reconnects (state events) and events follow that user's rules.
func TestRealtimeReloginFollowsNewUser(t *testing.T) {
	listener, _ := signedIn(t, userEmail, userPass)
	w1, u1 := signedIn(t, userEmail, userPass)
	w2, u2 := signedIn(t, user2Email, user2Pass)
	states, err := listener.Realtime().OnState()
	if err != nil {
		t.Fatal(err)
	}
	defer states.Remove()
	sub := subscribed(t)(listener.Collection("posts").Subscribe("*", bosbase.SubscribeOptions{}))
	waitState(t, states, bosbase.StateConnected)

	hidden := createPost(t, w2, u2, uniqueTitle(t, "go-user2-before"))
	mine := uniqueTitle(t, "go-user1")
	p1 := createPost(t, w1, u1, mine)
	recordEvent(t, sub, "create", p1, mine) // user2's post, created first, never came

	if _, err := listener.Collection("users").AuthWithPassword(user2Email, user2Pass, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	waitState(t, states, bosbase.StateReconnected)
	notMine := createPost(t, w1, u1, uniqueTitle(t, "go-user1-after"))
	theirs := uniqueTitle(t, "go-user2")
	p2 := createPost(t, w2, u2, theirs)
	ev := next(t, sub)
	if ev.Record["id"] == notMine || ev.Record["id"] == hidden {
		t.Fatalf("user2's stream got %v", ev.Record["id"])
	}
	if ev.Action != "create" || ev.Record["id"] != p2 {
		t.Fatalf("got %s %v, want create %s", ev.Action, ev.Record["id"], p2)
	}
	states.Remove()
	mustClose(t, "state channel after Remove", states.States())
}

// mustClose receives from ch until it is closed, failing after eventWait.
func mustClose[T any](t *testing.T, what string, ch <-chan T) {
	t.Helper()
	deadline := time.After(eventWait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s: not closed within %v", what, eventWait)
		}
	}
}

// waitState receives states until want (failing after eventWait).
func waitState(t *testing.T, l *bosbase.StateListener, want string) {
	t.Helper()
	waitStateWithin(t, l, want, eventWait)
}

func waitStateWithin(t *testing.T, l *bosbase.StateListener, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case s, ok := <-l.States():
			if !ok {
				t.Fatalf("state channel closed before %s", want)
			}
			if s.State == bosbase.StateDisconnected && s.Cause == "" {
				t.Errorf("disconnected without a cause")
			}
			if s.State == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %s state within %v", want, within)
		}
	}
}

// TestRealtimeContextAndClose: a done context ends a subscription; closing the client
// ends every subscription and listener; a closed client refuses new ones.
func TestRealtimeContextAndClose(t *testing.T) {
	c := bosbase.New(serverURL)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := c.Realtime().SubscribeCtx(ctx, "go-custom-topic", bosbase.SubscribeOptions{})
	sub = confirm(t, sub, err)
	cancel()
	closedWithout(t, sub, "")
	if sub.IsActive() {
		t.Error("active after its context was cancelled")
	}
	if _, err := c.Realtime().SubscribeCtx(ctx, "t", bosbase.SubscribeOptions{}); !errors.Is(err, context.Canceled) || !isKind(err, bosbase.KindCancelled) {
		t.Errorf("SubscribeCtx with a done ctx: %v", err)
	}

	kept := subscribed(t)(c.Collection("posts").Subscribe("*", bosbase.SubscribeOptions{}))
	states, err := c.Realtime().OnState()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	closedWithout(t, kept, "")
	mustClose(t, "state channel after Close", states.States())
	kept.Unsubscribe() // after Close: nothing to do, no crash
	states.Remove()
	if _, err := c.Realtime().Subscribe("t", bosbase.SubscribeOptions{}); !errors.Is(err, bosbase.ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	if _, err := c.Realtime().OnState(); !errors.Is(err, bosbase.ErrClosed) {
		t.Errorf("OnState after Close: %v", err)
	}
	if err := c.Realtime().Unsubscribe("t"); err != nil {
		t.Errorf("Unsubscribe after Close: %v", err)
	}
}

// TestRealtimeArguments: refusals come back as invalid_argument before anything starts.
func TestRealtimeArguments(t *testing.T) {
	c := newClient(t)
	for name, try := range map[string]func() error{
		"empty topic": func() error { _, err := c.Realtime().Subscribe("", bosbase.SubscribeOptions{}); return err },
		"NUL topic":   func() error { _, err := c.Realtime().Subscribe("a\x00b", bosbase.SubscribeOptions{}); return err },
		"empty collection": func() error {
			_, err := c.Collection("").Subscribe("*", bosbase.SubscribeOptions{})
			return err
		},
		"unencodable query": func() error {
			_, err := c.Realtime().Subscribe("t", bosbase.SubscribeOptions{Query: map[string]any{"q": func() {}}, Headers: map[string]string{"X": "secret"}})
			return err
		},
	} {
		err := try()
		if !isKind(err, bosbase.KindInvalidArgument) {
			t.Errorf("%s: %v, want invalid_argument", name, err)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error echoes a value: %v", name, err)
		}
	}
	if n := bosbase.LiveHandles(); n < 0 {
		t.Errorf("LiveHandles = %d", n)
	}
}

// TestRealtimeCyclesLeakNothing: 100 subscribe/unsubscribe cycles (half ended through a
// context) leave no cgo handle, goroutine or native client behind, and a client dropped
// with a live subscription is finalized (its subscription ended) by the GC.
func TestRealtimeCyclesLeakNothing(t *testing.T) {
	clients, handles, goroutines := bosbase.LiveClients(), bosbase.LiveHandles(), runtime.NumGoroutine()
	c := bosbase.New(serverURL)
	for i := 0; i < 100; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		sub, err := c.Realtime().SubscribeCtx(ctx, "go-cycle-topic", bosbase.SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Wait(eventWait); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if i%2 == 0 {
			sub.Unsubscribe()
		}
		cancel()
		if i%2 == 1 {
			closedWithout(t, sub, "")
		}
	}
	c.Close()
	forgotten()
	settle(t, "live native clients", func() int64 { return int64(bosbase.LiveClients()) }, int64(clients))
	settle(t, "live delivery handles", bosbase.LiveHandles, handles)
	settle(t, "goroutines", func() int64 { return int64(runtime.NumGoroutine()) }, int64(goroutines))
}

// forgotten subscribes on a client that is then dropped without Close.
func forgotten() {
	c := bosbase.New(serverURL)
	if sub, err := c.Realtime().Subscribe("go-forgotten", bosbase.SubscribeOptions{}); err == nil {
		_ = sub.Wait(eventWait)
	}
}

// settle waits (running the GC, at most 20 s) until get() <= want.
func settle(t *testing.T, what string, get func() int64, want int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for get() > want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want at most %d", what, get(), want)
		}
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRealtimeRefusedTopic: a topic the server refuses (PocketBase takes at most 2500
// bytes) ends that subscription with an EventError (then the channel closes and its
// handle is released); the client's other subscriptions keep working.
func TestRealtimeRefusedTopic(t *testing.T) {
	handles := bosbase.LiveHandles()
	c := newClient(t)
	good := subscribed(t)(c.Realtime().Subscribe("go-good-topic", bosbase.SubscribeOptions{}))
	bad, err := c.Realtime().Subscribe(strings.Repeat("x", 3000), bosbase.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev := next(t, bad)
	if ev.Type != bosbase.EventError || ev.Err == nil || ev.Err.Kind != bosbase.KindHTTP || ev.Err.Status != 400 {
		t.Fatalf("refused topic: %+v (err %+v)", ev, ev.Err)
	}
	mustClose(t, "refused subscription", bad.Events())
	if !good.IsActive() {
		t.Fatal("the other subscription ended too")
	}
	again := subscribed(t)(c.Realtime().Subscribe("go-other-topic", bosbase.SubscribeOptions{}))
	again.Unsubscribe()
	good.Unsubscribe()
	settle(t, "live delivery handles", bosbase.LiveHandles, handles)
}

// TestRealtimeNoticesNeverDropped: a subscriber that reads nothing while more than a
// queue's worth of events arrive loses the oldest events (counted by Dropped), never the
// "subscribed" notice: it is still the first value of the channel (the Go channel used
// to drop whatever was oldest, the notice first). Go drops nothing of its own: the
// sequence numbers' gaps are exactly the core's drops.
func TestRealtimeNoticesNeverDropped(t *testing.T) {
	listener, _ := signedIn(t, userEmail, userPass)
	sub, err := listener.Collection("posts").Subscribe("*", bosbase.SubscribeOptions{Fields: "id,title"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := sub.Wait(eventWait); err != nil {
		t.Fatal(err)
	}
	// Eight writers update a post each: 8 creates + 8 × 140 updates > 1,024 events.
	const writers, updates = 8, 140
	errs := make(chan error, writers)
	var lastWriter *bosbase.Client
	var lastPost string
	for w := 0; w < writers; w++ {
		writer, me := signedIn(t, userEmail, userPass)
		id := createPost(t, writer, me, uniqueTitle(t, "go-flood"))
		lastWriter, lastPost = writer, id
		go func() {
			for i := 0; i < updates; i++ {
				if _, err := writer.Collection("posts").Update(id, map[string]any{"title": "go-flood-" + strconv.Itoa(i)}, nil, nil, nil); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < writers; w++ {
		if err := <-errs; err != nil {
			t.Fatalf("update: %v", err)
		}
	}
	// The flood overflowed the queue once events are dropped (the last ones may still be
	// on their way: wait for the count to pass a margin).
	deadline := time.Now().Add(eventWait)
	for sub.Dropped() < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d events dropped after the flood", sub.Dropped())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ev := next(t, sub); ev.Type != bosbase.EventSubscribed || ev.Kind != bosbase.EventKindSubscribed || ev.Sequence != 1 {
		t.Fatalf("first value after the overflow: %s %s #%d, want the subscribed notice #1", ev.Type, ev.Action, ev.Sequence)
	}
	// Everything after it comes in order; the gaps in the sequence are the drops.
	marker := uniqueTitle(t, "go-flood-end")
	updatePost(t, lastWriter, lastPost, marker)
	var seq, gaps, received uint64 = 1, 0, 0
	for {
		var ev bosbase.RealtimeEvent
		select {
		case ev = <-sub.Events():
		case <-time.After(eventWait):
			t.Fatalf("no marker event within %v (last #%d)", eventWait, seq)
		}
		if ev.Sequence <= seq {
			t.Fatalf("sequence %d after %d", ev.Sequence, seq)
		}
		if ev.Type != ev.Kind.String() {
			t.Fatalf("type %q for kind %v", ev.Type, ev.Kind)
		}
		gaps += ev.Sequence - seq - 1
		seq = ev.Sequence
		received++
		if ev.Record["title"] == marker {
			break
		}
	}
	if dropped := sub.Dropped(); gaps != dropped || received > uint64(bosbase.QueueLimit)+2 {
		t.Fatalf("sequence gaps %d, Dropped %d, received %d after the notice", gaps, dropped, received)
	}
	t.Logf("received %d, dropped %d", received, gaps)
}

// TestRealtimeKindsAndSequence: the first values of a client's first subscription are
// the subscribed notice (#1) and the stream's "connected" state (#2), their kinds given by
// the core (Type is the kind's name), and the state's value decoded into ev.State.
func TestRealtimeKindsAndSequence(t *testing.T) {
	c := newClient(t)
	sub, err := c.Realtime().Subscribe("go-kinds-topic", bosbase.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	var got []bosbase.RealtimeEvent
	for len(got) < 2 {
		select {
		case ev := <-sub.Events():
			got = append(got, ev)
		case <-time.After(eventWait):
			t.Fatalf("only %d values within %v", len(got), eventWait)
		}
	}
	first, second := got[0], got[1]
	if first.Kind != bosbase.EventKindSubscribed || first.Type != bosbase.EventSubscribed || first.Sequence != 1 || first.Topic != "go-kinds-topic" {
		t.Errorf("first value %+v, want subscribed #1", first)
	}
	if second.Kind != bosbase.EventKindState || second.Type != bosbase.EventState || second.Sequence != 2 || second.State.State != bosbase.StateConnected {
		t.Errorf("second value %+v, want state connected #2", second)
	}
	if sub.Dropped() != 0 {
		t.Errorf("Dropped %d", sub.Dropped())
	}
}
