//! Hostile clients behind a trusted proxy, through a real socket: nobody can choose the
//! address that is logged, counted or blocked, nor get the proxy (and with it every
//! visitor) blocked. Each test is one reproduction from issue #13.
//!
//! The test client talks to the server over loopback, so the server's peer is
//! 127.0.0.1: the "proxy". The test writes the headers that proxy would pass on; the
//! hop a real proxy appends (nginx's `$proxy_add_x_forwarded_for`) is written last.

mod support;

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use reqlog::probe::{Block, ProbeDetector, ScanRule};
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::RequestLog;
use support::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

/// RequestLog trusting the loopback "proxy" around a blocking detector.
fn site(memory: &MemorySink, log: RequestLog) -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/health", get(|| async { "ok" }))
        .layer(
            tower::ServiceBuilder::new()
                .layer(log.sink(memory.clone()))
                .layer(ProbeDetector::new().block_scanners(Block::Forbidden)),
        )
}

fn behind_proxy() -> RequestLog {
    RequestLog::new().trust_proxies(["127.0.0.1/32".parse().unwrap()])
}

async fn get_with(addr: SocketAddr, path: &str, headers: &str) -> u16 {
    let extra = if headers.is_empty() {
        String::new()
    } else {
        format!("\r\n{headers}")
    };
    fetch(
        addr,
        &format!("{path} HTTP/1.1\r\nUser-Agent: {FIREFOX}{extra}"),
    )
    .await
    .0
}

/// Raw bytes in a header value (not UTF-8), as a client can send them.
async fn get_raw_header(addr: SocketAddr, path: &str, header: &[u8]) -> u16 {
    let mut req =
        format!("GET {path} HTTP/1.1\r\nHost: t\r\nUser-Agent: {FIREFOX}\r\n").into_bytes();
    req.extend_from_slice(header);
    req.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    let resp = raw(addr, &req).await;
    String::from_utf8_lossy(&resp)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn lines_for<'a>(records: &'a [RecordSnapshot], path: &str) -> Vec<&'a RecordSnapshot> {
    records
        .iter()
        .filter(|r| r.str("url.path") == Some(path))
        .collect()
}

/// A client-sent `Forwarded: for=<victim>` passed on by a proxy that appends
/// `X-Forwarded-For` must not name the victim: ten 404s flag the real client only.
#[tokio::test]
async fn a_client_cannot_pick_its_address_with_forwarded() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, behind_proxy())).await;
    for i in 0..10 {
        let h = "Forwarded: for=203.0.113.9\r\nX-Forwarded-For: 198.51.100.20";
        assert_eq!(get_with(addr, &format!("/nope/{i}"), h).await, 404);
    }
    // The victim is not blocked; the attacker is.
    assert_eq!(
        get_with(addr, "/", "X-Forwarded-For: 203.0.113.9").await,
        200
    );
    assert_eq!(
        get_with(addr, "/", "X-Forwarded-For: 198.51.100.20").await,
        403
    );
    let records = memory.wait_for(12, WAIT).await;
    for r in lines_for(&records, "/nope/0") {
        assert_eq!(r.str("client.address"), Some("198.51.100.20"));
    }
}

/// `for=unknown`, an obfuscated node or a `Forwarded` without `for=` from a proxy that
/// does set `Forwarded`: the client is unknown, never the proxy, so the proxy's own
/// health check (no forwarding headers) is never refused.
#[tokio::test]
async fn unreadable_forwarded_hops_never_flag_the_proxy() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, behind_proxy().trust_forwarded_header(true))).await;
    let junk = ["for=unknown", "for=_hidden", "proto=https", "for=\"bogus\""];
    for i in 0..12 {
        let h = format!("Forwarded: {}", junk[i % junk.len()]);
        assert_eq!(get_with(addr, &format!("/nope/{i}"), &h).await, 404);
    }
    assert_eq!(get_with(addr, "/health", "").await, 200, "the proxy itself");
    assert_eq!(
        get_with(addr, "/", "Forwarded: for=198.51.100.3").await,
        200
    );
    let records = memory.wait_for(14, WAIT).await;
    let first = lines_for(&records, "/nope/0")[0];
    assert_eq!(first.get("client.address"), None, "unknown client");
    assert_eq!(first.get("visitor.scanning"), None);
    let health = lines_for(&records, "/health")[0];
    assert_eq!(health.str("client.address"), Some("127.0.0.1"));
}

/// Without `trust_forwarded_header`, a `Forwarded` header is ignored altogether, so a
/// client-written `for=unknown` cannot hide it behind the proxy either.
#[tokio::test]
async fn forwarded_is_ignored_by_default() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, behind_proxy())).await;
    for i in 0..10 {
        let h = "Forwarded: for=unknown";
        assert_eq!(get_with(addr, &format!("/nope/{i}"), h).await, 404);
    }
    assert_eq!(get_with(addr, "/health", "").await, 200);
    let records = memory.wait_for(11, WAIT).await;
    assert_eq!(
        lines_for(&records, "/nope/0")[0].str("client.address"),
        Some("127.0.0.1")
    );
}

/// `X-Forwarded-For: \x80` from the client, with the proxy's `, <real ip>` appended:
/// the junk cannot hide the real client, who is the one flagged.
#[tokio::test]
async fn junk_in_x_forwarded_for_does_not_hide_the_client() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, behind_proxy())).await;
    for i in 0..10 {
        let status = get_raw_header(
            addr,
            &format!("/nope/{i}"),
            b"X-Forwarded-For: \x80\xfe, 198.51.100.77",
        )
        .await;
        assert_eq!(status, 404);
    }
    assert_eq!(get_with(addr, "/health", "").await, 200, "the proxy itself");
    assert_eq!(
        get_with(addr, "/", "X-Forwarded-For: 198.51.100.77").await,
        403
    );
    let records = memory.wait_for(12, WAIT).await;
    assert_eq!(
        lines_for(&records, "/nope/0")[0].str("client.address"),
        Some("198.51.100.77")
    );
}

/// Requests left out by `RequestLog::skip` are judged by the client the proxies name,
/// not by the proxy.
#[tokio::test]
async fn skipped_requests_count_against_the_client_not_the_proxy() {
    let memory = MemorySink::new();
    let log = behind_proxy().skip(|req| req.uri.path().starts_with("/static/"));
    let addr = serve_axum(site(&memory, log)).await;
    for i in 0..10 {
        let h = "X-Forwarded-For: 198.51.100.5";
        assert_eq!(get_with(addr, &format!("/static/{i}.css"), h).await, 404);
    }
    assert_eq!(get_with(addr, "/health", "").await, 200, "the proxy itself");
    assert_eq!(
        get_with(addr, "/", "X-Forwarded-For: 198.51.100.6").await,
        200
    );
    assert_eq!(
        get_with(addr, "/", "X-Forwarded-For: 198.51.100.5").await,
        403
    );
    let records = memory.wait_for(3, WAIT).await;
    assert!(lines_for(&records, "/static/0.css").is_empty(), "skipped");
}

/// A trusted proxy that forwards nobody is logged, never counted: its own 404s (a
/// misconfigured health check) cannot get it blocked.
#[tokio::test]
async fn a_trusted_proxy_is_never_counted_or_blocked() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, behind_proxy())).await;
    for i in 0..15 {
        assert_eq!(get_with(addr, &format!("/nope/{i}"), "").await, 404);
    }
    assert_eq!(get_with(addr, "/health", "").await, 200);
    let (status, _) = fetch(addr, "/ HTTP/1.1\r\nUser-Agent: sqlmap/1.7.2#stable").await;
    assert_eq!(
        status, 200,
        "a proxy's own request is never refused, whatever its agent"
    );
    // The same agent forwarded for a client is refused.
    let (status, _) = fetch(
        addr,
        "/ HTTP/1.1\r\nUser-Agent: sqlmap/1.7.2#stable\r\nX-Forwarded-For: 198.51.100.1",
    )
    .await;
    assert_eq!(status, 403);
}

/// IPv6 clients rotating addresses inside their /64 are one client.
#[tokio::test]
async fn ipv6_clients_are_counted_by_their_64() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, behind_proxy())).await;
    for i in 0..10 {
        let h = format!("X-Forwarded-For: 2001:db8:1:2::{:x}", i + 1);
        assert_eq!(get_with(addr, &format!("/nope/{i}"), &h).await, 404);
    }
    let other_host_same_64 = "X-Forwarded-For: 2001:db8:1:2:ffff::1";
    assert_eq!(get_with(addr, "/", other_host_same_64).await, 403);
    assert_eq!(
        get_with(addr, "/", "X-Forwarded-For: 2001:db8:1:3::1").await,
        200
    );
    let records = memory.wait_for(12, WAIT).await;
    // The line keeps the full address.
    assert_eq!(
        lines_for(&records, "/nope/0")[0].str("client.address"),
        Some("2001:db8:1:2::1")
    );
}

/// The /64 grouping is a setting of the rule.
#[tokio::test]
async fn ipv6_grouping_is_configurable() {
    let memory = MemorySink::new();
    let app = Router::new().route("/", get(|| async { "home" })).layer(
        tower::ServiceBuilder::new()
            .layer(behind_proxy().sink(memory.clone()))
            .layer(
                ProbeDetector::new()
                    .scan_rule(ScanRule {
                        ipv6_prefix: 128,
                        ..ScanRule::default()
                    })
                    .block_scanners(Block::Forbidden),
            ),
    );
    let addr = serve_axum(app).await;
    for i in 0..10 {
        let h = format!("X-Forwarded-For: 2001:db8:1:2::{:x}", i + 1);
        get_with(addr, &format!("/nope/{i}"), &h).await;
    }
    assert_eq!(
        get_with(addr, "/", "X-Forwarded-For: 2001:db8:1:2::ff").await,
        200
    );
}

/// A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`: logged and counted as
/// the IPv4 address, the same key a forwarded IPv4 client gets.
#[tokio::test]
async fn ipv4_mapped_peers_are_ipv4() {
    let memory = MemorySink::new();
    let svc = tower::ServiceBuilder::new()
        // What a `[::]` listener puts in the extensions for an IPv4 client.
        .map_request(|mut req: http::Request<hyper::body::Incoming>| {
            let mapped: SocketAddr = "[::ffff:198.51.100.8]:5000".parse().unwrap();
            req.extensions_mut().insert(mapped);
            req
        })
        .layer(RequestLog::new().sink(memory.clone()))
        .layer(ProbeDetector::new().block_scanners(Block::Forbidden))
        .service(tower::service_fn(|_req| async {
            Ok::<_, std::convert::Infallible>(
                http::Response::builder()
                    .status(404)
                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                    .unwrap(),
            )
        }));
    let addr = serve(svc).await;
    for i in 0..10 {
        get_with(addr, &format!("/nope/{i}"), "").await;
    }
    assert_eq!(get_with(addr, "/again", "").await, 403);
    let records = memory.wait_for(11, WAIT).await;
    assert!(records
        .iter()
        .all(|r| r.str("client.address") == Some("198.51.100.8")));
}

/// A browser or an app whose user agent contains a scanner-like word is a visitor.
#[tokio::test]
async fn apps_named_like_scanners_are_not_blocked() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, RequestLog::new())).await;
    for ua in [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 CamScanner/6.32",
        "CamScanner/4.5 CFNetwork/1410.0.3 Darwin/22.6.0",
        "Burpee Fitness/2.1 (Android 14)",
    ] {
        let (status, _) = fetch(addr, &format!("/ HTTP/1.1\r\nUser-Agent: {ua}")).await;
        assert_eq!(status, 200, "{ua}");
    }
    let (status, _) = fetch(addr, "/ HTTP/1.1\r\nUser-Agent: sqlmap/1.7.2#stable").await;
    assert_eq!(status, 403);
}

/// A page on another site that embeds twenty broken images of ours makes the visitor's
/// browser send cross-site `no-cors` 404s: they must not get the visitor flagged.
#[tokio::test]
async fn cross_site_subresource_404s_do_not_count() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory, behind_proxy())).await;
    let visitor = "X-Forwarded-For: 198.51.100.44";
    for i in 0..20 {
        let dest = ["image", "script", "style", "font"][i % 4];
        let h = format!(
            "{visitor}\r\nSec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: {dest}"
        );
        assert_eq!(
            get_with(addr, &format!("/img/broken-{i}.png"), &h).await,
            404
        );
    }
    assert_eq!(get_with(addr, "/", visitor).await, 200);
    // The same 404s asked for by the site's own pages (or typed in) still count.
    for i in 0..10 {
        let h = format!("{visitor}\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: image");
        get_with(addr, &format!("/img/missing-{i}.png"), &h).await;
    }
    assert_eq!(get_with(addr, "/", visitor).await, 403);
}
