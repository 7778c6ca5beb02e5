//! The roots TLS trusts: the system's, loaded once per process and only when HTTPS is used, plus
//! those of `ca_file`; and the rustls client (ring, TLS 1.2 and 1.3) that trusts them.

use crate::error::{Error, ErrorKind, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::Path;
use std::sync::{Arc, LazyLock as Lazy};

/// The system's trusted roots.
static SYSTEM_ROOTS: Lazy<Vec<CertificateDer<'static>>> =
    Lazy::new(|| rustls_native_certs::load_native_certs().certs);

/// The system's roots (when `system`) and those of `ca_file`.
fn roots(system: bool, ca_file: Option<&Path>) -> Result<Vec<CertificateDer<'static>>> {
    let mut roots = Vec::new();
    if system {
        roots.extend(SYSTEM_ROOTS.iter().cloned());
    }
    if let Some(path) = ca_file {
        roots.extend(read_pem_roots(path)?);
    }
    Ok(roots)
}

fn read_pem_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bad = |what: String| {
        Error::new(
            ErrorKind::Config,
            format!("ca_file {}: {what}", path.display()),
        )
    };
    let pem = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let mut roots = Vec::new();
    for item in CertificateDer::pem_slice_iter(&pem) {
        match item {
            Ok(cert) => roots.push(cert),
            Err(e) => return Err(bad(format!("not a PEM certificate bundle: {e}"))),
        }
    }
    if roots.is_empty() {
        return Err(bad("holds no certificate".to_string()));
    }
    Ok(roots)
}

/// The rustls client configuration of the transport: verified TLS against the system's roots
/// (when `system`) and those of `ca_file`, no client certificate.
pub fn client_config(system: bool, ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>> {
    let mut store = rustls::RootCertStore::empty();
    store.add_parsable_certificates(roots(system, ca_file)?);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Tls, format!("TLS: {e}")))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The system's roots and those of `ca_file`, DER-encoded, for a TLS client of our own.
pub fn root_certificates(ca_file: Option<&Path>) -> Result<Vec<Vec<u8>>> {
    Ok(roots(true, ca_file)?
        .iter()
        .map(|cert| cert.as_ref().to_vec())
        .collect())
}
