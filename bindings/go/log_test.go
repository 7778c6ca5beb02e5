package lucidauth_test

import (
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"lucidauth.example/lucidauth"
)

// logRecorder keeps the lines a LogHandler receives.
type logRecorder struct {
	mu    sync.Mutex
	lines []logLine
}

type logLine struct {
	level   lucidauth.LogLevel
	message string
}

func (r *logRecorder) handle(level lucidauth.LogLevel, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, logLine{level, message})
}

func (r *logRecorder) snapshot() []logLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]logLine(nil), r.lines...)
}

func TestLogHandlerGetsTheTokenFetch(t *testing.T) {
	setup(t)
	var rec logRecorder
	if err := lucidauth.SetLogHandler(rec.handle, lucidauth.LogInfo); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lucidauth.SetLogHandler(nil, 0) })
	token, err := newClient(t).Token("")
	if err != nil {
		t.Fatal(err)
	}

	fetch := regexp.MustCompile(`^token request to ` + regexp.QuoteMeta(server.base) +
		`/oauth2/token for scope '': HTTP 200 in \d+ ms$`)
	lines := rec.snapshot()
	var fetches []logLine
	for _, line := range lines {
		if fetch.MatchString(line.message) {
			fetches = append(fetches, line)
		}
		if strings.Contains(line.message, token) || strings.Contains(line.message, "CLIENT_SECRET") {
			t.Errorf("a log line holds a secret: %q", line.message)
		}
	}
	if len(fetches) != 1 || fetches[0].level != lucidauth.LogInfo {
		t.Fatalf("want one info line for the token fetch, got %+v among %+v", fetches, lines)
	}
	if lucidauth.LogInfo.String() != "info" {
		t.Errorf("LogInfo.String() = %q", lucidauth.LogInfo.String())
	}

	// Removed: a second fetch reaches nobody.
	if err := lucidauth.SetLogHandler(nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t).Token(""); err != nil {
		t.Fatal(err)
	}
	if got := len(rec.snapshot()); got != len(lines) {
		t.Fatalf("%d lines after SetLogHandler(nil), want %d", got, len(lines))
	}
	wantStats(t, 2, 0)

	err = lucidauth.SetLogHandler(rec.handle, 7)
	asError(t, err, lucidauth.StatusInvalidArgument)
}

func TestLogHandlerThatPanicsDisturbsNothing(t *testing.T) {
	setup(t)
	var calls int32
	err := lucidauth.SetLogHandler(func(lucidauth.LogLevel, string) {
		atomic.AddInt32(&calls, 1)
		panic("a handler that fails")
	}, lucidauth.LogDebug)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lucidauth.SetLogHandler(nil, 0) })
	token, err := newClient(t).Token("")
	if err != nil || token == "" {
		t.Fatalf("Token with a panicking log handler: %q, %v", token, err)
	}
	if atomic.LoadInt32(&calls) == 0 {
		t.Fatal("the handler was not called") // the fetch logs from the calling thread
	}
}
