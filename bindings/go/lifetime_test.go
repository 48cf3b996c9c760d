package bosbase_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// These tests count live native clients, so none of them runs in parallel with others.

func TestCloseIsIdempotentAndFrees(t *testing.T) {
	before := bosbase.LiveClients()
	c := bosbase.New(serverURL)
	if got := bosbase.LiveClients(); got != before+1 {
		t.Fatalf("live clients after New = %d, want %d", got, before+1)
	}
	c.Close()
	c.Close()
	if got := bosbase.LiveClients(); got != before {
		t.Fatalf("live clients after Close = %d, want %d", got, before)
	}
	if _, err := c.Collection("users").AuthWithToken("t", nil, nil, nil); !errors.Is(err, bosbase.ErrClosed) {
		t.Errorf("call after Close: %v, want ErrClosed", err)
	}
	if c.AuthStore.Token() != "" || c.AuthStore.Record() != nil || c.AuthStore.IsValid() {
		t.Errorf("closed client still reports auth state")
	}
	unsubscribe := c.AuthStore.OnChange(func(string, map[string]any) {})
	unsubscribe()
	if _, err := c.AuthStore.Export(); !errors.Is(err, bosbase.ErrClosed) {
		t.Errorf("Export after Close: %v", err)
	}
	for name, err := range map[string]error{
		"Clear":  c.AuthStore.Clear(),
		"Save":   c.AuthStore.Save("t", nil),
		"Import": c.AuthStore.Import(`{"token":"t","record":null}`),
	} {
		if e := responseError(t, err); e.Kind != "closed" || e.Status != 0 || e.Response == nil {
			t.Errorf("%s after Close: kind %q status %d", name, e.Kind, e.Status)
		}
	}
}

// slowServer answers /slow and /api/collections/slow/... only when release is closed
// (signalling arrived first), every other path at once, with 200 {"ok":true} (an auth
// answer under /api/collections/slow/). It counts the requests it received.
type slowServer struct {
	*httptest.Server
	arrived, release chan struct{}
	requests         atomic.Int64
}

func newSlowServer(t *testing.T) *slowServer {
	t.Helper()
	s := &slowServer{arrived: make(chan struct{}, 16), release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.URL.Path == "/api/realtime" {
			s.realtime(w, r)
			return
		}
		auth := strings.HasPrefix(r.URL.Path, "/api/collections/slow/")
		if r.URL.Path == "/slow" || auth {
			s.arrived <- struct{}{}
			<-s.release
		}
		w.Header().Set("Content-Type", "application/json")
		if auth {
			_, _ = w.Write([]byte(`{"token":"tok-slow","record":{"id":"r1","email":"a@example.com"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		s.Close()
	})
	return s
}

// realtime is a canned realtime endpoint: the event stream says PB_CONNECT and stays open
// until the request ends or release closes; every subscription POST is accepted.
func (s *slowServer) realtime(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	_, _ = w.Write([]byte("id:canned\nevent:PB_CONNECT\ndata:{\"clientId\":\"canned\"}\n\n"))
	w.(http.Flusher).Flush()
	select {
	case <-r.Context().Done():
	case <-s.release:
	}
}

// Close refuses new calls at once (kind "closed", nothing sent) while a call already in
// flight runs to its normal end (its auth-store effect and listeners included, which may
// still read the store); Close returns only after that call, then frees.
func TestCloseRefusesNewCallsWhileInFlightFinishes(t *testing.T) {
	srv := newSlowServer(t)
	before := bosbase.LiveClients()
	c := bosbase.New(srv.URL)
	var seen atomic.Value
	c.AuthStore.OnChange(func(tok string, _ map[string]any) {
		seen.Store(tok + "|" + c.AuthStore.Token()) // a listener may read the store
	})
	inFlight := make(chan error, 1)
	go func() {
		auth, err := c.Collection("slow").AuthWithPassword("a@example.com", "pw", nil, nil, nil)
		if err == nil && auth["token"] != "tok-slow" {
			err = fmt.Errorf("unexpected answer %v", auth)
		}
		inFlight <- err
	}()
	select {
	case <-srv.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request never reached the server")
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()

	// New calls are refused once Close has begun, without reaching the server.
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for {
		_, err = c.Send("/fast", bosbase.SendOptions{})
		if errors.Is(err, bosbase.ErrClosed) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	e := responseError(t, err)
	if e.Kind != "closed" || e.Status != 0 || e.IsAbort || e.Response == nil {
		t.Fatalf("call during Close: kind %q status %d isAbort %v, want closed 0 false", e.Kind, e.Status, e.IsAbort)
	}
	requests := srv.requests.Load()
	for i := 0; i < 20; i++ {
		if _, err := c.Collection("users").AuthWithPassword("a@example.com", "pw", nil, nil, nil); !errors.Is(err, bosbase.ErrClosed) {
			t.Fatalf("auth call during Close: %v, want kind closed", err)
		}
	}
	if err := c.AuthStore.Save("t", nil); !errors.Is(err, bosbase.ErrClosed) {
		t.Errorf("Save during Close: %v, want kind closed", err)
	}
	if got := srv.requests.Load(); got != requests {
		t.Errorf("%d refused calls reached the server", got-requests)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a call was in flight")
	case err := <-inFlight:
		t.Fatalf("the in-flight call ended before the server answered: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	close(srv.release)
	if err := <-inFlight; err != nil {
		t.Errorf("the call in flight during Close failed: %v", err)
	}
	if got, _ := seen.Load().(string); got != "tok-slow|tok-slow" {
		t.Errorf("listener during Close saw %q (argument|store read), want tok-slow|tok-slow", got)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after the call in flight finished")
	}
	if got := bosbase.LiveClients(); got > before {
		t.Errorf("live clients after Close = %d, want %d", got, before)
	}
}

// A client dropped without Close is freed by the finalizer.
func TestFinalizerFreesForgottenClient(t *testing.T) {
	before := bosbase.LiveClients()
	func() {
		c := bosbase.New(serverURL)
		c.AuthStore.OnChange(func(string, map[string]any) {})
		if _, err := c.Send("/api/health", bosbase.SendOptions{}); err != nil {
			t.Errorf("health: %v", err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for bosbase.LiveClients() > before {
		if time.Now().After(deadline) {
			t.Fatalf("forgotten client not freed: %d live, want %d", bosbase.LiveClients(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// Close waits for calls in flight instead of freeing the handle under them.
func TestCloseWaitsForCallsInFlight(t *testing.T) {
	c := bosbase.New(serverURL)
	token := freshToken(t)
	mustBind(t, c, "users", userEmail, userPass, token)
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			var last error
			for j := 0; j < 20; j++ {
				if _, err := c.Collection("users").AuthWithToken(token, nil, nil, nil); err != nil {
					last = err
					break
				}
			}
			errs <- last
		}()
	}
	time.Sleep(20 * time.Millisecond)
	c.Close()
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil && !errors.Is(err, bosbase.ErrClosed) {
			t.Errorf("call racing Close failed with %v, want success or ErrClosed", err)
		}
	}
}

// A client dropped to the garbage collector while calls are still running on its server
// (abandoned through their context: the core still waits for the server's answer) and
// with a live subscription is finalized without the finalizer goroutine waiting for any
// of them. The runtime runs every finalizer of the process on that one goroutine, so a
// finalizer that waited for the slow server (as bosbase_client_close does) would stall
// them all for as long as the server takes.
func TestFinalizerNeverBlocks(t *testing.T) {
	srv := newSlowServer(t) // holds the calls until the test ends
	bosbase.ResetFinalizerTimes()
	const calls = 4
	var finalized <-chan time.Duration
	func() {
		c := bosbase.New(srv.URL)
		finalized = bosbase.WatchFinalizer(c)
		sub, err := c.Realtime().Subscribe("go-finalizer", bosbase.SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Wait(eventWait); err != nil {
			t.Fatalf("the canned server's subscription: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, calls)
		for i := 0; i < calls; i++ {
			go func() {
				_, err := c.Collection("slow").AuthWithPasswordCtx(ctx, "a@example.com", "pw", nil, nil, nil)
				done <- err
			}()
		}
		for i := 0; i < calls; i++ {
			select {
			case <-srv.arrived:
			case <-time.After(eventWait):
				t.Fatal("the slow calls never reached the server")
			}
		}
		cancel()
		for i := 0; i < calls; i++ {
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("abandoned call: %v, want cancelled", err)
			}
		}
	}()
	deadline := time.Now().Add(3 * time.Second)
	for {
		runtime.GC()
		select {
		case took := <-finalized:
			longest, _ := bosbase.FinalizerTimes()
			t.Logf("this client's finalizer ran %v; the longest finalizer run during the test %v", took, longest)
			if took > 200*time.Millisecond || longest > 200*time.Millisecond {
				t.Fatalf("a client finalizer ran for %v: it waited", longest)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_, running := bosbase.FinalizerTimes()
			t.Fatalf("the client was not finalized within 3 s; a finalizer has been running for %v: it waits for the slow calls", running)
		}
	}
}
