/* Pub/sub through the C ABI against the real BosBase server (BOSBASE_URL; run by
 * `make test-bosbase`): subscribe with a callback, publish with the pubsub.publish
 * operation, unsubscribe, NULL handling, and 100 subscribe/free cycles. Built with ASan. */
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
    int subscribed, messages;
    char last[512];
};

static void on_event(void *user_data, const char *event_json) {
    struct inbox *in = user_data;
    pthread_mutex_lock(&in->lock);
    if (strstr(event_json, "\"type\":\"subscribed\"")) in->subscribed++;
    if (strstr(event_json, "\"type\":\"message\"")) {
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

    struct inbox in = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    BosbasePubsubSubscription *sub = NULL;
    CHECK(bosbase_pubsub_subscribe(sub_client, "c-topic", on_event, &in, &sub, NULL) == BOSBASE_STATUS_OK);
    CHECK(wait_count(&in, &in.subscribed, 1));
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

    CHECK(bosbase_pubsub_subscription_unsubscribe(sub));
    CHECK(!bosbase_pubsub_subscription_unsubscribe(sub));
    CHECK(bosbase_call(pub_client, "pubsub.publish", "{\"topic\":\"c-topic\",\"data\":2}", NULL, &r, NULL) ==
          BOSBASE_STATUS_OK);
    bosbase_string_free(r);
    usleep(500 * 1000);
    pthread_mutex_lock(&in.lock);
    CHECK(in.messages == 1);
    pthread_mutex_unlock(&in.lock);
    CHECK(bosbase_pubsub_subscription_dropped(sub) == 0);
    bosbase_pubsub_subscription_free(sub);

    /* NULLs and bad topics. */
    CHECK(bosbase_pubsub_subscribe(NULL, "t", on_event, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_pubsub_subscribe(sub_client, "", on_event, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_pubsub_subscribe(sub_client, "t", NULL, &in, &sub, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_pubsub_subscribe(sub_client, "t", on_event, &in, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(!bosbase_pubsub_subscription_unsubscribe(NULL));
    CHECK(bosbase_pubsub_subscription_dropped(NULL) == 0);
    bosbase_pubsub_subscription_free(NULL);
    CHECK(!bosbase_pubsub_is_connected(NULL));
    CHECK(bosbase_pubsub_unsubscribe_topic(sub_client, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);

    /* 100 cycles leak nothing (ASan) and leave no subscription behind. */
    for (int i = 0; i < 100; i++) {
        BosbasePubsubSubscription *s = NULL;
        CHECK(bosbase_pubsub_subscribe(sub_client, "cycle", on_event, &in, &s, NULL) == BOSBASE_STATUS_OK);
        bosbase_pubsub_subscription_free(s);
    }
    CHECK(bosbase_pubsub_unsubscribe_topic(sub_client, "cycle", NULL) == BOSBASE_STATUS_OK);

    bosbase_client_free(sub_client);
    bosbase_client_free(pub_client);
    CHECK(bosbase_live_clients() == 0);
    printf("pubsub_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
