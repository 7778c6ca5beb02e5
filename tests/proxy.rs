//! HTTPS through a real proxy: Debian's tinyproxy on a free loopback port, started by each test
//! with a config of its own, in front of a local TLS token endpoint and API whose CA is given
//! in `ca_file`. tinyproxy's log shows the CONNECTs; the origin shows what went through the
//! tunnel. Skipped, with a line saying so, only when tinyproxy is not installed.

mod support;

use lucidauth::log::{self, Level};
use lucidauth::{Client, CredentialsBuilder, ErrorKind};
use std::collections::HashMap;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::tls_proxy::TlsServer;
use support::TempDir;

const PROXY_USER: &str = "proxyuser";
const PROXY_PASSWORD: &str = "s3cretPa55";
const WRONG_PASSWORD: &str = "wr0ngPa55word";

/// A tinyproxy in the foreground on 127.0.0.1, logging to a file of its own; stopped when
/// dropped.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: TempDir,
}

impl Tinyproxy {
    /// A tinyproxy that opens tunnels to `connect_port` only (and, with `auth`, only for that
    /// user and password); `None` when tinyproxy is not installed.
    fn start(connect_port: u16, auth: Option<(&str, &str)>) -> Option<Tinyproxy> {
        let binary = ["tinyproxy", "/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
            .into_iter()
            .find(|b| Command::new(b).arg("-v").output().is_ok());
        let Some(binary) = binary else {
            println!("skipped: tinyproxy not found");
            return None;
        };
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let dir = TempDir::new("tinyproxy");
            let log = dir.0.join("tinyproxy.log");
            let mut conf = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Info\n\
                 MaxClients 50\nAllow 127.0.0.1\nConnectPort {connect_port}\n",
                log.display()
            );
            if let Some((user, password)) = auth {
                conf.push_str(&format!("BasicAuth {user} {password}\n"));
            }
            let conf_path = dir.write("tinyproxy.conf", &conf);
            let mut child = Command::new(binary)
                .arg("-d")
                .arg("-c")
                .arg(&conf_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let started = Instant::now();
            loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Tinyproxy {
                        child,
                        port,
                        log,
                        _dir: dir,
                    });
                }
                if child.try_wait().unwrap().is_some() {
                    break; // the port was taken meanwhile: try another
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "tinyproxy did not start"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("tinyproxy did not start on any of five ports");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url_with(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// The whole log.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log's lines after its start-up lines: connections (the first is the test's check
    /// that it listens), requests, refusals.
    fn request_lines(&self) -> Vec<String> {
        self.log()
            .lines()
            .skip_while(|l| !l.contains("Starting main loop"))
            .skip(1)
            .map(str::to_string)
            .collect()
    }

    /// How many `CONNECT 127.0.0.1:<port>` requests it logged.
    fn connects_to(&self, port: u16) -> usize {
        let needle = format!("CONNECT 127.0.0.1:{port} ");
        self.log().lines().filter(|l| l.contains(&needle)).count()
    }

    /// Prints the log's request lines, so that `--nocapture` shows what the proxy saw.
    fn show(&self, test: &str) {
        println!("{test}: tinyproxy's log:");
        for line in self.request_lines() {
            println!("    {line}");
        }
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Credentials for `server`, trusting its CA; the `proxy` key set to `proxy` when given.
fn builder(server: &TlsServer, dir: &TempDir, proxy: Option<&str>) -> CredentialsBuilder {
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("api_key", "API_KEY").unwrap();
    b.set("auth_endpoint", &server.url).unwrap();
    b.set("api_endpoint", &format!("{}/v1", server.url))
        .unwrap();
    b.set("retry_backoff_ms", "1").unwrap();
    let ca = dir.write("ca.pem", &server.ca_pem);
    b.set("ca_file", ca.to_str().unwrap()).unwrap();
    if let Some(p) = proxy {
        b.set("proxy", p).unwrap();
    }
    b
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A token and one API call: both must succeed.
fn token_and_call(client: &Client) {
    assert_eq!(client.access_token(None).unwrap().secret(), "tls-token");
    let response = client.request("GET", "/documents", &[], b"").unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), br#"{"ok":true}"#);
}

#[test]
fn https_goes_through_the_proxy_as_a_connect_tunnel() {
    let server = TlsServer::start();
    let Some(proxy) = Tinyproxy::start(server.port, None) else {
        return;
    };
    let dir = TempDir::new("proxy");
    let creds = builder(&server, &dir, Some(&proxy.url())).build().unwrap();
    token_and_call(&Client::with_proxy_env(creds, &env(&[])).unwrap());
    proxy.show("https_goes_through_the_proxy_as_a_connect_tunnel");
    assert_eq!(
        proxy.connects_to(server.port),
        2,
        "one tunnel for the token request, one for the API call (the server closes each connection):\n{}",
        proxy.log()
    );
    // Inside the tunnel, end to end: the origin read the secrets, the proxy never could.
    let heads = server.heads();
    assert_eq!(heads.len(), 2);
    assert!(heads[0].starts_with("POST /oauth2/token?grant_type=client_credentials HTTP/1.1"));
    assert!(
        heads[1].contains("\r\nauthorization: Bearer tls-token\r\n")
            || heads[1].contains("\r\nAuthorization: Bearer tls-token\r\n"),
        "{}",
        heads[1]
    );
    for secret in ["tls-token", "API_KEY", "Basic ", "CLIENT_SECRET"] {
        assert!(!proxy.log().contains(secret), "{secret} in the proxy's log");
    }
}

#[test]
fn https_proxy_from_the_environment_and_no_proxy_bypass() {
    let server = TlsServer::start();
    let Some(proxy) = Tinyproxy::start(server.port, None) else {
        return;
    };
    let dir = TempDir::new("proxy");
    let creds = builder(&server, &dir, None).build().unwrap();

    let through = env(&[("HTTPS_PROXY", &proxy.url())]);
    token_and_call(&Client::with_proxy_env(creds.clone(), &through).unwrap());
    assert_eq!(proxy.connects_to(server.port), 2, "{}", proxy.log());

    // all_proxy too, when no https_proxy is set.
    let all = env(&[("all_proxy", &proxy.url())]);
    token_and_call(&Client::with_proxy_env(creds.clone(), &all).unwrap());
    assert_eq!(proxy.connects_to(server.port), 4, "{}", proxy.log());

    for no_proxy in ["127.0.0.1", "example.com, 127.0.0.0/8", "*"] {
        let bypass = env(&[("HTTPS_PROXY", &proxy.url()), ("NO_PROXY", no_proxy)]);
        token_and_call(&Client::with_proxy_env(creds.clone(), &bypass).unwrap());
        assert_eq!(
            proxy.connects_to(server.port),
            4,
            "NO_PROXY={no_proxy}: no more CONNECTs:\n{}",
            proxy.log()
        );
    }
    assert_eq!(server.requests(), 10, "every call reached the origin");
    proxy.show("https_proxy_from_the_environment_and_no_proxy_bypass");
}

#[test]
fn proxy_none_ignores_the_environment() {
    let server = TlsServer::start();
    let Some(proxy) = Tinyproxy::start(server.port, None) else {
        return;
    };
    let dir = TempDir::new("proxy");
    let creds = builder(&server, &dir, Some("none")).build().unwrap();
    let vars = env(&[("HTTPS_PROXY", &proxy.url()), ("ALL_PROXY", &proxy.url())]);
    token_and_call(&Client::with_proxy_env(creds, &vars).unwrap());
    assert_eq!(proxy.connects_to(server.port), 0, "{}", proxy.log());
    assert_eq!(server.requests(), 2);
}

#[test]
fn plain_http_to_loopback_never_goes_through_the_proxy() {
    let server = support::server();
    let Some(proxy) = Tinyproxy::start(server.port(), None) else {
        return;
    };
    let vars = env(&[("HTTPS_PROXY", &proxy.url()), ("ALL_PROXY", &proxy.url())]);
    let mut b = support::builder_for(&server);
    b.set("proxy", &proxy.url()).unwrap();
    for creds in [support::credentials_for(&server), b.build().unwrap()] {
        let client = Client::with_proxy_env(creds, &vars).unwrap();
        client.access_token(None).unwrap();
        assert_eq!(
            client
                .request("GET", "/documents", &[], b"")
                .unwrap()
                .status(),
            200
        );
    }
    assert!(
        proxy.request_lines().iter().all(|l| !l.contains("Request")),
        "{}",
        proxy.log()
    );
}

#[test]
fn a_proxy_with_basic_auth_gets_the_credentials_of_the_proxy_url() {
    let server = TlsServer::start();
    let Some(proxy) = Tinyproxy::start(server.port, Some((PROXY_USER, PROXY_PASSWORD))) else {
        return;
    };
    let dir = TempDir::new("proxy");
    let url = proxy.url_with(PROXY_USER, PROXY_PASSWORD);
    let creds = builder(&server, &dir, Some(&url)).build().unwrap();
    assert_eq!(creds.value("proxy"), None, "the key is secret");
    let client = Client::with_proxy_env(creds, &env(&[])).unwrap();
    assert!(!format!("{client:?}").contains(PROXY_PASSWORD));
    token_and_call(&client);
    proxy.show("a_proxy_with_basic_auth_gets_the_credentials_of_the_proxy_url");
    assert_eq!(proxy.connects_to(server.port), 2, "{}", proxy.log());

    // Without credentials the same proxy says 407.
    let creds = builder(&server, &dir, Some(&proxy.url())).build().unwrap();
    let e = Client::with_proxy_env(creds, &env(&[]))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{}", e.message());
    assert_eq!(e.http_status(), Some(407));
    assert!(
        e.message().ends_with("the proxy wants credentials (407): give them in the proxy URL (http://user:password@host:port)"),
        "{}",
        e.message()
    );
}

#[test]
fn a_wrong_proxy_password_is_a_clear_error_that_never_shows_it() {
    let server = TlsServer::start();
    let Some(proxy) = Tinyproxy::start(server.port, Some((PROXY_USER, PROXY_PASSWORD))) else {
        return;
    };
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = lines.clone();
    log::set_sink(Some((
        Arc::new(move |_: Level, m: &str| seen.lock().unwrap().push(m.to_string())),
        Level::Debug,
    )));
    let dir = TempDir::new("proxy");
    let url = proxy.url_with(PROXY_USER, WRONG_PASSWORD);
    // Given as the key and as the variable: the same error.
    let by_key = builder(&server, &dir, Some(&url)).build().unwrap();
    let by_env = builder(&server, &dir, None).build().unwrap();
    let errors: Vec<lucidauth::Error> = [
        Client::with_proxy_env(by_key, &env(&[])),
        Client::with_proxy_env(by_env, &env(&[("https_proxy", &url)])),
    ]
    .into_iter()
    .map(|client| client.unwrap().access_token(None).unwrap_err())
    .collect();
    log::set_sink(None);
    proxy.show("a_wrong_proxy_password_is_a_clear_error_that_never_shows_it");
    for (e, source) in errors.iter().zip(["key 'proxy'", "https_proxy"]) {
        println!("error: {:?}: {}", e.kind(), e.message());
        assert_eq!(e.kind(), ErrorKind::Config, "{}", e.message());
        // tinyproxy answers a wrong password with 401 (407 when there is none).
        assert_eq!(e.http_status(), Some(401));
        let expected = format!(
            "token request: POST {}/oauth2/token via the proxy {} (from {source}): the proxy refused the credentials (401): check the user name and password in the proxy URL",
            server.url,
            proxy.url()
        );
        assert_eq!(e.message(), expected);
    }
    assert_eq!(
        proxy.connects_to(server.port),
        2,
        "one CONNECT each, not retried:\n{}",
        proxy.log()
    );
    assert_eq!(server.requests(), 0);
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("HTTPS through the proxy")),
        "{lines:?}"
    );
    for line in lines.iter() {
        assert!(
            !line.contains(WRONG_PASSWORD) && !line.contains(PROXY_PASSWORD),
            "{line}"
        );
    }
    assert!(!proxy.log().contains(WRONG_PASSWORD));
}

#[test]
fn an_unknown_ca_through_the_tunnel_is_a_tls_error() {
    let server = TlsServer::start();
    let Some(proxy) = Tinyproxy::start(server.port, None) else {
        return;
    };
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("auth_endpoint", &server.url).unwrap();
    b.set("proxy", &proxy.url()).unwrap();
    let e = Client::with_proxy_env(b.build().unwrap(), &env(&[]))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    proxy.show("an_unknown_ca_through_the_tunnel_is_a_tls_error");
    println!("error: {:?}: {}", e.kind(), e.message());
    assert_eq!(e.kind(), ErrorKind::Tls, "{}", e.message());
    assert!(e.message().contains("certificate"), "{}", e.message());
    assert_eq!(proxy.connects_to(server.port), 1, "{}", proxy.log());
    assert_eq!(server.requests(), 0, "no request was sent");
}

#[test]
fn a_proxy_variable_that_is_not_usable_is_a_config_error_without_its_password() {
    let creds = lucidauth::Credentials::new("id", "secret").unwrap();
    let e = Client::with_proxy_env(creds, &env(&[("HTTPS_PROXY", "socks5://u:hunter2@p:1")]))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().starts_with("HTTPS_PROXY: "), "{}", e.message());
    assert!(!e.message().contains("hunter2"), "{}", e.message());
    let e = CredentialsBuilder::new()
        .set("proxy", "ftp://u:hunter2@p")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.message().starts_with("key 'proxy': value is not usable"),
        "{}",
        e.message()
    );
    assert!(!e.message().contains("hunter2"), "{}", e.message());
}

#[test]
fn the_lucid_tool_reads_the_proxy_variables_from_its_environment() {
    let server = TlsServer::start();
    let Some(proxy) = Tinyproxy::start(server.port, None) else {
        return;
    };
    let dir = TempDir::new("proxy");
    let ca = dir.write("ca.pem", &server.ca_pem);
    let file = dir.write(
        "credentials.cfg",
        &format!(
            "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\nauth_endpoint = {0}\n\
             api_endpoint = {0}/v1\nca_file = {1}\n",
            server.url,
            ca.display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = |vars: &[(&str, String)]| {
        let mut cmd = support::c::lucid_command(
            &dir.0,
            &[
                "--credentials",
                file.to_str().unwrap(),
                "request",
                "GET",
                "/documents",
            ],
        );
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, br#"{"ok":true}"#);
    };
    run(&[
        ("HTTPS_PROXY", proxy.url()),
        ("NO_PROXY", "example.com".to_string()),
    ]);
    assert_eq!(proxy.connects_to(server.port), 2, "{}", proxy.log());
    run(&[
        ("https_proxy", proxy.url()),
        ("no_proxy", "localhost,127.0.0.1".to_string()),
    ]);
    assert_eq!(proxy.connects_to(server.port), 2, "{}", proxy.log());
    // `proxy = none` in the file wins over the environment.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}proxy = none\n")).unwrap();
    run(&[("HTTPS_PROXY", proxy.url())]);
    assert_eq!(proxy.connects_to(server.port), 2, "{}", proxy.log());
    assert_eq!(server.requests(), 6);
    proxy.show("the_lucid_tool_reads_the_proxy_variables_from_its_environment");
}

#[test]
fn a_tunnel_the_proxy_refuses_is_a_transport_error() {
    let server = TlsServer::start();
    // CONNECT is allowed to another port only: tinyproxy answers 403.
    let Some(proxy) = Tinyproxy::start(server.port.wrapping_add(1).max(1), None) else {
        return;
    };
    let dir = TempDir::new("proxy");
    let mut b = builder(&server, &dir, Some(&proxy.url()));
    b.set("max_retries", "0").unwrap();
    let e = Client::with_proxy_env(b.build().unwrap(), &env(&[]))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    proxy.show("a_tunnel_the_proxy_refuses_is_a_transport_error");
    println!("error: {:?}: {}", e.kind(), e.message());
    assert_eq!(e.kind(), ErrorKind::Transport, "{}", e.message());
    assert_eq!(e.http_status(), Some(403));
    assert!(
        e.message()
            .ends_with("the proxy refused to open a tunnel (CONNECT answered 403)"),
        "{}",
        e.message()
    );
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_proxy_that_is_not_there_is_a_transport_error_without_its_password() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut b = CredentialsBuilder::new();
    b.set("client_id", "CLIENT_ID").unwrap();
    b.set("client_secret", "CLIENT_SECRET").unwrap();
    b.set("auth_endpoint", "https://127.0.0.1:9").unwrap();
    b.set("max_retries", "0").unwrap();
    b.set("proxy", &format!("http://u:hunter2@127.0.0.1:{port}"))
        .unwrap();
    let e = Client::with_proxy_env(b.build().unwrap(), &env(&[]))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    println!("error: {:?}: {}", e.kind(), e.message());
    assert_eq!(e.kind(), ErrorKind::Transport, "{}", e.message());
    assert!(
        e.message().contains(&format!(
            "via the proxy http://127.0.0.1:{port} (from key 'proxy')"
        )),
        "{}",
        e.message()
    );
    assert!(!e.message().contains("hunter2"), "{}", e.message());
}

#[test]
fn an_https_proxy_is_reached_over_tls_and_tunnels_as_an_http_one() {
    let ca = support::tls_proxy::TestCa::new();
    let server = TlsServer::start_with(&ca);
    let proxy = support::tls_proxy::TlsProxy::start(&ca);
    let dir = TempDir::new("proxy");
    let creds = builder(&server, &dir, Some(&proxy.url)).build().unwrap();
    token_and_call(&Client::with_proxy_env(creds, &env(&[])).unwrap());
    let heads = proxy.heads();
    println!("an_https_proxy_is_reached_over_tls_and_tunnels_as_an_http_one: CONNECTs: {heads:?}");
    assert_eq!(heads.len(), 2, "{heads:?}");
    for head in &heads {
        assert!(
            head.starts_with(&format!("CONNECT 127.0.0.1:{} HTTP/1.1\r\n", server.port)),
            "{head}"
        );
    }
    assert_eq!(server.requests(), 2);
    assert!(heads.iter().all(|h| !h.contains("Proxy-Authorization")));

    // Credentials in the proxy URL go to the proxy, and only to it, as Proxy-Authorization.
    let url = proxy.url.replace(
        "https://",
        &format!("https://{PROXY_USER}:{PROXY_PASSWORD}@"),
    );
    let creds = builder(&server, &dir, Some(&url)).build().unwrap();
    token_and_call(&Client::with_proxy_env(creds, &env(&[])).unwrap());
    let heads = proxy.heads();
    assert_eq!(heads.len(), 4, "{heads:?}");
    for head in &heads[2..] {
        assert!(
            head.contains("\r\nProxy-Authorization: Basic cHJveHl1c2VyOnMzY3JldFBhNTU=\r\n"),
            "{head}"
        );
    }
    assert!(server.heads().iter().all(|h| !h.contains("roxy-")));

    // The proxy's certificate is checked too: without the CA, a TLS error.
    let mut b = builder(&server, &dir, Some(&proxy.url));
    b.set(
        "ca_file",
        dir.write("other.pem", &support::tls_proxy::TestCa::new().pem)
            .to_str()
            .unwrap(),
    )
    .unwrap();
    let e = Client::with_proxy_env(b.build().unwrap(), &env(&[]))
        .unwrap()
        .access_token(None)
        .unwrap_err();
    println!("error: {:?}: {}", e.kind(), e.message());
    assert_eq!(e.kind(), ErrorKind::Tls, "{}", e.message());
    assert_eq!(
        proxy.heads().len(),
        4,
        "no CONNECT sent to an unverified proxy"
    );
}
