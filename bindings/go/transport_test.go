package lucidauth_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"lucidauth.example/lucidauth"
)

// apiURL is a URL on the test server's API origin (api_endpoint is <base>/v1).
func apiURL(path string) string {
	return server.base + "/v1" + path
}

func get(t *testing.T, hc *http.Client, url string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// The request goes out with exactly one x-api-key and one Authorization (the client's token),
// the caller's own headers as they were (an Authorization of the caller's is replaced), and the
// caller's request is not changed.
func TestTransportSendsTheHeaders(t *testing.T) {
	setup(t)
	client := newClient(t)
	hc := &http.Client{Transport: client.Transport(nil)}
	req, err := http.NewRequest("GET", apiURL("/documents?limit=1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Test-Trace", "abc")
	req.Header.Set("Authorization", "Bearer stale-from-the-caller")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	token, err := client.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reqs := requests(t)
	if len(reqs) != 2 || reqs[0].Kind != "token" || reqs[1].Kind != "api" {
		t.Fatalf("recorded %+v, want one token request and one API request", reqs)
	}
	api := reqs[1]
	if api.Method != "GET" || api.Path != "/v1/documents" || api.Query != "limit=1" {
		t.Fatalf("API request %+v", api)
	}
	for name, want := range map[string]string{"authorization": "Bearer " + token, "x-api-key": "API_KEY",
		"x-test-trace": "abc"} {
		if got, n := api.header(name); got != want || n != 1 {
			t.Errorf("%s: %q (%d times), want %q once", name, got, n, want)
		}
	}
	if got := req.Header.Get("Authorization"); got != "Bearer stale-from-the-caller" || req.Header.Get("X-Api-Key") != "" {
		t.Fatalf("the caller's request was changed: %v", req.Header)
	}
	wantStats(t, 1, 1)
}

// A token revoked after the 10th of 20 GETs: the 11th is answered 401, the transport drops the
// token and sends it once more: 20 answers 200, exactly 2 token requests, 21 API requests.
func TestTransportRenewsARevokedTokenOnce(t *testing.T) {
	setup(t)
	client := newClient(t)
	hc := &http.Client{Transport: client.Transport(http.DefaultTransport)}
	ok := 0
	for i := 1; i <= 20; i++ {
		if status, _ := get(t, hc, apiURL("/documents"), nil); status == 200 {
			ok++
		}
		if i == 10 {
			admin(t, "POST", "/_admin/revoke", nil)
		}
	}
	if ok != 20 {
		t.Fatalf("%d of 20 answers were 200", ok)
	}
	wantStats(t, 2, 21)
	s, err := client.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.UnauthorizedRefetches != 1 {
		t.Fatalf("UnauthorizedRefetches = %d, want 1", s.UnauthorizedRefetches)
	}
}

// Eight goroutines whose requests all meet the same revoked token: one new token request.
func TestTransportConcurrent401sMakeOneFetch(t *testing.T) {
	setup(t)
	client := newClient(t)
	hc := &http.Client{Transport: client.Transport(nil)}
	get(t, hc, apiURL("/documents"), nil)
	admin(t, "POST", "/_admin/revoke", nil)
	// Every goroutine holds the revoked token before any 401 comes back.
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	statuses := make([]int, 8)
	for g := range statuses {
		ready.Add(1)
		done.Add(1)
		go func(g int) {
			defer done.Done()
			ready.Done()
			<-start
			resp, err := hc.Get(apiURL("/documents"))
			if err != nil {
				t.Errorf("GET: %v", err)
				return
			}
			resp.Body.Close()
			statuses[g] = resp.StatusCode
		}(g)
	}
	ready.Wait()
	close(start)
	done.Wait()
	for g, status := range statuses {
		if status != 200 {
			t.Errorf("goroutine %d: status %d", g, status)
		}
	}
	if st := stats(t); st.TokenRequests != 2 {
		t.Fatalf("%d token requests, want 2: the first and one after the revocation", st.TokenRequests)
	}
}

// A POST body is sent again after a 401 when it can be replayed (GetBody); a body that cannot
// be replayed leaves the 401 to the caller (the token is dropped all the same).
func TestTransportReplaysOnlyReplayableBodies(t *testing.T) {
	setup(t)
	client := newClient(t)
	hc := &http.Client{Transport: client.Transport(nil)}
	get(t, hc, apiURL("/documents"), nil)
	admin(t, "POST", "/_admin/revoke", nil)
	resp, err := hc.Post(apiURL("/documents"), "application/json", bytes.NewReader([]byte(`{"n":1}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("replayable body: status %d", resp.StatusCode)
	}
	reqs := requests(t)
	last := reqs[len(reqs)-1]
	if last.Method != "POST" || last.Body != `{"n":1}` {
		t.Fatalf("the resent request: %+v", last)
	}
	wantStats(t, 2, 3)

	admin(t, "POST", "/_admin/revoke", nil)
	body := io.NopCloser(strings.NewReader(`{"n":2}`)) // no GetBody: not replayable
	req, err := http.NewRequest("POST", apiURL("/documents"), body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("unreplayable body: status %d, want the 401", resp.StatusCode)
	}
	wantStats(t, 2, 4) // dropped, not yet fetched again
	get(t, hc, apiURL("/documents"), nil)
	wantStats(t, 3, 5)
}

// A request to another origin goes through untouched: no token, no api key, nothing fetched.
func TestTransportLeavesOtherOriginsAlone(t *testing.T) {
	setup(t)
	var seen http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		w.WriteHeader(204)
	}))
	defer other.Close()
	client := newClient(t)
	hc := &http.Client{Transport: client.Transport(nil)}
	status, _ := get(t, hc, other.URL+"/v1/documents", http.Header{"X-Test-Trace": {"abc"}})
	if status != 204 {
		t.Fatalf("status %d", status)
	}
	if seen.Get("Authorization") != "" || seen.Get("X-Api-Key") != "" || seen.Get("X-Test-Trace") != "abc" {
		t.Fatalf("the other origin saw %v", seen)
	}
	wantStats(t, 0, 0)
}

// A closed client's transport fails with ErrClosed (and closes the request body).
func TestTransportOfAClosedClient(t *testing.T) {
	setup(t)
	client := newClient(t)
	rt := client.Transport(nil)
	client.Close()
	body := &closeCounter{Reader: strings.NewReader("x")}
	req, err := http.NewRequest("POST", apiURL("/documents"), body)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.RoundTrip(req)
	if !errors.Is(err, lucidauth.ErrClosed) || !errors.Is(err, lucidauth.StatusClosed) {
		t.Fatalf("RoundTrip on a closed client: %v", err)
	}
	if body.closed != 1 {
		t.Fatalf("the request body was closed %d times, want 1", body.closed)
	}
	wantStats(t, 0, 0)
}

type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error {
	c.closed++
	return nil
}
