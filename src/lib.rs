//! reqlog: one structured log line per HTTP request, from composable tower middleware.
//!
//! Put [`RequestLog`] outermost on an axum `Router` (or any `tower::Service` over
//! `http::Request` — hyper, tonic) and every request becomes one JSON line on standard
//! output, written by a background thread so the request never waits on I/O:
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use axum::{routing::get, Router};
//! use reqlog::{AppStart, RequestLog};
//!
//! # async fn run() -> std::io::Result<()> {
//! let (sink, _guard) = reqlog::sink::stdout(); // keep the guard: it flushes on exit
//! let log = RequestLog::new().sink(sink).skip(|req| req.uri.path() == "/health");
//! let app = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .layer(log.clone());
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! log.log_start(AppStart::new("my-site").listening(listener.local_addr()?));
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
//! # }
//! ```
//!
//! A line looks like this (one line in the log; wrapped here):
//!
//! ```text
//! {"timestamp":"2026-11-24T02:30:05.123456Z","level":"INFO","otel.event.name":"http.request",
//!  "http.request.method":"GET","url.path":"/courses/python-jumpstart","http.route":"/courses/{course}",
//!  "network.protocol.version":"1.1","server.address":"example.com","client.address":"203.0.113.7",
//!  "user_agent.original":"Mozilla/5.0 …","request.id":"4a559ec790f8f80ab511b0c2c0466d85",
//!  "http.response.status_code":200,"http.request.body.size":0,"http.response.body.size":1532,
//!  "duration_ms":0.412,"ttfb_ms":0.350,"outcome":"ok"}
//! ```
//!
//! # What you can count on
//!
//! - **Exactly one record per request**: at the last body byte (`outcome: "ok"`), on a
//!   body or service error (`"error"`), when the client goes away before or during the
//!   body (`"aborted"`), when the handler panics (`"panic"`, written while unwinding),
//!   on `101 Switching Protocols` (`"upgraded"`).
//! - **Privacy by default**: `Authorization`, `Cookie` and other headers are never
//!   read; values of sensitive query parameters ([`DEFAULT_REDACTED_PARAMS`]) and
//!   e-mail addresses in the path, query and referer become `[REDACTED]`; request
//!   bodies are never logged; the client address can be masked.
//! - **Hostile input stays one line**: text is made valid UTF-8, escaped by the format,
//!   and `url.path`, `url.query`, `user_agent.original` and the referer are capped
//!   (4 KiB, ending in `…[truncated]`).
//! - **The client is who the trusted proxies say**: `X-Forwarded-For` (or, with
//!   [`RequestLog::trust_forwarded_header`], `Forwarded`) counts only from
//!   [`RequestLog::trust_proxies`], read from the right so that nothing a client writes
//!   can name another address or the proxy; the peer address comes from a
//!   `SocketAddr` in the request extensions or, with the `axum` feature, axum's
//!   `ConnectInfo<SocketAddr>`.
//! - **Cheap**: two heap allocations per request on the request path, and the line
//!   formatted on a writer thread that batches many lines per system call.
//!
//! # Modules
//!
//! - [`request_log`]: the layer ([`RequestLog`]), its service, future and bodies, its
//!   tail-sampling policy ([`Keep`]: which complete records are written), and the
//!   `app.start` record ([`AppStart`]).
//! - [`probe`]: [`ProbeDetector`], which flags hack probes and names crawlers,
//!   scanners and tools, and the [`Classifier`](probe::Classifier) it runs.
//! - [`actions`]: [`UserActions`], what users do (logins, purchases…) on the request's
//!   line, with a pseudonymous user id.
//! - `debug_events` (feature `debug-events`): the `tracing` events of failed or slow
//!   requests on their lines ("fingers crossed").
//! - [`sink`]: where records go ([`sink::Sink`], [`sink::NonBlocking`], a rotating file,
//!   syslog, OTLP, `tracing`, memory, closure).
//! - [`format`](mod@format): how a record becomes a line ([`format::JsonLines`], with
//!   OpenTelemetry, Elastic Common Schema or Google Cloud Logging keys
//!   ([`format::Schema`]), [`format::Logfmt`], [`format::Combined`]).
//! - [`Field`]: the record's fields and their keys, for programs that read the logs
//!   back — the `reqlog` command (crate `reqlog-cli`, in this repository's `cli/`) is
//!   one.
//!
//! # Features
//!
//! - `axum`: read the peer address from `ConnectInfo<SocketAddr>` and the route
//!   (`http.route`) from `MatchedPath`; `RouteHook` reports the route to a
//!   `RequestLog` around the whole router (README, "Setting up with axum").
//! - `syslog`: the `Syslog` sink in [`sink`] (local socket, UDP, TCP).
//! - `tracing`: the `TracingSink` in [`sink`], one `tracing` event per record.
//! - `debug-events`: the `debug_events` module, "fingers crossed": the `tracing`
//!   events of each request, buffered and put on its line (`debug.events`) only when
//!   the request failed or was slow (a `tracing-subscriber` layer).
//! - `otlp`: the `Otlp` sink in [`sink`], records as OpenTelemetry log records sent in
//!   batches to a collector over OTLP/HTTP (protobuf).
//! - `redis`: [`ProbeDetector`] state shared by many instances
//!   through Redis (`RedisState` in [`probe`]).
//! - `verify-dns`: [`CrawlerVerifier`](probe::CrawlerVerifier) checks crawlers by
//!   forward-confirmed reverse DNS (hickory-resolver), not only by published ranges.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod actions;
#[cfg(feature = "debug-events")]
pub mod debug_events;
pub mod format;
mod hex;
pub mod probe;
mod record;
pub mod request_log;
pub mod sink;

pub use actions::{Actions, UserActions};
pub use ipnet::IpNet;
pub use probe::ProbeDetector;
pub use record::{
    Field, FieldError, FieldValue, Level, Outcome, Record, RecordHandle, Value, RESERVED_KEYS,
};
#[cfg(feature = "axum")]
pub use request_log::RouteHook;
pub use request_log::{
    default_level, AppStart, Keep, RequestId, RequestLog, TraceContext, DEFAULT_REDACTED_PARAMS,
    REDACTED,
};

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
