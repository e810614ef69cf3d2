//! The record's fields: one declarative list.
//!
//! Each row is one field: its accessor and setter, how it is stored (a [`Slot`], which
//! also decides how it is written: text, number, milliseconds, a flag written only when
//! set…), its key on the line, and where the Elastic Common Schema and Google Cloud
//! Logging presets put it. The record's struct, its accessors and setters, the
//! published key list ([`RESERVED_KEYS`](super::RESERVED_KEYS)), the order of the line,
//! the JSON writer's constant key prefixes, the OTLP attributes and the public
//! [`Field`] enum (which `reqlog report` looks keys up with) all come from this list:
//! adding a field is one row here plus the code that fills it.

use super::slot::{
    Actions, Bool, End, Flag, Header, Ip, List, Method, Micros, Name, Num, Severity, Shared,
    Static, Text, Time,
};

/// Where a schema preset puts a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Under the OpenTelemetry key, as it is.
    Keep,
    /// Under another key, the value written the same way.
    As(&'static str),
    /// Google Cloud Logging: a member of the `httpRequest` object.
    Http(&'static str),
    /// The preset's writer has its own rule for it (a unit or a value mapping).
    Special,
    /// Not written.
    Drop,
}

/// A key of the record schema, with the form the JSON format writes before its value
/// (`,"url.path":`), so that a key costs one copy of a constant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SchemaKey {
    pub(crate) id: Field,
    /// The key on the line (the OpenTelemetry schema, the default).
    pub(crate) name: &'static str,
    pub(crate) json: &'static str,
    /// Where [`Schema::Ecs`](crate::format::Schema::Ecs) puts it.
    pub(crate) ecs: Place,
    /// Where [`Schema::GoogleCloud`](crate::format::Schema::GoogleCloud) puts it.
    pub(crate) gcp: Place,
}

macro_rules! record_fields {
    ($(
        $(#[$doc:meta])*
        $id:ident: $get:ident / $set:ident -> $out:ty, $slot:ty, $key:literal,
            ecs $ecs:expr, gcp $gcp:expr;
    )*) => {
        /// One field of the record schema: the keys reqlog writes on a line.
        ///
        /// Programs that read reqlog's logs back (`reqlog report` is one) look a key up
        /// with [`Field::from_key`], which knows this version's keys and those of
        /// earlier versions, so old logs read the same; [`Field::key`] gives the key a
        /// field is written under today. New fields are added in minor versions: match
        /// with a `_` arm.
        ///
        /// # Example
        /// ```
        /// use reqlog::Field;
        ///
        /// assert_eq!(Field::from_key(b"url.path"), Some(Field::Path));
        /// assert_eq!(Field::Path.key(), "url.path");
        /// // A key of an earlier version names the field it became.
        /// assert_eq!(Field::from_key(b"client.kind"), Some(Field::VisitorKind));
        /// assert_eq!(Field::VisitorKind.key(), "visitor.kind");
        /// // A free field of the application is not a schema field.
        /// assert_eq!(Field::from_key(b"tenant"), None);
        /// ```
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Field {
            $(
                $(#[$doc])*
                $id,
            )*
        }

        /// Every key of the schema, in the order of the line.
        pub(crate) const SCHEMA: &[SchemaKey] = &[$(
            SchemaKey {
                id: Field::$id,
                name: $key,
                json: concat!(",\"", $key, "\":"),
                ecs: $ecs,
                gcp: $gcp,
            },
        )*];

        /// The keys of the record schema, in the order of the line; free fields may not
        /// use them.
        pub const RESERVED_KEYS: &[&str] = &[$($key),*];

        /// The stored fields of a record.
        #[derive(Clone, Debug, Default)]
        pub(crate) struct Fields {
            $(pub(super) $get: $slot,)*
        }

        impl Field {
            /// The field a key of this version's schema names.
            fn from_current_key(key: &[u8]) -> Option<Field> {
                $(if key == $key.as_bytes() {
                    return Some(Field::$id);
                })*
                None
            }

            /// This field's key and its forms.
            pub(crate) fn schema_key(self) -> &'static SchemaKey {
                &SCHEMA[self as usize]
            }
        }

        impl super::Record {
            $(
                $(#[$doc])*
                pub fn $get(&self) -> $out {
                    self.fields.$get.get(&self.text)
                }

                #[allow(dead_code)] // a field may be set only in some builds (tests, features)
                pub(crate) fn $set(&mut self, v: <$slot as Slot>::In) {
                    self.fields.$get.set(v)
                }
            )*

            /// Fills every field with a sample value (tests: every key must reach the line).
            #[cfg(test)]
            pub(crate) fn fill_every_field(&mut self) {
                $(self.fields.$get = <$slot as Slot>::sample(&mut self.text);)*
            }

            /// Calls `f` with each present field of the schema, in the order of the line.
            #[inline(always)]
            pub(crate) fn visit_schema<'a>(
                &'a self,
                f: &mut impl FnMut(&'static SchemaKey, Value<'a>),
            ) {
                $(
                    if let Some(v) = self.fields.$get.value(&self.text) {
                        f(&SCHEMA[Field::$id as usize], v);
                    }
                )*
            }
        }
    };
}

use std::net::IpAddr;
use std::time::SystemTime;

use super::slot::Slot;
use super::{FieldValue, Level, Value};
use Place::{As, Drop, Http, Keep, Special};

record_fields! {
    /// `timestamp`: when the request started (or the event happened).
    Timestamp: timestamp / set_timestamp -> SystemTime, Time, "timestamp",
        ecs As("@timestamp"), gcp As("timestamp");
    /// `level`: the record's severity.
    Level: level / set_level_field -> Level, Severity, "level",
        ecs As("log.level"), gcp Special;
    /// `otel.event.name`: `"http.request"`, `"reqlog.start"`, `"reqlog.dropped"`…
    /// (OpenTelemetry's key for an event's name outside OTLP, whose log records carry
    /// it in their own `event_name` field).
    EventName: event_name / set_event_name -> &'static str, Name, "otel.event.name",
        ecs As("event.action"), gcp Keep;
    /// `http.request.method`: the request method.
    Method: method / set_method -> Option<&http::Method>, Method, "http.request.method",
        ecs Keep, gcp Http("requestMethod");
    /// `url.scheme`: `http` or `https`, as the client asked (from a trusted proxy's
    /// `X-Forwarded-Proto` or `Forwarded: proto=`, else the request's own).
    Scheme: scheme / set_scheme -> Option<&'static str>, Static, "url.scheme",
        ecs Keep, gcp Special;
    /// `url.path`, as received, redacted and length-capped.
    Path: path / set_path -> Option<&str>, Text, "url.path",
        ecs Keep, gcp Special;
    /// `url.query`, redacted and length-capped.
    // GCP: part of `httpRequest.requestUrl`, as the path is.
    Query: query / set_query -> Option<&str>, Text, "url.query",
        ecs Keep, gcp Special;
    /// `http.route`, when the router reported a matched route.
    // ECS 9.4 has no route field. `http.route` sits in ECS's `http` field set, which
    // ECS asks custom fields to avoid, but the key is OpenTelemetry's, whose semantic
    // conventions ECS now aligns with: if ECS ever names a route, it will be this one,
    // with this meaning. So it stays rather than move under a name of our own.
    Route: route / set_route -> Option<&str>, Text, "http.route",
        ecs Keep, gcp Keep;
    /// `network.protocol.version`: `"1.1"`, `"2"`…
    Protocol: protocol_version / set_protocol_version -> Option<&'static str>, Static, "network.protocol.version",
        ecs As("http.version"), gcp Special;
    /// `server.address`: the host the client asked for (the `Host` header or
    /// `:authority`), without its port.
    // GCP: the host of `httpRequest.requestUrl`.
    ServerAddress: server_address / set_server_address -> Option<&str>, Text, "server.address",
        ecs As("url.domain"), gcp Special;
    /// `server.port`: the port the client asked for, when the `Host` header or
    /// `:authority` names one.
    // GCP: the port of `httpRequest.requestUrl`.
    ServerPort: server_port / set_server_port -> Option<u16>, Num<u16>, "server.port",
        ecs As("url.port"), gcp Special;
    /// `client.address`: the resolved (and possibly masked) client address.
    ClientAddress: client_address / set_client_address -> Option<IpAddr>, Ip, "client.address",
        ecs As("client.ip"), gcp Http("remoteIp");
    /// `client.port`: the client's port, when the client is the connection's peer.
    ClientPort: client_port / set_client_port -> Option<u16>, Num<u16>, "client.port",
        ecs Keep, gcp Keep;
    /// `user_agent.original`, length-capped.
    UserAgent: user_agent / set_user_agent -> Option<&str>, Text, "user_agent.original",
        ecs Keep, gcp Http("userAgent");
    /// `user_agent.synthetic.type`: `"bot"` for crawlers and scanners.
    // ECS's `user_agent` set has no such field (only `original`, `name`, `version`,
    // `device.name`, `os.*`), so nothing of another meaning is overwritten; kept under
    // OpenTelemetry's key for the reason given for `http.route`.
    Synthetic: user_agent_synthetic / set_user_agent_synthetic -> Option<&'static str>, Static,
        "user_agent.synthetic.type",
        ecs Keep, gcp Keep;
    /// `http.request.header.referer`: the `Referer` header, redacted (written as a
    /// one-item array, as OpenTelemetry's header attributes are).
    Referer: referer / set_referer -> Option<&str>, Header, "http.request.header.referer",
        ecs As("http.request.referrer"), gcp Http("referer");
    /// `request.id`: the request id (`x-request-id`).
    RequestId: request_id / set_request_id -> Option<&str>, Text, "request.id",
        ecs As("http.request.id"), gcp Keep;
    /// `trace_id`: the W3C trace id of the request's `traceparent`, 32 lowercase hex
    /// digits.
    TraceId: trace_id / set_trace_id -> Option<&str>, Text, "trace_id",
        ecs As("trace.id"), gcp Special;
    /// `span_id`: the parent span id of the request's `traceparent`, 16 lowercase hex
    /// digits.
    // ECS `span.id` and GCP `spanId` name the span a line was written in. The
    // middleware starts no span, so that is the caller's, as an OpenTelemetry log
    // bridge would also record it.
    SpanId: span_id / set_span_id -> Option<&str>, Text, "span_id",
        ecs As("span.id"), gcp As("logging.googleapis.com/spanId");
    /// `trace_flags`: the `traceparent`'s flags, two hex digits (`01`: sampled).
    TraceFlags: trace_flags / set_trace_flags -> Option<&str>, Text, "trace_flags",
        ecs Drop, gcp Special;
    /// `rpc.system.name`: `"grpc"` for gRPC calls.
    RpcSystem: rpc_system / set_rpc_system -> Option<&'static str>, Static, "rpc.system.name",
        ecs Keep, gcp Keep;
    /// `rpc.method`: the fully qualified gRPC method (`helloworld.Greeter/SayHello`).
    RpcMethod: rpc_method / set_rpc_method -> Option<&str>, Text, "rpc.method",
        ecs Keep, gcp Keep;
    /// `rpc.response.status_code`: the gRPC status name (`"OK"`, `"NOT_FOUND"`).
    RpcStatus: rpc_status / set_rpc_status -> Option<&'static str>, Static, "rpc.response.status_code",
        ecs Keep, gcp Keep;
    /// `http.response.status_code`; `None` when no response was produced.
    Status: status / set_status -> Option<u16>, Num<u16>, "http.response.status_code",
        ecs Keep, gcp Http("status");
    /// `http.request.body.size`: request body bytes the application read.
    RequestBodySize: request_body_size / set_request_body_size -> Option<u64>, Num<u64>,
        "http.request.body.size",
        ecs As("http.request.body.bytes"), gcp Keep;
    /// `http.response.body.size`: response body bytes sent.
    ResponseBodySize: response_body_size / set_response_body_size -> Option<u64>, Num<u64>,
        "http.response.body.size",
        ecs As("http.response.body.bytes"), gcp Special;
    /// `duration_ms` in microseconds: from the request to the last response byte.
    Duration: duration_micros / set_duration_micros -> Option<u64>, Micros, "duration_ms",
        ecs Special, gcp Special;
    /// `ttfb_ms` in microseconds: from the request to the response head.
    Ttfb: ttfb_micros / set_ttfb_micros -> Option<u64>, Micros, "ttfb_ms",
        ecs Keep, gcp Keep;
    /// `outcome`.
    Outcome: outcome / set_outcome -> Option<super::Outcome>, End, "outcome",
        ecs Special, gcp Keep;
    /// `error.type`: why a request failed (`"500"`, `"panic"`, `"service_error"`,
    /// `"body_error"`); absent for requests that did not.
    ErrorType: error_type / set_error_type -> Option<&'static str>, Static, "error.type",
        ecs Keep, gcp Keep;
    /// `probe.category`, when the detector flagged the request.
    ProbeCategory: probe_category / set_probe_category -> Option<&'static str>, Static, "probe.category",
        ecs As("rule.category"), gcp Keep;
    /// `probe.rule`: the rule that named the probe.
    ProbeRule: probe_rule / set_probe_rule -> Option<&str>, Shared, "probe.rule",
        ecs As("rule.name"), gcp Keep;
    /// `probe.param`: the query parameter a payload was found in.
    ProbeParam: probe_param / set_probe_param -> Option<&str>, Shared, "probe.param",
        ecs Keep, gcp Keep;
    /// `visitor.kind`: `browser`, `crawler`, `scanner`, `tool`…
    VisitorKind: visitor_kind / set_visitor_kind -> Option<&'static str>, Static, "visitor.kind",
        ecs Keep, gcp Keep;
    /// `visitor.crawler`: the crawler the user agent names.
    Crawler: crawler / set_crawler -> Option<&'static str>, Static, "visitor.crawler",
        ecs Keep, gcp Keep;
    /// `visitor.verified`: whether the crawler the user agent names is that crawler
    /// (published ranges or forward-confirmed reverse DNS); `None` when not checked or
    /// not known yet.
    Verified: client_verified / set_client_verified -> Option<bool>, Bool, "visitor.verified",
        ecs Keep, gcp Keep;
    /// `visitor.scanning`: the client is flagged as a scanner (404 rate).
    Scanning: scanning / set_scanning -> bool, Flag, "visitor.scanning",
        ecs Keep, gcp Keep;
    /// `visitor.blocked`: the request was refused.
    Blocked: blocked / set_blocked -> bool, Flag, "visitor.blocked",
        ecs Keep, gcp Keep;
    /// `robots.disallowed`: a crawler fetched a path that the site's robots.txt
    /// (given to [`ProbeDetector::robots_txt`](crate::probe::ProbeDetector::robots_txt))
    /// disallows for it.
    RobotsDisallowed: robots_disallowed / set_robots_disallowed -> bool, Flag, "robots.disallowed",
        ecs Keep, gcp Keep;
    /// `visitor.actions`: the business actions handlers attached, in order.
    Actions: actions / push_action -> &[FieldValue], Actions, "visitor.actions",
        ecs Keep, gcp Keep;
    /// `enduser.pseudo.id`: the pseudonymous user identifier.
    // ECS: `user.hash` ("unique user hash to correlate information for a user in
    // anonymized form"), which is what this keyed hash is; `user.id` is the user's real
    // identifier, which the record never holds.
    UserId: user_id / set_user_id -> Option<&str>, Text, "enduser.pseudo.id",
        ecs As("user.hash"), gcp Keep;
    /// `sample.rate`: how many requests this line stands for, when it was kept as one
    /// in N of the ordinary requests ([`Keep::one_in`](crate::Keep::one_in),
    /// [`SinkExt::sample`](crate::sink::SinkExt::sample)); absent on lines kept
    /// unconditionally (each stands for itself). Reports multiply counts by it.
    // Not an OpenTelemetry attribute (OTel puts the sampling probability in the trace
    // state, not in attributes): `sample` is a namespace it does not define.
    SampleRate: sample_rate / set_sample_rate -> Option<u64>, Num<u64>, "sample.rate",
        ecs Keep, gcp Keep;
    /// `debug.events`: the `tracing` events emitted while the request was handled, in
    /// order, each an object `{time, level, target, message, fields}` — only on the line
    /// of a request that failed or was slow, with the `debug-events` feature (see
    /// `reqlog::debug_events`).
    // ECS and GCP: no field of theirs holds a request's diagnostics; `debug` is a
    // namespace neither (nor OpenTelemetry) defines, so it stays as it is.
    DebugEvents: debug_events / set_debug_events -> &[FieldValue], List, "debug.events",
        ecs Keep, gcp Keep;
    /// `debug.dropped`: events of the request left out of `debug.events` because its
    /// buffer was full (written when there was one).
    DebugDropped: debug_dropped / set_debug_dropped -> Option<u64>, Num<u64>, "debug.dropped",
        ecs Keep, gcp Keep;
}

/// Keys of earlier versions, and the field each became: [`Field::from_key`] knows them,
/// so lines written with either read the same.
pub(crate) const RENAMED: &[(&str, Field)] = &[
    ("event.name", Field::EventName),
    ("client.kind", Field::VisitorKind),
    ("client.crawler", Field::Crawler),
    ("client.verified", Field::Verified),
    ("client.scanning", Field::Scanning),
    ("client.blocked", Field::Blocked),
    ("user.actions", Field::Actions),
    ("user.id", Field::UserId),
];

impl Field {
    /// The field `key` names: a key of this version's schema (as in
    /// [`RESERVED_KEYS`]) or the key of an earlier version (`client.kind`, `user.id`…);
    /// `None` for any other key. It compares bytes, so it works on a key cut straight
    /// out of a line, without decoding it.
    ///
    /// # Example
    /// ```
    /// use reqlog::Field;
    ///
    /// let line = "http.request.method=GET url.path=/ user.id=u_00000000000000a1";
    /// let fields: Vec<Option<Field>> = line
    ///     .split(' ')
    ///     .map(|pair| Field::from_key(pair.split('=').next().unwrap().as_bytes()))
    ///     .collect();
    /// assert_eq!(fields, [Some(Field::Method), Some(Field::Path), Some(Field::UserId)]);
    /// ```
    pub fn from_key(key: &[u8]) -> Option<Field> {
        Field::from_current_key(key).or_else(|| {
            RENAMED
                .iter()
                .find(|(old, _)| old.as_bytes() == key)
                .map(|&(_, field)| field)
        })
    }

    /// The key this field is written under (the OpenTelemetry schema, reqlog's
    /// default): `"url.path"` for [`Field::Path`]. Schema presets such as ECS write
    /// some fields under other keys.
    ///
    /// # Example
    /// ```
    /// use reqlog::Field;
    ///
    /// assert_eq!(Field::Status.key(), "http.response.status_code");
    /// assert_eq!(Field::from_key(Field::Status.key().as_bytes()), Some(Field::Status));
    /// ```
    pub fn key(self) -> &'static str {
        self.schema_key().name
    }
}
