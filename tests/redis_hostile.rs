//! The Redis store against a fake Redis on loopback that lies, trickles or refuses: the call
//! never aborts or hangs, gets its token from the token endpoint all the same, and says why in
//! the log; and what the store sends is exact (`AUTH`, `SELECT` from the URL, the commands).

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::c::lucid_command;
use support::{server, TempDir};

/// How the fake answers each command (its name upper-cased, e.g. `GETRANGE`).
type Answer = fn(&str) -> Vec<u8>;

/// A fake Redis: answers each command with `answer`, `delay` between the reply's bytes; keeps
/// every command it got, as sent.
struct FakeRedis {
    port: u16,
    received: Arc<Mutex<Vec<u8>>>,
}

impl FakeRedis {
    fn start(answer: Answer, delay: Duration) -> FakeRedis {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, answer, delay, &log));
            }
        });
        FakeRedis { port, received }
    }

    fn received(&self) -> Vec<u8> {
        self.received.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, answer: Answer, delay: Duration, log: &Mutex<Vec<u8>>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some((name, raw)) = read_command(&mut reader) {
        log.lock().unwrap().extend_from_slice(&raw);
        for chunk in answer(&name).chunks(if delay.is_zero() { usize::MAX } else { 1 }) {
            std::thread::sleep(delay);
            if writer.write_all(chunk).is_err() {
                return;
            }
        }
    }
}

/// One RESP command: its name and its bytes as sent.
fn read_command(reader: &mut impl BufRead) -> Option<(String, Vec<u8>)> {
    let mut raw = Vec::new();
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
    raw.extend_from_slice(line.as_bytes());
    let count: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut name = String::new();
    for i in 0..count {
        line.clear();
        reader.read_line(&mut line).ok()?;
        raw.extend_from_slice(line.as_bytes());
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut data = vec![0; len + 2];
        reader.read_exact(&mut data).ok()?;
        if i == 0 {
            name = String::from_utf8_lossy(&data[..len]).to_uppercase();
        }
        raw.extend_from_slice(&data);
    }
    Some((name, raw))
}

/// A well-behaved Redis with no entry: every command succeeds.
fn polite(name: &str) -> Vec<u8> {
    match name {
        "GETRANGE" => b"$0\r\n\r\n".to_vec(),
        "EVAL" => b":1\r\n".to_vec(),
        _ => b"+OK\r\n".to_vec(),
    }
}

/// `lucid token` with its shared cache at `cache_url`, warnings logged; and how long it took.
fn token_with_cache(cache_url: &str) -> (Output, Duration, usize) {
    let server = server();
    let home = TempDir::new("redis-hostile");
    let file = home.write(
        ".lucidtech/credentials.cfg",
        &format!(
            "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\nauth_endpoint = {0}\napi_endpoint = {0}/v1\ncache_url = {cache_url}\nretry_deadline = 6\n",
            server.base_url()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let started = Instant::now();
    let out = lucid_command(&home.0, &["token"])
        .env("LUCIDAUTH_LOG", "warn")
        .output()
        .unwrap();
    (out, started.elapsed(), server.token_requests())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_two_gigabyte_bulk_length_is_an_error_not_an_allocation() {
    let fake = FakeRedis::start(|_| b"$2000000000\r\n".to_vec(), Duration::ZERO);
    let (out, _, token_requests) = token_with_cache(&format!("redis://127.0.0.1:{}", fake.port));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tok-"));
    assert_eq!(token_requests, 1, "the token comes from the token endpoint");
    assert!(
        stderr(&out).contains("shared token cache unavailable (Redis: a bulk reply of 2000000000 bytes, more than the 65537 allowed); fetching directly"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_trickling_redis_costs_one_command_deadline() {
    // A valid reply, one byte every 150 ms: its 27 bytes would take 4 s, so the load's
    // GETRANGE (the first command) is cut at the 2 s deadline of a command, though a byte
    // comes every 150 ms.
    let fake = FakeRedis::start(
        |_| b"$20\r\nxxxxxxxxxxxxxxxxxxxx\r\n".to_vec(),
        Duration::from_millis(150),
    );
    let (out, took, token_requests) = token_with_cache(&format!("redis://127.0.0.1:{}", fake.port));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(token_requests, 1);
    assert!(
        stderr(&out).contains("shared token cache unavailable (Redis: "),
        "{}",
        stderr(&out)
    );
    // retry_deadline (6 s) + 2 s is the bound; one command's deadline is 2 s.
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(
        took >= Duration::from_millis(1900),
        "the deadline is 2 s: {took:?}"
    );
}

#[test]
fn auth_and_select_come_from_the_url_byte_for_byte() {
    let fake = FakeRedis::start(polite, Duration::ZERO);
    let (out, _, token_requests) =
        token_with_cache(&format!("redis://us%40r:p%3Aw@127.0.0.1:{}/5", fake.port));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "a polite Redis causes no warning");
    assert_eq!(token_requests, 1);
    let got = fake.received();
    let hello = b"*3\r\n$4\r\nAUTH\r\n$4\r\nus@r\r\n$3\r\np:w\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n";
    assert!(got.starts_with(hello), "{}", String::from_utf8_lossy(&got));
    let rest = String::from_utf8_lossy(&got[hello.len()..]).into_owned();
    let commands: Vec<&str> = rest
        .split("*")
        .filter(|c| !c.is_empty())
        .map(|c| c.split("\r\n").nth(2).unwrap_or(""))
        .collect();
    // Load, lock, load again under the lock, store, release.
    assert_eq!(
        commands,
        ["GETRANGE", "SET", "GETRANGE", "SET", "EVAL"],
        "{rest}"
    );
    assert!(rest.contains("$8\r\nGETRANGE\r\n$"), "{rest}");
    assert!(
        rest.contains("\r\n$1\r\n0\r\n$5\r\n65536\r\n"),
        "GETRANGE 0 65536: {rest}"
    );
    assert!(
        rest.contains("\r\n$2\r\nNX\r\n$2\r\nPX\r\n"),
        "SET NX PX: {rest}"
    );
}

#[test]
fn a_redis_error_is_logged_with_its_words_and_bypassed() {
    let fake = FakeRedis::start(
        |_| b"-NOPERM this user has no permissions\r\n".to_vec(),
        Duration::ZERO,
    );
    let (out, _, token_requests) = token_with_cache(&format!("redis://127.0.0.1:{}", fake.port));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(token_requests, 1);
    assert!(
        stderr(&out).contains("shared token cache unavailable (Redis answered: NOPERM this user has no permissions); fetching directly"),
        "{}",
        stderr(&out)
    );
}

/// A host name (not an IP literal) is looked up within the command's deadline, as HTTPS hosts
/// are, and reaches the server: its own words come back.
#[test]
fn a_redis_host_name_is_resolved_and_reached() {
    let fake = FakeRedis::start(|_| b"-NOPERM by name\r\n".to_vec(), Duration::ZERO);
    let (out, _, token_requests) = token_with_cache(&format!("redis://localhost:{}", fake.port));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(token_requests, 1);
    assert!(
        stderr(&out).contains("(Redis answered: NOPERM by name)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_refused_password_is_a_clear_warning_without_the_password() {
    let fake = FakeRedis::start(
        |name| match name {
            "AUTH" => b"-WRONGPASS invalid username-password pair\r\n".to_vec(),
            other => polite(other),
        },
        Duration::ZERO,
    );
    let (out, _, token_requests) =
        token_with_cache(&format!("redis://:hunter2@127.0.0.1:{}/0", fake.port));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(token_requests, 1);
    let err = stderr(&out);
    assert!(
        err.contains("Redis: AUTH refused: WRONGPASS invalid username-password pair"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
