/* The methods of BosbaseNative: each passes its String arguments to one core function and
 * returns the core's JSON (wrapped by envelope.c for calls that can fail). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async.h"
#include "envelope.h"
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

/* open(base_url, options_json): creates the client; options as for bosbase_client_new. */
static char *m_open(BosbaseNative *self, char *const *args) {
    BosbaseClient *client = NULL;
    char *error = NULL;
    BosbaseStatus status = bosbase_client_new(args[0], optional(args[1]), &client, &error);
    if (status != BOSBASE_STATUS_OK) {
        return envelope_from_core(status, NULL, error);
    }
    BosbaseClient *expected = NULL;
    if (!atomic_compare_exchange_strong(&self->client, &expected, client)) {
        bosbase_client_free(client);
        return envelope_local_error("open() was already called on this BosbaseNative");
    }
    /* The listener lives as long as the client: free_instance closes and frees both. */
    uint64_t listener_id = 0;
    char *listen_error = NULL;
    status = bosbase_auth_store_on_change(client, on_auth_change, self, &listener_id, &listen_error);
    if (status != BOSBASE_STATUS_OK) {
        return envelope_from_core(status, NULL, listen_error);
    }
    return envelope_new(status, "true", NULL);
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

/* close_async(): bosbase_client_close on this library's threads, since it waits for the
 * running calls and sends (later calls fail with status CLOSED); its outcome `true` comes as
 * for a call, after theirs. */
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

#define STRING_METHOD(fn_name, n, ...)                                                               \
    { .name = #fn_name, .is_static = false, .ret = NATIVE_RETURN_STRING, .argc = (n),               \
      .arg_names = {__VA_ARGS__}, .fn.string = m_##fn_name }

const NativeMethod native_methods[] = {
    STRING_METHOD(open, 2, "base_url", "options_json"),
    STRING_METHOD(call_async, 3, "operation", "args_json", "options_json"),
    STRING_METHOD(send_async, 3, "collection", "path", "options_json"),
    STRING_METHOD(close_async, 0, NULL),
    {.name = "cancel_all", .ret = NATIVE_RETURN_INT, .fn.integer = m_cancel_all},
    STRING_METHOD(auth_store_token, 0, NULL),
    STRING_METHOD(auth_store_record, 0, NULL),
    {.name = "auth_store_is_valid", .ret = NATIVE_RETURN_BOOL, .fn.boolean = m_auth_store_is_valid},
    STRING_METHOD(auth_store_save, 2, "token", "record_json"),
    STRING_METHOD(auth_store_clear, 0, NULL),
    STRING_METHOD(auth_store_export, 0, NULL),
    STRING_METHOD(auth_store_import, 1, "json"),
    {.name = "auth_store_change_count", .ret = NATIVE_RETURN_INT, .fn.integer = m_auth_store_change_count},
    {.name = "take_completed", .is_static = true, .ret = NATIVE_RETURN_STRING, .fn.string = m_take_completed},
    {.name = "generate_token", .is_static = true, .ret = NATIVE_RETURN_STRING, .fn.string = m_generate_token},
    {.name = "version", .is_static = true, .ret = NATIVE_RETURN_STRING, .fn.string = m_version},
    {.name = "live_clients", .is_static = true, .ret = NATIVE_RETURN_INT, .fn.integer = m_live_clients},
};

const size_t native_method_count = sizeof native_methods / sizeof native_methods[0];
