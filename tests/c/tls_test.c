/* HTTPS through the C ABI against scripts/tls-fixture (a 127.0.0.1 TLS server whose CA is
 * generated at start): trusted via caFile/caPem -> OK; no CA -> TLS; wrong host -> TLS;
 * dangerAcceptInvalidCerts -> OK. Built with ASan/UBSan. */
#include <stdlib.h>

#include "bosbase.h"
#include "check.h"

/* GET /api/health on a client made with `options`; returns the status, checks the error kind. */
static BosbaseStatus health(const char *url, const char *options, const char *want_kind, const char *want_text) {
    BosbaseClient *pb = NULL;
    char *r = NULL, *e = NULL;
    BosbaseStatus s = bosbase_client_new(url, options, &pb, &e);
    CHECK(s == BOSBASE_STATUS_OK);
    if (s != BOSBASE_STATUS_OK) {
        fprintf(stderr, "  client_new: %s\n", e ? e : "(null)");
        bosbase_string_free(e);
        return s;
    }
    s = bosbase_send(pb, "/api/health", NULL, &r, &e);
    if (want_kind == NULL) {
        CHECK(s == BOSBASE_STATUS_OK && r && strstr(r, "API is healthy."));
    } else {
        CHECK(s == BOSBASE_STATUS_TLS && has_kind(e, want_kind) && strstr(e, "\"status\":0"));
        CHECK(e && strstr(e, want_text));
    }
    if (s != (want_kind ? BOSBASE_STATUS_TLS : BOSBASE_STATUS_OK)) {
        fprintf(stderr, "  unexpected %s: %s\n", bosbase_status_name(s), e ? e : "(null)");
    }
    bosbase_string_free(r);
    bosbase_string_free(e);
    bosbase_client_free(pb);
    return s;
}

/* The PEM as a JSON string value (newlines escaped). */
static char *pem_option(const char *path) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) return NULL;
    char pem[8192];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = 0;
    char *out = malloc(2 * n + 32), *o = out;
    o += sprintf(o, "{\"caPem\":\"");
    for (size_t i = 0; i < n; i++) {
        if (pem[i] == '\n') { *o++ = '\\'; *o++ = 'n'; } else { *o++ = pem[i]; }
    }
    sprintf(o, "\"}");
    return out;
}

int main(void) {
    const char *url = getenv("BOSBASE_TLS_URL"), *wrong = getenv("BOSBASE_TLS_WRONG_HOST_URL");
    const char *ca = getenv("BOSBASE_TLS_CA_FILE");
    if (!url || !wrong || !ca) {
        fprintf(stderr, "run through scripts/tls-fixture\n");
        return 2;
    }
    char with_file[1024];
    snprintf(with_file, sizeof with_file, "{\"caFile\":\"%s\"}", ca);
    char *with_pem = pem_option(ca);
    health(url, with_file, NULL, NULL);
    health(url, with_pem, NULL, NULL);
    health(url, NULL, "tls", "unknown issuer");
    health(wrong, with_file, "tls", "name mismatch");
    health(url, "{\"dangerAcceptInvalidCerts\":true}", NULL, NULL);
    health(wrong, "{\"dangerAcceptInvalidCerts\":true}", NULL, NULL);
    free(with_pem);

    BosbaseClient *pb = NULL;
    char *e = NULL;
    CHECK(bosbase_client_new(url, "{\"caPem\":\"not a pem\"}", &pb, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(pb == NULL && has_kind(e, "invalid_argument") && strstr(e, "caPem") && !strstr(e, "not a pem"));
    bosbase_string_free(e);
    printf("c-tls: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
