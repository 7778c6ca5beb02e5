//! Where tokens come from. The pipeline of a client is made of these, front to back: the
//! in-memory cache (`cache::TokenCache`) asks a [`super::PreIssued`] (when an `access_token`
//! was given), which asks the shared cache (`cache::SharedCache`, when tokens are shared with
//! other processes), which asks the [`super::TokenEndpoint`] (when there are client
//! credentials). `client::pipeline` puts them together.

use super::Token;
use crate::clock::Deadline;
use crate::error::Result;
use std::fmt::Debug;

pub trait TokenSource: Send + Sync + Debug {
    /// A token for `scope` that is fresh now: one this source keeps, or a new one; given up
    /// (a timeout error) when `deadline` passes, lock waits included.
    fn fetch(&self, scope: &str, deadline: Deadline) -> Result<Token>;

    /// The API refused `token` (401): forget it wherever it is kept, so that the next fetch
    /// gets another; any wait for a lock ends by `deadline`.
    fn reject(&self, _scope: &str, _token: &Token, _deadline: Deadline) {}
}
