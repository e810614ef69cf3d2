//! `ProbeDetector::robots_txt` through a real socket: a crawler's fetch of a path the
//! site's robots.txt disallows for it says `robots.disallowed: true`; an allowed path,
//! `/robots.txt` itself, another crawler's group and a browser never do.

mod support;

use axum::routing::get;
use axum::Router;
use reqlog::probe::ProbeDetector;
use reqlog::sink::{MemorySink, RecordSnapshot};
use reqlog::RequestLog;
use support::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const GOOGLEBOT_IMAGE: &str = "Googlebot-Image/1.0";
const BINGBOT: &str = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
const CURL: &str = "curl/8.5.0";

const ROBOTS: &str = "User-agent: *\nDisallow: /courses/*/lectures/\n\n\
                      User-agent: Googlebot\nDisallow: /courses/*/lectures/\nDisallow: /drafts/\n\
                      Allow: /drafts/public$\n";

fn site(memory: &MemorySink) -> Router {
    Router::new()
        .route("/robots.txt", get(|| async { ROBOTS }))
        .route("/courses/{course}", get(|| async { "course" }))
        .route(
            "/courses/{course}/lectures/{n}",
            get(|| async { "lecture" }),
        )
        .route("/drafts/{name}", get(|| async { "draft" }))
        .layer(ProbeDetector::new().robots_txt(ROBOTS))
        .layer(RequestLog::new().sink(memory.clone()))
}

fn disallowed(records: &[RecordSnapshot], path: &str, ua: &str) -> Option<bool> {
    let r = records
        .iter()
        .find(|r| r.str("url.path") == Some(path) && r.str("user_agent.original") == Some(ua))
        .unwrap_or_else(|| panic!("no line for {path} as {ua}"));
    r.bool("robots.disallowed")
}

#[tokio::test]
async fn crawlers_fetching_disallowed_paths_are_marked() {
    let memory = MemorySink::new();
    let addr = serve_axum(site(&memory)).await;
    let requests = [
        ("/courses/rust/lectures/1", GOOGLEBOT),
        ("/courses/rust", GOOGLEBOT),
        ("/robots.txt", GOOGLEBOT),
        ("/drafts/next", GOOGLEBOT),
        ("/drafts/public", GOOGLEBOT),
        ("/drafts/next", GOOGLEBOT_IMAGE),
        ("/drafts/next", BINGBOT),
        ("/courses/rust/lectures/%31", BINGBOT),
        ("/courses/rust/lectures/1", FIREFOX),
        ("/courses/rust/lectures/1", CURL),
    ];
    for (path, ua) in requests {
        fetch(addr, &format!("{path} HTTP/1.1\r\nUser-Agent: {ua}")).await;
    }
    let records = memory.wait_for(requests.len(), WAIT).await;
    assert_eq!(records.len(), requests.len());

    // Disallowed for the crawler that fetched it: marked, and the field is a bool.
    assert_eq!(
        disallowed(&records, "/courses/rust/lectures/1", GOOGLEBOT),
        Some(true)
    );
    assert_eq!(disallowed(&records, "/drafts/next", GOOGLEBOT), Some(true));
    // Googlebot-Image has no group of its own: it obeys Googlebot's.
    assert_eq!(
        disallowed(&records, "/drafts/next", GOOGLEBOT_IMAGE),
        Some(true)
    );
    // Percent-encoding is normalised: `%31` is `1`.
    assert_eq!(
        disallowed(&records, "/courses/rust/lectures/%31", BINGBOT),
        Some(true)
    );
    // Allowed paths, `/robots.txt`, the longest rule (`Allow … $`) and another
    // crawler's group: no field at all.
    assert_eq!(disallowed(&records, "/courses/rust", GOOGLEBOT), None);
    assert_eq!(disallowed(&records, "/robots.txt", GOOGLEBOT), None);
    assert_eq!(disallowed(&records, "/drafts/public", GOOGLEBOT), None);
    assert_eq!(disallowed(&records, "/drafts/next", BINGBOT), None);
    // Browsers and tools do not obey robots.txt: never marked.
    assert_eq!(
        disallowed(&records, "/courses/rust/lectures/1", FIREFOX),
        None
    );
    assert_eq!(disallowed(&records, "/courses/rust/lectures/1", CURL), None);
}

#[tokio::test]
async fn without_robots_txt_nothing_is_marked() {
    let memory = MemorySink::new();
    let app = Router::new()
        .route(
            "/courses/{course}/lectures/{n}",
            get(|| async { "lecture" }),
        )
        .layer(ProbeDetector::new())
        .layer(RequestLog::new().sink(memory.clone()));
    let addr = serve_axum(app).await;
    fetch(
        addr,
        &format!("/courses/a/lectures/1 HTTP/1.1\r\nUser-Agent: {GOOGLEBOT}"),
    )
    .await;
    let records = memory.wait_for(1, WAIT).await;
    assert_eq!(records[0].str("visitor.crawler"), Some("Googlebot"));
    assert_eq!(records[0].bool("robots.disallowed"), None);
}
