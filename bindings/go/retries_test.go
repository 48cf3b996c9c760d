package bosbase_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// unavailableServer answers its first `failures` requests with 503, the rest with 200.
func unavailableServer(t *testing.T, failures int64) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if requests.Add(1) <= failures {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":503,"message":"busy","data":{}}`))
			return
		}
		_, _ = w.Write([]byte(`{"code":200,"message":"API is healthy.","data":{}}`))
	}))
	t.Cleanup(s.Close)
	return s, &requests
}

var quickRetries = &bosbase.Retries{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 40 * time.Millisecond}

// ClientOptions.Retries reaches the core: two 503s, then the answer, in one call.
func TestRetriesClientOption(t *testing.T) {
	s, requests := unavailableServer(t, 2)
	client, err := bosbase.NewClient(s.URL, bosbase.ClientOptions{Retries: quickRetries})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	health, err := client.Health().Check(nil, nil, nil)
	if err != nil || health["code"] != float64(200) {
		t.Fatalf("health %v, err %v", health, err)
	}
	if n := requests.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

// Off by default (Attempts 1); a POST is retried only with Idempotent, per call.
func TestRetriesOffByDefaultAndPerCall(t *testing.T) {
	s, requests := unavailableServer(t, 1)
	client := bosbase.New(s.URL)
	defer client.Close()
	_, err := client.Health().Check(nil, nil, nil)
	var e *bosbase.ClientResponseError
	if !errors.As(err, &e) || e.Status != 503 || e.Attempts != 1 {
		t.Fatalf("err %v (%+v), want 503 after 1 attempt", err, e)
	}
	requests.Store(0)
	_, err = client.Send("/api/x", bosbase.SendOptions{Method: "POST", Retries: quickRetries})
	if !errors.As(err, &e) || e.Status != 503 || requests.Load() != 1 {
		t.Fatalf("a POST not marked idempotent: err %v after %d requests", err, requests.Load())
	}
	requests.Store(0)
	_, err = client.Call("health.check", nil, bosbase.CallOptions{Retries: quickRetries, Idempotent: true})
	if err != nil || requests.Load() != 2 {
		t.Fatalf("CallOptions.Retries: err %v after %d requests, want success after 2", err, requests.Load())
	}
	if _, err := bosbase.NewClient(s.URL, bosbase.ClientOptions{Retries: &bosbase.Retries{MaxAttempts: -1}}); err == nil {
		t.Fatal("a negative MaxAttempts was accepted")
	}
}
