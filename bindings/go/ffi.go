package bosbase

// The cgo link lines live here and nowhere else. The module carries what it links (the
// layout wasmtime-go uses): the header in include/ and the prebuilt static core per
// GOOS/GOARCH in lib/<goos>-<goarch>/, so a user needs no Rust and no checkout, and a
// binary needs no LD_LIBRARY_PATH. In this repository `make go-build` copies
// include/bosbase.h and target/release/libbosbase.a there (both ignored by git); `make dist`
// fills every lib/ folder this machine can build. Each -l list is what
// `cargo rustc -- --print native-static-libs` reports for that target.

/*
#cgo CFLAGS: -I${SRCDIR}/include
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/lib/linux-amd64/libbosbase.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo linux,arm64 LDFLAGS: ${SRCDIR}/lib/linux-arm64/libbosbase.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo windows,amd64 LDFLAGS: ${SRCDIR}/lib/windows-amd64/libbosbase.a -lbcrypt -ladvapi32 -lkernel32 -lntdll -luserenv -lws2_32 -ldbghelp
#include <stdlib.h>
#include "bosbase.h"
*/
import "C"

import (
	"encoding/json"
	"strings"
	"unsafe"
)

// cStrings copies Go strings to C for one call. free must run after the call.
type cStrings []*C.char

// add copies s to C memory. Strings with a NUL byte are refused: C would silently
// truncate them (a truncated password or token must never reach the server).
func (cs *cStrings) add(s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, newError(KindInvalidArgument, "a string argument contains a NUL byte")
	}
	p := C.CString(s)
	*cs = append(*cs, p)
	return p, nil
}

// addAll copies every string; the first error wins.
func (cs *cStrings) addAll(ss ...string) ([]*C.char, error) {
	out := make([]*C.char, len(ss))
	for i, s := range ss {
		p, err := cs.add(s)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

func (cs *cStrings) free() {
	for _, p := range *cs {
		C.free(unsafe.Pointer(p))
	}
	*cs = nil
}

// takeString copies a library-owned string to Go and frees it ("" for NULL).
func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.bosbase_string_free(p)
	return s
}

// statusError turns a failed status and its error JSON into a *ClientResponseError.
// The JSON is decoded as the core wrote it; only a missing or unreadable one falls back
// to the status's own name so the caller still sees which kind failed.
func statusError(status C.BosbaseStatus, errJSON string) error {
	return errorOfStatus(int(status), errJSON)
}

// errorOfStatus is statusError for a status as an int; without usable error JSON the kind
// comes from the generated status table.
func errorOfStatus(status int, errJSON string) error {
	if e, err := decodeError(errJSON); err == nil {
		return e
	}
	kind, known := statusKinds[status]
	if !known {
		kind = KindPanic
	}
	return newError(kind, "the library reported a failure without details")
}

// decodeJSON decodes a result; an unreadable one is a "json" *ClientResponseError
// (the decoder's own message may quote the text, so it is not passed on).
func decodeJSON(text string, v any) error {
	if err := json.Unmarshal(stringBytes(text), v); err != nil {
		return newError(KindJSON, "the library returned a result that is not the expected JSON")
	}
	return nil
}

// stringBytes views s as bytes without copying it, for decoders, which only read their
// input and keep none of it: []byte(s) would copy a whole result (a full list of 20,000
// records is 7 MB) just to be read once. The bytes must never be written.
func stringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	// A string is {data, len}; unsafe.StringData would say it directly but needs Go 1.20.
	type header struct {
		data unsafe.Pointer
		len  int
	}
	return unsafe.Slice((*byte)((*header)(unsafe.Pointer(&s)).data), len(s))
}

// callFn is one C call: it gets out-pointers for the result and the error JSON.
type callFn func(result, errOut **C.char) C.BosbaseStatus

// invoke runs fn and returns its result JSON, or the decoded error.
// Both out-strings are always freed here.
func invoke(fn callFn) (string, error) {
	var result, errOut *C.char
	status := fn(&result, &errOut)
	res, errText := takeString(result), takeString(errOut)
	if status != C.BOSBASE_STATUS_OK {
		return "", statusError(status, errText)
	}
	return res, nil
}

// decoded decodes a call's result JSON as T; the call's error, if any, passes through.
func decoded[T any](text string, err error) (T, error) {
	var v T
	if err != nil {
		return v, err
	}
	if err := decodeJSON(text, &v); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
