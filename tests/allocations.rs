//! Heap allocations RequestLog adds per request on the request path, counted with a
//! counting allocator on the request's thread (the writer thread is not the request
//! path). Counts are deterministic; times are left to the benches.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use reqlog::actions::UserActions;
use reqlog::probe::ProbeDetector;
use reqlog::{RequestLog, RouteHook};
use tower::layer::util::{Identity, Stack};
use tower::{Service, ServiceBuilder};

#[path = "support/counting.rs"]
mod counting;
use counting::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

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

/// The request as `axum::serve` hands it to the router: the peer in `ConnectInfo`.
fn axum_request() -> Request<Full<Bytes>> {
    let mut req = request();
    let peer = req
        .extensions_mut()
        .remove::<std::net::SocketAddr>()
        .unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    req
}

/// Runs one request through `svc` to the last body byte, on this thread, and returns
/// the allocations made while doing so (the request is built before counting).
fn count<S, B>(svc: &mut S) -> u64
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    count_with(svc, request)
}

/// [`count`] with the request `make` builds.
fn count_with<S, B>(svc: &mut S, make: fn() -> Request<Full<Bytes>>) -> u64
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    counting::request_allocs(svc, make())
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

/// The application under axum, as the benches serve it: handlers are zero-sized, so
/// axum's per-route box costs nothing to clone. With `hook`, each handler reports its
/// route with [`RouteHook`].
fn routes(hook: bool) -> axum::Router {
    use axum::handler::Handler;
    use axum::routing::{get, post};
    async fn course() -> axum::response::Html<&'static str> {
        axum::response::Html("<h1>course</h1>")
    }
    async fn thanks() -> &'static str {
        "thanks"
    }
    let router = axum::Router::new();
    let router = if hook {
        router
            .route("/courses/{course}", get(course.layer(RouteHook)))
            .route("/newsletter/subscribe", post(thanks.layer(RouteHook)))
    } else {
        router
            .route("/courses/{course}", get(course))
            .route("/newsletter/subscribe", post(thanks))
    };
    // What `axum::serve` runs (see benches/stacks.rs).
    router.with_state(())
}

/// `ServiceBuilder`'s type for the three layers.
type FullStack =
    ServiceBuilder<Stack<UserActions, Stack<ProbeDetector, Stack<RequestLog, Identity>>>>;

/// The three layers, outermost first.
fn full_stack(sink: reqlog::sink::NonBlocking) -> FullStack {
    ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink))
        .layer(ProbeDetector::new())
        .layer(UserActions::new().rule(
            http::Method::POST,
            "/newsletter/subscribe",
            "newsletter.subscribe",
        ))
}

/// Allocations over `N` requests as `axum::serve` hands them over, after a warm-up,
/// letting `sink`'s writer catch up every [`ROUND`] requests (see [`total`]).
fn per_request<S, B>(svc: &mut S, sink: &reqlog::sink::NonBlocking) -> u64
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    for _ in 0..100 {
        count_with(svc, axum_request);
    }
    let mut sum = 0;
    for i in 0..N {
        if i % ROUND == 0 {
            assert!(sink.flush());
        }
        sum += count_with(svc, axum_request);
    }
    sum
}

/// The full stack (RequestLog + ProbeDetector + UserActions) under axum. The request
/// body is not axum's `Body` (as hyper's `Incoming` is not): the router boxes it once
/// with or without reqlog.
#[test]
fn full_stack_outside_the_router_with_route_hooks_adds_at_most_two_allocations() {
    let (sink, _guard) = reqlog::sink::writer(std::io::sink());
    let mut bare = routes(false);
    // The setup before issue #19: the three layers in one `Router::layer`.
    let mut inside = routes(false).layer(full_stack(sink.clone()));
    // Around the router, without the route.
    let mut outside = full_stack(sink.clone()).service(routes(false));
    // Around the router, each handler reporting its route: the recommended setup.
    let mut hooked = full_stack(sink.clone()).service(routes(true));
    // Around the router, the route from one `Router::route_layer`.
    let mut route_layer = full_stack(sink.clone()).service(routes(false).route_layer(RouteHook));

    let bare_total = per_request(&mut bare, &sink);
    let added = |total: u64| (total - bare_total) as f64 / N as f64;
    let inside_total = per_request(&mut inside, &sink);
    let inside_added = added(inside_total);
    let outside_added = added(per_request(&mut outside, &sink));
    let hooked_total = per_request(&mut hooked, &sink);
    let hooked_added = added(hooked_total);
    let route_layer_added = added(per_request(&mut route_layer, &sink));
    eprintln!(
        "allocations per request under axum: bare {:.3}; added by the full stack: \
         inside the router {inside_added:.3}, outside {outside_added:.3}, outside with \
         RouteHook on the handlers {hooked_added:.3}, outside with \
         Router::route_layer(RouteHook) {route_layer_added:.3}",
        bare_total as f64 / N as f64,
    );
    // RequestLog's two (see above) and the id slab; nothing from axum or the hook.
    assert!(
        hooked_total - bare_total <= 2 * N + SLAB,
        "the full stack outside the router with RouteHook added {hooked_added}"
    );
    // Inside one `Router::layer`: the same two, and axum's four (two body boxes, a
    // boxed future, a cloned boxed route).
    assert!(
        inside_total - bare_total <= 6 * N + SLAB,
        "the full stack inside the router added {inside_added}"
    );
    assert!(hooked_added < inside_added);
    assert!(hooked_added <= route_layer_added);
}
