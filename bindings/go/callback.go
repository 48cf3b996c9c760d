package bosbase

// This file holds only the exported callbacks: cgo forbids C definitions in the
// preamble of a file with //export, so the trampolines live in callback.c.

/*
#include <stdint.h>
*/
import "C"

import (
	"fmt"
	"os"
	"runtime/cgo"
)

//export bosbaseGoAuthChange
func bosbaseGoAuthChange(id C.uintptr_t, token, record *C.char) {
	v, ok := listeners.Load(uint64(id))
	if !ok {
		return // not registered (yet, or any more)
	}
	fn := v.(func(string, map[string]any))
	// Strings are borrowed for this call only: copy them before fn sees them.
	tok, rec := C.GoString(token), recordMap(C.GoString(record))
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "bosbase: an AuthStore.OnChange listener panicked: %v\n", r)
		}
	}()
	fn(tok, rec)
}

//export bosbaseGoCallDone
func bosbaseGoCallDone(handle C.uintptr_t, status C.uint32_t, result, errJSON *C.char) {
	// Strings are borrowed for this call only (C.GoString copies; NULL gives "").
	callDone(cgo.Handle(handle), outcome{status: statusOf(status), result: C.GoString(result), errJSON: C.GoString(errJSON)})
}

//export bosbaseGoReady
func bosbaseGoReady(id C.uintptr_t) {
	// Runs on a library thread when a subscription's queue got entries; never waits.
	if v, ok := liveByID.Load(uint64(id)); ok {
		v.(*liveHandle).ready()
	}
}

//export bosbaseGoState
func bosbaseGoState(id C.uintptr_t, state *C.char) {
	// Runs on the client's realtime dispatch thread. The JSON is borrowed for this call
	// only (C.GoString copies it); offer never waits (see stateHandle).
	if v, ok := liveByID.Load(uint64(id)); ok {
		v.(*stateHandle).offer(C.GoString(state))
	}
}
