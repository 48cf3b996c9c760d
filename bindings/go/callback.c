// C side of AuthStore.OnChange. Go cannot take the address of an exported Go
// function as a C function pointer, and passing an integer id as `void *` from Go
// would trip `go vet`'s unsafe.Pointer rules, so both conversions happen here.
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
