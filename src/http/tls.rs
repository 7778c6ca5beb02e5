//! The roots TLS trusts: the system's, loaded once per process and only when HTTPS is used, plus
//! those of `ca_file`.

use crate::error::{Error, ErrorKind, Result};
use std::path::Path;
use std::sync::LazyLock as Lazy;
use ureq::tls::{Certificate, PemItem};

/// The system's trusted roots.
static SYSTEM_ROOTS: Lazy<Vec<Certificate<'static>>> = Lazy::new(|| {
    rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect()
});

/// The system's roots (when `system`) and those of `ca_file`.
pub fn roots(system: bool, ca_file: Option<&Path>) -> Result<Vec<Certificate<'static>>> {
    let mut roots: Vec<Certificate<'static>> = Vec::new();
    if system {
        roots.extend(SYSTEM_ROOTS.iter().cloned());
    }
    if let Some(path) = ca_file {
        roots.extend(read_pem_roots(path)?);
    }
    Ok(roots)
}

fn read_pem_roots(path: &Path) -> Result<Vec<Certificate<'static>>> {
    let bad = |what: String| {
        Error::new(
            ErrorKind::Config,
            format!("ca_file {}: {what}", path.display()),
        )
    };
    let pem = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let mut roots = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => roots.push(cert),
            Ok(_) => {}
            Err(e) => return Err(bad(format!("not a PEM certificate bundle: {e}"))),
        }
    }
    if roots.is_empty() {
        return Err(bad("holds no certificate".to_string()));
    }
    Ok(roots)
}

/// The system's roots and those of `ca_file`, DER-encoded, for a TLS client of our own.
pub fn root_certificates(ca_file: Option<&Path>) -> Result<Vec<Vec<u8>>> {
    Ok(roots(true, ca_file)?
        .iter()
        .map(|cert| cert.der().to_vec())
        .collect())
}
