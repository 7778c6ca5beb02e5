package lucidauth

/*
#include <stdlib.h>
#include "lucidauth.h"
*/
import "C"

import (
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Client holds credentials, a connection pool and the token cache (a LucidClient handle). Safe
// for concurrent use: share one per set of credentials, so that all goroutines share its tokens.
// Release it with Close.
type Client struct {
	mu  sync.RWMutex // read-held by every call using ptr, write-held by Close
	ptr *C.LucidClient
}

// ClientOption changes the credentials a client is made with (the credentials passed to
// NewClient are not changed).
type ClientOption func(*CredentialsBuilder)

// With sets one credentials key (one of CredentialKeys), e.g.
// With("api_endpoint", "https://api.example.com/v1").
func With(key, value string) ClientOption {
	return func(b *CredentialsBuilder) { b.Set(key, value) }
}

// WithScope sets the scope that Token("") asks for (space-separated scopes).
func WithScope(scope string) ClientOption {
	return With("scope", scope)
}

// WithTimeout sets the timeout of one HTTP exchange, rounded up to whole seconds.
func WithTimeout(d time.Duration) ClientOption {
	secs := int64((d + time.Second - 1) / time.Second)
	return With("timeout", strconv.FormatInt(secs, 10))
}

// NewClient makes a client for creds (copied: creds may be closed right after), with the keys
// that opts set applied on top of them.
func NewClient(creds *Credentials, opts ...ClientOption) (*Client, error) {
	if len(opts) > 0 {
		builder := NewCredentialsBuilderFrom(creds)
		for _, opt := range opts {
			opt(builder)
		}
		changed, err := builder.Build()
		if err != nil {
			return nil, err
		}
		defer changed.Close()
		creds = changed
	}
	if creds == nil {
		return nil, closedError("Credentials")
	}
	creds.mu.RLock()
	defer creds.mu.RUnlock()
	if creds.ptr == nil {
		return nil, closedError("Credentials")
	}
	var out *C.LucidClient
	var cerr *C.LucidError
	status := C.lucid_client_new(creds.ptr, &out, &cerr)
	runtime.KeepAlive(creds)
	if err := check(status, cerr); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, newError(StatusInternal, "the library reported success but returned no client", nil)
	}
	c := &Client{ptr: out}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close releases the client. It is idempotent and waits for calls in progress on c to finish;
// later calls return an *Error wrapping ErrClosed.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.lucid_client_free(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// Token returns a fresh access token for scope, from the cache while it is fresh, else fetched
// once for all goroutines waiting for it. Tokens are cached per scope.
//
// An empty scope means the scope of the credentials (their scope key; no scope when it is not
// set). To ask for no scope even though the credentials have one, use TokenForScope("").
//
// Deprecated: Use AccessToken(ctx), or AccessToken(ctx, ForScope(scope)) for a scope of your own.
func (c *Client) Token(scope string) (string, error) {
	buf, err := c.tokenBytes(scope, false)
	if err != nil {
		return "", err
	}
	return takeToken(buf), nil
}

// TokenForScope returns a fresh access token for exactly scope, as Token does, except that ""
// asks for a token without a scope, whatever the credentials' scope key says.
//
// Deprecated: Use AccessToken(ctx, ForScope(scope)).
func (c *Client) TokenForScope(scope string) (string, error) {
	buf, err := c.tokenBytes(scope, true)
	if err != nil {
		return "", err
	}
	return takeToken(buf), nil
}

// tokenBytes gets the token for scope ("" is the credentials' scope unless exact) into a new
// buffer, which the caller wipes after use.
func (c *Client) tokenBytes(scope string, exact bool) ([]byte, error) {
	var cscope *C.char
	var err error
	if exact {
		cscope, err = cString("scope", scope)
	} else {
		cscope, err = cOptionalString("scope", scope)
	}
	if err != nil {
		return nil, err
	}
	defer freeCString(cscope)
	return c.token(cscope)
}

// tokenBufferSize is the size of the buffer token tries first: room for the usual token (a JWT
// of a thousand bytes or so).
const tokenBufferSize = 2048

// token gets the token for a scope already in C memory (nil: the credentials' scope). The
// library copies it into a Go buffer (it holds no Go pointers, so cgo lets C write it), asked
// again with the size it reports while the token is longer. It returns the token's bytes, a
// slice of that buffer, which the caller wipes after use.
func (c *Client) token(scope *C.char) ([]byte, error) {
	if c == nil {
		return nil, closedError("Client")
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, closedError("Client")
	}
	defer runtime.KeepAlive(c)
	buf := make([]byte, tokenBufferSize)
	for {
		var n C.size_t
		var cerr *C.LucidError
		status := C.lucid_client_access_token_buf(c.ptr, scope, (*C.char)(unsafe.Pointer(&buf[0])),
			C.size_t(len(buf)), &n, &cerr)
		if Status(status) == StatusBufferTooSmall {
			// Nothing was written; the token may have been renewed to a longer one in between.
			C.lucid_error_free(cerr)
			buf = make([]byte, int(n)+1)
			continue
		}
		if err := check(status, cerr); err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// wipe zeroes b, so that a secret does not linger in memory the garbage collector frees.
func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// Response is an API response, copied out of the library's response (which is freed).
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers, in the order received, under canonical names (the
	// library gives them in lower case), so Header.Get works as usual.
	Header http.Header
	// Body is the response body.
	Body []byte
}

// Header is one extra request header for Send, sent as "Name: value".
type Header struct {
	Name  string
	Value string
}

// Send sends method (e.g. "GET") to path joined to the api_endpoint of the credentials
// ("/documents" or "documents" with api_endpoint "https://api.lucidtech.ai/v1" gives
// "https://api.lucidtech.ai/v1/documents"; an absolute URL on another origin is refused), with
// x-api-key (when set), Authorization: Bearer <token>, the extra headers in the order given (a
// name given twice goes out with its values together, at its first place), and body (nil for
// none).
//
// Any HTTP answer is a Response, whatever its status: a 404 is a Response with Status 404, not
// an error. Redirects are not followed. On a 401 the token is renewed and the request sent once
// more. An error means no usable answer (transport failure, timeout, token failure, refused URL).
//
// Deprecated: Use Request(ctx, method, path, body, WithHeader(name, value)...).
func (c *Client) Send(method, path string, body []byte, headers []Header) (*Response, error) {
	if c == nil {
		return nil, closedError("Client")
	}
	cmethod, err := cString("method", method)
	if err != nil {
		return nil, err
	}
	defer freeCString(cmethod)
	cpath, err := cString("path", path)
	if err != nil {
		return nil, err
	}
	defer freeCString(cpath)
	lines, err := headerLines(headers)
	if err != nil {
		return nil, err
	}
	defer lines.free()
	var cbody *C.uint8_t
	if len(body) > 0 {
		// Go memory without Go pointers may be passed for the duration of the call.
		cbody = (*C.uint8_t)(unsafe.Pointer(&body[0]))
	}

	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, closedError("Client")
	}
	var resp *C.LucidResponse
	var cerr *C.LucidError
	status := C.lucid_client_request(c.ptr, cmethod, cpath, lines.ptr, C.size_t(lines.n),
		cbody, C.size_t(len(body)), &resp, &cerr)
	runtime.KeepAlive(c)
	runtime.KeepAlive(body)
	if err := check(status, cerr); err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, newError(StatusInternal, "the library reported success but returned no response", nil)
	}
	defer C.lucid_response_free(resp)
	return copyResponse(resp), nil
}

// Do is Send with the extra headers in a map. A map has no order, so they are sent sorted by
// name (the same map always makes the same request); use Send to choose the order.
//
// Deprecated: Use Request(ctx, method, path, body, WithHeaders(h)).
func (c *Client) Do(method, path string, body []byte, headers map[string]string) (*Response, error) {
	return c.Send(method, path, body, sortedHeaders(headers))
}

// sortedHeaders lists the headers of a map sorted by name.
func sortedHeaders(headers map[string]string) []Header {
	list := make([]Header, 0, len(headers))
	for name, value := range headers {
		list = append(list, Header{Name: name, Value: value})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// cLines is an array of "Name: value" C strings, all in C memory (cgo forbids passing Go memory
// that holds pointers).
type cLines struct {
	ptr **C.char
	n   int
}

func (l cLines) free() {
	if l.ptr == nil {
		return
	}
	for _, s := range unsafe.Slice(l.ptr, l.n) {
		freeCString(s)
	}
	C.free(unsafe.Pointer(l.ptr))
}

// headerLines checks the headers and copies them, in order, into C memory. A name with a ':'
// (which would move the split between name and value) or white space, and CR, LF or NUL
// anywhere, are refused.
func headerLines(headers []Header) (cLines, error) {
	if len(headers) == 0 {
		return cLines{}, nil
	}
	for _, h := range headers {
		if h.Name == "" || strings.ContainsAny(h.Name, ":\r\n\x00 \t") {
			return cLines{}, newError(StatusInvalidArgument, "header name "+strconv.Quote(h.Name)+" is not a valid field name", nil)
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") {
			return cLines{}, newError(StatusInvalidArgument, "the value of header '"+h.Name+"' contains CR, LF or NUL", nil)
		}
	}
	size := C.size_t(len(headers)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
	lines := cLines{ptr: (**C.char)(C.malloc(size)), n: len(headers)}
	slots := unsafe.Slice(lines.ptr, lines.n)
	for i, h := range headers {
		slots[i] = C.CString(h.Name + ": " + h.Value)
	}
	return lines, nil
}

// copyResponse copies everything out of a LucidResponse (which the caller then frees).
func copyResponse(resp *C.LucidResponse) *Response {
	r := &Response{
		Status: int(C.lucid_response_status(resp)),
		Header: make(http.Header),
		Body:   []byte{},
	}
	var n C.size_t
	if p := C.lucid_response_body(resp, &n); p != nil && n > 0 {
		r.Body = make([]byte, int(n))
		copy(r.Body, unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
	}
	count := C.lucid_response_header_count(resp)
	for i := C.size_t(0); i < count; i++ {
		var name, value *C.char
		if int32(C.lucid_response_header_at(resp, i, &name, &value, nil)) != int32(OK) {
			continue
		}
		r.Header.Add(borrowedString(name), borrowedString(value))
	}
	return r
}
