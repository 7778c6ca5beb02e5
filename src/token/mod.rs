//! Tokens: the token itself (when it goes stale and expires, where it came from), where tokens
//! come from (the token endpoint, a pre-issued one), and the token request and its answer.
//! Imports the configuration and the HTTP transport; nothing of caches, the client or the FFI.

mod assertion;
mod discovery;
pub mod dpop;
mod endpoint;
mod preissued;
pub mod request;
pub mod response;
pub mod signing;
mod source;

pub use discovery::KeptEndpoint;
pub use endpoint::TokenEndpoint;
pub use preissued::PreIssued;
pub use source::TokenSource;

use crate::clock::{nanos, Moment};
use crate::jwt::is_valid_token;
use crate::secret::Secret;
use crate::stats::TokenOrigin;
use std::time::Duration;

/// Lifetime assumed when the answer has neither `expires_in` nor a JWT `exp` claim.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Longer lifetimes are cut to this, so that a lying server cannot pin a token forever.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// An access token, when it goes stale (is renewed) and when it really expires.
#[derive(Clone, Debug)]
pub struct Token {
    value: Secret,
    lifetime: Duration,
    /// Monotonic nanoseconds: from here on the token is renewed.
    stale_at: u64,
    expires_at: Moment,
    origin: TokenOrigin,
    /// `token_type` DPoP: bound to the client's DPoP key, sent as `Authorization: DPoP`.
    dpop_bound: bool,
}

impl Token {
    /// A token valid for `lifetime` (at most [`MAX_LIFETIME`]) from `sent` (when its request went
    /// out); `None` unless [`is_valid_token`].
    pub fn new(value: &str, sent: Moment, lifetime: Duration, margin: Duration) -> Option<Self> {
        let lifetime = lifetime.min(MAX_LIFETIME);
        Self::expiring(value, lifetime, sent.after(lifetime), margin)
    }

    /// A token of `lifetime` that expires at `expires_at` (read from a shared cache, say); stale
    /// `margin` before that, but never more than half its lifetime before, so that short-lived
    /// tokens are still used. `None` unless [`is_valid_token`].
    pub fn expiring(
        value: &str,
        lifetime: Duration,
        expires_at: Moment,
        margin: Duration,
    ) -> Option<Self> {
        let lifetime = lifetime.min(MAX_LIFETIME);
        let margin = margin.min(lifetime / 2);
        is_valid_token(value).then(|| Token {
            value: Secret::new(value),
            lifetime,
            stale_at: expires_at.mono.saturating_sub(nanos(margin)),
            expires_at,
            origin: TokenOrigin::TokenEndpoint,
            dpop_bound: false,
        })
    }

    /// The token, marked as coming from `origin`.
    pub fn from_origin(mut self, origin: TokenOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// The token, bound to the client's DPoP key (`token_type` DPoP).
    pub fn dpop_bound(mut self) -> Self {
        self.dpop_bound = true;
        self
    }

    /// Whether the token is bound to a DPoP key: sent as `Authorization: DPoP` with a proof.
    pub fn is_dpop_bound(&self) -> bool {
        self.dpop_bound
    }

    /// Where the token came from.
    pub fn origin(&self) -> TokenOrigin {
        self.origin
    }

    /// A token handed over already issued (the `access_token` key), `left` before it expires
    /// (at most [`MAX_LIFETIME`]): stale exactly `margin` before that, not at most half its
    /// lifetime as a fetched one, since no server said how long it lives. `None` unless
    /// [`is_valid_token`].
    pub fn pre_issued(value: &str, now: Moment, left: Duration, margin: Duration) -> Option<Self> {
        let left = left.min(MAX_LIFETIME);
        let expires_at = now.after(left);
        is_valid_token(value).then(|| Token {
            value: Secret::new(value),
            lifetime: left,
            stale_at: expires_at.mono.saturating_sub(nanos(margin)).max(now.mono),
            expires_at,
            origin: TokenOrigin::PreIssued,
            dpop_bound: false,
        })
    }

    /// The token itself, for an `Authorization: Bearer` header.
    pub fn secret(&self) -> &str {
        self.value.expose()
    }

    /// The lifetime the server granted (after the cap).
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// When the token really expires, on both clocks.
    pub fn expires_at(&self) -> Moment {
        self.expires_at
    }

    /// Whether the token is still before its refresh time (`now`: monotonic nanoseconds).
    pub fn is_fresh(&self, now: u64) -> bool {
        now < self.stale_at
    }

    /// Monotonic nanoseconds from which the token is renewed.
    pub fn stale_at(&self) -> u64 {
        self.stale_at
    }

    /// Whether the token has not expired yet (`now`: monotonic nanoseconds).
    pub fn is_unexpired(&self, now: u64) -> bool {
        now < self.expires_at.mono
    }
}
