package main

// Where the dev server follows the real BosBase rather than stock PocketBase
// (issue 12, "Dev server fidelity"; each measured against the BosBase build in
// ../shared/bosbase): static tokens for every auth method, the unknown
// collection message and the "auth" rate-limit tag of the token routes, and
// created/updated on every collection.

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/security"
)

// expectStaticToken: non-refreshable, expiring in about 100 years.
func expectStaticToken(t *testing.T, token string) {
	t.Helper()
	claims, err := security.ParseUnverifiedJWT(token)
	if err != nil {
		t.Fatalf("not a JWT %q: %v", token, err)
	}
	if claims[core.TokenClaimRefreshable] != false {
		t.Fatalf("refreshable = %v, want false", claims[core.TokenClaimRefreshable])
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		t.Fatalf("no exp claim: %v", err)
	}
	if minExp := time.Now().AddDate(99, 0, 0); exp.Before(minExp) {
		t.Fatalf("token expires %v, want ~100 years from now", exp)
	}
}

func (s *testServer) superuserToken() string {
	s.t.Helper()
	r := s.post("/api/collections/_superusers/auth-with-password",
		creds{"identity": adminEmail, "password": adminPass})
	expectStatus(s.t, r, http.StatusOK)
	return r.body["token"].(string)
}

func TestEveryAuthMethodReturnsStaticToken(t *testing.T) {
	otpPasswords := make(chan string, 4)
	s := newTestServer(t, func(app *tests.TestApp) {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			t.Fatal(err)
		}
		users.OTP.Enabled = true
		if err := app.Save(users); err != nil {
			t.Fatal(err)
		}
		app.OnMailerRecordOTPSend().BindFunc(func(e *core.MailerRecordEvent) error {
			otpPasswords <- e.Meta["password"].(string)
			return e.Next()
		})
	})
	expectNoContent(t, s.bind("users", userEmail, userPass, "tok"))

	otp := func() response {
		r := s.post("/api/collections/users/request-otp", creds{"email": userEmail})
		expectStatus(t, r, http.StatusOK)
		var password string
		select {
		case password = <-otpPasswords:
		case <-time.After(5 * time.Second):
			t.Fatal("OTP email not sent")
		}
		return s.post("/api/collections/users/auth-with-otp", creds{"otpId": r.body["otpId"], "password": password})
	}
	mfa := func() response {
		r := s.post("/api/collections/mfa_users/auth-with-password", creds{"identity": mfaEmail, "password": mfaPass})
		expectStatus(t, r, http.StatusUnauthorized)
		expectNoContent(t, s.bind("mfa_users", mfaEmail, mfaPass, "mfa-tok"))
		return s.post("/api/collections/mfa_users/auth-with-token", creds{"token": "mfa-tok", "mfaId": r.body["mfaId"]})
	}

	cases := []struct {
		name       string
		collection string
		auth       func() response
	}{
		{"password", "users", func() response {
			return s.post("/api/collections/users/auth-with-password", creds{"identity": userEmail, "password": userPass})
		}},
		{"superuser password", "_superusers", func() response {
			return s.post("/api/collections/_superusers/auth-with-password", creds{"identity": adminEmail, "password": adminPass})
		}},
		{"token", "users", func() response { return s.authWithToken("users", "tok") }},
		{"otp", "users", otp},
		{"mfa password then token", "mfa_users", mfa},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.auth()
			expectStatus(t, r, http.StatusOK)
			token := r.body["token"].(string)
			expectStaticToken(t, token)

			refreshed := s.post("/api/collections/"+c.collection+"/auth-refresh", "", "Authorization", token)
			expectStatus(t, refreshed, http.StatusOK)
			if refreshed.body["token"] != token {
				t.Fatalf("auth-refresh changed the token:\n%s\n%v", token, refreshed.body["token"])
			}
		})
	}

	// Impersonation keeps the duration asked for (as on BosBase): it is
	// static already, so it is not replaced.
	t.Run("impersonate keeps its duration", func(t *testing.T) {
		r := s.post("/api/collections/users/impersonate/"+s.record("users", userEmail).Id,
			creds{"duration": 3600}, "Authorization", s.superuserToken())
		expectStatus(t, r, http.StatusOK)
		claims, err := security.ParseUnverifiedJWT(r.body["token"].(string))
		if err != nil {
			t.Fatal(err)
		}
		exp, _ := claims.GetExpirationTime()
		if exp == nil || exp.After(time.Now().Add(2*time.Hour)) || claims[core.TokenClaimRefreshable] != false {
			t.Fatalf("impersonate token: exp %v, refreshable %v", exp, claims[core.TokenClaimRefreshable])
		}
	})
}

func TestTokenRoutesRateLimitedUnderAuthTag(t *testing.T) {
	s := newTestServer(t)
	admin := s.superuserToken()
	setRule := func(label string, max int) {
		s.app.Settings().RateLimits.Enabled = true
		s.app.Settings().RateLimits.Rules = []core.RateLimitRule{{Label: label, MaxRequests: max, Duration: 60}}
	}
	routes := []string{"bind-token", "unbind-token", "auth-with-token"}
	call := func(coll, route string, headers ...string) response {
		return s.post("/api/collections/"+coll+"/"+route,
			creds{"email": userEmail, "password": "wrong-password", "token": "tok"}, headers...)
	}

	for _, label := range []string{"*:auth", "users:auth"} {
		t.Run(label, func(t *testing.T) {
			setRule(label, 2)
			// One window per route: each route gets its 2 requests.
			for _, route := range routes {
				for i := 0; i < 2; i++ {
					expectStatus(t, call("users", route), http.StatusBadRequest)
				}
				expectError(t, call("users", route), http.StatusTooManyRequests, "Too Many Requests.")
				// Superusers are never limited.
				expectStatus(t, call("users", route, "Authorization", admin), http.StatusBadRequest)
			}
		})
	}

	actions := map[string]string{"bind-token": "bindToken", "unbind-token": "unbindToken", "auth-with-token": "authWithToken"}
	for _, route := range routes {
		t.Run("*:"+actions[route], func(t *testing.T) {
			setRule("*:"+actions[route], 1)
			for _, other := range routes {
				want := http.StatusBadRequest
				expectStatus(t, call("users", other), want)
				if other == route {
					want = http.StatusTooManyRequests
				}
				expectStatus(t, call("users", other), want)
			}
		})
	}

	t.Run("disabled", func(t *testing.T) {
		setRule("*:auth", 1)
		s.app.Settings().RateLimits.Enabled = false
		for i := 0; i < 3; i++ {
			expectStatus(t, call("users", "auth-with-token"), http.StatusBadRequest)
		}
	})
}

func TestNewCollectionsGetCreatedUpdated(t *testing.T) {
	s := newTestServer(t)
	admin := s.superuserToken()

	for _, spec := range []creds{
		{"name": "notes", "type": "base", "fields": []creds{{"name": "text", "type": "text"}}},
		{"name": "members", "type": "auth"},
	} {
		t.Run(spec["type"].(string), func(t *testing.T) {
			r := s.post("/api/collections", spec, "Authorization", admin)
			expectStatus(t, r, http.StatusOK)
			c, err := s.app.FindCollectionByNameOrId(spec["name"].(string))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"created", "updated"} {
				f, ok := c.Fields.GetByName(name).(*core.AutodateField)
				if !ok || !f.OnCreate || f.OnUpdate != (name == "updated") {
					t.Fatalf("%s: field %q = %#v, want an autodate field", c.Name, name, c.Fields.GetByName(name))
				}
			}
		})
	}

	t.Run("own fields kept", func(t *testing.T) {
		r := s.post("/api/collections", creds{"name": "logs", "type": "base", "fields": []creds{
			{"name": "created", "type": "text"},
		}}, "Authorization", admin)
		expectStatus(t, r, http.StatusOK)
		c, _ := s.app.FindCollectionByNameOrId("logs")
		if _, ok := c.Fields.GetByName("created").(*core.TextField); !ok {
			t.Fatalf("the collection's own created field was replaced: %#v", c.Fields.GetByName("created"))
		}
		if _, ok := c.Fields.GetByName("updated").(*core.AutodateField); !ok {
			t.Fatal("updated missing")
		}
	})

	t.Run("view", func(t *testing.T) {
		r := s.post("/api/collections", creds{"name": "post_titles", "type": "view",
			"viewQuery": "SELECT id, title FROM posts"}, "Authorization", admin)
		expectStatus(t, r, http.StatusOK)
	})
}
