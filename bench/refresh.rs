//! Benchmark 6: refresh ahead. Readers against a token endpoint that takes 200 ms, across three
//! refreshes, on the real clock: how long does any read after the first wait, with
//! `refresh_ahead = false` (every reader that finds the token stale waits for the fetch) and with
//! it on (readers keep the current token while one background fetch renews it)?
//!
//!     refresh [RUNS] [TRACE_DIR]
//!
//! Tokens live 4 s and are renewed 2 s before expiry, so a refresh starts every ~2 s; 8 threads
//! read for 7 s (three refreshes). Prints one JSON line per run and mode; with TRACE_DIR, writes
//! `refresh-<mode>.csv` (seconds since start, read latency in µs) of the last run, for the plot.

use std::io::Write;
use std::time::{Duration, Instant};

use lucidauth::Client;
use lucidauth_testserver::{ServerConfig, TestServer};

const THREADS: usize = 8;
const RUN_FOR: Duration = Duration::from_secs(7);
const LIFETIME_SECS: u64 = 4;
const MARGIN_SECS: u64 = 2;
const ENDPOINT_DELAY: Duration = Duration::from_millis(200);

struct Outcome {
    reads: usize,
    token_requests: usize,
    max_wait_ns: u64,
    over_1ms: usize,
    trace: Vec<(f64, u64)>,
}

fn run_once(refresh_ahead: bool) -> Outcome {
    let server = TestServer::start(ServerConfig::default()).expect("test server starts");
    server.set_token_lifetime(LIFETIME_SECS);
    server.set_token_delay(ENDPOINT_DELAY);
    let base = server.base_url();
    let ini = format!(
        "client_id = CLIENT_ID\nclient_secret = CLIENT_SECRET\n\
         auth_endpoint = {base}\napi_endpoint = {base}/v1\n\
         refresh_margin = {MARGIN_SECS}\nrefresh_ahead = {refresh_ahead}\n"
    );
    let creds = lucidauth::from_ini_str(&ini, None).expect("credentials");
    let client = Client::new(creds).expect("client");
    client.access_token(None).expect("the first token");
    let t0 = Instant::now();
    let traces: Vec<Vec<(f64, u64)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut trace = Vec::new();
                    while t0.elapsed() < RUN_FOR {
                        let start = Instant::now();
                        client.access_token(None).expect("token");
                        let took = start.elapsed().as_nanos() as u64;
                        trace.push((start.duration_since(t0).as_secs_f64(), took));
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    trace
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let trace: Vec<(f64, u64)> = traces.into_iter().flatten().collect();
    Outcome {
        reads: trace.len(),
        token_requests: server.token_requests(),
        max_wait_ns: trace.iter().map(|r| r.1).max().unwrap_or(0),
        over_1ms: trace.iter().filter(|r| r.1 > 1_000_000).count(),
        trace,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let trace_dir = args.next();
    for run in 1..=runs {
        for refresh_ahead in [false, true] {
            let o = run_once(refresh_ahead);
            let mode = if refresh_ahead { "refresh_ahead" } else { "wait_at_expiry" };
            println!(
                "{{\"bench\":\"refresh\",\"run\":{run},\"mode\":\"{mode}\",\"threads\":{THREADS},\
                 \"reads\":{},\"token_requests\":{},\"max_wait_ns\":{},\"reads_over_1ms\":{}}}",
                o.reads, o.token_requests, o.max_wait_ns, o.over_1ms
            );
            if let (Some(dir), true) = (&trace_dir, run == runs) {
                let path = std::path::Path::new(dir).join(format!("refresh-{mode}.csv"));
                let mut file = std::fs::File::create(&path).expect("trace file");
                for (t, ns) in &o.trace {
                    writeln!(file, "{t:.6},{}", ns / 1000).expect("write trace");
                }
            }
        }
    }
}
