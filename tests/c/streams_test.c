/* Realtime's per-subscription byte bound through the C ABI, under ASan/UBSan (leaks
 * included), against a hostile event-stream server on 127.0.0.1 (no dev server): 24 events
 * of 2 MiB each in memory (a 65,536-zero array, 128 KiB of JSON) flood a callback that is
 * stuck on the first one. The count bound alone (1024) would queue all of them; the 16 MiB
 * byte bound drops the oldest, counts them, and delivers the newest, in order. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"

#define EVENTS 24
#define ZEROS 65536

static int posts;   /* atomic: subscription POSTs answered */
static int release; /* atomic: the stuck callback may go on */

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

/* One event: `event: t\ndata: {"n":N,"pad":[0,0,...]}\n\n` (caller frees). */
static char *big_event(int n, size_t *len) {
    char *e = malloc(64 + 2 * ZEROS);
    size_t at = (size_t)sprintf(e, "event: t\ndata: {\"n\":%d,\"pad\":[", n);
    for (int i = 0; i < ZEROS; i++) {
        e[at++] = '0';
        e[at++] = i + 1 < ZEROS ? ',' : ']';
    }
    at += (size_t)sprintf(e + at, "}\n\n");
    *len = at;
    return e;
}

/* Serves one connection: answers POSTs with 204; a GET gets the stream (PB_CONNECT, then,
 * once the subscription was posted, the flood), kept open for at most 20 s. */
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
            size_t len;
            char *e = big_event(n, &len);
            write_all(c, e, len, &ok);
            free(e);
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

struct seen {
    pthread_mutex_t lock;
    int events, last, in_order;
};

static void on_event(void *user_data, BosbaseEventKind kind, uint64_t sequence, const char *json) {
    (void)kind;
    (void)sequence;
    struct seen *s = user_data;
    const char *n = strstr(json, "\"n\":");
    if (strstr(json, "\"type\":\"event\"") == NULL || n == NULL) return;
    pthread_mutex_lock(&s->lock);
    int first = s->events == 0, value = atoi(n + 4);
    if (value <= s->last) s->in_order = 0;
    s->last = value;
    s->events++;
    pthread_mutex_unlock(&s->lock);
    while (first && !__atomic_load_n(&release, __ATOMIC_SEQ_CST)) usleep(5000);
}

static int read_last(struct seen *s) {
    pthread_mutex_lock(&s->lock);
    int last = s->last;
    pthread_mutex_unlock(&s->lock);
    return last;
}

int main(void) {
    char url[64];
    int fd = silent_listener(url, sizeof url);
    pthread_t server;
    pthread_create(&server, NULL, accept_loop, (void *)(long)fd);
    pthread_detach(server);

    BosbaseClient *pb = NULL;
    BosbaseSubscription *sub = NULL;
    char *error = NULL;
    struct seen seen = {.last = -1, .in_order = 1};
    pthread_mutex_init(&seen.lock, NULL);
    CHECK(bosbase_client_new(url, NULL, &pb, &error) == BOSBASE_STATUS_OK);
    CHECK(bosbase_realtime_subscribe(pb, "t", NULL, on_event, NULL, &seen, &sub, &error) == BOSBASE_STATUS_OK);
    CHECK(bosbase_subscription_wait(sub, 10000, &error) == BOSBASE_STATUS_OK);

    /* The reader takes the whole flood in while the callback is stuck: 16 MiB hold 7 events
     * of 2 MiB, so 16 of the 23 others are dropped (waits for all to arrive; at least 12
     * whatever the exact size estimate). */
    uint64_t dropped = 0;
    for (int i = 0; i < 2000 && (dropped = bosbase_subscription_dropped(sub)) < 16; i++) usleep(10000);
    CHECK(dropped >= 12);
    __atomic_store_n(&release, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 2000 && read_last(&seen) != EVENTS - 1; i++) usleep(10000);
    pthread_mutex_lock(&seen.lock);
    CHECK(seen.last == EVENTS - 1); /* the newest is kept */
    CHECK(seen.in_order);
    CHECK((uint64_t)seen.events + bosbase_subscription_dropped(sub) == EVENTS);
    CHECK(seen.events <= 9);
    pthread_mutex_unlock(&seen.lock);

    bosbase_subscription_free(sub);
    bosbase_client_close(pb);
    bosbase_client_free(pb);
    bosbase_string_free(error);
    pthread_mutex_destroy(&seen.lock);
    close(fd);
    printf("streams_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
