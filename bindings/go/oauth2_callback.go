package bosbase

// The exported URL callback of AuthWithOAuth2 (cgo forbids C definitions in the preamble
// of a file with //export; the trampoline is in oauth2.c).

/*
#include <stdint.h>
*/
import "C"

import "runtime/cgo"

//export bosbaseGoOAuth2URL
func bosbaseGoOAuth2URL(handle C.uintptr_t, url *C.char) {
	// Runs on a core worker thread, at most once per flow and before its completion; the
	// channel has room for it, so this never blocks. The URL is borrowed: GoString copies.
	select {
	case cgo.Handle(handle).Value().(chan string) <- C.GoString(url):
	default:
	}
}
