package bosbase_test

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// closedPortURL returns a loopback URL on which nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestServerDownIsNetworkError(t *testing.T) {
	c := bosbase.New(closedPortURL(t))
	defer c.Close()
	token := freshToken(t)
	_, err := c.Collection("users").AuthWithToken(token, nil, nil, nil)
	e := responseError(t, err)
	if e.Kind != "network" || e.Status != 0 || e.IsAbort {
		t.Errorf("kind %q status %d isAbort %v, want network 0 false", e.Kind, e.Status, e.IsAbort)
	}
	if len(e.Response) != 0 {
		t.Errorf("Response = %v, want empty", e.Response)
	}
	assertNoSecrets(t, err, token)

	_, err = c.Collection("users").BindCustomToken(userEmail, userPass, token, nil, nil, nil)
	if e := responseError(t, err); e.Kind != "network" {
		t.Errorf("bind: kind %q", e.Kind)
	}
	assertNoSecrets(t, err, token, userPass)
}

// Wrapping keeps errors.As working, as callers commonly do.
func TestErrorsAsThroughWrapping(t *testing.T) {
	c := newClient(t)
	_, err := c.Collection("users").AuthWithToken(freshToken(t), nil, nil, nil)
	wrapped := fmt.Errorf("login: %w", err)
	var e *bosbase.ClientResponseError
	if !errors.As(wrapped, &e) || e.Status != 400 {
		t.Fatalf("errors.As through %%w failed: %v", wrapped)
	}
}

// Bad arguments are refused before any request, by the core or (NUL bytes) the binding.
func TestInvalidArguments(t *testing.T) {
	c := newClient(t)
	_, err := c.Collection("users").AuthWithToken("tok", nil, nil, map[string]string{"X-Bad": "a\r\nInjected: 1"})
	if e := responseError(t, err); e.Kind != "invalid_argument" {
		t.Errorf("CR/LF header: kind %q, want invalid_argument", e.Kind)
	}
	if _, err := c.Collection("users").BindCustomToken(userEmail, "user-pass\x00word", "t", nil, nil, nil); err == nil {
		t.Errorf("a password with a NUL byte was accepted")
	}
	if _, err := c.Collection("users").AuthWithToken("t", map[string]any{"bad": make(chan int)}, nil, nil); err == nil {
		t.Errorf("a body that cannot be JSON was accepted")
	}
	if _, err := c.Send("/api/health", bosbase.SendOptions{Method: "BREW"}); err == nil {
		t.Errorf("an unknown HTTP method was accepted")
	} else if e := responseError(t, err); e.Kind != "invalid_argument" {
		t.Errorf("unknown method: kind %q", e.Kind)
	}
}

// A client the core refused to create reports that on every call instead of crashing.
func TestRefusedClient(t *testing.T) {
	_, err := bosbase.NewClient(serverURL, bosbase.ClientOptions{Lang: "en\r\nX-Injected: 1"})
	if e := responseError(t, err); e.Kind != "invalid_argument" {
		t.Errorf("bad lang: kind %q, want invalid_argument", e.Kind)
	}
	c := bosbase.New("http://127.0.0.1\x00:1")
	defer c.Close()
	if _, err := c.Collection("users").AuthWithToken("t", nil, nil, nil); err == nil {
		t.Errorf("a client with a refused URL made a call")
	}
	if c.AuthStore.Token() != "" || c.AuthStore.IsValid() {
		t.Errorf("refused client has auth state")
	}
}

// A server that accepts but never answers: the client's timeout turns into Kind "timeout".
func TestTimeoutIsAbort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, silent, until the test ends
		}
	}()
	c, err := bosbase.NewClient("http://"+l.Addr().String(), bosbase.ClientOptions{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Collection("users").AuthWithToken(freshToken(t), nil, nil, nil)
	e := responseError(t, err)
	if e.Kind != "timeout" || !e.IsAbort || e.Status != 0 {
		t.Errorf("kind %q isAbort %v status %d, want timeout true 0", e.Kind, e.IsAbort, e.Status)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout of 300ms took %v", d)
	}
}
