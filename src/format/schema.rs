//! Schema presets: which keys a [`JsonLines`](super::JsonLines) line uses, so that it
//! lands in a log store with its fields where that store looks for them.
//!
//! Where each field goes is a column of the record's field list (`record/fields.rs`);
//! the preset writers (`ecs.rs`, `gcp.rs`) follow that list, so a new field reaches
//! every preset. This file holds what the two writers share.

use super::json::{write_key, write_str_content, write_value_to};
use super::text::write_u64;
use crate::record::{Place, SchemaKey};
use crate::{Record, Value};

/// The key schema of a [`JsonLines`](super::JsonLines) line.
///
/// - [`Schema::OpenTelemetry`] (the default): OpenTelemetry's semantic-convention keys,
///   flat and dotted (`http.request.method`, `url.path`, `client.address`…).
/// - [`Schema::Ecs`]: the Elastic Common Schema, so that Kibana shows the line with
///   its HTTP, URL, client and user-agent fields filled without an ingest pipeline.
/// - [`Schema::GoogleCloud`]: Cloud Logging's structured JSON (what Cloud Run, GKE and
///   the Ops Agent read from standard output), so that the Logs Explorer shows the
///   request panel (`httpRequest`), the severity and the trace link.
///
/// The fields Elastic or Google have no name for keep their OpenTelemetry key; free
/// fields keep theirs too, except one named like a key the preset writes itself
/// (`message`, `severity`…), which goes under `reqlog.<key>`.
///
/// # Example
/// ```
/// use reqlog::format::{Format, JsonLines, Schema};
/// use reqlog::Record;
///
/// let record = Record::event("reqlog.start");
///
/// let mut ecs = Vec::new();
/// JsonLines::new().schema(Schema::Ecs).format(&record, &mut ecs);
/// let ecs = String::from_utf8(ecs).unwrap();
/// assert!(ecs.starts_with("{\"@timestamp\":\""));
/// assert!(ecs.contains("\"log.level\":\"INFO\""));
/// assert!(ecs.contains("\"ecs.version\":\"9.4.0\""));
///
/// let mut gcp = Vec::new();
/// JsonLines::new().schema(Schema::GoogleCloud).format(&record, &mut gcp);
/// let gcp = String::from_utf8(gcp).unwrap();
/// assert!(gcp.contains("\"severity\":\"INFO\""));
/// assert!(gcp.contains("\"message\":\"reqlog.start\""));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Schema {
    /// OpenTelemetry semantic-convention keys, flat and dotted: the line the crate has
    /// always written (see the README's record table).
    #[default]
    OpenTelemetry,
    /// The [Elastic Common Schema](https://www.elastic.co/docs/reference/ecs/ecs-field-reference)
    /// (checked against ECS 9.4.0): flat dotted keys as ECS names them (`@timestamp`,
    /// `log.level`, `http.request.method`, `url.path`, `client.ip`,
    /// `http.response.status_code`, `event.duration` in nanoseconds, `trace.id`…),
    /// plus `message`, `ecs.version`, `event.kind`, `event.category`, `event.type` and
    /// `event.outcome`. Fields ECS has no name for keep their OpenTelemetry key
    /// (`visitor.kind`, `ttfb_ms`, `outcome`…).
    Ecs,
    /// Google Cloud Logging's
    /// [structured JSON](https://cloud.google.com/logging/docs/structured-logging):
    /// `severity`, `timestamp`, `message`, an
    /// [`httpRequest`](https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#HttpRequest)
    /// object (`requestMethod`, `requestUrl`, `status`, `responseSize`, `userAgent`,
    /// `remoteIp`, `referer`, `latency`, `protocol`) and the
    /// `logging.googleapis.com/trace`, `…/spanId` and `…/trace_sampled` fields; every
    /// other field flat under its OpenTelemetry key (it lands in `jsonPayload`).
    ///
    /// With [`JsonLines::gcp_project`](super::JsonLines::gcp_project) the trace is
    /// written `projects/PROJECT/traces/TRACE_ID`, which links the line to Cloud
    /// Trace in any project; without it, the bare trace id (the form Google's
    /// [trace-log integration](https://cloud.google.com/trace/docs/trace-log-integration)
    /// page now calls preferred).
    GoogleCloud,
}

/// Writes `,"key":` for a preset's own key (a constant of the field list or a writer).
#[inline]
pub(super) fn write_const_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Writes a value as the presets do: as the JSON format writes it, except a header,
/// which both ECS and Cloud Logging take as a plain string (not OpenTelemetry's
/// one-item array).
#[inline]
pub(super) fn write_value(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Header(s) => super::json::write_str(out, s),
        other => write_value_to(out, other),
    }
}

/// Writes a free field under its key, or under `reqlog.<key>` when `taken` says the
/// preset writes that key itself (Elasticsearch refuses a document with a repeated
/// key, and Cloud Logging would read a free `severity` or `message` as its own).
pub(super) fn write_free(out: &mut Vec<u8>, key: &str, value: Value<'_>, taken: bool) {
    if taken {
        out.extend_from_slice(b",\"reqlog.");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
    } else {
        write_key(out, key);
    }
    write_value(out, value);
}

/// Whether a free key is one a preset writes: an `As` target of its column or one of
/// the writer's own keys.
pub(super) fn taken(key: &str, column: fn(&SchemaKey) -> Place, own: &[&str]) -> bool {
    own.contains(&key)
        || crate::record::SCHEMA
            .iter()
            .any(|k| matches!(column(k), Place::As(to) if to == key))
}

/// Writes `,"message":"GET /path 200"` for a request (the method, the path and the
/// status, or how it ended when no response was sent), the event's name for another
/// record: the summary line ECS and Cloud Logging show first.
pub(super) fn write_message(out: &mut Vec<u8>, record: &Record) {
    out.extend_from_slice(b",\"message\":\"");
    match record.method() {
        Some(method) => {
            write_str_content(out, method.as_str());
            if let Some(path) = record.path() {
                out.push(b' ');
                write_str_content(out, path);
            }
            if let Some(status) = record.status() {
                out.push(b' ');
                write_u64(out, status.into());
            } else if let Some(outcome) = record.outcome() {
                out.push(b' ');
                out.extend_from_slice(outcome.as_str().as_bytes());
            }
        }
        None => write_str_content(out, record.event_name()),
    }
    out.push(b'"');
}

/// Ends an object whose members were each written with a leading comma: the first
/// comma, at `start`, becomes the `{`.
pub(super) fn close_object(out: &mut Vec<u8>, start: usize) {
    match out.get_mut(start) {
        Some(comma) => *comma = b'{',
        None => out.push(b'{'),
    }
    out.push(b'}');
}

#[cfg(test)]
pub(super) mod tests {
    use crate::record::SCHEMA;
    use crate::{Level, Outcome, Record};

    /// A finished request with every field the presets map.
    pub(crate) fn request() -> Record {
        request_where(true, true)
    }

    /// [`request`], with or without a status and a host.
    pub(crate) fn request_where(status: bool, host: bool) -> Record {
        let mut r = Record::event("http.request");
        r.set_level(Level::Info);
        r.set_method(http::Method::GET);
        r.set_scheme("https");
        let path = r.push_text("/courses/rust");
        r.set_path(path);
        let query = r.push_text("page=2");
        r.set_query(query);
        let route = r.push_text("/courses/{course}");
        r.set_route(route);
        r.set_protocol_version("1.1");
        if host {
            let host = r.push_text("example.com");
            r.set_server_address(host);
        }
        r.set_server_port(8443);
        r.set_client_address([203, 0, 113, 7].into());
        r.set_client_port(50_123);
        let ua = r.push_text("curl/8.0");
        r.set_user_agent(ua);
        let referer = r.push_text("https://example.com/\"home\"");
        r.set_referer(referer);
        let id = r.push_text("req-1");
        r.set_request_id(id);
        let trace = r.push_text("4bf92f3577b34da6a3ce929d0e0e4736");
        r.set_trace_id(trace);
        let span = r.push_text("00f067aa0ba902b7");
        r.set_span_id(span);
        let flags = r.push_text("01");
        r.set_trace_flags(flags);
        if status {
            r.set_status(200);
        }
        r.set_request_body_size(0);
        r.set_response_body_size(980);
        r.set_duration_micros(12_345);
        r.set_ttfb_micros(12_000);
        r.set_outcome(Outcome::Ok);
        let user = r.push_text("u_c8f6b880722999ec");
        r.set_user_id(user);
        r.with("course", "rust")
    }

    /// The line a format writes for `record`, parsed.
    pub(crate) fn line(format: &crate::format::JsonLines, record: &Record) -> serde_json::Value {
        use crate::format::Format;
        let mut out = Vec::new();
        format.format(record, &mut out);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(out.last(), Some(&b'\n'));
        serde_json::from_slice(&out).expect("one JSON object")
    }

    #[test]
    fn keys_of_the_columns_need_no_escaping() {
        for key in SCHEMA {
            for place in [key.ecs, key.gcp] {
                if let crate::record::Place::As(to) | crate::record::Place::Http(to) = place {
                    assert!(
                        to.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"._@/".contains(&b)),
                        "{to}"
                    );
                }
            }
        }
    }
}
