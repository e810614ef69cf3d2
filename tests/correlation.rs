//! The line's id and the caller's trace reach the application: the `RequestId` and
//! `TraceContext` extensions, the `x-request-id` request header, and layers inside
//! `RequestLog`. Through a real socket.

mod support;

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Extension, Router};
use http::Request;
use reqlog::request_log::{RequestId, TraceContext};
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::{RecordHandle, RequestLog};
use support::*;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// What the handler saw, one `name=value` per line.
async fn seen(
    id: Option<Extension<RequestId>>,
    trace: Option<Extension<TraceContext>>,
    record: Option<Extension<RecordHandle>>,
    headers: HeaderMap,
) -> String {
    let header: Vec<_> = headers
        .get_all("x-request-id")
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
        .collect();
    let mut out = format!(
        "id={}\nheader={}\nhandle={}\n",
        id.as_ref().map_or("-", |Extension(id)| id.as_str()),
        header.join(","),
        record
            .and_then(|Extension(r)| r.request_id())
            .unwrap_or_else(|| "-".into()),
    );
    match trace {
        Some(Extension(t)) => {
            out.push_str("trace=");
            t.push_trace_id_hex(&mut out);
            out.push_str("\nspan=");
            t.push_span_id_hex(&mut out);
            out.push_str(&format!("\nsampled={}\n", t.sampled()));
        }
        None => out.push_str("trace=-\n"),
    }
    out
}

fn site(memory: &MemorySink, log: RequestLog) -> Router {
    Router::new()
        .route("/", get(seen))
        .route("/health", get(seen))
        .layer(
            log.sink(memory.clone())
                .skip(|req| req.uri.path() == "/health"),
        )
}

/// The handler's report from a raw response, as `(name, value)` pairs.
fn report(resp: &str) -> Vec<(String, String)> {
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or_default();
    body.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn value<'a>(report: &'a [(String, String)], name: &str) -> &'a str {
    report
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {report:?}"))
}

fn response_header<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    let head = resp.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

async fn one(memory: &MemorySink) -> RecordSnapshot {
    let records = memory.wait_for(1, WAIT).await;
    assert_eq!(records.len(), 1, "{records:?}");
    records.into_iter().next().unwrap()
}

#[tokio::test]
async fn the_handler_sees_the_id_of_its_line() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new().request_id_header(true))).await;
    let (status, resp) = fetch(addr, "/ HTTP/1.1").await;
    assert_eq!(status, 200, "{resp}");
    let seen = report(&resp);
    let line = one(&memory).await;
    let id = line.str("request.id").unwrap();
    assert_eq!(id.len(), 32);
    assert_eq!(value(&seen, "id"), id);
    assert_eq!(value(&seen, "header"), id);
    assert_eq!(value(&seen, "handle"), id);
    assert_eq!(response_header(&resp, "x-request-id"), Some(id));
    assert_eq!(value(&seen, "trace"), "-");
}

/// A client that is not a trusted proxy cannot put its own id in front of the
/// application: the request header is the line's id, not the client's.
#[tokio::test]
async fn an_untrusted_clients_id_is_replaced_in_the_request_header() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new().request_id_header(true))).await;
    let (_, resp) = fetch(
        addr,
        "/ HTTP/1.1\r\nX-Request-Id: forged\r\nX-Request-Id: forged-too",
    )
    .await;
    let seen = report(&resp);
    let line = one(&memory).await;
    let id = line.str("request.id").unwrap();
    assert_ne!(id, "forged");
    assert_eq!(value(&seen, "id"), id);
    assert_eq!(value(&seen, "header"), id);
    assert!(!resp.contains("forged"), "{resp}");
}

#[tokio::test]
async fn a_trusted_proxys_id_reaches_the_handler() {
    let memory = MemorySink::new();
    let log = RequestLog::new()
        .trust_proxies(["127.0.0.1/32".parse().unwrap()])
        .request_id_header(true);
    let addr = serve_axum(site(&memory, log)).await;
    let (_, resp) = fetch(addr, "/ HTTP/1.1\r\nX-Request-Id: abc-123").await;
    let seen = report(&resp);
    assert_eq!(value(&seen, "id"), "abc-123");
    assert_eq!(value(&seen, "header"), "abc-123");
    assert_eq!(one(&memory).await.str("request.id"), Some("abc-123"));
}

#[tokio::test]
async fn by_default_the_request_headers_are_left_alone() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let (_, resp) = fetch(addr, "/ HTTP/1.1").await;
    let seen = report(&resp);
    let line = one(&memory).await;
    assert_eq!(value(&seen, "id"), line.str("request.id").unwrap());
    assert_eq!(value(&seen, "header"), "");

    memory.clear();
    let (_, resp) = fetch(addr, "/ HTTP/1.1\r\nX-Request-Id: client-own").await;
    let seen = report(&resp);
    let line = one(&memory).await;
    assert_eq!(value(&seen, "header"), "client-own");
    assert_eq!(value(&seen, "id"), line.str("request.id").unwrap());
    assert_ne!(value(&seen, "id"), "client-own");
}

#[tokio::test]
async fn a_traceparent_gives_the_handler_its_trace() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let (_, resp) = fetch(addr, &format!("/ HTTP/1.1\r\ntraceparent: {TRACEPARENT}")).await;
    let seen = report(&resp);
    assert_eq!(value(&seen, "trace"), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(value(&seen, "span"), "00f067aa0ba902b7");
    assert_eq!(value(&seen, "sampled"), "true");
    // The line carries the same trace, so it joins the caller's trace.
    let line = one(&memory).await;
    assert_eq!(
        line.str("trace_id"),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(line.str("span_id"), Some("00f067aa0ba902b7"));
    assert_eq!(line.str("trace_flags"), Some("01"));
}

#[tokio::test]
async fn a_malformed_or_repeated_traceparent_gives_none_and_is_not_logged() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let malformed = [
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "secret-token-in-the-wrong-header",
    ];
    for bad in malformed {
        let (status, resp) = fetch(addr, &format!("/ HTTP/1.1\r\ntraceparent: {bad}")).await;
        assert_eq!(status, 200, "{resp}");
        assert_eq!(value(&report(&resp), "trace"), "-", "{bad}");
    }
    let twice = format!("/ HTTP/1.1\r\ntraceparent: {TRACEPARENT}\r\ntraceparent: {TRACEPARENT}");
    let (_, resp) = fetch(addr, &twice).await;
    assert_eq!(value(&report(&resp), "trace"), "-");

    let lines = memory.wait_for(malformed.len() + 1, WAIT).await;
    assert_eq!(lines.len(), malformed.len() + 1);
    for line in &lines {
        assert!(!line.line().contains("secret-token"), "{}", line.line());
        assert!(!line.line().contains("4BF92F"), "{}", line.line());
        assert_eq!(line.get("trace_id"), None, "{}", line.line());
    }
}

/// Skipped requests have no line, so no line id; the caller's trace is theirs anyway.
#[tokio::test]
async fn skipped_requests_get_the_trace_but_no_id() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let (_, resp) = fetch(
        addr,
        &format!("/health HTTP/1.1\r\ntraceparent: {TRACEPARENT}"),
    )
    .await;
    let seen = report(&resp);
    assert_eq!(value(&seen, "id"), "-");
    assert_eq!(value(&seen, "trace"), "4bf92f3577b34da6a3ce929d0e0e4736");
    fetch(addr, "/ HTTP/1.1").await;
    let line = one(&memory).await;
    assert_eq!(line.str("url.path"), Some("/"));
}

/// Notes the `x-request-id` each request carries when tower-http's `TraceLayer` makes
/// its span.
#[derive(Clone, Default)]
struct NoteRequestId(Arc<Mutex<Vec<String>>>);

impl<B> tower_http::trace::MakeSpan<B> for NoteRequestId {
    fn make_span(&mut self, request: &Request<B>) -> tracing::Span {
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        self.0.lock().unwrap().push(id.to_owned());
        tracing::Span::none()
    }
}

#[tokio::test]
async fn a_trace_layer_inside_sees_the_line_id() {
    let memory = MemorySink::new();
    let noted = NoteRequestId::default();
    let app = Router::new()
        .route("/", get(seen))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(noted.clone()))
        .layer(
            RequestLog::new()
                .request_id_header(true)
                .sink(memory.clone()),
        );
    let addr = serve_axum(app).await;
    fetch(addr, "/ HTTP/1.1\r\nX-Request-Id: forged").await;
    let line = one(&memory).await;
    let noted = noted.0.lock().unwrap().clone();
    assert_eq!(noted, [line.str("request.id").unwrap()]);
}
