//! [`OtlpBuilder`]: the endpoint, the resource, the batching and the limits.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::encode::RequestFrame;
use super::export::{Control, Exporter, Settings};
use super::http::{Client, Endpoint};
use super::{Otlp, OtlpGuard, Shared};
use crate::sink::worker::Queue;
use crate::FieldValue;

/// Headers reqlog writes itself; setting them would break the request.
const OWN_HEADERS: &[&str] = &[
    "host",
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
];

/// Builds an [`Otlp`] sink: see [`Otlp::builder`].
pub struct OtlpBuilder {
    endpoint: String,
    resource: Vec<(Cow<'static, str>, FieldValue)>,
    headers: Vec<(String, String)>,
    /// The first invalid header, returned by `finish`.
    header_error: Option<OtlpError>,
    batch_size: usize,
    records: usize,
    bytes: usize,
    tick: Duration,
    timeout: Duration,
    max_retries: u32,
    flush_timeout: Duration,
    gzip: bool,
}

impl OtlpBuilder {
    pub(super) fn new() -> OtlpBuilder {
        OtlpBuilder {
            endpoint: "http://localhost:4318/v1/logs".to_owned(),
            resource: vec![(
                Cow::Borrowed("service.name"),
                FieldValue::from(crate::sink::program_name().unwrap_or_else(|| "reqlog".into())),
            )],
            headers: Vec::new(),
            header_error: None,
            batch_size: 512,
            records: 65_536,
            bytes: 32 << 20,
            tick: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            max_retries: 5,
            flush_timeout: Duration::from_secs(5),
            gzip: false,
        }
    }

    /// The collector's OTLP/HTTP logs URL (default `http://localhost:4318/v1/logs`).
    ///
    /// `http://` only: run a collector or agent nearby (a sidecar, a daemon set) and let
    /// it forward over TLS. A URL without a path gets `/v1/logs`; a path given is used
    /// as it is. The host is resolved once, by [`finish`](Self::finish), which returns
    /// any error in the URL.
    ///
    /// ```no_run
    /// let (sink, _guard) = reqlog::sink::Otlp::builder()
    ///     .endpoint("http://otel-collector:4318") // POSTs to /v1/logs
    ///     .finish()?;
    /// # Ok::<(), reqlog::sink::OtlpError>(())
    /// ```
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = url.into();
        self
    }

    /// The resource's `service.name` (default: the executable's file name, else
    /// `"reqlog"`).
    pub fn service_name(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.resource_attribute("service.name", FieldValue::Str(name.into()))
    }

    /// Adds an attribute of the resource, the service that writes the logs: its
    /// version, its environment, the host… A key given twice keeps the last value.
    ///
    /// ```no_run
    /// let (sink, _guard) = reqlog::sink::Otlp::builder()
    ///     .service_name("shop")
    ///     .resource_attribute("service.version", env!("CARGO_PKG_VERSION"))
    ///     .resource_attribute("deployment.environment.name", "production")
    ///     .finish()?;
    /// # Ok::<(), reqlog::sink::OtlpError>(())
    /// ```
    pub fn resource_attribute(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<FieldValue>,
    ) -> Self {
        let key = key.into();
        let value = value.into();
        match self.resource.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.resource.push((key, value)),
        }
        self
    }

    /// Sends a header with every request, such as the collector's credentials. An
    /// invalid name or value, or a header reqlog sets itself (`Content-Type`,
    /// `Content-Length`, `Host`…), is an error from [`finish`](Self::finish).
    ///
    /// ```no_run
    /// let token = std::env::var("OTLP_TOKEN").unwrap_or_default();
    /// let (sink, _guard) = reqlog::sink::Otlp::builder()
    ///     .header("authorization", format!("Bearer {token}"))
    ///     .finish()?;
    /// # Ok::<(), reqlog::sink::OtlpError>(())
    /// ```
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let (name, value) = (name.as_ref(), value.as_ref());
        let problem = if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            Some("is not a valid header name")
        } else if OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            Some("is set by reqlog")
        } else if http::HeaderValue::from_str(value).is_err() {
            Some("has a value with characters a header cannot carry")
        } else {
            None
        };
        match problem {
            Some(problem) => {
                self.header_error.get_or_insert(OtlpError::Header {
                    name: name.to_owned(),
                    problem,
                });
            }
            None => self.headers.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Most records per request (default 512, as OpenTelemetry SDKs send). A request
    /// also stops growing at 4 MiB.
    pub fn batch_size(mut self, records: usize) -> Self {
        self.batch_size = records.max(1);
        self
    }

    /// How long a record may wait before the exporter sends it (default 1 s). The
    /// exporter also wakes when the queue is half full.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.tick = interval.max(Duration::from_millis(1));
        self
    }

    /// Most records queued (default 65,536). Beyond it, records are dropped and counted
    /// ([`Otlp::dropped_records`]) and a `reqlog.dropped` record says how many once
    /// the exporter catches up; a request never waits.
    pub fn buffered_records_limit(mut self, records: usize) -> Self {
        self.records = records.max(1);
        self
    }

    /// Most bytes of encoded records queued (default 32 MiB), under the same policy.
    pub fn buffered_bytes_limit(mut self, bytes: usize) -> Self {
        self.bytes = bytes.max(1);
        self
    }

    /// How long one request may take, connecting included (default 10 s, as
    /// `OTEL_EXPORTER_OTLP_TIMEOUT`). A request that takes longer fails and is retried.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How many times a failed batch is sent again (default 5), after a backoff that
    /// starts at 200 ms and doubles up to 5 s, or the collector's `Retry-After` (up to
    /// 30 s). Only failures that OTLP/HTTP says may pass are retried: no answer, 429,
    /// 502, 503, 504. Then the batch is dropped and its records counted as lost.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// How long dropping the guard (or the last sink) goes on exporting what is queued
    /// (default 5 s). Whatever is not exported by then — a stalled or absent collector
    /// — is counted as lost, and the drop returns: shutdown never hangs.
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// Compresses each request with gzip (`Content-Encoding: gzip`; default off). Log
    /// records compress well — to a twelfth in the bench's look-alike requests, less
    /// for varied traffic — at some CPU cost on the exporter's thread, never on the
    /// request's.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Starts the exporter thread and returns the sink and its guard. Keep the guard
    /// alive until the end of `main`: dropping it exports what is queued.
    ///
    /// ```
    /// use reqlog::sink::Otlp;
    ///
    /// let (sink, _guard) = Otlp::builder()
    ///     .endpoint("http://127.0.0.1:4318/v1/logs")
    ///     .service_name("shop")
    ///     .finish()?;
    /// let layer = reqlog::RequestLog::new().sink(sink);
    /// # Ok::<(), reqlog::sink::OtlpError>(())
    /// ```
    ///
    /// # Errors
    /// If the endpoint is not an `http://` URL, its host does not resolve, a header is
    /// invalid, or the thread cannot be started.
    pub fn finish(self) -> Result<(Otlp, OtlpGuard), OtlpError> {
        if let Some(e) = self.header_error {
            return Err(e);
        }
        let endpoint = Endpoint::parse(&self.endpoint).map_err(|problem| OtlpError::Endpoint {
            endpoint: self.endpoint.clone(),
            problem,
        })?;
        let addrs = endpoint.resolve().map_err(|source| OtlpError::Resolve {
            endpoint: endpoint.url.clone(),
            source,
        })?;
        let url = endpoint.url.clone();
        let queue = Arc::new(Queue::new(self.records, self.bytes, self.tick));
        let control = Arc::new(Control::default());
        let exporter = Exporter::new(
            queue.clone(),
            control.clone(),
            Client::new(endpoint, addrs, &self.headers),
            RequestFrame::new(&self.resource),
            Settings {
                batch_size: self.batch_size,
                timeout: self.timeout,
                max_retries: self.max_retries,
                gzip: self.gzip,
            },
        );
        let handle = std::thread::Builder::new()
            .name("reqlog-otlp".into())
            .spawn(move || exporter.run())
            .map_err(OtlpError::Spawn)?;
        let shared = Arc::new(Shared {
            queue,
            control,
            url,
            flush_timeout: self.flush_timeout,
            worker: Mutex::new(Some(handle)),
        });
        Ok((
            Otlp {
                shared: shared.clone(),
            },
            OtlpGuard { shared },
        ))
    }
}

impl fmt::Debug for OtlpBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be credentials: names only.
        let headers: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("OtlpBuilder")
            .field("endpoint", &self.endpoint)
            .field("resource", &self.resource)
            .field("headers", &headers)
            .field("batch_size", &self.batch_size)
            .field("buffered_records_limit", &self.records)
            .field("buffered_bytes_limit", &self.bytes)
            .field("flush_interval", &self.tick)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("flush_timeout", &self.flush_timeout)
            .field("gzip", &self.gzip)
            .finish()
    }
}

/// Why [`OtlpBuilder::finish`] could not start the sink.
///
/// # Example
/// ```
/// use reqlog::sink::{Otlp, OtlpError};
///
/// let err = Otlp::builder().endpoint("https://collector:4318").finish().unwrap_err();
/// assert!(matches!(err, OtlpError::Endpoint { .. }));
/// assert!(err.to_string().contains("https is not supported"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum OtlpError {
    /// The endpoint is not an `http://host[:port][/path]` URL.
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The endpoint's host did not resolve.
    Resolve {
        /// The endpoint.
        endpoint: String,
        /// The lookup's error.
        source: io::Error,
    },
    /// A header cannot be sent.
    Header {
        /// The header's name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The exporter thread could not be started.
    Spawn(io::Error),
}

impl fmt::Display for OtlpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OtlpError::Endpoint { endpoint, problem } => {
                write!(f, "invalid OTLP endpoint {endpoint:?}: {problem}")
            }
            OtlpError::Resolve { endpoint, source } => write!(
                f,
                "cannot resolve the OTLP endpoint {endpoint}: {source} (check the host name)"
            ),
            OtlpError::Header { name, problem } => {
                write!(f, "the OTLP header {name:?} {problem}")
            }
            OtlpError::Spawn(e) => write!(f, "cannot start the OTLP exporter thread: {e}"),
        }
    }
}

impl std::error::Error for OtlpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OtlpError::Resolve { source, .. } | OtlpError::Spawn(source) => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_name_is_one_resource_attribute() {
        let b = OtlpBuilder::new();
        assert_eq!(b.resource.len(), 1);
        assert_eq!(b.resource[0].0, "service.name");
        let b = b
            .service_name("shop")
            .resource_attribute("service.version", "1.2")
            .resource_attribute("service.name", "shop-2");
        assert_eq!(
            b.resource,
            vec![
                ("service.name".into(), FieldValue::from("shop-2")),
                ("service.version".into(), FieldValue::from("1.2")),
            ]
        );
    }

    #[test]
    fn errors_say_what_to_fix() {
        let err = |b: OtlpBuilder| b.finish().unwrap_err().to_string();
        let e = err(OtlpBuilder::new().endpoint("https://collector:4318"));
        assert!(e.contains("https is not supported"), "{e}");
        let e = err(OtlpBuilder::new().endpoint("127.0.0.1:4318"));
        assert!(e.contains("needs a scheme"), "{e}");
        let e = err(OtlpBuilder::new().endpoint("http://no-such-host.invalid:4318"));
        assert!(e.starts_with("cannot resolve the OTLP endpoint"), "{e}");
        let e = err(OtlpBuilder::new().header("content-type", "application/json"));
        assert!(e.contains("is set by reqlog"), "{e}");
        let e = err(OtlpBuilder::new()
            .header("x-ok", "1")
            .header("bad name", "x"));
        assert!(e.contains("\"bad name\" is not a valid header name"), "{e}");
        let e = err(OtlpBuilder::new().header("x-tenant", "a\r\nInjected: yes"));
        assert!(e.contains("cannot carry"), "{e}");
    }

    #[test]
    fn debug_hides_header_values() {
        let b = OtlpBuilder::new().header("authorization", "Bearer s3cret");
        let text = format!("{b:?}");
        assert!(
            text.contains("authorization") && !text.contains("s3cret"),
            "{text}"
        );
    }
}
