/* The all-in-one OAuth2 sign-in through the C ABI, end to end: run as
 * scripts/devserver --demo -- scripts/oauth2-provider -- target/c/oauth2_test
 * (the provider script is the server's "oidc" provider and, with `browse`, the browser).
 * bosbase_auth_with_oauth2 (blocking, URL callback on the caller's thread) and its _async
 * form (URL callback on a worker, completion exactly once, bosbase_call_cancel, deadline).
 * Built with ASan/UBSan. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"
#include "outcome.h"

static const char *url, *provider;

/* What a URL callback saw, and what it should do with the URL. */
struct opener {
    pthread_mutex_t lock;
    pthread_cond_t seen;
    int calls;
    int browse;       /* run the browser on the URL */
    const char *tail; /* appended to the URL by the browser (e.g. "&deny=1") */
    int browsed;      /* the browser's exit status */
    int slow;         /* after signalling the URL, take 400 ms more before returning */
    int left;         /* (atomic) the callback has returned */
    char url[2048];
};

#define OPENER_INIT(browse, tail) {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, browse, tail, -1, 0, 0, ""}

/* Runs `$BOSBASE_OAUTH2_BROWSER browse URL`: 0 when the server took the redirect. */
static int browse(const char *u) {
    const char *browser = getenv("BOSBASE_OAUTH2_BROWSER");
    if (!browser) {
        fprintf(stderr, "run through scripts/oauth2-provider\n");
        exit(2);
    }
    pid_t pid = fork();
    if (pid == 0) {
        execl(browser, browser, "browse", u, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

static void open_url(void *user_data, const char *u) {
    struct opener *o = user_data;
    char full[2100];
    snprintf(full, sizeof full, "%s%s", u, o->tail ? o->tail : "");
    int browsed = o->browse ? browse(full) : -1;
    pthread_mutex_lock(&o->lock);
    o->calls++;
    o->browsed = browsed;
    snprintf(o->url, sizeof o->url, "%s", u);
    pthread_cond_broadcast(&o->seen);
    pthread_mutex_unlock(&o->lock);
    if (o->slow) usleep(400 * 1000);
    __atomic_store_n(&o->left, 1, __ATOMIC_SEQ_CST);
}

static BosbaseClient *client(void) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    return pb;
}

static void test_blocking_sign_in(void) {
    BosbaseClient *pb = client();
    struct opener o = OPENER_INIT(1, NULL);
    char *r = NULL, *e = NULL;
    BosbaseStatus s = bosbase_auth_with_oauth2(pb, "users", provider, "{\"scopes\":[\"openid\",\"email\"]}",
                                               "{\"timeoutMs\":20000}", open_url, &o, &r, &e);
    CHECK(s == BOSBASE_STATUS_OK);
    if (s != BOSBASE_STATUS_OK) fprintf(stderr, "  sign-in: %s\n", e);
    CHECK(o.calls == 1 && o.browsed == 0);
    CHECK(strstr(o.url, "redirect_uri=") && strstr(o.url, "%2Fapi%2Foauth2-redirect") && strstr(o.url, "scope=openid%20email"));
    CHECK(r && strstr(r, "\"email\":\"oauth2-user@example.com\"") && strstr(r, "\"token\""));
    CHECK(bosbase_auth_store_is_valid(pb));
    bosbase_string_free(r);
    bosbase_string_free(e);
    bosbase_client_free(pb);
}

static void test_async_refusal_is_oauth2(void) {
    BosbaseClient *pb = client();
    struct opener o = OPENER_INIT(1, "&deny=1");
    struct outcome done = OUTCOME_INIT;
    BosbaseCall *call = NULL;
    CHECK(bosbase_auth_with_oauth2_async(pb, "users", provider, NULL, "{\"timeoutMs\":20000}", open_url, &o, on_done,
                                         &done, &call, NULL) == BOSBASE_STATUS_OK);
    wait_for(&done, 1);
    CHECK(done.status == BOSBASE_STATUS_OAUTH2 && has_kind(done.text, "oauth2") && strstr(done.text, "access_denied"));
    CHECK(strcmp(bosbase_status_name(BOSBASE_STATUS_OAUTH2), "oauth2") == 0);
    CHECK(o.calls == 1);
    CHECK(!bosbase_auth_store_is_valid(pb));
    bosbase_call_free(call);
    bosbase_client_free(pb);
}

static void test_cancel_saves_nothing(void) {
    BosbaseClient *pb = client();
    struct opener o = OPENER_INIT(0, NULL);
    struct outcome done = OUTCOME_INIT;
    BosbaseCall *call = NULL;
    CHECK(bosbase_auth_with_oauth2_async(pb, "users", provider, NULL, "{\"timeoutMs\":20000}", open_url, &o, on_done,
                                         &done, &call, NULL) == BOSBASE_STATUS_OK);
    pthread_mutex_lock(&o.lock);
    while (o.calls == 0) pthread_cond_wait(&o.seen, &o.lock);
    pthread_mutex_unlock(&o.lock);
    bosbase_call_cancel(call);
    CHECK(done.calls == 1 && done.status == BOSBASE_STATUS_CANCELLED); /* before cancel returned */
    usleep(300 * 1000);
    browse(o.url); /* the user finishes at the provider anyway */
    usleep(300 * 1000);
    CHECK(done.calls == 1);
    CHECK(!bosbase_auth_store_is_valid(pb));
    bosbase_call_free(call);
    bosbase_client_free(pb);
}

/* A cancel while the URL callback runs on a worker waits for it: once the completion ran,
 * the host may free what the URL callback uses. */
static void test_cancel_waits_for_the_url_callback(void) {
    BosbaseClient *pb = client();
    struct opener o = OPENER_INIT(0, NULL);
    o.slow = 1;
    struct outcome done = OUTCOME_INIT;
    BosbaseCall *call = NULL;
    CHECK(bosbase_auth_with_oauth2_async(pb, "users", provider, NULL, "{\"timeoutMs\":20000}", open_url, &o, on_done,
                                         &done, &call, NULL) == BOSBASE_STATUS_OK);
    pthread_mutex_lock(&o.lock);
    while (o.calls == 0) pthread_cond_wait(&o.seen, &o.lock);
    pthread_mutex_unlock(&o.lock);
    bosbase_call_cancel(call); /* the URL callback is still sleeping on the worker */
    CHECK(done.calls == 1 && done.status == BOSBASE_STATUS_CANCELLED);
    CHECK(__atomic_load_n(&o.left, __ATOMIC_SEQ_CST) == 1);
    bosbase_call_free(call);
    bosbase_client_free(pb);
}

static void test_deadline_and_bad_input(void) {
    BosbaseClient *pb = client();
    struct opener o = OPENER_INIT(0, NULL);
    char *r = NULL, *e = NULL;
    CHECK(bosbase_auth_with_oauth2(pb, "users", provider, NULL, "{\"timeoutMs\":1000}", open_url, &o, &r, &e) ==
          BOSBASE_STATUS_TIMEOUT);
    CHECK(has_kind(e, "timeout") && r == NULL && o.calls == 1);
    bosbase_string_free(e);
    e = NULL;
    CHECK(bosbase_auth_with_oauth2(pb, "users", "nope", NULL, NULL, open_url, &o, &r, &e) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(o.calls == 1 && strstr(e, "nope"));
    bosbase_string_free(e);
    CHECK(bosbase_auth_with_oauth2(pb, "users", provider, NULL, NULL, NULL, NULL, &r, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_with_oauth2(pb, "users", provider, "{\"scope\":1}", NULL, open_url, &o, &r, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_with_oauth2(pb, NULL, provider, NULL, NULL, open_url, &o, &r, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    BosbaseCall *call = NULL;
    CHECK(bosbase_auth_with_oauth2_async(pb, "users", provider, NULL, NULL, open_url, &o, NULL, NULL, &call, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(call == NULL && o.calls == 1 && !bosbase_auth_store_is_valid(pb));
    bosbase_client_free(pb);
}

int main(void) {
    url = dev_server_url();
    provider = getenv("BOSBASE_OAUTH2_PROVIDER");
    if (!provider) {
        fprintf(stderr, "BOSBASE_OAUTH2_PROVIDER is not set (run through scripts/oauth2-provider)\n");
        return 2;
    }
    size_t live = bosbase_live_clients();
    test_blocking_sign_in();
    test_async_refusal_is_oauth2();
    test_cancel_saves_nothing();
    test_cancel_waits_for_the_url_callback();
    test_deadline_and_bad_input();
    CHECK(bosbase_live_clients() == live);
    printf("c-oauth2: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
