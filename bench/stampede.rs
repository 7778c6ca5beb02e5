//! Benchmark 2: the stampede. 64 threads each read the token 1000 times while the token expires
//! 5 times; the token endpoint must be asked exactly once per expiry plus once at the start
//! (6 times), and reads that did not wait for a fetch must stay fast.
//!
//!     stampede [RUNS]
//!
//! Each run starts an in-process test server and a client whose clock is a
//! `lucidauth::ManualClock`. All threads start together on an empty cache (the first fetch is a
//! stampede too). The reads are numbered as they start; reads number k·64000/6 (k = 1..5) first
//! move the clock one token lifetime forward, so the token is stale for everyone from then on.
//! Token requests are counted by the server (`TestServer::token_requests`).
//!
//! A read "waited for a fetch" when its interval overlaps a fetch window: from the start (or a
//! clock move) to the end of the first read that returned the new token. The percentiles are of
//! the other reads, each timed with two `Instant::now()` calls (which adds about one clock read,
//! ~30 ns on the reference machine). Prints one JSON line per run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use lucidauth::{Client, ManualClock};
use lucidauth_testserver::{ServerConfig, TestServer};

const THREADS: usize = 64;
const READS_PER_THREAD: usize = 1000;
const EXPIRIES: usize = 5;
/// The server's default `expires_in`; moving the clock this far makes any token stale.
const LIFETIME: Duration = Duration::from_secs(3600);

/// What one thread saw: each read's (start, end) in ns since the run started, and when it first
/// saw each token (end of that read).
#[derive(Default)]
struct ThreadLog {
    reads: Vec<(u64, u64)>,
    first_seen: Vec<(String, u64)>,
}

struct Outcome {
    token_requests: usize,
    reads: usize,
    waited: usize,
    free: Vec<u64>,
    max_wait: u64,
}

fn run_once() -> Outcome {
    let server = TestServer::start(ServerConfig::default()).expect("test server starts");
    let base = server.base_url();
    let ini = format!(
        "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\napi_key = API_KEY\n\
         auth_endpoint = {base}\napi_endpoint = {base}/v1\n"
    );
    let creds = lucidauth::from_ini_str(&ini, None).expect("credentials");
    let clock = Arc::new(ManualClock::new());
    let client = Client::with_clock(creds, clock.clone()).expect("client");

    let total = THREADS * READS_PER_THREAD;
    let moves: Vec<usize> = (1..=EXPIRIES).map(|k| k * total / (EXPIRIES + 1)).collect();
    let started = AtomicUsize::new(0);
    let moved_at = Mutex::new(Vec::new());
    let barrier = Barrier::new(THREADS);
    let t0 = Instant::now();
    let ns = |t: Instant| t.duration_since(t0).as_nanos() as u64;

    let logs: Vec<ThreadLog> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut log = ThreadLog {
                        reads: Vec::with_capacity(READS_PER_THREAD),
                        first_seen: Vec::new(),
                    };
                    barrier.wait();
                    for _ in 0..READS_PER_THREAD {
                        let number = started.fetch_add(1, Ordering::SeqCst);
                        if moves.contains(&number) {
                            let at = ns(Instant::now());
                            clock.advance(LIFETIME);
                            moved_at.lock().unwrap().push(at);
                        }
                        let start = Instant::now();
                        let token = client.access_token(None).expect("token");
                        let end = Instant::now();
                        log.reads.push((ns(start), ns(end)));
                        if log.first_seen.last().map(|(t, _)| t.as_str()) != Some(token.secret()) {
                            log.first_seen.push((token.secret().to_string(), ns(end)));
                        }
                    }
                    log
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    // Fetch windows: [start of the run or a clock move, first return of the next token].
    let mut installed: Vec<(String, u64)> = Vec::new();
    for (token, at) in logs.iter().flat_map(|l| l.first_seen.iter()) {
        match installed.iter_mut().find(|(t, _)| t == token) {
            Some(entry) => entry.1 = entry.1.min(*at),
            None => installed.push((token.clone(), *at)),
        }
    }
    let mut installed: Vec<u64> = installed.into_iter().map(|(_, at)| at).collect();
    installed.sort_unstable();
    let mut starts = vec![0];
    starts.extend(moved_at.into_inner().unwrap());
    starts.sort_unstable();
    let windows: Vec<(u64, u64)> = starts.into_iter().zip(installed).collect();

    let mut outcome = Outcome {
        token_requests: server.token_requests(),
        reads: 0,
        waited: 0,
        free: Vec::with_capacity(total),
        max_wait: 0,
    };
    for &(start, end) in logs.iter().flat_map(|l| l.reads.iter()) {
        outcome.reads += 1;
        if windows.iter().any(|&(from, to)| start <= to && end >= from) {
            outcome.waited += 1;
            outcome.max_wait = outcome.max_wait.max(end - start);
        } else {
            outcome.free.push(end - start);
        }
    }
    outcome.free.sort_unstable();
    drop(client);
    outcome
}

/// The q-quantile (0..1) of sorted values, nearest rank.
fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() {
    let runs: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 5,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: stampede [RUNS]");
            std::process::exit(2);
        }
    };
    for run in 1..=runs {
        let o = run_once();
        println!(
            "{{\"bench\":\"stampede\",\"run\":{run},\"threads\":{THREADS},\"reads\":{},\
             \"expiries\":{EXPIRIES},\"token_requests\":{},\"expected_token_requests\":{},\
             \"waited_reads\":{},\"free_reads\":{},\"p50_ns\":{},\"p99_ns\":{},\"p999_ns\":{},\
             \"max_ns\":{},\"max_wait_ns\":{}}}",
            o.reads,
            o.token_requests,
            EXPIRIES + 1,
            o.waited,
            o.free.len(),
            quantile(&o.free, 0.50),
            quantile(&o.free, 0.99),
            quantile(&o.free, 0.999),
            o.free.last().copied().unwrap_or(0),
            o.max_wait,
        );
    }
}
