package bosbase_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type change struct {
	token  string
	email  string
	nilRec bool
}

func TestAuthStoreOnChangeClearUnsubscribe(t *testing.T) {
	c := newClient(t)
	token := freshToken(t)
	mustBind(t, c, "users", userEmail, userPass, token)

	var mu sync.Mutex
	var seen []change
	unsubscribe := c.AuthStore.OnChange(func(tok string, rec map[string]any) {
		email, _ := rec["email"].(string)
		// Reading the store from inside a listener is allowed.
		_ = c.AuthStore.Token()
		mu.Lock()
		seen = append(seen, change{tok, email, rec == nil})
		mu.Unlock()
	})

	auth, err := c.Collection("users").AuthWithToken(token, nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithToken: %v", err)
	}
	c.AuthStore.Clear()
	if c.AuthStore.Token() != "" || c.AuthStore.Record() != nil || c.AuthStore.IsValid() {
		t.Errorf("Clear left state behind")
	}
	unsubscribe()
	unsubscribe() // idempotent
	if _, err := c.Collection("users").AuthWithToken(token, nil, nil, nil); err != nil {
		t.Fatalf("AuthWithToken: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []change{{auth["token"].(string), userEmail, false}, {"", "", true}}
	if len(seen) != len(want) {
		t.Fatalf("listener saw %d changes, want %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("change %d = {email %q nil %v, token match %v}, want email %q nil %v",
				i, seen[i].email, seen[i].nilRec, seen[i].token == want[i].token, want[i].email, want[i].nilRec)
		}
	}
}

// Export then Import into another client restores the login (how an app persists it).
func TestAuthStoreExportImport(t *testing.T) {
	c := newClient(t)
	token := freshToken(t)
	mustBind(t, c, "users", userEmail, userPass, token)
	auth, err := c.Collection("users").AuthWithToken(token, nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithToken: %v", err)
	}
	saved, err := c.AuthStore.Export()
	if err != nil {
		t.Fatalf("Export: %v", err)
	}

	other := newClient(t)
	changes := 0
	defer other.AuthStore.OnChange(func(string, map[string]any) { changes++ })()
	if err := other.AuthStore.Import(saved); err != nil {
		t.Fatalf("Import: %v", err)
	}
	if other.AuthStore.Token() != auth["token"] || !other.AuthStore.IsValid() {
		t.Errorf("Import did not restore the token")
	}
	if email, _ := other.AuthStore.Record()["email"].(string); email != userEmail {
		t.Errorf("imported record email = %q", email)
	}
	if changes != 1 {
		t.Errorf("Import ran listeners %d times, want 1", changes)
	}
	// The restored token authorizes requests: refresh works on the second client.
	refreshed, err := other.Collection("users").AuthRefresh(nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthRefresh with imported login: %v", err)
	}
	if email := recordEmail(t, refreshed); email != userEmail {
		t.Errorf("refreshed record email = %q", email)
	}
	if other.AuthStore.Token() != refreshed["token"] {
		t.Errorf("AuthRefresh did not save its token")
	}

	if err := other.AuthStore.Import("{not json"); err == nil {
		t.Errorf("Import accepted malformed JSON")
	}
}

func TestAuthStoreSave(t *testing.T) {
	c := newClient(t)
	if err := c.AuthStore.Save("not-a-jwt", map[string]any{"id": "abc", "email": "x@example.com"}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if c.AuthStore.Token() != "not-a-jwt" || c.AuthStore.Record()["id"] != "abc" {
		t.Errorf("Save did not store token and record")
	}
	if c.AuthStore.IsValid() {
		t.Errorf("a token that is not a JWT is valid")
	}
	// Without a valid login, refresh is refused by the server.
	_, err := c.Collection("users").AuthRefresh(nil, nil, nil)
	if e := responseError(t, err); e.Status != 401 && e.Status != 403 {
		t.Errorf("AuthRefresh without login: status %d", e.Status)
	}
}

// A panicking listener is contained: the call that triggered it still succeeds.
func TestOnChangePanicIsContained(t *testing.T) {
	c := newClient(t)
	c.AuthStore.OnChange(func(string, map[string]any) { panic("listener bug") })
	if err := c.AuthStore.Save("t", nil); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if c.AuthStore.Token() != "t" {
		t.Errorf("store not saved")
	}
}

// When unsubscribe returns, the listener is not running and never runs again, even
// while other goroutines keep changing the store.
func TestOnChangeUnsubscribeGuarantee(t *testing.T) {
	c := newClient(t)
	stop := make(chan struct{})
	var writers sync.WaitGroup
	for g := 0; g < 4; g++ {
		writers.Add(1)
		go func(g int) {
			defer writers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := c.AuthStore.Save(fmt.Sprintf("t%d-%d", g, i), nil); err != nil {
					t.Errorf("Save: %v", err)
					return
				}
			}
		}(g)
	}
	var violations atomic.Int64
	for round := 0; round < 100; round++ {
		var removed atomic.Bool
		var running, calls atomic.Int64
		called := make(chan struct{}, 1)
		unsubscribe := c.AuthStore.OnChange(func(string, map[string]any) {
			running.Add(1)
			defer running.Add(-1)
			if removed.Load() {
				violations.Add(1) // started after unsubscribe returned
			}
			calls.Add(1)
			select {
			case called <- struct{}{}:
			default:
			}
			time.Sleep(200 * time.Microsecond) // widen the window for a late return
		})
		select {
		case <-called:
		case <-time.After(10 * time.Second):
			t.Fatal("listener never called while writers run")
		}
		unsubscribe()
		removed.Store(true)
		if running.Load() != 0 {
			violations.Add(1) // still running after unsubscribe returned
		}
	}
	// Give any late call a chance to show up before stopping the writers.
	time.Sleep(20 * time.Millisecond)
	close(stop)
	writers.Wait()
	if n := violations.Load(); n != 0 {
		t.Errorf("%d listener runs during or after unsubscribe's return", n)
	}
}

// Changes reach a listener one at a time and in order, so it ends with the final state;
// a listener may change the store (delivered nested) and unsubscribe itself.
func TestOnChangeOrderedAndReentrant(t *testing.T) {
	c := newClient(t)
	var mu sync.Mutex
	var last string
	var concurrent, maxConcurrent atomic.Int64
	defer c.AuthStore.OnChange(func(tok string, _ map[string]any) {
		if n := concurrent.Add(1); n > maxConcurrent.Load() {
			maxConcurrent.Store(n)
		}
		mu.Lock()
		last = tok
		mu.Unlock()
		concurrent.Add(-1)
	})()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := c.AuthStore.Save(fmt.Sprintf("t%d-%d", g, i), nil); err != nil {
					t.Errorf("Save: %v", err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	mu.Lock()
	if last != c.AuthStore.Token() {
		t.Errorf("listener ended with %q, store holds %q", last, c.AuthStore.Token())
	}
	mu.Unlock()
	if maxConcurrent.Load() != 1 {
		t.Errorf("listener ran %d at once, want 1", maxConcurrent.Load())
	}

	// A listener that rewrites a token and then unsubscribes itself.
	var unsubscribe func()
	var runs atomic.Int64
	done := make(chan struct{})
	unsubscribe = c.AuthStore.OnChange(func(tok string, _ map[string]any) {
		runs.Add(1)
		if tok == "raw" {
			if err := c.AuthStore.Save("normalised", nil); err != nil {
				t.Errorf("nested Save: %v", err)
			}
			<-done // unsubscribe is published before the first Save
			unsubscribe()
		}
	})
	close(done)
	if err := c.AuthStore.Save("raw", nil); err != nil {
		t.Fatal(err)
	}
	if c.AuthStore.Token() != "normalised" {
		t.Errorf("token %q after the listener's nested Save", c.AuthStore.Token())
	}
	before := runs.Load()
	if err := c.AuthStore.Save("after", nil); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != before {
		t.Errorf("a listener that unsubscribed itself ran again")
	}
}
