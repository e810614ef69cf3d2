//! Cost per request of the whole `ProbeDetector` service on the request path, for a
//! not-found probe answered by the application: classification, the scanner lookup and
//! the 404 count — with local state only, and with state shared through Redis
//! (`RedisState`), whose request-path cost is one push onto an in-memory queue.
//!
//! The shared case talks to a real `redis-server` when one is installed (the bench
//! starts it on a free loopback port), otherwise to an address where nothing listens;
//! either way no request waits on the network, which is what this shows.
//!
//! Run with `cargo bench --bench detector`.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt;
use http::{Request, Response, StatusCode};
use reqlog::probe::{ProbeDetector, RedisState};
use tower::{Layer, Service};

/// Distinct clients the requests rotate over, so that few are ever flagged.
const CLIENTS: u32 = 4096;

fn not_found(_req: Request<()>) -> std::future::Ready<Result<Response<String>, Infallible>> {
    let mut response = Response::new(String::new());
    *response.status_mut() = StatusCode::NOT_FOUND;
    std::future::ready(Ok(response))
}

fn request(i: u32) -> Request<()> {
    let mut req = Request::get(format!("/wp-content/plugins/p{}/readme.txt", i % 64))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Firefox/120.0",
        )
        .body(())
        .expect("a request");
    let ip = IpAddr::from((0xc633_6400u32 + i % CLIENTS).to_be_bytes());
    req.extensions_mut().insert(SocketAddr::new(ip, 40_000));
    req
}

/// A `redis-server` of the bench's own, if one is installed.
struct Redis(Child, u16);

impl Redis {
    fn start() -> Option<Redis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Redis(child, port))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bench(c: &mut Criterion, name: &str, detector: ProbeDetector) {
    let mut svc = detector.layer(tower::service_fn(not_found));
    let mut i = 0u32;
    c.bench_function(name, |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let response = svc
                .call(request(i))
                .now_or_never()
                .expect("ready at once")
                .expect("infallible");
            assert_eq!(response.status(), StatusCode::NOT_FOUND);
        })
    });
}

fn detector(c: &mut Criterion) {
    bench(c, "detector_404/local", ProbeDetector::new());
    let redis = Redis::start();
    let url = match &redis {
        Some(r) => format!("redis://127.0.0.1:{}", r.1),
        None => {
            eprintln!("redis-server not found (Debian package redis-server): the shared case sends to an address where nothing listens");
            "redis://127.0.0.1:1".to_owned()
        }
    };
    let state = RedisState::new(&url).expect("a Redis URL");
    bench(
        c,
        "detector_404/shared_redis",
        ProbeDetector::new().shared_state(state.clone()),
    );
    eprintln!(
        "shared state: connected {}, batches sent {}, errors {}, events dropped {}",
        state.is_connected(),
        state.batches_sent(),
        state.errors(),
        state.dropped_events()
    );
}

criterion_group!(benches, detector);
criterion_main!(benches);
