//! What crawler verification adds to a request through the `ProbeDetector` service:
//! a crawler whose address has a cached verdict, one in the published ranges, and a
//! browser (which is never looked up), each against the same detector without a
//! verifier.
//!
//! The cached case points the verifier at a loopback port where no DNS server listens:
//! the one lookup per address fails at once and its "unknown" verdict stays cached,
//! so every measured request is a cache hit, which costs the same whatever the verdict.
//!
//! Run with `cargo bench --bench verify`.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt;
use http::{Request, Response, StatusCode};
use reqlog::probe::{CrawlerVerifier, ProbeDetector};
use tower::{Layer, Service};

const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
/// Addresses the cached case rotates over (all outside Google's ranges).
const CLIENTS: u32 = 64;

fn ok(_req: Request<()>) -> std::future::Ready<Result<Response<String>, Infallible>> {
    std::future::ready(Ok(Response::new(String::new())))
}

fn request(ua: &str, ip: IpAddr) -> Request<()> {
    let mut req = Request::get("/courses/rust")
        .header("user-agent", ua)
        .body(())
        .expect("a request");
    req.extensions_mut().insert(SocketAddr::new(ip, 40_000));
    req
}

fn outside(i: u32) -> IpAddr {
    IpAddr::from((0xcb00_7100u32 + i % CLIENTS).to_be_bytes())
}

fn in_ranges(i: u32) -> IpAddr {
    IpAddr::from([66, 249, 66, (i % 30) as u8 + 1])
}

fn bench(c: &mut Criterion, name: &str, detector: ProbeDetector, ua: &str, ip: fn(u32) -> IpAddr) {
    let mut svc = detector.layer(tower::service_fn(ok));
    let mut call = |i: u32| {
        svc.call(request(ua, ip(i)))
            .now_or_never()
            .expect("ready at once")
            .expect("infallible")
    };
    // Warm the cache: one failed lookup per address, then only hits.
    for i in 0..CLIENTS {
        call(i);
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut i = 0u32;
    c.bench_function(name, |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            assert_eq!(call(i).status(), StatusCode::OK);
        })
    });
}

fn verify(c: &mut Criterion) {
    let verifier = || {
        CrawlerVerifier::new()
            .resolver("127.0.0.1:9".parse().expect("an address"))
            .dns_timeout(Duration::from_millis(100))
    };
    let with = || ProbeDetector::new().verify_crawlers(verifier());
    bench(
        c,
        "verify/crawler/none",
        ProbeDetector::new(),
        GOOGLEBOT,
        outside,
    );
    bench(c, "verify/crawler/cached", with(), GOOGLEBOT, outside);
    bench(c, "verify/crawler/ranges", with(), GOOGLEBOT, in_ranges);
    bench(
        c,
        "verify/browser/none",
        ProbeDetector::new(),
        FIREFOX,
        outside,
    );
    bench(c, "verify/browser/verifier", with(), FIREFOX, outside);
}

criterion_group!(benches, verify);
criterion_main!(benches);
