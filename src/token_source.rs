//! Where tokens come from. The pipeline of a client is made of these, front to back: the
//! in-memory cache ([`crate::cache::TokenCache`]) asks a [`crate::preissued::PreIssued`] (when an
//! `access_token` was given), which asks a [`crate::shared_cache::SharedCache`] (when tokens are
//! shared with other processes), which asks the [`crate::token_endpoint::TokenEndpoint`] (when
//! there are client credentials).

use crate::error::Result;
use crate::token::Token;
use std::fmt::Debug;

pub trait TokenSource: Send + Sync + Debug {
    /// A token for `scope` that is fresh now: one this source keeps, or a new one.
    fn fetch(&self, scope: &str) -> Result<Token>;

    /// The API refused `token` (401): forget it wherever it is kept, so that the next fetch
    /// gets another.
    fn reject(&self, _scope: &str, _token: &Token) {}
}
