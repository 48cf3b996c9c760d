/* Hostile inputs through the C ABI (issue 20): a file part that is a FIFO (made with
 * mkfifo), a device or a directory; tokens with CR/LF through save, import and the auth
 * cookie; a cookie whose token is not a string; error URLs past 256 bytes. Needs no server:
 * every call fails before or while connecting to a 127.0.0.1 port where nothing listens. An alarm turns a call
 * that blocks (as the FIFO did: forever) into a failure. Built with ASan/UBSan. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"
#include "outcome.h"

static void blocked(int sig) {
    (void)sig;
    static const char msg[] = "inputs_test: a call is still blocked after 20 s\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(3);
    _exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Uploads `path` as the part `doc` with a 3 s deadline; returns the status, error in `e`. */
static BosbaseStatus upload(BosbaseClient *pb, const char *path, char **e) {
    BosbaseFiles *files = bosbase_files_new();
    CHECK(bosbase_files_add_path(files, "doc", path, NULL, NULL, NULL) == BOSBASE_STATUS_OK);
    char *r = NULL;
    BosbaseStatus s = bosbase_call_with_files(pb, "records.create", "{\"collection\":\"posts\",\"data\":{}}",
                                              "{\"timeoutMs\":3000}", files, &r, e);
    bosbase_string_free(r);
    bosbase_files_free(files);
    return s;
}

static void test_non_regular_file_parts(const char *url) {
    char dir[] = "/tmp/bosbase-c-inputs-XXXXXX", fifo[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);

    /* Blocking: refused at once (it used to block in open() forever, past timeoutMs). */
    char *e = NULL;
    double start = now();
    CHECK(upload(pb, fifo, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(now() - start < 2.0);
    CHECK(has_kind(e, "invalid_argument") && strstr(e, "`doc`") && strstr(e, "FIFO") && !strstr(e, "pipe"));
    bosbase_string_free(e);

    /* Async: the callback comes, and close returns. */
    BosbaseFiles *files = bosbase_files_new();
    CHECK(bosbase_files_add_path(files, "doc", fifo, NULL, NULL, NULL) == BOSBASE_STATUS_OK);
    struct outcome o = OUTCOME_INIT;
    BosbaseCall *call = NULL;
    CHECK(bosbase_call_async_with_files(pb, "records.create", "{\"collection\":\"posts\",\"data\":{}}",
                                        "{\"timeoutMs\":3000}", files, on_done, &o, &call, NULL) == BOSBASE_STATUS_OK);
    bosbase_files_free(files);
    pthread_mutex_lock(&o.lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    while (o.calls < 1 && pthread_cond_timedwait(&o.done, &o.lock, &until) == 0) {
    }
    pthread_mutex_unlock(&o.lock);
    CHECK(o.calls == 1 && o.status == BOSBASE_STATUS_INVALID_ARGUMENT && strstr(o.text, "FIFO"));
    bosbase_call_free(call);

    /* Devices and directories are refused too. */
    CHECK(upload(pb, "/dev/zero", &e) == BOSBASE_STATUS_INVALID_ARGUMENT && strstr(e, "device"));
    bosbase_string_free(e);
    CHECK(upload(pb, "/dev/urandom", &e) == BOSBASE_STATUS_INVALID_ARGUMENT && strstr(e, "device"));
    bosbase_string_free(e);
    CHECK(upload(pb, dir, &e) == BOSBASE_STATUS_INVALID_ARGUMENT && strstr(e, "directory"));
    bosbase_string_free(e);

    bosbase_client_close(pb);
    bosbase_client_free(pb);
    unlink(fifo);
    rmdir(dir);
}

/* The stored token, compared with `want`. */
static int token_is(BosbaseClient *pb, const char *want) {
    char *t = NULL;
    int same = bosbase_auth_store_token(pb, &t, NULL) == BOSBASE_STATUS_OK && t && strcmp(t, want) == 0;
    bosbase_string_free(t);
    return same;
}

static void test_tokens_with_control_characters(void) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new("http://127.0.0.1:9", NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_auth_store_save(pb, "kept", "{\"id\":\"u0\"}", NULL) == BOSBASE_STATUS_OK);
    char *e = NULL;
    CHECK(bosbase_auth_store_save(pb, "s3cr3t\r\nX-Evil: 1", NULL, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(has_kind(e, "invalid_argument") && !strstr(e, "s3cr3t") && !strstr(e, "Evil"));
    bosbase_string_free(e);
    CHECK(bosbase_auth_store_save(pb, "tab\there", NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_import(pb, "{\"token\":\"a\\r\\nb\",\"record\":{}}", NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_import(pb, "{\"token\":\"a\\u0000b\"}", NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(token_is(pb, "kept"));

    /* The cookie goes through the import's check: a bad one signs the request out. */
    CHECK(bosbase_auth_store_load_cookie(pb, "pb_auth=%7B%22token%22%3A%22a%5Cr%5Cnb%22%7D", NULL, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(token_is(pb, ""));
    CHECK(bosbase_auth_store_save(pb, "kept", NULL, NULL) == BOSBASE_STATUS_OK);
    /* {"token":1,"record":{}}: refused by import, and now by the cookie too (it was OK). */
    CHECK(bosbase_auth_store_import(pb, "{\"token\":1,\"record\":{}}", NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(token_is(pb, "kept"));
    CHECK(bosbase_auth_store_load_cookie(pb, "pb_auth=%7B%22token%22%3A1%2C%22record%22%3A%7B%7D%7D", NULL, &e) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(e && strstr(e, "`token` must be a string"));
    bosbase_string_free(e);
    CHECK(token_is(pb, ""));
    CHECK(bosbase_auth_store_load_cookie(pb, "pb_auth=%7B%22token%22%3A%22ok%22%7D", NULL, NULL) ==
          BOSBASE_STATUS_OK);
    CHECK(token_is(pb, "ok"));
    bosbase_client_free(pb);
}

/* The byte length of the error JSON's "url" value (-1 when absent); `ends` set when it ends in "…". */
static int url_length(const char *error_json, int *ends) {
    const char *u = error_json ? strstr(error_json, "\"url\":\"") : NULL;
    if (!u) return -1;
    u += 7;
    const char *end = strchr(u, '"');
    if (!end) return -1;
    *ends = end - u >= 3 && memcmp(end - 3, "\xe2\x80\xa6", 3) == 0;
    return (int)(end - u);
}

static void test_error_urls_are_at_most_256_bytes(const char *url) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    char path[1024] = "/api/";
    for (int i = 0; i < 300; i++) strcat(path, "a");
    char *r = NULL, *e = NULL;
    int ends = 0;
    CHECK(bosbase_send(pb, path, NULL, &r, &e) == BOSBASE_STATUS_NETWORK);
    int n = url_length(e, &ends);
    CHECK(n > 200 && n <= 256 && ends);
    if (n > 256) fprintf(stderr, "  url of %d bytes\n", n);
    bosbase_string_free(e);
    /* Multi-byte characters at the cut (the error's url is the path as given, not escaped),
     * the cut falling inside a character for one of the two prefixes. */
    const char *prefixes[] = {"/api/x", "/api/xy"};
    for (int p = 0; p < 2; p++) {
        strcpy(path, prefixes[p]);
        for (int i = 0; i < 200; i++) strcat(path, "\xc3\xa9");
        CHECK(bosbase_send(pb, path, NULL, &r, &e) == BOSBASE_STATUS_NETWORK);
        n = url_length(e, &ends);
        CHECK(n > 200 && n <= 256 && ends);
        CHECK(e && strstr(e, "\xc3\xa9\xe2\x80\xa6\""));
        bosbase_string_free(e);
    }
    bosbase_string_free(r);
    bosbase_client_free(pb);
}

/* A 127.0.0.1 URL where nothing listens (a port bound, then closed). */
static void dead_url(char *url, size_t size) {
    char unused[64];
    int fd = silent_listener(unused, sizeof unused);
    snprintf(url, size, "%s", unused);
    close(fd);
}

int main(void) {
    signal(SIGALRM, blocked);
    alarm(20);
    char url[64];
    dead_url(url, sizeof url);
    test_non_regular_file_parts(url);
    test_tokens_with_control_characters();
    test_error_urls_are_at_most_256_bytes(url);
    CHECK(bosbase_live_clients() == 0);
    printf("inputs_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
