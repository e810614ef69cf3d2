//! Schema presets through a real socket: a request logged by `RequestLog`, its line
//! written with each `JsonLines` schema, checked key by key against what Elastic
//! (ECS 9.4 field reference) and Google Cloud Logging (structured logging special
//! fields, `LogEntry.HttpRequest` in proto3 JSON) expect.

mod support;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use reqlog::format::{Format, JsonLines, Schema};
use reqlog::{Record, RequestLog};
use serde_json::Value;
use support::*;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

/// Lines written by `format`, one per record, parsed.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<Value>>>);

impl Lines {
    fn sink(&self, format: JsonLines) -> impl reqlog::sink::Sink {
        let lines = self.0.clone();
        reqlog::sink::from_fn(move |record: &Record| {
            let mut line = Vec::new();
            format.format(record, &mut line);
            assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
            let value = serde_json::from_slice(&line).expect("one JSON object");
            lines.lock().unwrap().push(value);
        })
    }

    /// Waits for the `n`th line.
    async fn nth(&self, n: usize) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(v) = self.0.lock().unwrap().get(n) {
                return v.clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "no line {n}");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// A site whose lines are written with `format`.
async fn site(format: JsonLines) -> (std::net::SocketAddr, Lines) {
    let lines = Lines::default();
    let router = Router::new()
        .route("/courses/{course}", get(|| async { "a course page" }))
        .route(
            "/boom",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
        )
        .layer(RequestLog::new().sink(lines.sink(format)));
    (serve_axum(router).await, lines)
}

/// A GET with a query, a user agent, a referer and a sampled trace.
async fn get_course(addr: std::net::SocketAddr) {
    let (status, _) = fetch(
        addr,
        &format!(
            "/courses/rust?page=2 HTTP/1.1\r\nUser-Agent: curl/8.0\r\n\
             Referer: https://test.local/\r\ntraceparent: 00-{TRACE_ID}-{SPAN_ID}-01"
        ),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn ecs_lines_have_ecs_keys_and_types() {
    let (addr, lines) = site(JsonLines::new().schema(Schema::Ecs)).await;
    get_course(addr).await;
    let v = lines.nth(0).await;

    assert!(v["@timestamp"].as_str().unwrap().ends_with('Z'), "{v}");
    assert_eq!(v["log.level"], "INFO");
    assert_eq!(v["message"], "GET /courses/rust 200");
    assert_eq!(v["ecs.version"], "9.4.0");
    assert_eq!(v["event.kind"], "event");
    assert_eq!(v["event.category"], serde_json::json!(["web"]));
    assert_eq!(v["event.type"], serde_json::json!(["access"]));
    assert_eq!(v["event.outcome"], "success");
    assert_eq!(v["outcome"], "ok");
    // ECS `event.duration` is a long in nanoseconds.
    let ns = v["event.duration"].as_u64().expect("an integer");
    assert!(ns > 0 && ns % 1000 == 0, "{ns}");
    assert_eq!(v["http.request.method"], "GET");
    assert_eq!(v["http.response.status_code"].as_u64(), Some(200));
    assert_eq!(v["http.response.body.bytes"].as_u64(), Some(13));
    assert_eq!(v["http.version"], "1.1");
    assert_eq!(v["http.request.referrer"], "https://test.local/");
    assert!(v["http.request.id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(v["url.path"], "/courses/rust");
    assert_eq!(v["url.query"], "page=2");
    assert_eq!(v["url.scheme"], "http");
    assert_eq!(v["url.domain"], "test.local");
    assert_eq!(v["client.ip"], "127.0.0.1");
    assert!(v["client.port"].is_u64());
    assert_eq!(v["user_agent.original"], "curl/8.0");
    assert_eq!(v["trace.id"], TRACE_ID);
    assert_eq!(v["span.id"], SPAN_ID);
    for otel in [
        "timestamp",
        "level",
        "client.address",
        "duration_ms",
        "trace_id",
        "trace_flags",
    ] {
        assert!(v.get(otel).is_none(), "{otel} in {v}");
    }
}

#[tokio::test]
async fn an_ecs_server_error_is_a_failure() {
    let (addr, lines) = site(JsonLines::new().schema(Schema::Ecs)).await;
    assert_eq!(fetch(addr, "/boom HTTP/1.1").await.0, 503);
    let v = lines.nth(0).await;
    assert_eq!(v["event.outcome"], "failure");
    assert_eq!(v["event.type"], serde_json::json!(["access", "error"]));
    assert_eq!(v["log.level"], "ERROR");
    assert_eq!(v["error.type"], "503");
}

#[tokio::test]
async fn google_cloud_lines_fill_the_request_panel() {
    let (addr, lines) = site(JsonLines::new().schema(Schema::GoogleCloud)).await;
    get_course(addr).await;
    let v = lines.nth(0).await;

    assert_eq!(v["severity"], "INFO");
    assert!(v["timestamp"].as_str().unwrap().ends_with('Z'), "{v}");
    assert_eq!(v["message"], "GET /courses/rust 200");
    let h = &v["httpRequest"];
    assert_eq!(h["requestMethod"], "GET");
    assert_eq!(h["requestUrl"], "http://test.local/courses/rust?page=2");
    assert_eq!(h["status"].as_u64(), Some(200));
    // int64 is a JSON string in proto3 JSON.
    assert_eq!(h["responseSize"], "13");
    assert_eq!(h["userAgent"], "curl/8.0");
    assert_eq!(h["remoteIp"], "127.0.0.1");
    assert_eq!(h["referer"], "https://test.local/");
    assert_eq!(h["protocol"], "HTTP/1.1");
    let latency = h["latency"].as_str().expect("a Duration string");
    let seconds = latency.strip_suffix('s').expect("ends in s");
    let (whole, frac) = seconds.split_once('.').unwrap_or((seconds, "0"));
    assert!(
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b.is_ascii_digit()),
        "{latency}"
    );
    assert_eq!(v["logging.googleapis.com/trace"], TRACE_ID);
    assert_eq!(v["logging.googleapis.com/spanId"], SPAN_ID);
    assert_eq!(v["logging.googleapis.com/trace_sampled"], true);
    // The rest is flat, under the OpenTelemetry keys (jsonPayload).
    assert_eq!(v["otel.event.name"], "http.request");
    assert_eq!(v["outcome"], "ok");
    assert!(v["request.id"].is_string());
    assert!(v["ttfb_ms"].is_number());
    for gone in ["level", "url.path", "http.response.status_code", "trace_id"] {
        assert!(v.get(gone).is_none(), "{gone} in {v}");
    }
}

#[tokio::test]
async fn google_cloud_trace_with_a_project() {
    let format = JsonLines::new()
        .schema(Schema::GoogleCloud)
        .gcp_project("my-project");
    let (addr, lines) = site(format).await;
    get_course(addr).await;
    assert_eq!(fetch(addr, "/boom HTTP/1.1").await.0, 503);
    let v = lines.nth(0).await;
    assert_eq!(
        v["logging.googleapis.com/trace"],
        format!("projects/my-project/traces/{TRACE_ID}")
    );
    // No trace, no trace fields.
    let v = lines.nth(1).await;
    assert_eq!(v["severity"], "ERROR");
    assert_eq!(v["httpRequest"]["status"].as_u64(), Some(503));
    assert!(v.get("logging.googleapis.com/trace").is_none(), "{v}");
    assert!(
        v.get("logging.googleapis.com/trace_sampled").is_none(),
        "{v}"
    );
}

#[tokio::test]
async fn the_default_schema_is_the_opentelemetry_line() {
    let (addr, lines) = site(JsonLines::new()).await;
    get_course(addr).await;
    let v = lines.nth(0).await;
    assert_eq!(JsonLines::new().name(), "json");
    assert_eq!(v["http.request.method"], "GET");
    assert_eq!(v["client.address"], "127.0.0.1");
    assert_eq!(
        v["http.request.header.referer"],
        serde_json::json!(["https://test.local/"])
    );
    assert!(v.get("@timestamp").is_none() && v.get("httpRequest").is_none());
}
