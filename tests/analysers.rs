//! The combined format as real analysers read it: GoAccess parses every line the
//! example server writes, and fail2ban's stock `nginx-botsearch` filter matches its
//! WordPress and phpMyAdmin probe lines. `.ci/run` installs both (Debian packages
//! `goaccess` and `fail2ban`).

mod support;

// The example server's own routes and layers, so this tests what it really serves.
#[path = "../examples/server/main.rs"]
#[allow(dead_code)]
mod server;

use std::path::{Path, PathBuf};
use std::process::Command;

use reqlog::format::Combined;
use reqlog::sink::NonBlocking;
use reqlog::RequestLog;
use support::*;

/// Finds a system tool; under CI a missing tool fails the test, elsewhere it is a
/// loud skip naming the Debian package.
fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{name} not found: install the Debian package {package}");
        }
        eprintln!("SKIPPED: {name} not found (install the Debian package {package})");
    }
    found
}

/// Serves the example site with a combined-format file sink, sends `requests`, and
/// returns the log file once every line is flushed.
async fn combined_log(name: &str, requests: &[String]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("reqlog-{name}-{}.log", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    let (sink, guard) = NonBlocking::builder().format(Combined).finish(file);
    let state = server::site_state("http://127.0.0.1");
    let app = server::app(state, RequestLog::new().sink(sink));
    let addr = serve_axum_service(app).await;
    for target in requests {
        fetch(addr, target).await;
    }
    // The record is written when the body ends, after the client has it; flush waits
    // for what was queued, so wait until every line is there.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        guard.flush();
        let lines = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .count();
        if lines >= requests.len() || std::time::Instant::now() > deadline {
            break;
        }
        tokio::task::yield_now().await;
    }
    drop(guard);
    path
}

fn traffic() -> Vec<String> {
    let mut t: Vec<String> = [
        "/ HTTP/1.1\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\nReferer: https://example.org/",
        "/courses/python-jumpstart HTTP/1.1\r\nUser-Agent: Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "/courses/python-jumpstart/lectures/1 HTTP/1.1",
        "/robots.txt HTTP/1.1\r\nUser-Agent: curl/8.5.0",
        "/sitemap.xml HTTP/1.1",
        "/search?q=select+statements+in+sql&email=bob%40example.com HTTP/1.1",
        "/a%22quoted%22/path HTTP/1.1\r\nUser-Agent: evil \"agent\" \\ with \t tab",
        "/nope HTTP/1.1\r\nReferer: https://example.org/?token=abc",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    t.extend(
        probes()
            .into_iter()
            .map(|p| format!("{p} HTTP/1.1\r\nUser-Agent: Mozilla/5.0")),
    );
    t
}

/// Probes that `nginx-botsearch` knows (WordPress, phpMyAdmin), answered 404.
fn probes() -> Vec<&'static str> {
    vec![
        "/wp-login.php",
        "/wp-admin.php",
        "/wp-signup.php",
        "/phpmyadmin/index.php",
        "/phpMyAdmin/",
        "/pma/",
        "/admin/pma/",
        "/mysqladmin/",
        "/cgi-bin/test.cgi",
        "/webmail/",
    ]
}

#[tokio::test]
async fn goaccess_parses_every_line() {
    let Some(goaccess) = tool("goaccess", "goaccess") else {
        return;
    };
    let requests = traffic();
    let log = combined_log("goaccess", &requests).await;
    let report = log.with_extension("json");
    let out = Command::new(goaccess)
        .arg(&log)
        .args([
            "--log-format=COMBINED",
            "--no-global-config",
            "--no-progress",
            "-o",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "goaccess: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let general = &json["general"];
    eprintln!("goaccess general: {general}");
    assert_eq!(general["total_requests"], requests.len());
    assert_eq!(general["valid_requests"], requests.len());
    assert_eq!(general["failed_requests"], 0);
    cleanup(&[&log, &report]);
}

#[tokio::test]
async fn fail2ban_botsearch_matches_the_probe_lines() {
    let Some(regex) = tool("fail2ban-regex", "fail2ban") else {
        return;
    };
    let filter = Path::new("/etc/fail2ban/filter.d/nginx-botsearch.conf");
    assert!(
        filter.is_file(),
        "fail2ban is installed without its stock filters"
    );
    let requests = traffic();
    let log = combined_log("fail2ban", &requests).await;
    let out = Command::new(regex).arg(&log).arg(filter).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "fail2ban-regex: {text}");
    let summary = text
        .lines()
        .find(|l| l.starts_with("Lines:"))
        .unwrap_or_else(|| panic!("no summary in: {text}"));
    eprintln!("fail2ban-regex: {summary}");
    let matched: usize = summary
        .split(',')
        .find_map(|p| {
            p.trim()
                .strip_suffix(" matched")
                .map(|n| n.trim().parse().unwrap())
        })
        .unwrap();
    assert_eq!(matched, probes().len(), "{summary}");
    cleanup(&[&log]);
}

fn cleanup(paths: &[&Path]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}
