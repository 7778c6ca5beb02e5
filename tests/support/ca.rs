//! A CA made for one test, and TLS server configs for 127.0.0.1 with certificates from it: the
//! local HTTPS servers of the tests, whose CA PEM a test gives as `ca_file`.
#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::sync::Arc;

/// A CA made for one test, and TLS server configs for 127.0.0.1 signed by it.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub pem: String,
}

impl TestCa {
    pub fn new() -> TestCa {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        TestCa {
            issuer: Issuer::new(ca_params, ca_key),
            pem: ca_cert.pem(),
        }
    }

    /// A server config with a certificate for 127.0.0.1 from this CA.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let (leaf, leaf_key) = self.leaf(&["127.0.0.1"]);
        server_config(&leaf, &leaf_key)
    }

    /// As [`TestCa::server_config`], speaking TLS 1.2 only (as many proxies and older servers).
    pub fn server_config_tls12(&self) -> Arc<rustls::ServerConfig> {
        let (leaf, key) = self.leaf(&["127.0.0.1"]);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        Arc::new(config)
    }

    /// A certificate for `names` from this CA, and its key.
    pub fn leaf(&self, names: &[&str]) -> (rcgen::Certificate, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        (cert, key)
    }
}

/// A TLS server config that presents `cert` (with its `key`) and nothing else.
pub fn server_config(cert: &rcgen::Certificate, key: &KeyPair) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    Arc::new(config)
}
