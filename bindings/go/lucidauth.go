// Package lucidauth is the Go binding of lucidauth, a native library (Rust, C ABI) that gets
// OAuth2 client-credentials access tokens for the Lucidtech (Cradl) API and the Lucidworks AI
// identity endpoint, and makes authorized API calls with them.
//
// The usual program:
//
//	creds, err := lucidauth.DiscoverCredentials("") // LAS_* variables, else ~/.lucidtech/credentials.cfg
//	if err != nil { ... }
//	defer creds.Close()
//	client, err := lucidauth.NewClient(creds)
//	if err != nil { ... }
//	defer client.Close()
//	token, err := client.AccessToken(ctx)                            // the configured scope
//	token, err = client.AccessToken(ctx, lucidauth.ForScope("machinelearning.predict"))
//	resp, err := client.Request(ctx, "GET", "/documents", nil, lucidauth.WithHeader("Accept", "application/json"))
//
// Three calls cover it: AccessToken for a token, Request for an API call that the library sends,
// and Transport for requests that your own http.Client sends. The eight calls of earlier
// versions (Token, TokenForScope, Send, Do and their ...Context forms) still work and are
// deprecated.
//
// The rules of the C API underneath (ownership, errors, strings, threads) are in the repository's
// docs/API.md, "Conventions"; this package keeps them for you.
//
// # Ownership and threads
//
// [Credentials] and [Client] own a native handle. Close releases it; Close is idempotent, waits
// for calls in progress on the same value, and after it every method returns an [*Error] with
// Code [StatusClosed] that wraps [ErrClosed]. A finalizer closes a value that is dropped without
// Close, but call Close yourself: the finalizer runs at the garbage collector's leisure.
// Both types are safe for concurrent use by many goroutines. Share one Client per set of
// credentials: all goroutines using it share its cached tokens, and a stale token is fetched once.
//
// [CredentialsBuilder] and [Response] are plain Go values that hold no native resources.
//
// # Cancellation
//
// [Client.AccessToken] and [Client.Request] (and the deprecated [Client.TokenContext],
// [Client.TokenForScopeContext], [Client.SendContext] and [Client.DoContext]) take a
// context.Context. A native call cannot be
// interrupted, so they run it on a goroutine of their own and wait for whichever comes first: its
// result or ctx.Done(). When ctx is done first, the method returns at once with an error that
// wraps ctx.Err() (errors.Is(err, context.Canceled) or context.DeadlineExceeded). The native call
// goes on in the background until it ends by itself, within the credentials' retry_deadline
// (which bounds a whole call: lock waits, token fetch, API exchange, retries, the refetch after a
// 401); its result is then thrown away (the token's buffer wiped, the response's body zeroed).
// Close waits for these background calls too, so after a cancellation Close may block for up to
// retry_deadline. A ctx that is already done returns at once without calling the library; a ctx
// that can never be done (context.Background()) makes a plain call on the caller's goroutine.
// A ctx deadline does not shorten the native call: set retry_deadline for that.
//
// # Errors
//
// Every failure of the library is an [*Error] (use errors.As) carrying the library's status code,
// the HTTP status and the OAuth error fields; errors.Is(err, StatusCredentialsRejected) tests the
// code alone (a [Status] is an error for that). A closed handle's error has the binding's own
// code [StatusClosed] and wraps [ErrClosed]. Details come from the error object the library
// returns with each call, never from thread-local state, so they are right even when a goroutine
// moves between OS threads. No message contains a secret or a token.
package lucidauth

/*
#cgo CFLAGS: -std=gnu11
#include <stdlib.h>
#include "lucidauth.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// Version is the version of the native library, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.lucid_version())
}

// cString copies s into C memory, which the caller frees with C.free. A NUL byte inside s would
// silently cut the string short in C, so it is refused; the message names the argument but never
// shows its value (it may be a secret).
func cString(what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, newError(StatusInvalidArgument, fmt.Sprintf("%s contains a NUL byte", what), nil)
	}
	return C.CString(s), nil
}

// cOptionalString is cString, except that "" gives NULL (the library's "not given").
func cOptionalString(what, s string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return cString(what, s)
}

// freeCString frees a string made by cString; nil is accepted.
func freeCString(s *C.char) {
	if s != nil {
		C.free(unsafe.Pointer(s))
	}
}

// borrowedString copies a string borrowed from a handle or static; nil gives "".
func borrowedString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}
