package bosbase_test

import (
	"errors"
	"runtime"
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
	if c.AuthStore.Token() != "" || c.AuthStore.IsValid() {
		t.Errorf("closed client still reports auth state")
	}
	c.AuthStore.Clear() // harmless no-op
	unsubscribe := c.AuthStore.OnChange(func(string, map[string]any) {})
	unsubscribe()
	if _, err := c.AuthStore.Export(); !errors.Is(err, bosbase.ErrClosed) {
		t.Errorf("Export after Close: %v", err)
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
