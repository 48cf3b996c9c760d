package bosbase_test

import (
	"errors"
	"strings"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// newClient returns a client on the test server, closed when the test ends.
func newClient(t testing.TB) *bosbase.Client {
	t.Helper()
	c := bosbase.New(serverURL)
	t.Cleanup(c.Close)
	return c
}

// freshToken makes a random custom token so tests sharing the server never collide.
func freshToken(t testing.TB) string {
	t.Helper()
	tok, err := bosbase.GenerateToken()
	if err != nil {
		t.Fatalf("GenerateToken: %v", err)
	}
	return tok
}

// responseError asserts err is a *ClientResponseError and returns it.
func responseError(t *testing.T, err error) *bosbase.ClientResponseError {
	t.Helper()
	var e *bosbase.ClientResponseError
	if !errors.As(err, &e) {
		t.Fatalf("want *ClientResponseError, got %T: %v", err, err)
	}
	return e
}

// assertNoSecrets fails if the error text holds any of the secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error text leaks a secret: %q", err.Error())
		}
	}
}

// mustBind binds token for the account or fails the test.
func mustBind(t testing.TB, c *bosbase.Client, collection, email, pass, token string) {
	t.Helper()
	ok, err := c.Collection(collection).BindCustomToken(email, pass, token, nil, nil, nil)
	if err != nil || !ok {
		t.Fatalf("BindCustomToken(%s, %s) = %v, %v", collection, email, ok, err)
	}
}

func recordEmail(t *testing.T, auth map[string]any) string {
	t.Helper()
	rec, ok := auth["record"].(map[string]any)
	if !ok {
		t.Fatalf("auth[\"record\"] is %T, want a map", auth["record"])
	}
	email, _ := rec["email"].(string)
	return email
}
