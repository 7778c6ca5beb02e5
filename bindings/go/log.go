package lucidauth

/*
#include <stdint.h>
#include "lucidauth.h"

extern void lucidauthGoLog(uintptr_t handle, int32_t level, char *message);

// Hands a log line to Go. user_data carries the number of a cgo.Handle, never a Go pointer.
static void lucidauth_go_log(void *user_data, int32_t level, const char *message) {
	lucidauthGoLog((uintptr_t)user_data, level, (char *)message);
}

// Installs lucidauth_go_log with the handle as user_data; handle 0 removes the callback.
static void lucidauth_go_set_log(uintptr_t handle, int32_t max_level) {
	lucid_set_log_callback(handle != 0 ? lucidauth_go_log : NULL, (void *)handle, max_level);
}
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"sync"
)

// LogLevel is the level of a log line, with the C API's numbers.
type LogLevel int32

// The log levels, most severe first.
const (
	LogError LogLevel = 1 // failures
	LogWarn  LogLevel = 2 // problems worth knowing about (e.g. a credentials file others can read)
	LogInfo  LogLevel = 3 // one line per token fetch, retry and token renewal
	LogDebug LogLevel = 4 // everything
)

// String gives "error", "warn", "info" or "debug".
func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarn:
		return "warn"
	case LogInfo:
		return "info"
	case LogDebug:
		return "debug"
	}
	return fmt.Sprintf("LogLevel(%d)", int32(l))
}

// LogHandler receives one log line of the library. It is called from whichever goroutine (or
// library thread) logs, possibly several at once, so it must be safe for concurrent use; it must
// not call into lucidauth, and should be quick. Lines never hold a secret or a token.
type LogHandler func(level LogLevel, message string)

var (
	logMu     sync.Mutex // serializes SetLogHandler
	logHandle cgo.Handle // the installed handler; 0 for none
)

// SetLogHandler sends the library's log lines of maxLevel and more severe to handler,
// process-wide, replacing the handler set before; a nil handler stops them. It is independent of
// the LUCIDAUTH_LOG environment variable, which logs to stderr. A panic in the handler is
// recovered and the line dropped: it must not unwind into the library.
//
// When SetLogHandler returns, the previous handler is no longer running and will not be called
// again. A maxLevel outside LogError..LogDebug is an *Error with Code InvalidArgument.
func SetLogHandler(handler LogHandler, maxLevel LogLevel) error {
	if handler != nil && (maxLevel < LogError || maxLevel > LogDebug) {
		return newError(StatusInvalidArgument, fmt.Sprintf("log level %d is not one of LogError..LogDebug", int32(maxLevel)), nil)
	}
	logMu.Lock()
	defer logMu.Unlock()
	var next cgo.Handle
	var level C.int32_t
	if handler != nil {
		next = cgo.NewHandle(handler)
		level = C.int32_t(maxLevel)
	}
	C.lucidauth_go_set_log(C.uintptr_t(next), level)
	// The library waited for running calls of the previous callback: its handle may go now.
	if logHandle != 0 {
		logHandle.Delete()
	}
	logHandle = next
	return nil
}
