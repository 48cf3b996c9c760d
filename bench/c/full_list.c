/* `make bench` (memory, C): records.getFullList of the dev server's 20,000 posts through
 * the C ABI (the result string held, as a C caller holds it) against libcurl fetching the
 * same pages and holding their bodies. One side per process; prints `growth_kib records`.
 *
 *   full_list_c SIDE   (SIDE: c-abi | libcurl; env BOSBASE_URL, BOSBASE_BENCH_TOKEN)
 *
 * Growth is the peak RSS during the call (VmHWM after a reset through /proc/self/clear_refs)
 * minus the RSS just before it. The libcurl side has no JSON parser: it counts a page's
 * records by their `"collectionName":` keys (one per post, nothing expanded). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bosbase.h"

#define BATCH 1000

static long status_kib(const char *name) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, name, strlen(name)) == 0) v = strtol(line + strlen(name), NULL, 10);
    }
    if (f) fclose(f);
    return v;
}

static void reset_peak(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f || fputs("5", f) < 0) {
        perror("clear_refs");
        exit(2);
    }
    fclose(f);
}

struct body {
    char *data;
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *user) {
    struct body *b = user;
    char *grown = realloc(b->data, b->len + size * n + 1);
    if (!grown) return 0;
    memcpy(grown + b->len, ptr, size * n);
    b->data = grown;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

static size_t count(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

int main(int argc, char **argv) {
    const char *url = getenv("BOSBASE_URL"), *token = getenv("BOSBASE_BENCH_TOKEN");
    if (argc != 2 || !url || !token) {
        fprintf(stderr, "usage: BOSBASE_URL=… BOSBASE_BENCH_TOKEN=… %s c-abi|libcurl\n", argv[0]);
        return 2;
    }
    char auth[4096], target[512], options[4200];
    snprintf(auth, sizeof auth, "Authorization: %s", token);
    snprintf(options, sizeof options, "{\"headers\":{\"Authorization\":\"%s\"}}", token);
    size_t records = 0;
    long before, growth;
    if (strcmp(argv[1], "c-abi") == 0) {
        BosbaseClient *pb = NULL;
        char *result = NULL;
        if (bosbase_client_new(url, NULL, &pb, NULL) != BOSBASE_STATUS_OK) return 1;
        /* Warm the connection and the worker with one small list. */
        if (bosbase_call(pb, "records.getList", "{\"collection\":\"posts\",\"perPage\":1}", options, &result, NULL))
            return 1;
        bosbase_string_free(result);
        reset_peak();
        before = status_kib("VmRSS:");
        if (bosbase_call(pb, "records.getFullList", "{\"collection\":\"posts\",\"batch\":1000}", options, &result,
                         NULL) != BOSBASE_STATUS_OK)
            return 1;
        growth = status_kib("VmHWM:") - before;
        records = count(result, "\"collectionName\":");
        bosbase_string_free(result);
        bosbase_client_free(pb);
    } else {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        CURL *curl = curl_easy_init();
        struct curl_slist *headers = curl_slist_append(NULL, auth);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
        struct body pages[64] = {{0}};
        /* Warm the connection with one small page. */
        snprintf(target, sizeof target, "%s/api/collections/posts/records?perPage=1", url);
        curl_easy_setopt(curl, CURLOPT_URL, target);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &pages[0]);
        if (curl_easy_perform(curl) != CURLE_OK) return 1;
        free(pages[0].data);
        pages[0] = (struct body){0};
        reset_peak();
        before = status_kib("VmRSS:");
        for (int page = 1; page <= 64; page++) {
            snprintf(target, sizeof target, "%s/api/collections/posts/records?page=%d&perPage=%d&skipTotal=1", url,
                     page, BATCH);
            curl_easy_setopt(curl, CURLOPT_URL, target);
            curl_easy_setopt(curl, CURLOPT_WRITEDATA, &pages[page - 1]);
            if (curl_easy_perform(curl) != CURLE_OK || !pages[page - 1].data) return 1;
            size_t n = count(pages[page - 1].data, "\"collectionName\":");
            records += n;
            if (n < BATCH) break;
        }
        growth = status_kib("VmHWM:") - before;
        for (int i = 0; i < 64; i++) free(pages[i].data);
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        curl_global_cleanup();
    }
    printf("%ld %zu\n", growth, records);
    return 0;
}
