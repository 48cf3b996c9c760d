/* The auth store kept in a file through the C ABI (issue 23): the "authFile" client option,
 * bosbase_auth_store_file_error, a login through the dev server that survives a new client,
 * a 0600 file, a corrupt file and a FIFO reported without a hang, forks that never touch the
 * file. Runs against BOSBASE_URL (scripts/devserver --demo); built with ASan/UBSan. An alarm
 * turns a call that blocks into a failure. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"

static void blocked(int sig) {
    (void)sig;
    static const char msg[] = "auth_file_test: a call is still blocked after 30 s\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(3);
    _exit(1);
}

static char dir[] = "/tmp/bosbase-c-authfile-XXXXXX";

/* The whole file at `path` (at most 4 KiB), or "" when there is none. */
static const char *slurp(const char *path) {
    static char text[4096];
    text[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    return text;
}

static BosbaseClient *open_on(const char *url, const char *path) {
    char options[256];
    snprintf(options, sizeof options, "{\"authFile\":\"%s\"}", path);
    BosbaseClient *pb = NULL;
    char *e = NULL;
    CHECK(bosbase_client_new(url, options, &pb, &e) == BOSBASE_STATUS_OK);
    bosbase_string_free(e);
    return pb;
}

/* The file problem JSON ("null" when none); caller frees. */
static char *problem_of(BosbaseClient *pb) {
    char *p = NULL;
    CHECK(bosbase_auth_store_file_error(pb, &p, NULL) == BOSBASE_STATUS_OK);
    return p;
}

static char *token_of(BosbaseClient *pb) {
    char *t = NULL;
    CHECK(bosbase_auth_store_token(pb, &t, NULL) == BOSBASE_STATUS_OK);
    return t;
}

static void test_login_survives_a_new_client(const char *url) {
    char path[128];
    snprintf(path, sizeof path, "%s/auth.json", dir);
    BosbaseClient *pb = open_on(url, path);
    char *p = problem_of(pb);
    CHECK(p && strcmp(p, "null") == 0); /* a missing file is no problem */
    bosbase_string_free(p);

    char *r = NULL, *e = NULL;
    CHECK(bosbase_auth_with_password(pb, "users", "user@example.com", "user-password", NULL, &r, &e) ==
          BOSBASE_STATUS_OK);
    char *token = token_of(pb);
    CHECK(token && token[0] && strstr(slurp(path), token));
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    bosbase_string_free(r);
    bosbase_string_free(e);

    /* A fork keeps its own store in memory: its changes never reach the file. */
    BosbaseClient *fork = NULL;
    CHECK(bosbase_client_fork(pb, NULL, &fork, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_auth_store_save(fork, "fork-token", NULL, NULL) == BOSBASE_STATUS_OK);
    CHECK(strstr(slurp(path), token) && !strstr(slurp(path), "fork-token"));
    bosbase_client_free(fork);
    bosbase_client_free(pb);

    BosbaseClient *again = open_on(url, path);
    char *restored = token_of(again);
    CHECK(restored && token && strcmp(restored, token) == 0);
    CHECK(bosbase_auth_store_is_valid(again));
    /* The restored token works: a refresh through the server, saved to the file. */
    r = NULL;
    CHECK(bosbase_auth_refresh(again, "users", NULL, &r, NULL) == BOSBASE_STATUS_OK);
    CHECK(r && strstr(r, "user@example.com"));
    bosbase_string_free(r);
    CHECK(bosbase_auth_store_clear(again, NULL) == BOSBASE_STATUS_OK);
    CHECK(strcmp(slurp(path), "{\"record\":null,\"token\":\"\"}") == 0 ||
          strcmp(slurp(path), "{\"token\":\"\",\"record\":null}") == 0);
    bosbase_string_free(restored);
    bosbase_string_free(token);
    bosbase_client_free(again);
    unlink(path);
}

static void test_bad_files_are_reported(const char *url) {
    char path[128], fifo[128];
    snprintf(path, sizeof path, "%s/corrupt.json", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs("{\"token\": \"s3cr3t\", \"record\": 5}", f);
        fclose(f);
    }
    BosbaseClient *pb = open_on(url, path);
    char *t = token_of(pb);
    CHECK(t && strcmp(t, "") == 0);
    bosbase_string_free(t);
    char *p = problem_of(pb);
    CHECK(has_kind(p, "invalid_argument") && strstr(p, "authFile:") && !strstr(p, "s3cr3t"));
    bosbase_string_free(p);
    /* The next change replaces the bad file and clears the problem. */
    CHECK(bosbase_auth_store_save(pb, "fresh", "{\"id\":\"r1\"}", NULL) == BOSBASE_STATUS_OK);
    p = problem_of(pb);
    CHECK(p && strcmp(p, "null") == 0);
    bosbase_string_free(p);
    CHECK(strstr(slurp(path), "fresh") != NULL);
    bosbase_client_free(pb);
    unlink(path);

    /* A FIFO: opened without blocking, reported, never replaced. */
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    pb = open_on(url, fifo);
    p = problem_of(pb);
    CHECK(has_kind(p, "invalid_argument") && strstr(p, "FIFO"));
    bosbase_string_free(p);
    CHECK(bosbase_auth_store_save(pb, "t", NULL, NULL) == BOSBASE_STATUS_OK);
    struct stat st;
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    bosbase_client_free(pb);
    unlink(fifo);
}

static void test_bad_options(const char *url) {
    BosbaseClient *pb = NULL;
    char *e = NULL;
    CHECK(bosbase_client_new(url, "{\"authFile\":\"\"}", &pb, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(pb == NULL && e && strstr(e, "authFile"));
    bosbase_string_free(e);
    e = NULL;
    CHECK(bosbase_client_new(url, "{\"authFile\":5}", &pb, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_string_free(e);
    /* Without the option: no problem, ever. */
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    char *p = problem_of(pb);
    CHECK(p && strcmp(p, "null") == 0);
    bosbase_string_free(p);
    CHECK(bosbase_auth_store_file_error(pb, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_file_error(NULL, &p, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_client_free(pb);
}

int main(void) {
    signal(SIGALRM, blocked);
    alarm(30);
    const char *url = dev_server_url();
    CHECK(mkdtemp(dir) != NULL);
    test_login_survives_a_new_client(url);
    test_bad_files_are_reported(url);
    test_bad_options(url);
    /* Nothing else was written in the directory (no temporary file left behind). */
    CHECK(rmdir(dir) == 0);
    CHECK(bosbase_live_clients() == 0);
    printf("auth_file_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
