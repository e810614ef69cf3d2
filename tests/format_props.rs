//! Property tests: whatever text a record holds, every format writes exactly one line,
//! and the JSON and logfmt lines give the text back.

use proptest::prelude::*;
use reqlog::format::{Combined, Format, JsonLines, Logfmt, Schema};
use reqlog::sink::{MemorySink, Sink};
use reqlog::Record;

fn record(a: String, b: String) -> Record {
    Record::event("prop").with("field.a", a).with("field.b", b)
}

/// A logfmt reader for the test: `key=value` or `key="quoted \"escaped\""`.
fn parse_logfmt(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=').expect("key=value");
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            // The quoted form is a JSON string.
            let mut de = serde_json::Deserializer::from_str(after).into_iter::<String>();
            let v = de.next().expect("a string").expect("valid escapes");
            let used = de.byte_offset();
            let _ = quoted;
            (v, &after[used..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        out.push((key.to_owned(), value));
        rest = after.strip_prefix(' ').unwrap_or(after);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn json_is_one_line_that_round_trips(a in any::<String>(), b in "\\PC*[\"\\\\\n\r\u{2028}\u{0}]\\PC*") {
        let mut line = Vec::new();
        JsonLines::new().format(&record(a.clone(), b.clone()), &mut line);
        prop_assert_eq!(line.iter().filter(|&&c| c == b'\n').count(), 1);
        prop_assert_eq!(line.last(), Some(&b'\n'));
        let text = std::str::from_utf8(&line).unwrap();
        let clean = !text.contains('\u{2028}') && !text.contains('\r');
        prop_assert!(clean, "raw line breaks in {:?}", text);
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        prop_assert_eq!(v["field.a"].as_str(), Some(a.as_str()));
        prop_assert_eq!(v["field.b"].as_str(), Some(b.as_str()));
    }

    #[test]
    fn logfmt_is_one_line_that_round_trips(a in any::<String>(), b in "[ =\"a-z\\\\\t\n]*") {
        let mut line = Vec::new();
        Logfmt.format(&record(a.clone(), b.clone()), &mut line);
        prop_assert_eq!(line.iter().filter(|&&c| c == b'\n').count(), 1);
        let text = std::str::from_utf8(&line).unwrap().trim_end_matches('\n');
        let pairs = parse_logfmt(text);
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        prop_assert_eq!(get("field.a"), Some(a));
        prop_assert_eq!(get("field.b"), Some(b));
    }

    #[test]
    fn every_preset_is_one_valid_line(
        a in any::<String>(),
        b in "\\PC*[\"\\\\\n\r\u{2028}\u{0}]\\PC*",
        key in prop::sample::select(vec![
            "note", "message", "severity", "time", "httpRequest", "client.ip",
            "ecs.version", "event.kind", "event.duration", "user.hash", "url.domain",
        ]),
    ) {
        let record = record(a.clone(), String::new()).with(key, b.clone());
        for (schema, ours) in [
            (Schema::Ecs, "ecs.version"),
            (Schema::GoogleCloud, "severity"),
        ] {
            let mut line = Vec::new();
            JsonLines::new().schema(schema).format(&record, &mut line);
            prop_assert_eq!(line.iter().filter(|&&c| c == b'\n').count(), 1);
            prop_assert_eq!(line.last(), Some(&b'\n'));
            let text = std::str::from_utf8(&line).unwrap();
            let clean = !text.contains('\u{2028}') && !text.contains('\r');
            prop_assert!(clean, "raw line breaks in {:?}", text);
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            prop_assert_eq!(v["field.a"].as_str(), Some(a.as_str()));
            prop_assert_eq!(v["message"].as_str(), Some("prop"));
            prop_assert!(v[ours].is_string());
            // A free field is under its key, or under `reqlog.<key>` when the preset
            // writes that key itself: never twice.
            let renamed = format!("reqlog.{key}");
            let got = v.get(&renamed).unwrap_or(&v[key]);
            prop_assert_eq!(got.as_str(), Some(b.as_str()), "{} in {}", key, text);
            let keys = text.matches(&format!("\"{key}\":")).count();
            prop_assert!(keys <= 1, "{} repeated in {}", key, text);
        }
    }

    #[test]
    fn memory_sink_sees_what_json_writes(a in any::<String>()) {
        let m = MemorySink::new();
        m.emit(&record(a.clone(), String::new()));
        let records = m.records();
        prop_assert_eq!(records[0].str("field.a"), Some(a.as_str()));
    }
}

/// Hostile text in every field a combined line shows, through a real request.
#[tokio::test]
async fn combined_is_one_line_for_hostile_requests() {
    use reqlog::RequestLog;
    let memory = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = {
        let memory = memory.clone();
        reqlog::sink::from_fn(move |r: &Record| {
            let mut line = Vec::new();
            Combined.format(r, &mut line);
            memory.lock().unwrap().push(line);
        })
    };
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink))
        .service(tower::service_fn(|_req: http::Request<_>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                bytes::Bytes::from_static(b"x"),
            )))
        }));
    let ua = http::HeaderValue::from_bytes(b"a \"q\" \\ \t \xff\xfe \xe2\x80\xa8 z").unwrap();
    let req = http::Request::get("/p%22a%0d%0ath?q=%22x%22")
        .header("user-agent", ua)
        .header("referer", "https://x/\"?a=1")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(svc, req).await.unwrap();
    http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap();
    let lines = memory.lock().unwrap();
    let line = std::str::from_utf8(&lines[0]).unwrap();
    assert_eq!(line.matches('\n').count(), 1, "{line}");
    assert!(line.is_ascii(), "{line}");
    // Exactly the six quote characters of the format itself.
    assert_eq!(line.matches('"').count(), 6, "{line}");
    assert!(
        line.contains("\"GET /p%22a%0d%0ath?q=%22x%22 HTTP/1.1\" 200 1 "),
        "{line}"
    );
    assert!(
        line.contains("a \\x22q\\x22 \\x5C \\x09 \\xEF\\xBF\\xBD"),
        "{line}"
    );
}

/// Hostile text in every field a preset writes, through a real request: each preset's
/// line is one valid JSON object holding the text as it was captured.
#[tokio::test]
async fn presets_are_valid_json_for_hostile_requests() {
    use reqlog::RequestLog;
    let formats = [
        JsonLines::new(),
        JsonLines::new().schema(Schema::Ecs),
        JsonLines::new()
            .schema(Schema::GoogleCloud)
            .gcp_project("p\"\n"),
    ];
    let memory = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = {
        let memory = memory.clone();
        reqlog::sink::from_fn(move |r: &Record| {
            for format in &formats {
                let mut line = Vec::new();
                format.format(r, &mut line);
                memory.lock().unwrap().push(line);
            }
        })
    };
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink))
        .service(tower::service_fn(|_req: http::Request<_>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                bytes::Bytes::from_static(b"x"),
            )))
        }));
    let ua = http::HeaderValue::from_bytes(b"a \"q\" \\ \t \xff\xfe \xe2\x80\xa8 z").unwrap();
    let req = http::Request::get("/p%22a%0d%0ath?q=%22x%22")
        .header("user-agent", ua)
        .header("host", "ex\"ample")
        .header("referer", "https://x/\"?a=1")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(svc, req).await.unwrap();
    http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap();
    let lines = memory.lock().unwrap();
    assert_eq!(lines.len(), 3);
    let ua = "a \"q\" \\ \t \u{fffd}\u{fffd} \u{2028} z";
    for line in lines.iter() {
        let text = std::str::from_utf8(line).unwrap();
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(!text.contains('\u{2028}'), "{text}");
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let got = v
            .get("user_agent.original")
            .unwrap_or(&v["httpRequest"]["userAgent"]);
        assert_eq!(got, ua, "{text}");
    }
    let gcp: serde_json::Value = serde_json::from_slice(&lines[2]).unwrap();
    assert_eq!(
        gcp["logging.googleapis.com/trace"],
        "projects/p\"\n/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    );
}
