package lucidauth_test

import (
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"

	"lucidauth.example/lucidauth"
)

// TestStatsFieldsCoverEveryCounter enumerates lucid_stat_name(0, 1, ...) until NULL and checks
// that each counter fills a field of Stats of its own, that the binding knows no counter the
// library lacks, and that every field but Scopes is filled by some counter.
func TestStatsFieldsCoverEveryCounter(t *testing.T) {
	var library []string
	for i := 0; ; i++ {
		name, ok := lucidauth.StatNameAt(i)
		if !ok {
			break
		}
		library = append(library, name)
	}
	if _, ok := lucidauth.StatNameAt(-1); ok {
		t.Error("lucid_stat_name(-1) names a counter")
	}
	if len(library) != 9 || library[0] != "token_fetches" || library[8] != "last_error_status" {
		t.Errorf("lucid_stat_name gives %q", library)
	}
	binding := lucidauth.StatFieldNames()
	sort.Strings(binding)
	sorted := append([]string(nil), library...)
	sort.Strings(sorted)
	if !reflect.DeepEqual(binding, sorted) {
		t.Fatalf("the binding's counters %q,\nthe library's %q", binding, sorted)
	}

	filled := map[string]string{} // field -> counter
	for _, name := range library {
		var s lucidauth.Stats
		if !lucidauth.SetStatField(&s, name, 7) {
			t.Fatalf("no field for counter %q", name)
		}
		v := reflect.ValueOf(s)
		var fields []string
		for i := 0; i < v.NumField(); i++ {
			if !v.Field(i).IsZero() {
				fields = append(fields, v.Type().Field(i).Name)
			}
		}
		if len(fields) != 1 {
			t.Fatalf("counter %q sets the fields %q, want one", name, fields)
		}
		if other, ok := filled[fields[0]]; ok {
			t.Fatalf("counters %q and %q both set %s", other, name, fields[0])
		}
		filled[fields[0]] = name
	}
	typ := reflect.TypeOf(lucidauth.Stats{})
	for i := 0; i < typ.NumField(); i++ {
		if f := typ.Field(i).Name; f != "Scopes" && filled[f] == "" {
			t.Errorf("no counter sets Stats.%s", f)
		}
	}

	var s lucidauth.Stats
	lucidauth.SetStatField(&s, "last_fetch_latency_ms", 1500)
	lucidauth.SetStatField(&s, "last_error_status", 9)
	if s.LastFetchLatency != 1500*time.Millisecond || s.LastError != lucidauth.StatusCredentialsRejected {
		t.Fatalf("latency %v, last error %v", s.LastFetchLatency, s.LastError)
	}
}

// TestStatsCountFetchesAndMemoryReads: one fetch, then nine reads from memory.
func TestStatsCountFetchesAndMemoryReads(t *testing.T) {
	setup(t)
	client := newClient(t)
	first, err := client.Token("")
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	for i := 0; i < 9; i++ {
		if token, err := client.Token(""); err != nil || token != first {
			t.Fatalf("Token #%d: %v (same token: %v)", i+2, err, token == first)
		}
	}
	wantStats(t, 1, 0)

	s, err := client.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	scopes := s.Scopes
	s.Scopes = nil
	latency := s.LastFetchLatency
	s.LastFetchLatency = 0
	want := lucidauth.Stats{TokenFetches: 1, MemoryReads: 9, LastError: lucidauth.StatusOK}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Stats() = %+v, want %+v", s, want)
	}
	if latency < 0 || latency > 20*time.Second || latency%time.Millisecond != 0 {
		t.Errorf("LastFetchLatency = %v, want whole milliseconds within the deadline", latency)
	}
	if len(scopes) != 1 {
		t.Fatalf("Scopes = %+v, want one", scopes)
	}
	sc := scopes[0]
	if sc.Scope != "" || sc.Origin != "token endpoint" {
		t.Errorf("scope %q from %q, want \"\" from \"token endpoint\"", sc.Scope, sc.Origin)
	}
	if sc.ExpiresIn <= 0 || sc.ExpiresIn > time.Hour {
		t.Errorf("ExpiresIn = %v, want within (0, 1h]", sc.ExpiresIn)
	}
	if sc.RefreshIn > sc.ExpiresIn {
		t.Errorf("RefreshIn %v > ExpiresIn %v", sc.RefreshIn, sc.ExpiresIn)
	}
	// The refresh window is refresh_margin (300 s by default) long; each end is rounded down
	// to a millisecond on its own.
	if margin := sc.ExpiresIn - sc.RefreshIn; margin < 300*time.Second-time.Millisecond ||
		margin > 300*time.Second+time.Millisecond {
		t.Errorf("ExpiresIn - RefreshIn = %v, want the 300 s refresh margin", margin)
	}
}

// TestStatsCountARejectedFetch: a wrong secret gives one failed fetch and its status.
func TestStatsCountARejectedFetch(t *testing.T) {
	setup(t)
	creds, err := lucidauth.NewCredentialsBuilderFrom(fileCredentials(t)).
		Set("client_secret", "WRONG-SECRET-stats").
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

	_, err = client.Token("")
	asError(t, err, lucidauth.StatusCredentialsRejected)
	wantStats(t, 1, 0)
	s, err := client.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	want := lucidauth.Stats{TokenFetchFailures: 1, LastError: lucidauth.StatusCredentialsRejected, Scopes: []lucidauth.ScopeStats{}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("Stats() = %+v, want %+v", s, want)
	}
	if s.LastError != 9 {
		t.Fatalf("LastError = %d, want 9", s.LastError)
	}
}

func TestStatsOfAClosedClient(t *testing.T) {
	setup(t)
	client := newClient(t)
	client.Close()
	_, err := client.Stats()
	asError(t, err, lucidauth.StatusClosed)
	if !errors.Is(err, lucidauth.ErrClosed) {
		t.Fatalf("Stats() after Close: %v, want ErrClosed", err)
	}
	var nilClient *lucidauth.Client
	if _, err := nilClient.Stats(); !errors.Is(err, lucidauth.ErrClosed) {
		t.Fatalf("Stats() on nil: %v", err)
	}
}
