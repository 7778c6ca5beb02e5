//! A pre-issued access token (the `access_token` key, `CRADL_ACCESS_TOKEN`, `LAS_ACCESS_TOKEN`)
//! as a token source in front of the token endpoint: served without any fetch while its JWT `exp`
//! is more than `refresh_margin` away, then left to the client credentials, if there are any.

use super::{Token, TokenSource};
use crate::clock::{Clock, Deadline};
use crate::config::PreIssuedConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::jwt;
use crate::secret::Secret;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug)]
pub struct PreIssued {
    token: Secret,
    /// The scope the token is served for: the client's own. Other scopes go to `next`.
    scope: String,
    margin: Duration,
    /// Set when the API refused the token: it is not served again.
    refused: AtomicBool,
    /// The token endpoint (through the shared cache, when there is one); `None` without client
    /// credentials.
    next: Option<Box<dyn TokenSource>>,
    clock: Arc<dyn Clock>,
}

impl PreIssued {
    pub fn new(
        config: PreIssuedConfig,
        next: Option<Box<dyn TokenSource>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        PreIssued {
            token: config.token,
            scope: config.scope,
            margin: config.refresh_margin,
            refused: AtomicBool::new(false),
            next,
            clock,
        }
    }

    /// The pre-issued token while it is more than the margin away from its `exp`.
    fn fresh(&self) -> Option<Token> {
        if self.refused.load(Ordering::Acquire) {
            return None;
        }
        let now = self.clock.moment();
        let left = jwt::lifetime(self.token.expose(), now.wall)?;
        if left <= self.margin {
            return None;
        }
        Token::pre_issued(self.token.expose(), now, left, self.margin)
    }
}

impl TokenSource for PreIssued {
    fn fetch(&self, scope: &str, deadline: Deadline) -> Result<Token> {
        if scope == self.scope {
            if let Some(token) = self.fresh() {
                crate::log::debug("using the pre-issued access_token");
                return Ok(token);
            }
        }
        match &self.next {
            Some(next) => next.fetch(scope, deadline),
            None if scope != self.scope => Err(Error::new(
                ErrorKind::Config,
                format!("the access_token is for the configured scope, not '{scope}', and there is no client_id/client_secret to fetch a token with"),
            )),
            None if self.refused.load(Ordering::Acquire) => Err(Error::new(
                ErrorKind::Config,
                "the API refused the access_token (401) and there is no client_id/client_secret to fetch another",
            )),
            None => Err(Error::new(
                ErrorKind::Config,
                "the access_token has expired (or expires within refresh_margin) and there is no client_id/client_secret to fetch another",
            )),
        }
    }

    fn reject(&self, scope: &str, token: &Token, deadline: Deadline) {
        if token.secret() == self.token.expose() {
            self.refused.store(true, Ordering::Release);
        } else if let Some(next) = &self.next {
            next.reject(scope, token, deadline);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use std::sync::atomic::AtomicUsize;
    use std::time::UNIX_EPOCH;

    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);

    impl TokenSource for Counting {
        fn fetch(&self, _scope: &str, _: Deadline) -> Result<Token> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let now = crate::clock::SystemClock.moment();
            Ok(Token::new("fetched", now, Duration::from_secs(3600), Duration::ZERO).unwrap())
        }
    }

    fn config(jwt: &str, margin: u64) -> PreIssuedConfig {
        PreIssuedConfig {
            token: Secret::new(jwt),
            scope: String::new(),
            refresh_margin: Duration::from_secs(margin),
        }
    }

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(60))
    }

    fn jwt_expiring_in(clock: &ManualClock, secs: u64) -> String {
        let exp = clock.wall().duration_since(UNIX_EPOCH).unwrap().as_secs() + secs;
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
        format!("eyJhbGciOiJub25lIn0.{payload}.sig")
    }

    #[test]
    fn served_until_exp_less_the_margin_then_the_next_source() {
        let clock = Arc::new(ManualClock::new());
        let jwt = jwt_expiring_in(&clock, 1000);
        let next = Arc::new(Counting::default());
        #[derive(Debug)]
        struct Shared(Arc<Counting>);
        impl TokenSource for Shared {
            fn fetch(&self, scope: &str, deadline: Deadline) -> Result<Token> {
                self.0.fetch(scope, deadline)
            }
        }
        let source = PreIssued::new(
            config(&jwt, 300),
            Some(Box::new(Shared(next.clone()))),
            clock.clone(),
        );
        let t = source.fetch("", soon()).unwrap();
        assert_eq!(t.secret(), jwt);
        assert!(t.is_fresh(clock.now() + 699_000_000_000));
        assert!(!t.is_fresh(clock.now() + 700_000_000_000));
        assert_eq!(next.0.load(Ordering::SeqCst), 0);
        clock.advance(Duration::from_secs(700));
        assert_eq!(source.fetch("", soon()).unwrap().secret(), "fetched");
        assert_eq!(next.0.load(Ordering::SeqCst), 1);
        assert_eq!(source.fetch("other", soon()).unwrap().secret(), "fetched");
    }

    #[test]
    fn without_client_credentials_an_expired_token_is_a_config_error() {
        let clock = Arc::new(ManualClock::new());
        let jwt = jwt_expiring_in(&clock, 1000);
        let source = PreIssued::new(config(&jwt, 300), None, clock.clone());
        let t = source.fetch("", soon()).unwrap();
        clock.advance(Duration::from_secs(701));
        let e = source.fetch("", soon()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(
            e.message().contains("access_token has expired"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains(&jwt));
        let fresh_again = PreIssued::new(config(&jwt, 0), None, clock);
        fresh_again.reject("", &t, soon());
        assert!(fresh_again
            .fetch("", soon())
            .unwrap_err()
            .message()
            .contains("refused"));
    }
}
