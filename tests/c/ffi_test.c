/* C ABI tests against the dev server (BOSBASE_URL): the token flow, bad input of every
 * kind, auth-store functions and one handle shared by 8 threads. Built with ASan/UBSan. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bosbase.h"
#include "server.h"

static int passed, failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                  \
    } while (0)

static const char *url;

static BosbaseClient *new_client(const char *base) {
    BosbaseClient *c = NULL;
    CHECK(bosbase_client_new(base, "{\"userAgent\":\"bosbase-c-test\"}", &c, NULL) == BOSBASE_STATUS_OK);
    return c;
}

static char *fresh_token(void) {
    char *t = NULL;
    CHECK(bosbase_generate_token(&t, NULL) == BOSBASE_STATUS_OK && t && strlen(t) == 43);
    return t;
}

/* Runs a call that must fail with `want`; checks the error JSON names `kind`. */
static void expect_error(BosbaseStatus got, char *result, char *error, BosbaseStatus want, const char *kind) {
    char needle[64];
    snprintf(needle, sizeof needle, "\"kind\":\"%s\"", kind);
    CHECK(got == want);
    CHECK(result == NULL);
    CHECK(error != NULL && strstr(error, needle) != NULL);
    if (got != want) fprintf(stderr, "  got %s: %s\n", bosbase_status_name(got), error ? error : "(null)");
    bosbase_string_free(result);
    bosbase_string_free(error);
}

/* Declares `r` and `e` for `call` to write, then checks the failure (C leaves the order of
 * argument evaluation open, so the call must run before r/e are read). */
#define EXPECT_ERR(want, kind, call)                  \
    do {                                              \
        char *r = NULL, *e = NULL;                    \
        BosbaseStatus s_ = (call);                    \
        expect_error(s_, r, e, want, kind);           \
    } while (0)

static void test_flow(const char *collection, const char *email, const char *password) {
    BosbaseClient *pb = new_client(url);
    char *token = fresh_token(), *result = NULL, *error = NULL, *stored = NULL;

    CHECK(bosbase_bind_custom_token(pb, collection, email, password, token, NULL, &result, &error) == BOSBASE_STATUS_OK);
    CHECK(result && strcmp(result, "true") == 0 && error == NULL);
    bosbase_string_free(result);
    result = NULL;
    CHECK(bosbase_auth_store_token(pb, &stored, NULL) == BOSBASE_STATUS_OK && strcmp(stored, "") == 0);
    bosbase_string_free(stored);

    CHECK(bosbase_auth_with_token(pb, collection, token, NULL, &result, &error) == BOSBASE_STATUS_OK);
    CHECK(result && strstr(result, email) && strstr(result, "\"token\":"));
    bosbase_string_free(result);
    result = NULL;
    CHECK(bosbase_auth_store_is_valid(pb));
    CHECK(bosbase_auth_store_record(pb, &stored, NULL) == BOSBASE_STATUS_OK && strstr(stored, email));
    bosbase_string_free(stored);

    CHECK(bosbase_unbind_custom_token(pb, collection, email, password, token, NULL, &result, NULL) == BOSBASE_STATUS_OK);
    bosbase_string_free(result);
    result = NULL;
    BosbaseStatus s = bosbase_auth_with_token(pb, collection, token, NULL, &result, &error);
    expect_error(s, result, error, BOSBASE_STATUS_HTTP, "http");
    bosbase_string_free(token);
    bosbase_client_free(pb);
}

static void test_null_arguments(void) {
    BosbaseClient *pb = new_client(url);
    char *r = NULL;
    const char *a = "users", *em = "user@example.com", *pw = "user-password", *tk = "t";
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_bind_custom_token(NULL, a, em, pw, tk, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_bind_custom_token(pb, NULL, em, pw, tk, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_bind_custom_token(pb, a, NULL, pw, tk, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_bind_custom_token(pb, a, em, NULL, tk, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_bind_custom_token(pb, a, em, pw, NULL, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_unbind_custom_token(pb, a, em, pw, NULL, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_with_token(pb, a, NULL, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_with_password(pb, a, em, NULL, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_refresh(NULL, a, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_send(pb, NULL, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_collection_send(pb, a, NULL, NULL, &r, &e));
    /* error_out may be NULL; every other out-pointer is required and checked before anything is sent. */
    CHECK(bosbase_bind_custom_token(NULL, a, em, pw, tk, NULL, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_bind_custom_token(pb, a, em, pw, tk, NULL, NULL, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_send(pb, "/api/health", NULL, NULL, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_store_token(pb, NULL, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_store_clear(NULL, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_store_remove_listener(NULL, 1, &e));
    uint64_t lid = 0;
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_store_on_change(pb, NULL, NULL, &lid, &e));
    CHECK(bosbase_auth_store_token(pb, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_token(NULL, &r, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_record(pb, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_export(pb, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_import(pb, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_clear(NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(!bosbase_auth_store_is_valid(NULL));
    CHECK(bosbase_auth_store_on_change(pb, NULL, NULL, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_generate_token(NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    BosbaseClient *c = NULL;
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_client_new(NULL, NULL, &c, &e));
    CHECK(c == NULL);
    CHECK(bosbase_client_new(url, NULL, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_client_free(NULL);
    bosbase_string_free(NULL);
    bosbase_string_free(NULL);
    bosbase_client_free(pb);
}

static void test_invalid_utf8_and_json(void) {
    BosbaseClient *pb = new_client(url);
    const char bad[] = {'u', (char)0xff, 's', 0};
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_bind_custom_token(pb, bad, "e@x.io", "pw", "t", NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_with_token(pb, "users", bad, NULL, &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_with_token(pb, "users", "t", "{not json", &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_send(pb, "/api/health", "{\"method\":\"GET\",\"headerz\":{}}", &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_send(pb, "/api/health", "{\"headers\":{\"X\":\"a\\r\\nB: c\"}}", &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_store_save(pb, "t", "{broken", &e));
    BosbaseClient *c = NULL;
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_client_new(url, "{\"timeout\":1}", &c, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_client_new("not a url", NULL, &c, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_client_new("ftp://x", NULL, &c, &e));
    CHECK(c == NULL);
    CHECK(strcmp(bosbase_status_name(12345), "unknown") == 0);
    CHECK(strcmp(bosbase_status_name(BOSBASE_STATUS_MFA_REQUIRED), "mfa_required") == 0);
    CHECK(strcmp(bosbase_status_name(BOSBASE_STATUS_CLOSED), "closed") == 0);
    CHECK(strcmp(bosbase_status_name(BOSBASE_STATUS_TLS), "tls") == 0);
    CHECK(strcmp(bosbase_status_name(BOSBASE_STATUS_CANCELLED), "cancelled") == 0);
    bosbase_client_free(pb);
}

static void test_server_errors(void) {
    BosbaseClient *pb = new_client(url);
    char *r = NULL, *e = NULL;
    BosbaseStatus s = bosbase_bind_custom_token(pb, "users", "user@example.com", "wrong-password", "sekrit-token", NULL, &r, &e);
    CHECK(e && strstr(e, "Failed to bind token.") && !strstr(e, "wrong-password") && !strstr(e, "sekrit-token"));
    expect_error(s, r, e, BOSBASE_STATUS_HTTP, "http");
    r = e = NULL;
    s = bosbase_bind_custom_token(pb, "users", "not-an-email", "pw", "t", NULL, &r, &e);
    CHECK(e && strstr(e, "validation_is_email"));
    expect_error(s, r, e, BOSBASE_STATUS_HTTP, "http");
    r = e = NULL;
    s = bosbase_bind_custom_token(pb, "no_such_collection", "user@example.com", "pw", "t", NULL, &r, &e);
    CHECK(e && strstr(e, "\"status\":404"));
    expect_error(s, r, e, BOSBASE_STATUS_HTTP, "http");
    bosbase_client_free(pb);

    BosbaseClient *down = new_client("http://127.0.0.1:9");
    r = e = NULL;
    s = bosbase_auth_with_token(down, "users", "t", NULL, &r, &e);
    CHECK(e && strstr(e, "\"status\":0"));
    expect_error(s, r, e, BOSBASE_STATUS_NETWORK, "network");
    bosbase_client_free(down);
}

static void test_mfa(void) {
    BosbaseClient *pb = new_client(url);
    char *token = fresh_token(), *r = NULL, *e = NULL;
    CHECK(bosbase_bind_custom_token(pb, "mfa_users", "mfa@example.com", "mfa-password", token, NULL, &r, NULL) == BOSBASE_STATUS_OK);
    bosbase_string_free(r);
    r = NULL;
    BosbaseStatus s = bosbase_auth_with_token(pb, "mfa_users", token, NULL, &r, &e);
    CHECK(s == BOSBASE_STATUS_MFA_REQUIRED && e);
    const char *id = e ? strstr(e, "\"mfaId\":\"") : NULL;
    CHECK(id != NULL);
    if (id) {
        char opts[256];
        id += strlen("\"mfaId\":\"");
        int n = (int)strcspn(id, "\"");
        snprintf(opts, sizeof opts, "{\"mfaId\":\"%.*s\"}", n, id);
        CHECK(bosbase_auth_with_password(pb, "mfa_users", "mfa@example.com", "mfa-password", opts, &r, NULL) == BOSBASE_STATUS_OK);
        CHECK(r && strstr(r, "mfa@example.com"));
        CHECK(bosbase_auth_store_is_valid(pb));
        bosbase_string_free(r);
    }
    bosbase_string_free(e);
    bosbase_string_free(token);
    bosbase_client_free(pb);
}

static int changes;
static void on_change(void *user_data, const char *token, const char *record_json) {
    (void)token;
    CHECK(record_json != NULL);
    *(int *)user_data += 1;
}

static void test_auth_store(void) {
    BosbaseClient *a = new_client(url), *b = new_client(url);
    char *exported = NULL, *tok = NULL;
    uint64_t id = 0;
    CHECK(bosbase_auth_store_on_change(b, on_change, &changes, &id, NULL) == BOSBASE_STATUS_OK && id != 0);
    CHECK(bosbase_auth_store_save(a, "header.e30.sig", "{\"id\":\"r1\"}", NULL) == BOSBASE_STATUS_OK);
    CHECK(!bosbase_auth_store_is_valid(a)); /* no exp claim */
    CHECK(bosbase_auth_store_export(a, &exported, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_auth_store_import(b, exported, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_auth_store_token(b, &tok, NULL) == BOSBASE_STATUS_OK && strcmp(tok, "header.e30.sig") == 0);
    CHECK(bosbase_auth_store_clear(b, NULL) == BOSBASE_STATUS_OK);
    CHECK(changes == 2);
    CHECK(bosbase_auth_store_remove_listener(b, id, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_auth_store_remove_listener(b, id, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_clear(b, NULL) == BOSBASE_STATUS_OK && changes == 2);
    bosbase_string_free(exported);
    bosbase_string_free(tok);
    bosbase_client_free(a);
    bosbase_client_free(b);
}

static void test_filter(void) {
    char *f = NULL;
    CHECK(bosbase_filter("email = {:e} && n > {:n}", "{\"e\":\"x\\\\' || true || '\",\"n\":2}", &f, NULL) == BOSBASE_STATUS_OK);
    CHECK(f && strcmp(f, "email = 'x\\\\' || true || \\'' && n > 2") == 0);
    if (f) printf("filter: %s\n", f);
    bosbase_string_free(f);
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_filter("a = {:x}", "[1]", &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_filter(NULL, "{}", &r, &e));
    EXPECT_ERR(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_filter("a = {:x}", "{\"x\":\"ends\\\\\"}", &r, &e));
}

struct shared {
    BosbaseClient *pb;
    const char *token;
    int errors;
    pthread_mutex_t lock;
};

static void *worker(void *arg) {
    struct shared *sh = arg;
    for (int i = 0; i < 25; i++) {
        char *r = NULL, *e = NULL;
        BosbaseStatus s = bosbase_auth_with_token(sh->pb, "users", sh->token, NULL, &r, &e);
        if (s != BOSBASE_STATUS_OK || !strstr(r, "user@example.com")) {
            pthread_mutex_lock(&sh->lock);
            sh->errors++;
            pthread_mutex_unlock(&sh->lock);
        }
        bosbase_string_free(r);
        bosbase_string_free(e);
    }
    return NULL;
}

static void test_threads(void) {
    struct shared sh = {new_client(url), NULL, 0, PTHREAD_MUTEX_INITIALIZER};
    char *token = fresh_token();
    sh.token = token;
    char *bound = NULL;
    CHECK(bosbase_bind_custom_token(sh.pb, "users", "user@example.com", "user-password", token, NULL, &bound, NULL) == BOSBASE_STATUS_OK);
    bosbase_string_free(bound);
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) CHECK(pthread_create(&threads[i], NULL, worker, &sh) == 0);
    for (int i = 0; i < 8; i++) pthread_join(threads[i], NULL);
    CHECK(sh.errors == 0);
    bosbase_string_free(token);
    bosbase_client_free(sh.pb);
}

int main(void) {
    url = dev_server_url();
    size_t live = bosbase_live_clients();
    test_flow("users", "user@example.com", "user-password");
    test_flow("_superusers", "admin@example.com", "admin-password");
    test_null_arguments();
    test_invalid_utf8_and_json();
    test_server_errors();
    test_mfa();
    test_auth_store();
    test_threads();
    test_filter();
    CHECK(bosbase_live_clients() == live);
    printf("c-abi: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
