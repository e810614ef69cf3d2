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

#[test]
fn request_log_adds_at_most_three_allocations_per_request() {
    let mut bare = Hello;
    let (sink, _guard) = reqlog::sink::writer(std::io::sink());
    let mut logged = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink))
        .service(Hello);
    // Warm up: thread-local pools, the writer's buffers, lazy statics.
    for _ in 0..100 {
        count(&mut bare);
        count(&mut logged);
    }
    // Totals over many requests: request ids are cut from a per-thread slab that is
    // refilled (two allocations) once every 512 ids: one more per 256 requests.
    const N: u64 = 1024;
    let bare_total: u64 = (0..N).map(|_| count(&mut bare)).sum();
    let logged_total: u64 = (0..N).map(|_| count(&mut logged)).sum();
    let added = (logged_total - bare_total) as f64 / N as f64;
    eprintln!(
        "allocations per request: bare {:.3}, with RequestLog {:.3}, added {added:.3}",
        bare_total as f64 / N as f64,
        logged_total as f64 / N as f64,
    );
    // Three per request (the shared record, its extensions entry and the `RequestId`
    // entry handed to the application), plus the slab.
    assert!(
        logged_total - bare_total <= 3 * N + N / 256,
        "RequestLog added {added} allocations per request"
    );
}
