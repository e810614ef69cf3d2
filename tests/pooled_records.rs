//! A request's record lives in a cell that a later request of the same thread reuses
//! (and fills in place): nothing of one request may show on another's line, whichever
//! sink (one that borrows the record, one that takes it to its worker), and a cell a
//! handler kept is never reused.

#[path = "support/shared.rs"]
mod shared;
mod support;

use std::sync::{Arc, Mutex};

use axum::routing::get;
use axum::Router;
use reqlog::sink::{self, MemorySink};
use reqlog::{RecordHandle, RequestLog};
use serde_json::Value;
use shared::Shared;
use support::*;

/// Handles that handlers kept past their request.
type Kept = Arc<Mutex<Vec<RecordHandle>>>;

fn site(log: RequestLog, kept: Kept) -> Router {
    Router::new()
        .route("/", get(|| async { "plain" }))
        .route(
            "/rich/{id}",
            get(|req: axum::extract::Request| async move {
                if let Some(record) = RecordHandle::from_request(&req) {
                    record.insert("app.tenant", "acme").unwrap();
                    record.insert("app.secret_plan", "gold").unwrap();
                }
                (http::StatusCode::NOT_FOUND, "rich")
            }),
        )
        .route(
            "/keep",
            get(move |req: axum::extract::Request| {
                let kept = kept.clone();
                async move {
                    if let Some(record) = RecordHandle::from_request(&req) {
                        record.insert("app.kept", true).unwrap();
                        kept.lock().unwrap().push(record.clone());
                    }
                    "kept"
                }
            }),
        )
        .layer(log)
}

const RICH: &str = "/rich/7?q=first&page=2 HTTP/1.1\r\n\
    User-Agent: first-agent/1.0\r\n\
    Referer: https://referrer.example/from?x=1\r\n\
    traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Fields the rich request sets and a plain one must not carry.
const RICH_ONLY: &[&str] = &[
    "url.query",
    "user_agent.original",
    "http.request.header.referer",
    "trace_id",
    "span_id",
    "app.tenant",
    "app.secret_plan",
    "app.kept",
];

/// Checks a plain request's line: its own values, nothing of the requests before it.
fn assert_plain(line: &Value, ids: &mut Vec<String>) {
    assert_eq!(line["url.path"], "/", "{line}");
    assert_eq!(line["http.response.status_code"], 200, "{line}");
    for key in RICH_ONLY {
        assert!(line.get(*key).is_none(), "{key} leaked into {line}");
    }
    let id = line["request.id"].as_str().unwrap().to_owned();
    assert!(!ids.contains(&id), "request id {id} reused");
    ids.push(id);
}

async fn drive(addr: std::net::SocketAddr) {
    for round in 0..20 {
        let (status, _) = fetch(addr, RICH).await;
        assert_eq!(status, 404);
        let (status, _) = fetch(addr, "/ HTTP/1.1").await;
        assert_eq!(status, 200);
        if round % 5 == 0 {
            let (status, _) = fetch(addr, "/keep HTTP/1.1").await;
            assert_eq!(status, 200);
            let (status, _) = fetch(addr, "/ HTTP/1.1").await;
            assert_eq!(status, 200);
        }
    }
}

fn check(lines: &[Value], kept: &Kept) {
    // 20 rich, 20 plain after them, 4 kept and 4 plain after those.
    assert_eq!(lines.len(), 48);
    let mut ids = Vec::new();
    for line in lines {
        match line["url.path"].as_str().unwrap() {
            "/" => assert_plain(line, &mut ids),
            "/rich/7" => {
                assert_eq!(line["url.query"], "q=first&page=2", "{line}");
                assert_eq!(line["user_agent.original"], "first-agent/1.0");
                assert_eq!(line["app.tenant"], "acme");
                assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
                assert_eq!(line["http.response.status_code"], 404);
            }
            "/keep" => {
                assert_eq!(line["app.kept"], true, "{line}");
                assert!(line.get("app.tenant").is_none(), "{line}");
            }
            other => panic!("unexpected path {other}"),
        }
    }
    // The kept handles still name their own request, and adding to a written line
    // does nothing to any other.
    let kept = kept.lock().unwrap();
    assert_eq!(kept.len(), 4);
    for handle in kept.iter() {
        assert!(handle.is_finished());
        let _ = handle.insert("app.late", 1);
    }
}

#[tokio::test]
async fn a_reused_cell_carries_nothing_of_the_request_before_with_a_borrowing_sink() {
    let memory = MemorySink::new();
    let kept = Kept::default();
    let addr = serve_axum(site(RequestLog::new().sink(memory.clone()), kept.clone())).await;
    drive(addr).await;
    let records = memory.wait_for(48, WAIT).await;
    let lines: Vec<Value> = records
        .iter()
        .map(|r| serde_json::from_str(r.line()).unwrap())
        .collect();
    check(&lines, &kept);
    assert!(
        lines.iter().all(|l| l.get("app.late").is_none()),
        "a late insert reached a line"
    );
}

#[tokio::test]
async fn a_reused_cell_carries_nothing_of_the_request_before_with_the_worker_sink() {
    let out = Shared::default();
    let (writer, guard) = sink::writer(out.clone());
    let kept = Kept::default();
    let addr = serve_axum(site(RequestLog::new().sink(writer.clone()), kept.clone())).await;
    drive(addr).await;
    // Every line is written before the guard lets go.
    let deadline = std::time::Instant::now() + WAIT;
    while out.lines().len() < 48 && std::time::Instant::now() < deadline {
        writer.flush();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    drop(guard);
    let lines = out.lines();
    check(&lines, &kept);
    assert!(lines.iter().all(|l| l.get("app.late").is_none()));
    assert_eq!(writer.dropped_lines(), 0);
}
