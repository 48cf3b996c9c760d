/* The methods of BosbaseNative: each passes its String arguments to one core function and
 * returns the core's JSON (wrapped by envelope.c for calls that can fail). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async.h"
#include "envelope.h"
#include "live.h"
#include "native.h"

/* Empty String from GDScript means "no options" (the core's NULL). */
static const char *optional(const char *s) {
    return s[0] != '\0' ? s : NULL;
}

static BosbaseClient *client_of(BosbaseNative *self) {
    return atomic_load(&self->client);
}

static void on_auth_change(void *user_data, const char *token, const char *record_json) {
    (void)token;
    (void)record_json;
    BosbaseNative *self = user_data;
    atomic_fetch_add(&self->auth_changes, 1);
}

/* Makes `client` this instance's client (it owns it from here on) and listens to its auth
 * store. */
static char *adopt(BosbaseNative *self, BosbaseClient *client) {
    BosbaseClient *expected = NULL;
    if (!atomic_compare_exchange_strong(&self->client, &expected, client)) {
        bosbase_client_free(client);
        return envelope_local_error("open() was already called on this BosbaseNative");
    }
    /* The listener lives as long as the client: free_instance releases both. */
    uint64_t listener_id = 0;
    char *listen_error = NULL;
    BosbaseStatus status = bosbase_auth_store_on_change(client, on_auth_change, self, &listener_id, &listen_error);
    if (status != BOSBASE_STATUS_OK) {
        return envelope_from_core(status, NULL, listen_error);
    }
    return envelope_new(status, "true", NULL);
}

/* open(base_url, options_json): creates the client; options as for bosbase_client_new. */
static char *m_open(BosbaseNative *self, char *const *args) {
    BosbaseClient *client = NULL;
    char *error = NULL;
    BosbaseStatus status = bosbase_client_new(args[0], optional(args[1]), &client, &error);
    if (status != BOSBASE_STATUS_OK) {
        return envelope_from_core(status, NULL, error);
    }
    return adopt(self, client);
}

/* ---- forks: a client made by bosbase_client_fork waits here, under an id, until a new
 * instance adopts it with open_fork (the addon does both in one main-thread step) ---- */

typedef struct Fork {
    struct Fork *next;
    int64_t id;
    BosbaseClient *client;
} Fork;

static pthread_mutex_t forks_lock = PTHREAD_MUTEX_INITIALIZER;
static Fork *forks;
static int64_t next_fork_id = 1;

/* fork(auth_json): bosbase_client_fork of this client with `auth_json` ({token, record}, e.g.
 * the result of records.impersonate; "" for an empty store); the envelope's result is the id
 * open_fork takes. */
static char *m_fork(BosbaseNative *self, char *const *args) {
    BosbaseClient *client = NULL;
    char *error = NULL;
    BosbaseStatus status = bosbase_client_fork(client_of(self), optional(args[0]), &client, &error);
    if (status != BOSBASE_STATUS_OK) {
        return envelope_from_core(status, NULL, error);
    }
    Fork *f = malloc(sizeof *f);
    if (f == NULL) {
        bosbase_client_free(client);
        return NULL;
    }
    pthread_mutex_lock(&forks_lock);
    *f = (Fork){.next = forks, .id = next_fork_id++, .client = client};
    forks = f;
    pthread_mutex_unlock(&forks_lock);
    char result[32];
    snprintf(result, sizeof result, "%lld", (long long)f->id);
    return envelope_new(status, result, NULL);
}

/* open_fork(id): this new instance takes the client fork() made, instead of open(). */
static char *m_open_fork(BosbaseNative *self, char *const *args) {
    int64_t id = strtoll(args[0], NULL, 10);
    Fork *found = NULL;
    pthread_mutex_lock(&forks_lock);
    for (Fork **at = &forks; *at != NULL; at = &(*at)->next) {
        if ((*at)->id == id) {
            found = *at;
            *at = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&forks_lock);
    if (found == NULL) {
        return envelope_local_error("no forked client with this id");
    }
    BosbaseClient *client = found->client;
    free(found);
    return adopt(self, client);
}

void native_forks_shutdown(void) {
    pthread_mutex_lock(&forks_lock);
    Fork *list = forks;
    forks = NULL;
    pthread_mutex_unlock(&forks_lock);
    while (list != NULL) {
        Fork *next = list->next;
        bosbase_client_free(list->client);
        free(list);
        list = next;
    }
}

/* ---- file parts for the next call_async ---- */

/* Adds to the staged list (created on first use); envelope `true` or the core's error. */
static BosbaseFiles *staged(BosbaseNative *self) {
    if (self->staged_files == NULL) {
        self->staged_files = bosbase_files_new();
    }
    return self->staged_files;
}

/* files_add_bytes(field, filename, content_type, bytes): a part holding a copy of `bytes`
 * ("" content type: from the filename). */
static char *m_files_add_bytes(BosbaseNative *self, char *const *args, const uint8_t *data, size_t len) {
    char *error = NULL;
    BosbaseStatus status =
        bosbase_files_add_bytes(staged(self), args[0], args[1], optional(args[2]), data, len, &error);
    return status == BOSBASE_STATUS_OK ? envelope_new(status, "true", NULL) : envelope_from_core(status, NULL, error);
}

/* files_add_path(field, path, filename, content_type): a part streamed from `path` (an OS
 * path) when the call runs ("" filename: the path's last component; "" content type: from
 * the filename). */
static char *m_files_add_path(BosbaseNative *self, char *const *args) {
    char *error = NULL;
    BosbaseStatus status =
        bosbase_files_add_path(staged(self), args[0], args[1], optional(args[2]), optional(args[3]), &error);
    return status == BOSBASE_STATUS_OK ? envelope_new(status, "true", NULL) : envelope_from_core(status, NULL, error);
}

/* files_clear(): drops the staged parts (after a part was refused). */
static char *m_files_clear(BosbaseNative *self, char *const *args) {
    (void)args;
    bosbase_files_free(self->staged_files);
    self->staged_files = NULL;
    self->staged_progress = false;
    return envelope_new(BOSBASE_STATUS_OK, "true", NULL);
}

/* files_report_progress(): the next call_async with staged parts reports their upload
 * progress as {"progress":[done,total]} lines before its outcome (pending_call.gd). */
static char *m_files_report_progress(BosbaseNative *self, char *const *args) {
    (void)args;
    self->staged_progress = true;
    return envelope_new(BOSBASE_STATUS_OK, "true", NULL);
}

/* call_async(op, args_json, options_json): starts any row of the core's operation table by
 * name on the core's worker pool (bosbase_call_async); the envelope's result is the call's
 * id, its outcome comes later from take_completed (async.c). */
static char *m_call_async(BosbaseNative *self, char *const *args) {
    return async_call(self, args[0], optional(args[1]), optional(args[2]));
}

/* send_async(collection, path, options_json): a send to `path` under `collection`, or to the
 * server's `path` when `collection` is "", with bosbase_send_async on the core's worker pool;
 * returns, completes and cancels (cancel_all) as call_async. */
static char *m_send_async(BosbaseNative *self, char *const *args) {
    return async_send(self, optional(args[0]), args[1], optional(args[2]));
}

/* download_async(record_json, filename, path, options_json): a download of a record's file
 * to `path` (an OS path) on the core's worker pool; returns, completes and cancels as
 * call_async, with {"progress":[done,total]} lines before its outcome. */
static char *m_download_async(BosbaseNative *self, char *const *args) {
    return async_download(self, args[0], args[1], args[2], optional(args[3]));
}

/* oauth2_async(collection, provider, oauth2_json, options_json): the all-in-one OAuth2
 * sign-in on the core's worker pool; returns, completes and cancels as call_async, and
 * queues the provider's URL ({"oauth2Url"}) under the call's id before the outcome. */
static char *m_oauth2_async(BosbaseNative *self, char *const *args) {
    return async_oauth2(self, args[0], args[1], optional(args[2]), optional(args[3]));
}

/* close_async(): the core's non-blocking release of the client (later calls fail with status
 * CLOSED); its outcome `true` comes as for a call, after those of the calls running now. */
static char *m_close_async(BosbaseNative *self, char *const *args) {
    (void)args;
    return async_close(self);
}

static int64_t m_cancel_all(BosbaseNative *self, char *const *args) {
    (void)args;
    return async_cancel_all(self);
}

/* Static: the outcomes of every client's calls finished since the last look (async.h). */
static char *m_take_completed(BosbaseNative *self, char *const *args) {
    (void)self;
    (void)args;
    return async_take_completed();
}

/* Envelope of a store call with no result of its own: `true` on success. */
static char *envelope_of_status(BosbaseStatus status, char *error) {
    if (status == BOSBASE_STATUS_OK) {
        return envelope_new(status, "true", NULL);
    }
    return envelope_from_core(status, NULL, error);
}

/* Copies a core string into malloc'd memory; `fallback` when the core wrote nothing. */
static char *take_core_string(BosbaseStatus status, char *s, const char *fallback) {
    char *out = cstr_dup(status == BOSBASE_STATUS_OK && s != NULL ? s : fallback);
    bosbase_string_free(s);
    return out;
}

static char *m_auth_store_token(BosbaseNative *self, char *const *args) {
    (void)args;
    char *token = NULL;
    BosbaseStatus status = bosbase_auth_store_token(client_of(self), &token, NULL);
    return take_core_string(status, token, "");
}

static char *m_auth_store_record(BosbaseNative *self, char *const *args) {
    (void)args;
    char *record = NULL;
    BosbaseStatus status = bosbase_auth_store_record(client_of(self), &record, NULL);
    return take_core_string(status, record, "null");
}

static bool m_auth_store_is_valid(BosbaseNative *self, char *const *args) {
    (void)args;
    return bosbase_auth_store_is_valid(client_of(self));
}

static char *m_auth_store_save(BosbaseNative *self, char *const *args) {
    char *error = NULL;
    BosbaseStatus status = bosbase_auth_store_save(client_of(self), args[0], optional(args[1]), &error);
    return envelope_of_status(status, error);
}

static char *m_auth_store_clear(BosbaseNative *self, char *const *args) {
    (void)args;
    char *error = NULL;
    BosbaseStatus status = bosbase_auth_store_clear(client_of(self), &error);
    return envelope_of_status(status, error);
}

static char *m_auth_store_export(BosbaseNative *self, char *const *args) {
    (void)args;
    char *json = NULL;
    BosbaseStatus status = bosbase_auth_store_export(client_of(self), &json, NULL);
    return take_core_string(status, json, "{\"token\":\"\",\"record\":null}");
}

static char *m_auth_store_import(BosbaseNative *self, char *const *args) {
    char *error = NULL;
    BosbaseStatus status = bosbase_auth_store_import(client_of(self), args[0], &error);
    return envelope_of_status(status, error);
}

static bool m_auth_store_is_superuser(BosbaseNative *self, char *const *args) {
    (void)args;
    return bosbase_auth_store_is_superuser(client_of(self));
}

/* auth_store_export_cookie(options_json): the Set-Cookie value as a JSON string. */
static char *m_auth_store_export_cookie(BosbaseNative *self, char *const *args) {
    char *cookie = NULL, *error = NULL;
    BosbaseStatus status = bosbase_auth_store_export_cookie(client_of(self), optional(args[0]), &cookie, &error);
    return envelope_from_core_text(status, cookie, error);
}

/* auth_store_load_cookie(cookie_header, key): "" key is the core's default (pb_auth). */
static char *m_auth_store_load_cookie(BosbaseNative *self, char *const *args) {
    char *error = NULL;
    BosbaseStatus status = bosbase_auth_store_load_cookie(client_of(self), args[0], optional(args[1]), &error);
    return envelope_of_status(status, error);
}

/* auth_store_file_error(): the "authFile" problem as the envelope's result (error JSON or null). */
static char *m_auth_store_file_error(BosbaseNative *self, char *const *args) {
    (void)args;
    char *problem = NULL, *error = NULL;
    BosbaseStatus status = bosbase_auth_store_file_error(client_of(self), &problem, &error);
    return envelope_from_core(status, problem, error);
}

static int64_t m_auth_store_change_count(BosbaseNative *self, char *const *args) {
    (void)args;
    return (int64_t)atomic_load(&self->auth_changes);
}

/* Static: generate_token() → envelope whose result is the token as a JSON string. */
static char *m_generate_token(BosbaseNative *self, char *const *args) {
    (void)self;
    (void)args;
    char *token = NULL, *error = NULL;
    BosbaseStatus status = bosbase_generate_token(&token, &error);
    if (status != BOSBASE_STATUS_OK) {
        return envelope_from_core(status, NULL, error);
    }
    /* The token is URL-safe base64, so quoting it needs no escaping. */
    char *quoted = malloc(strlen(token) + 3);
    char *out = NULL;
    if (quoted != NULL) {
        sprintf(quoted, "\"%s\"", token);
        out = envelope_new(status, quoted, NULL);
        free(quoted);
    }
    bosbase_string_free(token);
    return out;
}

/* Static: filter(expr, params_json) → the core's bound filter as a JSON string. */
static char *m_filter(BosbaseNative *self, char *const *args) {
    (void)self;
    char *filter = NULL, *error = NULL;
    BosbaseStatus status = bosbase_filter(args[0], optional(args[1]), &filter, &error);
    return envelope_from_core_text(status, filter, error);
}

static char *m_version(BosbaseNative *self, char *const *args) {
    (void)self;
    (void)args;
    return cstr_dup(bosbase_version());
}

/* Static: native clients alive in this process (the core's counter), so tests and games
 * can check that every handle was released. */
static int64_t m_live_clients(BosbaseNative *self, char *const *args) {
    (void)self;
    (void)args;
    return (int64_t)bosbase_live_clients();
}

/* ---- realtime and pub/sub subscriptions (live.c): entries are taken with take_events ---- */

/* realtime_subscribe(collection, topic, options_json): `topic` ("*" or a record id) of
 * `collection`, or the plain `topic` when `collection` is ""; the envelope's result is the
 * subscription's id. */
static char *m_realtime_subscribe(BosbaseNative *self, char *const *args) {
    return live_realtime_subscribe(self, optional(args[0]), args[1], optional(args[2]));
}

/* pubsub_subscribe(topic): as realtime_subscribe, for a pub/sub topic. */
static char *m_pubsub_subscribe(BosbaseNative *self, char *const *args) {
    return live_pubsub_subscribe(self, args[0]);
}

static int64_t id_arg(const char *s) {
    return strtoll(s, NULL, 10);
}

static bool m_live_unsubscribe(BosbaseNative *self, char *const *args) {
    (void)self;
    return live_unsubscribe(id_arg(args[0]));
}

static bool m_live_free(BosbaseNative *self, char *const *args) {
    (void)self;
    live_free(id_arg(args[0]));
    return true;
}

static bool m_live_is_active(BosbaseNative *self, char *const *args) {
    (void)self;
    return live_is_active(id_arg(args[0]));
}

static bool m_live_is_stopped(BosbaseNative *self, char *const *args) {
    (void)self;
    return live_is_stopped(id_arg(args[0]));
}

static int64_t m_live_dropped(BosbaseNative *self, char *const *args) {
    (void)self;
    return live_dropped(id_arg(args[0]));
}

static char *m_realtime_unsubscribe(BosbaseNative *self, char *const *args) {
    return live_unsubscribe_topic(self, args[0], false, false);
}

static char *m_realtime_unsubscribe_by_prefix(BosbaseNative *self, char *const *args) {
    return live_unsubscribe_topic(self, args[0], true, false);
}

static char *m_pubsub_unsubscribe(BosbaseNative *self, char *const *args) {
    return live_unsubscribe_topic(self, args[0], false, true);
}

static bool m_pubsub_is_connected(BosbaseNative *self, char *const *args) {
    (void)args;
    return bosbase_pubsub_is_connected(client_of(self));
}

static int64_t m_realtime_state_id(BosbaseNative *self, char *const *args) {
    (void)args;
    return self->state_event_id;
}

/* Static: every entry the core queued for the live subscriptions since the last look (live.h). */
static char *m_take_events(BosbaseNative *self, char *const *args) {
    (void)self;
    (void)args;
    return live_take_events();
}

/* Static: subscription records alive (not yet freed by live_free). */
static int64_t m_live_subscriptions(BosbaseNative *self, char *const *args) {
    (void)self;
    (void)args;
    return live_count();
}

#define STRING_METHOD(fn_name, n, ...)                                                               \
    { .name = #fn_name, .is_static = false, .ret = NATIVE_RETURN_STRING, .argc = (n),               \
      .arg_names = {__VA_ARGS__}, .fn.string = m_##fn_name }

const NativeMethod native_methods[] = {
    STRING_METHOD(open, 2, "base_url", "options_json"),
    STRING_METHOD(call_async, 3, "operation", "args_json", "options_json"),
    STRING_METHOD(send_async, 3, "collection", "path", "options_json"),
    STRING_METHOD(oauth2_async, 4, "collection", "provider", "oauth2_json", "options_json"),
    STRING_METHOD(close_async, 0, NULL),
    STRING_METHOD(download_async, 4, "record_json", "filename", "path", "options_json"),
    {.name = "cancel_all", .ret = NATIVE_RETURN_INT, .fn.integer = m_cancel_all},
    STRING_METHOD(auth_store_token, 0, NULL),
    STRING_METHOD(auth_store_record, 0, NULL),
    {.name = "auth_store_is_valid", .ret = NATIVE_RETURN_BOOL, .fn.boolean = m_auth_store_is_valid},
    STRING_METHOD(auth_store_save, 2, "token", "record_json"),
    STRING_METHOD(auth_store_clear, 0, NULL),
    STRING_METHOD(auth_store_export, 0, NULL),
    STRING_METHOD(auth_store_import, 1, "json"),
    {.name = "auth_store_change_count", .ret = NATIVE_RETURN_INT, .fn.integer = m_auth_store_change_count},
    STRING_METHOD(fork, 1, "auth_json"),
    STRING_METHOD(open_fork, 1, "fork_id"),
    {.name = "files_add_bytes", .ret = NATIVE_RETURN_STRING, .argc = 4,
     .arg_names = {"field", "filename", "content_type", "bytes"}, .bytes_arg = 4,
     .fn.string_bytes = m_files_add_bytes},
    STRING_METHOD(files_add_path, 4, "field", "path", "filename", "content_type"),
    STRING_METHOD(files_clear, 0, NULL),
    STRING_METHOD(files_report_progress, 0, NULL),
    {.name = "auth_store_is_superuser", .ret = NATIVE_RETURN_BOOL, .fn.boolean = m_auth_store_is_superuser},
    STRING_METHOD(auth_store_export_cookie, 1, "options_json"),
    STRING_METHOD(auth_store_load_cookie, 2, "cookie_header", "key"),
    STRING_METHOD(auth_store_file_error, 0, NULL),
    STRING_METHOD(realtime_subscribe, 3, "collection", "topic", "options_json"),
    STRING_METHOD(pubsub_subscribe, 1, "topic"),
    {.name = "live_unsubscribe", .ret = NATIVE_RETURN_BOOL, .argc = 1, .arg_names = {"id"},
     .fn.boolean = m_live_unsubscribe},
    {.name = "live_free", .ret = NATIVE_RETURN_BOOL, .argc = 1, .arg_names = {"id"}, .fn.boolean = m_live_free},
    {.name = "live_is_active", .ret = NATIVE_RETURN_BOOL, .argc = 1, .arg_names = {"id"},
     .fn.boolean = m_live_is_active},
    {.name = "live_is_stopped", .ret = NATIVE_RETURN_BOOL, .argc = 1, .arg_names = {"id"},
     .fn.boolean = m_live_is_stopped},
    {.name = "live_dropped", .ret = NATIVE_RETURN_INT, .argc = 1, .arg_names = {"id"},
     .fn.integer = m_live_dropped},
    STRING_METHOD(realtime_unsubscribe, 1, "topic"),
    STRING_METHOD(realtime_unsubscribe_by_prefix, 1, "prefix"),
    STRING_METHOD(pubsub_unsubscribe, 1, "topic"),
    {.name = "pubsub_is_connected", .ret = NATIVE_RETURN_BOOL, .fn.boolean = m_pubsub_is_connected},
    {.name = "realtime_state_id", .ret = NATIVE_RETURN_INT, .fn.integer = m_realtime_state_id},
    {.name = "filter", .is_static = true, .ret = NATIVE_RETURN_STRING, .argc = 2,
     .arg_names = {"expr", "params_json"}, .fn.string = m_filter},
    {.name = "take_completed", .is_static = true, .ret = NATIVE_RETURN_STRING, .fn.string = m_take_completed},
    {.name = "generate_token", .is_static = true, .ret = NATIVE_RETURN_STRING, .fn.string = m_generate_token},
    {.name = "version", .is_static = true, .ret = NATIVE_RETURN_STRING, .fn.string = m_version},
    {.name = "live_clients", .is_static = true, .ret = NATIVE_RETURN_INT, .fn.integer = m_live_clients},
    {.name = "take_events", .is_static = true, .ret = NATIVE_RETURN_STRING, .fn.string = m_take_events},
    {.name = "live_subscriptions", .is_static = true, .ret = NATIVE_RETURN_INT, .fn.integer = m_live_subscriptions},
};

const size_t native_method_count = sizeof native_methods / sizeof native_methods[0];
