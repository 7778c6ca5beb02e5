//! The token endpoint as a token source: one request (with retries) per fetch, its answer read
//! into a token whose expiry counts from when the successful attempt was sent.

use crate::clock::Clock;
use crate::credentials::Credentials;
use crate::endpoint::without_query;
use crate::error::Result;
use crate::log;
use crate::retry::{judge_exchange, Verdict};
use crate::token::{self, Token};
use crate::token_source::TokenSource;
use crate::transport::{Exchange, Transport, MAX_TOKEN_RESPONSE};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug)]
pub struct TokenEndpoint {
    creds: Arc<Credentials>,
    transport: Arc<Transport>,
    clock: Arc<dyn Clock>,
}

impl TokenEndpoint {
    pub fn new(creds: Arc<Credentials>, transport: Arc<Transport>, clock: Arc<dyn Clock>) -> Self {
        TokenEndpoint {
            creds,
            transport,
            clock,
        }
    }

    /// Replaces any secret of these credentials in server-supplied text.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        let secrets = [
            &self.creds.client_secret,
            &self.creds.api_key,
            &self.creds.access_token,
        ];
        for secret in secrets.into_iter().flatten() {
            if !secret.expose().is_empty() {
                out = out.replace(secret.expose(), "<redacted>");
            }
        }
        out
    }
}

impl TokenSource for TokenEndpoint {
    fn fetch(&self, scope: &str) -> Result<Token> {
        let request = token::build_request(&self.creds, Some(scope));
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let what = format!("token request to {}", without_query(&request.url));
        let started = Instant::now();
        let mut sent = self.clock.moment();
        let raw = self
            .creds
            .retry
            .run(
                &what,
                |time_left| {
                    sent = self.clock.moment();
                    self.transport.send(&Exchange {
                        method: "POST",
                        url: &request.url,
                        headers: &headers,
                        body: &request.body,
                        max_body: MAX_TOKEN_RESPONSE,
                        time_left,
                    })
                },
                |outcome| match outcome {
                    Ok(r) if token::is_bogus_400(r.status, &r.body) => {
                        Verdict::Retry { retry_after: None }
                    }
                    other => judge_exchange(other, true),
                },
            )
            .map_err(|e| e.context("token request"))?;
        let result = token::parse_response(
            raw.status,
            &raw.body,
            sent,
            self.creds.refresh_margin,
            &|s| self.scrub(s),
        );
        log::info(&format!(
            "{what} for scope '{scope}': HTTP {} in {} ms{}",
            raw.status,
            started.elapsed().as_millis(),
            if result.is_ok() { "" } else { " (failed)" }
        ));
        result
    }
}
