//! The files `lucid-testserver` writes for its users (binary only): the credentials, the CA
//! certificate, a generated client key, the port.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use lucidauth_testserver::{AssertionAudience, ClientAuth, DpopMode, TestServer};

use crate::cli_args::Options;

/// Writes every file the options ask for. The CA and the client key come first, so the
/// credentials can name them by their absolute paths.
pub(crate) fn write_files(options: &Options, server: &TestServer) -> io::Result<()> {
    let ca_file = match (ca_path(options), server.ca_pem()) {
        (Some(path), Some(pem)) => {
            write_atomically(&path, pem.as_bytes(), false)?;
            Some(fs::canonicalize(&path)?)
        }
        _ => None,
    };
    let key_file = match &options.client_key_out {
        Some((path, pem, _)) => {
            write_atomically(path, pem.as_bytes(), true)?;
            Some(fs::canonicalize(path)?)
        }
        None => None,
    };
    if let Some(path) = &options.credentials_out {
        let text = credentials(options, server, ca_file.as_deref(), key_file.as_deref());
        write_atomically(path, text.as_bytes(), true)?;
    }
    if let Some(path) = &options.port_file {
        write_atomically(path, format!("{}\n", server.port()).as_bytes(), false)?;
    }
    Ok(())
}

/// `--ca-out`, else with `--tls` and `--credentials-out`, `ca.pem` beside the credentials.
fn ca_path(options: &Options) -> Option<PathBuf> {
    if let Some(path) = &options.ca_out {
        return Some(path.clone());
    }
    let credentials = options.credentials_out.as_ref()?;
    options
        .config
        .tls
        .then(|| credentials.with_file_name("ca.pem"))
}

/// A `credentials.cfg` that points the library at this server: the keys a client needs for the
/// server's settings, and no others (`client_auth` only when the server insists on one method,
/// no `client_secret` for `private_key_jwt`).
fn credentials(
    options: &Options,
    server: &TestServer,
    ca_file: Option<&Path>,
    key_file: Option<&Path>,
) -> String {
    let config = &options.config;
    let base_url = server.base_url();
    let mut lines = vec![format!("client_id = {}", config.client_id)];
    if config.client_auth != ClientAuth::PrivateKeyJwt {
        lines.push(format!("client_secret = {}", config.client_secret));
    }
    if let Some(api_key) = &config.api_key {
        lines.push(format!("api_key = {api_key}"));
    }
    match &config.metadata {
        Some(_) => lines.push(format!("issuer = {}", server.issuer())),
        None => lines.push(format!("auth_endpoint = {base_url}")),
    }
    lines.push(format!("api_endpoint = {base_url}/v1"));
    if config.client_auth != ClientAuth::Any {
        lines.push(format!("client_auth = {}", config.client_auth));
    }
    if let (Some(path), Some((_, _, index))) = (key_file, &options.client_key_out) {
        lines.push(format!("client_key_file = {}", path.display()));
        if let Some(kid) = config.client_keys.get(*index).and_then(|key| key.kid()) {
            lines.push(format!("client_key_id = {kid}"));
        }
    }
    let audiences = &config.assertion_audiences;
    if config.client_auth.uses_assertion() && !audiences.contains(&AssertionAudience::TokenEndpoint)
    {
        match audiences.first() {
            Some(AssertionAudience::Issuer) => {
                lines.push(format!("client_assertion_audience = {}", server.issuer()))
            }
            Some(AssertionAudience::Url(url)) => {
                lines.push(format!("client_assertion_audience = {url}"))
            }
            _ => {}
        }
    }
    if config.dpop == DpopMode::Required {
        lines.push("dpop = true".to_string());
    }
    if let Some(path) = ca_file {
        lines.push(format!("ca_file = {}", path.display()));
    }
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// Writes `contents` to a temporary file next to `path`, then renames it over `path`, so readers
/// see either no file or the whole file. Creates missing parent directories. With `private`, the
/// file is readable by its owner only (on unix).
fn write_atomically(path: &Path, contents: &[u8], private: bool) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(format!(".tmp{}", std::process::id()));
    let temp = PathBuf::from(temp_name);
    // A leftover from a killed run could have other permissions; start afresh.
    let _ = fs::remove_file(&temp);
    let mut open = OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = open.open(&temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, path)
}
