//! The Elastic Common Schema preset: flat dotted keys where ECS puts them, following the
//! `ecs` column of the field list, plus the fields every ECS event carries.
//!
//! Checked against the ECS 9.4.0 field reference:
//! <https://www.elastic.co/docs/reference/ecs/ecs-field-reference>.

use super::schema::{close_object, taken, write_const_key, write_free, write_message, write_value};
use super::text::write_u64;
use crate::record::{Field, FieldKey, Place, SchemaKey, VisitField};
use crate::{Outcome, Record, Value};

/// The ECS version the field mapping was checked against, written as `ecs.version`
/// (required in every ECS event).
pub(crate) const ECS_VERSION: &str = "9.4.0";

/// The keys this writer adds itself, beside the `As` targets of the field list.
const OWN_KEYS: &[&str] = &[
    "message",
    "ecs.version",
    "event.kind",
    "event.category",
    "event.type",
    "event.outcome",
    "event.duration",
];

/// The fields marked `Special` in the `ecs` column that this writer has a rule for.
#[cfg(test)]
const SPECIAL: &[Field] = &[Field::Duration, Field::Outcome];

/// Writes one ECS line.
#[inline(never)]
pub(super) fn write(record: &Record, out: &mut Vec<u8>) {
    let start = out.len();
    record.visit_fields(&mut Fields {
        out: &mut *out,
        record,
    });
    write_message(out, record);
    out.extend_from_slice(b",\"ecs.version\":\"");
    out.extend_from_slice(ECS_VERSION.as_bytes());
    out.extend_from_slice(b"\",\"event.kind\":\"event\"");
    if record.method().is_some() {
        // An HTTP request: `web` expects the types `access`, `error` or `info`.
        out.extend_from_slice(if event_outcome(record) == Some("failure") {
            b",\"event.category\":[\"web\"],\"event.type\":[\"access\",\"error\"]"
        } else {
            b",\"event.category\":[\"web\"],\"event.type\":[\"access\"]"
        });
    }
    close_object(out, start);
    out.push(b'\n');
}

/// `event.outcome`, one of the three values ECS allows: `failure` when the request
/// failed on the server's side (a 5xx, a service or body error, a panic), `unknown`
/// when the client went away before the end, `success` otherwise — a 4xx included, as
/// OpenTelemetry leaves a server span's status unset for it: the server did its job.
fn event_outcome(record: &Record) -> Option<&'static str> {
    let outcome = record.outcome()?;
    Some(match outcome {
        Outcome::Error | Outcome::Panic => "failure",
        _ if record.status().is_some_and(|s| s >= 500) => "failure",
        Outcome::Ok | Outcome::Upgraded => "success",
        _ => "unknown",
    })
}

/// Writes each field where the `ecs` column puts it.
struct Fields<'o, 'r> {
    out: &'o mut Vec<u8>,
    record: &'r Record,
}

impl<'a> VisitField<'a> for Fields<'_, '_> {
    #[inline(always)]
    fn field(&mut self, key: FieldKey<'a>, value: Value<'a>) {
        let out = &mut *self.out;
        match key {
            FieldKey::Schema(k) => match k.ecs {
                Place::Keep => keep(out, k, value),
                Place::As(to) => {
                    write_const_key(out, to);
                    write_value(out, value);
                }
                Place::Special => special(out, self.record, k, value),
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

/// The writer's own rules for the `Special` rows.
fn special(out: &mut Vec<u8>, record: &Record, key: &SchemaKey, value: Value<'_>) {
    match (key.id, value) {
        // `event.duration` is a long in nanoseconds.
        (Field::Duration, Value::Millis(micros)) => {
            out.extend_from_slice(b",\"event.duration\":");
            write_u64(out, micros.saturating_mul(1000));
        }
        // Our own `outcome` stays (it tells an abort from a panic); ECS's three-valued
        // `event.outcome` goes beside it.
        (Field::Outcome, _) => {
            keep(out, key, value);
            if let Some(outcome) = event_outcome(record) {
                out.extend_from_slice(b",\"event.outcome\":\"");
                out.extend_from_slice(outcome.as_bytes());
                out.push(b'"');
            }
        }
        // A row marked `Special` without a rule here keeps its OpenTelemetry key
        // rather than vanish (a test checks that every `Special` row has a rule).
        _ => keep(out, key, value),
    }
}

fn is_taken(key: &str) -> bool {
    taken(key, |k| k.ecs, OWN_KEYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::schema::tests::{line, request};
    use crate::format::{JsonLines, Schema};
    use crate::record::SCHEMA;

    fn ecs(record: &Record) -> serde_json::Value {
        line(&JsonLines::new().schema(Schema::Ecs), record)
    }

    #[test]
    fn a_request_has_its_ecs_keys_and_types() {
        let v = ecs(&request());
        assert!(v["@timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(v["log.level"], "INFO");
        assert_eq!(v["message"], "GET /courses/rust 200");
        assert_eq!(v["ecs.version"], ECS_VERSION);
        assert_eq!(v["event.kind"], "event");
        assert_eq!(v["event.category"], serde_json::json!(["web"]));
        assert_eq!(v["event.type"], serde_json::json!(["access"]));
        assert_eq!(v["event.action"], "http.request");
        assert_eq!(v["event.outcome"], "success");
        assert_eq!(v["event.duration"], 12_345_000);
        assert_eq!(v["http.request.method"], "GET");
        assert_eq!(v["http.request.id"], "req-1");
        assert_eq!(v["http.request.referrer"], "https://example.com/\"home\"");
        assert_eq!(v["http.request.body.bytes"], 0);
        assert_eq!(v["http.response.status_code"], 200);
        assert_eq!(v["http.response.body.bytes"], 980);
        assert_eq!(v["http.version"], "1.1");
        assert_eq!(v["http.route"], "/courses/{course}");
        assert_eq!(v["url.scheme"], "https");
        assert_eq!(v["url.domain"], "example.com");
        assert_eq!(v["url.port"], 8443);
        assert_eq!(v["url.path"], "/courses/rust");
        assert_eq!(v["url.query"], "page=2");
        assert_eq!(v["client.ip"], "203.0.113.7");
        assert_eq!(v["client.port"], 50_123);
        assert_eq!(v["user_agent.original"], "curl/8.0");
        assert_eq!(v["trace.id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(v["span.id"], "00f067aa0ba902b7");
        assert_eq!(v["user.hash"], "u_c8f6b880722999ec");
        assert_eq!(v["ttfb_ms"], 12.0);
        assert_eq!(v["outcome"], "ok");
        assert_eq!(v["course"], "rust");
        // Nothing is left under an OpenTelemetry key that ECS names otherwise.
        for gone in [
            "timestamp",
            "level",
            "client.address",
            "duration_ms",
            "trace_id",
            "trace_flags",
            "enduser.pseudo.id",
            "http.request.header.referer",
        ] {
            assert!(v.get(gone).is_none(), "{gone} in {v}");
        }
    }

    #[test]
    fn failures_and_aborts_have_their_event_outcome() {
        let mut r = request();
        r.set_status(503);
        let v = ecs(&r);
        assert_eq!(v["event.outcome"], "failure");
        assert_eq!(v["event.type"], serde_json::json!(["access", "error"]));

        let mut r = crate::format::schema::tests::request_where(false, true);
        r.set_outcome(Outcome::Panic);
        let v = ecs(&r);
        assert_eq!(v["event.outcome"], "failure");
        assert_eq!(v["message"], "GET /courses/rust panic");
        assert_eq!(v["outcome"], "panic");

        let mut r = request();
        r.set_outcome(Outcome::Aborted);
        assert_eq!(ecs(&r)["event.outcome"], "unknown");

        // A client error is the server doing its job.
        let mut r = request();
        r.set_status(404);
        assert_eq!(ecs(&r)["event.outcome"], "success");
    }

    #[test]
    fn an_event_is_not_a_web_access() {
        let v = ecs(&Record::event("reqlog.start").with("service.name", "courses"));
        assert_eq!(v["message"], "reqlog.start");
        assert_eq!(v["event.action"], "reqlog.start");
        assert_eq!(v["service.name"], "courses");
        assert!(v.get("event.category").is_none());
        assert!(v.get("event.outcome").is_none());
    }

    #[test]
    fn a_free_field_never_repeats_a_key_the_preset_writes() {
        let r = request()
            .with("message", "mine")
            .with("client.ip", "x")
            .with("event.kind", "y");
        let mut out = Vec::new();
        crate::format::Format::format(&JsonLines::new().schema(Schema::Ecs), &r, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("\"message\":").count(), 1, "{text}");
        assert_eq!(text.matches("\"client.ip\":").count(), 1, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["reqlog.message"], "mine");
        assert_eq!(v["reqlog.client.ip"], "x");
        assert_eq!(v["reqlog.event.kind"], "y");
        assert_eq!(v["message"], "GET /courses/rust 200");
    }

    #[test]
    fn every_special_row_has_a_rule() {
        let special: Vec<Field> = SCHEMA
            .iter()
            .filter(|k| k.ecs == Place::Special)
            .map(|k| k.id)
            .collect();
        assert_eq!(special, SPECIAL);
    }
}
