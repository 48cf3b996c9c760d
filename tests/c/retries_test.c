/* Opt-in retries through the C ABI (client option "retries", call options "retries" and
 * "idempotent", "attempts" in the error JSON) against a scripted loopback server: request n
 * gets step n of the script (the last step repeats). Fault injection only; built with
 * ASan/UBSan; alarm() ends the program if a call never returns. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"
#include "outcome.h"

/* Steps: O = 200 {"ok":true}, U = 503, T = 429 with Retry-After: 1, R = reset before answering. */
static char script[16];
static int requests; /* atomic: requests read since the script was set */

static void set_script(const char *steps) {
    snprintf(script, sizeof script, "%s", steps);
    __atomic_store_n(&requests, 0, __ATOMIC_SEQ_CST);
}

static void *scripted(void *arg) {
    int c = (int)(long)arg;
    char buf[8192];
    size_t have = 0;
    for (;;) {
        char *end = read_head(c, buf, sizeof buf, &have);
        if (end == NULL) break;
        size_t head = (size_t)(end - buf) + 4, body = 0;
        for (char *line = buf; line < end; line = strstr(line, "\r\n") + 2) {
            if (strncasecmp(line, "content-length:", 15) == 0) body = strtoul(line + 15, NULL, 10);
        }
        while (have < head + body) { /* bodies here are small */
            ssize_t n = read(c, buf + have, sizeof buf - have);
            if (n <= 0) goto done;
            have += (size_t)n;
        }
        int n = __atomic_fetch_add(&requests, 1, __ATOMIC_SEQ_CST);
        size_t len = strlen(script);
        char step = script[(size_t)n < len ? (size_t)n : len - 1];
        if (step == 'R') {
            struct linger l = {1, 0}; /* close with an RST */
            setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            break;
        }
        const char *status = step == 'O' ? "200 OK" : step == 'U' ? "503 Service Unavailable" : "429 Too Many Requests";
        const char *extra = step == 'T' ? "Retry-After: 1\r\n" : "";
        const char *json = step == 'O' ? "{\"ok\":true}" : "{\"status\":503,\"message\":\"busy\",\"data\":{}}";
        char reply[512];
        int rl = snprintf(reply, sizeof reply,
                          "HTTP/1.1 %s\r\n%sContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", status,
                          extra, strlen(json), json);
        if (write(c, reply, (size_t)rl) != rl) break;
        memmove(buf, buf + head + body, have - head - body);
        have -= head + body;
    }
done:
    close(c);
    return NULL;
}

static void *accept_loop(void *arg) {
    int fd = (int)(long)arg;
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) return NULL;
        pthread_t t;
        pthread_create(&t, NULL, scripted, (void *)(long)c);
        pthread_detach(t);
    }
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int served(void) { return __atomic_load_n(&requests, __ATOMIC_SEQ_CST); }

static const char *QUICK = "{\"retries\":{\"maxAttempts\":3,\"baseDelayMs\":10,\"maxDelayMs\":40}}";

int main(void) {
    alarm(30);
    char url[64];
    int fd = silent_listener(url, sizeof url);
    pthread_t t;
    pthread_create(&t, NULL, accept_loop, (void *)(long)fd);
    pthread_detach(t);
    char *result = NULL, *error = NULL;
    BosbaseClient *pb = NULL;

    /* 503, 503, 200: one call, three attempts. */
    set_script("UUO");
    CHECK(bosbase_client_new(url, QUICK, &pb, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_call(pb, "health.check", NULL, NULL, &result, &error) == BOSBASE_STATUS_OK);
    CHECK(result != NULL && strstr(result, "\"ok\":true") != NULL && served() == 3);
    bosbase_string_free(result);

    /* Out of attempts: the last 503, with "attempts":3. */
    set_script("U");
    CHECK(bosbase_call(pb, "health.check", NULL, NULL, &result, &error) == BOSBASE_STATUS_HTTP);
    CHECK(error != NULL && strstr(error, "\"status\":503") && strstr(error, "\"attempts\":3") && served() == 3);
    bosbase_string_free(error);
    error = NULL;

    /* A POST is retried only when marked idempotent. */
    set_script("UO");
    CHECK(bosbase_send(pb, "/api/x", "{\"method\":\"POST\",\"body\":{}}", &result, &error) == BOSBASE_STATUS_HTTP);
    CHECK(strstr(error, "\"attempts\":1") != NULL && served() == 1);
    bosbase_string_free(error);
    error = NULL;
    set_script("RO");
    CHECK(bosbase_send(pb, "/api/x", "{\"method\":\"POST\",\"body\":{},\"idempotent\":true}", &result, &error) ==
          BOSBASE_STATUS_OK);
    CHECK(served() == 2);
    bosbase_string_free(result);

    /* Asynchronous calls retry on the worker pool. */
    set_script("URO");
    struct outcome o = OUTCOME_INIT;
    BosbaseCall *call = NULL;
    CHECK(bosbase_call_async(pb, "health.check", NULL, NULL, on_done, &o, &call, NULL) == BOSBASE_STATUS_OK);
    wait_for(&o, 1);
    CHECK(o.status == BOSBASE_STATUS_OK && strstr(o.text, "\"ok\":true") != NULL && served() == 3);
    bosbase_call_free(call);

    /* A call's "retries" replaces the client's: 0 turns them off. */
    set_script("UO");
    CHECK(bosbase_call(pb, "health.check", NULL, "{\"retries\":0}", &result, &error) == BOSBASE_STATUS_HTTP);
    CHECK(served() == 1);
    bosbase_string_free(error);
    error = NULL;
    bosbase_client_free(pb);

    /* Off by default; a call may turn them on. */
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    set_script("UO");
    CHECK(bosbase_call(pb, "health.check", NULL, NULL, &result, &error) == BOSBASE_STATUS_HTTP);
    CHECK(strstr(error, "\"attempts\":1") != NULL && served() == 1);
    bosbase_string_free(error);
    error = NULL;
    set_script("UO");
    CHECK(bosbase_call(pb, "health.check", NULL, "{\"retries\":{\"baseDelayMs\":10}}", &result, &error) ==
          BOSBASE_STATUS_OK);
    CHECK(served() == 2);
    bosbase_string_free(result);

    /* 429 with Retry-After: 1 waits a second. */
    set_script("TO");
    double started = now_ms();
    CHECK(bosbase_call(pb, "health.check", NULL, "{\"retries\":1}", &result, &error) == BOSBASE_STATUS_OK);
    double took = now_ms() - started;
    CHECK(took >= 950 && took < 3000 && served() == 2);
    bosbase_string_free(result);

    /* A 503 forever stops at the call's deadline, after several attempts. */
    set_script("U");
    started = now_ms();
    const char *forever = "{\"timeoutMs\":600,\"retries\":{\"maxAttempts\":100,\"baseDelayMs\":20,\"maxDelayMs\":80}}";
    BosbaseStatus s = bosbase_call(pb, "health.check", NULL, forever, &result, &error);
    took = now_ms() - started;
    CHECK((s == BOSBASE_STATUS_HTTP || s == BOSBASE_STATUS_TIMEOUT) && took < 1500 && served() > 1);
    CHECK(error != NULL && strstr(error, "\"attempts\":") != NULL);
    bosbase_string_free(error);
    error = NULL;

    /* Bad values are INVALID_ARGUMENT naming the option, before anything is sent. */
    set_script("O");
    CHECK(bosbase_call(pb, "health.check", NULL, "{\"retries\":\"x\"}", &result, &error) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(has_kind(error, "invalid_argument") && strstr(error, "retries") != NULL && served() == 0);
    bosbase_string_free(error);
    error = NULL;
    bosbase_client_free(pb);
    pb = NULL;
    CHECK(bosbase_client_new(url, "{\"retries\":{\"maxAttempts\":0}}", &pb, &error) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(pb == NULL && error != NULL && strstr(error, "maxAttempts") != NULL);
    bosbase_string_free(error);

    close(fd);
    printf("retries_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
