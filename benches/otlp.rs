//! What the OTLP sink costs on the request's thread, next to the JSON writer: the time
//! to encode one request record and queue it, and the bytes it puts on the wire.
//!
//! Run: `cargo bench --bench otlp --features otlp`. A small in-process collector on
//! loopback answers every batch with 200, so the exporter keeps the queue drained;
//! the bytes per record (plain and gzip) are printed before the timings.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use reqlog::format::{Format, JsonLines, Schema};
use reqlog::sink::{self, NonBlocking, Otlp, Sink};
use reqlog::{Record, RequestLog};
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
        let resp = Response::new(Full::new(Bytes::from_static(b"<h1>course</h1>")));
        std::future::ready(Ok(resp))
    }
}

/// A request like the other benches send, with a varying path and client.
fn request(i: u32) -> Request<Full<Bytes>> {
    let mut req = Request::get(format!(
        "/courses/python-jumpstart/lectures/{i}?ref=newsletter"
    ))
    .header("host", "example.com")
    .header(
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    )
    .header("referer", "https://example.com/")
    .body(Full::new(Bytes::new()))
    .expect("a valid request");
    let peer = SocketAddr::from(([203, 0, 113, (i % 250) as u8], 50_000));
    req.extensions_mut().insert(peer);
    req
}

/// One request to its last body byte; everything is ready at once.
fn drive<S>(svc: &mut S, req: Request<Full<Bytes>>)
where
    S: Service<
        Request<Full<Bytes>>,
        Response = Response<reqlog::request_log::ResponseBody<Full<Bytes>>>,
    >,
    S::Error: std::fmt::Debug,
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

/// The record `RequestLog` makes for one request.
fn a_request_record() -> Record {
    let kept = Arc::new(Mutex::new(None));
    let k = kept.clone();
    let mut svc = ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink::from_fn(move |r: &Record| {
            *k.lock().expect("not poisoned") = Some(r.clone());
        })))
        .service(Hello);
    drive(&mut svc, request(7));
    let record = kept.lock().expect("not poisoned").take();
    record.expect("a record")
}

/// A collector that reads each request, counts its body bytes and answers 200.
fn collector() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    let bytes = Arc::new(AtomicU64::new(0));
    let counted = bytes.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65_536];
            let mut need = None;
            while let Ok(n @ 1..) = stream.read(&mut chunk) {
                buf.extend_from_slice(&chunk[..n]);
                if need.is_none() {
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        need = Some((end + 4, len));
                    }
                }
                if let Some((start, len)) = need {
                    if buf.len() >= start + len {
                        counted.fetch_add(len as u64, Ordering::Relaxed);
                        break;
                    }
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (addr, bytes)
}

/// Bytes on the wire per record for 2,000 varied requests, plain or gzip.
fn bytes_per_record(gzip: bool) -> f64 {
    let (addr, bytes) = collector();
    let (otlp, guard) = Otlp::builder()
        .endpoint(format!("http://{addr}/v1/logs"))
        .service_name("bench")
        .gzip(gzip)
        .finish()
        .expect("a sink");
    let mut svc = ServiceBuilder::new()
        .layer(RequestLog::new().sink(otlp.clone()))
        .service(Hello);
    for i in 0..2_000 {
        drive(&mut svc, request(i));
    }
    assert!(guard.flush(), "the bench collector answers");
    bytes.load(Ordering::Relaxed) as f64 / otlp.exported_records() as f64
}

fn encode(c: &mut Criterion) {
    let record = a_request_record();
    let mut line = Vec::new();
    JsonLines::new().format(&record, &mut line);
    eprintln!(
        "one request record: JSON line {} bytes; OTLP on the wire {:.0} bytes per record, {:.0} with gzip (2,000 varied requests, batches of 512)",
        line.len(),
        bytes_per_record(false),
        bytes_per_record(true),
    );

    let mut group = c.benchmark_group("per_record");
    let mut buf = Vec::with_capacity(1024);
    group.bench_function("json_format", |b| {
        b.iter(|| {
            buf.clear();
            JsonLines::new().format(&record, &mut buf);
        })
    });
    for (name, format) in [
        ("json_format_ecs", JsonLines::new().schema(Schema::Ecs)),
        (
            "json_format_gcp",
            JsonLines::new().schema(Schema::GoogleCloud),
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                format.format(&record, &mut buf);
            })
        });
    }
    let (json, _json_guard) = NonBlocking::builder().finish(std::io::sink());
    group.bench_function("json_nonblocking_emit", |b| b.iter(|| json.emit(&record)));
    let (addr, _) = collector();
    let (otlp, _otlp_guard) = Otlp::builder()
        .endpoint(format!("http://{addr}/v1/logs"))
        .flush_interval(Duration::from_millis(50))
        .finish()
        .expect("a sink");
    group.bench_function("otlp_emit", |b| b.iter(|| otlp.emit(&record)));
    eprintln!(
        "otlp_emit: {} records dropped (queue full) of {} exported",
        otlp.dropped_records(),
        otlp.exported_records()
    );

    // With a full queue (its worker stuck), emit is format or encode, one lock and a
    // counter: the difference between the two is the encoding against the JSON line,
    // without the exporter competing for the CPU.
    let (json_full, _g) = NonBlocking::builder()
        .buffered_lines_limit(1)
        .flush_timeout(Duration::from_millis(10))
        .finish(Stuck);
    group.bench_function("json_emit_full_queue", |b| {
        b.iter(|| json_full.emit(&record))
    });
    let (otlp_full, _g) = Otlp::builder()
        .endpoint(format!("http://{}/v1/logs", stalled_collector()))
        .buffered_records_limit(1)
        .timeout(Duration::from_secs(3600))
        .flush_timeout(Duration::from_millis(10))
        .finish()
        .expect("a sink");
    group.bench_function("otlp_emit_full_queue", |b| {
        b.iter(|| otlp_full.emit(&record))
    });
    group.finish();
}

/// A writer that never returns.
struct Stuck;

impl Write for Stuck {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        loop {
            std::thread::park();
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A collector that accepts connections and never answers.
fn stalled_collector() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    addr
}

criterion_group!(benches, encode);
criterion_main!(benches);
