package lucidauth

import (
	"context"
	"net/http"
	"sort"
)

// The calls of a Client: AccessToken for a token, Request for an API call the library sends,
// and Transport (transport.go) to authorize requests that your own http.Client sends. Each takes
// a context first; a context that can never be done (context.Background()) makes the plain call
// on the caller's goroutine, any other one is honoured as the package doc says ("Cancellation").

// TokenOption changes what AccessToken asks for.
type TokenOption func(*tokenCall)

type tokenCall struct {
	scope string
	exact bool
}

// ForScope asks for a token for exactly scope (space-separated scopes; "" asks for a token with
// no scope, even when the credentials have one). Without it AccessToken asks for the credentials'
// scope.
func ForScope(scope string) TokenOption {
	return func(t *tokenCall) { t.scope, t.exact = scope, true }
}

// AccessToken returns a fresh access token: from the cache while it is fresh, else fetched once
// for all goroutines waiting for it. Tokens are cached per scope; opts choose the scope
// (ForScope), by default the credentials' scope key (no scope when it is not set).
func (c *Client) AccessToken(ctx context.Context, opts ...TokenOption) (string, error) {
	var call tokenCall
	for _, opt := range opts {
		opt(&call)
	}
	return runContext(ctx, "AccessToken", func() ([]byte, error) { return c.tokenBytes(call.scope, call.exact) },
		takeToken, wipe)
}

// RequestOption adds to the request Request sends.
type RequestOption func(*requestCall)

type requestCall struct {
	headers []Header
}

// WithHeader adds the header "name: value" to the request; the headers go out in the order of
// the options (a name given twice goes out with its values together, at its first place).
func WithHeader(name, value string) RequestOption {
	return func(r *requestCall) { r.headers = append(r.headers, Header{Name: name, Value: value}) }
}

// WithHeaders adds every value of h, names sorted (a map has no order), each name's values in
// their order.
func WithHeaders(h http.Header) RequestOption {
	return func(r *requestCall) {
		names := make([]string, 0, len(h))
		for name := range h {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			for _, value := range h[name] {
				r.headers = append(r.headers, Header{Name: name, Value: value})
			}
		}
	}
}

// Request sends method (e.g. "GET") to path joined to the api_endpoint of the credentials
// ("/documents" or "documents" with api_endpoint "https://api.lucidtech.ai/v1" gives
// "https://api.lucidtech.ai/v1/documents"; an absolute URL on another origin is refused), with
// x-api-key (when set), Authorization: Bearer <token>, the headers of opts and body (nil for
// none; a body without a Content-Type header goes as application/json).
//
// Any HTTP answer is a Response, whatever its status: a 404 is a Response with Status 404, not
// an error. Redirects are not followed. On a 401 the token is renewed and the request sent once
// more. An error means no usable answer (transport failure, timeout, token failure, refused URL).
// body and the headers are copied before a call that may outlive ctx starts, so the caller may
// reuse them as soon as Request returns.
func (c *Client) Request(ctx context.Context, method, path string, body []byte, opts ...RequestOption) (*Response, error) {
	var call requestCall
	for _, opt := range opts {
		opt(&call)
	}
	return c.sendContext(ctx, "Request", method, path, body, call.headers)
}
