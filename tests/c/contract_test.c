/* The C ABI's safety contract against the dev server (BOSBASE_URL): strict base URLs,
 * headers and paths, bounded calls, answers that keep their status, auth-store listeners
 * that keep their promises under many threads, and close. Built with ASan/UBSan, so a
 * listener that ran after removal (its user_data is freed at once) is caught. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"

static const char *url;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static BosbaseClient *client(const char *base, const char *options) {
    BosbaseClient *c = NULL;
    char *e = NULL;
    CHECK(bosbase_client_new(base, options, &c, &e) == BOSBASE_STATUS_OK);
    if (e) fprintf(stderr, "  client_new: %s\n", e);
    bosbase_string_free(e);
    return c;
}

/* The error JSON of the last EXPECT, for further checks; freed by the next one. */
static char *last;

/* Runs `call` (which writes `r` and `e`), expects `want` and `kind`; keeps the error in `last`. */
#define EXPECT(want, kind, call)                                                                         \
    do {                                                                                                 \
        char *r = NULL, *e = NULL;                                                                       \
        BosbaseStatus s_ = (call);                                                                       \
        CHECK(s_ == (want));                                                                             \
        CHECK(has_kind(e, kind));                                                                        \
        if (s_ != (want)) fprintf(stderr, "  got %s: %s\n", bosbase_status_name(s_), e ? e : "(null)"); \
        bosbase_string_free(r);                                                                          \
        bosbase_string_free(last);                                                                       \
        last = e;                                                                                        \
    } while (0)

static void test_base_urls(void) {
    BosbaseClient *c = NULL;
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_client_new("http://127.0.0.1:99999", NULL, &c, &e));
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument",
           bosbase_client_new("http://bob:hunter2@127.0.0.1:8090", NULL, &c, &e));
    CHECK(last && !strstr(last, "hunter2") && strstr(last, "userinfo"));
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument",
           bosbase_client_new(url, "{\"userAgent\":\"a\\u0001b\"}", &c, &e));
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_client_new(url, "{\"timeoutMs\":0}", &c, &e));
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument",
           bosbase_client_new(url, "{\"lang\":\"password=hunter2\",\"timeoutMs\":\"x\"}", &c, &e));
    CHECK(last && strstr(last, "timeoutMs") && !strstr(last, "hunter2"));
    CHECK(c == NULL);
}

static void test_headers_and_paths(void) {
    BosbaseClient *pb = client(url, NULL);
    const char *bad_headers[] = {
        "{\"headers\":{\"Content-Length\":\"1\"}}", "{\"headers\":{\"Host\":\"evil\"}}",
        "{\"headers\":{\"Transfer-Encoding\":\"chunked\"}}", "{\"headers\":{\"Connection\":\"close\"}}",
        "{\"headers\":{\"X-A\":\"a\\u0001\"}}", "{\"headers\":{\"X A\":\"v\"}}",
    };
    for (size_t i = 0; i < sizeof bad_headers / sizeof *bad_headers; i++) {
        EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_send(pb, "/api/health", bad_headers[i], &r, &e));
    }
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument",
           bosbase_send(pb, "/api/health", "{\"query\":\"token=hunter2\"}", &r, &e));
    CHECK(last && strstr(last, "query") && !strstr(last, "hunter2"));
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_send(pb, "/api/health#x", NULL, &r, &e));
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_send(pb, "/api/health?x=1", NULL, &r, &e));
    /* ".." is a collection name here, escaped, not a step up to /api/auth-with-token. */
    EXPECT(BOSBASE_STATUS_HTTP, "http", bosbase_auth_with_token(pb, "..", "t", NULL, &r, &e));
    CHECK(last && strstr(last, "%2E%2E") && (strstr(last, "\"status\":404") || strstr(last, "\"status\":400")));
    /* An import that is not an object is refused and keeps the login. */
    CHECK(bosbase_auth_store_save(pb, "tok", "{\"id\":\"r1\"}", NULL) == BOSBASE_STATUS_OK);
    EXPECT(BOSBASE_STATUS_INVALID_ARGUMENT, "invalid_argument", bosbase_auth_store_import(pb, "[]", &e));
    char *tok = NULL;
    CHECK(bosbase_auth_store_token(pb, &tok, NULL) == BOSBASE_STATUS_OK && tok && strcmp(tok, "tok") == 0);
    bosbase_string_free(tok);
    bosbase_client_free(pb);
}

static void test_bounded_calls_and_status(void) {
    char silent[64];
    int fd = silent_listener(silent, sizeof silent); /* the call below never gets an answer */
    BosbaseClient *pb = client(silent, "{\"timeoutMs\":600}");
    double t0 = now_ms();
    EXPECT(BOSBASE_STATUS_TIMEOUT, "timeout", bosbase_send(pb, "/api/health", NULL, &r, &e));
    double took = now_ms() - t0;
    CHECK(took >= 500 && took < 2000);
    CHECK(last && strstr(last, "\"isAbort\":true"));
    t0 = now_ms();
    EXPECT(BOSBASE_STATUS_TIMEOUT, "timeout", bosbase_send(pb, "/api/health", "{\"timeoutMs\":200}", &r, &e));
    took = now_ms() - t0;
    CHECK(took >= 150 && took < 1200);
    bosbase_client_free(pb);
    close(fd);

    /* Over the size limit: the answer arrived, so its status is kept. */
    pb = client(url, "{\"maxResponseBytes\":10}");
    EXPECT(BOSBASE_STATUS_JSON, "json", bosbase_send(pb, "/api/health", NULL, &r, &e));
    CHECK(last && strstr(last, "\"status\":200") && strstr(last, "limit"));
    EXPECT(BOSBASE_STATUS_HTTP, "http", bosbase_collection_send(pb, "no_such_collection", "/records", NULL, &r, &e));
    CHECK(last && strstr(last, "\"status\":404"));
    bosbase_client_free(pb);
}

/* ---- what reaches the wire: Authorization, connections ---- */

static struct echo_server *echo;

static void *sixteen_calls_worker(void *arg) {
    BosbaseClient *pb = arg;
    for (int i = 0; i < 200; i++) {
        char *r = NULL;
        CHECK(bosbase_send(pb, "/api/x", NULL, &r, NULL) == BOSBASE_STATUS_OK);
        bosbase_string_free(r);
    }
    return NULL;
}

static void test_wire(void) {
    echo = echo_server_start();
    BosbaseClient *pb = client(echo->url, NULL);
    /* The stored token is sent even when the local clock says it expired (exp: 1). */
    const char *expired = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln";
    CHECK(bosbase_auth_store_save(pb, expired, "{\"id\":\"r1\"}", NULL) == BOSBASE_STATUS_OK);
    char *r = NULL;
    CHECK(bosbase_send(pb, "/api/x", NULL, &r, NULL) == BOSBASE_STATUS_OK && r && strstr(r, expired));
    bosbase_string_free(r);
    CHECK(bosbase_auth_store_clear(pb, NULL) == BOSBASE_STATUS_OK);
    /* 16 threads x 200 calls keep to their connections (the default idle limit is 64). */
    int before = __atomic_load_n(&echo->accepted, __ATOMIC_SEQ_CST);
    pthread_t th[16];
    for (int i = 0; i < 16; i++) pthread_create(&th[i], NULL, sixteen_calls_worker, pb);
    for (int i = 0; i < 16; i++) pthread_join(th[i], NULL);
    int opened = __atomic_load_n(&echo->accepted, __ATOMIC_SEQ_CST) - before;
    CHECK(opened <= 16 + 4);
    if (opened > 20) fprintf(stderr, "  16 threads x 200 calls opened %d connections\n", opened);
    bosbase_client_free(pb);
}

/* ---- listeners under many threads ---- */

struct persisted {
    pthread_mutex_t lock;
    char token[64];
    int running;      /* set while the callback runs */
    int removed;      /* set by the test once removal returned */
    int violations;   /* callback started after removal */
};

static void persist(void *user_data, const char *token, const char *record_json) {
    struct persisted *p = user_data;
    (void)record_json;
    __atomic_store_n(&p->running, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&p->removed, __ATOMIC_SEQ_CST)) __atomic_add_fetch(&p->violations, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&p->lock);
    snprintf(p->token, sizeof p->token, "%s", token);
    pthread_mutex_unlock(&p->lock);
    usleep(50);
    __atomic_store_n(&p->running, 0, __ATOMIC_SEQ_CST);
}

struct saver {
    BosbaseClient *pb;
    int id;
};

static void *save_many(void *arg) {
    struct saver *s = arg;
    for (int i = 0; i < 300; i++) {
        char token[32];
        snprintf(token, sizeof token, "t%d-%d", s->id, i);
        CHECK(bosbase_auth_store_save(s->pb, token, "null", NULL) == BOSBASE_STATUS_OK);
    }
    return NULL;
}

static void test_listeners(void) {
    BosbaseClient *pb = client(url, NULL);
    /* In order: the last notification a listener gets carries the final state. */
    struct persisted *p = calloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    uint64_t id = 0;
    CHECK(bosbase_auth_store_on_change(pb, persist, p, &id, NULL) == BOSBASE_STATUS_OK);
    pthread_t th[6];
    struct saver savers[6];
    for (int i = 0; i < 6; i++) {
        savers[i] = (struct saver){pb, i};
        pthread_create(&th[i], NULL, save_many, &savers[i]);
    }
    for (int i = 0; i < 6; i++) pthread_join(th[i], NULL);
    char *final = NULL;
    CHECK(bosbase_auth_store_token(pb, &final, NULL) == BOSBASE_STATUS_OK);
    CHECK(final && strcmp(final, p->token) == 0);
    bosbase_string_free(final);
    CHECK(bosbase_auth_store_remove_listener(pb, id, NULL) == BOSBASE_STATUS_OK);
    pthread_mutex_destroy(&p->lock);
    free(p);

    /* Removed while other threads save: not running when removal returns, never again; the
     * user_data is freed at once, so a late callback is a use-after-free ASan reports. */
    for (int round = 0; round < 5; round++) {
        p = calloc(1, sizeof *p);
        pthread_mutex_init(&p->lock, NULL);
        CHECK(bosbase_auth_store_on_change(pb, persist, p, &id, NULL) == BOSBASE_STATUS_OK);
        for (int i = 0; i < 6; i++) pthread_create(&th[i], NULL, save_many, &savers[i]);
        usleep(2000);
        CHECK(bosbase_auth_store_remove_listener(pb, id, NULL) == BOSBASE_STATUS_OK);
        __atomic_store_n(&p->removed, 1, __ATOMIC_SEQ_CST);
        CHECK(__atomic_load_n(&p->running, __ATOMIC_SEQ_CST) == 0);
        CHECK(__atomic_load_n(&p->violations, __ATOMIC_SEQ_CST) == 0);
        pthread_mutex_destroy(&p->lock);
        free(p);
        for (int i = 0; i < 6; i++) pthread_join(th[i], NULL);
    }
    bosbase_client_free(pb);
}

/* ---- close ---- */

struct caller {
    BosbaseClient *pb;
    int in_call, calls, closed_seen, other;
};

static void *call_until_closed(void *arg) {
    struct caller *c = arg;
    for (;;) {
        char *r = NULL, *e = NULL;
        __atomic_store_n(&c->in_call, 1, __ATOMIC_SEQ_CST);
        BosbaseStatus s = bosbase_send(c->pb, "/api/health", NULL, &r, &e);
        __atomic_store_n(&c->in_call, 0, __ATOMIC_SEQ_CST);
        bosbase_string_free(r);
        if (s == BOSBASE_STATUS_CLOSED) {
            c->closed_seen = has_kind(e, "closed") && strstr(e, "\"status\":0") != NULL;
            bosbase_string_free(e);
            return NULL;
        }
        if (s != BOSBASE_STATUS_OK) c->other++;
        bosbase_string_free(e);
        c->calls++;
    }
}

static void test_close(void) {
    BosbaseClient *pb = client(url, NULL);
    pthread_t th[4];
    struct caller callers[4];
    for (int i = 0; i < 4; i++) {
        callers[i] = (struct caller){pb, 0, 0, 0, 0};
        pthread_create(&th[i], NULL, call_until_closed, &callers[i]);
    }
    usleep(100 * 1000);
    bosbase_client_close(pb);
    bosbase_client_close(pb); /* idempotent */
    EXPECT(BOSBASE_STATUS_CLOSED, "closed", bosbase_send(pb, "/api/health", NULL, &r, &e));
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK(callers[i].calls > 0 && callers[i].closed_seen && callers[i].other == 0);
    }
    bosbase_client_free(pb); /* safe after close */
    bosbase_client_close(NULL);
}

int main(void) {
    url = dev_server_url();
    size_t live = bosbase_live_clients();
    test_base_urls();
    test_headers_and_paths();
    test_bounded_calls_and_status();
    test_wire();
    test_listeners();
    test_close();
    bosbase_string_free(last);
    CHECK(bosbase_live_clients() == live);
    printf("c-contract: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
