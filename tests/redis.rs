//! ProbeDetector state shared through a real Redis: two app instances in one test, a
//! scanner alternating between them, Redis stopped and restarted mid-run.
//!
//! Each test starts its own `redis-server` (Debian package `redis-server`, installed by
//! `.ci/run`) on a free loopback port. Under `CI=true` a missing `redis-server` fails
//! the test; elsewhere it is a loud skip.
#![cfg(feature = "redis")]

mod support;

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use reqlog::probe::{ProbeDetector, ProbeVerdict, RedisState};
use reqlog::RequestLog;
use support::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

fn redis_server() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("redis-server"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("redis-server not found: install the Debian package redis-server");
        }
        eprintln!("SKIPPED: redis-server not found (Debian package redis-server)");
    }
    found
}

/// A `redis-server` of this test's own, without persistence, on a loopback address of
/// its own (127.0.3.N): a test that stops and restarts it must find its port free, and
/// the other tests of this file bind 127.0.0.1:0 while it is down.
struct Redis {
    binary: PathBuf,
    host: String,
    port: u16,
    child: Option<Child>,
}

impl Redis {
    fn start() -> Option<Redis> {
        static NEXT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(10);
        let binary = redis_server()?;
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let host = format!("127.0.3.{n}");
        let port = std::net::TcpListener::bind((host.as_str(), 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Redis {
            binary,
            host,
            port,
            child: None,
        };
        redis.run();
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://{}:{}", self.host, self.port)
    }

    fn run(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--bind", &self.host, "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect((self.host.as_str(), self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One app instance: RequestLog (trusting the loopback proxy, so each test client has
/// its own address in `X-Forwarded-For`) around a detector that shares `state`.
async fn instance(state: &RedisState) -> SocketAddr {
    let detector = ProbeDetector::new().shared_state(state.clone());
    let log = RequestLog::new()
        .sink(reqlog::sink::MemorySink::new())
        .trust_proxies(["127.0.0.0/8".parse().unwrap()]);
    let app = Router::new()
        .route(
            "/verdict",
            get(|req: axum::extract::Request| async move {
                let v = ProbeVerdict::from_request(&req);
                format!("scanning={}", v.is_some_and(|v| v.scanning))
            }),
        )
        .layer(tower::ServiceBuilder::new().layer(log).layer(detector));
    serve_axum(app).await
}

fn state(redis: &Redis, prefix: &str) -> RedisState {
    RedisState::new(&redis.url())
        .unwrap()
        .key_prefix(prefix)
        .flush_interval(Duration::from_millis(50))
        .poll_interval(Duration::from_millis(100))
}

async fn get_from(addr: SocketAddr, path: &str, client: &str) -> (u16, String) {
    fetch(
        addr,
        &format!("{path} HTTP/1.1\r\nUser-Agent: {FIREFOX}\r\nX-Forwarded-For: {client}"),
    )
    .await
}

async fn scanning(addr: SocketAddr, client: &str) -> bool {
    let (status, text) = get_from(addr, "/verdict", client).await;
    assert_eq!(status, 200, "{text}");
    text.ends_with("scanning=true")
}

/// Waits until `client` is seen as scanning by `addr`; returns how long that took.
async fn until_scanning(addr: SocketAddr, client: &str) -> Duration {
    let start = Instant::now();
    while !scanning(addr, client).await {
        assert!(
            start.elapsed() < WAIT,
            "{client} never became flagged on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

/// Waits until `f` holds (a counter of the state moved), bounded.
async fn until(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Ten distinct 404s from `client`, alternating between the two instances (five
/// each: under either instance's own threshold of ten).
async fn alternate_probes(a: SocketAddr, b: SocketAddr, client: &str, tag: &str) {
    for i in 0..10 {
        let target = if i % 2 == 0 { a } else { b };
        let (status, _) = get_from(target, &format!("/{tag}/missing-{i}"), client).await;
        assert_eq!(status, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanner_spread_over_two_instances_is_flagged_on_both() {
    let Some(redis) = Redis::start() else { return };
    let (sa, sb) = (state(&redis, "t1"), state(&redis, "t1"));
    let (a, b) = (instance(&sa).await, instance(&sb).await);
    until("both instances to connect", || {
        sa.is_connected() && sb.is_connected()
    })
    .await;

    // Nine distinct 404s in total: nobody is flagged, here or there.
    let quiet = "198.51.100.9";
    for i in 0..9 {
        let target = if i % 2 == 0 { a } else { b };
        assert_eq!(
            get_from(target, &format!("/q/missing-{i}"), quiet).await.0,
            404
        );
    }
    let (batches, polls) = (
        sa.batches_sent() + sb.batches_sent(),
        sa.polls() + sb.polls(),
    );
    until("the counts to be sent and flags read twice", || {
        sa.batches_sent() + sb.batches_sent() >= batches + 2 && sa.polls() + sb.polls() >= polls + 4
    })
    .await;
    assert!(!scanning(a, quiet).await && !scanning(b, quiet).await);

    // The tenth crosses the shared threshold: flagged on both within a second.
    let scanner = "203.0.113.10";
    alternate_probes(a, b, scanner, "s").await;
    let on_a = until_scanning(a, scanner).await;
    let on_b = until_scanning(b, scanner).await;
    assert!(
        on_a.max(on_b) < Duration::from_secs(1),
        "flag reached A after {on_a:?}, B after {on_b:?}"
    );
    assert!(sa.flags_published() + sb.flags_published() >= 1);
    // Each instance reads the flags stream (its own entries too) on its next poll: the
    // instance that published may see B flagged before its own poll came round.
    until("both instances to read the flag from the stream", || {
        sa.flags_received() >= 1 && sb.flags_received() >= 1
    })
    .await;
    // Other clients are untouched.
    assert!(!scanning(a, "192.0.2.55").await);
    assert_eq!(sa.errors() + sb.errors(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_set_locally_reaches_the_other_instance() {
    let Some(redis) = Redis::start() else { return };
    let (sa, sb) = (state(&redis, "t2"), state(&redis, "t2"));
    let (a, b) = (instance(&sa).await, instance(&sb).await);
    until("both instances to connect", || {
        sa.is_connected() && sb.is_connected()
    })
    .await;
    let scanner = "203.0.113.20";
    for i in 0..10 {
        get_from(a, &format!("/only-a/missing-{i}"), scanner).await;
    }
    assert!(
        scanning(a, scanner).await,
        "flagged at once by its own count"
    );
    until_scanning(b, scanner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_run_costs_no_latency_and_sharing_resumes() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let (sa, sb) = (state(&redis, "t3"), state(&redis, "t3"));
    let (a, b) = (instance(&sa).await, instance(&sb).await);
    until("both instances to connect", || {
        sa.is_connected() && sb.is_connected()
    })
    .await;

    redis.stop();
    // Requests keep flowing while the workers find Redis gone and retry: each one is
    // answered without waiting on Redis (the bound is far below the connect timeout
    // and backoff a request would see if it waited).
    let mut slowest = Duration::ZERO;
    for i in 0..60 {
        let start = Instant::now();
        let (status, _) = get_from(a, &format!("/down/missing-{i}"), "192.0.2.77").await;
        assert_eq!(status, 404);
        slowest = slowest.max(start.elapsed());
        if i == 30 {
            until("the worker to notice", || {
                sa.errors() > 0 && !sa.is_connected()
            })
            .await;
        }
    }
    assert!(
        slowest < Duration::from_millis(200),
        "a request took {slowest:?}"
    );
    // Alone, each instance still flags by its own count.
    assert!(scanning(a, "192.0.2.77").await);
    until("unshared counts to be counted", || sa.unshared_events() > 0).await;
    // B had no traffic: wait until its worker too has found Redis gone, or "connected"
    // below could be its stale view from before the outage, and its first counts after
    // the restart would go to a dead connection.
    until("B's worker to notice", || {
        sb.errors() > 0 && !sb.is_connected()
    })
    .await;

    // Redis returns (empty: no persistence); both instances share again.
    redis.run();
    until("both instances to reconnect", || {
        sa.is_connected() && sb.is_connected()
    })
    .await;
    let scanner = "203.0.113.30";
    alternate_probes(a, b, scanner, "back").await;
    until_scanning(a, scanner).await;
    until_scanning(b, scanner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_never_answers_stalls_nothing() {
    // Accepts connections, never answers: the worker's reads time out.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().flatten() {
            held.push(s);
        }
    });
    let state = RedisState::new(&format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .flush_interval(Duration::from_millis(20));
    let a = instance(&state).await;
    let mut slowest = Duration::ZERO;
    for i in 0..40 {
        let start = Instant::now();
        let (status, _) = get_from(a, &format!("/silent/missing-{i}"), "192.0.2.88").await;
        assert_eq!(status, 404);
        slowest = slowest.max(start.elapsed());
    }
    until("the worker to give up on the silent server", || {
        state.errors() > 0
    })
    .await;
    assert!(!state.is_connected());
    assert!(
        slowest < Duration::from_millis(200),
        "a request took {slowest:?}"
    );
    assert!(scanning(a, "192.0.2.88").await, "local counting goes on");
}
