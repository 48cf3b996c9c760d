package bosbase_test

import (
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

func TestClientSend(t *testing.T) {
	c := newClient(t)
	v, err := c.Send("/api/health", bosbase.SendOptions{})
	if err != nil {
		t.Fatalf("Send /api/health: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok || m["code"] != float64(200) {
		t.Errorf("health answer = %v", v)
	}
}

// Collection Send drives the binding routes directly (seed 000's form): bind answers
// 204, which comes back as nil; the token then logs in.
func TestCollectionSend(t *testing.T) {
	c := newClient(t)
	token := freshToken(t)
	v, err := c.Collection("users").Send("/bind-token", bosbase.SendOptions{
		Method: "POST",
		Body:   map[string]any{"email": userEmail, "password": userPass, "token": token},
	})
	if err != nil || v != nil {
		t.Fatalf("Send /bind-token = %v, %v; want nil, nil", v, err)
	}
	if c.AuthStore.Token() != "" {
		t.Errorf("Send must not touch the auth store")
	}
	auth, err := c.Collection("users").AuthWithToken(token, nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithToken after Send bind: %v", err)
	}
	if recordEmail(t, auth) != userEmail {
		t.Errorf("wrong user")
	}
	// The token in the store authorizes a later request (the core adds the header).
	rec, err := c.Collection("users").Send("/records/"+c.AuthStore.Record()["id"].(string), bosbase.SendOptions{})
	if err != nil {
		t.Fatalf("view own record: %v", err)
	}
	if rec.(map[string]any)["email"] != userEmail {
		t.Errorf("own record = %v", rec)
	}
}

func TestGenerateToken(t *testing.T) {
	a, b := freshToken(t), freshToken(t)
	if len(a) != 43 || a == b {
		t.Errorf("tokens %d chars, distinct %v", len(a), a != b)
	}
	if bosbase.CoreVersion() == "" {
		t.Errorf("empty core version")
	}
}
