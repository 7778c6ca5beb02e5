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

    /// `redis-cli` on this server (it comes with redis-server), with `stdin` as the last
    /// argument when given (`-x`); its output, trimmed.
    fn cli(&self, args: &[&str], stdin: Option<&[u8]>) -> String {
        use std::io::Write;
        let mut command = Command::new("redis-cli");
        command.args(["-p", &self.port.to_string()]);
        if stdin.is_some() {
            command.arg("-x");
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("redis-cli runs");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or_default()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "redis-cli {args:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
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

/// Waits for `child` at most `limit`; kills it and fails when it takes longer.
fn wait_at_most(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process hung for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

#[test]
fn a_fifo_planted_as_the_entry_or_the_lock_does_not_hang_the_call() {
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let first = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    let entry = entry_files(&home.0.join("cache"))[0].clone();
    std::fs::remove_file(&entry).unwrap();
    mkfifo(&entry);
    let out = wait_at_most(
        lucid_in(&home.0, &["token"])
            .env("LUCIDAUTH_LOG", "warn")
            .spawn()
            .unwrap(),
        Duration::from_secs(10),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).starts_with("tok-"));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a regular file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The lock file as a FIFO: the cache is bypassed, the call goes on.
    let lock = entry.with_extension("lock");
    std::fs::remove_file(&entry).unwrap();
    std::fs::remove_file(&lock).unwrap();
    mkfifo(&lock);
    let out = wait_at_most(
        lucid_in(&home.0, &["token"]).spawn().unwrap(),
        Duration::from_secs(10),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn links_planted_in_the_cache_are_not_followed() {
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let first = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    let dir = home.0.join("cache");
    let entry = entry_files(&dir)[0].clone();
    let name = entry.file_stem().unwrap().to_string_lossy().to_string();

    // An entry that is a link to a valid entry elsewhere is not read.
    let elsewhere = home.0.join("elsewhere.json");
    std::fs::rename(&entry, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    let out = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        server.token_requests(),
        2,
        "the linked entry was not trusted"
    );
    assert!(
        !std::fs::symlink_metadata(&entry)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file of the cache's own"
    );

    // Links planted where a temporary file could be made (the old name: <entry>.<pid>.tmp)
    // never lead a write out of the directory.
    std::fs::remove_file(&entry).unwrap();
    let victim = home.0.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(
        &victim,
        dir.join(format!("{name}.{}.tmp", std::process::id())),
    )
    .unwrap();
    let creds = lucidauth::from_file(&home.0.join(".lucidtech/credentials.cfg"), None).unwrap();
    let client = lucidauth::Client::new(creds).unwrap();
    client.access_token(None).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&entry).unwrap().is_file());
    let temps: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp") && !n.contains(&format!(".{}.", std::process::id())))
        .collect();
    assert!(temps.is_empty(), "no temporary file left behind: {temps:?}");
}

#[test]
fn a_cache_directory_of_another_user_is_not_used() {
    if unsafe_free_euid() != 0 {
        println!("skipped: needs root to give the directory to another user");
        return;
    }
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let dir = home.0.join("cache");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    let out = lucid_in(&home.0, &["token"])
        .env("LUCIDAUTH_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("tok-"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("belongs to user 65534"), "{stderr}");
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "nothing written in the other user's directory"
    );
    // A link to it, made by this user, is refused as well.
    let link = home.0.join("link");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    let home2 = cached_home(
        &server.base_url(),
        &format!("cache_dir = {}\n", link.display()),
    );
    let out = lucid_in(&home2.0, &["token"])
        .env("LUCIDAUTH_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("belongs to user 65534"));
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
}

/// The effective uid, read as the owner of a file this process creates.
fn unsafe_free_euid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new("euid");
    let probe = dir.write("probe", "");
    std::fs::metadata(probe).unwrap().uid()
}

#[test]
fn a_wrong_secret_gets_no_token_from_the_disk_cache() {
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let first = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    let wrong = cached_home(
        &server.base_url(),
        &format!("cache_dir = {}\n", home.0.join("cache").display()),
    );
    let cfg = wrong.0.join(".lucidtech/credentials.cfg");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("client_secret = CLIENT_SECRET", "client_secret = WRONG"),
    )
    .unwrap();
    let out = lucid_in(&wrong.0, &["token"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("LUCID_STATUS_CREDENTIALS_REJECTED"));
    assert_eq!(
        server.token_requests(),
        2,
        "the wrong secret went to the server"
    );
    // The right one still shares the entry.
    let again = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(stdout(&again), stdout(&first));
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn redis_entries_are_authenticated_and_capped() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let server = server();
    let home = redis_home(&server, &redis.url());
    let first = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(first.status.code(), Some(0));

    // A wrong secret is not handed the shared token.
    let wrong = redis_home(&server, &redis.url());
    let cfg = wrong.0.join(".lucidtech/credentials.cfg");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("client_secret = CLIENT_SECRET", "client_secret = WRONG"),
    )
    .unwrap();
    let out = lucid_in(&wrong.0, &["token"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(server.token_requests(), 2);

    // A huge value is not read, only recognised as not ours.
    let keys = redis.cli(&["--scan", "--pattern", "lucidauth:token:*"], None);
    let keys: Vec<&str> = keys.lines().collect();
    assert_eq!(keys.len(), 1);
    let huge = vec![b'x'; 8 * 1024 * 1024];
    assert_eq!(redis.cli(&["SET", keys[0]], Some(&huge)), "OK");
    let out = lucid_in(&home.0, &["token"])
        .env("LUCIDAUTH_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is larger than 65536 bytes; it will be replaced"),
        "{stderr}"
    );
    assert_eq!(server.token_requests(), 3);
    let len: u64 = redis.cli(&["STRLEN", keys[0]], None).parse().unwrap();
    assert!(len < 65536, "the entry was replaced");
}

/// A CA and a certificate for 127.0.0.1 signed by it, as PEM files in `dir`: (ca, cert, key).
fn tls_files(dir: &TempDir) -> (PathBuf, PathBuf, PathBuf) {
    let ca = support::ca::TestCa::new();
    let (leaf, leaf_key) = ca.leaf(&["127.0.0.1", "localhost"]);
    (
        dir.write("ca.pem", &ca.pem),
        dir.write("redis.crt", &leaf.pem()),
        dir.write("redis.key", &leaf_key.serialize_pem()),
    )
}

#[test]
fn a_tls_redis_with_a_private_ca_and_a_password_is_shared() {
    let tls_dir = TempDir::new("redis-tls");
    let (ca, cert, key) = tls_files(&tls_dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spawned = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--tls-auth-clients",
            "no",
        ])
        .args(["--requirepass", "s3cret-pw"])
        .arg("--tls-cert-file")
        .arg(&cert)
        .arg("--tls-key-file")
        .arg(&key)
        .arg("--tls-ca-cert-file")
        .arg(&ca)
        .arg("--dir")
        .arg(&tls_dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = spawned else {
        println!("skipped: redis-server not found");
        return;
    };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            println!(
                "skipped: redis-server does not run with TLS here: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let server = server();
    let url = format!("rediss://:s3cret-pw@127.0.0.1:{port}/0");
    let extra = format!("cache_url = {url}\nca_file = {}\n", ca.display());
    let (a, b) = (
        cached_home(&server.base_url(), &extra),
        cached_home(&server.base_url(), &extra),
    );
    let outputs = vec![
        lucid_in(&a.0, &["token"])
            .env("LUCIDAUTH_LOG", "warn")
            .output()
            .unwrap(),
        lucid_in(&b.0, &["token"])
            .env("LUCIDAUTH_LOG", "warn")
            .output()
            .unwrap(),
    ];
    let _ = child.kill();
    let _ = child.wait();
    assert_all_succeeded(&outputs);
    for o in &outputs {
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("shared token cache"), "{stderr}");
        assert!(!stderr.contains("s3cret-pw"), "{stderr}");
    }
    assert_eq!(stdout(&outputs[0]), stdout(&outputs[1]));
    assert_eq!(
        server.token_requests(),
        1,
        "one token for both, through the TLS Redis"
    );
}

#[test]
fn an_entry_expiring_at_the_end_of_time_is_no_panic() {
    let server = server();
    let home = cached_home(&server.base_url(), "");
    let first = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    let entry = entry_files(&home.0.join("cache"))[0].clone();
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    json["expires_at_ms"] = serde_json::json!(u64::MAX);
    json["lifetime_ms"] = serde_json::json!(u64::MAX);
    std::fs::write(&entry, json.to_string()).unwrap();
    let out = lucid_in(&home.0, &["token"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).starts_with("tok-"));
}

#[test]
fn the_token_endpoint_of_an_issuer_is_kept_in_redis_for_a_day() {
    use lucidauth::{Client, CredentialsBuilder};
    use lucidauth_testserver::{Metadata, ServerConfig};
    let Some(redis) = Redis::start() else {
        return;
    };
    let server = server_with(ServerConfig {
        metadata: Some(Metadata {
            issuer_path: "/oauth2/abc".into(),
            ..Metadata::default()
        }),
        ..ServerConfig::default()
    });
    let mut b = CredentialsBuilder::new();
    for (key, value) in [
        ("client_id", "CLIENT_ID"),
        ("client_secret", "CLIENT_SECRET"),
        ("issuer", &server.issuer()),
        ("cache_url", &redis.url()),
    ] {
        b.set(key, value).unwrap();
    }
    for scope in ["a", "b"] {
        let host = Client::new(b.build().unwrap()).unwrap();
        host.access_token(Some(scope)).unwrap();
    }
    assert_eq!(
        server.metadata_requests(),
        1,
        "the second host reads it from Redis"
    );
    assert_eq!(server.token_requests(), 2);
    let keys = redis.cli(&["--raw", "KEYS", "lucidauth:token:*"], None);
    let mut ttls: Vec<u64> = keys
        .lines()
        .map(|key| redis.cli(&["TTL", key], None).parse().unwrap())
        .collect();
    ttls.sort();
    assert_eq!(ttls.len(), 3, "two tokens and the token endpoint: {keys}");
    assert!((86_390..=86_400).contains(&ttls[2]), "{ttls:?}");
}
