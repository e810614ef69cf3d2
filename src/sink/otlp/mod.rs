//! [`Otlp`]: each record becomes an OpenTelemetry log record, sent in batches to a
//! collector over OTLP/HTTP with protobuf (`POST /v1/logs`,
//! `Content-Type: application/x-protobuf`), over `http://` or `https://`.
//!
//! The request's thread encodes the record as one protobuf `LogRecord` into a reused
//! buffer and copies it into a bounded queue; an exporter thread batches what is
//! queued and POSTs it with [ureq](https://docs.rs/ureq) (rustls for TLS). A request
//! never waits on the collector. The few messages are encoded by hand (no protobuf
//! library), and `tests/otlp.rs` and `tests/otlp_tls.rs` check them against the
//! official definitions.
//!
//! ```no_run
//! use reqlog::{sink::Otlp, RequestLog};
//!
//! # fn main() -> Result<(), reqlog::sink::OtlpError> {
//! let (sink, _guard) = Otlp::builder()
//!     .endpoint("https://otlp.example.com") // or OTEL_EXPORTER_OTLP_ENDPOINT
//!     .service_name("shop")
//!     .finish()?; // keep the guard alive until the end of main
//! let layer = RequestLog::new().sink(sink);
//! # Ok(()) }
//! ```
//!
//! # Configuration: the builder, then the environment
//!
//! What the builder sets explicitly wins; what it leaves comes from the OpenTelemetry
//! exporter variables, the logs signal's (`OTEL_EXPORTER_OTLP_LOGS_*`) before the
//! generic ones (`OTEL_EXPORTER_OTLP_*`); then reqlog's defaults.
//! [`read_env(false)`](OtlpBuilder::read_env) ignores the variables.
//!
//! | variable | builder | meaning |
//! | --- | --- | --- |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | — | base URL: `/v1/logs` is appended to its path |
//! | `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` | [`endpoint`](OtlpBuilder::endpoint) | the URL, used as it is (no path: `/`) |
//! | `…_HEADERS` | [`header`](OtlpBuilder::header) | `key=value,key2=value2`, percent-decoded; a builder header replaces the same name |
//! | `…_COMPRESSION` | [`gzip`](OtlpBuilder::gzip) | `gzip` or `none` |
//! | `…_TIMEOUT` | [`timeout`](OtlpBuilder::timeout) | milliseconds per request (10,000); `0`: no limit |
//! | `…_CERTIFICATE` | [`certificate`](OtlpBuilder::certificate) | PEM file of the CAs trusted for `https://`, instead of the system's |
//! | `…_PROTOCOL` | — | only `http/protobuf` is spoken; another value is a warning |
//!
//! An endpoint or headers that cannot be used, or an unreadable certificate file, is
//! an error from [`finish`](OtlpBuilder::finish) that names the variable (never a
//! header's value); a malformed timeout or compression is ignored with a warning on
//! stderr. `https://` trusts the system's certificate authorities (through
//! rustls-platform-verifier; in a container, install `ca-certificates`), or only those
//! of the certificate file. A proxy comes from `https_proxy` (for an `https://`
//! collector) or `http_proxy` (for `http://`), else `all_proxy`, each also in
//! capitals, unless `no_proxy` names the host (`*`, a domain and its subdomains, an
//! address, a network such as `10.0.0.0/8`); reqlog tunnels through it with
//! `CONNECT`, also to an `http://` collector.
//!
//! Connections are kept alive between batches. The collector's name is looked up
//! when a connection is opened, not at the start: a name that does not resolve yet
//! is no error, its batches are retried and counted like any network failure, and a
//! collector that moves is found again. Addresses are kept 30 s at most, and
//! forgotten when none of them answers.
//!
//! # The log record
//!
//! | OTLP | from the record |
//! | --- | --- |
//! | `time_unix_nano`, `observed_time_unix_nano` | `timestamp` (the request's start) |
//! | `severity_number`, `severity_text` | `level`: `DEBUG` 5, `INFO` 9, `WARN` 13, `ERROR` 17 |
//! | `body` (a string), `event_name` | `otel.event.name`: `"http.request"`, `"reqlog.start"`… |
//! | `attributes` | every other field, under the key of the JSON line |
//! | resource `attributes` | `service.name` and what you add ([`OtlpBuilder::resource_attribute`]) |
//! | scope | `reqlog`, version of the crate |
//!
//! So a collector sees `http.request.method`, `url.path`, `http.response.status_code`,
//! `client.address`, `request.id`… as the OpenTelemetry HTTP semantic conventions name
//! them. Attributes are typed as the JSON line types them: text as strings, integers
//! as `int_value` (a `u64` above `i64::MAX` as its decimal text), `duration_ms`,
//! `ttfb_ms` and other floats as `double_value`, booleans as `bool_value`, addresses
//! as text, `visitor.actions` and other lists and objects as arrays and key-value lists.
//! A record with a trace (from a valid `traceparent`) carries it in the log record's
//! own `trace_id`, `span_id` and `flags`; reqlog does not make trace ids up, and
//! `request.id` is an attribute like the others.
//!
//! # Delivery and failures
//!
//! - The queue holds at most [`buffered_records_limit`](OtlpBuilder::buffered_records_limit)
//!   records (65,536) and [`buffered_bytes_limit`](OtlpBuilder::buffered_bytes_limit)
//!   bytes (32 MiB). When it is full, records are dropped and counted
//!   ([`Otlp::dropped_records`]); once the exporter catches up, a `reqlog.dropped`
//!   record (`WARN`, with `reqlog.dropped.count`) says how many.
//! - The exporter wakes every [`flush_interval`](OtlpBuilder::flush_interval) (1 s) or
//!   when the queue is half full, and sends what is queued in requests of at most
//!   [`batch_size`](OtlpBuilder::batch_size) records (512).
//! - A request that gets no connection (the name does not resolve, the connection is
//!   refused), no answer within [`timeout`](OtlpBuilder::timeout) (10 s), or 429, 502,
//!   503 or 504, is retried [`max_retries`](OtlpBuilder::max_retries) times (5) after
//!   a growing backoff; other answers (400, 401, 413…) and TLS failures (an untrusted
//!   certificate) are not retried. Then the batch's records are counted as lost
//!   ([`Otlp::lost_records`]). Records the collector refuses in a partial success
//!   count as lost too. A request on a kept-alive connection that the collector had
//!   closed is sent once more on a new connection, and is no failure.
//! - Each failed request counts in [`Otlp::export_errors`] and is reported on stderr,
//!   one line per 10 s at most.
//! - Dropping the [`OtlpGuard`] exports what is queued, for
//!   [`flush_timeout`](OtlpBuilder::flush_timeout) (5 s) at most: a request, a retry or
//!   a backoff under way is cut at that deadline and what is left is counted as lost.
//!   The drop returns by then, 0.25 s later at most: a name lookup, a connection, a
//!   TLS handshake, a write or a read under way notices the deadline within 50 ms (a
//!   connection attempt to a host that does not answer within a second, so its batch
//!   may be counted as lost just after the drop returns). The last [`Otlp`] clone does the same and stops
//!   the thread.
//!
//! Memory is bounded by the queue's limits, twice (the queue and the batch being
//! sent), plus one request of at most 4 MiB.
//!
//! # Cost
//!
//! On the request's thread, a typical request record (about 20 attributes) encodes
//! to about 630 bytes — the size of its JSON line — in about 4,700 instructions,
//! roughly twice what formatting the JSON line takes (0.9 µs against 0.35 µs on a
//! small two-core machine; `cargo bench --bench otlp --features otlp`); copying it
//! into the queue costs what it costs for [`NonBlocking`](super::NonBlocking). No
//! allocation once the thread's buffer is warm. The exporter adds about 100 bytes of
//! framing per request and keeps its connection between batches; with
//! [`gzip`](OtlpBuilder::gzip) a record took about 50 bytes on the wire in the bench's
//! look-alike requests (varied traffic compresses less).

mod builder;
mod client;
mod encode;
mod endpoint;
mod env;
mod export;
mod transport;

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use builder::{OtlpBuilder, OtlpError};

use super::non_blocking::Overflow;
use super::worker::Queue;
use super::Sink;
use crate::Record;
use export::Control;

/// How long past its deadline a shutdown waits for the exporter to count what it gave
/// up on: a connection attempt under way ends within [`transport::CONNECT_SLICE`].
const GRACE: Duration = Duration::from_millis(250);

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(1024));
}

/// A sink that sends each record to an OpenTelemetry collector over OTLP/HTTP, from a
/// background thread: see [the module](self) for the mapping and the guarantees.
///
/// Clones share the queue and the exporter. Built by [`Otlp::builder`].
///
/// # Example
/// ```no_run
/// use reqlog::sink::Otlp;
///
/// let (sink, guard) = Otlp::builder().service_name("shop").finish()?;
/// let layer = reqlog::RequestLog::new().sink(sink.clone());
/// // … serve …
/// drop(guard); // exports what is queued, 5 s at most
/// eprintln!(
///     "{} records exported, {} dropped, {} lost",
///     sink.exported_records(),
///     sink.dropped_records(),
///     sink.lost_records()
/// );
/// # Ok::<(), reqlog::sink::OtlpError>(())
/// ```
#[derive(Clone)]
pub struct Otlp {
    shared: Arc<Shared>,
}

/// Exports what is queued when dropped, within the flush timeout. Keep it alive in
/// `main`.
///
/// # Example
/// ```no_run
/// let (sink, _guard) = reqlog::sink::Otlp::builder().finish()?;
/// // `_guard`, not `_`: `let (sink, _) = …` would drop it, and flush, at once.
/// # Ok::<(), reqlog::sink::OtlpError>(())
/// ```
#[must_use = "dropping the guard at once flushes and gives no protection at exit"]
pub struct OtlpGuard {
    shared: Arc<Shared>,
}

struct Shared {
    queue: Arc<Queue>,
    control: Arc<Control>,
    url: String,
    flush_timeout: Duration,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Otlp {
    /// A builder with the defaults: `http://localhost:4318/v1/logs`, `service.name`
    /// the executable's name, batches of 512, 65,536 records queued at most.
    ///
    /// Building connects to nothing: the collector may come up later.
    ///
    /// ```
    /// use std::time::Duration;
    /// use reqlog::sink::Otlp;
    ///
    /// let (sink, _guard) = Otlp::builder()
    ///     .endpoint("http://127.0.0.1:4318/v1/logs")
    ///     .service_name("shop")
    ///     .header("authorization", "Bearer 7f3c9a")
    ///     .batch_size(512)
    ///     .flush_interval(Duration::from_secs(1))
    ///     .buffered_records_limit(65_536)
    ///     .timeout(Duration::from_secs(10))
    ///     .finish()?;
    /// # Ok::<(), reqlog::sink::OtlpError>(())
    /// ```
    pub fn builder() -> OtlpBuilder {
        OtlpBuilder::new()
    }

    /// Records dropped because the queue was full, since the start.
    pub fn dropped_records(&self) -> u64 {
        self.shared.queue.stats.dropped.load(Ordering::Relaxed)
    }

    /// Records the collector accepted (including `reqlog.dropped` reports).
    pub fn exported_records(&self) -> u64 {
        self.shared.queue.stats.written.load(Ordering::Relaxed)
    }

    /// Records given up on: their batch failed every attempt, could not be retried,
    /// was cut by the shutdown deadline, or the collector rejected them.
    pub fn lost_records(&self) -> u64 {
        self.shared.queue.stats.lost.load(Ordering::Relaxed)
    }

    /// Failed requests (no connection, no answer in time, an error status), each
    /// retried or not.
    pub fn export_errors(&self) -> u64 {
        self.shared.queue.stats.write_errors.load(Ordering::Relaxed)
    }

    /// Waits until every record queued before this call is exported or given up on, or
    /// the flush timeout passes; returns whether everything was dealt with. Retries
    /// are not cut short. Blocks: call it at shutdown or in tests, not on the request
    /// path.
    pub fn flush(&self) -> bool {
        self.shared.queue.flush(self.shared.flush_timeout)
    }
}

impl Sink for Otlp {
    fn emit(&self, record: &Record) {
        let queue = &self.shared.queue;
        // Reuse this thread's buffer; fall back to a fresh one while the thread is
        // being torn down (thread-locals gone) or if we were re-entered.
        let pushed = SCRATCH.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                buf.clear();
                let start = encode::log_record(record, &mut buf);
                queue.push(&buf[start..], Overflow::Drop);
                if buf.capacity() > 64 * 1024 {
                    *buf = Vec::with_capacity(1024);
                }
                true
            }
            Err(_) => false,
        });
        if pushed != Ok(true) {
            let mut buf = Vec::with_capacity(1024);
            let start = encode::log_record(record, &mut buf);
            queue.push(&buf[start..], Overflow::Drop);
        }
    }

    fn describe(&self) -> Cow<'static, str> {
        format!("otlp {}", self.shared.url).into()
    }
}

impl OtlpGuard {
    /// Waits until every record queued before this call is exported or given up on, or
    /// the flush timeout passes; returns whether everything was dealt with. Blocks.
    pub fn flush(&self) -> bool {
        self.shared.queue.flush(self.shared.flush_timeout)
    }
}

impl Drop for OtlpGuard {
    fn drop(&mut self) {
        let shared = &self.shared;
        shared
            .control
            .set_deadline(Some(Instant::now() + shared.flush_timeout));
        shared.queue.flush(shared.flush_timeout + GRACE);
        // Sinks may outlive the guard: later records are exported as usual.
        shared.control.set_deadline(None);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Last user gone: export what is queued within the deadline, stop the thread.
        self.control
            .set_deadline(Some(Instant::now() + self.flush_timeout));
        if self.queue.shutdown(self.flush_timeout + GRACE) {
            let handle = self.worker.get_mut().ok().and_then(|h| h.take());
            if let Some(h) = handle {
                let _ = h.join();
            }
        }
    }
}

impl fmt::Debug for Otlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Otlp")
            .field("endpoint", &self.shared.url)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for OtlpGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpGuard").finish_non_exhaustive()
    }
}
