//! In-process cost per request: a bare service, the same behind `RequestLog` (JSON to
//! a non-blocking sink that discards), and behind tower-http's `TraceLayer` with a
//! tracing-subscriber JSON formatter on a tracing-appender non-blocking writer that
//! discards. Each request is driven to its last body byte on the bench thread.
//!
//! Run: `cargo bench --bench overhead`. The figures are reported in the README.

use std::convert::Infallible;
use std::task::{Context, Poll};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
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
        let mut resp = Response::new(Full::new(Bytes::from_static(b"<h1>course</h1>")));
        resp.headers_mut()
            .insert("content-type", http::HeaderValue::from_static("text/html"));
        std::future::ready(Ok(resp))
    }
}

fn request() -> Request<Full<Bytes>> {
    let mut req = Request::get("/courses/python-jumpstart?ref=newsletter")
        .header("host", "example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        )
        .header("referer", "https://example.com/")
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

fn overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("per_request");

    let mut bare = Hello;
    group.bench_function("bare", |b| {
        b.iter_batched(
            request,
            |r| drive(&mut bare, r),
            criterion::BatchSize::SmallInput,
        )
    });

    let (sink, _guard) = reqlog::sink::writer(std::io::sink());
    let mut logged = ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink))
        .service(Hello);
    group.bench_function("reqlog_json", |b| {
        b.iter_batched(
            request,
            |r| drive(&mut logged, r),
            criterion::BatchSize::SmallInput,
        )
    });

    let (writer, _appender_guard) = tracing_appender::non_blocking(std::io::sink());
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_writer(writer)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
    let mut traced = ServiceBuilder::new()
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .service(Hello);
    group.bench_function("tracelayer_json", |b| {
        b.iter_batched(
            request,
            |r| drive(&mut traced, r),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
