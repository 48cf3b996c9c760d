package bosbase_test

import (
	"context"
	"strings"
	"testing"
	"time"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

// The auth group of the PocketBase surface, through the generated methods.

// superuser returns a client signed in as the demo superuser.
func superuser(t testing.TB) *bosbase.Client {
	t.Helper()
	c := newClient(t)
	if _, err := c.Collection("_superusers").AuthWithPassword(adminEmail, adminPass, nil, nil, nil); err != nil {
		t.Fatalf("superuser AuthWithPassword: %v", err)
	}
	return c
}

// signedIn returns a client signed in with email/password on users, and the record id.
func signedIn(t testing.TB, email, pass string) (*bosbase.Client, string) {
	t.Helper()
	c := newClient(t)
	auth, err := c.Collection("users").AuthWithPassword(email, pass, nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithPassword(%s): %v", email, err)
	}
	id, _ := auth["record"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("no record id in %v", auth["record"])
	}
	return c, id
}

func TestListAuthMethods(t *testing.T) {
	c := newClient(t)
	methods, err := c.Collection("users").ListAuthMethods(nil, nil, nil)
	if err != nil {
		t.Fatalf("ListAuthMethods: %v", err)
	}
	pw, ok := methods["password"].(map[string]any)
	if !ok || pw["enabled"] != true {
		t.Errorf("password method = %v, want enabled", methods["password"])
	}
	for _, k := range []string{"oauth2", "mfa", "otp"} {
		if _, ok := methods[k]; !ok {
			t.Errorf("no %q in %v", k, methods)
		}
	}
	mfa, err := c.Collection("mfa_users").ListAuthMethods(nil, nil, nil)
	if err != nil || mfa["mfa"].(map[string]any)["enabled"] != true || mfa["otp"].(map[string]any)["enabled"] != true {
		t.Errorf("mfa_users methods = %v, %v; want mfa and otp enabled", mfa, err)
	}
}

func TestPasswordLoginAndAuthRefresh(t *testing.T) {
	c := newClient(t)
	auth, err := c.Collection("users").AuthWithPassword(userEmail, userPass, nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithPassword: %v", err)
	}
	if recordEmail(t, auth) != userEmail || c.AuthStore.Token() != auth["token"] || !c.AuthStore.IsValid() {
		t.Fatalf("login not stored: record %v", c.AuthStore.Record())
	}
	if c.AuthStore.IsSuperuser() {
		t.Errorf("a users login is not a superuser")
	}
	refreshed, err := c.Collection("users").AuthRefresh(nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthRefresh: %v", err)
	}
	// (The dev server still mints PocketBase's refreshable token for a password login, so
	// the refreshed token may differ from it; BosBase's static tokens are checked below.)
	if refreshed["token"] == "" || recordEmail(t, refreshed) != userEmail {
		t.Errorf("AuthRefresh answered %v", refreshed["record"])
	}
	if c.AuthStore.Token() != refreshed["token"] {
		t.Errorf("AuthRefresh did not store its answer")
	}

	// A custom-token login is static (non-refreshable): the refresh answers it unchanged.
	token := freshToken(t)
	mustBind(t, c, "users", userEmail, userPass, token)
	byToken, err := c.Collection("users").AuthWithToken(token, nil, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithToken: %v", err)
	}
	time.Sleep(1100 * time.Millisecond) // a refreshable token minted now would differ
	refreshed, err = c.Collection("users").AuthRefresh(nil, nil, nil)
	if err != nil || refreshed["token"] != byToken["token"] || c.AuthStore.Token() != byToken["token"] {
		t.Errorf("AuthRefresh of a static token changed it (%v)", err)
	}

	// Without a login, the refresh is the server's 401 and the store stays empty.
	anon := newClient(t)
	_, err = anon.Collection("users").AuthRefresh(nil, nil, nil)
	if e := responseError(t, err); e.Kind != "http" || e.Status != 401 {
		t.Errorf("anonymous AuthRefresh: kind %q status %d", e.Kind, e.Status)
	}
	// A wrong password is the server's 400 and never echoes the password.
	_, err = anon.Collection("users").AuthWithPassword(userEmail, "wrong-password-123", nil, nil, nil)
	if e := responseError(t, err); e.Kind != "http" || e.Status != 400 {
		t.Errorf("wrong password: kind %q status %d", e.Kind, e.Status)
	}
	assertNoSecrets(t, err, "wrong-password-123")
}

func TestSuperuserLoginIsSuperuser(t *testing.T) {
	c := superuser(t)
	if !c.AuthStore.IsSuperuser() {
		t.Errorf("IsSuperuser() = false after a _superusers login")
	}
	if err := c.AuthStore.Clear(); err != nil {
		t.Fatal(err)
	}
	if c.AuthStore.IsSuperuser() {
		t.Errorf("IsSuperuser() = true after Clear")
	}
	c.Close()
	if c.AuthStore.IsSuperuser() {
		t.Errorf("IsSuperuser() = true on a closed client")
	}
}

// Impersonate returns a new client acting as the user; the superuser's client stays
// the superuser's.
func TestImpersonateReturnsANewClient(t *testing.T) {
	live := bosbase.LiveClients()
	admin := superuser(t)
	f, err := bosbase.Filter("email = {:e}", map[string]any{"e": userEmail})
	if err != nil {
		t.Fatal(err)
	}
	user, err := admin.Collection("users").GetFirstListItem(f, nil, nil, nil)
	if err != nil {
		t.Fatalf("GetFirstListItem: %v", err)
	}
	id := user["id"].(string)

	as, err := admin.Collection("users").Impersonate(id, 3600, nil, nil, nil)
	if err != nil {
		t.Fatalf("Impersonate: %v", err)
	}
	if as == admin || as.AuthStore == admin.AuthStore {
		t.Fatalf("Impersonate returned the same client")
	}
	if as.AuthStore.Record()["email"] != userEmail || as.AuthStore.Token() == "" || as.AuthStore.IsSuperuser() {
		t.Errorf("impersonated store: record %v superuser %t", as.AuthStore.Record()["email"], as.AuthStore.IsSuperuser())
	}
	if !admin.AuthStore.IsSuperuser() || admin.AuthStore.Record()["email"] != adminEmail {
		t.Errorf("the superuser's client changed: %v", admin.AuthStore.Record()["email"])
	}
	// The new client acts as the user: it can create the user's own post, it is no
	// superuser (collections are refused), while the original still is one.
	post, err := as.Collection("posts").Create(map[string]any{"title": "impersonated", "author": id}, nil, nil, nil)
	if err != nil {
		t.Fatalf("create as the impersonated user: %v", err)
	}
	if post["author"] != id {
		t.Errorf("post author = %v", post["author"])
	}
	if _, err := as.Collections().GetList(1, 1, nil, nil, nil); err == nil {
		t.Errorf("the impersonated client reached collections.getList")
	} else if e := responseError(t, err); e.Status != 401 && e.Status != 403 {
		t.Errorf("collections as the user: status %d", e.Status)
	}
	if _, err := admin.Collections().GetList(1, 1, nil, nil, nil); err != nil {
		t.Errorf("the superuser lost its login: %v", err)
	}
	if ok, err := as.Collection("posts").Delete(post["id"].(string), nil, nil, nil); !ok || err != nil {
		t.Errorf("delete own post as the impersonated user: %v, %v", ok, err)
	}

	// The context form forks as well; a non-superuser cannot impersonate.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	as2, err := admin.Collection("users").ImpersonateCtx(ctx, id, 0, nil, nil, nil)
	if err != nil || as2.AuthStore.Record()["id"] != id {
		t.Fatalf("ImpersonateCtx: %v", err)
	}
	_, err = as.Collection("users").Impersonate(id, 60, nil, nil, nil)
	if e := responseError(t, err); e.Kind != "http" || (e.Status != 401 && e.Status != 403) {
		t.Errorf("impersonate as a user: kind %q status %d", e.Kind, e.Status)
	}

	// The new clients are closed like any other; closing one leaves the parent working.
	as.Close()
	as2.Close()
	if _, err := as.Health().Check(nil, nil, nil); !strings.Contains(err.Error(), "closed") {
		t.Errorf("a closed impersonated client answered: %v", err)
	}
	if _, err := admin.Health().Check(nil, nil, nil); err != nil {
		t.Errorf("parent after closing its fork: %v", err)
	}
	admin.Close()
	if n := bosbase.LiveClients(); n != live {
		t.Errorf("%d native clients alive, want %d", n, live)
	}
}

// MFA across two methods in the other order from mfa_test.go: password first, then the
// custom token carrying the mfaId.
func TestMFAPasswordThenToken(t *testing.T) {
	c := newClient(t)
	token := freshToken(t)
	mustBind(t, c, "mfa_users", mfaEmail, mfaPass, token)

	_, err := c.Collection("mfa_users").AuthWithPassword(mfaEmail, mfaPass, nil, nil, nil)
	e := responseError(t, err)
	if e.Kind != bosbase.KindMFARequired || e.MFAID() == "" {
		t.Fatalf("password first: kind %q mfaId %q", e.Kind, e.MFAID())
	}
	if c.AuthStore.Token() != "" {
		t.Fatalf("the first factor filled the store")
	}
	auth, err := c.Collection("mfa_users").AuthWithToken(token, map[string]any{"mfaId": e.MFAID()}, nil, nil)
	if err != nil {
		t.Fatalf("AuthWithToken with mfaId: %v", err)
	}
	if recordEmail(t, auth) != mfaEmail || c.AuthStore.Token() != auth["token"] {
		t.Errorf("MFA finish did not fill the store")
	}
}

// The emailed flows: the dev server's mails cannot be read, so the requests are checked
// to succeed and the confirmations with a bogus token to be the server's typed 400.
func TestEmailedFlows(t *testing.T) {
	c := newClient(t)
	users := c.Collection("users")
	if ok, err := users.RequestVerification(userEmail, nil, nil, nil); !ok || err != nil {
		t.Errorf("RequestVerification = %v, %v", ok, err)
	}
	if ok, err := users.RequestPasswordReset(userEmail, nil, nil, nil); !ok || err != nil {
		t.Errorf("RequestPasswordReset = %v, %v", ok, err)
	}
	otp, err := c.Collection("mfa_users").RequestOTP(mfaEmail, nil, nil, nil)
	if err != nil || otp["otpId"] == "" || otp["otpId"] == nil {
		t.Errorf("RequestOTP = %v, %v", otp, err)
	}
	bogus := "not-a-real-token"
	for name, call := range map[string]func() error{
		"ConfirmVerification": func() error { _, err := users.ConfirmVerification(bogus, nil, nil, nil); return err },
		"ConfirmPasswordReset": func() error {
			_, err := users.ConfirmPasswordReset(bogus, "new-password-1", "new-password-1", nil, nil, nil)
			return err
		},
		"ConfirmEmailChange": func() error { _, err := users.ConfirmEmailChange(bogus, userPass, nil, nil, nil); return err },
		"AuthWithOTP": func() error {
			id, _ := otp["otpId"].(string)
			_, err := c.Collection("mfa_users").AuthWithOTP(id, "00000000", nil, nil, nil)
			return err
		},
	} {
		err := call()
		if e := responseError(t, err); e.Kind != "http" || e.Status != 400 {
			t.Errorf("%s with a bogus token: kind %q status %d", name, e.Kind, e.Status)
		}
		assertNoSecrets(t, err, bogus, userPass)
	}
	if c.AuthStore.Token() != "" {
		t.Errorf("a failed confirmation filled the store")
	}
}
