/* The CHECK counters shared by the C ABI test programs (atomic: checks run on many threads). */
#ifndef BOSBASE_TEST_CHECK_H
#define BOSBASE_TEST_CHECK_H
#include <stdio.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            __atomic_add_fetch(&passed, 1, __ATOMIC_RELAXED);                        \
        } else {                                                                     \
            __atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

/* True when `json` holds `"kind":"<kind>"`. */
static inline int has_kind(const char *json, const char *kind) {
    char needle[64];
    snprintf(needle, sizeof needle, "\"kind\":\"%s\"", kind);
    return json != NULL && strstr(json, needle) != NULL;
}
#endif
