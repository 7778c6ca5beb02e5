//! The token request: the exact bytes each configuration sends.

use crate::config::{ClientAuth, TokenEndpointConfig, TokenParams};
use crate::form;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use zeroize::{Zeroize, Zeroizing};

/// A token request, ready to send. Its headers and body (which carry the client secret, plainly
/// or in Base64) are wiped when it is dropped, and `Debug` shows neither.
pub struct TokenRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case("authorization") {
                    crate::secret::REDACTED
                } else {
                    value.as_str()
                };
                (*name, shown)
            })
            .collect();
        f.debug_struct("TokenRequest")
            .field("url", &self.url)
            .field("headers", &headers)
            .field(
                "body",
                &format_args!("<{} bytes redacted>", self.body.len()),
            )
            .finish()
    }
}

impl Drop for TokenRequest {
    fn drop(&mut self) {
        for (_, value) in &mut self.headers {
            value.zeroize();
        }
        self.body.zeroize();
    }
}

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Builds the token request for `token_params` and `client_auth`: by default the vendors' form
/// (Basic header, parameters in the query), else the RFC 6749 forms. With `client_auth = post`
/// the id and secret come first in the body, then `grant_type`, `scope` and `audience`: the
/// order of the cradl SDK's Kinde request. With a JWT method, `assertion` (made for this one
/// request) goes last in the body, after `client_assertion_type` (RFC 7521 §4.2), and neither
/// the secret nor a Basic header is sent.
pub fn build_request(
    config: &TokenEndpointConfig,
    scope: Option<&str>,
    assertion: Option<&str>,
) -> TokenRequest {
    let mut params: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope.filter(|s| !s.is_empty()) {
        params.push(("scope", scope));
    }
    if let Some(audience) = &config.audience {
        params.push(("audience", audience));
    }
    let mut body_pairs: Vec<(&str, &str)> = Vec::new();
    let mut assertion_pairs: Vec<(&str, &str)> = Vec::new();
    let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(4);
    let id = config.client_id.as_str();
    let secret = config.client_secret.as_ref().map_or("", |s| s.expose());
    match config.client_auth {
        ClientAuth::Basic => headers.push(("Authorization", basic(id, secret))),
        ClientAuth::BasicUrlencoded => headers.push((
            "Authorization",
            basic(
                &form::encode_basic(id),
                &Zeroizing::new(form::encode_basic(secret)),
            ),
        )),
        ClientAuth::Post => {
            body_pairs.push(("client_id", id));
            body_pairs.push(("client_secret", secret));
        }
        ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt => {
            assertion_pairs.push(("client_assertion_type", JWT_BEARER));
            assertion_pairs.push(("client_assertion", assertion.unwrap_or_default()));
        }
    }
    let mut url = config.token_url.clone();
    match config.token_params {
        TokenParams::Query => {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&form::serialize(&params));
        }
        TokenParams::Body => body_pairs.extend(params),
    }
    body_pairs.extend(assertion_pairs);
    headers.push((
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    ));
    headers.push(("Accept", "application/json".to_string()));
    headers.push(("Cache-Control", "no-cache".to_string()));
    TokenRequest {
        url,
        headers,
        body: form::serialize(&body_pairs).into_bytes(),
    }
}

/// `Basic base64(id:secret)`, built in buffers of the exact size, the plain one wiped.
fn basic(id: &str, secret: &str) -> String {
    let mut plain = Zeroizing::new(Vec::with_capacity(id.len() + 1 + secret.len()));
    plain.extend_from_slice(id.as_bytes());
    plain.push(b':');
    plain.extend_from_slice(secret.as_bytes());
    let encoded_len = base64::encoded_len(plain.len(), true).unwrap_or(0);
    let mut out = String::with_capacity("Basic ".len() + encoded_len);
    out.push_str("Basic ");
    STANDARD.encode_string(&*plain, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Credentials;

    fn config(pairs: &[(&str, &str)]) -> TokenEndpointConfig {
        let mut b = Credentials::builder();
        b.set("client_id", "ID").unwrap();
        b.set("client_secret", "S3cr3t;# x").unwrap();
        for (k, v) in pairs {
            b.set(k, v).unwrap();
        }
        b.build().unwrap().token_endpoint().unwrap()
    }

    #[test]
    fn debug_of_a_token_request_shows_no_secret_in_any_form() {
        for auth in ["basic", "basic_urlencoded", "post"] {
            let request = build_request(&config(&[("client_auth", auth)]), Some("s"), None);
            let shown = format!("{request:?}");
            for form in [
                "S3cr3t",
                &STANDARD.encode("ID:S3cr3t;# x"),
                &STANDARD.encode("ID:S3cr3t%3B%23+x"),
            ] {
                assert!(!shown.contains(form), "{auth}: {shown}");
            }
            assert!(shown.contains("<redacted>") || auth == "post", "{shown}");
            assert!(shown.contains("bytes redacted"), "{shown}");
        }
    }

    #[test]
    fn grant_parameters_follow_a_query_of_the_token_url() {
        let c = config(&[("auth_endpoint", "http://127.0.0.1:1?tenant=acme")]);
        assert_eq!(
            build_request(&c, Some("a b"), None).url,
            "http://127.0.0.1:1/oauth2/token?tenant=acme&grant_type=client_credentials&scope=a+b"
        );
        let c = config(&[
            ("auth_endpoint", "http://127.0.0.1:1/t?tenant=acme"),
            ("token_params", "body"),
        ]);
        let request = build_request(&c, None, None);
        assert_eq!(request.url, "http://127.0.0.1:1/t?tenant=acme");
        assert_eq!(request.body, b"grant_type=client_credentials");
    }

    #[test]
    fn the_basic_header_is_exact() {
        assert_eq!(
            basic("CLIENT_ID", "CLIENT_SECRET"),
            "Basic Q0xJRU5UX0lEOkNMSUVOVF9TRUNSRVQ="
        );
        let header = basic("a", "b");
        assert_eq!(header.capacity(), header.len());
    }
}
