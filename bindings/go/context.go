package lucidauth

import (
	"context"
	"fmt"
)

// TokenContext is Token, cancellable through ctx (see the package doc, "Cancellation").
//
// Deprecated: Use AccessToken(ctx), or AccessToken(ctx, ForScope(scope)).
func (c *Client) TokenContext(ctx context.Context, scope string) (string, error) {
	return runContext(ctx, "Token", func() ([]byte, error) { return c.tokenBytes(scope, false) },
		takeToken, wipe)
}

// TokenForScopeContext is TokenForScope, cancellable through ctx (see the package doc,
// "Cancellation").
//
// Deprecated: Use AccessToken(ctx, ForScope(scope)).
func (c *Client) TokenForScopeContext(ctx context.Context, scope string) (string, error) {
	return runContext(ctx, "TokenForScope", func() ([]byte, error) { return c.tokenBytes(scope, true) },
		takeToken, wipe)
}

// SendContext is Send, cancellable through ctx (see the package doc, "Cancellation"). body and
// headers are copied before it returns, so the caller may reuse them at once, even after a
// cancellation.
//
// Deprecated: Use Request(ctx, method, path, body, WithHeader(name, value)...).
func (c *Client) SendContext(ctx context.Context, method, path string, body []byte, headers []Header) (*Response, error) {
	return c.sendContext(ctx, "Send", method, path, body, headers)
}

// DoContext is Do, cancellable through ctx (see the package doc, "Cancellation").
//
// Deprecated: Use Request(ctx, method, path, body, WithHeaders(h)).
func (c *Client) DoContext(ctx context.Context, method, path string, body []byte, headers map[string]string) (*Response, error) {
	if ctx.Err() != nil {
		return nil, canceled("Do", ctx)
	}
	return c.sendContext(ctx, "Do", method, path, body, sortedHeaders(headers))
}

// sendContext is SendContext, with the method's name for the cancellation error.
func (c *Client) sendContext(ctx context.Context, what, method, path string, body []byte, headers []Header) (*Response, error) {
	if ctx.Err() != nil {
		return nil, canceled(what, ctx)
	}
	if ctx.Done() != nil {
		// The call may outlive this method: it must not read memory the caller reuses.
		if body != nil {
			body = append([]byte{}, body...)
		}
		headers = append([]Header(nil), headers...)
	}
	return runContext(ctx, what, func() (*Response, error) { return c.Send(method, path, body, headers) },
		func(r *Response) *Response { return r }, discardResponse)
}

// takeToken turns a token's bytes into the token and wipes them.
func takeToken(buf []byte) string {
	token := string(buf)
	wipe(buf)
	return token
}

// discardResponse zeroes the body of a response nobody waits for any more.
func discardResponse(r *Response) {
	if r != nil {
		wipe(r.Body)
	}
}

// canceled is the error of a call whose context is done.
func canceled(what string, ctx context.Context) error {
	return fmt.Errorf("lucidauth: %s: %w", what, ctx.Err())
}

// ctxResult is what the goroutine of runContext hands over.
type ctxResult[R any] struct {
	r   R
	err error
}

// runContext runs call on a goroutine of its own and returns take(its result), or an error
// wrapping ctx.Err() as soon as ctx is done. The result of a call nobody waits for any more is
// given to discard, on the goroutine, when the call ends.
func runContext[R, T any](ctx context.Context, what string, call func() (R, error), take func(R) T,
	discard func(R)) (T, error) {
	var zero T
	if ctx.Err() != nil {
		return zero, canceled(what, ctx)
	}
	if ctx.Done() == nil { // never done: no goroutine needed
		r, err := call()
		if err != nil {
			return zero, err
		}
		return take(r), nil
	}
	// Unbuffered: the result is either received by the caller or, once the caller has gone,
	// discarded by the goroutine; never both, never neither.
	results := make(chan ctxResult[R])
	go func() {
		r, err := call()
		select {
		case results <- ctxResult[R]{r, err}:
		case <-ctx.Done():
			if err == nil {
				discard(r)
			}
		}
	}()
	select {
	case res := <-results:
		if res.err != nil {
			return zero, res.err
		}
		return take(res.r), nil
	case <-ctx.Done():
		return zero, canceled(what, ctx)
	}
}
