/* Pub/sub through the C ABI against the real BosBase server (BOSBASE_URL; run by
 * `make test-bosbase`): subscribe with a callback, publish with the pubsub.publish
 * operation, unsubscribe, pull mode (next + ready), NULL handling, and 100 subscribe/free
 * cycles. Built with ASan. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"

struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int subscribed, messages, ready_calls;
    char last[512];
};

static void on_ready(void *user_data) {
    struct inbox *in = user_data;
    pthread_mutex_lock(&in->lock);
    in->ready_calls++;
    pthread_cond_broadcast(&in->changed);
    pthread_mutex_unlock(&in->lock);
}

static void on_event(void *user_data, BosbaseEventKind kind, uint64_t sequence, const char *event_json) {
    struct inbox *in = user_data;
    pthread_mutex_lock(&in->lock);
    (void)sequence;
    if (kind == BOSBASE_EVENT_SUBSCRIBED && strstr(event_json, "\"type\":\"subscribed\"")) in->subscribed++;
    if (kind == BOSBASE_EVENT_EVENT && strstr(event_json, "\"type\":\"message\"")) {
        in->messages++;
        snprintf(in->last, sizeof in->last, "%s", event_json);
    }
    pthread_cond_broadcast(&in->changed);
    pthread_mutex_unlock(&in->lock);
}

/* Waits until *counter reaches want (at most 10 s); returns whether it did. */
static int wait_count(struct inbox *in, const int *counter, int want) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&in->lock);
    int rc = 0;
    while (*counter < want && rc == 0) rc = pthread_cond_timedwait(&in->changed, &in->lock, &until);
    int ok = *counter >= want;
    pthread_mutex_unlock(&in->lock);
    return ok;
}

int main(void) {
    const char *url = dev_server_url();
    BosbaseClient *sub_client = NULL, *pub_client = NULL;
    CHECK(bosbase_client_new(url, NULL, &sub_client, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_client_new(url, NULL, &pub_client, NULL) == BOSBASE_STATUS_OK);
    char *r = NULL, *e = NULL;
    CHECK(bosbase_call(pub_client, "records.authWithPassword",
                       "{\"collection\":\"users\",\"identity\":\"user@example.com\",\"password\":\"user-password\"}", NULL,
                       &r, NULL) == BOSBASE_STATUS_OK);
    bosbase_string_free(r);

    struct inbox in = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, ""};
    BosbaseSubscription *sub = NULL;
    CHECK(bosbase_pubsub_subscribe(sub_client, "c-topic", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_OK);
    CHECK(wait_count(&in, &in.subscribed, 1));
    CHECK(bosbase_subscription_wait(sub, 10000, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_pubsub_is_connected(sub_client));

    CHECK(bosbase_call(pub_client, "pubsub.publish", "{\"topic\":\"c-topic\",\"data\":{\"n\":42}}", NULL, &r, &e) ==
          BOSBASE_STATUS_OK);
    CHECK(r && strstr(r, "\"topic\":\"c-topic\"") && strstr(r, "\"id\":"));
    bosbase_string_free(r);
    bosbase_string_free(e);
    CHECK(wait_count(&in, &in.messages, 1));
    CHECK(strstr(in.last, "\"data\":{\"n\":42}") != NULL);

    /* A guest may not publish: a typed error from the server's error frame. */
    e = NULL;
    CHECK(bosbase_call(sub_client, "pubsub.publish", "{\"topic\":\"c-topic\",\"data\":1}", NULL, &r, &e) ==
          BOSBASE_STATUS_HTTP);
    CHECK(has_kind(e, "http") && strstr(e, "authentication"));
    bosbase_string_free(e);

    CHECK(bosbase_subscription_is_active(sub));
    bosbase_subscription_unsubscribe(sub);
    CHECK(!bosbase_subscription_is_active(sub));
    bosbase_subscription_unsubscribe(sub); /* idempotent */
    CHECK(bosbase_subscription_wait(sub, 10, NULL) == BOSBASE_STATUS_CANCELLED);
    CHECK(bosbase_call(pub_client, "pubsub.publish", "{\"topic\":\"c-topic\",\"data\":2}", NULL, &r, NULL) ==
          BOSBASE_STATUS_OK);
    bosbase_string_free(r);
    usleep(500 * 1000);
    pthread_mutex_lock(&in.lock);
    CHECK(in.messages == 1);
    pthread_mutex_unlock(&in.lock);
    CHECK(bosbase_subscription_dropped(sub) == 0);
    bosbase_subscription_free(sub);

    /* Pull mode: the entries as values from next(), one ready call per batch. */
    BosbaseSubscription *pull = NULL;
    CHECK(bosbase_pubsub_subscribe(sub_client, "c-pull", "{}", NULL, on_ready, &in, &pull, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(pull, 10000, NULL) == BOSBASE_STATUS_OK);
    CHECK(wait_count(&in, &in.ready_calls, 1));
    usleep(200 * 1000);
    BosbaseEventKind kind = BOSBASE_EVENT_NONE;
    uint64_t seq = 0;
    char *json = NULL;
    int saw_subscribed = 0, saw_state = 0;
    for (uint64_t want = 1; want <= 2; want++) {
        CHECK(bosbase_subscription_next(pull, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK && seq == want && json);
        saw_subscribed += kind == BOSBASE_EVENT_SUBSCRIBED && json && strstr(json, "\"type\":\"subscribed\"");
        saw_state += kind == BOSBASE_EVENT_STATE && json && strstr(json, "\"state\":\"connected\"");
        bosbase_string_free(json);
    }
    CHECK(saw_subscribed == 1 && saw_state == 1);
    CHECK(bosbase_subscription_next(pull, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK);
    CHECK(kind == BOSBASE_EVENT_NONE && seq == 0 && json == NULL);
    for (int i = 0; i < 3; i++) {
        CHECK(bosbase_call(pub_client, "pubsub.publish", "{\"topic\":\"c-pull\",\"data\":7}", NULL, &r, NULL) ==
              BOSBASE_STATUS_OK);
        bosbase_string_free(r);
    }
    CHECK(wait_count(&in, &in.ready_calls, 2));
    usleep(300 * 1000);
    pthread_mutex_lock(&in.lock);
    CHECK(in.ready_calls == 2);
    pthread_mutex_unlock(&in.lock);
    for (uint64_t want = 3; want <= 5; want++) {
        CHECK(bosbase_subscription_next(pull, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK);
        CHECK(kind == BOSBASE_EVENT_EVENT && seq == want && json && strstr(json, "\"type\":\"message\""));
        bosbase_string_free(json);
    }
    CHECK(bosbase_subscription_next(pull, &kind, &seq, &json, NULL) == BOSBASE_STATUS_OK && kind == BOSBASE_EVENT_NONE);
    bosbase_subscription_free(pull);

    /* NULLs and bad topics. */
    CHECK(bosbase_pubsub_subscribe(NULL, "t", NULL, on_event, NULL, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_pubsub_subscribe(sub_client, "", NULL, on_event, NULL, &in, &sub, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_pubsub_subscribe(sub_client, "t", NULL, on_event, on_ready, &in, &sub, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_pubsub_subscribe(sub_client, "t", "{\"x\":1}", on_event, NULL, &in, &sub, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_pubsub_subscribe(sub_client, "t", NULL, on_event, NULL, &in, NULL, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_subscription_unsubscribe(NULL);
    CHECK(bosbase_subscription_dropped(NULL) == 0);
    bosbase_subscription_free(NULL);
    CHECK(!bosbase_pubsub_is_connected(NULL));
    CHECK(bosbase_pubsub_unsubscribe_topic(sub_client, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);

    /* 100 cycles leak nothing (ASan) and leave no subscription behind. */
    for (int i = 0; i < 100; i++) {
        BosbaseSubscription *s = NULL;
        CHECK(bosbase_pubsub_subscribe(sub_client, "cycle", NULL, on_event, NULL, &in, &s, NULL) == BOSBASE_STATUS_OK);
        bosbase_subscription_free(s);
    }
    CHECK(bosbase_pubsub_unsubscribe_topic(sub_client, "cycle", NULL) == BOSBASE_STATUS_OK);

    bosbase_client_free(sub_client);
    bosbase_client_free(pub_client);
    CHECK(bosbase_live_clients() == 0);
    printf("pubsub_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
