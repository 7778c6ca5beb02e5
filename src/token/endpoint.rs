//! The token endpoint as a token source: one request (with retries) per fetch, its answer read
//! into a token whose expiry counts from when the successful attempt was sent.

use super::assertion::ClientAssertion;
use super::discovery::{Discover, KeptEndpoint};
use super::dpop::DpopProver;
use super::request::{build_request, TokenRequest};
use super::response::{is_bogus_400, parse_response};
use super::{Token, TokenSource};
use crate::clock::{Clock, Deadline, Moment};
use crate::config::url::{check_transport, without_query};
use crate::config::TokenEndpointConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{judge_exchange, Exchange, Response, Transport, MAX_TOKEN_RESPONSE};
use crate::log;
use crate::retry::{self, Verdict};
use crate::secret::Redactor;
use crate::stats::Counters;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use zeroize::{Zeroize, Zeroizing};

#[derive(Debug)]
pub struct TokenEndpoint {
    config: TokenEndpointConfig,
    /// With an `issuer`: `config` with the token endpoint its metadata names, once read (for
    /// the client's life).
    discovered: OnceLock<TokenEndpointConfig>,
    /// Where the discovered endpoint is also kept for other processes, if anywhere.
    kept: Option<Box<dyn KeptEndpoint>>,
    /// Makes the client assertion of a JWT method.
    assertion: Option<ClientAssertion>,
    /// Makes the DPoP proofs (with `dpop = true`).
    dpop: Option<Arc<DpopProver>>,
    transport: Arc<Transport>,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
    /// Scrubs the secrets from what the server says.
    redactor: Arc<Redactor>,
}

impl TokenEndpoint {
    /// The endpoint of `config`, proving DPoP with `dpop` when given; a client key is read
    /// (and checked) here.
    pub fn new(
        config: TokenEndpointConfig,
        dpop: Option<Arc<DpopProver>>,
        transport: Arc<Transport>,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
        redactor: Arc<Redactor>,
    ) -> Result<Self> {
        let assertion = ClientAssertion::new(&config)?;
        Ok(TokenEndpoint {
            config,
            discovered: OnceLock::new(),
            kept: None,
            assertion,
            dpop,
            transport,
            clock,
            counters,
            redactor,
        })
    }

    /// The endpoint that also keeps a token endpoint read from the issuer's metadata in `kept`,
    /// and looks there before reading the metadata.
    pub fn keeping_discovered_in(mut self, kept: Box<dyn KeptEndpoint>) -> Self {
        self.kept = Some(kept);
        self
    }

    /// How the client authenticates, for `lucid info`: the method and, with a key, its type
    /// and JWK thumbprint.
    pub fn describe_auth(&self) -> String {
        let method = self.config.client_auth.name();
        match self.assertion.as_ref().map(ClientAssertion::key) {
            Some(key) => match key.thumbprint() {
                Some(thumbprint) => {
                    format!("{method} ({}, thumbprint {thumbprint})", key.describe())
                }
                None => format!("{method} ({})", key.describe()),
            },
            None => method.to_string(),
        }
    }

    /// The configuration to send with: as given, or with the endpoint the issuer's metadata
    /// names (read on the first fetch).
    fn config(&self, deadline: Deadline) -> Result<&TokenEndpointConfig> {
        let Some(issuer) = &self.config.issuer else {
            return Ok(&self.config);
        };
        if let Some(found) = self.discovered.get() {
            return Ok(found);
        }
        let token_url = match self.recall(issuer) {
            Some(kept) => kept,
            None => self.discover(issuer, deadline)?,
        };
        let mut found = self.config.clone();
        found.token_url = token_url;
        Ok(self.discovered.get_or_init(|| found))
    }

    /// The token endpoint another process read from `issuer`'s metadata and kept, if it obeys
    /// the transport rules (a kept entry is authenticated with the client's secret or key).
    fn recall(&self, issuer: &str) -> Option<String> {
        let kept = self.kept.as_ref()?.recall()?;
        check_transport(&kept, self.config.allow_http).ok()?;
        log::info(&format!(
            "issuer {issuer}: token endpoint {kept} (from the shared cache)"
        ));
        Some(kept)
    }

    /// The token endpoint `issuer`'s metadata names, read now and kept for other processes.
    fn discover(&self, issuer: &str, deadline: Deadline) -> Result<String> {
        let discover = Discover {
            issuer,
            allow_http: self.config.allow_http,
            retry: &self.config.retry,
            transport: &self.transport,
            counters: &self.counters,
        };
        let token_url = discover.token_endpoint(deadline)?;
        log::info(&format!("issuer {issuer}: token endpoint {token_url}"));
        if let Some(kept) = &self.kept {
            kept.keep(&token_url);
        }
        Ok(token_url)
    }

    /// The request of one attempt: a JWT method's assertion is made for it alone.
    fn request(&self, config: &TokenEndpointConfig, scope: &str) -> Result<TokenRequest> {
        let assertion = match &self.assertion {
            Some(maker) => {
                let audience = config.assertion.audience.as_ref();
                let audience = audience.unwrap_or(&config.token_url);
                Some(Zeroizing::new(
                    maker.make(audience, self.clock.moment().wall)?,
                ))
            }
            None => None,
        };
        Ok(build_request(
            config,
            Some(scope),
            assertion.as_deref().map(String::as_str),
        ))
    }

    /// Sends the token request for `scope`, retrying as the settings say; returns the last
    /// answer and when its attempt was sent. An attempt answered with a DPoP nonce challenge
    /// is sent once more, with a proof carrying the nonce.
    fn send(
        &self,
        config: &TokenEndpointConfig,
        scope: &str,
        deadline: Deadline,
    ) -> Result<(Response, Moment)> {
        let what = format!("token request to {}", without_query(&config.token_url));
        let mut sent = self.clock.moment();
        let mut attempt = |time_left| {
            let answer = self.exchange(config, scope, time_left, &mut sent)?;
            match &self.dpop {
                Some(dpop) if dpop.heed(&config.token_url, &answer) => {
                    self.exchange(config, scope, deadline.left(), &mut sent)
                }
                _ => Ok(answer),
            }
        };
        let judge = |outcome: &Result<Response>| match outcome {
            Ok(r) if is_bogus_400(r.status, &r.body) => Verdict::Retry { retry_after: None },
            other => judge_exchange(other, true),
        };
        let retries = &self.counters.retries;
        let answer = retry::run(&config.retry, &what, deadline, retries, &mut attempt, judge)
            .map_err(|e| e.context("token request"))?;
        Ok((answer, sent))
    }

    /// One exchange with the token endpoint; `sent` becomes when it went out.
    fn exchange(
        &self,
        config: &TokenEndpointConfig,
        scope: &str,
        time_left: std::time::Duration,
        sent: &mut Moment,
    ) -> Result<Response> {
        let request = self.request(config, scope)?;
        let mut headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let wall = self.clock.moment().wall;
        let proof = match &self.dpop {
            Some(dpop) => Some(dpop.proof("POST", &request.url, None, wall)?),
            None => None,
        };
        if let Some(proof) = &proof {
            headers.push(("DPoP", proof));
        }
        *sent = self.clock.moment();
        self.transport.send(&Exchange {
            method: "POST",
            url: &request.url,
            headers: &headers,
            body: &request.body,
            max_body: MAX_TOKEN_RESPONSE,
            time_left,
        })
    }

    /// Counts a fetch's outcome, and its latency when it succeeded.
    fn account(&self, ok: bool, started: Instant) {
        if ok {
            Counters::add(&self.counters.fetches_ok, 1);
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.counters
                .last_fetch_latency_ms
                .store(ms, Ordering::Relaxed);
        } else {
            Counters::add(&self.counters.fetches_failed, 1);
        }
    }
}

impl TokenEndpoint {
    /// One fetch from the endpoint of `config`: its request, then its answer read.
    fn fetch_from(
        &self,
        config: &TokenEndpointConfig,
        scope: &str,
        deadline: Deadline,
        started: Instant,
    ) -> Result<Token> {
        let (mut answer, sent) = self.send(config, scope, deadline)?;
        let margin = config.refresh_margin;
        let result = parse_response(answer.status, &answer.body, sent, margin, &self.redactor)
            .and_then(|token| self.check_binding(token, answer.status));
        // The answer holds the token: wiped once read (the token lives on in its `Secret`).
        answer.body.zeroize();
        log::info(&format!(
            "token request to {} for scope '{scope}': HTTP {} in {} ms{}",
            without_query(&config.token_url),
            answer.status,
            started.elapsed().as_millis(),
            if result.is_ok() { "" } else { " (failed)" }
        ));
        result
    }
}

impl TokenEndpoint {
    /// A DPoP-bound token is only of use to a client that makes proofs.
    fn check_binding(&self, token: Token, status: u16) -> Result<Token> {
        if token.is_dpop_bound() && self.dpop.is_none() {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("token endpoint answered {status} with token_type DPoP, but this client does not make DPoP proofs (set dpop = true)"),
            )
            .with_http_status(status));
        }
        Ok(token)
    }
}

impl TokenSource for TokenEndpoint {
    fn fetch(&self, scope: &str, deadline: Deadline) -> Result<Token> {
        let started = Instant::now();
        let result = self
            .config(deadline)
            .and_then(|config| self.fetch_from(config, scope, deadline, started));
        self.account(result.is_ok(), started);
        result
    }
}
