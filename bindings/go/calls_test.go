package lucidauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"lucidauth.example/lucidauth"
)

// AccessToken: the credentials' scope by default, ForScope for exactly another one ("" = none),
// one token request per scope, then the cache.
func TestAccessTokenScopes(t *testing.T) {
	setup(t)
	client := newClient(t, lucidauth.WithScope("machinelearning.predict"))
	ctx := context.Background()
	configured, err := client.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	none, err := client.AccessToken(ctx, lucidauth.ForScope(""))
	if err != nil {
		t.Fatal(err)
	}
	other, err := client.AccessToken(ctx, lucidauth.ForScope("machinelearning.model"))
	if err != nil {
		t.Fatal(err)
	}
	if configured == none || none == other || configured == other {
		t.Fatalf("three scopes, tokens %q %q %q", configured, none, other)
	}
	again, err := client.AccessToken(ctx, lucidauth.ForScope("machinelearning.predict"))
	if err != nil || again != configured {
		t.Fatalf("ForScope of the configured scope: %q, %v; want the cached %q", again, err, configured)
	}
	// The deprecated calls are the same calls.
	if old, err := client.Token(""); err != nil || old != configured {
		t.Fatalf("Token(\"\") = %q, %v", old, err)
	}
	if old, err := client.TokenForScope(""); err != nil || old != none {
		t.Fatalf("TokenForScope(\"\") = %q, %v", old, err)
	}
	wantStats(t, 3, 0)
	var queries []string
	for _, r := range requests(t) {
		queries = append(queries, r.Query)
	}
	want := []string{
		"grant_type=client_credentials&scope=machinelearning.predict",
		"grant_type=client_credentials",
		"grant_type=client_credentials&scope=machinelearning.model",
	}
	if !reflect.DeepEqual(queries, want) {
		t.Fatalf("token queries %q, want %q", queries, want)
	}
}

// AccessToken honours ctx: done already, no call at all.
func TestAccessTokenCancelled(t *testing.T) {
	setup(t)
	client := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.AccessToken(ctx); err == nil || !errorsIsCanceled(err) {
		t.Fatalf("AccessToken with a cancelled context: %v", err)
	}
	if _, err := client.Request(ctx, "GET", "/documents", nil); err == nil || !errorsIsCanceled(err) {
		t.Fatalf("Request with a cancelled context: %v", err)
	}
	deadline, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	if _, err := client.AccessToken(deadline); err != nil {
		t.Fatalf("AccessToken with a live deadline: %v", err)
	}
	wantStats(t, 1, 0)
}

// Request sends exactly: method, path, query, body, x-api-key, the bearer token and the
// headers of WithHeader in their order, then those of WithHeaders sorted by name.
func TestRequestSendsHeadersInOrder(t *testing.T) {
	setup(t)
	client := newClient(t)
	ctx := context.Background()
	body := []byte(`{"name":"invoice.pdf"}`)
	more := http.Header{}
	more.Add("X-Test-Zulu", "z1")
	more.Add("X-Test-Zulu", "z2")
	more.Add("X-Test-Bravo", "b")
	resp, err := client.Request(ctx, "POST", "/documents?limit=2", body,
		lucidauth.WithHeader("X-Test-Mid", "3"), lucidauth.WithHeader("X-Test-Alpha", "2"),
		lucidauth.WithHeaders(more))
	if err != nil {
		t.Fatal(err)
	}
	var e echo
	if err := json.Unmarshal(resp.Body, &e); err != nil || resp.Status != 200 {
		t.Fatalf("status %d, body %s: %v", resp.Status, resp.Body, err)
	}
	if e.Method != "POST" || e.Path != "/v1/documents" || e.Query != "limit=2" || e.Body != string(body) {
		t.Fatalf("echo %+v", e)
	}
	token, err := client.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reqs := requests(t)
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want a token request and one API request", len(reqs))
	}
	api := reqs[1]
	for name, want := range map[string]string{"authorization": "Bearer " + token, "x-api-key": "API_KEY",
		"content-type": "application/json"} {
		if got, n := api.header(name); got != want || n != 1 {
			t.Errorf("%s: %q (%d times), want %q once", name, got, n, want)
		}
	}
	want := [][2]string{{"x-test-mid", "3"}, {"x-test-alpha", "2"}, {"x-test-bravo", "b"},
		{"x-test-zulu", "z1"}, {"x-test-zulu", "z2"}}
	if got := callerHeaders(api); !reflect.DeepEqual(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	_, err = client.Request(ctx, "GET", "/documents", nil, lucidauth.WithHeader("X-A", "1\r\nX-Injected: 1"))
	asError(t, err, lucidauth.StatusInvalidArgument)
	_, err = client.Request(ctx, "GET", "https://elsewhere.example/steal", nil)
	asError(t, err, lucidauth.StatusInsecureURL)
	wantStats(t, 1, 1)
}

func errorsIsCanceled(err error) bool {
	return errors.Is(err, context.Canceled)
}
