//! The command line of `lucid-testserver` (binary only).

use std::ops::Range;
use std::path::PathBuf;

use lucidauth_testserver::{AssertionAudience, ClientKey, DpopMode, Metadata, ServerConfig};

pub(crate) const USAGE: &str = "\
usage: lucid-testserver [options]

Serves a local OAuth2 token endpoint (POST .../token) and API on http://127.0.0.1:<free port>
(https:// with --tls), prints `LISTENING <base URL>` and runs until killed.

options:
  --lifetime SECS          expires_in of issued tokens (default 3600)
  --client-id ID           accepted client id (default CLIENT_ID)
  --client-secret SECRET   accepted client secret (default CLIENT_SECRET)
  --api-key KEY            x-api-key the API requires (default API_KEY)
  --no-api-key             the API requires no x-api-key
  --client-auth MODE       basic, basic_urlencoded, post or any (any of those three: the
                           default); private_key_jwt (needs --client-key or --client-key-out);
                           client_secret_jwt (HS256, needs a secret of 32 bytes or more)
  --invalidate-previous    a new token for a scope invalidates the older ones
  --keep-alive             keep connections open between requests (default: Connection: close);
                           /_admin/stats then also counts `connections`

TLS:
  --tls                    serve HTTPS (TLS 1.2 and 1.3) with a certificate for 127.0.0.1 and
                           localhost from a private CA made at start
  --ca-out PATH            write the CA certificate (PEM) to PATH; with --tls and
                           --credentials-out it defaults to ca.pem beside the credentials

client assertions (private_key_jwt, client_secret_jwt; RFC 7523):
  --client-key FILE        accept assertions signed by the keys in FILE: PEM PUBLIC KEY (RSA of
                           2048 to 8192 bits, or EC P-256), PEM PKCS#8 PRIVATE KEY (its public
                           half), or a JWKS or single JWK (with their kids); repeatable
  --client-key-id KID      the kid of the keys of the last --client-key or --client-key-out
  --client-key-out PATH    make an EC P-256 client key, accept it, and write its private key
                           (PKCS#8 PEM, mode 0600) to PATH, named in the credentials as
                           client_key_file
  --assertion-audience AUD an accepted assertion aud: token_endpoint (the URL the request was
                           sent to), issuer, or any other text as it is; repeatable; given at
                           all, it replaces the default (token_endpoint)

DPoP (RFC 9449):
  --dpop                   require a DPoP proof (ES256) on every token request; tokens are then
                           JWTs with cnf.jkt, token_type DPoP, used as `Authorization: DPoP`
  --dpop-optional          bind the token when a request has a proof, else issue a Bearer token
  --dpop-nonce             demand a server nonce in proofs from the start (400 use_dpop_nonce at
                           the token endpoint, 401 at the API, with DPoP-Nonce); POST
                           /_admin/dpop_nonce rotates it
  --dpop-iat-window SECS   how far a proof's iat may be from the server's clock (default 60)
  --jwt-tokens             issue Bearer tokens as JWTs too (default: opaque tok-N-... strings)

issuer metadata (RFC 8414):
  --issuer-path PATH       publish metadata for the issuer <base URL>PATH (PATH / is the base
                           URL itself); the credentials then name `issuer` instead of
                           auth_endpoint
  --metadata-forms LIST    the URLs that answer, comma-separated (default all):
                           rfc8414      /.well-known/oauth-authorization-server<PATH>
                           path_suffix  <PATH>/.well-known/oauth-authorization-server
                           openid       <PATH>/.well-known/openid-configuration and
                                        /.well-known/openid-configuration<PATH>
  --metadata-issuer URL    serve this issuer in the document instead of the real one
  --metadata-token-endpoint URL
                           serve this token_endpoint (default <issuer>/v1/token, or
                           <base URL>/oauth2/token for PATH /)

output and control:
  --credentials-out PATH   write a credentials.cfg for this server (mode 0600)
  --port-file PATH         write the port number to PATH
  --exit-on-stdin-eof      exit when standard input is closed
  --verbose                log one line per request to stderr
  -h, --help               show this help
";

/// What the command line asked for.
pub(crate) struct Options {
    pub(crate) config: ServerConfig,
    pub(crate) credentials_out: Option<PathBuf>,
    pub(crate) port_file: Option<PathBuf>,
    pub(crate) ca_out: Option<PathBuf>,
    /// `--client-key-out`: where to write the generated key, its PEM, and its index in
    /// `config.client_keys`.
    pub(crate) client_key_out: Option<(PathBuf, String, usize)>,
    pub(crate) exit_on_stdin_eof: bool,
    pub(crate) verbose: bool,
}

/// Parses the arguments; `Ok(None)` means help was asked for.
pub(crate) fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut parser = Parser {
        args,
        options: Options {
            config: ServerConfig::default(),
            credentials_out: None,
            port_file: None,
            ca_out: None,
            client_key_out: None,
            exit_on_stdin_eof: false,
            verbose: false,
        },
        last_keys: 0..0,
        audiences_given: false,
    };
    while let Some(arg) = parser.args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let known = parser.general(&arg)? || parser.assertions(&arg)? || parser.dpop(&arg)?;
        if !known && !parser.metadata(&arg)? {
            return Err(format!("unknown argument {arg:?}"));
        }
    }
    parser.options.config.check()?;
    if parser.options.ca_out.is_some() && !parser.options.config.tls {
        return Err("--ca-out needs --tls".to_string());
    }
    Ok(Some(parser.options))
}

/// The arguments left, the options so far, and what later options refer back to.
struct Parser<I> {
    args: I,
    options: Options,
    /// The keys a `--client-key-id` names: those of the last `--client-key` or `--client-key-out`.
    last_keys: Range<usize>,
    /// Whether an `--assertion-audience` was given yet (the first replaces the default).
    audiences_given: bool,
}

impl<I: Iterator<Item = String>> Parser<I> {
    fn value(&mut self, arg: &str) -> Result<String, String> {
        self.args.next().ok_or(format!("{arg} needs a value"))
    }

    /// The options of the token endpoint, the API and the process; `Ok(false)` if `arg` is none.
    fn general(&mut self, arg: &str) -> Result<bool, String> {
        match arg {
            "--lifetime" => {
                self.options.config.token_lifetime_secs = number(arg, &self.value(arg)?)?
            }
            "--client-id" => self.options.config.client_id = self.value(arg)?,
            "--client-secret" => self.options.config.client_secret = self.value(arg)?,
            "--api-key" => self.options.config.api_key = Some(self.value(arg)?),
            "--no-api-key" => self.options.config.api_key = None,
            "--client-auth" => self.options.config.client_auth = self.value(arg)?.parse()?,
            "--invalidate-previous" => self.options.config.invalidate_previous = true,
            "--keep-alive" => self.options.config.keep_alive = true,
            "--tls" => self.options.config.tls = true,
            "--ca-out" => self.options.ca_out = Some(self.value(arg)?.into()),
            "--credentials-out" => self.options.credentials_out = Some(self.value(arg)?.into()),
            "--port-file" => self.options.port_file = Some(self.value(arg)?.into()),
            "--exit-on-stdin-eof" => self.options.exit_on_stdin_eof = true,
            "--verbose" => self.options.verbose = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The client keys and assertion audiences.
    fn assertions(&mut self, arg: &str) -> Result<bool, String> {
        let count = self.options.config.client_keys.len();
        match arg {
            "--client-key" => {
                let path = self.value(arg)?;
                let text =
                    std::fs::read_to_string(&path).map_err(|e| format!("{arg} {path}: {e}"))?;
                let keys = ClientKey::parse(&text).map_err(|e| format!("{arg} {path}: {e}"))?;
                self.last_keys = count..count + keys.len();
                self.options.config.client_keys.extend(keys);
            }
            "--client-key-id" => {
                let kid = self.value(arg)?;
                if self.last_keys.is_empty() {
                    return Err(format!(
                        "{arg} comes after --client-key or --client-key-out"
                    ));
                }
                for key in &mut self.options.config.client_keys[self.last_keys.clone()] {
                    *key = key.clone().with_kid(&kid);
                }
            }
            "--client-key-out" => {
                let path = PathBuf::from(self.value(arg)?);
                let (key, pem) = generate_client_key()?;
                self.last_keys = count..count + 1;
                self.options.client_key_out = Some((path, pem, count));
                self.options.config.client_keys.push(key);
            }
            "--assertion-audience" => {
                let audience = self.value(arg)?.parse::<AssertionAudience>()?;
                let audiences = &mut self.options.config.assertion_audiences;
                if !std::mem::replace(&mut self.audiences_given, true) {
                    audiences.clear();
                }
                audiences.push(audience);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// DPoP and the kind of tokens.
    fn dpop(&mut self, arg: &str) -> Result<bool, String> {
        match arg {
            "--dpop" => self.options.config.dpop = DpopMode::Required,
            "--dpop-optional" => self.options.config.dpop = DpopMode::Optional,
            "--dpop-nonce" => self.options.config.dpop_nonce = true,
            "--dpop-iat-window" => {
                self.options.config.dpop_iat_window_secs = number(arg, &self.value(arg)?)?
            }
            "--jwt-tokens" => self.options.config.jwt_tokens = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The issuer metadata; any of these options turns it on.
    fn metadata(&mut self, arg: &str) -> Result<bool, String> {
        let value = match arg {
            "--issuer-path"
            | "--metadata-forms"
            | "--metadata-issuer"
            | "--metadata-token-endpoint" => self.value(arg)?,
            _ => return Ok(false),
        };
        let metadata = self
            .options
            .config
            .metadata
            .get_or_insert_with(Metadata::default);
        match arg {
            "--issuer-path" if value == "/" => metadata.issuer_path = String::new(),
            "--issuer-path" => metadata.issuer_path = value,
            "--metadata-forms" => set_forms(metadata, &value)?,
            "--metadata-issuer" => metadata.served_issuer = Some(value),
            _ => metadata.token_endpoint = Some(value),
        }
        Ok(true)
    }
}

fn number(arg: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{arg} needs a whole number of seconds"))
}

fn set_forms(metadata: &mut Metadata, list: &str) -> Result<(), String> {
    (metadata.rfc8414, metadata.path_suffix, metadata.openid) = (false, false, false);
    for form in list.split(',').map(str::trim) {
        match form {
            "rfc8414" => metadata.rfc8414 = true,
            "path_suffix" => metadata.path_suffix = true,
            "openid" => metadata.openid = true,
            other => {
                return Err(format!(
                    "unknown metadata form {other:?}: use rfc8414, path_suffix or openid"
                ))
            }
        }
    }
    Ok(())
}

/// A new EC P-256 key: its public half for the server, its private key as PKCS#8 PEM.
fn generate_client_key() -> Result<(ClientKey, String), String> {
    let pair = rcgen::KeyPair::generate().map_err(|e| format!("cannot make a client key: {e}"))?;
    let key = ClientKey::ec_p256(pair.public_key_raw())?;
    Ok((key, pair.serialize_pem()))
}
