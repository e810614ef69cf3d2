//! Crawler verification through a real socket, against a real DNS server: dnsmasq
//! (Debian package `dnsmasq-base`), started by each test on a loopback port with the
//! PTR and address records it needs. Clients reach the site through a trusted proxy's
//! `X-Forwarded-For`, as in production behind nginx.
//!
//! Addresses are documentation ones (203.0.113.0/24), except the one in Google's
//! published ranges. Under `CI=true` a missing dnsmasq fails the test; elsewhere the
//! DNS tests print `SKIPPED:` and pass.

mod support;

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use reqlog::probe::{Block, CrawlerVerifier, ProbeDetector};
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::RequestLog;
use support::*;

const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

/// dnsmasq, or `None` (and a loud skip) where it is not installed outside CI.
fn dnsmasq() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin".into(), "/sbin".into()]);
    let found = dirs.iter().map(|d| d.join("dnsmasq")).find(|p| p.is_file());
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("dnsmasq not found: install the Debian package dnsmasq-base");
        }
        eprintln!("SKIPPED: dnsmasq not found (install the Debian package dnsmasq-base)");
    }
    found
}

/// A dnsmasq answering only from its command line, on a free loopback port.
struct DnsServer {
    child: Child,
    addr: SocketAddr,
}

impl DnsServer {
    fn start(bin: &PathBuf, records: &[&str]) -> DnsServer {
        // A port free for UDP; dnsmasq takes the same number for TCP.
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(bin)
            .args([
                "--no-daemon",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--pid-file=",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                // Names under these are answered from the records below or NXDOMAIN.
                "--local=/113.0.203.in-addr.arpa/",
                "--local=/googlebot.com/",
                "--local=/evil.example/",
            ])
            .arg(format!("--port={port}"))
            .args(records)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dnsmasq");
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "dnsmasq did not start on {addr}");
            std::thread::sleep(Duration::from_millis(20));
        }
        DnsServer { child, addr }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// RequestLog trusting the loopback "proxy", around a detector verifying crawlers
/// with DNS at `resolver` and refusing impostors.
fn site(memory: &MemorySink, verifier: CrawlerVerifier) -> Router {
    Router::new().route("/", get(|| async { "home" })).layer(
        tower::ServiceBuilder::new()
            .layer(
                RequestLog::new()
                    .trust_proxies(["127.0.0.1/32".parse().unwrap()])
                    .sink(memory.clone()),
            )
            .layer(
                ProbeDetector::new()
                    .verify_crawlers(verifier)
                    .block_impostors(Block::Forbidden),
            ),
    )
}

fn verifier(dns: SocketAddr) -> CrawlerVerifier {
    CrawlerVerifier::new()
        .resolver(dns)
        .dns_timeout(Duration::from_millis(300))
}

/// One request from `client` with this user agent; returns the status, how long the
/// answer took, and the request's line.
async fn visit(
    addr: SocketAddr,
    memory: &MemorySink,
    n: &mut u32,
    client: &str,
    ua: &str,
) -> (u16, Duration, RecordSnapshot) {
    *n += 1;
    let query = format!("n={n}");
    let t = Instant::now();
    let (status, _) = fetch(
        addr,
        &format!("/?{query} HTTP/1.1\r\nUser-Agent: {ua}\r\nX-Forwarded-For: {client}"),
    )
    .await;
    let took = t.elapsed();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(r) = memory
            .requests()
            .into_iter()
            .find(|r| r.str("url.query") == Some(query.as_str()))
        {
            return (status, took, r);
        }
        assert!(Instant::now() < deadline, "no line for {query}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Requests from `client` until its line carries a verdict (at most 3 s); checks
/// that the first had none, and that the answer fits the verdict.
async fn verdict_of(addr: SocketAddr, memory: &MemorySink, n: &mut u32, client: &str) -> bool {
    let (status, _, first) = visit(addr, memory, n, client, GOOGLEBOT).await;
    assert_eq!(
        status, 200,
        "{client}: nothing is known at the first request"
    );
    assert_eq!(first.get("visitor.verified"), None, "{}", first.line());
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (status, _, r) = visit(addr, memory, n, client, GOOGLEBOT).await;
        if let Some(v) = r.bool("visitor.verified") {
            assert_eq!(r.str("visitor.crawler"), Some("Googlebot"));
            assert_eq!(status, if v { 200 } else { 403 }, "{}", r.line());
            assert_eq!(r.bool("visitor.blocked").unwrap_or(false), !v);
            return v;
        }
        assert!(Instant::now() < deadline, "{client}: no verdict in 3 s");
    }
}

#[tokio::test]
async fn an_address_in_the_published_ranges_is_verified_without_dns() {
    let memory = MemorySink::new();
    // Port 9 (discard) on loopback: nothing answers DNS there.
    let addr = serve_axum(site(&memory, verifier("127.0.0.1:9".parse().unwrap()))).await;
    let mut n = 0;
    let (status, _, r) = visit(addr, &memory, &mut n, "66.249.66.1", GOOGLEBOT).await;
    assert_eq!(status, 200);
    assert_eq!(r.bool("visitor.verified"), Some(true), "{}", r.line());
    // Browsers get no verdict, whatever their address.
    let (_, _, r) = visit(addr, &memory, &mut n, "203.0.113.50", FIREFOX).await;
    assert_eq!(r.get("visitor.verified"), None, "{}", r.line());
    // The field sits right after visitor.crawler.
    let line = memory.requests()[0].line().to_owned();
    assert!(
        line.contains(r#""visitor.crawler":"Googlebot","visitor.verified":true"#),
        "{line}"
    );
}

#[tokio::test]
async fn forward_confirmed_reverse_dns_verifies_and_impostors_fail() {
    let Some(bin) = dnsmasq() else { return };
    let dns = DnsServer::start(
        &bin,
        &[
            // Verified: PTR in googlebot.com, and the name resolves back.
            "--host-record=crawl-203-0-113-10.googlebot.com,203.0.113.10",
            // Right domain, but the name resolves elsewhere.
            "--ptr-record=11.113.0.203.in-addr.arpa,crawl-203-0-113-11.googlebot.com",
            "--host-record=crawl-203-0-113-11.googlebot.com,203.0.113.99",
            // A look-alike domain that resolves back.
            "--host-record=crawl.googlebot.com.evil.example,203.0.113.12",
            // 203.0.113.13: no PTR at all.
        ],
    );
    let memory = MemorySink::new();
    let v = verifier(dns.addr);
    let addr = serve_axum(site(&memory, v.clone())).await;
    let mut n = 0;
    assert!(verdict_of(addr, &memory, &mut n, "203.0.113.10").await);
    for impostor in ["203.0.113.11", "203.0.113.12", "203.0.113.13"] {
        assert!(
            !verdict_of(addr, &memory, &mut n, impostor).await,
            "{impostor}"
        );
    }
    assert_eq!(v.lookups(), 4);
    assert_eq!(v.dns_verdicts(), (1, 3));
    assert_eq!(v.errors(), 0);
}

#[tokio::test]
async fn with_dns_down_the_verdict_stays_unknown_and_requests_are_not_delayed() {
    let Some(bin) = dnsmasq() else { return };
    let mut dns = DnsServer::start(&bin, &[]);
    let memory = MemorySink::new();
    let v = verifier(dns.addr);
    let addr = serve_axum(site(&memory, v.clone())).await;
    dns.stop();
    let mut n = 0;
    for _ in 0..5 {
        let (status, took, r) = visit(addr, &memory, &mut n, "203.0.113.20", GOOGLEBOT).await;
        assert_eq!(status, 200, "{}", r.line());
        assert_eq!(r.get("visitor.verified"), None, "{}", r.line());
        assert!(took < Duration::from_millis(200), "{took:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while v.errors() == 0 {
        assert!(
            Instant::now() < deadline,
            "the failed lookup was not counted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(v.dns_verdicts(), (0, 0));
}
