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

// The status codes, with the numbers of include/lucidauth.h (a test compares the two).
const (
	OK                  Status = 0  // LUCID_STATUS_OK: success
	NullArgument        Status = 1  // LUCID_STATUS_NULL_ARGUMENT: a required pointer was NULL (in Go: a closed or nil handle)
	InvalidUTF8         Status = 2  // LUCID_STATUS_INVALID_UTF8: a string argument was not valid UTF-8
	InvalidArgument     Status = 3  // LUCID_STATUS_INVALID_ARGUMENT: malformed, empty or out of range argument, or unknown key
	Config              Status = 4  // LUCID_STATUS_CONFIG: credentials missing, incomplete or inconsistent
	IO                  Status = 5  // LUCID_STATUS_IO: a file could not be read
	InsecureURL         Status = 6  // LUCID_STATUS_INSECURE_URL: plain http:// to a non-loopback host, or another origin
	Transport           Status = 7  // LUCID_STATUS_TRANSPORT: the connection failed
	Timeout             Status = 8  // LUCID_STATUS_TIMEOUT: an exchange exceeded the timeout
	CredentialsRejected Status = 9  // LUCID_STATUS_CREDENTIALS_REJECTED: the token endpoint answered 400 or 401
	TokenEndpoint       Status = 10 // LUCID_STATUS_TOKEN_ENDPOINT: the token endpoint answered another error
	Protocol            Status = 11 // LUCID_STATUS_PROTOCOL: a server answer could not be understood
	TooLarge            Status = 12 // LUCID_STATUS_TOO_LARGE: a response exceeded its size cap
	Internal            Status = 13 // LUCID_STATUS_INTERNAL: a bug in the library
	TLS                 Status = 14 // LUCID_STATUS_TLS: the server's certificate could not be verified; not retried
	BufferTooSmall      Status = 15 // LUCID_STATUS_BUFFER_TOO_SMALL: a caller's buffer was too small (Token retries with a larger one)
	Unauthorized        Status = 16 // LUCID_STATUS_UNAUTHORIZED: the API kept rejecting fresh tokens (401); share tokens (use_cache, cache_url)
)

// String is the library's name of the status, e.g. "LUCID_STATUS_TIMEOUT"
// ("LUCID_STATUS_UNKNOWN" for a number that is not a status).
func (s Status) String() string {
	return C.GoString(C.lucid_status_name(C.int32_t(s)))
}

// ErrClosed is wrapped by the error a method returns when its Client or Credentials has been
// closed (or is nil): errors.Is(err, ErrClosed).
var ErrClosed = errors.New("lucidauth: use of a closed handle")

// Error is a failure reported by the library (or by this binding, for closed handles and
// arguments C cannot carry). Use errors.As to get it from an error.
type Error struct {
	// Code is the status, e.g. CredentialsRejected.
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

// newError makes an error on the Go side of the binding.
func newError(code Status, message string, cause error) *Error {
	return &Error{Code: code, Name: code.String(), Message: message, cause: cause}
}

// closedError is the error of a method called on a closed or nil handle.
func closedError(what string) *Error {
	return newError(NullArgument, what+" is closed (or nil)", ErrClosed)
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
	if st == int32(OK) {
		if cerr != nil {
			C.lucid_error_free(cerr)
		}
		return nil
	}
	return takeError(st, cerr)
}
