//! Authorization server metadata (RFC 8414) at the well-known URLs of the issuer, in the forms
//! [`Metadata`] turns on. Any other `/.well-known/` path answers 404.

use serde_json::{json, Value};

use crate::config::{ClientAuth, DpopMode, Metadata};
use crate::record::{Outcome, RecordedRequest};
use crate::reject::Rejection;
use crate::script::Scripted;
use crate::state::State;

const OAUTH: &str = "/.well-known/oauth-authorization-server";
const OPENID: &str = "/.well-known/openid-configuration";

/// Answers a `GET` (or `HEAD`) of a `/.well-known/` path.
pub(crate) fn handle(state: &State, request: &RecordedRequest) -> (Scripted, Outcome) {
    let Some(metadata) = &state.config.metadata else {
        return not_found("metadata_disabled", "this server publishes no metadata");
    };
    if !served_paths(metadata).contains(&request.path) {
        return not_found("metadata_not_served", "no metadata at this path");
    }
    let reply = Scripted::json_value(200, &document(state, metadata));
    let outcome = Outcome {
        status: 200,
        ..Outcome::default()
    };
    (reply, outcome)
}

fn not_found(reason: &'static str, description: &str) -> (Scripted, Outcome) {
    let rejection = Rejection::oauth(reason, 404, "not_found", description);
    (rejection.token_reply(), rejection.outcome())
}

/// The paths that answer, for the forms turned on.
pub(crate) fn served_paths(metadata: &Metadata) -> Vec<String> {
    let path = metadata.issuer_path.as_str();
    let mut paths = Vec::new();
    if metadata.rfc8414 {
        paths.push(format!("{OAUTH}{path}"));
    }
    if metadata.path_suffix {
        paths.push(format!("{path}{OAUTH}"));
    }
    if metadata.openid {
        paths.push(format!("{path}{OPENID}"));
        paths.push(format!("{OPENID}{path}"));
    }
    paths.dedup();
    paths
}

/// The token endpoint the document names, unless [`Metadata::token_endpoint`] overrides it.
pub(crate) fn token_endpoint(state: &State, metadata: &Metadata) -> String {
    match (&metadata.token_endpoint, metadata.issuer_path.is_empty()) {
        (Some(url), _) => url.clone(),
        (None, true) => format!("{}/oauth2/token", state.base_url),
        (None, false) => format!("{}/v1/token", state.issuer()),
    }
}

fn document(state: &State, metadata: &Metadata) -> Value {
    let config = &state.config;
    let methods: &[&str] = match config.client_auth {
        ClientAuth::Basic | ClientAuth::BasicUrlencoded => &["client_secret_basic"],
        ClientAuth::Post => &["client_secret_post"],
        ClientAuth::Any => &["client_secret_basic", "client_secret_post"],
        ClientAuth::PrivateKeyJwt => &["private_key_jwt"],
        ClientAuth::ClientSecretJwt => &["client_secret_jwt"],
    };
    let issuer = metadata
        .served_issuer
        .clone()
        .unwrap_or_else(|| state.issuer());
    let mut document = json!({
        "issuer": issuer,
        "token_endpoint": token_endpoint(state, metadata),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": methods,
    });
    match config.client_auth {
        ClientAuth::PrivateKeyJwt => {
            document["token_endpoint_auth_signing_alg_values_supported"] = json!(["RS256", "ES256"])
        }
        ClientAuth::ClientSecretJwt => {
            document["token_endpoint_auth_signing_alg_values_supported"] = json!(["HS256"])
        }
        _ => {}
    }
    if config.dpop != DpopMode::Off {
        document["dpop_signing_alg_values_supported"] = json!(["ES256"]);
    }
    document
}
