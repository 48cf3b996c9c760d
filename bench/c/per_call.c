/* `make bench` (per call, C): GET /api/health on the dev server through the C ABI
 * (bosbase_send) against libcurl with one reused easy handle (keep-alive), each with the
 * same request headers, for the base URL as given (127.0.0.1) and with `localhost` in
 * place of the IP literal: a production server is reached by name.
 *
 *   per_call_c   (env BOSBASE_URL: http://127.0.0.1:PORT)
 *
 * Each round runs CALLS calls per side, the two sides in alternating order; the figure per
 * side is the median over ROUNDS of the round's mean per call. Prints one line per host:
 * `per-call C ABI / libcurl (<host>): <ratio>x (<c> us vs <curl> us)`. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bosbase.h"

#define ROUNDS 15
#define CALLS 200

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

static size_t discard(char *ptr, size_t size, size_t n, void *user) {
    (void)ptr;
    (void)user;
    return size * n;
}

/* Mean microseconds per call of CALLS calls through the C ABI; exits on a failed call. */
static double c_abi_round(BosbaseClient *pb) {
    double start = now_us();
    for (int i = 0; i < CALLS; i++) {
        char *r = NULL, *e = NULL;
        if (bosbase_send(pb, "/api/health", NULL, &r, &e) != BOSBASE_STATUS_OK) {
            fprintf(stderr, "per_call: C ABI call failed: %s\n", e ? e : "?");
            exit(1);
        }
        bosbase_string_free(r);
    }
    return (now_us() - start) / CALLS;
}

/* The same through libcurl; the answer is read and dropped (the C ABI side returns it). */
static double curl_round(CURL *curl) {
    double start = now_us();
    for (int i = 0; i < CALLS; i++) {
        long code = 0;
        if (curl_easy_perform(curl) != CURLE_OK ||
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200) {
            fprintf(stderr, "per_call: libcurl call failed (HTTP %ld)\n", code);
            exit(1);
        }
    }
    return (now_us() - start) / CALLS;
}

static void compare(const char *base, const char *host) {
    BosbaseClient *pb = NULL;
    char *e = NULL;
    if (bosbase_client_new(base, NULL, &pb, &e) != BOSBASE_STATUS_OK) {
        fprintf(stderr, "per_call: %s\n", e ? e : "client");
        exit(1);
    }
    char url[256];
    snprintf(url, sizeof url, "%s/api/health", base);
    CURL *curl = curl_easy_init();
    /* The headers the C ABI sends (ureq's Accept, the core's language and user agent). */
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: */*");
    headers = curl_slist_append(headers, "Accept-Language: en-US");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "bosbase-rust/" BOSBASE_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    c_abi_round(pb); /* warm: connections open, names resolved */
    curl_round(curl);
    double c[ROUNDS], k[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        if (r % 2 == 0) {
            c[r] = c_abi_round(pb);
            k[r] = curl_round(curl);
        } else {
            k[r] = curl_round(curl);
            c[r] = c_abi_round(pb);
        }
    }
    double cm = median(c, ROUNDS), km = median(k, ROUNDS);
    printf("per-call C ABI / libcurl (%s): %.3fx (%.1f us vs %.1f us, medians of %d rounds x %d calls)\n", host,
           cm / km, cm, km, ROUNDS, CALLS);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    bosbase_client_free(pb);
}

int main(void) {
    const char *base = getenv("BOSBASE_URL");
    const char *literal = "http://127.0.0.1:";
    if (!base || strncmp(base, literal, strlen(literal)) != 0) {
        fprintf(stderr, "per_call: BOSBASE_URL must be %sPORT\n", literal);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    compare(base, "127.0.0.1");
    char named[128];
    snprintf(named, sizeof named, "http://localhost:%s", base + strlen(literal));
    compare(named, "localhost");
    curl_global_cleanup();
    return 0;
}
