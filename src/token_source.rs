//! Where tokens come from. The pipeline of a client is made of these, front to back: the
//! in-memory cache ([`crate::cache::TokenCache`]) asks a [`crate::preissued::PreIssued`] (when an
//! `access_token` was given), which asks a [`crate::shared_cache::SharedCache`] (when tokens are
//! shared with other processes), which asks the [`crate::token_endpoint::TokenEndpoint`] (when
//! there are client credentials).

use crate::error::Result;
use crate::retry::Deadline;
use crate::token::Token;
use std::fmt::Debug;

pub trait TokenSource: Send + Sync + Debug {
    /// A token for `scope` that is fresh now: one this source keeps, or a new one; given up
    /// (a timeout error) when `deadline` passes, lock waits included.
    fn fetch(&self, scope: &str, deadline: Deadline) -> Result<Token>;

    /// The API refused `token` (401): forget it wherever it is kept, so that the next fetch
    /// gets another; any wait for a lock ends by `deadline`.
    fn reject(&self, _scope: &str, _token: &Token, _deadline: Deadline) {}
}
