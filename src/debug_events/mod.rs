//! Debug events of failed requests ("fingers crossed"; feature `debug-events`).
//!
//! A request's line says that it failed, not why. With this feature, the `tracing`
//! events emitted while a request is handled — whatever their level, including those of
//! tasks it spawned inside its span — are kept in a small buffer of the request's own,
//! and go on its line (`debug.events`) only when the request failed or was slow;
//! otherwise the buffer is dropped with the request. Logbook calls it a "fingers
//! crossed" handler.
//!
//! Two parts, both needed:
//!
//! - [`DebugEvents::layer`]: a `tracing_subscriber` [`Layer`](tracing_subscriber::Layer)
//!   ([`DebugEventsLayer`]) for the application's subscriber;
//! - [`RequestLog::debug_events`](crate::RequestLog::debug_events): turns the buffering
//!   on, with its bounds and its slow threshold ([`DebugEvents`]).
//!
//! # How it works
//!
//! - [`RequestLog`](crate::RequestLog) opens a span, `reqlog.request` (target `reqlog`,
//!   level `DEBUG`, so that a console showing `INFO` neither prints nor formats it; no
//!   fields), for each request it logs, and enters it while it calls
//!   and polls the inner service and while the response body is polled. The layer ties
//!   the span to the request's record when the span is created.
//! - For each event, the layer walks from the event's span up to the nearest
//!   `reqlog.request` span (so events in the handler's own spans, and in tasks spawned
//!   with `.in_current_span()` or `.instrument(Span::current())`, count) and pushes the
//!   event into that request's buffer: its time, level, target, message and fields,
//!   formatted once, each text value cut at 1 KiB (at a character boundary, ending in
//!   `…`). An event outside any request is ignored; an event bridged from the `log`
//!   crate gets its `log.target` as target.
//! - The buffer is bounded: [`max_events`](DebugEvents::max_events) (default 64) and
//!   [`max_bytes`](DebugEvents::max_bytes) (default 16 KiB, counting the events' text
//!   and 96 bytes for each event's time, level and structure). An event that does not
//!   fit is dropped and counted (`debug.dropped`); the first events are the ones kept.
//!   Once the count bound is reached, an event costs a lock and an increment.
//! - When the record is complete (status, duration, outcome and level known), the
//!   buffer is closed: its events go on the line if the request failed — outcome
//!   `error`, `aborted` or `panic`, a status of 500 or more, or level `ERROR` — or took
//!   longer than [`slower_than`](DebugEvents::slower_than); otherwise they are dropped.
//!   Events emitted after that (a task still running, a sink that logs) are ignored.
//!
//! A request that emits no event costs a span (created, entered on each poll, closed);
//! its buffer is allocated at its first event only. The lock of a buffer is the
//! request's own and is never held while a sink writes.
//!
//! # On the line
//!
//! `debug.events` is a list of objects, in the order the events were emitted:
//!
//! ```text
//! "debug.events":[{"time":"2026-11-24T02:30:05.123456Z","level":"DEBUG","target":"shop::payment",
//!   "message":"provider answered","fields":{"provider":"fakepay","status":"declined"}}],
//! "debug.dropped":3
//! ```
//!
//! - JSON lines (every schema preset): that array; ECS and Google Cloud keep the keys
//!   (in Cloud Logging they land in `jsonPayload`).
//! - OTLP: an array attribute of key-value lists (`ArrayValue` of `KvlistValue`).
//! - logfmt: the same JSON, compact, as one quoted and escaped logfmt value.
//! - `combined`: nothing (the format's fields are fixed).
//! - the `tracing` sink: inside its `reqlog.fields` JSON object.
//!
//! Messages and fields are arbitrary text; the formats escape them as any other value,
//! so a line stays one valid line whatever an event says.
//!
//! # Subscriber set-up
//!
//! The layer must see events that a console would filter out, so the console's level
//! filter must be a per-layer filter (`.with_filter(..)` on its layer), not a global
//! one (`fmt().with_max_level(..)` or an `EnvFilter` added with `.with(..)`), which
//! would disable those events — and the `DEBUG` request spans, so that nothing at all
//! is captured — for every layer. The layer reports its own level
//! ([`DebugEventsLayer::max_level`]) to the subscriber, so `debug!` events are enabled
//! for it while the console still shows `INFO` and above.
//!
//! # Example
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::BodyExt;
//! use reqlog::debug_events::DebugEvents;
//! use reqlog::{request_log::RequestBody, sink::MemorySink, RequestLog};
//! use tower::{service_fn, Layer, ServiceExt};
//! use tracing_subscriber::{filter::LevelFilter, layer::SubscriberExt, Layer as _};
//!
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_subscriber::fmt::layer().with_filter(LevelFilter::INFO))
//!     .with(DebugEvents::layer());
//! let _default = tracing::subscriber::set_default(subscriber);
//!
//! let memory = MemorySink::new();
//! let app = RequestLog::new()
//!     .sink(memory.clone())
//!     .debug_events(DebugEvents::new())
//!     .layer(service_fn(|_req: Request<RequestBody<String>>| async {
//!         tracing::debug!(provider = "fakepay", "calling the provider");
//!         tracing::debug!(status = "timeout", "the provider did not answer");
//!         let mut response = Response::new(String::new());
//!         *response.status_mut() = StatusCode::BAD_GATEWAY;
//!         Ok::<_, Infallible>(response)
//!     }));
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! runtime.block_on(async {
//!     let response = app.oneshot(Request::new(String::new())).await.unwrap();
//!     response.into_body().collect().await.unwrap();
//! });
//! let line = &memory.records()[0];
//! let events = line.get("debug.events").unwrap();
//! assert_eq!(events[0]["message"], "calling the provider");
//! assert_eq!(events[0]["fields"]["provider"], "fakepay");
//! assert_eq!(events[1]["level"], "DEBUG");
//! ```

mod attach;
mod buffer;
mod layer;

use std::time::Duration;

pub(crate) use attach::attach;
#[allow(unused_imports)] // the predicate a sampling policy will call
pub(crate) use attach::keep;
pub(crate) use buffer::{Buffer, Limits};
pub use layer::DebugEventsLayer;
pub(crate) use layer::RequestSpan;

/// The settings of the debug-event buffers: how much one request keeps, and when a
/// request that did not fail still gets its events on the line.
///
/// Give it to [`RequestLog::debug_events`](crate::RequestLog::debug_events), and add
/// [`DebugEvents::layer`] to the subscriber (see the [module](self) docs).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use reqlog::{debug_events::DebugEvents, RequestLog};
///
/// let log = RequestLog::new().debug_events(
///     DebugEvents::new()
///         .max_events(64)
///         .max_bytes(16 * 1024)
///         .slower_than(Duration::from_millis(500)),
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebugEvents {
    limits: Limits,
    slower_than: Option<Duration>,
}

impl Default for DebugEvents {
    fn default() -> Self {
        DebugEvents::new()
    }
}

impl DebugEvents {
    /// The defaults: 64 events and 16 KiB per request, events attached to failed
    /// requests only.
    pub fn new() -> DebugEvents {
        DebugEvents {
            limits: Limits {
                max_events: 64,
                max_bytes: 16 * 1024,
            },
            slower_than: None,
        }
    }

    /// The layer to add to the application's `tracing` subscriber, capturing events of
    /// every level (see [`DebugEventsLayer::max_level`]).
    ///
    /// # Example
    /// ```
    /// use reqlog::debug_events::DebugEvents;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let subscriber = tracing_subscriber::registry().with(DebugEvents::layer());
    /// tracing::subscriber::with_default(subscriber, || {
    ///     tracing::debug!("outside any request: not kept");
    /// });
    /// ```
    pub fn layer() -> DebugEventsLayer {
        DebugEventsLayer::new()
    }

    /// The most events one request keeps (default 64); later ones are counted in
    /// `debug.dropped`. Zero keeps none.
    ///
    /// # Example
    /// ```
    /// let settings = reqlog::debug_events::DebugEvents::new().max_events(16);
    /// ```
    pub fn max_events(mut self, events: usize) -> Self {
        self.limits.max_events = events;
        self
    }

    /// The most bytes one request's events take (default 16 KiB): the text of their
    /// targets, messages, field names and text values, each event counting 96 bytes
    /// more. An event that does not fit is counted in `debug.dropped` (a smaller one
    /// after it may still fit).
    ///
    /// # Example
    /// ```
    /// let settings = reqlog::debug_events::DebugEvents::new().max_bytes(4 * 1024);
    /// ```
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_bytes = bytes;
        self
    }

    /// Attaches the events of requests slower than `duration` (to the last body byte)
    /// too, not only those of failed requests (default: failed requests only).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    ///
    /// let settings = reqlog::debug_events::DebugEvents::new().slower_than(Duration::from_secs(1));
    /// ```
    pub fn slower_than(mut self, duration: Duration) -> Self {
        self.slower_than = Some(duration);
        self
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// The settings in words, for the `reqlog.start` record.
    pub(crate) fn describe(&self) -> String {
        let mut s = format!(
            "{} events, {} bytes per request; failed requests",
            self.limits.max_events, self.limits.max_bytes
        );
        if let Some(d) = self.slower_than {
            s.push_str(&format!(", slower than {} ms", d.as_secs_f64() * 1000.0));
        }
        s
    }
}
