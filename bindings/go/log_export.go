package lucidauth

// The //export lives in a file of its own: cgo forbids C definitions in the preamble of a file
// that exports, and log.go's preamble defines the C side of the callback.

/*
#include <stdint.h>
*/
import "C"

import "runtime/cgo"

// lucidauthGoLog is called by the C function lucidauth_go_log (log.go) for each log line, with
// the cgo.Handle of the installed LogHandler.
//
//export lucidauthGoLog
func lucidauthGoLog(handle C.uintptr_t, level C.int32_t, message *C.char) {
	defer func() {
		_ = recover() // a panicking handler loses its line; nothing unwinds into the library
	}()
	if handler, ok := cgo.Handle(handle).Value().(LogHandler); ok {
		handler(LogLevel(level), C.GoString(message))
	}
}
