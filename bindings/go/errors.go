package lucidauth

/*
#include "lucidauth.h"
*/
import "C"

import (
	"errors"
	"fmt"
)

// Status is a status code of the library (LucidStatus in C, an int32). The numbers are part of
// the ABI and never change.
type Status int32

// The status codes, with the numbers of include/lucidauth.h (a test compares the two). A Status
// is also an error, so that errors.Is(err, StatusTimeout) tells an *Error's code.
const (
	StatusOK                  Status = 0  // LUCID_STATUS_OK: success
	StatusNullArgument        Status = 1  // LUCID_STATUS_NULL_ARGUMENT: a required pointer was NULL
	StatusInvalidUTF8         Status = 2  // LUCID_STATUS_INVALID_UTF8: a string argument was not valid UTF-8
	StatusInvalidArgument     Status = 3  // LUCID_STATUS_INVALID_ARGUMENT: malformed, empty or out of range argument, or unknown key
	StatusConfig              Status = 4  // LUCID_STATUS_CONFIG: credentials missing, incomplete or inconsistent
	StatusIO                  Status = 5  // LUCID_STATUS_IO: a file could not be read
	StatusInsecureURL         Status = 6  // LUCID_STATUS_INSECURE_URL: plain http:// to a non-loopback host, or another origin
	StatusTransport           Status = 7  // LUCID_STATUS_TRANSPORT: the connection failed
	StatusTimeout             Status = 8  // LUCID_STATUS_TIMEOUT: an exchange exceeded the timeout
	StatusCredentialsRejected Status = 9  // LUCID_STATUS_CREDENTIALS_REJECTED: the token endpoint answered 400 or 401
	StatusTokenEndpoint       Status = 10 // LUCID_STATUS_TOKEN_ENDPOINT: the token endpoint answered another error
	StatusProtocol            Status = 11 // LUCID_STATUS_PROTOCOL: a server answer could not be understood
	StatusTooLarge            Status = 12 // LUCID_STATUS_TOO_LARGE: a response exceeded its size cap
	StatusInternal            Status = 13 // LUCID_STATUS_INTERNAL: a bug in the library
	StatusTLS                 Status = 14 // LUCID_STATUS_TLS: the server's certificate could not be verified; not retried
	StatusBufferTooSmall      Status = 15 // LUCID_STATUS_BUFFER_TOO_SMALL: a caller's buffer was too small (AccessToken retries with a larger one)
	StatusUnauthorized        Status = 16 // LUCID_STATUS_UNAUTHORIZED: the API kept rejecting fresh tokens (401); share tokens (use_cache, cache_url)
)

// StatusClosed is the code of the error a method returns when its Client or Credentials has
// been closed, or is nil. It is the binding's own (the C library has no such status: it cannot
// tell a freed handle, and a NULL one is StatusNullArgument), with a number no library status
// has; the error also wraps ErrClosed, so errors.Is(err, ErrClosed) and
// errors.Is(err, StatusClosed) both hold.
const StatusClosed = Status(-1)

// The status codes under their first names, without the Status prefix.
const (
	// Deprecated: Use StatusOK.
	OK = StatusOK
	// Deprecated: Use StatusNullArgument (and StatusClosed for a closed handle).
	NullArgument = StatusNullArgument
	// Deprecated: Use StatusInvalidUTF8.
	InvalidUTF8 = StatusInvalidUTF8
	// Deprecated: Use StatusInvalidArgument.
	InvalidArgument = StatusInvalidArgument
	// Deprecated: Use StatusConfig.
	Config = StatusConfig
	// Deprecated: Use StatusIO.
	IO = StatusIO
	// Deprecated: Use StatusInsecureURL.
	InsecureURL = StatusInsecureURL
	// Deprecated: Use StatusTransport.
	Transport = StatusTransport
	// Deprecated: Use StatusTimeout.
	Timeout = StatusTimeout
	// Deprecated: Use StatusCredentialsRejected.
	CredentialsRejected = StatusCredentialsRejected
	// Deprecated: Use StatusTokenEndpoint.
	TokenEndpoint = StatusTokenEndpoint
	// Deprecated: Use StatusProtocol.
	Protocol = StatusProtocol
	// Deprecated: Use StatusTooLarge.
	TooLarge = StatusTooLarge
	// Deprecated: Use StatusInternal.
	Internal = StatusInternal
	// Deprecated: Use StatusTLS.
	TLS = StatusTLS
	// Deprecated: Use StatusBufferTooSmall.
	BufferTooSmall = StatusBufferTooSmall
	// Deprecated: Use StatusUnauthorized.
	Unauthorized = StatusUnauthorized
)

// String is the library's name of the status, e.g. "LUCID_STATUS_TIMEOUT"
// ("LUCID_STATUS_UNKNOWN" for a number that is not a status), and "CLOSED" for StatusClosed.
func (s Status) String() string {
	if s == StatusClosed {
		return "CLOSED"
	}
	return C.GoString(C.lucid_status_name(C.int32_t(s)))
}

// Error makes a Status an error, the target of errors.Is: "lucidauth: LUCID_STATUS_TIMEOUT".
func (s Status) Error() string {
	return "lucidauth: " + s.String()
}

// ErrClosed is wrapped by the error a method returns when its Client or Credentials has been
// closed (or is nil): errors.Is(err, ErrClosed).
var ErrClosed = errors.New("lucidauth: use of a closed handle")

// Error is a failure reported by the library (or by this binding, for closed handles and
// arguments C cannot carry). Use errors.As to get it from an error.
type Error struct {
	// Code is the status, e.g. StatusCredentialsRejected (StatusClosed for a closed handle).
	Code Status
	// Name is the status's name, e.g. "LUCID_STATUS_CREDENTIALS_REJECTED".
	Name string
	// HTTPStatus is the HTTP status of the answer that caused the failure; 0 when no server
	// answered.
	HTTPStatus int
	// OAuthError is the OAuth "error" code from the token endpoint (e.g. "invalid_client"), or "".
	OAuthError string
	// OAuthErrorDescription is the OAuth "error_description" from the token endpoint, or "".
	OAuthErrorDescription string
	// Message is for people; it never holds a secret or a token.
	Message string

	cause error
}

// Error gives "lucidauth: <Name>: <Message>".
func (e *Error) Error() string {
	if e.Message == "" {
		return "lucidauth: " + e.Name
	}
	return fmt.Sprintf("lucidauth: %s: %s", e.Name, e.Message)
}

// Unwrap gives ErrClosed for a closed handle, else nil.
func (e *Error) Unwrap() error {
	return e.cause
}

// Is reports whether target is e's status: errors.Is(err, StatusCredentialsRejected) holds for
// an *Error whose Code is StatusCredentialsRejected.
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Code
}

// newError makes an error on the Go side of the binding.
func newError(code Status, message string, cause error) *Error {
	return &Error{Code: code, Name: code.String(), Message: message, cause: cause}
}

// closedError is the error of a method called on a closed or nil handle.
func closedError(what string) *Error {
	return newError(StatusClosed, what+" is closed (or nil)", ErrClosed)
}

// takeError turns a failed call's status and its LucidError (which may be nil) into an *Error
// and frees the LucidError. The status is read as an int32, as the header fixes it.
func takeError(status int32, cerr *C.LucidError) error {
	code := Status(status)
	e := &Error{Code: code, Name: code.String()}
	if cerr != nil {
		defer C.lucid_error_free(cerr)
		e.Message = borrowedString(C.lucid_error_message(cerr))
		e.HTTPStatus = int(C.lucid_error_http_status(cerr))
		e.OAuthError = borrowedString(C.lucid_error_oauth_error(cerr))
		e.OAuthErrorDescription = borrowedString(C.lucid_error_oauth_error_description(cerr))
	}
	return e
}

// check is the common ending of a fallible call: nil for success (freeing a stray error
// object, which the library never writes on success), else the *Error.
func check(status C.LucidStatus, cerr *C.LucidError) error {
	st := int32(status)
	if st == int32(StatusOK) {
		if cerr != nil {
			C.lucid_error_free(cerr)
		}
		return nil
	}
	return takeError(st, cerr)
}
