//! Assembling a client: the one place that reads the whole configuration, and hands each part
//! the view of it that part needs. The token pipeline, front to back: memory, then the
//! pre-issued `access_token` when given, then the shared cache when configured, then the token
//! endpoint when there are client credentials.

use super::Client;
use crate::cache::{DiskStore, RedisStore, SharedCache, SharedEndpoint, Store, TokenCache};
use crate::clock::Clock;
use crate::config::{Credentials, SharedCacheConfig, SharedStore};
use crate::error::{Error, ErrorKind, Result};
use crate::http::Transport;
use crate::log;
use crate::stats::Counters;
use crate::token::dpop::DpopProver;
use crate::token::{PreIssued, TokenEndpoint, TokenSource};
use std::sync::Arc;

/// The client for `creds`, its expiry on `clock`, its proxy chosen from `env`.
pub fn assemble(
    creds: &Credentials,
    clock: Arc<dyn Clock>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Client> {
    let http = creds.http(env)?;
    let mut redactor = creds.redactor();
    if let Some(proxy) = &http.proxy {
        redactor = redactor.merge(proxy.redactor());
    }
    let redactor = Arc::new(redactor);
    let transport = Arc::new(Transport::new(http, redactor.clone())?);
    let counters = Arc::new(Counters::default());
    let dpop = match creds.dpop() {
        Some(config) => Some(Arc::new(DpopProver::new(&config)?)),
        None => None,
    };
    let shared = shared_store(creds)?;
    let mut client_auth = "none".to_string();
    let fetcher = match creds.token_endpoint() {
        Some(config) => {
            let endpoint = TokenEndpoint::new(
                config,
                dpop.clone(),
                transport.clone(),
                clock.clone(),
                counters.clone(),
                redactor,
            )?;
            client_auth = describe_auth(&endpoint, dpop.as_deref());
            Some(behind_shared(endpoint, shared, &clock, &counters))
        }
        None => None,
    };
    let source: Box<dyn TokenSource> = match (creds.pre_issued(), fetcher) {
        (Some(config), next) => Box::new(PreIssued::new(config, next, clock.clone())),
        (None, Some(fetcher)) => fetcher,
        (None, None) => {
            return Err(Error::new(
                ErrorKind::Config,
                "neither client credentials nor an access_token",
            ))
        }
    };
    Ok(Client {
        tokens: TokenCache::new(creds.memory(), source, clock.clone(), counters.clone()),
        clock,
        counters,
        api: creds.api(),
        transport,
        client_auth,
        dpop,
    })
}

/// How the client authenticates, for `lucid info` and the log.
fn describe_auth(endpoint: &TokenEndpoint, dpop: Option<&DpopProver>) -> String {
    let mut described = endpoint.describe_auth();
    if let Some(dpop) = dpop {
        described.push_str(&format!(", dpop (thumbprint {})", dpop.thumbprint()));
    }
    log::info(&format!("client authentication: {described}"));
    described
}

/// `endpoint` behind the shared cache, when there is one; the endpoint then also keeps the
/// token endpoint an issuer's metadata names in the cache's store.
fn behind_shared(
    endpoint: TokenEndpoint,
    shared: Option<(SharedCacheConfig, Arc<dyn Store>)>,
    clock: &Arc<dyn Clock>,
    counters: &Arc<Counters>,
) -> Box<dyn TokenSource> {
    let Some((config, store)) = shared else {
        return Box::new(endpoint);
    };
    let kept = SharedEndpoint::new(store.clone(), &config.identity, clock.clone());
    let endpoint = endpoint.keeping_discovered_in(Box::new(kept));
    Box::new(SharedCache::new(
        store,
        Box::new(endpoint),
        config,
        clock.clone(),
        counters.clone(),
    ))
}

/// The shared cache's configuration and store, when one is configured and its store can be
/// used: tokens, and the token endpoint an issuer's metadata names, are kept there.
fn shared_store(creds: &Credentials) -> Result<Option<(SharedCacheConfig, Arc<dyn Store>)>> {
    let Some(config) = creds.shared_cache()? else {
        return Ok(None);
    };
    Ok(store(&config)?.map(|store| (config, store)))
}

/// The store of the shared cache: Redis, or a directory (off, with a warning, when the
/// directory cannot be used).
fn store(config: &SharedCacheConfig) -> Result<Option<Arc<dyn Store>>> {
    match &config.store {
        SharedStore::Redis {
            url,
            lease,
            ca_file,
        } => {
            let store = RedisStore::new(url.expose(), *lease, ca_file.as_deref())
                .map_err(|e| Error::new(ErrorKind::Config, e.message()))?;
            Ok(Some(Arc::new(store)))
        }
        SharedStore::Disk { dir } => match DiskStore::new(dir) {
            Ok(store) => Ok(Some(Arc::new(store))),
            Err(e) => {
                log::warn(&format!("shared token cache off: {}", e.message()));
                Ok(None)
            }
        },
    }
}
