//! [`RequestLog`]: one structured record per request.
//!
//! - `layer.rs` — the builder and its settings;
//! - `service.rs` — starts the record and passes the request on;
//! - `future.rs` — sees the response head or the service error;
//! - `body.rs` — counts response bytes, finishes the record at the end;
//! - `request_body.rs` — counts request bytes read;
//! - `finish.rs` — writes the record exactly once (end, error, abort, panic, upgrade);
//! - `keep.rs` — tail sampling: which complete records are written ([`Keep`]);
//! - `grpc.rs` — gRPC calls: the method, and the status from the head or the trailers;
//! - `capture.rs`, `client_ip.rs`, `redact.rs`, `request_id.rs` — what goes in the record;
//! - `correlation.rs`, `trace_context.rs` — the line's id and the caller's trace, handed
//!   to the application ([`RequestId`], [`TraceContext`]);
//! - `route_hook.rs` — axum's matched route, for a `RequestLog` outside the router
//!   ([`RouteHook`], feature `axum`);
//! - `start.rs` — the `reqlog.start` record;
//! - `debug.rs` — the request's span and its debug events (feature `debug-events`).

mod body;
mod capture;
mod client_ip;
mod correlation;
mod debug;
mod finish;
mod future;
mod grpc;
mod keep;
mod layer;
mod redact;
mod request_body;
mod request_id;
#[cfg(feature = "axum")]
mod route_hook;
mod service;
mod start;
mod trace_context;

pub use body::ResponseBody;
pub(crate) use client_ip::{mask, peer, resolve, Client, Proxies, Resolved};
pub use finish::default_level;
pub use future::ResponseFuture;
pub use keep::Keep;
pub use layer::RequestLog;
pub(crate) use redact::write_redacting_emails;
pub use redact::{DEFAULT_REDACTED_PARAMS, REDACTED};
pub use request_body::RequestBody;
pub use request_id::RequestId;
#[cfg(feature = "axum")]
pub use route_hook::{RouteHook, RouteHookService};
pub use service::RequestLogService;
pub use start::AppStart;
pub use trace_context::TraceContext;
