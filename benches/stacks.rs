//! The four stacks of BENCHMARKS.md, measured outside criterion:
//!
//! - `stacks alloc` — heap allocations per request on the request's thread (counting
//!   allocator), for each stack;
//! - `stacks run STACK N` — N requests in-process, for `valgrind --tool=callgrind`
//!   (instructions over all threads; `scripts/bench.sh` subtracts a 0-request run;
//!   `STACKS_FLUSH_EVERY=K` waits for reqlog's writer every K requests, see
//!   [`flush_every`]);
//! - `stacks serve STACK ADDR` — an axum server on ADDR for `wrk`, until killed.
//!
//! STACK is `bare` (axum alone), `reqlog` (`RequestLog`), `full` (`UserActions` +
//! `ProbeDetector` + `RequestLog` in one `Router::layer`), `outside` (the same three
//! around the whole router, each handler reporting its route with `RouteHook`, served
//! by `axum::serve`, which wants axum's `Body` both ways), `keep1` and `keep20` (`RequestLog` with a tail
//! sampling policy that keeps every request, or one in 20 of each route: what `keep`
//! adds, and what it saves) or `trace` (tower-http `TraceLayer` with a
//! tracing-subscriber JSON formatter on a tracing-appender non-blocking writer).
//! Lines go to a file (`/dev/null` by default, `STACKS_LOG` to change it), written by
//! each logger's own non-blocking writer. `scripts/bench.sh` runs them all.

use std::net::SocketAddr;

use axum::handler::Handler;
use axum::routing::{get, post};
use axum::Router;
use futures_util::FutureExt;
use http::{Method, Request};
use http_body_util::BodyExt;
use reqlog::actions::{UserActions, UserActionsService};
use reqlog::probe::{ProbeDetector, ProbeDetectorService};
use reqlog::request_log::{RequestLogService, ResponseBody};
use reqlog::sink::NonBlocking;
use reqlog::{RequestLog, RouteHook};
use tower::{Service, ServiceExt};

#[path = "../tests/support/counting.rs"]
mod counting;
use counting::{allocs, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

const STACKS: [&str; 7] = [
    "bare", "reqlog", "full", "outside", "keep1", "keep20", "trace",
];

/// Keeps the loggers' writer guards alive for the life of the process, and reqlog's
/// writer, for `STACKS_FLUSH_EVERY`.
struct Guards(
    #[allow(dead_code)] Vec<Box<dyn std::any::Any>>,
    Option<NonBlocking>,
);

fn log_file() -> std::fs::File {
    let path = std::env::var("STACKS_LOG").unwrap_or_else(|_| "/dev/null".into());
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {path}: {e}"))
}

/// `STACKS_SPIN_NS`: busy work added to every handler, in nanoseconds (default 0). It
/// calibrates the end-to-end figures: what a known amount of extra CPU per request
/// costs in requests per second on this machine, whoever spends it.
fn spin() {
    static SPIN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let ns = *SPIN.get_or_init(|| {
        std::env::var("STACKS_SPIN_NS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    });
    if ns > 0 {
        let start = std::time::Instant::now();
        while start.elapsed().as_nanos() < u128::from(ns) {
            std::hint::spin_loop();
        }
    }
}

async fn home() -> axum::response::Html<&'static str> {
    spin();
    axum::response::Html("<!doctype html><h1>Courses</h1><p>Learn Python and Rust.</p>")
}

async fn thanks() -> &'static str {
    "thanks"
}

fn routes() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/courses/{course}", get(home))
        .route("/newsletter/subscribe", post(thanks))
}

/// [`routes`], each handler reporting its route to a `RequestLog` outside the router.
fn hooked_routes() -> Router {
    Router::new()
        .route("/", get(home.layer(RouteHook)))
        .route("/courses/{course}", get(home.layer(RouteHook)))
        .route("/newsletter/subscribe", post(thanks.layer(RouteHook)))
}

/// The `outside` stack: what `axum::serve` runs.
type Outside = tower::util::MapResponse<
    RequestLogService<ProbeDetectorService<UserActionsService<Router>>>,
    fn(http::Response<ResponseBody<axum::body::Body>>) -> axum::response::Response,
>;

/// A stack: a router, or the layers around one.
#[derive(Clone)]
enum App {
    Router(Router),
    Outside(Outside),
}

fn outside(sink: NonBlocking) -> Outside {
    let to_body: fn(http::Response<ResponseBody<axum::body::Body>>) -> axum::response::Response =
        |r| r.map(axum::body::Body::new);
    tower::ServiceBuilder::new()
        .map_response(to_body)
        .layer(RequestLog::new().sink(sink))
        .layer(ProbeDetector::new())
        .layer(UserActions::new().rule(
            Method::POST,
            "/newsletter/subscribe",
            "newsletter.subscribe",
        ))
        .service(hooked_routes().with_state(()))
}

/// The app with the chosen logging stack, and the guards to keep.
fn app(stack: &str) -> (App, Guards) {
    let mut guards: Vec<Box<dyn std::any::Any>> = Vec::new();
    let mut writer = None;
    let router = match stack {
        "outside" => {
            let (sink, guard) = NonBlocking::builder().finish(log_file());
            guards.push(Box::new(guard));
            let writer = Some(sink.clone());
            return (App::Outside(outside(sink)), Guards(guards, writer));
        }
        "bare" => routes(),
        "keep1" | "keep20" => {
            let (sink, guard) = NonBlocking::builder().finish(log_file());
            guards.push(Box::new(guard));
            writer = Some(sink.clone());
            let n = if stack == "keep1" { 1 } else { 20 };
            let policy = reqlog::Keep::new()
                .one_in(n)
                .slower_than(std::time::Duration::from_millis(500));
            routes().layer(RequestLog::new().sink(sink).keep(policy))
        }
        "reqlog" | "full" => {
            let (sink, guard) = NonBlocking::builder().finish(log_file());
            guards.push(Box::new(guard));
            writer = Some(sink.clone());
            let log = RequestLog::new().sink(sink);
            if stack == "reqlog" {
                routes().layer(log)
            } else {
                // One `Router::layer` call for the three: axum boxes the route once per
                // call, so composing them with ServiceBuilder is cheaper than three calls.
                routes().layer(
                    tower::ServiceBuilder::new()
                        .layer(log)
                        .layer(ProbeDetector::new())
                        .layer(UserActions::new().rule(
                            Method::POST,
                            "/newsletter/subscribe",
                            "newsletter.subscribe",
                        )),
                )
            }
        }
        "trace" => {
            use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
            let (writer, guard) = tracing_appender::non_blocking(log_file());
            guards.push(Box::new(guard));
            let subscriber = tracing_subscriber::fmt()
                .json()
                .with_max_level(tracing::Level::INFO)
                .with_writer(writer)
                .finish();
            // Global, so that server worker threads use it too.
            let _ = tracing::subscriber::set_global_default(subscriber);
            routes().layer(
                TraceLayer::new_for_http()
                    .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                    .on_request(())
                    .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
            )
        }
        other => {
            eprintln!("unknown stack `{other}`: use one of {STACKS:?}");
            std::process::exit(2);
        }
    };
    // What `axum::serve` runs: `into_make_service*` calls `with_state(())`, which builds
    // each handler's route (and applies the layers) once. A `Router` called without it
    // rebuilds them on every request, a cost no server pays.
    (App::Router(router.with_state(())), Guards(guards, writer))
}

/// The paths requested in turn: `/` and a course page, or `STACKS_PATH` (e.g.
/// `/wp-login.php`, or a target with a query) for every request.
fn paths() -> &'static [String] {
    static PATHS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    PATHS.get_or_init(|| match std::env::var("STACKS_PATH") {
        Ok(p) if !p.is_empty() => vec![p],
        _ => vec!["/".to_owned(), "/courses/python-jumpstart".to_owned()],
    })
}

fn request(i: u64) -> Request<axum::body::Body> {
    let paths = paths();
    let path = paths[i as usize % paths.len()].as_str();
    let mut req = Request::get(path)
        .header("host", "example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        )
        .body(axum::body::Body::empty())
        .expect("a valid request");
    req.extensions_mut().insert(axum::extract::ConnectInfo(
        "203.0.113.7:50000"
            .parse::<SocketAddr>()
            .expect("an address"),
    ));
    req
}

/// One request to its last body byte, on this thread (everything is ready at once).
fn drive(app: &mut App, req: Request<axum::body::Body>) {
    match app {
        App::Router(svc) => drive_one(svc, req),
        App::Outside(svc) => drive_one(svc, req),
    }
}

fn drive_one<S>(svc: &mut S, req: Request<axum::body::Body>)
where
    S: Service<
        Request<axum::body::Body>,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
    >,
{
    let ready = ServiceExt::<Request<axum::body::Body>>::ready(svc)
        .now_or_never()
        .expect("ready")
        .expect("infallible");
    let resp = ready
        .call(req)
        .now_or_never()
        .expect("ready")
        .expect("infallible");
    let mut body = resp.into_body();
    while let Some(frame) = body.frame().now_or_never().expect("ready") {
        drop(frame.expect("a frame"));
    }
}

fn allocations() {
    println!("stack\tallocations_per_request");
    for stack in STACKS {
        let (mut svc, _guards) = app(stack);
        for i in 0..2_000 {
            drive(&mut svc, request(i));
        }
        const N: u64 = 10_000;
        let reqs: Vec<_> = (0..N).map(request).collect();
        let before = allocs();
        for req in reqs {
            drive(&mut svc, req);
        }
        let per = (allocs() - before) as f64 / N as f64;
        println!("{stack}\t{per:.3}");
    }
}

/// `STACKS_FLUSH_EVERY=K`: in `run`, wait for reqlog's writer every K requests. Its
/// worker formats the records and gives them back as spares; under valgrind, which
/// runs one thread at a time, it may otherwise hardly run before the end, and the
/// requests that find no spare record format their lines themselves. With it, `run`
/// counts the steady state of a server whose writer keeps up (the waits cost a few
/// instructions per request on the main thread).
fn flush_every() -> Option<u64> {
    std::env::var("STACKS_FLUSH_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&k| k > 0)
}

fn run(stack: &str, n: u64) {
    let (mut svc, guards) = app(stack);
    let every = flush_every();
    for i in 0..n {
        if let (Some(k), Some(writer)) = (every, &guards.1) {
            if i % k == 0 {
                writer.flush();
            }
        }
        drive(&mut svc, request(i));
    }
    drop(svc);
    drop(guards);
}

fn serve(stack: &str, addr: SocketAddr) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let (app, _guards) = app(stack);
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        eprintln!("serving `{stack}` on http://{addr}");
        match app {
            App::Router(router) => axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve"),
            App::Outside(svc) => {
                // What `into_make_service_with_connect_info` does for a router: the
                // peer in `ConnectInfo`, one extension entry per request as there.
                let make = tower::service_fn(
                    move |stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>| {
                        let peer = axum::extract::ConnectInfo(*stream.remote_addr());
                        let svc = tower::Layer::layer(&axum::Extension(peer), svc.clone());
                        std::future::ready(Ok::<_, std::convert::Infallible>(svc))
                    },
                );
                axum::serve(listener, make).await.expect("serve")
            }
        }
    });
}

fn main() {
    // `cargo bench` passes `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["alloc"] => allocations(),
        ["run", stack, n] => run(stack, n.parse().expect("a number of requests")),
        ["serve", stack, addr] => serve(stack, addr.parse().expect("HOST:PORT")),
        _ => {
            eprintln!("usage: stacks [alloc | run STACK N | serve STACK ADDR]");
            std::process::exit(2);
        }
    }
}
