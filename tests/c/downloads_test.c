/* Downloads and transfer progress through the C ABI against the dev server (BOSBASE_URL):
 * bosbase_files_download (bytes equal, progress, TOO_LARGE and HTTP leave no file),
 * bosbase_files_on_progress for an upload, bosbase_files_download_async with a completion
 * exactly once and a cancel mid-download (no file, no report after the completion).
 * Built with ASan/UBSan. */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"
#include "outcome.h"

#define FILE_BYTES (4u << 20)

struct progress {
    pthread_mutex_t lock;
    int reports, monotonic, sleep_first_ms;
    uint64_t done, total;
    volatile int *completed; /* set once the completion ran: no report may follow */
};

static void on_progress(void *user_data, uint64_t done, uint64_t total) {
    struct progress *p = user_data;
    CHECK(p->completed == NULL || !__atomic_load_n(p->completed, __ATOMIC_SEQ_CST));
    pthread_mutex_lock(&p->lock);
    if (done < p->done) p->monotonic = 0;
    p->reports++;
    p->done = done;
    p->total = total;
    int first = p->reports == 1;
    pthread_mutex_unlock(&p->lock);
    if (first && p->sleep_first_ms) usleep(p->sleep_first_ms * 1000); /* a cancel waits for this */
}

static int entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.');
    if (d) closedir(d);
    return n;
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The value of the string field `"key":"…"` of `json`, copied into `out`. */
static void field(const char *json, const char *key, char *out, size_t size) {
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\":\"", key);
    const char *at = json ? strstr(json, needle) : NULL;
    out[0] = 0;
    if (!at) return;
    at += strlen(needle);
    size_t n = strcspn(at, "\"");
    if (n >= size) n = size - 1;
    memcpy(out, at, n);
    out[n] = 0;
}

int main(void) {
    const char *url = dev_server_url();
    BosbaseClient *pb = NULL;
    char *r = NULL, *e = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_call(pb, "records.authWithPassword",
                       "{\"collection\":\"_superusers\",\"identity\":\"admin@example.com\",\"password\":\"admin-password\"}",
                       NULL, &r, NULL) == BOSBASE_STATUS_OK);
    bosbase_string_free(r);
    char name[64], args[1024];
    snprintf(name, sizeof name, "dlc_%ld_%ld", (long)getpid(), (long)time(NULL));
    snprintf(args, sizeof args,
             "{\"data\":{\"name\":\"%s\",\"type\":\"base\",\"listRule\":\"\",\"viewRule\":\"\",\"createRule\":\"\","
             "\"fields\":[{\"name\":\"doc\",\"type\":\"file\",\"maxSelect\":1,\"maxSize\":104857600}]}}",
             name);
    CHECK(bosbase_call(pb, "collections.create", args, NULL, &r, &e) == BOSBASE_STATUS_OK);
    bosbase_string_free(r);
    bosbase_string_free(e);

    /* Upload with progress on the BosbaseFiles handle. */
    unsigned char *data = malloc(FILE_BYTES);
    for (unsigned i = 0; i < FILE_BYTES; i++) data[i] = (unsigned char)(i * 31 % 251);
    struct progress up = {PTHREAD_MUTEX_INITIALIZER, 0, 1, 0, 0, 0, NULL};
    BosbaseFiles *files = bosbase_files_new();
    CHECK(bosbase_files_add_bytes(files, "doc", "data.bin", NULL, data, FILE_BYTES, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_files_on_progress(files, on_progress, &up, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_files_on_progress(NULL, on_progress, &up, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_string_free(e);
    char create[256];
    snprintf(create, sizeof create, "{\"collection\":\"%s\",\"data\":{}}", name);
    char *record = NULL;
    CHECK(bosbase_call_with_files(pb, "records.create", create, NULL, files, &record, NULL) == BOSBASE_STATUS_OK);
    bosbase_files_free(files);
    CHECK(up.reports >= 10 && up.monotonic && up.done == up.total && up.total > FILE_BYTES);
    char stored[256];
    field(record, "doc", stored, sizeof stored);
    CHECK(stored[0] != 0);

    char dir[] = "/tmp/bosbase-dl-c-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char target[512];
    snprintf(target, sizeof target, "%s/out.bin", dir);

    /* Blocking download to a path with progress; bytes equal. */
    struct progress down = {PTHREAD_MUTEX_INITIALIZER, 0, 1, 0, 0, 0, NULL};
    r = NULL;
    CHECK(bosbase_files_download(pb, record, stored, target, NULL, on_progress, &down, &r, NULL) == BOSBASE_STATUS_OK);
    CHECK(r && strstr(r, "\"bytes\":4194304"));
    bosbase_string_free(r);
    CHECK(down.reports >= 10 && down.monotonic && down.done == FILE_BYTES && down.total == FILE_BYTES);
    FILE *f = fopen(target, "rb");
    unsigned char *back = malloc(FILE_BYTES + 1);
    size_t got = f ? fread(back, 1, FILE_BYTES + 1, f) : 0;
    if (f) fclose(f);
    CHECK(got == FILE_BYTES && memcmp(back, data, FILE_BYTES) == 0);
    free(back);
    unlink(target);

    /* Over the cap: TOO_LARGE, nothing left. A missing file: HTTP with the server's JSON. */
    e = NULL;
    CHECK(bosbase_files_download(pb, record, stored, target, "{\"maxBytes\":1000}", NULL, NULL, &r, &e) ==
          BOSBASE_STATUS_TOO_LARGE);
    CHECK(has_kind(e, "too_large") && strstr(e, "\"status\":200"));
    CHECK(strcmp(bosbase_status_name(BOSBASE_STATUS_TOO_LARGE), "too_large") == 0);
    bosbase_string_free(e);
    e = NULL;
    CHECK(bosbase_files_download(pb, record, "missing.bin", target, NULL, NULL, NULL, &r, &e) == BOSBASE_STATUS_HTTP);
    CHECK(has_kind(e, "http") && strstr(e, "\"status\":404") && strstr(e, "\"response\":{"));
    bosbase_string_free(e);
    e = NULL;
    CHECK(bosbase_files_download(pb, "{\"id\":\"x\"}", stored, target, NULL, NULL, NULL, &r, &e) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_string_free(e);
    e = NULL;
    CHECK(bosbase_files_download(pb, record, stored, target, "{\"maxbytes\":1}", NULL, NULL, &r, &e) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_string_free(e);
    CHECK(entries(dir) == 0);

    /* Async: the completion runs exactly once, after the last report. */
    volatile int completed = 0;
    struct progress async = {PTHREAD_MUTEX_INITIALIZER, 0, 1, 0, 0, 0, &completed};
    struct outcome o = OUTCOME_INIT;
    BosbaseCall *c = NULL;
    CHECK(bosbase_files_download_async(pb, record, stored, target, NULL, on_progress, &async, on_done, &o, &c, NULL) ==
          BOSBASE_STATUS_OK);
    wait_for(&o, 1);
    __atomic_store_n(&completed, 1, __ATOMIC_SEQ_CST);
    CHECK(o.status == BOSBASE_STATUS_OK && strstr(o.text, "\"bytes\":4194304") && file_size(target) == FILE_BYTES);
    CHECK(async.done == FILE_BYTES && async.total == FILE_BYTES);
    bosbase_call_free(c);
    unlink(target);

    /* Cancel mid-download: the completion (CANCELLED) runs before cancel returns, after the
     * report in progress finished; no report and no file afterwards. */
    volatile int cancelled = 0;
    struct progress slow = {PTHREAD_MUTEX_INITIALIZER, 0, 1, 300, 0, 0, &cancelled};
    struct outcome oc = OUTCOME_INIT;
    c = NULL;
    CHECK(bosbase_files_download_async(pb, record, stored, target, NULL, on_progress, &slow, on_done, &oc, &c, NULL) ==
          BOSBASE_STATUS_OK);
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&slow.lock);
        int seen = slow.reports;
        pthread_mutex_unlock(&slow.lock);
        if (seen) break;
        usleep(5 * 1000);
    }
    bosbase_call_cancel(c);
    __atomic_store_n(&cancelled, 1, __ATOMIC_SEQ_CST);
    CHECK(oc.calls == 1 && oc.status == BOSBASE_STATUS_CANCELLED);
    CHECK(entries(dir) == 0); /* the cancel removed the temporary file before it returned */
    int at_cancel = slow.reports;
    usleep(500 * 1000);
    CHECK(slow.reports == at_cancel && oc.calls == 1);
    CHECK(entries(dir) == 0);
    bosbase_call_free(c);

    rmdir(dir);
    free(data);
    bosbase_string_free(record);
    bosbase_client_free(pb);
    printf("downloads_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
