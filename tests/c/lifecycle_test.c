/* Client lifetime through the C ABI against the dev server (BOSBASE_URL), built with
 * ASan/UBSan: bosbase_client_close from an auth-change callback while the login that ran it
 * is a bosbase_call_async call; two clients closing each other from their callbacks (auth
 * changes on blocking calls, async completions, realtime events); freeing a client from its own
 * callbacks; and every entry point that takes a client racing bosbase_client_close, then
 * the free (no callback may start after close returned). A deadlock fails the test within
 * BOUND seconds instead of hanging it. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"

#define BOUND 10
#define LOGIN "{\"collection\":\"users\",\"identity\":\"user@example.com\",\"password\":\"user-password\"}"

static const char *url;

/* ---- a counter to wait on, with a bound ---- */

struct counter {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int n;
    BosbaseStatus last;
};
#define COUNTER_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, BOSBASE_STATUS_OK}

static void bump(struct counter *c, BosbaseStatus status) {
    pthread_mutex_lock(&c->lock);
    c->n++;
    c->last = status;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

/* Waits until c->n >= want, at most `seconds`; returns whether it got there. */
static int wait_count(struct counter *c, int want, int seconds) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    while (c->n < want && rc == 0) rc = pthread_cond_timedwait(&c->changed, &c->lock, &until);
    int ok = c->n >= want;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

/* A deadlock cannot be cleaned up: report it and stop here. */
static void must(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "%s: still blocked after %d s (deadlock)\n", what, BOUND);
        _exit(1);
    }
}

/* Both sides are inside their callbacks before either closes: the wait cycle is certain. */
static struct counter meeting = COUNTER_INIT;
static void meet(void) {
    bump(&meeting, BOSBASE_STATUS_OK);
    wait_count(&meeting, 2, 5);
}

static BosbaseClient *new_client(void) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    return pb;
}

static BosbaseStatus health(BosbaseClient *pb) {
    char *r = NULL;
    BosbaseStatus s = bosbase_call(pb, "health.check", NULL, NULL, &r, NULL);
    bosbase_string_free(r);
    return s;
}

static void on_done(void *user_data, BosbaseStatus status, const char *result_json, const char *error_json) {
    (void)result_json;
    (void)error_json;
    bump(user_data, status);
}

/* ---- close from an auth-change callback during an async login ---- */

struct closer {
    BosbaseClient *target;
    int fired; /* atomic */
};

static void close_on_change(void *user_data, const char *token, const char *record_json) {
    struct closer *c = user_data;
    (void)token;
    (void)record_json;
    if (__atomic_fetch_add(&c->fired, 1, __ATOMIC_SEQ_CST) == 0) { /* the first change only: close runs once */
        bosbase_client_close(c->target);
    }
}

static void test_close_from_a_listener_during_an_async_login(void) {
    BosbaseClient *pb = new_client();
    struct closer self = {pb, 0};
    uint64_t id = 0;
    CHECK(bosbase_auth_store_on_change(pb, close_on_change, &self, &id, NULL) == BOSBASE_STATUS_OK);
    struct counter done = COUNTER_INIT;
    BosbaseCall *call = NULL;
    CHECK(bosbase_call_async(pb, "records.authWithPassword", LOGIN, NULL, on_done, &done, &call, NULL) ==
          BOSBASE_STATUS_OK);
    must(wait_count(&done, 1, BOUND), "async login whose auth callback closes the client");
    CHECK(done.last == BOSBASE_STATUS_OK); /* the call running the callback finishes normally */
    CHECK(self.fired == 1);
    CHECK(health(pb) == BOSBASE_STATUS_CLOSED);
    bosbase_call_free(call);
    bosbase_client_free(pb);
}

/* ---- two clients closing each other from their callbacks ---- */

struct side {
    BosbaseClient *own, *other;
    BosbaseStatus status;
    struct counter *done;
};

static void close_other_on_change(void *user_data, const char *token, const char *record_json) {
    struct side *s = user_data;
    (void)token;
    (void)record_json;
    meet();
    bosbase_client_close(s->other);
}

static void *login_thread(void *arg) {
    struct side *s = arg;
    char *r = NULL;
    s->status = bosbase_call(s->own, "records.authWithPassword", LOGIN, NULL, &r, NULL);
    bosbase_string_free(r);
    bump(s->done, s->status);
    return NULL;
}

static void test_clients_closing_each_other_from_auth_callbacks(void) {
    meeting.n = 0;
    BosbaseClient *a = new_client(), *b = new_client();
    struct counter done = COUNTER_INIT;
    struct side sa = {a, b, BOSBASE_STATUS_PANIC, &done}, sb = {b, a, BOSBASE_STATUS_PANIC, &done};
    uint64_t id = 0;
    CHECK(bosbase_auth_store_on_change(a, close_other_on_change, &sa, &id, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_auth_store_on_change(b, close_other_on_change, &sb, &id, NULL) == BOSBASE_STATUS_OK);
    pthread_t ta, tb;
    pthread_create(&ta, NULL, login_thread, &sa);
    pthread_create(&tb, NULL, login_thread, &sb);
    must(wait_count(&done, 2, BOUND), "two blocking logins whose auth callbacks close each other's client");
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(sa.status == BOSBASE_STATUS_OK && sb.status == BOSBASE_STATUS_OK);
    CHECK(health(a) == BOSBASE_STATUS_CLOSED && health(b) == BOSBASE_STATUS_CLOSED);
    bosbase_client_free(a);
    bosbase_client_free(b);
}

static void close_other_on_done(void *user_data, BosbaseStatus status, const char *result_json, const char *error_json) {
    struct side *s = user_data;
    (void)result_json;
    (void)error_json;
    s->status = status;
    meet();
    bosbase_client_close(s->other);
    bump(s->done, status);
}

static void test_clients_closing_each_other_from_completions(void) {
    meeting.n = 0;
    BosbaseClient *a = new_client(), *b = new_client();
    struct counter done = COUNTER_INIT;
    struct side sa = {a, b, BOSBASE_STATUS_PANIC, &done}, sb = {b, a, BOSBASE_STATUS_PANIC, &done};
    BosbaseCall *ca = NULL, *cb = NULL;
    CHECK(bosbase_call_async(a, "health.check", NULL, NULL, close_other_on_done, &sa, &ca, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_call_async(b, "health.check", NULL, NULL, close_other_on_done, &sb, &cb, NULL) == BOSBASE_STATUS_OK);
    must(wait_count(&done, 2, BOUND), "two completions closing each other's client");
    CHECK(sa.status == BOSBASE_STATUS_OK && sb.status == BOSBASE_STATUS_OK);
    bosbase_call_free(ca);
    bosbase_call_free(cb);
    bosbase_client_free(a); /* outside callbacks: waits for what still runs, then frees */
    bosbase_client_free(b);
}

struct event_side {
    BosbaseClient *other;
    int fired; /* atomic */
    struct counter *done;
};

/* The first realtime event (the "subscribed" notice) of each client closes the other one. */
static void close_other_on_event(void *user_data, BosbaseEventKind kind, uint64_t sequence, const char *event_json) {
    (void)kind;
    (void)sequence;
    struct event_side *s = user_data;
    (void)event_json;
    if (__atomic_fetch_add(&s->fired, 1, __ATOMIC_SEQ_CST) != 0) return;
    meet();
    bosbase_client_close(s->other);
    bump(s->done, BOSBASE_STATUS_OK);
}

static void test_clients_closing_each_other_from_realtime_callbacks(void) {
    meeting.n = 0;
    BosbaseClient *a = new_client(), *b = new_client();
    struct counter done = COUNTER_INIT;
    struct event_side sa = {b, 0, &done}, sb = {a, 0, &done};
    BosbaseSubscription *suba = NULL, *subb = NULL;
    CHECK(bosbase_collection_subscribe(a, "posts", "*", NULL, close_other_on_event, NULL, &sa, &suba, NULL) ==
          BOSBASE_STATUS_OK);
    CHECK(bosbase_collection_subscribe(b, "posts", "*", NULL, close_other_on_event, NULL, &sb, &subb, NULL) ==
          BOSBASE_STATUS_OK);
    must(wait_count(&done, 2, BOUND), "two realtime callbacks closing each other's client");
    CHECK(!bosbase_subscription_is_active(suba) && !bosbase_subscription_is_active(subb));
    bosbase_client_free(a);
    bosbase_client_free(b);
    bosbase_subscription_free(suba);
    bosbase_subscription_free(subb);
}

/* ---- freeing a client from its own callbacks (ASan checks nothing touches it after) ---- */

struct freer {
    BosbaseClient *pb;
    struct counter done;
};

static void free_on_done(void *user_data, BosbaseStatus status, const char *result_json, const char *error_json) {
    struct freer *f = user_data;
    (void)result_json;
    (void)error_json;
    bosbase_client_free(f->pb);
    bump(&f->done, status);
}

static void free_on_change(void *user_data, const char *token, const char *record_json) {
    struct freer *f = user_data;
    (void)token;
    (void)record_json;
    if (f->done.n++ == 0) bosbase_client_free(f->pb);
}

static void free_on_event(void *user_data, BosbaseEventKind kind, uint64_t sequence, const char *event_json) {
    (void)kind;
    (void)sequence;
    struct freer *f = user_data;
    (void)event_json;
    if (f->done.n == 0) bosbase_client_free(f->pb);
    bump(&f->done, BOSBASE_STATUS_OK);
}

static void wait_live_clients(size_t want) {
    for (int i = 0; i < 500 && bosbase_live_clients() != want; i++) usleep(10000);
    CHECK(bosbase_live_clients() == want);
}

static void test_free_from_own_callbacks(void) {
    size_t before = bosbase_live_clients();
    struct freer f = {new_client(), COUNTER_INIT};
    BosbaseCall *call = NULL;
    CHECK(bosbase_call_async(f.pb, "health.check", NULL, NULL, free_on_done, &f, &call, NULL) == BOSBASE_STATUS_OK);
    must(wait_count(&f.done, 1, BOUND), "a completion freeing its client");
    CHECK(f.done.last == BOSBASE_STATUS_OK);
    bosbase_call_free(call); /* call handles outlive their client */
    wait_live_clients(before);

    struct freer g = {new_client(), COUNTER_INIT};
    uint64_t id = 0;
    CHECK(bosbase_auth_store_on_change(g.pb, free_on_change, &g, &id, NULL) == BOSBASE_STATUS_OK);
    char *r = NULL;
    /* The blocking login runs the callback, which frees the handle; the call still ends well. */
    CHECK(bosbase_call(g.pb, "records.authWithPassword", LOGIN, NULL, &r, NULL) == BOSBASE_STATUS_OK);
    CHECK(r && strstr(r, "\"token\""));
    bosbase_string_free(r);
    wait_live_clients(before);

    struct freer h = {new_client(), COUNTER_INIT};
    BosbaseSubscription *sub = NULL;
    CHECK(bosbase_collection_subscribe(h.pb, "posts", "*", NULL, free_on_event, NULL, &h, &sub, NULL) == BOSBASE_STATUS_OK);
    must(wait_count(&h.done, 1, BOUND), "a realtime callback freeing its client");
    bosbase_subscription_free(sub); /* after its client was freed */
    wait_live_clients(before);
}

/* ---- every entry point racing close; the free comes once the users stopped ---- */

static int close_returned; /* atomic: set right after bosbase_client_close returned */
static int late;           /* atomic: callbacks (other than a CLOSED completion) started after that */

static void note_late(void) {
    if (__atomic_load_n(&close_returned, __ATOMIC_SEQ_CST)) __atomic_add_fetch(&late, 1, __ATOMIC_SEQ_CST);
}
static void on_any_event(void *user_data, BosbaseEventKind kind, uint64_t sequence, const char *json) {
    (void)kind;
    (void)sequence;
    (void)user_data;
    (void)json;
    note_late();
}
static void on_any_state(void *user_data, const char *json) {
    on_any_event(user_data, BOSBASE_EVENT_STATE, 0, json);
}
static void on_any_change(void *user_data, const char *token, const char *record_json) {
    (void)user_data;
    (void)token;
    (void)record_json;
    note_late();
}
static void on_any_done(void *user_data, BosbaseStatus status, const char *result_json, const char *error_json) {
    (void)user_data;
    (void)result_json;
    (void)error_json;
    if (status != BOSBASE_STATUS_CLOSED) note_late();
}

struct racer {
    BosbaseClient *pb;
    int role, rounds;
};

/* Each role loops over some entry points until one that refuses after close says CLOSED. */
static void *race(void *arg) {
    struct racer *r = arg;
    BosbaseClient *pb = r->pb;
    for (;;) {
        BosbaseStatus s = BOSBASE_STATUS_OK;
        char *out = NULL;
        uint64_t id = 0;
        r->rounds++;
        switch (r->role) {
        case 0: {
            BosbaseSubscription *sub = NULL;
            s = bosbase_pubsub_subscribe(pb, "race", NULL, on_any_event, NULL, NULL, &sub, NULL);
            (void)bosbase_pubsub_is_connected(pb);
            bosbase_pubsub_unsubscribe_topic(pb, "race", NULL);
            bosbase_subscription_free(sub);
            break;
        }
        case 1: {
            BosbaseSubscription *sub = NULL;
            s = bosbase_collection_subscribe(pb, "posts", "*", NULL, on_any_event, NULL, NULL, &sub, NULL);
            bosbase_realtime_unsubscribe_by_prefix(pb, "nothing/", NULL);
            bosbase_subscription_free(sub);
            break;
        }
        case 2: {
            BosbaseCall *call = NULL;
            s = bosbase_call_async(pb, "health.check", NULL, NULL, on_any_done, NULL, &call, NULL);
            bosbase_call_free(call);
            call = NULL;
            if (s == BOSBASE_STATUS_OK) s = bosbase_send_async(pb, NULL, "/api/health", NULL, on_any_done, NULL, &call, NULL);
            bosbase_call_free(call);
            break;
        }
        case 3:
            s = bosbase_send(pb, "/api/health", NULL, &out, NULL);
            break;
        case 4:
            s = bosbase_auth_store_save(pb, "", "null", NULL);
            (void)bosbase_auth_store_is_valid(pb);
            if (bosbase_auth_store_export(pb, &out, NULL) == BOSBASE_STATUS_OK) bosbase_string_free(out);
            out = NULL;
            break;
        case 5:
            s = bosbase_auth_store_on_change(pb, on_any_change, NULL, &id, NULL);
            if (s == BOSBASE_STATUS_OK) bosbase_auth_store_remove_listener(pb, id, NULL);
            if (s == BOSBASE_STATUS_OK) s = bosbase_realtime_on_state(pb, on_any_state, NULL, &id, NULL);
            if (s == BOSBASE_STATUS_OK) bosbase_realtime_remove_state_listener(pb, id, NULL);
            break;
        }
        bosbase_string_free(out);
        if (s == BOSBASE_STATUS_CLOSED) return NULL;
        CHECK(s == BOSBASE_STATUS_OK);
        if (s != BOSBASE_STATUS_OK) return NULL;
    }
}

static void test_entry_points_racing_close(void) {
    enum { ROLES = 6, ITERATIONS = 12 };
    size_t before = bosbase_live_clients();
    int rounds = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        BosbaseClient *pb = new_client();
        __atomic_store_n(&close_returned, 0, __ATOMIC_SEQ_CST);
        struct racer racers[ROLES];
        pthread_t th[ROLES];
        for (int i = 0; i < ROLES; i++) {
            racers[i] = (struct racer){pb, i, 0};
            pthread_create(&th[i], NULL, race, &racers[i]);
        }
        usleep((useconds_t)(2000 + 3000 * (it % 5)));
        bosbase_client_close(pb);
        __atomic_store_n(&close_returned, 1, __ATOMIC_SEQ_CST);
        for (int i = 0; i < ROLES; i++) {
            pthread_join(th[i], NULL);
            rounds += racers[i].rounds;
        }
        bosbase_client_free(pb);
    }
    CHECK(__atomic_load_n(&late, __ATOMIC_SEQ_CST) == 0);
    if (late) fprintf(stderr, "  %d callbacks started after close returned\n", late);
    CHECK(rounds > ITERATIONS * ROLES);
    wait_live_clients(before);
}

/* `lifecycle_test N` runs only test N (1-6), e.g. to see each one fail on an older library. */
int main(int argc, char **argv) {
    void (*tests[])(void) = {test_close_from_a_listener_during_an_async_login,
                             test_clients_closing_each_other_from_auth_callbacks,
                             test_clients_closing_each_other_from_completions, test_free_from_own_callbacks,
                             test_entry_points_racing_close, test_clients_closing_each_other_from_realtime_callbacks};
    int only = argc > 1 ? atoi(argv[1]) : 0;
    url = dev_server_url();
    alarm(120); /* a hang anywhere still ends the program */
    for (int i = 0; i < (int)(sizeof tests / sizeof tests[0]); i++) {
        if (only == 0 || only == i + 1) tests[i]();
    }
    printf("lifecycle_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
