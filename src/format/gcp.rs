//! The Google Cloud Logging preset: the structured JSON that Cloud Run, GKE and the Ops
//! Agent read from standard output, following the `gcp` column of the field list.
//!
//! Special fields: <https://cloud.google.com/logging/docs/structured-logging>; the
//! `httpRequest` object:
//! <https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#HttpRequest>,
//! in the proto3 JSON form (int64 as a string, a Duration as `"0.012s"`).

use super::json::write_str_content;
use super::schema::{close_object, taken, write_const_key, write_free, write_message, write_value};
use super::text::write_u64;
use crate::record::{Field, FieldKey, Place, SchemaKey, VisitField};
use crate::{Level, Record, Value};

/// The keys this writer adds itself, beside the `As` targets of the field list (and
/// the `logging.googleapis.com/…` keys, which no free key can spell). Cloud Logging
/// also reads `time` and `timestampSeconds`/`timestampNanos` as the entry's time.
const OWN_KEYS: &[&str] = &[
    "severity",
    "message",
    "httpRequest",
    "time",
    "timestampSeconds",
    "timestampNanos",
];

/// The fields marked `Special` in the `gcp` column that this writer has a rule for.
#[cfg(test)]
const SPECIAL: &[Field] = &[
    Field::Level,
    Field::Scheme,
    Field::Path,
    Field::Query,
    Field::Protocol,
    Field::ServerAddress,
    Field::ServerPort,
    Field::TraceId,
    Field::TraceFlags,
    Field::ResponseBodySize,
    Field::Duration,
];

/// Writes one Cloud Logging line. `trace_prefix` is `projects/PROJECT/traces/`,
/// escaped, when a project was configured.
#[inline(never)]
pub(super) fn write(record: &Record, trace_prefix: Option<&str>, out: &mut Vec<u8>) {
    let start = out.len();
    record.visit_fields(&mut Top {
        out: &mut *out,
        record,
        trace_prefix,
    });
    write_message(out, record);

    // The `httpRequest` members, in a second pass over the same list: they are spread
    // over the line's order, and the object must be in one piece.
    let object = out.len();
    out.extend_from_slice(b",\"httpRequest\":");
    let members = out.len();
    record.visit_schema(&mut |key, value| match key.gcp {
        Place::Http(member) => {
            write_const_key(out, member);
            write_value(out, value);
        }
        Place::Special => http_special(out, record, key, value),
        _ => {}
    });
    if out.len() == members {
        out.truncate(object);
    } else {
        close_object(out, members);
    }

    close_object(out, start);
    out.push(b'\n');
}

/// Writes the top-level fields: everything but the `httpRequest` members.
struct Top<'o, 'r, 'p> {
    out: &'o mut Vec<u8>,
    record: &'r Record,
    trace_prefix: Option<&'p str>,
}

impl<'a> VisitField<'a> for Top<'_, '_, '_> {
    #[inline(always)]
    fn field(&mut self, key: FieldKey<'a>, value: Value<'a>) {
        let out = &mut *self.out;
        match key {
            FieldKey::Schema(k) => match k.gcp {
                Place::Keep => keep(out, k, value),
                Place::As(to) => {
                    write_const_key(out, to);
                    write_value(out, value);
                }
                Place::Special => special(out, self.record, self.trace_prefix, k, value),
                Place::Drop | Place::Http(_) => {}
            },
            FieldKey::Free(k) => write_free(out, k, value, is_taken(k)),
        }
    }
}

#[inline(always)]
fn keep(out: &mut Vec<u8>, key: &SchemaKey, value: Value<'_>) {
    out.extend_from_slice(key.json.as_bytes());
    write_value(out, value);
}

/// The parts of `httpRequest` that are not a field as it is: written in the second
/// pass, nothing in the first.
fn is_http_special(id: Field) -> bool {
    matches!(
        id,
        Field::Scheme
            | Field::Path
            | Field::Query
            | Field::ServerAddress
            | Field::ServerPort
            | Field::Protocol
            | Field::ResponseBodySize
            | Field::Duration
    )
}

/// The writer's rules for the top-level `Special` rows.
fn special(
    out: &mut Vec<u8>,
    record: &Record,
    trace_prefix: Option<&str>,
    key: &SchemaKey,
    value: Value<'_>,
) {
    match (key.id, value) {
        (Field::Level, _) => {
            out.extend_from_slice(b",\"severity\":\"");
            out.extend_from_slice(severity(record.level()).as_bytes());
            out.push(b'"');
        }
        (Field::TraceId, Value::Str(id)) => {
            out.extend_from_slice(b",\"logging.googleapis.com/trace\":\"");
            if let Some(prefix) = trace_prefix {
                out.extend_from_slice(prefix.as_bytes());
            }
            write_str_content(out, id);
            out.push(b'"');
        }
        // The W3C flags are two hex digits; bit 0 is `sampled`.
        (Field::TraceFlags, Value::Str(flags)) => {
            let sampled = flags
                .bytes()
                .last()
                .and_then(|d| (d as char).to_digit(16))
                .is_some_and(|d| d & 1 == 1);
            out.extend_from_slice(if sampled {
                b",\"logging.googleapis.com/trace_sampled\":true"
            } else {
                b",\"logging.googleapis.com/trace_sampled\":false"
            });
        }
        // Parts of `requestUrl`: a record without a path (the start event's listen
        // address) has no URL to put them in, so they keep their keys.
        (Field::Scheme | Field::Query | Field::ServerAddress | Field::ServerPort, _)
            if record.path().is_none() =>
        {
            keep(out, key, value)
        }
        (id, _) if is_http_special(id) => {}
        // A row marked `Special` without a rule here keeps its OpenTelemetry key
        // rather than vanish (a test checks that every `Special` row has a rule).
        _ => keep(out, key, value),
    }
}

/// Cloud Logging's `LogSeverity` name for a level.
fn severity(level: Level) -> &'static str {
    match level {
        Level::Debug => "DEBUG",
        Level::Info => "INFO",
        Level::Warn => "WARNING",
        Level::Error => "ERROR",
    }
}

/// The writer's rules for the `httpRequest` members that are not a field as it is.
fn http_special(out: &mut Vec<u8>, record: &Record, key: &SchemaKey, value: Value<'_>) {
    match (key.id, value) {
        (Field::Path, Value::Str(path)) => {
            out.extend_from_slice(b",\"requestUrl\":\"");
            write_request_url(out, record, path);
            out.push(b'"');
        }
        (Field::Protocol, Value::Str(version)) => {
            out.extend_from_slice(b",\"protocol\":\"HTTP/");
            write_str_content(out, version);
            out.push(b'"');
        }
        // int64 is a string in proto3 JSON. Body bytes only: Google's `responseSize`
        // counts the headers too, which the middleware does not see as bytes.
        (Field::ResponseBodySize, Value::U64(n)) => {
            out.extend_from_slice(b",\"responseSize\":\"");
            write_u64(out, n);
            out.push(b'"');
        }
        (Field::Duration, Value::Millis(micros)) => {
            out.extend_from_slice(b",\"latency\":\"");
            write_duration(out, micros);
            out.extend_from_slice(b"s\"");
        }
        _ => {}
    }
}

/// `scheme://host[:port]path?query` when the host is known, else `path?query`.
fn write_request_url(out: &mut Vec<u8>, record: &Record, path: &str) {
    if let (Some(scheme), Some(host)) = (record.scheme(), record.server_address()) {
        write_str_content(out, scheme);
        out.extend_from_slice(b"://");
        // An IPv6 literal is kept without its brackets; a URL needs them.
        let v6 = host.contains(':');
        if v6 {
            out.push(b'[');
        }
        write_str_content(out, host);
        if v6 {
            out.push(b']');
        }
        if let Some(port) = record.server_port() {
            out.push(b':');
            write_u64(out, port.into());
        }
    }
    write_str_content(out, path);
    if let Some(query) = record.query() {
        out.push(b'?');
        write_str_content(out, query);
    }
}

/// A protobuf Duration's seconds, exact from microseconds, with 0, 3 or 6 decimals as
/// proto3 JSON writes them: `2`, `0.012`, `0.012345`.
fn write_duration(out: &mut Vec<u8>, micros: u64) {
    write_u64(out, micros / 1_000_000);
    let frac = micros % 1_000_000;
    let (digits, n) = if frac == 0 {
        return;
    } else if frac % 1000 == 0 {
        (3, frac / 1000)
    } else {
        (6, frac)
    };
    out.push(b'.');
    let mut buf = [b'0'; 6];
    let mut rest = n;
    for d in buf[..digits].iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend_from_slice(&buf[..digits]);
}

fn is_taken(key: &str) -> bool {
    taken(key, |k| k.gcp, OWN_KEYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::schema::tests::{line, request};
    use crate::format::{JsonLines, Schema};
    use crate::record::SCHEMA;

    fn gcp(record: &Record) -> serde_json::Value {
        line(&JsonLines::new().schema(Schema::GoogleCloud), record)
    }

    #[test]
    fn a_request_fills_the_http_request_panel() {
        let v = gcp(&request());
        assert_eq!(v["severity"], "INFO");
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(v["message"], "GET /courses/rust 200");
        let h = &v["httpRequest"];
        assert_eq!(h["requestMethod"], "GET");
        assert_eq!(
            h["requestUrl"],
            "https://example.com:8443/courses/rust?page=2"
        );
        assert_eq!(h["status"], 200);
        assert_eq!(h["responseSize"], "980");
        assert_eq!(h["userAgent"], "curl/8.0");
        assert_eq!(h["remoteIp"], "203.0.113.7");
        assert_eq!(h["referer"], "https://example.com/\"home\"");
        assert_eq!(h["latency"], "0.012345s");
        assert_eq!(h["protocol"], "HTTP/1.1");
        assert_eq!(h.as_object().unwrap().len(), 9, "{h}");
        assert_eq!(
            v["logging.googleapis.com/trace"],
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(v["logging.googleapis.com/spanId"], "00f067aa0ba902b7");
        assert_eq!(v["logging.googleapis.com/trace_sampled"], true);
        // The rest, flat under the OpenTelemetry keys (jsonPayload).
        assert_eq!(v["http.route"], "/courses/{course}");
        assert_eq!(v["otel.event.name"], "http.request");
        assert_eq!(v["client.port"], 50_123);
        assert_eq!(v["http.request.body.size"], 0);
        assert_eq!(v["request.id"], "req-1");
        assert_eq!(v["ttfb_ms"], 12.0);
        assert_eq!(v["outcome"], "ok");
        assert_eq!(v["enduser.pseudo.id"], "u_c8f6b880722999ec");
        assert_eq!(v["course"], "rust");
        for gone in [
            "level",
            "url.path",
            "url.query",
            "url.scheme",
            "server.address",
            "duration_ms",
            "trace_id",
            "span_id",
            "trace_flags",
            "http.response.status_code",
        ] {
            assert!(v.get(gone).is_none(), "{gone} in {v}");
        }
    }

    #[test]
    fn the_trace_names_the_project_when_one_is_given() {
        let format = JsonLines::new()
            .schema(Schema::GoogleCloud)
            .gcp_project("my-project");
        assert_eq!(
            line(&format, &request())["logging.googleapis.com/trace"],
            "projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736"
        );
        let odd = JsonLines::new()
            .schema(Schema::GoogleCloud)
            .gcp_project("a\"b");
        assert_eq!(
            line(&odd, &request())["logging.googleapis.com/trace"],
            "projects/a\"b/traces/4bf92f3577b34da6a3ce929d0e0e4736"
        );
        let none = JsonLines::new().schema(Schema::GoogleCloud).gcp_project("");
        assert_eq!(
            line(&none, &request())["logging.googleapis.com/trace"],
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }

    #[test]
    fn severities_and_sampling() {
        let mut r = request();
        r.set_level(Level::Warn);
        let flags = r.push_text("00");
        r.set_trace_flags(flags);
        let v = gcp(&r);
        assert_eq!(v["severity"], "WARNING");
        assert_eq!(v["logging.googleapis.com/trace_sampled"], false);
        r.set_level(Level::Error);
        assert_eq!(gcp(&r)["severity"], "ERROR");
        r.set_level(Level::Debug);
        assert_eq!(gcp(&r)["severity"], "DEBUG");
    }

    #[test]
    fn latency_is_a_protobuf_duration() {
        for (micros, text) in [
            (0, "0"),
            (7, "0.000007"),
            (12_000, "0.012"),
            (12_345, "0.012345"),
            (1_500_000, "1.500"),
            (2_000_000, "2"),
            (61_000_001, "61.000001"),
        ] {
            let mut out = Vec::new();
            write_duration(&mut out, micros);
            assert_eq!(String::from_utf8(out).unwrap(), text);
        }
    }

    #[test]
    fn request_url_without_a_host_or_with_an_ipv6_one() {
        let r = crate::format::schema::tests::request_where(true, false);
        assert_eq!(gcp(&r)["httpRequest"]["requestUrl"], "/courses/rust?page=2");
        let mut r = request();
        let host = r.push_text("2001:db8::1");
        r.set_server_address(host);
        assert_eq!(
            gcp(&r)["httpRequest"]["requestUrl"],
            "https://[2001:db8::1]:8443/courses/rust?page=2"
        );
    }

    #[test]
    fn an_event_has_no_http_request() {
        let mut r = Record::event("reqlog.start").with("service.name", "courses");
        let host = r.push_text("127.0.0.1");
        r.set_server_address(host);
        r.set_server_port(3000);
        let v = gcp(&r);
        assert_eq!(v["server.address"], "127.0.0.1");
        assert_eq!(v["server.port"], 3000);
        assert!(v.get("httpRequest").is_none(), "{v}");
        assert_eq!(v["message"], "reqlog.start");
        assert_eq!(v["severity"], "INFO");
        assert_eq!(v["service.name"], "courses");
    }

    #[test]
    fn a_free_field_never_takes_a_special_key() {
        let r = request()
            .with("severity", "x")
            .with("time", "y")
            .with("httpRequest", "z");
        let v = gcp(&r);
        assert_eq!(v["severity"], "INFO");
        assert_eq!(v["reqlog.severity"], "x");
        assert_eq!(v["reqlog.time"], "y");
        assert_eq!(v["reqlog.httpRequest"], "z");
        assert!(v["httpRequest"].is_object());
    }

    #[test]
    fn every_special_row_has_a_rule() {
        let special: Vec<Field> = SCHEMA
            .iter()
            .filter(|k| k.gcp == Place::Special)
            .map(|k| k.id)
            .collect();
        assert_eq!(special, SPECIAL);
        for id in SPECIAL {
            assert!(
                is_http_special(*id)
                    || matches!(id, Field::Level | Field::TraceId | Field::TraceFlags),
                "{id:?}"
            );
        }
    }
}
