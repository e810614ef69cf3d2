//! A sink that turns each record into one `tracing` event (feature `tracing`).

use std::borrow::Cow;

use super::Sink;
use crate::{Field, Level, Record, Value};

/// Sends each record to the `tracing` subscriber as one event with target `reqlog`,
/// for applications that route everything through a subscriber.
///
/// The schema's fields become event fields under the same dotted names
/// (`http.request.method`, `url.path`, `http.response.status_code`, `duration_ms`…);
/// the record's level becomes the event's level. Free fields, user actions and
/// start-up settings, whose names are not known in advance, go together as one JSON
/// object in the `reqlog.fields` field. The event's message is `METHOD PATH STATUS`.
///
/// This calls the subscriber on the request's thread: use a subscriber with a
/// non-blocking writer (`tracing-appender`).
///
/// # Example
/// ```
/// use reqlog::{sink::TracingSink, RequestLog};
///
/// let layer = RequestLog::new().sink(TracingSink);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingSink;

impl Sink for TracingSink {
    fn emit(&self, r: &Record) {
        let mut extra = Vec::new();
        write_extra(r, &mut extra);
        let extra = std::str::from_utf8(&extra).unwrap_or("{}");
        let method = r.method().map(|m| m.as_str());
        let client = r.client_address().map(tracing::field::display);
        let duration = r.duration_micros().map(|us| us as f64 / 1000.0);
        let ttfb = r.ttfb_micros().map(|us| us as f64 / 1000.0);
        let probe = r.probe();
        macro_rules! emit_at {
            ($level:expr) => {
                tracing::event!(
                    target: "reqlog",
                    $level,
                    otel.event.name = r.event_name(),
                    http.request.method = method,
                    url.path = r.path(),
                    url.query = r.query(),
                    http.route = r.route(),
                    network.protocol.version = r.protocol_version(),
                    url.scheme = r.scheme(),
                    server.address = r.server_address(),
                    server.port = r.server_port(),
                    client.address = client,
                    client.port = r.client_port(),
                    user_agent.original = r.user_agent(),
                    http.request.header.referer = r.referer(),
                    request.id = r.request_id(),
                    trace_id = r.trace_id(),
                    span_id = r.span_id(),
                    http.response.status_code = r.status(),
                    http.request.body.size = r.request_body_size(),
                    http.response.body.size = r.response_body_size(),
                    duration_ms = duration,
                    ttfb_ms = ttfb,
                    outcome = r.outcome().map(|o| o.as_str()),
                    error.type = r.error_type(),
                    probe.category = probe.map(|p| p.0),
                    probe.rule = probe.map(|p| p.1),
                    probe.param = r.probe_param(),
                    visitor.kind = r.visitor_kind(),
                    visitor.crawler = r.crawler(),
                    enduser.pseudo.id = r.user_id(),
                    reqlog.fields = extra,
                    "{} {} {}",
                    method.unwrap_or(r.event_name()),
                    r.path().unwrap_or(""),
                    r.status().map(u32::from).unwrap_or(0),
                )
            };
        }
        match r.level() {
            Level::Debug => emit_at!(tracing::Level::DEBUG),
            Level::Info => emit_at!(tracing::Level::INFO),
            Level::Warn => emit_at!(tracing::Level::WARN),
            Level::Error => emit_at!(tracing::Level::ERROR),
        }
    }

    fn describe(&self) -> Cow<'static, str> {
        "tracing".into()
    }
}

/// The fields the event names as its own `tracing` fields (every other field of the
/// line goes into `reqlog.fields`).
const TRACED: &[Field] = &[
    Field::Timestamp,
    Field::Level,
    Field::EventName,
    Field::Method,
    Field::Path,
    Field::Query,
    Field::Route,
    Field::Protocol,
    Field::Scheme,
    Field::ServerAddress,
    Field::ServerPort,
    Field::ClientAddress,
    Field::ClientPort,
    Field::UserAgent,
    Field::Referer,
    Field::RequestId,
    Field::TraceId,
    Field::SpanId,
    Field::Status,
    Field::RequestBodySize,
    Field::ResponseBodySize,
    Field::Duration,
    Field::Ttfb,
    Field::Outcome,
    Field::ErrorType,
    Field::ProbeCategory,
    Field::ProbeRule,
    Field::ProbeParam,
    Field::VisitorKind,
    Field::Crawler,
    Field::UserId,
];

/// The fields that have no `tracing` field of their own, as one JSON object.
fn write_extra(r: &Record, out: &mut Vec<u8>) {
    out.push(b'{');
    let mut first = true;
    let mut field = |key: &str, value: Value<'_>| {
        if !first {
            out.push(b',');
        }
        first = false;
        crate::format::json_str(out, key);
        out.push(b':');
        crate::format::json_value(out, value);
    };
    // Schema fields the event above does not name go here, so that a field added to
    // the record reaches `tracing` without an edit in this file.
    r.visit_schema(&mut |key, value| {
        if !TRACED.contains(&key.id) {
            field(key.name, value);
        }
    });
    for (k, v) in r.extra_fields() {
        field(k, v.as_value());
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_record_becomes_one_event_with_its_fields() {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        let mut record = Record::event("reqlog.start").with("service.name", "courses");
        record.set_level(Level::Warn);
        tracing::subscriber::with_default(subscriber, || TracingSink.emit(&record));
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 1, "{out}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["target"], "reqlog");
        assert_eq!(v["otel.event.name"], "reqlog.start");
        let fields: serde_json::Value =
            serde_json::from_str(v["reqlog.fields"].as_str().unwrap()).unwrap();
        assert_eq!(fields["service.name"], "courses");
    }

    /// Schema fields without a `tracing` field of their own go into `reqlog.fields`;
    /// the named ones are not repeated there.
    #[test]
    fn unnamed_schema_fields_go_into_reqlog_fields() {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_writer(move || writer.clone())
            .finish();
        let mut record = Record::event("http.request");
        let path = record.push_text("/x");
        record.set_path(path);
        record.set_scanning(true);
        record.push_action(crate::FieldValue::from("purchase"));
        tracing::subscriber::with_default(subscriber, || TracingSink.emit(&record));
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["url.path"], "/x");
        let fields: serde_json::Value =
            serde_json::from_str(v["reqlog.fields"].as_str().unwrap()).unwrap();
        assert_eq!(fields["visitor.scanning"], true);
        assert_eq!(fields["visitor.actions"], serde_json::json!(["purchase"]));
        assert!(fields.get("url.path").is_none(), "{fields}");
        assert!(fields.get("timestamp").is_none(), "{fields}");
    }
}
