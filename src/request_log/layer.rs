//! [`RequestLog`]: the layer and its builder.

use std::fmt;
use std::sync::{Arc, OnceLock};

use http::request::Parts;
use ipnet::IpNet;
use tower_layer::Layer;

use super::client_ip::Proxies;
use super::keep::Keep;
use super::redact::Redactor;
use super::service::RequestLogService;
use super::start::AppStart;
use crate::sink::Sink;
use crate::{Level, Record};

type SkipFn = dyn Fn(&Parts) -> bool + Send + Sync;
type LevelFn = dyn Fn(&Record) -> Level + Send + Sync;

/// Writes one structured record per request to a [`Sink`].
///
/// The outermost layer: it times the request to the last body byte, counts bytes,
/// resolves the client address, redacts secrets and emits exactly one record per
/// request — also when the client aborts, the service fails, the handler panics or the
/// body streams. Without configuration it writes JSON lines to standard output from a
/// background thread.
///
/// # Example
/// ```
/// use axum::{routing::get, Router};
/// use reqlog::RequestLog;
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .route("/health", get(|| async { "ok" }))
///     .layer(
///         RequestLog::new()
///             .trust_proxies(["10.0.0.0/8".parse().unwrap()])
///             .mask_client_ip(24, 48)
///             .skip(|req| req.uri.path() == "/health"),
///     );
/// ```
#[derive(Clone)]
pub struct RequestLog {
    pub(crate) config: Arc<Config>,
}

#[derive(Clone)]
pub(crate) struct Config {
    sink: Option<Arc<dyn Sink>>,
    /// The default stdout sink, made once and shared by every clone of the layer.
    default_sink: Arc<OnceLock<Arc<dyn Sink>>>,
    pub(crate) proxies: Proxies,
    pub(crate) skip: Option<Arc<SkipFn>>,
    pub(crate) redactor: Arc<Redactor>,
    pub(crate) mask: Option<(u8, u8)>,
    pub(crate) level_for: Option<Arc<LevelFn>>,
    /// Tail sampling: which complete records are written (all without it).
    pub(crate) keep: Option<Arc<Keep>>,
    pub(crate) max_field_len: usize,
    pub(crate) set_response_id: bool,
    pub(crate) request_id_header: bool,
    /// The debug-event buffers' settings, when they are on.
    #[cfg(feature = "debug-events")]
    pub(crate) debug_events: Option<crate::debug_events::DebugEvents>,
}

impl Config {
    pub(crate) fn sink(&self) -> Arc<dyn Sink> {
        match &self.sink {
            Some(s) => s.clone(),
            None => self
                .default_sink
                .get_or_init(|| {
                    let (sink, guard) = crate::sink::stdout();
                    // The sink flushes when its last clone is dropped; the guard is only
                    // for users who hold it themselves.
                    drop(guard);
                    Arc::new(sink)
                })
                .clone(),
        }
    }
}

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog::new()
    }
}

impl fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        let mut d = f.debug_struct("RequestLog");
        d.field("sink", &c.sink.as_ref().map(|s| s.describe()))
            .field("trusted_proxies", &c.proxies.trusted)
            .field("trust_forwarded_header", &c.proxies.forwarded)
            .field("skip", &c.skip.is_some())
            .field(
                "redacted_query_params",
                &c.redactor.names().collect::<Vec<_>>(),
            )
            .field(
                "redacted_path_segments",
                &c.redactor.path_patterns().collect::<Vec<_>>(),
            )
            .field("mask_client_ip", &c.mask)
            .field("level_for", &c.level_for.is_some())
            .field("keep", &c.keep)
            .field("max_field_len", &c.max_field_len)
            .field("set_response_request_id", &c.set_response_id)
            .field("request_id_header", &c.request_id_header);
        #[cfg(feature = "debug-events")]
        d.field("debug_events", &c.debug_events);
        d.finish()
    }
}

impl RequestLog {
    /// A layer with the defaults: JSON lines on stdout (non-blocking), no trusted
    /// proxies, default redacted parameters, no masking, 4 KiB field caps.
    pub fn new() -> Self {
        RequestLog {
            config: Arc::new(Config {
                sink: None,
                default_sink: Arc::new(OnceLock::new()),
                proxies: Proxies::default(),
                skip: None,
                redactor: Arc::new(Redactor::default()),
                mask: None,
                level_for: None,
                keep: None,
                max_field_len: 4096,
                set_response_id: true,
                request_id_header: false,
                #[cfg(feature = "debug-events")]
                debug_events: None,
            }),
        }
    }

    fn config(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// Where records go (default: JSON lines on stdout, non-blocking).
    ///
    /// # Example
    /// ```
    /// let memory = reqlog::sink::MemorySink::new();
    /// let layer = reqlog::RequestLog::new().sink(memory.clone());
    /// ```
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.config().sink = Some(Arc::new(sink));
        self
    }

    /// Proxies whose `X-Forwarded-For` header is believed (or `Forwarded`, see
    /// [`trust_forwarded_header`](Self::trust_forwarded_header)). The header is read
    /// from the right: the first address that is not itself a trusted proxy is the
    /// client. From any other peer, forwarded headers are ignored.
    ///
    /// A hop that a trusted proxy wrote and that cannot be read makes the client
    /// unknown (no `client.address`); a request from a trusted proxy that forwards
    /// nobody (its health check) is logged with the proxy's address. Neither is ever
    /// counted or blocked by [`ProbeDetector`](crate::probe::ProbeDetector), and an
    /// incoming `x-request-id` is kept only from a trusted proxy.
    ///
    /// # Example
    /// ```
    /// use reqlog::{IpNet, RequestLog};
    ///
    /// let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
    /// let layer = RequestLog::new().trust_proxies(proxies);
    /// ```
    pub fn trust_proxies<I: IntoIterator<Item = IpNet>>(mut self, proxies: I) -> Self {
        self.config().proxies.add(proxies);
        self
    }

    /// Reads the client from the standard `Forwarded` header (RFC 7239) instead of
    /// `X-Forwarded-For` (default: off). Turn it on only when your trusted proxies set
    /// `Forwarded` themselves: otherwise a client could write its own. Its `for=` values
    /// are read from the right like `X-Forwarded-For`; `for=unknown`, an obfuscated node
    /// or an element without `for=` makes the client unknown.
    ///
    /// # Example
    /// ```
    /// use reqlog::RequestLog;
    ///
    /// let layer = RequestLog::new()
    ///     .trust_proxies(["10.0.0.0/8".parse().unwrap()])
    ///     .trust_forwarded_header(true);
    /// ```
    pub fn trust_forwarded_header(mut self, yes: bool) -> Self {
        self.config().proxies.forwarded = yes;
        self
    }

    /// Leaves out requests for which `predicate` is true (health checks, metrics).
    /// Skipped requests are not logged; their client is still resolved, so that a
    /// [`ProbeDetector`](crate::probe::ProbeDetector) inside judges the same client.
    ///
    /// # Example
    /// ```
    /// let layer = reqlog::RequestLog::new()
    ///     .skip(|req| req.uri.path() == "/health" || req.uri.path() == "/metrics");
    /// ```
    pub fn skip<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&Parts) -> bool + Send + Sync + 'static,
    {
        self.config().skip = Some(Arc::new(predicate));
        self
    }

    /// Decides which records are written once each is complete (tail sampling): every
    /// failure, slow request, probe, suspect client and user action, one in N of the
    /// rest per route (marked `sample.rate: N`), minus what drop rules match. See
    /// [`Keep`] for the rules and their order. Unlike [`skip`](Self::skip), which
    /// decides before the response exists, it sees the status, the duration and what
    /// the inner layers found; a dropped record reaches no sink.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use reqlog::{Keep, RequestLog};
    ///
    /// let layer = RequestLog::new().keep(
    ///     Keep::new()
    ///         .one_in(20)
    ///         .slower_than(Duration::from_millis(500))
    ///         .drop_when(|r| r.route() == Some("/health") && r.status() == Some(200)),
    /// );
    /// ```
    pub fn keep(mut self, policy: Keep) -> Self {
        self.config().keep = Some(Arc::new(policy));
        self
    }

    /// The parameter names whose values are replaced by `[REDACTED]` (instead of the
    /// defaults in [`DEFAULT_REDACTED_PARAMS`](crate::DEFAULT_REDACTED_PARAMS)): in the
    /// query (pairs split at `&` or `;`), in matrix parameters of the path
    /// (`/shop;jsessionid=…/cart`), in the referer's query and path, and for route
    /// parameters (with the `axum` feature, `/reset/{token}` redacts that segment).
    ///
    /// How a name matches a key, case- and separator-insensitively:
    ///
    /// - the key's first 64 bytes are percent-decoded, split into words at anything
    ///   but ASCII letters and digits and where the case changes (`userPwd`,
    ///   `user_pwd`, `USER-PWD` → `user pwd`; `APIKey` → `api key`; `v2Key` →
    ///   `v2 key`), lower-cased and joined (`userpwd`);
    /// - the name is lower-cased and everything but letters, digits and `*` removed
    ///   (`api_key`, `API-Key`, `apiKey` all become `apikey`);
    /// - a name of five letters or more matches anywhere in the joined key (`token`
    ///   matches `accessToken`, `api_key` matches `x-api-key`); a shorter one only a
    ///   run of whole words (`pwd` matches `userPwd` and `user_pwd`; `key` matches
    ///   `api-key` and `sortKey` but not `keyword` or `monkey`; `code` matches
    ///   `authCode` but not `zipcode`);
    /// - globs: a leading `*` lets the name begin inside a word, a trailing `*` end
    ///   inside one: `auth*` matches `author` and `authToken` (not `oauth`), `*auth`
    ///   matches `oauth`, `*token*` anything containing `token`; `*` alone every key.
    ///
    /// The defaults leave out `auth*` on purpose: `?author=1` is WordPress's public
    /// user-enumeration probe, and it should stay visible in the log.
    ///
    /// # Example
    /// ```
    /// use reqlog::{RequestLog, DEFAULT_REDACTED_PARAMS};
    ///
    /// let names = DEFAULT_REDACTED_PARAMS.iter().copied().chain(["ssn", "iban", "*hash"]);
    /// let layer = RequestLog::new().redact_query_params(names);
    /// ```
    pub fn redact_query_params<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let redactor = self.config.redactor.with_names(names);
        self.config().redactor = Arc::new(redactor);
        self
    }

    /// Path segments to redact, for stacks without a route template (or for paths the
    /// template does not describe). Each pattern is a path whose segments are:
    ///
    /// - `{…}` (`{token}`, `{}`): any one segment, logged as `[REDACTED]`;
    /// - `{*…}` as the last segment: every remaining segment, redacted;
    /// - `*`: any one segment, kept;
    /// - anything else: a literal that the segment must equal (case-sensitive; a
    ///   segment's matrix parameters, `;name=value`, are not compared).
    ///
    /// A pattern applies when its segments match the path's first segments (the path
    /// may go on: `/reset/{token}` also covers `/reset/abc/`); the first matching
    /// pattern wins. Patterns apply to the referer's path too. They are compiled here;
    /// matching is linear in the path and does not allocate. Repeated calls add
    /// patterns.
    ///
    /// # Example
    /// ```
    /// use http::{Request, Response};
    /// use http_body_util::BodyExt;
    /// use reqlog::{sink::MemorySink, RequestLog};
    /// use tower::{service_fn, Layer, ServiceExt};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let memory = MemorySink::new();
    /// let log = RequestLog::new()
    ///     .sink(memory.clone())
    ///     .redact_path_segments(["/reset/{token}", "/invite/{}/accept", "/files/*/{key}"]);
    /// let app = log.layer(service_fn(|_req| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(String::from("ok")))
    /// }));
    ///
    /// let req = Request::get("/invite/x7Kq2/accept").body(String::new()).unwrap();
    /// let response = app.oneshot(req).await.unwrap();
    /// response.into_body().collect().await.unwrap();
    /// let path = memory.records()[0].str("url.path").map(str::to_owned);
    /// assert_eq!(path.as_deref(), Some("/invite/[REDACTED]/accept"));
    /// # });
    /// ```
    pub fn redact_path_segments<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let redactor = self.config.redactor.with_patterns(patterns);
        self.config().redactor = Arc::new(redactor);
        self
    }

    /// Logs only the network of the client: the first `v4_prefix` bits of an IPv4
    /// address and `v6_prefix` bits of an IPv6 one (`24, 48` is a common choice).
    /// Detectors still see the full address.
    pub fn mask_client_ip(mut self, v4_prefix: u8, v6_prefix: u8) -> Self {
        self.config().mask = Some((v4_prefix.min(32), v6_prefix.min(128)));
        self
    }

    /// Chooses the level of each request record, replacing the default mapping
    /// (`INFO` < 400, `WARN` 4xx and probes, `ERROR` 5xx, errors and panics).
    ///
    /// # Example
    /// ```
    /// use reqlog::{Level, RequestLog};
    ///
    /// // 404s are routine on this site: keep them at INFO.
    /// let layer = RequestLog::new().level_for(|record| match record.status() {
    ///     Some(404) => Level::Info,
    ///     _ => reqlog::default_level(record),
    /// });
    /// ```
    pub fn level_for<F>(mut self, f: F) -> Self
    where
        F: Fn(&Record) -> Level + Send + Sync + 'static,
    {
        self.config().level_for = Some(Arc::new(f));
        self
    }

    /// The most bytes kept of `url.path`, `url.query`, `http.route`,
    /// `user_agent.original` and the referer (default 4096). Longer values are cut at a
    /// character boundary and end in `…[truncated]`. The cut happens before redaction
    /// (keeping 320 bytes more, so that an e-mail address or escape across the cap is
    /// still seen whole): a long value costs no more than one at the cap.
    pub fn max_field_len(mut self, bytes: usize) -> Self {
        self.config().max_field_len = bytes.max(16);
        self
    }

    /// Whether the response gets an `x-request-id` header with the record's id when it
    /// has none (default: yes).
    pub fn set_response_request_id(mut self, yes: bool) -> Self {
        self.config().set_response_id = yes;
        self
    }

    /// Whether the request handed to the inner service carries the line's id in its
    /// `x-request-id` header (default: no), so that inner layers (a tower-http
    /// `TraceLayer`, a proxy handler forwarding headers) see the same id as the line.
    ///
    /// The header is set to the line's id, replacing any the client sent: an incoming
    /// id is the line's only when a trusted proxy sent it (see
    /// [`trust_proxies`](Self::trust_proxies)), so another client's `x-request-id`
    /// never reaches the application as if it named the request. With `false`, the
    /// request's headers are left as they came (the client's own `x-request-id`
    /// included); the [`RequestId`](crate::request_log::RequestId) extension is there
    /// either way.
    ///
    /// Setting the header can make the request's header map grow (an allocation) when
    /// it is full; turn it off if nothing inside reads the header.
    ///
    /// # Example
    /// ```
    /// use axum::{http::HeaderMap, routing::get, Router};
    ///
    /// // The handler sees the line's id in the header (and in the `RequestId` extension).
    /// async fn handler(headers: HeaderMap) -> String {
    ///     let id = headers.get("x-request-id").and_then(|v| v.to_str().ok());
    ///     format!("request {}", id.unwrap_or("?"))
    /// }
    ///
    /// let app: Router = Router::new()
    ///     .route("/", get(handler))
    ///     .layer(reqlog::RequestLog::new().request_id_header(true));
    /// ```
    pub fn request_id_header(mut self, yes: bool) -> Self {
        self.config().request_id_header = yes;
        self
    }

    /// Keeps the `tracing` events each request emits in a bounded buffer and puts them
    /// on its line (`debug.events`) when the request failed or was slower than
    /// [`DebugEvents::slower_than`](crate::debug_events::DebugEvents::slower_than);
    /// otherwise they are dropped with the request (feature `debug-events`).
    ///
    /// The subscriber must have the
    /// [`DebugEvents::layer`](crate::debug_events::DebugEvents::layer): without it
    /// nothing is buffered, and a request costs nothing more. See
    /// [`debug_events`](crate::debug_events) for how it works and what it costs.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use reqlog::{debug_events::DebugEvents, RequestLog};
    /// use tracing_subscriber::{filter::LevelFilter, layer::SubscriberExt, Layer as _};
    ///
    /// // The console shows INFO and above; DEBUG events still reach the buffers.
    /// let subscriber = tracing_subscriber::registry()
    ///     .with(tracing_subscriber::fmt::layer().with_filter(LevelFilter::INFO))
    ///     .with(DebugEvents::layer());
    /// # let _ = subscriber;
    /// // tracing::subscriber::set_global_default(subscriber)?;
    /// let log = RequestLog::new()
    ///     .debug_events(DebugEvents::new().slower_than(Duration::from_millis(500)));
    /// ```
    #[cfg(feature = "debug-events")]
    pub fn debug_events(mut self, settings: crate::debug_events::DebugEvents) -> Self {
        self.config().debug_events = Some(settings);
        self
    }

    /// Writes the `reqlog.start` record: service, version, pid, listening address and
    /// this logger's settings. Call it once the server listens.
    ///
    /// # Example
    /// ```
    /// use reqlog::{AppStart, RequestLog, sink::MemorySink};
    ///
    /// let memory = MemorySink::new();
    /// let log = RequestLog::new().sink(memory.clone());
    /// log.log_start(AppStart::new("courses").version("1.2.0").listening("127.0.0.1:3000".parse().unwrap()));
    /// assert_eq!(memory.records()[0].str("otel.event.name"), Some("reqlog.start"));
    /// ```
    pub fn log_start(&self, start: AppStart) {
        let sink = self.config.sink();
        let record = start.into_record(&self.config, &*sink);
        sink.emit(&record);
    }
}

impl<S> Layer<S> for RequestLog {
    type Service = RequestLogService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLogService::new(inner, self.config.clone())
    }
}
