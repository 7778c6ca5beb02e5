//! Secrets: a string that holds one (client secret, api key, access token, a proxy password),
//! wiped from memory when dropped and never shown by `Debug`; and the one [`Redactor`] through
//! which every text that may echo a secret (a server's error, another library's message) passes
//! before it reaches a message or a log line.

use crate::form;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use std::fmt;
use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself; only for putting it on the wire or handing it to the caller.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// What a redacted secret is replaced by.
pub const REDACTED: &str = "<redacted>";

/// Replaces known secrets in text, in every form a server or a library may echo them: raw,
/// form-encoded (space as `+` or `%20`), percent-encoded (either case of hex digits), and the
/// Base64 of `id:secret` (as given or form-encoded, either alphabet, with or without padding)
/// that a Basic header carries. Longer forms are replaced first, so that a part does not break
/// up a whole that holds it.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    forms: Vec<Secret>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `value` in each of its encodings.
    pub fn secret(mut self, value: &str) -> Self {
        let form = Zeroizing::new(form::encode(value));
        let encoded = [
            form.to_string(),
            form.replace('+', "%20"),
            form::percent_encode(value),
        ];
        self.add(value);
        for e in encoded.iter().map(|e| Zeroizing::new(e.clone())) {
            self.add(&lower_hex(&e));
            self.add(&e);
        }
        self
    }

    /// Adds the Base64 forms of `id:secret` that a Basic header carries.
    pub fn basic_pair(mut self, id: &str, secret: &str) -> Self {
        let wiped = |a: String, b: String| (Zeroizing::new(a), Zeroizing::new(b));
        let pairs = [
            wiped(id.to_string(), secret.to_string()),
            wiped(form::encode(id), form::encode(secret)),
            wiped(form::encode_basic(id), form::encode_basic(secret)),
        ];
        for (id, secret) in &pairs {
            let pair = Zeroizing::new(format!("{}:{}", **id, **secret));
            for engine in [&STANDARD, &URL_SAFE] {
                let encoded = Zeroizing::new(engine.encode(pair.as_bytes()));
                self.add(&encoded);
                self.add(encoded.trim_end_matches('='));
            }
        }
        self
    }

    /// Adds every form `other` knows.
    pub fn merge(mut self, other: &Redactor) -> Self {
        for form in &other.forms {
            self.add(form.expose());
        }
        self
    }

    fn add(&mut self, form: &str) {
        if form.is_empty() || self.forms.iter().any(|f| f.expose() == form) {
            return;
        }
        let at = self
            .forms
            .partition_point(|f| f.expose().len() >= form.len());
        self.forms.insert(at, Secret::new(form));
    }

    /// `text` with every known secret replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for form in &self.forms {
            if out.contains(form.expose()) {
                out = out.replace(form.expose(), REDACTED);
            }
        }
        out
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_scrubbed() {
        let r = Redactor::new().secret("p a/ss").basic_pair("id", "p a/ss");
        for echoed in [
            "p a/ss",
            "p+a%2Fss",
            "p%20a%2Fss",
            "p%20a%2fss",
            &STANDARD.encode("id:p a/ss"),
            &STANDARD.encode("id:p%20a%2Fss"),
            URL_SAFE.encode("id:p+a%2Fss").trim_end_matches('='),
        ] {
            assert_eq!(
                r.scrub(&format!("x {echoed} y")),
                "x <redacted> y",
                "{echoed}"
            );
        }
        assert_eq!(r.scrub("nothing here"), "nothing here");
    }

    #[test]
    fn longer_forms_go_first_and_empty_ones_never() {
        let r = Redactor::new().secret("ab").secret("xabx").secret("");
        assert_eq!(r.scrub("xabx ab"), "<redacted> <redacted>");
    }
}
