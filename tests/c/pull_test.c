/* Pull delivery through the C ABI under ASan/UBSan (leaks included), against an event-stream
 * server on 127.0.0.1 (no dev server): 10,000 events reach a pull subscription nobody reads.
 * The core's queue stays bounded (BOSBASE_QUEUE_MAX_EVENTS entries), the oldest events are
 * dropped and counted, the gaps in the sequence numbers are exactly the drops, the
 * SUBSCRIBED and STATE notices are kept, the newest event is kept, and the ready callback
 * was called once for the whole batch. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"

#define EVENTS 10000

static int posts;   /* atomic: subscription POSTs answered */
static int ready_calls; /* atomic */

static void write_all(int c, const char *p, size_t n, int *ok) {
    while (*ok && n > 0) {
        ssize_t w = write(c, p, n);
        if (w <= 0) {
            *ok = 0;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Serves one connection: answers POSTs with 204; a GET gets the stream (PB_CONNECT, then,
 * once the subscription was posted, EVENTS small events), kept open for at most 20 s. */
static void *serve(void *arg) {
    int c = (int)(long)arg, ok = 1;
    char buf[8192];
    size_t have = 0;
    for (;;) {
        char *end = read_head(c, buf, sizeof buf, &have);
        if (end == NULL) goto done;
        size_t head = (size_t)(end - buf) + 4, body = 0;
        for (char *line = buf; line < end; line = strstr(line, "\r\n") + 2)
            if (strncasecmp(line, "content-length:", 15) == 0) body = strtoul(line + 15, NULL, 10);
        while (have < head + body) {
            ssize_t n = read(c, buf + have, sizeof buf - have);
            if (n <= 0) goto done;
            have += (size_t)n;
        }
        int is_post = strncmp(buf, "POST", 4) == 0;
        memmove(buf, buf + head + body, have - head - body);
        have -= head + body;
        if (is_post) {
            const char *answer = "HTTP/1.1 204 No Content\r\n\r\n";
            write_all(c, answer, strlen(answer), &ok);
            __atomic_add_fetch(&posts, 1, __ATOMIC_SEQ_CST);
            if (!ok) goto done;
            continue;
        }
        const char *start = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                            "id:c1\nevent:PB_CONNECT\ndata:{\"clientId\":\"c1\"}\n\n";
        write_all(c, start, strlen(start), &ok);
        for (int i = 0; i < 500 && __atomic_load_n(&posts, __ATOMIC_SEQ_CST) == 0; i++) usleep(10000);
        for (int n = 0; n < EVENTS && ok; n++) {
            char e[64];
            int len = snprintf(e, sizeof e, "event: t\ndata: {\"n\":%d}\n\n", n);
            write_all(c, e, (size_t)len, &ok);
        }
        for (int i = 0; i < 400 && ok; i++) {
            write_all(c, ": ping\n\n", 8, &ok);
            usleep(50000);
        }
        goto done;
    }
done:
    close(c);
    return NULL;
}

static void *accept_loop(void *arg) {
    int fd = (int)(long)arg;
    for (int i = 0; i < 16; i++) { /* bounded: a few streams and POST connections */
        int c = accept(fd, NULL, NULL);
        if (c < 0) return NULL;
        pthread_t t;
        pthread_create(&t, NULL, serve, (void *)(long)c);
        pthread_detach(t);
    }
    return NULL;
}

static void on_ready(void *user_data) {
    (void)user_data;
    __atomic_add_fetch(&ready_calls, 1, __ATOMIC_SEQ_CST);
}

int main(void) {
    char url[64];
    int fd = silent_listener(url, sizeof url);
    pthread_t server;
    pthread_create(&server, NULL, accept_loop, (void *)(long)fd);
    pthread_detach(server);

    BosbaseClient *pb = NULL;
    BosbaseSubscription *sub = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_realtime_subscribe(pb, "t", NULL, NULL, on_ready, NULL, &sub, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(sub, 10000, NULL) == BOSBASE_STATUS_OK);

    /* Two notices and 1,022 events fit: the other 8,978 events are dropped. */
    const uint64_t want_dropped = EVENTS - (BOSBASE_QUEUE_MAX_EVENTS - 2);
    uint64_t dropped = 0;
    for (int i = 0; i < 2000 && (dropped = bosbase_subscription_dropped(sub)) < want_dropped; i++) usleep(10000);
    CHECK(dropped == want_dropped);
    usleep(100 * 1000);
    CHECK(__atomic_load_n(&ready_calls, __ATOMIC_SEQ_CST) == 1); /* one batch, one call */

    uint64_t prev = 0, gaps = 0, entries = 0;
    int subscribed = 0, states = 0, events = 0, last_n = -1, in_order = 1, kinds_ok = 1;
    for (;;) {
        BosbaseEventKind kind = BOSBASE_EVENT_NONE;
        uint64_t seq = 0;
        char *json = NULL;
        if (bosbase_subscription_next(sub, &kind, &seq, &json, NULL) != BOSBASE_STATUS_OK) {
            CHECK(0);
            break;
        }
        if (kind == BOSBASE_EVENT_NONE) {
            kinds_ok &= json == NULL && seq == 0;
            break;
        }
        entries++;
        gaps += seq - prev - 1;
        in_order &= seq > prev;
        prev = seq;
        if (kind == BOSBASE_EVENT_SUBSCRIBED) {
            subscribed++;
            kinds_ok &= entries == 1;
        }
        if (kind == BOSBASE_EVENT_STATE) {
            states++;
            kinds_ok &= strstr(json, "\"state\":\"connected\"") != NULL;
        }
        if (kind == BOSBASE_EVENT_EVENT) {
            const char *n = strstr(json, "\"n\":");
            int value = n ? atoi(n + 4) : -1;
            in_order &= value > last_n;
            last_n = value;
            events++;
        }
        bosbase_string_free(json);
    }
    CHECK(entries == BOSBASE_QUEUE_MAX_EVENTS);   /* bounded */
    CHECK(gaps == dropped);                       /* a gap is a drop */
    CHECK(subscribed == 1 && states == 1);        /* notices kept */
    CHECK(events == BOSBASE_QUEUE_MAX_EVENTS - 2);
    CHECK(last_n == EVENTS - 1 && in_order && kinds_ok); /* the newest is kept, in order */
    CHECK(prev == (uint64_t)EVENTS + 2);
    CHECK(__atomic_load_n(&ready_calls, __ATOMIC_SEQ_CST) == 1);
    printf("pull_test: %d events, %llu dropped, %llu entries read, ready called %d time(s)\n", EVENTS,
           (unsigned long long)dropped, (unsigned long long)entries, __atomic_load_n(&ready_calls, __ATOMIC_SEQ_CST));

    bosbase_subscription_free(sub);
    bosbase_client_free(pb);
    close(fd);
    CHECK(bosbase_live_clients() == 0);
    printf("pull_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
