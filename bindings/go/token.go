package bosbase

/*
#include "bosbase.h"
*/
import "C"

// GenerateToken returns a new random custom token (256 bits from the OS CSPRNG,
// URL-safe base64, 43 characters), suitable for BindCustomToken.
func GenerateToken() (string, error) {
	return invoke(func(result, errOut **C.char) C.BosbaseStatus {
		return C.bosbase_generate_token(result, errOut)
	})
}

// CoreVersion is the version of the linked native core (e.g. "0.1.0").
func CoreVersion() string {
	return C.GoString(C.bosbase_version())
}

// LiveClients is the number of native clients alive in this process; tests use it
// to prove that Close and the finalizer free handles.
func LiveClients() int {
	return int(C.bosbase_live_clients())
}
