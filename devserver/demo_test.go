package main

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

// TestSeedDemoIsIdempotent: a second run performs no database write at all.
func TestSeedDemoIsIdempotent(t *testing.T) {
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()

	if err := seedDemo(app); err != nil {
		t.Fatal(err)
	}

	writes := 0
	count := func(e *core.ModelEvent) error {
		writes++
		t.Logf("write: %s %s", e.Type, e.Model.TableName())
		return e.Next()
	}
	app.OnModelCreate().BindFunc(count)
	app.OnModelUpdate().BindFunc(count)
	app.OnModelDelete().BindFunc(count)

	if err := seedDemo(app); err != nil {
		t.Fatal(err)
	}
	if writes != 0 {
		t.Fatalf("second seed performed %d writes, want 0", writes)
	}

	for _, acc := range demoAccounts {
		r, err := app.FindAuthRecordByEmail(acc.collection, acc.email)
		if err != nil {
			t.Fatalf("%s: %v", acc.email, err)
		}
		if !r.ValidatePassword(acc.password) {
			t.Errorf("%s: wrong password", acc.email)
		}
	}

	mfa, err := app.FindCollectionByNameOrId("mfa_users")
	if err != nil {
		t.Fatal(err)
	}
	if !mfa.MFA.Enabled || !mfa.OTP.Enabled || !mfa.PasswordAuth.Enabled {
		t.Errorf("mfa_users auth options: mfa=%v otp=%v password=%v",
			mfa.MFA.Enabled, mfa.OTP.Enabled, mfa.PasswordAuth.Enabled)
	}
}

// TestSeedDemoRepairsDrift: an upsert restores a changed demo password.
func TestSeedDemoRepairsDrift(t *testing.T) {
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()

	if err := seedDemo(app); err != nil {
		t.Fatal(err)
	}
	user, _ := app.FindAuthRecordByEmail("users", "user@example.com")
	user.SetPassword("changed-password")
	if err := app.Save(user); err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(app); err != nil {
		t.Fatal(err)
	}
	user, _ = app.FindAuthRecordByEmail("users", "user@example.com")
	if !user.ValidatePassword("user-password") {
		t.Fatal("demo password not restored")
	}
}

// TestDemoPostsRules: authenticated users create and read only their own posts.
func TestDemoPostsRules(t *testing.T) {
	s := newTestServer(t)

	login := func(email, password string) string {
		r := s.post("/api/collections/users/auth-with-password", creds{"identity": email, "password": password})
		expectStatus(t, r, http.StatusOK)
		return r.body["token"].(string)
	}
	userTok := login(userEmail, userPass)
	user2Tok := login(user2Email, user2Pass)
	userId := s.record("users", userEmail).Id

	r := s.post("/api/collections/posts/records", creds{"title": "hello", "body": "first", "author": userId},
		"Authorization", userTok)
	expectStatus(t, r, http.StatusOK)
	postId := r.body["id"].(string)

	// Nobody may create a post in someone else's name, nor anonymously.
	r = s.post("/api/collections/posts/records", creds{"title": "forged", "author": userId}, "Authorization", user2Tok)
	expectStatus(t, r, http.StatusBadRequest)
	r = s.post("/api/collections/posts/records", creds{"title": "anon", "author": userId})
	expectStatus(t, r, http.StatusBadRequest)

	get := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/api/collections/posts/records/"+postId, nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := get(userTok); code != http.StatusOK {
		t.Errorf("author reading own post: %d", code)
	}
	if code := get(user2Tok); code != http.StatusNotFound {
		t.Errorf("other user reading the post: %d, want 404", code)
	}
	if code := get(""); code != http.StatusNotFound {
		t.Errorf("anonymous reading the post: %d, want 404", code)
	}
}
