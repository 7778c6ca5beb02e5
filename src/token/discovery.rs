//! Finding the token endpoint from the issuer (RFC 8414): the metadata documents at the
//! issuer's well-known URLs, tried in order, the first found read; its `issuer` must be exactly
//! the one configured, and its `token_endpoint` obeys the rules of any endpoint.

use crate::clock::Deadline;
use crate::config::url::{check_transport, metadata_urls};
use crate::config::RetrySettings;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{judge_exchange, Exchange, Response, Transport};
use crate::retry;
use crate::stats::Counters;
use serde_json::Value;

/// Where a token endpoint found in the metadata is kept beyond this client, for the other
/// processes of the same credentials (the shared cache, when one is configured): they then
/// need not read the metadata themselves. Either call fails quietly (a store that cannot be
/// used is warned about, and the metadata is read as without one).
pub trait KeptEndpoint: Send + Sync + std::fmt::Debug {
    /// The token endpoint kept for the issuer, while it is fresh.
    fn recall(&self) -> Option<String>;
    /// Keeps `token_url`, just read from the issuer's metadata.
    fn keep(&self, token_url: &str);
}

/// The largest metadata document read; Okta's are about 4 KiB.
const MAX_METADATA: u64 = 256 * 1024;

/// What discovering needs from the endpoint it serves.
pub struct Discover<'a> {
    pub issuer: &'a str,
    pub allow_http: bool,
    pub retry: &'a RetrySettings,
    pub transport: &'a Transport,
    pub counters: &'a Counters,
}

impl Discover<'_> {
    /// The token endpoint the issuer's metadata names. A document that is not there (404 and
    /// other 4xx) sends the search to the next well-known URL; anything else ends it.
    pub fn token_endpoint(&self, deadline: Deadline) -> Result<String> {
        let urls = metadata_urls(self.issuer);
        for url in &urls {
            let answer = self.get(url, deadline)?;
            match answer.status {
                200 => return self.read(url, &answer.body),
                400..=499 => continue,
                status => {
                    return Err(Error::new(
                        ErrorKind::TokenEndpoint,
                        format!("issuer metadata {url}: HTTP {status}"),
                    )
                    .with_http_status(status))
                }
            }
        }
        Err(Error::new(
            ErrorKind::Config,
            format!("issuer {}: no metadata at {}", self.issuer, urls.join(", ")),
        ))
    }

    fn get(&self, url: &str, deadline: Deadline) -> Result<Response> {
        let what = format!("issuer metadata {url}");
        let attempt = |time_left| {
            self.transport.send(&Exchange {
                method: "GET",
                url,
                headers: &[("Accept", "application/json")],
                body: b"",
                max_body: MAX_METADATA,
                time_left,
            })
        };
        let judge = |outcome: &Result<Response>| judge_exchange(outcome, true);
        let retries = &self.counters.retries;
        retry::run(self.retry, &what, deadline, retries, attempt, judge)
    }

    /// The `token_endpoint` of the document at `url`, once its `issuer` is checked.
    fn read(&self, url: &str, body: &[u8]) -> Result<String> {
        let bad =
            |why: String| Error::new(ErrorKind::Protocol, format!("issuer metadata {url}: {why}"));
        let doc: Value =
            serde_json::from_slice(body).map_err(|e| bad(format!("not a JSON document: {e}")))?;
        let field = |name: &str| doc.get(name).and_then(Value::as_str);
        match field("issuer") {
            Some(issuer) if issuer == self.issuer => {}
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("issuer metadata {url} is for issuer '{other}', not the configured '{}': refused (RFC 8414 §3.3)", self.issuer),
                ))
            }
            None => return Err(bad("has no issuer".to_string())),
        }
        let endpoint =
            field("token_endpoint").ok_or_else(|| bad("has no token_endpoint".into()))?;
        check_transport(endpoint, self.allow_http)
            .map_err(|e| e.context(format!("issuer metadata {url}: token_endpoint")))?;
        Ok(endpoint.to_string())
    }
}
