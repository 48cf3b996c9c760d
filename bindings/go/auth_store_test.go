package bosbase_test

import (
	"sync"
	"testing"
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
