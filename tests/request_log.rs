//! RequestLog through a real socket: exactly one record per request, whatever happens.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_util::stream;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::{Level, RequestLog};
use support::*;

fn site(memory: &MemorySink, log: RequestLog) -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/health", get(|| async { "ok" }))
        .route("/users/{id}", get(|| async { "user" }))
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/echo",
            post(|body: Bytes| async move { format!("{} bytes", body.len()) }),
        )
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("handler panicked on purpose");
                }
                "unreachable"
            }),
        )
        .route("/hang", get(std::future::pending::<&'static str>))
        .route(
            "/stream",
            get(|| async {
                let ticks = stream::unfold(0u8, |n| async move {
                    if n == 5 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(40)).await;
                    Some((
                        Ok::<_, Infallible>(Bytes::from_static(b"0123456789")),
                        n + 1,
                    ))
                });
                Body::from_stream(ticks)
            }),
        )
        .route(
            "/endless",
            get(|| async {
                let ticks = stream::unfold((), |()| async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Some((Ok::<_, Infallible>(Bytes::from_static(b"tick\n")), ()))
                });
                Body::from_stream(ticks)
            }),
        )
        .route(
            "/broken",
            get(|| async {
                let parts = stream::iter(vec![
                    Ok(Bytes::from_static(b"first part")),
                    Err(std::io::Error::other("disk gone")),
                ]);
                Body::from_stream(parts)
            }),
        )
        .layer(log.sink(memory.clone()))
}

async fn one(memory: &MemorySink) -> RecordSnapshot {
    let records = memory.wait_for(1, WAIT).await;
    assert_eq!(records.len(), 1, "exactly one record: {records:#?}");
    records.into_iter().next().unwrap()
}

#[tokio::test]
async fn normal_request_has_the_schema_keys() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let (status, resp) = fetch(
        addr,
        "/users/7?q=rust HTTP/1.1\r\nUser-Agent: curl/8.5.0\r\nReferer: https://example.com/",
    )
    .await;
    assert_eq!(status, 200);
    let r = one(&memory).await;
    assert_eq!(r.str("otel.event.name"), Some("http.request"));
    assert_eq!(r.str("level"), Some("INFO"));
    assert_eq!(r.str("http.request.method"), Some("GET"));
    assert_eq!(r.str("url.path"), Some("/users/7"));
    assert_eq!(r.str("url.query"), Some("q=rust"));
    assert_eq!(r.str("network.protocol.version"), Some("1.1"));
    assert_eq!(r.str("server.address"), Some("test.local"));
    assert_eq!(r.str("client.address"), Some("127.0.0.1"));
    assert_eq!(r.str("user_agent.original"), Some("curl/8.5.0"));
    assert_eq!(
        r.header("http.request.header.referer"),
        Some("https://example.com/")
    );
    assert_eq!(r.u64("http.response.status_code"), Some(200));
    assert_eq!(r.u64("http.response.body.size"), Some(4));
    assert_eq!(r.u64("http.request.body.size"), Some(0));
    assert_eq!(r.str("outcome"), Some("ok"));
    assert!(r.f64("duration_ms").unwrap() >= r.f64("ttfb_ms").unwrap());
    let ts = r.str("timestamp").unwrap();
    assert!(
        ts.len() == 27 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
        "{ts}"
    );
    let id = r.str("request.id").unwrap();
    assert_eq!(id.len(), 32);
    assert!(resp
        .to_ascii_lowercase()
        .contains(&format!("x-request-id: {id}")));
    #[cfg(feature = "axum")]
    assert_eq!(r.str("http.route"), Some("/users/{id}"));
}

#[tokio::test]
async fn streaming_body_is_timed_to_the_last_byte() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let (status, resp) = fetch(addr, "/stream HTTP/1.1").await;
    assert_eq!(status, 200);
    assert!(resp.contains("0123456789"));
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("ok"));
    assert_eq!(r.u64("http.response.body.size"), Some(50));
    let (ttfb, total) = (r.f64("ttfb_ms").unwrap(), r.f64("duration_ms").unwrap());
    // Five chunks 40 ms apart: the head comes before the first chunk, the end after
    // the last, so the duration covers at least four gaps beyond the head.
    assert!(total - ttfb >= 160.0, "ttfb {ttfb} total {total}");
}

#[tokio::test]
async fn body_error_is_an_error_outcome() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let _ = fetch(addr, "/broken HTTP/1.1").await;
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("error"));
    assert_eq!(r.u64("http.response.status_code"), Some(200));
    assert_eq!(r.u64("http.response.body.size"), Some(10));
    assert_eq!(r.str("level"), Some("ERROR"));
}

#[tokio::test]
async fn service_error_is_an_error_outcome_without_status() {
    let memory = MemorySink::new();
    let failing = tower::service_fn(|_req: Request<_>| async {
        Err::<Response<Full<Bytes>>, _>(std::io::Error::other("backend down"))
    });
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(memory.clone()))
        .service(failing);
    let req = Request::get("/x").body(Full::new(Bytes::new())).unwrap();
    let result = tower::ServiceExt::oneshot(svc, req).await;
    assert!(result.is_err());
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("error"));
    assert_eq!(r.get("http.response.status_code"), None);
    assert_eq!(r.str("level"), Some("ERROR"));
}

#[tokio::test]
async fn client_abort_before_the_head_is_recorded() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::AsyncWriteExt;
    stream
        .write_all(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // Let the server start the request, then go away.
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(stream);
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("aborted"));
    assert_eq!(r.get("http.response.status_code"), None);
}

#[tokio::test]
async fn dropping_the_response_future_is_an_abort() {
    let memory = MemorySink::new();
    let hang = tower::service_fn(|_req: Request<_>| async {
        std::future::pending::<Result<Response<Full<Bytes>>, Infallible>>().await
    });
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(memory.clone()))
        .service(hang);
    let req = Request::get("/slow").body(Full::new(Bytes::new())).unwrap();
    let fut = tower::ServiceExt::oneshot(svc, req);
    let timed_out = tokio::time::timeout(Duration::from_millis(20), fut).await;
    assert!(timed_out.is_err());
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("aborted"));
}

#[tokio::test]
async fn client_abort_mid_body_is_recorded_with_bytes_sent() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("tick") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }
    drop(stream);
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("aborted"));
    assert_eq!(r.u64("http.response.status_code"), Some(200));
    assert!(r.u64("http.response.body.size").unwrap() >= 5);
}

#[tokio::test]
async fn handler_panic_is_recorded_while_unwinding() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let (status, _) = fetch(addr, "/panic HTTP/1.1").await;
    assert_eq!(status, 0, "the connection dies with the task");
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("panic"));
    assert_eq!(r.str("level"), Some("ERROR"));
    assert_eq!(r.get("http.response.status_code"), None);
}

#[tokio::test]
async fn http2_is_recorded_as_version_2() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let (status, body) = get_h2(addr, "/").await;
    assert_eq!((status, &body[..]), (200, &b"hello"[..]));
    let r = one(&memory).await;
    assert_eq!(r.str("network.protocol.version"), Some("2"));
    assert_eq!(r.str("outcome"), Some("ok"));
    assert_eq!(r.u64("http.response.body.size"), Some(5));
}

#[tokio::test]
async fn upgrade_is_recorded_as_upgraded() {
    let memory = MemorySink::new();
    let upgrading = tower::service_fn(|mut req: Request<_>| async move {
        let on_upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(upgraded) = on_upgrade.await {
                use tokio::io::AsyncWriteExt;
                let mut io = hyper_util::rt::TokioIo::new(upgraded);
                let _ = io.write_all(b"upgraded hello").await;
            }
        });
        Ok::<_, Infallible>(
            Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header("connection", "upgrade")
                .header("upgrade", "echo")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
    });
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(memory.clone()))
        .map_request(|req: Request<reqlog::request_log::RequestBody<hyper::body::Incoming>>| req)
        .service(upgrading);
    let addr = serve(svc).await;
    let resp = raw(
        addr,
        b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
    )
    .await;
    let text = String::from_utf8_lossy(&resp);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("upgraded"));
    assert_eq!(r.u64("http.response.status_code"), Some(101));
}

#[tokio::test]
async fn head_request_is_ok_not_aborted() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let resp = raw(
        addr,
        b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(String::from_utf8_lossy(&resp).starts_with("HTTP/1.1 200"));
    let r = one(&memory).await;
    assert_eq!(r.str("http.request.method"), Some("HEAD"));
    assert_eq!(r.str("outcome"), Some("ok"));
}

#[tokio::test]
async fn request_body_bytes_read_are_counted() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let body = "x".repeat(1000);
    let req = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{body}"
    );
    let resp = raw(addr, req.as_bytes()).await;
    assert!(String::from_utf8_lossy(&resp).contains("1000 bytes"));
    let r = one(&memory).await;
    assert_eq!(r.u64("http.request.body.size"), Some(1000));
}

#[tokio::test]
async fn plain_hyper_service_works_too() {
    let memory = MemorySink::new();
    let hello = tower::service_fn(|_req: Request<_>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"hi"))))
    });
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(memory.clone()))
        .map_request(|req: Request<reqlog::request_log::RequestBody<hyper::body::Incoming>>| req)
        .service(hello);
    let addr = serve(svc).await;
    let (status, _) = fetch(addr, "/plain HTTP/1.1").await;
    assert_eq!(status, 200);
    let r = one(&memory).await;
    assert_eq!(r.str("client.address"), Some("127.0.0.1"));
    assert_eq!(r.u64("http.response.body.size"), Some(2));
}

#[tokio::test]
async fn skipped_requests_write_nothing() {
    let memory = MemorySink::new();
    let log = RequestLog::new().skip(|p| p.uri.path() == "/health");
    let addr = serve_axum(site(&memory, log)).await;
    assert_eq!(fetch(addr, "/health HTTP/1.1").await.0, 200);
    assert_eq!(fetch(addr, "/ HTTP/1.1").await.0, 200);
    let records = memory.wait_for(1, WAIT).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].str("url.path"), Some("/"));
}

#[tokio::test]
async fn levels_follow_status_and_can_be_overridden() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    fetch(addr, "/nope HTTP/1.1").await;
    fetch(addr, "/fail HTTP/1.1").await;
    let records = memory.wait_for(2, WAIT).await;
    let level = |path: &str| {
        records
            .iter()
            .find(|r| r.str("url.path") == Some(path))
            .and_then(|r| r.str("level").map(str::to_owned))
    };
    assert_eq!(level("/nope").as_deref(), Some("WARN"));
    assert_eq!(level("/fail").as_deref(), Some("ERROR"));

    let memory = MemorySink::new();
    let log = RequestLog::new().level_for(|r| match r.status() {
        Some(404) => Level::Debug,
        _ => reqlog::default_level(r),
    });
    let addr = serve_axum(site(&memory, log)).await;
    fetch(addr, "/nope HTTP/1.1").await;
    assert_eq!(one(&memory).await.str("level"), Some("DEBUG"));
}

#[tokio::test]
async fn secrets_never_reach_the_sink() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    fetch(
        addr,
        "/users/bob@example.com?password=hunter2&email=alice%40example.org&q=ok HTTP/1.1\r\n\
         Authorization: Bearer sekrit-token\r\nCookie: session=cookie-secret\r\n\
         Proxy-Authorization: Basic cHJveHk=\r\n\
         Referer: https://example.com/reset?token=reset-secret&u=carol@example.net",
    )
    .await;
    let r = one(&memory).await;
    let line = r.line();
    for secret in [
        "hunter2",
        "bob@",
        "alice",
        "sekrit",
        "cookie-secret",
        "cHJveHk",
        "reset-secret",
        "carol",
    ] {
        assert!(!line.contains(secret), "{secret} leaked: {line}");
    }
    assert_eq!(r.str("url.path"), Some("/users/[REDACTED]"));
    assert_eq!(
        r.str("url.query"),
        Some("password=[REDACTED]&email=[REDACTED]&q=ok")
    );
    assert_eq!(
        r.header("http.request.header.referer"),
        Some("https://example.com/reset?token=[REDACTED]&u=[REDACTED]")
    );
}

#[tokio::test]
async fn hostile_bytes_still_give_one_valid_line() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let mut req = b"GET /a%0d%0a%22%00/..%2f?x=%0d%0aSet-Cookie:%20y&z=%22q%22&w='&lt;script' HTTP/1.1\r\nHost: x\r\nConnection: close\r\nUser-Agent: evil \"quoted\" \\ \t".to_vec();
    req.extend_from_slice(&[0xff, 0xfe, b' ', 0xe2, 0x80, 0xa8, b' ', 0x80]);
    req.extend_from_slice(b"\r\n\r\n");
    let resp = raw(addr, &req).await;
    assert!(
        resp.starts_with(b"HTTP/1.1 404"),
        "{}",
        String::from_utf8_lossy(&resp)
    );
    let r = memory.wait_for(1, WAIT).await;
    assert_eq!(r.len(), 1, "{r:?}");
    let line = r[0].line();
    assert_eq!(line.matches('\n').count(), 1, "one line: {line}");
    assert!(!line.contains('\u{2028}'), "U+2028 is escaped: {line}");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let ua = v["user_agent.original"].as_str().unwrap();
    assert!(ua.starts_with("evil \"quoted\" \\ "), "{ua}");
    assert!(ua.contains('\u{fffd}') && ua.contains('\u{2028}'), "{ua:?}");
    assert_eq!(v["url.path"], "/a%0d%0a%22%00/..%2f");
}

#[tokio::test]
async fn long_fields_are_capped_with_a_marker() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let long = "a".repeat(10_000);
    fetch(
        addr,
        &format!("/{long}?q={long} HTTP/1.1\r\nUser-Agent: {long}"),
    )
    .await;
    let r = one(&memory).await;
    for key in ["url.path", "url.query", "user_agent.original"] {
        let v = r.str(key).unwrap();
        assert!(v.ends_with("…[truncated]"), "{key}");
        assert!(v.len() <= 4096 + "…[truncated]".len(), "{key}: {}", v.len());
    }
}

#[tokio::test]
async fn request_ids_are_kept_from_trusted_proxies_when_sane_and_replaced_otherwise() {
    let memory = MemorySink::new();
    let log = RequestLog::new().trust_proxies(["127.0.0.1/32".parse().unwrap()]);
    let addr = serve_axum(site(&memory, log)).await;
    let (_, resp) = fetch(addr, "/ HTTP/1.1\r\nX-Request-Id: abc-123").await;
    assert!(resp.to_ascii_lowercase().contains("x-request-id: abc-123"));
    let bad = "z".repeat(129);
    fetch(addr, &format!("/ HTTP/1.1\r\nX-Request-Id: {bad}")).await;
    fetch(addr, "/ HTTP/1.1\r\nX-Request-Id: has space").await;
    let records = memory.wait_for(3, WAIT).await;
    let ids: Vec<_> = records
        .iter()
        .map(|r| r.str("request.id").unwrap().to_owned())
        .collect();
    assert!(ids.contains(&"abc-123".to_owned()));
    assert_eq!(ids.iter().filter(|id| id.len() == 32).count(), 2, "{ids:?}");
}

/// A client that is not a trusted proxy cannot choose its line's id (it could take the
/// id of another request, or write text meant to mislead).
#[tokio::test]
async fn request_ids_from_untrusted_clients_are_replaced() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let (_, resp) = fetch(addr, "/ HTTP/1.1\r\nX-Request-Id: abc-123").await;
    let r = one(&memory).await;
    let id = r.str("request.id").unwrap();
    assert_ne!(id, "abc-123");
    assert_eq!(id.len(), 32);
    assert!(!resp.contains("abc-123"), "{resp}");
}

#[tokio::test]
async fn forwarded_headers_only_from_trusted_proxies_and_masking() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    fetch(addr, "/ HTTP/1.1\r\nX-Forwarded-For: 198.51.100.7").await;
    assert_eq!(one(&memory).await.str("client.address"), Some("127.0.0.1"));

    let memory = MemorySink::new();
    let log = RequestLog::new().trust_proxies(["127.0.0.0/8".parse().unwrap()]);
    let addr = serve_axum(site(&memory, log)).await;
    fetch(addr, "/ HTTP/1.1\r\nX-Forwarded-For: 6.6.6.6, 198.51.100.7").await;
    assert_eq!(
        one(&memory).await.str("client.address"),
        Some("198.51.100.7")
    );

    let memory = MemorySink::new();
    let log = RequestLog::new()
        .trust_proxies(["127.0.0.1".parse::<std::net::IpAddr>().unwrap().into()])
        .trust_forwarded_header(true)
        .mask_client_ip(24, 48);
    let addr = serve_axum(site(&memory, log)).await;
    fetch(
        addr,
        "/ HTTP/1.1\r\nForwarded: for=\"[2001:db8:aa:bb::1]:5000\"",
    )
    .await;
    assert_eq!(
        one(&memory).await.str("client.address"),
        Some("2001:db8:aa::")
    );
}

#[tokio::test]
async fn app_start_record_describes_the_logger() {
    let memory = MemorySink::new();
    let log = RequestLog::new()
        .sink(memory.clone())
        .trust_proxies(["10.0.0.0/8".parse().unwrap()])
        .mask_client_ip(24, 48);
    log.log_start(
        reqlog::AppStart::new("courses")
            .version("1.2.3")
            .listening("127.0.0.1:3000".parse().unwrap()),
    );
    let r = one(&memory).await;
    assert_eq!(r.str("otel.event.name"), Some("reqlog.start"));
    assert_eq!(r.str("service.name"), Some("courses"));
    assert_eq!(r.str("service.version"), Some("1.2.3"));
    assert_eq!(r.u64("process.pid"), Some(u64::from(std::process::id())));
    assert_eq!(r.str("server.address"), Some("127.0.0.1"));
    assert_eq!(r.u64("server.port"), Some(3000));
    assert_eq!(r.get("reqlog.trusted_proxies").unwrap()[0], "10.0.0.0/8");
    assert_eq!(r.str("reqlog.client_ip_mask"), Some("/24 /48"));
    assert_eq!(r.str("reqlog.sink"), Some("memory"));
    assert!(
        r.get("reqlog.redacted_query_params")
            .unwrap()
            .as_array()
            .unwrap()
            .len()
            > 5
    );
}

/// A site with secrets in its routes, behind a `RequestLog` with path patterns.
fn secret_routes(memory: &MemorySink) -> Router {
    Router::new()
        .route("/reset/{token}", get(|| async { "reset" }))
        .route("/users/{id}/confirm/{code}", get(|| async { "confirmed" }))
        .route("/courses/{course}", get(|| async { "course" }))
        .layer(
            RequestLog::new()
                .sink(memory.clone())
                .redact_path_segments(["/invite/{}/accept"]),
        )
}

async fn logged(router: Router, memory: &MemorySink, request: &str) -> RecordSnapshot {
    let addr = serve_axum(router).await;
    fetch(addr, request).await;
    one(memory).await
}

fn assert_capped(r: &RecordSnapshot, key: &str) {
    let v = r
        .str(key)
        .or_else(|| r.header(key))
        .unwrap_or_else(|| panic!("{key} missing"));
    assert!(
        v.ends_with("…[truncated]"),
        "{key}: …{}",
        &v[v.len() - 40..]
    );
    assert!(v.len() <= 4096 + "…[truncated]".len(), "{key}: {}", v.len());
}

#[tokio::test]
async fn huge_hostile_values_are_capped_before_redaction() {
    // 390 KB of `%40` in the Referer: quadratic e-mail redaction once spent 13 s of CPU
    // on this; now only the first 4 KiB (and a margin) are read.
    let memory = MemorySink::new();
    let referer = "%40".repeat(130_000);
    let r = logged(
        site(&memory, RequestLog::new()),
        &memory,
        &format!("/ HTTP/1.1\r\nReferer: {referer}"),
    )
    .await;
    assert_eq!(r.u64("http.response.status_code"), Some(200));
    assert_capped(&r, "http.request.header.referer");
    assert!(r
        .header("http.request.header.referer")
        .unwrap()
        .starts_with("%40%40"));

    // A 63 KB path, near the longest URI `http` accepts.
    let memory = MemorySink::new();
    let path = format!("/{}", "%40".repeat(21_000));
    let r = logged(
        site(&memory, RequestLog::new()),
        &memory,
        &format!("{path}?{} HTTP/1.1", "a@".repeat(100)),
    )
    .await;
    assert_eq!(r.u64("http.response.status_code"), Some(404));
    assert_capped(&r, "url.path");
}

#[tokio::test]
async fn secret_parameter_names_in_any_spelling_are_redacted() {
    let memory = MemorySink::new();
    let r = logged(
        site(&memory, RequestLog::new()),
        &memory,
        "/?userPwd=x&authCode=y&api-key=z&jwt=a&ticket=b&sig=c&key=d&author=1&q=rust HTTP/1.1",
    )
    .await;
    assert_eq!(
        r.str("url.query"),
        Some(
            "userPwd=[REDACTED]&authCode=[REDACTED]&api-key=[REDACTED]&jwt=[REDACTED]\
             &ticket=[REDACTED]&sig=[REDACTED]&key=[REDACTED]&author=1&q=rust"
        )
    );
}

#[tokio::test]
async fn secrets_in_the_path_are_redacted() {
    for (request, path, route) in [
        ("/reset/abc123", "/reset/[REDACTED]", Some("/reset/{token}")),
        (
            "/users/42/confirm/xyz",
            "/users/42/confirm/[REDACTED]",
            Some("/users/{id}/confirm/{code}"),
        ),
        (
            "/courses/rust-101",
            "/courses/rust-101",
            Some("/courses/{course}"),
        ),
        (
            "/shop;jsessionid=ABC123/cart",
            "/shop;jsessionid=[REDACTED]/cart",
            None,
        ),
        ("/invite/x7Kq2/accept", "/invite/[REDACTED]/accept", None),
    ] {
        let memory = MemorySink::new();
        let r = logged(
            secret_routes(&memory),
            &memory,
            &format!("{request} HTTP/1.1"),
        )
        .await;
        assert_eq!(r.str("url.path"), Some(path), "{request}");
        assert_eq!(r.str("http.route"), route, "{request}");
    }
}

#[tokio::test]
async fn userinfo_never_reaches_the_sink() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    let resp = raw(
        addr,
        b"GET http://alice:s3cr3t@host/ HTTP/1.1\r\nHost: alice:s3cr3t@host\r\n\
          Referer: https://bob:pw@other.example/x?token=t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        resp.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&resp)
    );
    let r = one(&memory).await;
    let line = r.line();
    for secret in ["s3cr3t", "alice", "bob", ":pw"] {
        assert!(!line.contains(secret), "{secret} leaked: {line}");
    }
    assert_eq!(r.str("server.address"), Some("host"));
    assert_eq!(
        r.header("http.request.header.referer"),
        Some("https://other.example/x?token=[REDACTED]")
    );
}

/// A body that ends with trailers need not say it is done: trailers are the last frame,
/// and HTTP/2 servers stop polling after them.
#[tokio::test]
async fn body_ending_with_trailers_is_complete() {
    use http_body_util::StreamBody;
    use hyper::body::Frame;

    let memory = MemorySink::new();
    let svc = tower::service_fn(|_req: Request<reqlog::request_log::RequestBody<_>>| async {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("x-checksum", "abc".parse().unwrap());
        let frames = stream::iter(vec![
            Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"payload"))),
            Ok(Frame::trailers(trailers)),
        ]);
        Ok::<_, Infallible>(Response::new(StreamBody::new(frames)))
    });
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(memory.clone()))
        .service(svc);
    let addr = serve(svc).await;
    let (status, body) = get_h2(addr, "/with-trailers").await;
    assert_eq!((status, &body[..]), (200, &b"payload"[..]));
    let r = one(&memory).await;
    assert_eq!(r.str("outcome"), Some("ok"), "{}", r.line());
    assert_eq!(r.u64("http.response.body.size"), Some(7));
}
