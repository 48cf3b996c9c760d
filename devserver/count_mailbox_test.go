package main

// The record counter (count.go) and the mailbox (mailbox.go).

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

func withCountAndMailbox(app *tests.TestApp) {
	registerRecordCount(app)
	registerMailbox(app)
}

func (s *testServer) get(path string, headers ...string) response {
	s.t.Helper()
	return s.do(http.MethodGet, path, nil, headers...)
}

// login signs in with a password and returns the token.
func (s *testServer) login(collection, email, password string) string {
	s.t.Helper()
	r := s.post("/api/collections/"+collection+"/auth-with-password", creds{"identity": email, "password": password})
	expectStatus(s.t, r, http.StatusOK)
	return r.body["token"].(string)
}

func (s *testServer) addPost(authorEmail, title string) {
	s.t.Helper()
	posts, err := s.app.FindCollectionByNameOrId("posts")
	if err != nil {
		s.t.Fatal(err)
	}
	p := core.NewRecord(posts)
	p.Set("title", title)
	p.Set("author", s.record("users", authorEmail).Id)
	if err := s.app.Save(p); err != nil {
		s.t.Fatal(err)
	}
}

func TestRecordCountFollowsListRuleAndFilter(t *testing.T) {
	s := newTestServer(t, withCountAndMailbox)
	s.addPost("user@example.com", "a")
	s.addPost("user@example.com", "b")
	s.addPost("user2@example.com", "c")

	admin := s.login(core.CollectionNameSuperusers, "admin@example.com", "admin-password")
	user := s.login("users", "user@example.com", "user-password")

	count := func(path, token string) float64 {
		t.Helper()
		r := s.get(path, "Authorization", token)
		expectStatus(t, r, http.StatusOK)
		return r.body["count"].(float64)
	}
	if n := count("/api/collections/posts/records/count", admin); n != 3 {
		t.Fatalf("superuser count = %v, want 3", n)
	}
	if n := count("/api/collections/posts/records/count", user); n != 2 {
		t.Fatalf("owner-rule count = %v, want 2", n)
	}
	filter := url.QueryEscape("title = 'b' || title = 'c'")
	if n := count("/api/collections/posts/records/count?filter="+filter, user); n != 1 {
		t.Fatalf("filtered count = %v, want 1", n)
	}
	if n := count("/api/collections/users/records/count", ""); n != 0 {
		t.Fatalf("guest users count = %v, want 0 (list rule)", n)
	}
	expectError(t, s.get("/api/collections/nope/records/count", "Authorization", admin),
		http.StatusNotFound, "Missing collection context.")
	r := s.get("/api/collections/posts/records/count?filter="+url.QueryEscape("title ="), "Authorization", admin)
	expectStatus(t, r, http.StatusBadRequest)
}

func TestMailboxKeepsOTPForSuperusersOnly(t *testing.T) {
	s := newTestServer(t, withCountAndMailbox)
	r := s.post("/api/collections/mfa_users/request-otp", creds{"email": "mfa@example.com"})
	expectStatus(t, r, http.StatusOK)
	otpId, _ := r.body["otpId"].(string)
	if otpId == "" {
		t.Fatalf("no otpId: %s", r.raw)
	}

	expectStatus(t, s.get("/api/_dev/mailbox"), http.StatusUnauthorized)
	user := s.login("users", "user@example.com", "user-password")
	expectStatus(t, s.get("/api/_dev/mailbox", "Authorization", user), http.StatusForbidden)

	admin := s.login(core.CollectionNameSuperusers, "admin@example.com", "admin-password")
	mb := s.get("/api/_dev/mailbox?to="+url.QueryEscape("mfa@example.com"), "Authorization", admin)
	expectStatus(t, mb, http.StatusOK)
	var mails []mail
	if err := json.Unmarshal(mb.raw, &mails); err != nil || len(mails) != 1 {
		t.Fatalf("mailbox = %s (%v)", mb.raw, err)
	}
	m := mails[0]
	if m.Kind != "otp" || m.To != "mfa@example.com" || m.Meta["otpId"] != otpId || m.Meta["password"] == "" {
		t.Fatalf("mail = %+v", m)
	}
	login := s.post("/api/collections/mfa_users/auth-with-otp", creds{"otpId": otpId, "password": m.Meta["password"]})
	// mfa_users needs a second factor: the OTP alone answers 401 with an mfaId.
	expectStatus(t, login, http.StatusUnauthorized)
	if login.body["mfaId"] == nil {
		t.Fatalf("OTP login: %s", login.raw)
	}
	other := s.get("/api/_dev/mailbox?to=nobody@example.com", "Authorization", admin)
	if string(bytes.TrimSpace(other.raw)) != "[]" {
		t.Fatalf("filtered mailbox = %s", other.raw)
	}
}
