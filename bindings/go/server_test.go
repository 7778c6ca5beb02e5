package lucidauth_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testServer is one lucid-testserver process, shared by the tests of the package; setup resets
// it before each test.
type testServer struct {
	base      string // http://127.0.0.1:PORT
	credsPath string // a credentials.cfg pointing at it
	cmd       *exec.Cmd
	stdin     io.WriteCloser
}

var server *testServer

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// The tests choose their credentials explicitly; nothing from the caller's environment.
	for _, name := range []string{"LAS_CLIENT_ID", "LAS_CLIENT_SECRET", "LAS_API_KEY",
		"LAS_AUTH_ENDPOINT", "LAS_API_ENDPOINT", "LAS_PROFILE", "LAS_CREDENTIALS_FILE"} {
		os.Unsetenv(name)
	}
	bin := os.Getenv("LUCID_TESTSERVER")
	if bin == "" {
		bin = filepath.Join("..", "..", "target", "release", "lucid-testserver")
	}
	dir, err := os.MkdirTemp("", "lucidauth-go-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	s, err := startServer(bin, dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting %s: %v\n", bin, err)
		return 1
	}
	defer s.stop()
	server = s
	return m.Run()
}

// startServer runs the server and waits for its LISTENING line (written after both files).
func startServer(bin, dir string) (*testServer, error) {
	s := &testServer{credsPath: filepath.Join(dir, "credentials.cfg")}
	portFile := filepath.Join(dir, "port")
	s.cmd = exec.Command(bin, "--credentials-out", s.credsPath, "--port-file", portFile,
		"--exit-on-stdin-eof")
	s.cmd.Stderr = os.Stderr
	stdin, err := s.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	s.stdin = stdin
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		reader := bufio.NewReader(stdout)
		line, _ := reader.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, reader)
	}()
	select {
	case line := <-lines:
		base := strings.TrimPrefix(line, "LISTENING ")
		if base == line || !strings.HasPrefix(base, "http://127.0.0.1:") {
			s.stop()
			return nil, fmt.Errorf("unexpected first line %q", line)
		}
		s.base = base
	case <-time.After(20 * time.Second):
		s.stop()
		return nil, fmt.Errorf("no LISTENING line within 20 s")
	}
	port, err := os.ReadFile(portFile)
	if err != nil {
		s.stop()
		return nil, err
	}
	if want := "http://127.0.0.1:" + strings.TrimSpace(string(port)); want != s.base {
		s.stop()
		return nil, fmt.Errorf("port file says %s, LISTENING line %s", want, s.base)
	}
	return s, nil
}

// stop closes the server's stdin (it exits on EOF) and waits for it, killing it after 10 s.
func (s *testServer) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// setup resets the server's records before a test, and its token lifetime after it.
func setup(t *testing.T) {
	t.Helper()
	admin(t, "POST", "/_admin/reset", nil)
	t.Cleanup(func() { admin(t, "POST", "/_admin/lifetime?secs=3600", nil) })
}

// admin calls an admin endpoint and returns the body; anything but a 2xx fails the test.
func admin(t *testing.T, method, path string, body interface{}) []byte {
	t.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, server.base+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, data)
	}
	return data
}

type serverStats struct {
	TokenRequests int `json:"token_requests"`
	APIRequests   int `json:"api_requests"`
}

func stats(t *testing.T) serverStats {
	t.Helper()
	var s serverStats
	if err := json.Unmarshal(admin(t, "GET", "/_admin/stats", nil), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func wantStats(t *testing.T, tokenRequests, apiRequests int) {
	t.Helper()
	if got := stats(t); got != (serverStats{tokenRequests, apiRequests}) {
		t.Fatalf("server stats = %+v, want %d token and %d API requests", got, tokenRequests, apiRequests)
	}
}

type recordedRequest struct {
	Kind    string      `json:"kind"`
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Query   string      `json:"query"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

// header is the value of the first header called name, and how many there are.
func (r recordedRequest) header(name string) (string, int) {
	value, n := "", 0
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			if n == 0 {
				value = h[1]
			}
			n++
		}
	}
	return value, n
}

func requests(t *testing.T) []recordedRequest {
	t.Helper()
	var list []recordedRequest
	if err := json.Unmarshal(admin(t, "GET", "/_admin/requests", nil), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// script queues a canned answer; see POST /_admin/script.
func script(t *testing.T, target string, status int, body string, headers map[string]string) {
	t.Helper()
	spec := map[string]interface{}{"target": target, "status": status, "body": body, "count": 1}
	if headers != nil {
		spec["headers"] = headers
	}
	admin(t, "POST", "/_admin/script", spec)
}
