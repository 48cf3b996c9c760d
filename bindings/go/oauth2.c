// C side of RecordService.AuthWithOAuth2: bosbase_auth_with_oauth2_async with the Go
// completion (the same as every call's) and a URL trampoline; both user_data are cgo.Handles.
#include <stdint.h>
#include "bosbase.h"
#include "_cgo_export.h"

static void bbgo_oauth2_url(void *user_data, const char *url) {
    bosbaseGoOAuth2URL((uintptr_t)user_data, (char *)url);
}

static void bbgo_oauth2_done(void *user_data, BosbaseStatus status, const char *result_json,
                             const char *error_json) {
    bosbaseGoCallDone((uintptr_t)user_data, (uint32_t)status, (char *)result_json, (char *)error_json);
}

BosbaseStatus bbgo_auth_with_oauth2_async(const BosbaseClient *client, const char *collection, const char *provider,
                                          const char *oauth2_json, const char *options_json, uintptr_t url_handle,
                                          uintptr_t handle, BosbaseCall **call_out, char **error_out) {
    return bosbase_auth_with_oauth2_async(client, collection, provider, oauth2_json, options_json, bbgo_oauth2_url,
                                          (void *)url_handle, bbgo_oauth2_done, (void *)handle, call_out, error_out);
}
