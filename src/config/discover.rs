//! Where credentials are found when none are given, the way the official SDKs look for them.
//! The order is [`Discovery::find`]'s code, and the README's "Where credentials are found"
//! section tells it to users; nothing else restates it.

use super::credentials::{Credentials, CredentialsBuilder};
use super::file::from_file;
use super::paths::{default_cradl_path, default_path};
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// The variables of one environment source, by the key each sets.
const LAS_VARS: &[(&str, &str)] = &[
    ("LAS_CLIENT_ID", "client_id"),
    ("LAS_CLIENT_SECRET", "client_secret"),
    ("LAS_ACCESS_TOKEN", "access_token"),
    ("LAS_API_KEY", "api_key"),
    ("LAS_AUTH_ENDPOINT", "auth_endpoint"),
    ("LAS_API_ENDPOINT", "api_endpoint"),
];
const CRADL_VARS: &[(&str, &str)] = &[
    ("CRADL_CLIENT_ID", "client_id"),
    ("CRADL_CLIENT_SECRET", "client_secret"),
    ("CRADL_ACCESS_TOKEN", "access_token"),
    ("CRADL_AUTH_ENDPOINT", "auth_endpoint"),
    ("CRADL_API_ENDPOINT", "api_endpoint"),
];

/// Finds credentials in this process's environment and the per-user default files.
pub fn discover(profile: Option<&str>) -> Result<Credentials> {
    let env = |name: &str| std::env::var(name).ok();
    Discovery {
        env: &env,
        files: [default_path(), default_cradl_path()]
            .into_iter()
            .flatten()
            .collect(),
    }
    .find(profile)
}

/// What discovery looks at: an environment and the default files (tried in order: the first
/// that exists is read). [`discover`] uses the process's; tests give their own.
pub struct Discovery<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub files: Vec<PathBuf>,
}

impl Discovery<'_> {
    /// Finds credentials:
    /// 1. `LAS_CLIENT_ID` and `LAS_CLIENT_SECRET`, or `LAS_ACCESS_TOKEN` (with the other `LAS_*`);
    /// 2. the same of `CRADL_*`;
    /// 3. the file `LAS_CREDENTIALS_FILE` (profile `LAS_PROFILE` unless one is given);
    /// 4. the first default file that exists.
    ///
    /// A set of variables with an id but no secret (or the reverse) is an error naming the
    /// missing one, not a reason to look further.
    pub fn find(&self, profile: Option<&str>) -> Result<Credentials> {
        let var = |name: &str| (self.env)(name).filter(|v| !v.is_empty());
        for vars in [LAS_VARS, CRADL_VARS] {
            if let Some(found) = from_env(vars, &var) {
                return found;
            }
        }
        let profile = profile.map(str::to_string).or_else(|| var("LAS_PROFILE"));
        if let Some(path) = var("LAS_CREDENTIALS_FILE") {
            return from_file(Path::new(&path), profile.as_deref());
        }
        self.in_default_file(profile.as_deref())
    }

    /// The first default file that exists (else the first, to say it is missing).
    fn in_default_file(&self, profile: Option<&str>) -> Result<Credentials> {
        let files = &self.files;
        let path = files
            .iter()
            .find(|p| p.exists())
            .or(files.first())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    "no credentials: neither LAS_CLIENT_ID/LAS_CLIENT_SECRET nor CRADL_CLIENT_ID/CRADL_CLIENT_SECRET is set and there is no home directory",
                )
            })?;
        from_file(path, profile).map_err(|e| {
            if path.exists() || files.len() < 2 {
                return e;
            }
            let others: Vec<String> = files[1..].iter().map(|p| p.display().to_string()).collect();
            e.context_after(&format!(
                "no {} either, and no LAS_* or CRADL_* credentials in the environment",
                others.join(", ")
            ))
        })
    }
}

/// Credentials from one set of variables: `None` when it names neither an id, a secret nor a
/// token (look further); an error when it has an id without a secret or the reverse.
fn from_env(
    vars: &[(&str, &str)],
    var: &dyn Fn(&str) -> Option<String>,
) -> Option<Result<Credentials>> {
    let name = |key: &str| vars.iter().find(|(_, k)| *k == key).map_or("", |(n, _)| *n);
    let (id, secret, token) = (
        var(name("client_id")),
        var(name("client_secret")),
        var(name("access_token")),
    );
    let missing = |set: &str, unset: &str| {
        Some(Err(Error::new(
            ErrorKind::Config,
            format!("{} is set but {} is not", name(set), name(unset)),
        )))
    };
    match (&id, &secret, &token) {
        (None, None, None) => return None,
        (Some(_), None, _) => return missing("client_id", "client_secret"),
        (None, Some(_), _) => return missing("client_secret", "client_id"),
        _ => {}
    }
    let mut builder = CredentialsBuilder::new();
    for (variable, key) in vars {
        if let Some(value) = var(variable) {
            if let Err(e) = builder.set(key, &value) {
                return Some(Err(e.context(format!("environment variable {variable}"))));
            }
        }
    }
    Some(
        builder
            .build()
            .map_err(|e| e.context("credentials from the environment")),
    )
}
