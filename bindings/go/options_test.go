package bosbase_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// headerServer answers 200 {"ok":true} and remembers the last request's headers and
// how many connections it accepted.
type headerServer struct {
	*httptest.Server
	mu    sync.Mutex
	last  http.Header
	conns atomic.Int64
}

func newHeaderServer(t *testing.T) *headerServer {
	t.Helper()
	s := &headerServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.last = r.Header.Clone()
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"padding":"0123456789012345678901234567890123456789"}`))
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *headerServer) header(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last.Get(name)
}

func TestClientOptionsDefaultsAndHeaders(t *testing.T) {
	srv := newHeaderServer(t)
	c := bosbase.New(srv.URL)
	defer c.Close()
	if _, err := c.Send("/x", bosbase.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := srv.header("User-Agent"); got != "bosbase-go/"+bosbase.Version {
		t.Errorf("User-Agent %q", got)
	}
	if got := srv.header("Accept-Language"); got != "en-US" {
		t.Errorf("Accept-Language %q", got)
	}
	if got := srv.header("Authorization"); got != "" {
		t.Errorf("Authorization %q without a login", got)
	}
	// Authorization is sent whenever the store holds a token, valid JWT or not.
	if err := c.AuthStore.Save("not-a-jwt", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send("/x", bosbase.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := srv.header("Authorization"); got != "not-a-jwt" {
		t.Errorf("Authorization %q, want the stored token", got)
	}

	c2, err := bosbase.NewClient(srv.URL, bosbase.ClientOptions{Lang: "de-DE", UserAgent: "my-app/2"})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Send("/x", bosbase.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	if srv.header("User-Agent") != "my-app/2" || srv.header("Accept-Language") != "de-DE" {
		t.Errorf("User-Agent %q Accept-Language %q", srv.header("User-Agent"), srv.header("Accept-Language"))
	}
}

// An answer over MaxResponseBytes fails as "json" (a 2xx) and keeps its status.
func TestMaxResponseBytes(t *testing.T) {
	srv := newHeaderServer(t)
	c, err := bosbase.NewClient(srv.URL, bosbase.ClientOptions{MaxResponseBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Send("/x", bosbase.SendOptions{})
	if e := responseError(t, err); e.Kind != "json" || e.Status != 200 {
		t.Errorf("over the limit: kind %q status %d, want json 200", e.Kind, e.Status)
	}
}

// Sequential calls reuse one connection by default; with MaxIdleConnections < 0 none is kept.
func TestMaxIdleConnections(t *testing.T) {
	for _, tc := range []struct {
		idle          int
		min, max      int64
		wantReuseText string
	}{{0, 1, 1, "default keeps connections"}, {-1, 10, 10, "negative keeps none"}} {
		srv := newHeaderServer(t)
		c, err := bosbase.NewClient(srv.URL, bosbase.ClientOptions{MaxIdleConnections: tc.idle})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			if _, err := c.Send("/x", bosbase.SendOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
		if n := srv.conns.Load(); n < tc.min || n > tc.max {
			t.Errorf("%s: 10 calls opened %d connections, want %d..%d", tc.wantReuseText, n, tc.min, tc.max)
		}
	}
}

// A per-call SendOptions.Timeout overrides the client's 30 s default.
func TestPerCallTimeout(t *testing.T) {
	srv := newSlowServer(t)
	c := bosbase.New(srv.URL)
	defer c.Close()
	start := time.Now()
	_, err := c.Send("/slow", bosbase.SendOptions{Timeout: 300 * time.Millisecond})
	e := responseError(t, err)
	if e.Kind != "timeout" || !e.IsAbort || e.Status != 0 {
		t.Errorf("kind %q isAbort %v status %d, want timeout true 0", e.Kind, e.IsAbort, e.Status)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("per-call timeout of 300ms took %v", d)
	}
}

// Options the core would refuse, or that cannot mean anything, are refused up front.
func TestInvalidClientOptions(t *testing.T) {
	for name, opts := range map[string]bosbase.ClientOptions{
		"negative Timeout":          {Timeout: -time.Second},
		"negative ConnectTimeout":   {ConnectTimeout: -time.Second},
		"negative MaxResponseBytes": {MaxResponseBytes: -1},
		"control char in UserAgent": {UserAgent: "a\x01b"},
	} {
		_, err := bosbase.NewClient(serverURL, opts)
		if e := responseError(t, err); e.Kind != "invalid_argument" {
			t.Errorf("%s: kind %q", name, e.Kind)
		}
	}
	// A sub-millisecond timeout is rounded up, never turned into "none" or refused.
	c, err := bosbase.NewClient(serverURL, bosbase.ClientOptions{Timeout: time.Nanosecond, ConnectTimeout: time.Microsecond})
	if err != nil {
		t.Fatalf("sub-millisecond timeouts: %v", err)
	}
	c.Close()
}
