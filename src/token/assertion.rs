//! The client assertion of `private_key_jwt` and `client_secret_jwt` (RFC 7523 §3): a JWT that
//! says "I am this client" to the token endpoint, made afresh for every request it sends.

use super::signing::{random_jti, SigningKey};
use crate::config::{ClientAuth, TokenEndpointConfig};
use crate::error::{Error, ErrorKind, Result};
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

/// How long an assertion is good for after it is made; servers take at most 5 minutes.
pub const ASSERTION_LIFETIME_SECS: u64 = 120;

/// What makes this client's assertions.
#[derive(Debug)]
pub struct ClientAssertion {
    key: SigningKey,
    key_id: Option<String>,
    client_id: String,
}

impl ClientAssertion {
    /// The assertion maker of `config`'s JWT method (`None` for the secret methods); the key
    /// file is read and checked here, once.
    pub fn new(config: &TokenEndpointConfig) -> Result<Option<ClientAssertion>> {
        let key = match config.client_auth {
            ClientAuth::PrivateKeyJwt => {
                let path = config.assertion.key_file.as_deref().ok_or_else(|| {
                    Error::new(ErrorKind::Config, "private_key_jwt needs client_key_file")
                })?;
                SigningKey::from_pem_file("client_key_file", path)?
            }
            ClientAuth::ClientSecretJwt => match &config.client_secret {
                Some(secret) => SigningKey::hmac(secret.expose()),
                None => {
                    return Err(Error::new(
                        ErrorKind::Config,
                        "client_secret_jwt needs client_secret",
                    ))
                }
            },
            _ => return Ok(None),
        };
        Ok(Some(ClientAssertion {
            key,
            key_id: config.assertion.key_id.clone(),
            client_id: config.client_id.clone(),
        }))
    }

    /// A new assertion for `audience` made at `now`: `iss` = `sub` = the client id, `aud`,
    /// `iat`, `exp` and a random `jti`.
    pub fn make(&self, audience: &str, now: SystemTime) -> Result<String> {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut header = json!({"typ": "JWT"});
        if let Some(kid) = &self.key_id {
            header["kid"] = kid.as_str().into();
        }
        let claims = json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME_SECS,
            "jti": random_jti()?,
        });
        self.key.jws(header, &claims)
    }

    /// The key, for `describe` and thumbprints.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }
}
