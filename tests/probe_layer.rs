//! ProbeDetector through a real socket: probe and crawler lines, the 404-rate rule,
//! blocking, allow-lists, and the verdict for the application.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use reqlog::probe::{
    Block, CustomRule, ProbeCategory, ProbeDetector, ProbeRules, ProbeVerdict, ScanRule,
};
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::RequestLog;
use support::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

fn site(detector: ProbeDetector, memory: Option<&MemorySink>) -> Router {
    let router = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/admin", get(|| async { "our own admin page" }))
        .route(
            "/verdict",
            get(|req: axum::extract::Request| async move {
                match ProbeVerdict::from_request(&req) {
                    Some(v) => format!("kind={} scanning={}", v.agent.kind.as_str(), v.scanning),
                    None => "none".to_owned(),
                }
            }),
        )
        .layer(detector);
    match memory {
        Some(m) => router.layer(RequestLog::new().sink(m.clone())),
        None => router,
    }
}

async fn get_as(addr: std::net::SocketAddr, path: &str, ua: &str) -> (u16, String) {
    fetch(addr, &format!("{path} HTTP/1.1\r\nUser-Agent: {ua}")).await
}

fn find<'a>(records: &'a [RecordSnapshot], path: &str) -> &'a RecordSnapshot {
    records
        .iter()
        .find(|r| r.str("url.path") == Some(path))
        .unwrap_or_else(|| panic!("no line for {path}"))
}

#[tokio::test]
async fn probe_and_crawler_lines() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(ProbeDetector::new(), Some(&memory))).await;
    get_as(addr, "/wp-login.php", FIREFOX).await;
    get_as(addr, "/.env", "curl/8.5.0").await;
    get_as(addr, "/", GOOGLEBOT).await;
    get_as(addr, "/", FIREFOX).await;
    let records = memory.wait_for(4, WAIT).await;
    assert_eq!(records.len(), 4);

    let wp = find(&records, "/wp-login.php");
    assert_eq!(wp.str("probe.category"), Some("wordpress"));
    assert!(wp.str("probe.rule").is_some());
    assert_eq!(wp.str("level"), Some("WARN"));
    assert_eq!(wp.str("visitor.kind"), Some("browser"));
    let env = find(&records, "/.env");
    assert_eq!(env.str("probe.category"), Some("secrets"));
    assert_eq!(env.str("visitor.kind"), Some("tool"));

    let home: Vec<_> = records
        .iter()
        .filter(|r| r.str("url.path") == Some("/"))
        .collect();
    let bot = home
        .iter()
        .find(|r| r.str("visitor.kind") == Some("crawler"))
        .unwrap();
    assert_eq!(bot.str("visitor.crawler"), Some("Googlebot"));
    assert_eq!(bot.get("probe.category"), None);
    let person = home
        .iter()
        .find(|r| r.str("visitor.kind") == Some("browser"))
        .unwrap();
    assert_eq!(person.str("level"), Some("INFO"));
    assert_eq!(person.get("visitor.crawler"), None);
    assert_eq!(person.get("visitor.scanning"), None);
}

#[tokio::test]
async fn ten_distinct_404s_flag_the_client_and_nine_do_not() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(ProbeDetector::new(), Some(&memory))).await;
    for i in 0..9 {
        assert_eq!(get_as(addr, &format!("/missing/{i}"), FIREFOX).await.0, 404);
    }
    get_as(addr, "/", FIREFOX).await;
    let records = memory.wait_for(10, WAIT).await;
    assert!(
        records.iter().all(|r| r.get("visitor.scanning").is_none()),
        "below the threshold"
    );
    assert_eq!(get_as(addr, "/missing/9", FIREFOX).await.0, 404);
    let (_, body) = get_as(addr, "/verdict", FIREFOX).await;
    assert!(body.contains("scanning=true"), "{body}");
    let records = memory.wait_for(12, WAIT).await;
    assert_eq!(
        find(&records, "/missing/9").bool("visitor.scanning"),
        Some(true)
    );
    let later = find(&records, "/verdict");
    assert_eq!(later.bool("visitor.scanning"), Some(true));
    assert_eq!(later.str("level"), Some("WARN"));
}

#[tokio::test]
async fn flagged_clients_and_scanner_agents_are_blocked_when_asked() {
    let memory = MemorySink::new();
    let detector = ProbeDetector::new()
        .scan_rule(ScanRule {
            threshold: 3,
            ..ScanRule::default()
        })
        .block_scanners(Block::Forbidden);
    let addr = serve_axum(site(detector, Some(&memory))).await;
    // A visitor below the threshold is never blocked.
    for i in 0..2 {
        get_as(addr, &format!("/gone/{i}"), FIREFOX).await;
    }
    assert_eq!(get_as(addr, "/", FIREFOX).await.0, 200);
    get_as(addr, "/gone/2", FIREFOX).await;
    let (status, body) = get_as(addr, "/", FIREFOX).await;
    assert_eq!(status, 403);
    assert!(!body.contains("home"), "the application was not called");
    // A scanner that says so is refused at once.
    let memory_len = memory.wait_for(5, WAIT).await.len();
    assert_eq!(memory_len, 5);
    assert_eq!(
        get_as(addr, "/", "sqlmap/1.7.2#stable (https://sqlmap.org)")
            .await
            .0,
        403
    );
    let records = memory.wait_for(6, WAIT).await;
    let blocked: Vec<_> = records
        .iter()
        .filter(|r| r.bool("visitor.blocked") == Some(true))
        .collect();
    assert_eq!(blocked.len(), 2);
    assert!(blocked
        .iter()
        .all(|r| r.u64("http.response.status_code") == Some(403)));
    assert!(blocked
        .iter()
        .any(|r| r.str("visitor.kind") == Some("scanner")));
}

#[tokio::test]
async fn too_many_requests_and_tarpit_answers() {
    for (block, status) in [
        (Block::TooManyRequests, 429),
        (Block::Tarpit(Duration::from_millis(20)), 403),
    ] {
        let detector = ProbeDetector::new().block_scanners(block);
        let addr = serve_axum(site(detector, None)).await;
        assert_eq!(
            get_as(
                addr,
                "/",
                "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)"
            )
            .await
            .0,
            status
        );
        assert_eq!(get_as(addr, "/", FIREFOX).await.0, 200);
    }
}

#[tokio::test]
async fn works_without_request_log() {
    let detector = ProbeDetector::new()
        .scan_rule(ScanRule {
            threshold: 2,
            ..ScanRule::default()
        })
        .block_scanners(Block::Forbidden);
    let addr = serve_axum(site(detector, None)).await;
    let (_, body) = get_as(addr, "/verdict", GOOGLEBOT).await;
    assert!(body.contains("kind=crawler"), "{body}");
    get_as(addr, "/a", FIREFOX).await;
    get_as(addr, "/b", FIREFOX).await;
    assert_eq!(get_as(addr, "/", FIREFOX).await.0, 403);
}

#[tokio::test]
async fn allow_list_and_custom_rules() {
    let memory = MemorySink::new();
    let rules = ProbeRules::new()
        .allow_path("/admin")
        .rule(CustomRule::path_prefix(
            ProbeCategory::Admin,
            "old-backoffice",
            "/backoffice",
        ));
    let addr = serve_axum(site(
        ProbeDetector::with_rules(rules).unwrap(),
        Some(&memory),
    ))
    .await;
    get_as(addr, "/admin", FIREFOX).await;
    get_as(addr, "/backoffice/login", FIREFOX).await;
    let records = memory.wait_for(2, WAIT).await;
    assert_eq!(
        find(&records, "/admin").get("probe.category"),
        None,
        "our own route"
    );
    let custom = find(&records, "/backoffice/login");
    assert_eq!(custom.str("probe.category"), Some("admin"));
    assert_eq!(custom.str("probe.rule"), Some("old-backoffice"));
}

#[tokio::test]
async fn plain_hyper_service() {
    let memory = MemorySink::new();
    let svc = tower::service_fn(|_req: Request<_>| async {
        Ok::<_, Infallible>(
            Response::builder()
                .status(404)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
    });
    let svc = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(memory.clone()))
        .layer(ProbeDetector::new())
        .map_request(|req: Request<reqlog::request_log::RequestBody<hyper::body::Incoming>>| req)
        .service(svc);
    let addr = serve(svc).await;
    get_as(addr, "/phpmyadmin/index.php", FIREFOX).await;
    let records = memory.wait_for(1, WAIT).await;
    assert_eq!(records[0].str("probe.category"), Some("php"));
}

/// Out of the box, crawler claims are checked against the published ranges (no DNS):
/// a Googlebot from Google's range is verified, one from anywhere else is not.
#[tokio::test]
async fn crawler_claims_are_checked_by_default() {
    let memory = MemorySink::new();
    let app = Router::new().route("/", get(|| async { "home" })).layer(
        tower::ServiceBuilder::new()
            .layer(
                RequestLog::new()
                    .sink(memory.clone())
                    .trust_proxies(["127.0.0.1/32".parse().unwrap()]),
            )
            .layer(ProbeDetector::new()),
    );
    let addr = serve_axum(app).await;
    for client in ["66.249.66.1", "203.0.113.80"] {
        fetch(
            addr,
            &format!("/ HTTP/1.1\r\nUser-Agent: {GOOGLEBOT}\r\nX-Forwarded-For: {client}"),
        )
        .await;
    }
    fetch(addr, &format!("/ HTTP/1.1\r\nUser-Agent: {FIREFOX}")).await;
    let records = memory.wait_for(3, WAIT).await;
    let by = |ip: &str| {
        records
            .iter()
            .find(|r| r.str("client.address") == Some(ip))
            .unwrap()
    };
    assert_eq!(by("66.249.66.1").bool("visitor.verified"), Some(true));
    assert_eq!(by("203.0.113.80").bool("visitor.verified"), Some(false));
    assert_eq!(by("127.0.0.1").get("visitor.verified"), None, "a browser");
}
