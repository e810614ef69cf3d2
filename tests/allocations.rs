//! Heap allocations RequestLog adds per request on the request path, counted with a
//! counting allocator on the request's thread (the writer thread is not the request
//! path). Counts are deterministic; times are left to the benches.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::convert::Infallible;

use bytes::Bytes;
use futures_util::FutureExt;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use reqlog::RequestLog;
use tower::{Service, ServiceExt};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        System.realloc(ptr, layout, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

fn request() -> Request<Full<Bytes>> {
    let mut req = Request::get("/courses/python-jumpstart?ref=newsletter")
        .header("host", "example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
        )
        .header("referer", "https://example.com/")
        .body(Full::new(Bytes::new()))
        .unwrap();
    req.extensions_mut()
        .insert("203.0.113.7:50000".parse::<std::net::SocketAddr>().unwrap());
    req
}

/// Runs one request through `svc` to the last body byte, on this thread, and returns
/// the allocations made while doing so (the request is built before counting).
fn count<S, B>(svc: &mut S) -> u64
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>,
    B: http_body::Body + Unpin,
    B::Error: std::fmt::Debug,
{
    let req = request();
    let before = allocs();
    let ready = svc.ready().now_or_never().unwrap().unwrap();
    let resp = ready.call(req).now_or_never().unwrap().unwrap();
    let mut body = resp.into_body();
    while let Some(frame) = body.frame().now_or_never().unwrap() {
        drop(frame.unwrap());
    }
    drop(body);
    allocs() - before
}

/// The application: a small HTML response, ready at once.
#[derive(Clone, Copy)]
struct Hello;

impl<B> Service<Request<B>> for Hello {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        let mut resp = Response::new(Full::new(Bytes::from_static(b"<h1>course</h1>")));
        resp.headers_mut()
            .insert("content-type", http::HeaderValue::from_static("text/html"));
        std::future::ready(Ok(resp))
    }
}

/// The request-id slab's refills over `N` requests, two allocations each (it is
/// refilled once every 512 ids, and the count may start anywhere in one).
const SLAB: u64 = 2 * (N / 512 + 1);

/// Requests counted per test.
const N: u64 = 1024;
/// Requests between two flushes of the writer: a server's writer wakes every 50 ms and
/// gives the records it wrote back for the next requests; a test runs a burst of
/// thousands of requests in less, so it lets the writer catch up now and then (outside
/// the counts), as a tick would.
const ROUND: u64 = 128;

/// Allocations of `N` requests through `svc`, flushing `sink` every [`ROUND`] requests.
fn total<S, B>(svc: &mut S, sink: Option<&reqlog::sink::NonBlocking>) -> u64
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>,
    B: http_body::Body + Unpin,
    B::Error: std::fmt::Debug,
{
    let mut sum = 0;
    for i in 0..N {
        if i % ROUND == 0 {
            if let Some(sink) = sink {
                assert!(sink.flush());
            }
        }
        sum += count(svc);
    }
    sum
}

#[test]
fn request_log_adds_at_most_two_allocations_per_request() {
    let mut bare = Hello;
    let (sink, _guard) = reqlog::sink::writer(std::io::sink());
    let mut logged = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink.clone()))
        .service(Hello);
    // Warm up: thread-local pools, the writer's buffers, lazy statics.
    for _ in 0..100 {
        count(&mut bare);
        count(&mut logged);
    }
    // Totals over many requests: request ids are cut from a per-thread slab that is
    // refilled (two allocations) once every 512 ids ([`SLAB`]).
    let bare_total = total(&mut bare, None);
    let logged_total = total(&mut logged, Some(&sink));
    let added = (logged_total - bare_total) as f64 / N as f64;
    eprintln!(
        "allocations per request: bare {:.3}, with RequestLog {:.3}, added {added:.3}",
        bare_total as f64 / N as f64,
        logged_total as f64 / N as f64,
    );
    // Two per request (the extensions entries of the record handle and of the
    // `RequestId` handed to the application), plus the slab. The record's cell comes
    // from a per-thread pool, its text arena too, and the record goes to the writer
    // thread in exchange for a spare one.
    assert!(
        logged_total - bare_total <= 2 * N + SLAB,
        "RequestLog added {added} allocations per request"
    );
}

/// An axum router with the full stack (`UserActions`, `ProbeDetector`, `RequestLog`),
/// as `benches/stacks.rs` builds it.
fn axum_app(logged: Option<reqlog::sink::NonBlocking>) -> axum::Router {
    async fn home() -> axum::response::Html<&'static str> {
        axum::response::Html("<h1>course</h1>")
    }
    let routes = axum::Router::new()
        .route("/", axum::routing::get(home))
        .route("/courses/{course}", axum::routing::get(home));
    let router = match logged {
        None => routes,
        Some(sink) => routes.layer(
            tower::ServiceBuilder::new()
                .layer(RequestLog::new().sink(sink))
                .layer(reqlog::probe::ProbeDetector::new())
                .layer(reqlog::actions::UserActions::new().rule(
                    http::Method::POST,
                    "/newsletter/subscribe",
                    "newsletter.subscribe",
                )),
        ),
    };
    router.with_state(())
}

#[test]
fn the_full_stack_under_axum_adds_at_most_six_allocations_per_request() {
    let (sink, _guard) = reqlog::sink::writer(std::io::sink());
    let mut bare = axum_app(None);
    let mut logged = axum_app(Some(sink.clone()));
    for _ in 0..100 {
        count(&mut bare);
        count(&mut logged);
    }
    let bare_total = total(&mut bare, None);
    let logged_total = total(&mut logged, Some(&sink));
    let added = (logged_total - bare_total) as f64 / N as f64;
    eprintln!(
        "allocations per request under axum: bare {:.3}, full stack {:.3}, added {added:.3}",
        bare_total as f64 / N as f64,
        logged_total as f64 / N as f64,
    );
    assert!(
        logged_total - bare_total <= 6 * N + SLAB,
        "the full stack added {added} allocations per request under axum"
    );
}
