package bosbase_test

import (
	"sync"
	"sync/atomic"
	"testing"
)

// One client, 32 goroutines × 200 auth calls: every call succeeds, every store change
// reaches the listener, and the store ends holding a valid login.
func TestConcurrentCallsOnOneClient(t *testing.T) {
	const goroutines, calls = 32, 200
	c := newClient(t)
	token := freshToken(t)
	mustBind(t, c, "users", userEmail, userPass, token)

	var changes atomic.Int64
	defer c.AuthStore.OnChange(func(tok string, rec map[string]any) {
		if tok != "" && rec != nil {
			changes.Add(1)
		}
	})()

	var failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				auth, err := c.Collection("users").AuthWithToken(token, nil, nil, nil)
				if err == nil && auth["token"] == "" {
					err = errEmptyToken
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				_ = c.AuthStore.Token() // reads race with writes from other goroutines
			}
		}()
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d of %d calls failed; first: %v", n, goroutines*calls, firstErr.Load())
	}
	if got := changes.Load(); got != goroutines*calls {
		t.Errorf("listener saw %d changes, want %d", got, goroutines*calls)
	}
	if !c.AuthStore.IsValid() {
		t.Errorf("store not valid after the run")
	}
}

// Listeners come and go while other goroutines change the store: nothing crashes or
// races, and once all are unsubscribed (and calls in flight are over) none runs again.
func TestOnChangeSubscribeChurn(t *testing.T) {
	c := newClient(t)
	stop := make(chan struct{})
	var writers sync.WaitGroup
	for g := 0; g < 4; g++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := c.AuthStore.Save("t", map[string]any{"id": "x"}); err != nil {
					t.Errorf("Save: %v", err)
					return
				}
			}
		}()
	}
	var calls atomic.Int64
	for i := 0; i < 500; i++ {
		unsubscribe := c.AuthStore.OnChange(func(string, map[string]any) { calls.Add(1) })
		if i%2 == 0 {
			_ = c.AuthStore.Save("t", nil) // a change this goroutine knows the listener saw
		}
		unsubscribe()
	}
	close(stop)
	writers.Wait()
	if calls.Load() < 250 {
		t.Errorf("listeners saw %d changes, want at least 250", calls.Load())
	}
	before := calls.Load()
	for i := 0; i < 10; i++ {
		_ = c.AuthStore.Save("t", nil)
	}
	if after := calls.Load(); after != before {
		t.Errorf("%d calls into unsubscribed listeners", after-before)
	}
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errEmptyToken = constErr("empty token in auth result")
