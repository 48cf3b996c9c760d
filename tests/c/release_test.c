/* bosbase_client_release through the C ABI (ASan/UBSan, leaks included), against the dev
 * server (BOSBASE_URL) and a 127.0.0.1 listener that never answers: released with async calls
 * in flight, realtime push and pull subscriptions and a pub/sub subscription live, it returns
 * at once (the longest return over every run is printed and bounded), `done` comes exactly
 * once, on another thread, after every call's completion, and every client is freed once the
 * subscription handles are. A NULL client gets `done` at once on the caller's thread. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"

#define RUNS 10
#define CALLS 4
/* Generous: a release that joined a thread or waited for a call would take the calls'
 * timeout (1 s) or at least a thread's exit slice (tens of ms). */
#define RETURN_BOUND_MS 50.0

struct run {
    int completions; /* atomic: async calls completed */
    int done;        /* atomic: done calls */
    int completions_at_done;
    pthread_t caller;
    int done_on_caller;
};

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void on_done_call(void *user_data, BosbaseStatus status, const char *result_json, const char *error_json) {
    (void)status;
    (void)result_json;
    (void)error_json;
    struct run *r = user_data;
    __atomic_add_fetch(&r->completions, 1, __ATOMIC_SEQ_CST);
}

static void on_released(void *user_data) {
    struct run *r = user_data;
    r->completions_at_done = __atomic_load_n(&r->completions, __ATOMIC_SEQ_CST);
    r->done_on_caller = pthread_equal(pthread_self(), r->caller);
    __atomic_add_fetch(&r->done, 1, __ATOMIC_SEQ_CST);
}

static void on_event(void *user_data, BosbaseEventKind kind, uint64_t sequence, const char *json) {
    (void)user_data;
    (void)kind;
    (void)sequence;
    (void)json;
}

static void on_ready(void *user_data) {
    (void)user_data;
}

/* Waits (at most 10 s) until every run's done came; returns how many runs saw it. */
static int wait_done(struct run *runs, int n) {
    for (int i = 0; i < 1000; i++) {
        int all = 1;
        for (int k = 0; k < n; k++) all &= __atomic_load_n(&runs[k].done, __ATOMIC_SEQ_CST) >= 1;
        if (all) break;
        usleep(10 * 1000);
    }
    int seen = 0;
    for (int k = 0; k < n; k++) seen += __atomic_load_n(&runs[k].done, __ATOMIC_SEQ_CST) >= 1;
    return seen;
}

/* RUNS clients on `base`, each with CALLS async calls in flight and three subscriptions;
 * releases them all; returns the longest release return time in ms. */
static double release_busy_clients(const char *base, int connected) {
    struct run runs[RUNS];
    BosbaseSubscription *subs[RUNS][3];
    BosbaseClient *clients[RUNS];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < RUNS; i++) {
        CHECK(bosbase_client_new(base, "{\"timeoutMs\":1000,\"connectTimeoutMs\":1000}", &clients[i], NULL) ==
              BOSBASE_STATUS_OK);
        CHECK(bosbase_realtime_subscribe(clients[i], "release-push", NULL, on_event, NULL, NULL, &subs[i][0], NULL) ==
              BOSBASE_STATUS_OK);
        CHECK(bosbase_realtime_subscribe(clients[i], "release-pull", NULL, NULL, on_ready, NULL, &subs[i][1], NULL) ==
              BOSBASE_STATUS_OK);
        CHECK(bosbase_pubsub_subscribe(clients[i], "release", NULL, NULL, NULL, NULL, &subs[i][2], NULL) ==
              BOSBASE_STATUS_OK);
        for (int c = 0; c < CALLS; c++) {
            BosbaseCall *call = NULL;
            CHECK(bosbase_call_async(clients[i], "health.check", NULL, NULL, on_done_call, &runs[i], &call, NULL) ==
                  BOSBASE_STATUS_OK);
            bosbase_call_free(call); /* the call goes on; its completion still comes */
        }
    }
    if (connected) {
        for (int i = 0; i < RUNS; i++) CHECK(bosbase_subscription_wait(subs[i][0], 10000, NULL) == BOSBASE_STATUS_OK);
    }
    double longest = 0;
    for (int i = 0; i < RUNS; i++) {
        runs[i].caller = pthread_self();
        double t0 = now_ms();
        bosbase_client_release(clients[i], on_released, &runs[i]);
        double took = now_ms() - t0;
        if (took > longest) longest = took;
    }
    CHECK(wait_done(runs, RUNS) == RUNS);
    usleep(100 * 1000); /* a second done call would come now */
    for (int i = 0; i < RUNS; i++) {
        CHECK(__atomic_load_n(&runs[i].done, __ATOMIC_SEQ_CST) == 1);
        CHECK(runs[i].completions_at_done == CALLS);
        CHECK(!runs[i].done_on_caller);
        for (int s = 0; s < 3; s++) {
            CHECK(!bosbase_subscription_is_active(subs[i][s]));
            bosbase_subscription_free(subs[i][s]);
        }
    }
    CHECK(bosbase_live_clients() == 0);
    return longest;
}

int main(void) {
    const char *url = dev_server_url();
    alarm(60); /* a hang anywhere still ends the program */

    struct run null_run;
    memset(&null_run, 0, sizeof null_run);
    null_run.caller = pthread_self();
    bosbase_client_release(NULL, on_released, &null_run);
    CHECK(null_run.done == 1 && null_run.done_on_caller);
    bosbase_client_release(NULL, NULL, NULL);

    double connected = release_busy_clients(url, 1);
    char silent[64];
    int fd = silent_listener(silent, sizeof silent); /* calls and streams stay in flight */
    double stuck = release_busy_clients(silent, 0);
    close(fd);
    printf("release_test: longest bosbase_client_release return %.3f ms (connected), %.3f ms (calls in flight)\n",
           connected, stuck);
    CHECK(connected < RETURN_BOUND_MS && stuck < RETURN_BOUND_MS);
    printf("release_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
