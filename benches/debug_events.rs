//! What debug events cost (issue #18 point 2): a request behind `RequestLog` whose
//! handler emits 0, 10 or 1,000 `debug!` events (three fields and a message each),
//! with and without the debug-events layer, the request succeeding (its buffer is
//! dropped) or failing (its events go on the line); and one `debug!` outside any
//! request. The subscriber is a registry with a console layer filtered to INFO (writing
//! to `io::sink`), as an application would have it; the sink formats each record as a
//! JSON line into a buffer. Each request is driven to its last body byte on the bench
//! thread.
//!
//! Run: `cargo bench --bench debug_events -- --warm-up-time 1 --measurement-time 3`.
//! The figures are in BENCHMARKS.md ("What issue #18 costs: debug events").

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use reqlog::debug_events::DebugEvents;
use reqlog::format::{Format, JsonLines};
use reqlog::{Record, RequestLog};
use tower::{service_fn, Layer, Service, ServiceExt};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer as _;

/// A handler that emits `events` debug events and answers `status`.
fn handler<B>(
    events: u64,
    status: StatusCode,
) -> impl Fn(Request<B>) -> std::future::Ready<Result<Response<Full<Bytes>>, Infallible>> + Clone {
    move |_req| {
        for attempt in 0..events {
            tracing::debug!(
                provider = "fakepay",
                amount = 1999u64,
                attempt,
                "calling the provider"
            );
        }
        let mut response = Response::new(Full::new(Bytes::from_static(b"<h1>paid</h1>")));
        *response.status_mut() = status;
        std::future::ready(Ok(response))
    }
}

fn log(debug: bool) -> RequestLog {
    let sink = reqlog::sink::from_fn(|record: &Record| {
        let mut line = Vec::with_capacity(512);
        JsonLines::new().format(record, &mut line);
        black_box(line);
    });
    let log = RequestLog::new().sink(sink);
    if debug {
        log.debug_events(DebugEvents::new())
    } else {
        log
    }
}

/// One request to the last body byte; everything is ready at once.
fn drive<S, B>(svc: &mut S)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body + Unpin,
    B::Error: std::fmt::Debug,
{
    let req = Request::get("/payment/callback?status=ok")
        .header("host", "example.com")
        .body(Full::new(Bytes::new()))
        .expect("a valid request");
    let ready = svc.ready().now_or_never().expect("ready").expect("ok");
    let resp = ready.call(req).now_or_never().expect("ready").expect("ok");
    let mut body = resp.into_body();
    while let Some(frame) = body.frame().now_or_never().expect("ready") {
        drop(frame.expect("a frame"));
    }
}

fn bench(c: &mut Criterion, layer: bool) {
    let console = tracing_subscriber::fmt::layer()
        .with_writer(std::io::sink)
        .with_filter(LevelFilter::INFO);
    let registry = tracing_subscriber::registry().with(console);
    let _default = if layer {
        tracing::subscriber::set_default(registry.with(DebugEvents::layer()))
    } else {
        tracing::subscriber::set_default(registry)
    };
    let name = if layer { "layer" } else { "no layer" };
    let mut group = c.benchmark_group("debug_events");
    let cases: &[(u64, StatusCode)] = &[
        (0, StatusCode::OK),
        (10, StatusCode::OK),
        (10, StatusCode::BAD_GATEWAY),
        (1000, StatusCode::OK),
    ];
    for &(events, status) in cases {
        let mut svc = log(layer).layer(service_fn(handler(events, status)));
        let id = format!("{name}/{events} events/{}", status.as_u16());
        group.bench_function(id, |b| b.iter(|| drive(&mut svc)));
    }
    group.bench_function(format!("{name}/debug! outside a request"), |b| {
        b.iter(|| {
            tracing::debug!(
                provider = "fakepay",
                amount = 1999u64,
                attempt = 1u64,
                "calling the provider"
            )
        })
    });
    group.finish();
}

fn with_layer(c: &mut Criterion) {
    bench(c, true);
}

fn without_layer(c: &mut Criterion) {
    bench(c, false);
}

criterion_group!(benches, without_layer, with_layer);
criterion_main!(benches);
