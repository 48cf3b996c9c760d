/* records.getFullList through the C ABI against a loopback server whose pages are always
 * full (it ignores `page`): the call ends at its size bound or its one deadline, and a
 * cancelled call stops paging. Before these bounds each call here ran forever; alarm()
 * ends the program if one still does. Built with ASan/UBSan. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"
#include "outcome.h"

static int delay_ms;          /* before each answer */
static int requests;          /* atomic: requests answered */
static char page[1024];       /* the body of every answer: two items, a full page of 2 */

static void *full_pages(void *arg) {
    int c = (int)(long)arg;
    char buf[8192];
    size_t have = 0;
    for (;;) {
        char *end = read_head(c, buf, sizeof buf, &have);
        if (end == NULL) {
            close(c);
            return NULL;
        }
        size_t head = (size_t)(end - buf) + 4; /* GETs: no body */
        if (delay_ms) usleep((useconds_t)delay_ms * 1000);
        char reply[2048];
        int rl = snprintf(reply, sizeof reply,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                          strlen(page), page);
        __atomic_add_fetch(&requests, 1, __ATOMIC_SEQ_CST);
        if (write(c, reply, (size_t)rl) != rl) {
            close(c);
            return NULL;
        }
        memmove(buf, buf + head, have - head);
        have -= head;
    }
}

static void *accept_loop(void *arg) {
    int fd = (int)(long)arg;
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) return NULL;
        pthread_t t;
        pthread_create(&t, NULL, full_pages, (void *)(long)c);
        pthread_detach(t);
    }
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static BosbaseClient *client(const char *url, const char *options) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, options, &pb, NULL) == BOSBASE_STATUS_OK);
    return pb;
}

static const char *ARGS = "{\"collection\":\"posts\",\"batch\":2}";

int main(void) {
    alarm(30); /* a call that never ends fails the program instead of hanging it */
    char url[64];
    int fd = silent_listener(url, sizeof url);
    pthread_t t;
    pthread_create(&t, NULL, accept_loop, (void *)(long)fd);
    pthread_detach(t);
    char title[201];
    memset(title, 'x', 200);
    title[200] = '\0';
    snprintf(page, sizeof page, "{\"page\":1,\"perPage\":2,\"items\":[{\"id\":\"a\",\"title\":\"%s\"},{\"id\":\"b\",\"title\":\"%s\"}]}",
             title, title);

    /* The size bound: 10 x maxResponseBytes of pages, then kind json with the status kept. */
    BosbaseClient *pb = client(url, "{\"maxResponseBytes\":4096}");
    char *result = NULL, *error = NULL;
    double started = now_ms();
    CHECK(bosbase_call(pb, "records.getFullList", ARGS, NULL, &result, &error) == BOSBASE_STATUS_JSON);
    CHECK(result == NULL && has_kind(error, "json") && strstr(error, "\"status\":200") != NULL);
    CHECK(error != NULL && strstr(error, "40960-byte limit") != NULL);
    CHECK(now_ms() - started < 10000);
    bosbase_string_free(error);
    bosbase_client_free(pb);

    /* One deadline for all pages: 50 ms a page, 500 ms for the call. */
    delay_ms = 50;
    pb = client(url, NULL);
    error = NULL;
    started = now_ms();
    CHECK(bosbase_call(pb, "records.getFullList", ARGS, "{\"timeoutMs\":500}", &result, &error) ==
          BOSBASE_STATUS_TIMEOUT);
    double took = now_ms() - started;
    CHECK(has_kind(error, "timeout") && took >= 450 && took < 1500);
    bosbase_string_free(error);

    /* A cancelled full list stops asking for pages (and so free does not wait for it). */
    struct outcome o = OUTCOME_INIT;
    BosbaseCall *call = NULL;
    CHECK(bosbase_call_async(pb, "records.getFullList", ARGS, NULL, on_done, &o, &call, NULL) == BOSBASE_STATUS_OK);
    usleep(200 * 1000);
    bosbase_call_cancel(call);
    CHECK(o.calls == 1 && o.status == BOSBASE_STATUS_CANCELLED);
    int after_cancel = __atomic_load_n(&requests, __ATOMIC_SEQ_CST);
    usleep(300 * 1000);
    CHECK(__atomic_load_n(&requests, __ATOMIC_SEQ_CST) <= after_cancel + 1);
    bosbase_call_free(call);
    started = now_ms();
    bosbase_client_free(pb);
    CHECK(now_ms() - started < 1000);

    close(fd);
    printf("full_list_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
