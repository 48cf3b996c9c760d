// C side of transfer progress (downloads, upload progress): the trampoline that hands a
// core progress report to Go, and the calls that register it. user_data is a cgo.Handle.
#include <stdint.h>
#include "bosbase.h"
#include "_cgo_export.h"

static void bbgo_progress(void *user_data, uint64_t done, uint64_t total) {
    bosbaseGoProgress((uintptr_t)user_data, done, total);
}

extern void bbgo_call_done_trampoline(void *user_data, BosbaseStatus status, const char *result_json,
                                      const char *error_json);

BosbaseStatus bbgo_files_on_progress(const BosbaseFiles *files, uintptr_t handle, char **error_out) {
    return bosbase_files_on_progress(files, bbgo_progress, (void *)handle, error_out);
}

BosbaseStatus bbgo_download_async(const BosbaseClient *client, const char *record_json, const char *filename,
                                  const char *path, const char *options_json, uintptr_t progress, uintptr_t handle,
                                  BosbaseCall **call_out, char **error_out) {
    return bosbase_files_download_async(client, record_json, filename, path, options_json,
                                        progress ? bbgo_progress : NULL, (void *)progress,
                                        bbgo_call_done_trampoline, (void *)handle, call_out, error_out);
}
