//! Redaction's worst case: one request through `RequestLog` (public API only; the sink
//! discards) whose Referer is 4 KiB of text built against the e-mail scan (`%40…`,
//! `@…`, `a@…`), 4 KiB of ordinary URL text, none, and 390 KB of `%40` (cut to the cap
//! before redaction, so it should cost what 4 KiB costs). Throughput is per Referer
//! byte, so criterion prints the cost per KiB next to the time per request.
//!
//! Run with `cargo bench --bench redact`.

use std::convert::Infallible;
use std::task::{Context, Poll};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use futures_util::FutureExt;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use reqlog::RequestLog;
use tower::{Service, ServiceBuilder, ServiceExt};

#[derive(Clone, Copy)]
struct Hello;

impl<B> Service<Request<B>> for Hello {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        std::future::ready(Ok(Response::new(Full::new(Bytes::from_static(b"ok")))))
    }
}

fn fill(unit: &str, len: usize) -> String {
    unit.repeat(len / unit.len() + 1)[..len].to_owned()
}

fn referers() -> Vec<(&'static str, String)> {
    let ordinary = "https://example.com/courses/python-jumpstart/lectures/7?utm_source=newsletter\
                    &utm_medium=email&page=2&sort=relevance&q=how+to+write+a+decorator/";
    vec![
        ("none", String::new()),
        ("ordinary_4KiB", fill(ordinary, 4096)),
        ("pct40_4KiB", fill("%40", 4096)),
        ("at_4KiB", fill("@", 4096)),
        ("a_at_4KiB", fill("a@", 4096)),
        ("pct40_390KB", fill("%40", 390_000)),
    ]
}

fn request(referer: &str) -> Request<Full<Bytes>> {
    let mut builder = Request::get("/courses/python-jumpstart?ref=newsletter")
        .header("host", "example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        );
    if !referer.is_empty() {
        builder = builder.header("referer", referer);
    }
    let mut req = builder
        .body(Full::new(Bytes::new()))
        .expect("a valid request");
    req.extensions_mut().insert(
        "203.0.113.7:50000"
            .parse::<std::net::SocketAddr>()
            .expect("an address"),
    );
    req
}

/// One request to the last body byte; everything is ready at once.
fn drive<S, B>(svc: &mut S, req: Request<Full<Bytes>>)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body + Unpin,
    B::Error: std::fmt::Debug,
{
    let ready = svc
        .ready()
        .now_or_never()
        .expect("ready")
        .expect("no error");
    let resp = ready
        .call(req)
        .now_or_never()
        .expect("ready")
        .expect("a response");
    let mut body = resp.into_body();
    while let Some(frame) = body.frame().now_or_never().expect("ready") {
        drop(frame.expect("a frame"));
    }
}

fn redact(c: &mut Criterion) {
    let mut svc = ServiceBuilder::new()
        .layer(RequestLog::new().sink(reqlog::sink::from_fn(|_| {})))
        .service(Hello);
    let mut group = c.benchmark_group("referer");
    for (name, referer) in referers() {
        group.throughput(Throughput::Bytes(referer.len().max(1) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &referer, |b, referer| {
            b.iter_batched(
                || request(referer),
                |r| drive(&mut svc, r),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, redact);
criterion_main!(benches);
