//! The token endpoint as a token source: one request (with retries) per fetch, its answer read
//! into a token whose expiry counts from when the successful attempt was sent.

use crate::clock::Clock;
use crate::credentials::Credentials;
use crate::endpoint::without_query;
use crate::error::Result;
use crate::form;
use crate::log;
use crate::retry::{judge_exchange, Deadline, Verdict};
use crate::secret::Secret;
use crate::stats::Counters;
use crate::token::{self, Token};
use crate::token_source::TokenSource;
use crate::transport::{Exchange, Transport, MAX_TOKEN_RESPONSE};
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use std::sync::Arc;
use std::time::Instant;
use zeroize::{Zeroize, Zeroizing};

#[derive(Debug)]
pub struct TokenEndpoint {
    creds: Arc<Credentials>,
    transport: Arc<Transport>,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
}

impl TokenEndpoint {
    pub fn new(
        creds: Arc<Credentials>,
        transport: Arc<Transport>,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
    ) -> Self {
        TokenEndpoint {
            creds,
            transport,
            clock,
            counters,
        }
    }

    /// Replaces any secret of these credentials in server-supplied text, in every form a server
    /// may echo it: raw, form-encoded (space as `+` or `%20`), percent-encoded (either case of
    /// hex digits), and the Base64 of `id:secret` (as given or form-encoded, either alphabet,
    /// with or without padding) that a Basic header carries.
    fn scrub(&self, text: &str) -> String {
        let mut forms: Vec<Secret> = Vec::new();
        let secret = self.creds.client_secret.as_ref().map_or("", Secret::expose);
        forms.extend(encoded_forms(secret));
        let id = &self.creds.client_id;
        for (id, secret) in [
            (
                Zeroizing::new(id.to_string()),
                Zeroizing::new(secret.to_string()),
            ),
            (
                Zeroizing::new(form::encode(id)),
                Zeroizing::new(form::encode(secret)),
            ),
            (
                Zeroizing::new(form::encode_basic(id)),
                Zeroizing::new(form::encode_basic(secret)),
            ),
        ] {
            let pair = Zeroizing::new(format!("{}:{}", *id, *secret));
            for engine in [&STANDARD, &URL_SAFE] {
                let encoded = Secret::new(engine.encode(pair.as_bytes()));
                forms.push(Secret::new(encoded.expose().trim_end_matches('=')));
                forms.push(encoded);
            }
        }
        for other in [&self.creds.api_key, &self.creds.access_token]
            .into_iter()
            .flatten()
        {
            forms.extend(encoded_forms(other.expose()));
        }
        forms.retain(|f| !f.expose().is_empty());
        forms.sort_by_key(|f| std::cmp::Reverse(f.expose().len()));
        forms.dedup();
        let mut out = text.to_string();
        for form in &forms {
            if out.contains(form.expose()) {
                out = out.replace(form.expose(), "<redacted>");
            }
        }
        out
    }
}

/// `value` raw, form-encoded (`+` and `%20` for a space) and percent-encoded (RFC 3986), with
/// upper- and lower-case hex digits.
fn encoded_forms(value: &str) -> Vec<Secret> {
    let form = Zeroizing::new(form::encode(value));
    let mut percent = Zeroizing::new(String::with_capacity(value.len() * 3));
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            percent.push(byte as char);
        } else {
            percent.push_str(&format!("%{byte:02X}"));
        }
    }
    let mut forms = vec![
        Secret::new(value),
        Secret::new(form.as_str()),
        Secret::new(form.replace('+', "%20")),
        Secret::new(percent.as_str()),
    ];
    let lower: Vec<Secret> = forms[1..]
        .iter()
        .map(|f| Secret::new(lower_hex(f.expose())))
        .collect();
    forms.extend(lower);
    forms.dedup();
    forms
}

/// `text` with the two hex digits after each `%` in lower case.
fn lower_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = 0;
    for c in text.chars() {
        if digits > 0 {
            out.push(c.to_ascii_lowercase());
            digits -= 1;
        } else {
            out.push(c);
            if c == '%' {
                digits = 2;
            }
        }
    }
    out
}

impl TokenSource for TokenEndpoint {
    fn fetch(&self, scope: &str, deadline: Deadline) -> Result<Token> {
        let request = token::build_request(&self.creds, Some(scope));
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let what = format!("token request to {}", without_query(&request.url));
        let started = Instant::now();
        let mut sent = self.clock.moment();
        let mut attempts = 0u64;
        let raw = self
            .creds
            .retry
            .run(
                &what,
                deadline,
                |time_left| {
                    attempts += 1;
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
            .map_err(|e| e.context("token request"));
        Counters::add(&self.counters.retries, attempts.saturating_sub(1));
        let mut raw = match raw {
            Ok(raw) => raw,
            Err(e) => {
                Counters::add(&self.counters.fetches_failed, 1);
                return Err(e);
            }
        };
        let result = token::parse_response(
            raw.status,
            &raw.body,
            sent,
            self.creds.refresh_margin,
            &|s| self.scrub(s),
        );
        // The answer holds the token: wiped once read (the token lives on in its `Secret`).
        raw.body.zeroize();
        log::info(&format!(
            "{what} for scope '{scope}': HTTP {} in {} ms{}",
            raw.status,
            started.elapsed().as_millis(),
            if result.is_ok() { "" } else { " (failed)" }
        ));
        if result.is_ok() {
            Counters::add(&self.counters.fetches_ok, 1);
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.counters
                .last_fetch_latency_ms
                .store(ms, std::sync::atomic::Ordering::Relaxed);
        } else {
            Counters::add(&self.counters.fetches_failed, 1);
        }
        result
    }
}
