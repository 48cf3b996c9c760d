/* Realtime through the C ABI against the dev server (BOSBASE_URL): record events in order,
 * a record-id topic, a filter, unsubscribe (also from inside the callback), state
 * callbacks, argument checks, and 100 subscribe/unsubscribe cycles. Built with ASan/UBSan
 * (leaks included). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"

static const char *url;

/* What a callback received: up to 64 event JSON texts. */
struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int count;
    char *items[64];
    BosbaseSubscription *self; /* for the unsubscribe-from-inside test */
    int unsubscribe_inside;
    uint64_t last_seq; /* sequence numbers seen: 1, 2, ... with no gap (no drops here) */
    int gaps, mismatches, states;
};

static void inbox_init(struct inbox *in) {
    memset(in, 0, sizeof *in);
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->changed, NULL);
}

static void inbox_free(struct inbox *in) {
    for (int i = 0; i < in->count && i < 64; i++) free(in->items[i]);
    pthread_mutex_destroy(&in->lock);
    pthread_cond_destroy(&in->changed);
}

/* The JSON "type" each kind carries. */
static const char *type_of(BosbaseEventKind kind) {
    switch (kind) {
    case BOSBASE_EVENT_EVENT: return "\"type\":\"event\"";
    case BOSBASE_EVENT_SUBSCRIBED: return "\"type\":\"subscribed\"";
    case BOSBASE_EVENT_ERROR: return "\"type\":\"error\"";
    case BOSBASE_EVENT_STATE: return "\"type\":\"state\"";
    default: return "?";
    }
}

/* A state listener (bosbase_realtime_on_state): keeps the JSON. */
/* A pull subscription's ready callback: counts its calls. */
struct ready {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int calls;
};

static void on_ready(void *user_data) {
    struct ready *r = user_data;
    pthread_mutex_lock(&r->lock);
    r->calls++;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

/* Waits up to 10 s for at least `want` ready calls; returns the count. */
static int wait_ready_calls(struct ready *r, int want) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&r->lock);
    while (r->calls < want && pthread_cond_timedwait(&r->changed, &r->lock, &until) == 0) {
    }
    int n = r->calls;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static void on_state(void *user_data, const char *json) {
    struct inbox *in = user_data;
    pthread_mutex_lock(&in->lock);
    if (in->count < 64) in->items[in->count] = strdup(json);
    in->count++;
    pthread_cond_broadcast(&in->changed);
    pthread_mutex_unlock(&in->lock);
}

/* A push subscription's callback: checks kind and sequence, keeps every non-state JSON. */
static void on_event(void *user_data, BosbaseEventKind kind, uint64_t sequence, const char *json) {
    struct inbox *in = user_data;
    pthread_mutex_lock(&in->lock);
    in->gaps += sequence != in->last_seq + 1;
    in->last_seq = sequence;
    in->mismatches += strstr(json, type_of(kind)) == NULL;
    if (kind == BOSBASE_EVENT_STATE) {
        in->states++;
        pthread_cond_broadcast(&in->changed);
        pthread_mutex_unlock(&in->lock);
        return;
    }
    if (in->count < 64) in->items[in->count] = strdup(json);
    in->count++;
    pthread_cond_broadcast(&in->changed);
    int inside = in->unsubscribe_inside && strstr(json, "\"type\":\"event\"") != NULL;
    pthread_mutex_unlock(&in->lock);
    if (inside) bosbase_subscription_unsubscribe(in->self); /* must not deadlock */
}

/* Number of items containing `needle`, after waiting up to 10 s for at least `want`. */
static int wait_count(struct inbox *in, const char *needle, int want) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    int n = 0;
    pthread_mutex_lock(&in->lock);
    for (;;) {
        n = 0;
        for (int i = 0; i < in->count && i < 64; i++) n += strstr(in->items[i], needle) != NULL;
        if (n >= want || pthread_cond_timedwait(&in->changed, &in->lock, &until) != 0) break;
    }
    pthread_mutex_unlock(&in->lock);
    return n;
}

static void copy_id(const char *json, const char *after, char *id, size_t size) {
    const char *p = strstr(json, after);
    p = p ? strstr(p, "\"id\":\"") : NULL;
    snprintf(id, size, "%.*s", p ? (int)strcspn(p + 6, "\"") : 0, p ? p + 6 : "");
}

static BosbaseClient *signed_in(const char *email, const char *password, char *id, size_t size) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    char args[256], *r = NULL, *e = NULL;
    snprintf(args, sizeof args, "{\"collection\":\"users\",\"identity\":\"%s\",\"password\":\"%s\"}", email, password);
    CHECK(bosbase_call(pb, "records.authWithPassword", args, NULL, &r, &e) == BOSBASE_STATUS_OK);
    if (r) copy_id(r, "\"record\"", id, size);
    bosbase_string_free(r);
    bosbase_string_free(e);
    return pb;
}

static void post(BosbaseClient *pb, const char *method, const char *path, const char *body, char *id, size_t size) {
    char options[512], *r = NULL, *e = NULL;
    snprintf(options, sizeof options, "{\"method\":\"%s\",\"body\":%s}", method, body ? body : "null");
    BosbaseStatus s = bosbase_send(pb, path, options, &r, &e);
    CHECK(s == BOSBASE_STATUS_OK);
    if (s != BOSBASE_STATUS_OK) fprintf(stderr, "  %s %s: %s\n", method, path, e);
    if (r && id) copy_id(r, "", id, size);
    bosbase_string_free(r);
    bosbase_string_free(e);
}

static void create_post(BosbaseClient *pb, const char *author, const char *title, char *id, size_t size) {
    char body[256];
    snprintf(body, sizeof body, "{\"title\":\"%s\",\"author\":\"%s\"}", title, author);
    post(pb, "POST", "/api/collections/posts/records", body, id, size);
}

static void record_path(char *path, size_t size, const char *id) {
    snprintf(path, size, "/api/collections/posts/records/%s", id);
}

static void test_record_events_in_order(void) {
    char me[32], id[32], path[128];
    BosbaseClient *listener = signed_in("user@example.com", "user-password", me, sizeof me);
    BosbaseClient *writer = signed_in("user@example.com", "user-password", me, sizeof me);
    struct inbox in;
    inbox_init(&in);
    BosbaseSubscription *sub = NULL;
    CHECK(bosbase_collection_subscribe(listener, "posts", "*", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(sub, 10000, NULL) == BOSBASE_STATUS_OK);
    CHECK(wait_count(&in, "\"type\":\"subscribed\"", 1) == 1);

    create_post(writer, me, "c-first", id, sizeof id);
    record_path(path, sizeof path, id);
    post(writer, "PATCH", path, "{\"title\":\"c-second\"}", NULL, 0);
    post(writer, "DELETE", path, NULL, NULL, 0);
    CHECK(wait_count(&in, "\"type\":\"event\"", 3) == 3);
    pthread_mutex_lock(&in.lock);
    CHECK(in.count == 4);
    CHECK(in.count >= 4 && strstr(in.items[1], "\"event\":\"create\"") && strstr(in.items[1], "c-first"));
    CHECK(in.count >= 4 && strstr(in.items[2], "\"event\":\"update\"") && strstr(in.items[2], "c-second"));
    CHECK(in.count >= 4 && strstr(in.items[3], "\"event\":\"delete\"") && strstr(in.items[3], id));
    CHECK(in.count >= 4 && strstr(in.items[3], "\"topic\":\"posts/*\""));
    CHECK(in.gaps == 0 && in.mismatches == 0);
    CHECK(in.states == 1); /* {"type":"state","state":"connected"} */
    pthread_mutex_unlock(&in.lock);
    CHECK(bosbase_subscription_dropped(sub) == 0);
    CHECK(bosbase_subscription_is_active(sub));

    /* Unsubscribed: nothing more arrives. */
    bosbase_subscription_unsubscribe(sub);
    CHECK(!bosbase_subscription_is_active(sub));
    create_post(writer, me, "c-after-unsubscribe", id, sizeof id);
    usleep(300 * 1000);
    pthread_mutex_lock(&in.lock);
    CHECK(in.count == 4);
    pthread_mutex_unlock(&in.lock);
    record_path(path, sizeof path, id);
    post(writer, "DELETE", path, NULL, NULL, 0);
    bosbase_subscription_free(sub);
    inbox_free(&in);
    bosbase_client_free(writer);
    bosbase_client_free(listener);
}

static void test_record_topic_and_filter(void) {
    char me[32], a[32], b[32], path[128];
    BosbaseClient *listener = signed_in("user@example.com", "user-password", me, sizeof me);
    BosbaseClient *writer = signed_in("user@example.com", "user-password", me, sizeof me);
    create_post(writer, me, "c-topic-a", a, sizeof a);
    create_post(writer, me, "c-topic-b", b, sizeof b);
    struct inbox one, filtered;
    inbox_init(&one);
    inbox_init(&filtered);
    BosbaseSubscription *s1 = NULL, *s2 = NULL;
    CHECK(bosbase_collection_subscribe(listener, "posts", a, NULL, on_event, NULL, &one, &s1, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_realtime_subscribe(listener, "posts/*", "{\"filter\":\"title ~ 'c-keep'\"}", on_event, NULL, &filtered,
                                     &s2, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(s1, 10000, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(s2, 10000, NULL) == BOSBASE_STATUS_OK);

    record_path(path, sizeof path, b);
    post(writer, "PATCH", path, "{\"title\":\"c-drop-b\"}", NULL, 0);
    record_path(path, sizeof path, a);
    post(writer, "PATCH", path, "{\"title\":\"c-keep-a\"}", NULL, 0);
    CHECK(wait_count(&one, "c-keep-a", 1) == 1);
    CHECK(wait_count(&filtered, "c-keep-a", 1) == 1);
    CHECK(wait_count(&one, "c-drop-b", 0) == 0);      /* another record's topic */
    CHECK(wait_count(&filtered, "c-drop-b", 0) == 0); /* filtered out */

    /* Topic unsubscribe leaves the handle valid but inactive. */
    CHECK(bosbase_realtime_unsubscribe(listener, "posts/*", NULL) == BOSBASE_STATUS_OK);
    CHECK(!bosbase_subscription_is_active(s2) && bosbase_subscription_is_active(s1));
    CHECK(bosbase_realtime_unsubscribe_by_prefix(listener, "posts/", NULL) == BOSBASE_STATUS_OK);
    CHECK(!bosbase_subscription_is_active(s1));
    post(writer, "DELETE", path, NULL, NULL, 0);
    record_path(path, sizeof path, b);
    post(writer, "DELETE", path, NULL, NULL, 0);
    bosbase_subscription_free(s1);
    bosbase_subscription_free(s2);
    inbox_free(&one);
    inbox_free(&filtered);
    bosbase_client_free(writer);
    bosbase_client_free(listener);
}

static void test_unsubscribe_inside_callback_and_state(void) {
    char me[32], id[32], path[128];
    BosbaseClient *listener = signed_in("user@example.com", "user-password", me, sizeof me);
    BosbaseClient *writer = signed_in("user@example.com", "user-password", me, sizeof me);
    struct inbox in, states;
    inbox_init(&in);
    inbox_init(&states);
    uint64_t listener_id = 0;
    CHECK(bosbase_realtime_on_state(listener, on_state, &states, &listener_id, NULL) == BOSBASE_STATUS_OK);
    in.unsubscribe_inside = 1;
    CHECK(bosbase_collection_subscribe(listener, "posts", "*", "{}", on_event, NULL, &in, &in.self, NULL) ==
          BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(in.self, 10000, NULL) == BOSBASE_STATUS_OK);
    CHECK(wait_count(&states, "\"state\":\"connected\"", 1) == 1);
    create_post(writer, me, "c-inside-1", id, sizeof id);
    CHECK(wait_count(&in, "c-inside-1", 1) == 1);
    record_path(path, sizeof path, id);
    post(writer, "PATCH", path, "{\"title\":\"c-inside-2\"}", NULL, 0);
    usleep(300 * 1000);
    CHECK(wait_count(&in, "c-inside-2", 0) == 0);
    CHECK(!bosbase_subscription_is_active(in.self));
    post(writer, "DELETE", path, NULL, NULL, 0);
    CHECK(bosbase_realtime_remove_state_listener(listener, listener_id, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_realtime_remove_state_listener(listener, listener_id, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_subscription_free(in.self);
    inbox_free(&in);
    inbox_free(&states);
    bosbase_client_free(writer);
    bosbase_client_free(listener);
}

/* Pull mode: no callback; next() returns the entries as values (kind, sequence) with the
 * JSON, NONE when empty; ready is called once per batch (re-armed by seeing NONE). */
static void test_pull_mode(void) {
    char me[32], id[32], path[128];
    BosbaseClient *listener = signed_in("user@example.com", "user-password", me, sizeof me);
    BosbaseClient *writer = signed_in("user@example.com", "user-password", me, sizeof me);
    struct ready r = {.calls = 0};
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.changed, NULL);
    BosbaseSubscription *sub = NULL;
    CHECK(bosbase_collection_subscribe(listener, "posts", "*", NULL, NULL, on_ready, &r, &sub, NULL) ==
          BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(sub, 10000, NULL) == BOSBASE_STATUS_OK);
    CHECK(wait_ready_calls(&r, 1) >= 1);
    usleep(200 * 1000); /* the state entry follows the subscribed one */
    BosbaseEventKind kind = BOSBASE_EVENT_EVENT;
    uint64_t seq = 99;
    char *json = NULL;
    CHECK(bosbase_subscription_next(sub, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK);
    CHECK(kind == BOSBASE_EVENT_SUBSCRIBED && seq == 1 && json && strstr(json, "\"type\":\"subscribed\""));
    bosbase_string_free(json);
    CHECK(bosbase_subscription_next(sub, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK);
    CHECK(kind == BOSBASE_EVENT_STATE && seq == 2 && json && strstr(json, "\"state\":\"connected\""));
    bosbase_string_free(json);
    json = (char *)"untouched";
    CHECK(bosbase_subscription_next(sub, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK);
    CHECK(kind == BOSBASE_EVENT_NONE && seq == 0 && json == NULL);
    CHECK(wait_ready_calls(&r, 1) == 1); /* one batch so far, one call */

    /* Three events while nobody reads: one ready call for the batch. */
    create_post(writer, me, "c-pull", id, sizeof id);
    record_path(path, sizeof path, id);
    post(writer, "PATCH", path, "{\"title\":\"c-pull-2\"}", NULL, 0);
    post(writer, "DELETE", path, NULL, NULL, 0);
    CHECK(wait_ready_calls(&r, 2) == 2);
    usleep(300 * 1000);
    CHECK(wait_ready_calls(&r, 2) == 2);
    const char *actions[] = {"\"event\":\"create\"", "\"event\":\"update\"", "\"event\":\"delete\""};
    /* Read as they come: on a loaded machine the update and delete may still be on their way
     * after the 300 ms (seen once at load 28). A NONE re-arms the ready call, so the "one call
     * for the batch" count is checked only when the batch was read in one go. */
    int nones = 0;
    for (int i = 0; i < 3 && nones <= 100;) {
        json = NULL;
        CHECK(bosbase_subscription_next(sub, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK);
        if (kind == BOSBASE_EVENT_NONE) {
            nones++;
            usleep(100 * 1000);
            continue;
        }
        CHECK(kind == BOSBASE_EVENT_EVENT && seq == (uint64_t)(3 + i) && json && strstr(json, actions[i]));
        bosbase_string_free(json);
        i++;
    }
    CHECK(nones <= 100);
    if (nones == 0)
        CHECK(wait_ready_calls(&r, 2) == 2);
    CHECK(bosbase_subscription_next(sub, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK && kind == BOSBASE_EVENT_NONE);
    CHECK(bosbase_subscription_dropped(sub) == 0 && bosbase_subscription_is_active(sub));
    CHECK(bosbase_subscription_next(sub, NULL, &seq, &json, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_subscription_next(NULL, &kind, &seq, &json, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);

    /* A push subscription has no queue to read. */
    struct inbox in;
    inbox_init(&in);
    BosbaseSubscription *push = NULL;
    CHECK(bosbase_realtime_subscribe(listener, "posts/*", NULL, on_event, NULL, &in, &push, NULL) == BOSBASE_STATUS_OK);
    char *e = NULL;
    CHECK(bosbase_subscription_next(push, &kind, &seq, &json, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(has_kind(e, "invalid_argument"));
    bosbase_string_free(e);
    bosbase_subscription_free(push);
    inbox_free(&in);

    /* Unsubscribed: NONE, and the ready callback is never called again. */
    int calls = wait_ready_calls(&r, 0);
    bosbase_subscription_unsubscribe(sub);
    create_post(writer, me, "c-pull-after", id, sizeof id);
    usleep(300 * 1000);
    CHECK(wait_ready_calls(&r, 0) == calls);
    CHECK(bosbase_subscription_next(sub, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK && kind == BOSBASE_EVENT_NONE);
    record_path(path, sizeof path, id);
    post(writer, "DELETE", path, NULL, NULL, 0);
    bosbase_subscription_free(sub);
    pthread_mutex_destroy(&r.lock);
    pthread_cond_destroy(&r.changed);
    bosbase_client_free(writer);
    bosbase_client_free(listener);
}

static void test_arguments(void) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    struct inbox in;
    inbox_init(&in);
    BosbaseSubscription *sub = NULL;
    char *e = NULL;
    CHECK(bosbase_realtime_subscribe(NULL, "t", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_realtime_subscribe(pb, NULL, NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_realtime_subscribe(pb, "t", NULL, on_event, on_ready, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_realtime_subscribe(pb, "t", NULL, on_event, NULL, &in, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_realtime_subscribe(pb, "", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_realtime_subscribe(pb, "\xff", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_realtime_subscribe(pb, "t", "{", on_event, NULL, &in, &sub, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(has_kind(e, "invalid_argument"));
    bosbase_string_free(e);
    CHECK(bosbase_realtime_subscribe(pb, "t", "{\"filtre\":\"x\"}", on_event, NULL, &in, &sub, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_collection_subscribe(pb, "", "*", NULL, on_event, NULL, &in, &sub, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(sub == NULL);
    CHECK(bosbase_subscription_wait(NULL, 1, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_subscription_dropped(NULL) == 0 && !bosbase_subscription_is_active(NULL));
    bosbase_subscription_unsubscribe(NULL);
    bosbase_subscription_free(NULL);
    CHECK(bosbase_realtime_unsubscribe(pb, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_realtime_on_state(pb, NULL, NULL, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);

    /* A custom topic is accepted by the server; closing the client ends it, and the handle
     * outlives the client. */
    CHECK(bosbase_realtime_subscribe(pb, "custom-topic", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(sub, 10000, NULL) == BOSBASE_STATUS_OK);
    bosbase_client_close(pb);
    CHECK(!bosbase_subscription_is_active(sub));
    CHECK(bosbase_subscription_wait(sub, 10, NULL) == BOSBASE_STATUS_CLOSED);
    BosbaseSubscription *late = NULL;
    CHECK(bosbase_realtime_subscribe(pb, "t", NULL, on_event, NULL, &in, &late, NULL) == BOSBASE_STATUS_CLOSED);
    bosbase_client_free(pb);
    bosbase_subscription_free(sub);
    inbox_free(&in);
}

/* Re-login as another user: after the reconnect (state callback), events follow the new
 * user's owner-only rules. */
static void test_relogin(void) {
    char me[32], u1[32], u2[32], p1[32], p2[32], p3[32], path[128];
    BosbaseClient *listener = signed_in("user@example.com", "user-password", me, sizeof me);
    BosbaseClient *w1 = signed_in("user@example.com", "user-password", u1, sizeof u1);
    BosbaseClient *w2 = signed_in("user2@example.com", "user2-password", u2, sizeof u2);
    struct inbox in, states;
    inbox_init(&in);
    inbox_init(&states);
    uint64_t lid = 0;
    CHECK(bosbase_realtime_on_state(listener, on_state, &states, &lid, NULL) == BOSBASE_STATUS_OK);
    BosbaseSubscription *sub = NULL;
    CHECK(bosbase_collection_subscribe(listener, "posts", "*", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(sub, 10000, NULL) == BOSBASE_STATUS_OK);
    create_post(w2, u2, "c-relogin-hidden", p1, sizeof p1);
    create_post(w1, u1, "c-relogin-user1", p2, sizeof p2);
    CHECK(wait_count(&in, "c-relogin-user1", 1) == 1);

    char *r = NULL;
    CHECK(bosbase_call(listener, "records.authWithPassword",
                       "{\"collection\":\"users\",\"identity\":\"user2@example.com\",\"password\":\"user2-password\"}",
                       NULL, &r, NULL) == BOSBASE_STATUS_OK);
    bosbase_string_free(r);
    CHECK(wait_count(&states, "\"state\":\"reconnected\"", 1) == 1);
    CHECK(wait_count(&states, "the login changed", 1) == 1);
    create_post(w2, u2, "c-relogin-user2", p3, sizeof p3);
    CHECK(wait_count(&in, "c-relogin-user2", 1) == 1);
    CHECK(wait_count(&in, "c-relogin-hidden", 0) == 0);

    bosbase_subscription_free(sub);
    record_path(path, sizeof path, p1);
    post(w2, "DELETE", path, NULL, NULL, 0);
    record_path(path, sizeof path, p2);
    post(w1, "DELETE", path, NULL, NULL, 0);
    record_path(path, sizeof path, p3);
    post(w2, "DELETE", path, NULL, NULL, 0);
    inbox_free(&in);
    inbox_free(&states);
    bosbase_client_free(w2);
    bosbase_client_free(w1);
    bosbase_client_free(listener);
}

/* Starts target/bosbase-devserver (or $BOSBASE_DEVSERVER_BIN) on `port` with `dir`; waits
 * until it answers. Returns its pid. */
static pid_t start_server(int port, const char *dir) {
    const char *bin = getenv("BOSBASE_DEVSERVER_BIN") ? getenv("BOSBASE_DEVSERVER_BIN") : "target/bosbase-devserver";
    char http[64], data[256], base[64];
    snprintf(http, sizeof http, "--http=127.0.0.1:%d", port);
    snprintf(data, sizeof data, "--dir=%s", dir);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(bin, bin, "serve", http, data, "--demo", (char *)NULL);
        _exit(127);
    }
    BosbaseClient *probe = NULL;
    CHECK(bosbase_client_new(base, NULL, &probe, NULL) == BOSBASE_STATUS_OK);
    for (int i = 0; i < 300; i++) {
        char *r = NULL;
        if (bosbase_send(probe, "/api/health", NULL, &r, NULL) == BOSBASE_STATUS_OK) {
            bosbase_string_free(r);
            break;
        }
        usleep(100 * 1000);
    }
    bosbase_client_free(probe);
    return pid;
}

/* The server restarted on the same port: disconnected, reconnected, events resume. */
static void test_server_restart(void) {
    char url_buf[64], dir[] = "/tmp/bosbase-c-realtime-XXXXXX", me[32], id[32], path[128];
    int fd = silent_listener(url_buf, sizeof url_buf); /* a free port */
    close(fd);
    int port = atoi(strrchr(url_buf, ':') + 1);
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    pid_t server = start_server(port, dir);
    const char *saved = url;
    url = url_buf;
    BosbaseClient *listener = signed_in("user@example.com", "user-password", me, sizeof me);
    BosbaseClient *writer = signed_in("user@example.com", "user-password", me, sizeof me);
    url = saved;
    struct inbox in, states;
    inbox_init(&in);
    inbox_init(&states);
    uint64_t lid = 0;
    CHECK(bosbase_realtime_on_state(listener, on_state, &states, &lid, NULL) == BOSBASE_STATUS_OK);
    BosbaseSubscription *sub = NULL;
    CHECK(bosbase_collection_subscribe(listener, "posts", "*", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(sub, 10000, NULL) == BOSBASE_STATUS_OK);
    CHECK(wait_count(&states, "\"state\":\"connected\"", 1) == 1);

    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    CHECK(wait_count(&states, "\"state\":\"disconnected\"", 1) == 1);
    usleep(500 * 1000);
    server = start_server(port, dir);
    CHECK(wait_count(&states, "\"state\":\"reconnected\"", 1) == 1);
    create_post(writer, me, "c-after-restart", id, sizeof id);
    CHECK(wait_count(&in, "c-after-restart", 1) == 1);
    record_path(path, sizeof path, id);
    post(writer, "DELETE", path, NULL, NULL, 0);

    bosbase_subscription_free(sub);
    bosbase_client_free(writer);
    bosbase_client_free(listener);
    inbox_free(&in);
    inbox_free(&states);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CHECK(system(rm) == 0);
}

static void test_cycles(void) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    struct inbox in;
    inbox_init(&in);
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        BosbaseSubscription *sub = NULL;
        if (bosbase_realtime_subscribe(pb, "cycle-topic", NULL, on_event, NULL, &in, &sub, NULL) != BOSBASE_STATUS_OK) break;
        ok += bosbase_subscription_wait(sub, 10000, NULL) == BOSBASE_STATUS_OK;
        bosbase_subscription_free(sub);
    }
    CHECK(ok == 100);
    bosbase_client_free(pb);
    inbox_free(&in);
}

int main(void) {
    url = dev_server_url();
    test_record_events_in_order();
    test_record_topic_and_filter();
    test_unsubscribe_inside_callback_and_state();
    test_pull_mode();
    test_arguments();
    test_relogin();
    test_server_restart();
    test_cycles();
    CHECK(bosbase_live_clients() == 0);
    printf("realtime_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
