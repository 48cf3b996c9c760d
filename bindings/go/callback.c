// C side of the Go callbacks (AuthStore.OnChange, the completion of an asynchronous call,
// the readiness of realtime and pub/sub subscriptions, realtime states). Go cannot take the
// address of an exported Go function as a C function pointer, and passing an integer id as
// `void *` from Go would trip `go vet`'s unsafe.Pointer rules, so both conversions happen here.
#include <stdint.h>
#include "bosbase.h"
#include "_cgo_export.h"

static void bbgo_auth_change(void *user_data, const char *token, const char *record_json) {
    bosbaseGoAuthChange((uintptr_t)user_data, (char *)token, (char *)record_json);
}

BosbaseStatus bbgo_on_change(const BosbaseClient *client, uintptr_t id, uint64_t *listener_id_out,
                             char **error_out) {
    return bosbase_auth_store_on_change(client, bbgo_auth_change, (void *)id, listener_id_out, error_out);
}

static void bbgo_call_done(void *user_data, BosbaseStatus status, const char *result_json,
                           const char *error_json) {
    bosbaseGoCallDone((uintptr_t)user_data, (uint32_t)status, (char *)result_json, (char *)error_json);
}

/* The completion trampoline, for the other C files of the package (transfers.c). */
void bbgo_call_done_trampoline(void *user_data, BosbaseStatus status, const char *result_json,
                               const char *error_json) {
    bbgo_call_done(user_data, status, result_json, error_json);
}

BosbaseStatus bbgo_call_async(const BosbaseClient *client, const char *op, const char *args_json,
                              const char *options_json, const BosbaseFiles *files, uintptr_t handle,
                              BosbaseCall **call_out, char **error_out) {
    return bosbase_call_async_with_files(client, op, args_json, options_json, files, bbgo_call_done, (void *)handle,
                                         call_out, error_out);
}

BosbaseStatus bbgo_send_async(const BosbaseClient *client, const char *collection, const char *path,
                              const char *options_json, uintptr_t handle, BosbaseCall **call_out,
                              char **error_out) {
    return bosbase_send_async(client, collection, path, options_json, bbgo_call_done, (void *)handle, call_out,
                              error_out);
}

/* Realtime and pub/sub subscriptions are made in pull mode (no event callback): the
 * ready callback says entries are queued. user_data is the subscription's id in the Go
 * registry (live.go), as for the state callback. */
static void bbgo_ready(void *user_data) {
    bosbaseGoReady((uintptr_t)user_data);
}

BosbaseStatus bbgo_realtime_subscribe(const BosbaseClient *client, const char *topic, const char *options_json,
                                      uintptr_t handle, BosbaseSubscription **subscription_out, char **error_out) {
    return bosbase_realtime_subscribe(client, topic, options_json, NULL, bbgo_ready, (void *)handle,
                                      subscription_out, error_out);
}

BosbaseStatus bbgo_collection_subscribe(const BosbaseClient *client, const char *collection, const char *topic,
                                       const char *options_json, uintptr_t handle,
                                       BosbaseSubscription **subscription_out, char **error_out) {
    return bosbase_collection_subscribe(client, collection, topic, options_json, NULL, bbgo_ready, (void *)handle,
                                        subscription_out, error_out);
}

BosbaseStatus bbgo_pubsub_subscribe(const BosbaseClient *client, const char *topic, uintptr_t handle,
                                    BosbaseSubscription **subscription_out, char **error_out) {
    return bosbase_pubsub_subscribe(client, topic, NULL, NULL, bbgo_ready, (void *)handle, subscription_out,
                                    error_out);
}

static void bbgo_state(void *user_data, const char *json) {
    bosbaseGoState((uintptr_t)user_data, (char *)json);
}

BosbaseStatus bbgo_realtime_on_state(const BosbaseClient *client, uintptr_t handle, uint64_t *listener_id_out,
                                     char **error_out) {
    return bosbase_realtime_on_state(client, bbgo_state, (void *)handle, listener_id_out, error_out);
}
