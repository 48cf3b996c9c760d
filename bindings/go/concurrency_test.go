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

type constErr string

func (e constErr) Error() string { return string(e) }

const errEmptyToken = constErr("empty token in auth result")
