//! The token endpoint as a token source: one request (with retries) per fetch, its answer read
//! into a token whose expiry counts from when the successful attempt was sent.

use super::assertion::ClientAssertion;
use super::request::build_request;
use super::request::TokenRequest;
use super::response::{is_bogus_400, parse_response};
use super::{Token, TokenSource};
use crate::clock::{Clock, Deadline, Moment};
use crate::config::url::without_query;
use crate::config::TokenEndpointConfig;
use crate::error::Result;
use crate::http::{judge_exchange, Exchange, Response, Transport, MAX_TOKEN_RESPONSE};
use crate::log;
use crate::retry::{self, Verdict};
use crate::secret::Redactor;
use crate::stats::Counters;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use zeroize::{Zeroize, Zeroizing};

#[derive(Debug)]
pub struct TokenEndpoint {
    config: TokenEndpointConfig,
    /// Makes the client assertion of a JWT method.
    assertion: Option<ClientAssertion>,
    transport: Arc<Transport>,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
    /// Scrubs the secrets from what the server says.
    redactor: Arc<Redactor>,
}

impl TokenEndpoint {
    /// The endpoint of `config`; a client key is read (and checked) here.
    pub fn new(
        config: TokenEndpointConfig,
        transport: Arc<Transport>,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
        redactor: Arc<Redactor>,
    ) -> Result<Self> {
        let assertion = ClientAssertion::new(&config)?;
        Ok(TokenEndpoint {
            config,
            assertion,
            transport,
            clock,
            counters,
            redactor,
        })
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

    /// The request of one attempt: a JWT method's assertion is made for it alone.
    fn request(&self, scope: &str) -> Result<TokenRequest> {
        let assertion = match &self.assertion {
            Some(maker) => Some(Zeroizing::new(maker.make(self.clock.moment().wall)?)),
            None => None,
        };
        Ok(build_request(
            &self.config,
            Some(scope),
            assertion.as_deref().map(String::as_str),
        ))
    }

    /// Sends the token request for `scope`, retrying as the settings say; returns the last
    /// answer and when its attempt was sent.
    fn send(&self, scope: &str, deadline: Deadline, what: &str) -> Result<(Response, Moment)> {
        let mut sent = self.clock.moment();
        let attempt = |time_left| {
            let request = self.request(scope)?;
            let headers: Vec<(&str, &str)> = request
                .headers
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect();
            sent = self.clock.moment();
            self.transport.send(&Exchange {
                method: "POST",
                url: &request.url,
                headers: &headers,
                body: &request.body,
                max_body: MAX_TOKEN_RESPONSE,
                time_left,
            })
        };
        let judge = |outcome: &Result<Response>| match outcome {
            Ok(r) if is_bogus_400(r.status, &r.body) => Verdict::Retry { retry_after: None },
            other => judge_exchange(other, true),
        };
        let retries = &self.counters.retries;
        let answer = retry::run(&self.config.retry, what, deadline, retries, attempt, judge)
            .map_err(|e| e.context("token request"))?;
        Ok((answer, sent))
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

impl TokenSource for TokenEndpoint {
    fn fetch(&self, scope: &str, deadline: Deadline) -> Result<Token> {
        let what = format!("token request to {}", without_query(&self.config.token_url));
        let started = Instant::now();
        let (mut answer, sent) = match self.send(scope, deadline, &what) {
            Ok(sent) => sent,
            Err(e) => {
                self.account(false, started);
                return Err(e);
            }
        };
        let margin = self.config.refresh_margin;
        let result = parse_response(answer.status, &answer.body, sent, margin, &self.redactor);
        // The answer holds the token: wiped once read (the token lives on in its `Secret`).
        answer.body.zeroize();
        log::info(&format!(
            "{what} for scope '{scope}': HTTP {} in {} ms{}",
            answer.status,
            started.elapsed().as_millis(),
            if result.is_ok() { "" } else { " (failed)" }
        ));
        self.account(result.is_ok(), started);
        result
    }
}
