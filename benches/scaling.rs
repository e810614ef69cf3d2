//! Scaling with cores (issue #19 point 5): requests per second of an axum app served
//! over loopback by a tokio multi-threaded runtime with 1 and 2 worker threads, under
//! concurrent keep-alive requests from several client threads, for three stacks:
//!
//! - `bare`: axum alone;
//! - `reqlog`: `RequestLog` around the router (each handler reporting its route with
//!   `RouteHook`), lines formatted on the request's thread and queued for a
//!   `NonBlocking` writer to `io::sink()`;
//! - `full`: the same with `ProbeDetector` and `UserActions`.
//!
//! Every request of every server thread goes through the one queue lock of the
//! `NonBlocking` sink: if that lock were the limit, `reqlog` would gain less than
//! `bare` from a second server thread. The figures also give the lines the writer
//! thread wrote and dropped (a writer that cannot keep up drops lines).
//!
//! Usage: `cargo bench --bench scaling [-- SECS]` (5 seconds per run by default).
//! `SCALING_ROUNDS` (3) interleaved rounds, medians; `SCALING_CLIENTS` (2) client
//! threads of `SCALING_CONNS` (16) connections each. Clients share the machine with
//! the server: on a small machine they take cores from it, which the figures include
//! (see BENCHMARKS.md, "Scaling with cores").

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::handler::Handler;
use axum::routing::{get, post};
use axum::Router;
use http::{Method, Request};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use reqlog::actions::UserActions;
use reqlog::probe::ProbeDetector;
use reqlog::sink::NonBlocking;
use reqlog::{RequestLog, RouteHook};

const STACKS: [&str; 3] = ["bare", "reqlog", "full"];
const THREADS: [usize; 2] = [1, 2];

async fn home() -> axum::response::Html<&'static str> {
    axum::response::Html("<!doctype html><h1>Courses</h1><p>Learn Python and Rust.</p>")
}

async fn thanks() -> &'static str {
    "thanks"
}

fn routes() -> Router {
    Router::new()
        .route("/", get(home.layer(RouteHook)))
        .route("/courses/{course}", get(home.layer(RouteHook)))
        .route("/newsletter/subscribe", post(thanks.layer(RouteHook)))
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Serves `stack` on a loopback port with `threads` runtime workers until the returned
/// runtime is dropped; also returns the sink, to read its counters.
fn serve(
    stack: &str,
    threads: usize,
) -> (tokio::runtime::Runtime, SocketAddr, Option<NonBlocking>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("an address");
    let (sink, guard) = NonBlocking::builder().finish(std::io::sink());
    // The writer stops when the last sink is dropped, with the runtime.
    drop(guard);
    let layers = tower::ServiceBuilder::new()
        .map_response(|r: http::Response<_>| r.map(axum::body::Body::new))
        .layer(RequestLog::new().sink(sink.clone()));
    let app = routes().with_state(());
    match stack {
        "bare" => {
            spawn_serve(&runtime, listener, app);
        }
        "reqlog" => {
            let svc = layers.service(app);
            spawn_serve(&runtime, listener, svc);
        }
        _ => {
            let svc = layers
                .layer(ProbeDetector::new())
                .layer(UserActions::new().rule(
                    Method::POST,
                    "/newsletter/subscribe",
                    "newsletter.subscribe",
                ))
                .service(app);
            spawn_serve(&runtime, listener, svc);
        }
    }
    (runtime, addr, (stack != "bare").then_some(sink))
}

/// `axum::serve` of `svc` on `runtime`, with the peer in `ConnectInfo` (what
/// `into_make_service_with_connect_info` does for a router, for any service).
fn spawn_serve<S>(runtime: &tokio::runtime::Runtime, listener: tokio::net::TcpListener, svc: S)
where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
{
    let make = tower::service_fn(
        move |stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>| {
            let peer = axum::extract::ConnectInfo(*stream.remote_addr());
            let svc = tower::Layer::layer(&axum::Extension(peer), svc.clone());
            std::future::ready(Ok::<_, std::convert::Infallible>(svc))
        },
    );
    runtime.spawn(async move { axum::serve(listener, make).await });
}

/// One keep-alive connection sending requests until `stop`, counting answers while
/// `counting`.
async fn connection(
    addr: SocketAddr,
    counting: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let path = if i % 2 == 0 {
            "/"
        } else {
            "/courses/python-jumpstart"
        };
        i += 1;
        let req = Request::get(path)
            .header("host", "localhost")
            .header(
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
            )
            .body(Empty::<bytes::Bytes>::new())
            .expect("a request");
        if send.ready().await.is_err() {
            return;
        }
        let Ok(resp) = send.send_request(req).await else {
            return;
        };
        if resp.into_body().collect().await.is_err() {
            return;
        }
        if counting.load(Ordering::Relaxed) {
            done.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Requests per second of one run.
fn measure(stack: &str, threads: usize, secs: u64) -> (f64, u64, u64) {
    let (runtime, addr, sink) = serve(stack, threads);
    let clients = env("SCALING_CLIENTS", 2);
    let conns = env("SCALING_CONNS", 16);
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (counting, stop, done) = (counting.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a client runtime");
                rt.block_on(async {
                    let tasks: Vec<_> = (0..conns)
                        .map(|_| {
                            tokio::spawn(connection(
                                addr,
                                counting.clone(),
                                stop.clone(),
                                done.clone(),
                            ))
                        })
                        .collect();
                    for t in tasks {
                        let _ = t.await;
                    }
                });
            })
        })
        .collect();
    // Warm up (connections, pools, the probe automaton), then count.
    std::thread::sleep(Duration::from_millis(500));
    let written_before = sink.as_ref().map_or(0, NonBlocking::written_lines);
    counting.store(true, Ordering::Relaxed);
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    counting.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    let written = sink.as_ref().map_or(0, NonBlocking::written_lines) - written_before;
    let dropped = sink.as_ref().map_or(0, NonBlocking::dropped_lines);
    runtime.shutdown_timeout(Duration::from_secs(1));
    (n as f64 / elapsed, written, dropped)
}

fn main() {
    // `cargo bench` passes `--bench`; ignore flags.
    let secs = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let rounds = env("SCALING_ROUNDS", 3);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "# {} cores; load average before: {}; {rounds} rounds of {secs} s, {} client threads x {} connections",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        env("SCALING_CLIENTS", 2),
        env("SCALING_CONNS", 16),
    );
    let mut runs: Vec<(usize, &str, f64)> = Vec::new();
    for round in 1..=rounds {
        for threads in THREADS {
            for stack in STACKS {
                let (rps, written, dropped) = measure(stack, threads, secs);
                eprintln!("round {round}: {threads} server thread(s), {stack}: {rps:.0} req/s, {written} lines written, {dropped} dropped");
                runs.push((threads, stack, rps));
            }
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "# load average after: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("server_threads\tstack\trequests_per_s\tof_bare\tgain_from_2nd_thread");
    let median = |threads: usize, stack: &str| {
        let mut v: Vec<f64> = runs
            .iter()
            .filter(|r| r.0 == threads && r.1 == stack)
            .map(|r| r.2)
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for threads in THREADS {
        for stack in STACKS {
            let rps = median(threads, stack);
            println!(
                "{threads}\t{stack}\t{rps:.0}\t{:.1} %\t{:.2}x",
                100.0 * rps / median(threads, "bare"),
                rps / median(1, stack),
            );
        }
    }
}
