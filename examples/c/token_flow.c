/* The custom-token flow from C: bind for users and _superusers, log in with the
 * token (auth store filled), unbind, and see the next login fail with a clear 400.
 * Run: BOSBASE_URL=http://127.0.0.1:8090 ./token_flow */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bosbase.h"

static int check(BosbaseStatus status, char *result, char *error, const char *what) {
    if (status != BOSBASE_STATUS_OK) {
        fprintf(stderr, "%s failed (%s): %s\n", what, bosbase_status_name(status), error ? error : "");
    } else {
        printf("%s: %s\n", what, result ? result : "");
    }
    bosbase_string_free(result);
    bosbase_string_free(error);
    return status == BOSBASE_STATUS_OK;
}

static int flow(BosbaseClient *pb, const char *collection, const char *email, const char *password) {
    char *token = NULL, *result = NULL, *error = NULL;
    if (bosbase_generate_token(&token, NULL) != BOSBASE_STATUS_OK) return 0;

    BosbaseStatus s = bosbase_bind_custom_token(pb, collection, email, password, token, NULL, &result, &error);
    int ok = check(s, result, error, "bind");
    result = error = NULL;

    if (ok) {
        s = bosbase_auth_with_token(pb, collection, token, NULL, &result, &error);
        ok = s == BOSBASE_STATUS_OK;
        bosbase_string_free(result);
        bosbase_string_free(error);
        result = error = NULL;
    }
    if (ok) {
        char *record = NULL;
        bosbase_auth_store_record(pb, &record, NULL);
        printf("%s: authenticated, store valid=%d, record=%s\n", collection, bosbase_auth_store_is_valid(pb), record);
        bosbase_string_free(record);
        s = bosbase_unbind_custom_token(pb, collection, email, password, token, NULL, &result, &error);
        ok = check(s, result, error, "unbind");
        result = error = NULL;
    }
    if (ok) {
        s = bosbase_auth_with_token(pb, collection, token, NULL, &result, &error);
        ok = s == BOSBASE_STATUS_HTTP && error && strstr(error, "\"status\":400");
        printf("%s: login after unbind -> %s %s\n", collection, bosbase_status_name(s), error ? error : "");
        bosbase_string_free(result);
        bosbase_string_free(error);
    }
    bosbase_string_free(token);
    return ok;
}

int main(void) {
    const char *url = getenv("BOSBASE_URL");
    BosbaseClient *pb = NULL;
    char *error = NULL;
    if (bosbase_client_new(url ? url : "http://127.0.0.1:8090", NULL, &pb, &error) != BOSBASE_STATUS_OK) {
        fprintf(stderr, "client: %s\n", error);
        bosbase_string_free(error);
        return 1;
    }
    printf("bosbase %s\n", bosbase_version());
    int ok = flow(pb, "users", "user@example.com", "user-password") &&
             flow(pb, "_superusers", "admin@example.com", "admin-password");
    bosbase_client_free(pb);
    puts(ok ? "c: token flow OK" : "c: token flow FAILED");
    return ok ? 0 : 1;
}
