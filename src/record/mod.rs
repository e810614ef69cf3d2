//! The record: one per request (or per start-up / dropped-lines event), written to a sink.
//!
//! A [`Record`] keeps its text fields in one reusable buffer (the arena) so that filling
//! it allocates nothing once the per-thread pool is warm. Sinks read it through typed
//! accessors or [`Record::for_each_field`], which visits the fields in the order of the
//! schema in `DESIGN.md`.

mod arena;
pub(crate) mod handle;
mod value;

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

pub use handle::{FieldError, RecordHandle};
pub use value::{FieldValue, Value};

pub(crate) use arena::{Arena, Span};

/// Severity of a record.
///
/// The default mapping: `INFO` below 400, `WARN` for 4xx and probes, `ERROR` for 5xx,
/// service or body errors and panics. Override it with
/// [`RequestLog::level_for`](crate::RequestLog::level_for).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Fine-grained diagnostics.
    Debug,
    /// Normal traffic.
    Info,
    /// Client errors, probes.
    Warn,
    /// Server errors, failures, panics.
    Error,
}

impl Level {
    /// The upper-case name written in the `level` field (`"INFO"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The response body was sent to its last byte.
    Ok,
    /// The service returned an error, or the response body failed.
    Error,
    /// The client went away: the response future or body was dropped before the end.
    Aborted,
    /// The handler panicked; the record was written while unwinding.
    Panic,
    /// The connection switched protocols (`101 Switching Protocols`).
    Upgraded,
}

impl Outcome {
    /// The value written in the `outcome` field (`"ok"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Aborted => "aborted",
            Outcome::Panic => "panic",
            Outcome::Upgraded => "upgraded",
        }
    }
}

/// The probe verdict that `ProbeDetector` stores in a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProbeFields {
    pub(crate) category: &'static str,
    pub(crate) rule: Arc<str>,
    /// The query parameter the payload was found in, for payload families.
    pub(crate) param: Option<Arc<str>>,
}

/// One log record: an HTTP request, the application's start, or a dropped-lines report.
///
/// Built by [`RequestLog`](crate::RequestLog) and by [`Record::event`]; read by sinks.
///
/// # Example
/// ```
/// use reqlog::{Record, Value};
///
/// let record = Record::event("app.start").with("service.name", "courses");
/// assert_eq!(record.event_name(), "app.start");
/// assert_eq!(record.get("service.name"), Some(Value::Str("courses")));
/// ```
#[derive(Clone, Debug)]
pub struct Record {
    pub(crate) event_name: &'static str,
    pub(crate) timestamp: SystemTime,
    pub(crate) level: Level,
    pub(crate) min_level: Level,
    pub(crate) text: Arena,
    pub(crate) method: Option<http::Method>,
    pub(crate) path: Option<Span>,
    pub(crate) query: Option<Span>,
    pub(crate) route: Option<Span>,
    pub(crate) protocol: Option<&'static str>,
    pub(crate) server_address: Option<Span>,
    pub(crate) client_address: Option<IpAddr>,
    pub(crate) user_agent: Option<Span>,
    pub(crate) referer: Option<Span>,
    pub(crate) request_id: Option<Span>,
    pub(crate) status: Option<u16>,
    pub(crate) request_body_size: Option<u64>,
    pub(crate) response_body_size: Option<u64>,
    pub(crate) duration_us: Option<u64>,
    pub(crate) ttfb_us: Option<u64>,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) probe: Option<ProbeFields>,
    pub(crate) client_kind: Option<&'static str>,
    pub(crate) client_crawler: Option<&'static str>,
    /// Whether the crawler the user agent names was verified (absent: not checked or
    /// not known yet).
    pub(crate) client_verified: Option<bool>,
    pub(crate) client_scanning: bool,
    pub(crate) client_blocked: bool,
    /// A crawler fetched a path the site's robots.txt disallows for it.
    pub(crate) robots_disallowed: bool,
    pub(crate) user_id: Option<Span>,
    pub(crate) actions: Vec<FieldValue>,
    pub(crate) extra: Vec<(Cow<'static, str>, FieldValue)>,
}

/// One list of the schema's keys (in the order of DESIGN.md): it makes
/// [`RESERVED_KEYS`] and a [`SchemaKey`] constant per key in [`keys`], so a key added
/// here is reserved and has its JSON form at once.
macro_rules! schema_keys {
    ($($id:ident = $key:literal,)*) => {
        /// Keys that belong to the record schema; handler fields may not use them.
        pub const RESERVED_KEYS: &[&str] = &[$($key),*];

        /// The schema's keys, as formats are given them by [`Record::visit_fields`].
        pub(crate) mod keys {
            use super::SchemaKey;
            $(
                pub(crate) const $id: SchemaKey = SchemaKey {
                    name: $key,
                    json: concat!(",\"", $key, "\":"),
                };
            )*
        }
    };
}

schema_keys! {
    TIMESTAMP = "timestamp",
    LEVEL = "level",
    EVENT_NAME = "event.name",
    METHOD = "http.request.method",
    PATH = "url.path",
    QUERY = "url.query",
    ROUTE = "http.route",
    PROTOCOL = "network.protocol.version",
    SERVER_ADDRESS = "server.address",
    CLIENT_ADDRESS = "client.address",
    USER_AGENT = "user_agent.original",
    REFERER = "http.request.header.referer",
    REQUEST_ID = "request.id",
    STATUS = "http.response.status_code",
    REQUEST_BODY_SIZE = "http.request.body.size",
    RESPONSE_BODY_SIZE = "http.response.body.size",
    DURATION = "duration_ms",
    TTFB = "ttfb_ms",
    OUTCOME = "outcome",
    PROBE_CATEGORY = "probe.category",
    PROBE_RULE = "probe.rule",
    PROBE_PARAM = "probe.param",
    CLIENT_KIND = "client.kind",
    CLIENT_CRAWLER = "client.crawler",
    CLIENT_VERIFIED = "client.verified",
    CLIENT_SCANNING = "client.scanning",
    CLIENT_BLOCKED = "client.blocked",
    ROBOTS_DISALLOWED = "robots.disallowed",
    USER_ACTIONS = "user.actions",
    USER_ID = "user.id",
}

/// A key of the record schema, with the form the JSON format writes before its value
/// (`,"url.path":`), so that a key costs one copy of a constant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SchemaKey {
    pub(crate) name: &'static str,
    pub(crate) json: &'static str,
}

/// What [`Record::visit_fields`] calls for each field.
pub(crate) trait VisitField<'a> {
    fn field(&mut self, key: FieldKey<'a>, value: Value<'a>);
}

/// The key of a field as [`Record::visit_fields`] gives it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FieldKey<'a> {
    /// A key of the schema.
    Schema(SchemaKey),
    /// A free field's key (checked to be `[A-Za-z0-9._-]` when it was added).
    Free(&'a str),
}

impl Record {
    pub(crate) fn blank(event_name: &'static str, text: Arena) -> Record {
        Record {
            event_name,
            timestamp: SystemTime::now(),
            level: Level::Info,
            min_level: Level::Debug,
            text,
            method: None,
            path: None,
            query: None,
            route: None,
            protocol: None,
            server_address: None,
            client_address: None,
            user_agent: None,
            referer: None,
            request_id: None,
            status: None,
            request_body_size: None,
            response_body_size: None,
            duration_us: None,
            ttfb_us: None,
            outcome: None,
            probe: None,
            client_kind: None,
            client_crawler: None,
            client_verified: None,
            client_scanning: false,
            client_blocked: false,
            robots_disallowed: false,
            user_id: None,
            actions: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// A record for an event that is not a request, such as `"app.start"`.
    ///
    /// Add fields with [`Record::with`]; reserved keys are ignored (see [`RESERVED_KEYS`]).
    pub fn event(name: &'static str) -> Record {
        Record::blank(name, Arena::default())
    }

    /// Adds a field and returns the record (builder form of [`Record::insert`]).
    pub fn with(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<FieldValue>,
    ) -> Record {
        let _ = self.insert(key, value);
        self
    }

    /// Adds a free field. Reserved keys are refused, a repeated key replaces the old value.
    pub fn insert(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<FieldValue>,
    ) -> Result<(), FieldError> {
        let key = key.into();
        handle::check_key(&key)?;
        let value = value.into();
        match self.extra.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.extra.push((key, value)),
        }
        Ok(())
    }

    /// Sets the level of this record (used for events; requests get theirs at the end).
    pub fn set_level(&mut self, level: Level) {
        self.level = level;
    }

    /// `event.name`: `"http.request"`, `"app.start"`, `"reqlog.dropped"`…
    pub fn event_name(&self) -> &'static str {
        self.event_name
    }
    /// When the request started (or the event happened).
    pub fn timestamp(&self) -> SystemTime {
        self.timestamp
    }
    /// The record's level.
    pub fn level(&self) -> Level {
        self.level
    }
    /// The request method.
    pub fn method(&self) -> Option<&http::Method> {
        self.method.as_ref()
    }
    /// `url.path`, as received, redacted and length-capped.
    pub fn path(&self) -> Option<&str> {
        self.span(self.path)
    }
    /// `url.query`, redacted and length-capped.
    pub fn query(&self) -> Option<&str> {
        self.span(self.query)
    }
    /// `http.route`, when the router reported a matched route.
    pub fn route(&self) -> Option<&str> {
        self.span(self.route)
    }
    /// `network.protocol.version`: `"1.1"`, `"2"`…
    pub fn protocol_version(&self) -> Option<&'static str> {
        self.protocol
    }
    /// `server.address`: the Host header or `:authority`.
    pub fn server_address(&self) -> Option<&str> {
        self.span(self.server_address)
    }
    /// `client.address`: the resolved (and possibly masked) client address.
    pub fn client_address(&self) -> Option<IpAddr> {
        self.client_address
    }
    /// `user_agent.original`, length-capped.
    pub fn user_agent(&self) -> Option<&str> {
        self.span(self.user_agent)
    }
    /// `http.request.header.referer`.
    pub fn referer(&self) -> Option<&str> {
        self.span(self.referer)
    }
    /// `request.id`.
    pub fn request_id(&self) -> Option<&str> {
        self.span(self.request_id)
    }
    /// `http.response.status_code`; `None` when no response was produced.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    /// `http.request.body.size`: request body bytes the application read.
    pub fn request_body_size(&self) -> Option<u64> {
        self.request_body_size
    }
    /// `http.response.body.size`: response body bytes sent.
    pub fn response_body_size(&self) -> Option<u64> {
        self.response_body_size
    }
    /// `duration_ms` in microseconds: from the request to the last response byte.
    pub fn duration_micros(&self) -> Option<u64> {
        self.duration_us
    }
    /// `ttfb_ms` in microseconds: from the request to the response head.
    pub fn ttfb_micros(&self) -> Option<u64> {
        self.ttfb_us
    }
    /// `outcome`.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }
    /// `user.id`: the pseudonymous user identifier.
    pub fn user_id(&self) -> Option<&str> {
        self.span(self.user_id)
    }
    /// `probe.category` and `probe.rule`, when the detector flagged the request.
    pub fn probe(&self) -> Option<(&'static str, &str)> {
        self.probe.as_ref().map(|p| (p.category, &*p.rule))
    }
    /// `probe.param`: the query parameter a payload was found in.
    pub fn probe_param(&self) -> Option<&str> {
        self.probe.as_ref().and_then(|p| p.param.as_deref())
    }
    /// `client.verified`: whether the crawler the user agent names is that crawler
    /// (published ranges or forward-confirmed reverse DNS); `None` when not checked or
    /// not known yet.
    pub fn client_verified(&self) -> Option<bool> {
        self.client_verified
    }
    /// `robots.disallowed`: a crawler fetched a path that the site's robots.txt
    /// (given to [`ProbeDetector::robots_txt`](crate::probe::ProbeDetector::robots_txt))
    /// disallows for it.
    pub fn robots_disallowed(&self) -> bool {
        self.robots_disallowed
    }
    /// Free fields added by handlers and layers, in insertion order.
    pub fn extra_fields(&self) -> &[(Cow<'static, str>, FieldValue)] {
        &self.extra
    }

    fn span(&self, span: Option<Span>) -> Option<&str> {
        span.map(|s| self.text.get(s))
    }

    /// Visits every present field in schema order, then the free fields.
    ///
    /// Formats use this to write a line without knowing the schema.
    pub fn for_each_field<'a>(&'a self, f: impl FnMut(&'a str, Value<'a>)) {
        /// Hands the keys on as text.
        struct ByName<F>(F);
        impl<'a, F: FnMut(&'a str, Value<'a>)> VisitField<'a> for ByName<F> {
            fn field(&mut self, key: FieldKey<'a>, value: Value<'a>) {
                match key {
                    FieldKey::Schema(k) => (self.0)(k.name, value),
                    FieldKey::Free(k) => (self.0)(k, value),
                }
            }
        }
        self.visit_fields(&mut ByName(f))
    }

    /// [`Record::for_each_field`] with each key as a [`FieldKey`].
    ///
    /// Straight-line calls with constant keys: where a visitor's `field` is inlined,
    /// writing a key is a copy of a constant and the value's variant is known.
    pub(crate) fn visit_fields<'a>(&'a self, v: &mut impl VisitField<'a>) {
        use FieldKey::Schema;
        let mut f = |key, value| v.field(key, value);
        f(Schema(keys::TIMESTAMP), Value::Timestamp(self.timestamp));
        f(Schema(keys::LEVEL), Value::Str(self.level.as_str()));
        f(Schema(keys::EVENT_NAME), Value::Str(self.event_name));
        if let Some(m) = &self.method {
            f(Schema(keys::METHOD), Value::Str(m.as_str()));
        }
        if let Some(s) = self.span(self.path) {
            f(Schema(keys::PATH), Value::Str(s));
        }
        if let Some(s) = self.span(self.query) {
            f(Schema(keys::QUERY), Value::Str(s));
        }
        if let Some(s) = self.span(self.route) {
            f(Schema(keys::ROUTE), Value::Str(s));
        }
        if let Some(p) = self.protocol {
            f(Schema(keys::PROTOCOL), Value::Str(p));
        }
        if let Some(s) = self.span(self.server_address) {
            f(Schema(keys::SERVER_ADDRESS), Value::Str(s));
        }
        if let Some(ip) = self.client_address {
            f(Schema(keys::CLIENT_ADDRESS), Value::Ip(ip));
        }
        if let Some(s) = self.span(self.user_agent) {
            f(Schema(keys::USER_AGENT), Value::Str(s));
        }
        if let Some(s) = self.span(self.referer) {
            f(Schema(keys::REFERER), Value::Str(s));
        }
        if let Some(s) = self.span(self.request_id) {
            f(Schema(keys::REQUEST_ID), Value::Str(s));
        }
        if let Some(s) = self.status {
            f(Schema(keys::STATUS), Value::U64(s.into()));
        }
        if let Some(n) = self.request_body_size {
            f(Schema(keys::REQUEST_BODY_SIZE), Value::U64(n));
        }
        if let Some(n) = self.response_body_size {
            f(Schema(keys::RESPONSE_BODY_SIZE), Value::U64(n));
        }
        if let Some(us) = self.duration_us {
            f(Schema(keys::DURATION), Value::Millis(us));
        }
        if let Some(us) = self.ttfb_us {
            f(Schema(keys::TTFB), Value::Millis(us));
        }
        if let Some(o) = self.outcome {
            f(Schema(keys::OUTCOME), Value::Str(o.as_str()));
        }
        if let Some(p) = &self.probe {
            f(Schema(keys::PROBE_CATEGORY), Value::Str(p.category));
            f(Schema(keys::PROBE_RULE), Value::Str(&p.rule));
            if let Some(param) = &p.param {
                f(Schema(keys::PROBE_PARAM), Value::Str(param));
            }
        }
        if let Some(k) = self.client_kind {
            f(Schema(keys::CLIENT_KIND), Value::Str(k));
        }
        if let Some(c) = self.client_crawler {
            f(Schema(keys::CLIENT_CRAWLER), Value::Str(c));
        }
        if let Some(v) = self.client_verified {
            f(Schema(keys::CLIENT_VERIFIED), Value::Bool(v));
        }
        if self.client_scanning {
            f(Schema(keys::CLIENT_SCANNING), Value::Bool(true));
        }
        if self.client_blocked {
            f(Schema(keys::CLIENT_BLOCKED), Value::Bool(true));
        }
        if self.robots_disallowed {
            f(Schema(keys::ROBOTS_DISALLOWED), Value::Bool(true));
        }
        if !self.actions.is_empty() {
            f(Schema(keys::USER_ACTIONS), Value::List(&self.actions));
        }
        if let Some(s) = self.span(self.user_id) {
            f(Schema(keys::USER_ID), Value::Str(s));
        }
        for (k, v) in &self.extra {
            f(FieldKey::Free(k.as_ref()), v.as_value());
        }
    }

    /// The value of one field by its key, as a format or test would see it.
    pub fn get(&self, key: &str) -> Option<Value<'_>> {
        let mut found = None;
        self.for_each_field(|k, v| {
            if found.is_none() && k == key {
                found = Some(v);
            }
        });
        found
    }
}
