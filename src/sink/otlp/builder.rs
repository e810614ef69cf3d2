//! [`OtlpBuilder`]: the endpoint, TLS, the resource, the batching and the limits, merged
//! with the OpenTelemetry exporter environment: what the builder sets explicitly wins,
//! then `OTEL_EXPORTER_OTLP_LOGS_*`, then `OTEL_EXPORTER_OTLP_*`, then the defaults.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::client::{read_certificates, Client, ClientSettings};
use super::encode::RequestFrame;
use super::endpoint::{Endpoint, PathRule};
use super::export::{Control, Exporter, Settings};
use super::transport::{system_lookup, Lookup};
use super::{env, Otlp, OtlpGuard, Shared};
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

/// The endpoint when neither the builder nor the environment names one.
const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/logs";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a header cannot be sent, if it cannot.
pub(super) fn check_header(name: &str, value: &str) -> Option<&'static str> {
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        Some("is not a valid header name")
    } else if OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        Some("is set by reqlog")
    } else if http::HeaderValue::from_str(value).is_err() {
        Some("has a value with characters a header cannot carry")
    } else {
        None
    }
}

/// Builds an [`Otlp`] sink: see [`Otlp::builder`].
pub struct OtlpBuilder {
    /// Settings left `None` come from the environment, else the defaults.
    endpoint: Option<String>,
    resource: Vec<(Cow<'static, str>, FieldValue)>,
    headers: Vec<(String, String)>,
    /// The first invalid header and its problem, returned by `finish`.
    header_error: Option<(String, &'static str)>,
    batch_size: usize,
    records: usize,
    bytes: usize,
    tick: Duration,
    timeout: Option<Duration>,
    max_retries: u32,
    flush_timeout: Duration,
    gzip: Option<bool>,
    certificate: Option<PathBuf>,
    read_env: bool,
    lookup: Lookup,
}

impl OtlpBuilder {
    pub(super) fn new() -> OtlpBuilder {
        OtlpBuilder {
            endpoint: None,
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
            timeout: None,
            max_retries: 5,
            flush_timeout: Duration::from_secs(5),
            gzip: None,
            certificate: None,
            read_env: true,
            lookup: system_lookup(),
        }
    }

    /// The collector's OTLP/HTTP logs URL, `http://` or `https://` (default: from
    /// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`, else
    /// `http://localhost:4318/v1/logs`).
    ///
    /// A URL without a path gets `/v1/logs`; a path given is used as it is.
    /// [`finish`](Self::finish) returns any error in the URL. The host is looked up
    /// for each new connection, not at the start: a collector whose name does not
    /// resolve yet is reached once it does. `https://` trusts the system's
    /// certificate authorities, or those of [`certificate`](Self::certificate).
    ///
    /// ```no_run
    /// let (sink, _guard) = reqlog::sink::Otlp::builder()
    ///     .endpoint("https://otlp.example.com") // POSTs to /v1/logs, over TLS
    ///     .finish()?;
    /// # Ok::<(), reqlog::sink::OtlpError>(())
    /// ```
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Trusts the certificate authorities of this PEM file for `https://`, instead of
    /// the system's (default: `OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE` or
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE`, else the system's). For a collector with a
    /// certificate of a private CA. [`finish`](Self::finish) reads the file: an
    /// unreadable file, or one with no certificate, is an error there.
    ///
    /// ```no_run
    /// let (sink, _guard) = reqlog::sink::Otlp::builder()
    ///     .endpoint("https://collector.internal:4318")
    ///     .certificate("/etc/otel/ca.pem")
    ///     .finish()?;
    /// # Ok::<(), reqlog::sink::OtlpError>(())
    /// ```
    pub fn certificate(mut self, pem_file: impl AsRef<Path>) -> Self {
        self.certificate = Some(pem_file.as_ref().to_owned());
        self
    }

    /// Whether [`finish`](Self::finish) reads the `OTEL_EXPORTER_OTLP_*` environment
    /// (default `true`). What the builder sets explicitly wins over the environment
    /// either way; `false` leaves the settings the builder does not set at reqlog's
    /// defaults. Proxies still come from `https_proxy`/`http_proxy`/`no_proxy`.
    pub fn read_env(mut self, read: bool) -> Self {
        self.read_env = read;
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
    /// `Content-Length`, `Host`…), is an error from [`finish`](Self::finish). The
    /// headers of `OTEL_EXPORTER_OTLP_HEADERS` are sent too, unless this sets the same
    /// name.
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
        match check_header(name, value) {
            Some(problem) => {
                self.header_error.get_or_insert((name.to_owned(), problem));
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

    /// How long one request may take, connecting included (default:
    /// `OTEL_EXPORTER_OTLP_LOGS_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10 s). A
    /// request that takes longer fails and is retried.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout.max(Duration::from_millis(1)));
        self
    }

    /// How many times a failed batch is sent again (default 5), after a backoff that
    /// starts at 200 ms and doubles up to 5 s, or the collector's `Retry-After` (up to
    /// 30 s). Only failures that OTLP/HTTP says may pass are retried: no connection
    /// (the name does not resolve, the connection is refused), no answer, 429, 502,
    /// 503, 504. A TLS failure (the collector's certificate is not trusted) is not.
    /// Then the batch is dropped and its records counted as lost.
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

    /// Compresses each request with gzip (`Content-Encoding: gzip`; default:
    /// `OTEL_EXPORTER_OTLP_LOGS_COMPRESSION` or `OTEL_EXPORTER_OTLP_COMPRESSION`,
    /// `gzip` or `none`, else off). Log records compress well — to a twelfth in the
    /// bench's look-alike requests, less for varied traffic — at some CPU cost on the
    /// exporter's thread, never on the request's.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = Some(gzip);
        self
    }

    /// Replaces the system's name lookup, to make a name resolve only later.
    #[cfg(test)]
    pub(super) fn lookup(mut self, lookup: Lookup) -> Self {
        self.lookup = lookup;
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
    /// If the endpoint (given or from the environment) is not an `http://` or
    /// `https://` URL, a header (given or in `OTEL_EXPORTER_OTLP_HEADERS`) is invalid,
    /// the certificate file cannot be read, or the thread cannot be started. Settings
    /// of the environment that only tune the export (`…_TIMEOUT`, `…_COMPRESSION`)
    /// are ignored with a warning on stderr when they are malformed.
    pub fn finish(self) -> Result<(Otlp, OtlpGuard), OtlpError> {
        let get = |name: &str| std::env::var(name).ok();
        self.finish_with_env(&get)
    }

    /// [`finish`](Self::finish) with the environment read through `get`.
    fn finish_with_env(
        self,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Otlp, OtlpGuard), OtlpError> {
        let (settings, warnings) = self.settings(get)?;
        for warning in &warnings {
            eprintln!("reqlog: OTLP: {warning}");
        }
        let url = settings.client.endpoint.url.clone();
        let queue = Arc::new(Queue::new(self.records, self.bytes, self.tick));
        let control = Arc::new(Control::default());
        let exporter = Exporter::new(
            queue.clone(),
            control.clone(),
            Client::new(settings.client, control.clone()),
            RequestFrame::new(&self.resource),
            Settings {
                batch_size: self.batch_size,
                max_retries: self.max_retries,
                gzip: settings.gzip,
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

    /// The builder's settings merged with the environment's, checked; and the
    /// warnings about what the environment set that is ignored.
    fn settings(
        &self,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Resolved, Vec<String>), OtlpError> {
        if let Some((name, problem)) = &self.header_error {
            return Err(OtlpError::Header {
                name: name.clone(),
                problem,
            });
        }
        let mut from_env = if self.read_env {
            env::otel(get)?
        } else {
            env::OtelEnv::default()
        };
        let endpoint = match (&self.endpoint, from_env.endpoint.take()) {
            (Some(url), _) => Endpoint::parse(url, PathRule::LogsIfNone).map_err(|problem| {
                OtlpError::Endpoint {
                    endpoint: url.clone(),
                    problem,
                }
            })?,
            (None, Some(endpoint)) => endpoint?,
            (None, None) => {
                Endpoint::parse(DEFAULT_ENDPOINT, PathRule::LogsIfNone).map_err(|problem| {
                    OtlpError::Endpoint {
                        endpoint: DEFAULT_ENDPOINT.to_owned(),
                        problem,
                    }
                })?
            }
        };
        // The environment's headers, then the builder's, which replace the same names.
        let mut headers: Vec<(String, String)> = from_env
            .headers
            .into_iter()
            .filter(|(name, _)| {
                !self
                    .headers
                    .iter()
                    .any(|(own, _)| own.eq_ignore_ascii_case(name))
            })
            .collect();
        headers.extend(self.headers.iter().cloned());
        // A certificate is for TLS only, as the specification says: with http:// it
        // is not read.
        let certificate = self.certificate.clone().or(from_env.certificate);
        let roots =
            match certificate {
                Some(path) if endpoint.https => Some(read_certificates(&path).map_err(
                    |problem| OtlpError::Certificate {
                        path: path.clone(),
                        problem,
                    },
                )?),
                _ => None,
            };
        let mut warnings = from_env.warnings;
        let proxy = env::proxy(get, &endpoint, &mut warnings);
        let client = ClientSettings {
            endpoint,
            headers,
            timeout: self.timeout.or(from_env.timeout).unwrap_or(DEFAULT_TIMEOUT),
            roots,
            proxy,
            lookup: self.lookup.clone(),
        };
        let gzip = self.gzip.or(from_env.gzip).unwrap_or(false);
        Ok((Resolved { client, gzip }, warnings))
    }
}

/// The settings `finish` starts the exporter with.
struct Resolved {
    client: ClientSettings,
    gzip: bool,
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
            .field("certificate", &self.certificate)
            .field("read_env", &self.read_env)
            .finish_non_exhaustive()
    }
}

/// Why [`OtlpBuilder::finish`] could not start the sink.
///
/// # Example
/// ```
/// use reqlog::sink::{Otlp, OtlpError};
///
/// let err = Otlp::builder().endpoint("collector:4318").finish().unwrap_err();
/// assert!(matches!(err, OtlpError::Endpoint { .. }));
/// assert!(err.to_string().contains("it needs a scheme"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum OtlpError {
    /// The endpoint is not an `http[s]://host[:port][/path]` URL.
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// An `OTEL_EXPORTER_OTLP_*` variable holds what cannot be used: an endpoint that
    /// is not a URL, headers not in the `key=value,…` form.
    Env {
        /// The variable.
        variable: String,
        /// What is wrong and how to fix it (never the value: it may be a credential).
        problem: String,
    },
    /// The file of trusted certificate authorities cannot be used.
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
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
            OtlpError::Env { variable, problem } => {
                write!(f, "invalid {variable}: {problem}")
            }
            OtlpError::Certificate { path, problem } => write!(
                f,
                "cannot use {} as the OTLP collector's certificate authorities: {problem}",
                path.display()
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
            OtlpError::Spawn(source) => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Sink;

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
        let e = err(OtlpBuilder::new().endpoint("grpc://collector:4317"));
        assert!(e.contains("use http:// or https://"), "{e}");
        let e = err(OtlpBuilder::new().endpoint("127.0.0.1:4318"));
        assert!(e.contains("needs a scheme"), "{e}");
        let e = err(OtlpBuilder::new().header("content-type", "application/json"));
        assert!(e.contains("is set by reqlog"), "{e}");
        let e = err(OtlpBuilder::new()
            .header("x-ok", "1")
            .header("bad name", "x"));
        assert!(e.contains("\"bad name\" is not a valid header name"), "{e}");
        let e = err(OtlpBuilder::new().header("x-tenant", "a\r\nInjected: yes"));
        assert!(e.contains("cannot carry"), "{e}");
        let e = err(OtlpBuilder::new()
            .endpoint("https://collector:4318")
            .certificate("/no/such/ca.pem"));
        assert!(
            e.contains("/no/such/ca.pem") && e.contains("cannot read it"),
            "{e}"
        );
        let not_pem = std::env::temp_dir().join(format!("reqlog-not-pem-{}", std::process::id()));
        std::fs::write(&not_pem, "just text\n").unwrap();
        let e = err(OtlpBuilder::new()
            .endpoint("https://collector:4318")
            .certificate(&not_pem));
        let _ = std::fs::remove_file(&not_pem);
        assert!(e.contains("holds no certificate"), "{e}");
    }

    /// A name that does not resolve is no error at the start: it is looked up again
    /// for each connection.
    #[test]
    fn an_unresolvable_name_starts() {
        let (sink, guard) = OtlpBuilder::new()
            .endpoint("http://no-such-host.invalid:4318")
            .read_env(false)
            .finish()
            .expect("no lookup at the start");
        assert_eq!(
            sink.describe(),
            "otlp http://no-such-host.invalid:4318/v1/logs"
        );
        drop(guard);
    }

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    /// The builder's explicit settings win, then the environment, then the defaults.
    #[test]
    fn explicit_settings_win_over_the_environment() {
        let vars = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://from-env:4318"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer%20env,x-env=1",
            ),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/not/read/for/http.pem"),
        ]);
        let (from_env, warnings) = OtlpBuilder::new().settings(&vars).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(from_env.client.endpoint.url, "http://from-env:4318/v1/logs");
        assert_eq!(from_env.client.timeout, Duration::from_millis(2000));
        assert!(from_env.gzip);
        assert!(
            from_env.client.roots.is_none(),
            "no TLS, no certificate read"
        );
        assert_eq!(
            from_env.client.headers,
            [
                ("authorization".to_owned(), "Bearer env".to_owned()),
                ("x-env".to_owned(), "1".to_owned())
            ]
        );

        let (explicit, _) = OtlpBuilder::new()
            .endpoint("http://explicit:4318")
            .header("Authorization", "Bearer mine")
            .gzip(false)
            .timeout(Duration::from_secs(3))
            .settings(&vars)
            .unwrap();
        assert_eq!(explicit.client.endpoint.url, "http://explicit:4318/v1/logs");
        assert_eq!(explicit.client.timeout, Duration::from_secs(3));
        assert!(!explicit.gzip);
        assert_eq!(
            explicit.client.headers,
            [
                ("x-env".to_owned(), "1".to_owned()),
                ("Authorization".to_owned(), "Bearer mine".to_owned())
            ],
            "the builder's header replaces the environment's of the same name"
        );

        let (ignored, _) = OtlpBuilder::new().read_env(false).settings(&vars).unwrap();
        assert_eq!(ignored.client.endpoint.url, DEFAULT_ENDPOINT);
        assert_eq!(ignored.client.timeout, DEFAULT_TIMEOUT);
        assert!(!ignored.gzip && ignored.client.headers.is_empty());

        let (defaults, _) = OtlpBuilder::new().settings(&env(&[])).unwrap();
        assert_eq!(defaults.client.endpoint.url, DEFAULT_ENDPOINT);
        assert!(defaults.client.proxy.is_none());
    }

    #[test]
    fn environment_errors_name_the_variable() {
        let bad = env(&[("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "token")]);
        let e = OtlpBuilder::new().settings(&bad).err().unwrap().to_string();
        assert!(
            e.starts_with("invalid OTEL_EXPORTER_OTLP_LOGS_HEADERS: entry 1"),
            "{e}"
        );
        let bad = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/ca.pem"),
        ]);
        let e = OtlpBuilder::new().settings(&bad).err().unwrap().to_string();
        assert!(e.contains("/no/such/ca.pem"), "{e}");
        // Explicit settings are not rescued by the environment, nor spoiled by it.
        let bad = env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url")]);
        let e = OtlpBuilder::new().settings(&bad).err().unwrap().to_string();
        assert!(e.contains("OTEL_EXPORTER_OTLP_ENDPOINT"), "{e}");
        assert!(OtlpBuilder::new().read_env(false).settings(&bad).is_ok());
        assert!(OtlpBuilder::new()
            .endpoint("http://explicit:4318")
            .settings(&bad)
            .is_ok());
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
