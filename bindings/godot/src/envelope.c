#include "envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cstr_dup(const char *s) {
    if (s == NULL) {
        return NULL;
    }
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy != NULL) {
        memcpy(copy, s, len);
    }
    return copy;
}

char *envelope_new(BosbaseStatus status, const char *result_json, const char *error_json) {
    static const char format[] = "{\"status\":%u,\"result\":%s,\"error\":%s}";
    const char *result = result_json != NULL ? result_json : "null";
    const char *error = error_json != NULL ? error_json : "null";
    int len = snprintf(NULL, 0, format, (unsigned)status, result, error);
    if (len < 0) {
        return NULL;
    }
    char *out = malloc((size_t)len + 1);
    if (out != NULL) {
        snprintf(out, (size_t)len + 1, format, (unsigned)status, result, error);
    }
    return out;
}

char *envelope_from_core(BosbaseStatus status, char *result_json, char *error_json) {
    char *out = status == BOSBASE_STATUS_OK ? envelope_new(status, result_json, NULL)
                                            : envelope_new(status, NULL, error_json);
    bosbase_string_free(result_json);
    bosbase_string_free(error_json);
    return out;
}

char *envelope_local_error(const char *message) {
    static const char format[] = "{\"kind\":\"invalid_argument\",\"url\":\"\",\"status\":0,\"response\":{},"
                                 "\"isAbort\":false,\"message\":\"%s\"}";
    int len = snprintf(NULL, 0, format, message);
    if (len < 0) {
        return NULL;
    }
    char *error = malloc((size_t)len + 1);
    if (error == NULL) {
        return NULL;
    }
    snprintf(error, (size_t)len + 1, format, message);
    char *out = envelope_new(BOSBASE_STATUS_INVALID_ARGUMENT, NULL, error);
    free(error);
    return out;
}

/* `s` as a JSON string literal (quotes included); malloc'd, NULL when out of memory. */
static char *json_quote(const char *s) {
    size_t len = 3;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        len += *p < 0x20 ? 6 : (*p == '"' || *p == '\\') ? 2 : 1;
    }
    char *out = malloc(len);
    if (out == NULL) {
        return NULL;
    }
    char *at = out;
    *at++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20) {
            at += sprintf(at, "\\u%04x", (unsigned)*p);
        } else {
            if (*p == '"' || *p == '\\') {
                *at++ = '\\';
            }
            *at++ = (char)*p;
        }
    }
    *at++ = '"';
    *at = '\0';
    return out;
}

char *envelope_from_core_text(BosbaseStatus status, char *text, char *error_json) {
    if (status != BOSBASE_STATUS_OK || text == NULL) {
        bosbase_string_free(text);
        return envelope_from_core(status == BOSBASE_STATUS_OK ? BOSBASE_STATUS_PANIC : status, NULL, error_json);
    }
    char *quoted = json_quote(text);
    char *out = quoted != NULL ? envelope_new(status, quoted, NULL) : NULL;
    free(quoted);
    bosbase_string_free(text);
    bosbase_string_free(error_json);
    return out;
}

char *envelope_oauth2_url(const char *url) {
    char *quoted = json_quote(url);
    if (quoted == NULL) {
        return NULL;
    }
    size_t len = strlen(quoted) + 16;
    char *out = malloc(len);
    if (out != NULL) {
        snprintf(out, len, "{\"oauth2Url\":%s}", quoted);
    }
    free(quoted);
    return out;
}
