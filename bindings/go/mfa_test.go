package bosbase_test

import (
	"testing"
)

// mfa_users has MFA on: the token login is the first factor, the server answers 401
// with an mfaId, and the password login carrying that mfaId finishes it.
func TestMFAFinishedWithPassword(t *testing.T) {
	c := newClient(t)
	token := freshToken(t)
	mustBind(t, c, "mfa_users", mfaEmail, mfaPass, token)

	_, err := c.Collection("mfa_users").AuthWithToken(token, nil, nil, nil)
	e := responseError(t, err)
	if e.Kind != "mfa_required" || e.Status != 401 {
		t.Fatalf("kind %q status %d, want mfa_required 401", e.Kind, e.Status)
	}
	mfaID := e.MFAID()
	if mfaID == "" {
		t.Fatalf("MFAID() is empty; response %v", e.Response)
	}
	if got, _ := e.Response["mfaId"].(string); got != mfaID {
		t.Errorf("Response[mfaId] = %q, MFAID() = %q", got, mfaID)
	}
	if c.AuthStore.Token() != "" {
		t.Errorf("first factor must not fill the auth store")
	}
	assertNoSecrets(t, err, token)

	auth, err := c.Collection("mfa_users").AuthWithPassword(mfaEmail, mfaPass, map[string]any{"mfaId": mfaID}, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithPassword with mfaId: %v", err)
	}
	if got := recordEmail(t, auth); got != mfaEmail {
		t.Errorf("record email = %q", got)
	}
	if c.AuthStore.Token() != auth["token"] || !c.AuthStore.IsValid() {
		t.Errorf("MFA finish did not fill the auth store")
	}
}

// A plain password login on the MFA collection is also only a first factor.
func TestMFAErrorIsNotPlainHTTP(t *testing.T) {
	c := newClient(t)
	_, err := c.Collection("mfa_users").AuthWithPassword(mfaEmail, mfaPass, nil, nil, nil)
	e := responseError(t, err)
	if e.Kind != "mfa_required" || e.MFAID() == "" {
		t.Fatalf("kind %q mfaId %q", e.Kind, e.MFAID())
	}
	assertNoSecrets(t, err, mfaPass)
	// Non-MFA errors carry no MFA id.
	_, err = c.Collection("users").AuthWithPassword(userEmail, "wrong-password-xyz", nil, nil, nil)
	if e := responseError(t, err); e.MFAID() != "" || e.Kind != "http" {
		t.Errorf("plain 400: kind %q mfaId %q", e.Kind, e.MFAID())
	}
}
