package lucidauth

/*
#include "lucidauth.h"
*/
import "C"

import (
	"runtime"
	"time"
)

// Stats is a snapshot of what a client has done with its tokens (lucid_client_stats), copied out
// of the library's snapshot, which is freed. It holds no token or secret.
type Stats struct {
	TokenFetches          uint64 // token requests that got a token
	TokenFetchFailures    uint64 // token requests that did not, after their retries
	MemoryReads           uint64 // token reads answered from memory
	SharedCacheReads      uint64 // tokens taken from the shared cache
	BackgroundRefreshes   uint64 // tokens renewed in the background (refresh ahead)
	UnauthorizedRefetches uint64 // API calls answered 401 whose token was fetched again
	Retries               uint64 // attempts after the first, of token requests and API calls

	// LastFetchLatency is how long the last successful token request took, in whole
	// milliseconds.
	LastFetchLatency time.Duration
	// LastError is the status of the last error a call on the client returned; OK when none.
	LastError Status

	// Scopes has one entry per scope the client holds a token for.
	Scopes []ScopeStats
}

// ScopeStats is the token a client holds for one scope, as of the snapshot.
type ScopeStats struct {
	// Scope is the token's scope ("" for none).
	Scope string
	// Origin is where the token came from: "token endpoint", "shared cache" or "pre-issued".
	Origin string
	// RefreshIn is the time until the token enters its refresh window (zero once it has).
	RefreshIn time.Duration
	// ExpiresIn is the time until the token expires (zero once it has).
	ExpiresIn time.Duration
}

// statFields sets the field of each counter, by the library's name of it (lucid_stat_name). A
// counter of a newer library that is missing here is skipped; a test checks that none is.
var statFields = map[string]func(s *Stats, v uint64){
	"token_fetches":          func(s *Stats, v uint64) { s.TokenFetches = v },
	"token_fetch_failures":   func(s *Stats, v uint64) { s.TokenFetchFailures = v },
	"memory_reads":           func(s *Stats, v uint64) { s.MemoryReads = v },
	"shared_cache_reads":     func(s *Stats, v uint64) { s.SharedCacheReads = v },
	"background_refreshes":   func(s *Stats, v uint64) { s.BackgroundRefreshes = v },
	"unauthorized_refetches": func(s *Stats, v uint64) { s.UnauthorizedRefetches = v },
	"retries":                func(s *Stats, v uint64) { s.Retries = v },
	"last_fetch_latency_ms":  func(s *Stats, v uint64) { s.LastFetchLatency = millis(v) },
	"last_error_status":      func(s *Stats, v uint64) { s.LastError = Status(int32(v)) },
}

// Stats takes a snapshot of the client's counters and of the tokens it holds (one per scope).
func (c *Client) Stats() (Stats, error) {
	if c == nil {
		return Stats{}, closedError("Client")
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return Stats{}, closedError("Client")
	}
	defer runtime.KeepAlive(c)
	var snap *C.LucidStats
	var cerr *C.LucidError
	if err := check(C.lucid_client_stats(c.ptr, &snap, &cerr), cerr); err != nil {
		return Stats{}, err
	}
	if snap == nil {
		return Stats{}, newError(StatusInternal, "the library reported success but returned no stats", nil)
	}
	defer C.lucid_stats_free(snap)

	var s Stats
	for i := 0; ; i++ {
		name, ok := statNameAt(i)
		if !ok {
			break
		}
		if set := statFields[name]; set != nil {
			set(&s, uint64(C.lucid_stats_value(snap, C.int32_t(i))))
		}
	}
	n := int(C.lucid_stats_scope_count(snap))
	s.Scopes = make([]ScopeStats, 0, n)
	for i := 0; i < n; i++ {
		at := C.size_t(i)
		s.Scopes = append(s.Scopes, ScopeStats{
			Scope:     borrowedString(C.lucid_stats_scope(snap, at)),
			Origin:    borrowedString(C.lucid_stats_scope_origin(snap, at)),
			RefreshIn: millis(uint64(C.lucid_stats_scope_refresh_in_ms(snap, at))),
			ExpiresIn: millis(uint64(C.lucid_stats_scope_expires_in_ms(snap, at))),
		})
	}
	return s, nil
}

// statNameAt is lucid_stat_name: the name of counter number i, false past the last.
func statNameAt(i int) (string, bool) {
	name := C.lucid_stat_name(C.int32_t(i))
	if name == nil {
		return "", false
	}
	return C.GoString(name), true
}

// millis is ms milliseconds, capped at the longest Duration.
func millis(ms uint64) time.Duration {
	const max = uint64(1<<63-1) / uint64(time.Millisecond)
	if ms > max {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(ms) * time.Millisecond
}
