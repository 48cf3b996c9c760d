package bosbase_test

import (
	"context"
	"errors"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// validAuth is a login answer the core accepts: a token whose JWT exp is 2100-01-01.
const validAuth = `{"token":"x.eyJleHAiOjQxMDI0NDQ4MDB9.y","record":{"id":"r1"}}`

// authServer answers every request with validAuth; while hold is set, only after release
// is closed. arrived gets a value per request once it is inside the handler, answered
// one per answer written (see signal).
type authServer struct {
	*httptest.Server
	arrived, answered chan struct{}
	release           chan struct{}
	requests          atomic.Int64
	hold              bool
}

func newAuthServer(t *testing.T, hold bool) *authServer {
	t.Helper()
	s := &authServer{arrived: make(chan struct{}, 64), answered: make(chan struct{}, 64), release: make(chan struct{}), hold: hold}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		signal(s.arrived)
		if s.hold {
			<-s.release
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(validAuth))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		signal(s.answered)
	}))
	t.Cleanup(func() {
		s.letGo()
		s.Close()
	})
	return s
}

// signal records an event for a test that waits for it; beyond the channel's room
// (a test that does not wait) it is dropped rather than blocking the server.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (s *authServer) letGo() {
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// cancelledLogin runs one token login on a slow server under a context that ends while
// the server holds the request (end cancels it, or waits for its deadline), and checks:
// the call returns a "cancelled" *ClientResponseError matching want quickly; the server
// then answers a valid login, and still nothing is saved (no listener call even after
// Close, which waits for the request the core still has in flight).
func cancelledLogin(t *testing.T, ctx context.Context, end func(), want error) {
	srv := newAuthServer(t, true)
	c := bosbase.New(srv.URL)
	var changes atomic.Int64
	c.AuthStore.OnChange(func(string, map[string]any) { changes.Add(1) })

	result := make(chan error, 1)
	go func() {
		_, err := c.Collection("users").AuthWithTokenCtx(ctx, "custom-token", nil, nil, nil)
		result <- err
	}()
	wait(t, srv.arrived, "the login to reach the server")
	ended := time.Now()
	end()
	var err error
	select {
	case err = <-result:
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not return after its context ended")
	}
	if took := time.Since(ended); took > time.Second {
		t.Errorf("the call returned %v after its context ended", took)
	}
	e := responseError(t, err)
	if e.Kind != bosbase.KindCancelled || !e.IsAbort || e.Status != 0 || e.Response == nil {
		t.Errorf("kind %q isAbort %v status %d, want cancelled true 0", e.Kind, e.IsAbort, e.Status)
	}
	if !errors.Is(err, want) || !errors.Is(err, ctx.Err()) {
		t.Errorf("errors.Is(err, %v) is false: %v", want, err)
	}
	if errors.Is(err, bosbase.ErrClosed) {
		t.Errorf("a cancelled call matches ErrClosed")
	}
	assertNoSecrets(t, err, "custom-token")

	srv.letGo() // the server now answers a valid login
	wait(t, srv.answered, "the server's answer")
	time.Sleep(200 * time.Millisecond)
	if c.AuthStore.Token() != "" || c.AuthStore.IsValid() {
		t.Errorf("a cancelled login filled the auth store")
	}
	c.Close() // returns after the core's request has read the answer
	if n := changes.Load(); n != 0 {
		t.Errorf("the auth store changed %d times after a cancelled login", n)
	}
	if n := bosbase.LiveCallHandles(); n != 0 {
		t.Errorf("%d call handles left", n)
	}
}

func TestContextCancelDuringLogin(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelledLogin(t, ctx, cancel, context.Canceled)
}

func TestContextDeadlineDuringLogin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cancelledLogin(t, ctx, func() { <-ctx.Done() }, context.DeadlineExceeded)
}

// A context that is not done changes nothing: the login is saved as without one.
func TestContextLoginSucceeds(t *testing.T) {
	srv := newAuthServer(t, false)
	c := newClientAt(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	auth, err := c.Collection("users").AuthWithTokenCtx(ctx, "custom-token", nil, nil, nil)
	if err != nil || auth["token"] != "x.eyJleHAiOjQxMDI0NDQ4MDB9.y" {
		t.Fatalf("AuthWithTokenCtx = %v, %v", auth, err)
	}
	if c.AuthStore.Token() != auth["token"] || !c.AuthStore.IsValid() || c.AuthStore.Record()["id"] != "r1" {
		t.Errorf("the login was not saved")
	}
}

// A context already done sends nothing.
func TestContextDoneBeforeTheCall(t *testing.T) {
	srv := newAuthServer(t, false)
	c := newClientAt(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok, err := c.Collection("users").BindCustomTokenCtx(ctx, "a@example.com", "pw", "tok", nil, nil, nil)
	if e := responseError(t, err); ok || e.Kind != "cancelled" || !errors.Is(err, context.Canceled) {
		t.Errorf("= %v, kind %q (%v); want false, cancelled", ok, e.Kind, err)
	}
	if n := srv.requests.Load(); n != 0 {
		t.Errorf("%d requests sent under a done context", n)
	}
}

// Against the dev server: the seed's flow through the ...Ctx forms.
func TestContextTokenFlow(t *testing.T) {
	c := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	token := freshToken(t)
	users := c.Collection("users")
	if ok, err := users.BindCustomTokenCtx(ctx, userEmail, userPass, token, nil, nil, nil); err != nil || !ok {
		t.Fatalf("BindCustomTokenCtx = %v, %v", ok, err)
	}
	auth, err := users.AuthWithTokenCtx(ctx, token, nil, nil, nil)
	if err != nil || recordEmail(t, auth) != userEmail || c.AuthStore.Token() != auth["token"] {
		t.Fatalf("AuthWithTokenCtx = %v, %v", auth, err)
	}
	if _, err := users.AuthRefreshCtx(ctx, nil, nil, nil); err != nil {
		t.Errorf("AuthRefreshCtx: %v", err)
	}
	if ok, err := users.UnbindCustomTokenCtx(ctx, userEmail, userPass, token, nil, nil, nil); err != nil || !ok {
		t.Fatalf("UnbindCustomTokenCtx = %v, %v", ok, err)
	}
	_, err = users.AuthWithTokenCtx(ctx, token, nil, nil, nil)
	if e := responseError(t, err); e.Kind != "http" || e.Status != 400 {
		t.Errorf("after unbind: kind %q status %d", e.Kind, e.Status)
	}
	_, err = c.Collection("mfa_users").AuthWithPasswordCtx(ctx, mfaEmail, mfaPass, nil, nil, nil)
	if e := responseError(t, err); e.Kind != "mfa_required" || e.MFAID() == "" {
		t.Errorf("MFA through the async path: kind %q mfaId %q", e.Kind, e.MFAID())
	}
}

// Close during a context call waits for it; cancelling it then ends the call at once,
// and Close returns once the core's request is done.
func TestContextCancelDuringClose(t *testing.T) {
	srv := newAuthServer(t, true)
	c := bosbase.New(srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	go func() {
		_, err := c.Collection("users").AuthWithTokenCtx(ctx, "t", nil, nil, nil)
		result <- err
	}()
	wait(t, srv.arrived, "the login to reach the server")
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-result:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("call cancelled during Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling during Close did not end the call")
	}
	srv.letGo()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
}

// No goroutine or cgo.Handle outlives its call, whichever way the call ends: answered,
// cancelled while the server holds it, cancelled at random moments (racing the answer),
// done before it starts, refused by the core, or made on a closed client. cgo panics
// on deleting a handle twice, so a count back at zero means each was deleted exactly once.
func TestContextCallsLeakNothing(t *testing.T) {
	goroutines := goGoroutines()
	handles := bosbase.LiveCallHandles()
	func() {
		fast := newAuthServer(t, false)
		defer fast.Close() // (again at cleanup: a no-op) servers last, after the clients
		slow := newAuthServer(t, true)
		defer slow.Close()
		defer slow.letGo()
		c := bosbase.New(fast.URL)
		defer c.Close()
		s := bosbase.New(slow.URL)
		defer s.Close()
		background := context.Background()

		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				r := rand.New(rand.NewSource(seed))
				for j := 0; j < 25; j++ {
					ctx, cancel := context.WithCancel(background)
					if _, err := c.Collection("users").AuthWithTokenCtx(ctx, "t", nil, nil, nil); err != nil {
						t.Errorf("answered call: %v", err)
					}
					cancel()

					ctx, cancel = context.WithCancel(background)
					time.AfterFunc(time.Duration(r.Intn(400))*time.Microsecond, cancel)
					_, err := c.Collection("users").AuthWithTokenCtx(ctx, "t", nil, nil, nil)
					if err != nil && !errors.Is(err, context.Canceled) {
						t.Errorf("racing call: %v", err)
					}
					cancel()
				}
			}(int64(i))
		}
		wg.Wait()

		ctx, cancel := context.WithCancel(background)
		held := make(chan error, 4)
		for i := 0; i < 4; i++ {
			go func() { _, err := s.Collection("users").AuthWithTokenCtx(ctx, "t", nil, nil, nil); held <- err }()
			wait(t, slow.arrived, "a held request")
		}
		cancel()
		for i := 0; i < 4; i++ {
			if err := <-held; !errors.Is(err, context.Canceled) {
				t.Errorf("held call: %v", err)
			}
		}
		slow.letGo()

		ctx, cancel = context.WithCancel(background)
		defer cancel()
		if _, err := c.CallCtx(ctx, "no.such", nil, bosbase.CallOptions{}); err == nil {
			t.Error("unknown operation accepted")
		}
		done, stop := context.WithCancel(background)
		stop()
		if _, err := c.Health().CheckCtx(done, nil, nil, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("done context: %v", err)
		}
		closed := bosbase.New(fast.URL)
		closed.Close()
		if _, err := closed.Health().CheckCtx(ctx, nil, nil, nil); !errors.Is(err, bosbase.ErrClosed) {
			t.Errorf("closed client: %v", err)
		}
	}()
	if n := bosbase.LiveCallHandles(); n != handles {
		t.Errorf("call handles: %d live after the calls, %d before", n, handles)
	}
	deadline := time.Now().Add(10 * time.Second)
	for goGoroutines() > goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := goGoroutines(); n > goroutines {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the calls, %d before:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
}

// goGoroutines counts the goroutines running Go code. A core worker thread that has run a
// completion callback keeps an idle cgo placeholder goroutine (state "locked to thread",
// no frame but runtime.goexit) until the thread exits after 10 s idle; those are the
// pool's threads, not goroutines of ours, and are left out.
func goGoroutines() int {
	buf := make([]byte, 1<<22)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		lines := strings.Split(g, "\n")
		if strings.Contains(lines[0], "locked to thread") && len(lines) > 1 && strings.HasPrefix(lines[1], "runtime.goexit") {
			continue
		}
		n++
	}
	return n
}

// newClientAt returns a client on url, closed when the test ends.
func newClientAt(t *testing.T, url string) *bosbase.Client {
	t.Helper()
	c := bosbase.New(url)
	t.Cleanup(c.Close)
	return c
}
