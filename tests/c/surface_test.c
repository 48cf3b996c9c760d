/* The C ABI 4 additions against the dev server (BOSBASE_URL): file parts
 * (bosbase_files_*, bosbase_call_with_files, bosbase_call_async_with_files), bosbase_client_fork
 * with records.impersonate, and the auth store's superuser flag and cookie form. Built with
 * ASan/UBSan. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bosbase.h"
#include "check.h"
#include "server.h"
#include "outcome.h"

static const char *url;

static BosbaseClient *signed_in(const char *collection, const char *email, const char *password) {
    BosbaseClient *pb = NULL;
    CHECK(bosbase_client_new(url, NULL, &pb, NULL) == BOSBASE_STATUS_OK);
    char args[256], *r = NULL, *e = NULL;
    snprintf(args, sizeof args, "{\"collection\":\"%s\",\"identity\":\"%s\",\"password\":\"%s\"}", collection, email,
             password);
    CHECK(bosbase_call(pb, "records.authWithPassword", args, NULL, &r, &e) == BOSBASE_STATUS_OK);
    bosbase_string_free(r);
    bosbase_string_free(e);
    return pb;
}

/* The value of "key":"..." in `json`, copied into `out`. */
static int field(const char *json, const char *key, char *out, size_t size) {
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\":\"", key);
    const char *at = json ? strstr(json, needle) : NULL;
    if (!at) return 0;
    at += strlen(needle);
    size_t n = strcspn(at, "\"");
    if (n >= size) return 0;
    memcpy(out, at, n);
    out[n] = '\0';
    return 1;
}

static void test_files_null_and_bad_input(void) {
    char *e = NULL;
    CHECK(bosbase_files_add_bytes(NULL, "f", "a.txt", NULL, (const uint8_t *)"x", 1, &e) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(has_kind(e, "invalid_argument"));
    bosbase_string_free(e);
    BosbaseFiles *files = bosbase_files_new();
    CHECK(files != NULL);
    CHECK(bosbase_files_add_bytes(files, NULL, "a.txt", NULL, NULL, 0, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_files_add_bytes(files, "f", "a.txt", NULL, NULL, 3, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_files_add_path(files, "f", "\xff", NULL, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_files_add_path(files, "f", "/no/such/file", NULL, NULL, NULL) == BOSBASE_STATUS_OK);
    /* The missing file is reported by the call, naming the field and not the path. */
    BosbaseClient *pb = signed_in("users", "user@example.com", "user-password");
    char *r = NULL;
    e = NULL;
    CHECK(bosbase_call_with_files(pb, "records.create", "{\"collection\":\"posts\",\"data\":{\"title\":\"t\"}}", NULL,
                                  files, &r, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(e && strstr(e, "`f`") && !strstr(e, "/no/such"));
    bosbase_string_free(e);
    bosbase_files_free(files);
    bosbase_files_free(NULL);
    bosbase_client_free(pb);
}

static void test_upload_bytes_and_path(void) {
    BosbaseClient *pb = signed_in("users", "user@example.com", "user-password");
    char *record = NULL, id[64] = "";
    CHECK(bosbase_auth_store_record(pb, &record, NULL) == BOSBASE_STATUS_OK);
    CHECK(field(record, "id", id, sizeof id));
    bosbase_string_free(record);
    CHECK(!bosbase_auth_store_is_superuser(pb));

    /* Bytes, blocking. */
    BosbaseFiles *files = bosbase_files_new();
    const char text[] = "hello from C";
    CHECK(bosbase_files_add_bytes(files, "attachment", "c.txt", "text/plain", (const uint8_t *)text, sizeof text - 1,
                                  NULL) == BOSBASE_STATUS_OK);
    char args[256], *r = NULL, *e = NULL;
    snprintf(args, sizeof args, "{\"collection\":\"posts\",\"data\":{\"title\":\"from C\",\"author\":\"%s\"}}", id);
    CHECK(bosbase_call_with_files(pb, "records.create", args, NULL, files, &r, &e) == BOSBASE_STATUS_OK);
    bosbase_files_free(files);
    char name[128] = "", post[64] = "";
    CHECK(field(r, "attachment", name, sizeof name) && strncmp(name, "c", 1) == 0);
    CHECK(field(r, "id", post, sizeof post));
    bosbase_string_free(r);
    bosbase_string_free(e);

    /* A path, asynchronously; the list is freed right after the start. */
    char path[] = "/tmp/bosbase-c-upload-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "from a path", 11) == 11);
    close(fd);
    files = bosbase_files_new();
    CHECK(bosbase_files_add_path(files, "attachment", path, "pathupload.txt", NULL, NULL) == BOSBASE_STATUS_OK);
    struct outcome o = OUTCOME_INIT;
    BosbaseCall *call = NULL;
    snprintf(args, sizeof args, "{\"collection\":\"posts\",\"id\":\"%s\",\"data\":{\"title\":\"replaced\"}}", post);
    CHECK(bosbase_call_async_with_files(pb, "records.update", args, NULL, files, on_done, &o, &call, NULL) ==
          BOSBASE_STATUS_OK);
    bosbase_files_free(files);
    wait_for(&o, 1);
    bosbase_call_free(call);
    unlink(path);
    CHECK(o.status == BOSBASE_STATUS_OK && strstr(o.text, "\"title\":\"replaced\"") && strstr(o.text, "\"attachment\":\"pathupload_"));
    if (!strstr(o.text, "\"attachment\":\"pathupload_")) fprintf(stderr, "  update: %s\n", o.text);

    /* files.getURL is local: it builds the URL from the record. */
    snprintf(args, sizeof args,
             "{\"record\":{\"id\":\"%s\",\"collectionName\":\"posts\"},\"filename\":\"x.txt\",\"download\":true}", post);
    CHECK(bosbase_call(pb, "files.getURL", args, NULL, &r, NULL) == BOSBASE_STATUS_OK);
    CHECK(r && strstr(r, "/api/files/posts/") && strstr(r, "/x.txt?download=1\""));
    bosbase_string_free(r);
    bosbase_client_free(pb);
}

static void test_fork_and_impersonate(void) {
    BosbaseClient *admin = signed_in("_superusers", "admin@example.com", "admin-password");
    CHECK(bosbase_auth_store_is_superuser(admin));
    char *users = NULL, id[64] = "";
    CHECK(bosbase_call(admin, "records.getFirstListItem", "{\"collection\":\"users\",\"filter\":\"email='user@example.com'\"}",
                       NULL, &users, NULL) == BOSBASE_STATUS_OK);
    CHECK(field(users, "id", id, sizeof id));
    bosbase_string_free(users);
    char args[160], *auth = NULL;
    snprintf(args, sizeof args, "{\"collection\":\"users\",\"id\":\"%s\",\"duration\":600}", id);
    CHECK(bosbase_call(admin, "records.impersonate", args, NULL, &auth, NULL) == BOSBASE_STATUS_OK);
    BosbaseClient *as_user = NULL;
    CHECK(bosbase_client_fork(admin, auth, &as_user, NULL) == BOSBASE_STATUS_OK);
    bosbase_string_free(auth);
    CHECK(as_user && !bosbase_auth_store_is_superuser(as_user) && bosbase_auth_store_is_superuser(admin));
    char *rec = NULL;
    CHECK(bosbase_auth_store_record(as_user, &rec, NULL) == BOSBASE_STATUS_OK);
    CHECK(rec && strstr(rec, "user@example.com"));
    bosbase_string_free(rec);

    BosbaseClient *empty = NULL;
    char *e = NULL;
    CHECK(bosbase_client_fork(admin, NULL, &empty, NULL) == BOSBASE_STATUS_OK);
    CHECK(!bosbase_auth_store_is_valid(empty));
    CHECK(bosbase_client_fork(admin, "{\"token\":1}", &as_user, &e) == BOSBASE_STATUS_INVALID_ARGUMENT);
    bosbase_string_free(e);
    CHECK(bosbase_client_fork(admin, "{", &as_user, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_client_fork(NULL, NULL, &as_user, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_client_fork(admin, NULL, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);

    /* The cookie carries the superuser's login to another client. */
    char *cookie = NULL;
    CHECK(bosbase_auth_store_export_cookie(admin, NULL, &cookie, NULL) == BOSBASE_STATUS_OK);
    CHECK(cookie && strncmp(cookie, "pb_auth=", 8) == 0 && strstr(cookie, "; HttpOnly; Secure; SameSite=Strict"));
    char header[4200];
    snprintf(header, sizeof header, "lang=en; %.*s", (int)strcspn(cookie, ";"), cookie);
    bosbase_string_free(cookie);
    CHECK(bosbase_auth_store_load_cookie(empty, header, NULL, NULL) == BOSBASE_STATUS_OK);
    CHECK(bosbase_auth_store_is_superuser(empty));
    CHECK(bosbase_auth_store_export_cookie(admin, "{\"key\":\"a;b\"}", &cookie, NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_export_cookie(admin, "{\"nope\":1}", &cookie, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(bosbase_auth_store_load_cookie(empty, "pb_auth=%7Bbad", "pb_auth", NULL) ==
          BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(!bosbase_auth_store_is_valid(empty));
    CHECK(bosbase_auth_store_load_cookie(empty, NULL, NULL, NULL) == BOSBASE_STATUS_INVALID_ARGUMENT);
    CHECK(!bosbase_auth_store_is_superuser(NULL));

    bosbase_client_free(empty);
    bosbase_client_free(as_user);
    bosbase_client_free(admin);
}

int main(void) {
    url = dev_server_url();
    test_files_null_and_bad_input();
    test_upload_bytes_and_path();
    test_fork_and_impersonate();
    CHECK(bosbase_live_clients() == 0);
    printf("surface_test: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
