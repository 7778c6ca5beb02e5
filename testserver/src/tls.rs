//! The certificates of `--tls` ([`ServerConfig::tls`](crate::ServerConfig::tls)): a private CA
//! made when the server starts, and a certificate from it for `127.0.0.1` and `localhost`, served
//! by rustls (ring). Clients trust the CA through its PEM ([`TestServer::ca_pem`](crate::TestServer::ca_pem),
//! or the file `--credentials-out` names as `ca_file`).

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::signer::random_b64url;

/// The names the server certificate is valid for (IP address and DNS name SANs).
pub(crate) const SERVER_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// What `--tls` serves with.
pub(crate) struct Pki {
    /// The CA certificate, PEM: what a client puts in its `ca_file`.
    pub(crate) ca_pem: String,
    /// TLS 1.2 and 1.3 with the certificate from the CA, ALPN `http/1.1`, no client certificates.
    pub(crate) server_config: Arc<rustls::ServerConfig>,
}

/// Makes a fresh CA (ECDSA P-256) and a server certificate from it, valid for [`SERVER_NAMES`].
pub(crate) fn make_pki() -> Result<Pki, String> {
    let failed = |e: rcgen::Error| format!("cannot make the test CA: {e}");
    let ca_key = KeyPair::generate().map_err(failed)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    // A name of its own, so the CAs of several servers can share one trust store.
    let tag = random_b64url(9)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("lucid-testserver CA {tag}"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(failed)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let names: Vec<String> = SERVER_NAMES.iter().map(|n| n.to_string()).collect();
    let server_key = KeyPair::generate().map_err(failed)?;
    let mut params = CertificateParams::new(names).map_err(failed)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "lucid-testserver");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = params.signed_by(&server_key, &issuer).map_err(failed)?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone()], key)
        .map_err(|e| format!("cannot configure TLS: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Pki {
        ca_pem: ca_cert.pem(),
        server_config: Arc::new(config),
    })
}
