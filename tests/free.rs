//! `lucid_client_free` never waits on the network: a renewal stuck in a server that does not
//! answer runs detached, and freeing the client from the log callback on the renewal's own
//! thread is safe and prints nothing.

mod support;

use lucidauth::ffi::*;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::process::Command;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::time::{Duration, Instant};
use support::raw::{send, RawServer};

/// Answers the first `answered` token requests with a token of 2 s (so that its refresh window,
/// `refresh_margin = 1`, starts after 1 s), and holds every later one for 30 s.
fn token_server(answered: usize) -> RawServer {
    RawServer::start(move |n, stream| {
        if n >= answered {
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        let body = format!(r#"{{"access_token":"tok{n}","expires_in":2,"token_type":"Bearer"}}"#);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        send(stream, format!("{head}{body}").as_bytes());
    })
}

fn client_for(server: &RawServer) -> *mut LucidClient {
    let builder = lucid_credentials_builder_new();
    let url = server.url();
    for (key, value) in [
        ("client_id", "CLIENT_ID"),
        ("client_secret", "CLIENT_SECRET"),
        ("auth_endpoint", url.as_str()),
        ("api_endpoint", url.as_str()),
        ("refresh_margin", "1"),
        ("timeout", "20"),
        ("retry_deadline", "25"),
    ] {
        let (key, value) = (CString::new(key).unwrap(), CString::new(value).unwrap());
        let status =
            lucid_credentials_builder_set(builder, key.as_ptr(), value.as_ptr(), ptr::null_mut());
        assert_eq!(status, LucidStatus::Ok, "{key:?}");
    }
    let mut creds = ptr::null_mut();
    let status = lucid_credentials_builder_build(builder, &mut creds, ptr::null_mut());
    assert_eq!(status, LucidStatus::Ok);
    lucid_credentials_builder_free(builder);
    let mut client = ptr::null_mut();
    assert_eq!(
        lucid_client_new(creds, &mut client, ptr::null_mut()),
        LucidStatus::Ok
    );
    lucid_credentials_free(creds);
    client
}

fn token(client: *const LucidClient) -> String {
    let mut out: *mut c_char = ptr::null_mut();
    let status = lucid_client_access_token(client, ptr::null(), &mut out, ptr::null_mut());
    assert_eq!(status, LucidStatus::Ok);
    // SAFETY: on success the library wrote a NUL-terminated string it owns to `out`.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
    lucid_string_free(out);
    text
}

/// Waits (at most 10 s) until `done` holds.
fn eventually(what: &str, done: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn free_returns_at_once_while_a_renewal_is_stuck() {
    let server = token_server(1);
    let client = client_for(&server);
    assert_eq!(token(client), "tok0");
    // In its refresh window: served at once, and a renewal starts, which the server holds.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(token(client), "tok0");
    eventually("the renewal's request", || server.connections() == 2);
    let started = Instant::now();
    lucid_client_free(client);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "free took {took:?}");
}

static CLIENT: AtomicPtr<LucidClient> = AtomicPtr::new(ptr::null_mut());
static FREED: AtomicBool = AtomicBool::new(false);

/// Frees the client from the renewal thread, when that thread says it is renewing.
extern "C" fn free_on_renewal(_: *mut c_void, _level: i32, message: *const c_char) {
    // SAFETY: the library passes a NUL-terminated message valid during this call.
    let message = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    let on_renewal = std::thread::current().name() == Some("lucidauth-refresh");
    if on_renewal && message.contains("renewing it in the background") {
        let client = CLIENT.swap(ptr::null_mut(), Ordering::SeqCst);
        lucid_client_free(client);
        FREED.store(!client.is_null(), Ordering::SeqCst);
    }
}

/// Run only as the child of the test below, which reads its stderr.
#[test]
fn child_frees_from_the_log_callback() {
    if std::env::var_os("LUCIDAUTH_FREE_CHILD").is_none() {
        return;
    }
    let server = token_server(2);
    let client = client_for(&server);
    assert_eq!(token(client), "tok0");
    CLIENT.store(client, Ordering::SeqCst);
    lucid_set_log_callback(Some(free_on_renewal), ptr::null_mut(), 4);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(token(client), "tok0");
    eventually("the free in the callback", || FREED.load(Ordering::SeqCst));
    // The detached renewal gets its answer after the free, and ends with what it owns.
    eventually("the renewal's request", || server.connections() == 2);
    std::thread::sleep(Duration::from_millis(300));
    lucid_set_log_callback(None, ptr::null_mut(), 0);
}

#[test]
fn free_from_the_log_callback_on_the_renewal_thread_prints_nothing() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_frees_from_the_log_callback",
            "--nocapture",
        ])
        .env("LUCIDAUTH_FREE_CHILD", "1")
        .env_remove("LUCIDAUTH_LOG")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert_eq!(stderr, "", "nothing on stderr");
}
