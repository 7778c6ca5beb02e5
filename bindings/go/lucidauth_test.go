package lucidauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lucidauth.example/lucidauth"
)

// fileCredentials reads the server's credentials.cfg.
func fileCredentials(t *testing.T) *lucidauth.Credentials {
	t.Helper()
	creds, err := lucidauth.CredentialsFromFile(server.credsPath, "")
	if err != nil {
		t.Fatalf("CredentialsFromFile: %v", err)
	}
	t.Cleanup(func() { creds.Close() })
	return creds
}

// newClient makes a client for the server, closed when the test ends.
func newClient(t *testing.T, opts ...lucidauth.ClientOption) *lucidauth.Client {
	t.Helper()
	client, err := lucidauth.NewClient(fileCredentials(t), opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// asError checks that err is an *lucidauth.Error with the given code and returns it.
func asError(t *testing.T, err error, code lucidauth.Status) *lucidauth.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", code)
	}
	var e *lucidauth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *lucidauth.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("error code %d (%s), want %d (%s): %v", e.Code, e.Name, code, code, err)
	}
	if e.Name != code.String() {
		t.Fatalf("error name %q, want %q", e.Name, code.String())
	}
	return e
}

type echo struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"`
}

func TestVersion(t *testing.T) {
	if got := lucidauth.Version(); got != "0.1.0" {
		t.Fatalf("Version() = %q, want the header's 0.1.0", got)
	}
}

func TestTokenIsCachedAcrossCalls(t *testing.T) {
	setup(t)
	client := newClient(t)
	first, err := client.Token("")
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if first == "" {
		t.Fatal("empty token")
	}
	for i := 0; i < 20; i++ {
		token, err := client.Token("")
		if err != nil {
			t.Fatalf("Token #%d: %v", i, err)
		}
		if token != first {
			t.Fatalf("Token #%d = %q, want the cached %q", i, token, first)
		}
	}
	wantStats(t, 1, 0)

	reqs := requests(t)
	if len(reqs) != 1 || reqs[0].Kind != "token" || reqs[0].Method != "POST" {
		t.Fatalf("recorded requests %+v, want one token POST", reqs)
	}
	if reqs[0].Path != "/oauth2/token" || reqs[0].Query != "grant_type=client_credentials" {
		t.Fatalf("token request to %s?%s", reqs[0].Path, reqs[0].Query)
	}
	// base64("CLIENT_ID:CLIENT_SECRET")
	if auth, n := reqs[0].header("authorization"); n != 1 || auth != "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ=" {
		t.Fatalf("token request Authorization %q (%d times)", auth, n)
	}
}

// longToken is a token of n bytes: "long-" and then the letters a to z over and over.
func longToken(n int) string {
	b := []byte("long-")
	for len(b) < n {
		b = append(b, byte('a'+len(b)%26))
	}
	return string(b[:n])
}

// TestLongTokens has the server answer with tokens around and far past the size of the buffer
// Token tries first; each is fetched by a client of its own, then read again from its cache.
func TestLongTokens(t *testing.T) {
	for _, size := range []int{lucidauth.TokenBufferSize - 1, lucidauth.TokenBufferSize, 20000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			setup(t)
			want := longToken(size)
			script(t, "token", 200, `{"access_token":"`+want+`","expires_in":3600,"token_type":"Bearer"}`, nil)
			client := newClient(t)
			for _, get := range []func() (string, error){
				func() (string, error) { return client.Token("") },
				func() (string, error) { return client.Token("") },
				func() (string, error) { return client.TokenForScope("") },
			} {
				got, err := get()
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("got a token of %d bytes, want the %d scripted", len(got), size)
				}
			}
			wantStats(t, 1, 0)
		})
	}
}

func TestTokenPerScope(t *testing.T) {
	setup(t)
	client := newClient(t, lucidauth.WithScope("machinelearning.predict"))
	configured, err := client.Token("")
	if err != nil {
		t.Fatal(err)
	}
	other, err := client.Token("machinelearning.model")
	if err != nil {
		t.Fatal(err)
	}
	if configured == other {
		t.Fatal("two scopes gave the same token")
	}
	again, err := client.Token("machinelearning.predict")
	if err != nil {
		t.Fatal(err)
	}
	if again != configured {
		t.Fatalf("Token(configured scope by name) = %q, want the token of Token(\"\") %q", again, configured)
	}
	wantStats(t, 2, 0)
	reqs := requests(t)
	wantQueries := []string{
		"grant_type=client_credentials&scope=machinelearning.predict",
		"grant_type=client_credentials&scope=machinelearning.model",
	}
	for i, want := range wantQueries {
		if reqs[i].Query != want {
			t.Errorf("token request %d query %q, want %q", i, reqs[i].Query, want)
		}
	}
}

func TestTokenForScopeCanAskForNoScope(t *testing.T) {
	setup(t)
	client := newClient(t, lucidauth.WithScope("machinelearning.predict"))
	configured, err := client.Token("")
	if err != nil {
		t.Fatal(err)
	}
	none, err := client.TokenForScope("")
	if err != nil {
		t.Fatal(err)
	}
	if none == configured {
		t.Fatal("TokenForScope(\"\") gave the token of the configured scope")
	}
	for _, call := range []struct {
		scope string
		want  string
	}{{"", none}, {"machinelearning.predict", configured}} {
		got, err := client.TokenForScope(call.scope)
		if err != nil {
			t.Fatal(err)
		}
		if got != call.want {
			t.Errorf("TokenForScope(%q) = %q, want the cached %q", call.scope, got, call.want)
		}
	}
	wantStats(t, 2, 0)
	reqs := requests(t)
	wantQueries := []string{
		"grant_type=client_credentials&scope=machinelearning.predict",
		"grant_type=client_credentials",
	}
	for i, want := range wantQueries {
		if reqs[i].Query != want {
			t.Errorf("token request %d query %q, want %q", i, reqs[i].Query, want)
		}
	}
	_, err = client.TokenForScope("a\x00b")
	asError(t, err, lucidauth.StatusInvalidArgument)
}

func TestDoEchoesRequest(t *testing.T) {
	setup(t)
	client := newClient(t)
	body := []byte(`{"name":"invoice.pdf"}`)
	resp, err := client.Do("POST", "/documents?limit=2", body, map[string]string{
		"Content-Type": "application/json",
		"X-Trace":      "abc 123",
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != 200 {
		t.Fatalf("status %d, body %s", resp.Status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("response Content-Type %q", ct)
	}
	var e echo
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		t.Fatalf("echo %s: %v", resp.Body, err)
	}
	token, err := client.Token("")
	if err != nil {
		t.Fatal(err)
	}
	if e.Method != "POST" || e.Path != "/v1/documents" || e.Query != "limit=2" || e.Body != string(body) {
		t.Fatalf("echo %+v", e)
	}
	want := map[string]string{
		"x-api-key":     "API_KEY",
		"authorization": "Bearer " + token,
		"content-type":  "application/json",
		"x-trace":       "abc 123",
	}
	for name, value := range want {
		if e.Headers[name] != value {
			t.Errorf("echoed header %s = %q, want %q", name, e.Headers[name], value)
		}
	}
	wantStats(t, 1, 1)

	// Without body or headers, and a path without the leading slash.
	resp, err = client.Do("GET", "models", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e = echo{}
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || e.Method != "GET" || e.Path != "/v1/models" || e.Body != "" {
		t.Fatalf("status %d, echo %+v", resp.Status, e)
	}
	wantStats(t, 1, 2)
}

// callerHeaders are the headers of a recorded request whose names start with "x-test-", in the
// order received, with lower-case names.
func callerHeaders(r recordedRequest) [][2]string {
	var out [][2]string
	for _, h := range r.Headers {
		if name := strings.ToLower(h[0]); strings.HasPrefix(name, "x-test-") {
			out = append(out, [2]string{name, h[1]})
		}
	}
	return out
}

func TestSendKeepsTheCallersHeaderOrder(t *testing.T) {
	setup(t)
	client := newClient(t)
	resp, err := client.Send("GET", "/documents", nil, []lucidauth.Header{
		{Name: "X-Test-Zeta", Value: "1"},
		{Name: "X-Test-Alpha", Value: "2"},
		{Name: "X-Test-Mid", Value: "3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 {
		t.Fatalf("status %d", resp.Status)
	}
	// A map has no order: Do sends its headers sorted by name.
	if _, err := client.Do("GET", "/documents", nil, map[string]string{
		"X-Test-Zeta": "1", "X-Test-Alpha": "2", "X-Test-Mid": "3",
	}); err != nil {
		t.Fatal(err)
	}
	reqs := requests(t)
	if len(reqs) != 3 {
		t.Fatalf("recorded %d requests, want a token request and two API requests", len(reqs))
	}
	if got, want := callerHeaders(reqs[1]), [][2]string{{"x-test-zeta", "1"}, {"x-test-alpha", "2"}, {"x-test-mid", "3"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Send sent %q, want %q", got, want)
	}
	if got, want := callerHeaders(reqs[2]), [][2]string{{"x-test-alpha", "2"}, {"x-test-mid", "3"}, {"x-test-zeta", "1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Do sent %q, want %q", got, want)
	}
	_, err = client.Send("GET", "/documents", nil, []lucidauth.Header{{Name: "X-A", Value: "1\r\nX-Injected: 1"}})
	asError(t, err, lucidauth.StatusInvalidArgument)
}

func TestDoBinaryBody(t *testing.T) {
	setup(t)
	client := newClient(t)
	body := []byte("a\x00b\xffc")
	if _, err := client.Do("PUT", "/blob", body, nil); err != nil {
		t.Fatal(err)
	}
	reqs := requests(t)
	last := reqs[len(reqs)-1]
	if last.Kind != "api" || last.Method != "PUT" || last.Path != "/v1/blob" || last.Body != "a\x00b\ufffdc" {
		t.Fatalf("recorded %+v", last)
	}
}

func TestScriptedAPIErrorIsAResponse(t *testing.T) {
	setup(t)
	client := newClient(t)
	script(t, "api", 404, `{"message":"no such document"}`, map[string]string{"X-Request-Id": "r-1"})
	resp, err := client.Do("GET", "/documents/nope", nil, nil)
	if err != nil {
		t.Fatalf("a 404 must be a Response, got error %v", err)
	}
	if resp.Status != 404 || string(resp.Body) != `{"message":"no such document"}` {
		t.Fatalf("status %d body %s", resp.Status, resp.Body)
	}
	if got := resp.Header.Get("X-Request-Id"); got != "r-1" {
		t.Fatalf("X-Request-Id %q", got)
	}
	wantStats(t, 1, 1)
}

func TestRedirectIsNotFollowed(t *testing.T) {
	setup(t)
	client := newClient(t)
	resp, err := client.Do("GET", "/somewhere/redirect", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 302 || resp.Header.Get("Location") != server.base+"/elsewhere" {
		t.Fatalf("status %d, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	wantStats(t, 1, 1)
}

func TestOtherOriginIsRefused(t *testing.T) {
	setup(t)
	client := newClient(t)
	_, err := client.Do("GET", "https://evil.example/v1/documents", nil, nil)
	asError(t, err, lucidauth.StatusInsecureURL)
	wantStats(t, 0, 0)
}

func TestRevokedTokenIsRenewed(t *testing.T) {
	setup(t)
	client := newClient(t)
	before, err := client.Token("")
	if err != nil {
		t.Fatal(err)
	}
	admin(t, "POST", "/_admin/revoke", nil)
	resp, err := client.Do("GET", "/documents", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 {
		t.Fatalf("status %d after renewal", resp.Status)
	}
	after, err := client.Token("")
	if err != nil {
		t.Fatal(err)
	}
	if after == before {
		t.Fatal("the revoked token is still cached")
	}
	wantStats(t, 2, 2) // the 401, then the retry with the new token
}

func TestWrongSecretIsRejected(t *testing.T) {
	setup(t)
	const secret = "WRONG-SECRET-7f3a9c"
	creds, err := lucidauth.NewCredentialsBuilderFrom(fileCredentials(t)).
		Set("client_secret", secret).
		Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	defer creds.Close()
	client, err := lucidauth.NewClient(creds)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	token, err := client.Token("")
	if token != "" {
		t.Fatalf("got token %q", token)
	}
	e := asError(t, err, lucidauth.StatusCredentialsRejected)
	if e.Code != 9 || e.HTTPStatus != 401 || e.OAuthError != "invalid_client" ||
		e.OAuthErrorDescription != "Client authentication failed" || e.Message == "" {
		t.Fatalf("error %+v", e)
	}
	if strings.Contains(e.Message, secret) || strings.Contains(err.Error(), secret) {
		t.Fatalf("the message shows the secret: %q", err.Error())
	}
	if errors.Is(err, lucidauth.ErrClosed) {
		t.Fatal("a rejection is not ErrClosed")
	}
	// errors.Is against the status constants: the error's own code only.
	if !errors.Is(err, lucidauth.StatusCredentialsRejected) || errors.Is(err, lucidauth.StatusTokenEndpoint) ||
		errors.Is(err, lucidauth.StatusClosed) {
		t.Fatalf("errors.Is(%v, ...) does not follow its Code", err)
	}
	wrapped := fmt.Errorf("fetching: %w", err)
	if !errors.Is(wrapped, lucidauth.StatusCredentialsRejected) {
		t.Fatal("errors.Is does not see the code through a wrapping error")
	}
	wantStats(t, 1, 0) // a 401 is not retried

	_, err = client.Do("GET", "/documents", nil, nil)
	asError(t, err, lucidauth.StatusCredentialsRejected)
	wantStats(t, 2, 0)
}

func TestScriptedTokenErrorDetails(t *testing.T) {
	setup(t)
	client := newClient(t)
	script(t, "token", 400, `{"error":"invalid_scope","error_description":"scope x is unknown"}`, nil)
	_, err := client.Token("x")
	e := asError(t, err, lucidauth.StatusCredentialsRejected)
	if e.HTTPStatus != 400 || e.OAuthError != "invalid_scope" || e.OAuthErrorDescription != "scope x is unknown" {
		t.Fatalf("error %+v", e)
	}
	wantStats(t, 1, 0)
}

func TestClosedHandlesReturnErrors(t *testing.T) {
	setup(t)
	creds := fileCredentials(t)
	client, err := lucidauth.NewClient(creds)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = client.Token("")
	if e := asError(t, err, lucidauth.StatusClosed); !errors.Is(e, lucidauth.ErrClosed) {
		t.Fatalf("%v does not wrap ErrClosed", err)
	}
	// Its own status, not the C library's NULL-pointer one; and a Status is an errors.Is target.
	if !errors.Is(err, lucidauth.StatusClosed) || errors.Is(err, lucidauth.StatusNullArgument) {
		t.Fatalf("errors.Is(%v, StatusClosed) = %v, errors.Is(.., StatusNullArgument) = %v", err,
			errors.Is(err, lucidauth.StatusClosed), errors.Is(err, lucidauth.StatusNullArgument))
	}
	if got := err.Error(); got != "lucidauth: CLOSED: Client is closed (or nil)" {
		t.Fatalf("message %q", got)
	}
	_, err = client.AccessToken(context.Background())
	asError(t, err, lucidauth.StatusClosed)
	_, err = client.AccessToken(context.Background(), lucidauth.ForScope("a"))
	asError(t, err, lucidauth.StatusClosed)
	_, err = client.Request(context.Background(), "GET", "/documents", nil)
	asError(t, err, lucidauth.StatusClosed)
	_, err = client.TokenForScope("")
	asError(t, err, lucidauth.StatusClosed)
	_, err = client.Do("GET", "/documents", nil, nil)
	asError(t, err, lucidauth.StatusClosed)

	var nilClient *lucidauth.Client
	_, err = nilClient.Token("")
	asError(t, err, lucidauth.StatusClosed)
	_, err = nilClient.Do("GET", "/", nil, nil)
	asError(t, err, lucidauth.StatusClosed)
	if err := nilClient.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = new(lucidauth.Client).Token("") // a zero Client has no handle
	asError(t, err, lucidauth.StatusClosed)

	creds.Close()
	creds.Close()
	_, err = lucidauth.NewClient(creds)
	asError(t, err, lucidauth.StatusClosed)
	_, err = lucidauth.NewClient(creds, lucidauth.WithScope("a"))
	asError(t, err, lucidauth.StatusClosed)
	_, err = lucidauth.NewClient(nil)
	asError(t, err, lucidauth.StatusClosed)
	_, err = lucidauth.NewCredentialsBuilderFrom(creds).Set("scope", "a").Build()
	asError(t, err, lucidauth.StatusClosed)
	wantStats(t, 0, 0)
}

func TestCloseWhileInUse(t *testing.T) {
	setup(t)
	client := newClient(t)
	var running, done sync.WaitGroup
	for g := 0; g < 8; g++ {
		running.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			first := true
			for i := 0; i < 100000; i++ {
				_, err := client.Token("")
				if first {
					first = false
					running.Done()
					if err != nil {
						t.Errorf("first Token: %v", err)
						return
					}
				}
				if errors.Is(err, lucidauth.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Token: %v", err)
					return
				}
			}
			t.Errorf("Close did not take effect")
		}()
	}
	running.Wait() // every goroutine is calling Token
	client.Close()
	done.Wait()
	if _, err := client.Token(""); !errors.Is(err, lucidauth.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	wantStats(t, 1, 0)
}

func TestStaleTokenIsFetchedAgain(t *testing.T) {
	setup(t)
	admin(t, "POST", "/_admin/lifetime?secs=2", nil)
	// The caller that finds the token stale fetches (with refresh ahead it would be renewed in
	// the background, and this read could still get the old one).
	client := newClient(t, lucidauth.With("refresh_ahead", "false"))
	first, err := client.Token("")
	if err != nil {
		t.Fatal(err)
	}
	// A 2 s token is stale after 1 s (the refresh margin is at most half the lifetime).
	time.Sleep(1500 * time.Millisecond)
	second, err := client.Token("")
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatal("a stale token was served from the cache")
	}
	wantStats(t, 2, 0)
}

func TestConcurrentTokensShareOneFetch(t *testing.T) {
	setup(t)
	client := newClient(t)
	const goroutines, calls = 50, 100
	tokens := make([]string, goroutines)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			for i := 0; i < calls; i++ {
				token, err := client.Token("")
				if err != nil {
					t.Errorf("goroutine %d call %d: %v", g, i, err)
					return
				}
				if tokens[g] == "" {
					tokens[g] = token
				} else if token != tokens[g] {
					t.Errorf("goroutine %d call %d: the token changed", g, i)
					return
				}
			}
		}(g)
	}
	close(start)
	wg.Wait()
	for g := range tokens {
		if tokens[g] != tokens[0] {
			t.Fatalf("goroutines %d and 0 got different tokens", g)
		}
	}
	wantStats(t, 1, 0)
}

func TestMissingProfile(t *testing.T) {
	_, err := lucidauth.CredentialsFromFile(server.credsPath, "no-such-profile")
	e := asError(t, err, lucidauth.StatusConfig)
	if !strings.Contains(e.Message, "no-such-profile") {
		t.Fatalf("the message does not name the profile: %q", e.Message)
	}
	if e.HTTPStatus != 0 || e.OAuthError != "" {
		t.Fatalf("error %+v", e)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := lucidauth.CredentialsFromFile(filepath.Join(t.TempDir(), "absent.cfg"), "")
	asError(t, err, lucidauth.StatusIO)
}

func TestProfilesAndDiscovery(t *testing.T) {
	setup(t)
	base, err := os.ReadFile(server.credsPath)
	if err != nil {
		t.Fatal(err)
	}
	// The default profile has a wrong secret; [good] is the server's.
	text := "client_id = CLIENT_ID\nclient_secret = NOT-IT\n\n[good]\n" + string(base)
	path := filepath.Join(t.TempDir(), "credentials.cfg")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	token := func(creds *lucidauth.Credentials, err error) error {
		t.Helper()
		if err != nil {
			t.Fatalf("credentials: %v", err)
		}
		defer creds.Close()
		client, err := lucidauth.NewClient(creds)
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		_, err = client.Token("")
		return err
	}
	if err := token(lucidauth.CredentialsFromFile(path, "good")); err != nil {
		t.Fatalf("profile good: %v", err)
	}
	t.Setenv("LAS_CREDENTIALS_FILE", path)
	if err := token(lucidauth.DiscoverCredentials("good")); err != nil {
		t.Fatalf("discovered profile good: %v", err)
	}
	t.Setenv("LAS_PROFILE", "good")
	if err := token(lucidauth.DiscoverCredentials("")); err != nil {
		t.Fatalf("discovered LAS_PROFILE=good: %v", err)
	}
	_, err = lucidauth.DiscoverCredentials("absent")
	asError(t, err, lucidauth.StatusConfig)
}

func TestNewCredentialsWithOptions(t *testing.T) {
	setup(t)
	creds, err := lucidauth.NewCredentials("CLIENT_ID", "CLIENT_SECRET")
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	client, err := lucidauth.NewClient(creds,
		lucidauth.With("auth_endpoint", server.base),
		lucidauth.With("api_endpoint", server.base+"/v1"),
		lucidauth.With("api_key", "API_KEY"),
		lucidauth.WithTimeout(1500*time.Millisecond), // rounded up to 2 s
	)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	creds.Close() // the client has its own copy
	resp, err := client.Do("GET", "/documents", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	wantStats(t, 1, 1)
}

func TestBuilder(t *testing.T) {
	setup(t)
	b := lucidauth.NewCredentialsBuilder().
		Set("client_id", "CLIENT_ID").
		Set("client_secret", "CLIENT_SECRET").
		Set("api_key", "API_KEY").
		Set("auth_endpoint", server.base+"/oauth2/token").
		Set("api_endpoint", server.base+"/v1").
		Set("scope", "a b").
		Set("token_params", "body").
		Set("client_auth", "post").
		Set("use_cache", "false").
		Set("timeout", "5").
		Set("refresh_margin", "60").
		Set("allow_http", "false")
	creds, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	defer creds.Close()
	client, err := lucidauth.NewClient(creds)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Token(""); err != nil {
		t.Fatal(err)
	}
	reqs := requests(t)
	if len(reqs) != 1 || reqs[0].Query != "" {
		t.Fatalf("requests %+v", reqs)
	}
	for _, part := range []string{"grant_type=client_credentials", "scope=a+b", "client_id=CLIENT_ID", "client_secret=CLIENT_SECRET"} {
		if !strings.Contains(reqs[0].Body, part) {
			t.Errorf("token request body %q lacks %q", reqs[0].Body, part)
		}
	}
	if _, n := reqs[0].header("authorization"); n != 0 {
		t.Errorf("client_auth=post sent an Authorization header")
	}

	// The builder stays usable; a later Set of a key wins.
	creds2, err := b.Set("scope", "c").Set("token_params", "query").Set("client_auth", "basic").Build()
	if err != nil {
		t.Fatalf("second Build: %v", err)
	}
	creds2.Close()

	_, err = lucidauth.NewCredentialsBuilder().Set("colour", "blue").Build()
	asError(t, err, lucidauth.StatusInvalidArgument)
	_, err = lucidauth.NewCredentialsBuilder().Set("client_id", "x").Set("timeout", "soon").Build()
	asError(t, err, lucidauth.StatusInvalidArgument)
	_, err = lucidauth.NewCredentialsBuilder().Set("client_id", "x").Build()
	asError(t, err, lucidauth.StatusConfig)
	_, err = lucidauth.NewCredentialsBuilder().Set("client_id", "x").Set("client_secret", "S3KRIT\x00x").Build()
	e := asError(t, err, lucidauth.StatusInvalidArgument)
	if strings.Contains(e.Message, "S3KRIT") {
		t.Fatalf("message shows the secret: %q", e.Message)
	}
}

func TestArgumentsCIsCannotCarry(t *testing.T) {
	setup(t)
	client := newClient(t)
	_, err := client.Token("a\x00b")
	asError(t, err, lucidauth.StatusInvalidArgument)
	_, err = client.Do("GET", "/a\x00b", nil, nil)
	asError(t, err, lucidauth.StatusInvalidArgument)
	for name, value := range map[string]string{"X-A:b": "1", "X-A": "1\r\nX-Injected: 1", "": "1"} {
		_, err = client.Do("GET", "/documents", nil, map[string]string{name: value})
		asError(t, err, lucidauth.StatusInvalidArgument)
	}
	_, err = lucidauth.CredentialsFromFile("a\x00b", "")
	asError(t, err, lucidauth.StatusInvalidArgument)
	wantStats(t, 0, 0)
}

func TestFinalizersReleaseDroppedHandles(t *testing.T) {
	for i := 0; i < 50; i++ {
		creds, err := lucidauth.CredentialsFromFile(server.credsPath, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lucidauth.NewClient(creds); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.GC()
}
