//! Record auth against the dev server: every sign-in method, MFA across methods in both
//! orders, impersonation, the account flows (verification, password reset, email change)
//! and the auth store's superuser flag and cookie form.

mod common;

use bosbase::{BosBase, CookieOptions, ErrorKind, SendOptions};
use common::{admin, client, last_mail, mailbox, new_user, token, wait_mail, ADMIN, MFA_USER, USER};
use serde_json::{json, Value};

fn opts() -> SendOptions {
    SendOptions::default()
}

fn with_mfa(mfa_id: &str) -> SendOptions {
    let mut o = SendOptions::default();
    o.mfa_id = Some(mfa_id.to_owned());
    o
}

#[test]
fn list_auth_methods_describes_the_collection() {
    let methods = client().collection("mfa_users").list_auth_methods(opts()).wait().unwrap();
    assert_eq!(methods["password"]["enabled"], true);
    assert_eq!(methods["otp"]["enabled"], true);
    assert_eq!(methods["mfa"]["enabled"], true);
    let err = client().collection("no_such").list_auth_methods(opts()).wait().unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 404));
}

#[test]
fn password_login_refresh_and_superuser_flag() {
    let pb = client();
    let auth = pb.collection("users").auth_with_password(USER.0, USER.1, Default::default(), Default::default(), None);
    let auth = auth.wait().unwrap();
    assert_eq!(auth["record"]["email"], USER.0);
    assert!(!pb.auth_store().is_superuser());
    let refreshed = pb.collection("users").auth_refresh(Default::default(), Default::default()).wait().unwrap();
    assert_eq!(refreshed["record"]["id"], auth["record"]["id"]);
    assert_eq!(pb.auth_store().token(), refreshed["token"].as_str().unwrap());
    assert!(admin().auth_store().is_superuser());
}

/// Starts a login on `mfa_users` with `first` and returns its mfaId.
fn mfa_id_of(err: bosbase::Error) -> String {
    assert_eq!(err.kind(), ErrorKind::MfaRequired, "{err}");
    err.mfa_id().expect("mfa_required carries the id").to_owned()
}

/// Requests an OTP for the MFA user and reads it from the mailbox: (otpId, password).
fn otp(pb: &BosBase, admin: &BosBase) -> (String, String) {
    let sent = pb.collection("mfa_users").request_otp(MFA_USER.0, opts()).wait().unwrap();
    let otp_id = sent["otpId"].as_str().unwrap().to_owned();
    // The mail of this request, not the previous one (sent in the background).
    let meta = wait_mail(admin, MFA_USER.0, "otp", |meta| meta["otpId"] == otp_id.as_str());
    (otp_id, meta["password"].as_str().unwrap().to_owned())
}

#[test]
fn mfa_finishes_across_any_two_methods_in_either_order() {
    let admin = admin();
    let users = |pb: &BosBase| pb.collection("mfa_users");
    let bound = token();
    users(&client())
        .bind_custom_token(MFA_USER.0, MFA_USER.1, &bound, Default::default(), Default::default())
        .wait()
        .unwrap();

    // token → password
    let pb = client();
    let id =
        mfa_id_of(users(&pb).auth_with_token(&bound, Default::default(), Default::default(), None).wait().unwrap_err());
    assert_eq!(pb.auth_store().token(), "", "a first factor saves nothing");
    users(&pb)
        .auth_with_password(MFA_USER.0, MFA_USER.1, Default::default(), Default::default(), Some(&id))
        .wait()
        .unwrap();
    assert_eq!(pb.auth_store().record()["email"], MFA_USER.0);

    // password → token
    let pb = client();
    let id = mfa_id_of(users(&pb).auth_with_password_with(MFA_USER.0, MFA_USER.1, opts()).wait().unwrap_err());
    users(&pb).auth_with_token(&bound, Default::default(), Default::default(), Some(&id)).wait().unwrap();
    assert_eq!(pb.auth_store().record()["email"], MFA_USER.0);

    let err = users(&client()).auth_with_otp("nope", "000000", opts()).wait().unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 400));

    // The OTP arrives by email: only a server whose mail the test can read (the dev
    // server's mailbox) lets the test finish OTP logins.
    if mailbox(&admin, MFA_USER.0).is_none() {
        eprintln!("mfa: OTP legs not exercised: this server has no mailbox to read the OTP from");
        return;
    }

    // password → OTP
    let pb = client();
    let id = mfa_id_of(users(&pb).auth_with_password_with(MFA_USER.0, MFA_USER.1, opts()).wait().unwrap_err());
    let (otp_id, password) = otp(&pb, &admin);
    let auth = users(&pb).auth_with_otp(&otp_id, &password, with_mfa(&id)).wait().unwrap();
    assert_eq!(auth["record"]["email"], MFA_USER.0);
    assert_eq!(pb.auth_store().token(), auth["token"].as_str().unwrap());

    // OTP → token
    let pb = client();
    let (otp_id, password) = otp(&pb, &admin);
    let id = mfa_id_of(users(&pb).auth_with_otp(&otp_id, &password, opts()).wait().unwrap_err());
    users(&pb).auth_with_token(&bound, Default::default(), Default::default(), Some(&id)).wait().unwrap();
    assert_eq!(pb.auth_store().record()["email"], MFA_USER.0);
}

#[test]
fn oauth2_code_login_reaches_the_server_and_fails_typed_without_a_provider() {
    // No OAuth2 provider can be configured here (it needs a real identity provider); the
    // call is checked up to the server's refusal, and nothing is saved.
    let pb = client();
    let err = pb
        .collection("users")
        .auth_with_oauth2_code("google", "code", "verifier", "http://127.0.0.1/cb", json!({}), opts())
        .wait()
        .unwrap_err();
    // PocketBase: 403 "not configured to allow OAuth2"; a configured one: 400 for a bad code.
    assert!(err.kind() == ErrorKind::Http && matches!(err.status(), 400 | 403), "{err}");
    assert_eq!(pb.auth_store().token(), "");
    let err = pb
        .collection("users")
        .auth_with_oauth2_code("google", "code", "verifier", "http://x", json!([1]), opts())
        .wait()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "createData must be an object");
}

#[test]
fn impersonate_returns_a_new_client_signed_in_as_the_user() {
    let admin = admin();
    let (email, _, id) = new_user(&admin);
    let as_user = admin.collection("users").impersonate(&id, 3600, opts()).wait().unwrap();
    assert_eq!(as_user.auth_store().record()["email"], email.as_str());
    assert!(admin.auth_store().is_superuser(), "the superuser's store is untouched");
    assert!(!as_user.auth_store().is_superuser());
    // The new client acts as the user: it sees its own record through the users list rule.
    let mine = as_user.collection("users").get_list(1, 30, opts()).wait().unwrap();
    assert_eq!(mine["totalItems"], 1);
    assert_eq!(mine["items"][0]["id"], id.as_str());
    let err = client().collection("users").impersonate(&id, 0, opts()).wait().unwrap_err();
    assert!(matches!(err.status(), 401 | 403), "guests cannot impersonate: {err}");
}

#[test]
fn verification_flow_marks_the_stored_record_verified() {
    let admin = admin();
    let (pb, email, _, _) = common::signed_in_new_user(&admin);
    assert_eq!(pb.auth_store().record()["verified"], false);
    assert!(pb.collection("users").request_verification(&email, opts()).wait().unwrap());
    let err = pb.collection("users").confirm_verification("bogus", opts()).wait().unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 400));
    if mailbox(&admin, &email).is_none() {
        eprintln!("verification: confirm not exercised: this server has no mailbox");
        return;
    }
    let meta = last_mail(&admin, &email, "verification");
    pb.collection("users").confirm_verification(meta["token"].as_str().unwrap(), opts()).wait().unwrap();
    assert_eq!(pb.auth_store().record()["verified"], true, "the stored record follows");
}

#[test]
fn password_reset_flow_changes_the_password() {
    let admin = admin();
    let (email, old, _) = new_user(&admin);
    let pb = client();
    assert!(pb.collection("users").request_password_reset(&email, opts()).wait().unwrap());
    let err = pb.collection("users").confirm_password_reset("bogus", "new-password-1", "new-password-1", opts()).wait();
    assert_eq!(err.unwrap_err().status(), 400);
    if mailbox(&admin, &email).is_none() {
        eprintln!("password reset: confirm not exercised: this server has no mailbox");
        return;
    }
    let token = last_mail(&admin, &email, "password-reset")["token"].as_str().unwrap().to_owned();
    let err = pb.collection("users").confirm_password_reset(&token, "new-password-1", "mismatch-2", opts()).wait();
    assert_eq!(err.unwrap_err().status(), 400);
    pb.collection("users").confirm_password_reset(&token, "new-password-1", "new-password-1", opts()).wait().unwrap();
    let login = |p: &str| pb.collection("users").auth_with_password_with(&email, p, opts()).wait();
    assert_eq!(login(&old).unwrap_err().status(), 400);
    login("new-password-1").unwrap();
}

#[test]
fn email_change_flow_clears_the_stored_login() {
    let admin = admin();
    let (pb, email, password, _) = common::signed_in_new_user(&admin);
    let new_email = format!("new-{email}");
    let err = client().collection("users").request_email_change("x@example.com", opts()).wait().unwrap_err();
    assert_eq!(err.status(), 401, "signed in only");
    let requested = pb.collection("users").request_email_change(&new_email, opts()).wait();
    if mailbox(&admin, &new_email).is_none() {
        // This server sends the mail while answering and has no way to deliver it.
        assert_eq!(requested.unwrap_err().status(), 400);
        eprintln!("email change: not exercised: this server has no mailbox");
        return;
    }
    assert!(requested.unwrap());
    let meta = last_mail(&admin, &new_email, "email-change");
    assert_eq!(meta["newEmail"], new_email.as_str());
    pb.collection("users").confirm_email_change(meta["token"].as_str().unwrap(), &password, opts()).wait().unwrap();
    assert_eq!(pb.auth_store().token(), "", "the old token is no longer valid: the store is cleared");
    pb.collection("users")
        .auth_with_password(&new_email, &password, Default::default(), Default::default(), None)
        .wait()
        .unwrap();
    let err = client().collection("users").request_email_change("x@example.com", opts()).wait().unwrap_err();
    assert_eq!(err.status(), 401, "signed in only");
}

#[test]
fn the_auth_cookie_carries_a_login_to_another_client() {
    let pb = client();
    pb.collection("_superusers")
        .auth_with_password(ADMIN.0, ADMIN.1, Default::default(), Default::default(), None)
        .wait()
        .unwrap();
    let cookie = pb.auth_store().export_to_cookie(&CookieOptions::default()).unwrap();
    assert!(cookie.starts_with("pb_auth=") && cookie.contains("; HttpOnly; Secure; SameSite=Strict"));
    // A server-side render: the browser sends the cookie back in a Cookie header.
    let header = format!("theme=dark; {}", cookie.split(';').next().unwrap());
    let ssr = client();
    ssr.auth_store().load_from_cookie(&header, "pb_auth").unwrap();
    assert!(ssr.auth_store().is_superuser());
    let page = ssr.collections().get_list(1, 1, opts()).wait().unwrap();
    assert_eq!(page["perPage"], 1, "the loaded token works");
    ssr.auth_store().load_from_cookie("theme=dark", "pb_auth").unwrap();
    assert_eq!((ssr.auth_store().token(), ssr.auth_store().record()), (String::new(), Value::Null));
}
