package main

// One test per row of the token-binding behaviour table (issue 3), run
// against a real HTTP listener on a fresh PocketBase test app seeded with the
// demo data.

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
)

// -------------------------------------------------------------------
// Harness

type testServer struct {
	t   *testing.T
	app *tests.TestApp
	url string
}

// newTestServer starts a seeded app behind httptest. setup, if given, runs
// on the app before the serve hooks (i.e. before "start-up").
func newTestServer(t *testing.T, setup ...func(app *tests.TestApp)) *testServer {
	t.Helper()

	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)

	registerTokenBinding(app)
	registerAutodateFields(app)
	if err := seedDemo(app); err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		f(app)
	}

	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	se := &core.ServeEvent{App: app, Router: router}
	var srv *httptest.Server
	err = app.OnServe().Trigger(se, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		srv = httptest.NewServer(mux)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)

	return &testServer{t: t, app: app, url: srv.URL}
}

type response struct {
	status int
	raw    []byte
	body   map[string]any
}

// post sends body (a JSON-encodable value, or a string sent verbatim) as
// application/json. headers are alternating name, value pairs.
func (s *testServer) post(path string, body any, headers ...string) response {
	s.t.Helper()

	var payload []byte
	switch b := body.(type) {
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			s.t.Fatal(err)
		}
	}

	return s.do(http.MethodPost, path, payload, append([]string{"Content-Type", "application/json"}, headers...)...)
}

// do sends one request and decodes a JSON object answer into body (other answers stay in raw).
func (s *testServer) do(method, path string, payload []byte, headers ...string) response {
	s.t.Helper()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}

	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()

	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	r := response{status: res.StatusCode, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			s.t.Fatalf("%s %s: non-JSON response %q", method, path, raw)
		}
	} else if len(raw) > 0 && raw[0] != '[' {
		s.t.Fatalf("%s %s: non-JSON response %q", method, path, raw)
	}
	return r
}

type creds map[string]any

func (s *testServer) bind(collection, email, password, token string) response {
	s.t.Helper()
	return s.post("/api/collections/"+collection+"/bind-token",
		creds{"email": email, "password": password, "token": token})
}

func (s *testServer) unbind(collection, email, password, token string) response {
	s.t.Helper()
	return s.post("/api/collections/"+collection+"/unbind-token",
		creds{"email": email, "password": password, "token": token})
}

func (s *testServer) authWithToken(collection, token string) response {
	s.t.Helper()
	return s.post("/api/collections/"+collection+"/auth-with-token", creds{"token": token})
}

func (s *testServer) record(collection, email string) *core.Record {
	s.t.Helper()
	r, err := s.app.FindAuthRecordByEmail(collection, email)
	if err != nil {
		s.t.Fatalf("find %s/%s: %v", collection, email, err)
	}
	return r
}

func (s *testServer) collectionId(name string) string {
	s.t.Helper()
	c, err := s.app.FindCollectionByNameOrId(name)
	if err != nil {
		s.t.Fatal(err)
	}
	return c.Id
}

type bindingRow struct {
	Id            string `db:"id"`
	CollectionRef string `db:"collectionRef"`
	RecordRef     string `db:"recordRef"`
	TokenHash     string `db:"tokenHash"`
	Created       string `db:"created"`
	Updated       string `db:"updated"`
}

func (s *testServer) bindings() []bindingRow {
	s.t.Helper()
	var rows []bindingRow
	if !s.app.HasTable(tokenBindingsTable) {
		return rows
	}
	err := s.app.DB().Select("*").From(tokenBindingsTable).OrderBy("created ASC", "id ASC").All(&rows)
	if err != nil {
		s.t.Fatal(err)
	}
	return rows
}

func sha256Hex(s string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(s)))
}

func expectStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body: %s", r.status, want, r.raw)
	}
}

func expectNoContent(t *testing.T, r response) {
	t.Helper()
	expectStatus(t, r, http.StatusNoContent)
	if len(r.raw) != 0 {
		t.Fatalf("204 with a body: %q", r.raw)
	}
}

// expectError checks a PocketBase error response with an empty data object.
func expectError(t *testing.T, r response, status int, message string) {
	t.Helper()
	expectStatus(t, r, status)
	if r.body["message"] != message {
		t.Fatalf("message = %q, want %q", r.body["message"], message)
	}
	if data, ok := r.body["data"].(map[string]any); !ok || len(data) != 0 {
		t.Fatalf("data = %v, want {}", r.body["data"])
	}
}

const (
	userEmail  = "user@example.com"
	userPass   = "user-password"
	user2Email = "user2@example.com"
	user2Pass  = "user2-password"
	adminEmail = "admin@example.com"
	adminPass  = "admin-password"
	mfaEmail   = "mfa@example.com"
	mfaPass    = "mfa-password"
)

// -------------------------------------------------------------------
// Behaviour table

func TestBindTokenValid(t *testing.T) {
	s := newTestServer(t)
	const raw = "raw-device-token-7f3c9b1e"

	if s.app.HasTable(tokenBindingsTable) {
		t.Fatal("bindings table exists before the first bind")
	}
	expectNoContent(t, s.bind("users", userEmail, userPass, raw))

	rows := s.bindings()
	if len(rows) != 1 {
		t.Fatalf("got %d bindings, want 1", len(rows))
	}
	got := rows[0]
	if got.CollectionRef != s.collectionId("users") || got.RecordRef != s.record("users", userEmail).Id {
		t.Fatalf("binding points to %s/%s", got.CollectionRef, got.RecordRef)
	}
	if got.TokenHash != sha256Hex(raw) || got.TokenHash != strings.ToLower(got.TokenHash) {
		t.Fatalf("tokenHash = %q, want lowercase sha256 hex", got.TokenHash)
	}
	if got.Id == "" || got.Created == "" || got.Updated == "" {
		t.Fatalf("incomplete row %+v", got)
	}

	// The raw token must appear nowhere on disk (db files, WAL, logs).
	err := filepath.WalkDir(s.app.DataDir(), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(raw)) {
			t.Errorf("raw token stored in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Both indexes exist, the (collectionRef, tokenHash) one unique.
	var indexes []struct {
		Name   string `db:"name"`
		Unique int    `db:"unique"`
	}
	if err := s.app.DB().NewQuery("PRAGMA index_list(" + tokenBindingsTable + ")").All(&indexes); err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, idx := range indexes {
		found[idx.Name] = idx.Unique
	}
	if u, ok := found["idx_token_bindings_collection_hash"]; !ok || u != 1 {
		t.Errorf("missing unique (collectionRef, tokenHash) index: %v", found)
	}
	if u, ok := found["idx_token_bindings_collection_record"]; !ok || u != 0 {
		t.Errorf("missing (collectionRef, recordRef) index: %v", found)
	}
}

func TestBindTokenSameUserIsIdempotent(t *testing.T) {
	s := newTestServer(t)

	expectNoContent(t, s.bind("users", userEmail, userPass, "tok"))
	first := s.bindings()
	time.Sleep(5 * time.Millisecond) // timestamps have millisecond resolution
	expectNoContent(t, s.bind("users", userEmail, userPass, "tok"))
	second := s.bindings()

	if len(second) != 1 {
		t.Fatalf("got %d bindings, want 1", len(second))
	}
	a, b := first[0], second[0]
	if a.Id != b.Id || a.Created != b.Created || a.RecordRef != b.RecordRef || a.TokenHash != b.TokenHash {
		t.Fatalf("rebinding changed more than updated:\n%+v\n%+v", a, b)
	}
	if b.Updated <= a.Updated {
		t.Fatalf("updated not advanced: %s -> %s", a.Updated, b.Updated)
	}
}

func TestBindTokenMovesToAnotherUser(t *testing.T) {
	s := newTestServer(t)

	expectNoContent(t, s.bind("users", userEmail, userPass, "shared"))
	expectNoContent(t, s.bind("users", user2Email, user2Pass, "shared"))

	rows := s.bindings()
	if len(rows) != 1 || rows[0].RecordRef != s.record("users", user2Email).Id {
		t.Fatalf("binding did not move to user2: %+v", rows)
	}
	r := s.authWithToken("users", "shared")
	expectStatus(t, r, http.StatusOK)
	if email := r.body["record"].(map[string]any)["email"]; email != user2Email {
		t.Fatalf("authenticated as %v, want %s", email, user2Email)
	}
}

func TestBindTokenCollectionsAreIndependent(t *testing.T) {
	s := newTestServer(t)

	expectNoContent(t, s.bind("users", userEmail, userPass, "same-raw"))
	expectNoContent(t, s.bind(core.CollectionNameSuperusers, adminEmail, adminPass, "same-raw"))

	if n := len(s.bindings()); n != 2 {
		t.Fatalf("got %d bindings, want 2", n)
	}
	for coll, email := range map[string]string{"users": userEmail, core.CollectionNameSuperusers: adminEmail} {
		r := s.authWithToken(coll, "same-raw")
		expectStatus(t, r, http.StatusOK)
		if got := r.body["record"].(map[string]any)["email"]; got != email {
			t.Fatalf("%s: authenticated as %v, want %s", coll, got, email)
		}
	}

	// Unbinding in one collection leaves the other alone.
	expectNoContent(t, s.unbind("users", userEmail, userPass, "same-raw"))
	expectError(t, s.authWithToken("users", "same-raw"), 400, "Failed to authenticate.")
	expectStatus(t, s.authWithToken(core.CollectionNameSuperusers, "same-raw"), http.StatusOK)
}

func TestBindUnbindBadCredentials(t *testing.T) {
	s := newTestServer(t)

	cases := []struct {
		name, email, password string
	}{
		{"unknown email", "nobody@example.com", userPass},
		{"wrong password", userEmail, "wrong-password"},
		{"other user's password", userEmail, user2Pass},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, s.bind("users", c.email, c.password, "tok"), 400, "Failed to bind token.")
			expectError(t, s.unbind("users", c.email, c.password, "tok"), 400, "Failed to unbind token.")
		})
	}

	if s.app.HasTable(tokenBindingsTable) {
		t.Fatal("a failed bind created the bindings table")
	}
}

func TestBindUnbindValidationErrors(t *testing.T) {
	s := newTestServer(t)

	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name  string
		body  creds
		codes map[string]string // field -> expected code
	}{
		{"all missing", creds{}, map[string]string{
			"email": "validation_required", "password": "validation_required", "token": "validation_required"}},
		{"empty strings", creds{"email": "", "password": "", "token": ""}, map[string]string{
			"email": "validation_required", "password": "validation_required", "token": "validation_required"}},
		{"invalid email", creds{"email": "not-an-email", "password": userPass, "token": "t"}, map[string]string{
			"email": "validation_is_email"}},
		{"email too long", creds{"email": long(250) + "@x.com", "password": userPass, "token": "t"}, map[string]string{
			"email": "validation_length_out_of_range"}},
		{"password too long", creds{"email": userEmail, "password": long(256), "token": "t"}, map[string]string{
			"password": "validation_length_out_of_range"}},
		// 128 runes but 256 bytes: limits are in bytes.
		{"password too long in bytes", creds{"email": userEmail, "password": strings.Repeat("é", 128), "token": "t"}, map[string]string{
			"password": "validation_length_out_of_range"}},
		{"token too long", creds{"email": userEmail, "password": userPass, "token": long(1025)}, map[string]string{
			"token": "validation_length_out_of_range"}},
	}

	for _, route := range []string{"bind-token", "unbind-token"} {
		for _, c := range cases {
			t.Run(route+"/"+c.name, func(t *testing.T) {
				r := s.post("/api/collections/users/"+route, c.body)
				expectStatus(t, r, 400)
				if r.body["message"] != "An error occurred while validating the submitted data." {
					t.Fatalf("message = %q", r.body["message"])
				}
				data, _ := r.body["data"].(map[string]any)
				if len(data) != len(c.codes) {
					t.Fatalf("data = %v, want errors for %v", data, c.codes)
				}
				for field, code := range c.codes {
					got, _ := data[field].(map[string]any)
					if got["code"] != code {
						t.Errorf("data.%s.code = %v, want %s", field, got["code"], code)
					}
				}
			})
		}
	}

	t.Run("auth-with-token", func(t *testing.T) {
		for token, code := range map[string]string{"": "validation_required", long(1025): "validation_length_out_of_range"} {
			r := s.authWithToken("users", token)
			expectStatus(t, r, 400)
			if got := r.body["data"].(map[string]any)["token"].(map[string]any)["code"]; got != code {
				t.Errorf("data.token.code = %v, want %s", got, code)
			}
		}
	})

	t.Run("boundaries are inclusive", func(t *testing.T) {
		expectNoContent(t, s.bind("users", userEmail, userPass, long(1024)))
		expectStatus(t, s.authWithToken("users", long(1024)), http.StatusOK)
	})
}

func TestTokenRoutesNonJSONBody(t *testing.T) {
	s := newTestServer(t)
	for _, route := range []string{"bind-token", "unbind-token", "auth-with-token"} {
		t.Run(route, func(t *testing.T) {
			r := s.post("/api/collections/users/"+route, `{"email": not json`)
			expectError(t, r, 400, "An error occurred while loading the submitted data.")
		})
	}
}

func TestBindUnbindPasswordAuthDisabled(t *testing.T) {
	s := newTestServer(t)
	expectNoContent(t, s.bind("users", userEmail, userPass, "tok"))

	users, err := s.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	users.PasswordAuth.Enabled = false
	if err := s.app.Save(users); err != nil {
		t.Fatal(err)
	}

	const msg = "The collection is not configured to allow password authentication."
	expectError(t, s.bind("users", userEmail, userPass, "tok"), 403, msg)
	expectError(t, s.unbind("users", userEmail, userPass, "tok"), 403, msg)
	// The 403 is for bind/unbind only: an existing binding still authenticates.
	expectStatus(t, s.authWithToken("users", "tok"), http.StatusOK)
}

// BosBase's messages: an unknown collection fails in the rate-limit step,
// before the auth-collection check that a base collection fails.
func TestTokenRoutesBaseOrUnknownCollection(t *testing.T) {
	s := newTestServer(t)
	messages := map[string]string{
		"posts":              "Missing or invalid auth collection context.",
		"no_such_collection": "Missing or invalid collection context.",
	}
	for coll, msg := range messages {
		for _, route := range []string{"bind-token", "unbind-token", "auth-with-token"} {
			t.Run(coll+"/"+route, func(t *testing.T) {
				r := s.post("/api/collections/"+coll+"/"+route,
					creds{"email": userEmail, "password": userPass, "token": "tok"})
				expectError(t, r, 404, msg)
			})
		}
	}
}

func TestUnbindToken(t *testing.T) {
	s := newTestServer(t)

	// Never bound (the table does not even exist yet).
	expectNoContent(t, s.unbind("users", userEmail, userPass, "never-bound"))

	// Bound to someone else: 204, and that binding stays.
	expectNoContent(t, s.bind("users", user2Email, user2Pass, "theirs"))
	expectNoContent(t, s.unbind("users", userEmail, userPass, "theirs"))
	if rows := s.bindings(); len(rows) != 1 || rows[0].RecordRef != s.record("users", user2Email).Id {
		t.Fatalf("someone else's binding was touched: %+v", rows)
	}

	// Own binding: removed.
	expectNoContent(t, s.unbind("users", user2Email, user2Pass, "theirs"))
	if rows := s.bindings(); len(rows) != 0 {
		t.Fatalf("binding not removed: %+v", rows)
	}
}

func TestAuthWithTokenSuccess(t *testing.T) {
	var authMethod string
	s := newTestServer(t, func(app *tests.TestApp) {
		app.OnRecordAuthRequest().BindFunc(func(e *core.RecordAuthRequestEvent) error {
			authMethod = e.AuthMethod
			return e.Next()
		})
	})
	user := s.record("users", userEmail)
	expectNoContent(t, s.bind("users", userEmail, userPass, "tok"))

	r := s.authWithToken("users", "tok")
	expectStatus(t, r, http.StatusOK)
	token, _ := r.body["token"].(string)
	record, _ := r.body["record"].(map[string]any)
	if token == "" || record["email"] != userEmail || record["id"] != user.Id {
		t.Fatalf("unexpected auth response %s", r.raw)
	}
	if authMethod != "token" {
		t.Fatalf("auth method = %q, want token", authMethod)
	}

	// The JWT is a working PocketBase auth token.
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/collections/posts/records", nil)
	req.Header.Set("Authorization", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token rejected by a records route: %d", res.StatusCode)
	}

	// The collection's auth rule applies.
	users, _ := s.app.FindCollectionByNameOrId("users")
	users.AuthRule = types.Pointer("verified = false")
	if err := s.app.Save(users); err != nil {
		t.Fatal(err)
	}
	expectError(t, s.authWithToken("users", "tok"), 403,
		"The request doesn't satisfy the collection requirements to authenticate.")
}

func TestAuthWithTokenFailures(t *testing.T) {
	s := newTestServer(t)
	const msg = "Failed to authenticate."

	t.Run("nothing ever bound", func(t *testing.T) {
		expectError(t, s.authWithToken("users", "tok"), 400, msg)
	})

	expectNoContent(t, s.bind(core.CollectionNameSuperusers, adminEmail, adminPass, "admin-tok"))
	expectNoContent(t, s.bind("users", userEmail, userPass, "user-tok"))

	t.Run("bound in another collection", func(t *testing.T) {
		expectError(t, s.authWithToken("users", "admin-tok"), 400, msg)
		expectError(t, s.authWithToken(core.CollectionNameSuperusers, "user-tok"), 400, msg)
	})
	t.Run("unknown", func(t *testing.T) {
		expectError(t, s.authWithToken("users", "no-such-token"), 400, msg)
	})
	t.Run("unbound", func(t *testing.T) {
		expectNoContent(t, s.unbind("users", userEmail, userPass, "user-tok"))
		expectError(t, s.authWithToken("users", "user-tok"), 400, msg)
	})
}

func TestAuthWithTokenMFA(t *testing.T) {
	otpPasswords := make(chan string, 1)
	s := newTestServer(t, func(app *tests.TestApp) {
		app.OnMailerRecordOTPSend().BindFunc(func(e *core.MailerRecordEvent) error {
			otpPasswords <- e.Meta["password"].(string)
			return e.Next()
		})
	})
	expectNoContent(t, s.bind("mfa_users", mfaEmail, mfaPass, "mfa-tok"))

	firstStep := func(t *testing.T) string {
		t.Helper()
		r := s.authWithToken("mfa_users", "mfa-tok")
		expectStatus(t, r, http.StatusUnauthorized)
		mfaId, _ := r.body["mfaId"].(string)
		if mfaId == "" || len(r.body) != 1 {
			t.Fatalf(`want exactly {"mfaId": ...}, got %s`, r.raw)
		}
		return mfaId
	}

	t.Run("finish with password", func(t *testing.T) {
		mfaId := firstStep(t)
		r := s.post("/api/collections/mfa_users/auth-with-password",
			creds{"identity": mfaEmail, "password": mfaPass, "mfaId": mfaId})
		expectStatus(t, r, http.StatusOK)
		if r.body["token"] == "" || r.body["record"].(map[string]any)["email"] != mfaEmail {
			t.Fatalf("unexpected response %s", r.raw)
		}
	})

	t.Run("finish with OTP", func(t *testing.T) {
		mfaId := firstStep(t)
		r := s.post("/api/collections/mfa_users/request-otp", creds{"email": mfaEmail})
		expectStatus(t, r, http.StatusOK)
		otpId, _ := r.body["otpId"].(string)
		var password string
		select {
		case password = <-otpPasswords:
		case <-time.After(5 * time.Second):
			t.Fatal("OTP email not sent")
		}
		r = s.post("/api/collections/mfa_users/auth-with-otp",
			creds{"otpId": otpId, "password": password, "mfaId": mfaId})
		expectStatus(t, r, http.StatusOK)
	})

	t.Run("finish with token again", func(t *testing.T) {
		mfaId := firstStep(t)
		r := s.post("/api/collections/mfa_users/auth-with-token", creds{"token": "mfa-tok", "mfaId": mfaId})
		expectStatus(t, r, http.StatusBadRequest)
	})

	t.Run("token as the second factor", func(t *testing.T) {
		r := s.post("/api/collections/mfa_users/auth-with-password",
			creds{"identity": mfaEmail, "password": mfaPass})
		expectStatus(t, r, http.StatusUnauthorized)
		r = s.post("/api/collections/mfa_users/auth-with-token", creds{"token": "mfa-tok", "mfaId": r.body["mfaId"]})
		expectStatus(t, r, http.StatusOK)
	})
}

func TestAuthWithTokenStaticJWT(t *testing.T) {
	s := newTestServer(t)
	expectNoContent(t, s.bind("users", userEmail, userPass, "tok"))

	r := s.authWithToken("users", "tok")
	expectStatus(t, r, http.StatusOK)
	token := r.body["token"].(string)

	claims, err := security.ParseUnverifiedJWT(token)
	if err != nil {
		t.Fatal(err)
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

	refreshed := s.post("/api/collections/users/auth-refresh", "", "Authorization", token)
	expectStatus(t, refreshed, http.StatusOK)
	if refreshed.body["token"] != token {
		t.Fatalf("auth-refresh changed the token:\n%s\n%v", token, refreshed.body["token"])
	}
}

func TestBindingsDeletedWithRecordAndCollection(t *testing.T) {
	s := newTestServer(t)

	// A throwaway auth collection, so deleting it leaves the demo data intact.
	temp := core.NewAuthCollection("temp_auth")
	if err := s.app.Save(temp); err != nil {
		t.Fatal(err)
	}
	tempUser := core.NewRecord(temp)
	tempUser.SetEmail("temp@example.com")
	tempUser.SetPassword("temp-password")
	if err := s.app.Save(tempUser); err != nil {
		t.Fatal(err)
	}

	expectNoContent(t, s.bind("users", userEmail, userPass, "t1"))
	expectNoContent(t, s.bind("users", userEmail, userPass, "t2"))
	expectNoContent(t, s.bind("users", user2Email, user2Pass, "t3"))
	expectNoContent(t, s.bind("temp_auth", "temp@example.com", "temp-password", "t4"))

	if err := s.app.Delete(s.record("users", userEmail)); err != nil {
		t.Fatal(err)
	}
	if got := s.boundHashes(); !equalSets(got, sha256Hex("t3"), sha256Hex("t4")) {
		t.Fatalf("after record delete: %v", got)
	}

	if err := s.app.Delete(temp); err != nil {
		t.Fatal(err)
	}
	if got := s.boundHashes(); !equalSets(got, sha256Hex("t3")) {
		t.Fatalf("after collection delete: %v", got)
	}
}

func (s *testServer) boundHashes() map[string]bool {
	set := map[string]bool{}
	for _, row := range s.bindings() {
		set[row.TokenHash] = true
	}
	return set
}

func equalSets(set map[string]bool, want ...string) bool {
	if len(set) != len(want) {
		return false
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

// -------------------------------------------------------------------
// Start-up migration

func TestLegacyTableRenamedOnStart(t *testing.T) {
	createLegacy := func(name string) func(app *tests.TestApp) {
		return func(app *tests.TestApp) {
			_, err := app.DB().NewQuery(`CREATE TABLE {{` + name + `}} (
				id TEXT PRIMARY KEY, collectionRef TEXT, recordRef TEXT, tokenHash TEXT, created TEXT, updated TEXT)`).Execute()
			if err != nil {
				t.Fatal(err)
			}
			user, err := app.FindAuthRecordByEmail("users", userEmail)
			if err != nil {
				t.Fatal(err)
			}
			_, err = app.DB().Insert(name, map[string]any{
				"id": "legacy000000001", "collectionRef": user.Collection().Id, "recordRef": user.Id,
				"tokenHash": sha256Hex("legacy-tok"), "created": "", "updated": "",
			}).Execute()
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, legacy := range legacyTokenBindingsTables {
		t.Run(legacy, func(t *testing.T) {
			s := newTestServer(t, createLegacy(legacy))
			if s.app.HasTable(legacy) || !s.app.HasTable(tokenBindingsTable) {
				t.Fatalf("%s not renamed", legacy)
			}
			expectStatus(t, s.authWithToken("users", "legacy-tok"), http.StatusOK)
			// The adopted table gets the unique index needed for upserts.
			expectNoContent(t, s.bind("users", user2Email, user2Pass, "legacy-tok"))
			if rows := s.bindings(); len(rows) != 1 || rows[0].RecordRef != s.record("users", user2Email).Id {
				t.Fatalf("rebinding the legacy token: %+v", rows)
			}
		})
	}

	t.Run("current table wins", func(t *testing.T) {
		s := newTestServer(t, createLegacy("_tokenBindings"), func(app *tests.TestApp) {
			if err := createTokenBindingsTable(app); err != nil {
				t.Fatal(err)
			}
		})
		if !s.app.HasTable("_tokenBindings") {
			t.Fatal("legacy table touched although the current one exists")
		}
	})
}
