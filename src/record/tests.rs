//! The published schema, the writers and the README's record table are one list.

use super::*;
use crate::format::{Format, JsonLines, Logfmt};

fn full() -> Record {
    let mut r = Record::blank("http.request", Arena::default());
    r.fill_every_field();
    r
}

/// Every field of the list reaches the line, in the list's order, under its published
/// key: the emitted keys equal `RESERVED_KEYS`.
#[test]
fn emitted_keys_equal_the_published_list() {
    let r = full();
    let mut keys = Vec::new();
    r.for_each_field(|k, _| keys.push(k.to_owned()));
    assert_eq!(keys, RESERVED_KEYS);

    let mut line = Vec::new();
    JsonLines::new().format(&r, &mut line);
    let text = String::from_utf8(line).unwrap();
    let json: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut got: Vec<&str> = json.keys().map(String::as_str).collect();
    let mut want = RESERVED_KEYS.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "{text}");
    // In the list's order on the line itself.
    let mut at = 0;
    for k in RESERVED_KEYS {
        let p = text[at..]
            .find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("{k} out of order in {text}"));
        at += p;
    }

    let mut line = Vec::new();
    Logfmt.format(&r, &mut line);
    let text = String::from_utf8(line).unwrap();
    for k in RESERVED_KEYS {
        assert!(text.contains(&format!("{k}=")), "{k} missing from {text}");
    }
}

/// A header attribute is a one-item array of strings in JSON.
#[test]
fn header_fields_are_string_arrays() {
    let mut line = Vec::new();
    JsonLines::new().format(&full(), &mut line);
    let json: serde_json::Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(
        json["http.request.header.referer"],
        serde_json::json!(["https://example.com/"])
    );
}

/// Every key is an OpenTelemetry attribute (semantic conventions v1.44, pinned here with
/// its type) or lives in a namespace OpenTelemetry does not define.
#[test]
fn keys_are_opentelemetry_or_in_namespaces_of_our_own() {
    // (key, JSON type of the value) for the OpenTelemetry attributes we write.
    const OTEL: &[(&str, &str)] = &[
        ("otel.event.name", "string"),
        ("http.request.method", "string"),
        ("url.scheme", "string"),
        ("url.path", "string"),
        ("url.query", "string"),
        ("http.route", "string"),
        ("network.protocol.version", "string"),
        ("server.address", "string"),
        ("server.port", "int"),
        ("client.address", "string"),
        ("client.port", "int"),
        ("user_agent.original", "string"),
        ("user_agent.synthetic.type", "string"),
        ("http.request.header.referer", "string[]"),
        ("rpc.system.name", "string"),
        ("rpc.method", "string"),
        ("rpc.response.status_code", "string"),
        ("http.response.status_code", "int"),
        ("http.request.body.size", "int"),
        ("http.response.body.size", "int"),
        ("error.type", "string"),
        ("enduser.pseudo.id", "string"),
    ];
    // OpenTelemetry's keys for trace context in non-OTLP logs, and names outside any
    // namespace.
    const BARE: &[&str] = &[
        "timestamp",
        "level",
        "trace_id",
        "span_id",
        "trace_flags",
        "duration_ms",
        "ttfb_ms",
        "outcome",
    ];
    // Checked against the registry: OpenTelemetry defines none of these namespaces.
    const OURS: &[&str] = &[
        "visitor", "probe", "robots", "request", "reqlog", "sample", "debug",
    ];
    let mut line = Vec::new();
    JsonLines::new().format(&full(), &mut line);
    let json: serde_json::Value = serde_json::from_slice(&line).unwrap();
    for key in RESERVED_KEYS {
        if let Some((_, ty)) = OTEL.iter().find(|(k, _)| k == key) {
            let v = &json[key];
            let ok = match *ty {
                "string" => v.is_string(),
                "int" => v.is_u64(),
                "string[]" => v
                    .as_array()
                    .is_some_and(|a| a.iter().all(|x| x.is_string())),
                _ => false,
            };
            assert!(ok, "{key} should be {ty}, is {v}");
            continue;
        }
        let ns = key.split('.').next().unwrap_or(key);
        assert!(
            BARE.contains(key) || (key.contains('.') && OURS.contains(&ns)),
            "{key} is neither a known OpenTelemetry attribute nor in a namespace of ours"
        );
    }
}

/// Old keys name a field of today's list, and are not keys of today's list.
#[test]
fn renamed_keys_still_name_their_field() {
    for (old, id) in RENAMED {
        assert!(!RESERVED_KEYS.contains(old), "{old}");
        assert_eq!(Field::from_key(old.as_bytes()), Some(*id));
    }
    for key in RESERVED_KEYS {
        let id = Field::from_key(key.as_bytes()).unwrap();
        assert_eq!(id.key(), *key);
    }
}

/// The README's record table lists exactly the published keys, in order.
#[test]
fn readme_record_table_matches_the_schema() {
    let readme = include_str!("../../README.md");
    let start = readme.find("### The record").expect("record section");
    let table = &readme[start..];
    let table = &table[table.find("| key |").expect("table")..];
    let mut keys = Vec::new();
    for row in table.lines().skip(2) {
        if !row.starts_with('|') {
            break;
        }
        let first = row.split('|').nth(1).unwrap_or("").trim();
        keys.push(first.trim_matches('`').to_owned());
    }
    assert_eq!(keys, RESERVED_KEYS);
}
