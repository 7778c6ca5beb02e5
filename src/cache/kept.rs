//! The token endpoint read from an issuer's metadata, kept in the shared cache's store so that
//! the other processes of the same credentials do not read the metadata again. It is an entry
//! like a token's (named after the issuer and client id, authenticated with the client's
//! secret or key), under a scope no token can have, fresh for [`KEPT_FOR`].

use super::entry::{Entry, EntryId};
use super::shared::Store;
use crate::clock::Clock;
use crate::config::CacheIdentity;
use crate::log;
use crate::token::KeptEndpoint;
use std::sync::Arc;
use std::time::Duration;

/// How long a kept token endpoint is used before the metadata is read again.
pub const KEPT_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// The scope of the kept endpoint's entry: a newline, which no scope of a token request has.
const SCOPE: &str = "\nissuer metadata: token_endpoint";

/// [`KeptEndpoint`] in a shared-cache store.
#[derive(Debug)]
pub struct SharedEndpoint {
    store: Arc<dyn Store>,
    key: EntryId,
    clock: Arc<dyn Clock>,
}

impl SharedEndpoint {
    pub fn new(store: Arc<dyn Store>, identity: &CacheIdentity, clock: Arc<dyn Clock>) -> Self {
        SharedEndpoint {
            store,
            key: EntryId::new(identity, SCOPE),
            clock,
        }
    }
}

impl KeptEndpoint for SharedEndpoint {
    fn recall(&self) -> Option<String> {
        match self.store.load(&self.key) {
            Ok(Some(entry)) if !entry.fresh_for(Duration::ZERO, self.clock.wall()).is_zero() => {
                Some(entry.token.expose().to_string())
            }
            Ok(_) => None,
            Err(e) => {
                log::warn(&format!(
                    "shared token cache: cannot read the kept token endpoint: {}",
                    e.message()
                ));
                None
            }
        }
    }

    fn keep(&self, token_url: &str) {
        let entry = Entry::lasting(token_url, self.clock.wall(), KEPT_FOR);
        if let Err(e) = self.store.save(&self.key, &entry, KEPT_FOR) {
            log::warn(&format!(
                "shared token cache: cannot keep the token endpoint: {}",
                e.message()
            ));
        }
    }
}
