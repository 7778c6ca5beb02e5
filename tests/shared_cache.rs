//! The shared token cache: processes of the `lucid` tool sharing one token through a directory
//! (`use_cache = true`) or through Redis (`cache_url`), counted at the local server.
#![cfg(unix)]

mod support;

use lucidauth_testserver::TestServer;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::c::lucid_command;
use support::raw::{send, RawServer};
use support::*;

/// A home with a credentials file for `auth_url` that uses the shared cache in `<home>/cache`.
fn cached_home(auth_url: &str, extra: &str) -> TempDir {
    let home = TempDir::new("shared");
    home.write(
        ".lucidtech/credentials.cfg",
        &format!(
            "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\napi_key = API_KEY\nauth_endpoint = {auth_url}\n\
             api_endpoint = {auth_url}/v1\nuse_cache = true\ncache_dir = {}\nretry_backoff_ms = 1\n{extra}",
            home.0.join("cache").display()
        ),
    );
    home
}

fn lucid_in(home: &Path, args: &[&str]) -> Command {
    let mut cmd = lucid_command(home, args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Asserts that every process exited 0, showing the stderr of one that did not.
fn assert_all_succeeded(outputs: &[Output]) {
    for o in outputs {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Starts `n` processes of `lucid args` at once and waits for all of them.
fn at_once(n: usize, home: &Path, args: &[&str]) -> Vec<Output> {
    let children: Vec<Child> = (0..n)
        .map(|_| lucid_in(home, args).spawn().unwrap())
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn entry_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn sixteen_processes_share_one_token_request() {
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let outputs = at_once(16, &home.0, &["token"]);
    assert_all_succeeded(&outputs);
    let tokens: Vec<String> = outputs.iter().map(stdout).collect();
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "every process printed the same token"
    );
    assert_eq!(server.token_requests(), 1);

    let again = at_once(16, &home.0, &["token"]);
    assert!(again.iter().all(|o| stdout(o) == tokens[0]));
    assert_eq!(
        server.token_requests(),
        1,
        "a second round makes no token request"
    );
}

#[test]
fn cache_directory_and_files_are_private_and_a_corrupt_entry_is_replaced() {
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let out = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let dir = home.0.join("cache");
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "one entry and its lock file: {files:?}");
    for f in &files {
        assert_eq!(
            std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            f.display()
        );
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let (stem, extension) = name.split_once('.').unwrap();
        assert!(
            stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()),
            "named by a hash: {name}"
        );
        assert!(extension == "json" || extension == "lock", "{name}");
    }
    let entry = &entry_files(&dir)[0];
    let text = std::fs::read_to_string(entry).unwrap();
    assert!(!text.contains("CLIENT_SECRET") && !text.contains("API_KEY"));
    assert!(text.contains(stdout(&out).trim()));

    std::fs::write(entry, "{ not json").unwrap();
    let out = lucid_in(&home.0, &["token"])
        .env("LUCIDAUTH_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not JSON; it will be replaced"));
    assert_eq!(
        server.token_requests(),
        2,
        "the corrupt entry cost one fetch"
    );
    let replaced = std::fs::read_to_string(entry).unwrap();
    assert!(replaced.contains(stdout(&out).trim()));
    assert_eq!(
        std::fs::metadata(entry).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // An entry of other credentials under the same name is ignored and replaced, too.
    std::fs::write(entry, replaced.replace("CLIENT_ID", "SOMEONE_ELSE")).unwrap();
    let out = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(server.token_requests(), 3);

    // And one whose token could not be a token (a NUL, a space) is never handed out.
    let token = stdout(&out).trim().to_string();
    let current = std::fs::read_to_string(entry).unwrap();
    std::fs::write(entry, current.replace(&token, "bad\\u0000 token")).unwrap();
    let out = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("tok-"), "{}", stdout(&out));
    assert_eq!(server.token_requests(), 4);
}

#[test]
fn a_process_killed_while_holding_the_lock_does_not_block_the_others() {
    // The first token request stalls; later ones are answered.
    let raw = RawServer::start(|n, s| {
        if n == 0 {
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        let body = r#"{"access_token":"tok-after-kill","expires_in":3600,"token_type":"Bearer"}"#;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        send(s, head.as_bytes());
        send(s, body.as_bytes());
    });
    let home = cached_home(&raw.url(), "timeout = 60\n");
    let mut holder = lucid_in(&home.0, &["token"]).spawn().unwrap();
    let started = Instant::now();
    while raw.connections() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the first process never asked for a token"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let waiter = lucid_in(&home.0, &["token"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    holder.kill().unwrap();
    holder.wait().unwrap();
    let out = waiter.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out), "tok-after-kill\n");
    assert_eq!(
        raw.connections(),
        2,
        "one more request after the holder died"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn eight_processes_that_see_a_401_make_one_new_fetch() {
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let first = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(server.token_requests(), 1);
    server.revoke_all();
    let outputs = at_once(8, &home.0, &["request", "GET", "/documents"]);
    assert_all_succeeded(&outputs);
    assert_eq!(
        server.token_requests(),
        2,
        "exactly one new fetch for the eight"
    );
    // Each process sends once with the old token and, after its 401, once more; one that
    // starts after the new token is stored sends only once.
    let api = server.api_requests();
    assert!((9..=16).contains(&api), "{api} API requests");
    let after = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_ne!(stdout(&after), stdout(&first));
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn the_memory_cache_stays_in_front_of_the_disk() {
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let creds = lucidauth::from_file(&home.0.join(".lucidtech/credentials.cfg"), None).unwrap();
    let client = lucidauth::Client::new(creds).unwrap();
    let token = client.access_token(None).unwrap();
    let dir = home.0.join("cache");
    for f in entry_files(&dir) {
        std::fs::remove_file(f).unwrap();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_eq!(
        client.access_token(None).unwrap().secret(),
        token.secret(),
        "no disk read needed"
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(server.token_requests(), 1);
}

/// A redis-server on a free loopback port, stopped when dropped; `None` when it is not installed.
struct Redis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Redis {
    fn start() -> Option<Redis> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            println!("skipped: redis-server not found");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = TempDir::new("redis");
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&dir.0)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Redis {
            child,
            port,
            _dir: dir,
        })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn redis_home(server: &TestServer, redis_url: &str) -> TempDir {
    cached_home(&server.base_url(), &format!("cache_url = {redis_url}\n"))
}

#[test]
fn two_hosts_share_one_token_through_redis_and_survive_its_loss() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let server = server();
    let (host_a, host_b) = (
        redis_home(&server, &redis.url()),
        redis_home(&server, &redis.url()),
    );
    let mut outputs = at_once(4, &host_a.0, &["token"]);
    outputs.extend(at_once(4, &host_b.0, &["token"]));
    let tokens: Vec<String> = outputs.iter().map(stdout).collect();
    assert_all_succeeded(&outputs);
    assert!(tokens
        .iter()
        .all(|t| t == &tokens[0] && t.starts_with("tok-")));
    assert_eq!(
        server.token_requests(),
        1,
        "one token request for both hosts"
    );
    assert!(
        !host_a.0.join("cache").exists(),
        "Redis, not the directory, holds the entry"
    );

    // The 401 rule through Redis: eight processes on two hosts, one new fetch.
    server.revoke_all();
    let mut outputs = at_once(4, &host_a.0, &["request", "GET", "/documents"]);
    outputs.extend(at_once(4, &host_b.0, &["request", "GET", "/documents"]));
    assert_all_succeeded(&outputs);
    assert_eq!(server.token_requests(), 2);

    redis.stop();
    let out = lucid_in(&host_a.0, &["request", "GET", "/documents"])
        .env("LUCIDAUTH_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("shared token cache unavailable"));
    assert_eq!(
        server.token_requests(),
        3,
        "without Redis each process fetches for itself"
    );
}

#[test]
fn plain_redis_to_another_host_is_refused() {
    let mut b = lucidauth::CredentialsBuilder::new();
    b.set("client_id", "i")
        .unwrap()
        .set("client_secret", "s")
        .unwrap();
    b.set("cache_url", "redis://:hunter2@cache.example.com:6379/0")
        .unwrap();
    let e = b.build().unwrap_err();
    assert_eq!(e.kind(), lucidauth::ErrorKind::InsecureUrl);
    assert!(!e.message().contains("hunter2"));
    b.set("cache_url", "rediss://:hunter2@cache.example.com:6379/0")
        .unwrap();
    assert!(b.build().is_ok());
    assert!(!format!("{:?}", b.build().unwrap()).contains("hunter2"));
}
