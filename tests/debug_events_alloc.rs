//! What debug events cost in heap allocations on the request's thread, for a request
//! that emits no event: its span, and nothing for a buffer (which is made on the
//! first event). Counted with a counting allocator; times are in `benches/debug_events.rs`.
#![cfg(feature = "debug-events")]

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use reqlog::debug_events::DebugEvents;
use reqlog::sink::NonBlocking;
use reqlog::RequestLog;
use tower::{Layer, Service};
use tracing_subscriber::layer::SubscriberExt;

#[path = "support/counting.rs"]
mod counting;
use counting::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The application: emits its events, then answers at once.
#[derive(Clone, Copy)]
struct Steps(usize);

impl<B> Service<Request<B>> for Steps {
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
        for i in 0..self.0 {
            tracing::debug!(i, "step");
        }
        std::future::ready(Ok(Response::new(Full::new(Bytes::from_static(b"ok")))))
    }
}

/// Allocations of `n` requests through `log` (writing to `sink`) around a handler that
/// emits `events` `debug!` events, to the last body byte, on this thread.
fn count(log: &RequestLog, sink: &NonBlocking, n: u64, events: usize) -> u64 {
    let mut svc = log.clone().layer(Steps(events));
    let mut total = 0;
    for i in 0..n {
        // Let the writer catch up now and then, outside the count, as its tick does on
        // a server (it gives the records it wrote back as spares).
        if i % 128 == 0 {
            assert!(sink.flush());
        }
        let req = Request::get("/").body(Full::new(Bytes::new())).unwrap();
        total += counting::request_allocs(&mut svc, req);
    }
    total
}

#[test]
fn a_request_without_events_costs_its_span_and_no_buffer() {
    let subscriber = tracing_subscriber::registry().with(DebugEvents::layer());
    tracing::subscriber::with_default(subscriber, || {
        let (sink, _guard) = reqlog::sink::writer(std::io::sink());
        let off = RequestLog::new().sink(sink.clone());
        let on = RequestLog::new()
            .sink(sink.clone())
            .debug_events(DebugEvents::new());
        const N: u64 = 1024;
        // Warm up: the registry's span slots, thread-local pools, lazy statics.
        count(&off, &sink, 200, 0);
        count(&on, &sink, 200, 0);
        count(&on, &sink, 50, 3);
        let (off_total, on_total) = (count(&off, &sink, N, 0), count(&on, &sink, N, 0));
        let with_events = count(&on, &sink, N, 3);
        let per = |t: u64| t as f64 / N as f64;
        eprintln!(
            "allocations per request: off {:.3}, on without events {:.3}, on with 3 events {:.3}",
            per(off_total),
            per(on_total),
            per(with_events)
        );
        // The span's link to the record (one boxed extension); no buffer. Request ids
        // come from a per-thread slab refilled with two allocations every 512 ids,
        // which may fall in either count.
        const SLAB: u64 = 2 * (N / 512 + 1);
        assert!(
            on_total <= off_total + N + SLAB,
            "{} vs {}",
            per(on_total),
            per(off_total)
        );
        // Events do allocate: the buffer, and each event's text.
        assert!(with_events > on_total);
    });
}
