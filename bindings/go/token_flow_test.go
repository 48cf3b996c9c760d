package bosbase_test

import (
	"testing"
)

// The whole seed-001 flow: bind, log in with the token (store filled), unbind,
// and the token no longer logs in.
func TestTokenFlow(t *testing.T) {
	cases := []struct{ collection, email, pass string }{
		{"users", userEmail, userPass},
		{"_superusers", adminEmail, adminPass},
	}
	for _, tc := range cases {
		t.Run(tc.collection, func(t *testing.T) {
			c := newClient(t)
			token := freshToken(t)
			mustBind(t, c, tc.collection, tc.email, tc.pass, token)
			if c.AuthStore.Token() != "" {
				t.Fatalf("bind must not touch the auth store")
			}

			auth, err := c.Collection(tc.collection).AuthWithToken(token, nil, nil, nil)
			if err != nil {
				t.Fatalf("AuthWithToken: %v", err)
			}
			jwt, _ := auth["token"].(string)
			if jwt == "" {
				t.Fatalf("auth[\"token\"] is empty: %v", auth)
			}
			if got := recordEmail(t, auth); got != tc.email {
				t.Errorf("record email = %q, want %q", got, tc.email)
			}
			if got := c.AuthStore.Token(); got != jwt {
				t.Errorf("AuthStore.Token() is not the returned token")
			}
			if got, _ := c.AuthStore.Record()["email"].(string); got != tc.email {
				t.Errorf("AuthStore.Record()[email] = %q, want %q", got, tc.email)
			}
			if got, _ := c.AuthStore.Record()["collectionName"].(string); got != tc.collection {
				t.Errorf("AuthStore.Record()[collectionName] = %q, want %q", got, tc.collection)
			}
			if !c.AuthStore.IsValid() {
				t.Errorf("AuthStore.IsValid() = false after login")
			}

			ok, err := c.Collection(tc.collection).UnbindCustomToken(tc.email, tc.pass, token, nil, nil, nil)
			if err != nil || !ok {
				t.Fatalf("UnbindCustomToken = %v, %v", ok, err)
			}
			_, err = c.Collection(tc.collection).AuthWithToken(token, nil, nil, nil)
			e := responseError(t, err)
			if e.Status != 400 || e.Kind != "http" {
				t.Errorf("after unbind: status %d kind %q, want 400 http", e.Status, e.Kind)
			}
			if msg, _ := e.Response["message"].(string); msg != "Failed to authenticate." {
				t.Errorf("response message = %q", msg)
			}
			if _, ok := e.Response["data"]; !ok {
				t.Errorf("response lost its data field: %v", e.Response)
			}
			assertNoSecrets(t, err, token, tc.pass, jwt)
		})
	}
}

// A token bound for users does not log in to _superusers: the collection is enforced.
func TestTokenCollectionEnforced(t *testing.T) {
	c := newClient(t)
	token := freshToken(t)
	mustBind(t, c, "users", userEmail, userPass, token)
	_, err := c.Collection("_superusers").AuthWithToken(token, nil, nil, nil)
	if e := responseError(t, err); e.Status != 400 {
		t.Errorf("status = %d, want 400", e.Status)
	}
}

// Rebinding a token to another user moves it: the next login is the new user.
func TestTokenMovesToAnotherUser(t *testing.T) {
	c := newClient(t)
	token := freshToken(t)
	mustBind(t, c, "users", userEmail, userPass, token)
	mustBind(t, c, "users", user2Email, user2Pass, token)

	auth, err := c.Collection("users").AuthWithToken(token, nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithToken: %v", err)
	}
	if got := recordEmail(t, auth); got != user2Email {
		t.Errorf("token logs in as %q, want %q", got, user2Email)
	}
	// Unbinding for the first user no longer affects it; for the second user it does.
	if _, err := c.Collection("users").UnbindCustomToken(userEmail, userPass, token, nil, nil, nil); err != nil {
		t.Fatalf("unbind (user): %v", err)
	}
	if _, err := c.Collection("users").AuthWithToken(token, nil, nil, nil); err != nil {
		t.Fatalf("token stopped working after unbinding it from its former owner: %v", err)
	}
	if _, err := c.Collection("users").UnbindCustomToken(user2Email, user2Pass, token, nil, nil, nil); err != nil {
		t.Fatalf("unbind (user2): %v", err)
	}
	if _, err := c.Collection("users").AuthWithToken(token, nil, nil, nil); err == nil {
		t.Fatalf("token still logs in after unbinding it from its owner")
	}
}

func TestBindWrongPassword(t *testing.T) {
	c := newClient(t)
	token := freshToken(t)
	const wrong = "not-the-password-123"
	ok, err := c.Collection("users").BindCustomToken(userEmail, wrong, token, nil, nil, nil)
	if ok {
		t.Fatalf("bind with a wrong password returned true")
	}
	e := responseError(t, err)
	if e.Status != 400 || e.Kind != "http" {
		t.Errorf("status %d kind %q, want 400 http", e.Status, e.Kind)
	}
	if msg, _ := e.Response["message"].(string); msg != "Failed to bind token." {
		t.Errorf("response message = %q", msg)
	}
	if e.URL == "" || e.IsAbort {
		t.Errorf("URL %q IsAbort %v", e.URL, e.IsAbort)
	}
	assertNoSecrets(t, err, wrong, token)
}

// Extra body, query and headers reach the server; the server's validation data comes
// back intact in Response["data"].
func TestValidationDataIntact(t *testing.T) {
	c := newClient(t)
	_, err := c.Collection("users").AuthWithPassword("", "", nil, map[string]any{"expand": ""}, map[string]string{"X-Test": "1"})
	e := responseError(t, err)
	if e.Status != 400 {
		t.Fatalf("status = %d, want 400", e.Status)
	}
	data, ok := e.Response["data"].(map[string]any)
	if !ok {
		t.Fatalf("Response[data] is %T: %v", e.Response["data"], e.Response)
	}
	if _, ok := data["identity"].(map[string]any); !ok {
		t.Errorf("validation data lost the identity field: %v", data)
	}
}
