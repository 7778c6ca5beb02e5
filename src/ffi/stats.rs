//! Client stats from C: a snapshot handle read through accessors, so that counters can be added
//! without changing any struct the caller sees.

use super::boundary::{guard, handle, out_ptr};
use super::client::LucidClient;
use super::error::LucidError;
use super::raw::{free, guard_value, maybe};
use super::status::LucidStatus;
use crate::Stats;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;

/// A counter of `LucidStats`. The numbers never change; new counters are only added at the end.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LucidStat {
    /// Token requests that got a token.
    TokenFetches = 0,
    /// Token requests that did not, after their retries.
    TokenFetchFailures = 1,
    /// Token reads answered from memory.
    MemoryReads = 2,
    /// Tokens taken from the shared cache instead of the token endpoint.
    SharedCacheReads = 3,
    /// Tokens renewed in the background (refresh ahead).
    BackgroundRefreshes = 4,
    /// API calls answered 401 whose token was dropped and fetched again.
    UnauthorizedRefetches = 5,
    /// Attempts after the first, of token requests and API calls.
    Retries = 6,
    /// Milliseconds the last successful token request took, retries included.
    LastFetchLatencyMs = 7,
    /// The `LucidStatus` of the last error a call on the client returned; 0 when none.
    LastErrorStatus = 8,
}

/// A snapshot of a client's counters and tokens, made by `lucid_client_stats` and freed with
/// `lucid_stats_free`. Immutable: may be read from any thread. Holds no token.
pub struct LucidStats {
    inner: Stats,
    scopes: Vec<CString>,
    client_auth: CString,
}

impl LucidStat {
    /// Every counter, in number order: `ALL[n]` is the counter numbered `n` (a test checks this).
    const ALL: [LucidStat; 9] = [
        LucidStat::TokenFetches,
        LucidStat::TokenFetchFailures,
        LucidStat::MemoryReads,
        LucidStat::SharedCacheReads,
        LucidStat::BackgroundRefreshes,
        LucidStat::UnauthorizedRefetches,
        LucidStat::Retries,
        LucidStat::LastFetchLatencyMs,
        LucidStat::LastErrorStatus,
    ];

    /// The counter numbered `n`, if there is one (a caller may pass a newer library's number).
    fn from_number(n: i32) -> Option<LucidStat> {
        usize::try_from(n)
            .ok()
            .and_then(|i| Self::ALL.get(i))
            .copied()
    }

    fn name(self) -> &'static CStr {
        match self {
            LucidStat::TokenFetches => c"token_fetches",
            LucidStat::TokenFetchFailures => c"token_fetch_failures",
            LucidStat::MemoryReads => c"memory_reads",
            LucidStat::SharedCacheReads => c"shared_cache_reads",
            LucidStat::BackgroundRefreshes => c"background_refreshes",
            LucidStat::UnauthorizedRefetches => c"unauthorized_refetches",
            LucidStat::Retries => c"retries",
            LucidStat::LastFetchLatencyMs => c"last_fetch_latency_ms",
            LucidStat::LastErrorStatus => c"last_error_status",
        }
    }

    fn value(self, s: &Stats) -> u64 {
        match self {
            LucidStat::TokenFetches => s.token_fetches,
            LucidStat::TokenFetchFailures => s.token_fetch_failures,
            LucidStat::MemoryReads => s.memory_reads,
            LucidStat::SharedCacheReads => s.shared_cache_reads,
            LucidStat::BackgroundRefreshes => s.background_refreshes,
            LucidStat::UnauthorizedRefetches => s.unauthorized_refetches,
            LucidStat::Retries => s.retries,
            LucidStat::LastFetchLatencyMs => {
                u64::try_from(s.last_fetch_latency.as_millis()).unwrap_or(u64::MAX)
            }
            LucidStat::LastErrorStatus => s
                .last_error
                .map_or(0, |k| LucidStatus::from(k) as i32 as u64),
        }
    }
}

/// Takes a snapshot of `client`'s counters and of the tokens it holds (one per scope).
/// On success writes a new object to `*out` (free with `lucid_stats_free`).
#[no_mangle]
pub extern "C" fn lucid_client_stats(
    client: *const LucidClient,
    out: *mut *mut LucidStats,
    err: *mut *mut LucidError,
) -> LucidStatus {
    guard(err, || {
        let client = handle(client, "client")?;
        let out = out_ptr(out, "out")?;
        let inner = client.inner.stats();
        let scopes = inner
            .scopes
            .iter()
            .map(|s| super::error::c_string(s.scope.clone()))
            .collect();
        let client_auth = super::error::c_string(inner.client_auth.clone());
        out.write_box(LucidStats {
            inner,
            scopes,
            client_auth,
        });
        Ok(())
    })
}

/// The value of counter `which` (a `LucidStat`); 0 for a NULL snapshot or a number that is not a
/// counter (of a newer library, say).
#[no_mangle]
pub extern "C" fn lucid_stats_value(stats: *const LucidStats, which: i32) -> u64 {
    guard_value(0, || match (maybe(stats), LucidStat::from_number(which)) {
        (Some(stats), Some(which)) => which.value(&stats.inner),
        _ => 0,
    })
}

/// The name of counter `which`, e.g. `"token_fetches"`; NULL for a number that is not a counter.
/// Static: never free it.
#[no_mangle]
pub extern "C" fn lucid_stat_name(which: i32) -> *const c_char {
    guard_value(std::ptr::null(), || {
        LucidStat::from_number(which).map_or(std::ptr::null(), |stat| stat.name().as_ptr())
    })
}

/// How the client authenticates to the token endpoint: the `client_auth` method, and with a
/// private key its type and RFC 7638 JWK thumbprint, e.g. `"private_key_jwt (EC P-256,
/// thumbprint NzbLsXh8...)"`; `"none"` with only a pre-issued token; NULL for a NULL snapshot.
/// Never a secret. Borrowed from `stats`.
#[no_mangle]
pub extern "C" fn lucid_stats_client_auth(stats: *const LucidStats) -> *const c_char {
    guard_value(std::ptr::null(), || {
        maybe(stats).map_or(std::ptr::null(), |s| s.client_auth.as_ptr())
    })
}

/// How many scopes the client holds a token for (0 for NULL).
#[no_mangle]
pub extern "C" fn lucid_stats_scope_count(stats: *const LucidStats) -> usize {
    guard_value(0, || maybe(stats).map_or(0, |s| s.scopes.len()))
}

/// The scope of token number `index` (`""` for no scope); NULL past the last. Borrowed from
/// `stats`.
#[no_mangle]
pub extern "C" fn lucid_stats_scope(stats: *const LucidStats, index: usize) -> *const c_char {
    guard_value(std::ptr::null(), || {
        maybe(stats)
            .and_then(|s| s.scopes.get(index))
            .map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// Where token number `index` came from: `"token endpoint"`, `"shared cache"` or
/// `"pre-issued"`; NULL past the last. Static: never free it.
#[no_mangle]
pub extern "C" fn lucid_stats_scope_origin(
    stats: *const LucidStats,
    index: usize,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        let origin = maybe(stats)
            .and_then(|s| s.inner.scopes.get(index))
            .map(|s| s.origin);
        match origin {
            Some(crate::TokenOrigin::TokenEndpoint) => c"token endpoint".as_ptr(),
            Some(crate::TokenOrigin::SharedCache) => c"shared cache".as_ptr(),
            Some(crate::TokenOrigin::PreIssued) => c"pre-issued".as_ptr(),
            None => std::ptr::null(),
        }
    })
}

/// Milliseconds, when the snapshot was taken, until token number `index` enters its refresh
/// window (0 once it has, or past the last).
#[no_mangle]
pub extern "C" fn lucid_stats_scope_refresh_in_ms(stats: *const LucidStats, index: usize) -> u64 {
    scope_ms(stats, index, |s| s.refresh_in)
}

/// Milliseconds, when the snapshot was taken, until token number `index` expires (0 once it
/// has, or past the last).
#[no_mangle]
pub extern "C" fn lucid_stats_scope_expires_in_ms(stats: *const LucidStats, index: usize) -> u64 {
    scope_ms(stats, index, |s| s.expires_in)
}

fn scope_ms(
    stats: *const LucidStats,
    index: usize,
    pick: impl FnOnce(&crate::ScopeStats) -> std::time::Duration,
) -> u64 {
    guard_value(0, || {
        maybe(stats)
            .and_then(|s| s.inner.scopes.get(index))
            .map_or(0, |s| {
                u64::try_from(pick(s).as_millis()).unwrap_or(u64::MAX)
            })
    })
}

/// Frees a snapshot. NULL is accepted.
#[no_mangle]
pub extern "C" fn lucid_stats_free(stats: *mut LucidStats) {
    guard_value((), || free(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_number_order() {
        for (n, stat) in LucidStat::ALL.iter().enumerate() {
            assert_eq!(*stat as i32 as usize, n);
        }
    }

    #[test]
    fn names_follow_the_numbers() {
        let name = |n| {
            let p = lucid_stat_name(n);
            // SAFETY: a non-NULL result is a static NUL-terminated string.
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string())
        };
        assert_eq!(
            name(LucidStat::TokenFetches as i32).as_deref(),
            Some("token_fetches")
        );
        assert_eq!(
            name(LucidStat::LastErrorStatus as i32).as_deref(),
            Some("last_error_status")
        );
        assert_eq!(name(9), None);
        assert_eq!(name(-1), None);
        assert_eq!(lucid_stats_value(std::ptr::null(), 0), 0);
    }
}
