package lucidauth

/*
#include <stdlib.h>
#include "lucidauth.h"
*/
import "C"

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
)

// Transport returns an http.RoundTripper that authorizes the requests your own http.Client
// sends through base (nil: http.DefaultTransport), with your pools, proxies, tracing and
// retries:
//
//	httpClient := &http.Client{Transport: client.Transport(nil)}
//	resp, err := httpClient.Get("https://api.lucidtech.ai/v1/documents")
//
// A request to the credentials' API origin (api_endpoint's scheme, host and port) goes out with
// the headers the library gives for it (lucid_client_authorize: x-api-key when there is an api
// key, Authorization: Bearer <token>), set on a clone: the caller's request is not changed. A
// request to any other origin passes through untouched, without a token or key, and fetches
// nothing. When the answer is 401 the transport tells the client (lucid_client_unauthorized:
// the token that was sent is dropped if it is still the current one, so concurrent 401s make
// one new fetch) and sends the request once more with new headers when its body can be replayed
// (no body, or GetBody set, as http.NewRequest does for bytes, strings and bytes.Buffer
// readers); otherwise the 401 response is returned. A token failure is the round trip's error
// (an *Error). The library's call honours the request's context as AccessToken does.
func (c *Client) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &authTransport{client: c, base: base}
}

type authTransport struct {
	client *Client
	base   http.RoundTripper
}

// RoundTrip sends req through the base transport, authorized when it goes to the API origin.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sent, err := t.client.authorize(req.Context(), req.Method, req.URL.String())
	if errors.Is(err, StatusInsecureURL) {
		return t.base.RoundTrip(req) // another origin: not ours, untouched
	}
	if err != nil {
		closeBody(req)
		return nil, err
	}
	defer sent.free()
	resp, err := t.base.RoundTrip(sent.apply(req, req.Body))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if err := t.client.unauthorized(sent, resp.Header); err != nil {
		return resp, nil // the 401 stands; the caller sees it
	}
	body, replayable := replayBody(req)
	if !replayable {
		return resp, nil
	}
	again, err := t.client.authorize(req.Context(), req.Method, req.URL.String())
	if err != nil {
		if body != nil {
			body.Close()
		}
		return resp, nil
	}
	defer again.free()
	discard(resp)
	return t.base.RoundTrip(again.apply(req, body))
}

// replayBody is a fresh copy of req's body for a second send: (nil, true) without a body,
// (nil, false) when it cannot be replayed.
func replayBody(req *http.Request) (io.ReadCloser, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	return body, true
}

// discard reads a little of a response nobody will see and closes it, so that its connection
// can be reused.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// closeBody closes a request's body, as a RoundTripper must even when it fails.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// authorization is what lucid_client_authorize gave for one request: the native list (kept for
// lucid_client_unauthorized, freed with free) and a copy of its headers.
type authorization struct {
	ptr     *C.LucidHeaders
	headers [][2]string
}

// apply is a clone of req with body and the authorization's headers (replacing any of the same
// names the caller set).
func (a *authorization) apply(req *http.Request, body io.ReadCloser) *http.Request {
	out := req.Clone(req.Context())
	out.Body = body
	for _, h := range a.headers {
		out.Header.Del(h[0])
	}
	for _, h := range a.headers {
		out.Header.Add(h[0], h[1])
	}
	return out
}

func (a *authorization) free() {
	if a.ptr != nil {
		C.lucid_headers_free(a.ptr)
		a.ptr = nil
	}
}

// authorize calls lucid_client_authorize, cancellable through ctx (see "Cancellation"): the
// result of a call nobody waits for any more is freed.
func (c *Client) authorize(ctx context.Context, method, url string) (*authorization, error) {
	return runContext(ctx, "authorize", func() (*authorization, error) { return c.authorizeNow(method, url) },
		func(a *authorization) *authorization { return a }, (*authorization).free)
}

func (c *Client) authorizeNow(method, url string) (*authorization, error) {
	cmethod, err := cString("method", method)
	if err != nil {
		return nil, err
	}
	defer freeCString(cmethod)
	curl, err := cString("url", url)
	if err != nil {
		return nil, err
	}
	defer freeCString(curl)
	if c == nil {
		return nil, closedError("Client")
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, closedError("Client")
	}
	var out *C.LucidHeaders
	var cerr *C.LucidError
	status := C.lucid_client_authorize(c.ptr, cmethod, curl, &out, &cerr)
	runtime.KeepAlive(c)
	if err := check(status, cerr); err != nil {
		return nil, err
	}
	a := &authorization{ptr: out}
	for i := C.size_t(0); i < C.lucid_headers_count(out); i++ {
		a.headers = append(a.headers, [2]string{borrowedString(C.lucid_headers_name(out, i)),
			borrowedString(C.lucid_headers_value(out, i))})
	}
	return a, nil
}

// unauthorized calls lucid_client_unauthorized for the 401 answer with header h to a request
// sent with a.
func (c *Client) unauthorized(a *authorization, h http.Header) error {
	wwwAuthenticate, err := cOptionalString("WWW-Authenticate", h.Get("WWW-Authenticate"))
	if err != nil {
		return err
	}
	defer freeCString(wwwAuthenticate)
	nonce, err := cOptionalString("DPoP-Nonce", h.Get("DPoP-Nonce"))
	if err != nil {
		return err
	}
	defer freeCString(nonce)
	if c == nil {
		return closedError("Client")
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return closedError("Client")
	}
	var cerr *C.LucidError
	status := C.lucid_client_unauthorized(c.ptr, a.ptr, wwwAuthenticate, nonce, &cerr)
	runtime.KeepAlive(c)
	return check(status, cerr)
}
