//! Shared by the integration tests: a local server and credentials that point at it.
#![allow(dead_code)]

pub mod c;
pub mod ca;
pub mod raw;
pub mod tls;
pub mod tls_proxy;

use lucidauth::{Credentials, CredentialsBuilder};
use lucidauth_testserver::{ServerConfig, TestServer};

pub fn server() -> TestServer {
    server_with(ServerConfig::default())
}

pub fn server_with(config: ServerConfig) -> TestServer {
    TestServer::start(config).expect("the local test server starts")
}

/// A builder for the default server credentials, pointed at `server`.
pub fn builder_for(server: &TestServer) -> CredentialsBuilder {
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("api_key", "API_KEY").unwrap();
    b.set("auth_endpoint", &server.base_url()).unwrap();
    b.set("api_endpoint", &format!("{}/v1", server.base_url()))
        .unwrap();
    b
}

pub fn credentials_for(server: &TestServer) -> Credentials {
    builder_for(server).build().unwrap()
}

/// A fresh temporary directory, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "lucidauth-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn write(&self, name: &str, contents: &str) -> std::path::PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
