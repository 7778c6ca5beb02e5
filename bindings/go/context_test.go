package lucidauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"lucidauth.example/lucidauth"
)

// stallingEndpoint listens on loopback, accepts connections and never answers them. It returns
// its origin and a function that counts the connections accepted so far.
func stallingEndpoint(t *testing.T) (string, func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			conn.Close()
		}
	})
	accepted := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(conns)
	}
	return "http://" + ln.Addr().String(), accepted
}

// settledGoroutines is runtime.NumGoroutine() once it has stayed the same for 100 ms (the
// connections of the admin calls close in the background), or after 2 s.
func settledGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	for i := 0; i < 200 && same < 10; i++ {
		time.Sleep(10 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}

// waitGoroutines waits up to 2 s for runtime.NumGoroutine() to come down to at most n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), n,
				buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Each blocking call, with a context, against a token endpoint that never answers: the call
// returns soon after its context is done, the native call goes on in the background until
// retry_deadline, and Close waits for it.
func TestContextCallsReturnWhenCancelled(t *testing.T) {
	setup(t)
	endpoint, accepted := stallingEndpoint(t)
	client, err := lucidauth.NewClient(fileCredentials(t), lucidauth.With("auth_endpoint", endpoint),
		lucidauth.With("timeout", "2"), lucidauth.With("retry_deadline", "3"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	baseline := settledGoroutines()

	cancelAfter := func(d time.Duration) (context.Context, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(d, cancel)
		return ctx, func() { timer.Stop(); cancel() }
	}
	timeoutAfter := func(d time.Duration) (context.Context, func()) {
		return context.WithTimeout(context.Background(), d)
	}
	calls := []struct {
		name string
		ctx  func(time.Duration) (context.Context, func())
		want error
		call func(context.Context) error
	}{
		{"TokenContext", cancelAfter, context.Canceled, func(ctx context.Context) error {
			_, err := client.TokenContext(ctx, "")
			return err
		}},
		{"TokenForScopeContext", cancelAfter, context.Canceled, func(ctx context.Context) error {
			_, err := client.TokenForScopeContext(ctx, "other")
			return err
		}},
		{"SendContext", cancelAfter, context.Canceled, func(ctx context.Context) error {
			body := []byte("body")
			_, err := client.SendContext(ctx, "POST", "/documents", body, []lucidauth.Header{{Name: "X-A", Value: "1"}})
			copy(body, "XXXX") // the call copied it: the background call must not see this
			return err
		}},
		{"DoContext", cancelAfter, context.Canceled, func(ctx context.Context) error {
			_, err := client.DoContext(ctx, "GET", "/documents", nil, map[string]string{"X-A": "1"})
			return err
		}},
		{"AccessToken", cancelAfter, context.Canceled, func(ctx context.Context) error {
			_, err := client.AccessToken(ctx, lucidauth.ForScope("another"))
			return err
		}},
		{"Request", timeoutAfter, context.DeadlineExceeded, func(ctx context.Context) error {
			body := []byte("body")
			_, err := client.Request(ctx, "POST", "/documents", body, lucidauth.WithHeader("X-A", "1"))
			copy(body, "XXXX") // the call copied it: the background call must not see this
			return err
		}},
		{"TokenContext with a deadline", timeoutAfter, context.DeadlineExceeded, func(ctx context.Context) error {
			_, err := client.TokenContext(ctx, "")
			return err
		}},
	}
	for _, c := range calls {
		ctx, cancel := c.ctx(100 * time.Millisecond)
		start := time.Now()
		err := c.call(ctx)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, c.want) {
			t.Fatalf("%s: error %v, want one wrapping %v", c.name, err, c.want)
		}
		var e *lucidauth.Error
		if errors.As(err, &e) {
			t.Fatalf("%s: a cancellation is not a *lucidauth.Error: %v", c.name, err)
		}
		if took < 100*time.Millisecond || took > time.Second {
			t.Fatalf("%s returned after %v, want soon after the 100 ms cancellation", c.name, took)
		}
		t.Logf("%s: cancelled at 100 ms, returned after %v: %v", c.name, took.Round(time.Millisecond), err)
	}
	if accepted() == 0 {
		t.Fatal("the stalling endpoint saw no connection: the native calls did not run")
	}
	// The native calls still run, each on its goroutine.
	if n := runtime.NumGoroutine(); n < baseline+len(calls) {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after the cancellations, want at least %d\n%s", n, baseline+len(calls), buf[:runtime.Stack(buf, true)])
	}

	start := time.Now()
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	waited := time.Since(start)
	// The last call started about 0.5 s ago and ends within retry_deadline (3 s) of its start.
	if waited < time.Second || waited > 5*time.Second {
		t.Fatalf("Close took %v, want it to wait for the background calls (retry_deadline 3 s)", waited)
	}
	t.Logf("Close waited %v for the background calls", waited.Round(time.Millisecond))
	waitGoroutines(t, baseline)
	if _, err := client.TokenContext(context.Background(), ""); !errors.Is(err, lucidauth.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	wantStats(t, 0, 0)
}

// A context that is done already: every call returns at once, without calling the library.
func TestContextAlreadyDone(t *testing.T) {
	setup(t)
	client := newClient(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	baseline := settledGoroutines()
	for _, c := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		start := time.Now()
		_, err1 := client.TokenContext(c.ctx, "")
		_, err2 := client.TokenForScopeContext(c.ctx, "")
		_, err3 := client.SendContext(c.ctx, "GET", "/documents", nil, nil)
		_, err4 := client.DoContext(c.ctx, "GET", "/documents", nil, nil)
		took := time.Since(start)
		for i, err := range []error{err1, err2, err3, err4} {
			if !errors.Is(err, c.want) {
				t.Fatalf("call %d: error %v, want one wrapping %v", i+1, err, c.want)
			}
		}
		if took > 50*time.Millisecond {
			t.Fatalf("four calls with a done context took %v", took)
		}
		if n := runtime.NumGoroutine(); n > baseline {
			t.Fatalf("%d goroutines, %d before: a done context started one", n, baseline)
		}
	}
	wantStats(t, 0, 0)
}

// With a context that is not cancelled the calls are the plain calls: same token, same answers.
func TestContextCallsMatchPlainCalls(t *testing.T) {
	setup(t)
	client := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	viaContext, err := client.TokenContext(ctx, "")
	if err != nil {
		t.Fatalf("TokenContext: %v", err)
	}
	plain, err := client.Token("")
	if err != nil {
		t.Fatal(err)
	}
	if viaContext != plain || plain == "" {
		t.Fatalf("TokenContext gave another token than Token")
	}
	background, err := client.TokenContext(context.Background(), "")
	if err != nil || background != plain {
		t.Fatalf("TokenContext(Background): %v, same token: %v", err, background == plain)
	}
	scoped, err := client.TokenForScopeContext(ctx, "machinelearning.predict")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := client.TokenForScope("machinelearning.predict"); err != nil || again != scoped {
		t.Fatalf("TokenForScope after TokenForScopeContext: %v, same token: %v", err, again == scoped)
	}
	if scoped == plain {
		t.Fatal("a scope got the unscoped token")
	}

	body := []byte(`{"name":"invoice.pdf"}`)
	resp, err := client.SendContext(ctx, "POST", "/documents", body, []lucidauth.Header{{Name: "X-Trace", Value: "abc"}})
	if err != nil {
		t.Fatalf("SendContext: %v", err)
	}
	var e echo
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		t.Fatalf("echo %s: %v", resp.Body, err)
	}
	if resp.Status != 200 || e.Method != "POST" || e.Path != "/v1/documents" || e.Body != string(body) ||
		e.Headers["x-trace"] != "abc" || e.Headers["authorization"] != "Bearer "+plain {
		t.Fatalf("status %d, echo %+v", resp.Status, e)
	}
	resp, err = client.DoContext(ctx, "GET", "models", nil, map[string]string{"X-Trace": "def"})
	if err != nil {
		t.Fatalf("DoContext: %v", err)
	}
	e = echo{}
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || e.Method != "GET" || e.Path != "/v1/models" || e.Headers["x-trace"] != "def" {
		t.Fatalf("status %d, echo %+v", resp.Status, e)
	}
	wantStats(t, 2, 2)
}
